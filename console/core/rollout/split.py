"""Which arm a request takes, and the policy it is planned by on the candidate's arm.

The split is a hash, not a draw: ``bucket(key)`` maps the sticky key (a metadata value, or the
request id) to one of 10,000 buckets, and the candidate's arm is the buckets below the share. The
same key always lands in the same bucket, so a customer stays on one arm; and raising the share
only adds buckets, so a customer on B at 5 % is still on B at 25 %. The salt (policy, route,
candidate) makes each rollout's split independent of every other's.

On the candidate's arm the route is planned as if ``candidate`` stood where ``replaces`` stands in
its candidate list (``variant_policy``), built once per policy so a request pays for a dict lookup
and a hash.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from console.core.policy.rollout_schema import Rollout
from console.core.policy.schema import Policy
from console.core.request import Request

BUCKETS = 10_000
#: The two arms as the log spells them: A (the route as written) and B (the candidate in A's place).
BASELINE, CANDIDATE = "baseline", "candidate"


def bucket(salt: bytes, key: str) -> int:
    """The key's bucket in 0..BUCKETS-1 (blake2b: fast, and evenly spread for any key)."""
    digest = hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8, key=salt).digest()
    return int.from_bytes(digest, "big") % BUCKETS


def arm_of(salt: bytes, key: str, share_percent: float) -> str:
    """``CANDIDATE`` for the keys whose bucket is below the share, ``BASELINE`` for the others."""
    return CANDIDATE if bucket(salt, key) < share_percent * (BUCKETS / 100) else BASELINE


def variant_policy(policy: Policy, route: str, rollout: Rollout) -> Policy:
    """``policy`` with ``rollout.candidate`` in the place of ``rollout.replaces`` on ``route``."""
    old = policy.routes[route]
    candidates: list[str] = []
    for alias in old.candidates:
        alias = rollout.candidate if alias == rollout.replaces else alias
        if alias not in candidates:  # B already further down the list: it moves up, not twice
            candidates.append(alias)
    routes = dict(policy.routes)
    routes[route] = old.model_copy(update={"candidates": candidates})
    return policy.model_copy(update={"routes": routes})


@dataclass(frozen=True)
class RouteSplit:
    """One route's rollout as the Engine applies it.

    Attributes:
        route: the route (task) in rollout.
        rollout: its settings from the policy.
        salt: the split's hash key.
        policy: the whole policy with the candidate in the place it replaces (the B arm).
    """

    route: str
    rollout: Rollout
    salt: bytes
    policy: Policy

    def key(self, request: Request, request_id: str) -> str:
        """What the split is sticky by: the metadata value (the request id when it is missing)."""
        name = self.rollout.sticky_key
        if name is None:
            return request_id
        value = request.metadata.get(name)
        return str(value) if value is not None and value != "" else request_id

    def arm(self, request: Request, request_id: str, share_percent: float) -> str:
        if share_percent <= 0:
            return BASELINE
        return arm_of(self.salt, self.key(request, request_id), share_percent)


def route_splits(policy: Policy) -> dict[str, RouteSplit]:
    """The policy's routes in rollout, each with its B-arm policy (built once per policy)."""
    out: dict[str, RouteSplit] = {}
    for name, route in policy.routes.items():
        rollout = route.rollout
        if rollout is None or rollout.candidate not in policy.models or rollout.replaces not in route.candidates:
            continue  # a policy with errors is never routed by; a draft's half-written rollout splits nothing
        salt = hashlib.blake2b(f"{policy.name}\x00{name}\x00{rollout.candidate}".encode(), digest_size=16).digest()
        out[name] = RouteSplit(name, rollout, salt, variant_policy(policy, name, rollout))
    return out
