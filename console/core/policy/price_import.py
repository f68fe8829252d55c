"""``routedesk prices import``: read LiteLLM's community price file and update the user's catalogue.

LiteLLM keeps ``model_prices_and_context_window.json``: one object per model id, prices in dollars
per *token* (``input_cost_per_token``), the context in ``max_input_tokens``, the kind of model in
``mode``. Operators already keep it current, so Routedesk reads it instead of a format of its own.

The import only ever writes ``<data_dir>/prices.yaml`` (the user's table, which wins over the
shipped one); ``resources/prices.yaml`` belongs to the installation and is never rewritten. A file
that is not such a price file is refused with a ``PriceImportError`` saying why; single entries that
are malformed are skipped and listed, the rest still import. Every change is also appended to
``price_history`` so the quarterly review can say which prices moved since the last one.
"""

from __future__ import annotations

import datetime
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from console.core.policy.prices import PriceTable, bundled_price_table, user_price_file, user_price_table
from console.core.policy.schema import Prices

PER_MILLION = 1_000_000
#: LiteLLM modes that are priced per token of text in and out (embeddings, images, audio are not).
TEXT_MODES = {"chat", "completion", "responses", None}
SOURCE = "litellm"


class PriceImportError(ValueError):
    """The file cannot be imported at all (not JSON, not LiteLLM's shape, nothing priced in it)."""


@dataclass(frozen=True)
class ImportedPrice:
    model_id: str
    prices: Prices
    context_window: int | None


@dataclass(frozen=True)
class LiteLLMFile:
    entries: Mapping[str, ImportedPrice]
    skipped: tuple[str, ...]  # "model: why", one per malformed entry


@dataclass(frozen=True)
class PriceChange:
    """One model's price before and after the import (``old`` None: new to the catalogue)."""

    model_id: str
    old: Prices | None
    new: Prices
    context_window: int | None = None

    def describe(self) -> str:
        new = _per_million(self.new)
        return f"{self.model_id}: {'(new)' if self.old is None else _per_million(self.old)} -> {new}"


def _per_million(p: Prices) -> str:
    text = f"in ${p.input:g} out ${p.output:g}"
    return text + (f" cached ${p.cached_input:g}" if p.cached_input is not None else "") + " per M"


def read_litellm(text: str, origin: str) -> LiteLLMFile:
    """Parse LiteLLM's price file; PriceImportError when the file as a whole is unusable."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise PriceImportError(f"{origin}: not JSON (line {error.lineno}, column {error.colno}: {error.msg})") from None
    if not isinstance(data, dict):
        raise PriceImportError(f"{origin}: expected an object of models (LiteLLM's model_prices_and_context_window"
                               f".json), found a {type(data).__name__}")
    entries: dict[str, ImportedPrice] = {}
    skipped: list[str] = []
    for model_id, entry in data.items():
        if model_id == "sample_spec":
            continue  # LiteLLM's own documentation of the fields, not a model
        if not isinstance(entry, dict):
            skipped.append(f"{model_id}: an entry must be an object, not {type(entry).__name__}")
            continue
        if entry.get("mode") not in TEXT_MODES:
            continue
        try:
            entries[model_id] = _entry(model_id, entry)
        except ValueError as error:
            skipped.append(f"{model_id}: {error}")
    if not entries:
        raise PriceImportError(f"{origin}: no model in it has input_cost_per_token and output_cost_per_token "
                               f"({len(skipped)} malformed entries); is it LiteLLM's price file?")
    return LiteLLMFile(entries, tuple(skipped))


def _entry(model_id: str, entry: Mapping[str, Any]) -> ImportedPrice:
    def cost(key: str, required: bool) -> float | None:
        value = entry.get(key)
        if value is None:
            if required:
                raise ValueError(f"no {key}")
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise ValueError(f"{key} must be a non-negative number of dollars per token, not {value!r}")
        return round(float(value) * PER_MILLION, 9)

    window = entry.get("max_input_tokens")
    if isinstance(window, bool) or not isinstance(window, int) or window <= 0:
        window = None
    prices = Prices(input=cost("input_cost_per_token", True) or 0.0,
                    output=cost("output_cost_per_token", True) or 0.0,
                    cached_input=cost("cache_read_input_token_cost", False),
                    reasoning=cost("output_cost_per_reasoning_token", False))
    return ImportedPrice(model_id, prices, window)


def _match(catalogue_id: str, imported: Mapping[str, ImportedPrice]) -> ImportedPrice | None:
    """The file's entry for a catalogue id: exact, else one router prefix on either side."""
    if catalogue_id in imported:
        return imported[catalogue_id]
    bare = catalogue_id.split("/", 1)[-1] if catalogue_id.count("/") == 1 else None
    if bare and bare in imported:
        return imported[bare]
    prefixed = [e for key, e in imported.items() if key.count("/") == 1 and key.split("/", 1)[1] == catalogue_id]
    return prefixed[0] if len(prefixed) == 1 else None


def plan_import(file: LiteLLMFile, *, user: PriceTable | None = None, bundled: PriceTable | None = None,
                add_new: bool = False) -> list[PriceChange]:
    """What the import would change: every catalogue model whose price differs, and with ``add_new``
    the file's models the catalogue lacks. Sorted by model id."""
    user = user if user is not None else user_price_table()
    bundled = bundled if bundled is not None else bundled_price_table()
    current = {**bundled.entries, **user.entries}
    changes: list[PriceChange] = []
    matched: set[str] = set()
    for model_id, old in current.items():
        found = _match(model_id, file.entries)
        if found is None:
            continue
        matched.add(found.model_id)
        if found.prices != old:
            changes.append(PriceChange(model_id, old, found.prices, found.context_window))
    if add_new:
        changes += [PriceChange(e.model_id, None, e.prices, e.context_window)
                    for e in file.entries.values() if e.model_id not in matched and e.model_id not in current]
    return sorted(changes, key=lambda c: c.model_id)


def apply_import(changes: list[PriceChange], *, as_of: datetime.date, source: str = SOURCE,
                 path: Path | None = None) -> Path:
    """Write ``changes`` into the user's price file (kept comments and other entries), and log them.

    PriceImportError when the existing file cannot be read as YAML (it is left untouched)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap

    from console.core.policy.price_history import append_changes
    from console.core.policy.save import save_text

    path = path or user_price_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    yaml = YAML()
    yaml.width = 100_000
    from ruamel.yaml.error import YAMLError

    try:
        data = yaml.load(path.read_text(encoding="utf-8")) if path.exists() else None
    except (YAMLError, UnicodeDecodeError) as error:
        # Rewriting it would lose whatever the user meant: they fix it first (nothing is written).
        raise PriceImportError(f"{path}: your price file is not valid YAML, so it was left as it is "
                               f"({str(error).splitlines()[0]}); fix or move it, then import again") from None
    if not isinstance(data, dict):
        data = CommentedMap(version=1)
    models = data.get("models")
    if not isinstance(models, dict):
        models = data["models"] = CommentedMap()
    for change in changes:
        entry = CommentedMap(change.new.model_dump(exclude_none=True))
        old = models.get(change.model_id)
        window = old.get("context_window") if isinstance(old, dict) else change.context_window
        if window:
            entry["context_window"] = window
        if isinstance(old, dict) and old.get("region"):
            entry["region"] = old["region"]
        entry["as_of"], entry["source"] = as_of.isoformat(), source
        entry.fa.set_flow_style()
        models[change.model_id] = entry
    import io

    out = io.StringIO()
    yaml.dump(data, out)
    save_text(out.getvalue(), path)
    append_changes(changes, as_of=as_of, source=source, folder=path.parent)
    return path
