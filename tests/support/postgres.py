"""A throwaway PostgreSQL 15 server for the ledger tests: initdb into a temp dir, start, yield a URL.

The server listens on a free 127.0.0.1 port and a Unix socket in the temp dir, trusts local
connections (it lives only for the test session) and is stopped and deleted afterwards. initdb
refuses to run as root, so as root the server runs as the ``postgres`` system user via runuser.
Missing binaries skip locally and fail under CI=true (``require_part``).
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

from tests.support.parts import require_part

PG_BIN_DIRS = ("/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin")


def find_pg_bin() -> Path | None:
    for folder in PG_BIN_DIRS:
        if (Path(folder) / "initdb").is_file():
            return Path(folder)
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_server_user(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", "postgres", "--", *argv]


def _run(argv: list[str], *, timeout: float = 60) -> None:
    result = subprocess.run(_as_server_user(argv), capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:2])} failed ({result.returncode}): {result.stderr or result.stdout}")


class PostgresServer:
    """One running server; ``url(dbname)`` gives a SQLAlchemy URL, ``create_database`` a fresh DB."""

    def __init__(self, bin_dir: Path, root: Path) -> None:
        self.bin_dir, self.root = bin_dir, root
        self.data, self.sockets = root / "data", root / "sock"
        self.port = _free_port()

    def start(self) -> None:
        self.sockets.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
            shutil.chown(self.sockets, "postgres")
        _run([str(self.bin_dir / "initdb"), "-D", str(self.data), "-U", "routedesk", "--auth=trust",
              "--encoding=UTF8", "--no-sync"])
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.sockets} -c fsync=off"
        _run([str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-o", options, "-w", "-t", "60",
              "-l", str(self.root / "server.log"), "start"], timeout=90)

    def stop(self) -> None:
        try:
            _run([str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"])
        except (RuntimeError, subprocess.TimeoutExpired):
            pass

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql+psycopg://routedesk@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=routedesk dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


_DATABASES = itertools.count(1)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server for the whole session (skips locally / fails in CI when unavailable)."""
    bin_dir = find_pg_bin()
    require_part(bin_dir is not None, "PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        require_part(False, "psycopg (PostgreSQL driver) is not installed")
    assert bin_dir is not None
    root = Path(tempfile.mkdtemp(prefix="routedesk-pg-"))
    server = PostgresServer(bin_dir, root)
    try:
        server.start()
    except (RuntimeError, subprocess.TimeoutExpired, OSError) as exc:
        shutil.rmtree(root, ignore_errors=True)
        require_part(False, f"could not start a throwaway PostgreSQL: {exc}")
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture()
def postgres_url(postgres_server: PostgresServer, request: pytest.FixtureRequest) -> str:
    """A fresh, empty database on the session's server, per test."""
    # Readable prefix, then what makes it unique: parametrized names share long prefixes, and an
    # object id can repeat once its object is gone, so a counter it is.
    name = "t_" + "".join(ch if ch.isalnum() else "_" for ch in request.node.name)[:40].lower()
    name = f"{name}_{os.getpid()}_{next(_DATABASES)}"
    return postgres_server.create_database(name)
