"""The Keys page's rows: which providers the open policies name, and their key status.

The status and the key test are the core's (``console.core.app.keys``); the page runs them off the
GUI thread through the engine bridge (keyring calls may block on an unlock prompt). A provider
named alike by several open policies (or by one policy open in two tabs) is one row: it is one key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from console.core.app.keys import KeyStore, KeyVerification, key_status, status_with_verification
from console.core.policy.schema import Provider, ProviderKind


@dataclass(frozen=True)
class ProviderKeyRow:
    """One line of the Keys page.

    Attributes:
        policy: the policies that name this provider, comma-separated.
        status: presence ("set in keyring", "from env", "missing", "env var not set", "no key needed",
            "bad reference"), followed by the last verification where there is one.
        presence: the presence part alone.
        config: the provider's settings (what a test connects with).
    """

    policy: str
    provider: str
    kind: str
    ref: str | None
    status: str
    presence: str = ""
    config: Provider | None = field(default=None, compare=False, repr=False)

    @property
    def keyring_name(self) -> str | None:
        if self.ref and self.ref.startswith("keyring:"):
            return self.ref.partition(":")[2]
        return None


ProviderEntry = tuple[str, str, Provider]  # (policies, provider name, Provider)


def provider_entries(documents: list[Any]) -> list[ProviderEntry]:
    """(policy names, provider name, Provider) once per distinct provider of the open documents."""
    merged: dict[tuple[str, str], tuple[list[str], Provider]] = {}
    for document in documents:
        policy_name = str(document.get(("name",), "untitled"))
        for name, raw in (document.get(("providers",), {}) or {}).items():
            try:
                provider = Provider.model_validate(raw)
            except Exception:  # noqa: BLE001 - an unfinished provider entry is the editor's problem, not ours
                continue
            key = (str(name), provider.model_dump_json())
            policies, _ = merged.setdefault(key, ([], provider))
            if policy_name not in policies:
                policies.append(policy_name)
    return [(", ".join(policies), name, provider) for (name, _json), (policies, provider) in merged.items()]


def status_rows(entries: list[ProviderEntry], store: KeyStore,
                verified: Mapping[str, KeyVerification] | None = None) -> list[ProviderKeyRow]:
    """Blocking: reads the keyring once per keyring-backed provider."""
    rows = []
    for policy, name, provider in entries:
        kind = provider.kind.value
        ref = provider.key if provider.kind is not ProviderKind.LOCAL_GGUF else None
        presence = key_status(ref, store)
        status = status_with_verification(presence, (verified or {}).get(name) if ref is not None else None)
        rows.append(ProviderKeyRow(policy, name, kind, ref, status, presence, provider))
    return rows
