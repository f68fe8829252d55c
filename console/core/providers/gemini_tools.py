"""Conversations with tools in Gemini's ``generateContent`` shapes, and function calls back out of it.

Translation from Routedesk's (OpenAI-shaped) types, per Gemini's function-calling reference:
- tools → ``tools: [{functionDeclarations: [{name, description, parametersJsonSchema}]}]`` (the
  JSON-schema form, so schemas written for OpenAI, ``additionalProperties`` included, pass as
  they are); tool_choice auto / required / one function / none → ``toolConfig.functionCallingConfig``
  mode AUTO / ANY / ANY with ``allowedFunctionNames`` / NONE;
- an assistant turn's tool calls → ``functionCall`` parts of a ``model`` turn;
- a tool result → a ``functionResponse`` part (named after the call it answers; ``response`` is
  the result when it is a JSON object, else ``{"result": text}``) in a ``user`` turn, parallel
  results sharing one turn;
- the caller's JSON schema → ``generationConfig.responseJsonSchema`` (with the JSON mime type);
- stop, seed, top_p and the penalties → ``generationConfig`` (stopSequences, seed, topP,
  presencePenalty, frequencyPenalty).
Gemini streams each ``functionCall`` whole; calls without an ``id`` get ``call_<n>``.
"""

from __future__ import annotations

import json
from typing import Any

from console.core.providers.base import ProviderCall
from console.core.providers.images import gemini_parts
from console.core.request import Message, ToolCall

_MODES = {"auto": "AUTO", "required": "ANY", "none": "NONE", "function": "ANY"}


def _response_object(content: str) -> dict[str, Any]:
    try:
        value = json.loads(content)
    except ValueError:
        value = None
    return value if isinstance(value, dict) else {"result": content}


def gemini_contents(messages: tuple[Message, ...], provider: str = "gemini") -> list[dict[str, Any]]:
    names = {call.id: call.name for m in messages for call in m.tool_calls}
    contents: list[dict[str, Any]] = []
    for message in messages:
        parts: list[dict[str, Any]]
        if message.role == "system":
            continue
        if message.role == "tool":
            name = names.get(message.tool_call_id or "", message.tool_call_id or "")
            role, parts = "user", [{"functionResponse": {"name": name, "response": _response_object(message.content)}}]
        else:
            role = "model" if message.role == "assistant" else "user"
            if message.parts:
                parts = gemini_parts(message, provider)
            else:
                parts = [{"text": message.content}] if message.content or not message.tool_calls else []
            parts += [{"functionCall": {"name": c.name, "args": json.loads(c.arguments) if c.arguments.strip() else {}}}
                      for c in message.tool_calls]
        if contents and contents[-1]["role"] == role and message.role == "tool":
            contents[-1]["parts"] += parts  # parallel results answer in one turn
        else:
            contents.append({"role": role, "parts": parts})
    return contents


def add_tools_and_sampling(body: dict[str, Any], config: dict[str, Any], call: ProviderCall) -> None:
    if call.tools:
        body["tools"] = [{"functionDeclarations": [
            {"name": t.name, **({"description": t.description} if t.description else {}),
             "parametersJsonSchema": t.parameters or {"type": "object", "properties": {}}}
            for t in call.tools]}]
        choice = call.tool_choice
        if choice is not None:
            calling: dict[str, Any] = {"mode": _MODES[choice.mode]}
            if choice.mode == "function":
                calling["allowedFunctionNames"] = [choice.name]
            body["toolConfig"] = {"functionCallingConfig": calling}
    if call.json_schema:
        config["responseMimeType"] = "application/json"
        config["responseJsonSchema"] = call.json_schema
    sampling = call.sampling
    if sampling.stop:
        config["stopSequences"] = list(sampling.stop)
    for ours, theirs in (("seed", "seed"), ("top_p", "topP"), ("presence_penalty", "presencePenalty"),
                         ("frequency_penalty", "frequencyPenalty")):
        value = getattr(sampling, ours)
        if value is not None:
            config[theirs] = value


def function_calls(parts: list[dict[str, Any]], start: int) -> list[ToolCall]:
    """The ``functionCall`` parts as tool calls, numbered from ``start`` where Gemini gave no id."""
    calls: list[ToolCall] = []
    for part in parts:
        called = part.get("functionCall")
        if isinstance(called, dict):
            number = start + len(calls)
            calls.append(ToolCall(str(called.get("id") or f"call_{number}"), str(called["name"]),
                                  json.dumps(called.get("args") or {})))
    return calls
