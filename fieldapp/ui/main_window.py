"""The unlocked app: Record, Follow-ups, Sync and Reports pages, the sync status bar and
shortcuts.

Each page redraws from the change sets ops return; this window only wires them together.
"""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import QByteArray, QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from fieldapp.domain.events import Event
from fieldapp.domain.projection import Changes
from fieldapp.store import Totals
from fieldapp.sync.client import SyncSummary
from fieldapp.ui.capture_page import CapturePage
from fieldapp.ui.corrections.dialogs import CaseOpener
from fieldapp.ui.enrol import EnrolPanel
from fieldapp.ui.followups_page import TABS, FollowUpsPage, referrals_due_parts
from fieldapp.ui.launcher import DraftKey, FormLauncher
from fieldapp.ui.place import Place, keep_place, read_place
from fieldapp.ui.reports_model import reports_allowed
from fieldapp.ui.reports_page import ReportsPage
from fieldapp.ui.session import Identity, Session
from fieldapp.ui.sync_view import (
    SyncController,
    SyncFacts,
    SyncPage,
    SyncStatus,
    mark_handled,
    read_facts,
    retry_message,
)
from fieldapp.ui.text import APP_NAME, plural
from fieldapp.ui.tray import Tray
from fieldapp.ui.widgets import fit_to_screen

PAGES = ("Record", "Follow-ups", "Sync", "Reports")
REPORTS = PAGES.index("Reports")
GEOMETRY_KEY = "main/geometry"
# Wanted size: on a smaller screen (1366×768, or 1920×1080 at 150%) the window takes what
# the screen has, so that the status bar (enrolment and sync state) is always in view.
MAIN_SIZE = QSize(1200, 800)


def due_message(totals: Totals) -> str:
    """'3 call-backs are due today and 1 is overdue.', or '' when there is nothing."""
    parts = []
    if totals.tasks_due:
        parts.append(f"{plural(totals.tasks_due, 'call-back is', 'call-backs are')} due today")
    if totals.tasks_overdue:
        parts.append(f"{plural(totals.tasks_overdue, 'is', 'are')} overdue")
    parts += referrals_due_parts(totals)
    return (" and ".join(parts) + ".") if parts else ""


class DueBanner(QFrame):
    """Shown at start-up when call-backs are due today or overdue."""

    show_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dueBanner")
        self.setAccessibleName("Call-backs due")
        self.text = QLabel(self)
        self.text.setAccessibleName("Call-backs due")
        show = QPushButton("Show them", self)
        show.setAccessibleName("Show the call-backs due")
        dismiss = QPushButton("Dismiss", self)
        dismiss.setAccessibleName("Dismiss the reminder")
        row = QHBoxLayout(self)
        row.addWidget(self.text, 1)
        row.addWidget(show)
        row.addWidget(dismiss)
        show.clicked.connect(self.show_requested)
        show.clicked.connect(self.hide)
        dismiss.clicked.connect(self.hide)
        self.hide()

    def announce(self, message: str) -> None:
        self.text.setText(message)
        self.setVisible(bool(message))


