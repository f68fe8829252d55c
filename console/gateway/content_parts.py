"""A message's ``content`` on the wire: a string, or a list of text and image parts (OpenAI's shapes).

Text parts (``text``, or the Responses API's ``input_text``) join into the message's text. Image
parts (``{"type": "image_url", "image_url": {"url": ..., "detail": ...}}``) are taken in user
turns only, as OpenAI takes them, with an ``https:``/``http:`` URL or a base64 ``data:image/...``
URL; the plan then keeps only models marked ``vision: true``. Anything else is refused with the
part's place, so a client learns what was not understood instead of getting an answer that
ignored it.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from console.core.request import ImagePart

_DATA_URL = re.compile(r"data:image/[A-Za-z0-9.+-]+;base64,[A-Za-z0-9+/=\s]*\Z")
_DETAILS = ("low", "high", "auto")

Refuse = Callable[[str, str], Exception]  # (message, param) -> the error to raise


def _image(part: dict[str, Any], where: str, refuse: Refuse) -> ImagePart:
    raw = part.get("image_url")
    url, detail = (raw, None) if isinstance(raw, str) else (
        (raw.get("url"), raw.get("detail")) if isinstance(raw, dict) else (None, None))
    if not isinstance(url, str) or not (url.startswith(("https://", "http://")) or _DATA_URL.match(url)):
        raise refuse(f"{where}.image_url.url must be an http(s) URL or a base64 data:image/... URL", f"{where}.image_url")
    if detail is not None and detail not in _DETAILS:
        raise refuse(f"{where}.image_url.detail must be one of {', '.join(_DETAILS)}", f"{where}.image_url.detail")
    return ImagePart(url, detail)


def parse_content(raw: Any, where: str, role: str, refuse: Refuse) -> tuple[str, tuple[str | ImagePart, ...]]:
    """(the text, the parts in order when there are images, else ())."""
    if isinstance(raw, str):
        return raw, ()
    if raw is None:
        return "", ()
    if not isinstance(raw, list):
        raise refuse(f"{where}.content must be a string or a list of text and image parts", f"{where}.content")
    parts: list[str | ImagePart] = []
    for index, part in enumerate(raw):
        kind = part.get("type") if isinstance(part, dict) else type(part).__name__
        if isinstance(part, dict) and kind in ("text", "input_text") and isinstance(part.get("text"), str):
            parts.append(part["text"])
        elif isinstance(part, dict) and kind == "image_url" and role == "user":
            parts.append(_image(part, f"{where}.content[{index}]", refuse))
        elif kind == "image_url":
            raise refuse(f"{where}.content: image parts are taken in user messages only", f"{where}.content")
        else:
            raise refuse(f"{where}.content: only text and image_url parts are supported, got {kind!r}",
                         f"{where}.content")
    text = "".join(p for p in parts if isinstance(p, str))
    has_images = any(isinstance(p, ImagePart) for p in parts)
    return text, tuple(parts) if has_images else ()
