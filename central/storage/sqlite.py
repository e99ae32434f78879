"""SQLite back end: one file, WAL, fully synchronous commits, writers serialised."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from central.storage.database import Backend, Dialect

BUSY_TIMEOUT_MS = 10_000
# `INSERT INTO table (...) VALUES (...) RETURNING key`, as Tx.insert_returning is given it.
_NUMBERED = re.compile(r"(INSERT INTO (\w+) .*) RETURNING (\w+)", re.DOTALL)

DIALECT = Dialect(
    name="sqlite",
    placeholder="?",
    ddl_tokens={
        "serial": "INTEGER PRIMARY KEY AUTOINCREMENT",
        "bigint": "INTEGER",
    },
    begin={
        "read": ("BEGIN",),
        # IMMEDIATE takes the write lock up front, so two pushes cannot both read "id not
        # stored yet" and then race to insert; the second waits up to the busy timeout.
        "write": ("BEGIN IMMEDIATE",),
        "log": ("BEGIN IMMEDIATE",),
        "enrol": ("BEGIN IMMEDIATE",),
    },
)


class SqliteBackend(Backend):
    dialect = DIALECT

    def __init__(self, path: Path, pool_size: int = 8) -> None:
        super().__init__(pool_size)
        self.path = path

    def connect(self) -> Any:
        conn = sqlite3.connect(
            self.path,
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,  # transactions are opened explicitly by Backend.transaction
            check_same_thread=False,  # the pool hands a connection to one thread at a time
        )
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        # FULL: an acknowledged push survives power loss, which NORMAL does not promise in WAL.
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        return conn

    def unavailable(self, exc: BaseException) -> bool:
        return isinstance(exc, sqlite3.OperationalError) and (
            "locked" in str(exc) or "busy" in str(exc) or "unable to open" in str(exc)
        )

    def insert_returning(self, cursor: Any, sql: str, rows: Sequence[Sequence[Any]]) -> list[int]:
        """One executemany for the whole batch, then the numbers it was given. Rows are
        inserted in order inside a write transaction (BEGIN IMMEDIATE: no other writer), and
        an AUTOINCREMENT key only grows, so the rows numbered above the largest key before
        are exactly these, in their order."""
        match = _NUMBERED.fullmatch(sql)
        if match is None or len(rows) < 2:
            return super().insert_returning(cursor, sql, rows)
        insert, table, key = match.groups()
        cursor.execute(f"SELECT MAX({key}) FROM {table}")  # noqa: S608 (names from our SQL)
        before = cursor.fetchone()[0] or 0
        cursor.executemany(insert, [tuple(row) for row in rows])
        cursor.execute(
            f"SELECT {key} FROM {table} WHERE {key} > ? ORDER BY {key}",  # noqa: S608
            (before,),
        )
        numbers = [int(row[0]) for row in cursor.fetchall()]
        if len(numbers) != len(rows):
            raise RuntimeError(f"{len(rows)} rows inserted into {table}, {len(numbers)} found")
        return numbers
