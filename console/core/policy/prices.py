"""Where a model's prices come from: the policy, the user's override file, or the bundled table.

Order of precedence: a ``prices:`` block on the model in the policy, then ``<data_dir>/prices.yaml``
(the user's own corrections), then ``resources/prices.yaml`` shipped with Routedesk. Local GGUF
models cost nothing. A hosted model found nowhere is priced at zero and ``checks`` warns about it;
turning these prices into dollars is ``console.core.pricing``'s job, not this module's.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Literal, Mapping

import yaml
from pydantic import ValidationError

from console.core.policy.diagnostics import Diagnostic
from console.core.policy.schema import Policy, Prices, ProviderKind

PriceSource = Literal["policy", "user", "bundled", "local", "none"]
PRICE_FILE = "prices.yaml"
ZERO = Prices(input=0.0, output=0.0)


@dataclass(frozen=True)
class ResolvedPrices:
    prices: Prices
    source: PriceSource


@dataclass(frozen=True)
class CatalogueFacts:
    """What a price entry may also say about its model, so the assessment can tell whether it fits a task."""

    context_window: int | None = None
    region: str = "global"


FACT_KEYS = ("context_window", "region")


@dataclass(frozen=True)
class PriceProvenance:
    """When an entry's price was read (``as_of``, an ISO date) and where (a price page, or ``litellm``)."""

    as_of: str | None = None
    source: str | None = None


PROVENANCE_KEYS = ("as_of", "source")


@dataclass(frozen=True)
class PriceTable:
    """Per-million prices by provider model id, read from one file (``facts``: an entry's context/region)."""

    entries: Mapping[str, Prices]
    origin: str
    diagnostics: tuple[Diagnostic, ...] = ()
    facts: Mapping[str, CatalogueFacts] = field(default_factory=dict)
    provenance: Mapping[str, PriceProvenance] = field(default_factory=dict)

    def lookup(self, model_id: str) -> Prices | None:
        """Exact id first, then without a router prefix (``openai/gpt-4o`` → ``gpt-4o``)."""
        for candidate in (model_id, model_id.split("/", 1)[-1] if model_id.count("/") == 1 else None):
            if candidate and candidate in self.entries:
                return self.entries[candidate]
        return None


def resources_dir() -> Traversable:
    """The ``resources/`` folder (frozen app, wheel or checkout): ``console.core.resources`` decides."""
    from console.core.resources import resources_dir as shipped_resources_dir

    return shipped_resources_dir()


def parse_price_table(text: str, origin: str) -> PriceTable:
    """Read a price file; entries that do not validate are skipped with a diagnostic, never raised."""
    from console.core.policy.source_map import parse_yaml

    parsed = parse_yaml(text)
    problems = [Diagnostic(origin, p.position[0], p.position[1], "", p.message, code=p.code) for p in parsed.problems]
    raw = parsed.data.get("models") if isinstance(parsed.data, dict) else None
    if not isinstance(raw, dict):
        if not problems:
            problems.append(Diagnostic(origin, 1, 1, "models", "a price file needs a 'models:' mapping",
                                       code="bad-price-file"))
        return PriceTable({}, origin, tuple(problems))
    entries: dict[str, Prices] = {}
    facts: dict[str, CatalogueFacts] = {}
    provenance: dict[str, PriceProvenance] = {}
    for model_id, value in raw.items():
        line, column = parsed.source.locate(("models", model_id))
        try:
            if isinstance(value, dict) and any(key in value for key in PROVENANCE_KEYS):
                value = dict(value)
                provenance[str(model_id)] = _provenance(value.pop("as_of", None), value.pop("source", None))
            if isinstance(value, dict) and any(key in value for key in FACT_KEYS):
                value = dict(value)
                window, region = value.pop("context_window", None), value.pop("region", "global")
                if window is not None and (not isinstance(window, int) or isinstance(window, bool) or window <= 0):
                    raise ValueError(f"context_window must be a positive whole number of tokens, not {window!r}")
                if not isinstance(region, str) or not region:
                    raise ValueError(f"region must be a name such as us, eu or global, not {region!r}")
                facts[str(model_id)] = CatalogueFacts(window, region)
            entries[str(model_id)] = Prices.model_validate(value)
        except ValidationError as error:
            first = error.errors(include_url=False)[0]
            problems.append(Diagnostic(origin, line, column, f"models.{model_id}", f"bad prices: {first['msg']}",
                                       severity="warning", code="bad-price-entry"))
        except ValueError as error:
            problems.append(Diagnostic(origin, line, column, f"models.{model_id}", f"bad entry: {error}",
                                       severity="warning", code="bad-price-entry"))
    return PriceTable(entries, origin, tuple(problems), facts,
                      {k: v for k, v in provenance.items() if k in entries})


def _provenance(as_of: object, source: object) -> PriceProvenance:
    """An entry's ``as_of``/``source``, checked: ValueError saying which is wrong."""
    import datetime

    if as_of is not None:
        try:
            datetime.date.fromisoformat(str(as_of))
        except ValueError:
            raise ValueError(f"as_of must be a date such as 2026-01-31, not {as_of!r}") from None
    if source is not None and (not isinstance(source, str) or not source.strip()):
        raise ValueError(f"source must say where the price was read (a URL or 'litellm'), not {source!r}")
    return PriceProvenance(None if as_of is None else str(as_of), source)


@functools.lru_cache(maxsize=1)
def bundled_price_table() -> PriceTable:
    path = resources_dir().joinpath(PRICE_FILE)
    return parse_price_table(path.read_text(encoding="utf-8"), "resources/prices.yaml")


def user_price_file() -> Path:
    """``<data_dir>/prices.yaml``; named without creating the data directory."""
    from console.core import paths

    override = os.environ.get("ROUTEDESK_HOME")
    if override:
        return Path(override) / PRICE_FILE
    return paths.data_dir() / PRICE_FILE


def user_price_table(path: Path | None = None) -> PriceTable:
    """The user's override table, empty when the file does not exist. Re-read when the file changes."""
    path = path or user_price_file()
    try:
        stat = path.stat()
    except OSError:
        return PriceTable({}, str(path))
    return _read_user_table(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4)
def _read_user_table(path: str, _mtime_ns: int, _size: int) -> PriceTable:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return PriceTable({}, path, (Diagnostic(path, None, None, "", f"cannot read price file: {error}",
                                                severity="warning", code="bad-price-file"),))
    return parse_price_table(text, path)


def resolve_prices(
    policy: Policy, alias: str, *, user: PriceTable | None = None, bundled: PriceTable | None = None
) -> ResolvedPrices:
    """Prices for model ``alias`` and where they came from. Raises KeyError for an unknown alias."""
    model = policy.models[alias]
    if model.prices is not None:
        return ResolvedPrices(model.prices, "policy")
    provider = policy.providers.get(model.provider)
    if provider is not None and provider.kind is ProviderKind.LOCAL_GGUF:
        return ResolvedPrices(ZERO, "local")
    found = (user if user is not None else user_price_table()).lookup(model.model)
    if found is not None:
        return ResolvedPrices(found, "user")
    found = (bundled if bundled is not None else bundled_price_table()).lookup(model.model)
    if found is not None:
        return ResolvedPrices(found, "bundled")
    return ResolvedPrices(ZERO, "none")


def effective_prices(policy: Policy, alias: str) -> Prices:
    """Policy price > user override > bundled table > zero (``checks`` warns about the last)."""
    return resolve_prices(policy, alias).prices
