"""`fieldapp-central admin backup --out FILE` and `admin restore --from FILE`.

SQLite: an online copy with SQLite's backup API (a consistent snapshot; the endpoint may keep
serving), checked with `PRAGMA integrity_check`. PostgreSQL: `pg_dump -Fc`, checked with
`pg_restore --list`, restored with `pg_restore` in one transaction. Either way a restore goes
only into a database that is empty or absent, so it can never overwrite live data.

A restored database is behind every laptop: the pull positions laptops hold may be past the
end of its feeds. So a restore moves every position counter (events, feeds, erasure notices)
forward by POSITION_GAP: whatever is written after the restore is numbered above any position
handed out before it, and every laptop pulls it. What the endpoint received between the backup
and the restore is not in the backup; docs/admin-guide.md says what IT does about that.
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import sqlite3
import subprocess
from datetime import datetime
from pathlib import Path
from typing import TextIO

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from central.clock import SystemClock
from central.storage import open_storage
from central.storage.base import StorageError
from central.storage.sql import SqlStorage, _log

TASKS = ("backup", "restore")
# Far more feed rows than an endpoint writes between a backup and its restore, and room for
# two thousand million restores below the cursor's limit of 2**63.
POSITION_GAP = 2**32
# The counters behind what laptops hold: event numbers (acknowledged to laptops, documented
# as never reused) and the two pull positions in every cursor.
POSITION_COLUMNS = (("events", "seq"), ("feed", "feed_seq"), ("erasure_notices", "notice_seq"))


class BackupFailed(StorageError):
    """The backup or restore did not happen; the message says why, and nothing was changed."""


def add_parsers(tasks: argparse._SubParsersAction[argparse.ArgumentParser],
                common: argparse.ArgumentParser) -> None:
    backup = tasks.add_parser(
        "backup", parents=[common],
        help="copy the database to a new file while the endpoint runs",
    )
    backup.add_argument("--out", required=True, type=Path, help="a new file to write")
    restore = tasks.add_parser(
        "restore", parents=[common],
        help="load a backup into an empty database (stop the endpoint first)",
    )
    restore.add_argument("--from", dest="source", required=True, type=Path,
                         help="a file written by admin backup")
    for task in (backup, restore):
        task.add_argument("--pg-bindir", type=Path, default=None,
                          help="folder holding pg_dump and pg_restore (PostgreSQL only; "
                          "default: PATH, else the newest /usr/lib/postgresql/*/bin)")


def run(args: argparse.Namespace, *, actor: str, out: TextIO) -> int:
    now = SystemClock().now()
    if args.task == "backup":
        backup(args.database, args.out, now=now, actor=actor, pg_bindir=args.pg_bindir)
        out.write(f"Backup written to {args.out}. It holds every record in clear: keep it "
                  "encrypted and only as long as the force's policy says.\n")
        return 0
    summary = restore(args.database, args.source, now=now, actor=actor,
                      pg_bindir=args.pg_bindir)
    out.write(summary + "\n")
    return 0


# ----------------------------------------------------------------- backup


def backup(url: str, out: Path, *, now: datetime, actor: str,
           pg_bindir: Path | None = None) -> None:
    if out.exists():
        raise BackupFailed(f"{out} already exists: choose a new file name.")
    part = out.with_name(f".{out.name}.part")
    _new_private_file(part)
    try:
        path = _sqlite_path(url)
        if path is not None:
            _backup_sqlite(path, part)
        else:
            _backup_postgres(url, part, pg_bindir)
        _fsync(part)
        os.replace(part, out)
        _fsync(out.parent)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    storage = open_storage(url, pool_size=1)
    try:
        _log_admin(storage, now, actor, "backup", "disclosure", {"file": out.name})
    finally:
        storage.close()


def _backup_sqlite(path: Path, part: Path) -> None:
    if not path.is_file():
        raise BackupFailed(f"There is no database at {path}.")
    # Opened as the endpoint opens it: a read-only connection cannot always read a WAL file.
    source = sqlite3.connect(path)
    target = sqlite3.connect(part)
    try:
        source.backup(target)
        # One self-contained file: no -wal beside it to forget when it is copied away.
        target.execute("PRAGMA journal_mode = DELETE")
        _check_sqlite(target, path)
    except sqlite3.DatabaseError as exc:
        raise BackupFailed(f"The database at {path} could not be copied: {exc}.") from exc
    finally:
        target.close()
        source.close()


def _backup_postgres(url: str, part: Path, pg_bindir: Path | None) -> None:
    dsn, env = _libpq(url)
    _tool("pg_dump", pg_bindir, ["--format=custom", f"--file={part}", f"--dbname={dsn}"], env)
    # The dump is read back whole, so a truncated or unreadable file is found now.
    _tool("pg_restore", pg_bindir, ["--list", str(part)], env)


# ----------------------------------------------------------------- restore


def restore(url: str, source: Path, *, now: datetime, actor: str,
            pg_bindir: Path | None = None) -> str:
    if not source.is_file():
        raise BackupFailed(f"There is no backup at {source}.")
    path = _sqlite_path(url)
    if path is not None:
        _restore_sqlite(source, path)
    else:
        _restore_postgres(url, source, pg_bindir)
    storage = open_storage(url, pool_size=1)
    try:
        storage.migrate(now)  # a backup made by an older release is brought up to date
        _move_positions_on(storage)
        _log_admin(storage, now, actor, "restore", "alteration",
                   {"file": source.name, "position_gap": POSITION_GAP})
        return _summary(storage)
    finally:
        storage.close()


def _restore_sqlite(source: Path, path: Path) -> None:
    if path.exists():
        raise BackupFailed(
            f"There is already a database at {path}. Move it aside first (keep it until the "
            "restored endpoint has been checked); a restore never overwrites a database."
        )
    part = path.with_name(f".{path.name}.part")
    _new_private_file(part)
    try:
        backup_file = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
        target = sqlite3.connect(part)
        try:
            _check_sqlite(backup_file, source)
            backup_file.backup(target)
        except sqlite3.DatabaseError as exc:
            raise BackupFailed(f"{source} is not a backup that can be restored: {exc}.") from exc
        finally:
            target.close()
            backup_file.close()
        _fsync(part)
        os.replace(part, path)
        _fsync(path.parent)
    except BaseException:
        part.unlink(missing_ok=True)
        raise


def _restore_postgres(url: str, source: Path, pg_bindir: Path | None) -> None:
    try:
        with psycopg.connect(url, connect_timeout=10) as conn:
            row = conn.execute(
                "SELECT count(*) FROM pg_catalog.pg_tables "
                "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
            ).fetchone()
    except psycopg.Error as exc:
        raise BackupFailed(f"The database cannot be reached: {exc}") from exc
    if row is None or row[0]:
        raise BackupFailed(
            "The database already holds tables; a restore never overwrites a database. "
            "Create a new, empty one (docs/admin-guide.md, 'Restore') and restore into that."
        )
    dsn, env = _libpq(url)
    # --no-owner: the tables belong to whoever restores (the endpoint's own role), not to the
    # role that owned them where the backup was made. One transaction: all or nothing.
    _tool("pg_restore", pg_bindir,
          ["--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error",
           f"--dbname={dsn}", str(source)], env)


def _move_positions_on(storage: SqlStorage) -> None:
    with storage.backend.transaction("write") as tx:
        for table, column in POSITION_COLUMNS:
            if storage.dialect == "sqlite":
                # AUTOINCREMENT numbers from sqlite_sequence, which may be written to.
                moved = tx.execute(
                    "UPDATE sqlite_sequence SET seq = seq + ? WHERE name = ?",
                    (POSITION_GAP, table),
                )
                if not moved:
                    tx.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)",
                               (table, POSITION_GAP))
            else:
                tx.query(
                    "SELECT setval(pg_get_serial_sequence(?, ?), "
                    "nextval(pg_get_serial_sequence(?, ?)) + ?)",
                    (table, column, table, column, POSITION_GAP),
                )


def _summary(storage: SqlStorage) -> str:
    with storage.backend.transaction("read") as tx:
        events, newest = tx.one("SELECT count(*), max(received_at) FROM events") or (0, None)
        (devices,) = tx.one("SELECT count(*) FROM devices") or (0,)
    newest_text = f", the newest received {newest}" if newest else ""
    return (
        f"Restored {events} events{newest_text}, and {devices} enrolled laptops.\n"
        "Anything the endpoint was sent or told after the backup was made is not in it: "
        "follow 'After a restore' in docs/admin-guide.md before starting the endpoint."
    )


# ----------------------------------------------------------------- helpers


def _sqlite_path(url: str) -> Path | None:
    """The file of a sqlite:/// URL (as open_storage reads it), or None for PostgreSQL."""
    if url.startswith("sqlite:///"):
        return Path(url[len("sqlite:///"):])
    if url.split(":", 1)[0] in ("postgresql", "postgres"):
        return None
    raise BackupFailed("The database must be sqlite:///path.db or postgresql://...")


