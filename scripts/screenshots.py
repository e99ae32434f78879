"""Screenshots of each main screen, taken offscreen on a 1366×768 screen (a common police
laptop panel), for docs/screenshots/.

    .venv/bin/python scripts/screenshots.py

Windows and forms are sized as the app sizes them on that screen, so what the pictures show
is what fits there (tests/ui/test_fit.py checks the same, and that nothing is clipped).

Builds a throwaway profile with made-up records, drives the real widgets and saves what they
draw. Nothing here is a real person or case.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

SCREEN = Path(tempfile.mkdtemp(prefix="fieldapp-screen-")) / "screen.json"
SCREEN.write_text(json.dumps({"screens": [{
    "name": "laptop", "x": 0, "y": 0, "width": 1366, "height": 768,
    "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}))
os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={SCREEN}"

import uuid6
from PySide6.QtCore import QDate, QSettings
from PySide6.QtPdf import QPdfDocument
from PySide6.QtWidgets import QApplication, QWidget

from fieldapp.domain.events import Event, EventType, Rules, make_event
from fieldapp.domain.problems import Problem
from fieldapp.resources import load_catalogue
from fieldapp.store import Profiles, Store
from fieldapp.store.keys import KdfParams
from fieldapp.sync.client import SyncSummary
from fieldapp.ui.controller import AppController
from fieldapp.ui.corrections.joining import JoinCase, load_join
from fieldapp.ui.forms.household import HouseholdForm
from fieldapp.ui.forms.leaflets import LeafletForm
from fieldapp.ui.forms.vcas import OfferForm
from fieldapp.ui.launcher import DraftKey
from fieldapp.ui.main_window import REPORTS, MainWindow
from fieldapp.ui.style import STYLE_SHEET

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
NOW = datetime(2026, 3, 31, 9, 15, tzinfo=UTC)  # a Tuesday
PASSPHRASE = "orange kettle harbour tundra"  # noqa: S105 (a throwaway demo profile)


def new_id() -> str:
    return str(uuid6.uuid7())


def event(kind: EventType, aggregate: str, payload: dict[str, Any], at: datetime,
          author: str = "4521", device: str = "laptop-demo") -> Event:
    return make_event(
        event_id=new_id(), event_type=kind, aggregate_id=aggregate, payload=payload,
        occurred_at=at, recorded_at=at, author=author, device_id=device,
        rules=Rules(load_catalogue(), NOW + timedelta(days=1)),
    )


CONTACT = {
    "name": "Sample Partner", "relationship": "partner",
    "phones": [{"number": "07700 900456", "label": "mobile"}],
    "preferred_times": [{"start": "18:00", "end": "20:30"}],
    "safe_to_call": True, "safe_to_leave_message": False, "language": "Polish",
    "interpreter_needed": True,
}


def seed(store: Store) -> tuple[str, str]:
    """Made-up occurrences, households and offers whose call-backs fall due around NOW; the
    first occurrence, and the household whose call-back the detail pane shows (a contact,
    the person under investigation living there, a risk escalated)."""
    first = shown = ""
    streets = ["Mill Lane", "Church Road", "Park Avenue", "Station Road", "Victoria Street",
               "Kings Road", "Queens Drive", "Manor Way"]
    for n, days_ago in enumerate((30, 24, 22, 21, 21, 19, 12, 3)):
        at = NOW - timedelta(days=days_ago, hours=2)
        occurrence, household = new_id(), new_id()
        first = first or occurrence
        oic = "4521" if n % 3 else "3307"
        district = ("Leeds", "Bradford", "Wakefield")[n % 3]
        risky = n == 3
        shown = household if risky else shown
        issue: dict[str, Any] = {"risk_indicators": [], "no_risk_seen": True, "escalated": False}
        if risky:
            issue = {"risk_indicators": ["self_harm_thoughts"], "escalated": True,
                     "escalation": {"to": "mental_health_triage", "by": oic,
                                    "at": (at + timedelta(minutes=10)).isoformat()}}
        events = [
            event(EventType.OCCURRENCE_RECORDED, occurrence, {
                "reference": f"13/{240117 + n * 37:06d}/26", "offence_types": ["iioc"],
                "oic": oic, "district": district}, at),
            event(EventType.LEAFLET_ISSUED, occurrence, {
                "person_name": "Sample Person", "leaflets": ["safer_lives", "samaritans"],
                "outcome": "handed", **issue}, at),
            event(EventType.HOUSEHOLD_RECORDED, household, {
                "occurrence_id": occurrence, "address": f"{10 + n} {streets[n]}",
                "postcode": f"LS{n + 1} {n + 2}AB",
                "members": [{"relationship": "partner", "name": "Sample Partner"},
                            {"relationship": "child", "age": 6 + n},
                            *([{"relationship": "person_under_investigation",
                                "name": "Sample Person"}] if risky else [])]}, at),
            event(EventType.VCAS_OFFERED, household,
                  {"outcome": "accepted" if n == 5 else "declined", "consent_to_share": n == 5,
                   **({"contacts": [CONTACT]} if risky else
                      {"contact_phone": "07700 900123" if n == 5 else ""})}, at),
        ]
        if n == 2:
            events.append(event(EventType.CALLBACK_ATTEMPTED, household,
                                {"outcome": "accepted", "consent_to_share": True,
                                 "contact_phone": "07700 900123"},
                                NOW - timedelta(hours=20), author="5150", device="laptop-b"))
        if n == 1:
            events.append(event(EventType.VCAS_OFFERED, household, {"outcome": "not_present"},
                                at + timedelta(minutes=5), device="laptop-b"))
        store.append(events)
    refused = event(EventType.LEAFLET_ISSUED, first, {
        "person_name": "Sample Person", "leaflets": ["samaritans"], "outcome": "handed",
        "risk_indicators": [],
        "no_risk_seen": True, "escalated": False}, NOW - timedelta(days=1))
    store.append([refused])
    store.mark_rejected({refused.id: [Problem(
        "payload.leaflets", "Not on the list of leaflets in catalogue 2026-12: samaritans.")]})
    return first, shown


def history(months: int = 15) -> list[Event]:
    """A year and a quarter of made-up offers, call-backs and leaflets, for the Reports page."""
    events: list[Event] = []
    offences = (["iioc"], ["sexual_communication_child"], ["voyeurism"], ["indecent_exposure"],
                ["iioc", "voyeurism"])
    for month in range(months):
        year, index = 2025 + month // 12, month % 12
        for n in range(3 + (month * 7) % 5):
            at = datetime(year, index + 1, 2 + n * 3, 10, tzinfo=UTC)
            occurrence, household = new_id(), new_id()
            district = ("Leeds", "Bradford", "Wakefield")[(month + n) % 3]
            outcome = ("accepted", "declined", "declined", "not_present")[(month + n) % 4]
            events += [
                event(EventType.OCCURRENCE_RECORDED, occurrence, {
                    "reference": f"13/{300000 + month * 10 + n:06d}/{year % 100}",
                    "offence_types": offences[(month + n) % len(offences)],
                    "oic": ("4521", "3307", "5150")[n % 3], "district": district}, at),
                event(EventType.LEAFLET_ISSUED, occurrence, {
                    "person_name": "Sample Person", "leaflets": ["safer_lives", "samaritans"],
                    "outcome": "handed", "risk_indicators": [],
                    "no_risk_seen": True, "escalated": False}, at),
                event(EventType.HOUSEHOLD_RECORDED, household, {
                    "occurrence_id": occurrence, "address": f"{n + 1} Sample Street",
                    "postcode": "LS1 4HY", "members": [{"relationship": "partner"}]}, at),
                event(EventType.VCAS_OFFERED, household, {
                    "outcome": outcome, "consent_to_share": outcome == "accepted",
                    "contact_phone": "07700 900123" if outcome == "accepted" else ""}, at),
            ]
            if outcome == "declined" and n % 2 == 0 and at + timedelta(days=24) < NOW:
                events.append(event(EventType.CALLBACK_ATTEMPTED, household, {
                    "outcome": "accepted" if month % 3 else "declined",
                    "consent_to_share": bool(month % 3),
                    "contact_phone": "07700 900123" if month % 3 else ""}, at + timedelta(days=21 + n % 4)))
    return events


def followups(main: MainWindow, app: QApplication, shown: str) -> None:
    """The call-back's detail pane, the Referrals tab, the officer's contact details and the
    referral sheet VCAS receives."""
    worker = main.session.worker
    page = main.followups
    page.select(shown)
    settle(app, lambda: page.detail.detail is not None and not worker.busy)
    grab(main, "12-callback-detail.png", app)
    page.kinds.setCurrentIndex(1)
    tab = page.referrals
    settle(app, lambda: tab.model.rowCount() > 0 and not worker.busy)
    item = tab.model.row_at(0)
    assert item is not None
    tab.select(item.household_id)
    settle(app, lambda: not worker.busy)
    grab(main, "13-referrals.png", app)
    dialog = tab.ask_officer_details()
    settle(app, lambda: not worker.busy)
    dialog.name.setText("PC Sample Officer")
    dialog.phone.setText("01632 960123")
    dialog.email.setText("sample.officer@force.police.uk")
    grab(dialog, "14-my-contact-details.png", app)
    dialog.save()
    settle(app, lambda: dialog.saved is not None and not worker.busy)
    sheet, made = Path(tempfile.mkdtemp(prefix="fieldapp-sheet-")) / "sheet.pdf", []
    tab.save_sheet(item.household_id, sheet, made.append)
    settle(app, lambda: bool(made) and not worker.busy)
    document = QPdfDocument()
    document.load(str(sheet))
    page_size = document.pagePointSize(0).toSize()
    # The top of the A4 page, cut to a laptop screen's height: the sheet's text is all there,
    # and the rest of the page is blank.
    image = document.render(0, page_size * 1.5)
    image.copy(0, 0, min(image.width(), 1366), min(image.height(), 768)).save(
        str(OUT / "15-referral-sheet.png"))
    document.close()
    print("saved docs/screenshots/15-referral-sheet.png")
    page.kinds.setCurrentIndex(0)


def reports(main: MainWindow, app: QApplication) -> None:
    """The Reports page over 2025 and this year's first quarter, by quarter."""
    worker = main.session.worker
    worker.run(lambda store: store.append(history()))
    settle(app, lambda: not worker.busy)
    main.show_page(REPORTS)
    page = main.reports
    page.start.setDate(QDate(2025, 1, 1))
    page.end.setDate(QDate(2026, 3, 31))
    page.period.setCurrentIndex(page.period.findData("quarter"))
    page.reload()
    settle(app, lambda: page.figures is not None and not page.loading and not worker.busy)
    grab(main, "11-reports.png", app)


