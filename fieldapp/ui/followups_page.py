"""The OIC's follow-ups: pending, due today, overdue and upcoming call-backs, and conflicts."""

from __future__ import annotations

from collections.abc import Iterable

import shiboken6
from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal, SignalInstance
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QSplitter,
    QTabBar,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from fieldapp.domain.events import EventType
from fieldapp.domain.projection import Changes
from fieldapp.domain.schedule import TaskStatus
from fieldapp.domain.views import Conflict
from fieldapp.store import PlainTask, Totals
from fieldapp.ui.consulting import Consultations
from fieldapp.ui.corrections.joining import JoinCase, load_join
from fieldapp.ui.followups_conflicts import ConflictsModel, Named
from fieldapp.ui.followups_load import (
    FIRST_SCREEN,
    PAGE,
    Context,
    FirstScreen,
    Loaded,
    Page,
    load_changed,
    load_first,
    load_page,
    merged,
)
from fieldapp.ui.followups_model import (
    FINISHED,
    PENDING,
    Column,
    FollowUp,
    FollowUpFilter,
    FollowUpModel,
    Held,
    Prepared,
    prepare_held,
)
from fieldapp.ui.leaflets_due import LeafletsDue
from fieldapp.ui.ops import describe
from fieldapp.ui.referrals_tab import (
    TO_ACT_ON,
    DetailPane,
    ReferralsTab,
    Selection,
    split_with_detail,
)
from fieldapp.ui.session import Capture, Session
from fieldapp.ui.text import day, plural

FILTER_DELAY_MS = 150

TABS: tuple[tuple[str, frozenset[TaskStatus]], ...] = (
    ("All pending", PENDING),
    ("Overdue", frozenset({TaskStatus.OVERDUE})),
    ("Due today", frozenset({TaskStatus.DUE})),
    ("Upcoming", frozenset({TaskStatus.UPCOMING})),
    ("Done or closed", FINISHED),
)

def referrals_due_parts(totals: Totals) -> list[str]:
    """The due-today banner's words for referrals waiting to be sent to VCAS."""
    parts = []
    if totals.referrals_due:
        parts.append(f"{plural(totals.referrals_due, 'VCAS referral is', 'VCAS referrals are')} "
                     "due today")
    if totals.referrals_overdue:
        parts.append(f"{plural(totals.referrals_overdue, 'VCAS referral is', 'are')} overdue")
    return parts


class RowsView(QTableView):
    """A table of whole rows: Home and End go to the first and last row, as in a list (a
    table's own go to the first and last cell of the row); `moved` says whether to the end."""

    moved = Signal(bool)

    def moveCursor(
        self, cursorAction: QAbstractItemView.CursorAction, modifiers: Qt.KeyboardModifier
    ) -> QModelIndex:
        if cursorAction in (_HOME, _END):  # what a table does with Ctrl+Home, Ctrl+End
            modifiers |= Qt.KeyboardModifier.ControlModifier
        self.moved.emit(cursorAction is _END)
        return super().moveCursor(cursorAction, modifiers)


_HOME, _END = QAbstractItemView.CursorAction.MoveHome, QAbstractItemView.CursorAction.MoveEnd


