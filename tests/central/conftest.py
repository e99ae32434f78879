"""Fixtures for the central endpoint's tests: real SQLite files, a throwaway PostgreSQL
cluster, and real uvicorn servers on 127.0.0.1."""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from central_support import FakeClock, free_port

from central.storage import open_storage
from central.storage.sql import SqlStorage


def _postgres_bindir() -> Path:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(on_path).resolve().parent
    pytest.fail(
        "PostgreSQL server binaries (initdb, pg_ctl) were not found in /usr/lib/postgresql/*/bin "
        "or on PATH: install the postgresql package. The PostgreSQL back end must be tested."
    )


class PostgresCluster:
    """A PostgreSQL cluster of its own in a temporary directory, stopped and deleted after."""

    def __init__(self) -> None:
        bindir = _postgres_bindir()
        self.root = Path(tempfile.mkdtemp(prefix="central-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        as_root = os.geteuid() == 0
        # initdb refuses to run as root: run the cluster as the postgres user.
        self.prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
        if as_root:
            account = pwd.getpwnam("postgres")
            os.chown(self.root, account.pw_uid, account.pw_gid)
        self.pg_ctl = str(bindir / "pg_ctl")
        subprocess.run(
            [*self.prefix, str(bindir / "initdb"), "-D", str(self.data), "-A", "trust",
             "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"],
            check=True, capture_output=True,
        )
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off -c max_connections=200"
        )
        subprocess.run(
            [*self.prefix, self.pg_ctl, "-D", str(self.data), "-l", str(self.root / "log"),
             "-o", options, "-w", "-t", "60", "start"],
            check=True, capture_output=True,
        )
        self._names = itertools.count(1)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        name = f"central_{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        subprocess.run(
            [*self.prefix, self.pg_ctl, "-D", str(self.data), "-m", "immediate", "-w", "stop"],
            check=False, capture_output=True,
        )
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster()
    try:
        yield cluster
    finally:
        cluster.stop()


BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


@pytest.fixture(params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'central.db'}"
    else:
        cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
        yield cluster.create_database()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def storage(database_url: str, clock: FakeClock) -> Iterator[SqlStorage]:
    store = open_storage(database_url)
    store.migrate(clock.now())
    try:
        yield store
    finally:
        store.close()

