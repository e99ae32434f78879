"""The client's sans-I/O protocol talking to the endpoint's app in one process, with no socket
(h11's paired client/server tests are the model): the laptop is a real SQLCipher profile and
a real SyncClient, the endpoint the real ASGI app on a real SQLite file, and the bytes go
through Starlette's in-process test transport instead of TLS. Fast, so protocol edge cases
are tested here; tests/sync's other files keep the real HTTPS server for the rest."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from fastapi.testclient import TestClient
from sync_support import profiles

from central import security
from central.app import create_app
from central.clock import Clock
from central.config import Settings
from central.storage import open_storage
from central.storage.base import Officer
from central.storage.sql import SqlStorage
from fieldapp.resources import load_catalogue, load_policy
from fieldapp.store import Store
from fieldapp.sync.client import SyncClient
from fieldapp.sync.protocol import Retry
from fieldapp.sync.transport import Response

PASSPHRASE = "correct horse battery staple 42"
# Answers the laptop reads may be changed on the way, as a network in the middle could.
Tamper = Callable[[str, str, Any], Any]


class SteppedClock(Clock):
    """The endpoint's clock, moved on by the test."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    def monotonic(self) -> float:
        return self.at.timestamp()


class InProcess:
    """The laptop's Transport, with the endpoint's app in place of the network."""

    def __init__(self, app: TestClient, token: str, clock: Callable[[], datetime]) -> None:
        self.app = app
        self.token = token
        self.clock = clock
        self.tamper: Tamper | None = None
        self.sent: list[tuple[str, str, str | None]] = []

    def set_token(self, token: str) -> None:
        self.token = token

    def request(
        self, method: str, path: str, *, params: Mapping[str, str] | None = None,
        body: str | None = None,
    ) -> Response:
        sent_at = self.clock()
        self.sent.append((method, path, body))
        reply = self.app.request(
            method, path, params=dict(params or {}),
            content=body.encode() if body is not None else None,
            headers={"Authorization": f"Bearer {self.token}",
                     **({"Content-Type": "application/json"} if body is not None else {})},
        )
        try:
            parsed: Any = orjson.loads(reply.content)
        except orjson.JSONDecodeError:
            parsed = None
        if self.tamper is not None:
            parsed = self.tamper(method, path, parsed)
        return Response(reply.status_code, parsed, dict(reply.headers), sent_at, self.clock())

    def close(self) -> None:
        pass


class Endpoint:
    def __init__(self, folder: Path, at: datetime) -> None:
        self.clock = SteppedClock(at)
        self.storage: SqlStorage = open_storage(f"sqlite:///{folder / 'central.db'}")
        self.storage.migrate(at)
        self.app = TestClient(
            create_app(self.storage, settings=Settings(rate_burst=100_000, enrol_burst=1000),
                       clock=self.clock),
            base_url="https://testserver",
        )

    def officer(self, collar: str, role: str = "officer", team: str = "T1") -> Officer:
        officer = Officer(collar, f"Officer {collar}", role, team, "Leeds")  # type: ignore[arg-type]
        self.storage.add_officer(officer, now=self.clock.now(), actor="test")
        return officer

    def laptop(self, home: Path, collar: str) -> Laptop:
        """A profile enrolled through storage (enrolment itself has its own HTTPS tests)."""
        now = self.clock.now()
        code = security.new_enrolment_code()
        self.storage.add_enrolment_code(
            collar, security.code_digest(code), now=now, expires_at=now.replace(year=now.year + 1),
            actor="test",
        )
        token, device_id = security.new_token(), security.new_device_id()
        assert self.storage.enrol(
            security.code_digest(code), device_id=device_id, device_name=f"laptop {collar}",
            token_hash=security.digest(token), now=now, address="testclient",
        )
        store = profiles(home).create(collar, PASSPHRASE)
        store.set_setting("sync.token", token)
        store.set_setting("sync.device_id", device_id)
        return Laptop(store, InProcess(self.app, token, lambda: datetime.now(UTC)), device_id)

    def event_ids(self) -> list[str]:
        with self.storage.backend.transaction("read") as tx:
            return [str(row[0]) for row in tx.query("SELECT id FROM events ORDER BY seq")]

    def close(self) -> None:
        self.app.close()
        self.storage.close()


class Laptop:
    def __init__(self, store: Store, transport: InProcess, device_id: str) -> None:
        self.store = store
        self.transport = transport
        self.device_id = device_id
        self.client = SyncClient(
            store, transport, policy=load_policy(), catalogue=load_catalogue(),  # type: ignore[arg-type]
            sleep=lambda _: None, retry=Retry(attempts=2),
        )

    def ids(self) -> list[str]:
        return [e.id for e in self.store.iter_events()]


@contextmanager
def endpoint(folder: Path, at: datetime) -> Iterator[Endpoint]:
    running = Endpoint(folder, at)
    try:
        yield running
    finally:
        running.close()
