"""What the domain keeps to save work gives exactly what working it out afresh gives: the keys
kept on an event, the union-find's groups, the calendar per day, the instant format, a record's
canonical JSON, the compiled row codec."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import holidays
from factories import occurrence, rules
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_properties import POLICY, event_sets

from fieldapp.domain.events import Event, OccurrenceRecorded, canonical_json, parse_event
from fieldapp.domain.joins import Joins, join_keys
from fieldapp.domain.problems import format_utc
from fieldapp.domain.projection import linked_keys, project, related_keys
from fieldapp.domain.schedule import CallbackTask
from fieldapp.domain.views import Conflict, HouseholdView, OccurrenceView
from fieldapp.store import codec

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(event_sets())
def test_the_keys_kept_on_an_event_are_its_keys_worked_out_afresh(events: list[Event]) -> None:
    for event in events:
        fresh = related_keys(event) | join_keys(event)
        assert linked_keys(event) == fresh
        assert linked_keys(event) == fresh  # the second time, from the event
        assert event == dataclasses.replace(event)  # kept keys are not part of an event


def test_a_changed_copy_of_an_event_works_its_keys_out_again() -> None:
    event = occurrence("00000000-0000-0000-0000-000000000001",
                            datetime(2026, 1, 5, tzinfo=UTC), reference="13/240117/26")
    before = linked_keys(event)
    assert isinstance(event.payload, OccurrenceRecorded)
    moved = dataclasses.replace(
        event, payload=dataclasses.replace(event.payload, reference="13/999999/26")
    )
    assert linked_keys(moved) != before
    assert linked_keys(moved) == related_keys(moved) | join_keys(moved)
    assert linked_keys(event) == before


def _scanned(joins: Joins, root: str) -> list[str]:
    """Members as the union-find said before it kept its groups: every id scanned."""
    return sorted({k for k in list(joins.parent) if joins.find(k) == root} | {root})


@FAST
@given(st.lists(st.tuples(st.integers(0, 12), st.integers(0, 12), st.booleans()), max_size=40))
def test_the_groups_kept_by_the_union_find_are_its_members(
    steps: list[tuple[int, int, bool]],
) -> None:
    joins = Joins()
    ids = [f"h{n:02d}" for n in range(13)]
    for a, b, join in steps:
        if join:
            joins.union(ids[a], ids[b])
        else:
            joins.find(ids[a])  # a new id on its own, between unions
        for key in ids:
            assert joins.members(key) == _scanned(joins, key)


_ZONES = [UTC, timezone(timedelta(hours=1)), timezone(timedelta(hours=-5, minutes=-30)),
          ZoneInfo("Europe/London")]


@given(st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(9999, 12, 30),
                    timezones=st.sampled_from(_ZONES)))
def test_an_instant_is_written_as_it_always_was(moment: datetime) -> None:
    old = moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
    assert format_utc(moment) == old
    assert len(old) == 27 and old.endswith("Z")


@FAST
@given(event_sets())
def test_every_row_of_any_state_reads_back_as_it_was_written(events: list[Event]) -> None:
    state = project(random.Random(1).sample(events, len(events)), POLICY)
    rows: list[object] = [*state.households.values(), *state.occurrences.values(),
                          *state.conflicts.values(), *state.tasks]
    rows += [v.referral for v in state.households.values() if v.referral is not None]
    for row in rows:
        text = codec.encode(row)
        assert codec.decode(type(row), text) == row
        assert codec.encode(codec.decode(type(row), text)) == text
    assert {HouseholdView, OccurrenceView, Conflict, CallbackTask} >= {
        type(r) for r in rows if not hasattr(r, "accepted_event_id")
    }


_WRITINGS = {
    "as written": format_utc,
    "an offset": lambda m: m.astimezone(timezone(timedelta(hours=1))).isoformat(),
    "no fraction": lambda m: m.strftime("%Y-%m-%dT%H:%M:%S") + "+00:00",
    "lower-case t": lambda m: format_utc(m).replace("T", "t"),
    "a space": lambda m: format_utc(m).replace("T", " "),
}


@FAST
@given(event_sets(), st.sampled_from(sorted(_WRITINGS)), st.sampled_from(sorted(_WRITINGS)))
def test_a_record_read_keeps_its_canonical_json_however_its_instants_were_written(
    events: list[Event], occurred: str, recorded: str
) -> None:
    for event in events:
        data = event.to_dict()
        data["occurred_at"] = _WRITINGS[occurred](event.occurred_at)
        data["recorded_at"] = _WRITINGS[recorded](event.recorded_at)
        read = parse_event(data, rules())
        assert read == event
        assert read.to_json() == canonical_json(read.to_dict()) == event.to_json()


def _working_day(day: date, weekends: bool, bank_holidays: bool, region: str) -> bool:
    """Asked of the `holidays` package afresh, day by day."""
    listed = holidays.country_holidays("GB", subdiv=region, years=day.year)
    weekday_holiday = day in listed and day.weekday() < 5
    return not ((weekends and day.weekday() >= 5) or (bank_holidays and weekday_holiday))


@FAST
@given(st.dates(date(2020, 1, 1), date(2030, 12, 20)), st.booleans(), st.booleans(),
       st.sampled_from(["ENG", "WLS"]), st.integers(1, 5))
def test_the_calendar_kept_per_day_is_the_calendar(
    day: date, weekends: bool, bank_holidays: bool, region: str, count: int
) -> None:
    policy = dataclasses.replace(POLICY, roll_forward_weekends=weekends,
                                 roll_forward_bank_holidays=bank_holidays,
                                 bank_holiday_region=region)
    rolled = day
    while not _working_day(rolled, weekends, bank_holidays, region):
        rolled += timedelta(days=1)
    assert policy.roll_forward(day) == rolled
    assert policy.is_working_day(day) == _working_day(day, weekends, bank_holidays, region)
    added, left = day, count
    while left:
        added += timedelta(days=1)
        left -= _working_day(added, True, True, region)
    assert policy.add_working_days(day, count) == added
