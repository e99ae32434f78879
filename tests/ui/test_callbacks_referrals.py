"""The OIC makes the call and sends the referral from the app: the follow-ups' detail pane, the
call-back form pre-filled, the Referrals tab (send, acknowledge), the referral sheet's PDF
holding nothing of the investigation, and the due-today banner counting both."""

from __future__ import annotations

import shutil
import subprocess
import unicodedata
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from factories import event, new_id, occurrence
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from pytestqt.qtbot import QtBot
from ui_support import NOW, save_form, wait_idle

from fieldapp.domain.events import EventType
from fieldapp.domain.referral import ReferralState, ReferralStatus
from fieldapp.ui.callback_detail import ESCALATED_FLAG, SAFETY_WARNING
from fieldapp.ui.followups_model import RISK_FLAG, Column
from fieldapp.ui.followups_page import FollowUpsPage, referrals_due_parts
from fieldapp.ui.forms.vcas import CallbackForm
from fieldapp.ui.main_window import due_message
from fieldapp.ui.officer_details import SETTING as OFFICER_SETTING
from fieldapp.ui.referrals_tab import NO_OFFICER_DETAILS
from fieldapp.ui.session import Session

CANARY = "CANARY-7f3a"
CONTACT = {
    "name": "Sam Doe", "relationship": "partner",
    "phones": [{"number": "07700 900456", "label": "mobile"}],
    "preferred_times": [{"start": "18:00", "end": "20:30"}],
    "safe_to_call": True, "safe_to_leave_message": False, "language": "Urdu",
    "interpreter_needed": True, "access_needs": "Uses a wheelchair",
}


def append(qtbot: QtBot, session: Session, events: list[Any]) -> None:
    session.run(lambda store: store.append(events))
    wait_idle(qtbot, session.worker)


def household_events(*, declined: bool, canary: str = "",
                     reference: str = "13/777777/26") -> tuple[str, list[Any]]:
    """An occurrence and a household where the person under investigation lives; every free
    text of the investigation is `canary` when given. (Two occurrences with one reference are
    one occurrence: give a second one its own.)"""
    o, h = new_id(), new_id()
    at = NOW - timedelta(days=22 if declined else 0, hours=1)
    text = canary or "J Smith"
    events = [
        occurrence(o, at, reference=reference, district=canary or "Leeds"),
        event(EventType.LEAFLET_ISSUED, o, {
            "person_name": text, "leaflets": ["samaritans", "safer_lives"], "outcome": "handed",
            "risk_indicators": ["suicidal_thoughts"], "escalated": True,
            "escalation": {"to": "mental_health_triage", "by": "1234",
                           "at": (at + timedelta(minutes=5)).isoformat()},
            "notes": canary}, at),
        event(EventType.HOUSEHOLD_RECORDED, h, {
            "occurrence_id": o, "address": canary or "9 Mill Row, Leeds", "postcode": "LS6 2QQ",
            "members": [{"relationship": "partner", "name": "Sam Doe"},
                        {"relationship": "person_under_investigation", "name": text}]}, at),
        event(EventType.VCAS_OFFERED, h, {
            "outcome": "declined" if declined else "accepted", "consent_to_share": not declined,
            "contacts": [CONTACT | ({"notes": canary} if canary else {})],
            "reason": canary}, at),
    ]
    return h, events


