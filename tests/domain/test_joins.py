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
    events = [occurrence(o, AT), household(h1, o, AT), household(h2, o, AT)]
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
    case = [occurrence(o, AT, oic="O1", district="Bradford", author="B1", device="laptop-B1"),
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
