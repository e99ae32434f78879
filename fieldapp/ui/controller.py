"""From start to quit: unlock, the main window, locking (idle, Ctrl+L, suspend) and quitting.

Locking closes every form (each writes its draft first), clears every view, stops sync and
closes the store on the database worker, in that order: the worker runs ops in the order
they were sent, so the drafts are written before the connection goes.
"""

from __future__ import annotations

import gc
from collections.abc import Callable

from PySide6.QtCore import QObject, QSettings, Qt
from PySide6.QtGui import QGuiApplication

from fieldapp.resources import load_policy
from fieldapp.store import Profiles, Store
from fieldapp.ui.lock import IdleLock
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.ops import DbWorker, describe
from fieldapp.ui.session import Clock, Identity, Session, utc_now
from fieldapp.ui.start import StartWindow
from fieldapp.ui.sync_view import SyncController
from fieldapp.ui.tray import Tray

LAST_PROFILE_KEY = "start/last_profile"


class AppController(QObject):
    def __init__(
        self,
        profiles: Profiles,
        settings: QSettings,
        *,
        clock: Clock = utc_now,
        idle_minutes: float | None = None,
        quit_app: Callable[[], None] = lambda: None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self.profiles = profiles
        self.clock = clock
        self.quit_app = quit_app
        self.worker: DbWorker[Store] = DbWorker(self)
        self.sync = SyncController(self.worker, self)
        self.sync.wipe_ordered.connect(self._wipe)
        self.tray = Tray(self)
        last = settings.value(LAST_PROFILE_KEY, "")
        self.start_window = StartWindow(profiles, self.worker, str(last or ""))
        self.start_window.ready.connect(self._unlocked)
        self.start_window.quit_requested.connect(self.quit)
        minutes = idle_minutes if idle_minutes is not None else load_policy().idle_lock_minutes
        self.idle = IdleLock(minutes, self)
        self.idle.expired.connect(self._idle_expired)
        self.idle_minutes = minutes
        self.tray.activated.connect(self._raise)
        self.main: MainWindow | None = None
        self.session: Session | None = None
        self._quitting = False
        self._copied = False
        QGuiApplication.clipboard().dataChanged.connect(self._clipboard_changed)

    def start(self) -> None:
        self.start_window.show_start()

    def _unlocked(self, profile: str, identity: Identity) -> None:
        self.settings.setValue(LAST_PROFILE_KEY, profile)
        self.session = Session(self.worker, identity, self.clock, self)
        self.main = MainWindow(self.session, self.sync, self.settings, self.tray)
        self.main.lock_requested.connect(self.lock)
        self.main.quit_requested.connect(self.quit)
        self.start_window.hide()
        self.main.show()
        self.main.start()
        self.idle.start()
        # What the unlocked app lives with (modules, its window and pages: ~65,000 objects)
        # moves out of the garbage collector's way. A full collection walked them all, and
        # one falls due while the follow-ups read 100,000 call-backs: 43-49 ms of CPU on
        # the worker, holding the GIL and so the UI thread; 4-5 ms with them frozen. They
        # are still freed when nothing refers to them; a cycle among them waits for the
        # lock, which hands them back to the collector.
        gc.freeze()

    @property
    def locked(self) -> bool:
        return self.main is None

    def _idle_expired(self) -> None:
        minutes = self.idle_minutes
        count = f"{minutes:g} minute" + ("" if minutes == 1 else "s")
        self.lock(f"Locked after {count} without use. Your work was kept: unlock to carry on.")

    def lock(self, why: str = "") -> None:
        if self.main is None:
            return
        self.idle.stop()
        self.sync.stop()
        main, self.main = self.main, None
        main.save_geometry()
        main.clear_all()
        main.hide()
        main.deleteLater()
        gc.unfreeze()
        if self.session is not None:
            self.session.deleteLater()
            self.session = None
        self.worker.close()
        clipboard = QGuiApplication.clipboard()
        if self._copied or clipboard.ownsClipboard():
            clipboard.clear()  # whatever was copied from a record goes with the lock
        self._copied = False
        if not self._quitting:
            self.start_window.show_unlock(self.start_window.profile, why)

    def quit(self) -> None:
        if self._quitting:
            return
        self._quitting = True
        self.lock()
        self.start_window.hide()
        self.tray.hide()
        self.worker.shutdown()
        self.quit_app()

    def _wipe(self, message: str) -> None:
        """The endpoint ordered this profile destroyed (a lost or stolen laptop): lock, then
        wipe it on the worker once the store is closed."""
        profile = self.start_window.profile
        self.lock()
        self.worker.call(
            lambda: self.profiles.wipe(profile),
            lambda _: self.start_window.show_start(message),
            lambda error: self.start_window.show_start(describe(error)),
        )

    def _clipboard_changed(self) -> None:
        # Not every platform says who owns the clipboard: a change made while this app is
        # in front and unlocked is taken to be a copy from it.
        active = QGuiApplication.applicationState() == Qt.ApplicationState.ApplicationActive
        if active and self.main is not None:
            self._copied = True

    def _raise(self) -> None:
        window = self.main or self.start_window
        window.show()
        window.raise_()
        window.activateWindow()
