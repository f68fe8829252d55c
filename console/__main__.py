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
        except ImportError:
            from console.cli.main import run

            print("The console window is not available in this build; showing the command line help.\n")
            return run(["--help"])
        return run_window()
    from console.cli.main import run

    return run(args)


if __name__ == "__main__":
    sys.exit(main())