def test_the_oic_makes_the_call_and_sends_the_referral(
    qtbot: QtBot, session: Session, tmp_path: Path
) -> None:
    h, events = household_events(declined=True)
    append(qtbot, session, events)
    page = FollowUpsPage(session)
    qtbot.addWidget(page)
    page.show()
    page.reload()
    wait_idle(qtbot, session.worker)
    page.select(h)
    wait_idle(qtbot, session.worker)
    text = page.detail.label.text()
    # The warning comes before the number.
    assert text.index("Check it is safe to talk") < text.index("07700 900456")
    assert page.detail.detail is not None
    brief = page.detail.detail.brief.text
    for said in ("Sam Doe (Partner)", "Safe to call: yes. Safe to leave a message: no.",
                 "Preferred times: 18:00–20:30", "Language: Urdu. Interpreter needed: yes.",
                 "Access needs: Uses a wheelchair", "At the attendance: Declined",
                 "Safer Lives, Samaritans", "Said they had thoughts of suicide",
                 "Escalated to Mental health triage by 1234"):
        assert said in brief, said
    assert brief.startswith(SAFETY_WARNING)

    # The call-back form says the same and has the number ready.
    form = CallbackForm(session, aggregate_id=h, draft_key=f"callback:{h}")
    qtbot.addWidget(form)
    form.show()
    wait_idle(qtbot, session.worker)
    assert "Check it is safe to talk" in form.detail.text()
    assert form.contact_phone.text() == "07700 900456"
    form.outcome.button("no_answer").click()
    qtbot.keyClicks(form.notes, "Rang out, no voicemail")
    with qtbot.waitSignal(form.saved):
        form.save()
    wait_idle(qtbot, session.worker)
    assert "No answer. Rang out, no voicemail" in page.detail.detail.brief.text

    # Next attempt: accepted, with consent, on the pre-filled number.
    form = CallbackForm(session, aggregate_id=h, draft_key=f"callback:{h}")
    qtbot.addWidget(form)
    wait_idle(qtbot, session.worker)
    form.occurred_at.set_value(NOW + timedelta(minutes=5))
    form.outcome.button("accepted").click()
    assert form.no_consent.isVisibleTo(form)
    form.consent.setChecked(True)
    with qtbot.waitSignal(form.saved):
        form.save()
    wait_idle(qtbot, session.worker)

    # The referral is due within two working days, on the Referrals tab.
    tab = page.referrals
    assert tab.model.rowCount() == 1
    item = tab.model.row_at(0)
    assert item is not None and item.household_id == h
    assert item.status is ReferralStatus.UPCOMING  # due Thursday 12 March
    assert "Referrals (0 to send)" in page.kinds.tabText(1).replace("&", "")
    tab.select(h)
    # Each step through the referral-step form, opened at the button's step, by keyboard.
    form = tab.open_step("acknowledged")
    assert form is not None
    qtbot.addWidget(form)
    wait_idle(qtbot, session.worker)
    assert form.step.value() == "acknowledged" and form.vcas_contact.hasFocus()
    qtbot.keyClicks(form.vcas_contact, "R Patel")
    form.save()
    wait_idle(qtbot, session.worker)  # refused beside the step: not sent yet, nothing changes
    assert "sent first" in form.problem_text("payload.step")
    assert tab.model.row_at(0).status is ReferralStatus.UPCOMING  # type: ignore[union-attr]
    form.close()
    wait_idle(qtbot, session.worker)
    form = tab.open_step("sent")
    assert form is not None
    wait_idle(qtbot, session.worker)
    assert form.method.isVisibleTo(form) and not form.vcas_contact.isVisibleTo(form)
    form.method.set_value("secure_email")
    with qtbot.waitSignal(form.saved):
        form.save()
    wait_idle(qtbot, session.worker)
    # The acknowledgement closed above kept its draft: it comes back as typed.
    form = tab.open_step("acknowledged")
    assert form is not None
    qtbot.waitUntil(lambda: form.vcas_contact.text() == "R Patel")
    with qtbot.waitSignal(form.saved):
        form.save()
    wait_idle(qtbot, session.worker)
    assert tab.model.row_at(0).status is ReferralStatus.ACKNOWLEDGED  # type: ignore[union-attr]
    found: list[Any] = []
    session.run(lambda store: store.household(h), found.append)
    wait_idle(qtbot, session.worker)
    referral = found[0].referral
    assert referral is not None and referral.state is ReferralState.ACKNOWLEDGED
    assert (referral.accepted_where, referral.sent_by, referral.acknowledged_by) == (
        "callback", "1234", "R Patel")
    assert referral.number == "07700 900456" and referral.sent_on_time


def test_the_banner_counts_referrals_due(qtbot: QtBot, session: Session) -> None:
    h, events = household_events(declined=False)
    append(qtbot, session, events)
    found: list[Any] = []
    session.run(lambda store: store.totals(NOW.date() + timedelta(days=2)), found.append)
    wait_idle(qtbot, session.worker)
    totals = found[0]
    assert (totals.referrals_due, totals.referrals_overdue) == (1, 0)
    assert referrals_due_parts(totals) == ["1 VCAS referral is due today"]
    assert due_message(totals) == "1 VCAS referral is due today."


