"""``python -m console.ui.pages.team``: the Team page alone (the store from $ROUTEDESK_TEAM_STORE)."""

from __future__ import annotations

import sys

from console.ui.standalone import run_page


def main() -> int:
    def build(bridge):  # type: ignore[no-untyped-def]
        from console.ui.pages.team.page import TeamPage

        return TeamPage(bridge, active_policy=lambda: None)

    return run_page("Team", build)


if __name__ == "__main__":
    sys.exit(main())
