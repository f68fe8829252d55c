"""The endpoint's bearer token: generated once, kept in the key store (the OS keyring), rotated on request.

The token is a secret like a provider key: it lives only in the key store under
``routedesk-endpoint-token`` and is compared in constant time. ``routedesk serve --show-token``
prints it; ``--rotate-token`` replaces it (clients holding the old one get 401 from then on).
"""

from __future__ import annotations

import hmac
import secrets

from console.core.secrets import KeyStore

TOKEN_KEY_NAME = "routedesk-endpoint-token"
TOKEN_BYTES = 32  # 256 bits of randomness; token_urlsafe makes ~43 characters of it


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
