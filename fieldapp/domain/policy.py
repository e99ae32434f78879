"""The call-back schedule policy: data from resources/, turned into due dates.

Days are counted on the Europe/London calendar, so a 21-day call-back that crosses a clock
change still lands on the right calendar day.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
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


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("cipher_memory_security is true or false")
    return value


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
    closes_task: Mapping[str, str]
    clock_skew_threshold: timedelta
    future_tolerance: timedelta
    idle_lock_minutes: int
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
            closes_task={str(k): str(v) for k, v in data["closes_task"].items()},
            clock_skew_threshold=timedelta(seconds=int(data["clock_skew_threshold_seconds"])),
            future_tolerance=timedelta(seconds=int(data["future_tolerance_seconds"])),
            idle_lock_minutes=int(data["idle_lock_minutes"]),
            cipher_memory_security=_flag(data.get("cipher_memory_security", False)),
        )
        if policy.after_days < 1 or policy.max_attempts < 1 or not policy.retry_after_days:
            raise ValueError("schedule policy needs a positive delay and at least one attempt")
        if not policy.triggered_by <= {"declined", "not_present"}:
            raise ValueError("only a declined or not-present offer can trigger a call-back")
        return policy

    def is_working_day(self, day: date) -> bool:
        if self.roll_forward_weekends and day.weekday() >= 5:
            return False
        return not (
            self.roll_forward_bank_holidays
            and day in _bank_holidays(self.bank_holiday_region, day.year)
        )

    def roll_forward(self, day: date) -> date:
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def first_due(self, offered_at: datetime) -> date:
        return self.roll_forward(london_date(offered_at) + timedelta(days=self.after_days))

    def retry_due(self, attempted_at: datetime, attempts_so_far: int) -> date:
        """Due date of the next attempt after `attempts_so_far` unanswered calls."""
        spacing = self.retry_after_days[min(attempts_so_far, len(self.retry_after_days)) - 1]
        return self.roll_forward(london_date(attempted_at) + timedelta(days=spacing))

    def describe_first(self) -> str:
        rolled = " (next working day)" if self.roll_forward_weekends else ""
        return f"{self.after_days} days after the offer{rolled}, policy {self.version}"
