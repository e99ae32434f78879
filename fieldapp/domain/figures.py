"""The figures the practices are judged by, computed from projected state.

Uptake counts households, not individuals (as the practice reports it): a household is
offered when its first offer is made (at the attendance or later), and counts in the period of
that offer. Its acceptance counts where it first accepted: at the attendance ("at arrest", as
the practice says), at an offer made later, or at the call-back.

Leaflets: an issue is a leaflet handed to the person or left at the address; a leaflet the
person declined is counted apart, never as an issue. Compliance counts occurrences (of the
four offence types, in the period they were recorded) by what was recorded for them.

A district shows as the force's list names it ("leeds" is Leeds); a text not on the list
shows as itself, and `unlisted_districts` names those for a note, until an administrator
maps them (`fieldapp-central admin districts`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from fieldapp.domain.catalogue import OFFENCE_TYPES
from fieldapp.domain.force import Districts, same_district
from fieldapp.domain.policy import SchedulePolicy, london_date
from fieldapp.domain.projection import State
from fieldapp.domain.views import HouseholdView, OccurrenceView

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


def district_of(
    state: State, listed: Districts | None = None
) -> Callable[[HouseholdView], str]:
    def lookup(view: HouseholdView) -> str:
        occurrence = state.occurrences.get(view.occurrence_id)
        if occurrence is None:
            return ""
        return listed.label(occurrence.district) if listed else occurrence.district

    return lookup


def with_total(rows: list[Uptake], state: State, start: date, end: date) -> list[Uptake]:
    """`rows` and a last row for the whole period, as the practice's table has (its per cent
    is of the whole, not an average of the rows')."""
    return [*rows, uptake(state, start, end, TOTAL)]


def uptake_by_district(
    state: State, start: date, end: date, listed: Districts | None = None
) -> list[Uptake]:
    """Uptake per district of the household's occurrence, in district order."""
    lookup = district_of(state, listed)
    groups: dict[str, list[HouseholdView]] = {}
    for _, view in _offered_in(state, start, end):
        groups.setdefault(lookup(view) or UNKNOWN_DISTRICT, []).append(view)
    return [_count(label, groups[label]) for label in sorted(groups)]


def districts(state: State, listed: Districts | None = None) -> list[str]:
    """The districts named by the occurrences in `state`, for a filter to offer."""
    names = {o.district for o in state.occurrences.values() if o.district}
    return sorted({listed.label(n) for n in names} if listed else names)


def unlisted_districts(state: State, listed: Districts) -> list[tuple[str, int]]:
    """District texts on occurrences that are not the force's (with how many occurrences),
    for the note a supervisor sees until they are mapped."""
    counts: Counter[str] = Counter(
        o.district.strip() for o in state.occurrences.values()
        if o.district and listed.match(o.district) is None
    )
    return sorted(counts.items())


def district_note(state: State, listed: Districts) -> str:
    found = unlisted_districts(state, listed)
    if not found:
        return ""
    named = "; ".join(f"“{text}” ({n} occurrence{'s' if n != 1 else ''})" for text, n in found)
    return (f"Some records name a district that is not on the force's list, and count under "
            f"that name: {named}. Ask IT to map them (fieldapp-central admin districts).")


def in_district(state: State, district: str) -> State:
    """The part of `state` under one district's occurrences, whatever the case or spacing of
    the text stored ("leeds" is in Leeds; "Leeds City" is not, until mapped)."""
    occurrences = {
        k: o for k, o in state.occurrences.items() if same_district(o.district, district)
    }
    households = {k: h for k, h in state.households.items() if h.occurrence_id in occurrences}
    conflicts = {
        k: c for k, c in state.conflicts.items()
        if c.scope in households or c.scope in occurrences
    }
    return State(occurrences, households, conflicts)


ISSUED = frozenset({"handed", "left_at_address"})  # what counts as a leaflet issue


