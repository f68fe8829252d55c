"""What moved between two versions of a policy, in words a review can print: ``path: from → to``.

The comparison is of the policies as data (``save.policy_data``), so reformatting or a new comment
is no change, and a moved candidate reads as ``routes.support.candidates: [a, b] → [b, a]``.
Lists are compared whole: a route's candidate order is its meaning.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from console.core.policy.schema import Policy

ARROW = "→"


@dataclass(frozen=True)
class Moved:
    """One difference: ``before`` None means added, ``after`` None means removed."""

    path: str
    before: Any
    after: Any

    def describe(self) -> str:
        if self.before is None:
            return f"{self.path}: added {_short(self.after)}"
        if self.after is None:
            return f"{self.path}: removed (was {_short(self.before)})"
        return f"{self.path}: {_short(self.before)} {ARROW} {_short(self.after)}"


def _short(value: Any, limit: int = 80) -> str:
    if isinstance(value, list):
        text = "[" + ", ".join(_short(v, limit) for v in value) + "]"
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{k}: {_short(v, limit)}" for k, v in value.items()) + "}"
    else:
        text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _walk(before: Any, after: Any, path: str, out: list[Moved]) -> None:
    if isinstance(before, dict) and isinstance(after, dict):
        for key in list(before) + [k for k in after if k not in before]:
            where = f"{path}.{key}" if path else str(key)
            if key not in after:
                out.append(Moved(where, before[key], None))
            elif key not in before:
                out.append(Moved(where, None, after[key]))
            else:
                _walk(before[key], after[key], where, out)
    elif before != after:
        out.append(Moved(path, before, after))


def policy_diff(before: Policy, after: Policy) -> list[Moved]:
    """Every difference between two policies, in the order the policy holds its sections."""
    from console.core.policy.save import policy_data

    out: list[Moved] = []
    _walk(policy_data(before), policy_data(after), "", out)
    return out


def diff_summary(before: Policy | None, after: Policy, *, limit: int = 12) -> list[str]:
    """Lines for a review: the first ``limit`` differences, then how many more (None: the first version)."""
    if before is None:
        return [f"first version: {len(after.routes)} routes over {len(after.models)} models"]
    moved = policy_diff(before, after)
    lines = [m.describe() for m in moved[:limit]]
    if len(moved) > limit:
        lines.append(f"… and {len(moved) - limit} more")
    return lines or ["no change to routing (text or comments only)"]
