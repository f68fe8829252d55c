"""``python -m console.ui.pages.policy_editor [policy.yaml]``: the editor page alone."""

from __future__ import annotations

import sys

from console.ui.standalone import run_page


def main() -> int:
    def build(bridge):  # type: ignore[no-untyped-def]
        from pathlib import Path

        from console.ui.demo import demo_policy_path
        from console.ui.pages.policy_editor.page import PolicyEditorPage

        page = PolicyEditorPage(bridge)
        target = Path(sys.argv[1]) if len(sys.argv) > 1 else demo_policy_path()
        if target is not None:
            page.open_path(target)
        return page

    return run_page("Policy editor", build)


if __name__ == "__main__":
    sys.exit(main())