class MainWindow(QMainWindow):
    lock_requested = Signal()
    quit_requested = Signal()

    def __init__(
        self,
        session: Session,
        sync: SyncController,
        settings: QSettings,
        tray: Tray,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.sync = sync
        self.settings = settings
        self.tray = tray
        self.setWindowTitle(APP_NAME)  # never a name, reference or address
        self.setAccessibleName(APP_NAME)
        self.launcher = FormLauncher(session, self)
        self.capture = CapturePage(session, self.launcher, self)
        self.followups = FollowUpsPage(session, self)
        self.followups.referrals.launcher = self.launcher  # its step forms close on lock too
        self.corrections = CaseOpener(session, self.launcher, self)
        self.enrol_panel = EnrolPanel(
            session.worker, skip_text="&Not now",
            later="Until then everything is kept on this laptop only.", parent=self,
        )
        self.sync_page = SyncPage(self.enrol_panel, self)
        self.reports = ReportsPage(session, self)
        self.status = SyncStatus(sync, self)
        self.banner = DueBanner(self)

        self.navigation = QListWidget(self)
        self.navigation.setObjectName("navigation")
        self.navigation.setAccessibleName("Pages")
        self.navigation.addItems([f"{page}  (Alt+{n + 1})" for n, page in enumerate(PAGES)])
        self.navigation.setFixedWidth(215)  # "Follow-ups  (Alt+2)" whole, at 13pt
        self.navigation.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.pages = QStackedWidget(self)
        for page in (self.capture, self.followups, self.sync_page, self.reports):
            self.pages.addWidget(page)
        self.navigation.currentRowChanged.connect(self.pages.setCurrentIndex)
        self.navigation.setCurrentRow(0)
        self._actions()
        self._gate_reports()

        body = QWidget(self)
        column = QVBoxLayout(body)
        column.addWidget(self.banner)
        row = QHBoxLayout()
        row.addWidget(self.navigation)
        row.addWidget(self.pages, 1)
        column.addLayout(row, 1)
        self.setCentralWidget(body)
        self.statusBar().addPermanentWidget(self.status)

        # Bound methods, not lambdas, for objects that outlive this window (the worker, the
        # sync controller): Qt drops those connections when the window is deleted at lock.
        session.notice.connect(self._notice)
        session.worker.changed.connect(self._changed)
        session.worker.failed.connect(self._failure)
        self.followups.record_callback.connect(self._record_callback)
        self.capture.put_right.connect(self.corrections.open_case)
        self.followups.put_right.connect(self.corrections.open_case)
        self.followups.merge_households.connect(self.corrections.open_merge)
        self.followups.accept_join.connect(self.corrections.open_accept)
        self.followups.split_households.connect(self.corrections.open_split)
        self.banner.show_requested.connect(self._show_due)
        self.sync_page.correct.connect(self._correct)
        self.sync_page.dismiss.connect(self._dismiss)
        self.sync_page.send_again.connect(self._send_again)
        self.enrol_panel.enrolled.connect(self._enrolled)
        self.enrol_panel.skipped.connect(lambda: self.navigation.setCurrentRow(0))
        sync.finished.connect(self._synced)
        sync.failed.connect(self._sync_failed)
        sync.retrying.connect(self._sync_retrying)
        # Statuses (due today, overdue) are worked out for a London day: when it turns over
        # with the app open, the list is read again.
        self._day = session.today()
        self._day_timer = QTimer(self)
        self._day_timer.setInterval(60_000)
        self._day_timer.timeout.connect(self._check_day)
        self._day_timer.start()
        geometry = settings.value(GEOMETRY_KEY)
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        room = (self.screen().availableGeometry() if self.screen() else None)
        if not isinstance(geometry, QByteArray) or (
            room is not None and not room.contains(self.frameGeometry())
        ):
            fit_to_screen(self, MAIN_SIZE)  # saved on a bigger screen, or never saved

    def _actions(self) -> None:
        """Every action in the menu bar, which shows its shortcut beside it."""
        menu = self.menuBar().addMenu("&File")

        def add(text: str, keys: QKeySequence | QKeySequence.StandardKey, slot: object) -> None:
            action = QAction(text, self)
            action.setShortcut(keys)
            action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
            action.triggered.connect(slot)
            menu.addAction(action)
            self.addAction(action)

        add("&New occurrence", QKeySequence.StandardKey.New, self._new_occurrence)
        add("&Find an occurrence", QKeySequence.StandardKey.Find, self._find)
        add("&Sync now", QKeySequence("F5"), self.sync.sync_now)
        add("&Lock", QKeySequence("Ctrl+L"), self.lock_requested)
        add("&Quit", QKeySequence("Ctrl+Q"), self.quit_requested)  # StandardKey.Quit: none on some
        menu = self.menuBar().addMenu("&Go to")
        for n in range(len(PAGES)):
            add(f"&{PAGES[n]}", QKeySequence(f"Alt+{n + 1}"), lambda *_, n=n: self.show_page(n))
        self._page_actions = menu.actions()
        more = self.menuBar().findChild(QToolButton, "qt_menubar_ext_button")
        if more is not None:  # shown when a narrow window hides some menus
            more.setAccessibleName("More menus")

    # ----------------------------------------------------------------- life cycle

    def start(self) -> None:
        """After unlock: load the lists, say what is due, start syncing if enrolled."""
        self.followups.reload()
        self.capture.refresh_shortlist()
        self.session.run(read_place, self._resume)
        today = self.session.today()
        self.session.run(lambda store: store.totals(today), self._announce_due)
        self.session.run(read_facts, self._facts_at_start)

    def _resume(self, place: Place) -> None:
        self.capture.resume(place)
        self.corrections.reopen(place.forms)  # the corrections open at the lock

    def _check_day(self) -> None:
        today = self.session.today()
        if today != self._day:
            self._day = today
            self.followups.reload()
            self.session.run(lambda store: store.totals(today), self._announce_due)

    def _facts_at_start(self, facts: SyncFacts) -> None:
        self._show_facts(facts)
        self.sync.start(facts.endpoint)

    def _announce_due(self, totals: Totals) -> None:
        message = due_message(totals)
        self.banner.announce(message)
        if message:
            self.tray.announce("Call-backs due", message)

    def clear_all(self) -> None:
        """On lock: forms write their drafts and close, and every view forgets what it held."""
        self._day_timer.stop()
        place = self.capture.place()
        self.session.run(lambda store: keep_place(store, place))  # queued ahead of the lock
        self.launcher.close_all()
        self.corrections.close_all()
        self.capture.clear()
        self.followups.clear()
        self.sync_page.clear()
        self.reports.clear()
        self.status.clear()
        self.banner.announce("")
        self.statusBar().clearMessage()

    def save_geometry(self) -> None:
        self.settings.setValue(GEOMETRY_KEY, self.saveGeometry())

    def closeEvent(self, event: QCloseEvent) -> None:
        event.ignore()  # the controller decides: flush drafts, lock, then quit
        self.quit_requested.emit()

    # ----------------------------------------------------------------- navigation

    def show_page(self, index: int) -> None:
        if not self.navigation.item(index).isHidden():
            self.navigation.setCurrentRow(index)

    def _gate_reports(self) -> None:
        """Reports only for those allowed them: hidden from the list and its shortcut too."""
        allowed = reports_allowed(self.session.identity)
        self.navigation.item(REPORTS).setHidden(not allowed)
        self._page_actions[REPORTS].setVisible(allowed)
        self.reports.set_allowed(allowed)
        if not allowed and self.navigation.currentRow() == REPORTS:
            self.navigation.setCurrentRow(0)

    def _new_occurrence(self) -> None:
        self.show_page(0)
        self.capture.new_occurrence()

    def _find(self) -> None:
        self.show_page(0)
        self.raise_()
        self.activateWindow()
        self.capture.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.capture.search.selectAll()

    def _show_due(self) -> None:
        self.show_page(1)
        labels = [label for label, _ in TABS]
        self.followups.tabs.setCurrentIndex(labels.index("Due today"))

    def _record_callback(self, household_id: str, about: str) -> None:
        self.launcher.open(DraftKey("callback", household_id), about)

    # ----------------------------------------------------------------- changes and sync

    def _notice(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    def _failure(self, text: str) -> None:
        self.statusBar().showMessage(text, 15000)

    def _changed(self, changes: Changes) -> None:
        self.session.run(read_facts, self._facts_after_change)

    def _facts_after_change(self, facts: SyncFacts) -> None:
        """A saved record goes out within seconds when the endpoint answers, not at the next
        timed sync. (A pulled page's changes come here too: then nothing is waiting.)"""
        self._show_facts(facts)
        if facts.waiting and self.sync.enrolled:
            self.sync.sync_now()

    def refresh_facts(self) -> None:
        self.session.run(read_facts, self._show_facts)

    def _show_facts(self, facts: SyncFacts) -> None:
        self.status.show_facts(facts)
        self.sync_page.show_facts(facts)

    def _synced(self, summary: SyncSummary) -> None:
        self.status.show_success()
        self.sync_page.show_summary(summary)
        self.statusBar().showMessage("Sync finished.", 8000)
        # The follow-ups list heard of each pulled page's changes as they were applied.
        if summary.pulled or summary.pushed:
            self.capture.refresh()
            self.reports.mark_stale()
        self.refresh_facts()

    def _sync_failed(self, message: str) -> None:
        self.sync_page.show_failure(message)
        self.statusBar().showMessage(message, 15000)
        self.refresh_facts()

    def _sync_retrying(self, seconds: float, message: str | None) -> None:
        now = self.session.clock()
        text = retry_message(now, now + timedelta(seconds=seconds), message)
        self.status.show_failure(text)
        self.sync_page.show_retry(text)
        self.statusBar().showMessage(text, 15000)

    def _correct(self, event: Event) -> None:
        key = DraftKey.correcting(event)
        if key is None:
            self.statusBar().showMessage(
                "This kind of record cannot be put right here: ask your supervisor.", 15000
            )
            return
        form = self.launcher.open(key, "Putting right a record the central system refused.",
                                  prefill=event)
        form.saved.connect(lambda _: self._dismiss(event.id))

    def _dismiss(self, event_id: str) -> None:
        self.session.run(
            lambda store: mark_handled(store, event_id), lambda _: self.refresh_facts()
        )

    def _send_again(self, event_id: str) -> None:
        self.session.run(
            lambda store: store.send_again([event_id]), lambda _: self.refresh_facts()
        )

    def _enrolled(self, identity: Identity) -> None:
        self.session.identity = identity
        self._gate_reports()
        self.statusBar().showMessage(f"Enrolled. Records are made as officer {identity.author}.")
        self.session.run(read_facts, self._facts_at_start)

