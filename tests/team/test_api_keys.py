"""API keys on a real PostgreSQL: stored hashed, checked, revoked; the cache bounds how late a
revocation is seen; the CLI creates, lists and revokes them; the key's team is what a request carries."""

from __future__ import annotations

import pytest

from console.cli.main import run as cli
from console.core.team.api_keys import ApiKeyStore, KeyInputError, digest
from console.gateway.team_auth import KeyCache


def test_a_key_is_stored_only_as_its_hash_and_checks_until_revoked(postgres_url: str) -> None:
    store = ApiKeyStore(postgres_url)
    try:
        key, plain = store.create("ana", "growth")
        assert plain.startswith(f"rdk_{key.id}_") and len(plain) > 40
        import psycopg

        with psycopg.connect(postgres_url.replace("+psycopg", "")) as conn:
            stored = conn.execute("SELECT * FROM routedesk_api_keys").fetchall()
        assert plain not in repr(stored) and plain.split("_")[-1] not in repr(stored)
        assert stored[0][3] == digest(plain)
        assert store.check(plain) == store.check(plain.encode()) and store.check(plain).team == "growth"  # type: ignore[union-attr]
        assert store.check(plain + "x") is None
        assert store.revoke(key.id) and not store.revoke(key.id)  # revoking twice says so
        assert store.check(plain) is None
        assert [k.active for k in store.list()] == [False] and store.list(include_revoked=False) == []
        with pytest.raises(KeyInputError, match="team ' spaces'"):
            store.create("bob", " spaces")
    finally:
        store.close()


def test_the_cache_sees_a_revocation_within_its_ttl() -> None:
    now = [0.0]
    valid = {b"k": True}
    calls: list[bytes] = []

    def lookup(key_digest: bytes):  # type: ignore[no-untyped-def]
        calls.append(key_digest)
        from console.core.team.api_keys import ApiKey

        return ApiKey("id", "ana", "growth") if valid.get(key_digest) else None

    cache = KeyCache(lookup, ttl_s=2.0, clock=lambda: now[0])
    assert cache.check(b"k") is not None and cache.check(b"k") is not None
    assert len(calls) == 1  # the second request cost no store round trip
    valid[b"k"] = False  # revoked in the store
    now[0] = 1.9
    assert cache.check(b"k") is not None  # still inside the bound
    now[0] = 2.0
    assert cache.check(b"k") is None  # at the bound it is refused
    assert cache.check(b"unknown") is None and cache.check(b"unknown") is None and calls.count(b"unknown") == 1


def test_the_cli_creates_lists_and_revokes_keys(postgres_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["team", "--store", postgres_url, "key-create", "ana", "--team", "growth"]) == 0
    plain = capsys.readouterr().out.strip()
    assert cli(["team", "--store", postgres_url, "key-list"]) == 0
    listed = capsys.readouterr().out
    key_id = plain.split("_")[1]
    assert key_id in listed and "growth" in listed and "active" in listed and plain not in listed
    assert cli(["team", "--store", postgres_url, "key-revoke", key_id]) == 0
    assert cli(["team", "--store", postgres_url, "key-revoke", key_id]) == 1
    assert "no active key" in capsys.readouterr().err
    assert cli(["team", "--store", postgres_url, "key-create", "bad name", "--team", "growth"]) == 2
    assert "name 'bad name'" in capsys.readouterr().err


def test_the_cli_says_where_the_store_is_missing(capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ROUTEDESK_TEAM_STORE", raising=False)
    assert cli(["team", "key-list"]) == 2
    assert "--store URL" in capsys.readouterr().err
    assert cli(["team", "--store", "postgresql://nobody@127.0.0.1:1/none", "key-list"]) == 1
    assert "cannot connect" in capsys.readouterr().err
