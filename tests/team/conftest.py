"""Team-gateway fixtures: real PostgreSQL and Redis on loopback; ``spend_store`` runs a test on each."""

from __future__ import annotations

from typing import Iterator

import pytest

from console.core.budget.reservations import SpendStore
from tests.support.postgres import postgres_server, postgres_url  # noqa: F401  (fixtures)
from tests.support.redis_server import redis_server, redis_url  # noqa: F401  (fixtures)


@pytest.fixture(params=["redis", "postgres"])
def store_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture()
def spend_store(store_kind: str, request: pytest.FixtureRequest) -> Iterator[SpendStore]:
    store: SpendStore
    if store_kind == "redis":
        from console.core.budget.redis_store import RedisSpendStore

        store = RedisSpendStore(request.getfixturevalue("redis_url"))
    else:
        from console.core.budget.postgres_store import PostgresSpendStore

        store = PostgresSpendStore(request.getfixturevalue("postgres_url"))
    yield store
    store.close()
