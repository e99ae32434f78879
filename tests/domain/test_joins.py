"""One household per address: merges, splits ("these are different households") and joins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from factories import callback, event, household, new_id, occurrence, offer

from fieldapp.domain.authority import Actor, Known, decide
from fieldapp.domain.commands import check_against
from fieldapp.domain.events import Event, EventType, HouseholdsSplit, InvalidEvent
from fieldapp.domain.projection import project
from fieldapp.resources import load_authority, load_policy

AT = datetime(2026, 3, 2, 10, tzinfo=UTC)
POLICY = load_policy()


def split(h: str, other: str, at: datetime, **kw: str) -> Event:
    return event(EventType.HOUSEHOLDS_SPLIT, h, {"other_id": other, "reason": "Two flats"},
                 at, **kw)


def merge(h: str, other: str, at: datetime, **kw: str) -> Event:
    return event(EventType.HOUSEHOLDS_MERGED, h, {"merged_id": other, "reason": "Same house"},
                 at, **kw)


def two_households() -> tuple[str, str, list[Event]]:
    o, h1, h2 = new_id(), new_id(), new_id()
    return h1, h2, [
        occurrence(o, AT), household(h1, o, AT), household(h2, o, AT, address="3 Low Road"),
        offer(h1, "declined", AT), offer(h2, "declined", AT),
    ]


def test_a_split_needs_the_other_household_and_a_reason() -> None:
    with pytest.raises(InvalidEvent) as raised:
        event(EventType.HOUSEHOLDS_SPLIT, new_id(), {"other_id": "nope", "reason": ""}, AT)
    assert {p.field for p in raised.value.problems} == {"payload.other_id", "payload.reason"}
    made = split(new_id(), new_id(), AT)
    assert isinstance(made.payload, HouseholdsSplit) and made.payload.reason == "Two flats"


def test_a_split_undoes_a_merge_of_that_pair_and_a_later_merge_joins_them_again() -> None:
    h1, h2, events = two_households()
    joined = project([*events, merge(h2, h1, AT + timedelta(days=1))], POLICY)
    assert len(joined.households) == 1 and len(joined.tasks) == 1
    undone = [*events, merge(h2, h1, AT + timedelta(days=1)),
              split(h1, h2, AT + timedelta(days=2))]
    apart = project(undone, POLICY)
    assert set(apart.households) == {h1, h2} and len(apart.tasks) == 2
    # The split names the pair in either direction; any order of arrival gives the same.
    assert project(list(reversed(undone)), POLICY) == apart
    again = project([*undone, merge(h1, h2, AT + timedelta(days=3))], POLICY)
    assert set(again.households) == {min(h1, h2)}
    assert len(again.tasks) == 1


def test_a_split_before_a_merge_of_the_same_pair_changes_nothing() -> None:
    h1, h2, events = two_households()
    state = project([*events, split(h1, h2, AT + timedelta(days=1)),
                     merge(h1, h2, AT + timedelta(days=2))], POLICY)
    assert set(state.households) == {min(h1, h2)}


def test_a_split_of_another_pair_leaves_a_merge_alone() -> None:
    h1, h2, events = two_households()
    h3 = new_id()
    state = project([*events, merge(h1, h2, AT + timedelta(days=1)),
                     split(h1, h3, AT + timedelta(days=2))], POLICY)
    assert set(state.household_of(h2).merged_ids) == {h1, h2}  # type: ignore[union-attr]


def test_split_households_are_no_longer_a_possible_duplicate() -> None:
    o, h1, h2 = new_id(), new_id(), new_id()
    events = [occurrence(o, AT), household(h1, o, AT), household(h2, o, AT, address="1 High St")]
    [dup] = project(events, POLICY).conflicts.values()
    assert dup.kind == "possible_duplicate_household"
    assert not project([*events, split(h2, h1, AT + timedelta(days=1))], POLICY).conflicts


def test_the_call_back_follows_the_split() -> None:
    h1, h2, events = two_households()
    accepted = callback(h2, "accepted", AT + timedelta(days=21))
    merged = project([*events, merge(h1, h2, AT), accepted], POLICY)
    [task] = merged.tasks
    assert task.is_closed
    apart = project([*events, merge(h1, h2, AT), accepted, split(h1, h2, AT)], POLICY)
    assert apart.households[h1].task.is_open  # type: ignore[union-attr]
    assert apart.households[h2].task.is_closed  # type: ignore[union-attr]


def test_splitting_a_household_from_itself_or_an_unknown_one_is_refused_at_capture() -> None:
    h1, h2, events = two_households()
    state = project(events, POLICY)
    assert [p.message for p in check_against(split(h1, h1, AT), state)] == [
        "Choose a different household."]
    assert [p.message for p in check_against(split(h1, new_id(), AT), state)] == [
        "That household is not recorded."]
    assert check_against(split(h1, h2, AT), state) == []


def test_only_the_oic_or_a_supervisor_who_sees_both_may_split() -> None:
    table = load_authority()
    o, h1, h2 = new_id(), new_id(), new_id()
    case = [occurrence(o, AT, oic="O1", district="Bradford", author="B1", device="laptop-B1",
                       reference="13/123456/24"),
            household(h1, o, AT, author="B1", device="laptop-B1"),
            household(h2, o, AT, author="B1", device="laptop-B1")]
    oic = Actor("O1", "oic", "TO", "Bradford")
    officer = Actor("B1", "officer", "TB", "Bradford")
    sees_both = {o, h1, h2}
    made = split(h1, h2, AT, author="O1", device="laptop-O1")
    assert decide(oic, made, Known(table, case, visible=sees_both)).allowed
    assert decide(oic, made, Known(table, case, visible={o, h1})).code == "not_found"
    by_officer = split(h1, h2, AT, author="B1", device="laptop-B1")
    refused = decide(officer, by_officer, Known(table, case, visible=sees_both))
    assert refused.code == "not_allowed"
    assert refused.message.startswith(
        "Only the OIC of 13/123456/24 or a supervisor can split these households.")


# --------------------------------------------------------------------------- automatic joins


def twice(reference: str = "13/240117/26") -> tuple[list[str], list[str], list[Event]]:
    """One occurrence and one household recorded on two laptops, each not knowing the other:
    the address typed differently, the members too."""
    o1, o2, h1, h2 = new_id(), new_id(), new_id(), new_id()
    events = [
        occurrence(o1, AT, reference=reference, oic="1234", device="a"),
        occurrence(o2, AT, reference=reference.replace("/", "-"), oic="1234", author="5678",
                   device="b"),
        household(h1, o1, AT, address="Flat 2, 10 High St, Leeds", device="a"),
        event(EventType.HOUSEHOLD_RECORDED, h2,
              {"occurrence_id": o2, "address": "2, 10 high street, leeds", "postcode": "ls14hy",
               "members": [{"relationship": "partner", "name": "a"},
                           {"relationship": "child", "age": 9},
                           {"relationship": "child", "name": "Sam", "age": 4}]},
              AT, author="5678", device="b"),
    ]
    return [o1, o2], [h1, h2], events


def test_one_reference_is_one_occurrence_and_one_address_one_household() -> None:
    (o1, o2), (h1, h2), events = twice()
    events += [offer(h1, "declined", AT, device="a"), offer(h2, "declined", AT, device="b")]
    state = project(events, POLICY)
    [occ] = state.occurrences.values()
    assert occ.id == min(o1, o2) and occ.joined_ids == tuple(sorted((o1, o2)))
    assert state.occurrence_of(o1) == state.occurrence_of(o2) == occ
    [hh] = state.households.values()
    assert hh.id == min(h1, h2) and hh.merged_ids == tuple(sorted((h1, h2)))
    assert hh.occurrence_id == occ.id
    # Members typed alike count once; a member only one laptop recorded is kept.
    assert [(m.relationship, m.age) for m in hh.members].count(("child", 9)) == 1
    assert any(m.name == "Sam" for m in hh.members)
    [task] = state.tasks
    assert task.is_open and task.occurrence_id == occ.id
    kinds = sorted(c.kind for c in state.conflicts.values())
    assert "occurrence_joined" in kinds and "households_joined" in kinds
    joined = next(c for c in state.conflicts.values() if c.kind == "households_joined")
    assert joined.resolution.startswith(
        "This address was recorded 2 times on this occurrence (by 1234 and 5678): it is shown "
        "as one household, with one call-back.")
    notice = next(c for c in state.conflicts.values() if c.kind == "occurrence_joined")
    assert notice.scope == occ.id
    assert notice.resolution.startswith(f"{occ.reference} was recorded 2 times (by 1234 and")


def test_an_acceptance_on_either_side_closes_the_one_call_back() -> None:
    _, (h1, h2), events = twice()
    events += [offer(h1, "declined", AT, device="a"),
               callback(h2, "accepted", AT + timedelta(days=21), author="5678", device="b")]
    state = project(events, POLICY)
    [task] = state.tasks
    assert task.is_closed
    [hh] = state.households.values()
    assert hh.accepted_at_callback


def test_the_oic_acknowledges_a_join_and_splits_a_wrong_one() -> None:
    _, (h1, h2), events = twice()
    events += [offer(h1, "declined", AT), offer(h2, "declined", AT)]
    state = project(events, POLICY)
    joined = next(c for c in state.conflicts.values() if c.kind == "households_joined")
    seen = event(EventType.CONFLICT_CONFIRMED, h1, {"conflict_key": joined.key, "note": "Yes"},
                 AT + timedelta(days=1))
    assert project([*events, seen], POLICY).conflicts[joined.key].confirmed_by == "1234"
    apart = project([*events, split(h2, h1, AT + timedelta(days=1))], POLICY)
    assert set(apart.households) == {h1, h2} and len(apart.tasks) == 2
    assert not any(c.kind in ("households_joined", "possible_duplicate_household")
                   for c in apart.conflicts.values())
    # ...and a merge after the split joins them again.
    again = project([*events, split(h2, h1, AT + timedelta(days=1)),
                     merge(h1, h2, AT + timedelta(days=2))], POLICY)
    assert set(again.households) == {min(h1, h2)} and len(again.tasks) == 1


def test_different_references_and_near_addresses_stay_apart() -> None:
    o1, o2, h1, h2, h3 = (new_id() for _ in range(5))
    events = [occurrence(o1, AT, reference="13/240117/26"),
              occurrence(o2, AT, reference="13/240118/26"),
              household(h1, o1, AT), household(h2, o2, AT),
              household(h3, o1, AT, address="1 High Street")]
    state = project(events, POLICY)
    assert set(state.occurrences) == {o1, o2} and set(state.households) == {h1, h2, h3}
    [dup] = state.conflicts.values()
    assert dup.kind == "possible_duplicate_household" and set(dup.event_ids) == {h1, h3}


def test_corrections_re_key_references_and_addresses() -> None:
    o1, o2, h1, h2 = (new_id() for _ in range(4))
    first = occurrence(o2, AT, reference="13/240118/26")
    moved = household(h2, o2, AT, address="3 Low Road")
    events = [occurrence(o1, AT, reference="13/240117/26"), first,
              household(h1, o1, AT), moved]
    assert len(project(events, POLICY).households) == 2
    fixed_ref = event(EventType.EVENT_CORRECTED, o2,
                      {"target_id": first.id, "target_type": "occurrence_recorded",
                       "payload": {**first.to_dict()["payload"], "reference": "13/240117/26"},
                       "reason": "Typed wrongly"}, AT + timedelta(hours=1))
    state = project([*events, fixed_ref], POLICY)
    assert len(state.occurrences) == 1 and len(state.households) == 2
    fixed_address = event(EventType.EVENT_CORRECTED, h2,
                          {"target_id": moved.id, "target_type": "household_recorded",
                           "payload": {**moved.to_dict()["payload"],
                                       "address": "1 High St, Leeds"},
                           "reason": "Typed wrongly"}, AT + timedelta(hours=2))
    state = project([*events, fixed_ref, fixed_address], POLICY)
    [hh] = state.households.values()
    assert set(hh.merged_ids) == {h1, h2}


def test_a_split_of_a_pair_joined_through_a_third_keeps_that_pair_apart() -> None:
    o, h1, h2, h3 = (new_id() for _ in range(4))
    events = [occurrence(o, AT), household(h1, o, AT), household(h2, o, AT),
              household(h3, o, AT)]
    state = project([*events, split(h1, h2, AT)], POLICY)
    assert len(state.households) == 2
    groups = sorted(sorted(v.merged_ids) for v in state.households.values())
    assert all(not {h1, h2} <= set(g) for g in groups)


def test_an_accepted_join_changes_no_state_on_a_laptop() -> None:
    (o1, o2), _, events = twice()
    accepted = event(EventType.JOIN_ACCEPTED, o1, {"other_id": o2, "officer": "5678"}, AT)
    assert project([*events, accepted], POLICY) == project(events, POLICY)
    with pytest.raises(InvalidEvent):
        event(EventType.JOIN_ACCEPTED, o1, {"other_id": o2, "officer": ""}, AT)


def test_a_split_holds_against_a_chain_of_merges_and_undoes_with_a_merge() -> None:
    """A merged with B, B with C (so A–B–C is one household); the OIC splits A from C: A and
    C end in different households, whatever order; merging A and C again restores the one."""
    o, h1, h2, h3 = (new_id() for _ in range(4))
    events = [occurrence(o, AT), household(h1, o, AT, address="1 Low Road"),
              household(h2, o, AT, address="2 Low Road"),
              household(h3, o, AT, address="3 Low Road"),
              merge(h1, h2, AT + timedelta(hours=1)), merge(h2, h3, AT + timedelta(hours=1))]
    [joined] = project(events, POLICY).households.values()
    assert set(joined.merged_ids) == {h1, h2, h3}
    parted = [*events, split(h1, h3, AT + timedelta(hours=2))]
    state = project(parted, POLICY)
    assert project(list(reversed(parted)), POLICY) == state
    assert len(state.households) == 2
    assert all(not {h1, h3} <= set(v.merged_ids) for v in state.households.values())
    again = project([*parted, merge(h3, h1, AT + timedelta(hours=3))], POLICY)
    assert again.households == project(events, POLICY).households
