"""``routedesk team ...``: the team gateway's API keys and published policy, in the team's PostgreSQL.

    routedesk team key-create NAME --team TEAM     prints the key once; only its hash is stored
    routedesk team key-list [--active]
    routedesk team key-revoke ID                   every instance refuses it within the key cache time (2 s)
    routedesk team publish POLICY                  every instance applies it within its poll time (1 s)

The store is ``--store URL`` (PostgreSQL), else ``$ROUTEDESK_TEAM_STORE``, else ``[team] postgres``
of ``--config FILE``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("team", help="API keys and the published policy of a team gateway")
    parser.add_argument("--store", help="the team's PostgreSQL URL (default: $ROUTEDESK_TEAM_STORE or --config's)")
    parser.add_argument("--config", type=Path, metavar="FILE", help="a gateway config file to take the store from")
    actions = parser.add_subparsers(dest="action", required=True)
    create = actions.add_parser("key-create", help="create an API key for a user or service")
    create.add_argument("name", help="who the key is for (user name or service)")
    create.add_argument("--team", required=True, help="the team its requests count against")
    listing = actions.add_parser("key-list", help="list keys (id, name, team, created, revoked)")
    listing.add_argument("--active", action="store_true", help="only keys not revoked")
    revoke = actions.add_parser("key-revoke", help="revoke a key by its id")
    revoke.add_argument("id", help="the key's id (the part after rdk_, as key-list shows)")
    publish = actions.add_parser("publish", help="publish a policy file as the team's new version")
    publish.add_argument("policy", type=Path, help="the policy YAML file")
    parser.set_defaults(func=run)


def _store_url(args: argparse.Namespace) -> str | None:
    if args.store:
        return str(args.store)
    if os.environ.get("ROUTEDESK_TEAM_STORE"):
        return os.environ["ROUTEDESK_TEAM_STORE"]
    if args.config is not None:
        from console.core.team.settings import SettingsError, load_settings

        try:
            found = load_settings(args.config).team.postgres
        except SettingsError as err:
            print(f"error: {err}", file=sys.stderr)
            return None
        if found:
            return found
        print(f"error: {args.config} has no [team] postgres", file=sys.stderr)
        return None
    print("error: say where the team store is: --store URL, $ROUTEDESK_TEAM_STORE or --config FILE", file=sys.stderr)
    return None


def run(args: argparse.Namespace) -> int:
    from console.core.app.team import SharedStateError

    url = _store_url(args)
    if url is None:
        return 2
    try:
        return _act(args, url)
    except SharedStateError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1


def _act(args: argparse.Namespace, url: str) -> int:
    from console.core.app import team

    if args.action == "publish":
        try:
            done = team.publish_policy(url, args.policy, by=os.environ.get("USER", ""))
        except team.PublishRefused as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        print(f"published {done.name} ({done.policy_hash}) as version {done.version}")
        return 0
    if args.action == "key-create":
        try:
            key, plain = team.create_key(url, args.name, args.team)
        except team.KeyInputError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        print(plain)
        print(f"key {key.id} for {key.name} (team {key.team}); shown once, only its hash is stored", file=sys.stderr)
        return 0
    if args.action == "key-list":
        for key in team.list_keys(url, include_revoked=not args.active):
            state = f"revoked {key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "active"
            print(f"{key.id}  {key.name:<24} {key.team:<16} {key.created_at:%Y-%m-%d %H:%M}  {state}")
        return 0
    if team.revoke_key(url, args.id):
        print(f"revoked {args.id}; every gateway refuses it within its key cache time")
        return 0
    print(f"error: no active key with id '{args.id}'", file=sys.stderr)
    return 1
