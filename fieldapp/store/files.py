"""Private files and folders, and writes that are all-or-nothing across a crash."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from fieldapp.store.errors import DiskError

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) readable by this OS user only."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    # mkdir's mode is masked by the umask, and an existing folder keeps its old mode.
    os.chmod(path, DIR_MODE)
    return path


def create_private_file(path: Path) -> None:
    """Create an empty file readable by this OS user only; SQLite's -wal and -shm copy it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    os.close(fd)


def fsync_dir(path: Path) -> None:
    # A rename is durable only once the folder holding it is flushed (POSIX only).
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes) -> None:
    """Replace `path` by `data` so that a crash leaves either the old or the new file."""
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, path)
        fsync_dir(path.parent)
    except OSError as error:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise DiskError() from error


def copy_private(source: Path, target: Path) -> None:
    """Copy a file byte for byte into a new private file, flushed to disk."""
    try:
        create_private_file(target)
        with source.open("rb") as src, target.open("r+b") as dst:
            while chunk := src.read(1 << 20):
                dst.write(chunk)
            dst.flush()
            os.fsync(dst.fileno())
        fsync_dir(target.parent)
    except OSError as error:
        with contextlib.suppress(OSError):
            target.unlink()
        raise DiskError() from error
