"""Partner-reported engagement beside the leaflets that signpost to each partner.

A partner (Safer Lives first) tells a supervisor how many people engaged with it in a month
after police signposting: a count, never a person. Each report is a
`partner_engagement_reported` event on the aggregate of that partner and month, so two
supervisors' reports of one month are one fact: the latest by (occurred_at, id) stands, and
when the reports differ the figure says so.

Leaflets for a partner are leaflet issues (handed or left at the address, not declined) that
include one of the partner's leaflets (resources/partners.json), in the month of the issue.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from fieldapp.domain.events import Event, PartnerEngagement
from fieldapp.domain.figures import ISSUED
from fieldapp.domain.force import Partners
from fieldapp.domain.policy import london_date
from fieldapp.domain.projection import State, effective_events, order_key


@dataclass(frozen=True)
class PartnerMonth:
    partner: str  # the partner's name
    month: str  # YYYY-MM
    leaflets: int  # issues that included one of the partner's leaflets
    engaged: int | None  # None: no report for the month yet
    reports: int  # how many reports of the month are held
    differing: tuple[int, ...]  # the different counts reported, when they disagree

    @property
    def per_leaflet(self) -> float | None:
        """People engaged per leaflet issued: only with a report and at least one leaflet."""
        if self.engaged is None or not self.leaflets:
            return None
        return round(self.engaged / self.leaflets, 2)


def months(start: date, end: date) -> list[str]:
    """Every month the period touches, as YYYY-MM."""
    found, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        found.append(f"{year}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def partner_engagement(
    state: State, reports: Iterable[Event], start: date, end: date, partners: Partners
) -> list[PartnerMonth]:
    """Per partner (in the list's order) and month of the period: leaflets issued for the
    partner, and the engagement it reported."""
    by_month: dict[tuple[str, str], list[Event]] = {}
    for event in effective_events(reports):
        if isinstance(event.payload, PartnerEngagement):
            key = (event.payload.partner, event.payload.month)
            by_month.setdefault(key, []).append(event)
    period = months(start, end)
    leaflets: dict[tuple[str, str], int] = {}
    for occurrence in state.occurrences.values():
        for issue in occurrence.leaflet_issues:
            day = london_date(issue.occurred_at)
            if issue.outcome not in ISSUED or not start <= day <= end:
                continue
            for partner in partners.partners:
                if set(partner.leaflets) & set(issue.leaflets):
                    key = (partner.id, f"{day.year}-{day.month:02d}")
                    leaflets[key] = leaflets.get(key, 0) + 1
    rows = []
    for partner in partners.partners:
        for month in period:
            held = sorted(by_month.get((partner.id, month), []), key=order_key)
            counts = [e.payload.engaged for e in held if isinstance(e.payload, PartnerEngagement)]
            distinct = tuple(sorted(set(counts)))
            rows.append(PartnerMonth(
                partner.name, month, leaflets.get((partner.id, month), 0),
                counts[-1] if counts else None, len(counts),
                distinct if len(distinct) > 1 else (),
            ))
    return rows
