"""Gateways starting at once on a new database all create the team tables: CREATE TABLE IF NOT
EXISTS alone fails the second of two sessions on pg_type's unique index (the three-process test hit it)."""

from __future__ import annotations

import threading
import time

from console.core.budget.postgres_store import PostgresSpendStore
from console.core.team.api_keys import ApiKeyStore
from console.core.team.published import PolicyPublisher
from tests.support.postgres import PostgresServer


def test_six_sessions_creating_the_team_tables_at_once_all_succeed(postgres_server: PostgresServer) -> None:
    for round_ in range(5):
        url = postgres_server.create_database(f"tables_{round_}_{int(time.time() * 1000) % 10**8}")
        start = threading.Barrier(6)
        problems: list[str] = []

        def open_all() -> None:
            start.wait()
            try:
                for make in (PostgresSpendStore, ApiKeyStore, PolicyPublisher):
                    make(url).close()
            except Exception as err:  # noqa: BLE001 - any failure is the finding
                problems.append(str(err))

        threads = [threading.Thread(target=open_all) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert not problems, problems[0]
