"""``routedesk validate FILE... [--json]``: check policy files and report every problem, located."""

from __future__ import annotations

import argparse
import json
from typing import Any

from console.core.policy.loader import LoadResult, load_policy


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check policy files and report every problem with file, line and column",
        description="Check policy files. Exit status 0 when every file is free of errors, 1 otherwise.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="policy YAML files")
    parser.add_argument("--json", action="store_true", help="print one JSON document for machines")
    parser.add_argument("--strict", action="store_true", help="treat warnings as errors")
    parser.set_defaults(func=run_validate)


def _counts(results: list[LoadResult]) -> tuple[int, int]:
    return sum(len(r.errors) for r in results), sum(len(r.warnings) for r in results)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def run_validate(args: argparse.Namespace) -> int:
    results = [load_policy(path) for path in args.files]
    errors, warnings = _counts(results)
    failed = errors > 0 or (args.strict and warnings > 0)
    if args.json:
        document = {
            "ok": not failed,
            "errors": errors,
            "warnings": warnings,
            "files": [
                {
                    "file": result.file,
                    "ok": result.ok,
                    "policy": result.parsed.name if result.parsed else None,
                    "content_hash": result.content_hash,
                    "errors": len(result.errors),
                    "warnings": len(result.warnings),
                    "diagnostics": [d.to_json() for d in result.diagnostics],
                }
                for result in results
            ],
        }
        print(json.dumps(document, indent=2, ensure_ascii=False))
        return 1 if failed else 0
    for result in results:
        for diagnostic in result.diagnostics:
            print(diagnostic.format())
        if len(results) > 1:
            state = "ok" if result.ok else "FAILED"
            print(f"{result.file}: {state} ({_plural(len(result.errors), 'error')}, "
                  f"{_plural(len(result.warnings), 'warning')})")
    clean = sum(1 for r in results if r.ok)
    verdict = "ok" if not failed else "FAILED"
    print(f"{verdict}: {_plural(len(results), 'file')} checked, {clean} clean; "
          f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')}")
    return 1 if failed else 0
