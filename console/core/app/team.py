"""Team gateway use cases: the team's API keys and its published policy, for the CLI and the window alike.

Each call opens the team store (PostgreSQL), does one thing and closes it: the window and the CLI
call these rarely and from a worker, so no connection is kept. ``SharedStateError`` says which
store and why when it cannot be reached; ``KeyInputError`` and ``PublishRefused`` say what was wrong.
"""

from __future__ import annotations

from pathlib import Path

from console.core.budget.reservations import SharedStateError
from console.core.team.api_keys import ApiKey, ApiKeyStore, KeyInputError
from console.core.team.published import PolicyPublisher, PublishedPolicy, PublishRefused

__all__ = ["ApiKey", "KeyInputError", "PublishRefused", "PublishedPolicy", "SharedStateError", "create_key",
           "list_keys", "publish_policy", "published_version", "revoke_key"]


def list_keys(store_url: str, *, include_revoked: bool = True) -> list[ApiKey]:
    keys = ApiKeyStore(store_url)
    try:
        return keys.list(include_revoked=include_revoked)
    finally:
        keys.close()


def create_key(store_url: str, name: str, team: str) -> tuple[ApiKey, str]:
    """A new key: its record and the plain key, which is shown once and stored only as a hash."""
    keys = ApiKeyStore(store_url)
    try:
        return keys.create(name, team)
    finally:
        keys.close()


def revoke_key(store_url: str, key_id: str) -> bool:
    """Revoke by id; False when no active key has it. Every gateway refuses it within its key cache time."""
    keys = ApiKeyStore(store_url)
    try:
        return keys.revoke(key_id)
    finally:
        keys.close()


def publish_policy(store_url: str, path: str | Path, *, by: str = "") -> PublishedPolicy:
    """Publish the policy file at ``path`` as the team's next version (refused when it has errors)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise PublishRefused([f"{path}: cannot read the file: {err.strerror or err}"]) from None
    publisher = PolicyPublisher(store_url)
    try:
        return publisher.publish(text, filename=str(path), by=by)
    finally:
        publisher.close()


def published_version(store_url: str) -> PublishedPolicy | None:
    publisher = PolicyPublisher(store_url)
    try:
        return publisher.latest()
    finally:
        publisher.close()
