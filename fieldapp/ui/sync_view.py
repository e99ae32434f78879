"""Sync in view: online or not, the last sync, records waiting, progress, and what changed.

`AutoSync` runs on its own thread and probes the endpoint with backoff; each sync it starts
runs there too, its network waits off the database worker, and each store call sent to the
worker as an op of its own (`WorkerStore`).
Its callbacks arrive here as Qt signals, queued to the UI thread.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import QObject, Qt, Signal, SignalInstance
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fieldapp.domain.events import Event
from fieldapp.domain.policy import LONDON
from fieldapp.domain.problems import Problem, parse_utc
from fieldapp.resources import load_catalogue, load_policy
from fieldapp.store import Store
from fieldapp.sync.auto import AutoSync, AutoSyncCallbacks
from fieldapp.sync.client import (
    SETTING_CA,
    SETTING_LAST,
    SETTING_PIN,
    SETTING_URL,
    SyncClient,
    SyncProgress,
    SyncStore,
    SyncSummary,
    endpoint_reachable,
)
from fieldapp.sync.protocol import DeviceWipe, SyncError
from fieldapp.sync.transport import Transport
from fieldapp.ui.ops import DbWorker, Locked, describe, log_safely
from fieldapp.ui.sync_store import WorkerStore
from fieldapp.ui.text import EVENT_LABELS, moment, plural

log = logging.getLogger(__name__)

HANDLED_SETTING = "ui.rejected_handled"
AUTO_INTERVAL_SECONDS = 600.0


@dataclass(frozen=True)
class Endpoint:
    url: str
    ca_bundle: str | None
    pin_sha256: str | None


@dataclass(frozen=True)
class SyncFacts:
    """What the status bar and the Sync page show, read in one op."""

    endpoint: Endpoint | None
    waiting: int
    last: datetime | None
    rejected: tuple[tuple[Event, tuple[Problem, ...]], ...]


def handled_ids(store: Store) -> set[str]:
    try:
        return set(json.loads(store.get_setting(HANDLED_SETTING) or "[]"))
    except (ValueError, TypeError):
        return set()


def mark_handled(store: Store, event_id: str) -> None:
    store.set_setting(HANDLED_SETTING, json.dumps(sorted(handled_ids(store) | {event_id})))


def read_facts(store: Store) -> SyncFacts:
    url = store.get_setting(SETTING_URL)
    endpoint = (
        Endpoint(url, store.get_setting(SETTING_CA), store.get_setting(SETTING_PIN))
        if url
        else None
    )
    handled = handled_ids(store)
    return SyncFacts(
        endpoint=endpoint,
        waiting=store.outbox_count(),
        last=parse_utc(store.get_setting(SETTING_LAST)),
        rejected=tuple((e, p) for e, p in store.rejected() if e.id not in handled),
    )


def run_sync(
    store: SyncStore, progress: Callable[[SyncProgress], None], cancelled: Callable[[], bool]
) -> SyncSummary:
    client = SyncClient.from_settings(store, policy=load_policy(), catalogue=load_catalogue())
    try:
        return client.run_once(progress, cancelled)
    finally:
        client.transport.close()


def retry_message(failed_at: datetime, next_try: datetime, message: str | None) -> str:
    """What the status bar and the Sync page say until a sync succeeds again."""
    at, then = (t.astimezone(LONDON).strftime("%H:%M") for t in (failed_at, next_try))
    if message is None:
        return f"Could not reach the endpoint at {at}; next try {then}."
    return f"Sync did not finish at {at}: {message} Next try {then}."


def summarise(summary: SyncSummary) -> str:
    """What a sync changed, in a few plain sentences."""
    parts = [f"Sent {summary.pushed} and received {summary.pulled} records."]
    if summary.tasks_created or summary.tasks_closed:
        text = f"{plural(len(summary.tasks_created), 'new call-back')}, " \
            f"{len(summary.tasks_closed)} closed"
        if summary.tasks_done_elsewhere:
            text += f" ({len(summary.tasks_done_elsewhere)} done on another laptop)"
        parts.append(text + ".")
    if summary.conflicts_new:
        parts.append(f"{plural(len(summary.conflicts_new), 'new conflict')} to check.")
    if summary.rejected:
        parts.append(
            f"{plural(len(summary.rejected), 'record was', 'records were')} refused: "
            "see the list on the Sync page."
        )
    if summary.erased:
        parts.append(
            f"{plural(len(summary.erased), 'old record was', 'old records were')} erased "
            "under the force's retention rules."
        )
    if summary.skew_flagged and summary.clock_skew_seconds is not None:
        minutes = round(abs(summary.clock_skew_seconds) / 60)
        parts.append(
            f"This laptop's clock is about {plural(minutes, 'minute')} off the central "
            "system's, so records made with it are flagged. Ask IT to check the clock."
        )
    return " ".join(parts)


class SyncController(QObject):
    """Starts and stops automatic sync for the unlocked profile; lives as long as the app."""

    progressed = Signal(object)  # SyncProgress
    finished = Signal(object)  # SyncSummary
    failed = Signal(str)
    reachable = Signal(bool)
    retrying = Signal(float, object)  # seconds to the next try; the failure's message or None
    running_changed = Signal(bool)
    wipe_ordered = Signal(str)  # the endpoint ordered this profile wiped; officer wording

    def __init__(self, worker: DbWorker[Store], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self._auto: AutoSync | None = None
        self._generation = 0  # callbacks from a stopped AutoSync's thread are dropped
        self.running = False
        self.running_changed.connect(self._set_running)

    def start(self, endpoint: Endpoint | None) -> None:
        self.stop()
        if endpoint is None:
            return
        self._generation += 1
        generation = self._generation
        transport = Transport(
            endpoint.url, ca_bundle=endpoint.ca_bundle, pin_sha256=endpoint.pin_sha256
        )

        def relay(signal: SignalInstance) -> Callable[[object], None]:
            def emit(value: object) -> None:
                if generation == self._generation:
                    signal.emit(value)

            return emit

        self._auto = AutoSync(
            self._run,
            lambda: endpoint_reachable(transport),
            AutoSyncCallbacks(
                progress=relay(self.progressed),
                finished=relay(self.finished),
                failed=lambda error: relay(
                    self.wipe_ordered if isinstance(error, DeviceWipe) else self.failed
                )(error.message),
                reachable=relay(self.reachable),
                retrying=lambda seconds, message: (
                    self.retrying.emit(seconds, message) if generation == self._generation
                    else None
                ),
            ),
            interval=AUTO_INTERVAL_SECONDS,
        )
        self._auto.start()

    def _run(
        self, progress: Callable[[SyncProgress], None], cancelled: Callable[[], bool]
    ) -> SyncSummary:
        """Called on AutoSync's thread; store calls go to the database worker one by one."""
        self.running_changed.emit(True)
        try:
            return run_sync(WorkerStore(self.worker), progress, cancelled)
        except SyncError:
            raise
        except Locked as error:
            raise SyncError(str(error), retryable=False) from error
        except Exception as error:  # AutoSync stops on anything but a SyncError
            log_safely(error)
            raise SyncError(describe(error), retryable=False) from error
        finally:
            # The app may have quit while the sync ran (it runs on): then nobody is told.
            with contextlib.suppress(RuntimeError):
                self.running_changed.emit(False)

    def _set_running(self, running: bool) -> None:
        self.running = running

    @property
    def enrolled(self) -> bool:
        """Whether automatic sync runs (the profile is enrolled with an endpoint)."""
        return self._auto is not None

    def sync_now(self) -> None:
        if self._auto is None:
            self.failed.emit("This laptop is not enrolled: it works offline only.")
            return
        self._auto.sync_now()

    def cancel(self) -> None:
        if self._auto is not None:
            self._auto.cancel()

    def stop(self) -> None:
        """Stops without waiting: a sync under way ends at its next request."""
        if self._auto is not None:
            self._generation += 1
            self._auto.stop(timeout=0)
            self._auto = None
            self.running = False


