"""Provider keys: where a provider's key lives, whether it is there, and whether it works.

The one place keys are checked and tested, for ``routedesk keys`` and the window's Keys page.
Everything here may block on the keyring (an unlock prompt): the window calls it off the GUI
thread. Values are never returned or put in a message, only the reference's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from console.core.key_presence import missing_keys
from console.core.policy.schema import Provider, ProviderKind
from console.core.secrets import (
    KeyNotFound, KeyringStore, KeyStore, MemoryKeyStore, NoUsableKeyring, SecretsError, parse_ref,
)

if TYPE_CHECKING:
    from console.core.providers.pool import ProviderPool

__all__ = [
    "KeyCheck", "KeyNotFound", "KeyStore", "KeyTestFailed", "KeyringStore", "MemoryKeyStore", "NoUsableKeyring",
    "SecretsError", "key_status", "missing_keys", "verify_key",
]

#: key_status() answers, in the words both front ends show
NO_KEY_NEEDED, SET, FROM_ENV, MISSING, ENV_NOT_SET, BAD_REFERENCE = (
    "no key needed", "set in keyring", "from env", "missing", "env var not set", "bad reference")


def key_status(ref: str | None, store: KeyStore) -> str:
    """Whether the key a provider names is there; NoUsableKeyring propagates (the caller says so once)."""
    from console.core.secrets import resolve_key

    if ref is None:
        return NO_KEY_NEEDED
    try:
        scheme, _ = parse_ref(ref)
        resolve_key(ref, store)
    except KeyNotFound:
        return ENV_NOT_SET if ref.startswith("env:") else MISSING
    except NoUsableKeyring:
        raise
    except SecretsError:
        return BAD_REFERENCE
    return FROM_ENV if scheme == "env" else SET


class KeyTestFailed(Exception):
    """The test call failed; the message says which provider and why (never the key).

    Attributes:
        rejected: the provider refused the key itself (outcome ``auth``).
    """

    def __init__(self, message: str, *, rejected: bool = False) -> None:
        super().__init__(message)
        self.rejected = rejected


@dataclass(frozen=True)
class KeyCheck:
    """A passed key test."""

    provider: str
    models_listed: int | None  # None: a local provider, nothing to test

    @property
    def message(self) -> str:
        if self.models_listed is None:
            return f"{self.provider} is a local model provider; it needs no key."
        return f"{self.provider}: the key works ({self.models_listed} models listed)."


async def verify_key(name: str, config: Provider, pool: "ProviderPool") -> KeyCheck:
    """List the provider's models with its key: a cheap call that proves the key and the URL work.

    The key is read through the pool (the one place keys are read); raise KeyTestFailed.
    """
    import asyncio

    from console.core.outcomes import Outcome
    from console.core.providers.base import ProviderError

    if config.kind is ProviderKind.LOCAL_GGUF:
        return KeyCheck(name, None)
    try:
        key = await asyncio.get_running_loop().run_in_executor(None, pool.read_key, config.key)
    except SecretsError as err:
        raise KeyTestFailed(f"{name}: {err}") from None
    provider = pool.hosted_provider(name, config, key)
    try:
        lister = getattr(provider, "list_models", None)
        if lister is None:
            raise KeyTestFailed(f"{name} ({config.kind.value}) has no cheap test call; send a request from Try it instead")
        models = list(await lister())
    except ProviderError as err:
        rejected = err.outcome is Outcome.AUTH
        hint = " (the provider rejected the key)" if rejected else ""
        raise KeyTestFailed(f"{name}: {err.message}{hint}", rejected=rejected) from None
    finally:
        await pool.release(provider)
    return KeyCheck(name, len(models))
