"""Storage for the central endpoint: one interface (base.Storage), SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from central.storage.base import Storage, StorageError
from central.storage.postgres import PostgresBackend
from central.storage.sql import SqlStorage
from central.storage.sqlite import SqliteBackend

__all__ = ["Storage", "open_storage"]


def open_storage(url: str, *, pool_size: int = 8) -> SqlStorage:
    """`sqlite:///relative.db`, `sqlite:////absolute.db` or `postgresql://user@host/db`."""
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        path = url[len("sqlite:///") :] if url.startswith("sqlite:///") else ""
        if not path:
            raise StorageError("Give the SQLite database as sqlite:///path/to/file.db")
        return SqlStorage(SqliteBackend(Path(path), pool_size))
    if scheme in ("postgresql", "postgres"):
        return SqlStorage(PostgresBackend(url, pool_size))
    raise StorageError(
        "The database must be sqlite:///path.db or postgresql://... "
        f"(got a URL of kind {scheme or 'none'!r})."
    )
