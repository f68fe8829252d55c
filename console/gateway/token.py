"""The endpoint's bearer token: generated once, kept in the key store (the OS keyring), rotated on request.

The token is a secret like a provider key: it lives only in the key store under
``routedesk-endpoint-token`` and is compared in constant time. ``routedesk serve --show-token``
prints it; ``--rotate-token`` replaces it (clients holding the old one get 401 from then on).

Machines with no desktop keyring session (a service, a container) give the token instead in a file
(``--token-file``, e.g. a systemd credential) or an environment variable (``--token-env``); the
keyring stays the default. Such a token must be at least ``MIN_TOKEN_CHARS`` long, and a file
that other users can read is refused, as ssh refuses such a key.
"""

from __future__ import annotations

import hmac
import os
import secrets
import stat
from pathlib import Path

from console.core.secrets import KeyStore

TOKEN_KEY_NAME = "routedesk-endpoint-token"
TOKEN_BYTES = 32  # 256 bits of randomness; token_urlsafe makes ~43 characters of it


MIN_TOKEN_CHARS = 16


class TokenSourceError(ValueError):
    """A token file or variable that cannot serve; the message says which and why."""


def _checked(token: str, where: str) -> str:
    token = token.strip()
    if not token:
        raise TokenSourceError(f"{where} is empty")
    if len(token) < MIN_TOKEN_CHARS or any(c.isspace() for c in token):
        raise TokenSourceError(f"{where} must hold one token of at least {MIN_TOKEN_CHARS} characters and no spaces")
    return token


def token_from_file(path: str | Path) -> str:
    """The token in file ``path`` (surrounding whitespace and a final newline ignored)."""
    path = Path(path)
    try:
        mode = path.stat().st_mode
        if os.name == "posix" and mode & (stat.S_IROTH | stat.S_IWOTH):
            raise TokenSourceError(f"token file {path} can be read or written by other users; chmod o-rw it")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TokenSourceError(f"token file {path} does not exist") from None
    except PermissionError:
        raise TokenSourceError(f"token file {path} cannot be read (permission denied)") from None
    except IsADirectoryError:
        raise TokenSourceError(f"token file {path} is a directory") from None
    except UnicodeDecodeError:
        raise TokenSourceError(f"token file {path} is not UTF-8 text") from None
    return _checked(text, f"token file {path}")


def token_from_env(name: str, environ: dict[str, str] | None = None) -> str:
    """The token in environment variable ``name``."""
    value = (os.environ if environ is None else environ).get(name)
    if value is None:
        raise TokenSourceError(f"environment variable {name} is not set")
    return _checked(value, f"environment variable {name}")


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def get_or_create_token(store: KeyStore) -> str:
    """The stored token, creating and storing one the first time."""
    token = store.get(TOKEN_KEY_NAME)
    if not token:
        token = new_token()
        store.set(TOKEN_KEY_NAME, token)
    return token


def rotate_token(store: KeyStore) -> str:
    """Store and return a fresh token; the old one stops working."""
    token = new_token()
    store.set(TOKEN_KEY_NAME, token)
    return token


def bearer_matches(header_value: bytes | None, token: bytes) -> bool:
    """Whether an ``Authorization`` header value carries ``token`` (constant-time compare)."""
    if header_value is None:
        return False
    scheme, _, presented = header_value.partition(b" ")
    if scheme.lower() != b"bearer":
        return False
    # compare_digest's time does not depend on where the bytes differ, only on the lengths.
    return hmac.compare_digest(presented.strip(), token)
