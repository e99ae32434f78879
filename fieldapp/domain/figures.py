"""The figures the practices are judged by, computed from projected state.

Uptake counts households, not individuals (as the practice reports it): a household is
offered when its first offer is made (at the attendance or later), and counts in the period of
that offer. Its acceptance counts where it first accepted: at the attendance ("at arrest", as
the practice says), at an offer made later, or at the call-back.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from fieldapp.domain.policy import london_date
from fieldapp.domain.projection import State
from fieldapp.domain.views import HouseholdView

TOTAL = "Total"
UNKNOWN_DISTRICT = "Unknown district"


@dataclass(frozen=True)
class Uptake:
    label: str
    offered: int
    accepted_at_arrest: int
    accepted_at_callback: int
    accepted_later: int = 0

    @property
    def accepted(self) -> int:
        return self.accepted_at_arrest + self.accepted_later + self.accepted_at_callback

    @property
    def percent(self) -> int:
        """Whole per cent, half rounded up, as the practice reports it (15 of 33 is 45%)."""
        if not self.offered:
            return 0
        exact = Decimal(100 * self.accepted) / Decimal(self.offered)
        return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _offered_in(state: State, start: date, end: date) -> list[tuple[date, HouseholdView]]:
    result = []
    for view in state.households.values():
        first = view.first_offer
        if first is None:
            continue
        day = london_date(first.occurred_at)
        if start <= day <= end:
            result.append((day, view))
    return result


def _count(label: str, views: Iterable[HouseholdView]) -> Uptake:
    views = list(views)
    return Uptake(
        label=label,
        offered=len(views),
        accepted_at_arrest=sum(v.accepted_at_arrest for v in views),
        accepted_at_callback=sum(v.accepted_at_callback for v in views),
        accepted_later=sum(v.accepted_later for v in views),
    )


def uptake(state: State, start: date, end: date, label: str = "") -> Uptake:
    """Households first offered VCAS from `start` to `end` inclusive (London dates)."""
    chosen = _offered_in(state, start, end)
    return _count(label or f"{start:%d/%m/%Y} to {end:%d/%m/%Y}", (v for _, v in chosen))


PERIODS: dict[str, Callable[[date], str]] = {
    "year": lambda d: f"{d.year}",
    "quarter": lambda d: f"{d.year} Q{(d.month - 1) // 3 + 1}",
    "month": lambda d: f"{d.year}-{d.month:02d}",
}


def uptake_by(
    state: State,
    start: date,
    end: date,
    period: str,
    district_of: Callable[[HouseholdView], str] | None = None,
) -> list[Uptake]:
    """Uptake per period (and per district when `district_of` is given), in label order."""
    label_of = PERIODS[period]
    groups: dict[str, list[HouseholdView]] = {}
    for day, view in _offered_in(state, start, end):
        label = label_of(day)
        if district_of is not None:
            label = f"{label} · {district_of(view) or UNKNOWN_DISTRICT}"
        groups.setdefault(label, []).append(view)
    return [_count(label, groups[label]) for label in sorted(groups)]


def district_of(state: State) -> Callable[[HouseholdView], str]:
    def lookup(view: HouseholdView) -> str:
        occurrence = state.occurrences.get(view.occurrence_id)
        return occurrence.district if occurrence else ""

    return lookup


def with_total(rows: list[Uptake], state: State, start: date, end: date) -> list[Uptake]:
    """`rows` and a last row for the whole period, as the practice's table has (its per cent
    is of the whole, not an average of the rows')."""
    return [*rows, uptake(state, start, end, TOTAL)]


def uptake_by_district(state: State, start: date, end: date) -> list[Uptake]:
    """Uptake per district of the household's occurrence, in district order."""
    lookup = district_of(state)
    groups: dict[str, list[HouseholdView]] = {}
    for _, view in _offered_in(state, start, end):
        groups.setdefault(lookup(view) or UNKNOWN_DISTRICT, []).append(view)
    return [_count(label, groups[label]) for label in sorted(groups)]


def districts(state: State) -> list[str]:
    """The districts named by the occurrences in `state`, for a filter to offer."""
    return sorted({o.district for o in state.occurrences.values() if o.district})


def in_district(state: State, district: str) -> State:
    """The part of `state` under one district's occurrences: the same exact-text comparison
    the endpoint uses for a supervisor's district, so both filter alike."""
    occurrences = {k: o for k, o in state.occurrences.items() if o.district == district}
    households = {k: h for k, h in state.households.items() if h.occurrence_id in occurrences}
    conflicts = {
        k: c for k, c in state.conflicts.items()
        if c.scope in households or c.scope in occurrences
    }
    return State(occurrences, households, conflicts)


@dataclass(frozen=True)
class LeafletCount:
    period: str
    offence_type: str
    district: str
    issues: int


def leaflet_issues(
    state: State, start: date, end: date, period: str = "month"
) -> list[LeafletCount]:
    """Leaflet issues per period (a month unless asked otherwise), offence type and district;
    an occurrence with two offence types counts under each."""
    label_of = PERIODS[period]
    counts: Counter[tuple[str, str, str]] = Counter()
    for occurrence in state.occurrences.values():
        for issue in occurrence.leaflet_issues:
            day = london_date(issue.occurred_at)
            if not start <= day <= end:
                continue
            for offence in occurrence.offence_types or ("unknown",):
                counts[(label_of(day), offence, occurrence.district)] += 1
    return [LeafletCount(p, o, d, n) for (p, o, d), n in sorted(counts.items())]


@dataclass(frozen=True)
class OverdueCount:
    assignee: str
    overdue: int
    oldest_due: date


def overdue_by_oic(state: State, today: date) -> list[OverdueCount]:
    """Open call-backs past their due date, per officer they are assigned to, worst first."""
    by_officer: dict[str, list[date]] = {}
    for task in state.tasks:
        if task.is_open and task.due < today:
            by_officer.setdefault(task.assignee or "Unassigned", []).append(task.due)
    rows = [OverdueCount(who, len(days), min(days)) for who, days in by_officer.items()]
    return sorted(rows, key=lambda r: (-r.overdue, r.oldest_due, r.assignee))


@dataclass(frozen=True)
class Spread:
    count: int
    median: float | None
    lower_quartile: float | None
    upper_quartile: float | None
    shortest: int | None
    longest: int | None


def _quantile(ordered: list[int], q: float) -> float:
    # Linear interpolation between closest ranks (the same as statistics' "inclusive").
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def offer_to_callback_days(state: State, start: date, end: date) -> Spread:
    """Days from the offer that set a call-back to the first call-back attempt (London days),
    for households first offered in the period."""
    days: list[int] = []
    for _, view in _offered_in(state, start, end):
        task = view.task
        if task is None or not view.attempts:
            continue
        trigger = next((o for o in view.offers if o.event_id == task.trigger_event_id), None)
        if trigger is None:
            continue
        first_call = min(view.attempts, key=lambda a: (a.occurred_at, a.event_id))
        days.append((london_date(first_call.occurred_at) - london_date(trigger.occurred_at)).days)
    if not days:
        return Spread(0, None, None, None, None, None)
    days.sort()
    return Spread(
        len(days), _quantile(days, 0.5), _quantile(days, 0.25), _quantile(days, 0.75),
        days[0], days[-1],
    )
