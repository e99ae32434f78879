"""Putting records right, the domain's part: the authority rule asked from what a laptop
holds, what a change does (two projections), the fields a correction changes, and a
reassignment's collar number."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from factories import event, household, new_id, occurrence, offer

from fieldapp.domain import amend
from fieldapp.domain.authority import Actor
from fieldapp.domain.events import Event, EventType, payload_to_dict
from fieldapp.domain.projection import project
from fieldapp.resources import load_authority, load_policy

AT = datetime(2026, 12, 1, 10, tzinfo=UTC)  # a decline today is due Tuesday 22/12/2026
NOW = AT + timedelta(hours=1)
OFFICER = Actor("1234", "officer", "team-a", "Leeds")
POLICY = load_policy()


def a_case(oic: str = "1234") -> tuple[list, str, str]:
    o, h = new_id(), new_id()
    made = offer(h, "declined", AT)
    recorded = occurrence(o, AT, oic=oic, reference="13/123456/24")
    return [recorded, household(h, o, AT), made], h, made.id


def test_the_author_may_correct_but_only_the_oic_or_a_supervisor_reassign() -> None:
    events, h, offer_id = a_case(oic="9999")
    known = amend.laptop_known(load_authority(), events)
    [record] = [e for e in events if e.id == offer_id]
    correct, in_error = amend.offers_for_record(OFFICER, "laptop-a", known, record, NOW)
    assert correct.allowed and in_error.allowed
    reassign = amend.offer_for_household(OFFICER, "laptop-a", known, amend.REASSIGN, h, NOW)
    assert not reassign.allowed
    assert reassign.why == ("Only the OIC of 13/123456/24 or a supervisor can reassign this "
                            "call-back.")
    supervisor = Actor("5555", "supervisor", "team-s", "Leeds")
    assert amend.offer_for_household(supervisor, "laptop-s", known, amend.REASSIGN, h,
                                     NOW).allowed
    elsewhere = Actor("5555", "supervisor", "team-s", "Bradford")
    assert not amend.offer_for_household(elsewhere, "laptop-s", known, amend.REASSIGN, h,
                                         NOW).allowed


def test_another_officers_record_is_theirs_the_oics_or_a_supervisors_to_correct() -> None:
    o, h = new_id(), new_id()
    theirs = offer(h, "declined", AT, author="7777")
    events = [occurrence(o, AT, oic="9999", reference="13/123456/24"),
              household(h, o, AT, author="7777"), theirs]
    known = amend.laptop_known(load_authority(), events)
    correct, in_error = amend.offers_for_record(OFFICER, "laptop-a", known, theirs, NOW)
    assert not correct.allowed and not in_error.allowed
    assert correct.why.startswith("Only the officer who recorded it, the OIC of 13/123456/24 or "
                                  "a supervisor can correct this record.")
    oic = Actor("9999", "officer", "team-b", "Leeds")
    assert all(o.allowed for o in amend.offers_for_record(oic, "laptop-o", known, theirs, NOW))


def test_a_retraction_says_the_call_back_will_be_cancelled() -> None:
    events, h, offer_id = a_case()
    void = event(EventType.ENTERED_IN_ERROR, h, {"target_id": offer_id, "reason": "Wrong house"},
                 NOW)
    assert amend.effect_of(events, void, load_policy()) == [
        "The call-back due 22/12/2026 will be cancelled."]


def test_a_correction_of_the_date_moves_the_call_back() -> None:
    events, h, offer_id = a_case()
    fix = event(EventType.EVENT_CORRECTED, h, {
        "target_id": offer_id, "target_type": "vcas_offered", "payload": {"outcome": "declined"},
        "reason": "A day earlier", "occurred_at": (AT - timedelta(days=1)).isoformat()}, NOW)
    assert amend.effect_of(events, fix, load_policy()) == [
        "The call-back will be due 21/12/2026 instead of 22/12/2026."]


def test_a_reassignment_and_a_merge_say_what_they_do() -> None:
    events, h, _ = a_case()
    move = event(EventType.TASK_REASSIGNED, h, {"to_officer": "5678", "reason": "Leave"}, NOW)
    assert amend.effect_of(events, move, load_policy()) == [
        "The call-back will be made by 5678 instead of 1234."]
    other = new_id()
    twin = household(other, events[0].aggregate_id, AT, address="2 Low Lane", postcode="LS2 7EE")
    merge = event(EventType.HOUSEHOLDS_MERGED, min(h, other),
                  {"merged_id": max(h, other), "reason": "Same family"}, NOW)
    said = amend.effect_of([*events, twin], merge, load_policy())
    assert any("will be one household with the one at" in s for s in said)


def test_nothing_changes_is_said_so() -> None:
    events, h, _ = a_case()
    step = event(EventType.CONFLICT_CONFIRMED, h, {"conflict_key": "x", "note": ""}, NOW)
    assert amend.effect_of(events, step, load_policy()) == ["No call-back or referral changes."]


def test_only_changed_fields_count_and_a_correction_must_change_something() -> None:
    events, _, offer_id = a_case()
    [record] = [e for e in events if e.id == offer_id]
    before = payload_to_dict(record.payload)
    assert amend.changed_fields(before, dict(before)) == []
    assert amend.changed_fields(before, {**before, "outcome": "not_present"}) == ["outcome"]
    assert amend.nothing_changed([], False)[0].message.startswith("Nothing was changed")
    assert amend.nothing_changed([], True) == []


def test_a_call_back_is_not_reassigned_to_the_officer_it_is_with() -> None:
    assert amend.check_collar("1234", "1234")[0].message == (
        "The call-back is already with 1234: choose another officer.")
    assert amend.check_collar("5678", "1234") == []


def test_changes_by_others_are_read_from_the_projection() -> None:
    events, h, offer_id = a_case()
    fix = event(EventType.EVENT_CORRECTED, h, {
        "target_id": offer_id, "target_type": "vcas_offered",
        "payload": {"outcome": "not_present"}, "reason": "Nobody in"}, NOW, author="5678")
    state = project([*events, fix], load_policy())
    [said] = amend.changed_by_others(state.conflicts.values(), [offer_id])
    assert said == "5678 corrected a record (recorded by 1234) on 01/12/2026: Nobody in"
    assert amend.changed_by_others(state.conflicts.values(), ["elsewhere"]) == []


def a_sent_referral() -> tuple[list[Event], str, str]:
    """An acceptance with consent (due Thursday 03/12/2026) and the referral sent by 7777."""
    o, h = new_id(), new_id()
    sent = event(EventType.REFERRAL_RECORDED, h, {"step": "sent", "method": "secure_email"},
                 AT + timedelta(hours=1), author="7777")
    return [occurrence(o, AT, oic="9999", reference="13/123456/24"), household(h, o, AT),
            offer(h, "accepted", AT), sent], h, sent.id


def test_a_referral_step_retracted_or_corrected_says_what_happens_to_the_referral() -> None:
    events, h, sent_id = a_sent_referral()
    void = event(EventType.ENTERED_IN_ERROR, h, {"target_id": sent_id, "reason": "Not sent"},
                 NOW)
    assert amend.effect_of(events, void, load_policy()) == [
        "The referral will be due again: it was due 03/12/2026."]
    later = event(EventType.EVENT_CORRECTED, h, {
        "target_id": sent_id, "target_type": "referral_recorded",
        "changes": {"method": "secure_email"}, "reason": "Sent the next day",
        "occurred_at": (AT + timedelta(days=1)).isoformat()}, NOW + timedelta(days=1))
    assert later.schema_version == 2
    assert amend.effect_of(events, later, load_policy()) == [
        "The VCAS referral will be shown as sent on 02/12/2026 instead of 01/12/2026."]
    withdrawn = event(EventType.EVENT_CORRECTED, h, {
        "target_id": sent_id, "target_type": "referral_recorded",
        "changes": {"step": "withdrawn", "method": "", "reason": "They asked us to stop"},
        "reason": "It was withdrawn, not sent"}, NOW)
    assert amend.effect_of(events, withdrawn, load_policy()) == [
        "The VCAS referral will be shown as withdrawn instead of sent."]


def test_a_referral_step_is_its_author_the_oics_or_a_supervisors_to_put_right() -> None:
    events, h, sent_id = a_sent_referral()
    [step] = [e for e in events if e.id == sent_id]
    assert step in amend.current_records(events)
    known = amend.laptop_known(load_authority(), events)
    correct, in_error = amend.offers_for_record(OFFICER, "laptop-a", known, step, NOW)
    assert not correct.allowed and not in_error.allowed
    assert in_error.why.startswith("Only the officer who recorded it, the OIC of "
                                   "13/123456/24 or a supervisor can mark this record")
    author = Actor("7777", "officer", "team-b", "Leeds")
    assert all(o.allowed for o in amend.offers_for_record(author, "laptop-b", known, step, NOW))


def test_a_corrected_referral_step_must_stand_as_that_step_recorded_anew_would() -> None:
    events, h, sent_id = a_sent_referral()

    def corrected(changes: dict[str, str]) -> Event:
        return event(EventType.EVENT_CORRECTED, h, {
            "target_id": sent_id, "target_type": "referral_recorded", "changes": changes,
            "reason": "Checked with VCAS"}, NOW)

    acknowledged = corrected({"step": "acknowledged", "method": "", "vcas_contact": "R Patel"})
    assert [(p.field, p.message) for p in amend.check_step_correction(
        events, acknowledged, load_policy())] == [
        ("payload.payload.step", "Record that the referral was sent first.")]
    # Sent another way, or withdrawn instead: each stands as the step would.
    for changes in ({"method": "phone"}, {"step": "withdrawn", "method": "", "reason": "Moved"}):
        assert amend.check_step_correction(events, corrected(changes), load_policy()) == []
    offer_fix = event(EventType.EVENT_CORRECTED, h, {
        "target_id": events[2].id, "target_type": "vcas_offered",
        "changes": {"outcome": "declined"}, "reason": "Declined"}, NOW)
    assert amend.check_step_correction(events, offer_fix, load_policy()) == []


def test_correcting_the_reference_of_a_wrongly_joined_occurrence_says_it_parts_them() -> None:
    """Two records of one reference are one occurrence; correcting one's reference (the way to
    part them) is shown before saving, and correcting it back says they join again."""
    events, _, _ = a_case()
    other = occurrence(new_id(), AT, reference="13-123456-24")
    held = [*events, other]
    [joined] = project(held, POLICY).occurrences.values()
    assert set(joined.joined_ids) == {events[0].aggregate_id, other.aggregate_id}
    rekey = event(EventType.EVENT_CORRECTED, other.aggregate_id, {
        "target_id": other.id, "target_type": "occurrence_recorded",
        "changes": {"reference": "13/123457/24"}, "reason": "Typed one digit wrong"},
        AT + timedelta(minutes=5))
    assert amend.effect_of(held, rekey, POLICY) == [
        "This occurrence will no longer be joined with the other record of 13-123456-24: it "
        "will be occurrence 13/123457/24 on its own."]
    back = event(EventType.EVENT_CORRECTED, other.aggregate_id, {
        "target_id": other.id, "target_type": "occurrence_recorded",
        "changes": {"reference": "13/123456/24"}, "reason": "It was the same job"},
        AT + timedelta(minutes=10))
    assert amend.effect_of([*held, rekey], back, POLICY)[0].startswith(
        "This occurrence will be joined with the other record of 13/123456/24")