def _check_sqlite(conn: sqlite3.Connection, path: Path) -> None:
    if conn.execute("PRAGMA integrity_check").fetchone() != ("ok",):
        raise BackupFailed(f"{path} is damaged (PRAGMA integrity_check failed).")
    if conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
    ).fetchone() is None:
        raise BackupFailed(f"{path} is not a fieldapp-central database.")


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """The URL for pg_dump/pg_restore without its password, which goes in their environment
    instead: a command line can be read by every user of the machine."""
    params = conninfo_to_dict(url)
    password = params.pop("password", None)
    env = dict(os.environ)
    if password:
        env["PGPASSWORD"] = str(password)
    return make_conninfo("", **params), env


def _tool(name: str, bindir: Path | None, arguments: list[str], env: dict[str, str]) -> None:
    program = _find(name, bindir)
    result = subprocess.run(  # noqa: S603 (a PostgreSQL client, with arguments we made)
        [program, *arguments], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        # pg_dump's and pg_restore's messages name objects and connections, never row data.
        raise BackupFailed(f"{name} failed: {result.stderr.strip() or result.returncode}")


def _find(name: str, bindir: Path | None) -> str:
    if bindir is not None:
        found = bindir / name
        if not found.is_file():
            raise BackupFailed(f"There is no {name} in {bindir}.")
        return str(found)
    on_path = shutil.which(name)
    if on_path:
        return on_path
    installed = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                       key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if installed:
        return installed[-1]
    raise BackupFailed(f"{name} was not found: install the PostgreSQL client tools "
                       "(postgresql-client) or give --pg-bindir.")


def _new_private_file(path: Path) -> None:
    """Created 0600 before anything is written: a backup holds every record."""
    path.unlink(missing_ok=True)  # a leftover from an interrupted run
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _log_admin(storage: SqlStorage, now: datetime, actor: str, action: str, category: str,
               detail: dict[str, object]) -> None:
    with storage.backend.transaction("log") as tx:
        _log(tx, at=now, action=action, category=category, officer=None, device_id=None,
             address=actor, detail=detail)
