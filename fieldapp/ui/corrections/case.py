"""The ops behind putting records right, each run on the database worker.

One place decides what the officer may change: `load_case` asks the authority rule about
every record of the case, from what the laptop holds (`amend.laptop_known`), and the widgets
only enable or disable what it says. Saving asks the rule again about the real record, so a
change the rule refuses is never written.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from fieldapp.domain import amend
from fieldapp.domain.authority import Actor, decide, who_can
from fieldapp.domain.catalogue import OFFER_OUTCOMES, REFERRAL_STEPS
from fieldapp.domain.events import (
    CallbackAttempt,
    Event,
    EventCorrected,
    EventType,
    HouseholdRecorded,
    LeafletIssue,
    OccurrenceRecorded,
    ReferralRecorded,
    TaskReassigned,
    VcasOffer,
    all_fields,
    corrected_payload,
    payload_to_dict,
)
from fieldapp.domain.policy import london_date
from fieldapp.domain.problems import InvalidEvent, format_utc
from fieldapp.domain.projection import Changes, project
from fieldapp.domain.views import HouseholdView, OccurrenceView
from fieldapp.resources import load_authority, load_policy
from fieldapp.store import Store
from fieldapp.sync.client import SETTING_OFFICER
from fieldapp.ui.ops import UserError
from fieldapp.ui.session import Capture, Identity, identify, prepare

KIND_LABELS = {
    EventType.OCCURRENCE_RECORDED: "Occurrence",
    EventType.LEAFLET_ISSUED: "Leaflets issued",
    EventType.HOUSEHOLD_RECORDED: "Household",
    EventType.VCAS_OFFERED: "VCAS offer",
    EventType.CALLBACK_ATTEMPTED: "Call-back",
    EventType.REFERRAL_RECORDED: "VCAS referral step",
}


def actor_of(store: Store, identity: Identity) -> Actor:
    """The enrolled officer as the endpoint enrolled them (an offline-only laptop: its
    officer, with no role)."""
    try:
        officer = json.loads(store.get_setting(SETTING_OFFICER) or "{}")
    except ValueError:
        officer = {}
    team = str(officer.get("team") or "") if isinstance(officer, dict) else ""
    return Actor(identity.author, identity.role, team, identity.district)


@dataclass(frozen=True)
class RecordRow:
    """One record of the case as it now stands, with what the officer may do to it."""

    event: Event
    label: str
    summary: str
    correct: amend.Offer
    in_error: amend.Offer
    changed_by_others: tuple[str, ...]


@dataclass(frozen=True)
class Case:
    """A household (or an occurrence) and everything recorded with it, for putting right."""

    key: str
    occurrence: OccurrenceView | None
    household: HouseholdView | None
    records: tuple[RecordRow, ...]
    reassign: amend.Offer | None  # None: no call-back is open
    others: tuple[HouseholdView, ...]  # other households of the occurrence, to merge with
    merge: Mapping[str, amend.Offer]  # per other household
    parts: Mapping[str, Event]  # household records joined or maybe the same, by id
    split: Mapping[str, amend.Offer]  # per record joined to this household, or its twin
    changed_by_others: tuple[str, ...]  # every change another officer made in the case
    actor: Actor


def summary_of(event: Event) -> str:
    """A record in one line: when, who, and what it says."""
    when = f"{london_date(event.occurred_at):%d/%m/%Y}"
    p = event.payload
    if isinstance(p, OccurrenceRecorded):
        what = f"{p.reference}, OIC {p.oic}, {p.district}"
    elif isinstance(p, LeafletIssue):
        what = f"{p.person_name}: {len(p.leaflets)} leaflet(s)"
    elif isinstance(p, HouseholdRecorded):
        what = f"{' '.join(p.address.split())}, {p.postcode}; {len(p.members)} member(s)"
    elif isinstance(p, VcasOffer):
        what = OFFER_OUTCOMES.get(p.outcome, p.outcome)
    elif isinstance(p, CallbackAttempt):
        what = p.outcome.replace("_", " ")
    elif isinstance(p, ReferralRecorded):
        what = REFERRAL_STEPS.get(p.step, p.step)
    else:
        what = ""
    return f"{when} by {event.author}: {what}"


def load_case(store: Store, key: str, now: datetime) -> Case:
    """The case `key` (a household or an occurrence id) is part of, as the officer may
    change it. Opening it is a consultation (DPA 2018 Part 3 s.62)."""
    events = store.case_events([key])
    state = project(events, load_policy())
    known = amend.laptop_known(load_authority(), events)
    identity = identify(store)
    actor, device = actor_of(store, identity), identity.device_id
    household = state.household_of(key)
    occurrence_id = household.occurrence_id if household else key
    occurrence = state.occurrences.get(occurrence_id)
    conflicts = list(state.conflicts.values())
    mine = set(household.merged_ids) if household else set()
    rows = []
    for event in amend.current_records(events):
        # A household's own records, and the occurrence's: not other households'.
        if household is not None and event.aggregate_id not in mine | {occurrence_id}:
            continue
        correct, in_error = amend.offers_for_record(actor, device, known, event, now)
        rows.append(RecordRow(
            event, KIND_LABELS[event.type], summary_of(event), correct, in_error,
            tuple(amend.changed_by_others(conflicts, [event.id])),
        ))
    reassign = None
    if household is not None and household.task is not None and household.task.is_open:
        reassign = amend.offer_for_household(actor, device, known, amend.REASSIGN, household.id,
                                              now)
    others = tuple(
        h for h in state.households.values()
        if household is not None and h.id != household.id
        and h.occurrence_id == household.occurrence_id
    )
    merge = {
        h.id: amend.offer_for_household(actor, device, known, amend.MERGE, household.id, now,
                                       h.id)
        for h in others if household is not None
    }
    # Split off: a record joined into this household, or one the rule says may be it.
    twins = {
        i for c in conflicts if c.kind == "possible_duplicate_household"
        and household is not None and household.id in c.event_ids for i in c.event_ids
    }
    parts = {e.aggregate_id: e for e in amend.current_records(events)
             if e.type is EventType.HOUSEHOLD_RECORDED and e.aggregate_id in mine | twins}
    split = {
        other: amend.offer_for_household(actor, device, known, amend.SPLIT, household.id, now,
                                         other)
        for other in sorted(mine | twins) if household is not None and other != household.id
    }
    scope = mine | {occurrence_id}
    store.note_consultation("household" if household else "occurrence", key,
                            "opened to put right")
    return Case(
        key, occurrence, household, tuple(rows), reassign, others, merge, parts, split,
        tuple(amend.changed_by_others(conflicts, scope)), actor,
    )


def reopen_record(store: Store, record_id: str, now: datetime) -> tuple[Case, RecordRow] | None:
    """The record a correction was open on at a lock, as it now stands, and its case; None
    if it is gone (retracted, or not on this laptop) or the rule no longer lets the officer
    correct it."""
    record = store.event(record_id)
    if record is None:
        return None
    case = load_case(store, record.aggregate_id, now)
    row = next((r for r in case.records if r.event.id == record_id and r.correct.allowed),
               None)
    return (case, row) if row is not None else None


@dataclass(frozen=True)
class Change:
    """A change to save: the record it makes, and for a correction the record it restates
    as it now stands (to tell what changed)."""

    capture: Capture
    current: Mapping[str, Any] | None = None
    current_moment: datetime | None = None


def check_change(store: Store, change: Change, identity: Identity, now: datetime,
             *, preview: bool = False) -> tuple[Event, list[Event]]:
    """The event `change` makes, if the domain, the authority rule and (for a correction)
    the changed fields say it stands."""
    event = prepare(store, change.capture, identity, now)
    payload = event.payload
    problems = []
    if isinstance(payload, EventCorrected) and change.current is not None:
        # Compared as the event states them (defaults as a stored record leaves them out).
        fields = amend.changed_fields(change.current, payload.payload)
        if not preview:
            problems = amend.nothing_changed(fields, bool(payload.occurred_at))
        if fields or payload.occurred_at:
            event = prepare(store, only_changes(change.capture, payload, fields), identity, now)
    if isinstance(payload, TaskReassigned):
        household = store.household(event.aggregate_id)
        task = household.task if household else None
        problems = amend.check_collar(payload.to_officer, task.assignee if task else "")
    events = store.case_events([event.aggregate_id])
    problems += amend.check_step_correction(events, event, load_policy())
    if problems:
        raise InvalidEvent(problems)
    known = amend.laptop_known(load_authority(), events)
    decision = decide(actor_of(store, identity), event, known)
    if not decision.allowed:
        raise UserError(who_can(decision))
    return event, events


def only_changes(capture: Capture, whole: EventCorrected, fields: Sequence[str]) -> Capture:
    """The correction as it is saved (event_corrected version 2): only the changed fields,
    once the whole record they make has passed its own type's checks (`whole`)."""
    made = all_fields(corrected_payload(whole))
    data = {k: v for k, v in capture.payload.items() if k != "payload"}
    return replace(capture, payload={**data, "changes": {k: made[k] for k in fields}})


