"""The local access log: who collected, altered, consulted, disclosed or erased what, when.

Data Protection Act 2018 Part 3 s.62 asks a controller to log these operations. The log is
inside the encrypted database, append-only (triggers refuse edits), and names records by id
only: what was in them is in the event log, not here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from fieldapp.domain.events import Event, EventType
from fieldapp.domain.problems import format_utc
from fieldapp.store.db import Connection


class Action(StrEnum):
    COLLECTION = "collection"
    ALTERATION = "alteration"
    CONSULTATION = "consultation"
    DISCLOSURE = "disclosure"
    ERASURE = "erasure"


_ACTION_OF: Mapping[EventType, Action] = {
    EventType.OCCURRENCE_RECORDED: Action.COLLECTION,
    EventType.LEAFLET_ISSUED: Action.COLLECTION,
    EventType.HOUSEHOLD_RECORDED: Action.COLLECTION,
    EventType.VCAS_OFFERED: Action.COLLECTION,
    EventType.CALLBACK_ATTEMPTED: Action.COLLECTION,
    EventType.TASK_REASSIGNED: Action.ALTERATION,
    EventType.EVENT_CORRECTED: Action.ALTERATION,
    EventType.HOUSEHOLDS_MERGED: Action.ALTERATION,
    EventType.CONFLICT_CONFIRMED: Action.ALTERATION,
    # A count a partner reported: no person in it, but a record made all the same.
    EventType.PARTNER_ENGAGEMENT_REPORTED: Action.COLLECTION,
    # A referral's steps record contact details passed to VCAS (and what came of it).
    EventType.REFERRAL_RECORDED: Action.DISCLOSURE,
    # The record stops counting everywhere, though the log keeps it: erasure from use.
    EventType.ENTERED_IN_ERROR: Action.ERASURE,
}

_OCCURRENCE_TYPES = frozenset({EventType.OCCURRENCE_RECORDED, EventType.LEAFLET_ISSUED})


def action_of(event_type: EventType) -> Action:
    return _ACTION_OF[event_type]


def subject_kind(event_type: EventType) -> str:
    if event_type is EventType.PARTNER_ENGAGEMENT_REPORTED:
        return "partner figure"
    return "occurrence" if event_type in _OCCURRENCE_TYPES else "household"


@dataclass(frozen=True)
class AccessEntry:
    at: datetime
    actor: str
    action: Action
    subject_kind: str
    subject_id: str
    detail: str


Row = tuple[str, str, str, str, str, str]

INSERT = (
    "INSERT INTO access_log (at, actor, action, subject_kind, subject_id, detail) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)


def event_rows(events: Iterable[Event], at: datetime, actor: str | None, how: str) -> list[Row]:
    """One row per event; `actor` None means the event's author did it on this device."""
    return [
        (
            format_utc(at),
            actor or e.author,
            action_of(e.type).value,
            subject_kind(e.type),
            e.aggregate_id,
            f"{e.type.value} {e.id} {how}",
        )
        for e in events
    ]


def write(conn: Connection, rows: Iterable[Row]) -> None:
    conn.executemany(INSERT, list(rows))
