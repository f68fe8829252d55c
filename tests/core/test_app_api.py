"""The application API's public surface: small, listed in ``__all__``, and every listed name real."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from types import ModuleType

import console.core.app as app

USE_CASES = sorted(m.name for m in pkgutil.iter_modules(app.__path__))


def _defined_here(module: ModuleType) -> set[str]:
    """Public classes and functions the module itself defines (not ones it imports)."""
    return {name for name, value in vars(module).items()
            if not name.startswith("_") and (inspect.isclass(value) or inspect.isfunction(value))
            and value.__module__ == module.__name__}


def test_the_package_exports_a_small_curated_list_and_nothing_else() -> None:
    listed = set(app.__all__)
    assert len(app.__all__) == len(listed) <= 25
    public = {name for name, value in vars(app).items()
              if not name.startswith("_") and not isinstance(value, ModuleType) and name != "annotations"}
    assert public == listed  # a name added without listing it (or listed but gone) fails here
    for name in app.__all__:
        assert getattr(app, name) is not None


def test_every_use_case_module_lists_what_it_defines() -> None:
    assert USE_CASES == ["compare", "export", "history", "keys", "log", "models", "pilot", "replay", "review", "rollout", "router", "routing", "shadow", "team", "traffic"]
    for name in USE_CASES:
        module = importlib.import_module(f"console.core.app.{name}")
        assert module.__doc__, f"{module.__name__} says what it is for"
        exported = set(module.__all__)
        missing = [n for n in exported if not hasattr(module, n)]
        assert not missing, f"{module.__name__}.__all__ names what it lacks: {missing}"
        unlisted = _defined_here(module) - exported
        assert not unlisted, f"{module.__name__} defines public names not in __all__: {sorted(unlisted)}"
