"""The follow-ups' detail pane (everything needed to make the call) and the Referrals tab:
VCAS referrals beside the call-backs, sent, acknowledged or withdrawn from here, and the
referral sheet for VCAS as a PDF.

Each step is recorded through the referral-step form (fieldapp/ui/forms/referral.py), opened
by the main window's form launcher so that a lock closes it keeping its draft, and saved as
one `referral_recorded` event through the session, like every other save.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from PySide6.QtCore import QItemSelectionModel, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QGridLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from fieldapp.domain.amend import changed_by_others
from fieldapp.domain.officer_contact import OfficerContact
from fieldapp.domain.projection import Changes
from fieldapp.domain.referral import ReferralStatus, why_not_sendable
from fieldapp.domain.views import HouseholdView, OccurrenceView
from fieldapp.resources import load_catalogue, load_policy
from fieldapp.store import ReferralRow, Store
from fieldapp.ui.callback_detail import Brief, brief
from fieldapp.ui.followups_model import ReferralItem, ReferralModel
from fieldapp.ui.forms.referral import ReferralStepForm
from fieldapp.ui.officer_details import OfficerDetailsDialog, read_officer
from fieldapp.ui.ops import describe
from fieldapp.ui.referral_sheet import sheet_lines, sheet_pdf
from fieldapp.ui.reports_export import write_file
from fieldapp.ui.session import Session

if TYPE_CHECKING:  # the launcher imports the forms, and the call-back form imports this module
    from fieldapp.ui.launcher import FormLauncher


class _Row(Protocol):
    @property
    def household_id(self) -> str: ...


R = TypeVar("R", bound=_Row)
DETAIL_MIN_WIDTH = 300  # px: the pane's lines wrap, but not to a word a line
R_co = TypeVar("R_co", bound=_Row, covariant=True)
TO_ACT_ON = (ReferralStatus.OVERDUE, ReferralStatus.DUE)
NO_OFFICER_DETAILS = (
    "Enter your contact details first (My contact details, on the Referrals tab): the sheet "
    "tells VCAS your name and a phone number or email to reach you."
)
_Sheet = tuple[HouseholdView, OccurrenceView | None, OfficerContact]


def referral_items(rows: Iterable[ReferralRow], today: date) -> list[ReferralItem]:
    items = []
    for row in rows:
        referral = row.referral
        if referral.sent_at is not None and not referral.is_open:
            note = f"Sent {referral.sent_at:%d/%m/%Y} by {referral.sent_by}"
        else:
            note = referral.rule
        if referral.withdrawn_reason:
            note = f"Withdrawn: {referral.withdrawn_reason}"
        items.append(ReferralItem(
            row.household_id, row.occurrence_id, referral.due, referral.status(today),
            row.occurrence_reference, row.postcode, row.district, row.assignee, note,
        ))
    return items


@dataclass(frozen=True)
class Detail:
    household: HouseholdView
    occurrence: OccurrenceView | None
    brief: Brief


def load_detail(store: Store, household_id: str, today: date) -> Detail | None:
    """The op behind the pane and the call-back form: one household and its occurrence.

    Not logged here: the pane reloads it on every change to the household, and the form
    loads it again. The opening is logged once, where the officer chooses the call-back or
    referral (`FollowUpsPage`, through `consulting.Consultations`)."""
    view = store.household(household_id)
    if view is None:
        return None
    occurrence = store.occurrence(view.occurrence_id)
    changed = changed_by_others(store.conflicts_about(view.merged_ids), view.merged_ids)
    return Detail(view, occurrence,
                  brief(view, occurrence, load_catalogue(), load_policy(), today, changed))


class DetailPane(QScrollArea):
    """Shows the brief of the household chosen in either list."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setWidgetResizable(True)
        self.label = QLabel("Choose a call-back or a referral to see who to call.", self)
        self.label.setObjectName("callbackDetail")
        self.label.setAccessibleName("Details for the call")
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByKeyboard
                                           | Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.setWidget(self.label)
        self.detail: Detail | None = None
        self._wanted = ""
        session.worker.changed.connect(self._changed)

    def _changed(self, changes: Changes) -> None:
        if self._wanted and self.detail is not None and (
            changes.households & set(self.detail.household.merged_ids)
        ):
            self.show_household(self._wanted)

    def show_household(self, household_id: str) -> None:
        self._wanted = household_id
        today = self.session.today()
        self.session.run(lambda store: load_detail(store, household_id, today), self._shown)

    def _shown(self, detail: Detail | None) -> None:
        if detail is None or self._wanted not in detail.household.merged_ids:
            return
        self.detail = detail
        self.label.setText(detail.brief.html)

    def clear(self) -> None:
        self.detail, self._wanted = None, ""
        self.label.setText("Choose a call-back or a referral to see who to call.")