def pdf_text(data: bytes, folder: Path) -> str:
    """The PDF's text by poppler's pdftotext: what anyone opening the file can read."""
    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.fail("pdftotext is missing: install poppler-utils (scripts/setup-dev.sh)")
    path = folder / "sheet.pdf"
    path.write_bytes(data)
    done = subprocess.run([tool, "-layout", str(path), "-"], capture_output=True, check=True,
                          timeout=60)
    # NFKC: the PDF's fonts set "ffi" as one ligature glyph, which pdftotext gives as such.
    return unicodedata.normalize("NFKC", done.stdout.decode())


def test_the_referral_sheet_holds_only_what_vcas_needs(
    qtbot: QtBot, session: Session, tmp_path: Path
) -> None:
    h, events = household_events(declined=False, canary=CANARY)
    append(qtbot, session, events)
    page = FollowUpsPage(session)
    qtbot.addWidget(page)
    page.reload()
    wait_idle(qtbot, session.worker)
    saved: list[object] = []
    target = tmp_path / "sheet-out.pdf"
    # No sheet until the officer has said how VCAS reaches them.
    with qtbot.waitSignal(session.notice) as told:
        page.referrals.save_sheet(h, target, saved.append)
    assert told.args == [NO_OFFICER_DETAILS]
    wait_idle(qtbot, session.worker)
    assert not target.exists() and not saved
    dialog = page.referrals.ask_officer_details()
    qtbot.addWidget(dialog)
    wait_idle(qtbot, session.worker)
    qtbot.keyClicks(dialog.name, "PC Alex Moss")
    qtbot.keyClicks(dialog.phone, "ring me")
    qtbot.keyClicks(dialog.email, "alex.moss at police")
    dialog.save()
    assert "“ring me” is not a telephone number" in dialog.errors["phone"].text()
    assert "is not an email address" in dialog.errors["email"].text()
    assert dialog.saved is None and dialog.isVisible()
    dialog.phone.setText("01632 960123")
    dialog.email.setText("alex.moss@force.police.uk")
    dialog.save()
    qtbot.waitUntil(lambda: dialog.saved is not None)
    assert not dialog.isVisible()
    kept: list[object] = []
    session.run(lambda store: store.get_setting(OFFICER_SETTING), kept.append)
    wait_idle(qtbot, session.worker)
    assert "01632 960123" in str(kept[0])  # in the profile's encrypted settings

    page.referrals.save_sheet(h, target, saved.append)
    qtbot.waitUntil(lambda: bool(saved), timeout=10_000)
    text = pdf_text(target.read_bytes(), tmp_path)
    flat = " ".join(text.split())
    for needed in ("Referral to the Victim Care and Advice Service", "Sam Doe", "07700 900456",
                   "Interpreter needed: yes", "Uses a wheelchair", "Consent to share contact "
                   "details with VCAS: yes", "indecent images of children",
                   "Referral made by PC Alex Moss (collar number 1234)", "Phone: 01632 960123",
                   "Email: alex.moss@force.police.uk", "check it is safe to talk"):
        assert needed in flat, needed
    for secret in (CANARY, "13/777777/26", "LS6 2QQ", "Samaritans", "suicide", "triage"):
        assert secret not in flat, secret


