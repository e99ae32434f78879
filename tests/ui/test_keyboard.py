"""The start screens by keyboard: Enter submits, Alt shortcuts, Caps Lock, why it locked."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMenu
from pytestqt.qtbot import QtBot
from ui_support import PASSPHRASE, FixedClock, wait_idle

from fieldapp.store import Profiles
from fieldapp.ui.controller import AppController
from fieldapp.ui.start import StartWindow

ALT = Qt.KeyboardModifier.AltModifier


def _at_focus(key: Qt.Key, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
              ) -> None:
    widget = QApplication.focusWidget()
    assert widget is not None
    QTest.keyClick(widget, key, modifiers)


def _at_new_profile(qtbot: QtBot, controller: AppController) -> StartWindow:
    controller.start()
    start = controller.start_window
    qtbot.waitUntil(lambda: start.pages.currentWidget() is start.new_profile)
    return start


def test_a_profile_is_made_and_enrolment_skipped_by_keyboard_alone(
    qtbot: QtBot, controller: AppController
) -> None:
    start = _at_new_profile(qtbot, controller)
    start.activateWindow()
    qtbot.waitUntil(start.isActiveWindow)
    QTest.keyClicks(QApplication.focusWidget(), "1234")
    _at_focus(Qt.Key.Key_Tab)
    QTest.keyClicks(QApplication.focusWidget(), PASSPHRASE)
    _at_focus(Qt.Key.Key_Tab)
    QTest.keyClicks(QApplication.focusWidget(), PASSPHRASE)
    _at_focus(Qt.Key.Key_Return)  # Enter creates the profile
    qtbot.waitUntil(lambda: start.pages.currentWidget() is start.enrol, timeout=10_000)
    _at_focus(Qt.Key.Key_T, ALT)  # Force certificate
    assert QApplication.focusWidget() is start.enrol.ca_bundle
    _at_focus(Qt.Key.Key_O, ALT)  # Stay offline for now
    qtbot.waitUntil(lambda: controller.main is not None)
    wait_idle(qtbot, controller.worker)
    main = controller.main
    assert main is not None
    # Every menu action shows its shortcut beside it.
    menus = [m.menu() for m in main.menuBar().actions()]
    actions = [a for menu in menus if isinstance(menu, QMenu)
               for a in menu.actions() if a.isVisible()]
    assert actions
    assert [a.text() for a in actions if a.shortcut().isEmpty()] == []


def test_the_passphrase_fields_warn_when_caps_lock_is_on(
    qtbot: QtBot, controller: AppController
) -> None:
    start = _at_new_profile(qtbot, controller)
    page = start.new_profile
    QTest.keyClicks(page.passphrase, "ORANGE")  # capitals without Shift: Caps Lock is on
    assert page.caps.isVisibleTo(start)
    assert "Caps Lock is on" in page.caps.text()
    QTest.keyClicks(page.passphrase, "k", Qt.KeyboardModifier.ShiftModifier)
    assert page.caps.isVisibleTo(start)  # Shift with Caps Lock on types lower case
    QTest.keyClicks(page.repeat, "o")
    assert not page.caps.isVisibleTo(start)


def test_after_the_idle_minutes_the_unlock_screen_says_why_it_locked(
    qtbot: QtBot, profiles: Profiles, clock: FixedClock, tmp_path: Path
) -> None:
    profiles.create("1234", PASSPHRASE).close()
    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    settings.setValue("start/last_profile", "1234")
    controller = AppController(profiles, settings, clock=clock, idle_minutes=0.01)
    qtbot.addWidget(controller.start_window)
    try:
        controller.start()
        start = controller.start_window
        qtbot.waitUntil(lambda: start.pages.currentWidget() is start.unlock)
        assert not start.unlock.why.isVisibleTo(start)
        QTest.keyClicks(start.unlock.passphrase, PASSPHRASE)
        QTest.keyClick(start.unlock.passphrase, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: controller.main is not None, timeout=10_000)
        qtbot.waitUntil(lambda: controller.locked, timeout=10_000)
        assert start.unlock.why.isVisibleTo(start)
        assert start.unlock.why.text().startswith("Locked after 0.01 minutes without use.")
    finally:
        controller.quit()
