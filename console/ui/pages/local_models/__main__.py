"""``python -m console.ui.pages.local_models``: the Local models page alone."""

from __future__ import annotations

import sys

from console.ui.standalone import run_page


def main() -> int:
    def build(bridge):  # type: ignore[no-untyped-def]
        from console.ui.pages.local_models.page import LocalModelsPage

        return LocalModelsPage(bridge)

    return run_page("Local models", build)


if __name__ == "__main__":
    sys.exit(main())
