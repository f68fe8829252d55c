"""API keys for the team gateway: one per user or service, each with a team, stored hashed in PostgreSQL.

A key reads ``rdk_<id>_<secret>``: ``id`` names it in listings and revocations, ``secret`` is 32
random bytes. Only the SHA-256 of the whole key is stored. A slow password hash (bcrypt, argon2)
protects low-entropy passwords from guessing; a 256-bit random secret cannot be guessed, so one
fast hash is enough and keeps the check off the request's critical path (OWASP Password Storage
Cheat Sheet, "hashing high-entropy secrets"). The plain key is shown once, when created.

The team a key carries is what its requests' budgets and the dashboards scope by: a client cannot
claim another team in its request metadata.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from console.core.team.pg_table import TeamTable

TABLE = "routedesk_api_keys"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")

_CREATE = f"""CREATE TABLE IF NOT EXISTS {TABLE} (
    id text PRIMARY KEY,
    name text NOT NULL,
    team text NOT NULL,
    digest bytea NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz)"""


class KeyInputError(ValueError):
    """A name or team that cannot be used (the message says which and why)."""


@dataclass(frozen=True)
class ApiKey:
    id: str
    name: str
    team: str
    created_at: datetime | None = None
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def digest(presented: str | bytes) -> bytes:
    raw = presented.encode() if isinstance(presented, str) else presented
    return hashlib.sha256(raw).digest()


def _checked(label: str, value: str) -> str:
    if not _NAME.match(value):
        raise KeyInputError(f"{label} '{value}' must be 1-64 letters, digits, '.', '_', '@' or '-', "
                            "starting with a letter or digit")
    return value


class ApiKeyStore(TeamTable):
    """Create, list, revoke and check keys in one PostgreSQL database."""

    def __init__(self, url: str) -> None:
        super().__init__(url, _CREATE, "API keys")

    def create(self, name: str, team: str) -> tuple[ApiKey, str]:
        """A new key for ``name`` in ``team``: the record and the plain key (shown once)."""
        _checked("name", name)
        _checked("team", team)
        key_id = secrets.token_hex(4)
        plain = f"rdk_{key_id}_{secrets.token_urlsafe(32)}"
        rows = self._run("create a key", f"INSERT INTO {TABLE} (id, name, team, digest) VALUES (%s, %s, %s, %s) "
                         "RETURNING created_at", (key_id, name, team, digest(plain)))
        return ApiKey(key_id, name, team, rows[0][0]), plain

    def list(self, *, include_revoked: bool = True) -> list[ApiKey]:
        where = "" if include_revoked else " WHERE revoked_at IS NULL"
        rows = self._run("list keys", f"SELECT id, name, team, created_at, revoked_at FROM {TABLE}{where} "
                         "ORDER BY created_at, id")
        return [ApiKey(*row) for row in rows]

    def revoke(self, key_id: str) -> bool:
        """Revoke by id; False when no active key has that id."""
        rows = self._run("revoke a key", f"UPDATE {TABLE} SET revoked_at = now() WHERE id = %s "
                         "AND revoked_at IS NULL RETURNING id", (key_id,))
        return bool(rows)

    def check(self, presented: str | bytes) -> ApiKey | None:
        """The active key ``presented`` is, or None (unknown or revoked)."""
        return self.check_digest(digest(presented))

    def check_digest(self, key_digest: bytes) -> ApiKey | None:
        rows = self._run("check a key", f"SELECT id, name, team, created_at, revoked_at FROM {TABLE} "
                         "WHERE digest = %s AND revoked_at IS NULL", (key_digest,))
        return ApiKey(*rows[0]) if rows else None

