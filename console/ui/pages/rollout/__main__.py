"""``python -m console.ui.pages.rollout POLICY [--db URL]``: the Rollout page alone, for a policy's rollouts."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m console.ui.pages.rollout", description=__doc__)
    parser.add_argument("policy", help="a policy file with routes in rollout")
    parser.add_argument("--db", help="routing log URL (default: the log in your data directory)")
    args = parser.parse_args(argv)
    from console.core.policy.loader import load_policy

    result = load_policy(args.policy)
    if result.policy is None:
        for diagnostic in result.diagnostics:
            print(diagnostic.format(), file=sys.stderr)
        return 2
    policy = result.policy

    from console.ui.standalone import run_page

    def build(bridge):  # type: ignore[no-untyped-def]
        from console.ui.pages.rollout.page import RolloutPage

        bridge.log_url = args.db
        page = RolloutPage(bridge)
        page.set_policy(policy, Path(args.policy))
        return page

    return run_page("Rollout", build)


if __name__ == "__main__":
    sys.exit(main())
