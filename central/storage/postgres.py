"""PostgreSQL back end (psycopg 3) for a force-wide deployment."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import psycopg

from central.storage.database import Backend, Dialect

# Every transaction that appends events or feed rows holds this advisory lock until it commits.
# Identity values are handed out when a row is inserted, not when it becomes visible: without
# the lock, a pull could see feed row 11 committed while row 10 is still in flight, move its
# cursor past 10 and never see it. With writers serialised, commit order is number order.
WRITE_LOCK_KEY = 0x6669656C64  # "field"
# Enrolments hold this one: two wrong codes at once must not both pass the count of an
# address's failures (READ COMMITTED would let each count before the other's row is in).
ENROL_LOCK_KEY = 0x656E726F6C  # "enrol"

# `INSERT INTO table (...) VALUES (%s, ...) RETURNING key`, as Tx.insert_returning is given it.
_ONE_ROW = re.compile(r"(INSERT INTO \w+ \([\w, ]+\) VALUES )(\((?:%s, )*%s\)) RETURNING (\w+)")
_ROWS_PER_INSERT = 250

DIALECT = Dialect(
    name="postgresql",
    placeholder="%s",
    ddl_tokens={
        "serial": "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
        "bigint": "BIGINT",
    },
    begin={
        # One snapshot for the page and the "last position" read that follows it.
        "read": ("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",),
        "write": ("BEGIN", f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})"),
        "log": ("BEGIN",),
        "enrol": ("BEGIN", f"SELECT pg_advisory_xact_lock({ENROL_LOCK_KEY})"),
    },
)


class PostgresBackend(Backend):
    dialect = DIALECT

    def __init__(self, url: str, pool_size: int = 8) -> None:
        super().__init__(pool_size)
        self.url = url

    def connect(self) -> Any:
        return psycopg.connect(self.url, autocommit=True, connect_timeout=10)

    def unavailable(self, exc: BaseException) -> bool:
        return isinstance(exc, psycopg.OperationalError)

    def insert_returning(self, cursor: Any, sql: str, rows: Sequence[Sequence[Any]]) -> list[int]:
        """A few multi-row statements for the whole batch, not one statement per row (which
        even pipelined cost the server a statement each: 14% of a push's time). The rows are
        numbered in the order VALUES lists them, under the write lock (no other writer), so
        the numbers sorted are the rows' in order."""
        if not rows:
            return []
        match = _ONE_ROW.fullmatch(sql)
        if match is None:
            cursor.executemany(sql, [tuple(row) for row in rows], returning=True)
            out = []
            while True:
                out.append(int(cursor.fetchone()[0]))
                if not cursor.nextset():
                    break
            return out
        head, values, key = match.groups()
        numbers: list[int] = []
        for start in range(0, len(rows), _ROWS_PER_INSERT):
            chunk = rows[start : start + _ROWS_PER_INSERT]
            # Names and placeholders from our own SQL, never from a request.
            made = f"{head}{','.join([values] * len(chunk))} RETURNING {key}"
            statement = f"WITH made AS ({made}) SELECT {key} FROM made ORDER BY {key}"  # noqa: S608
            cursor.execute(statement, [value for row in chunk for value in row])
            numbers += [int(row[0]) for row in cursor.fetchall()]
        if len(numbers) != len(rows):
            raise RuntimeError(f"{len(rows)} rows inserted, {len(numbers)} numbered")
        return numbers
