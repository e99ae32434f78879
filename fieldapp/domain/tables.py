"""Figures as plain tables for CSV, JSON and PDF: aggregate counts only, never personal data.

Every export carries what it is about (period, filters, policy version, when it was made),
so two copies can be compared without guessing.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from fieldapp.domain.figures import LeafletCount, OverdueCount, Spread, Uptake
from fieldapp.domain.policy import LONDON
from fieldapp.domain.problems import format_utc

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

    def about(self) -> list[tuple[str, str]]:
        made = self.generated_at.astimezone(LONDON)
        lines = [
            ("Report", self.title),
            ("Period", f"{self.start:%d/%m/%Y} to {self.end:%d/%m/%Y}"),
            ("Schedule policy", self.policy_version),
            ("Generated", f"{made:%d/%m/%Y %H:%M} (UK time)"),
        ]
        return lines + [(f"Filter: {k}", v) for k, v in self.filters]

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
        (period.capitalize(), "Offence type", "District", "Leaflet issues"),
        tuple((r.period, r.offence_type, r.district, r.issues) for r in rows),
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
