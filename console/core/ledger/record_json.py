"""A finished request as one JSON document, and back: how the staging file holds requests.

Text is made storable first (``storable.py``), so a record always encodes; decoding checks the
shape, so a damaged row is reported rather than half-inserted.
"""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import datetime
from typing import Any

from console.core.outcomes import Outcome
from console.core.records import AttemptRecord, RequestRecord

FORMAT = 1
_REQUEST_FIELDS = frozenset(f.name for f in fields(RequestRecord))
_ATTEMPT_FIELDS = frozenset(f.name for f in fields(AttemptRecord))


def _outcome_value(outcome: Outcome | str) -> str:
    return outcome.value if isinstance(outcome, Outcome) else str(outcome)


def _attempt_dict(attempt: AttemptRecord) -> dict[str, Any]:
    d = dict(attempt.__dict__)
    d["started_at"] = attempt.started_at.isoformat()
    d["outcome"] = _outcome_value(attempt.outcome)
    return d


def encode(record: RequestRecord) -> bytes:
    """The record as UTF-8 JSON; UnicodeEncodeError if its text was not made storable first."""
    d = dict(record.__dict__)
    d["started_at"] = record.started_at.isoformat()
    d["outcome"] = _outcome_value(record.outcome)
    d["attempts"] = [_attempt_dict(a) for a in record.attempts]
    d["v"] = FORMAT
    return json.dumps(d, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _outcome(value: str) -> Outcome | str:
    try:
        return Outcome(value)
    except ValueError:
        return value


def decode(data: bytes) -> RequestRecord:
    """The request a document holds; ValueError (or KeyError/TypeError) if it is not one."""
    d = json.loads(data)
    if not isinstance(d, dict) or d.get("v") != FORMAT:
        raise ValueError(f"not a format-{FORMAT} request record")
    if not isinstance(d.get("request_id"), str) or not isinstance(d.get("attempts", []), list):
        raise ValueError("a request record needs a request_id and a list of attempts")
    attempts = []
    for a in d.get("attempts") or []:
        if not isinstance(a, dict):
            raise ValueError("an attempt in the record is not an object")
        a = {k: v for k, v in a.items() if k in _ATTEMPT_FIELDS}
        a["started_at"] = datetime.fromisoformat(a["started_at"])
        a["outcome"] = _outcome(a["outcome"])
        attempts.append(AttemptRecord(**a))
    r = {k: v for k, v in d.items() if k in _REQUEST_FIELDS}
    r["started_at"] = datetime.fromisoformat(r["started_at"])
    r["outcome"] = _outcome(r["outcome"])
    r["attempts"] = attempts
    return RequestRecord(**r)