def put_right(main: MainWindow, app: QApplication, first: str) -> None:
    """Putting records right (fieldapp/ui/corrections/): the case window with an action the
    rule withholds, a correction, entered in error, a reassignment, and a merge side by side."""
    worker = main.session.worker
    opened = main.capture.current
    assert opened is not None
    household = opened.households[0]
    twin = new_id()
    at = NOW - timedelta(days=30, hours=1)
    offer = next(o for o in household.offers)
    worker.run(lambda store: store.append([
        event(EventType.HOUSEHOLD_RECORDED, twin, {
            "occurrence_id": first, "address": household.address, "postcode": household.postcode,
            "members": [{"relationship": "partner", "name": "Sample Partnr"}]}, at,
            author="5150", device="laptop-b"),
        event(EventType.EVENT_CORRECTED, household.id, {
            "target_id": offer.event_id, "target_type": "vcas_offered",
            "payload": {"outcome": "declined"}, "reason": "Offer made at the door, not by phone",
            "occurred_at": at.isoformat()}, NOW - timedelta(days=2), author="3307"),
    ]))
    settle(app, lambda: not worker.busy)
    case = main.corrections.open_case(household.id)
    settle(app, lambda: case.case is not None and not worker.busy)
    case.records.setCurrentRow(case.records.count() - 1)
    grab(case, "16-put-right.png", app)  # 4521 recorded it; 3307 is the OIC
    records = list(case.case.records)  # type: ignore[union-attr]
    case.records.setCurrentRow(next(n for n, r in enumerate(records) if r.label == "Household"))
    case.correct()
    settle(app, lambda: not worker.busy)
    [form] = [f for k, f in main.launcher.open_forms.items() if k.startswith("correct:")]
    settle(app, lambda: bool(form.payload().get("address")))
    form.fill({**form.payload(), "members": [
        {"relationship": "partner", "name": "Sample Partner"},
        {"relationship": "child", "age": 6}, {"relationship": "child", "age": 3}]})
    form.correction_reason.setPlainText("The younger child was at nursery: missed at the door")
    form.save()
    settle(app, lambda: form.reviewing and not worker.busy)
    grab(form, "17-correct-household.png", app)
    form.abandon()
    case.records.setCurrentRow(next(n for n, r in enumerate(records) if r.label == "VCAS offer"))
    case.in_error()
    [retract] = main.corrections.windows[1:]
    retract.reason.setPlainText("Recorded against the wrong household")  # type: ignore[attr-defined]
    settle(app, lambda: "cancelled" in retract.effect.text())  # type: ignore[attr-defined]
    grab(retract, "18-entered-in-error.png", app)
    retract.reject()
    case.reject()
    # A case of the officer's own (4521 is its OIC), recorded from two laptops.
    mine, one, two = new_id(), new_id(), new_id()
    members = [{"relationship": "partner", "name": "Sample Partner"},
               {"relationship": "child", "age": 8}]
    worker.run(lambda store: store.append([
        event(EventType.OCCURRENCE_RECORDED, mine, {
            "reference": "13/240999/26", "offence_types": ["iioc"], "oic": "4521",
            "district": "Leeds"}, at),
        event(EventType.HOUSEHOLD_RECORDED, one, {
            "occurrence_id": mine, "address": "7 Sample Row, Leeds", "postcode": "LS6 3DE",
            "members": members}, at),
        event(EventType.VCAS_OFFERED, one, {"outcome": "declined"}, at),
        event(EventType.HOUSEHOLD_RECORDED, two, {
            "occurrence_id": mine, "address": "7 Sample Row", "postcode": "LS6 3DE",
            "members": members[:1]}, at + timedelta(minutes=20), author="5150",
            device="laptop-b"),
    ]))
    settle(app, lambda: not worker.busy)
    main.corrections.open_merge((one, two))
    settle(app, lambda: bool(main.corrections.windows) and not worker.busy)
    [merge] = main.corrections.windows
    merge.reason.setPlainText("One family: recorded from two laptops")  # type: ignore[attr-defined]
    settle(app, lambda: "one household" in merge.effect.text())  # type: ignore[attr-defined]
    grab(merge, "19-merge.png", app)
    merge.reject()
    case = main.corrections.open_case(one)
    settle(app, lambda: case.case is not None and not worker.busy)
    case.reassign()
    [move] = main.corrections.windows[1:]
    move.collar.setText("5150")  # type: ignore[attr-defined]
    move.reason.setPlainText("On leave until the call-back is due")  # type: ignore[attr-defined]
    settle(app, lambda: "made by 5150" in move.effect.text())  # type: ignore[attr-defined]
    grab(move, "20-reassign.png", app)
    move.reject()
    case.reject()
    # 5002 recorded the same reference; the endpoint told 4521 (its OIC) of that record.
    theirs = new_id()
    worker.run(lambda store: store.append([event(EventType.OCCURRENCE_RECORDED, theirs, {
        "reference": "13/240999/26", "offence_types": ["iioc"], "oic": "5002",
        "district": "Leeds"}, at + timedelta(days=1), author="5002", device="laptop-n")]))
    found: list[JoinCase] = []
    worker.run(lambda store: load_join(store, next(
        c for c in store.conflicts() if c.kind == "occurrence_joined"), NOW), found.append)
    settle(app, lambda: bool(found) and not worker.busy)
    assert found[0].choice is not None and found[0].offered
    main.corrections.open_accept(found[0].choice)
    [accept] = main.corrections.windows
    accept.reason.setPlainText("Same investigation: spoke to 5002")  # type: ignore[attr-defined]
    grab(accept, "21-accept-their-record.png", app)
    accept.reject()


