"""The event log's vocabulary: one versioned, validated schema per event type.

The same schemas are used by the laptop (at capture) and by the central endpoint (at push),
so an event that one side accepts the other accepts too.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import orjson

from fieldapp.domain.catalogue import (
    CALLBACK_OUTCOMES,
    LEAFLET_OUTCOMES,
    OFFENCE_TYPES,
    OFFER_OUTCOMES,
    OFFER_STAGES,
    REFERRAL_STEPS,
    RELATIONSHIPS,
    RISK_INDICATORS,
    LeafletCatalogue,
)
from fieldapp.domain.contacts import (
    Contact,
    contact_from_dict,
    parse_contacts,
    phone_number,
)
from fieldapp.domain.force import ForceLists, engagement_aggregate
from fieldapp.domain.problems import InvalidEvent, Problem, Reader, format_utc, parse_utc


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

# What demanded an escalation when leaflet_issued version 1 records were made; version 2
# reads the force's combinations from resources/support.json instead.
_V1_ESCALATING = frozenset({"self_harm_thoughts", "suicidal_thoughts", "previous_attempt"})

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
MAX_EVENT_BYTES = 16_384

_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/\-]{2,29}$")
_OFFICER = re.compile(r"^[A-Za-z0-9_\-]{1,32}$")
_DEVICE = re.compile(r"^[A-Za-z0-9_\-.]{1,64}$")
# The Royal Mail's shape of a UK postcode, including GIR 0AA.
_POSTCODE = re.compile(
    r"^(GIR ?0AA|[A-PR-UWYZ](?:[0-9]{1,2}|[A-HK-Y][0-9]{1,2}|[0-9][A-HJKPSTUW]"
    r"|[A-HK-Y][0-9][ABEHMNPRVWXY]) ?[0-9][ABD-HJLNP-UW-Z]{2})$"
)
_MONTH = re.compile(r"^(20[0-9]{2})-(0[1-9]|1[0-2])$")
_PARTNER_ID = re.compile(r"^[a-z0-9_]{1,40}$")


def normalise_postcode(text: str) -> str:
    compact = re.sub(r"\s+", "", text.upper())
    return f"{compact[:-3]} {compact[-3:]}" if len(compact) > 3 else compact


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


@dataclass(frozen=True)
class Rules:
    """What validation needs from outside the event: the catalogue, the time now, and the
    force's lists of districts and partners.

    `force` is given where a person's entry is checked (capture on the laptop, a push to the
    endpoint). A pull leaves it out: those records were accepted by the endpoint, perhaps
    under an older list, and a laptop refusing them would lose them.
    """

    catalogue: LeafletCatalogue
    now: datetime
    future_tolerance: timedelta = timedelta(minutes=5)
    force: ForceLists | None = None


# A UUID as uuid.UUID writes it (lower case, hyphenated), without building one per field.
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _uuid(reader: Reader, name: str, label: str, *, version: int | None = None) -> str:
    value = reader.data.get(name)
    if (
        not isinstance(value, str)
        or not _CANONICAL_UUID.fullmatch(value)
        # uuid.UUID.version is only given for the RFC 4122 variant (8, 9, a or b here).
        or (version and (value[14] != str(version) or value[19] not in "89ab"))
    ):
        reader.problem(name, f"The {label} is not a valid identifier.")
        return ""
    return value


def _parse_occurrence(r: Reader, rules: Rules, version: int) -> OccurrenceRecorded:
    r.unexpected(("reference", "offence_types", "oic", "district"))
    reference = r.text("reference", "occurrence reference", max_len=30)
    if reference and not _REFERENCE.match(reference):
        r.problem("reference", "The occurrence reference should look like 13/123456/24.")
    offences = r.choices("offence_types", "offence types", OFFENCE_TYPES)
    oic = _officer(r, "oic", "collar number of the officer in charge")
    district = r.text("district", "district", max_len=60)
    if district and rules.force is not None:
        listed = rules.force.districts.match(district)
        if listed is None:
            r.problem("district", rules.force.districts.refusal(district))
        district = listed or district
    return OccurrenceRecorded(reference.upper(), offences, oic, district)


def _parse_leaflets(r: Reader, rules: Rules, version: int) -> LeafletIssue:
    added = ("no_risk_seen", "escalation") if version >= 2 else ()
    r.unexpected(
        ("person_name", "leaflets", "outcome", "risk_indicators", "escalated", "notes", *added)
    )
    issue = LeafletIssue(
        person_name=r.text("person_name", "name of the person under investigation", max_len=120),
        leaflets=r.choices("leaflets", "leaflets", rules.catalogue.titles),
        outcome=r.choice("outcome", "what happened to the leaflets", LEAFLET_OUTCOMES),
        risk_indicators=r.choices(
            "risk_indicators", "risk indicators", RISK_INDICATORS, at_least_one=False
        ),
        escalated=r.boolean("escalated", "whether the risk was escalated", default=False),
        notes=r.text("notes", "notes", required=False, max_len=2000, multiline=True),
    )
    if version < 2:
        needed = bool(_V1_ESCALATING.intersection(issue.risk_indicators))
    else:
        needed = rules.catalogue.support.needs_escalation(issue.risk_indicators)
        issue = dataclasses.replace(
            issue,
            no_risk_seen=r.boolean("no_risk_seen", "whether no risk was seen", default=False),
            escalation=_escalation(r, rules) if issue.escalated else None,
        )
        if issue.no_risk_seen and issue.risk_indicators:
            r.problem("no_risk_seen", "“No risk seen” cannot go with risks ticked: untick one.")
        elif not issue.no_risk_seen and not issue.risk_indicators:
            r.problem("risk_indicators", "Tick the risks you saw, or tick “No risk seen”.")
    if needed and not issue.escalated:
        r.problem(
            "escalated",
            "Self-harm or suicide risk was indicated: escalate now and confirm it here.",
        )
    return issue


def _escalation(r: Reader, rules: Rules) -> Escalation | None:
    e = Reader(r.data.get("escalation"), r.problems, f"{r.name('escalation')}.")
    e.unexpected(("to", "by", "at"))
    to = e.choice("to", "person or service the risk was escalated to",
                  rules.catalogue.support.escalation_targets)
    by = _officer(e, "by", "collar number of the officer who escalated it")
    moment = parse_utc(e.data.get("at"))
    if moment is None:
        e.problem("at", "Enter when the risk was escalated as a date and time.")
        return None
    _check_moment(e, "at", moment, rules)
    return Escalation(to, by, format_utc(moment))


def _parse_household(r: Reader, rules: Rules, version: int) -> HouseholdRecorded:
    r.unexpected(("occurrence_id", "address", "postcode", "members"))
    occurrence_id = _uuid(r, "occurrence_id", "occurrence")
    address = r.text("address", "address", max_len=300, multiline=True)
    postcode = normalise_postcode(r.text("postcode", "postcode", max_len=10))
    if postcode and not _POSTCODE.match(postcode):
        r.problem("postcode", f"“{postcode}” is not a UK postcode (for example LS1 4HY).")
    members = []
    member_readers = r.items("members", "household members", max_items=30)
    if "members" in r.data and isinstance(r.data["members"], list) and not member_readers:
        r.problem("members", "Add at least one member of the household.")
    for m in member_readers:
        m.unexpected(("relationship", "name", "age"))
        relationship = m.choice("relationship", "relationship", RELATIONSHIPS)
        name = m.text("name", "name", required=False, max_len=120)
        age: int | None = None
        if relationship == "child" or m.data.get("age") is not None:
            age = m.integer("age", "age of the child" if relationship == "child" else "age", 0, 120)
            if relationship == "child" and age > 17:
                m.problem("age", "A child is under 18: choose another relationship for an adult.")
        members.append(Member(relationship, name, age if age is not None and age >= 0 else None))
    return HouseholdRecorded(occurrence_id, address, postcode, tuple(members))


def _consent(r: Reader) -> bool:
    # An acceptance without consent is recorded as it was given; the referral it makes due
    # cannot be sent until consent is recorded (a correction), and the app says so.
    return r.boolean("consent_to_share", "consent to share contact details", default=False)


NO_NUMBER = "VCAS needs a number it can call safely: add one for a contact it is safe to call."


def _parse_offer(r: Reader, rules: Rules, version: int) -> VcasOffer:
    r.unexpected(("outcome", "reason", "consent_to_share", "contact_name", "contact_phone",
                  "stage", "contacts"))
    outcome = r.choice("outcome", "outcome of the offer", OFFER_OUTCOMES)
    reason = r.text(
        "reason", "reason it was not appropriate", required=outcome == "not_appropriate",
        max_len=500, multiline=True,
    )
    consent = _consent(r)
    stage = r.choice("stage", "stage of the offer", OFFER_STAGES) if "stage" in r.data else (
        "attendance"
    )
    offer = VcasOffer(
        outcome, reason, consent,
        r.text("contact_name", "contact name", required=False, max_len=120),
        phone_number(r, "contact_phone", "contact telephone number"),
        stage, parse_contacts(r),
    )
    if consent and not offer.usable_number and not _has_problem(r, "contact"):
        r.problem("contacts" if offer.contacts else "contact_phone", NO_NUMBER)
    return offer


def _has_problem(r: Reader, start: str) -> bool:
    return any(p.field.startswith(r.name(start)) for p in r.problems)


def _parse_callback(r: Reader, rules: Rules, version: int) -> CallbackAttempt:
    r.unexpected(("outcome", "notes", "consent_to_share", "contact_phone"))
    outcome = r.choice("outcome", "outcome of the call-back", CALLBACK_OUTCOMES)
    notes = r.text("notes", "notes", required=False, max_len=2000, multiline=True)
    consent = _consent(r)
    phone = phone_number(r, "contact_phone", "number VCAS can call",
                          required=consent and outcome == "accepted")
    return CallbackAttempt(outcome, notes, consent, phone)


def _parse_referral(r: Reader, rules: Rules, version: int) -> ReferralRecorded:
    r.unexpected(("step", "method", "vcas_contact", "reason", "notes"))
    step = r.choice("step", "step of the referral", REFERRAL_STEPS)

    def of(kind: str, name: str) -> bool:  # without a step: a correction's changed field
        return step == kind or (not step and name in r.data)

    return ReferralRecorded(
        step=step,
        method=r.choice("method", "way the referral was sent",
                        rules.catalogue.support.referral_methods) if of("sent", "method") else "",
        vcas_contact=r.text("vcas_contact", "name of the person at VCAS who acknowledged it",
                            max_len=120) if of("acknowledged", "vcas_contact") else "",
        reason=r.text("reason", "reason the referral was withdrawn", max_len=500,
                      multiline=True) if of("withdrawn", "reason") else "",
        notes=r.text("notes", "notes", required=False, max_len=1000, multiline=True),
    )


def _officer(r: Reader, name: str, label: str) -> str:
    value = r.text(name, label, max_len=32)
    if value and not _OFFICER.match(value):
        r.problem(name, f"The {label} has letters or digits only.")
    return value


def _parse_reassigned(r: Reader, rules: Rules, version: int) -> TaskReassigned:
    r.unexpected(("to_officer", "reason"))
    return TaskReassigned(
        _officer(r, "to_officer", "collar number of the new officer"),
        r.text("reason", "reason for reassigning", max_len=500, multiline=True),
    )


def _parse_corrected(r: Reader, rules: Rules, version: int) -> EventCorrected:
    carried = "changes" if version >= 2 else "payload"
    r.unexpected(("target_id", "target_type", carried, "reason", "occurred_at"))
    target_id = _uuid(r, "target_id", "record being corrected", version=7)
    target_type = r.choice("target_type", "kind of record being corrected", _CORRECTABLE)
    reason = r.text("reason", "reason for the correction", max_len=500, multiline=True)
    occurred_at = ""
    # "" is how a correction that keeps the original time is written (see to_dict).
    if r.data.get("occurred_at") not in (None, ""):
        moment = parse_utc(r.data["occurred_at"])
        if moment is None:
            r.problem("occurred_at", "The corrected date and time is not a date and time.")
        else:
            _check_moment(r, "occurred_at", moment, rules)
            occurred_at = format_utc(moment)
    payload: Mapping[str, Any] = {}
    changes: Mapping[str, Any] = {}
    if target_type in _PARSERS and version >= 2:
        changes = _parse_changes(r, EventType(target_type), rules)
    elif target_type in _PARSERS:
        nested = Reader(r.data.get("payload"), r.problems, f"{r.name('payload')}.")
        kind = EventType(target_type)
        parsed = _PARSERS[kind](nested, rules, SCHEMA_VERSIONS[kind])
        payload = payload_to_dict(parsed)
    return EventCorrected(target_id, target_type, payload, reason, occurred_at, changes)


def _parse_changes(r: Reader, kind: EventType, rules: Rules) -> dict[str, Any]:
    """The changed fields of a version 2 correction, each checked by the corrected record
    type's own rules. Rules across fields are the saving laptop's: it checks the whole record
    the correction makes (see fieldapp/ui/corrections/case.py)."""
    raw = r.data.get("changes", {})
    if not isinstance(raw, Mapping) or not (raw or r.data.get("occurred_at")):
        r.problem("changes", "Change at least one detail: a correction says what changed.")
        return {}
    own = {f.name for f in dataclasses.fields(PAYLOAD_TYPES[kind])}
    foreign = sorted(str(k) for k in raw if k not in own)
    if foreign:
        r.problem("changes", f"A correction of {_CORRECTED_NAMES[kind]} can change only its "
                  f"own details; it has no {', '.join(foreign)}.")
        return {}
    prefix = f"{r.name('changes')}."
    found: list[Problem] = []
    parsed = _PARSERS[kind](Reader(raw, found, prefix), rules, SCHEMA_VERSIONS[kind])
    # The fields left out keep their values: only problems with the changed ones count.
    r.problems.extend(p for p in found if re.split(r"[.\[]", p.field[len(prefix):])[0] in raw)
    return {k: v for k, v in all_fields(parsed).items() if k in raw}


def all_fields(payload: Payload) -> dict[str, Any]:
    """Every field of `payload`, in plain values, including those at their defaults."""
    return {f.name: _plain(getattr(payload, f.name)) for f in dataclasses.fields(payload)}


def _parse_in_error(r: Reader, rules: Rules, version: int) -> EnteredInError:
    r.unexpected(("target_id", "reason"))
    return EnteredInError(
        _uuid(r, "target_id", "record entered in error", version=7),
        r.text("reason", "reason it was entered in error", max_len=500, multiline=True),
    )


def _parse_merged(r: Reader, rules: Rules, version: int) -> HouseholdsMerged:
    r.unexpected(("merged_id", "reason"))
    return HouseholdsMerged(
        _uuid(r, "merged_id", "household being merged"),
        r.text("reason", "reason for merging", max_len=500, multiline=True),
    )


def _parse_split(r: Reader, rules: Rules, version: int) -> HouseholdsSplit:
    r.unexpected(("other_id", "reason"))
    return HouseholdsSplit(
        _uuid(r, "other_id", "other household"),
        r.text("reason", "reason they are different households", max_len=500, multiline=True),
    )


def _parse_join_accepted(r: Reader, rules: Rules, version: int) -> JoinAccepted:
    r.unexpected(("other_id", "officer", "note"))
    return JoinAccepted(
        _uuid(r, "other_id", "other record of the occurrence"),
        _officer(r, "officer", "collar number of the officer who recorded it"),
        r.text("note", "note on the decision", required=False, max_len=1000, multiline=True),
    )


def _parse_confirmed(r: Reader, rules: Rules, version: int) -> ConflictConfirmed:
    r.unexpected(("conflict_key", "note"))
    return ConflictConfirmed(
        r.text("conflict_key", "conflict", max_len=200),
        r.text("note", "note on the decision", required=False, max_len=1000, multiline=True),
    )


def _parse_engagement(r: Reader, rules: Rules, version: int) -> PartnerEngagement:
    r.unexpected(("partner", "month", "engaged"))
    if rules.force is not None:
        partner = r.choice("partner", "partner organisation", rules.force.partners.names)
    else:
        partner = r.text("partner", "partner organisation", max_len=40)
        if partner and not _PARTNER_ID.match(partner):
            r.problem("partner", "Choose the partner organisation from the list.")
    month = r.text("month", "month", max_len=7)
    found = _MONTH.match(month)
    if month and not found:
        r.problem("month", "Give the month as YYYY-MM (for example 2023-01).")
    elif found and (int(found[1]), int(found[2])) > (rules.now.year, rules.now.month):
        r.problem("month", "This month has not happened yet: a partner reports a past month.")
    engaged = r.integer("engaged", "number of people the partner reports engaged", 0, 100_000)
    return PartnerEngagement(partner, month, max(engaged, 0))


_PARSERS: Mapping[EventType, Callable[[Reader, Rules, int], Payload]] = {
    EventType.OCCURRENCE_RECORDED: _parse_occurrence,
    EventType.LEAFLET_ISSUED: _parse_leaflets,
    EventType.HOUSEHOLD_RECORDED: _parse_household,
    EventType.VCAS_OFFERED: _parse_offer,
    EventType.CALLBACK_ATTEMPTED: _parse_callback,
    EventType.TASK_REASSIGNED: _parse_reassigned,
    EventType.EVENT_CORRECTED: _parse_corrected,
    EventType.ENTERED_IN_ERROR: _parse_in_error,
    EventType.HOUSEHOLDS_MERGED: _parse_merged,
    EventType.HOUSEHOLDS_SPLIT: _parse_split,
    EventType.JOIN_ACCEPTED: _parse_join_accepted,
    EventType.CONFLICT_CONFIRMED: _parse_confirmed,
    EventType.PARTNER_ENGAGEMENT_REPORTED: _parse_engagement,
    EventType.REFERRAL_RECORDED: _parse_referral,
}

# The kinds of record a correction may restate, in the order a case lists them.
CORRECTABLE: tuple[EventType, ...] = (
    EventType.OCCURRENCE_RECORDED,
    EventType.LEAFLET_ISSUED,
    EventType.HOUSEHOLD_RECORDED,
    EventType.VCAS_OFFERED,
    EventType.CALLBACK_ATTEMPTED,
    EventType.REFERRAL_RECORDED,
)
_CORRECTABLE: Mapping[str, str] = {t.value: t.value for t in CORRECTABLE}

_CORRECTED_NAMES: Mapping[EventType, str] = {
    EventType.OCCURRENCE_RECORDED: "an occurrence",
    EventType.LEAFLET_ISSUED: "leaflets issued",
    EventType.HOUSEHOLD_RECORDED: "a household",
    EventType.VCAS_OFFERED: "a victim support offer",
    EventType.CALLBACK_ATTEMPTED: "a call-back",
    EventType.REFERRAL_RECORDED: "a referral step",
}

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


def _plain(value: Any) -> Any:
    if isinstance(value, str | int | float) or value is None:
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        plain: dict[str, Any] = {}
        for name, dropped, added, default in _shape(type(value)):
            item = getattr(value, name)
            if (dropped and not item) or (added and not dropped and item == default):
                continue  # left out (see _shape)
            plain[name] = _plain(item)
        return plain
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def payload_to_dict(payload: Payload) -> dict[str, Any]:
    result: dict[str, Any] = _plain(payload)
    return result


def _check_moment(r: Reader, name: str, moment: datetime, rules: Rules) -> None:
    if moment > rules.now + rules.future_tolerance:
        r.problem(name, "This date and time is in the future: enter when it happened.")
    elif moment < EARLIEST:
        r.problem(name, "This date is too long ago: check the year.")


# --------------------------------------------------------------------------- the event


@dataclass(frozen=True)
class Event:
    id: str
    type: EventType
    aggregate_id: str
    occurred_at: datetime
    recorded_at: datetime
    author: str
    device_id: str
    payload: Payload
    schema_version: int = 1
    # Canonical JSON of the whole event: the identity the server compares on duplicate ids.
    canonical: str = field(default="", compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type.value,
            "schema_version": self.schema_version,
            "aggregate_id": self.aggregate_id,
            "occurred_at": format_utc(self.occurred_at),
            "recorded_at": format_utc(self.recorded_at),
            "author": self.author,
            "device_id": self.device_id,
            "payload": payload_to_dict(self.payload),
        }

    def to_json(self) -> str:
        return self.canonical or canonical_json(self.to_dict())

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.to_json().encode()).hexdigest()


def canonical_json(data: Mapping[str, Any]) -> str:
    """Sorted keys, no spaces, UTF-8 as it is: byte for byte what `json.dumps(sort_keys=True,
    separators=(",", ":"), ensure_ascii=False)` writes for an event (no floats in any event;
    tests/domain/test_wire.py holds the two to it), several times faster."""
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS).decode()


_ENVELOPE = (
    "id", "type", "schema_version", "aggregate_id", "occurred_at", "recorded_at",
    "author", "device_id", "payload",
)


def parse_event(data: Any, rules: Rules) -> Event:
    """Validate an untrusted mapping as an event; raises InvalidEvent with every problem."""
    problems: list[Problem] = []
    r = Reader(data, problems)
    r.unexpected(_ENVELOPE)
    event_id = _uuid(r, "id", "record's identifier", version=7)
    raw_type = r.data.get("type")
    try:
        event_type = EventType(raw_type) if isinstance(raw_type, str) else None
    except ValueError:
        event_type = None
    if event_type is None:
        r.problem("type", "This kind of record is not known to this version of fieldapp.")
    version = r.integer("schema_version", "schema version", 1, 1000)
    if event_type is not None and version > SCHEMA_VERSIONS[event_type]:
        r.problem("schema_version", "This record was made by a newer version of fieldapp.")
    aggregate_id = _uuid(r, "aggregate_id", "record it belongs to")
    moments: dict[str, datetime] = {}
    for name, label in (("occurred_at", "when it happened"), ("recorded_at", "when it was saved")):
        moment = parse_utc(r.data.get(name))
        if moment is None:
            r.problem(name, f"Enter {label} as a date and time.")
            continue
        moments[name] = moment
    if "occurred_at" in moments:
        _check_moment(r, "occurred_at", moments["occurred_at"], rules)
    author = _officer(r, "author", "author's collar number")
    device = r.text("device_id", "device identifier", max_len=64)
    if device and not _DEVICE.match(device):
        r.problem("device_id", "The device identifier is not valid.")
    payload: Payload | None = None
    if event_type is not None:
        payload = _PARSERS[event_type](
            Reader(r.data.get("payload"), problems, "payload."), rules,
            version if version > 0 else SCHEMA_VERSIONS[event_type],
        )
    if (
        isinstance(payload, PartnerEngagement)
        and aggregate_id
        and payload.partner
        and payload.month
        and aggregate_id != engagement_aggregate(payload.partner, payload.month)
    ):
        r.problem("aggregate_id", "A partner's monthly report is filed under the identifier "
                  "made from the partner and the month; this one is not it.")
    if problems or payload is None or event_type is None:
        raise InvalidEvent(problems or [Problem("", "The record could not be read.")])
    event = Event(
        id=event_id,
        type=event_type,
        aggregate_id=aggregate_id,
        occurred_at=moments["occurred_at"],
        recorded_at=moments["recorded_at"],
        author=author,
        device_id=device,
        payload=payload,
        schema_version=version,
    )
    text = canonical_json(event.to_dict())
    if len(text.encode()) > MAX_EVENT_BYTES:
        raise InvalidEvent([Problem("", "This record is too large to save.")])
    return dataclasses.replace(event, canonical=text)


def make_event(
    *,
    event_id: str,
    event_type: EventType,
    aggregate_id: str,
    payload: Mapping[str, Any],
    occurred_at: datetime,
    recorded_at: datetime,
    author: str,
    device_id: str,
    rules: Rules,
) -> Event:
    """Build a new event from a form's fields; raises InvalidEvent with every problem."""
    return parse_event(
        {
            "id": event_id,
            "type": event_type.value,
            "schema_version": _written_version(event_type, payload),
            "aggregate_id": aggregate_id,
            "occurred_at": format_utc(occurred_at) if occurred_at.tzinfo else "",
            "recorded_at": format_utc(recorded_at),
            "author": author,
            "device_id": device_id,
            "payload": dict(payload),
        },
        rules,
    )


