"""Every answered request reaches the log, whatever its text: unencodable text is escaped and flagged.

A lone surrogate ("\\ud83d", half an emoji from a UTF-16 client) in ``user``, metadata or the prompt,
and a ``--meta`` value that is not UTF-8 (Python hands such argv bytes over as "\\udcXX"), cannot be
encoded for SQLite, PostgreSQL or JSON. Before, the answer was returned and the request was in no log.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from console.core.ledger.storable import ESCAPED_KEY, storable
from console.core.ledger.store import open_ledger_readonly
from console.core.ledger.writer import LedgerWriter
from console.core.policy.save import save_policy
from tests.core.ledger.records_factory import make_record
from tests.gateway.endpoint import running_endpoint
from tests.gateway.test_endpoint_openai import sdk_policy
from tests.support.fault_server import FaultServer, fault_server  # noqa: F401 - fixture

ROOT = Path(__file__).resolve().parents[2]
HALF_EMOJI = "\ud83d"


def _rows(url: str) -> list[dict]:
    db = open_ledger_readonly(url)
    try:
        with db.connect() as conn:
            return [dict(r._mapping) for r in conn.exec_driver_sql(
                "SELECT request_id, team, metadata_json, prompt_text FROM request")]
    finally:
        db.dispose()


def test_storable_escapes_each_unencodable_field_and_flags_the_record() -> None:
    record = make_record("s1")
    assert storable(record) is record  # nothing to do: the same object, no copy on the hot path
    record.metadata = {"team": "gr" + HALF_EMOJI, "note\udce9": "ok"}
    record.prompt_text = "hello " + HALF_EMOJI
    record.attempts[0].error_message = "bad \udcff byte"
    clean = storable(record)
    assert clean.metadata["team"] == "gr\\ud83d" and clean.prompt_text == "hello \\ud83d"
    assert clean.metadata["note\\udce9"] == "ok" and clean.attempts[0].error_message == "bad \\udcff byte"
    assert clean.metadata[ESCAPED_KEY].split(",") == [
        "prompt_text", "metadata.team", "metadata.note\\udce9", "attempts[0].error_message"]
    json.dumps(clean.__dict__, default=str).encode("utf-8")  # everything encodes now


@pytest.mark.parametrize("staging", [True, False], ids=["staging", "commit"])
def test_the_writer_stores_surrogates_escaped_either_way(tmp_path: Path, staging: bool) -> None:
    url = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    record = make_record("s2")
    record.metadata["user"] = HALF_EMOJI
    with LedgerWriter(url, staging=staging) as writer:
        writer.record(record).result(10)
        writer.flush(10)
        assert writer.health.ok
    [row] = _rows(url)
    meta = json.loads(row["metadata_json"])
    assert meta["user"] == "\\ud83d" and meta[ESCAPED_KEY] == "metadata.user"


def test_the_endpoint_logs_a_request_whose_user_and_metadata_hold_lone_surrogates(
        fault_server: FaultServer, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    with running_endpoint(sdk_policy(fault_server), log_url=url) as live:
        body = {"model": "auto", "messages": [{"role": "user", "content": "hello"}],
                "user": HALF_EMOJI, "metadata": {"team": "t" + HALF_EMOJI}}
        answer = httpx.post(f"{live.url}/chat/completions", headers={"Authorization": f"Bearer {live.token}"},
                            content=json.dumps(body), timeout=30)  # json.dumps escapes it as \ud83d
        assert answer.status_code == 200, answer.text
        rid = answer.headers["x-routedesk-request-id"]
        live.state.workspace.flush_log()
    [row] = _rows(url)
    assert row["request_id"] == rid and row["team"] == "t\\ud83d"
    meta = json.loads(row["metadata_json"])
    assert meta["user"] == "\\ud83d" and set(meta[ESCAPED_KEY].split(",")) == {"metadata.user", "metadata.team"}


@pytest.mark.skipif(os.name != "posix", reason="argv as raw bytes is a POSIX notion")
def test_route_logs_a_non_utf8_meta_value(fault_server: FaultServer, tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    save_policy(sdk_policy(fault_server), policy)
    url = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    env = dict(os.environ, ROUTEDESK_HOME=str(tmp_path / "home"), LC_ALL="C.UTF-8", PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable.encode(), b"-m", b"console", b"route", b"--policy", str(policy).encode(), b"--db", url.encode(),
         b"--store-prompt", b"--meta", b"city=caf\xe9", b"hello from a latin-1 terminal"],
        cwd=ROOT, env=env, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    [row] = _rows(url)
    meta = json.loads(row["metadata_json"])
    assert meta["city"] == "caf\\udce9" and row["prompt_text"] == "hello from a latin-1 terminal"
    assert meta[ESCAPED_KEY] == "metadata.city"
