"""The OIC's follow-ups: pending, due today, overdue and upcoming call-backs, and conflicts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import Qt, QTimer, Signal, SignalInstance
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
    QListWidget,
    QListWidgetItem,
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
from fieldapp.store import Store, TaskRow, Totals
from fieldapp.ui.consulting import Consultations
from fieldapp.ui.followups_model import (
    FINISHED,
    PENDING,
    Column,
    FollowUp,
    FollowUpFilter,
    FollowUpModel,
    Prepared,
    prepare,
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

CONFLICT_KINDS = {
    "offer_outcomes_differ": "Offers to one household were recorded with different outcomes",
    "callback_outcomes_differ": "Call-backs to one household were recorded with different "
    "outcomes",
    "concurrent_corrections": "One record was corrected twice",
    "occurrence_details_differ": "An occurrence was recorded twice with different details",
    "possible_duplicate_household": "One address may have been recorded twice",
    "changed_by_another_officer": "A record was changed by another officer",
}


def referrals_due_parts(totals: Totals) -> list[str]:
    """The due-today banner's words for referrals waiting to be sent to VCAS."""
    parts = []
    if totals.referrals_due:
        parts.append(f"{plural(totals.referrals_due, 'VCAS referral is', 'VCAS referrals are')} "
                     "due today")
    if totals.referrals_overdue:
        parts.append(f"{plural(totals.referrals_overdue, 'VCAS referral is', 'are')} overdue")
    return parts


@dataclass(frozen=True)
class Loaded:
    rows: Prepared
    conflicts: tuple[Conflict, ...]
    references: dict[str, str]  # occurrence id -> reference, to name a conflict about one


def rows_of(
    tasks: Iterable[TaskRow], open_conflicts: Iterable[Conflict], today: date, device: str,
    escalated: Collection[str] = frozenset(),
) -> list[FollowUp]:
    """Follow-up rows for these call-back tasks; `escalated`: occurrences with a risk
    escalated."""
    conflicts = Counter(c.scope for c in open_conflicts)
    return [
        FollowUp(
            household_id=task.household_id,
            occurrence_id=task.occurrence_id,
            due=task.due,
            status=task.status(today, device),
            reference=task.occurrence_reference,
            postcode=task.postcode,
            district=task.district,
            assignee=task.assignee,
            attempts=task.attempts_made,
            note=task.reason if task.is_closed else task.rule,
            closed_by=task.closed_by_author,
            conflicts=conflicts[task.household_id],
            escalated=task.occurrence_id in escalated,
        )
        for task in tasks
    ]


def _references(
    store: Store, tasks: list[TaskRow], conflicts: list[Conflict], known: dict[str, str]
) -> dict[str, str]:
    """`known` with the tasks' occurrences, and the occurrences the conflicts are about that
    have no call-back (a few: one lookup each)."""
    references = dict(known)
    references.update((t.occurrence_id, t.occurrence_reference) for t in tasks)
    households = {t.household_id for t in tasks}
    for scope in sorted({c.scope for c in conflicts} - households - set(references)):
        view = store.occurrence(scope)
        if view is not None:
            references[scope] = view.reference
    return references


def load_all(store: Store, today: date, device: str) -> Loaded:
    # Plain columns, not the stored views: decoding 100,000 of those took seconds.
    tasks = store.task_rows()
    conflicts = store.conflicts()
    return Loaded(
        prepare(rows_of(tasks, conflicts, today, device, store.escalated_occurrences())),
        tuple(conflicts),
        _references(store, tasks, conflicts, {}),
    )


def load_changed(
    store: Store, changes: Changes, today: date, device: str, known: dict[str, str]
) -> Loaded:
    """Only what a change touched: the call-backs of its households, without a full load."""
    tasks = store.task_rows(changes.households)
    conflicts = store.conflicts()
    # An occurrence the change touched may have had its reference corrected.
    kept = {k: v for k, v in known.items() if k not in changes.occurrences}
    escalated = store.escalated_occurrences(t.occurrence_id for t in tasks)
    return Loaded(
        prepare(rows_of(tasks, conflicts, today, device, escalated)),
        tuple(conflicts),
        _references(store, tasks, conflicts, kept),
    )


