"""Helpers shared by the central endpoint's tests: a settable clock, event builders,
enrolment, and a real uvicorn server on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import uuid6
import uvicorn

from central import security
from central.serving import GuardedH11Protocol
from central.storage.base import Caller, Officer, Role
from central.storage.sql import SqlStorage
from fieldapp.domain.events import Event, EventType, Rules, make_event
from fieldapp.resources import load_catalogue

CATALOGUE = load_catalogue()
START = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


class FakeClock:
    def __init__(self, start: datetime = START) -> None:
        self.current = start
        self.ticks = 0.0

    def now(self) -> datetime:
        return self.current

    def monotonic(self) -> float:
        return self.ticks

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)
        self.ticks += seconds


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def new_id() -> str:
    return str(uuid6.uuid7())


@dataclass
class Events:
    """Builds valid events as a laptop would, with make_event and UUIDv7 ids."""

    now: datetime = START
    device_id: str = ""  # "": each author's own laptop, dev_<collar>
    made: list[Event] = field(default_factory=list)

    def make(
        self, event_type: EventType, aggregate: str, payload: Mapping[str, Any], author: str
    ) -> Event:
        event = make_event(
            event_id=new_id(),
            event_type=event_type,
            aggregate_id=aggregate,
            payload=payload,
            occurred_at=self.now - timedelta(hours=1),
            recorded_at=self.now - timedelta(minutes=50),
            author=author,
            device_id=self.device_id or f"dev_{author}",
            rules=Rules(CATALOGUE, now=self.now, future_tolerance=timedelta(hours=24)),
        )
        self.made.append(event)
        return event

    def occurrence(self, author: str, oic: str, district: str, occ: str | None = None) -> Event:
        return self.make(
            EventType.OCCURRENCE_RECORDED, occ or new_id(),
            {"reference": "13/123456/24", "offence_types": ["iioc"], "oic": oic,
             "district": district},
            author,
        )

    def leaflets(self, author: str, occ: str) -> Event:
        return self.make(
            EventType.LEAFLET_ISSUED, occ,
            {"person_name": "Sam Person", "leaflets": ["samaritans", "stop_it_now"],
             "outcome": "handed", "risk_indicators": [], "no_risk_seen": True, "escalated": False},
            author,
        )

    def household(self, author: str, occ: str, household: str | None = None) -> Event:
        return self.make(
            EventType.HOUSEHOLD_RECORDED, household or new_id(),
            {"occurrence_id": occ, "address": "1 High Street, Leeds", "postcode": "LS1 4HY",
             "members": [{"relationship": "partner", "name": "Alex"}]},
            author,
        )

    def offer(self, author: str, household: str, outcome: str = "declined") -> Event:
        return self.make(EventType.VCAS_OFFERED, household, {"outcome": outcome}, author)

    def callback(self, author: str, household: str) -> Event:
        return self.make(EventType.CALLBACK_ATTEMPTED, household, {"outcome": "no_answer"}, author)

    def reassign(self, author: str, household: str, to_officer: str) -> Event:
        return self.make(
            EventType.TASK_REASSIGNED, household,
            {"to_officer": to_officer, "reason": "Officer on leave"}, author,
        )

    def merge(self, author: str, household: str, merged: str) -> Event:
        return self.make(
            EventType.HOUSEHOLDS_MERGED, household,
            {"merged_id": merged, "reason": "Same household recorded twice"}, author,
        )

    def split(self, author: str, household: str, other: str) -> Event:
        return self.make(
            EventType.HOUSEHOLDS_SPLIT, household,
            {"other_id": other, "reason": "Two flats at one number"}, author,
        )

    def correct_occurrence(
        self, author: str, target: Event, oic: str, district: str
    ) -> Event:
        return self.make(
            EventType.EVENT_CORRECTED, target.aggregate_id,
            {"target_id": target.id, "target_type": "occurrence_recorded",
             "payload": {"reference": "13/123456/24", "offence_types": ["iioc"], "oic": oic,
                         "district": district},
             "reason": "Wrong officer in charge"},
            author,
        )

    def correct_household(self, author: str, target: Event, occ: str) -> Event:
        return self.make(
            EventType.EVENT_CORRECTED, target.aggregate_id,
            {"target_id": target.id, "target_type": "household_recorded",
             "payload": {"occurrence_id": occ, "address": "1 High Street, Leeds",
                         "postcode": "LS1 4HY",
                         "members": [{"relationship": "partner", "name": "Alex"}]},
             "reason": "Wrong occurrence"},
            author,
        )


def add_officer(
    storage: SqlStorage, collar: str, *, role: Role = "officer", team: str = "T1",
    district: str = "Leeds", now: datetime = START,
) -> Officer:
    officer = Officer(collar, f"Officer {collar}", role, team, district)
    storage.add_officer(officer, now=now, actor="test")
    return officer


def issue_code(storage: SqlStorage, collar: str, now: datetime = START) -> str:
    code = security.new_enrolment_code()
    storage.add_enrolment_code(
        collar, security.code_digest(code), now=now, expires_at=now + timedelta(hours=72),
        actor="test",
    )
    return code


class LiveServer:
    """uvicorn serving an app on 127.0.0.1 in a thread, on a port the OS picked."""

    def __init__(
        self, app: Any, *, certfile: str | None = None, keyfile: str | None = None,
        http: Any = GuardedH11Protocol,
    ):
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        scheme = "https" if certfile else "http"
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning",
            ssl_certfile=certfile, ssl_keyfile=keyfile, access_log=False,
            # A client that gave up mid-handshake must not hold the shutdown open.
            timeout_graceful_shutdown=2,
            http=http,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def __enter__(self) -> LiveServer:
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=20)
        self._socket.close()
        assert not self._thread.is_alive(), "uvicorn did not stop"


def enrol_device(
    storage: SqlStorage, collar: str, name: str = "Laptop", now: datetime = START
) -> tuple[Caller, str]:
    """Enrol a laptop for an officer straight through storage; returns it and its token."""
    code = issue_code(storage, collar, now)
    token = security.new_token()
    officer = storage.enrol(
        security.code_digest(code), device_id=security.new_device_id(), device_name=name,
        token_hash=security.digest(token), now=now, address="127.0.0.1",
    )
    assert officer is not None and officer.collar == collar
    caller = storage.caller(security.digest(token), now=now)
    assert caller is not None
    return caller, token


def pull_all(storage: SqlStorage, caller: Caller, after: int = 0, limit: int = 3) -> tuple[
    list[str], int
]:
    """Every event id the caller can pull after a position, page by page; and the end."""
    ids: list[str] = []
    while True:
        page = storage.pull(caller, after=after, limit=limit, now=START, address="127.0.0.1")
        ids.extend(json.loads(item.body)["id"] for item in page.items)
        assert page.position >= after
        after = page.position
        if not page.more:
            return ids, after
