"""Officer profiles on this laptop: one encrypted database each, in the OS user's data folder.

    <base>/profiles/<name>/
        store.db (+ -wal, -shm)   the SQLCipher database (everything about cases)
        key.json                  the wrapped database key and its KDF parameters
        unlock.json               the failed-unlock counter
        backups/                  encrypted copies taken before a schema upgrade

Folders are 0700 and files 0600. Only the profile name, key.json and unlock.json can be read
without the passphrase, and none of them says anything about a case.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
from pathlib import Path

import platformdirs

from fieldapp.domain.policy import SchedulePolicy, london_date
from fieldapp.resources import load_policy
from fieldapp.store import projections
from fieldapp.store.db import Database
from fieldapp.store.errors import (
    DiskError,
    InvalidProfileName,
    ProfileExists,
    ProfileNotFound,
    RecoveryFailed,
)
from fieldapp.store.files import atomic_write, create_private_file, fsync_dir, private_dir
from fieldapp.store.keys import (
    PRODUCTION_KDF,
    KdfParams,
    RecoveryWrap,
    SecretKey,
    WrappedKey,
    check_passphrase,
    load_recovery_private_key,
    load_recovery_public_key,
    recovery_key_id,
)
from fieldapp.store.schema import migrate
from fieldapp.store.store import Store
from fieldapp.store.throttle import Clock, UnlockThrottle

HOME_ENV = "FIELDAPP_HOME"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")


def default_base_dir() -> Path:
    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override)
    return Path(platformdirs.user_data_dir("fieldapp", appauthor=False))


class Profiles:
    """Create, unlock and look after the profiles under one base folder.

    `insecure_kdf_for_tests` exists so that tests not about the KDF can run quickly; the
    app never passes it, and profiles made with it are re-wrapped at full strength when a
    normal `Profiles` unlocks them.
    """

    def __init__(
        self,
        clock: Clock,
        base_dir: Path | None = None,
        *,
        policy: SchedulePolicy | None = None,
        recovery_public_key: bytes | None = None,
        insecure_kdf_for_tests: KdfParams | None = None,
    ) -> None:
        self.clock = clock
        self.root = (base_dir or default_base_dir()) / "profiles"
        self.policy = policy or load_policy()
        self.recovery_public_key = recovery_public_key
        self._kdf = insecure_kdf_for_tests or PRODUCTION_KDF

    @property
    def _memory_security(self) -> bool:
        return self.policy.cipher_memory_security

    # ----------------------------------------------------------------- paths

    def path(self, name: str) -> Path:
        if not isinstance(name, str) or not _NAME.match(name):
            raise InvalidProfileName()
        return self.root / name

    def _existing(self, name: str) -> Path:
        path = self.path(name)
        if not (path / "key.json").is_file():
            raise ProfileNotFound()
        return path

    def names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(
            p.name
            for p in self.root.iterdir()
            if _NAME.match(p.name) and (p / "key.json").is_file()
        )

    def _read_key(self, path: Path) -> WrappedKey:
        return WrappedKey.from_json((path / "key.json").read_bytes())

    def _write_key(self, path: Path, wrapped: WrappedKey) -> None:
        atomic_write(path / "key.json", wrapped.to_json())

    def _throttle(self, path: Path) -> UnlockThrottle:
        return UnlockThrottle(path / "unlock.json", self.clock)

    def wait_seconds(self, name: str) -> float:
        """How long the unlock screen must wait before the next try (0 if none)."""
        return self._throttle(self._existing(name)).wait_seconds()

    def _unwrap(self, path: Path, passphrase: str) -> tuple[WrappedKey, SecretKey]:
        wrapped = self._read_key(path)
        throttle = self._throttle(path)
        throttle.begin_attempt()
        key = wrapped.open(passphrase)
        throttle.succeeded()
        return wrapped, key

    def wipe(self, name: str) -> None:
        """Destroy a profile (the endpoint's remote-wipe order, or IT retiring a laptop).

        The wrapped key is overwritten first and flushed: without it the database and its
        backups are unreadable even if a deleted file's blocks survive on the disk.
        """
        path = self._existing(name)
        key_file = path / "key.json"
        size = key_file.stat().st_size
        with key_file.open("r+b") as handle:
            handle.write(secrets.token_bytes(size))
            handle.flush()
            os.fsync(handle.fileno())
        shutil.rmtree(path)
        fsync_dir(self.root)

    # ----------------------------------------------------------------- create, unlock

    def create(
        self, name: str, passphrase: str, *, recovery_public_key: bytes | None = None
    ) -> Store:
        """Make a new profile and return it unlocked."""
        target = self.path(name)
        if any(n.casefold() == name.casefold() for n in self.names()) or target.exists():
            raise ProfileExists()
        check_passphrase(passphrase, [name])
        pem = recovery_public_key or self.recovery_public_key
        recipient = load_recovery_public_key(pem) if pem else None
        private_dir(self.root)
        # Built under a temporary name and renamed, so a failure leaves no half profile.
        staging = private_dir(self.root / f".new-{secrets.token_hex(8)}")
        key = SecretKey.generate()
        try:
            recovery = RecoveryWrap.seal(key, recipient) if recipient else None
            self._write_key(staging, WrappedKey.seal(key, passphrase, self._kdf, recovery))
            create_private_file(staging / "store.db")
            db = Database.open(
                staging / "store.db", key, create=True, memory_security=self._memory_security
            )
            try:
                migrate(db, staging / "backups")
                projections.ensure_current(db, self.policy)
            finally:
                db.close()
            os.rename(staging, target)
            fsync_dir(self.root)
            return self._open(target, key, name)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        finally:
            key.wipe()

    def unlock(self, name: str, passphrase: str) -> Store:
        """Check the passphrase (slowing down after failures) and open the profile."""
        path = self._existing(name)
        wrapped, key = self._unwrap(path, passphrase)
        try:
            if wrapped.kdf.weaker_than(self._kdf):
                # Strengthening is worth a retry at the next unlock, not a refusal now.
                with contextlib.suppress(DiskError):
                    self._write_key(path, wrapped.rewrap(key, passphrase, self._kdf))
            return self._open(path, key, name)
        finally:
            key.wipe()

    def _open(self, path: Path, key: SecretKey, name: str) -> Store:
        db = Database.open(path / "store.db", key, memory_security=self._memory_security)
        try:
            migrate(db, path / "backups")
            projections.ensure_current(db, self.policy)
        except BaseException:
            db.close()
            raise
        self.policy.prepare_calendar(london_date(self.clock()))
        return Store(db, policy=self.policy, clock=self.clock, actor=name)

    # ----------------------------------------------------------------- keys

    def change_passphrase(self, name: str, old: str, new: str) -> None:
        """Re-wrap the same database key under `new`; the database is not touched."""
        path = self._existing(name)
        check_passphrase(new, [name])
        wrapped, key = self._unwrap(path, old)
        try:
            self._write_key(path, wrapped.rewrap(key, new, self._kdf))
        finally:
            key.wipe()

    def set_recovery_key(self, name: str, passphrase: str, public_key_pem: bytes) -> str:
        """Add (or replace) the copy of the key for the force's recovery key; returns its id."""
        path = self._existing(name)
        recipient = load_recovery_public_key(public_key_pem)
        wrapped, key = self._unwrap(path, passphrase)
        try:
            self._write_key(path, wrapped.with_recovery(key, recipient))
        finally:
            key.wipe()
        return recovery_key_id(recipient)

    def recovery_key_id(self, name: str) -> str | None:
        wrapped = self._read_key(self._existing(name))
        return wrapped.recovery.key_id if wrapped.recovery else None

    def recover(
        self,
        name: str,
        private_key_pem: bytes,
        new_passphrase: str,
        *,
        private_key_password: bytes | None = None,
    ) -> None:
        """Set a new passphrase using the force's recovery private key (forgotten passphrase)."""
        path = self._existing(name)
        check_passphrase(new_passphrase, [name])
        wrapped = self._read_key(path)
        if wrapped.recovery is None:
            raise RecoveryFailed()
        private = load_recovery_private_key(private_key_pem, private_key_password)
        key = wrapped.recovery.open(private)
        try:
            # Prove the recovered key opens this database before the old wrap is replaced.
            Database.open(path / "store.db", key, memory_security=self._memory_security).close()
            self._write_key(path, wrapped.rewrap(key, new_passphrase, self._kdf))
            self._throttle(path).succeeded()
        finally:
            key.wipe()
