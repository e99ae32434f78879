"""Who may state a fact: the rule over a Known, without the endpoint."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from factories import callback, event, household, new_id, occurrence, offer

from fieldapp.domain.authority import Actor, AuthorityTable, Known, decide, settle
from fieldapp.domain.events import Event, EventType
from fieldapp.resources import load_authority, load_policy

AT = datetime(2026, 3, 2, 10, tzinfo=UTC)
TABLE = load_authority()
A = Actor("A1", "officer", "TA", "Leeds")
B = Actor("B1", "officer", "TB", "Bradford")
OIC = Actor("O1", "oic", "TO", "Bradford")
SUP_B = Actor("SB", "supervisor", "TS", "Bradford")
SUP_L = Actor("SL", "supervisor", "TS", "Leeds")


def by(actor: Actor, made: Event) -> Event:
    """The same record as `actor` would have made it on their own laptop."""
    data = made.to_dict()
    return event(made.type, made.aggregate_id, data["payload"], AT, author=actor.collar,
                 device=f"laptop-{actor.collar}")


class Case:
    """B1's case in Bradford, O1 its OIC: an occurrence, a household and a declined offer."""

    def __init__(self) -> None:
        self.occ_id, self.hh_id = new_id(), new_id()
        self.occurrence = occurrence(self.occ_id, AT, oic="O1", district="Bradford",
                                     reference="13/240117/26", author="B1", device="laptop-B1")
        self.household = household(self.hh_id, self.occ_id, AT, author="B1", device="laptop-B1")
        self.offer = offer(self.hh_id, "declined", AT, author="B1", device="laptop-B1")
        self.events = [self.occurrence, self.household, self.offer]

    def known(self, actor: Actor, *, sees: bool, more: list[Event] | None = None) -> Known:
        visible = {self.occ_id, self.hh_id} if sees else set()
        return Known(TABLE, [*self.events, *(more or [])], visible=visible,
                     devices={"laptop-B1": "B1"})


def correction(target: Event, payload: dict[str, Any], actor: Actor) -> Event:
    return event(
        EventType.EVENT_CORRECTED, target.aggregate_id,
        {"target_id": target.id, "target_type": target.type.value, "payload": payload,
         "reason": "Wrong details"},
        AT, author=actor.collar, device=f"laptop-{actor.collar}",
    )


def retraction(target: Event, actor: Actor) -> Event:
    return event(EventType.ENTERED_IN_ERROR, target.aggregate_id,
                 {"target_id": target.id, "reason": "Wrong household"}, AT,
                 author=actor.collar, device=f"laptop-{actor.collar}")


def reassign(household_id: str, to: str, actor: Actor) -> Event:
    return event(EventType.TASK_REASSIGNED, household_id,
                 {"to_officer": to, "reason": "On leave"}, AT, author=actor.collar,
                 device=f"laptop-{actor.collar}")


def occ_payload(case: Case, **changes: str) -> dict[str, Any]:
    payload = dict(case.occurrence.to_dict()["payload"])
    payload.update(changes)
    return payload


def test_every_kind_of_record_has_a_rule() -> None:
    assert {t.value for t in EventType} <= set(TABLE.permissions)


def test_an_unknown_kind_of_record_is_refused() -> None:
    table = AuthorityTable.from_dict({"version": "t", "events": {}})
    made = occurrence(new_id(), AT, author="A1", device="laptop-A1")
    assert decide(A, made, Known(table, [], visible=())).code == "unknown_event_type"


def test_the_table_refuses_officers_it_does_not_know() -> None:
    with pytest.raises(ValueError, match="sergeant"):
        AuthorityTable.from_dict({"version": "t", "events": {"x": {
            "on": "household", "existing": ["sergeant"], "action": "x"}}})


def test_author_and_device_must_be_the_senders() -> None:
    case = Case()
    mine = occurrence(new_id(), AT, author="B1", device="laptop-A1")
    assert decide(A, mine, case.known(A, sees=False)).code == "wrong_author"
    theirs = occurrence(new_id(), AT, author="A1", device="laptop-B1")
    assert decide(A, theirs, case.known(A, sees=False)).code == "wrong_device"


def test_anyone_may_start_a_case_and_add_to_one_they_can_see() -> None:
    case = Case()
    fresh = occurrence(new_id(), AT, author="A1", device="laptop-A1")
    assert decide(A, fresh, case.known(A, sees=False)).allowed
    for made in (offer(case.hh_id, "declined", AT), callback(case.hh_id, "no_answer", AT),
                 household(new_id(), case.occ_id, AT)):
        assert decide(A, by(A, made), case.known(A, sees=True)).allowed
        assert decide(A, by(A, made), case.known(A, sees=False)).code == "not_found"


def test_restating_an_occurrence_naming_yourself_oic_is_refused() -> None:
    case = Case()
    grab = by(A, occurrence(case.occ_id, AT, oic="A1", district="Bradford"))
    assert decide(A, grab, case.known(A, sees=False)).code == "id_in_use"
    # Even its author, who can see it, may not take it over as OIC.
    taken = by(B, occurrence(case.occ_id, AT, oic="B1", district="Bradford",
                             reference="13/240117/26"))
    refused = decide(B, taken, case.known(B, sees=True))
    assert refused.code == "not_allowed"
    assert refused.message.startswith(
        "Only the OIC of 13/240117/26 or a supervisor can make you its OIC."
    )
    assert decide(SUP_B, by(SUP_B, taken), case.known(SUP_B, sees=True)).allowed


