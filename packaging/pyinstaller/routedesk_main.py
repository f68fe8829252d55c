"""The frozen app's entry script: the same ``main`` as ``routedesk`` / ``python -m console``."""

import sys

from console.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
