"""The Referrals tab records a new step through the referral-step form
(fieldapp/ui/forms/referral.py), by keyboard, against the real store: problems are told beside
their field in the officer's words and save nothing; a saved step changes the list."""

from __future__ import annotations

from pytestqt.qtbot import QtBot
from test_callbacks_referrals import append, household_events
from ui_support import wait_idle

from fieldapp.domain.referral import ReferralStatus
from fieldapp.ui.followups_page import FollowUpsPage
from fieldapp.ui.session import Session


def _page(qtbot: QtBot, session: Session) -> tuple[FollowUpsPage, str]:
    h, events = household_events(declined=False)  # accepted with consent at the attendance
    append(qtbot, session, events)
    page = FollowUpsPage(session)
    qtbot.addWidget(page)
    page.show()
    page.kinds.setCurrentIndex(1)
    page.reload()
    wait_idle(qtbot, session.worker)
    page.referrals.select(h)
    return page, h


def test_withdrawing_needs_a_reason_beside_its_field_then_saves(
    qtbot: QtBot, session: Session
) -> None:
    page, h = _page(qtbot, session)
    tab = page.referrals
    before = tab.model.row_at(0)
    assert before is not None and before.status is not ReferralStatus.WITHDRAWN
    form = tab.open_step("withdrawn")
    assert form is not None
    wait_idle(qtbot, session.worker)
    assert form.step.value() == "withdrawn" and form.withdrawn_reason.hasFocus()
    assert not form.method.isVisibleTo(form)
    form.save()
    wait_idle(qtbot, session.worker)
    said = form.problem_text("payload.reason")
    assert said and "reason" in said.lower()
    assert tab.model.row_at(0).status is before.status  # type: ignore[union-attr]
    qtbot.keyClicks(form.withdrawn_reason, "Partner asked us not to refer")
    with qtbot.waitSignal(form.saved):
        form.save()
    wait_idle(qtbot, session.worker)
    row = tab.model.row_at(0)
    assert row is not None and row.status is ReferralStatus.WITHDRAWN
    assert row.note == "Withdrawn: Partner asked us not to refer"


def test_the_step_buttons_open_the_form_and_no_prompt(qtbot: QtBot, session: Session) -> None:
    page, h = _page(qtbot, session)
    tab = page.referrals
    tab.send_button.click()
    launcher = tab.launcher
    assert launcher is not None
    [form] = launcher.open_forms.values()
    wait_idle(qtbot, session.worker)
    assert form.aggregate_id == h and form.step.value() == "sent"  # type: ignore[attr-defined]
    # The same button again brings the same form forward rather than a second one.
    tab.send_button.click()
    assert list(launcher.open_forms.values()) == [form]
