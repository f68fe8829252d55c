"""What a side-by-side column is: a policy alias, an ad hoc hosted model, or a GGUF file.

``parse_column_spec`` reads the command line's forms:

    smollm2                          an alias of the open policy
    gpt-4o-mini@https://host/v1      an ad hoc model on an OpenAI-compatible server
    anthropic:claude-x@https://...   the same for another protocol (anthropic, gemini)
    /models/qwen.gguf, bundled:NAME  a local GGUF file run in-process
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from console.core.policy.schema import Policy, ProviderKind

_KIND_PREFIXES = {kind.value: kind for kind in ProviderKind}


class ColumnSpecError(ValueError):
    """A column cannot be understood; the message says what forms are accepted."""


@dataclass(frozen=True)
class ColumnParams:
    """Per-column overrides of the shared prompt parameters (None: use the shared value)."""

    system: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    json_mode: bool | None = None


@dataclass(frozen=True)
class ColumnSpec:
    """One column. Exactly one of ``alias`` / ``model_id`` names the model.

    Attributes:
        label: what the column is called on screen and in exports.
        alias: a model alias of the policy.
        kind: provider protocol of an ad hoc model (local-gguf for a GGUF path).
        base_url: where an ad hoc hosted model is served.
        model_id: the provider's model id, or the GGUF path / ``bundled:NAME``.
        key: ``env:VAR`` or ``keyring:NAME`` for an ad hoc hosted model that needs a key.
    """

    label: str
    alias: str | None = None
    kind: ProviderKind | None = None
    base_url: str | None = None
    model_id: str | None = None
    key: str | None = None
    params: ColumnParams = field(default_factory=ColumnParams)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["kind"] = self.kind.value if self.kind else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "ColumnSpec":
        kind = ProviderKind(data["kind"]) if data.get("kind") else None
        params = ColumnParams(**(data.get("params") or {}))
        return cls(
            label=data["label"], alias=data.get("alias"), kind=kind, base_url=data.get("base_url"),
            model_id=data.get("model_id"), key=data.get("key"), params=params,
        )


@dataclass(frozen=True)
class CompareParams:
    """The shared prompt and settings of a comparison."""

    prompt: str
    system: str | None = None
    temperature: float | None = None
    max_tokens: int = 256
    json_mode: bool = False
    first_token_s: float = 60.0
    total_s: float = 180.0

    def for_column(self, spec: ColumnSpec) -> tuple[str | None, float | None, int, bool]:
        """(system, temperature, max_tokens, json_mode) for one column, overrides applied."""
        p = spec.params
        return (
            p.system if p.system is not None else self.system,
            p.temperature if p.temperature is not None else self.temperature,
            p.max_tokens if p.max_tokens is not None else self.max_tokens,
            p.json_mode if p.json_mode is not None else self.json_mode,
        )


def _is_gguf(text: str) -> bool:
    return text.lower().endswith(".gguf") or text.startswith("bundled:")


def parse_column_spec(text: str, policy: Policy | None, *, label: str | None = None) -> ColumnSpec:
    """A column from its command-line form; raises ColumnSpecError with the accepted forms."""
    text = text.strip()
    if not text:
        raise ColumnSpecError("an empty model name")
    if policy is not None and text in policy.models:
        return ColumnSpec(label=label or text, alias=text)
    if _is_gguf(text):
        return ColumnSpec(label=label or text.rsplit("/", 1)[-1], kind=ProviderKind.LOCAL_GGUF, model_id=text)
    if "@" in text:
        model, _, base_url = text.rpartition("@")
        kind = ProviderKind.OPENAI_COMPATIBLE
        prefix, sep, rest = model.partition(":")
        if sep and prefix in _KIND_PREFIXES:
            kind, model = _KIND_PREFIXES[prefix], rest
        if not model or not base_url.startswith(("http://", "https://")):
            raise ColumnSpecError(f"{text!r}: expected MODEL@http(s)://BASE_URL")
        return ColumnSpec(label=label or model, kind=kind, base_url=base_url, model_id=model)
    known = ", ".join(sorted(policy.models)) if policy is not None else "(no policy)"
    raise ColumnSpecError(
        f"unknown model {text!r}: not an alias of the policy ({known}), nor MODEL@BASE_URL, nor a .gguf path"
    )


def unique_labels(specs: list[ColumnSpec]) -> list[ColumnSpec]:
    """The same specs with repeated labels numbered (two columns on one alias stay apart)."""
    seen: dict[str, int] = {}
    out: list[ColumnSpec] = []
    for spec in specs:
        count = seen.get(spec.label, 0)
        seen[spec.label] = count + 1
        if count:
            spec = ColumnSpec(**{**spec.__dict__, "label": f"{spec.label} ({count + 1})"})
        out.append(spec)
    return out


_OVERRIDE_KEYS = {"temperature": float, "max_tokens": int, "json": bool, "system": str}


def parse_column_overrides(text: str) -> dict[str, ColumnParams]:
    """Per-column settings from ``LABEL: key=value, key=value; LABEL2: ...``.

    Keys: temperature, max_tokens, json (on/off), system. Raises ColumnSpecError naming the bad part.
    """
    found: dict[str, ColumnParams] = {}
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        label, sep, settings = part.partition(":")
        if not sep or not label.strip():
            raise ColumnSpecError(f"{part!r}: expected LABEL: key=value, ... (keys: {', '.join(_OVERRIDE_KEYS)})")
        values: dict[str, object] = {}
        for item in (i.strip() for i in settings.split(",")):
            if not item:
                continue
            key, eq, raw = item.partition("=")
            key, raw = key.strip(), raw.strip()
            if not eq or key not in _OVERRIDE_KEYS:
                raise ColumnSpecError(f"{item!r} in {label.strip()!r}: expected one of {', '.join(_OVERRIDE_KEYS)}=VALUE")
            try:
                if _OVERRIDE_KEYS[key] is bool:
                    if raw.lower() not in ("on", "off", "true", "false", "yes", "no"):
                        raise ValueError(raw)
                    values["json_mode"] = raw.lower() in ("on", "true", "yes")
                elif key == "max_tokens":
                    values[key] = int(raw)
                    if values[key] <= 0:  # type: ignore[operator]
                        raise ValueError(raw)
                else:
                    values[key] = _OVERRIDE_KEYS[key](raw)
            except ValueError:
                raise ColumnSpecError(f"{key}={raw!r} in {label.strip()!r} is not a valid value") from None
        found[label.strip()] = ColumnParams(**values)  # type: ignore[arg-type]
    return found


def apply_overrides(specs: list[ColumnSpec], overrides: dict[str, ColumnParams]) -> list[ColumnSpec]:
    """Specs with their per-column settings; an override naming no column is an error."""
    labels = {spec.label for spec in specs}
    unknown = sorted(set(overrides) - labels)
    if unknown:
        raise ColumnSpecError(f"per-column settings name no column: {', '.join(unknown)} (columns: {', '.join(sorted(labels))})")
    return [ColumnSpec(**{**spec.__dict__, "params": overrides[spec.label]}) if spec.label in overrides else spec
            for spec in specs]
