"""The Workspace opens its one log writer once, however many threads first ask for it at the same time."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from console.core.workspace import Workspace


def test_threads_asking_at_once_share_one_writer_and_one_intact_log(tmp_path: Path) -> None:
    # The window's engine loop, a worker reading first-token history and the Keys check can all be
    # the first to touch the log; two writers would create the schema twice ("index already exists").
    for round_ in range(15):
        workspace = Workspace(f"sqlite:///{tmp_path / f'log-{round_}.sqlite3'}")
        start = threading.Barrier(6)
        got: list[object] = []

        def ask() -> None:
            start.wait()
            got.append(workspace.recorder)

        threads = [threading.Thread(target=ask) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        try:
            assert len(got) == 6 and all(recorder is got[0] for recorder in got)
            assert getattr(got[0], "health").ok  # the schema was made once, whole
        finally:
            asyncio.run(workspace.aclose())
