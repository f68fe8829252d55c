"""OpenAI chat-completions request bodies → core ``Request``s, with OpenAI-style 400s for what does not fit.

Mapped fields:
- ``messages``: roles system / developer (as system) / user / assistant; content as a string or a
  list of text parts. Tool, function and image content are refused (the router routes text).
- ``max_completion_tokens`` (or the older ``max_tokens``) → Request.max_tokens; ``temperature``.
- ``response_format``: ``json_object`` → the answer must be JSON; ``json_schema`` → must be JSON
  valid against ``json_schema.schema`` (Request.json_schema). Routes fall back on invalid output.
- ``metadata`` (string values) and ``user`` → Request.metadata, then headers, which win:
  ``X-Routedesk-Team`` → team, ``X-Routedesk-Region`` → region (residency rules),
  ``X-Routedesk-Meta-<Key>`` → <key> (lower-cased) — classification rules and budgets read these.
- ``stream``, ``stream_options.include_usage``; ``X-Routedesk-Stream-Failover: continue|error|restart``.
Refused rather than silently ignored, because ignoring them would change the answer: ``n`` > 1,
``tools`` / ``functions`` / ``tool_choice``, ``stop``, ``logit_bias``. Other fields are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Mapping

from console.core.request import Message, Request

FailoverMode = Literal["continue", "error", "restart"]
FAILOVER_MODES: tuple[str, ...] = ("continue", "error", "restart")
_ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant"}
_REFUSED = {
    "tools": "tool calls are not supported by the Routedesk endpoint",
    "functions": "function calls are not supported by the Routedesk endpoint",
    "tool_choice": "tool calls are not supported by the Routedesk endpoint",
    "stop": "stop sequences are not supported by the Routedesk endpoint",
    "logit_bias": "logit_bias is not supported by the Routedesk endpoint",
}
_META_HEADERS = {"x-routedesk-team": "team", "x-routedesk-region": "region"}
_META_PREFIX = "x-routedesk-meta-"


class WireError(Exception):
    """A request the endpoint refuses; becomes an OpenAI-style error body."""

    def __init__(self, message: str, *, param: str | None = None, status: int = 400, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.status = status
        self.code = code


@dataclass(frozen=True)
class ChatCall:
    """One parsed chat-completions call."""

    model: str
    request: Request
    stream: bool
    include_usage: bool
    failover: FailoverMode | None  # None: the server's default


def parse_chat_call(body: Any, headers: Mapping[str, str]) -> ChatCall:
    """The call ``body`` (decoded JSON) and ``headers`` (lower-case names) describe; WireError otherwise."""
    if not isinstance(body, dict):
        raise WireError("the request body must be a JSON object")
    model = body.get("model")
    if not isinstance(model, str) or not model.strip():
        raise WireError("'model' is required: 'auto', a task name or a model alias (GET /v1/models lists them)", param="model")
    for field, why in _REFUSED.items():
        if body.get(field) not in (None, [], {}, ""):
            raise WireError(why, param=field)
    n = body.get("n")
    if n not in (None, 1):
        raise WireError("only n=1 is supported", param="n")
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise WireError("'stream' must be true or false", param="stream")
    options = body.get("stream_options") or {}
    if not isinstance(options, dict):
        raise WireError("'stream_options' must be an object", param="stream_options")
    request = Request(
        messages=_messages(body.get("messages")),
        metadata=_metadata(body, headers),
        max_tokens=_max_tokens(body),
        json_schema=_json_schema(body.get("response_format")),
        temperature=_temperature(body.get("temperature")),
        stream=stream,
    )
    return ChatCall(model.strip(), request, stream, bool(options.get("include_usage")), _failover(headers))


def _messages(raw: Any) -> tuple[Message, ...]:
    if not isinstance(raw, list) or not raw:
        raise WireError("'messages' must be a non-empty list", param="messages")
    messages = []
    for index, item in enumerate(raw):
        where = f"messages[{index}]"
        if not isinstance(item, dict):
            raise WireError(f"{where} must be an object", param=where)
        raw_role = item.get("role")
        role = _ROLES.get(raw_role) if isinstance(raw_role, str) else None  # a list is unhashable: no 500
        if role is None:
            raise WireError(f"{where}.role {_shown(raw_role)} is not supported (system, developer, user, assistant)", param=f"{where}.role")
        messages.append(Message(role, _content(item.get("content"), where)))  # type: ignore[arg-type]
    return tuple(messages)


def _shown(value: Any) -> str:
    """A refused value as the error repeats it: short, whatever the client sent."""
    text = repr(value) if isinstance(value, (str, int, float, bool, type(None))) else f"of type {type(value).__name__}"
    return text if len(text) <= 60 else text[:59] + "…"


def _content(raw: Any, where: str) -> str:
    if isinstance(raw, str):
        return raw
    if raw is None:
        return ""
    if not isinstance(raw, list):
        raise WireError(f"{where}.content must be a string or a list of text parts", param=f"{where}.content")
    texts = []
    for part in raw:
        if not isinstance(part, dict) or part.get("type") not in ("text", "input_text") or not isinstance(part.get("text"), str):
            kind = part.get("type") if isinstance(part, dict) else type(part).__name__
            raise WireError(f"{where}.content: only text parts are supported, got {kind!r}", param=f"{where}.content")
        texts.append(part["text"])
    return "".join(texts)


def _max_tokens(body: dict[str, Any]) -> int | None:
    for field in ("max_completion_tokens", "max_tokens"):
        value = body.get(field)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise WireError(f"'{field}' must be a positive integer", param=field)
        return value
    return None


def _temperature(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 2:
        raise WireError("'temperature' must be a number from 0 to 2", param="temperature")
    return float(value)


def _json_schema(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    kind = value.get("type") if isinstance(value, dict) else None
    if kind == "text":
        return None
    if kind == "json_object":
        return {}  # any JSON: the attempt checks the answer parses
    if kind == "json_schema":
        spec = value.get("json_schema")
        schema = spec.get("schema") if isinstance(spec, dict) else None
        if not isinstance(schema, dict):
            raise WireError("response_format.json_schema.schema must be an object", param="response_format")
        return schema
    raise WireError("response_format.type must be text, json_object or json_schema", param="response_format")


def _metadata(body: dict[str, Any], headers: Mapping[str, str]) -> dict[str, str]:
    raw = body.get("metadata") or {}
    if not isinstance(raw, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in raw.items()):
        raise WireError("'metadata' must be an object of string values", param="metadata")
    metadata = dict(raw)
    user = body.get("user")
    if isinstance(user, str) and user:
        metadata["user"] = user
    for name, value in headers.items():
        if name in _META_HEADERS:
            metadata[_META_HEADERS[name]] = value.strip()
        elif name.startswith(_META_PREFIX) and len(name) > len(_META_PREFIX):
            metadata[name[len(_META_PREFIX):]] = value.strip()
    return metadata


def _failover(headers: Mapping[str, str]) -> FailoverMode | None:
    value = headers.get("x-routedesk-stream-failover")
    if value is None:
        return None
    value = value.strip().lower()
    if value not in FAILOVER_MODES:
        raise WireError("X-Routedesk-Stream-Failover must be 'continue', 'error' or 'restart'",
                        param="X-Routedesk-Stream-Failover")
    return value  # type: ignore[return-value]
