"""Conversations with tools in Anthropic's Messages API shapes, and tool calls back out of it.

Translation from Routedesk's (OpenAI-shaped) types, per Anthropic's tool-use reference:
- tools → ``tools: [{name, description, input_schema}]``; tool_choice auto / required / one
  function / none → ``{"type": "auto" | "any" | "tool", "name"} | {"type": "none"}``;
- an assistant turn's tool calls → ``tool_use`` content blocks (``input`` is the parsed JSON);
- tool results → ``tool_result`` blocks in a *user* turn (consecutive results share one turn,
  since the API wants user and assistant turns to alternate);
- stop → ``stop_sequences``; top_p passes; seed and the penalties have no Anthropic equivalent.
Streamed ``tool_use`` blocks arrive as ``content_block_start`` (id, name) and ``input_json_delta``
fragments: ``ToolUseBlocks`` joins them.
"""

from __future__ import annotations

import json
from typing import Any

from console.core.outcomes import Outcome
from console.core.providers.base import ProviderCall, ProviderError
from console.core.providers.images import anthropic_blocks
from console.core.request import Message, ToolCall

_CHOICES = {"auto": {"type": "auto"}, "required": {"type": "any"}, "none": {"type": "none"}}


def _blocks(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, list):
        return content
    return [{"type": "text", "text": content}] if content else []


def _tool_use(call: ToolCall, provider: str) -> dict[str, Any]:
    try:
        arguments = json.loads(call.arguments) if call.arguments.strip() else {}
    except ValueError:
        raise ProviderError(Outcome.BAD_REQUEST, f"{provider}: the arguments of tool call {call.id} are not JSON") from None
    return {"type": "tool_use", "id": call.id, "name": call.name, "input": arguments}


def anthropic_messages(messages: tuple[Message, ...], provider: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for message in messages:
        content: str | list[dict[str, Any]]
        if message.role == "system":
            continue
        if message.role == "tool":
            role, content = "user", [{"type": "tool_result", "tool_use_id": message.tool_call_id,
                                      "content": message.content}]
        elif message.tool_calls:
            role, content = "assistant", _blocks(message.content) + [_tool_use(c, provider) for c in message.tool_calls]
        elif message.parts:
            role, content = message.role, anthropic_blocks(message)
        else:
            role, content = message.role, message.content
        if out and out[-1]["role"] == role and (isinstance(content, list) or isinstance(out[-1]["content"], list)):
            out[-1]["content"] = _blocks(out[-1]["content"]) + _blocks(content)  # keep turns alternating
        else:
            out.append({"role": role, "content": content})
    return out


def add_tools_and_sampling(body: dict[str, Any], call: ProviderCall) -> None:
    if call.tools:
        body["tools"] = [
            {"name": t.name, **({"description": t.description} if t.description else {}),
             "input_schema": t.parameters or {"type": "object", "properties": {}}}
            for t in call.tools
        ]
        choice = call.tool_choice
        if choice is not None:
            body["tool_choice"] = {"type": "tool", "name": choice.name} if choice.mode == "function" else _CHOICES[choice.mode]
    if call.sampling.stop:
        body["stop_sequences"] = list(call.sampling.stop)
    if call.sampling.top_p is not None:
        body["top_p"] = call.sampling.top_p


def tool_calls_from_content(content: list[dict[str, Any]]) -> tuple[ToolCall, ...]:
    return tuple(
        ToolCall(str(block["id"]), str(block["name"]), json.dumps(block.get("input") or {}))
        for block in content if block.get("type") == "tool_use"
    )


class ToolUseBlocks:
    """Streamed ``tool_use`` blocks, joined by content-block index."""

    def __init__(self) -> None:
        self._blocks: dict[int, list[str]] = {}  # index → [id, name, partial JSON]

    def start(self, payload: dict[str, Any]) -> None:
        block = payload.get("content_block") or {}
        if block.get("type") == "tool_use":
            self._blocks[int(payload.get("index", 0))] = [str(block["id"]), str(block["name"]), ""]

    def delta(self, payload: dict[str, Any]) -> None:
        block = self._blocks.get(int(payload.get("index", 0)))
        if block is not None:
            block[2] += str(payload["delta"].get("partial_json") or "")

    def calls(self) -> tuple[ToolCall, ...]:
        return tuple(ToolCall(b[0], b[1], b[2] or "{}") for _, b in sorted(self._blocks.items()))
