"""The headless routing core: policy, routing, providers, ledger, secrets and the Engine.

Nothing under this package imports Qt (checked by import-linter contracts in pyproject.toml).
"""
