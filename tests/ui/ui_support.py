"""Helpers for the desktop app's tests (fixtures are in conftest.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import uuid6
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from fieldapp.store import Store
from fieldapp.store.keys import KdfParams
from fieldapp.ui.controller import AppController
from fieldapp.ui.forms.base import CaptureForm
from fieldapp.ui.forms.household import HouseholdForm
from fieldapp.ui.forms.occurrence import OccurrenceForm
from fieldapp.ui.forms.vcas import OfferForm
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.ops import DbWorker
from fieldapp.ui.session import Session
from fieldapp.ui.widgets import ErrorLabel

# Tuesday 10 March 2026, 14:00 in London (GMT): a declined offer is due Tuesday 31 March.
NOW = datetime(2026, 3, 10, 14, tzinfo=UTC)
PASSPHRASE = "orange kettle harbour tundra"
FAST_KDF = KdfParams(iterations=1, lanes=1, memory_kib=8)
IDLE_MINUTES = 5.0


class FixedClock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def wait_idle(qtbot: QtBot, worker: DbWorker[Store], timeout: int = 10_000) -> None:
    qtbot.waitUntil(lambda: not worker.busy, timeout=timeout)


def save_form(qtbot: QtBot, form: CaptureForm) -> None:
    """Save, and for a form with a check before saving, confirm what it shows."""
    form.save()
    if form.reviewed:
        qtbot.waitUntil(lambda: form.reviewing or bool(form.problem_text("")) or any(
            not e.isHidden() for e in form.findChildren(ErrorLabel)), timeout=10_000)
        if form.reviewing:
            form.confirm()


def saved_occurrence(qtbot: QtBot, session: Session, reference: str = "13/5/26") -> str:
    """An occurrence saved through its real form; its id."""
    occurrence_id = str(uuid6.uuid7())
    form = OccurrenceForm(session, aggregate_id=occurrence_id, draft_key="occurrence")
    qtbot.addWidget(form)
    form.fill({"reference": reference, "offence_types": ["iioc"], "oic": "1234",
               "district": "Leeds"})
    with qtbot.waitSignal(form.saved):
        save_form(qtbot, form)
    return occurrence_id


def first_run(qtbot: QtBot, controller: AppController, name: str = "1234") -> MainWindow:
    controller.start()
    start = controller.start_window
    qtbot.waitUntil(lambda: start.pages.currentWidget() is start.new_profile)
    qtbot.keyClicks(start.new_profile.name, name)
    qtbot.keyClicks(start.new_profile.passphrase, PASSPHRASE)
    qtbot.keyClicks(start.new_profile.repeat, PASSPHRASE)
    qtbot.mouseClick(start.new_profile.create_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: start.pages.currentWidget() is start.enrol, timeout=10_000)
    qtbot.mouseClick(start.enrol.skip_button, Qt.MouseButton.LeftButton)
    assert controller.main is not None
    wait_idle(qtbot, controller.worker)
    return controller.main


def record_a_call_back(
    qtbot: QtBot, controller: AppController, reference: str = "13/42/26"
) -> None:
    """Occurrence, household and a declined offer, through the real forms."""
    main = controller.main
    assert main is not None
    main.capture.new_occurrence()
    occurrence = main.launcher.open_forms["occurrence"]
    occurrence.fill({"reference": reference, "offence_types": ["iioc"], "oic": "1234",
                     "district": "Leeds"})
    occurrence.save()
    qtbot.waitUntil(lambda: main.capture.current is not None)
    main.capture.add_household()
    household = next(f for f in main.launcher.open_forms.values() if isinstance(f, HouseholdForm))
    household.fill({"address": "4 Beck Side", "postcode": "LS6 2QQ",
                    "members": [{"relationship": "partner"}]})
    save_form(qtbot, household)
    qtbot.waitUntil(
        lambda: any(isinstance(f, OfferForm) for f in main.launcher.open_forms.values())
    )
    offer = next(f for f in main.launcher.open_forms.values() if isinstance(f, OfferForm))
    offer.outcome.button("declined").click()
    save_form(qtbot, offer)
    wait_idle(qtbot, controller.worker)


def unlock(qtbot: QtBot, controller: AppController, passphrase: str = PASSPHRASE) -> None:
    start = controller.start_window
    qtbot.waitUntil(lambda: start.pages.currentWidget() is start.unlock)
    qtbot.keyClicks(start.unlock.passphrase, passphrase)
    qtbot.keyClick(start.unlock.passphrase, Qt.Key.Key_Return)
    wait_idle(qtbot, controller.worker)


def unlock_existing(qtbot: QtBot, controller: AppController, name: str = "1234") -> MainWindow:
    """Start the app on a profile made beforehand, choose it and unlock it."""
    controller.start()
    start = controller.start_window
    qtbot.waitUntil(lambda: start.choose.profiles.count() > 0)
    [item] = start.choose.profiles.findItems(name, Qt.MatchFlag.MatchExactly)
    start.choose.profiles.setCurrentItem(item)
    qtbot.mouseClick(start.choose.unlock_button, Qt.MouseButton.LeftButton)
    unlock(qtbot, controller)
    assert controller.main is not None
    return controller.main