class SyncStatus(QWidget):
    """For the status bar: online or not, the last sync, what is waiting, and a sync button."""

    def __init__(self, controller: SyncController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.setAccessibleName("Sync status")
        self.connection = QLabel("Offline only", self)
        self.connection.setAccessibleName("Connection")
        self.last = QLabel("Never synced", self)
        self.last.setAccessibleName("Last sync")
        self._failure = ""
        self.waiting = QLabel(self)
        self.waiting.setAccessibleName("Records waiting to be sent")
        self.progress = QProgressBar(self)
        self.progress.setAccessibleName("Sync progress")
        self.progress.setMaximumWidth(160)
        self.progress.hide()
        self.sync_button = QPushButton("Sync now (F5)", self)
        self.sync_button.setAccessibleName("Sync now")
        self.cancel_button = QPushButton("Stop", self)
        self.cancel_button.setAccessibleName("Stop the sync")
        self.cancel_button.hide()
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for widget in (self.connection, self.last, self.waiting, self.progress,
                       self.sync_button, self.cancel_button):
            row.addWidget(widget)
        self.sync_button.clicked.connect(controller.sync_now)
        self.cancel_button.clicked.connect(controller.cancel)
        controller.progressed.connect(self.show_progress)
        controller.running_changed.connect(self.show_running)
        controller.reachable.connect(self.show_reachable)

    def show_facts(self, facts: SyncFacts) -> None:
        if facts.endpoint is None:
            self.connection.setText("Offline only (not enrolled)")
        elif self.connection.text().startswith("Offline only"):
            self.connection.setText("Connecting…")
        # A failure stays in view until a sync succeeds, not the last success's time.
        if self._failure:
            self.last.setText(self._failure)
        else:
            self.last.setText(f"Last sync {moment(facts.last)}" if facts.last else "Never synced")
        self.waiting.setText(f"{plural(facts.waiting, 'record')} waiting to send")
        self.sync_button.setEnabled(facts.endpoint is not None)

    def show_reachable(self, online: bool) -> None:
        self.connection.setText("Online" if online else "Offline (no connection)")

    def show_failure(self, text: str) -> None:
        """Until the next success (`show_success`), say that sync failed and when it retries."""
        self._failure = text
        self.last.setText(text)

    def show_success(self) -> None:
        self._failure = ""

    def show_running(self, running: bool) -> None:
        self.progress.setVisible(running)
        self.cancel_button.setVisible(running)
        self.sync_button.setEnabled(not running)
        if running:
            self.progress.setRange(0, 0)

    def show_progress(self, progress: SyncProgress) -> None:
        verb = "Sending" if progress.phase == "push" else "Receiving"
        self.progress.setFormat(f"{verb} %v of %m")
        self.progress.setRange(0, max(progress.total, progress.done, 1))
        self.progress.setValue(progress.done)

    def clear(self) -> None:
        self._failure = ""
        self.last.setText("")
        self.waiting.setText("")
        self.show_running(False)


class SyncPage(QWidget):
    """The last sync's summary, and records the central system refused, to put right."""

    correct = Signal(object)  # the refused Event
    dismiss = Signal(str)  # its id
    send_again = Signal(str)  # its id

    def __init__(self, enrol_panel: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Sync")
        self.enrol_panel = enrol_panel
        self.summary = QLabel("No sync yet since unlocking.", self)
        self.summary.setAccessibleName("What the last sync changed")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.rejected = QListWidget(self)
        self.rejected.setAccessibleName("Records the central system refused")
        self.rejected.setWordWrap(True)
        self.correct_button = QPushButton("&Put it right…", self)
        self.correct_button.setAccessibleName("Put the refused record right")
        self.dismiss_button = QPushButton("&Dismiss", self)
        self.dismiss_button.setAccessibleName("Dismiss the refused record")
        self.again_button = QPushButton("Send it a&gain", self)
        self.again_button.setAccessibleName("Send the refused record again")
        self.again_button.setToolTip(
            "Only if IT says the central system has been updated to accept it."
        )
        self.correct_button.clicked.connect(self._correct)
        self.dismiss_button.clicked.connect(self._dismiss)
        self.again_button.clicked.connect(self._send_again)
        self.rejected.itemActivated.connect(lambda _: self._correct())
        buttons = QHBoxLayout()
        buttons.addWidget(self.correct_button)
        buttons.addWidget(self.dismiss_button)
        buttons.addWidget(self.again_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<h2>Sync</h2>", self))
        layout.addWidget(self.enrol_panel)
        layout.addWidget(self.summary)
        layout.addWidget(QLabel("<b>Refused by the central system</b>", self))
        layout.addWidget(self.rejected, 1)
        layout.addLayout(buttons)

    def show_facts(self, facts: SyncFacts) -> None:
        self.enrol_panel.setVisible(facts.endpoint is None)
        self.rejected.clear()
        for event, problems in facts.rejected:
            reasons = " ".join(p.message for p in problems)
            item = QListWidgetItem(
                f"{EVENT_LABELS[event.type]} recorded {moment(event.occurred_at)}: {reasons}",
                self.rejected,
            )
            item.setData(Qt.ItemDataRole.UserRole, event)
        for button in (self.correct_button, self.dismiss_button, self.again_button):
            button.setEnabled(bool(facts.rejected))

    def show_summary(self, summary: SyncSummary) -> None:
        self.summary.setText(summarise(summary))

    def show_failure(self, message: str) -> None:
        self.summary.setText(f"The last sync did not finish: {message}")

    def show_retry(self, text: str) -> None:
        """A failure and the next try (retry_message), in place of the last summary."""
        self.summary.setText(text)

    def _chosen(self) -> Event | None:
        item = self.rejected.currentItem()
        event = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        return event if isinstance(event, Event) else None

    def _correct(self) -> None:
        event = self._chosen()
        if event is not None:
            self.correct.emit(event)

    def _dismiss(self) -> None:
        event = self._chosen()
        if event is not None:
            self.dismiss.emit(event.id)

    def _send_again(self) -> None:
        event = self._chosen()
        if event is not None:
            self.send_again.emit(event.id)

    def clear(self) -> None:
        self.summary.setText("")
        self.rejected.clear()
