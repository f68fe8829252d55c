"""Pages of the console window; each runs alone with ``python -m console.ui.pages.<page>``."""
