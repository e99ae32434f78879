"""SQLite back end: one file, WAL, fully synchronous commits, writers serialised."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from central.storage.database import Backend, Dialect

BUSY_TIMEOUT_MS = 10_000

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