def grab(widget: QWidget, name: str, app: QApplication) -> None:
    for _ in range(5):
        app.processEvents()
    widget.grab().save(str(OUT / name))
    print(f"saved docs/screenshots/{name}")


def settle(app: QApplication, until: Callable[[], bool], seconds: float = 20) -> None:
    deadline = datetime.now() + timedelta(seconds=seconds)
    while not until():
        if datetime.now() > deadline:
            raise RuntimeError("timed out waiting for the app")
        app.processEvents()


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    app.setStyleSheet(STYLE_SHEET)
    home = Path(tempfile.mkdtemp(prefix="fieldapp-shots-"))
    fast = KdfParams(iterations=1, lanes=1, memory_kib=8)
    clock = lambda: NOW  # noqa: E731
    profiles = Profiles(clock, home, insecure_kdf_for_tests=fast)
    settings = QSettings(str(home / "ui.ini"), QSettings.Format.IniFormat)

    controller = AppController(profiles, settings, clock=clock, idle_minutes=60)
    start = controller.start_window
    controller.start()
    settle(app, lambda: start.pages.currentWidget() is start.new_profile)
    start.new_profile.name.setText("4521")
    start.new_profile.passphrase.setText("password1")
    start.new_profile.repeat.setText("password1")
    start._check_passphrase()
    grab(start, "01-new-profile.png", app)

    with profiles.create("4521", PASSPHRASE) as store:
        store.set_setting("device_id", "laptop-demo")
        first, shown = seed(store)
    start.profile = "4521"
    start.show_start()
    settle(app, lambda: start.pages.currentWidget() is start.unlock)
    grab(start, "02-unlock.png", app)
    start.unlock.passphrase.setText(PASSPHRASE)
    start.submit_unlock()
    settle(app, lambda: controller.main is not None and not controller.worker.busy)
    main = controller.main
    assert main is not None

    main.capture.open(first)
    settle(app, lambda: main.capture.current is not None and not controller.worker.busy)
    grab(main, "03-record.png", app)

    leaflets = main.launcher.open(DraftKey("leaflets", first), "Occurrence 13/240117/26.")
    assert isinstance(leaflets, LeafletForm)
    leaflets.person.setText("Sample Person")
    leaflets.leaflets.set_value(["safer_lives", "samaritans"])
    leaflets.risks.set_value(["self_harm_thoughts", "distressed"])
    grab(leaflets, "04-leaflets-escalation.png", app)
    leaflets.reject()

    household = main.launcher.open(DraftKey("household", first), "Occurrence 13/240117/26.")
    assert isinstance(household, HouseholdForm)
    household.postcode.setText("LS99 ZZZ")
    household.set_members([{"relationship": "partner"}, {"relationship": "child", "age": 19}])
    household.save()
    settle(app, lambda: not controller.worker.busy)
    grab(household, "05-household-problems.png", app)
    household.fill({"address": "12 Sample Street, Leeds", "postcode": "LS6 2QQ", "members": [
        {"relationship": "partner", "name": "Sample Partner"},
        {"relationship": "child", "age": 9}, {"relationship": "child", "age": 4},
        {"relationship": "person_under_investigation", "name": "Sample Person"}]})
    household.save()
    settle(app, lambda: household.reviewing)
    grab(household, "06-household-check.png", app)
    household.back_to_editing()
    household.reject()

    chosen = main.capture.panel.chosen_household()
    offer = main.launcher.open(DraftKey("offer", chosen), "Occurrence 13/240117/26.")
    assert isinstance(offer, OfferForm)
    offer.outcome.button("declined").click()
    offer.contacts.boxes[0].name.setText("Jane Smith")
    offer.contacts.boxes[0].phone.setText("07700 900456")
    grab(offer, "07-offer-declined.png", app)
    offer.save()
    settle(app, lambda: offer.reviewing)
    grab(offer, "08-offer-check.png", app)
    offer.back_to_editing()
    offer.reject()
    settle(app, lambda: not controller.worker.busy)

    main.show_page(1)
    settle(app, lambda: main.followups.model.total > 0 and not controller.worker.busy)
    main.followups.apply_filter()
    grab(main, "09-follow-ups.png", app)
    followups(main, app, shown)

    main.show_page(2)
    main.sync_page.show_summary(SyncSummary(
        pushed=12, pulled=5, rejected=(), invalid_from_server=0, tasks_created=("a",),
        tasks_closed=("b",), tasks_done_elsewhere=("b",), conflicts_new=("c",),
        clock_skew_seconds=None, skew_flagged=False, device_status="active"))
    grab(main, "10-sync.png", app)
    put_right(main, app, first)
    reports(main, app)
    controller.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
