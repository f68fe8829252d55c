"""Tools, tool calls and sampling settings in OpenAI's chat-completions shapes.

Routedesk's request types follow OpenAI's model of tools (a function name, a JSON-schema of
parameters, calls whose arguments are JSON text), so this is mostly a faithful spelling; the
Anthropic and Gemini adapters translate from the same types. Streamed tool calls arrive as
fragments keyed by ``index`` (id and name in the first, the arguments' JSON text in pieces):
``ToolCallAssembler`` joins them.
"""

from __future__ import annotations

from typing import Any

from console.core.providers.base import ProviderCall
from console.core.providers.images import openai_content
from console.core.request import Message, Tool, ToolCall, ToolChoice


def openai_message(message: Message) -> dict[str, Any]:
    out: dict[str, Any] = {"role": message.role, "content": openai_content(message) if message.parts else message.content}
    if message.tool_calls:
        out["content"] = message.content or None
        out["tool_calls"] = [openai_tool_call(call) for call in message.tool_calls]
    if message.tool_call_id is not None:
        out["tool_call_id"] = message.tool_call_id
    return out


def openai_tool_call(call: ToolCall, index: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": call.arguments}}
    if index is not None:
        out["index"] = index
    return out


def openai_tool(tool: Tool) -> dict[str, Any]:
    function: dict[str, Any] = {"name": tool.name, "parameters": tool.parameters or {"type": "object", "properties": {}}}
    if tool.description is not None:
        function["description"] = tool.description
    if tool.strict is not None:
        function["strict"] = tool.strict
    return {"type": "function", "function": function}


def openai_tool_choice(choice: ToolChoice) -> str | dict[str, Any]:
    if choice.mode == "function":
        return {"type": "function", "function": {"name": choice.name}}
    return choice.mode


def add_tools_and_sampling(body: dict[str, Any], call: ProviderCall) -> None:
    """Put ``call``'s tools, tool choice and sampling settings into an OpenAI request body."""
    if call.tools:
        body["tools"] = [openai_tool(tool) for tool in call.tools]
        if call.tool_choice is not None:
            body["tool_choice"] = openai_tool_choice(call.tool_choice)
    if call.json_schema:  # a schema the server can hold the answer to, as the caller wrote it
        spec: dict[str, Any] = {"name": call.schema_name or "answer", "schema": call.json_schema}
        if call.schema_strict is not None:
            spec["strict"] = call.schema_strict
        body["response_format"] = {"type": "json_schema", "json_schema": spec}
    sampling = call.sampling
    if sampling.stop:
        body["stop"] = list(sampling.stop)
    for name in ("seed", "top_p", "presence_penalty", "frequency_penalty", "logit_bias"):
        value = getattr(sampling, name)
        if value is not None:
            body[name] = value


def tool_calls_from_message(message: dict[str, Any]) -> tuple[ToolCall, ...]:
    """The tool calls of a whole (non-streamed) assistant message; TypeError/KeyError when malformed."""
    calls = message.get("tool_calls") or []
    return tuple(
        ToolCall(str(c["id"]), str(c["function"]["name"]), str(c["function"].get("arguments") or ""))
        for c in calls if (c.get("type") or "function") == "function"
    )


class ToolCallAssembler:
    """Joins streamed tool-call fragments (OpenAI ``delta.tool_calls``) into whole calls."""

    def __init__(self) -> None:
        self._calls: dict[int, list[str]] = {}  # index → [id, name, arguments]

    def add(self, fragments: list[dict[str, Any]]) -> None:
        for fragment in fragments:
            index = int(fragment.get("index", 0))
            call = self._calls.setdefault(index, ["", "", ""])
            function = fragment.get("function") or {}
            if fragment.get("id"):
                call[0] = str(fragment["id"])
            if function.get("name"):
                call[1] += str(function["name"]) if not call[1] else ""
            if function.get("arguments"):
                call[2] += str(function["arguments"])

    def calls(self) -> tuple[ToolCall, ...]:
        return tuple(ToolCall(c[0] or f"call_{i}", c[1], c[2]) for i, c in sorted(self._calls.items()))
