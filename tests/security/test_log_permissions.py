"""The routing log is private: data directory 0700, the log and its -wal/-shm and staging files 0600.

With ``--store-prompt`` the log holds prompts; before, it was 0644 in a 0755 directory, readable by
every user of the machine. The umask is opened wide here, so the modes come from Routedesk, not luck.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Iterator

import pytest

from console.core.ledger.store import open_ledger
from console.core.ledger.writer import LedgerWriter
from console.core.paths import data_dir, default_log_url

from tests.core.ledger.records_factory import make_record

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def wide_umask() -> Iterator[None]:
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def test_the_data_directory_is_created_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               wide_umask: None) -> None:
    monkeypatch.setenv("ROUTEDESK_HOME", str(tmp_path / "new-home"))
    assert _mode(data_dir()) == 0o700


def test_an_existing_open_data_directory_is_tightened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "old-home"
    home.mkdir(mode=0o755)
    home.chmod(0o755)
    monkeypatch.setenv("ROUTEDESK_HOME", str(home))
    assert _mode(data_dir()) == 0o700


def test_the_log_its_wal_and_shm_and_the_staging_files_are_private(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, wide_umask: None) -> None:
    monkeypatch.setenv("ROUTEDESK_HOME", str(tmp_path / "home"))
    writer = LedgerWriter(default_log_url())
    record = make_record("private")
    record.prompt_text = "a prompt nobody else may read"
    writer.record(record).result(10)
    writer.flush(10)
    home = data_dir()
    log_file = home / "routedesk-log.sqlite3"
    files = [log_file, Path(f"{log_file}-wal"), Path(f"{log_file}-shm")]
    assert writer.staging is not None
    files.append(writer.staging.path)
    files += [Path(f"{writer.staging.path}-wal")]
    assert all(p.exists() for p in files), [p for p in files if not p.exists()]
    assert {str(p.name): _mode(p) for p in files} == {str(p.name): 0o600 for p in files}
    assert _mode(home) == 0o700 and _mode(writer.staging.path.parent) == 0o700
    writer.close()


def test_a_log_made_elsewhere_is_private_and_an_existing_one_is_tightened(tmp_path: Path, wide_umask: None) -> None:
    tmp_path.chmod(0o755)
    fresh = tmp_path / "team" / "logs" / "log.sqlite3"
    open_ledger(f"sqlite:///{fresh}").dispose()
    assert _mode(fresh) == 0o600 and _mode(fresh.parent) == 0o700
    beside = tmp_path / "beside.sqlite3"
    open_ledger(f"sqlite:///{beside}").dispose()
    assert _mode(beside) == 0o600 and _mode(tmp_path) == 0o755  # a folder the user chose is not re-moded
    old = tmp_path / "old.sqlite3"
    open_ledger(f"sqlite:///{old}").dispose()
    old.chmod(0o644)
    open_ledger(f"sqlite:///{old}").dispose()
    assert _mode(old) == 0o600
