"""Validating an untrusted payload: one parser per event type (and schema version), every
problem collected in the officer's words beside its field (fieldapp/domain/problems.py), and
`Rules`, what validation needs from outside the event.

The same parsers are used by the laptop (at capture) and by the central endpoint (at push),
so a payload that one side accepts the other accepts too.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

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
    parse_contacts,
    phone_number,
)
from fieldapp.domain.force import ForceLists
from fieldapp.domain.payloads import (
    CORRECTABLE,
    PAYLOAD_TYPES,
    SCHEMA_VERSIONS,
    CallbackAttempt,
    ConflictConfirmed,
    EnteredInError,
    Escalation,
    EventCorrected,
    EventType,
    HouseholdRecorded,
    HouseholdsMerged,
    HouseholdsSplit,
    JoinAccepted,
    LeafletIssue,
    Member,
    OccurrenceRecorded,
    PartnerEngagement,
    Payload,
    ReferralRecorded,
    TaskReassigned,
    VcasOffer,
    all_fields,
    payload_to_dict,
)
from fieldapp.domain.problems import Problem, Reader, format_utc, parse_utc

# What demanded an escalation when leaflet_issued version 1 records were made; version 2
# reads the force's combinations from resources/support.json instead.
_V1_ESCALATING = frozenset({"self_harm_thoughts", "suicidal_thoughts", "previous_attempt"})

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/\-]{2,29}$")
_OFFICER = re.compile(r"^[A-Za-z0-9_\-]{1,32}$")
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


_CORRECTABLE: Mapping[str, str] = {t.value: t.value for t in CORRECTABLE}

_CORRECTED_NAMES: Mapping[EventType, str] = {
    EventType.OCCURRENCE_RECORDED: "an occurrence",
    EventType.LEAFLET_ISSUED: "leaflets issued",
    EventType.HOUSEHOLD_RECORDED: "a household",
    EventType.VCAS_OFFERED: "a victim support offer",
    EventType.CALLBACK_ATTEMPTED: "a call-back",
    EventType.REFERRAL_RECORDED: "a referral step",
}


def _check_moment(r: Reader, name: str, moment: datetime, rules: Rules) -> None:
    if moment > rules.now + rules.future_tolerance:
        r.problem(name, "This date and time is in the future: enter when it happened.")
    elif moment < EARLIEST:
        r.problem(name, "This date is too long ago: check the year.")
