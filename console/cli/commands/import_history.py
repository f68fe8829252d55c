"""``routedesk import FILE``: a history (JSONL/CSV) into the log as requests of kind ``imported``.

Bad rows are listed as file:line and skipped; importing the same file again adds nothing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("import", help="bring a history file into the log (kind: imported) for pilots")
    parser.add_argument("file", type=Path, help="JSONL or CSV: prompt, optional reference/metadata/recorded answers")
    parser.add_argument("--format", choices=("jsonl", "csv"), help="default: from the file's suffix")
    parser.add_argument("--name", help="the history's name (default: the file name without suffix)")
    parser.add_argument("--task", default="", help="the task these requests belong to (default: the name)")
    parser.add_argument("--map", action="append", default=[], metavar="ROLE=COLUMN",
                        help="read ROLE (prompt, system, reference) from COLUMN (repeatable)")
    parser.add_argument("--reference", type=Path, help="JSONL of question/answer joined on the prompt "
                        "(default: a test.jsonl beside FILE, when the file has no reference column)")
    parser.add_argument("--db", help="routing log URL (default: the log in the user's data directory)")
    parser.set_defaults(func=run)


def parse_mapping(items: list[str]) -> dict[str, str] | str:
    mapping: dict[str, str] = {}
    for item in items:
        role, sep, column = item.partition("=")
        if not sep or role.strip() not in ("prompt", "system", "reference", "metadata", "answers"):
            return f"--map expects ROLE=COLUMN with ROLE one of prompt, system, reference, metadata, answers; got {item!r}"
        mapping[role.strip()] = column.strip()
    return mapping


def run(args: argparse.Namespace) -> int:
    from console.core.app import LogError, import_history_file
    from console.core.app.history import HistoryFileError, read_history

    mapping = parse_mapping(args.map)
    if isinstance(mapping, str):
        print(f"error: {mapping}", file=sys.stderr)
        return 2
    try:
        history = read_history(args.file, fmt=args.format, mapping=mapping, reference_file=args.reference)
    except HistoryFileError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for problem in history.errors:
        print(problem, file=sys.stderr)
    for note in history.notes:
        print(note, file=sys.stderr)
    if not history.rows:
        print(f"error: {args.file}: no usable rows", file=sys.stderr)
        return 1
    name = args.name or args.file.stem
    try:
        summary = import_history_file(args.db, history, name=name, task=args.task or name)
    except LogError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    models = ", ".join(history.models) or "none"
    print(f"imported '{name}': {summary.cases_added} new cases, {summary.cases_already_there} already there, "
          f"{summary.answers_added} recorded answers (models: {models}); {summary.bad_rows} bad rows skipped")
    return 1 if summary.bad_rows and not summary.cases_added and not summary.cases_already_there else 0
