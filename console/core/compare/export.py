"""A comparison as Markdown (for a ticket), CSV (for a spreadsheet) or JSON (for scripts)."""

from __future__ import annotations

import io
import json
import os
import tempfile
from pathlib import Path

from console.core.compare.results import ComparisonResult
from console.core.csv_cells import write_dicts

CSV_FIELDS = ("label", "model", "outcome", "ttft_ms", "latency_ms", "tokens_per_second", "input_tokens",
              "output_tokens", "tokens_estimated", "cost_usd", "error", "shared_worker", "winner", "text")


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f} ms"


def to_markdown(result: ComparisonResult) -> str:
    lines = ["# Side by side", ""]
    if result.params.system:
        lines += [f"**System:** {result.params.system}", ""]
    lines += [f"**Prompt:** {result.params.prompt}", "",
              f"max tokens {result.params.max_tokens}, temperature "
              f"{'default' if result.params.temperature is None else result.params.temperature}, "
              f"JSON mode {'on' if result.params.json_mode else 'off'}; wall time {result.wall_ms:.0f} ms", ""]
    lines += ["| column | model | outcome | TTFT | total | tok/s | tokens in/out | cost |",
              "|---|---|---|---|---|---|---|---|"]
    for c in result.columns:
        star = " ★" if c.label == result.winner else ""
        est = " (est.)" if c.tokens_estimated else ""
        lines.append(f"| {c.label}{star} | {c.model} | {c.outcome.value} | {_ms(c.ttft_ms)} | {_ms(c.latency_ms)} | "
                     f"{c.tokens_per_second:.1f} | {c.input_tokens}/{c.output_tokens}{est} | ${c.cost_usd:.6f} |")
    if result.winner:
        lines += ["", f"**Winner:** {result.winner}" + (f" — {result.note}" if result.note else "")]
    for note in result.notes:
        lines += ["", f"_{note}_"]
    for c in result.columns:
        lines += ["", f"## {c.label}", ""]
        if c.error:
            lines += [f"> {c.outcome.value}: {c.error}", ""]
        lines += ["```", c.text, "```"]
    return "\n".join(lines) + "\n"


def to_csv(result: ComparisonResult) -> str:
    out = io.StringIO()
    rows = []
    for c in result.columns:
        row = c.to_json()
        row["winner"] = int(c.label == result.winner)
        rows.append(row)
    write_dicts(out, CSV_FIELDS, rows)  # labels, models and answers may carry formulas: neutralised
    return out.getvalue()


def to_json(result: ComparisonResult) -> str:
    return json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n"


EXPORTERS = {"md": to_markdown, "markdown": to_markdown, "csv": to_csv, "json": to_json}


def export_text(result: ComparisonResult, fmt: str) -> str:
    try:
        return EXPORTERS[fmt.lower().lstrip(".")](result)
    except KeyError:
        raise ValueError(f"unknown export format {fmt!r}: use md, csv or json") from None


def write_export(path: str | Path, result: ComparisonResult) -> None:
    """Write the export whose format the file's suffix names, atomically (old file or new, never half)."""
    target = Path(path)
    text = export_text(result, target.suffix or "md")
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
