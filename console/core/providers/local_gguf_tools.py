"""Tool calls on in-process GGUF models, through llama-cpp-python's ``chatml-function-calling`` handler.

The model's own chat template is not used for a request with tools: llama-cpp-python's generic
handlers render no tool definitions. Its ``chatml_function_calling`` handler (0.3.x) writes the
tools into a ChatML system prompt and constrains decoding with grammars: first to "a message or
``functions.<name>:``", then to JSON matching the chosen function's parameters schema. So a call it
produces always parses, even from a 135M model (the demo SmolLM2 calls ``get_weather`` correctly),
but only a ChatML-templated model (SmolLM2, Qwen, Hermes...) is prompted as it was trained. That is
why GGUF models are not offered tools unless the policy marks them ``tools: true``.

Limits of the handler, as found in llama-cpp-python 0.3.36: ``tool_choice: "required"`` fails an
assertion, so "required" with one tool becomes that function and with several the plan does not send
it here (``routing/capabilities.py``); the answer is generated whole, not streamed, and a cancel
takes effect when it ends (tool-call answers are short: a name and its arguments).
"""

from __future__ import annotations

from typing import Any

from console.core.outcomes import Outcome
from console.core.providers.base import Completion, ProviderCall, ProviderError
from console.core.providers.openai_tools import openai_message, openai_tool
from console.core.records import Usage
from console.core.request import ToolCall


def handler_tool_choice(call: ProviderCall) -> str | dict[str, Any]:
    choice = call.tool_choice
    if choice is None or choice.mode == "auto":
        return "auto"
    if choice.mode == "function" or (choice.mode == "required" and len(call.tools) == 1):
        name = choice.name if choice.mode == "function" else call.tools[0].name
        return {"type": "function", "function": {"name": name}}
    raise ProviderError(Outcome.BAD_REQUEST,
                        f"llama-cpp-python's function-calling handler cannot take tool_choice {choice.mode!r} here")


def handler_messages(call: ProviderCall) -> list[dict[str, Any]]:
    """The conversation as the handler's template renders it. Its template lists the tools only
    inside a system message (one is added when the caller sent none) and renders no ``tool``
    turn's content, so a tool result goes in as a user turn naming the function it answers."""
    names = {c.id: c.name for m in call.messages for c in m.tool_calls}
    out = []
    for message in call.messages:
        if message.role == "tool":
            name = names.get(message.tool_call_id or "", message.tool_call_id or "the tool")
            out.append({"role": "user", "content": f"functions.{name} returned:\n{message.content}"})
        else:
            out.append(openai_message(message))
    if not out or out[0]["role"] != "system":
        out.insert(0, {"role": "system", "content": "You are a helpful assistant."})
    return out


def call_tools(llama: Any, call: ProviderCall) -> tuple[str, Completion]:
    """Run one tool-enabled chat turn; (the answer's text, its completion with any tool calls)."""
    from llama_cpp.llama_chat_format import chatml_function_calling

    sampling = call.sampling
    extra = {name: value for name, value in (
        ("top_p", sampling.top_p), ("presence_penalty", sampling.presence_penalty),
        ("frequency_penalty", sampling.frequency_penalty)) if value is not None}
    try:
        response: Any = chatml_function_calling(
            llama=llama,
            messages=handler_messages(call),
            tools=[openai_tool(t) for t in call.tools],
            tool_choice=handler_tool_choice(call),
            max_tokens=call.max_tokens,
            temperature=0.2 if call.temperature is None else call.temperature,
            stop=list(sampling.stop),
            **extra,
        )
    except ProviderError:
        raise
    except Exception as exc:  # noqa: BLE001 - the handler asserts and raises on what it cannot render
        raise ProviderError(Outcome.BAD_REQUEST, f"the function-calling handler failed: {type(exc).__name__}: {exc}") from None
    choice = response["choices"][0]
    message = choice["message"]
    calls = tuple(ToolCall(c["id"], c["function"]["name"], c["function"]["arguments"])
                  for c in message.get("tool_calls") or [])
    usage = response.get("usage") or {}
    completion = Completion(
        usage=Usage(input_tokens=usage.get("prompt_tokens", 0), output_tokens=usage.get("completion_tokens", 0)),
        model_id=call.model_id,
        finish_reason="tool_calls" if calls else choice.get("finish_reason"),
        tool_calls=calls,
    )
    return message.get("content") or "", completion
