"""Budget totals in Redis: reservations and settlements as Lua scripts of ``INCRBYFLOAT``s, one round trip each.

Each store key has two Redis keys: ``<prefix><key>`` (settled spend plus what is held) and
``<prefix><key>:held`` (what is reserved and not settled: the calls in flight). A Lua script runs
atomically on the server, so a reservation on several budgets is never half-applied and no other
client reads between its increments. Keys expire ``ttl_s`` after their last change (a period's
totals are not needed long after it ends; the log keeps the history).

redis-py is imported when a store is made, not at import, so a single desk never needs it.
"""

from __future__ import annotations

from typing import Any, Sequence

from console.core.budget.reservations import SharedStateError

#: 40 days: longer than a month's period, so a month's total outlives the month
DEFAULT_TTL_S = 40 * 24 * 3600

_RESERVE = """
local out = {}
for i, key in ipairs(KEYS) do
  out[i] = redis.call('INCRBYFLOAT', key, ARGV[1])
  redis.call('INCRBYFLOAT', key .. ':held', ARGV[1])
  redis.call('EXPIRE', key, ARGV[2])
  redis.call('EXPIRE', key .. ':held', ARGV[2])
end
return out
"""

_SETTLE = """
for _, key in ipairs(KEYS) do
  redis.call('INCRBYFLOAT', key, ARGV[2] - ARGV[1])
  redis.call('INCRBYFLOAT', key .. ':held', -ARGV[1])
  redis.call('EXPIRE', key, ARGV[3])
  redis.call('EXPIRE', key .. ':held', ARGV[3])
end
return 1
"""


class RedisSpendStore:
    """A ``SpendStore`` on one Redis server (``redis://host:port/db``)."""

    def __init__(self, url: str, *, prefix: str = "routedesk:budget:", ttl_s: int = DEFAULT_TTL_S,
                 timeout_s: float = 0.5, client: Any = None) -> None:
        import redis

        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self.url = url
        self.prefix = prefix
        self.ttl_s = ttl_s
        # Short timeouts: these calls sit on the request path; a dead server must not hold requests.
        self._redis = client or redis.Redis.from_url(url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s)
        self._reserve = self._redis.register_script(_RESERVE)
        self._settle = self._redis.register_script(_SETTLE)

    def _keys(self, keys: Sequence[str]) -> list[str]:
        return [self.prefix + key for key in keys]

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except self._errors as err:
            raise SharedStateError(f"Redis at {self.url}: {what} failed: {err}") from err

    def totals(self, keys: Sequence[str]) -> list[float]:
        values = self._call("MGET", self._redis.mget, self._keys(keys))
        return [float(v) if v is not None else 0.0 for v in values]

    def held(self, keys: Sequence[str]) -> list[float]:
        values = self._call("MGET", self._redis.mget, [k + ":held" for k in self._keys(keys)])
        return [max(0.0, float(v)) if v is not None else 0.0 for v in values]

    def reserve(self, keys: Sequence[str], amount: float) -> list[float]:
        totals = self._call("reserve", self._reserve, keys=self._keys(keys), args=[repr(amount), self.ttl_s])
        return [float(v) for v in totals]

    def settle(self, keys: Sequence[str], reserved: float, cost: float) -> None:
        self._call("settle", self._settle, keys=self._keys(keys), args=[repr(reserved), repr(cost), self.ttl_s])

    def seed(self, key: str, value: float) -> None:
        self._call("seed", self._redis.set, self.prefix + key, repr(value), nx=True, ex=self.ttl_s)

    def close(self) -> None:
        self._redis.close()
