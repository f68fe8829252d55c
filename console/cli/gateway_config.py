"""``routedesk serve --config FILE``: the config file's settings onto the command's arguments, and the team part.

The file fills in what the command line left at its default (the command line wins). Binding an
address off loopback is then allowed (the file is the operator's explicit choice) but still needs
TLS, or ``insecure_http`` for a gateway that sits behind a TLS-terminating proxy.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from console.core.team.settings import GatewaySettings, SettingsError, load_settings

if TYPE_CHECKING:
    from console.core.engine import Engine
    from console.core.workspace import Workspace
    from console.gateway.team import TeamGateway


def apply_config(args: argparse.Namespace, defaults: dict[str, object]) -> GatewaySettings | None:
    """Load ``args.config`` into ``args``; None (after printing why) when the file cannot be used."""
    try:
        settings = load_settings(args.config)
    except SettingsError as err:
        print(f"error: {err}", file=sys.stderr)
        return None
    for name, value in (("policy", Path(settings.policy) if settings.policy else None), ("host", settings.host),
                        ("port", settings.port), ("db", settings.log), ("tls_cert", settings.tls_cert),
                        ("tls_key", settings.tls_key), ("instance", settings.instance)):
        if value is not None and getattr(args, name) == defaults.get(name):
            setattr(args, name, value)
    args.insecure_http = args.insecure_http or settings.insecure_http
    args.allow_remote = True
    return settings


def log_to_stdout() -> None:
    """A service's log: one line per event on stdout, for journald or the container runtime."""
    logging.basicConfig(stream=sys.stdout, level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True)


def open_team(settings: GatewaySettings, instance: str, engine: "Engine", workspace: "Workspace") -> "TeamGateway | None":
    """Connect to the team store and attach ``engine``; None (after printing why) when it cannot."""
    from console.core.budget.reservations import SharedStateError
    from console.gateway.team import TeamGateway

    try:
        team = TeamGateway.open(settings.team, instance)
        team.on_policy = lambda line: print(line, flush=True)
        team.attach(engine, workspace.spend_so_far)
        published = team.latest_published()
    except SharedStateError as err:
        print(f"error: the team store: {err}", file=sys.stderr)
        return None
    if published is not None:
        import asyncio

        team.policy_version = published.version - 1
        asyncio.run(team.check_published(engine))
    return team