class FollowUpsPage(QWidget):
    record_callback = Signal(str, str)  # household id, what the form should say it is for
    put_right = Signal(str)  # household id: its records to correct, reassign, merge
    merge_households = Signal(object)  # household ids of a possible-duplicate conflict
    split_households = Signal(object)  # the same: "these are different households"

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setAccessibleName("Follow-ups")
        self.model = FollowUpModel(self)
        self._references: dict[str, str] = {}
        self._loaded = False
        self._loading = False
        self._stale = False

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

        self.table = QTableView(self)
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

        self.conflicts = QListWidget(self)
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
        confirm_row.addStretch(1)
        conflict_column.addLayout(confirm_row)
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

    def _filter_line(self, name: str) -> QLineEdit:
        line = QLineEdit(self)
        line.setAccessibleName(f"Filter by {name.lower()}")
        line.setClearButtonEnabled(True)
        line.textChanged.connect(self._schedule_filter)
        return line

    # ----------------------------------------------------------------- loading

    def reload(self) -> None:
        if self._loading:
            self._stale = True
            return
        self._loading, self._stale = True, False
        self.referrals.reload()
        today, device = self.session.today(), self.session.identity.device_id
        self.session.run(
            lambda store: load_all(store, today, device), self._loaded_all, self._load_failed
        )
        self.leaflets_due.reload()

    @property
    def loaded(self) -> bool:
        """Whether the list holds what the profile had when last read, with no read pending."""
        return self._loaded and not self._loading

    def _load_failed(self, error: BaseException) -> None:
        self._loading = False
        self.session.notify(describe(error))

    def _loaded_all(self, loaded: Loaded) -> None:
        self._loading = False
        if self._stale:
            self.reload()  # something changed while the list was being read
            return
        self._loaded = True
        self._references = loaded.references
        self.selection.keep(lambda: self.model.set_rows(loaded.rows))
        self._show_conflicts(loaded.conflicts)

    def on_changes(self, changes: Changes) -> None:
        if self._loading:
            self._stale = True
            return
        if not self._loaded or not changes.households:
            return
        today, device = self.session.today(), self.session.identity.device_id
        known = dict(self._references)

        def done(loaded: Loaded) -> None:
            self._references = loaded.references
            self.selection.keep(
                lambda: self.model.replace_households(changes.households, loaded.rows)
            )
            self._show_conflicts(loaded.conflicts)

        self.session.run(lambda store: load_changed(store, changes, today, device, known), done)

    def clear(self) -> None:
        self._loaded = self._loading = self._stale = False
        self._references = {}
        self.model.clear()
        self.referrals.clear()
        self.detail.clear()
        self.consultations.clear()
        self.conflicts.clear()
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
        self.summary.setText(f"{self.model.rowCount():,} shown of {self.model.total:,}")

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

    def _duplicate(self, signal: SignalInstance) -> None:
        """Merge, or keep apart, the households of a possible-duplicate conflict."""
        item = self.conflicts.currentItem()
        conflict = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        if conflict is None or conflict.kind != "possible_duplicate_household":
            self.session.notify("Choose a possible duplicate household in the list first.")
            return
        signal.emit(tuple(conflict.event_ids))

    def _show_conflicts(self, conflicts: Iterable[Conflict]) -> None:
        self.conflicts.clear()
        for conflict in conflicts:
            text = f"{CONFLICT_KINDS.get(conflict.kind, conflict.kind)}. {conflict.resolution}"
            where = self.model.find(conflict.scope)
            if where is not None:
                text = f"{where.reference}, {where.postcode}: {text}"
            elif conflict.scope in self._references:
                text = f"{self._references[conflict.scope]}: {text}"
            item = QListWidgetItem(text, self.conflicts)
            item.setData(Qt.ItemDataRole.UserRole, conflict)

    def _confirm_conflict(self) -> None:
        item = self.conflicts.currentItem()
        if item is None:
            self.session.notify("Choose a conflict in the list first.")
            return
        note, ok = QInputDialog.getText(
            self, "Confirm the decision", "Note on the decision (optional):"
        )
        if ok:
            self.confirm_conflict(item.data(Qt.ItemDataRole.UserRole), note)

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
