"""`fieldapp-central admin backup` and `admin restore` on both back ends: events pushed, a
backup, more pushed, the database destroyed, the backup restored; the endpoint then serves
exactly the backed-up events, and laptops whose cursors ran past the restored end still get
everything written after it."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest
from central_support import START, Events, add_officer, enrol_device, pull_all

from central import security
from central.__main__ import main
from central.backup import POSITION_GAP
from central.storage import open_storage
from central.storage.base import Caller
from central.storage.sql import SqlStorage


class Endpoint:
    """The database behind one endpoint, opened and closed as the admin commands need."""

    def __init__(self, url: str, cluster: Any) -> None:  # conftest's PostgresCluster
        self.url = url
        self.cluster = cluster
        self.storage: SqlStorage | None = None

    def open(self) -> SqlStorage:
        self.storage = open_storage(self.url)
        self.storage.migrate(START)
        return self.storage

    def close(self) -> None:
        if self.storage is not None:
            self.storage.close()
            self.storage = None

    def admin(self, *task: str) -> int:
        bindir = ["--pg-bindir", str(Path(self.cluster.pg_ctl).parent)] if self.cluster else []
        return main(["admin", *task, "--database", self.url, *bindir])

    def destroy(self) -> None:
        """The disk is lost: what is left is an empty place to restore into."""
        self.close()
        if self.cluster is None:
            path = Path(self.url.removeprefix("sqlite:///"))
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            return
        name = urlsplit(self.url).path.lstrip("/")
        with psycopg.connect(self.cluster.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')


@pytest.fixture
def endpoint(database_url: str, request: pytest.FixtureRequest) -> Iterator[Endpoint]:
    cluster = (request.getfixturevalue("postgres_cluster")
               if database_url.startswith("postgresql") else None)
    site = Endpoint(database_url, cluster)
    try:
        yield site
    finally:
        site.close()


def _caller(storage: SqlStorage, token: str) -> Caller:
    caller = storage.caller(security.digest(token), now=START)
    assert caller is not None
    return caller


def test_a_restore_serves_exactly_the_backed_up_events(
    endpoint: Endpoint, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    storage = endpoint.open()
    add_officer(storage, "1001", role="oic")
    add_officer(storage, "1002")  # same team: pulls what 1001 records
    _, author_token = enrol_device(storage, "1001")
    _, reader_token = enrol_device(storage, "1002")
    make = Events()
    occurrence = make.occurrence("1001", "1001", "Leeds")
    household = make.household("1001", occurrence.aggregate_id)
    backed_up = [occurrence, household, make.offer("1001", household.aggregate_id)]
    storage.push(_caller(storage, author_token), backed_up, received_at=START, address=None,
                 rejected=0)
    endpoint.close()

    backup_file = tmp_path / "central.backup"
    assert endpoint.admin("backup", "--out", str(backup_file)) == 0
    assert stat.S_IMODE(backup_file.stat().st_mode) == 0o600

    storage = endpoint.open()
    lost = [make.callback("1001", household.aggregate_id), make.leaflets("1001",
                                                                        occurrence.aggregate_id)]
    storage.push(_caller(storage, author_token), lost, received_at=START, address=None,
                 rejected=0)
    pulled, reader_position = pull_all(storage, _caller(storage, reader_token))
    assert set(pulled) == {e.id for e in backed_up + lost}
    endpoint.destroy()

    capsys.readouterr()
    assert endpoint.admin("restore", "--from", str(backup_file)) == 0
    assert "Restored 3 events" in capsys.readouterr().out

    storage = endpoint.open()
    assert [e.action for e in storage.access_log()][-1] == "restore"
    reader = _caller(storage, reader_token)  # laptops enrolled before the backup still sync
    pulled, _ = pull_all(storage, reader)
    assert sorted(pulled) == sorted(e.id for e in backed_up)

    # The reader's laptop holds a cursor from before the loss, past the restored feed's end.
    # The author's laptop sends again what was lost, then records more: the reader gets both.
    later = [make.callback("1001", household.aggregate_id)]
    outcomes = storage.push(_caller(storage, author_token), lost + later, received_at=START,
                            address=None, rejected=0)
    assert all(o.seq is not None and o.seq > POSITION_GAP for o in outcomes)
    pulled, _ = pull_all(storage, reader, after=reader_position)
    assert sorted(pulled) == sorted(e.id for e in lost + later)


def test_backup_and_restore_refuse_to_overwrite_anything(
    endpoint: Endpoint, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    storage = endpoint.open()
    add_officer(storage, "1001")
    endpoint.close()
    taken = tmp_path / "taken"
    taken.write_bytes(b"someone else's file")
    assert endpoint.admin("backup", "--out", str(taken)) == 2
    assert taken.read_bytes() == b"someone else's file"
    assert "already exists" in capsys.readouterr().err

    backup_file = tmp_path / "central.backup"
    assert endpoint.admin("backup", "--out", str(backup_file)) == 0
    assert endpoint.admin("restore", "--from", str(backup_file)) == 2  # the live database
    assert "never overwrites" in capsys.readouterr().err
    storage = endpoint.open()
    assert storage.officer("1001") is not None
    assert [e.action for e in storage.access_log()][-1] == "backup"


def test_a_file_that_is_not_a_backup_is_refused_and_nothing_is_created(
    endpoint: Endpoint, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    endpoint.open()
    endpoint.destroy()
    junk = tmp_path / "junk.backup"
    junk.write_bytes(os.urandom(4096))
    assert endpoint.admin("restore", "--from", str(junk)) == 2
    assert "fieldapp-central:" in capsys.readouterr().err
    if endpoint.cluster is None:
        folder = Path(endpoint.url.removeprefix("sqlite:///")).parent
        assert not [p for p in folder.iterdir() if "central.db" in p.name]
    else:
        with psycopg.connect(endpoint.url) as conn:
            row = conn.execute("SELECT count(*) FROM pg_catalog.pg_tables "
                               "WHERE schemaname = 'public'").fetchone()
        assert row == (0,)