def test_restating_and_moving_an_occurrence() -> None:
    case = Case()
    offences = correction(case.occurrence, occ_payload(case, oic="O1"), OIC)
    assert decide(OIC, offences, case.known(OIC, sees=True)).allowed
    moved = correction(case.occurrence, occ_payload(case, district="Leeds"), OIC)
    refused = decide(OIC, moved, case.known(OIC, sees=True))
    assert refused.code == "not_allowed" and "supervisor of Bradford" in refused.message
    assert decide(SUP_B, by(SUP_B, moved), case.known(SUP_B, sees=True)).allowed
    assert decide(SUP_L, by(SUP_L, moved), case.known(SUP_L, sees=True)).code == "not_allowed"


def test_correcting_or_retracting_another_officers_record() -> None:
    case = Case()
    moved_address = dict(case.household.to_dict()["payload"]) | {"address": "9 Other Road"}
    for actor, allowed in ((A, False), (B, True), (OIC, True), (SUP_B, True), (SUP_L, False)):
        for made in (correction(case.household, moved_address, actor),
                     retraction(case.offer, actor)):
            decision = decide(actor, made, case.known(actor, sees=True))
            assert decision.allowed is allowed, (actor, made.type, decision)
    refused = decide(A, retraction(case.offer, A), case.known(A, sees=True))
    assert refused.message.startswith(
        "Only the officer who recorded it, the OIC of 13/240117/26 or a supervisor can "
        "mark this record as entered in error."
    )


def test_a_correction_filed_under_another_record_is_refused() -> None:
    case = Case()
    mine = occurrence(new_id(), AT, author="A1", device="laptop-A1")
    forged = correction(case.occurrence, occ_payload(case, oic="A1"), A)
    forged = event(forged.type, mine.aggregate_id, forged.to_dict()["payload"], AT,
                   author="A1", device="laptop-A1")
    known = case.known(A, sees=False, more=[mine])
    known_mine = Known(TABLE, [*case.events, mine], visible={mine.aggregate_id})
    assert decide(A, forged, known).code == "wrong_record"
    assert decide(A, forged, known_mine).code == "wrong_record"


def test_reassigning_a_call_back() -> None:
    case = Case()
    message = "Only the OIC of 13/240117/26 or a supervisor can reassign this call-back."
    refused = decide(B, reassign(case.hh_id, "B1", B), case.known(B, sees=True))
    assert refused.code == "not_allowed" and refused.message.startswith(message)
    assert decide(OIC, reassign(case.hh_id, "B1", OIC), case.known(OIC, sees=True)).allowed
    assert decide(SUP_B, reassign(case.hh_id, "B1", SUP_B), case.known(SUP_B, sees=True)).allowed


def test_merging_needs_both_households_in_view() -> None:
    case = Case()
    own_occ, own_hh = new_id(), new_id()
    mine = [occurrence(own_occ, AT, oic="A1", author="A1", device="laptop-A1"),
            household(own_hh, own_occ, AT, author="A1", device="laptop-A1")]
    merge = event(EventType.HOUSEHOLDS_MERGED, own_hh,
                  {"merged_id": case.hh_id, "reason": "Same"}, AT, author="A1",
                  device="laptop-A1")
    blind = Known(TABLE, [*case.events, *mine], visible={own_occ, own_hh})
    assert decide(A, merge, blind).code == "not_found"
    sees = Known(TABLE, [*case.events, *mine], visible={own_occ, own_hh, case.hh_id})
    assert decide(A, merge, sees).code == "not_allowed"  # not the OIC of B's case


def test_a_reused_household_id_is_refused() -> None:
    case = Case()
    own_occ = new_id()
    mine = occurrence(own_occ, AT, oic="A1", author="A1", device="laptop-A1")
    reuse = household(case.hh_id, own_occ, AT, author="A1", device="laptop-A1")
    assert decide(A, reuse, case.known(A, sees=False, more=[mine])).code == "id_in_use"
    known = Known(TABLE, [*case.events, mine], visible={own_occ, case.hh_id, case.occ_id})
    assert decide(A, reuse, known).code == "id_in_use"
    as_occurrence = occurrence(case.hh_id, AT, author="A1", device="laptop-A1")
    assert decide(A, as_occurrence, known).code == "id_in_use"


def test_a_batch_may_create_what_a_later_or_earlier_record_of_it_needs() -> None:
    occ_id, hh_id = new_id(), new_id()
    made = [
        offer(hh_id, "declined", AT, author="A1", device="laptop-A1"),
        household(hh_id, occ_id, AT, author="A1", device="laptop-A1"),
        occurrence(occ_id, AT, oic="A1", author="A1", device="laptop-A1"),
    ]
    decisions = settle(A, made, Known(TABLE, [], visible=()))
    assert [d.code for d in decisions] == ["allowed"] * 3
    stray = offer(new_id(), "declined", AT, author="A1", device="laptop-A1")
    assert settle(A, [stray], Known(TABLE, [], visible=()))[0].code == "not_found"


def test_a_change_by_someone_else_is_listed_and_ones_own_is_not() -> None:
    from fieldapp.domain.projection import project

    case = Case()
    own = retraction(case.offer, B)
    other = correction(case.household, dict(case.household.to_dict()["payload"]), OIC)
    state = project([*case.events, own, other], load_policy())
    notices = [c for c in state.conflicts.values() if c.kind == "changed_by_another_officer"]
    assert [(c.scope, c.resolution) for c in notices] == [
        (case.hh_id, "O1 corrected a record (recorded by B1) on 02/03/2026: Wrong details")
    ]
