"""How dates and vocabularies read on screen: UK English, dd/mm/yyyy, Europe/London."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime

from fieldapp.domain.events import EventType
from fieldapp.domain.policy import LONDON, london_date

APP_NAME = "fieldapp"


def day(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def moment(value: datetime) -> str:
    """An instant stored in UTC, as the officer's wall clock reads it."""
    return value.astimezone(LONDON).strftime("%d/%m/%Y %H:%M")


def today(now: datetime) -> date:
    return london_date(now)


def from_london(wall: datetime) -> datetime:
    """A naive wall-clock time typed in London, as a UTC instant."""
    return wall.replace(tzinfo=LONDON).astimezone(UTC)


def to_london(instant: datetime) -> datetime:
    """A UTC instant as naive London wall-clock time, for a date-time editor."""
    return instant.astimezone(LONDON).replace(tzinfo=None)


def labels(keys: Iterable[str], vocabulary: Mapping[str, str]) -> str:
    return ", ".join(vocabulary.get(key, key) for key in keys)


def plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


EVENT_LABELS: Mapping[EventType, str] = {
    EventType.OCCURRENCE_RECORDED: "Occurrence",
    EventType.LEAFLET_ISSUED: "Leaflets issued",
    EventType.HOUSEHOLD_RECORDED: "Household",
    EventType.VCAS_OFFERED: "VCAS offer",
    EventType.CALLBACK_ATTEMPTED: "Call-back outcome",
    EventType.TASK_REASSIGNED: "Call-back reassigned",
    EventType.EVENT_CORRECTED: "Correction",
    EventType.ENTERED_IN_ERROR: "Entered in error",
    EventType.HOUSEHOLDS_MERGED: "Households merged",
    EventType.HOUSEHOLDS_SPLIT: "Households split",
    EventType.CONFLICT_CONFIRMED: "Conflict decision",
    EventType.REFERRAL_RECORDED: "VCAS referral",
}
