"""``python -m console.ui.pages.pilot [policy.yaml]``: the Pilot page alone."""

from __future__ import annotations

import sys

from console.ui.standalone import run_page


def main() -> int:
    def build(bridge):  # type: ignore[no-untyped-def]
        from pathlib import Path

        from console.ui.demo import demo_policy_path
        from console.ui.pages.pilot.page import PilotPage

        target = Path(sys.argv[1]) if len(sys.argv) > 1 else demo_policy_path()
        return PilotPage(bridge, policy_path=target)

    return run_page("Pilot", build)


if __name__ == "__main__":
    sys.exit(main())
