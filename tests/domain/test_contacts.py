"""Who to call and whether it is safe; offers made later; escalation; old records still read."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import uuid6
from factories import callback, event, household, new_id, occurrence, offer, rules

from fieldapp.domain.catalogue import RELATIONSHIPS
from fieldapp.domain.events import (
    EventType,
    InvalidEvent,
    event_from_json,
    make_event,
    parse_event,
)
from fieldapp.domain.projection import project
from fieldapp.domain.views import LEGACY_CONTACT_NOTE
from fieldapp.resources import load_policy, resources_dir

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
AT = datetime(2026, 3, 2, 10, tzinfo=UTC)


def contact(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "Alex Doe", "relationship": "partner",
        "phones": [{"number": "07700 900123", "label": "mobile"}],
        "preferred_times": [{"start": "09:30", "end": "12:00"}],
        "safe_to_call": True, "safe_to_leave_message": False, "language": "Polish",
        "interpreter_needed": True, "access_needs": "Hard of hearing", "notes": "Works nights",
    }
    return base | changes


def problems_of(event_type: EventType, payload: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(InvalidEvent) as caught:
        make_event(
            event_id=str(uuid6.uuid7()), event_type=event_type, aggregate_id=new_id(),
            payload=payload, occurred_at=NOW - timedelta(hours=1), recorded_at=NOW,
            author="1234", device_id="laptop-a", rules=rules(NOW),
        )
    return {p.field: p.message for p in caught.value.problems}


def test_a_contact_is_recorded_in_full_on_the_offer() -> None:
    e = event(EventType.VCAS_OFFERED, new_id(),
              {"outcome": "declined", "stage": "later", "contacts": [contact()]}, AT)
    again = event_from_json(e.to_json())
    assert again == e
    person = e.payload.contacts[0]  # type: ignore[union-attr]
    assert (person.phones[0].number, person.preferred_times[0].start) == ("07700 900123", "09:30")
    assert person.interpreter_needed and person.language == "Polish"


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"phones": [{"number": "call me", "label": "mobile"}]}, "phones[0].number",
         "“call me” is not a telephone number"),
        ({"phones": [{"number": "12", "label": "mobile"}]}, "phones[0].number",
         "not a telephone number"),
        ({"preferred_times": [{"start": "25:00", "end": "26:00"}]}, "preferred_times[0].start",
         "“25:00” is not a time of day"),
        ({"preferred_times": [{"start": "evenings", "end": "21:00"}]},
         "preferred_times[0].start", "“evenings” is not a time of day"),
        ({"preferred_times": [{"start": "18:00", "end": "09:00"}]}, "preferred_times[0].end",
         "ends (09:00) before it starts (18:00)"),
        ({"relationship": "person_under_investigation"}, "relationship",
         "person under investigation cannot be the contact"),
        ({"safe_to_call": None}, "safe_to_call", "Answer yes or no"),
        ({"phones": [{"number": "07700 900123", "label": "pager"}]}, "phones[0].label",
         "from the list"),
    ],
)
def test_contact_fields_are_checked_in_the_officers_words(
    changes: dict[str, Any], field: str, words: str
) -> None:
    found = problems_of(EventType.VCAS_OFFERED,
                        {"outcome": "declined", "contacts": [contact(**changes)]})
    assert words in found[f"payload.contacts[0].{field}"]


def test_consent_needs_a_number_vcas_can_call_safely() -> None:
    unsafe = contact(safe_to_call=False)
    found = problems_of(EventType.VCAS_OFFERED,
                        {"outcome": "accepted", "consent_to_share": True, "contacts": [unsafe]})
    assert "number it can call safely" in found["payload.contacts"]
    found = problems_of(EventType.CALLBACK_ATTEMPTED,
                        {"outcome": "accepted", "consent_to_share": True})
    assert found["payload.contact_phone"] == "Enter the number VCAS can call."


def test_an_acceptance_without_consent_is_recorded() -> None:
    e = event(EventType.VCAS_OFFERED, new_id(), {"outcome": "accepted"}, AT)
    assert e.payload.consent_to_share is False  # type: ignore[union-attr]


def test_the_person_under_investigation_lives_here_needs_no_age() -> None:
    assert list(RELATIONSHIPS).index("person_under_investigation") == 1
    o, h = new_id(), new_id()
    members = [{"relationship": "partner", "name": "A"},
               {"relationship": "person_under_investigation", "name": "B"}]
    events = [occurrence(o, AT),
              event(EventType.HOUSEHOLD_RECORDED, h,
                    {"occurrence_id": o, "address": "1 High St", "postcode": "LS1 4HY",
                     "members": members}, AT)]
    assert project(events, load_policy()).households[h].suspect_lives_here
    assert not project([occurrence(o, AT), household(h, o, AT)],
                       load_policy()).households[h].suspect_lives_here


def test_records_made_before_contacts_read_and_keep_their_exact_text() -> None:
    # A version 1 offer and leaflet issue as an older laptop wrote them.
    old_offer = {
        "id": str(uuid6.uuid7()), "type": "vcas_offered", "schema_version": 1,
        "aggregate_id": new_id(), "occurred_at": "2026-03-02T10:00:00.000000Z",
        "recorded_at": "2026-03-02T10:00:30.000000Z", "author": "1234", "device_id": "lap-a",
        "payload": {"outcome": "accepted", "reason": "", "consent_to_share": True,
                    "contact_name": "Alex", "contact_phone": "07700 900123"},
    }
    old_issue = {
        **old_offer, "id": str(uuid6.uuid7()), "type": "leaflet_issued",
        "payload": {"person_name": "J", "leaflets": ["samaritans"], "outcome": "handed",
                    "risk_indicators": [], "escalated": False, "notes": ""},
    }
    for old in (old_offer, old_issue):
        parsed = parse_event(old, rules())
        assert json.loads(parsed.to_json()) == old  # the same canonical text, byte for byte
        assert event_from_json(parsed.to_json()) == parsed
    offered = parse_event(old_offer, rules())
    h = offered.aggregate_id
    view = project([offered], load_policy()).households[h]
    assert view.offers[0].stage == "attendance"
    (legacy,) = view.contacts
    assert (legacy.name, legacy.phones[0].number, legacy.notes) == (
        "Alex", "07700 900123", LEGACY_CONTACT_NOTE)
    # A version 1 leaflet issue with access to means, distress and living alone was valid then.
    risky = {**old_issue, "id": str(uuid6.uuid7()), "payload": {
        **old_issue["payload"], "risk_indicators": ["access_to_means", "distressed",
                                                    "lives_alone"]}}
    assert parse_event(risky, rules()).payload.escalated is False  # type: ignore[union-attr]
    # ... and a version 1 record cannot carry version 2's fields.
    with pytest.raises(InvalidEvent):
        parse_event({**old_issue, "payload": {**old_issue["payload"], "no_risk_seen": True}},
                    rules())


def test_the_combination_that_demands_escalation_is_policy_and_escalation_says_who() -> None:
    issue = {"person_name": "J", "leaflets": ["samaritans"], "outcome": "handed",
             "risk_indicators": ["access_to_means", "distressed", "lives_alone"],
             "escalated": False}
    assert "escalate now" in problems_of(EventType.LEAFLET_ISSUED, issue)["payload.escalated"]
    found = problems_of(EventType.LEAFLET_ISSUED, issue | {"escalated": True})
    assert "Enter when the risk was escalated" in found["payload.escalation.at"]
    found = problems_of(EventType.LEAFLET_ISSUED, issue | {
        "escalated": True, "escalation": {"to": "the moon", "by": "12 34", "at": "x"}})
    assert "from the list" in found["payload.escalation.to"]
    assert "letters or digits" in found["payload.escalation.by"]
    e = event(EventType.LEAFLET_ISSUED, new_id(), issue | {
        "escalated": True,
        "escalation": {"to": "ambulance", "by": "5678", "at": "2026-03-02T10:05:00Z"}}, AT)
    view = project([e], load_policy()).occurrences[e.aggregate_id].leaflet_issues[0]
    assert view.escalation is not None and view.escalation.to == "ambulance"
    assert view.escalation.by == "5678"


def test_no_risk_seen_is_explicit_and_excludes_risks() -> None:
    issue = {"person_name": "J", "leaflets": ["samaritans"], "outcome": "handed",
             "risk_indicators": [], "escalated": False}
    assert "No risk seen" in problems_of(EventType.LEAFLET_ISSUED, issue)[
        "payload.risk_indicators"]
    both = issue | {"no_risk_seen": True, "risk_indicators": ["distressed"]}
    assert "cannot go with" in problems_of(EventType.LEAFLET_ISSUED, both)["payload.no_risk_seen"]


def test_a_refusal_at_the_door_then_acceptance_later_is_no_conflict() -> None:
    o, h = new_id(), new_id()
    later = event(EventType.VCAS_OFFERED, h, {"outcome": "accepted", "stage": "later",
                                              "consent_to_share": True,
                                              "contacts": [contact()]}, AT + timedelta(days=9))
    state = project([occurrence(o, AT), household(h, o, AT), offer(h, "declined", AT), later],
                    load_policy())
    view = state.households[h]
    assert not state.conflicts
    assert view.task is not None and view.task.reason == "Accepted at a later offer"
    assert (view.accepted_at_arrest, view.accepted_later, view.accepted_at_callback) == (
        False, True, False)
    assert view.contacts[0].name == "Alex Doe"
    # Two outcomes of the offer at the door are still a conflict.
    state = project([occurrence(o, AT), household(h, o, AT), offer(h, "declined", AT),
                     offer(h, "accepted", AT)], load_policy())
    assert [c.kind for c in state.conflicts.values()] == ["offer_outcomes_differ"]


def test_contacts_change_by_a_correction() -> None:
    o, h = new_id(), new_id()
    first = event(EventType.VCAS_OFFERED, h, {"outcome": "declined", "contacts": [contact()]}, AT)
    fixed = event(EventType.EVENT_CORRECTED, h, {
        "target_id": first.id, "target_type": "vcas_offered", "reason": "New number",
        "payload": {"outcome": "declined", "contacts": [contact(
            phones=[{"number": "0113 496 0000", "label": "home"}], safe_to_call=False)]}},
        AT + timedelta(days=1))
    view = project([occurrence(o, AT), household(h, o, AT), first, fixed],
                   load_policy()).households[h]
    assert view.contacts[0].phones[0].number == "0113 496 0000"
    assert view.contacts[0].usable_number == ""  # not safe to call


def test_what_closes_a_task_and_the_retry_spacing_are_the_policys() -> None:
    policy = load_policy()
    assert policy.retry_spacing(1) == 2 and policy.retry_spacing(5) == 5
    o, h = new_id(), new_id()
    base = [occurrence(o, AT), household(h, o, AT), offer(h, "declined", AT)]
    when = AT + timedelta(days=22)
    task = project([*base, callback(h, "wrong_number", when)], policy).households[h].task
    assert task is not None and task.reason == policy.closes_task["wrong_number"].reason
    data = json.loads((resources_dir() / "schedule_policy.json").read_text())
    data["closes_task"].pop("wrong_number")
    looser = type(policy).from_dict(data)
    task = project([*base, callback(h, "wrong_number", when)], looser).households[h].task
    assert task is not None and task.is_open and task.attempts_made == 1
    assert "try again 2 days" in task.rule