def test_the_offer_form_prefills_the_contact_from_the_household(
    qtbot: QtBot, session: Session
) -> None:
    from fieldapp.ui.forms.vcas import OfferForm

    o, h = new_id(), new_id()
    at = NOW - timedelta(hours=1)
    members = [{"relationship": "person_under_investigation", "name": "J Smith"},
               {"relationship": "partner", "name": "Sam Doe"}]
    append(qtbot, session, [occurrence(o, at), event(EventType.HOUSEHOLD_RECORDED, h, {
        "occurrence_id": o, "address": "9 Mill Row", "postcode": "LS6 2QQ",
        "members": members}, at)])
    form = OfferForm(session, aggregate_id=h, draft_key=f"offer:{h}")
    qtbot.addWidget(form)
    wait_idle(qtbot, session.worker)
    box = form.contacts.boxes[0]
    assert (box.name.text(), box.relationship.currentData()) == ("Sam Doe", "partner")
    form.outcome.button("accepted").click()
    form.consent.setChecked(True)
    qtbot.keyClicks(box.phone, "0113 496 0000")
    box.safe_to_call.setChecked(True)
    assert form.stage.value() == "attendance"
    form.stage.button("later").click()  # offered again weeks on, when they were struggling
    with qtbot.waitSignal(form.saved):
        save_form(qtbot, form)
    found: list[Any] = []
    session.run(lambda store: store.household(h), found.append)
    wait_idle(qtbot, session.worker)
    view = found[0]
    assert view.contacts[0].name == "Sam Doe" and view.referral.number == "0113 496 0000"
    assert view.offers[0].stage == "later" and view.referral.accepted_where == "later"
    assert view.accepted_later and not view.accepted_at_arrest


def test_the_occurrence_shows_to_whom_a_risk_was_escalated(qtbot: QtBot) -> None:
    from fieldapp.domain.projection import project
    from fieldapp.resources import load_policy
    from fieldapp.ui.capture_page import OccurrencePanel, Opened

    h, events = household_events(declined=True)
    state = project(events, load_policy())
    [occurrence_view] = state.occurrences.values()
    panel = OccurrencePanel()
    qtbot.addWidget(panel)
    panel.show_occurrence(Opened(occurrence_view, tuple(state.households.values())))
    shown = panel.issues.item(0).text()
    assert "(escalated to Mental health triage by 1234 at 16/02/2026 13:05)" in shown


def test_an_escalated_risk_flags_the_households_row_and_its_detail(
    qtbot: QtBot, session: Session
) -> None:
    risky, events = household_events(declined=True)
    calm, others = household_events(declined=True, reference="13/777778/26")
    # The second occurrence's leaflets saw no risk.
    issue = others[1]
    others[1] = event(EventType.LEAFLET_ISSUED, issue.aggregate_id, {
        "person_name": "K", "leaflets": ["samaritans"], "outcome": "handed",
        "risk_indicators": [], "no_risk_seen": True, "escalated": False}, issue.occurred_at)
    append(qtbot, session, [*events, *others])
    page = FollowUpsPage(session)
    qtbot.addWidget(page)
    page.show()
    page.reload()
    wait_idle(qtbot, session.worker)
    model = page.model
    flagged = model.index(model.row_of(risky), Column.NOTE)
    plain = model.index(model.row_of(calm), Column.NOTE)
    assert str(model.data(flagged)).startswith(f"{RISK_FLAG}. ")
    assert model.data(flagged, Qt.ItemDataRole.ForegroundRole).color() == QColor("#b00020")
    assert RISK_FLAG not in str(model.data(plain))
    assert model.data(plain, Qt.ItemDataRole.ForegroundRole) is None
    page.select(risky)
    wait_idle(qtbot, session.worker)
    assert page.detail.detail is not None
    assert page.detail.detail.brief.flag == ESCALATED_FLAG
    assert ESCALATED_FLAG in page.detail.label.text()
    page.select(calm)
    wait_idle(qtbot, session.worker)
    assert page.detail.detail is not None and page.detail.detail.brief.flag == ""

    # A risk escalated later, in the calm occurrence: its row gains the flag from the change.
    late = event(EventType.LEAFLET_ISSUED, issue.aggregate_id, {
        "person_name": "K", "leaflets": ["samaritans"], "outcome": "handed",
        "risk_indicators": ["suicidal_thoughts"], "escalated": True,
        "escalation": {"to": "supervisor", "by": "1234", "at": NOW.isoformat()}}, NOW)
    changes: list[Any] = []
    session.run(lambda store: store.append([late]), changes.append)
    wait_idle(qtbot, session.worker)
    page.on_changes(changes[0])
    wait_idle(qtbot, session.worker)
    qtbot.waitUntil(lambda: str(model.data(model.index(model.row_of(calm), Column.NOTE)))
                    .startswith(RISK_FLAG))
