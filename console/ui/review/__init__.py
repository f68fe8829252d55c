"""The quarterly review rendered: charts drawn by the dashboards' own chart classes, laid out as a
self-contained HTML page or a paginated PDF, and the window's **Quarterly review…** dialog.

It lives with the window because it draws with Qt; ``routedesk review`` reaches it through the one
allowed import (``console.cli.commands.review -> console.ui.review.render``, see pyproject.toml).
"""
