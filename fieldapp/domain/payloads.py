"""The payload kinds of the event log: one frozen dataclass per event type (the schema
version each is written at), their plain-dict forms (written into the event's canonical JSON,
read back from it), and the record a correction makes of the one it corrects.

Validating an untrusted payload is fieldapp/domain/parsing.py; the envelope around a payload
is fieldapp/domain/events.py.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from fieldapp.domain.contacts import (
    Contact,
    contact_from_dict,
)


class EventType(StrEnum):
    OCCURRENCE_RECORDED = "occurrence_recorded"
    LEAFLET_ISSUED = "leaflet_issued"
    HOUSEHOLD_RECORDED = "household_recorded"
    VCAS_OFFERED = "vcas_offered"
    CALLBACK_ATTEMPTED = "callback_attempted"
    TASK_REASSIGNED = "task_reassigned"
    EVENT_CORRECTED = "event_corrected"
    ENTERED_IN_ERROR = "entered_in_error"
    HOUSEHOLDS_MERGED = "households_merged"
    HOUSEHOLDS_SPLIT = "households_split"
    JOIN_ACCEPTED = "join_accepted"
    CONFLICT_CONFIRMED = "conflict_confirmed"
    PARTNER_ENGAGEMENT_REPORTED = "partner_engagement_reported"
    REFERRAL_RECORDED = "referral_recorded"


# The one schema version each type is written at today. Older versions are upgraded on read.
# leaflet_issued 2: the risk question is answered explicitly ("no risk seen" or the risks), and
# an escalation says to whom, by whom and when; version 1 records read with those unset.
# event_corrected 2: carries only the changed fields (`changes`), applied over the record as it
# stands; version 1 restated the whole record (`payload`) and still reads as it did.
SCHEMA_VERSIONS: Mapping[EventType, int] = {
    **{t: 1 for t in EventType}, EventType.LEAFLET_ISSUED: 2, EventType.EVENT_CORRECTED: 2,
}

# Fields added to a payload after its version was first written: left out of the record while
# they hold their default, so a record made before them keeps its exact canonical JSON.
_ADDED = {"added": True}
# A field a later version no longer writes: left out of the record when empty.
_DROPPED = {"dropped": True}


# --------------------------------------------------------------------------- payloads


@dataclass(frozen=True)
class OccurrenceRecorded:
    reference: str
    offence_types: tuple[str, ...]
    oic: str
    district: str


@dataclass(frozen=True)
class Escalation:
    """A suicide or self-harm risk passed on: to whom (resources/support.json), by whom, when."""

    to: str
    by: str
    at: str  # UTC instant, as the envelope writes one


@dataclass(frozen=True)
class LeafletIssue:
    person_name: str
    leaflets: tuple[str, ...]
    outcome: str
    risk_indicators: tuple[str, ...]
    escalated: bool
    notes: str = ""
    no_risk_seen: bool = field(default=False, metadata=_ADDED)
    escalation: Escalation | None = field(default=None, metadata=_ADDED)


@dataclass(frozen=True)
class Member:
    relationship: str
    name: str = ""
    age: int | None = None


@dataclass(frozen=True)
class HouseholdRecorded:
    occurrence_id: str
    address: str
    postcode: str
    members: tuple[Member, ...]


@dataclass(frozen=True)
class VcasOffer:
    outcome: str
    reason: str = ""
    consent_to_share: bool = False
    # Before contacts were recorded in full, an offer kept one name and number (still read).
    contact_name: str = ""
    contact_phone: str = ""
    stage: str = field(default="attendance", metadata=_ADDED)
    contacts: tuple[Contact, ...] = field(default=(), metadata=_ADDED)

    @property
    def usable_number(self) -> str:
        return next((c.usable_number for c in self.contacts if c.usable_number),
                    self.contact_phone)


@dataclass(frozen=True)
class CallbackAttempt:
    outcome: str
    notes: str = ""
    consent_to_share: bool = False
    contact_phone: str = ""


@dataclass(frozen=True)
class TaskReassigned:
    to_officer: str
    reason: str


@dataclass(frozen=True)
class EventCorrected:
    target_id: str
    target_type: str
    payload: Mapping[str, Any] = field(metadata=_DROPPED)  # version 1: the whole record
    reason: str
    occurred_at: str = ""
    changes: Mapping[str, Any] = field(default_factory=dict, metadata=_ADDED)  # version 2

    @property
    def restates_whole(self) -> bool:
        """Version 1 restates the whole record; version 2 carries only what changed."""
        return bool(self.payload)


@dataclass(frozen=True)
class EnteredInError:
    target_id: str
    reason: str


@dataclass(frozen=True)
class HouseholdsMerged:
    merged_id: str
    reason: str


@dataclass(frozen=True)
class HouseholdsSplit:
    """"These are different households": undoes a join (automatic or a merge) of this pair."""

    other_id: str
    reason: str


@dataclass(frozen=True)
class JoinAccepted:
    """The OIC (or a supervisor) of an occurrence accepts another officer's record of it
    (another occurrence id, the same reference): that officer may now see this one's records,
    as a reassignment would let them. Joining alone never widens anyone's view."""

    other_id: str  # the other record of the occurrence (its occurrence id)
    officer: str  # who recorded it, and is let see this one
    note: str = ""


