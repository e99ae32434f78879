from datetime import UTC, date, datetime

import pytest

from fieldapp.domain.policy import SchedulePolicy, london_date
from fieldapp.resources import load_policy


def policy(**overrides: object) -> SchedulePolicy:
    base = load_policy()
    from dataclasses import replace

    return replace(base, **overrides)  # type: ignore[arg-type]


def test_call_back_is_21_days_after_a_declined_offer_on_a_working_day() -> None:
    # Tuesday 10 March 2026 → Tuesday 31 March 2026
    assert load_policy().first_due(datetime(2026, 3, 10, 14, tzinfo=UTC)) == date(2026, 3, 31)


def test_days_are_counted_in_london_across_the_clock_change() -> None:
    # 23:30 UTC on Sat 7 March is still Sat 7 March in London (GMT); 21 days on is Sat 28
    # March, rolled to Monday 30 March. Across the change to BST on 29 March the calendar
    # day is what counts, not 21 × 24 hours.
    no_roll = policy(roll_forward_weekends=False, roll_forward_bank_holidays=False)
    assert no_roll.first_due(datetime(2026, 3, 7, 23, 30, tzinfo=UTC)) == date(2026, 3, 28)
    # 23:30 UTC on 10 October 2026 is already 11 October in London (BST).
    assert london_date(datetime(2026, 10, 10, 23, 30, tzinfo=UTC)) == date(2026, 10, 11)
    assert no_roll.first_due(datetime(2026, 10, 10, 23, 30, tzinfo=UTC)) == date(2026, 11, 1)


def test_weekend_rolls_forward_to_monday() -> None:
    # Saturday 14 March 2026 + 21 = Saturday 4 April → Easter Monday 6 April is a bank
    # holiday too → Tuesday 7 April.
    assert load_policy().first_due(datetime(2026, 3, 14, 12, tzinfo=UTC)) == date(2026, 4, 7)


def test_christmas_at_a_weekend_uses_the_substitute_days() -> None:
    # Christmas 2027 is a Saturday, Boxing Day a Sunday: the bank holidays are Mon 27 and
    # Tue 28 December. An offer on Sat 4 December is due Sat 25 → Wed 29 December.
    assert load_policy().first_due(datetime(2027, 12, 4, 12, tzinfo=UTC)) == date(2027, 12, 29)


def test_bank_holidays_only_without_weekend_roll() -> None:
    # With weekends not rolled, a Saturday Christmas is a Saturday like any other: the listed
    # weekend holiday does not push the date.
    only_holidays = policy(roll_forward_weekends=False)
    assert only_holidays.first_due(datetime(2027, 12, 4, 12, tzinfo=UTC)) == date(2027, 12, 25)
    assert only_holidays.first_due(datetime(2027, 12, 6, 12, tzinfo=UTC)) == date(2027, 12, 29)


def test_retry_spacing_follows_the_policy() -> None:
    p = load_policy()
    # No answer on Tuesday 31 March 2026 → try again 2 days later, Thursday 2 April.
    assert p.retry_due(datetime(2026, 3, 31, 10, tzinfo=UTC), 1) == date(2026, 4, 2)
    # Second no answer on Thursday 2 April → 5 days later is Tuesday 7 April (Easter Monday
    # 6 April is not in the way).
    assert p.retry_due(datetime(2026, 4, 2, 10, tzinfo=UTC), 2) == date(2026, 4, 7)


def test_policy_refuses_nonsense() -> None:
    import json

    from fieldapp.resources import resources_dir

    data = json.loads((resources_dir() / "schedule_policy.json").read_text())
    data["callback"]["triggered_by"] = ["accepted"]
    with pytest.raises(ValueError, match="trigger"):
        SchedulePolicy.from_dict(data)
    data["callback"]["triggered_by"] = ["declined"]
    data["no_answer"]["max_attempts"] = 0
    with pytest.raises(ValueError, match="attempt"):
        SchedulePolicy.from_dict(data)
