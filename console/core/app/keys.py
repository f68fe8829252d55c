"""Provider keys: where a provider's key lives, whether it is there, and whether it works.

The one place keys are checked and tested, for ``routedesk keys`` and the window's Keys page.
Everything here may block on the keyring (an unlock prompt): the window calls it off the GUI
thread. Values are never returned or put in a message, only the reference's name.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from console.core.key_presence import missing_keys
from console.core.policy.schema import Provider, ProviderKind
from console.core.secrets import (
    KeyNotFound, KeyringStore, KeyStore, MemoryKeyStore, NoUsableKeyring, SecretsError, parse_ref,
)

if TYPE_CHECKING:
    from console.core.providers.pool import ProviderPool

__all__ = [
    "KeyCheck", "KeyNotFound", "KeyStore", "KeyTestFailed", "KeyringStore", "KeyVerification", "MemoryKeyStore",
    "NoUsableKeyring", "SecretsError", "key_problem", "key_status", "missing_keys", "status_with_verification",
    "verify_key",
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


def key_problem(err: SecretsError) -> str:
    """Why a key could not be read, as a sentence fragment without advice for any one front end
    ("the keyring has no entry 'openai'"; the CLI adds its command, the window its button)."""
    if isinstance(err, KeyNotFound):
        return err.detail
    return str(err)


class KeyTestFailed(Exception):
    """The test call failed; ``str()`` is "PROVIDER: why" (never the key).

    Attributes:
        provider: the provider's name in the policy.
        reason: why, without the provider's name (a front end that shows the name already uses this).
        rejected: the provider refused the key itself (outcome ``auth``).
        missing: there was no key to test (no keyring entry, or an unset variable).
    """

    def __init__(self, provider: str, reason: str, *, rejected: bool = False, missing: bool = False) -> None:
        super().__init__(f"{provider}: {reason}")
        self.provider, self.reason = provider, reason
        self.rejected, self.missing = rejected, missing


@dataclass(frozen=True)
class KeyVerification:
    """The last test of one provider's key: when, whether it passed, and what was said."""

    provider: str
    at: float  # epoch seconds
    passed: bool
    sentence: str  # KeyCheck.message, or KeyTestFailed.reason
    rejected: bool = False

    @classmethod
    def of(cls, provider: str, outcome: "KeyCheck | KeyTestFailed", at: float | None = None) -> "KeyVerification":
        at = time.time() if at is None else at
        if isinstance(outcome, KeyTestFailed):
            return cls(provider, at, False, outcome.reason, outcome.rejected)
        return cls(provider, at, True, outcome.message)


def status_with_verification(status: str, verification: "KeyVerification | None") -> str:
    """The Status the key lists show: presence, then the last test's result and when.

    A key the provider refused is not "set in keyring" any more as far as the operator cares:
    the refusal leads."""
    if verification is None:
        return status if status in (NO_KEY_NEEDED, MISSING, ENV_NOT_SET, BAD_REFERENCE) else f"{status} · not verified"
    when = datetime.fromtimestamp(verification.at).strftime("%H:%M")
    if verification.passed:
        return f"{status} · verified {when}: works"
    if verification.rejected:
        return f"rejected by the provider (last verified {when})"
    return f"{status} · last verified {when}: failed"


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
    except KeyNotFound as err:
        raise KeyTestFailed(name, f"no key to test: {key_problem(err)}", missing=True) from None
    except SecretsError as err:
        raise KeyTestFailed(name, key_problem(err)) from None
    provider = pool.hosted_provider(name, config, key)
    try:
        lister = getattr(provider, "list_models", None)
        if lister is None:
            raise KeyTestFailed(name, f"a {config.kind.value} provider has no cheap test call; "
                                      "send one request to it instead")
        models = list(await lister())
    except ProviderError as err:
        rejected = err.outcome is Outcome.AUTH
        said = err.message.removeprefix(f"{name}: ")  # the provider's errors lead with its name; so does ours
        reason = f"the provider rejected the key ({said})" if rejected else said
        raise KeyTestFailed(name, reason, rejected=rejected) from None
    finally:
        await pool.release(provider)
    return KeyCheck(name, len(models))
