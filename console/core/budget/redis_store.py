"""Budget totals in Redis: reservations and settlements as Lua scripts of ``INCRBYFLOAT``s, one round trip each.

Each store key has two Redis keys: ``<prefix><key>`` (settled spend plus what is held) and
``<prefix><key>:held`` (what is reserved and not settled: the calls in flight). One Lua script
applies every change of a call (a reservation and the settlements riding with it) atomically on
the server, so it is never half-applied and no other client reads between its increments. Keys expire ``ttl_s`` after their last change (a period's
totals are not needed long after it ends; the log keeps the history).

redis-py is imported when a store is made, not at import, so a single desk never needs it.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from console.core.budget.reservations import SharedStateError

#: 40 days: longer than a month's period, so a month's total outlives the month
DEFAULT_TTL_S = 40 * 24 * 3600

# KEYS: the keys to change, then the keys only read; ARGV: ttl, how many keys change, then (total
# delta, held delta) per changed key. Returns the totals of every key (false where a read key is unset).
_CHANGE = """
local changed = tonumber(ARGV[2])
local out = {}
for i = 1, changed do
  local key = KEYS[i]
  out[i] = redis.call('INCRBYFLOAT', key, ARGV[2 * i + 1])
  redis.call('INCRBYFLOAT', key .. ':held', ARGV[2 * i + 2])
  redis.call('EXPIRE', key, ARGV[1])
  redis.call('EXPIRE', key .. ':held', ARGV[1])
end
for i = changed + 1, #KEYS do
  out[i] = redis.call('GET', KEYS[i])
end
return out
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
        # One connection (redis-py guards it with a lock) instead of the pool: taking and giving back
        # a pooled connection costs ~15 us a command, a fifth of a loopback round trip.
        self._redis = client or redis.Redis.from_url(url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s,
                                                     single_connection_client=True)
        self._change = self._redis.register_script(_CHANGE)  # EVALSHA, loaded again after a server restart

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

    def change(self, deltas: Mapping[str, tuple[float, float]], read: Sequence[str]) -> list[float]:
        keys = sorted(deltas)
        only_read = [key for key in dict.fromkeys(read) if key not in deltas]  # read in the same step
        args: list[object] = [self.ttl_s, len(keys)]
        for key in keys:
            args += [repr(deltas[key][0]), repr(deltas[key][1])]
        totals = self._call("update totals", self._change, keys=self._keys(keys + only_read), args=args)
        found = {key: float(value) for key, value in zip(keys + only_read, totals) if value is not None}
        return [found.get(key, 0.0) for key in read]

    def reserve(self, keys: Sequence[str], amount: float) -> list[float]:
        return self.change({key: (amount, amount) for key in keys}, keys)

    def settle(self, keys: Sequence[str], reserved: float, cost: float) -> None:
        self.change({key: (cost - reserved, -reserved) for key in keys}, ())

    def seed(self, key: str, value: float) -> None:
        self._call("seed", self._redis.set, self.prefix + key, repr(value), nx=True, ex=self.ttl_s)

    def close(self) -> None:
        self._redis.close()