@dataclass(frozen=True)
class ConflictConfirmed:
    conflict_key: str
    note: str


@dataclass(frozen=True)
class PartnerEngagement:
    """How many people a partner says engaged in a month after police signposting: a count
    the partner reports to a supervisor, never anyone's name or details."""

    partner: str  # an id from the force's partner list
    month: str  # YYYY-MM
    engaged: int


@dataclass(frozen=True)
class ReferralRecorded:
    """One step of a household's referral into VCAS; who and when are the envelope's."""

    step: str  # REFERRAL_STEPS
    method: str = ""  # sent: how (resources/support.json)
    vcas_contact: str = ""  # acknowledged: who at VCAS
    reason: str = ""  # withdrawn: why
    notes: str = ""


Payload = (
    OccurrenceRecorded
    | LeafletIssue
    | HouseholdRecorded
    | VcasOffer
    | CallbackAttempt
    | TaskReassigned
    | EventCorrected
    | EnteredInError
    | HouseholdsMerged
    | HouseholdsSplit
    | JoinAccepted
    | ConflictConfirmed
    | PartnerEngagement
    | ReferralRecorded
)


# The kinds of record a correction may restate, in the order a case lists them.
CORRECTABLE: tuple[EventType, ...] = (
    EventType.OCCURRENCE_RECORDED,
    EventType.LEAFLET_ISSUED,
    EventType.HOUSEHOLD_RECORDED,
    EventType.VCAS_OFFERED,
    EventType.CALLBACK_ATTEMPTED,
    EventType.REFERRAL_RECORDED,
)


PAYLOAD_TYPES: Mapping[EventType, type] = {
    EventType.OCCURRENCE_RECORDED: OccurrenceRecorded,
    EventType.LEAFLET_ISSUED: LeafletIssue,
    EventType.HOUSEHOLD_RECORDED: HouseholdRecorded,
    EventType.VCAS_OFFERED: VcasOffer,
    EventType.CALLBACK_ATTEMPTED: CallbackAttempt,
    EventType.TASK_REASSIGNED: TaskReassigned,
    EventType.EVENT_CORRECTED: EventCorrected,
    EventType.ENTERED_IN_ERROR: EnteredInError,
    EventType.HOUSEHOLDS_MERGED: HouseholdsMerged,
    EventType.HOUSEHOLDS_SPLIT: HouseholdsSplit,
    EventType.JOIN_ACCEPTED: JoinAccepted,
    EventType.CONFLICT_CONFIRMED: ConflictConfirmed,
    EventType.PARTNER_ENGAGEMENT_REPORTED: PartnerEngagement,
    EventType.REFERRAL_RECORDED: ReferralRecorded,
}


