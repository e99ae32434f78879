"""The unlocked profile as the widgets see it: who is recording, the clock, and the ops.

Widgets never hold the store. They ask the session, which sends an op to the database worker
and calls them back on the UI thread.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import uuid6
from PySide6.QtCore import QObject, Signal

from fieldapp.domain.commands import check_against
from fieldapp.domain.events import Event, EventType, Rules, make_event
from fieldapp.domain.problems import InvalidEvent
from fieldapp.domain.projection import Changes
from fieldapp.resources import load_catalogue, load_force, load_policy
from fieldapp.store import Store
from fieldapp.store.store import DEVICE_ID
from fieldapp.sync.client import SETTING_DEVICE, SETTING_OFFICER, SETTING_URL
from fieldapp.ui.ops import DbWorker
from fieldapp.ui.text import today

T = TypeVar("T")
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return str(uuid6.uuid7())


@dataclass(frozen=True)
class Identity:
    """Who records (the officer's collar number) on which laptop, and whether it syncs."""

    author: str
    device_id: str
    enrolled: bool = False
    district: str = ""
    role: str = ""  # as the endpoint enrolled the officer: officer, oic, supervisor, admin


def identify(store: Store) -> Identity:
    """Runs on the worker at unlock; gives an offline-only laptop a device id of its own."""
    device = store.get_setting(DEVICE_ID) or store.get_setting(SETTING_DEVICE)
    if not device:
        device = f"laptop-{secrets.token_hex(6)}"
        store.set_setting(DEVICE_ID, device)
    try:
        officer = json.loads(store.get_setting(SETTING_OFFICER) or "{}")
    except ValueError:
        officer = {}
    if not isinstance(officer, dict):
        officer = {}
    return Identity(
        author=str(officer.get("collar") or store.actor),
        device_id=device,
        enrolled=bool(store.get_setting(SETTING_URL)),
        district=str(officer.get("district") or ""),
        role=str(officer.get("role") or ""),
    )


@dataclass(frozen=True)
class Capture:
    """What a form asks to save: one event's fields, and the draft it came from."""

    event_type: EventType
    aggregate_id: str
    payload: Mapping[str, Any]
    occurred_at: datetime
    draft_key: str = ""


def prepare(store: Store, capture: Capture, identity: Identity, now: datetime) -> Event:
    """Runs on the worker: the event `capture` makes, if the domain says it stands (else
    `InvalidEvent`). Nothing is written."""
    policy = load_policy()
    event = make_event(
        event_id=new_id(),
        event_type=capture.event_type,
        aggregate_id=capture.aggregate_id,
        payload=capture.payload,
        occurred_at=capture.occurred_at,
        recorded_at=now,
        author=identity.author,
        device_id=identity.device_id,
        rules=Rules(load_catalogue(), now, policy.future_tolerance, load_force()),
    )
    target = None
    if event.type in (EventType.EVENT_CORRECTED, EventType.ENTERED_IN_ERROR):
        target = store.event(str(capture.payload.get("target_id", "")))
    problems = check_against(event, store.state_for([event]), target)
    if problems:
        raise InvalidEvent(problems)
    return event


def record(store: Store, capture: Capture, identity: Identity, now: datetime) -> Changes:
    """Runs on the worker: the domain decides if the event stands, then it is appended and
    its form's draft deleted, in one transaction."""
    event = prepare(store, capture, identity, now)
    return store.append([event], draft=capture.draft_key or None)


class Session(QObject):
    """One unlocked profile, from unlock to lock."""

    notice = Signal(str)  # a short message for the status bar

    def __init__(
        self,
        worker: DbWorker[Store],
        identity: Identity,
        clock: Clock = utc_now,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.worker = worker
        self.identity = identity
        self.clock = clock

    def today(self) -> date:
        return today(self.clock())

    def run(
        self,
        op: Callable[[Store], T],
        done: Callable[[T], object] | None = None,
        failed: Callable[[BaseException], object] | None = None,
    ) -> None:
        self.worker.run(op, done, failed)

    def record(
        self,
        capture: Capture,
        done: Callable[[Changes], object],
        failed: Callable[[BaseException], object],
    ) -> None:
        identity, clock = self.identity, self.clock
        self.worker.run(lambda store: record(store, capture, identity, clock()), done, failed)

    def consulted(self, kind: str, subject_id: str, detail: str = "opened") -> None:
        """The officer opened a record: a consultation entry in the local access log
        (DPA 2018 Part 3 s.62). Every view that opens one record calls this."""
        self.worker.run(lambda store: store.note_consultation(kind, subject_id, detail))

    def check(
        self,
        capture: Capture,
        done: Callable[[Event], object],
        failed: Callable[[BaseException], object],
    ) -> None:
        """Whether `capture` would be saved, without saving it (the check before saving)."""
        identity, clock = self.identity, self.clock
        self.worker.run(lambda store: prepare(store, capture, identity, clock()), done, failed)

    def save_draft(self, key: str, text: str) -> None:
        self.worker.run(lambda store: store.save_draft(key, text))

    def load_draft(self, key: str, done: Callable[[str | None], object]) -> None:
        self.worker.run(lambda store: store.load_draft(key), done)

    def notify(self, message: str) -> None:
        self.notice.emit(message)
