"""``python -m console.ui.pages.keys [policy.yaml]``: the Keys page alone."""

from __future__ import annotations

import sys

from console.ui.standalone import run_page


def main() -> int:
    def build(bridge):  # type: ignore[no-untyped-def]
        from pathlib import Path

        from console.ui.demo import demo_policy_path
        from console.ui.pages.keys.page import KeysPage
        from console.ui.pages.policy_editor.editor_tab import open_document

        target = Path(sys.argv[1]) if len(sys.argv) > 1 else demo_policy_path()
        documents = [open_document(target)] if target is not None else []
        return KeysPage(bridge, policies=lambda: documents)

    return run_page("Keys", build)


if __name__ == "__main__":
    sys.exit(main())
