"""Reading a history file (JSONL or CSV) into rows: prompt, reference, metadata, recorded answers.

JSONL, one object a line::

    {"prompt": "...", "system": "...", "reference": "...", "metadata": {"team": "a"},
     "answers": {"gpt-4o": "...", "mixtral": "..."}}

``question``/``answer`` are read as prompt/reference (the GSM8K shape); ``"grades": {"gpt-4o": true}``
carries each model's pass/fail with or without its answer text. CSV: a ``prompt`` column,
optional ``system``/``reference`` columns, ``meta.<key>`` columns, and for each model that already
answered a ``<model>_response`` column, with an optional boolean ``<model>`` column holding the
dataset's own verdict (RouteLLM's layout, as in ``gsm8k_responses.csv``). ``mapping`` renames
columns (``{"prompt": "question"}``). A CSV with no ``_response`` column is read as grades only
(many public routing datasets have this shape): a prompt column, then one true/false column per
model; other columns are named in a note and ignored. With no reference column, a ``test.jsonl`` beside the file
(or ``reference_file``) is joined on the exact prompt text. Bad rows are reported as file:line.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

RESPONSE_SUFFIX = "_response"
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f", ""}


class HistoryFileError(ValueError):
    """The file as a whole cannot be read (missing, not UTF-8, no prompt column)."""


@dataclass
class RecordedAnswer:
    text: str
    judged_correct: bool | None = None


@dataclass
class HistoryRow:
    line: int
    prompt: str
    system: str | None = None
    reference: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    answers: dict[str, RecordedAnswer] = field(default_factory=dict)


@dataclass
class HistoryFile:
    path: Path
    rows: list[HistoryRow]
    errors: list[str]
    models: list[str]
    notes: list[str] = field(default_factory=list)


def _bool(value: str) -> bool | None:
    low = (value or "").strip().lower()
    return True if low in _TRUE else False if low in _FALSE else None


def _jsonl_rows(path: Path, mapping: dict[str, str], errors: list[str]) -> Iterator[HistoryRow]:
    key = {role: mapping.get(role, role) for role in ("prompt", "system", "reference", "metadata", "answers")}
    with path.open(encoding="utf-8") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                item = json.loads(raw)
            except json.JSONDecodeError as err:
                errors.append(f"{path}:{number}: not valid JSON ({err.msg})")
                continue
            if not isinstance(item, dict):
                errors.append(f"{path}:{number}: expected a JSON object")
                continue
            prompt = item.get(key["prompt"], item.get("question"))
            if not isinstance(prompt, str) or not prompt.strip():
                errors.append(f"{path}:{number}: no prompt (a non-empty '{key['prompt']}' string)")
                continue
            reference = item.get(key["reference"], item.get("answer"))
            meta = item.get(key["metadata"]) or {}
            answers = item.get(key["answers"]) or {}
            if isinstance(answers, list):
                answers = {str(a.get("model")): a.get("text", "") for a in answers if isinstance(a, dict)}
            grades = item.get("grades") or {}
            if not isinstance(meta, dict) or not isinstance(answers, dict) or not isinstance(grades, dict):
                errors.append(f"{path}:{number}: 'metadata', 'answers' and 'grades' must be objects")
                continue
            bad = [m for m, g in grades.items() if not isinstance(g, bool)]
            if bad:
                errors.append(f"{path}:{number}: grades must be true or false (not for {', '.join(map(str, bad))})")
                continue
            recorded = {str(m): RecordedAnswer(str(t)) for m, t in answers.items() if t is not None}
            for model, grade in grades.items():
                recorded.setdefault(str(model), RecordedAnswer("")).judged_correct = grade
            yield HistoryRow(number, prompt, item.get(key["system"]), None if reference is None else str(reference),
                             {str(k): str(v) for k, v in meta.items()}, recorded)


def _csv_rows(path: Path, mapping: dict[str, str], errors: list[str], models_out: list[str],
              notes: list[str]) -> Iterator[HistoryRow]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        columns = reader.fieldnames or []
        prompt_col = mapping.get("prompt", "prompt")
        if prompt_col not in columns:
            raise HistoryFileError(f"{path}:1: no '{prompt_col}' column (columns: {', '.join(columns)}); "
                                   "name it with --map prompt=COLUMN")
        system_col, reference_col = mapping.get("system", "system"), mapping.get("reference", "reference")
        models = [c[: -len(RESPONSE_SUFFIX)] for c in columns if c.endswith(RESPONSE_SUFFIX)]
        records = [(reader.line_num, record) for record in reader]
        grade_only = not models
        if grade_only:  # a prompt column, then one true/false column per model, no answer text
            others = [c for c in columns if c not in (prompt_col, system_col, reference_col) and not c.startswith("meta.")]
            models = [c for c in others if all(_bool(r.get(c) or "") is not None for _, r in records)]
            skipped = [c for c in others if c not in models]
            if models and skipped:
                notes.append(f"columns not read as grades (values other than true/false): {', '.join(skipped)}")
        models_out.extend(models)
        for number, record in records:
            prompt = record.get(prompt_col) or ""
            if not prompt.strip():
                errors.append(f"{path}:{number}: empty prompt")
                continue
            answers: dict[str, RecordedAnswer] = {}
            for model in models:
                if grade_only:
                    if (record.get(model) or "").strip():
                        answers[model] = RecordedAnswer("", _bool(record[model]))
                    continue
                text = record.get(model + RESPONSE_SUFFIX)
                if text is None or text == "":
                    continue
                verdict = _bool(record[model]) if model in record and record[model] is not None else None
                answers[model] = RecordedAnswer(text, verdict)
            meta = {k[5:]: v for k, v in record.items() if k and k.startswith("meta.") and v}
            yield HistoryRow(number, prompt, record.get(system_col) or None, record.get(reference_col) or None,
                             meta, answers)


def _reference_index(path: Path, errors: list[str]) -> dict[str, str]:
    index: dict[str, str] = {}
    for row in _jsonl_rows(path, {}, errors):
        if row.reference is not None:
            index[row.prompt] = row.reference
    return index


def read_history(path: str | Path, *, fmt: str | None = None, mapping: dict[str, str] | None = None,
                 reference_file: str | Path | None = None) -> HistoryFile:
    """Every good row and a file:line sentence for every bad one; raises HistoryFileError for the file."""
    path = Path(path)
    if not path.is_file():
        raise HistoryFileError(f"{path}: no such file")
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in ("jsonl", "csv"):
        raise HistoryFileError(f"{path}: unknown format {fmt!r}; use --format jsonl or csv")
    errors: list[str] = []
    models: list[str] = []
    notes: list[str] = []
    try:
        rows = list(_jsonl_rows(path, mapping or {}, errors) if fmt == "jsonl"
                    else _csv_rows(path, mapping or {}, errors, models, notes))
    except UnicodeDecodeError as err:
        raise HistoryFileError(f"{path}: not UTF-8 text ({err.reason} at byte {err.start})") from None
    if not models:
        models = sorted({m for row in rows for m in row.answers})
    ref_path = Path(reference_file) if reference_file else path.with_name("test.jsonl")
    if any(row.reference is None for row in rows) and ref_path.is_file() and ref_path != path:
        index = _reference_index(ref_path, errors)
        joined = 0
        for row in rows:
            if row.reference is None and row.prompt in index:
                row.reference = index[row.prompt]
                joined += 1
        notes.append(f"reference answers joined from {ref_path.name} on the prompt text: {joined} of {len(rows)} rows")
    elif reference_file and not ref_path.is_file():
        raise HistoryFileError(f"{ref_path}: no such reference file")
    return HistoryFile(path, rows, errors, models, notes)


def metadata_text(meta: dict[str, Any]) -> str:
    return json.dumps(meta, sort_keys=True, ensure_ascii=False)
