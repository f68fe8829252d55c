"""The gateway's config file (TOML): what ``routedesk serve --config FILE`` runs with.

    policy = "/etc/routedesk/policy.yaml"     # the starting policy (a published version replaces it)
    host = "0.0.0.0"                          # non-loopback needs TLS or insecure_http = true
    port = 8765
    log = "postgresql+psycopg://routedesk@db/routedesk"   # the shared routing log
    instance = "gw1"                          # reported by /healthz and in circuit signals
    tls_cert = "/etc/routedesk/tls/cert.pem"  # uvicorn's own TLS
    tls_key = "/etc/routedesk/tls/key.pem"
    insecure_http = false                     # true: plain HTTP off loopback (a TLS proxy in front)

    [team]
    postgres = "postgresql://routedesk@db/routedesk"   # API keys, published policy (and budgets without Redis)
    redis = "redis://cache:6379/0"            # budgets and circuit signals (optional)
    key_cache_s = 2.0                         # revocation bound
    policy_poll_s = 1.0                       # how often the published version is checked

Unknown keys and wrong types are errors naming the file and the key, never a traceback.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any


class SettingsError(ValueError):
    """The config file cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class TeamSettings:
    postgres: str | None = None
    redis: str | None = None
    key_cache_s: float = 2.0
    policy_poll_s: float = 1.0


@dataclass(frozen=True)
class GatewaySettings:
    policy: str | None = None
    host: str = "127.0.0.1"
    port: int = 8765
    log: str | None = None
    instance: str | None = None
    tls_cert: str | None = None
    tls_key: str | None = None
    insecure_http: bool = False
    team: TeamSettings = TeamSettings()


_TYPES: dict[str, tuple[type, ...]] = {"str": (str,), "int": (int,), "float": (int, float), "bool": (bool,)}


def _typed(path: Path, where: str, cls: type, raw: dict[str, Any]) -> dict[str, Any]:
    known = {f.name: f for f in fields(cls)}
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in known or key == "team":
            raise SettingsError(f"{path}: unknown setting '{where}{key}' (known: {', '.join(sorted(known))})")
        wanted = str(known[key].type).replace(" | None", "")
        allowed = _TYPES.get(wanted, (object,))
        if isinstance(value, bool) and bool not in allowed or not isinstance(value, allowed):
            raise SettingsError(f"{path}: '{where}{key}' must be of type {wanted}, got {value!r}")
        out[key] = value
    return out


def load_settings(path: str | Path) -> GatewaySettings:
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise SettingsError(f"{path}: cannot read the config file: {err.strerror or err}") from err
    except tomllib.TOMLDecodeError as err:
        raise SettingsError(f"{path}: not valid TOML: {err}") from err
    team_raw = raw.pop("team", {})
    if not isinstance(team_raw, dict):
        raise SettingsError(f"{path}: 'team' must be a table ([team])")
    team = TeamSettings(**_typed(path, "team.", TeamSettings, team_raw))
    top = _typed(path, "", GatewaySettings, raw)
    if not 0 <= top.get("port", 8765) <= 65535:
        raise SettingsError(f"{path}: 'port' must be 0..65535, got {top['port']}")
    if bool(top.get("tls_cert")) != bool(top.get("tls_key")):
        raise SettingsError(f"{path}: 'tls_cert' and 'tls_key' go together; one is missing")
    for name in ("key_cache_s", "policy_poll_s"):
        if getattr(team, name) <= 0:
            raise SettingsError(f"{path}: 'team.{name}' must be more than 0")
    base = path.parent  # relative paths in the file are relative to the file, as systemd units expect
    for name in ("policy", "tls_cert", "tls_key"):
        if top.get(name):
            top[name] = str((base / top[name]).resolve())
    return GatewaySettings(**top, team=team)
