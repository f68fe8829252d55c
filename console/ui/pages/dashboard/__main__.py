"""``python -m console.ui.pages.dashboard [--db URL]``: the dashboards page alone."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m console.ui.pages.dashboard", description=__doc__)
    parser.add_argument("--db", help="routing log URL (default: the log in your data directory)")
    parser.add_argument("--policy", help="a policy file whose budgets are drawn as ceilings")
    args = parser.parse_args(argv)
    budgets = []
    if args.policy:
        from console.core.policy.loader import load_policy

        result = load_policy(args.policy)
        if result.policy is None:
            for diagnostic in result.diagnostics:
                print(diagnostic.format(), file=sys.stderr)
            return 2
        budgets = list(result.policy.budgets)

    from console.ui.standalone import run_page

    def build(bridge):  # type: ignore[no-untyped-def]
        from console.ui.pages.dashboard.page import DashboardPage

        page = DashboardPage(bridge, log_url=args.db)
        page.set_budgets(budgets)
        return page

    return run_page("Dashboards", build)


if __name__ == "__main__":
    sys.exit(main())
