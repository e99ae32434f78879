"""End to end on a real encrypted profile: first run, capture at the door, the call-back due."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from factories import household, new_id, occurrence, offer
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton
from pytestqt.qtbot import QtBot
from ui_support import (
    NOW,
    PASSPHRASE,
    FixedClock,
    first_run,
    record_a_call_back,
    save_form,
    unlock_existing,
    wait_idle,
)

from fieldapp.domain.events import Event
from fieldapp.domain.problems import Problem
from fieldapp.domain.schedule import TaskStatus
from fieldapp.store import Profiles
from fieldapp.ui.controller import AppController
from fieldapp.ui.forms.household import HouseholdForm
from fieldapp.ui.forms.occurrence import OccurrenceForm
from fieldapp.ui.forms.vcas import CallbackForm, OfferForm


def test_first_run_then_a_declined_offer_shows_its_call_back_in_21_days(
    qtbot: QtBot, controller: AppController
) -> None:
    main = first_run(qtbot, controller)
    assert main.windowTitle() == "fieldapp"

    qtbot.keyClick(main, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    occurrence = main.launcher.open_forms["occurrence"]
    assert isinstance(occurrence, OccurrenceForm)
    qtbot.keyClicks(occurrence.reference, "13/123456/24")
    occurrence.offences.box("iioc").setChecked(True)
    qtbot.keyClicks(occurrence.district, "Leeds")
    occurrence.activateWindow()
    qtbot.waitUntil(occurrence.isActiveWindow)
    qtbot.keyClick(occurrence.reference, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: main.capture.current is not None)
    assert main.capture.panel.heading.text() == "Occurrence 13/123456/24"

    qtbot.mouseClick(main.capture.panel.household_button, Qt.MouseButton.LeftButton)
    [key] = [k for k in main.launcher.open_forms if k.startswith("household:")]
    household = main.launcher.open_forms[key]
    assert isinstance(household, HouseholdForm)
    household.address.setPlainText("1 High Street, Leeds")
    qtbot.keyClicks(household.postcode, "ls1 4hy")
    qtbot.waitUntil(household.isActiveWindow)  # the form opened last is in front
    qtbot.keyClick(household.postcode, Qt.Key.Key_P, Qt.KeyboardModifier.AltModifier)
    assert [r.value() for r in household.member_rows] == [{"relationship": "partner"}]
    save_form(qtbot, household)
    qtbot.waitUntil(lambda: any(k.startswith("offer:") for k in main.launcher.open_forms))

    [key] = [k for k in main.launcher.open_forms if k.startswith("offer:")]
    offer = main.launcher.open_forms[key]
    assert isinstance(offer, OfferForm)
    offer.outcome.button("declined").click()
    assert "Call-back due 31/03/2026" in offer.due_text
    save_form(qtbot, offer)
    wait_idle(qtbot, controller.worker)
    qtbot.waitUntil(lambda: main.followups.model.rowCount() == 1)

    row = main.followups.model.row_at(0)
    assert row is not None
    assert (row.due, row.status, row.reference, row.postcode) == (
        date(2026, 3, 31), TaskStatus.UPCOMING, "13/123456/24", "LS1 4HY",
    )
    assert main.followups.model.data(main.followups.model.index(0, 0)) == "31/03/2026"
    assert "1 record" not in main.status.waiting.text()
    assert main.status.waiting.text() == "3 records waiting to send"


def seed(profiles: Profiles, events: list[Event], rejected: Event | None = None) -> None:
    with profiles.create("1234", PASSPHRASE) as store:
        store.append(events)
        if rejected is not None:
            store.append([rejected])
            store.mark_rejected(
                {rejected.id: [Problem("payload.postcode", "The central system wants more.")]}
            )


def test_due_today_is_announced_and_recorded_from_the_list(
    qtbot: QtBot, controller: AppController, profiles: Profiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    told: list[tuple[str, str]] = []
    monkeypatch.setattr(controller.tray, "announce", lambda *text: told.append(text))
    o1, h1, o2, h2 = new_id(), new_id(), new_id(), new_id()
    seed(profiles, [
        occurrence(o1, NOW - timedelta(days=21), reference="13/000001/26"),
        household(h1, o1, NOW - timedelta(days=21)),
        offer(h1, "declined", NOW - timedelta(days=21)),  # due today
        occurrence(o2, NOW - timedelta(days=28), reference="13/000002/26"),
        household(h2, o2, NOW - timedelta(days=28), postcode="BD1 1AA"),
        offer(h2, "declined", NOW - timedelta(days=28)),  # overdue
    ])
    main = unlock_existing(qtbot, controller)
    qtbot.waitUntil(lambda: main.banner.text.text() != "")
    assert main.banner.text.text() == "1 call-back is due today and 1 is overdue."
    assert told == [("Call-backs due", "1 call-back is due today and 1 is overdue.")]
    assert "13/" not in told[0][1]  # counts only: a tray balloon can be read by anyone

    qtbot.mouseClick(main.banner.findChild(QPushButton), Qt.MouseButton.LeftButton)
    assert main.pages.currentWidget() is main.followups
    main.followups.apply_filter()
    page = main.followups
    assert [page.model.row_at(n).reference for n in range(page.model.rowCount())] == [  # type: ignore[union-attr]
        "13/000001/26"
    ]
    page.table.selectRow(0)
    main.activateWindow()
    qtbot.waitUntil(main.isActiveWindow)
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_Return)  # keyboard first: Enter on the row
    [form] = main.launcher.open_forms.values()
    assert isinstance(form, CallbackForm)
    assert any("13/000001/26" in label.text() for label in form.findChildren(QLabel))
    form.outcome.button("no_answer").click()
    with qtbot.waitSignal(form.saved):
        save_form(qtbot, form)
    page.tabs.setCurrentIndex(0)
    page.apply_filter()
    qtbot.waitUntil(lambda: page.model.find(h1) is not None and page.model.find(h1).attempts == 1)  # type: ignore[union-attr]
    retried = page.model.find(h1)
    assert retried is not None
    assert (retried.due, retried.status) == (date(2026, 3, 12), TaskStatus.UPCOMING)
    assert page.tabs.tabText(2) == "Due today (0)"


def test_conflicts_are_listed_and_the_oic_can_confirm_them(
    qtbot: QtBot, controller: AppController, profiles: Profiles
) -> None:
    o, h = new_id(), new_id()
    seed(profiles, [
        occurrence(o, NOW - timedelta(days=3), reference="13/000003/26"),
        household(h, o, NOW - timedelta(days=3)),
        offer(h, "declined", NOW - timedelta(days=3)),
        offer(h, "not_present", NOW - timedelta(days=2), device="laptop-b"),
    ])
    main = unlock_existing(qtbot, controller)
    page = main.followups
    qtbot.waitUntil(lambda: page.conflicts_model.rowCount() == 1)
    text = page.conflicts_model.index(0).data()
    assert text.startswith("13/000003/26, LS1 4HY: Offers to one household")
    assert page.model.find(h).conflicts == 1  # type: ignore[union-attr]
    page.confirm_conflict(page.conflicts_model.index(0).data(Qt.ItemDataRole.UserRole), "Checked")
    qtbot.waitUntil(lambda: page.conflicts_model.rowCount() == 0)
    qtbot.waitUntil(lambda: page.model.find(h).conflicts == 0)  # type: ignore[union-attr]


def test_search_by_reference_or_postcode_opens_the_occurrence(
    qtbot: QtBot, controller: AppController, profiles: Profiles
) -> None:
    o, h = new_id(), new_id()
    seed(profiles, [occurrence(o, NOW, reference="13/654321/26"),
                    household(h, o, NOW, postcode="WF1 2AB")])
    main = unlock_existing(qtbot, controller)
    results = main.capture.results
    for term in ("13/6543", "wf1"):
        main.capture.search.setText(term)
        qtbot.waitUntil(lambda: any(
            "13/654321/26" in results.item(n).text() or "WF1 2AB" in results.item(n).text()
            for n in range(results.count())
        ))
        main.capture.results.itemActivated.emit(main.capture.results.item(0))
        qtbot.waitUntil(lambda: main.capture.current is not None)
        assert main.capture.panel.heading.text() == "Occurrence 13/654321/26"
        assert "WF1 2AB" in main.capture.panel.households.item(0).text()
        main.capture.clear()


def test_a_refused_record_is_listed_with_its_reason_and_can_be_put_right(
    qtbot: QtBot, controller: AppController, profiles: Profiles
) -> None:
    o, h = new_id(), new_id()
    refused = household(h, o, NOW, postcode="LS1 4HY")
    seed(profiles, [occurrence(o, NOW)], rejected=refused)
    main = unlock_existing(qtbot, controller)
    sync = main.sync_page
    qtbot.waitUntil(lambda: sync.rejected.count() == 1)
    assert sync.rejected.item(0).text() == \
        "Household recorded 10/03/2026 14:00: The central system wants more."
    sync.rejected.setCurrentRow(0)
    qtbot.mouseClick(sync.correct_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, controller.worker)
    [form] = main.launcher.open_forms.values()
    assert isinstance(form, HouseholdForm)
    assert form.aggregate_id == h and form.occurrence_id == o
    assert form.postcode.text() == "LS1 4HY"
    form.postcode.setText("LS1 5HY")
    with qtbot.waitSignal(form.saved):
        save_form(qtbot, form)
    qtbot.waitUntil(lambda: sync.rejected.count() == 0)


def test_statuses_move_on_when_the_london_day_turns_over(
    qtbot: QtBot, controller: AppController, clock: FixedClock
) -> None:
    main = first_run(qtbot, controller)
    record_a_call_back(qtbot, controller)
    page = main.followups
    qtbot.waitUntil(lambda: page.model.rowCount() == 1)
    assert page.model.row_at(0).status is TaskStatus.UPCOMING  # type: ignore[union-attr]
    clock.now = datetime(2026, 3, 31, 0, 1, tzinfo=UTC)  # the due day, just after midnight
    main._check_day()
    qtbot.waitUntil(lambda: page.model.row_at(0).status is TaskStatus.DUE)  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: main.banner.text.text() == "1 call-back is due today.")