def save_change(store: Store, change: Change, identity: Identity, now: datetime) -> Changes:
    """Saves a correction, retraction, reassignment or merge: one event, one transaction."""
    event, _ = check_change(store, change, identity, now)
    return store.append([event], draft=change.capture.draft_key or None)


@dataclass(frozen=True)
class Checked:
    """A correction as the check before saving found it: what it changes, what it does."""

    changed: tuple[str, ...]
    effect: tuple[str, ...]


def check_and_preview(store: Store, change: Change, identity: Identity,
                      now: datetime) -> Checked:
    """The check before saving: refused as the save would be, or else what it will do."""
    event, events = check_change(store, change, identity, now)
    payload = event.payload
    changed = sorted(payload.changes) if isinstance(payload, EventCorrected) else []
    return Checked(tuple(changed), tuple(amend.effect_of(events, event, load_policy())))


def preview(store: Store, change: Change, identity: Identity, now: datetime) -> list[str]:
    """What `change` would do, before it is saved; [] while it cannot be made yet."""
    # The reason does not change what a change does: one not typed yet is stood in for, so
    # that the officer sees the effect while still writing it. Nothing here is saved.
    capture = change.capture
    if not str(capture.payload.get("reason", "")).strip():
        capture = replace(capture, payload={**capture.payload, "reason": "(being written)"})
    try:
        event, events = check_change(store, replace(change, capture=capture), identity, now,
                                 preview=True)
    except (InvalidEvent, UserError):
        return []
    return amend.effect_of(events, event, load_policy())


def correction_payload(record: Event, restated: Mapping[str, Any], reason: str,
                       moment: datetime | None) -> dict[str, Any]:
    """An `event_corrected` of `record`, the record restated in full to be checked whole
    (`only_changes` then keeps what changed), and when it happened if that changed."""
    data: dict[str, Any] = {
        "target_id": record.id,
        "target_type": record.type.value,
        "payload": dict(restated),
        "reason": reason,
    }
    if moment is not None:
        data["occurred_at"] = format_utc(moment)
    return data


def fields_of(record: Event) -> dict[str, Any]:
    return payload_to_dict(record.payload)
