"""Classification conditions ⇄ the rule builder's rows, and one-line summaries of them.

The builder shows a condition as "all of" / "any of" a list of rows, each row one test
(keywords, regex, tokens, meta) that may be negated. Deeper nesting is kept intact but shown as
read-only (``to_rows`` returns None for it), so the builder never silently flattens a condition.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

LEAF_KINDS = ("keywords", "regex", "tokens", "meta")


@dataclass
class ConditionRow:
    kind: str
    text: str
    negated: bool = False


def _leaf_text(kind: str, value: Any) -> str:
    if kind == "keywords":
        return ", ".join(str(v) for v in value or [])
    if kind == "tokens":
        value = value or {}
        low, high = value.get("min"), value.get("max")
        return f"{'' if low is None else low}..{'' if high is None else high}"
    if kind == "meta":
        return "; ".join(f"{k}={'|'.join(v) if isinstance(v, list) else v}" for k, v in (value or {}).items())
    return str(value or "")


def _leaf_value(kind: str, text: str) -> Any:
    text = text.strip()
    if kind == "keywords":
        return [part.strip() for part in text.split(",") if part.strip()]
    if kind == "tokens":
        low, _, high = text.partition("..")
        bounds: dict[str, Any] = {}
        for name, part in (("min", low.strip()), ("max", high.strip())):
            if part:
                bounds[name] = int(part) if part.isdigit() else part  # non-numbers are left for validation
        return bounds
    if kind == "meta":
        pairs: dict[str, Any] = {}
        for item in text.split(";"):
            key, _, value = item.partition("=")
            if key.strip():
                values = [v.strip() for v in value.split("|")]
                pairs[key.strip()] = values if len(values) > 1 else values[0]
        return pairs
    return text


def _row_of(leaf: Any) -> ConditionRow | None:
    if not isinstance(leaf, dict) or len(leaf) != 1:
        return None
    (kind, value), = leaf.items()
    if kind == "not":
        inner = _row_of(value)
        if inner is None or inner.negated:
            return None
        inner.negated = True
        return inner
    return ConditionRow(kind, _leaf_text(kind, value)) if kind in LEAF_KINDS else None


def to_rows(condition: Any) -> tuple[str, list[ConditionRow]] | None:
    """("all"|"any", rows) for a condition the builder can show, or None for deeper nesting."""
    if not condition:
        return "all", []
    if isinstance(condition, dict) and len(condition) == 1 and next(iter(condition)) in ("all", "any"):
        (combinator, leaves), = condition.items()
        rows = [_row_of(leaf) for leaf in leaves or []]
        return None if any(row is None for row in rows) else (combinator, rows)  # type: ignore[return-value]
    row = _row_of(condition)
    return None if row is None else ("all", [row])


def from_rows(combinator: str, rows: list[ConditionRow]) -> dict[str, Any]:
    """The condition dict for the builder's rows (a single "all" row is written as the bare test)."""
    leaves = []
    for row in rows:
        leaf = {row.kind: _leaf_value(row.kind, row.text)}
        leaves.append({"not": leaf} if row.negated else leaf)
    if len(leaves) == 1 and combinator == "all":
        return leaves[0]
    return {combinator: leaves}


def summary(condition: Any) -> str:
    """One line for the rules table: ``any(keywords: python, function; regex: def \\w+)``."""
    if not isinstance(condition, dict) or not condition:
        return "(always)"
    parts = []
    for key, value in condition.items():
        if key in ("all", "any"):
            parts.append(f"{key}(" + "; ".join(summary(v) for v in value or []) + ")")
        elif key == "not":
            parts.append(f"not {summary(value)}")
        else:
            parts.append(f"{key}: {_leaf_text(key, value)}")
    return "; ".join(parts)
