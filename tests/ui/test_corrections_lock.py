"""A correction form open at a lock is open again after unlock, with what was typed (its
draft, the reason included), through the real app, store and lock."""

from __future__ import annotations

from datetime import timedelta

from factories import event
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot
from test_corrections import AT, a_case, append, choose, opener_for, put_right_from_the_record
from ui_support import unlock, wait_idle

from fieldapp.domain.events import EventType
from fieldapp.ui.controller import AppController
from fieldapp.ui.corrections.forms import Correcting, CorrectOffer
from fieldapp.ui.session import Session


def test_a_correction_open_at_the_lock_is_reopened_with_its_draft(
    qtbot: QtBot, controller: AppController
) -> None:
    main, case = put_right_from_the_record(qtbot, controller)
    choose(case, "VCAS offer")
    case.correct()
    [form] = [f for f in main.launcher.open_forms.values() if isinstance(f, Correcting)]
    assert isinstance(form, CorrectOffer)
    qtbot.waitUntil(lambda: form.outcome.value() == "declined", timeout=10_000)
    form.outcome.button("not_present").click()
    qtbot.keyClicks(form.correction_reason, "Nobody was in after all")
    record_id = form.record.id

    controller.lock()
    assert controller.locked and main.launcher.open_forms == {}
    wait_idle(qtbot, controller.worker)
    unlock(qtbot, controller)
    again = controller.main
    assert again is not None and again is not main
    qtbot.waitUntil(lambda: any(isinstance(f, Correcting)
                                for f in again.launcher.open_forms.values()), timeout=10_000)
    [reopened] = [f for f in again.launcher.open_forms.values() if isinstance(f, Correcting)]
    assert reopened.record.id == record_id
    [about] = [w for w in reopened.findChildren(QLabel) if w.accessibleName() == "Recording for"]
    assert about.text() == "Put right: the household at 4 Beck Side, LS6 2QQ"
    qtbot.waitUntil(lambda: reopened.correction_reason.toPlainText() ==
                    "Nobody was in after all", timeout=10_000)
    assert reopened.outcome.value() == "not_present"  # type: ignore[attr-defined]


def test_a_correction_whose_record_was_retracted_meanwhile_is_not_reopened(
    qtbot: QtBot, session: Session
) -> None:
    _, h, offer_id = a_case(qtbot, session)
    append(qtbot, session, [event(EventType.ENTERED_IN_ERROR, h, {
        "target_id": offer_id, "reason": "Wrong household"}, AT + timedelta(hours=1))])
    opener, launcher = opener_for(qtbot, session)
    with qtbot.waitSignal(session.notice, timeout=10_000) as said:
        opener.reopen([f"correct:{offer_id}", "offer:" + h])  # only the first is a correction
    assert said.args == ["A record you were correcting at the lock can no longer be corrected "
                         "on this laptop."]
    assert launcher.open_forms == {}
