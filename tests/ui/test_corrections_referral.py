"""Putting a VCAS referral step right, end to end against the real store: corrected in its
own form (pre-filled, only the changed fields saved), marked entered in error with what
happens to the referral said first, and withheld from an officer the rule does not allow."""

from __future__ import annotations

from datetime import timedelta

from factories import event
from pytestqt.qtbot import QtBot
from test_corrections import (
    AT,
    a_case,
    append,
    choose,
    correction,
    open_case,
    opener_for,
    read,
    save_correction,
)

from fieldapp.domain.events import EventType
from fieldapp.domain.referral import ReferralState
from fieldapp.ui.corrections.dialogs import InErrorDialog
from fieldapp.ui.corrections.forms import CorrectReferralStep
from fieldapp.ui.session import Session

STEP = "VCAS referral step"


def a_sent_referral(qtbot: QtBot, session: Session, *, author: str = "1234",
                    oic: str = "1234") -> tuple[str, str]:
    """A case whose offer was accepted with consent on Tuesday 10/03/2026 (the referral due
    12/03/2026), and the referral sent by secure email."""
    _, h, _ = a_case(qtbot, session, oic=oic, outcome="accepted")
    sent = event(EventType.REFERRAL_RECORDED, h, {"step": "sent", "method": "secure_email"},
                 AT + timedelta(minutes=40), author=author)
    append(qtbot, session, [sent])
    return h, sent.id


def test_a_sent_step_is_corrected_to_a_withdrawal_with_only_its_changes(
    qtbot: QtBot, session: Session
) -> None:
    h, sent_id = a_sent_referral(qtbot, session)
    dialog, form = correction(qtbot, session, h, STEP,
                              lambda f: f.method.value() == "secure_email")
    assert isinstance(form, CorrectReferralStep)
    assert form.step.value() == "sent" and not form.withdrawn_reason.isVisibleTo(form)
    form.step.button("withdrawn").click()
    assert not form.method.isVisibleTo(form) and form.withdrawn_reason.isVisibleTo(form)
    qtbot.keyClicks(form.withdrawn_reason, "They asked us not to")
    qtbot.waitUntil(lambda: "shown as withdrawn instead of sent" in form.effect_text,
                    timeout=10_000)
    checked = save_correction(qtbot, form, "It was withdrawn before it went")
    assert "Changed: method, reason, step" in checked
    referral = read(qtbot, session, lambda store: store.household(h)).referral
    assert referral.state is ReferralState.WITHDRAWN
    assert referral.withdrawn_reason == "They asked us not to"
    [fix] = read(qtbot, session, lambda store: store.events_of_type(EventType.EVENT_CORRECTED))
    assert fix.schema_version == 2 and fix.payload.target_id == sent_id
    assert dict(fix.payload.changes) == {"step": "withdrawn", "method": "",
                                         "reason": "They asked us not to"}


def test_a_sent_step_entered_in_error_says_the_referral_will_be_due_again(
    qtbot: QtBot, session: Session
) -> None:
    h, sent_id = a_sent_referral(qtbot, session)
    opener, _ = opener_for(qtbot, session)
    dialog = open_case(qtbot, opener, h)
    choose(dialog, STEP)
    assert "Sent to VCAS" in dialog.records.currentItem().text()
    dialog.in_error()
    [retract] = opener.each(InErrorDialog)
    qtbot.waitUntil(lambda: "The referral will be due again: it was due 12/03/2026." in
                    retract.effect.text(), timeout=10_000)
    qtbot.keyClicks(retract.reason, "Recorded as sent, but the email bounced")
    with qtbot.waitSignal(retract.saved, timeout=10_000):
        retract.save()
    referral = read(qtbot, session, lambda store: store.household(h)).referral
    assert referral.state is ReferralState.DUE and referral.sent_at is None
    [void] = read(qtbot, session, lambda store: store.events_of_type(EventType.ENTERED_IN_ERROR))
    assert void.payload.target_id == sent_id


def test_another_officers_step_is_withheld_with_the_rules_sentence(
    qtbot: QtBot, session: Session
) -> None:
    h, _ = a_sent_referral(qtbot, session, author="5678", oic="9999")
    opener, _ = opener_for(qtbot, session)
    dialog = open_case(qtbot, opener, h)
    choose(dialog, STEP)
    assert not dialog.correct_button.isEnabled() and not dialog.in_error_button.isEnabled()
    assert ("Only the officer who recorded it, the OIC of 13/240117/26 or a supervisor can "
            "correct this record." in dialog.why.text())
    dialog.in_error()
    assert opener.each(InErrorDialog) == []


def test_a_sent_step_cannot_be_corrected_to_an_acknowledgement_of_nothing_sent(
    qtbot: QtBot, session: Session
) -> None:
    h, _ = a_sent_referral(qtbot, session)
    dialog, form = correction(qtbot, session, h, STEP,
                              lambda f: f.method.value() == "secure_email")
    form.step.button("acknowledged").click()
    qtbot.keyClicks(form.vcas_contact, "R Patel")
    qtbot.keyClicks(form.correction_reason, "VCAS acknowledged it")
    form.save()
    qtbot.waitUntil(lambda: "Record that the referral was sent first." in
                    form.problem_text("payload.step"), timeout=10_000)
    assert not form.reviewing
    referral = read(qtbot, session, lambda store: store.household(h)).referral
    assert referral.state is ReferralState.SENT
