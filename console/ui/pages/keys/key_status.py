"""The Keys page's rows: which providers the open policies name, and their key status.

The status and the key test are the core's (``console.core.app.keys``); the page runs them off the
GUI thread through the engine bridge (keyring calls may block on an unlock prompt).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from console.core.app.keys import KeyStore, key_status
from console.core.policy.schema import Provider, ProviderKind


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


def status_rows(entries: list[tuple[str, str, Provider]], store: KeyStore) -> list[ProviderKeyRow]:
    """Blocking: reads the keyring once per keyring-backed provider."""
    rows = []
    for policy, name, provider in entries:
        kind = provider.kind.value
        ref = provider.key if provider.kind is not ProviderKind.LOCAL_GGUF else None
        rows.append(ProviderKeyRow(policy, name, kind, ref, key_status(ref, store)))
    return rows
