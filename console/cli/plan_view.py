"""Plans and route results as text and JSON for the terminal."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from console.core.routing.events import RouteResult
from console.core.routing.types import Plan


def plan_to_json(plan: Plan) -> dict[str, Any]:
    return {
        "task": plan.task,
        "task_reason": plan.task_reason,
        "estimated_input_tokens": plan.estimated_input_tokens,
        "max_output_tokens": plan.max_output_tokens,
        "blocked_by": plan.blocked_by,
        "warnings": list(plan.warnings),
        "router_note": plan.router_note,
        "candidates": [asdict(c) for c in plan.candidates],
    }


def plan_lines(plan: Plan) -> list[str]:
    lines = [f"task: {plan.task}  ({plan.task_reason})"]
    lines.append(f"estimated prompt tokens: {plan.estimated_input_tokens}, max output tokens: {plan.max_output_tokens}")
    if plan.router_note:
        lines.append(f"  {plan.router_note}")
    for c in plan.candidates:
        mark = "✓" if c.kept else "✗"
        via = f" [budget {c.via_budget}]" if c.via_budget else ""
        lines.append(f"  {mark} {c.position + 1}. {c.model}{via}  ~${c.estimated_cost_usd:.6f}  {c.reason}")
        if c.kept and c.first_token_s is not None:
            lines.append(f"       first token within {c.first_token_s:g} s: {c.first_token_source}")
    if not plan.candidates:
        lines.append("  (no candidates)")
    lines.extend(f"  ! {w}" for w in plan.warnings)
    return lines


def result_to_json(result: RouteResult) -> dict[str, Any]:
    return {
        "request_id": result.request_id,
        "outcome": result.outcome.value,
        "text": result.text,
        "answered_by": result.answered_by,
        "answered_model_id": result.answered_model_id,
        "error": result.error,
        "total_cost_usd": result.total_cost_usd,
        "latency_ms": round(result.latency_ms, 3),
        "overhead_ms": round(result.overhead_ms, 3),
        "plan": plan_to_json(result.plan),
        "attempts": [_attempt_json(a) for a in result.attempts],
        "classifier": _attempt_json(result.classifier) if result.classifier is not None else None,
    }


def _attempt_json(a: Any) -> dict[str, Any]:
    return {k: (v.value if hasattr(v, "value") else v.isoformat() if hasattr(v, "isoformat") else v)
            for k, v in asdict(a).items()}


def chain_lines(result: RouteResult) -> list[str]:
    lines = []
    c = result.classifier
    if c is not None:
        err = f"  {c.error_message}" if c.error_message else ""
        lines.append(f"  classified by {c.model_alias}: {c.outcome.value}  {c.latency_ms:.0f} ms  "
                     f"{c.input_tokens}→{c.output_tokens} tok  ${c.cost_usd:.6f}{err}")
    for a in result.attempts:
        retry = f" retry {a.retry_index}" if a.retry_index else ""
        tokens = f"{a.input_tokens}→{a.output_tokens} tok{' (est.)' if a.tokens_estimated else ''}"
        err = f"  {a.error_message}" if a.error_message else ""
        lines.append(
            f"  {a.position + 1}. {a.model_alias}{retry}: {a.outcome.value}  {a.latency_ms:.0f} ms  {tokens}  ${a.cost_usd:.6f}{err}"
        )
    return lines
