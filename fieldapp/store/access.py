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
from typing import Protocol

from fieldapp.domain.events import EventType
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
    EventType.HOUSEHOLDS_SPLIT: Action.ALTERATION,
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


class Record(Protocol):
    """What the log names of an event (an `Event`, or `Named` read from the log's columns)."""

    @property
    def id(self) -> str: ...
    @property
    def type(self) -> EventType: ...
    @property
    def aggregate_id(self) -> str: ...
    @property
    def author(self) -> str: ...


@dataclass(frozen=True)
class Named:
    id: str
    type: EventType
    aggregate_id: str
    author: str


def event_rows(
    events: Iterable[Record], at: datetime, actor: str | None, how: str,
    action: Action | None = None,
) -> list[Row]:
    """The rows for one transaction's events: one per who and what was done, naming every
    record it covers (`records_named` reads them back). `actor` None means each event's
    author did it on this device; `action` None, what the event's type does (action_of).

    One row per batch rather than per event: a sync page of 500 records is one row, not 500,
    and the log still says, of each record, who, what, when and how."""
    groups: dict[tuple[str, Action], list[Record]] = {}
    for e in events:
        groups.setdefault((actor or e.author, action or action_of(e.type)), []).append(e)
    stamp = format_utc(at)
    rows = []
    for (who, action), group in groups.items():
        kinds = {subject_kind(e.type) for e in group}
        aggregates = {e.aggregate_id for e in group}
        rows.append((
            stamp, who, action.value,
            kinds.pop() if len(kinds) == 1 else BATCH_KIND,
            aggregates.pop() if len(aggregates) == 1 else "",
            f"{how}: " + ", ".join(f"{e.type.value} {e.id} in {e.aggregate_id}" for e in group),
        ))
    return rows


BATCH_KIND = "records"  # a row naming records of more than one kind


def records_named(detail: str) -> list[tuple[str, str, str]]:
    """(type, event id, aggregate id) of each record an `event_rows` row names."""
    _, _, listed = detail.partition(": ")
    named = []
    for item in listed.split(", "):
        parts = item.split(" ")
        if len(parts) == 4 and parts[2] == "in":
            named.append((parts[0], parts[1], parts[3]))
    return named


def write(conn: Connection, rows: Iterable[Row]) -> None:
    conn.executemany(INSERT, list(rows))
