"""Key status of providers, computed off the GUI thread (keyring calls may block on an unlock prompt).

Plain functions over the core's secrets module; the page runs them through the engine bridge.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from console.core.policy.schema import Provider, ProviderKind
from console.core.secrets import KeyNotFound, KeyStore, NoUsableKeyring, SecretsError, parse_ref, resolve_key


@dataclass(frozen=True)
class ProviderKeyRow:
    """One line of the Keys page."""

    policy: str
    provider: str
    kind: str
    ref: str | None
    status: str  # "set in keyring" | "from env" | "missing" | "env var not set" | "no key needed" | "bad reference"

    @property
    def keyring_name(self) -> str | None:
        if self.ref and self.ref.startswith("keyring:"):
            return self.ref.partition(":")[2]
        return None


def provider_entries(documents: list[Any]) -> list[tuple[str, str, Provider]]:
    """(policy name, provider name, Provider) for every valid provider entry of the open documents."""
    entries = []
    for document in documents:
        policy_name = str(document.get(("name",), "untitled"))
        for name, raw in (document.get(("providers",), {}) or {}).items():
            try:
                entries.append((policy_name, str(name), Provider.model_validate(raw)))
            except Exception:  # noqa: BLE001 - an unfinished provider entry is the editor's problem, not ours
                continue
    return entries


def key_status(ref: str | None, store: KeyStore) -> str:
    if ref is None:
        return "no key needed"
    try:
        scheme, _ = parse_ref(ref)
        resolve_key(ref, store)
    except KeyNotFound:
        return "env var not set" if ref.startswith("env:") else "missing"
    except NoUsableKeyring:
        raise
    except SecretsError:
        return "bad reference"
    return "from env" if scheme == "env" else "set in keyring"


def status_rows(entries: list[tuple[str, str, Provider]], store: KeyStore) -> list[ProviderKeyRow]:
    """Blocking: reads the keyring once per keyring-backed provider."""
    rows = []
    for policy, name, provider in entries:
        kind = provider.kind.value
        ref = provider.key if provider.kind is not ProviderKind.LOCAL_GGUF else None
        rows.append(ProviderKeyRow(policy, name, kind, ref, key_status(ref, store)))
    return rows


async def test_connection(name: str, provider: Provider, store: KeyStore) -> str:
    """List the provider's models with its key: a cheap call that proves the key and the URL work."""
    from console.core.providers.base import ProviderError
    from console.core.providers.registry import build_provider

    if provider.kind is ProviderKind.LOCAL_GGUF:
        return f"{name} is a local model provider; it needs no key."
    key = await asyncio.get_running_loop().run_in_executor(None, resolve_key, provider.key, store)
    built = build_provider(name, provider, key)
    try:
        lister = getattr(built, "list_models", None)
        if lister is None:
            return f"{name} ({provider.kind.value}) has no cheap test call; send a request from Try it instead."
        models = list(await lister())
    except ProviderError as error:
        raise RuntimeError(f"{name}: {error.message}") from None
    finally:
        await built.aclose()
    return f"{name}: the key works ({len(models)} models listed)."