@dataclass(frozen=True)
class LeafletCount:
    period: str
    offence_type: str
    district: str
    issues: int  # handed to the person or left at the address
    declined: int = 0  # the person declined them: reported apart, never an issue


def leaflet_issues(
    state: State, start: date, end: date, period: str = "month",
    listed: Districts | None = None,
) -> list[LeafletCount]:
    """Leaflet issues (and, apart, leaflets declined) per period (a month unless asked
    otherwise), offence type and district; an occurrence with two offence types counts under
    each."""
    label_of = PERIODS[period]
    issued: Counter[tuple[str, str, str]] = Counter()
    declined: Counter[tuple[str, str, str]] = Counter()
    for occurrence in state.occurrences.values():
        district = listed.label(occurrence.district) if listed else occurrence.district
        for issue in occurrence.leaflet_issues:
            day = london_date(issue.occurred_at)
            if not start <= day <= end:
                continue
            counter = issued if issue.outcome in ISSUED else declined
            for offence in occurrence.offence_types or ("unknown",):
                counter[(label_of(day), offence, district)] += 1
    return [LeafletCount(p, o, d, issued[(p, o, d)], declined[(p, o, d)])
            for (p, o, d) in sorted(set(issued) | set(declined))]


# --------------------------------------------------------------------------- compliance

# What was recorded for an occurrence, best first: one outcome per occurrence, so that the
# columns add up to the occurrences.
RECORDED = ("handed", "left_at_address", "declined")
NONE_RECORDED = "none"


def leaflet_outcome(occurrence: OccurrenceView) -> str:
    """The best thing recorded for the occurrence's person: handed, left, declined, none."""
    outcomes = {issue.outcome for issue in occurrence.leaflet_issues}
    return next((o for o in RECORDED if o in outcomes), NONE_RECORDED)


def _counted(occurrence: OccurrenceView) -> bool:
    # The practice's four offence types, and a record of the occurrence itself (leaflets
    # pulled without their occurrence have no date or OIC to count by).
    return occurrence.recorded_at is not None and bool(
        set(occurrence.offence_types) & set(OFFENCE_TYPES)
    )


@dataclass(frozen=True)
class Compliance:
    period: str
    district: str
    oic: str
    occurrences: int
    handed: int
    left_at_address: int
    declined: int
    none_recorded: int

    @property
    def percent_recorded(self) -> int:
        """Whole per cent of occurrences with a leaflet outcome recorded (declined counts:
        the officer offered them), half rounded up."""
        if not self.occurrences:
            return 0
        exact = Decimal(100 * (self.occurrences - self.none_recorded)) / self.occurrences
        return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def leaflet_compliance(
    state: State, start: date, end: date, period: str, listed: Districts
) -> list[Compliance]:
    """Occurrences of the four offence types recorded in the period, per period, district and
    OIC, by the leaflet outcome recorded for them; in that order."""
    label_of = PERIODS[period]
    groups: dict[tuple[str, str, str], Counter[str]] = {}
    for occurrence in state.occurrences.values():
        if not _counted(occurrence):
            continue
        assert occurrence.recorded_at is not None
        day = london_date(occurrence.recorded_at)
        if not start <= day <= end:
            continue
        key = (label_of(day), listed.label(occurrence.district) or UNKNOWN_DISTRICT,
               occurrence.oic)
        groups.setdefault(key, Counter())[leaflet_outcome(occurrence)] += 1
    return [
        Compliance(p, d, oic, sum(c.values()), c["handed"], c["left_at_address"], c["declined"],
                   c[NONE_RECORDED])
        for (p, d, oic), c in sorted(groups.items())
    ]


@dataclass(frozen=True)
class NotRecorded:
    """An occurrence with no leaflet outcome recorded when the policy says there should be."""

    occurrence_id: str
    reference: str
    district: str
    oic: str
    recorded_on: date
    due: date  # the day it became overdue: `leaflets_due_days` after the occurrence


