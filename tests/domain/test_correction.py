"""event_corrected version 2: only the changed fields, applied over the record as it stands;
version 1 (the whole record restated) reads exactly as before."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import uuid6
from factories import event, household, new_id, occurrence, offer, rules

from fieldapp.domain.events import (
    EventCorrected,
    EventType,
    HouseholdRecorded,
    InvalidEvent,
    ReferralRecorded,
    corrected_payload,
    event_from_json,
    parse_event,
)
from fieldapp.domain.projection import project
from fieldapp.resources import load_policy

AT = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def fix(target_id: str, aggregate: str, at: datetime, *, target_type: str = "household_recorded",
        **body: Any) -> Any:
    return event(EventType.EVENT_CORRECTED, aggregate, {
        "target_id": target_id, "target_type": target_type, "reason": "Checked at the door",
        **body}, at)


def a_household() -> tuple[str, list[Any]]:
    o, h = new_id(), new_id()
    return h, [occurrence(o, AT), household(h, o, AT, postcode="LS1 4HY")]


def test_a_v2_correction_changes_only_its_fields_over_the_record_as_it_stands() -> None:
    h, events = a_household()
    target = events[1]
    # Version 1 first: the whole record restated, a new address.
    whole = fix(target.id, h, AT + timedelta(days=1), payload={
        **json.loads(target.to_json())["payload"], "address": "2 High Street, Leeds"})
    changed = fix(target.id, h, AT + timedelta(days=2), changes={"postcode": "ls6 2qq"})
    assert (whole.schema_version, changed.schema_version) == (1, 2)
    assert json.loads(changed.to_json())["payload"] == {
        "target_id": target.id, "target_type": "household_recorded",
        "changes": {"postcode": "LS6 2QQ"}, "reason": "Checked at the door", "occurred_at": ""}
    everything = [*events, whole, changed]
    for _ in range(5):  # any order of arrival, and duplicates, give the same household
        shuffled = [*random.sample(everything, len(everything)), changed]
        view = project(shuffled, load_policy()).households[h]
        assert (view.address, view.postcode) == ("2 High Street, Leeds", "LS6 2QQ")
        assert [m.name for m in view.members] == ["A", ""]


def test_a_v2_correction_may_change_only_when_it_happened() -> None:
    h, events = a_household()
    declined = offer(h, "declined", AT)
    moment = fix(declined.id, h, AT + timedelta(days=1), target_type="vcas_offered",
                 changes={}, occurred_at="2026-03-11T10:00:00Z")
    task = project([*events, declined, moment], load_policy()).households[h].task
    assert task is not None and task.due.isoformat() == "2026-04-01"


def test_a_v1_correction_reads_exactly_as_before() -> None:
    h, events = a_household()
    target = events[1]
    stored = fix(target.id, h, AT + timedelta(days=1), payload={
        "occurrence_id": events[0].aggregate_id, "address": "9 Beck Side", "postcode": "LS1 4HY",
        "members": [{"relationship": "partner", "name": "B"}]})
    text = stored.to_json()
    data = json.loads(text)
    assert data["schema_version"] == 1 and "changes" not in data["payload"]
    assert parse_event(data, rules()).to_json() == text  # canonical JSON unchanged
    again = event_from_json(text)
    assert again == stored and isinstance(again.payload, EventCorrected)
    assert again.payload.restates_whole
    assert project([*events, again], load_policy()).households[h].address == "9 Beck Side"


# A version 1 correction exactly as fieldapp wrote it before version 2 (made at f7bf554).
V1_AS_WRITTEN = (
    '{"aggregate_id":"6f1c3b8e-1111-4222-8333-444455556666","author":"1234",'
    '"device_id":"laptop-a","id":"01900000-0000-7000-8000-000000000002",'
    '"occurred_at":"2026-03-11T09:00:00.000000Z","payload":{"occurred_at":"","payload":'
    '{"address":"9 Beck Side","members":[{"age":null,"name":"B","relationship":"partner"}],'
    '"occurrence_id":"6f1c3b8e-1111-4222-8333-444455550000","postcode":"LS1 4HY"},'
    '"reason":"Wrong house number","target_id":"01900000-0000-7000-8000-000000000001",'
    '"target_type":"household_recorded"},"recorded_at":"2026-03-11T09:01:00.000000Z",'
    '"schema_version":1,"type":"event_corrected"}'
)


def test_a_v1_correction_as_written_before_keeps_its_canonical_json() -> None:
    parsed = parse_event(json.loads(V1_AS_WRITTEN), rules())
    assert parsed.to_json() == V1_AS_WRITTEN
    assert event_from_json(V1_AS_WRITTEN).to_dict() == json.loads(V1_AS_WRITTEN)
    remade = event(EventType.EVENT_CORRECTED, parsed.aggregate_id, json.loads(
        V1_AS_WRITTEN)["payload"], parsed.occurred_at, event_id=parsed.id)
    assert remade.schema_version == 1  # a whole restatement is still made as version 1


def v2(changes: Any, target_type: str = "household_recorded") -> dict[str, Any]:
    target = str(uuid6.uuid7())  # records' identifiers are UUIDv7
    record = json.loads(fix(target, new_id(), AT, changes={"address": "1 Lane"}).to_json())
    record["payload"] |= {"target_type": target_type, "changes": changes}
    return record


@pytest.mark.parametrize(("changes", "target_type", "field", "words"), [
    ({"district": "Leeds"}, "household_recorded", "payload.changes",
     "A correction of a household can change only its own details; it has no district."),
    ({"postcode": "not a postcode"}, "household_recorded", "payload.changes.postcode",
     "postcode"),
    ({"members": [{"relationship": "uncle"}]}, "household_recorded",
     "payload.changes.members", ""),
    ({"outcome": "maybe"}, "vcas_offered", "payload.changes.outcome", ""),
    ({}, "household_recorded", "payload.changes", "Change at least one detail"),
    ("postcode", "household_recorded", "payload.changes", "Change at least one detail"),
])
def test_a_v2_correction_with_a_foreign_or_malformed_field_is_refused_with_a_sentence(
    changes: Any, target_type: str, field: str, words: str
) -> None:
    with pytest.raises(InvalidEvent) as refused:
        parse_event(v2(changes, target_type), rules())
    found = [p for p in refused.value.problems if p.field.startswith(field)]
    assert found, refused.value.problems
    assert all(p.message.endswith(".") and p.message[0].isupper() for p in found)
    assert words.lower() in " ".join(p.message for p in found).lower()


def test_a_v2_correction_checks_only_the_fields_it_changes() -> None:
    """A household's address alone is a whole correction: the fields it leaves out (the
    occurrence, the members) are not asked for."""
    parsed = parse_event(v2({"address": " 3 Beck Side "}), rules())
    assert isinstance(parsed.payload, EventCorrected)
    assert dict(parsed.payload.changes) == {"address": "3 Beck Side"}


def test_a_v2_correction_needs_the_record_it_corrects() -> None:
    from fieldapp.domain.events import corrected_payload

    h, events = a_household()
    changed = fix(events[1].id, h, AT, changes={"postcode": "LS6 2QQ"})
    assert isinstance(changed.payload, EventCorrected)
    with pytest.raises(ValueError, match="needs the record it corrects"):
        corrected_payload(changed.payload)
    made = corrected_payload(changed.payload, events[1].payload)
    assert isinstance(made, HouseholdRecorded) and made.postcode == "LS6 2QQ"


def test_a_v2_correction_of_a_referral_steps_detail_keeps_it_without_restating_the_step() -> None:
    """A step's detail depends on the step; a correction of only the detail (the way it was
    sent) is read as that detail, not dropped for want of the step beside it."""
    h, events = a_household()
    step = event(EventType.REFERRAL_RECORDED, h, {"step": "sent", "method": "secure_email"},
                 AT + timedelta(hours=1))
    changed = fix(step.id, h, AT + timedelta(hours=2), target_type="referral_recorded",
                  changes={"method": "phone"})
    assert json.loads(changed.to_json())["payload"]["changes"] == {"method": "phone"}
    with pytest.raises(InvalidEvent, match="way the referral was sent"):
        fix(step.id, h, AT + timedelta(hours=2), target_type="referral_recorded",
            changes={"method": "by pigeon"})
    payload = changed.payload
    assert isinstance(payload, EventCorrected)
    standing = corrected_payload(payload, step.payload)
    assert isinstance(standing, ReferralRecorded) and standing.method == "phone"
