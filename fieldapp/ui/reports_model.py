"""The Reports page's data: one op that works the figures out on the database worker, and a
table model over a report's rows.

Everything the page shows or exports is a `fieldapp.domain.tables.Table` of counts, made by
the same domain functions the endpoint and `fieldapp-central report` use: names, addresses
and phone numbers never reach the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from fieldapp.domain.engagement import PartnerMonth, partner_engagement
from fieldapp.domain.events import EventType
from fieldapp.domain.figures import (
    LeafletCount,
    Uptake,
    district_note,
    districts,
    in_district,
    leaflet_issues,
    offer_to_callback_days,
    overdue_by_oic,
    uptake,
    uptake_by,
    uptake_by_district,
    with_total,
)
from fieldapp.domain.referral_figures import referral_counts, referral_table
from fieldapp.domain.tables import (
    ALL_DISTRICTS,
    Cell,
    Inputs,
    Table,
    compliance_figure,
    escalations_figure,
    leaflet_table,
    not_recorded_figure,
    on_time_figure,
    overdue_table,
    partners_figure,
    spread_table,
    uptake_table,
)
from fieldapp.resources import load_catalogue, load_force, load_policy
from fieldapp.store import Store
from fieldapp.ui.session import Identity

Index = QModelIndex | QPersistentModelIndex

# Roles the endpoint gives; an offline-only profile has none and sees its own records' figures.
REPORT_ROLES = frozenset({"oic", "supervisor"})
PERIOD_NAMES = {"year": "Year", "quarter": "Quarter", "month": "Month"}


def reports_allowed(identity: Identity) -> bool:
    """OICs and supervisors see figures for the records their laptop holds; so does an
    offline-only profile, which holds only its own. An enrolled officer does not."""
    return not identity.enrolled or identity.role in REPORT_ROLES


@dataclass(frozen=True)
class ReportRequest:
    start: date
    end: date
    period: str  # a key of PERIOD_NAMES
    district: str  # "" for every district
    today: date  # London day the overdue call-backs are counted on
    generated_at: datetime

    @property
    def where(self) -> tuple[tuple[str, str], ...]:
        return (("District", self.district or ALL_DISTRICTS),)

    @property
    def filters(self) -> tuple[tuple[str, str], ...]:
        return (*self.where, ("Periods", PERIOD_NAMES[self.period]))


@dataclass(frozen=True)
class Figures:
    request: ReportRequest
    districts: tuple[str, ...]  # every district the profile holds, whatever the filter
    total: Uptake
    by_period: tuple[Uptake, ...]  # without the total row: what the chart draws
    leaflet_rows: tuple[LeafletCount, ...]
    uptake: Table
    by_district: Table
    leaflets: Table
    overdue: Table
    spread: Table
    compliance: Table
    not_recorded: Table
    partners: Table
    partner_rows: tuple[PartnerMonth, ...]  # what the partners chart draws
    escalations: Table
    on_time: Table
    referrals: Table
    note: str  # districts not on the force's list, for the supervisor ("" when none)

    @property
    def tables(self) -> tuple[Table, ...]:
        """In the order the page's tabs and the PDF show them."""
        return (self.uptake, self.by_district, self.leaflets, self.overdue, self.spread,
                self.compliance, self.not_recorded, self.partners, self.escalations,
                self.on_time, self.referrals)


def compute_figures(store: Store, request: ReportRequest) -> Figures:
    """The op: runs on the database worker, never on the UI thread."""
    state = store.state()
    policy, force = load_policy(), load_force()
    known = tuple(districts(state, force.districts))
    if request.district:
        state = in_district(state, request.district)
    start, end, period = request.start, request.end, request.period
    version, made, filters = policy.version, request.generated_at, request.filters
    by_period = uptake_by(state, start, end, period)
    leaflets = leaflet_issues(state, start, end, period, force.districts)
    inputs = Inputs(
        state=state, reports=store.events_of_type(EventType.PARTNER_ENGAGEMENT_REPORTED),
        start=start, end=end, period=period, today=request.today, policy=policy, force=force,
        generated_at=made, filters=filters, district=request.district,
        escalation_targets=load_catalogue().support.escalation_targets,
    )
    return Figures(
        request=request,
        districts=known,
        total=uptake(state, start, end),
        by_period=tuple(by_period),
        leaflet_rows=tuple(leaflets),
        uptake=uptake_table(with_total(by_period, state, start, end), start, end, version, made,
                            filters),
        by_district=uptake_table(
            with_total(uptake_by_district(state, start, end, force.districts), state, start,
                       end), start, end,
            version, made, filters, title="VCAS uptake by district", first_column="District",
        ),
        leaflets=leaflet_table(leaflets, start, end, version, made, filters, period=period),
        # As of today whatever the period, so only the district applies to it.
        overdue=overdue_table(overdue_by_oic(state, request.today), request.today, version,
                              made, request.where),
        spread=spread_table(offer_to_callback_days(state, start, end), start, end, version,
                            made, filters),
        compliance=compliance_figure(inputs),
        not_recorded=not_recorded_figure(inputs),
        partners=partners_figure(inputs),
        partner_rows=tuple(partner_engagement(state, inputs.reports, start, end,
                                              force.partners)),
        escalations=escalations_figure(inputs),
        on_time=on_time_figure(inputs),
        note=district_note(state, force.districts),
        referrals=referral_table(
            referral_counts(state, start, end, period), start, end, version, made, filters,
            period=period, within_days=load_policy().referral_within_working_days,
        ),
    )


def two_lines(heading: str) -> str:
    """A column heading broken near its middle, so that narrow columns leave the chart room."""
    words = heading.split()
    if len(words) < 2:
        return heading
    cut = min(range(1, len(words)),
              key=lambda n: abs(len(" ".join(words[:n])) - len(" ".join(words[n:]))))
    return " ".join(words[:cut]) + "\n" + " ".join(words[cut:])


def cell_text(value: Cell) -> str:
    if value is None:
        return "–"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.1f}".removesuffix(".0")
    return value


class ReportTableModel(QAbstractTableModel):
    """One report's rows, read-only; numbers right-aligned as a spreadsheet shows them."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._table: Table | None = None

    @property
    def table(self) -> Table | None:
        return self._table

    def set_table(self, table: Table | None) -> None:
        self.beginResetModel()
        self._table = table
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() or self._table is None else len(self._table.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() or self._table is None else len(self._table.header)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or self._table is None:
            return None
        value = self._table.rows[index.row()][index.column()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return cell_text(value)
        if role == Qt.ItemDataRole.TextAlignmentRole and isinstance(value, int | float):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.UserRole:
            return value
        return None

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if self._table is None or orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return two_lines(self._table.header[section])
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self._table.header[section]
        return None
