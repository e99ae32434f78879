"""The facts `fieldapp.domain.authority` decides a push from, read inside the push's write
transaction (writers are serialised, so no other push changes them meanwhile).

For the events of a batch: the records corrections and retractions name; every stored event
of the aggregates they are about, of the occurrences those households are recorded under, and
of households a merge or a split names; which of those aggregates the pushing officer can
already pull (any of its events in their feed); and which officer each device id named
belongs to (an enrolled device's id, or a laptop's own name as first pushed by an officer).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from central.storage import feed, notices
from central.storage.base import Caller, Officer
from central.storage.database import Tx
from fieldapp.domain.authority import Actor, AuthorityTable, Decision, Known, Record, settle
from fieldapp.domain.events import (
    EnteredInError,
    Event,
    EventCorrected,
    HouseholdRecorded,
    JoinAccepted,
    Payload,
    corrected_payload,
    event_from_json,
    paired_household,
)

# Which of some aggregates the officer can already pull. Driven from the aggregates
# (events_aggregate), each of their events then looked up in the officer's feed by its key
# (officer, event_seq). A join, or an EXISTS (which PostgreSQL turns into a hash join), read
# the officer's whole feed once per chunk, so a push cost what the officer already held; a
# scalar subquery is probed per event on both back ends.
VISIBLE_SQL = (
    "SELECT DISTINCT e.aggregate_id FROM events e WHERE (SELECT f.event_seq FROM feed f "
    "WHERE f.officer = ? AND f.event_seq = e.seq) IS NOT NULL AND e.aggregate_id IN ({in})"
)


def authorise(
    tx: Tx, caller: Caller, events: Sequence[Event], table: AuthorityTable
) -> list[Decision]:
    """One decision per event, in order; the batch is decided as a whole (see `settle`)."""
    if not events:
        return []
    named = {_target(e.payload) for e in events} - {""}
    targets = {
        row[0]: Record(row[0], row[1], row[2], row[3])
        for row in tx.query_in(
            "SELECT id, type, aggregate_id, author FROM events WHERE id IN ({in})", named
        )
    }
    wanted = {key for e in events for key in (e.aggregate_id, *_names(e.payload))}
    wanted |= {r.aggregate_id for r in targets.values()}
    stored = _events_of(tx, wanted)
    # The occurrences the stored households are recorded under (their OIC and district).
    parents = {key for e in stored for key in _names(e.payload)} - wanted
    stored += _events_of(tx, parents)
    aggregates = wanted | parents
    visible = {
        row[0]
        for row in tx.query_in(
            VISIBLE_SQL,
            aggregates,
            before=(caller.officer.collar,),
        )
    }
    names = {e.device_id for e in events}
    devices = {
        row[0]: row[1]
        for row in tx.query_in(
            "SELECT name, collar FROM device_names WHERE name IN ({in})", names
        )
    }
    devices |= {
        row[0]: row[1]
        for row in tx.query_in(
            "SELECT device_id, collar FROM devices WHERE device_id IN ({in})", names
        )
    }
    officer = caller.officer
    # An occurrence the officer was only told of (its own record reached them as the earlier
    # record's OIC) is not one they can see: they may accept it as a join, not add to it.
    told = notices.told_of(tx, officer, visible) - _seen(tx, officer, visible)
    actor = Actor(officer.collar, officer.role, officer.team, officer.district)
    known = Known(table, stored, visible=visible - told, records=targets.values(),
                  devices=devices, told=told)
    return settle(actor, events, known)


def remember_devices(tx: Tx, caller: Caller, events: Iterable[Event], at: str) -> None:
    """A laptop's own name for itself (made before it was enrolled) belongs from its first
    accepted record on to the officer who sent it; enrolled devices' ids are known already."""
    names = sorted({e.device_id for e in events} - {caller.device.device_id})
    if names:
        tx.insert_new(
            "INSERT INTO device_names (name, collar, device_id, first_seen) VALUES {values} "
            "ON CONFLICT (name) DO NOTHING RETURNING name",
            [(name, caller.officer.collar, caller.device.device_id, at) for name in names],
        )


def _seen(tx: Tx, officer: Officer, aggregates: set[str]) -> set[str]:
    """Which of these aggregates `officer` may see by rules (a) to (e) (central/visibility.py):
    a record by their team in it, or a reader by grant or district."""
    if not aggregates:
        return set()
    by_team = {
        row[0]
        for row in tx.query_in(
            "SELECT DISTINCT e.aggregate_id FROM events e JOIN officers a ON a.collar = e.author "
            "WHERE a.team = ? AND e.aggregate_id IN ({in})",
            aggregates,
            before=(officer.team,),
        )
    }
    readers = feed._readers(tx, aggregates - by_team)  # the rules (b), (c), (e)
    return by_team | {a for a, who in readers.items() if officer.collar in who}


def _events_of(tx: Tx, aggregates: set[str]) -> list[Event]:
    return [
        event_from_json(row[0])
        for row in tx.query_in(
            "SELECT body FROM events WHERE aggregate_id IN ({in}) ORDER BY seq", aggregates
        )
    ]


def _target(payload: Payload) -> str:
    return payload.target_id if isinstance(payload, EventCorrected | EnteredInError) else ""


def _names(payload: Payload) -> tuple[str, ...]:
    """Other aggregates a record names: a household's occurrence, a merged or split one."""
    if isinstance(payload, EventCorrected) and not payload.restates_whole:
        moved_to = payload.changes.get("occurrence_id")
        return (str(moved_to),) if moved_to else ()
    if isinstance(payload, EventCorrected):
        try:
            payload = corrected_payload(payload)
        except (TypeError, ValueError, KeyError):
            return ()
    if isinstance(payload, HouseholdRecorded):
        return (payload.occurrence_id,)
    if isinstance(payload, JoinAccepted):
        return (payload.other_id,)
    paired = paired_household(payload)
    return (paired,) if paired else ()


__all__ = ["authorise", "remember_devices"]
