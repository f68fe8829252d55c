"""Every saved version of each policy, kept in ``<data_dir>/policy-versions/<policy name>/``.

A save (``save.save_text``) hands its text here once the file is safely replaced. Each version is
the exact text saved (comments and all, so restoring one gives back the file the user had), named
by when it was saved; ``index.jsonl`` beside them says when, from which file, and the policy's
``policy_hash`` (its identity in the routing log, where ``policy_change`` says when traffic first
ran under it). Saving the same text twice keeps one version. Keeping a version never fails the
save itself: the policy file on disk is what matters, and a history that cannot be written
(read-only data directory) is reported by ``keep_version`` returning None.
"""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass
from pathlib import Path

from console.core.policy.loader import text_hash

FOLDER = "policy-versions"
INDEX = "index.jsonl"


@dataclass(frozen=True)
class PolicyVersion:
    """One saved version: ``file`` holds its text."""

    policy_name: str
    saved_at: datetime.datetime  # UTC
    file: Path
    text_hash: str
    policy_hash: str  # the hash the routing log records for requests under this version
    saved_to: str  # the policy file it was saved as

    def text(self) -> str:
        return self.file.read_text(encoding="utf-8")


def versions_root() -> Path:
    from console.core import paths

    return paths.data_dir() / FOLDER


def _folder(policy_name: str, root: Path | None = None) -> Path:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", policy_name).strip("._") or "policy"
    return (root or versions_root()) / safe


def keep_version(text: str, saved_to: Path, *, root: Path | None = None,
                 now: datetime.datetime | None = None) -> PolicyVersion | None:
    """Record ``text`` (just saved to ``saved_to``) as a version; None when it is not a valid policy,
    is the same as the newest version, or the history cannot be written."""
    from console.core.policy.loader import load_policy_text
    from console.core.policy.save import policy_hash

    policy = load_policy_text(text, str(saved_to)).parsed
    if policy is None:
        return None
    try:
        root = root or versions_root()
    except OSError:
        return None  # no usable data directory: the file is saved, its history cannot be
    previous = versions(policy.name, root=root)
    digest = text_hash(text)
    if previous and previous[-1].text_hash == digest:
        return None
    moment = (now or datetime.datetime.now(datetime.timezone.utc)).astimezone(datetime.timezone.utc)
    folder = _folder(policy.name, root)
    try:
        from console.core.paths import private_dir

        private_dir(folder)
        stem = moment.strftime("%Y%m%dT%H%M%S%fZ")
        file = folder / f"{stem}-{digest}.yaml"
        file.write_text(text, encoding="utf-8")
        entry = {"saved_at": moment.isoformat(), "file": file.name, "text_hash": digest,
                 "policy_hash": policy_hash(policy), "saved_to": str(saved_to), "name": policy.name}
        with (folder / INDEX).open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, sort_keys=True) + "\n")
    except OSError:
        return None
    return PolicyVersion(policy.name, moment, file, digest, entry["policy_hash"], str(saved_to))


def versions(policy_name: str, *, root: Path | None = None) -> list[PolicyVersion]:
    """The saved versions of ``policy_name``, oldest first (lines a crash cut short are skipped)."""
    folder = _folder(policy_name, root)
    try:
        lines = (folder / INDEX).read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    found = []
    for line in lines:
        try:
            row = json.loads(line)
            version = PolicyVersion(row["name"], datetime.datetime.fromisoformat(row["saved_at"]),
                                    folder / row["file"], row["text_hash"], row["policy_hash"], row["saved_to"])
        except (ValueError, KeyError, TypeError):
            continue
        if version.file.is_file():
            found.append(version)
    return sorted(found, key=lambda v: v.saved_at)


def restore_version(version: PolicyVersion, target: Path | None = None) -> Path:
    """Write ``version``'s text back to ``target`` (default: the file it was saved as), atomically; the
    restore is a save like any other, so it becomes the newest version in turn."""
    from console.core.policy.save import save_text

    path = Path(target or version.saved_to)
    save_text(version.text(), path)
    return path
