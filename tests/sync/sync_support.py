"""Real parts for sync tests: the endpoint as a process (so it can be killed and restarted),
its admin command line, test certificates, and officer profiles on real SQLCipher files."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import requests
import trustme

from fieldapp.resources import load_catalogue, load_policy
from fieldapp.store import Profiles, Store
from fieldapp.store.keys import KdfParams
from fieldapp.sync.client import SyncClient, enrol
from fieldapp.sync.transport import Transport

PASSPHRASE = "correct horse battery staple 42"
CHEAP_KDF = KdfParams(iterations=1, lanes=1, memory_kib=8)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Certificates:
    def __init__(self, folder: Path) -> None:
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1")
        self.ca = str(folder / "ca.pem")
        self.cert = str(folder / "server.pem")
        self.key = str(folder / "server.key")
        ca.cert_pem.write_to_path(self.ca)
        cert.private_key_and_cert_chain_pem.write_to_path(self.cert)
        cert.private_key_pem.write_to_path(self.key)


class Central:
    """`fieldapp-central serve` in a child process, on a SQLite file that outlives it."""

    def __init__(self, folder: Path, certs: Certificates | None, port: int | None = None,
                 database_url: str | None = None) -> None:
        self.database = folder / "central.db"
        # A PostgreSQL database instead of the SQLite file, for a bench that asks for one.
        self.database_url = database_url or f"sqlite:///{self.database}"
        self.certs = certs
        self.port = port or free_port()
        scheme = "https" if certs else "http"
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.log = folder / "central.log"

    def _cli(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "central", *args]

    def start(self) -> Central:
        args = ["serve", "--database", self.database_url, "--host", "127.0.0.1",
                "--port", str(self.port), "--rate", "10000", "--burst", "10000"]
        if self.certs:
            args += ["--certfile", self.certs.cert, "--keyfile", self.certs.key]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(self._cli(*args), stdout=log, stderr=log)
        deadline = time.monotonic() + 60
        verify = self.certs.ca if self.certs else True
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"central exited: {self.log.read_text()[-2000:]}")
            try:
                if requests.get(f"{self.url}/v1/health", verify=verify, timeout=1).ok:
                    return self
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError(f"central did not start: {self.log.read_text()[-2000:]}")

    def kill(self) -> None:
        """SIGKILL: no graceful shutdown, as a crash or a pulled plug."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def admin(self, *args: str) -> str:
        done = subprocess.run(
            self._cli("admin", *args, "--database", self.database_url),
            capture_output=True, text=True, check=True, timeout=60,
        )
        return done.stdout.strip()

    def officer(self, collar: str, role: str = "officer", team: str = "T1",
                district: str = "Leeds") -> str:
        """Registers an officer and returns a one-time enrolment code for them."""
        self.admin("add-officer", "--collar", collar, "--name", f"Officer {collar}", "--role",
                   role, "--team", team, "--district", district)
        return self.admin("enrolment-code", "--collar", collar).splitlines()[0]

    def event_ids(self) -> list[str]:
        """Every event id the endpoint holds, one row each (duplicates would show twice)."""
        with sqlite3.connect(f"file:{self.database}?mode=ro", uri=True) as conn:
            return [row[0] for row in conn.execute("SELECT id FROM events")]


@contextmanager
def running(central: Central) -> Iterator[Central]:
    central.start()
    try:
        yield central
    finally:
        central.stop()


def now() -> datetime:
    return datetime.now(UTC)


def profiles(home: Path) -> Profiles:
    return Profiles(now, home, insecure_kdf_for_tests=CHEAP_KDF)


def enrolled_profile(home: Path, collar: str, url: str, code: str, ca: str | None) -> Store:
    store = profiles(home).create(collar, PASSPHRASE)
    enrol(store, url, code, f"laptop of {collar}", ca_bundle=ca)
    return store


def client(store: Store, *, url: str | None = None, ca: str | None = None,
           timeout: tuple[float, float] = (5.0, 30.0),
           clock: Callable[[], datetime] = now) -> SyncClient:
    token = store.get_setting("sync.token")
    transport = Transport(url or str(store.get_setting("sync.url")), token=token,
                          ca_bundle=ca or store.get_setting("sync.ca_bundle"), timeout=timeout,
                          clock=clock)
    return SyncClient(store, transport, policy=load_policy(), catalogue=load_catalogue(),
                      clock=clock)


def event_ids(store: Store) -> list[str]:
    return [e.id for e in store.iter_events()]


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    return env
