"""A small layer over the two DB-API drivers: one SQL text, two dialects, pooled connections.

SQL in this package is written once with `?` placeholders and `{serial}`-style tokens in DDL;
a Dialect turns it into what each driver expects.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any, Literal

from central.storage.base import StorageUnavailable

TxKind = Literal["read", "write", "log", "enrol"]
# Bound parameters per IN (...) list: well under SQLite's and PostgreSQL's limits.
IN_CHUNK = 500


@dataclass(frozen=True)
class Dialect:
    name: str
    placeholder: str
    ddl_tokens: dict[str, str]
    # Statements that open each kind of transaction. "write" serialises every writer of the
    # event log and feeds; "log" is a small write (access log, device bookkeeping) that need not;
    # "enrol" serialises enrolments, so counting an address's wrong codes and adding one cannot
    # interleave with another enrolment doing the same.
    begin: dict[TxKind, tuple[str, ...]] = field(default_factory=dict)

    def sql(self, text: str) -> str:
        return text if self.placeholder == "?" else text.replace("?", self.placeholder)

    def ddl(self, text: str) -> str:
        return text.format(**self.ddl_tokens)


class Tx:
    """One open transaction: the only way the storage code talks to the database."""

    def __init__(self, cursor: Any, backend: Backend) -> None:
        self._cursor = cursor
        self._backend = backend

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        self._cursor.execute(self._backend.dialect.sql(sql), tuple(params))
        count: int = self._cursor.rowcount
        return count

    def ddl(self, sql: str) -> None:
        self._cursor.execute(self._backend.dialect.ddl(sql))

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self._cursor.execute(self._backend.dialect.sql(sql), tuple(params))
        return [tuple(row) for row in self._cursor.fetchall()]

    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def query_in(
        self, sql: str, values: Iterable[Any], before: Sequence[Any] = ()
    ) -> list[tuple[Any, ...]]:
        """Run `sql` whose `{in}` is a list of placeholders, in chunks over `values`."""
        out: list[tuple[Any, ...]] = []
        for chunk in _chunks(values):
            marks = ",".join("?" * len(chunk))
            out.extend(self.query(sql.format(**{"in": marks}), (*before, *chunk)))
        return out

    def execute_in(self, sql: str, values: Iterable[Any], before: Sequence[Any] = ()) -> None:
        for chunk in _chunks(values):
            marks = ",".join("?" * len(chunk))
            self.execute(sql.format(**{"in": marks}), (*before, *chunk))

    def insert_new(self, sql: str, rows: Iterable[Sequence[Any]]) -> list[tuple[Any, ...]]:
        """Run an INSERT ... VALUES {values} ... ON CONFLICT DO NOTHING RETURNING ... over rows
        in multi-row chunks; returns what RETURNING gives for the rows actually inserted."""
        out: list[tuple[Any, ...]] = []
        for chunk in _chunks(rows, IN_CHUNK // 2):
            width = len(chunk[0])
            values = ",".join(["(" + ",".join("?" * width) + ")"] * len(chunk))
            out.extend(self.query(sql.format(values=values), [v for row in chunk for v in row]))
        return out

    def insert_returning(self, sql: str, rows: Sequence[Sequence[Any]]) -> list[int]:
        """Insert rows one by one in order, each statement RETURNING one integer."""
        return self._backend.insert_returning(self._cursor, self._backend.dialect.sql(sql), rows)


def _chunks(values: Iterable[Any], size: int = IN_CHUNK) -> Iterator[list[Any]]:
    items = list(values)
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Backend(ABC):
    """What differs between SQLite and PostgreSQL: connecting, errors, bulk inserts."""

    dialect: Dialect

    def __init__(self, pool_size: int) -> None:
        self._idle: list[Any] = []
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(pool_size)
        self._closed = False

    @abstractmethod
    def connect(self) -> Any: ...

    @abstractmethod
    def unavailable(self, exc: BaseException) -> bool:
        """Whether a driver error means "the database is not answering" rather than a bug."""

    def insert_returning(self, cursor: Any, sql: str, rows: Sequence[Sequence[Any]]) -> list[int]:
        out = []
        for row in rows:
            cursor.execute(sql, tuple(row))
            out.append(int(cursor.fetchone()[0]))
        return out

    @contextmanager
    def transaction(self, kind: TxKind) -> Iterator[Tx]:
        try:
            with self._connection() as conn:
                cursor = conn.cursor()
                try:
                    for statement in self.dialect.begin[kind]:
                        cursor.execute(statement)
                    yield Tx(cursor, self)
                    cursor.execute("COMMIT")
                except BaseException:
                    # The connection is discarded after any failure, so a failed ROLLBACK
                    # must not hide the error that caused it.
                    with suppress(Exception):
                        cursor.execute("ROLLBACK")
                    raise
                finally:
                    with suppress(Exception):
                        cursor.close()
        except Exception as exc:
            if self.unavailable(exc):
                raise StorageUnavailable("The database is not answering; try again.") from exc
            raise

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        if not self._slots.acquire(timeout=30):
            raise StorageUnavailable("Every database connection is busy; try again.")
        try:
            with self._lock:
                conn = self._idle.pop() if self._idle else None
            if conn is None:
                conn = self.connect()
            healthy = False
            try:
                yield conn
                healthy = True
            finally:
                # A connection whose transaction failed half-way (even its ROLLBACK) may be in
                # any state: close it rather than hand it to the next request.
                if healthy and not self._closed:
                    with self._lock:
                        self._idle.append(conn)
                else:
                    _close_quietly(conn)
        finally:
            self._slots.release()

    def close(self) -> None:
        self._closed = True
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            _close_quietly(conn)


def _close_quietly(conn: Any) -> None:
    with suppress(Exception):
        conn.close()
