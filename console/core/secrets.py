"""Where provider keys live: the OS keyring (service ``routedesk``) or an environment variable.

A policy names a key by reference — ``keyring:NAME`` or ``env:VAR`` — never by value. This module
turns a reference into the key at call time. Rules it keeps:
- keys are stored only in a real OS keyring (Secret Service, Keychain, Credential Locker). A null,
  fail or plaintext-file backend raises ``NoUsableKeyring``; nothing ever falls back to a file;
- no message, repr or exception here contains a key value, only the reference's name;
- keyring has no portable way to enumerate entries, so the store keeps its own index of names in
  one reserved entry of the same keyring (names are not secret).
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any, Callable, Iterable, Protocol, TypeVar

if TYPE_CHECKING:  # keyring itself is imported on first use (``KeyringStore.backend``), not with this module
    from keyring.backend import KeyringBackend

T = TypeVar("T")

SERVICE = "routedesk"
INDEX_USERNAME = "__routedesk_key_names__"  # reserved entry: a JSON list of the stored names

# Backends that look like a keyring but keep nothing, refuse everything, or write plaintext files.
_UNUSABLE_BACKENDS = {
    "keyring.backends.fail.Keyring": "no keyring backend is available",
    "keyring.backends.null.Keyring": "the keyring is disabled (null backend)",
    "keyrings.alt.file.PlaintextKeyring": "the only keyring found stores keys in a plaintext file",
    "keyrings.alt.file.EncryptedKeyring": "the only keyring found is a file-based keyring",
}


class SecretsError(Exception):
    """Base of this module's errors; messages name references, never values."""


class NoUsableKeyring(SecretsError):
    """The system offers no keyring that can hold a key safely."""


class KeyNotFound(SecretsError):
    """A key reference points at nothing (no keyring entry, or an unset variable)."""

    def __init__(self, ref: str, detail: str) -> None:
        super().__init__(f"key {ref} not found: {detail}")
        self.ref = ref
        self.detail = detail


class KeyStore(Protocol):
    """Named secrets. Implementations never log or echo values."""

    def get(self, name: str) -> str | None: ...

    def set(self, name: str, value: str) -> None: ...

    def delete(self, name: str) -> bool: ...

    def names(self) -> list[str]: ...


class MemoryKeyStore:
    """A KeyStore held in a dict, for unit tests and throwaway sessions."""

    def __init__(self, initial: dict[str, str] | None = None) -> None:
        self._values = dict(initial or {})

    def get(self, name: str) -> str | None:
        return self._values.get(name)

    def set(self, name: str, value: str) -> None:
        _check_name(name)
        self._values[name] = value

    def delete(self, name: str) -> bool:
        return self._values.pop(name, None) is not None

    def names(self) -> list[str]:
        return sorted(self._values)

    def __repr__(self) -> str:
        return f"MemoryKeyStore(names={self.names()})"


class KeyringStore:
    """A KeyStore over the OS keyring via the ``keyring`` package (backend checked on first use)."""

    def __init__(self, service: str = SERVICE, backend: Any | None = None) -> None:
        self.service = service
        self._backend: KeyringBackend | None = backend

    @property
    def backend(self) -> KeyringBackend:
        if self._backend is None:
            import keyring

            self._backend = keyring.get_keyring()
        check_backend(self._backend)
        return self._backend

    def get(self, name: str) -> str | None:
        return self._call("read", self.backend.get_password, self.service, name)

    def set(self, name: str, value: str) -> None:
        _check_name(name)
        self._call("store", self.backend.set_password, self.service, name, value)
        names = set(self.names()) | {name}
        self._write_index(names)

    def delete(self, name: str) -> bool:
        from keyring.errors import PasswordDeleteError

        existed = self.get(name) is not None
        if existed:
            try:
                self.backend.delete_password(self.service, name)
            except PasswordDeleteError:
                existed = False
        self._write_index(set(self.names()) - {name})
        return existed

    def names(self) -> list[str]:
        raw = self._call("read", self.backend.get_password, self.service, INDEX_USERNAME)
        try:
            listed = json.loads(raw) if raw else []
        except ValueError:
            listed = []  # a damaged index only loses the listing, never a key
        return sorted(str(n) for n in listed if isinstance(n, str))

    def _write_index(self, names: Iterable[str]) -> None:
        self._call("store", self.backend.set_password, self.service, INDEX_USERNAME, json.dumps(sorted(names)))

    def _call(self, verb: str, function: Callable[..., T], *args: Any) -> T:
        from keyring.errors import KeyringError

        try:
            return function(*args)
        except KeyringError as exc:
            # The exception text comes from the backend, never from the value; still, name only the kind.
            raise SecretsError(f"the keyring could not {verb} a Routedesk key ({type(exc).__name__})") from None

    def __repr__(self) -> str:
        return f"KeyringStore(service={self.service!r})"


def check_backend(backend: Any) -> None:
    """Raise NoUsableKeyring when ``backend`` cannot keep a key safely (including chained ones)."""
    qualified = f"{type(backend).__module__}.{type(backend).__qualname__}"
    if qualified in _UNUSABLE_BACKENDS:
        raise NoUsableKeyring(
            f"Routedesk cannot store keys: {_UNUSABLE_BACKENDS[qualified]} ({qualified}). "
            "Install and unlock a desktop keyring (GNOME Keyring, KWallet, macOS Keychain, Windows "
            "Credential Locker), or name an environment variable in the policy with key: env:VAR."
        )
    for inner in getattr(backend, "backends", ()):  # ChainerBackend: usable when any member is
        try:
            check_backend(inner)
            return
        except NoUsableKeyring:
            continue
    if getattr(backend, "backends", None) is not None:
        raise NoUsableKeyring("Routedesk cannot store keys: every keyring backend found is unusable.")


def _check_name(name: str) -> None:
    if not name or name == INDEX_USERNAME or any(c.isspace() for c in name):
        raise SecretsError(f"{name!r} is not a usable key name (letters, digits, '.', '_', '-')")


def parse_ref(ref: str) -> tuple[str, str]:
    """Split ``keyring:NAME`` / ``env:VAR`` into (scheme, name); raise SecretsError otherwise."""
    scheme, _, name = ref.partition(":")
    if scheme not in ("keyring", "env") or not name:
        raise SecretsError(f"{ref!r} is not a key reference; use keyring:NAME or env:VAR")
    return scheme, name


def resolve_key(ref: str | None, store: KeyStore) -> str | None:
    """The key a reference names, or None when ``ref`` is None (a provider that needs no key).

    Raises KeyNotFound (naming the reference) when the entry or variable is missing or empty.
    """
    if ref is None:
        return None
    scheme, name = parse_ref(ref)
    if scheme == "env":
        value = os.environ.get(name)
        if not value:
            raise KeyNotFound(ref, f"environment variable {name} is not set")
        return value
    value = store.get(name)
    if not value:
        # No front end's advice here (the CLI's "routedesk keys set" means nothing in the window).
        raise KeyNotFound(ref, f"the keyring has no entry {name!r}")
    return value
