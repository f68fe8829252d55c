"""``routedesk keys set|list|delete|test``: manage provider keys in the OS keyring.

With ``--policy FILE`` a PROVIDER is looked up in the policy and its ``key:`` reference decides the
keyring entry (``keyring:NAME``); without one the entry is named after PROVIDER. Values are read
without echo (a hidden prompt on a terminal, or one line from piped stdin) and are never printed.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from typing import Any

from console.core.app.keys import KeyringStore, KeyStore, SecretsError, key_status
from console.core.policy import schema
from console.core.secrets import parse_ref


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("keys", help="store, list, delete and test provider keys in the OS keyring")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    for verb, text in (
        ("set", "store a provider's key (read without echo, or from stdin)"),
        ("list", "show which providers have a key (never the values)"),
        ("delete", "remove a provider's key from the keyring"),
        ("test", "make one cheap authenticated call with the stored key"),
    ):
        sub = verbs.add_parser(verb, help=text)
        sub.add_argument("provider", nargs="?" if verb == "list" else None, metavar="PROVIDER")
        sub.add_argument("--policy", metavar="FILE", help="policy that names the provider and its key reference")
        sub.set_defaults(func=_run, verb=verb)


def _run(args: argparse.Namespace) -> int:
    try:
        policy = _load_policy(args.policy) if args.policy else None
        handler = {"set": _set, "list": _list, "delete": _delete, "test": _test}[args.verb]
        return handler(args, policy, KeyringStore())
    except (SecretsError, _UserError) as exc:
        print(f"routedesk keys: {exc}", file=sys.stderr)
        return 1


class _UserError(Exception):
    """Bad input from the command line; printed as one sentence."""


def _load_policy(path: str) -> schema.Policy:
    from console.core.policy.loader import load_policy

    result = load_policy(path)
    if result.policy is None:
        problems = "\n".join(d.format() for d in result.errors)
        raise _UserError(f"the policy {path} has problems:\n{problems}")
    return result.policy


def _provider(policy: schema.Policy | None, name: str) -> schema.Provider | None:
    if policy is None:
        return None
    if name not in policy.providers:
        known = ", ".join(sorted(policy.providers)) or "none"
        raise _UserError(f"the policy has no provider {name!r} (providers: {known})")
    return policy.providers[name]


def _keyring_name(policy: schema.Policy | None, provider: str) -> str:
    """The keyring entry a provider's key lives in, or a _UserError saying why it has none."""
    config = _provider(policy, provider)
    if config is None:
        return provider
    if config.key is None:
        raise _UserError(f"provider {provider!r} needs no key (its policy entry has no key: reference)")
    scheme, name = parse_ref(config.key)
    if scheme == "env":
        raise _UserError(f"provider {provider!r} reads its key from the environment variable {name}; set it there")
    return name


def _read_secret(provider: str) -> str:
    if sys.stdin.isatty():
        value = getpass.getpass(f"Key for {provider} (input hidden): ")
    else:
        value = sys.stdin.readline()
    value = value.strip()
    if not value:
        raise _UserError("no key was given (empty input); nothing was stored")
    return value


def _set(args: argparse.Namespace, policy: schema.Policy | None, store: KeyStore) -> int:
    name = _keyring_name(policy, args.provider)
    store.names()  # touch the keyring first: an unusable backend fails before the user types a key
    store.set(name, _read_secret(args.provider))
    print(f"stored the key for {args.provider} in the OS keyring as keyring:{name}")
    return 0


def _delete(args: argparse.Namespace, policy: schema.Policy | None, store: KeyStore) -> int:
    name = _keyring_name(policy, args.provider)
    if store.delete(name):
        print(f"deleted keyring:{name}")
        return 0
    print(f"keyring:{name} was not set; nothing to delete")
    return 1


def _list(args: argparse.Namespace, policy: schema.Policy | None, store: KeyStore) -> int:
    rows: list[tuple[str, str, str]] = []
    if policy is None:
        rows = [(name, f"keyring:{name}", "set") for name in store.names() if not args.provider or name == args.provider]
    else:
        for name, config in sorted(policy.providers.items()):
            if args.provider and name != args.provider:
                continue
            rows.append((name, config.key or "-", key_status(config.key, store)))
    if not rows:
        print("no keys stored" if policy is None else "no providers match")
        return 0
    width = max(len(r[0]) for r in rows) + 2
    ref_width = max(len(r[1]) for r in rows) + 2
    print(f"{'PROVIDER':<{width}}{'REF':<{ref_width}}STATUS")
    for provider, ref, status in rows:
        print(f"{provider:<{width}}{ref:<{ref_width}}{status}")
    return 0


def _test(args: argparse.Namespace, policy: schema.Policy | None, store: KeyStore) -> int:
    from console.core.app.keys import KeyTestFailed

    if policy is None:
        raise _UserError("keys test needs --policy FILE to know where the provider lives")
    config = _provider(policy, args.provider)
    assert config is not None
    try:
        passed = asyncio.run(_verify(args.provider, config, store))
    except KeyTestFailed as exc:
        advice = ""
        if exc.missing:
            keyring = (config.key or "").startswith("keyring:")
            advice = (f"; set it with: routedesk keys set {args.provider}" if keyring
                      else f"; set the environment variable {(config.key or '').partition(':')[2]}")
        print(f"routedesk keys: test failed for {exc}{advice}", file=sys.stderr)
        return 1
    print(passed.message)
    return 0


async def _verify(name: str, config: schema.Provider, store: KeyStore) -> Any:
    from console.core.app import Workspace, verify_key

    workspace = Workspace(record=False, key_store=store)
    try:
        return await verify_key(name, config, workspace.providers)
    finally:
        await workspace.aclose()