@functools.cache
def _shape(cls: type) -> tuple[tuple[str, bool, bool, Any], ...]:
    """A payload class's fields: name, whether dropped when empty, whether added later (left
    out at its default), and that default. Worked out once per class: every event written or
    validated goes through `_plain`."""
    return tuple(
        (f.name, bool(f.metadata.get("dropped")), bool(f.metadata.get("added")),
         f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default)
        for f in dataclasses.fields(cls)
    )


# Values written as they are: tested by exact type first, the commonest case by far.
_AS_THEY_ARE = frozenset({str, int, float, bool, type(None)})


def _plain(value: Any) -> Any:
    kind: type = type(value)
    if kind in _AS_THEY_ARE:
        return value
    if hasattr(kind, "__dataclass_fields__"):  # a dataclass instance (a class is a type)
        plain: dict[str, Any] = {}
        for name, dropped, added, default in _shape(kind):
            item = getattr(value, name)
            if (dropped and not item) or (added and not dropped and item == default):
                continue  # left out (see _shape)
            plain[name] = item if type(item) in _AS_THEY_ARE else _plain(item)
        return plain
    if isinstance(value, str | int | float):  # a subclass (an enum's value, say)
        return value
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def payload_to_dict(payload: Payload) -> dict[str, Any]:
    result: dict[str, Any] = _plain(payload)
    return result


def all_fields(payload: Payload) -> dict[str, Any]:
    """Every field of `payload`, in plain values, including those at their defaults."""
    return {f.name: _plain(getattr(payload, f.name)) for f in dataclasses.fields(payload)}


# The fields of a plain record read back into something other than their JSON: lists into
# tuples, objects into their dataclasses. Most kinds have none, and are read as they are.
_LISTS = ("offence_types", "leaflets", "risk_indicators")
_CONVERTED: Mapping[type, bool] = {
    cls: bool({"members", "escalation", "contacts", *_LISTS} & {f.name for f in
                                                                dataclasses.fields(cls)})
    for cls in PAYLOAD_TYPES.values()
}


def _payload_from_dict(event_type: EventType, data: Mapping[str, Any]) -> Payload:
    cls = PAYLOAD_TYPES[event_type]
    if event_type is EventType.EVENT_CORRECTED and "payload" not in data:
        data = {**data, "payload": {}}  # version 2 carries `changes` instead
    if not _CONVERTED[cls]:
        plain: Payload = cls(**data)
        return plain
    values = dict(data)
    if event_type is EventType.HOUSEHOLD_RECORDED:
        values["members"] = tuple(Member(**m) for m in values["members"])
    if values.get("escalation") is not None:
        values["escalation"] = Escalation(**values["escalation"])
    if "contacts" in values:
        values["contacts"] = tuple(contact_from_dict(c) for c in values["contacts"])
    for name in _LISTS:
        if name in values:
            values[name] = tuple(values[name])
    payload: Payload = cls(**values)
    return payload


def paired_household(payload: Payload) -> str:
    """The second household a merge or a split names ("" for any other record)."""
    if isinstance(payload, HouseholdsMerged):
        return payload.merged_id
    if isinstance(payload, HouseholdsSplit):
        return payload.other_id
    return ""


def corrected_payload(correction: EventCorrected, target: Payload | None = None) -> Payload:
    """The record a correction makes. Version 1 restates it whole; version 2 applies its
    changes over `target`, the corrected record as it stands (ValueError without it)."""
    kind = EventType(correction.target_type)
    if correction.restates_whole:
        return _payload_from_dict(kind, correction.payload)
    if target is None or not isinstance(target, PAYLOAD_TYPES[kind]):
        raise ValueError("a correction of changed fields needs the record it corrects")
    return _payload_from_dict(kind, {**payload_to_dict(target), **correction.changes})
