"""The process's provider pool: every provider instance, every loaded local model, the one key store.

Engines, side-by-side and pilot sessions, key tests and the Local models page all get their
providers here, so a GGUF file is loaded once per process however many of them use it (the
``local`` host), and keys are read from the keyring in one place (``read_key``).

Hosted providers hold an httpx client, which belongs to the event loop it was made on; the window
and the endpoint run different loops, so hosted instances are shared per loop, counted by their
users, and closed on their loop when the last user lets go (``release``). Local models belong to
no loop: their work runs on each model's own worker thread.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from console.core.policy import schema
from console.core.providers.base import ChatProvider
from console.core.providers.local_host import LocalModelHost
from console.core.secrets import KeyStore

if TYPE_CHECKING:  # imported when the first local provider is made, not with the engine
    from console.core.providers.local_gguf import LocalGGUFProvider

ProviderFactory = Callable[[str, object, "str | None"], ChatProvider]


@dataclass
class _Held:
    provider: ChatProvider
    loop: object
    users: int = 0


def _running_loop() -> object:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class ProviderPool:
    """Builds, shares and closes providers; owns the loaded local models.

    Attributes:
        local: every GGUF model loaded in this process (``local.load_count(path)`` counts real loads).
    """

    def __init__(self, key_store: KeyStore | None = None, *, factory: ProviderFactory | None = None) -> None:
        self.local = LocalModelHost()
        self._key_store = key_store
        self._factory = factory
        self._lock = threading.Lock()
        self._hosted: dict[tuple[object, ...], _Held] = {}

    # --- keys -------------------------------------------------------------------------------

    @property
    def key_store(self) -> KeyStore:
        """The store keys are read from: the one given, else the OS keyring (opened on first use)."""
        if self._key_store is None:
            from console.core.secrets import KeyringStore

            self._key_store = KeyringStore()
        return self._key_store

    def read_key(self, ref: str | None) -> str | None:
        """The key a policy reference (``keyring:NAME`` / ``env:VAR``) names; may block on the keyring."""
        from console.core.secrets import resolve_key

        return resolve_key(ref, self.key_store)

    # --- providers --------------------------------------------------------------------------

    def local_provider(self, name: str, config: schema.Provider, *, policy_dir: Path | None = None) -> LocalGGUFProvider:
        """A local-gguf provider whose models load in this pool's one host.

        Each caller gets its own small provider object (it holds that caller's load settings);
        the models behind it are shared.
        """
        from console.core.providers.local_gguf import LocalGGUFProvider

        return LocalGGUFProvider(name, config, policy_dir=policy_dir, host=self.local)

    def hosted_provider(self, name: str, config: schema.Provider, key: str | None) -> ChatProvider:
        """A hosted provider for this loop, shared with every user of the same settings and key.

        Give it back with ``release`` when done with it.
        """
        loop = _running_loop()
        ident = (id(loop), name, config.model_dump_json(), key)
        with self._lock:
            held = self._hosted.get(ident)
            if held is None:
                held = self._hosted[ident] = _Held(self._build(name, config, key), loop)
            held.users += 1
            return held.provider

    def _build(self, name: str, config: schema.Provider, key: str | None) -> ChatProvider:
        if self._factory is not None:
            return self._factory(name, config, key)
        from console.core.providers.registry import build_provider

        return build_provider(name, config, key)

    async def release(self, provider: ChatProvider) -> None:
        """One user is done with ``provider``; the last one closes it (on its own loop)."""
        with self._lock:
            found = [(ident, held) for ident, held in self._hosted.items() if held.provider is provider]
            if not found:
                return  # a local provider: its models stay in the host until unloaded
            ident, held = found[0]
            held.users -= 1
            if held.users > 0:
                return
            del self._hosted[ident]
        await held.provider.aclose()

    def hosted_count(self) -> int:
        with self._lock:
            return len(self._hosted)

    async def aclose(self) -> None:
        """Close every hosted provider made on this loop (others' loops are gone), unload every model."""
        loop = _running_loop()
        with self._lock:
            held, self._hosted = list(self._hosted.values()), {}
        for entry in held:
            if entry.loop is loop:
                await entry.provider.aclose()
        await self.local.aclose()
