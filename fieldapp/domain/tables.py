"""Figures as plain tables for CSV, JSON and PDF: aggregate counts only, never personal data.

Every export carries what it is about (period, filters, policy version, when it was made),
so two copies can be compared without guessing.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from fieldapp.domain.engagement import PartnerMonth, partner_engagement
from fieldapp.domain.events import Event
from fieldapp.domain.figures import (
    NO_RISK_SEEN,
    NOT_ESCALATED,
    TARGET_NOT_RECORDED,
    Compliance,
    EscalationCount,
    LeafletCount,
    NotRecorded,
    OnTime,
    OverdueCount,
    Spread,
    Uptake,
    callbacks_on_time,
    district_note,
    escalations,
    leaflet_compliance,
    leaflets_not_recorded,
)
from fieldapp.domain.force import ForceLists
from fieldapp.domain.policy import LONDON, SchedulePolicy
from fieldapp.domain.problems import format_utc
from fieldapp.domain.projection import State

Cell = str | int | float | None
# What a report filtered by no district says it covers.
ALL_DISTRICTS = "All districts"


@dataclass(frozen=True)
class Table:
    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    start: date
    end: date
    policy_version: str
    generated_at: datetime
    filters: tuple[tuple[str, str], ...] = field(default=())
    # What a reader must know to read the figures right (districts not on the force's list,
    # reports that disagree): carried by every export.
    notes: tuple[str, ...] = field(default=())

    def about(self) -> list[tuple[str, str]]:
        made = self.generated_at.astimezone(LONDON)
        lines = [
            ("Report", self.title),
            ("Period", f"{self.start:%d/%m/%Y} to {self.end:%d/%m/%Y}"),
            ("Schedule policy", self.policy_version),
            ("Generated", f"{made:%d/%m/%Y %H:%M} (UK time)"),
        ]
        return (lines + [(f"Filter: {k}", v) for k, v in self.filters]
                + [("Note", note) for note in self.notes])

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        for key, value in self.about():
            writer.writerow([f"# {key}", value])
        writer.writerow(self.header)
        writer.writerows(_safe(row) for row in self.rows)
        return out.getvalue()

    def to_json(self) -> str:
        return json.dumps(
            {
                "report": self.title,
                "from": self.start.isoformat(),
                "to": self.end.isoformat(),
                "policy_version": self.policy_version,
                "generated_at": format_utc(self.generated_at),
                "filters": dict(self.filters),
                "notes": list(self.notes),
                "columns": list(self.header),
                "rows": [list(r) for r in self.rows],
            },
            indent=2,
        )


def _safe(row: Sequence[Cell]) -> list[Cell]:
    # A cell starting with = + - @ is a formula to a spreadsheet: quote it (CSV injection).
    return [f"'{c}" if isinstance(c, str) and c[:1] in ("=", "+", "-", "@") else c for c in row]


def uptake_table(
    rows: Sequence[Uptake],
    start: date,
    end: date,
    policy_version: str,
    generated_at: datetime,
    filters: tuple[tuple[str, str], ...] = (),
    *,
    title: str = "VCAS uptake by household",
    first_column: str = "Period",
) -> Table:
    return Table(
        title,
        (first_column, "Households offered", "Accepted at arrest", "Accepted at a later offer",
         "Accepted at call-back", "Total accepted", "Uptake %"),
        tuple(
            (u.label, u.offered, u.accepted_at_arrest, u.accepted_later, u.accepted_at_callback,
             u.accepted, u.percent)
            for u in rows
        ),
        start, end, policy_version, generated_at, filters,
    )


def leaflet_table(
    rows: Sequence[LeafletCount],
    start: date,
    end: date,
    policy_version: str,
    generated_at: datetime,
    filters: tuple[tuple[str, str], ...] = (),
    *,
    period: str = "month",
) -> Table:
    return Table(
        "Signposting leaflet issues",
        (period.capitalize(), "Offence type", "District", "Leaflet issues", "Declined"),
        tuple((r.period, r.offence_type, r.district, r.issues, r.declined) for r in rows),
        start, end, policy_version, generated_at, filters,
    )


def overdue_table(
    rows: Sequence[OverdueCount],
    today: date,
    policy_version: str,
    generated_at: datetime,
    filters: tuple[tuple[str, str], ...] = (),
) -> Table:
    return Table(
        "Overdue call-backs by officer",
        ("Officer", "Overdue call-backs", "Oldest due date"),
        tuple((r.assignee, r.overdue, f"{r.oldest_due:%d/%m/%Y}") for r in rows),
        today, today, policy_version, generated_at, filters,
    )


def spread_table(
    spread: Spread,
    start: date,
    end: date,
    policy_version: str,
    generated_at: datetime,
    filters: tuple[tuple[str, str], ...] = (),
) -> Table:
    return Table(
        "Days from offer to first call-back",
        ("Households called back", "Median days", "Lower quartile", "Upper quartile",
         "Shortest", "Longest"),
        ((spread.count, spread.median, spread.lower_quartile, spread.upper_quartile,
          spread.shortest, spread.longest),),
        start, end, policy_version, generated_at, filters,
    )


def compliance_table(
    rows: Sequence[Compliance],
    start: date,
    end: date,
    policy_version: str,
    generated_at: datetime,
    filters: tuple[tuple[str, str], ...] = (),
    *,
    period: str = "month",
    notes: tuple[str, ...] = (),
) -> Table:
    return Table(
        "Leaflet compliance by officer in charge",
        (period.capitalize(), "District", "OIC", "Occurrences", "Handed", "Left at address",
         "Declined", "None recorded", "Recorded %"),
        tuple((r.period, r.district, r.oic, r.occurrences, r.handed, r.left_at_address,
               r.declined, r.none_recorded, r.percent_recorded) for r in rows),
        start, end, policy_version, generated_at, filters, notes,
    )


def not_recorded_table(
    rows: Sequence[NotRecorded],
    today: date,
    policy_version: str,
    generated_at: datetime,
    filters: tuple[tuple[str, str], ...] = (),
    *,
    notes: tuple[str, ...] = (),
) -> Table:
    return Table(
        "Leaflets not recorded",
        ("Occurrence", "District", "OIC", "Recorded on", "Overdue since"),
        tuple((r.reference, r.district, r.oic, f"{r.recorded_on:%d/%m/%Y}", f"{r.due:%d/%m/%Y}")
              for r in rows),
        today, today, policy_version, generated_at, filters, notes,
    )


_OUTCOMES = {NO_RISK_SEEN: "No risk seen", NOT_ESCALATED: "Risk seen, not escalated",
             TARGET_NOT_RECORDED: "Escalated, to whom not recorded"}


def escalation_table(
    rows: Sequence[EscalationCount],
    start: date,
    end: date,
    policy_version: str,
    generated_at: datetime,
    filters: tuple[tuple[str, str], ...] = (),
    *,
    period: str = "month",
    targets: Mapping[str, str],
) -> Table:
    """One row per period and outcome; an escalation's outcome is its target's name."""
    named = {**targets, **_OUTCOMES}
    return Table(
        "Risk seen and escalations at leaflet issues",
        (period.capitalize(), "Escalated to", "Leaflet records"),
        tuple((r.period, named.get(r.to, r.to), r.records) for r in rows),
        start, end, policy_version, generated_at, filters,
    )


def on_time_table(
    result: OnTime,
    start: date,
    end: date,
    policy_version: str,
    generated_at: datetime,
    filters: tuple[tuple[str, str], ...] = (),
) -> Table:
    return Table(
        "Call-backs made on time",
        ("Call-backs due", "Made on or before the due date", "Late or not made", "On time %"),
        ((result.due, result.on_time, result.late, result.percent),),
        start, end, policy_version, generated_at, filters,
    )


def partner_table(
    rows: Sequence[PartnerMonth],
    start: date,
    end: date,
    policy_version: str,
    generated_at: datetime,
    filters: tuple[tuple[str, str], ...] = (),
) -> Table:
    notes = tuple(
        f"{r.partner}, {r.month}: {r.reports} reports differ "
        f"({', '.join(map(str, r.differing))}); the latest ({r.engaged}) is shown."
        for r in rows if r.differing
    )
    return Table(
        "Partner-reported engagement and leaflets issued",
        ("Partner", "Month", "Leaflets issued", "Engaged (partner's report)",
         "Engaged per leaflet"),
        tuple((r.partner, r.month, r.leaflets, r.engaged, r.per_leaflet) for r in rows),
        start, end, policy_version, generated_at, filters, notes,
    )


# --------------------------------------------------------------------------- supervisors


@dataclass(frozen=True)
class Inputs:
    """What a supervisor's figure is made from, wherever it is asked for (the laptop's
    Reports page, `GET /v1/figures/...`, `fieldapp-central report ...`)."""

    state: State  # already cut to the district asked for, if any
    reports: Sequence[Event]  # partner engagement reports (every one held)
    start: date
    end: date
    period: str  # a key of fieldapp.domain.figures.PERIODS
    today: date  # London day
    policy: SchedulePolicy
    force: ForceLists
    generated_at: datetime
    filters: tuple[tuple[str, str], ...] = ()
    district: str = ""  # the district filter, "" for every district
    # The force's escalation targets by key (resources/support.json), to name them.
    escalation_targets: Mapping[str, str] = field(kw_only=True)


def _district_notes(inputs: Inputs) -> tuple[str, ...]:
    note = district_note(inputs.state, inputs.force.districts)
    return (note,) if note else ()


def compliance_figure(inputs: Inputs) -> Table:
    i = inputs
    rows = leaflet_compliance(i.state, i.start, i.end, i.period, i.force.districts)
    return compliance_table(rows, i.start, i.end, i.policy.version, i.generated_at, i.filters,
                            period=i.period, notes=_district_notes(i))


def not_recorded_figure(inputs: Inputs) -> Table:
    i = inputs
    rows = [r for r in leaflets_not_recorded(i.state, i.today, i.policy, i.force.districts)
            if i.start <= r.recorded_on <= i.end]
    days = f"{i.policy.leaflets_due_days} days after the occurrence"
    return not_recorded_table(rows, i.today, i.policy.version, i.generated_at,
                              (*i.filters, ("Overdue", days)), notes=_district_notes(i))


def partners_figure(inputs: Inputs) -> Table:
    i = inputs
    rows = partner_engagement(i.state, i.reports, i.start, i.end, i.force.partners)
    table = partner_table(rows, i.start, i.end, i.policy.version, i.generated_at, i.filters)
    if not i.district:
        return table
    # A partner counts the people it saw across the force, not per district.
    return Table(table.title, table.header, table.rows, table.start, table.end,
                 table.policy_version, table.generated_at, table.filters,
                 (*table.notes, f"Partners report for the whole force; the leaflets are "
                  f"{i.district}'s only, so the ratio understates engagement per leaflet."))


def escalations_figure(inputs: Inputs) -> Table:
    i = inputs
    return escalation_table(escalations(i.state, i.start, i.end, i.period), i.start, i.end,
                            i.policy.version, i.generated_at, i.filters, period=i.period,
                            targets=i.escalation_targets)


def on_time_figure(inputs: Inputs) -> Table:
    i = inputs
    result = callbacks_on_time(i.state, i.start, i.end, i.today, i.policy)
    return on_time_table(result, i.start, i.end, i.policy.version, i.generated_at, i.filters)


# The supervisors' figures by the name the endpoint and the command line give them. Referral
# timeliness (issue 11) joins here as "referrals".
SUPERVISOR_FIGURES: Mapping[str, Callable[[Inputs], Table]] = {
    "compliance": compliance_figure,
    "not-recorded": not_recorded_figure,
    "partners": partners_figure,
    "escalations": escalations_figure,
    "callbacks-on-time": on_time_figure,
}
