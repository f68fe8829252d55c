"""What each tabular section of a policy looks like: its columns and a new entry's template."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from console.core.policy.schema import ProviderKind
from console.ui.pages.policy_editor.document import DocPath, PolicyDocument
from console.ui.pages.policy_editor.section_model import Column


def _keys(path: DocPath) -> Callable[[PolicyDocument], list[str]]:
    return lambda document: document.keys(path)


def _fixed(*values: str) -> Callable[[PolicyDocument], list[str]]:
    return lambda document: list(values)


@dataclass(frozen=True)
class SectionSpec:
    """A section shown as a table: where it lives, its columns, and what "Add" inserts."""

    title: str
    path: DocPath
    columns: list[Column]
    new_entry: Callable[[PolicyDocument], Any]
    new_key_stem: str = ""  # mapping sections: "model" → model-1, model-2, ...
    hint: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _first(path: DocPath, fallback: str) -> Callable[[PolicyDocument], str]:
    return lambda document: (document.keys(path) or [fallback])[0]


MODELS = SectionSpec(
    "Models",
    ("models",),
    [
        Column("Alias", ()),
        Column("Provider", ("provider",), choices=_keys(("providers",))),
        Column("Model id", ("model",)),
        Column("Input $/M", ("prices", "input"), "number"),
        Column("Output $/M", ("prices", "output"), "number"),
        Column("Cached $/M", ("prices", "cached_input"), "number"),
        Column("Region", ("region",), choices=_fixed("global", "us", "eu", "on-prem")),
        Column("Context", ("context_window",), "integer"),
        Column("GPU layers", ("gpu_layers",), "int-or-word"),
        Column("Tags", ("tags",), "list"),
    ],
    lambda d: {"provider": _first(("providers",), "")(d), "model": "", "region": "global"},
    "model",
    "A model alias is the name routes use. Prices are US dollars per million tokens.",
)

PROVIDERS = SectionSpec(
    "Providers",
    ("providers",),
    [
        Column("Name", ()),
        Column("Kind", ("kind",), choices=_fixed(*(kind.value for kind in ProviderKind))),
        Column("Base URL", ("base_url",)),
        Column("Key from", ("key",)),
        Column("Proxy", ("proxy",)),
        Column("Notes", ("notes",)),
    ],
    lambda d: {"kind": ProviderKind.OPENAI_COMPATIBLE.value},
    "provider",
    "'Key from' is keyring:NAME or env:VAR — never the key itself. 'Proxy' is http://host:port, or direct; "
    "empty uses HTTPS_PROXY/NO_PROXY from the environment.",
)

TASKS = SectionSpec(
    "Tasks",
    ("tasks",),
    [Column("Task", ()), Column("Description", ("description",))],
    lambda d: {"description": ""},
    "task",
)

BUDGETS = SectionSpec(
    "Budgets",
    ("budgets",),
    [
        Column("Name", ("name",)),
        Column("Period", ("period",), choices=_fixed("day", "month")),
        Column("Limit $", ("limit_usd",), "number"),
        Column("Action", ("action",), choices=_fixed("warn", "fallback", "block")),
        Column("Fallback model", ("fallback_model",), choices=_keys(("models",))),
        Column("Task", ("scope", "task"), choices=_keys(("tasks",))),
        Column("Team", ("scope", "team")),
        Column("Provider", ("scope", "provider"), choices=_keys(("providers",))),
        Column("Model", ("scope", "model"), choices=_keys(("models",))),
    ],
    lambda d: {"name": f"budget-{len(d.get(('budgets',), []) or []) + 1}", "limit_usd": 10.0, "action": "warn"},
    hint="Spend limits per day or month; 'fallback' switches to the fallback model when spent.",
)

RESIDENCY = SectionSpec(
    "Residency",
    ("residency",),
    [Column("Request region", ()), Column("May use model regions", ("allow",), "list")],
    lambda d: {"allow": ["on-prem"]},
    "region",
    "Requests tagged with a region may only use models in the listed regions.",
)
