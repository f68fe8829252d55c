"""Circuit signals between gateway instances: "model X failed; its circuit opened for S seconds".

When a breaker opens on one instance (``HealthRegistry.on_opened``) the instance publishes a
signal; every other instance trips the same breaker for the same cooldown, so they stop calling
the model too. Transports: Redis pub/sub (``PUBLISH``/``SUBSCRIBE``) or PostgreSQL
``NOTIFY``/``LISTEN``. Each listens on a thread of its own that polls with a short timeout
(``POLL_S``) and reconnects after ``RETRY_S``; delivery takes milliseconds on a live server, so a
circuit opens everywhere within ``PROPAGATION_BOUND_S`` of opening on the first instance.

Signals are hints, not state: one lost while a server restarts costs a few failed calls on
another instance, whose own breaker then opens.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from dataclasses import dataclass
from typing import Any, Callable

log = logging.getLogger(__name__)

CHANNEL = "routedesk_circuit"
POLL_S = 0.1
RETRY_S = 0.5
#: the stated bound (README "Team"): an outage one instance sees stops the others within this time
PROPAGATION_BOUND_S = 1.0


@dataclass(frozen=True)
class CircuitSignal:
    instance: str
    alias: str
    cooldown_s: float

    def encode(self) -> str:
        return json.dumps({"instance": self.instance, "alias": self.alias, "cooldown_s": self.cooldown_s})

    @staticmethod
    def decode(raw: str | bytes) -> "CircuitSignal | None":
        try:
            data = json.loads(raw)
            return CircuitSignal(str(data["instance"]), str(data["alias"]), float(data["cooldown_s"]))
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed circuit signal: %r", raw[:200])
            return None


Receiver = Callable[[CircuitSignal], None]


class HealthSignals:
    """Publish this instance's openings; hand other instances' to ``receive`` (on the listener thread)."""

    def __init__(self, instance: str | None = None) -> None:
        self.instance = instance or uuid.uuid4().hex[:12]
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.published = 0
        self.received = 0

    def publish(self, alias: str, cooldown_s: float) -> None:
        try:
            self._send(CircuitSignal(self.instance, alias, cooldown_s).encode())
            self.published += 1
        except Exception as err:  # noqa: BLE001 - a lost hint; the other instances' breakers still work
            log.warning("could not publish the circuit signal for %s: %s", alias, err)

    def start(self, receive: Receiver) -> None:
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(receive, ready), name="routedesk-circuit-signals",
                                        daemon=True)
        self._thread.start()
        ready.wait(5)  # subscribed (or failed once and retrying): signals sent from now on arrive

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        self._close()

    def _run(self, receive: Receiver, ready: threading.Event) -> None:
        while not self._stop.is_set():
            try:
                for raw in self._listen(ready):
                    signal = CircuitSignal.decode(raw)
                    if signal is not None and signal.instance != self.instance:
                        self.received += 1
                        receive(signal)
            except Exception as err:  # noqa: BLE001 - the server went away: retry until stopped
                log.warning("circuit signals: listener lost its connection (%s); retrying", err)
                ready.set()
                self._stop.wait(RETRY_S)

    # --- transport ------------------------------------------------------------------------

    def _send(self, payload: str) -> None:
        raise NotImplementedError

    def _listen(self, ready: threading.Event) -> Any:
        """Yield payloads until stopped; set ``ready`` once subscribed."""
        raise NotImplementedError

    def _close(self) -> None:
        return None


class RedisHealthSignals(HealthSignals):
    def __init__(self, url: str, instance: str | None = None) -> None:
        super().__init__(instance)
        import redis

        self.url = url
        self._redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)

    def _send(self, payload: str) -> None:
        self._redis.publish(CHANNEL, payload)

    def _listen(self, ready: threading.Event) -> Any:
        import redis

        listener = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)
        pubsub = listener.pubsub(ignore_subscribe_messages=True)
        try:
            pubsub.subscribe(CHANNEL)
            pubsub.get_message(timeout=POLL_S)  # the subscribe confirmation
            ready.set()
            while not self._stop.is_set():
                message = pubsub.get_message(timeout=POLL_S)
                if message and message.get("type") == "message":
                    yield message["data"]
        finally:
            pubsub.close()
            listener.close()

    def _close(self) -> None:
        self._redis.close()


class PostgresHealthSignals(HealthSignals):
    def __init__(self, url: str, instance: str | None = None) -> None:
        super().__init__(instance)
        from console.core.budget.postgres_store import connect

        self.url = url
        self._conn = connect(url)
        self._lock = threading.Lock()

    def _send(self, payload: str) -> None:
        with self._lock:
            self._conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, payload))

    def _listen(self, ready: threading.Event) -> Any:
        from console.core.budget.postgres_store import connect

        listener = connect(self.url)
        try:
            listener.execute(f"LISTEN {CHANNEL}")
            ready.set()
            while not self._stop.is_set():
                for notice in listener.notifies(timeout=POLL_S, stop_after=64):
                    yield notice.payload
        finally:
            listener.close()

    def _close(self) -> None:
        self._conn.close()
