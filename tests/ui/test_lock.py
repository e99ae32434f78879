"""Locking: on demand and when idle; every view is cleared, the store dropped, drafts kept."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QSettings, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from ui_support import FixedClock, first_run, record_a_call_back, unlock, wait_idle

from fieldapp.domain.projection import Changes
from fieldapp.domain.views import Conflict
from fieldapp.store import Profiles
from fieldapp.ui.controller import AppController
from fieldapp.ui.followups_conflicts import Named
from fieldapp.ui.launcher import DraftKey
from fieldapp.ui.widgets import ErrorLabel


def test_ctrl_l_clears_every_view_drops_the_store_and_keeps_the_draft(
    qtbot: QtBot, controller: AppController
) -> None:
    main = first_run(qtbot, controller)
    record_a_call_back(qtbot, controller)
    qtbot.waitUntil(lambda: main.followups.model.rowCount() == 1)
    main.capture.open(main.followups.model.row_at(0).occurrence_id)  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: main.capture.panel.households.count() == 1)
    form = main.launcher.open(DraftKey("leaflets", main.capture.current.occurrence.id))  # type: ignore[union-attr]
    qtbot.keyClicks(form.person, "Half typed")  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: main.followups.loaded)
    main.followups.conflicts_model.set_rows(
        [Named(Conflict("k", "offer_outcomes_differ", "h", (), "Kept."), "13/1/26")]
    )

    main.activateWindow()
    qtbot.waitUntil(main.isActiveWindow)
    qtbot.keyClick(main.capture.search, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert controller.locked
    assert not controller.worker.is_open
    assert main.followups.model.rowCount() == 0 and main.followups.model.total == 0
    assert main.followups.conflicts_model.rowCount() == 0
    assert main.capture.current is None and main.capture.panel.households.count() == 0
    assert main.capture.results.count() == 0
    assert main.launcher.open_forms == {}
    assert main.isHidden()
    assert not controller.idle.active
    wait_idle(qtbot, controller.worker)

    unlock(qtbot, controller)
    assert controller.main is not None and controller.main is not main
    again = controller.main
    qtbot.waitUntil(lambda: again.followups.model.rowCount() == 1)
    # Back where the officer was: the occurrence, and the form open with what was typed.
    qtbot.waitUntil(lambda: again.capture.current is not None)
    assert again.capture.panel.heading.text() == "Occurrence 13/42/26"
    qtbot.waitUntil(lambda: len(again.launcher.open_forms) == 1)
    [restored] = again.launcher.open_forms.values()
    qtbot.waitUntil(lambda: restored.person.text() == "Half typed")  # type: ignore[attr-defined]
    assert restored.problem_text("") == ""
    assert not any(e.isVisibleTo(restored) for e in restored.findChildren(ErrorLabel))
    # The draft is listed by its form, occurrence reference (and address, for a household).
    qtbot.waitUntil(lambda: any(
        again.capture.results.item(n).text() == "Draft leaflets issued: 13/42/26"
        for n in range(again.capture.results.count())
    ))
    restored.reject()
    wait_idle(qtbot, controller.worker)
    draft = next(n for n in range(again.capture.results.count())
                 if "Draft" in again.capture.results.item(n).text())
    again.capture.results.itemActivated.emit(again.capture.results.item(draft))
    wait_idle(qtbot, controller.worker)
    [reopened] = again.launcher.open_forms.values()
    qtbot.waitUntil(lambda: reopened.person.text() == "Half typed")  # type: ignore[attr-defined]
    assert not any(e.isVisibleTo(reopened) for e in reopened.findChildren(ErrorLabel))


def test_a_wrong_passphrase_is_refused_and_repeated_tries_slow_down(
    qtbot: QtBot, controller: AppController
) -> None:
    first_run(qtbot, controller)
    controller.lock()
    for _ in range(4):
        unlock(qtbot, controller, "not the passphrase")
        assert controller.locked
        assert "not right" in controller.start_window.unlock.message.text()
    unlock(qtbot, controller, "not the passphrase")
    assert "Too many wrong passphrases" in controller.start_window.unlock.message.text()
    assert not controller.start_window.unlock.unlock_button.isEnabled()


def test_the_profile_locks_itself_after_the_idle_minutes_but_not_while_in_use(
    qtbot: QtBot, profiles: Profiles, clock: FixedClock, tmp_path: Path
) -> None:
    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    controller = AppController(profiles, settings, clock=clock, idle_minutes=0.01)  # 600 ms
    qtbot.addWidget(controller.start_window)
    try:
        main = first_run(qtbot, controller)
        assert controller.idle.interval_ms == 600
        for _ in range(10):  # a second and a half of typing keeps it open
            qtbot.keyClick(main.capture.search, Qt.Key.Key_A)
            qtbot.wait(150)
        assert not controller.locked
        qtbot.waitUntil(lambda: controller.locked, timeout=3000)
        assert not controller.worker.is_open
    finally:
        controller.quit()


def test_the_default_idle_time_comes_from_the_policy(
    qtbot: QtBot, profiles: Profiles, tmp_path: Path
) -> None:
    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    controller = AppController(profiles, settings)
    qtbot.addWidget(controller.start_window)
    assert controller.idle.interval_ms == 5 * 60_000
    controller.quit()


def test_lock_clears_a_clipboard_the_app_filled(qtbot: QtBot, controller: AppController) -> None:
    main = first_run(qtbot, controller)
    main.capture.search.setText("13/42/26")
    main.capture.search.selectAll()
    main.capture.search.copy()
    clipboard = QGuiApplication.clipboard()
    assert clipboard.text() == "13/42/26"
    controller.lock()
    QApplication.processEvents()
    assert clipboard.text() == ""


def test_signals_from_what_outlives_a_lock_reach_no_deleted_window(
    qtbot: QtBot, controller: AppController
) -> None:
    first_run(qtbot, controller)
    controller.lock()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    controller.worker.failed.emit("after the lock")
    controller.worker.changed.emit(Changes(households=frozenset({"h"})))
    controller.sync.failed.emit("after the lock")
    controller.sync.finished.emit(None)
    controller.sync.reachable.emit(True)
