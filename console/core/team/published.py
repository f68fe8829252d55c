"""The team's published policy: versions the console publishes, the one every gateway instance runs.

Publishing stores the policy text (comments and all) as a new version, numbered by the database;
only a policy that loads without errors is published. Instances poll ``latest()`` and apply a newer
version as a hot reload (``gateway.team_watch``); each reports the version it runs.
"""

from __future__ import annotations

from dataclasses import dataclass

from console.core.team.pg_table import TeamTable

TABLE = "routedesk_published_policy"

_CREATE = f"""CREATE TABLE IF NOT EXISTS {TABLE} (
    version bigserial PRIMARY KEY,
    name text NOT NULL,
    policy_hash text NOT NULL,
    body text NOT NULL,
    published_by text NOT NULL DEFAULT '',
    published_at timestamptz NOT NULL DEFAULT now())"""


class PublishRefused(ValueError):
    """The policy has errors; ``diagnostics`` are the located problems."""

    def __init__(self, diagnostics: list[str]) -> None:
        super().__init__("the policy has errors and was not published:\n  " + "\n  ".join(diagnostics))
        self.diagnostics = diagnostics


@dataclass(frozen=True)
class PublishedPolicy:
    version: int
    name: str
    policy_hash: str
    body: str
    published_by: str = ""


class PolicyPublisher(TeamTable):
    """Publish and read policy versions in one PostgreSQL database."""

    def __init__(self, url: str) -> None:
        super().__init__(url, _CREATE, "published policy")

    def publish(self, text: str, *, filename: str = "<policy>", by: str = "") -> PublishedPolicy:
        from console.core.policy.loader import load_policy_text
        from console.core.policy.save import policy_hash

        loaded = load_policy_text(text, filename)
        if loaded.policy is None or loaded.errors:
            raise PublishRefused([d.format() for d in loaded.errors] or ["the policy could not be loaded"])
        digest = policy_hash(loaded.policy)
        rows = self._run("publish", f"INSERT INTO {TABLE} (name, policy_hash, body, published_by) "
                         "VALUES (%s, %s, %s, %s) RETURNING version", (loaded.policy.name, digest, text, by))
        return PublishedPolicy(int(rows[0][0]), loaded.policy.name, digest, text, by)

    def latest(self, *, newer_than: int = 0) -> PublishedPolicy | None:
        rows = self._run("read the latest version", f"SELECT version, name, policy_hash, body, published_by "
                         f"FROM {TABLE} WHERE version > %s ORDER BY version DESC LIMIT 1", (newer_than,))
        return PublishedPolicy(int(rows[0][0]), *rows[0][1:]) if rows else None

