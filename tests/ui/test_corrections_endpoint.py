"""Putting records right agrees with the endpoint: two laptops through the real endpoint over
HTTPS. The OIC's correction and reassignment, made on the screens, are accepted and reach a
teammate's laptop; the teammate (not the author, not the OIC) is shown them withheld, with
the rule's sentence, and nothing is sent to be refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from pytestqt.qtbot import QtBot

# central_support (tests/central) is on the path once test_sync_two_laptops is imported.
from test_sync_two_laptops import central, enrol, held, issue_code, laptop, sync
from ui_support import NOW, FixedClock, record_a_call_back, wait_idle

from central.storage.sql import SqlStorage
from fieldapp.ui.corrections.dialogs import CaseDialog, ReassignDialog
from fieldapp.ui.corrections.forms import CorrectHousehold
from fieldapp.ui.main_window import MainWindow

__all__ = ["central"]  # the endpoint fixture


def case_window(qtbot: QtBot, main: MainWindow, household_id: str) -> CaseDialog:
    dialog = main.corrections.open_case(household_id)
    qtbot.waitUntil(lambda: dialog.case is not None, timeout=10_000)
    return dialog


def test_the_oics_changes_are_accepted_and_a_teammate_is_shown_who_can(
    qtbot: QtBot, tmp_path: Path, central: tuple[str, Path, SqlStorage]
) -> None:
    url, ca, storage = central

    now = datetime.now(UTC)
    a = laptop(qtbot, tmp_path, "a", FixedClock(NOW))
    b = laptop(qtbot, tmp_path, "b", FixedClock(NOW + timedelta(hours=1)))
    try:
        main_a = enrol(qtbot, a, "1234", url, ca, issue_code(storage, "1234", now))
        record_a_call_back(qtbot, a, "13/700002/26")
        qtbot.waitUntil(lambda: held(tmp_path) == 3, timeout=20_000)
        household = main_a.capture.panel.chosen_household()

        dialog = case_window(qtbot, main_a, household)
        dialog.records.setCurrentRow(1)  # occurrence, household, offer
        dialog.correct()
        form = next(f for f in main_a.launcher.open_forms.values()
                    if isinstance(f, CorrectHousehold))
        qtbot.waitUntil(lambda: form.address.toPlainText() == "4 Beck Side", timeout=10_000)
        form.member_rows[0].name.setText("Jane Smith")
        form.correction_reason.setPlainText("Her name was not taken at the door")
        form.save()
        qtbot.waitUntil(lambda: form.reviewing, timeout=10_000)
        with qtbot.waitSignal(form.saved, timeout=10_000):
            form.confirm()
        dialog.reassign()
        [move] = main_a.corrections.each(ReassignDialog)
        move.collar.setText("5678")
        move.reason.setPlainText("On leave")
        with qtbot.waitSignal(move.saved, timeout=10_000):
            move.save()
        qtbot.waitUntil(lambda: held(tmp_path) == 5, timeout=20_000)  # both accepted
        summary = sync(qtbot, a)
        assert summary.rejected == ()

        main_b = enrol(qtbot, b, "5678", url, ca, issue_code(storage, "5678", now))
        wait_idle(qtbot, b.worker)
        view = b.worker.blocking(lambda store: store.household(household))
        assert view is not None and view.members[0].name == "Jane Smith"
        assert view.task is not None and view.task.assignee == "5678"
        seen = case_window(qtbot, main_b, household)
        seen.records.setCurrentRow(2)  # the offer, recorded by 1234
        assert not seen.correct_button.isEnabled()
        assert "Only the officer who recorded it, the OIC of 13/700002/26 or a supervisor " \
            "can correct this record." in seen.why.text()
        assert not seen.reassign_button.isEnabled()
    finally:
        a.quit()
        b.quit()
