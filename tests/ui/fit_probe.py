"""Opens every window and form of the real app on the screen Qt was given, and prints as JSON
what does not fit: run by test_fit.py in a process of its own, under a screen of a set size
(QT_QPA_PLATFORM=offscreen:configfile=...), since a Qt process has one set of screens.

Checked for each window: its frame lies on the screen's available area; no visible button
is clipped (its visible region is all of it); a form's fields need no scrolling.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QAbstractButton, QAbstractScrollArea, QApplication, QWidget

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ui_support import FAST_KDF, PASSPHRASE, FixedClock

from fieldapp.domain.events import EventType
from fieldapp.store import Profiles
from fieldapp.ui.controller import AppController
from fieldapp.ui.forms.base import CaptureForm
from fieldapp.ui.forms.household import HouseholdForm
from fieldapp.ui.forms.leaflets import LeafletForm
from fieldapp.ui.launcher import DraftKey
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.session import Capture
from fieldapp.ui.style import STYLE_SHEET

problems: list[str] = []
seen: list[str] = []


def settle(until: Callable[[], bool] = lambda: True, seconds: float = 10.0) -> None:
    end = time.monotonic() + seconds
    while True:
        QApplication.processEvents()
        if until() or time.monotonic() > end:
            break
        time.sleep(0.01)
    for _ in range(5):
        QApplication.processEvents()


def in_view(widget: QWidget) -> bool:
    return widget.visibleRegion().boundingRect() == widget.rect()


def in_a_list(widget: QWidget, window: QWidget) -> bool:
    """Inside a list that scrolls by itself (a form's members), not the form's own area."""
    parent = widget.parentWidget()
    while parent is not None and parent is not window:
        if isinstance(parent, QAbstractScrollArea) and not (
            isinstance(window, CaptureForm) and parent is window.fields_area
        ):
            return True
        parent = parent.parentWidget()
    return False


def check(name: str, window: QWidget, *, refused: bool = False) -> None:
    """After a refused save the form may scroll, but the first problem (where the cursor
    is) must be in view; otherwise nothing scrolls but lists."""
    seen.append(name)
    room = window.screen().availableGeometry()
    frame = window.frameGeometry()
    if not room.contains(frame):
        problems.append(f"{name}: {frame.getRect()} is not inside the screen {room.getRect()}")
    for button in window.findChildren(QAbstractButton):
        if button.isVisibleTo(window) and button.window() is window:
            if in_a_list(button, window) or (refused and _in_fields(window, button)):
                continue  # scrolled out of view in a list, or in a form scrolled to a problem
            if not in_view(button):
                problems.append(f"{name}: button {button.text()!r} is clipped")
    if not isinstance(window, CaptureForm):
        return
    if refused:
        focus = QApplication.focusWidget()
        if focus is None or focus.window() is not window or not in_view(focus):
            problems.append(f"{name}: the first problem's field is not in view with focus")
        return
    bar = window.fields_area.verticalScrollBar()
    if bar.maximum() > 0:
        problems.append(f"{name}: the fields scroll by {bar.maximum()} px")


def _in_fields(window: QWidget, widget: QWidget) -> bool:
    return isinstance(window, CaptureForm) and window.body.isAncestorOf(widget)


def put_right(controller: AppController, main: MainWindow, offer: CaptureForm,
              household_id: str) -> None:
    """The put-right windows (fieldapp/ui/corrections/), on a saved household and offer."""
    offer.save()
    settle(lambda: offer.reviewing)
    offer.confirm()
    settle(lambda: not controller.worker.busy)
    case = main.corrections.open_case(household_id)
    settle(lambda: case.case is not None)
    settle()
    check("put right: the case window", case)
    for n in range(case.records.count()):
        case.records.setCurrentRow(n)
        label = case.records.item(n).text().split(":")[0]
        if label in ("Household", "VCAS offer", "Occurrence"):
            case.correct()
            settle(lambda: not controller.worker.busy)
            settle()
            [form] = [f for k, f in main.launcher.open_forms.items() if k.startswith("correct:")]
            check(f"put right: correct the {label.lower()}", form)
            form.save()  # refused: no reason, nothing changed
            settle(lambda: not controller.worker.busy)
            settle()
            check(f"put right: correct the {label.lower()}, refused", form, refused=True)
            form.abandon()
            settle()
    case.records.setCurrentRow(0)
    case.in_error()
    case.reassign()
    settle(lambda: not controller.worker.busy)
    settle()
    for dialog in main.corrections.windows[1:]:
        check(f"put right: {dialog.windowTitle().lower()}", dialog)
        dialog.reject()
    case.reject()
    # The same address again: merge, or keep apart, side by side.
    main.capture.add_household()
    twin = next(f for f in main.launcher.open_forms.values() if isinstance(f, HouseholdForm))
    twin.fill({"address": "4 Beck Side", "postcode": "LS6 2QQ",
               "members": [{"relationship": "partner", "name": "Jane Smith"},
                           {"relationship": "child", "age": 7}]})
    twin.save()
    settle(lambda: twin.reviewing)
    twin.confirm()
    settle(lambda: not controller.worker.busy)
    for form in list(main.launcher.open_forms.values()):
        form.abandon()
    pair = (household_id, twin.aggregate_id)
    for open_it in (main.corrections.open_merge, main.corrections.open_split):
        open_it(pair)
        settle(lambda: bool(main.corrections.windows))
        settle()
        for dialog in list(main.corrections.windows):
            check(f"put right: {dialog.windowTitle().lower()}", dialog)
            dialog.reject()


def put_right_referral(controller: AppController, main: MainWindow,
                       household_id: str) -> None:
    """A referral step's correction form, in its fullest state (a withdrawal, the reason's
    box shown), after an acceptance at the call-back."""
    for kind, payload in (
        (EventType.CALLBACK_ATTEMPTED, {"outcome": "accepted", "consent_to_share": True,
                                        "contact_phone": "07700 900123"}),
        (EventType.REFERRAL_RECORDED, {"step": "withdrawn", "reason": "They asked us not to"}),
    ):
        main.session.record(Capture(kind, household_id, payload, main.session.clock()),
                            lambda _: None, lambda e: problems.append(f"not saved: {e}"))
        settle(lambda: not controller.worker.busy)
    case = main.corrections.open_case(household_id)
    settle(lambda: case.case is not None)
    settle()
    labels = [case.records.item(n).text().split(":")[0] for n in range(case.records.count())]
    case.records.setCurrentRow(labels.index("VCAS referral step"))
    case.correct()
    settle(lambda: not controller.worker.busy)
    settle()
    [form] = [f for k, f in main.launcher.open_forms.items() if k.startswith("correct:")]
    check("put right: correct the referral step", form)
    form.save()  # refused: no reason, nothing changed
    settle(lambda: not controller.worker.busy)
    settle()
    check("put right: correct the referral step, refused", form, refused=True)
    form.abandon()
    case.reject()
    settle()


def main() -> int:
    app = QApplication([])
    app.setStyleSheet(STYLE_SHEET)
    home = Path(tempfile.mkdtemp())
    profiles = Profiles(FixedClock(), home, insecure_kdf_for_tests=FAST_KDF)
    settings = QSettings(str(home / "ui.ini"), QSettings.Format.IniFormat)
    controller = AppController(profiles, settings, clock=FixedClock(), idle_minutes=60)
    controller.start()
    start = controller.start_window
    settle(lambda: start.pages.currentWidget() is start.new_profile)
    check("new profile", start)
    page = start.new_profile
    page.name.setText("1234")
    page.passphrase.setText("short")  # every message the page can show, at once
    page.repeat.setText("other")
    start.submit_create()
    settle()
    check("new profile with its problems", start)
    page.passphrase.setText(PASSPHRASE)
    page.repeat.setText(PASSPHRASE)
    start.submit_create()
    settle(lambda: start.pages.currentWidget() is start.enrol)
    check("enrolment", start)
    start.enrol.skip_button.click()
    settle(lambda: controller.main is not None)
    main = controller.main
    assert main is not None
    settle(lambda: not controller.worker.busy)
    check("main window", main)
    status = main.statusBar()
    if not status.isVisible() or status.visibleRegion().boundingRect() != status.rect():
        problems.append("main window: the status bar is not all in view")
    for n in range(4):
        main.show_page(n)
        settle()
        check(f"main window, page {n + 1}", main)
    main.show_page(0)

    main.capture.new_occurrence()
    occurrence = main.launcher.open_forms["occurrence"]
    settle()
    check("occurrence form", occurrence)
    occurrence.fill({"reference": "13/1/26", "offence_types": ["iioc"], "oic": "1234",
                     "district": "Leeds"})
    occurrence.save()
    settle(lambda: isinstance(main.launcher.open_forms.get(
        next(iter(main.launcher.open_forms), "")), LeafletForm))
    leaflets = next(f for f in main.launcher.open_forms.values() if isinstance(f, LeafletForm))
    check("leaflets form", leaflets)
    leaflets.risks.box("suicidal_thoughts").setChecked(True)
    settle()
    check("leaflets form, escalation shown", leaflets)
    leaflets.person.setText("J Smith")
    leaflets.leaflets.box("samaritans").setChecked(True)
    leaflets.save()  # refused: not escalated
    settle(lambda: not controller.worker.busy)
    settle()
    check("leaflets form, escalation refused", leaflets, refused=True)
    if QApplication.focusWidget() is not leaflets.escalated:
        problems.append("leaflets form: the escalation box has no focus after a refusal")
    leaflets.person.clear()
    leaflets.leaflets.set_value([])
    leaflets.save()  # refused: no name, no leaflet, not escalated
    settle(lambda: not controller.worker.busy)
    settle()
    check("leaflets form, every problem shown", leaflets, refused=True)
    leaflets.reject()
    main.capture.add_household()
    household = next(f for f in main.launcher.open_forms.values()
                     if isinstance(f, HouseholdForm))
    for relationship in ("partner", "child", "child", "person_under_investigation", ""):
        household.add_member(relationship)
    settle()
    check("household form, five members", household)
    household.save()  # refused: no address, ages, relationship
    settle(lambda: not controller.worker.busy)
    settle()
    check("household form with its problems", household, refused=True)
    household.set_members([{"relationship": "partner"}, {"relationship": "child", "age": 19}])
    household.save()  # refused: the child's age
    settle(lambda: not controller.worker.busy)
    settle()
    if household.member_scroll.verticalScrollBar().maximum() > 0:
        problems.append("household form: two members and a message do not fit in the list")
    household.fill({"address": "4 Beck Side", "postcode": "LS6 2QQ",
                    "members": [{"relationship": "partner"}]})
    household.save()
    settle(lambda: household.reviewing)
    check("household, check before saving", household)
    household.confirm()
    settle(lambda: any(k.startswith("offer:") for k in main.launcher.open_forms))
    [offer_key] = [k for k in main.launcher.open_forms if k.startswith("offer:")]
    offer = main.launcher.open_forms[offer_key]
    offer.outcome.button("declined").click()  # type: ignore[attr-defined]
    settle()
    check("offer form", offer)
    household_id = offer_key.split(":")[1]
    callback = main.launcher.open(DraftKey("callback", household_id))
    callback.outcome.button("accepted").click()  # type: ignore[attr-defined]
    settle()
    check("call-back form", callback)
    callback.reject()
    put_right(controller, main, offer, household_id)
    put_right_referral(controller, main, household_id)
    controller.quit()
    print(json.dumps({"seen": seen, "problems": problems,
                      "screen": app.primaryScreen().availableGeometry().getRect()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
