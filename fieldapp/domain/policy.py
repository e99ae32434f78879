"""The call-back schedule policy: data from resources/, turned into due dates.

Days are counted on the Europe/London calendar, so a 21-day call-back that crosses a clock
change still lands on the right calendar day.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache, lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")


def london_date(moment: datetime) -> date:
    return moment.astimezone(LONDON).date()


@cache
def _bank_holidays(region: str, year: int) -> frozenset[date]:
    # `holidays` lists a bank holiday that falls at a weekend as well as its substitute
    # weekday; only weekdays are days off work, and the weekend check covers the rest.
    listed = holidays.country_holidays("GB", subdiv=region, years=year)
    return frozenset(day for day in listed if day.weekday() < 5)


# The calendar's answers, kept per day and per the settings that decide them: a policy with
# other settings gets its own. Every projected household asks for a due date or two, and the
# days asked about are few.
@lru_cache(maxsize=8192)
def _is_working_day(day: date, weekends: bool, bank_holidays: bool, region: str) -> bool:
    if weekends and day.weekday() >= 5:
        return False
    return not (bank_holidays and day in _bank_holidays(region, day.year))


@lru_cache(maxsize=8192)
def _roll_forward(day: date, weekends: bool, bank_holidays: bool, region: str) -> date:
    while not _is_working_day(day, weekends, bank_holidays, region):
        day += timedelta(days=1)
    return day


@lru_cache(maxsize=8192)
def _add_working_days(day: date, count: int, region: str) -> date:
    while count > 0:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in _bank_holidays(region, day.year):
            count -= 1
    return day


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("cipher_memory_security is true or false")
    return value


@dataclass(frozen=True)
class Closing:
    """What a call-back outcome does to its task: `state` is "done" (VCAS accepted) or
    "closed" (ended without acceptance), with the reason the list shows."""

    state: str
    reason: str


def _closing(outcome: str, data: Any) -> Closing:
    closing = Closing(str(data["state"]), str(data["reason"]))
    if closing.state not in ("done", "closed"):
        raise ValueError(f"closes_task.{outcome}: state is done or closed")
    if (closing.state == "done") != (outcome == "accepted"):
        raise ValueError("only an acceptance makes a call-back done")
    return closing


def _clock_time(text: Any) -> time:
    return time.fromisoformat(str(text))


@dataclass(frozen=True)
class SchedulePolicy:
    version: str
    after_days: int
    triggered_by: frozenset[str]
    roll_forward_weekends: bool
    roll_forward_bank_holidays: bool
    bank_holiday_region: str
    retry_after_days: tuple[int, ...]
    max_attempts: int
    closes_task: Mapping[str, Closing]
    closed_by_offer: Mapping[str, str]
    referral_within_working_days: int
    call_hours: tuple[time, time]
    clock_skew_threshold: timedelta
    future_tolerance: timedelta
    idle_lock_minutes: int
    # An occurrence with no leaflet recorded this many days after it is followed up.
    leaflets_due_days: int = 3
    # SQLCipher's cipher_memory_security: wipe and lock every page buffer it frees. Off unless
    # the force turns it on (docs/security.md, "Memory security"): it costs sync and saves up
    # to half their time and protects only a running, unlocked app's memory.
    cipher_memory_security: bool = False

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SchedulePolicy:
        callback = data["callback"]
        no_answer = data["no_answer"]
        policy = cls(
            version=str(data["version"]),
            after_days=int(callback["after_days"]),
            triggered_by=frozenset(callback["triggered_by"]),
            roll_forward_weekends=bool(callback["roll_forward_weekends"]),
            roll_forward_bank_holidays=bool(callback["roll_forward_bank_holidays"]),
            bank_holiday_region=str(callback.get("bank_holiday_region", "ENG")),
            retry_after_days=tuple(int(d) for d in no_answer["retry_after_days"]),
            max_attempts=int(no_answer["max_attempts"]),
            closes_task={str(k): _closing(str(k), v) for k, v in data["closes_task"].items()},
            closed_by_offer={str(k): str(v) for k, v in data["closed_by_offer"].items()},
            referral_within_working_days=int(data["referral"]["within_working_days"]),
            call_hours=(
                _clock_time(data["call_hours"]["from"]), _clock_time(data["call_hours"]["to"])
            ),
            clock_skew_threshold=timedelta(seconds=int(data["clock_skew_threshold_seconds"])),
            future_tolerance=timedelta(seconds=int(data["future_tolerance_seconds"])),
            idle_lock_minutes=int(data["idle_lock_minutes"]),
            leaflets_due_days=int(data.get("leaflets_not_recorded_after_days", 3)),
            cipher_memory_security=_flag(data.get("cipher_memory_security", False)),
        )
        if policy.leaflets_due_days < 0:
            raise ValueError("leaflets_not_recorded_after_days cannot be negative")
        if policy.after_days < 1 or policy.max_attempts < 1 or not policy.retry_after_days:
            raise ValueError("schedule policy needs a positive delay and at least one attempt")
        if not policy.triggered_by <= {"declined", "not_present"}:
            raise ValueError("only a declined or not-present offer can trigger a call-back")
        if "no_answer" in policy.closes_task or "accepted" not in policy.closes_task:
            raise ValueError("an acceptance closes a call-back; no answer is tried again")
        if policy.referral_within_working_days < 1 or policy.call_hours[0] >= policy.call_hours[1]:
            raise ValueError("a referral needs a working day at least; call hours run forwards")
        return policy

    def prepare_calendar(self, today: date) -> None:
        """Build the bank holidays of `today`'s year and the next, ahead of need: the first
        year asked for loads the country's data from `holidays` (~0.13 s here), which would
        otherwise be the wait on an officer's first save after unlocking."""
        for year in (today.year, today.year + 1):
            _bank_holidays(self.bank_holiday_region, year)

    def is_working_day(self, day: date) -> bool:
        return _is_working_day(
            day, self.roll_forward_weekends, self.roll_forward_bank_holidays,
            self.bank_holiday_region,
        )

    def roll_forward(self, day: date) -> date:
        return _roll_forward(
            day, self.roll_forward_weekends, self.roll_forward_bank_holidays,
            self.bank_holiday_region,
        )

    def first_due(self, offered_at: datetime) -> date:
        return self.roll_forward(london_date(offered_at) + timedelta(days=self.after_days))

    def retry_spacing(self, attempts_so_far: int) -> int:
        """Days to wait after `attempts_so_far` unanswered calls (the last spacing repeats)."""
        return self.retry_after_days[min(attempts_so_far, len(self.retry_after_days)) - 1]

    def retry_due(self, attempted_at: datetime, attempts_so_far: int) -> date:
        """Due date of the next attempt after `attempts_so_far` unanswered calls."""
        spacing = self.retry_spacing(attempts_so_far)
        return self.roll_forward(london_date(attempted_at) + timedelta(days=spacing))

    def add_working_days(self, day: date, count: int) -> date:
        """The `count`th working day after `day` (weekends and weekday bank holidays skipped,
        whatever the call-back's roll-forward settings: the Victims' Code counts working days)."""
        return _add_working_days(day, count, self.bank_holiday_region)

    def referral_due(self, accepted_at: datetime) -> date:
        return self.add_working_days(london_date(accepted_at), self.referral_within_working_days)

    def describe_call_hours(self) -> str:
        start, end = self.call_hours
        return f"{start:%H:%M} to {end:%H:%M}"

    def describe_first(self) -> str:
        rolled = " (next working day)" if self.roll_forward_weekends else ""
        return f"{self.after_days} days after the offer{rolled}, policy {self.version}"
