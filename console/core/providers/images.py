"""Image parts of a user turn in each protocol's shape (the plan sends them to vision models only).

- OpenAI-compatible: ``{"type": "image_url", "image_url": {"url", "detail"}}``, as the caller sent it.
- Anthropic: ``{"type": "image", "source": {"type": "base64", "media_type", "data"}}`` for a data
  URL, ``{"type": "image", "source": {"type": "url", "url"}}`` for a link (Messages API "Vision").
- Gemini: ``{"inlineData": {"mimeType", "data"}}``; Gemini takes no image links (its
  ``fileData`` wants files uploaded to its Files API), so the plan never sends it one.
"""

from __future__ import annotations

from typing import Any

from console.core.outcomes import Outcome
from console.core.providers.base import ProviderError
from console.core.request import ImagePart, Message


def split_data_url(url: str) -> tuple[str, str] | None:
    """(media type, base64 data) of a ``data:image/...;base64,`` URL; None for a link."""
    if not url.startswith("data:"):
        return None
    head, _, data = url.partition(",")
    return head[len("data:"):].split(";", 1)[0], "".join(data.split())


def openai_content(message: Message) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for part in message.parts:
        if isinstance(part, ImagePart):
            image: dict[str, Any] = {"url": part.url}
            if part.detail is not None:
                image["detail"] = part.detail
            out.append({"type": "image_url", "image_url": image})
        elif part:
            out.append({"type": "text", "text": part})
    return out


def anthropic_blocks(message: Message) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for part in message.parts:
        if isinstance(part, ImagePart):
            inline = split_data_url(part.url)
            source = ({"type": "base64", "media_type": inline[0], "data": inline[1]} if inline
                      else {"type": "url", "url": part.url})
            out.append({"type": "image", "source": source})
        elif part:
            out.append({"type": "text", "text": part})
    return out


def gemini_parts(message: Message, provider: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for part in message.parts:
        if isinstance(part, ImagePart):
            inline = split_data_url(part.url)
            if inline is None:  # the plan keeps such requests away from Gemini; say so if one gets here
                raise ProviderError(Outcome.BAD_REQUEST, f"{provider}: Gemini takes images inline only, not by URL")
            out.append({"inlineData": {"mimeType": inline[0], "data": inline[1]}})
        elif part:
            out.append({"text": part})
    return out
