"""Which requests are shadowed: a fixed share, decided by the request id alone.

The same id always gets the same answer, on any machine and in any process (a hash, not a random
generator), so a shadow sample can be reproduced from the log.
"""

from __future__ import annotations

from hashlib import blake2b

_SCALE = float(1 << 64)


def sample_point(request_id: str) -> float:
    """A number in [0, 1) fixed by ``request_id`` and spread evenly over ids."""
    digest = blake2b(request_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / _SCALE


def in_sample(request_id: str, share: float) -> bool:
    """True for about ``share`` of all request ids, always the same ones."""
    return sample_point(request_id) < share
