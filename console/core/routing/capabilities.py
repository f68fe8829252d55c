"""What a model can do that a request may need: tool calls, OpenAI's ``logit_bias``.

The planner drops a candidate that cannot serve the request, with the reason, as it does for a
region or a context window, so ``explain`` shows why it was not tried.

- Tools: every hosted protocol Routedesk speaks has function calling (OpenAI ``tools``,
  Anthropic ``tool_use``, Gemini ``functionDeclarations``); a model that lacks it is marked
  ``tools: false``. In-process GGUF models are offered tools only when marked ``tools: true``:
  llama-cpp-python's generic chat handlers render no tool definitions, and its
  ``chatml-function-calling`` handler (``providers/local_gguf_tools.py``) prompts in ChatML, which
  only ChatML-templated models were trained on. That handler cannot force "some tool" among
  several (``tool_choice: required``), so such a request is not sent to a GGUF model.
- ``logit_bias`` is OpenAI's token-id bias: only OpenAI-compatible servers know those ids.
- Images go only to models marked ``vision: true`` (no protocol default: most model ids of every
  protocol read no images). Gemini takes images inline only, so a request linking one by URL is
  not sent there; in-process GGUF models are given text only (llama-cpp-python needs a separate
  multimodal projector and chat handler for images).
"""

from __future__ import annotations

from console.core.policy.schema import Model, Policy, ProviderKind
from console.core.request import Request

TOOLS_BY_PROTOCOL: dict[ProviderKind, bool] = {
    ProviderKind.OPENAI_COMPATIBLE: True,
    ProviderKind.ANTHROPIC: True,
    ProviderKind.GEMINI: True,
    ProviderKind.LOCAL_GGUF: False,
}


def _kind(policy: Policy, model: Model) -> ProviderKind | None:
    provider = policy.providers.get(model.provider)
    return provider.kind if provider is not None else None


def calls_tools(policy: Policy, model: Model) -> bool:
    if model.tools is not None:
        return model.tools
    kind = _kind(policy, model)
    return TOOLS_BY_PROTOCOL.get(kind, False) if kind is not None else False


def capability_reasons(request: Request, policy: Policy, model: Model) -> list[str]:
    """Why ``model`` cannot serve ``request`` (empty when it can)."""
    reasons = []
    if request.tools and not (request.tool_choice is not None and request.tool_choice.mode == "none") \
            and not calls_tools(policy, model):
        reasons.append("cannot call tools (set tools: true on the model if it can)")
    elif request.tools and request.tool_choice is not None and request.tool_choice.mode == "required" \
            and len(request.tools) > 1 and _kind(policy, model) is ProviderKind.LOCAL_GGUF:
        reasons.append("llama-cpp-python's function-calling handler cannot require one of several tools")
    if request.sampling.logit_bias and _kind(policy, model) is not ProviderKind.OPENAI_COMPATIBLE:
        reasons.append("logit_bias needs an OpenAI-compatible provider")
    if request.images:
        reasons.extend(_image_reasons(request, policy, model))
    return reasons


def _image_reasons(request: Request, policy: Policy, model: Model) -> list[str]:
    kind = _kind(policy, model)
    if kind is ProviderKind.LOCAL_GGUF:
        return ["cannot read images (in-process GGUF models are given text only)"]
    if not model.vision:
        return ["cannot read images (set vision: true on the model if it can)"]
    if kind is ProviderKind.GEMINI and any(not image.url.startswith("data:") for image in request.images):
        return ["Gemini takes images inline only; this request links one by URL"]
    return []