def _written_version(event_type: EventType, payload: Mapping[str, Any]) -> int:
    """The version a new record is made at: today's, except that a correction restating the
    whole record (central's record CLI, older writers) is still made as version 1."""
    if event_type is EventType.EVENT_CORRECTED and "payload" in payload:
        return 1
    return SCHEMA_VERSIONS[event_type]


def event_from_json(text: str) -> Event:
    """Re-read an event that was validated when it was stored (trusted, so no clock check)."""
    data = orjson.loads(text)
    event_type = EventType(data["type"])
    payload = _payload_from_dict(event_type, data["payload"])
    return Event(
        id=data["id"],
        type=event_type,
        aggregate_id=data["aggregate_id"],
        occurred_at=_must_utc(data["occurred_at"]),
        recorded_at=_must_utc(data["recorded_at"]),
        author=data["author"],
        device_id=data["device_id"],
        payload=payload,
        schema_version=int(data["schema_version"]),
        canonical=text,
    )


def _must_utc(text: str) -> datetime:
    moment = parse_utc(text)
    if moment is None:
        raise ValueError(f"not an instant: {text!r}")
    return moment


def _payload_from_dict(event_type: EventType, data: Mapping[str, Any]) -> Payload:
    cls = PAYLOAD_TYPES[event_type]
    values = dict(data)
    if event_type is EventType.EVENT_CORRECTED:
        values.setdefault("payload", {})  # version 2 carries `changes` instead
    if event_type is EventType.HOUSEHOLD_RECORDED:
        values["members"] = tuple(Member(**m) for m in values["members"])
    if values.get("escalation") is not None:
        values["escalation"] = Escalation(**values["escalation"])
    if "contacts" in values:
        values["contacts"] = tuple(contact_from_dict(c) for c in values["contacts"])
    for name in ("offence_types", "leaflets", "risk_indicators"):
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
