"""Entry point: ``routedesk`` / ``python -m console``.

With no arguments, opens the console window; with a subcommand, runs it headless.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        try:
            from console.ui.app import run_window
        except ImportError as err:
            if err.name is not None and err.name.startswith("console"):
                raise  # our own module failed to import: a bug to see, not a missing part to explain
            # Qt itself is missing (err.name) or one of the system libraries it loads (err.name None).
            print(
                f"The console window cannot start: {err}.\n"
                "On Debian, `bash packaging/dev.sh demo` installs what it needs. "
                "Every command works without it: `routedesk --help`.",
                file=sys.stderr,
            )
            return 1
        return run_window()
    from console.cli.main import run

    return run(args)


if __name__ == "__main__":
    sys.exit(main())
