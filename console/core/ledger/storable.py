"""Text every database can store: a request is never left out of the log for its characters.

A lone UTF-16 surrogate ("\\ud83d", half of an emoji cut by a UTF-16 client) or a byte that was not
UTF-8 (a ``--meta`` value from a Latin-1 terminal arrives as "\\udce9", Python's surrogateescape)
cannot be encoded as UTF-8, so SQLite, PostgreSQL and JSON all refuse it. ``storable`` replaces
each such character by its escape (``\\ud83d``, readable and reversible by a person) and flags the
record: metadata key ``ESCAPED_KEY`` lists the fields that were escaped.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from console.core.records import RequestRecord

#: Metadata key that marks a record whose text was escaped; its value lists the fields.
ESCAPED_KEY = "routedesk.escaped"


def _clean(text: str) -> str | None:
    """``text`` with unencodable characters escaped, or None when it needed nothing."""
    try:
        text.encode("utf-8")
        return None
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _clean_fields(obj: Any, prefix: str, escaped: list[str]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if isinstance(value, str):
            cleaned = _clean(value)
            if cleaned is not None:
                changes[f.name] = cleaned
                escaped.append(prefix + f.name)
    return changes


def storable(record: RequestRecord) -> RequestRecord:
    """``record`` itself when all its text is storable, else a copy with it escaped and flagged."""
    escaped: list[str] = []
    changes = _clean_fields(record, "", escaped)
    metadata: dict[str, str] = {}
    for key, value in (record.metadata or {}).items():
        key, value = str(key), str(value)
        clean_key, clean_value = _clean(key), _clean(value)
        if clean_key is not None or clean_value is not None:
            escaped.append(f"metadata.{clean_key or key}")
        metadata[clean_key or key] = clean_value or value
    attempts = []
    for attempt in record.attempts:
        attempt_changes = _clean_fields(attempt, f"attempts[{attempt.position}].", escaped)
        attempts.append(dataclasses.replace(attempt, **attempt_changes) if attempt_changes else attempt)
    if not escaped:
        return record
    metadata[ESCAPED_KEY] = ",".join(escaped)
    return dataclasses.replace(record, **changes, metadata=metadata, attempts=attempts)
