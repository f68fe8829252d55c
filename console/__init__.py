"""Routedesk: a desktop operations console for multi-model LLM routing.

The import package is ``console``; the distribution is ``routedesk``.
"""

__version__ = "0.1.0"
