"""One SQLCipher connection, keyed with the raw database key, and its transactions.

Plain SQLite ignores `PRAGMA key` without a word, so a build without SQLCipher would write
the officer's data in the clear: `cipher_version` is checked after keying and the store
refuses to run without it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlcipher3

from fieldapp.store.errors import (
    DamagedDatabase,
    DiskError,
    EncryptionUnavailable,
    ProfileBusy,
    StoreError,
    StoreLocked,
)
from fieldapp.store.keys import SecretKey, wipe

Connection = Any  # sqlcipher3 ships no type information

_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_IOERR, _SQLITE_CORRUPT = 5, 6, 10, 11
_SQLITE_FULL, _SQLITE_CANTOPEN, _SQLITE_NOTADB = 13, 14, 26

# Per connection, after the key: WAL with a flush of the log at every commit, so that a commit
# that returned survives a power cut; temporary tables and sorts stay in memory, never on disk.
# secure_delete overwrites deleted content with zeros instead of leaving it in free space, so a
# record erased at the endpoint's order (erasure.py) is gone from the file, not just unlinked.
# SQLCipher 4 turns it on by default; it is set here so that no build or default can turn it off.
# The log is copied back into the file (a checkpoint, two more flushes) after 10,000 pages
# rather than SQLite's 1,000: a sync page of 500 events writes about 1,000, so the copy came
# after nearly every page, and the index pages every page rewrites were copied each time.
# Commits are as durable either way (the log is flushed at each); the log grows to ~40 MB.
# A page cache of 32 MiB rather than 2: a page of 500 events writes index pages all over the
# file (related keys, aliases, tasks by date), and every page read back from the file is
# decrypted and its HMAC checked again; bounded, whatever the number of events.
SESSION_PRAGMAS = (
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = FULL",
    "PRAGMA foreign_keys = ON",
    "PRAGMA temp_store = MEMORY",
    "PRAGMA busy_timeout = 5000",
    "PRAGMA secure_delete = ON",
    "PRAGMA wal_autocheckpoint = 10000",
    "PRAGMA cache_size = -32768",
)


def translate(error: BaseException) -> StoreError:
    """The officer-facing error for a SQLite failure (the original stays as __cause__)."""
    code = getattr(error, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    if primary in (_SQLITE_FULL, _SQLITE_IOERR, _SQLITE_CANTOPEN):
        return DiskError()
    if primary in (_SQLITE_NOTADB, _SQLITE_CORRUPT):
        return DamagedDatabase()
    if primary in (_SQLITE_BUSY, _SQLITE_LOCKED):
        return ProfileBusy()
    return StoreError()


def _from_storage(error: BaseException) -> bool:
    # Constraint failures and SQL mistakes are bugs, not something the officer can act on.
    return isinstance(error, sqlcipher3.DatabaseError) and not isinstance(
        error, sqlcipher3.IntegrityError | sqlcipher3.ProgrammingError
    )


def require_cipher(conn: Connection) -> None:
    """Refuse a connection that would not encrypt (works on any DB-API SQLite connection)."""
    row = conn.execute("PRAGMA cipher_version").fetchone()
    if not row or not row[0]:
        raise EncryptionUnavailable()


def key_connection(conn: Connection, key: SecretKey, *, memory_security: bool = False) -> None:
    """Set the raw key on a fresh connection, silencing SQLCipher's own error log first.

    `memory_security` is the force's policy (SchedulePolicy.cipher_memory_security). SQLCipher
    applies it to the whole process, and once on it stays on until the process ends: so it
    is only ever turned on here, never off (off is SQLCipher's own default since 4.5.0).
    """
    conn.execute("PRAGMA cipher_log_level = NONE")
    if memory_security:
        conn.execute("PRAGMA cipher_memory_security = ON")
    spec = key.sqlcipher_spec()
    try:
        # Same as PRAGMA key = "x'<hex>'", without the key ever being an immutable str.
        conn.set_key(spec)
    finally:
        wipe(spec)
    require_cipher(conn)


class Database:
    """The store's single connection. Every change goes through `transaction()`."""

    def __init__(self, conn: Connection, path: Path) -> None:
        self._conn: Connection | None = conn
        self.path = path

    @classmethod
    def open(
        cls, path: Path, key: SecretKey, *, create: bool = False, memory_security: bool = False
    ) -> Database:
        """Open (or with `create`, make) the encrypted file; never makes one by accident.
        `memory_security`: see key_connection."""
        if not create and not path.is_file():
            raise DamagedDatabase()
        uri = f"file:{quote(str(path))}?mode={'rwc' if create else 'rw'}"
        try:
            conn = sqlcipher3.connect(uri, uri=True, isolation_level=None)
        except sqlcipher3.Error as error:
            raise translate(error) from error
        try:
            key_connection(conn, key, memory_security=memory_security)
            # The first read of page 1 is what tells a wrong key or a foreign file.
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            # A profile's database is never empty (it is migrated before the profile is named),
            # so an empty one was emptied or swapped: refuse before anything writes to it.
            if not create and conn.execute("PRAGMA user_version").fetchone()[0] == 0:
                raise DamagedDatabase()
            for pragma in SESSION_PRAGMAS:
                conn.execute(pragma).fetchall()
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                raise DiskError()
        except sqlcipher3.Error as error:
            conn.close()
            raise translate(error) from error
        except StoreError:
            conn.close()
            raise
        return cls(conn, path)

    @property
    def conn(self) -> Connection:
        if self._conn is None:
            raise StoreLocked()
        return self._conn

    @property
    def closed(self) -> bool:
        return self._conn is None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One all-or-nothing unit: it is saved only once this block has returned."""
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            yield conn
            conn.execute("COMMIT")
        except BaseException as error:
            if conn.in_transaction:
                with contextlib.suppress(sqlcipher3.Error):
                    conn.execute("ROLLBACK")
            if _from_storage(error):
                raise translate(error) from error
            raise

    @contextlib.contextmanager
    def reading(self) -> Iterator[Connection]:
        conn = self.conn
        try:
            yield conn
        except sqlcipher3.DatabaseError as error:
            if _from_storage(error):
                raise translate(error) from error
            raise

    def close(self) -> None:
        """Close the connection; SQLCipher wipes its copy of the key as it does."""
        if self._conn is not None:
            conn, self._conn = self._conn, None
            with contextlib.suppress(sqlcipher3.Error):
                conn.close()
