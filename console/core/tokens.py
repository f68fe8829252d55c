"""Token estimates for when no tokenizer answer is available.

Used by the planner (estimated prompt tokens against cost ceilings and context windows) and by
providers whose responses omit usage (counts are then marked ``estimated``). Deterministic and
cheap: about one token per word piece of up to four characters, punctuation counted alone, which
tracks BPE tokenizers within roughly ±20% on English prose and code.
"""

from __future__ import annotations

import re

_PIECE = re.compile(r"[A-Za-z]+|\d{1,3}|[^\sA-Za-z\d]|\s+")
_MESSAGE_OVERHEAD = 4  # role markers and separators in chat templates


def estimate_tokens(text: str) -> int:
    """Estimated token count of ``text`` (0 for empty text)."""
    if not text:
        return 0
    count = 0
    for match in _PIECE.finditer(text):
        piece = match.group()
        if piece[0].isalpha():
            count += (len(piece) + 3) // 4
        elif not piece.isspace():
            count += 1
    return max(count, 1)


def estimate_chat_tokens(contents: list[str] | tuple[str, ...]) -> int:
    """Estimated prompt tokens for chat messages with the given contents."""
    return sum(estimate_tokens(c) + _MESSAGE_OVERHEAD for c in contents)
