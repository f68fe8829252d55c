"""``routedesk serve``: the local OpenAI-compatible endpoint over the policy, until Ctrl-C.

Binds 127.0.0.1 by default; any other address needs ``--allow-remote`` and prints a warning.
Clients send ``Authorization: Bearer <token>``; the token lives in the keyring
(``routedesk serve --show-token`` prints it, ``--rotate-token`` replaces it), or, on a machine with
no keyring session, in a file (``--token-file``) or an environment variable (``--token-env``). The policy file is
watched: a valid save applies to new requests, an invalid one is refused and printed.

As a team gateway (``--config FILE`` with a ``[team]`` table, see ``core.team.settings``) it runs
headless, logs to stdout, takes per-user API keys instead of the token, shares budgets and circuit
state with the other instances and runs the policy version the team published. Off loopback, it
serves HTTPS (``--tls-cert``/``--tls-key``) unless ``--insecure-http`` says a TLS proxy is in front.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from console.cli.policy_args import add_policy_argument, load_policy_arg

DEFAULT_PORT = 8765


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("serve", help="run the local OpenAI-compatible endpoint that routes by the policy")
    add_policy_argument(parser)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1, loopback only)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 picks a free one)")
    parser.add_argument("--allow-remote", action="store_true", help="allow binding an address other than loopback")
    parser.add_argument("--config", type=Path, metavar="FILE", help="gateway config file (TOML): run as a headless "
                        "team gateway; the command line wins over the file")
    parser.add_argument("--tls-cert", metavar="PEM", help="serve HTTPS with this certificate (with --tls-key)")
    parser.add_argument("--tls-key", metavar="PEM", help="the certificate's private key")
    parser.add_argument("--insecure-http", action="store_true", help="serve plain HTTP off loopback: only behind a "
                        "TLS-terminating proxy on the same host or a private network")
    parser.add_argument("--instance", help="this gateway's name in /healthz and circuit signals (default: host name)")
    parser.add_argument("--db", help="routing log URL (default: the log in the user's data directory)")
    parser.add_argument("--no-log", action="store_true", help="do not write the routing log")
    parser.add_argument("--stream-failover", choices=("continue", "error", "restart"), default="continue",
                        help="when a streamed answer breaks after text was sent: the next model that takes a prefill "
                             "continues it (default), end with an error event, or restart on the next model with a "
                             "marked notice")
    parser.add_argument("--watch-interval", type=float, default=1.0, metavar="S", help="seconds between policy file checks")
    parser.add_argument("--show-token", action="store_true", help="print the endpoint's bearer token and exit")
    parser.add_argument("--rotate-token", action="store_true", help="replace the bearer token, print the new one and exit")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--token-file", metavar="FILE", help="read the bearer token from FILE instead of the keyring "
                        "(for services with no keyring session; the file must not be readable by other users)")
    source.add_argument("--token-env", metavar="VAR", help="read the bearer token from environment variable VAR "
                        "instead of the keyring")
    parser.set_defaults(func=run)


def _token(args: argparse.Namespace) -> str | None:
    from console.core.secrets import KeyringStore, SecretsError
    from console.gateway.token import TokenSourceError, get_or_create_token, rotate_token, token_from_env, token_from_file

    if args.token_file or args.token_env:
        try:
            return token_from_file(args.token_file) if args.token_file else token_from_env(args.token_env)
        except TokenSourceError as err:
            print(f"error: {err}", file=sys.stderr)
            return None
    try:
        store = KeyringStore()
        return rotate_token(store) if args.rotate_token else get_or_create_token(store)
    except SecretsError as err:
        print(f"error: {err}", file=sys.stderr)
        return None


def run(args: argparse.Namespace) -> int:
    from console.gateway.server import is_loopback

    settings = None
    if args.config is not None:
        from console.cli.gateway_config import apply_config, log_to_stdout

        settings = apply_config(args, {"policy": None, "host": "127.0.0.1", "port": DEFAULT_PORT})
        if settings is None:
            return 2
        log_to_stdout()
    if not is_loopback(args.host) and not args.allow_remote:
        print(f"error: {args.host} is not a loopback address; add --allow-remote to serve other machines", file=sys.stderr)
        return 2
    if bool(args.tls_cert) != bool(args.tls_key):
        print("error: --tls-cert and --tls-key go together", file=sys.stderr)
        return 2
    if not is_loopback(args.host) and not args.tls_cert and not args.insecure_http:
        print(f"error: plain HTTP on {args.host} would send API keys and prompts in clear; give --tls-cert and "
              "--tls-key (tls_cert/tls_key in the config), or --insecure-http when a TLS-terminating proxy is in "
              "front", file=sys.stderr)
        return 2
    team_keys = settings is not None and settings.team.postgres is not None
    if not 0 <= args.port <= 65535:
        print(f"error: --port must be 0..65535, got {args.port}", file=sys.stderr)
        return 2
    if args.watch_interval <= 0:
        print("error: --watch-interval must be more than 0", file=sys.stderr)
        return 2
    if (args.token_file or args.token_env) and (args.show_token or args.rotate_token):
        print("error: --show-token and --rotate-token act on the keyring's token; with --token-file or "
              "--token-env the token is yours to read or replace", file=sys.stderr)
        return 2
    token = "" if team_keys and not (args.show_token or args.rotate_token) else _token(args)
    if token is None:
        return 1
    if args.show_token or args.rotate_token:
        print(token)
        return 0
    loaded = load_policy_arg(args.policy)
    if loaded is None:
        return 1
    return _serve(args, *loaded, token=token, settings=settings)


def _serve(args: argparse.Namespace, policy, path, *, token: str, settings=None) -> int:
    from console.core.heap import settle
    from console.core.workspace import Workspace
    from console.gateway.app import create_app
    from console.gateway.server import bind_socket, is_loopback, make_server
    from console.gateway.state import GatewayState
    from console.gateway.token import TOKEN_KEY_NAME

    try:
        sock = bind_socket(args.host, args.port)
    except OSError as err:
        print(f"error: cannot listen on {args.host}:{args.port}: {err.strerror or err}", file=sys.stderr)
        return 1
    from console.cli.log_alarm import show_log_alarms

    workspace = Workspace(args.db, record=not args.no_log)
    if not show_log_alarms(workspace):  # disk full, a damaged log: the alarm and its end, on stderr
        sock.close()
        return 2
    state = GatewayState.open(
        policy, path, token=token, workspace=workspace,
        watch_interval_s=args.watch_interval, stream_failover=args.stream_failover,
        on_policy_status=lambda status: print(status.summary(), file=sys.stderr, flush=True),
    )
    if settings is not None and (settings.team.postgres or settings.team.redis):
        import socket

        from console.cli.gateway_config import open_team

        state.team = open_team(settings, args.instance or socket.gethostname(), state.engine, workspace)
        if state.team is None:
            sock.close()
            import asyncio

            asyncio.run(workspace.aclose())
            return 1
        if state.team.publisher is not None:
            state.watcher = None  # the team's published version rules; the file was only the start
    host, port = sock.getsockname()[:2]
    scheme = "https" if args.tls_cert else "http"
    url = f"{scheme}://{'[' + host + ']' if ':' in host else host}:{port}/v1"
    if not is_loopback(args.host):
        print(f"WARNING: serving on {host}, reachable from other machines; anyone with the token can spend "
              "your providers' budgets", file=sys.stderr)
    print(f"Routedesk endpoint: {url}", flush=True)
    engine = state.engine
    print(f"policy: {path} ({engine.policy.name}, {engine.policy_hash})"
          + ("; saved changes apply without a restart" if state.watcher is not None else ""))
    if state.team is not None:
        print(f"team gateway '{state.team.instance}': budgets and circuit signals shared via "
              f"{'Redis' if settings.team.redis else 'PostgreSQL'}"
              + (", API keys and the published policy in PostgreSQL" if state.team.publisher else ""))
        if state.team.policy_version is not None:
            print(f"policy: published version {state.team.policy_version}")
    if state.team is not None and state.team.keys is not None:
        print("auth: per-user API keys (`routedesk team key-create`)")
    elif args.token_file or args.token_env:
        print("token: from " + (f"the file {args.token_file}" if args.token_file else f"${args.token_env}"))
    else:
        print(f"token: in the keyring as '{TOKEN_KEY_NAME}'; print it with `routedesk serve --show-token`")
        print(f"  OPENAI_BASE_URL={url} OPENAI_API_KEY=$(routedesk serve --show-token)  model: auto, a task or a model alias")
    print("log: " + ("off (--no-log)" if args.no_log else args.db or "the routing log in the data directory"))
    print("Ctrl-C stops.", flush=True)
    server = make_server(create_app(state), sock, tls=(args.tls_cert, args.tls_key) if args.tls_cert else None)
    settle()  # the start-up heap out of the collector's sight: no 100 ms full-GC stalls mid-request
    try:
        server.run(sockets=[sock])  # uvicorn handles Ctrl-C: finishes requests, runs the lifespan's close
    except KeyboardInterrupt:
        pass  # uvicorn re-raises the Ctrl-C it handled once it has shut down; that is the normal way out
    finally:
        sock.close()
    print(f"stopped; {state.refusals.count} request(s) refused for a missing or wrong token", file=sys.stderr)
    return 0
