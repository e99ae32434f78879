"""Validation: every problem at once, in the officer's words; invalid input changes nothing."""

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import uuid6
from factories import event, household, new_id, occurrence, offer, rules

from fieldapp.domain.events import (
    EventType,
    InvalidEvent,
    event_from_json,
    make_event,
    normalise_postcode,
    parse_event,
)

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def problems_of(event_type: EventType, payload: dict[str, Any], **kw: Any) -> dict[str, str]:
    args: dict[str, Any] = dict(
        event_id=str(uuid6.uuid7()),
        event_type=event_type,
        aggregate_id=new_id(),
        payload=payload,
        occurred_at=NOW - timedelta(hours=1),
        recorded_at=NOW,
        author="1234",
        device_id="laptop-a",
        rules=rules(NOW),
    )
    args.update(kw)
    with pytest.raises(InvalidEvent) as caught:
        make_event(**args)
    return {p.field: p.message for p in caught.value.problems}


def test_every_problem_is_reported_at_once() -> None:
    found = problems_of(
        EventType.HOUSEHOLD_RECORDED,
        {
            "occurrence_id": "nope",
            "address": "",
            "postcode": "LS99 ZZZ",
            "members": [{"relationship": "child"}, {"relationship": "cousin"}],
        },
        occurred_at=NOW + timedelta(days=2),
    )
    assert found == {
        "occurred_at": "This date and time is in the future: enter when it happened.",
        "payload.occurrence_id": "The occurrence is not a valid identifier.",
        "payload.address": "Enter the address.",
        "payload.postcode": "“LS99 ZZZ” is not a UK postcode (for example LS1 4HY).",
        "payload.members[0].age": "Enter the age of the child.",
        "payload.members[1].relationship": "Choose the relationship from the list.",
    }


@pytest.mark.parametrize(
    ("payload", "field", "words"),
    [
        ({"outcome": "not_appropriate"}, "payload.reason", "Enter the reason"),
        ({"outcome": "accepted", "consent_to_share": True}, "payload.contact_phone",
         "number it can call safely"),
        ({"outcome": "maybe"}, "payload.outcome", "from the list"),
        ({"outcome": "declined", "contact_phone": "call me"}, "payload.contact_phone", "digits"),
        ({"outcome": "declined", "colour": "red"}, "payload", "does not know: colour"),
    ],
)
def test_offer_rules(payload: dict[str, Any], field: str, words: str) -> None:
    assert words in problems_of(EventType.VCAS_OFFERED, payload)[field]


def test_unknown_leaflet_and_unescalated_risk() -> None:
    found = problems_of(
        EventType.LEAFLET_ISSUED,
        {
            "person_name": "J Smith",
            "leaflets": ["safer_lives", "free_pizza"],
            "outcome": "handed",
            "risk_indicators": ["suicidal_thoughts"],
            "escalated": False,
        },
    )
    assert found["payload.leaflets"] == "Not on the list of leaflets: free_pizza."
    assert "escalate now" in found["payload.escalated"]


def test_child_must_be_under_18_and_members_are_needed() -> None:
    found = problems_of(
        EventType.HOUSEHOLD_RECORDED,
        {
            "occurrence_id": new_id(),
            "address": "1 High St",
            "postcode": "LS1 4HY",
            "members": [{"relationship": "child", "age": 19}],
        },
    )
    assert "under 18" in found["payload.members[0].age"]
    found = problems_of(
        EventType.HOUSEHOLD_RECORDED,
        {"occurrence_id": new_id(), "address": "1 High St", "postcode": "LS1 4HY", "members": []},
    )
    assert found["payload.members"] == "Add at least one member of the household."


def test_occurrence_reference_and_offences() -> None:
    found = problems_of(
        EventType.OCCURRENCE_RECORDED,
        {"reference": "??", "offence_types": [], "oic": "12 34", "district": "Leeds"},
    )
    assert "13/123456/24" in found["payload.reference"]
    assert found["payload.offence_types"] == "Choose at least one of the offence types."
    assert "letters or digits" in found["payload.oic"]


def test_correction_payload_is_validated_as_its_target_type() -> None:
    found = problems_of(
        EventType.EVENT_CORRECTED,
        {
            "target_id": str(uuid6.uuid7()),
            "target_type": "vcas_offered",
            "payload": {"outcome": "accepted", "consent_to_share": True},
            "reason": "",
        },
    )
    assert "number it can call" in found["payload.payload.contact_phone"]
    assert found["payload.reason"] == "Enter the reason for the correction."


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        "x",
        3,
        {"id": 5},
        {"type": "occurrence_recorded", "payload": "x"},
        {"type": "nope"},
        {"schema_version": True},
    ],
)
def test_garbage_is_refused_with_problems_not_exceptions(body: Any) -> None:
    with pytest.raises(InvalidEvent) as caught:
        parse_event(body, rules(NOW))
    assert caught.value.problems


def test_newer_schema_version_is_refused() -> None:
    good = offer(new_id(), "declined", NOW - timedelta(hours=1)).to_dict()
    good["schema_version"] = 2
    with pytest.raises(InvalidEvent, match="newer version"):
        parse_event(good, rules(NOW))


def test_ids_must_be_uuid7_in_canonical_form() -> None:
    good = offer(new_id(), "declined", NOW - timedelta(hours=1)).to_dict()
    for bad in (str(uuid.uuid4()), good["id"].upper(), good["id"].replace("-", "")):
        with pytest.raises(InvalidEvent, match="identifier"):
            parse_event({**good, "id": bad}, rules(NOW))


def test_round_trip_is_exact() -> None:
    o = new_id()
    for e in (occurrence(o, NOW), household(new_id(), o, NOW), offer(new_id(), "accepted", NOW)):
        again = event_from_json(e.to_json())
        assert again == e
        assert parse_event(json.loads(e.to_json()), rules(NOW)).to_json() == e.to_json()


def test_oversized_event_is_refused() -> None:
    payload = {"outcome": "declined", "contact_name": "x" * 100}
    e = event(EventType.VCAS_OFFERED, new_id(), payload, NOW)
    data = e.to_dict()
    data["payload"]["contact_name"] = "x" * 20_000
    with pytest.raises(InvalidEvent, match="too long"):
        parse_event(data, rules(NOW))


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("ls14hy", "LS1 4HY"),
        (" sw1a  1aa ", "SW1A 1AA"),
        ("GIR0AA", "GIR 0AA"),
        ("m11ae", "M1 1AE"),
    ],
)
def test_postcodes_are_normalised(typed: str, stored: str) -> None:
    assert normalise_postcode(typed) == stored
    e = household(new_id(), new_id(), NOW, postcode=typed)
    assert e.payload.postcode == stored  # type: ignore[union-attr]


def test_a_correction_keeping_the_time_round_trips() -> None:
    target = offer(new_id(), "declined", NOW - timedelta(hours=2))
    fix = event(
        EventType.EVENT_CORRECTED, target.aggregate_id,
        {"target_id": target.id, "target_type": "vcas_offered",
         "payload": {"outcome": "not_present"}, "reason": "Wrong outcome"},
        NOW - timedelta(hours=1),
    )
    assert parse_event(json.loads(fix.to_json()), rules(NOW)).to_json() == fix.to_json()


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_instants_outside_the_calendar_are_refused_not_crashed(moment: str) -> None:
    good = offer(new_id(), "declined", NOW - timedelta(hours=1)).to_dict()
    with pytest.raises(InvalidEvent, match="date and time"):
        parse_event({**good, "occurred_at": moment}, rules(NOW))
