"""Watch the policy file the endpoint serves: a valid save applies to new requests, an invalid one is refused.

Polls the file's (mtime, size) — cheap, no extra dependency, works on every filesystem and with
editors that save by rename. On a change the file is loaded and checked off the event loop; a
clean policy goes to ``Engine.set_policy`` (requests in flight finish on the old one), a policy
with errors is refused with its located diagnostics while the previous policy keeps serving.
The latest ``PolicyStatus`` is kept for ``serve`` and the window to show.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from console.core.engine import Engine

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PolicyStatus:
    """What the watcher last did.

    Attributes:
        state: "serving" (the file as loaded at start), "reloaded" or "refused".
        path: the watched file.
        policy_hash: hash of the policy now serving.
        diagnostics: formatted problems of a refused save (file:line:col: error: ...).
        at: wall-clock time of the event.
    """

    state: str
    path: str
    policy_hash: str
    diagnostics: tuple[str, ...] = field(default_factory=tuple)
    at: float = field(default_factory=time.time)

    def summary(self) -> str:
        if self.state == "refused":
            return (f"{self.path}: the saved policy has errors and was NOT applied; still serving "
                    f"{self.policy_hash}:\n  " + "\n  ".join(self.diagnostics))
        if self.state == "reloaded":
            return f"{self.path}: policy reloaded; now serving {self.policy_hash}"
        return f"{self.path}: serving {self.policy_hash}"


def _signature(path: Path) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


class PolicyWatcher:
    """Polls ``path`` every ``interval_s`` and applies or refuses what was saved."""

    def __init__(
        self,
        engine: Engine,
        path: str | Path,
        *,
        interval_s: float = 1.0,
        on_status: Callable[[PolicyStatus], None] | None = None,
    ) -> None:
        self.engine = engine
        self.path = Path(path)
        self.interval_s = interval_s
        self.on_status = on_status
        self.status = PolicyStatus("serving", str(self.path), engine.policy_hash)
        self._seen = _signature(self.path)

    async def run(self) -> None:
        """Poll until cancelled."""
        while True:
            await asyncio.sleep(self.interval_s)
            await self.check()

    async def check(self) -> PolicyStatus | None:
        """Look once; the new status when the file changed, else None."""
        signature = _signature(self.path)
        if signature is None or signature == self._seen:
            return None
        self._seen = signature
        from console.core.policy.loader import load_policy

        loaded = await asyncio.to_thread(load_policy, self.path)
        if loaded.policy is None:
            problems = tuple(d.format() for d in loaded.errors) or ("the policy could not be loaded",)
            status = PolicyStatus("refused", str(self.path), self.engine.policy_hash, problems)
            log.warning("%s", status.summary())
        elif loaded.policy == self.engine.policy:
            if self.status.state != "refused":
                return None  # touched or re-saved unchanged
            status = PolicyStatus("serving", str(self.path), self.engine.policy_hash)  # a refused save was undone
        else:
            self.engine.set_policy(loaded.policy, self.path)
            status = PolicyStatus("reloaded", str(self.path), self.engine.policy_hash)
            log.info("%s", status.summary())
        self.status = status
        if self.on_status is not None:
            self.on_status(status)
        return status
