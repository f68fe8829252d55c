"""OpenAI chat-completions request bodies → core ``Request``s, with OpenAI-style 400s for what does not fit.

Mapped fields:
- ``messages``: roles system / developer (as system) / user / assistant / tool; content as a string
  or a list of text parts, and image parts in user turns (``content_parts.py``: only models marked
  ``vision: true`` are planned for them); an assistant turn's ``tool_calls``, a tool turn's
  ``tool_call_id``. The legacy ``function`` role is refused.
- ``tools`` (function tools: name, description, parameters, strict) and ``tool_choice`` (auto, none,
  required, or one function) → Request.tools / tool_choice; models that cannot call tools are
  dropped from the plan with the reason.
- ``stop``, ``seed``, ``top_p``, ``presence_penalty``, ``frequency_penalty``, ``logit_bias`` →
  Request.sampling, passed to the providers that support each (``logit_bias``: OpenAI-compatible
  ones only; the plan drops the others).
- ``max_completion_tokens`` (or the older ``max_tokens``) → Request.max_tokens; ``temperature``.
- ``response_format``: ``json_object`` → the answer must be JSON; ``json_schema`` → must be JSON
  valid against ``json_schema.schema`` (Request.json_schema). Routes fall back on invalid output.
- ``metadata`` (string values) and ``user`` → Request.metadata, then headers, which win:
  ``X-Routedesk-Team`` → team, ``X-Routedesk-Region`` → region (residency rules),
  ``X-Routedesk-Meta-<Key>`` → <key> (lower-cased) — classification rules and budgets read these.
- ``stream``, ``stream_options.include_usage``; ``X-Routedesk-Stream-Failover: continue|error|restart``.
Refused rather than silently ignored, because ignoring them would change the answer: ``n`` > 1
(one routed answer per request) and the deprecated ``functions`` / ``function_call`` (send
``tools`` / ``tool_choice``). Other fields are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Mapping

from console.core.request import Message, Request, Sampling, Tool, ToolCall, ToolChoice
from console.gateway.content_parts import parse_content

FailoverMode = Literal["continue", "error", "restart"]
FAILOVER_MODES: tuple[str, ...] = ("continue", "error", "restart")
_ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant", "tool": "tool"}
_REFUSED = {
    "functions": "'functions' is OpenAI's deprecated form of tools; send 'tools' instead",
    "function_call": "'function_call' is OpenAI's deprecated form of tool_choice; send 'tool_choice' instead",
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
        raise WireError(f"n={n!r}: the endpoint routes each request to one model and returns one answer; "
                        "send n separate requests instead", param="n")
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise WireError("'stream' must be true or false", param="stream")
    options = body.get("stream_options") or {}
    if not isinstance(options, dict):
        raise WireError("'stream_options' must be an object", param="stream_options")
    request = Request(
        messages=_messages(body.get("messages")),
        metadata=metadata_of(body, headers),
        max_tokens=_max_tokens(body),
        json_schema=_json_schema(body.get("response_format")),
        schema_name=_schema_field(body.get("response_format"), "name", str),
        schema_strict=_schema_field(body.get("response_format"), "strict", bool),
        temperature=number_field(body, "temperature", 0, 2),
        stream=stream,
        tools=_tools(body.get("tools")),
        tool_choice=_tool_choice(body.get("tool_choice")),
        sampling=_sampling(body),
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
            raise WireError(f"{where}.role {_shown(raw_role)} is not supported (system, developer, user, assistant, tool)",
                            param=f"{where}.role")
        calls = _tool_calls(item.get("tool_calls"), where) if role == "assistant" else ()
        call_id = item.get("tool_call_id")
        if role == "tool" and not (isinstance(call_id, str) and call_id):
            raise WireError(f"{where}.tool_call_id is required for a tool message", param=f"{where}.tool_call_id")
        text, parts = parse_content(item.get("content"), where, role, _refuse)
        messages.append(Message(role, text, calls,  # type: ignore[arg-type]
                                call_id if role == "tool" else None, parts))
    return tuple(messages)


def _tool_calls(raw: Any, where: str) -> tuple[ToolCall, ...]:
    if raw in (None, []):
        return ()
    if not isinstance(raw, list):
        raise WireError(f"{where}.tool_calls must be a list", param=f"{where}.tool_calls")
    calls = []
    for index, call in enumerate(raw):
        at = f"{where}.tool_calls[{index}]"
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict) or not isinstance(call.get("id"), str) or not isinstance(function.get("name"), str):
            raise WireError(f"{at} must have an 'id' and a function with a 'name'", param=at)
        arguments = function.get("arguments", "")
        if not isinstance(arguments, str):
            raise WireError(f"{at}.function.arguments must be a string of JSON", param=at)
        calls.append(ToolCall(call["id"], function["name"], arguments))
    return tuple(calls)


def _tools(raw: Any) -> tuple[Tool, ...]:
    if raw in (None, []):
        return ()
    if not isinstance(raw, list):
        raise WireError("'tools' must be a list", param="tools")
    tools = []
    for index, item in enumerate(raw):
        where = f"tools[{index}]"
        if not isinstance(item, dict) or item.get("type", "function") != "function":
            kind = item.get("type") if isinstance(item, dict) else type(item).__name__
            raise WireError(f"{where}: only function tools are supported, got {kind!r}", param=where)
        function = item.get("function")
        if not isinstance(function, dict) or not isinstance(function.get("name"), str) or not function["name"]:
            raise WireError(f"{where}.function.name is required", param=where)
        parameters = function.get("parameters", {})
        if not isinstance(parameters, dict):
            raise WireError(f"{where}.function.parameters must be a JSON schema object", param=where)
        description, strict = function.get("description"), function.get("strict")
        tools.append(Tool(function["name"], description if isinstance(description, str) else None, parameters,
                          strict if isinstance(strict, bool) else None))
    return tuple(tools)


def _tool_choice(raw: Any) -> ToolChoice | None:
    if raw is None:
        return None
    if raw in ("auto", "none", "required"):
        return ToolChoice(raw)
    function = raw.get("function") if isinstance(raw, dict) and raw.get("type") == "function" else None
    if isinstance(function, dict) and isinstance(function.get("name"), str):
        return ToolChoice("function", function["name"])
    raise WireError("'tool_choice' must be auto, none, required or {type: function, function: {name}}", param="tool_choice")


def number_field(body: dict[str, Any], field: str, low: float, high: float) -> float | None:
    """``body[field]`` as a float from ``low`` to ``high``, None when absent; WireError otherwise."""
    value = body.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise WireError(f"'{field}' must be a number from {low:g} to {high:g}", param=field)
    return float(value)


def _sampling(body: dict[str, Any]) -> Sampling:
    stop = body.get("stop")
    if isinstance(stop, str):
        stop = [stop]
    if stop is not None and (not isinstance(stop, list) or not all(isinstance(s, str) and s for s in stop) or len(stop) > 4):
        raise WireError("'stop' must be a string or a list of up to 4 non-empty strings", param="stop")
    seed = body.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise WireError("'seed' must be an integer", param="seed")
    bias = body.get("logit_bias")
    if bias is not None and (not isinstance(bias, dict) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and -100 <= v <= 100 for v in bias.values())):
        raise WireError("'logit_bias' must map token ids to numbers from -100 to 100", param="logit_bias")
    return Sampling(
        stop=tuple(stop or ()), seed=seed, top_p=number_field(body, "top_p", 0, 1),
        presence_penalty=number_field(body, "presence_penalty", -2, 2),
        frequency_penalty=number_field(body, "frequency_penalty", -2, 2),
        logit_bias={str(k): float(v) for k, v in bias.items()} if bias else None,
    )


def _shown(value: Any) -> str:
    """A refused value as the error repeats it: short, whatever the client sent."""
    text = repr(value) if isinstance(value, (str, int, float, bool, type(None))) else f"of type {type(value).__name__}"
    return text if len(text) <= 60 else text[:59] + "…"


def _refuse(message: str, param: str) -> WireError:
    return WireError(message, param=param)


def _max_tokens(body: dict[str, Any]) -> int | None:
    for field in ("max_completion_tokens", "max_tokens"):
        value = body.get(field)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise WireError(f"'{field}' must be a positive integer", param=field)
        return value
    return None


def _schema_field(value: Any, name: str, kind: type) -> Any:
    spec = value.get("json_schema") if isinstance(value, dict) and value.get("type") == "json_schema" else None
    found = spec.get(name) if isinstance(spec, dict) else None
    return found if isinstance(found, kind) else None


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


def metadata_of(body: dict[str, Any], headers: Mapping[str, str]) -> dict[str, str]:
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
