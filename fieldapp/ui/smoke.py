"""`fieldapp --smoke-test --home DIR`: proves an installed bundle works, headless, in seconds.

It reads a passphrase from the first line of standard input, creates the profile `smoke`
under DIR (or unlocks it if it is there), saves one record through the same path as a form
and reads it back, works out a call-back date across a bank holiday, then shows the main
window (offscreen under QT_QPA_PLATFORM=offscreen) and renders it. Each of those fails in a
bundle that lacks a part: SQLCipher, the resources, the holidays data, a Qt plugin.

DIR is required, so it never touches an officer's profile. What it prints names steps only.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEventLoop, QSettings
from PySide6.QtWidgets import QApplication

from fieldapp.domain.events import EventType
from fieldapp.resources import load_districts, load_policy, recovery_public_key, resources_dir
from fieldapp.store import Profiles, Store
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.ops import DbWorker
from fieldapp.ui.session import Capture, Session, identify, new_id, record, utc_now
from fieldapp.ui.sync_view import SyncController
from fieldapp.ui.tray import Tray

PROFILE = "smoke"
TIMEOUT_SECONDS = 60.0
# 21 days after Friday 4 December 2026 is Christmas Day; Boxing Day falls on a Saturday, so
# its substitute bank holiday is Monday 28th and the call-back rolls to Tuesday 29th.
OFFERED_AT = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
EXPECTED_DUE = date(2026, 12, 29)

Submit = Callable[[Callable[[Any], object], Callable[[BaseException], object]], None]


class SmokeTestFailed(Exception):
    pass


def _wait(app: QApplication, submit: Submit) -> Any:
    """Sends one op to the database worker and runs the event loop until it answers."""
    outcome: list[tuple[bool, Any]] = []
    submit(lambda value: outcome.append((True, value)),
           lambda error: outcome.append((False, error)))
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while not outcome:
        if time.monotonic() > deadline:
            raise SmokeTestFailed("the database worker did not answer in time")
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
    ok, value = outcome[0]
    if not ok:
        raise value
    return value


def _save_and_read_back(store: Store) -> None:
    identity = identify(store)
    now = utc_now()
    occurrence_id = new_id()
    payload = {"reference": "13/000001/26", "offence_types": ["iioc"],
               "oic": identity.author, "district": load_districts().names[0]}
    capture = Capture(EventType.OCCURRENCE_RECORDED, occurrence_id, payload,
                      occurred_at=now - timedelta(minutes=1))
    record(store, capture, identity, now)
    saved = store.occurrence(occurrence_id)
    if saved is None or saved.reference != payload["reference"]:
        raise SmokeTestFailed("the record saved was not read back")


def run(app: QApplication, home: Path) -> int:
    try:
        _run(app, home)
    except Exception as error:
        print(f"smoke test FAILED: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    print("smoke test passed")
    return 0


def _run(app: QApplication, home: Path) -> None:
    if sys.stdin is None:  # a Windows program without a console, started with no input
        raise SmokeTestFailed("give the passphrase on standard input")
    passphrase = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
    if not passphrase:
        raise SmokeTestFailed("give the passphrase on the first line of standard input")
    print(f"resources found in {resources_dir()}")
    icon = app.windowIcon().pixmap(64, 64)
    if icon.isNull():
        raise SmokeTestFailed("the app icon (SVG) could not be drawn")
    print("app icon drawn")

    profiles = Profiles(utc_now, home, recovery_public_key=recovery_public_key())
    existing = PROFILE in profiles.names()
    worker: DbWorker[Store] = DbWorker()
    try:
        opener = (lambda: profiles.unlock(PROFILE, passphrase)) if existing else (
            lambda: profiles.create(PROFILE, passphrase))
        _wait(app, lambda done, failed: worker.open(opener, done, failed))
        print(f"profile {'unlocked' if existing else 'created'} (SQLCipher)")
        print(f"force recovery key of the profile: {profiles.recovery_key_id(PROFILE) or 'none'}")
        _wait(app, lambda done, failed: worker.run(_save_and_read_back, done, failed))
        print("record saved and read back")

        due = load_policy().first_due(OFFERED_AT)
        if due != EXPECTED_DUE:
            raise SmokeTestFailed(f"call-back due {due}, expected {EXPECTED_DUE}")
        print("call-back date rolled past the bank holidays")

        identity = _wait(app, lambda done, failed: worker.run(identify, done, failed))
        settings = QSettings(str(home / "smoke-settings.ini"), QSettings.Format.IniFormat)
        sync = SyncController(worker)
        window = MainWindow(Session(worker, identity), sync, settings, Tray())
        window.show()
        window.start()
        # The window's first reads are queued behind this one on the same worker.
        _wait(app, lambda done, failed: worker.run(lambda store: None, done, failed))
        app.processEvents()
        if not window.isVisible() or window.grab().isNull():
            raise SmokeTestFailed("the main window was not drawn")
        print(f"main window drawn on the {QApplication.platformName()} platform")
        sync.stop()
        window.clear_all()
        window.hide()
    finally:
        worker.shutdown()