class ReferralsTab(QWidget):
    selected_household = Signal(str)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.model = ReferralModel(self)
        self.table = QTableView(self)
        self.table.setAccessibleName("VCAS referrals")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.selection = Selection(self.table, self.model)

        self.send_button = QPushButton("Record referral &sent…", self)
        self.ack_button = QPushButton("Ac&knowledged by VCAS…", self)
        self.withdraw_button = QPushButton("&Withdraw…", self)
        self.sheet_button = QPushButton("Referral s&heet (PDF)…", self)
        self.officer_button = QPushButton("&My contact details…", self)
        self.officer_button.clicked.connect(self.ask_officer_details)
        # The main window gives its own launcher (MainWindow.__init__); alone, the tab makes one.
        self.launcher: FormLauncher | None = None
        self.send_button.clicked.connect(lambda: self.open_step("sent"))
        self.ack_button.clicked.connect(lambda: self.open_step("acknowledged"))
        self.withdraw_button.clicked.connect(lambda: self.open_step("withdrawn"))
        self.sheet_button.clicked.connect(self._ask_sheet)
        # Two rows: in one, the five set the list's least width and squeezed the detail pane.
        buttons = QGridLayout()
        for n, button in enumerate((self.send_button, self.ack_button, self.withdraw_button,
                                    self.sheet_button, self.officer_button)):
            button.setAccessibleName(button.text().replace("&", "").rstrip("…"))
            buttons.addWidget(button, n // 3, n % 3)
        buttons.setColumnStretch(3, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.session.worker.changed.connect(self.on_changes)

    # ----------------------------------------------------------------- loading

    def reload(self) -> None:
        today = self.session.today()
        self.session.run(lambda store: referral_items(store.referral_rows(), today),
                         self._loaded, lambda e: self.session.notify(describe(e)))

    def _loaded(self, items: list[ReferralItem]) -> None:
        self.selection.keep(lambda: self.model.set_rows(items))

    def on_changes(self, changes: Changes) -> None:
        if not changes.households:
            return
        today, households = self.session.today(), changes.households
        self.session.run(
            lambda store: referral_items(store.referral_rows(households), today),
            lambda items: self.selection.keep(
                lambda: self.model.replace_households(households, items)),
        )

    def clear(self) -> None:
        self.model.set_rows([])

    # ----------------------------------------------------------------- selection

    def selected(self) -> ReferralItem | None:
        return self.selection.selected()

    def select(self, household_id: str) -> None:
        self.selection.select(household_id)

    def _selection_changed(self) -> None:
        row = self.selected()
        if row is not None:
            self.selected_household.emit(row.household_id)

    def _chosen(self) -> ReferralItem | None:
        row = self.selected()
        if row is None:
            self.session.notify("Choose a referral in the list first.")
        return row

    # ----------------------------------------------------------------- actions

    def open_step(self, step: str) -> ReferralStepForm | None:
        """The referral-step form for the chosen referral, at `step` (or its draft); one
        already open for that household and step is brought forward as it is."""
        from fieldapp.ui.launcher import DraftKey, FormLauncher  # see TYPE_CHECKING above

        row = self._chosen()
        if row is None:
            return None
        if self.launcher is None:
            self.launcher = FormLauncher(self.session, self)
        key = DraftKey("referral", row.household_id, step)
        opening = str(key) not in self.launcher.open_forms
        form = self.launcher.open(key, f"Occurrence {row.reference}, {row.postcode}")
        assert isinstance(form, ReferralStepForm)
        if opening:
            form.start_at(step)
        return form

    def _ask_sheet(self) -> None:
        row = self._chosen()
        if row is None:
            return
        name, _ = QFileDialog.getSaveFileName(self, "Save the referral sheet",
                                              "vcas-referral.pdf", "PDF (*.pdf)")
        if name:
            self.save_sheet(row.household_id, Path(name))

    def save_sheet(self, household_id: str, path: Path,
                   done: Callable[[object], object] | None = None) -> None:
        """The sheet for VCAS: read on the worker, drawn here (fonts are the UI thread's)."""
        collar = self.session.identity.author

        def read(store: Store) -> _Sheet | str:
            view = store.household(household_id)
            if view is None or view.referral is None:
                return why_not_sendable(None)
            if not view.referral.consent_to_share:
                return why_not_sendable(view.referral)
            officer = read_officer(store, collar)
            if not officer.complete:
                return NO_OFFICER_DETAILS
            store.note_consultation("household", view.id, "referral sheet made for VCAS")
            return view, store.occurrence(view.occurrence_id), officer

        def draw(found: _Sheet | str) -> None:
            if isinstance(found, str):
                self.session.notify(found)
                return
            view, occurrence, officer = found
            assert view.referral is not None
            data = sheet_pdf(sheet_lines(view, view.referral, occurrence, officer,
                                         load_policy()))
            self.session.run(lambda _: write_file(path, data),
                             lambda result: self._sheet_saved(path, result, done),
                             lambda e: self.session.notify(describe(e)))

        self.session.run(read, draw, lambda e: self.session.notify(describe(e)))

    def ask_officer_details(self) -> OfficerDetailsDialog:
        dialog = OfficerDetailsDialog(self.session, self)
        dialog.open()
        return dialog

    def _sheet_saved(self, path: Path, result: object,
                     done: Callable[[object], object] | None) -> None:
        self.session.notify(f"Referral sheet saved as {path.name}.")
        if done is not None:
            done(result)


class _Rows(Protocol[R_co]):
    def row_at(self, row: int) -> R_co | None: ...

    def row_of(self, household_id: str) -> int: ...


class Selection(Generic[R]):
    """The chosen row of a table with one row per household (call-backs, referrals): read,
    set by household, and kept on its household while the rows change under it."""

    def __init__(self, table: QTableView, rows: _Rows[R]) -> None:
        self.table, self.rows = table, rows

    def selected(self) -> R | None:
        chosen = self.table.selectionModel().selectedRows()
        return self.rows.row_at(chosen[0].row()) if chosen else None

    def select(self, household_id: str) -> None:
        """Select its whole row (none if it is not shown) and bring it into view."""
        row = self.rows.row_of(household_id)
        if row >= 0:
            index = self.table.model().index(row, 0)
            self.table.selectionModel().select(
                index,
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )
            self.table.scrollTo(index)

    def keep(self, change: Callable[[], None]) -> None:
        chosen = self.selected()
        change()
        if chosen is not None:
            self.select(chosen.household_id)


def split_with_detail(left: QWidget, detail: DetailPane, parent: QWidget) -> QSplitter:
    split = QSplitter(Qt.Orientation.Horizontal, parent)
    split.addWidget(left)
    split.addWidget(detail)
    split.setStretchFactor(0, 3)
    split.setStretchFactor(1, 2)
    # Without these the list's wide size hint left the pane a sliver at 1366×768: the
    # number and the warning must be readable beside the list.
    detail.setMinimumWidth(DETAIL_MIN_WIDTH)
    split.setChildrenCollapsible(False)
    split.setSizes([3 * DETAIL_MIN_WIDTH, 2 * DETAIL_MIN_WIDTH])
    return split