class FollowUpsPage(QWidget):
    record_callback = Signal(str, str)  # household id, what the form should say it is for
    put_right = Signal(str)  # household id: its records to correct, reassign, merge
    merge_households = Signal(object)  # household ids of a possible-duplicate conflict
    split_households = Signal(object)  # the same: "these are different households"
    accept_join = Signal(object)  # amend.JoinChoice: another officer's record to accept

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setAccessibleName("Follow-ups")
        self.model = FollowUpModel(self)
        self._loaded = False  # every row read
        self._loading = False
        self._stale = False
        self._load = 0  # which load a page read belongs to (a lock or a reload starts anew)
        self._seen = Changes()  # changes made while the rows were being read
        self._to_end = False  # End was pressed on the first screen: go on to the last row
        self._shown_load = 0  # the load whose first screen is shown
        self.first_screen, self.page_size = FIRST_SCREEN, PAGE

        self.tabs = QTabBar(self)
        self.tabs.setAccessibleName("Which call-backs to show")
        for label, _ in TABS:
            self.tabs.addTab(label)
        self.tabs.currentChanged.connect(self._schedule_filter)

        self.oic = self._filter_line("OIC collar number")
        self.mine = QCheckBox("Only mine", self)
        self.mine.setAccessibleName("Only my call-backs")
        self.mine.toggled.connect(self._mine_toggled)
        self.district = self._filter_line("District")
        self.reference = self._filter_line("Occurrence reference")
        self.postcode = self._filter_line("Postcode")
        filters = QGridLayout()
        for column, (label, widget) in enumerate(
            (
                ("&OIC", self.oic),
                ("&District", self.district),
                ("Occurrence &ref.", self.reference),
                ("&Postcode", self.postcode),
            )
        ):
            caption = QLabel(label, self)
            caption.setBuddy(widget)
            filters.addWidget(caption, 0, column)
            filters.addWidget(widget, 1, column)
        filters.addWidget(self.mine, 1, 4)

        self.table = RowsView(self)
        self.table.setAccessibleName("Call-backs")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(Column.DUE, Qt.SortOrder.AscendingOrder)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        for column, width in ((Column.DUE, 110), (Column.STATUS, 130), (Column.REFERENCE, 140),
                              (Column.POSTCODE, 100), (Column.DISTRICT, 120), (Column.OIC, 80),
                              (Column.ATTEMPTS, 80)):
            header.resizeSection(column, width)
        self.table.doubleClicked.connect(self._record_selected)
        self.table.moved.connect(self._moved)

        self.record_button = QPushButton("&Record call-back outcome…", self)
        self.record_button.setAccessibleName("Record call-back outcome")
        self.record_button.clicked.connect(self._record_selected)
        self.refresh_button = QPushButton("Re&fresh", self)
        self.refresh_button.setAccessibleName("Refresh the list")
        self.refresh_button.clicked.connect(self.reload)
        self.summary = QLabel(self)
        self.summary.setAccessibleName("How many are shown")
        self.put_right_button = QPushButton("P&ut right…", self)
        self.put_right_button.setAccessibleName("Put the call-back's records right")
        self.put_right_button.clicked.connect(self._put_right_selected)
        actions = QHBoxLayout()
        actions.addWidget(self.record_button)
        actions.addWidget(self.put_right_button)
        actions.addWidget(self.refresh_button)
        actions.addStretch(1)
        actions.addWidget(self.summary)
        enter = QShortcut(QKeySequence(Qt.Key.Key_Return), self.table, self._record_selected)
        enter.setContext(Qt.ShortcutContext.WidgetShortcut)  # not while typing in a filter

        self.conflicts_model = ConflictsModel(self)
        self.conflicts = QListView(self)
        self.conflicts.setModel(self.conflicts_model)
        self.conflicts.setAccessibleName("Conflicts to check")
        self.conflicts.setWordWrap(True)
        self.confirm_button = QPushButton("&Confirm the decision…", self)
        self.confirm_button.setAccessibleName("Confirm the decision on the conflict")
        self.confirm_button.clicked.connect(self._confirm_conflict)
        # Conflicts and leaflets not recorded side by side under the list, so the call-backs
        # keep most of the height at 1366x768 (stacked, they left the list three rows).
        conflict_box = QWidget(self)
        bottom_row = QHBoxLayout(conflict_box)
        bottom_row.setContentsMargins(0, 0, 0, 0)
        conflict_column = QVBoxLayout()
        bottom_row.addLayout(conflict_column, 1)
        conflict_column.addWidget(QLabel("<b>Conflicts to check</b>", self))
        conflict_column.addWidget(self.conflicts)
        self.merge_button = QPushButton("&Merge the households…", self)
        self.merge_button.setAccessibleName("Merge the households of the conflict")
        self.merge_button.clicked.connect(lambda: self._duplicate(self.merge_households))
        confirm_row = QHBoxLayout()
        confirm_row.addWidget(self.confirm_button)
        confirm_row.addWidget(self.merge_button)
        self.split_button = QPushButton("D&ifferent households…", self)
        self.split_button.setAccessibleName("These are different households")
        self.split_button.clicked.connect(lambda: self._duplicate(self.split_households))
        confirm_row.addWidget(self.split_button)
        self.accept_button = QPushButton("&Accept their record…", self)
        self.accept_button.setAccessibleName("Accept the other officer's record")
        self.accept_button.setEnabled(False)
        self.accept_button.clicked.connect(self._accept_join)
        confirm_row.addStretch(1)
        conflict_column.addLayout(confirm_row)
        # Under Merge / Different households, with who can beside it: one row of five
        # buttons made the page wider than a 1366x768 screen.
        self.join_why = QLabel(self)
        self.join_why.setObjectName("whoCan")
        self.join_why.setAccessibleName("Who can accept the other officer's record")
        self.join_why.setWordWrap(True)
        self.join_why.setTextFormat(Qt.TextFormat.PlainText)
        self.join_why.hide()
        join_row = QHBoxLayout()
        join_row.addWidget(self.accept_button)
        join_row.addWidget(self.join_why, 1)
        conflict_column.addLayout(join_row)
        self._join: JoinCase | None = None
        self.conflicts.selectionModel().currentChanged.connect(lambda *_: self._check_join())
        self.conflicts_model.modelReset.connect(self._check_join)
        self.leaflets_due = LeafletsDue(session, self)  # its own list, op and refresh
        bottom_row.addWidget(self.leaflets_due, 1)

        top = QWidget(self)
        top_column = QVBoxLayout(top)
        top_column.setContentsMargins(0, 0, 0, 0)
        top_column.addWidget(self.tabs)
        top_column.addLayout(filters)
        top_column.addWidget(self.table, 1)
        top_column.addLayout(actions)
        # Call-backs and referrals side by side as tabs, the chosen one's details beside them.
        self.referrals = ReferralsTab(session, self)
        self.kinds = QTabWidget(self)
        self.kinds.tabBar().setAccessibleName("Call-backs or referrals")
        self.kinds.addTab(top, "Call-&backs")
        self.kinds.addTab(self.referrals, "&Referrals")
        self.detail = DetailPane(session, self)
        self.table.selectionModel().selectionChanged.connect(self._show_selected)
        self.selection = Selection(self.table, self.model)
        self.referrals.selected_household.connect(self.detail.show_household)
        self.consultations = Consultations(session)
        self.referrals.selected_household.connect(
            lambda household: self.consultations.opened("referral", household, "shown"))
        self.referrals.model.modelReset.connect(self._update_referral_label)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(split_with_detail(self.kinds, self.detail, self))
        split.addWidget(conflict_box)
        split.setStretchFactor(0, 4)
        split.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(split)

        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(FILTER_DELAY_MS)
        self._filter_timer.timeout.connect(self.apply_filter)
        self.model.counts_changed.connect(self._update_tab_labels)
        self.model.modelReset.connect(self._update_summary)
        self.setTabOrder(self.tabs, self.oic)
        self.setTabOrder(self.oic, self.district)
        self.setTabOrder(self.district, self.reference)
        self.setTabOrder(self.reference, self.postcode)
        self.setTabOrder(self.postcode, self.mine)
        self.setTabOrder(self.mine, self.table)
        self.setTabOrder(self.table, self.record_button)
        self.session.worker.changed.connect(self.on_changes)
        self.session.worker.changed.connect(self._changed_join)  # a slot: gone with the page

    def _filter_line(self, name: str) -> QLineEdit:
        line = QLineEdit(self)
        line.setAccessibleName(f"Filter by {name.lower()}")
        line.setClearButtonEnabled(True)
        line.textChanged.connect(self._schedule_filter)
        return line

    # ----------------------------------------------------------------- loading

    def reload(self) -> None:
        """The first screen first, then every call-back a page at a time."""
        if self._loading:
            self._stale = True
            return
        self._loading, self._stale, self._seen = True, False, Changes()
        self._load += 1
        load = self._load
        today, device = self.session.today(), self.session.identity.device_id
        first_screen = self.first_screen
        self.session.run(
            lambda store: load_first(store, today, device, first_screen),
            lambda first: self._first_read(load, first),
            self._load_failed,
        )
        self.referrals.reload()
        self.leaflets_due.reload()

    @property
    def loaded(self) -> bool:
        """Whether the list holds what the profile had when last read, with no read pending."""
        return self._loaded and not self._loading

    @property
    def shown(self) -> bool:
        """Whether the list shows its first screen (every row may still be being read)."""
        return self._loaded or self._shown_load == self._load

    def _load_failed(self, error: BaseException) -> None:
        self._loading = False
        self.session.notify(describe(error))

    def _first_read(self, load: int, first: FirstScreen) -> None:
        if load != self._load:
            return
        if not self._loaded:  # a reload keeps the rows it had until it has them all
            self.selection.keep(lambda: self.model.show_first(first.loaded.rows, first.counts))
        self._shown_load = load
        self._show_conflicts(first.loaded.conflicts)
        self._read_page(load, first.context, [], None)

    def _read_page(
        self, load: int, context: Context, held: list[Held], last: PlainTask | None
    ) -> None:
        size = self.page_size
        self.session.run(
            lambda store: load_page(store, context, last, size),
            lambda page: self._page_read(load, context, held, page),
            self._load_failed,
        )

    def _page_read(self, load: int, context: Context, held: list[Held], page: Page) -> None:
        if load != self._load:
            return
        held += page.rows
        if page.last is not None:
            self._read_page(load, context, held, page.last)
        else:  # sorted and keyed on the worker: the UI thread only swaps them in
            self.session.run(lambda _: prepare_held(held), lambda rows: self._all_read(load, rows),
                             self._load_failed)

    def _all_read(self, load: int, rows: Prepared) -> None:
        if load != self._load:
            return
        self._loading = False
        if self._stale:
            self.reload()  # asked again while the list was being read
            return
        self._loaded = True
        self.selection.keep(lambda: self.model.set_rows(rows))
        if self._to_end:
            self._to_end = False
            self._select_row(self.model.rowCount() - 1)
        if not self._seen.empty:  # pages read before a change may hold its old rows
            self.on_changes(self._seen)

    def _moved(self, to_end: bool) -> None:
        # End before every row is read goes to the first screen's last row; the rest lands
        # a moment later, and the officer asked for the last of all.
        self._to_end = to_end and not self.model.complete

    def _select_row(self, row: int) -> None:
        """Make this row of the list current and selected, and bring it into view."""
        index = self.model.index(row, 0)
        if index.isValid():
            self.table.setCurrentIndex(index)
            self.table.selectRow(row)
            self.table.scrollTo(index)

    def on_changes(self, changes: Changes) -> None:
        if self._loading:
            self._seen = merged(self._seen, changes)
            return
        if not self._loaded or not changes.households:
            return
        today, device = self.session.today(), self.session.identity.device_id

        def done(loaded: Loaded) -> None:
            self.selection.keep(
                lambda: self.model.replace_households(changes.households, loaded.rows)
            )
            self._show_conflicts(loaded.conflicts)

        self.session.run(lambda store: load_changed(store, changes, today, device), done)

    def clear(self) -> None:
        self._loaded = self._loading = self._stale = self._to_end = False
        self._load += 1
        self._seen = Changes()
        self.model.clear()
        self.referrals.clear()
        self.detail.clear()
        self.consultations.clear()
        self.conflicts_model.set_rows(())
        self.leaflets_due.clear()
        for line in (self.oic, self.district, self.reference, self.postcode):
            line.clear()

    # ----------------------------------------------------------------- filtering

    def _mine_toggled(self, mine: bool) -> None:
        self.oic.setText(self.session.identity.author if mine else "")
        self.oic.setReadOnly(mine)

    def _schedule_filter(self) -> None:
        self._filter_timer.start()

    def apply_filter(self) -> None:
        self._filter_timer.stop()
        _, statuses = TABS[max(self.tabs.currentIndex(), 0)]
        wanted = FollowUpFilter(
            statuses=statuses,
            oic=self.oic.text(),
            district=self.district.text(),
            reference=self.reference.text(),
            postcode=self.postcode.text(),
        )
        self.selection.keep(lambda: self.model.set_filter(wanted))

    def _update_tab_labels(self) -> None:
        for n, (label, statuses) in enumerate(TABS):
            self.tabs.setTabText(n, f"{label} ({self.model.counts.of(statuses):,})")

    def _update_referral_label(self) -> None:
        waiting = self.referrals.model.count(TO_ACT_ON)
        self.kinds.setTabText(1, f"&Referrals ({waiting:,} to send)")

    def _show_selected(self) -> None:
        row = self.selected()
        if row is not None:
            self.detail.show_household(row.household_id)
            self.consultations.opened("household", row.household_id, "call-back shown")

    def _update_summary(self) -> None:
        shown = f"{self.model.rowCount():,} shown of {self.model.total:,}"
        self.summary.setText(shown if self.model.complete else f"{shown} (reading the rest…)")

    # ----------------------------------------------------------------- selection

    def selected(self) -> FollowUp | None:
        return self.selection.selected()

    def select(self, household_id: str) -> None:
        self.selection.select(household_id)

    def _record_selected(self) -> None:
        row = self.selected()
        if row is None:
            self.session.notify("Choose a call-back in the list first.")
            return
        if row.status in FINISHED:
            self.session.notify("That call-back is already finished.")
            return
        self.consultations.opened("household", row.household_id, "opened for a call-back")
        about = f"Occurrence {row.reference}, {row.postcode}: call-back due {day(row.due)}."
        self.record_callback.emit(row.household_id, about)

    def _put_right_selected(self) -> None:
        row = self.selected()
        if row is None:
            self.session.notify("Choose a call-back in the list first.")
            return
        self.put_right.emit(row.household_id)

    # ----------------------------------------------------------------- conflicts

    def _chosen_conflict(self) -> Conflict | None:
        return self.conflicts_model.conflict_at(self.conflicts.currentIndex().row())

    def _duplicate(self, signal: SignalInstance) -> None:
        """Merge, or keep apart, the households of a possible-duplicate conflict."""
        conflict = self._chosen_conflict()
        if conflict is None or conflict.kind != "possible_duplicate_household":
            self.session.notify("Choose a possible duplicate household in the list first.")
            return
        signal.emit(tuple(conflict.event_ids))

    def _changed_join(self, _: Changes) -> None:
        self._check_join()

    def _check_join(self) -> None:
        """On another officer's record of an occurrence: whether the rule lets this officer
        accept it (asked on the worker), and if not, its sentence of who can."""
        conflict = self._chosen_conflict()
        self._join = None
        self.accept_button.setEnabled(False)
        if conflict is None or conflict.kind != "occurrence_joined":
            self.join_why.hide()
            return
        clock = self.session.clock
        self.session.run(lambda store: load_join(store, conflict, clock()),
                         self._join_loaded)

    def _join_loaded(self, case: JoinCase) -> None:
        if not shiboken6.isValid(self) or case.conflict != self._chosen_conflict():
            return
        self._join = case
        self.accept_button.setEnabled(case.offered)
        self.join_why.setText(case.status)
        self.join_why.setVisible(bool(case.status))

    def _accept_join(self) -> None:
        case = self._join
        if case is None or not case.offered or case.choice is None:
            self.session.notify("Choose another officer's record of your occurrence in the "
                                "list first.")
            return
        self.accept_join.emit(case.choice)

    def _show_conflicts(self, conflicts: Iterable[Named]) -> None:
        self.conflicts_model.set_rows(conflicts)

    def _confirm_conflict(self) -> None:
        conflict = self._chosen_conflict()
        if conflict is None:
            self.session.notify("Choose a conflict in the list first.")
            return
        note, ok = QInputDialog.getText(
            self, "Confirm the decision", "Note on the decision (optional):"
        )
        if ok:
            self.confirm_conflict(conflict, note)

    def confirm_conflict(self, conflict: Conflict, note: str) -> None:
        """The OIC accepts what the rules decided; recorded as an event like any other."""
        capture = Capture(
            event_type=EventType.CONFLICT_CONFIRMED,
            aggregate_id=conflict.scope,
            payload={"conflict_key": conflict.key, "note": note},
            occurred_at=self.session.clock(),
        )
        self.session.record(
            capture,
            lambda _: self.session.notify("Decision confirmed."),
            lambda error: self.session.notify(describe(error)),
        )