def leaflets_not_recorded(
    state: State, today: date, policy: SchedulePolicy, listed: Districts
) -> list[NotRecorded]:
    """Occurrences of the four offence types with nothing recorded about leaflets
    `policy.leaflets_due_days` days after the occurrence (London days), oldest first."""
    rows = []
    for occurrence in state.occurrences.values():
        if not _counted(occurrence) or occurrence.leaflet_issues:
            continue
        assert occurrence.recorded_at is not None
        day = london_date(occurrence.recorded_at)
        due = day + timedelta(days=policy.leaflets_due_days)
        if due <= today:
            rows.append(NotRecorded(occurrence.id, occurrence.reference,
                                    listed.label(occurrence.district), occurrence.oic, day, due))
    return sorted(rows, key=lambda r: (r.recorded_on, r.reference, r.occurrence_id))


# --------------------------------------------------------------------------- escalations


# What a leaflet record came to when nothing was escalated, or (leaflet_issued v1) when the
# escalation's target was not recorded; every other value is a key of the force's
# escalation targets (resources/support.json).
NO_RISK_SEEN = "no risk seen"
NOT_ESCALATED = "risk seen, not escalated"
TARGET_NOT_RECORDED = "escalated, to whom not recorded"


@dataclass(frozen=True)
class EscalationCount:
    period: str
    to: str  # an escalation target's key, or one of the three outcomes above
    records: int  # leaflet records

    @property
    def escalated(self) -> bool:
        return self.to not in (NO_RISK_SEEN, NOT_ESCALATED)


def escalations(
    state: State, start: date, end: date, period: str = "month"
) -> list[EscalationCount]:
    """Every leaflet record in the period (London day of the issue), by what its risk came to:
    no risk seen, risk seen and not escalated, or escalated and to whom. A period's rows add
    up to its leaflet records, so risk seen and escalations are both read off one table."""
    label_of = PERIODS[period]
    counts: Counter[tuple[str, str]] = Counter()
    for occurrence in state.occurrences.values():
        for issue in occurrence.leaflet_issues:
            day = london_date(issue.occurred_at)
            if not start <= day <= end:
                continue
            if issue.escalated:
                to = issue.escalation.to if issue.escalation else TARGET_NOT_RECORDED
            else:
                to = NOT_ESCALATED if issue.risk_indicators else NO_RISK_SEEN
            counts[(label_of(day), to)] += 1
    return [EscalationCount(p, t, n) for (p, t), n in sorted(counts.items())]


# --------------------------------------------------------------------------- call-backs


@dataclass(frozen=True)
class OnTime:
    due: int  # call-backs that fell due in the period, up to today
    on_time: int  # first attempt on or before the due date (London day)

    @property
    def late(self) -> int:
        return self.due - self.on_time

    @property
    def percent(self) -> int:
        if not self.due:
            return 0
        exact = Decimal(100 * self.on_time) / Decimal(self.due)
        return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def callbacks_on_time(
    state: State, start: date, end: date, today: date, policy: SchedulePolicy
) -> OnTime:
    """Call-backs first due (by the policy, from the offer that set them) in the period and
    by today; on time when the first attempt was made on or before that London day. One not
    yet made counts as late only once its due day has passed."""
    due = on_time = 0
    for view in state.households.values():
        task = view.task
        trigger = next((o for o in view.offers if task and o.event_id == task.trigger_event_id),
                       None)
        if trigger is None:
            continue
        first_due = policy.first_due(trigger.occurred_at)
        if not start <= first_due <= end or first_due > today:
            continue
        first_call = min(((london_date(a.occurred_at), a.event_id) for a in view.attempts),
                         default=None)
        if first_call is None and first_due == today:
            continue  # still time today
        due += 1
        on_time += first_call is not None and first_call[0] <= first_due
    return OnTime(due, on_time)


# Referral timeliness (VCAS referrals within 2 working days, with consent) is computed from
# the referral events issue 11 adds: a `referral_timeliness(state, start, end, policy)` here,
# with its table in tables.py, joins the figures the same way as `callbacks_on_time`.


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
