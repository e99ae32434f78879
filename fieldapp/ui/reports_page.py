"""Reports for OICs and supervisors: VCAS uptake, leaflet issues, overdue call-backs, days
to call-back, leaflet compliance, leaflets not recorded, partner engagement, escalations and
call-backs on time, as tables with charts beside them, exported to CSV or PDF. A supervisor
also records here what a partner reports (people engaged in a month: a count, no names).

The figures are worked out on the database worker (`reports_model.compute_figures`); this page
only asks for them, shows them and writes the files the user chooses.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from itertools import pairwise
from pathlib import Path

from PySide6.QtCore import QDate, QStandardPaths, QTimer
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QGridLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from fieldapp.domain.events import EventType
from fieldapp.domain.force import engagement_aggregate
from fieldapp.domain.projection import Changes
from fieldapp.domain.tables import ALL_DISTRICTS
from fieldapp.resources import load_partners
from fieldapp.ui.ops import describe
from fieldapp.ui.reports_charts import LeafletChart, PartnerChart, UptakeChart
from fieldapp.ui.reports_export import csv_bytes, file_name, pdf_bytes, write_file
from fieldapp.ui.reports_model import (
    PERIOD_NAMES,
    Figures,
    ReportRequest,
    ReportTableModel,
    compute_figures,
)
from fieldapp.ui.session import Capture, Session
from fieldapp.ui.text import day, moment

FILTER_DELAY_MS = 300
TABS = ("Uptake", "By district", "Leaflets", "Overdue call-backs", "Days to call-back",
        "Compliance", "Leaflets not recorded", "Partners", "Escalations", "Call-backs on time",
        "Referrals")
PARTNERS_TAB = TABS.index("Partners")
# Who may record what a partner reports (the endpoint's authority rules say the same).
RECORDS_PARTNER_FIGURES = "supervisor"
DEFAULT_PERIOD = "month"
SCOPE = (
    "Figures count the records this laptop holds: after a sync, a supervisor's laptop holds "
    "every record in their district. Households count in the period of their first offer."
)


def _qdate(value: date) -> QDate:
    return QDate(value.year, value.month, value.day)


def _day_of(edit: QDateEdit) -> date:
    chosen = edit.date()
    return date(chosen.year(), chosen.month(), chosen.day())


class ReportsPage(QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setAccessibleName("Reports")
        self.figures: Figures | None = None
        self._allowed = True
        self._loading = False
        self._again = False
        self._stale = True

        this_year = session.today().year
        self.start = self._date_edit("First day of the period", date(this_year, 1, 1))
        self.end = self._date_edit("Last day of the period", date(this_year, 12, 31))
        self.period = QComboBox(self)
        self.period.setAccessibleName("Periods to count by")
        for key, name in PERIOD_NAMES.items():
            self.period.addItem(name, key)
        self.period.setCurrentIndex(list(PERIOD_NAMES).index(DEFAULT_PERIOD))
        self.period.currentIndexChanged.connect(self._schedule)
        self.district = QComboBox(self)
        self.district.setAccessibleName("District")
        self.district.setMinimumContentsLength(14)
        self.district.addItem(ALL_DISTRICTS, "")
        self.district.currentIndexChanged.connect(self._schedule)

        self.show_button = QPushButton("&Show figures", self)
        self.show_button.setAccessibleName("Show the figures")
        self.show_button.clicked.connect(self.reload)
        self.csv_button = QPushButton("Export &CSV…", self)
        self.csv_button.setAccessibleName("Export the table shown as CSV")
        self.csv_button.clicked.connect(self.export_csv)
        self.pdf_button = QPushButton("Export &PDF…", self)
        self.pdf_button.setAccessibleName("Export every report as PDF")
        self.pdf_button.clicked.connect(self.export_pdf)

        filters = QGridLayout()
        for column, (text, widget) in enumerate(
            (("&From", self.start), ("&To", self.end), ("P&eriods", self.period),
             ("&District", self.district))
        ):
            caption = QLabel(text, self)
            caption.setBuddy(widget)
            filters.addWidget(caption, 0, column)
            filters.addWidget(widget, 1, column)
        filters.addWidget(self.show_button, 1, 4)
        filters.setColumnStretch(5, 1)
        filters.addWidget(self.csv_button, 1, 6)
        filters.addWidget(self.pdf_button, 1, 7)

        self.summary = QLabel(self)
        self.summary.setObjectName("reportSummary")
        self.summary.setAccessibleName("Summary of the figures")
        self.summary.setWordWrap(True)
        self.status = QLabel(self)
        self.status.setAccessibleName("Report status")
        self.status.setWordWrap(True)
        scope = QLabel(SCOPE, self)
        scope.setWordWrap(True)
        self.note = QLabel(self)
        self.note.setObjectName("reportNote")
        self.note.setAccessibleName("Note on the figures")
        self.note.setWordWrap(True)
        self.note.hide()

        self.models = [ReportTableModel(self) for _ in TABS]
        self.tables = [self._table_view(model, name) for model, name in zip(
            self.models, TABS, strict=True)]
        self.uptake_chart = UptakeChart(self)
        self.leaflet_chart = LeafletChart(self)
        self.partner_chart = PartnerChart(self)
        self.tabs = QTabWidget(self)
        self.tabs.tabBar().setAccessibleName("Which report to show")
        charts: dict[int, QWidget] = {0: self.uptake_chart, 2: self.leaflet_chart,
                                      PARTNERS_TAB: self.partner_chart}
        self._splits: dict[int, QSplitter] = {}
        for n, (name, table) in enumerate(zip(TABS, self.tables, strict=True)):
            chart = charts.get(n)
            if chart is None:
                self.tabs.addTab(table, name)
                continue
            split = QSplitter(self)
            split.addWidget(table)
            split.addWidget(chart)
            split.setStretchFactor(1, 1)  # the chart takes what the table does not need
            self._splits[n] = split
            self.tabs.addTab(self._partners_tab(split) if n == PARTNERS_TAB else split, name)
        # A table sizes its columns once it is laid out, which a hidden tab is not.
        self.tabs.currentChanged.connect(lambda _: QTimer.singleShot(0, self, self._fit))

        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.summary)
        layout.addWidget(self.status)
        layout.addWidget(self.note)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(scope)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(FILTER_DELAY_MS)
        self._timer.timeout.connect(self.reload)
        chain = [self.start, self.end, self.period, self.district, self.show_button,
                 self.csv_button, self.pdf_button, self.tabs]
        for before, after in pairwise(chain):
            self.setTabOrder(before, after)
        self._enable_exports()
        self._enable_records()
        session.worker.changed.connect(self.on_changes)

    def _partners_tab(self, split: QSplitter) -> QWidget:
        """The partners' table and chart, and under them the form a supervisor records a
        partner's monthly count with."""
        tab = QWidget(self)
        self.partner = QComboBox(tab)
        self.partner.setAccessibleName("Partner")
        for partner in load_partners().partners:
            self.partner.addItem(partner.name, partner.id)
        self.partner.currentIndexChanged.connect(self._draw_partner)
        self.month = QDateEdit(tab)
        self.month.setDisplayFormat("MM/yyyy")
        self.month.setAccessibleName("Month the partner reports on")
        last = self.session.today().replace(day=1)
        self.month.setDate(_qdate(date(last.year - (last.month == 1),
                                       12 if last.month == 1 else last.month - 1, 1)))
        self.engaged = QSpinBox(tab)
        self.engaged.setRange(0, 100_000)
        self.engaged.setAccessibleName("People the partner reports engaged that month")
        self.record_button = QPushButton("&Record partner's figure", tab)
        self.record_button.setAccessibleName("Record the partner's figure for the month")
        self.record_button.clicked.connect(self.record_engagement)
        self.record_status = QLabel(tab)
        self.record_status.setAccessibleName("Partner figure status")
        self.record_status.setWordWrap(True)
        # Captions over their fields and the status under them, as in the filters above: in
        # one line, long partner names and the status would make the page (and so the main
        # window) wider than a laptop's screen.
        self.partner.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.partner.setMinimumContentsLength(18)
        row = QGridLayout()
        for place, (text, widget) in enumerate(
            (("P&artner", self.partner), ("Mont&h", self.month),
             ("People en&gaged", self.engaged))
        ):
            caption = QLabel(text, tab)
            caption.setBuddy(widget)
            row.addWidget(caption, 0, place)
            row.addWidget(widget, 1, place)
        row.addWidget(self.record_button, 1, 3)
        row.setColumnStretch(4, 1)
        row.addWidget(self.record_status, 2, 0, 1, 5)
        column = QVBoxLayout(tab)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(split, 1)
        column.addLayout(row)
        return tab

    def _date_edit(self, name: str, value: date) -> QDateEdit:
        edit = QDateEdit(self)
        edit.setDisplayFormat("dd/MM/yyyy")
        edit.setCalendarPopup(True)
        edit.setAccessibleName(name)
        edit.setDate(_qdate(value))
        edit.dateChanged.connect(self._schedule)
        return edit

    def _table_view(self, model: ReportTableModel, name: str) -> QTableView:
        view = QTableView(self)
        view.setModel(model)
        view.setAccessibleName(f"{name} table")
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setAlternatingRowColors(True)
        view.setWordWrap(False)
        view.verticalHeader().hide()
        view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        return view

    # ----------------------------------------------------------------- who may see it

    def set_allowed(self, allowed: bool) -> None:
        """Reports are for OICs and supervisors (and offline-only profiles): for anyone else
        the page works nothing out, even if reached."""
        self._allowed = allowed
        if not allowed:
            self.clear()
            self.status.setText("Reports are for OICs and supervisors.")
        for widget in (self.start, self.end, self.period, self.district, self.show_button):
            widget.setEnabled(allowed)
        self._enable_records()
        self._enable_exports()

    def _enable_records(self) -> None:
        records = self._allowed and self.session.identity.role == RECORDS_PARTNER_FIGURES
        for control in (self.month, self.engaged, self.record_button):
            control.setEnabled(records)

    # ----------------------------------------------------------------- loading

    def request(self) -> ReportRequest | None:
        start, end = _day_of(self.start), _day_of(self.end)
        if start > end:
            return None
        return ReportRequest(
            start=start, end=end, period=str(self.period.currentData()),
            district=str(self.district.currentData() or ""), today=self.session.today(),
            generated_at=self.session.clock(),
        )

    @property
    def loading(self) -> bool:
        return self._loading or self._timer.isActive()

    def _schedule(self) -> None:
        self._timer.start()

    def reload(self) -> None:
        self._timer.stop()
        if not self._allowed:
            return
        if self._loading:
            self._again = True
            return
        request = self.request()
        if request is None:
            self.status.setText("The last day is before the first: change one of them.")
            return
        self._loading, self._again, self._stale = True, False, False
        self.status.setText("Working out the figures…")
        self.session.run(lambda store: compute_figures(store, request), self._shown,
                         self._failed)

    def _failed(self, error: BaseException) -> None:
        self._loading = False
        self.status.setText(describe(error))

    def _shown(self, figures: Figures) -> None:
        self._loading = False
        if self._again:
            self.reload()  # the filters changed while these were being worked out
            return
        self.figures = figures
        for model, table in zip(self.models, figures.tables, strict=True):
            model.set_table(table)
        self.uptake_chart.show_rows(figures.by_period)
        self.leaflet_chart.show_rows(figures.leaflet_rows)
        self._draw_partner()
        self.note.setText(figures.note)
        self.note.setVisible(bool(figures.note))
        self._fit()
        self._offer_districts(figures.districts)
        request, total = figures.request, figures.total
        where = request.district or "all districts"
        self.summary.setText(
            f"{day(request.start)} to {day(request.end)}, {where}: "
            f"{total.offered:,} households offered VCAS, {total.accepted:,} accepted "
            f"({total.accepted_at_arrest:,} at arrest, {total.accepted_later:,} at a later offer, "
            f"{total.accepted_at_callback:,} at call-back): uptake {total.percent}%."
        )
        self.status.setText(f"Worked out at {moment(request.generated_at)}.")
        self._enable_exports()

    def _draw_partner(self) -> None:
        if self.figures is not None:
            self.partner_chart.show_rows(self.figures.partner_rows, self.partner.currentText())

    def record_engagement(self) -> None:
        """The supervisor's gesture: one `partner_engagement_reported` event on the partner's
        month (the same record whoever reports it: the latest stands)."""
        if not self.record_button.isEnabled():
            return
        chosen = self.month.date()
        month = f"{chosen.year()}-{chosen.month():02d}"
        partner = str(self.partner.currentData())
        engaged = self.engaged.value()
        capture = Capture(
            EventType.PARTNER_ENGAGEMENT_REPORTED, engagement_aggregate(partner, month),
            {"partner": partner, "month": month, "engaged": engaged}, self.session.clock(),
        )
        name = self.partner.currentText()

        def done(_: Changes) -> None:
            self.record_status.setText(f"Recorded: {name} reports {engaged:,} engaged in "
                                       f"{chosen.month():02d}/{chosen.year()}.")
            self.mark_stale()

        self.session.record(capture, done,
                            lambda error: self.record_status.setText(describe(error)))

    def _fit(self) -> None:
        """The table as wide as its columns (up to half), the chart the rest."""
        split = self._splits.get(self.tabs.currentIndex())
        if split is None:
            return
        table = self.tables[self.tabs.currentIndex()]
        total = sum(split.sizes()) or split.width()
        wanted = (table.horizontalHeader().length() + 2 * table.frameWidth()
                  + table.verticalScrollBar().sizeHint().width())
        split.setSizes([min(wanted, total // 2), total - min(wanted, total // 2)])

    def _offer_districts(self, known: tuple[str, ...]) -> None:
        chosen = str(self.district.currentData() or "")
        wanted = ["", *known] if not chosen or chosen in known else ["", *known, chosen]
        have = [str(self.district.itemData(n) or "") for n in range(self.district.count())]
        if have == wanted:
            return
        self.district.blockSignals(True)  # a new list is not a new choice
        self.district.clear()
        for name in wanted:
            self.district.addItem(name or ALL_DISTRICTS, name)
        self.district.setCurrentIndex(wanted.index(chosen))
        self.district.blockSignals(False)

    def on_changes(self, changes: Changes) -> None:
        if not (changes.households or changes.occurrences):
            return
        self.mark_stale()

    def mark_stale(self) -> None:
        """Records changed (saved here or synced): work the figures out again when seen."""
        self._stale = True
        if self.isVisible():
            self._schedule()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.reload()

    def clear(self) -> None:
        """On lock: forget every figure shown."""
        self._timer.stop()
        self.figures = None
        self._stale = True
        for model in self.models:
            model.set_table(None)
        self.uptake_chart.clear()
        self.leaflet_chart.clear()
        self.partner_chart.clear()
        self.note.clear()
        self.note.hide()
        self.record_status.clear()
        self.summary.clear()
        self.status.clear()
        self._enable_exports()

    # ----------------------------------------------------------------- exports

    def _enable_exports(self) -> None:
        ready = self._allowed and self.figures is not None
        self.csv_button.setEnabled(ready)
        self.pdf_button.setEnabled(ready)

    def export_csv(self) -> None:
        if self.figures is None:
            return
        table = self.figures.tables[max(self.tabs.currentIndex(), 0)]
        name = file_name(table.title, table.start, table.end, ".csv")
        self._export("Export the table as CSV", name, "CSV files (*.csv)",
                     lambda: csv_bytes(table))

    def export_pdf(self) -> None:
        if self.figures is None:
            return
        tables, request = self.figures.tables, self.figures.request
        name = file_name("vcas and signposting figures", request.start, request.end, ".pdf")
        self._export("Export the reports as PDF", name, "PDF files (*.pdf)",
                     lambda: pdf_bytes(tables))

    def _export(self, caption: str, name: str, kinds: str, render: Callable[[], bytes]) -> None:
        folder = QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.DocumentsLocation
        )
        chosen, _ = QFileDialog.getSaveFileName(self, caption, str(Path(folder) / name), kinds)
        if not chosen:
            return
        path = Path(chosen)
        if not path.suffix:
            path = path.with_suffix(Path(name).suffix)
        # Rendering uses fonts, which belong to the UI thread; the tables are small. Writing
        # and flushing to disk goes to the worker, so a slow network drive never freezes the UI.
        data = render()
        self.session.worker.call(
            lambda: write_file(path, data),
            lambda _: self.session.notify(f"Saved {path.name}."),
            lambda error: self.session.notify(describe(error)),
        )
