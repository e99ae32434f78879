"""Forms become events; the domain's problems land beside the fields they name."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot
from ui_support import NOW, save_form, saved_occurrence, wait_idle

from fieldapp.domain.problems import Problem
from fieldapp.ui.forms.base import DRAFT_DELAY_MS, owner_of
from fieldapp.ui.forms.household import HouseholdForm
from fieldapp.ui.forms.leaflets import LeafletForm
from fieldapp.ui.forms.occurrence import OccurrenceForm
from fieldapp.ui.forms.vcas import CallbackForm, OfferForm
from fieldapp.ui.session import Session, new_id


def test_owner_of_falls_back_to_the_nearest_field_shown() -> None:
    known = ["payload.members", "payload.members[0].age", "payload.postcode"]
    assert owner_of("payload.members[0].age", known) == "payload.members[0].age"
    assert owner_of("payload.members[1].age", known) == "payload.members"
    assert owner_of("payload.members[1]", known) == "payload.members"
    assert owner_of("payload.postcode", known) == "payload.postcode"
    assert owner_of("aggregate_id", known) == ""
    assert owner_of("", known) == ""


def test_occurrence_form_saves_an_event(qtbot: QtBot, session: Session) -> None:
    form = OccurrenceForm(session, aggregate_id=new_id(), draft_key="occurrence:new")
    qtbot.addWidget(form)
    qtbot.keyClicks(form.reference, "13/123456/24")
    form.offences.box("iioc").setChecked(True)
    qtbot.keyClicks(form.district, "Leeds")  # typing picks from the force's districts
    assert form.payload()["district"] == "Leeds"
    with qtbot.waitSignal(form.saved) as saved:
        save_form(qtbot, form)
    assert saved.args[0].occurrences


def test_the_district_is_a_choice_of_the_forces_districts(qtbot: QtBot, session: Session) -> None:
    form = OccurrenceForm(session, aggregate_id=new_id(), draft_key="occurrence:district",
                          district=" leeds ")
    qtbot.addWidget(form)
    names = [form.district.itemData(n) for n in range(form.district.count())]
    assert names == ["", "Bradford", "Calderdale", "Kirklees", "Leeds", "Wakefield"]
    assert form.payload()["district"] == "Leeds"  # the officer's own district, as listed
    # A record made before the list keeps its text on show, to be replaced by a listed one.
    form.fill({"reference": "13/123456/24", "offence_types": ["iioc"], "oic": "1234",
               "district": "Leeds City"})
    assert form.district.currentText() == "Leeds City (not a listed district)"
    assert form.payload()["district"] == "Leeds City"
    form.save()
    wait_idle(qtbot, session.worker)
    assert form.problem_text("payload.district") == (
        "“Leeds City” is not one of the force's districts: choose Bradford, Calderdale, "
        "Kirklees, Leeds or Wakefield.")


def test_household_problems_appear_beside_their_fields(qtbot: QtBot, session: Session) -> None:
    form = HouseholdForm(
        session, aggregate_id=new_id(), occurrence_id=new_id(), draft_key="household:x"
    )
    qtbot.addWidget(form)
    form.show()
    form.postcode.setText("NOT A CODE")
    form.set_members([{"relationship": "child", "age": 19}])
    form.save()
    wait_idle(qtbot, session.worker)
    assert "not a UK postcode" in form.problem_text("payload.postcode")
    assert "Enter the address" in form.problem_text("payload.address")
    assert "under 18" in form.problem_text("payload.members[0].age")
    assert form.problem_text("") == ""
    form.show_problems([Problem("payload.occurrence_id", "Record the occurrence first.")])
    assert form.problem_text("") == "Record the occurrence first."


def _household(qtbot: QtBot, session: Session, occurrence_id: str) -> str:
    household_id = new_id()
    form = HouseholdForm(session, aggregate_id=household_id, occurrence_id=occurrence_id,
                         draft_key="household:x")
    qtbot.addWidget(form)
    form.fill({"address": "2 Low Road", "postcode": "LS2 7AB",
               "members": [{"relationship": "partner"}, {"relationship": "child", "age": 4}]})
    with qtbot.waitSignal(form.saved) as saved:
        save_form(qtbot, form)
    assert household_id in saved.args[0].households
    return household_id


def test_self_harm_risk_shows_the_escalation_at_once_and_it_must_be_confirmed(
    qtbot: QtBot, session: Session
) -> None:
    occurrence_id = saved_occurrence(qtbot, session)
    form = LeafletForm(session, aggregate_id=occurrence_id, draft_key=f"leaflets:{occurrence_id}")
    qtbot.addWidget(form)
    form.show()
    qtbot.keyClicks(form.person, "J Smith")
    form.leaflets.box("samaritans").setChecked(True)
    assert not form.escalation_shown
    form.risks.box("distressed").setChecked(True)
    assert not form.escalation_shown  # distress alone is recorded, not escalated
    form.risks.box("self_harm_thoughts").setChecked(True)
    assert form.escalation_shown
    assert "999" in form.escalation.findChild(QLabel).text()
    form.save()
    wait_idle(qtbot, session.worker)
    assert "escalate now" in form.problem_text("payload.escalated")
    form.escalated.setChecked(True)
    form.save()
    wait_idle(qtbot, session.worker)
    assert "escalated to" in form.problem_text("payload.escalation.to")
    form.escalated_to.button("mental_health_triage").click()
    with qtbot.waitSignal(form.saved):
        save_form(qtbot, form)
    form.risks.box("self_harm_thoughts").setChecked(False)
    assert not form.escalation_shown
    # No one indicator of these three demands it; together they do (resources/support.json).
    for risk in ("access_to_means", "lives_alone"):
        form.risks.box(risk).setChecked(True)
    assert form.escalation_shown


def test_the_risk_question_is_answered_either_way(qtbot: QtBot, session: Session) -> None:
    occurrence_id = saved_occurrence(qtbot, session)
    form = LeafletForm(session, aggregate_id=occurrence_id, draft_key=f"leaflets:{occurrence_id}")
    qtbot.addWidget(form)
    form.show()
    qtbot.keyClicks(form.person, "J Smith")
    form.leaflets.box("samaritans").setChecked(True)
    form.save()
    wait_idle(qtbot, session.worker)
    assert "No risk seen" in form.problem_text("payload.risk_indicators")
    form.no_risk.setChecked(True)
    with qtbot.waitSignal(form.saved):
        form.save()


def test_an_accepted_offer_says_why_no_referral_goes_without_consent_and_needs_a_number(
    qtbot: QtBot, session: Session
) -> None:
    household_id = _household(qtbot, session, saved_occurrence(qtbot, session))
    form = OfferForm(session, aggregate_id=household_id, draft_key=f"offer:{household_id}")
    qtbot.addWidget(form)
    form.show()
    form.outcome.button("accepted").click()
    assert form.due_text == ""
    assert form.consent.isVisibleTo(form)
    assert "no referral can be sent" in form.no_consent.text()
    assert form.no_consent.isVisibleTo(form)
    form.consent.setChecked(True)
    assert not form.no_consent.isVisibleTo(form)
    form.save()
    wait_idle(qtbot, session.worker)
    assert form.problem_text("payload.consent_to_share") == ""
    assert "number it can call safely" in form.problem_text("")
    box = form.contacts.boxes[0]
    qtbot.keyClicks(box.name, "Alex")
    qtbot.keyClicks(box.phone, "07700 900123")
    qtbot.keyClicks(box.times, "7pm-21:00")
    form.save()
    wait_idle(qtbot, session.worker)
    assert "“7pm” is not a time of day" in form.problem_text("payload.contacts")
    box.times.clear()
    qtbot.keyClicks(box.times, "18:00-21:00")
    form.save()
    wait_idle(qtbot, session.worker)
    assert "number it can call safely" in form.problem_text("payload.contacts")
    box.safe_to_call.setChecked(True)
    with qtbot.waitSignal(form.saved) as saved:
        save_form(qtbot, form)
    assert saved.args[0].tasks_created == ()


@pytest.mark.parametrize(
    ("offered", "due"),
    [
        # Saturday 14 March: 21 days is Saturday 4 April; Easter Monday 6 April; so Tuesday.
        (datetime(2026, 3, 14, 12, tzinfo=UTC), "07/04/2026"),
        # 23:30 UTC on 14 April is 00:30 on the 15th in London (BST): the London day counts.
        (datetime(2026, 4, 14, 23, 30, tzinfo=UTC), "06/05/2026"),
    ],
)
def test_a_declined_offer_shows_the_call_back_due_on_the_london_calendar(
    qtbot: QtBot, session: Session, offered: datetime, due: str
) -> None:
    form = OfferForm(session, aggregate_id=new_id(), draft_key="offer:x")
    qtbot.addWidget(form)
    form.occurred_at.set_value(offered)
    assert form.occurred_at.value() == offered.replace(second=0)
    form.outcome.button("declined").click()
    assert f"Call-back due {due}" in form.due_text
    form.outcome.button("not_present").click()
    assert f"Call-back due {due}" in form.due_text
    form.outcome.button("not_appropriate").click()
    assert form.due_text == ""
    assert form.reason.isVisibleTo(form)


def test_a_call_back_from_the_household_closes_its_task(qtbot: QtBot, session: Session) -> None:
    household_id = _household(qtbot, session, saved_occurrence(qtbot, session))
    offer = OfferForm(session, aggregate_id=household_id, draft_key="offer:y")
    qtbot.addWidget(offer)
    offer.outcome.button("declined").click()
    with qtbot.waitSignal(offer.saved) as saved:
        save_form(qtbot, offer)
    assert saved.args[0].tasks_created == (household_id,)
    session.clock.now = NOW + timedelta(days=21)  # type: ignore[attr-defined]
    form = CallbackForm(session, aggregate_id=household_id, draft_key="callback:y")
    qtbot.addWidget(form)
    form.outcome.button("declined").click()
    assert not form.consent.isVisibleTo(form)
    with qtbot.waitSignal(form.saved) as saved:
        save_form(qtbot, form)
    assert saved.args[0].tasks_closed == (household_id,)


def test_a_call_back_before_its_offer_is_refused_beside_the_date(
    qtbot: QtBot, session: Session
) -> None:
    household_id = _household(qtbot, session, saved_occurrence(qtbot, session))
    offer = OfferForm(session, aggregate_id=household_id, draft_key="offer:z")
    qtbot.addWidget(offer)
    offer.outcome.button("declined").click()
    with qtbot.waitSignal(offer.saved):
        save_form(qtbot, offer)
    form = CallbackForm(session, aggregate_id=household_id, draft_key="callback:z")
    qtbot.addWidget(form)
    form.outcome.button("no_answer").click()
    form.occurred_at.set_value(NOW - timedelta(days=2))
    form.save()
    wait_idle(qtbot, session.worker)
    assert "cannot be before the offer" in form.problem_text("occurred_at")


# ------------------------------------------------------------------------- drafts


def _draft(qtbot: QtBot, session: Session, key: str) -> str | None:
    found: list[str | None] = []
    session.load_draft(key, found.append)
    wait_idle(qtbot, session.worker)
    return found[0]


def test_typing_is_kept_as_a_draft_shortly_after_it_pauses(qtbot: QtBot, session: Session) -> None:
    form = OccurrenceForm(session, aggregate_id=new_id(), draft_key="occurrence")
    qtbot.addWidget(form)
    qtbot.keyClicks(form.reference, "13/77/26")
    assert _draft(qtbot, session, "occurrence") is None  # not on every keystroke
    qtbot.wait(DRAFT_DELAY_MS + 200)
    wait_idle(qtbot, session.worker)
    text = _draft(qtbot, session, "occurrence")
    assert text is not None and "13/77/26" in text


def test_a_closed_form_gives_back_what_was_typed_and_saving_clears_the_draft(
    qtbot: QtBot, session: Session
) -> None:
    household_id = new_id()
    form = HouseholdForm(session, aggregate_id=household_id, occurrence_id=new_id(),
                         draft_key="household:q")
    qtbot.addWidget(form)
    form.address.setPlainText("3 Mill Lane")
    qtbot.keyClicks(form.postcode, "LS3 1AA")
    form.set_members([{"relationship": "child", "name": "Kim", "age": 7},
                      {"relationship": "partner"}])
    form.touch()
    form.close()  # straight away, before the draft timer fires
    wait_idle(qtbot, session.worker)

    again = HouseholdForm(session, aggregate_id=new_id(), occurrence_id=new_id(),
                          draft_key="household:q")
    qtbot.addWidget(again)
    again.restore_draft()
    wait_idle(qtbot, session.worker)
    assert again.address.toPlainText() == "3 Mill Lane"
    assert again.postcode.text() == "LS3 1AA"
    assert [r.value() for r in again.member_rows] == [
        {"relationship": "child", "name": "Kim", "age": 7}, {"relationship": "partner"},
    ]


def test_a_saved_form_leaves_no_draft(qtbot: QtBot, session: Session) -> None:
    form = OccurrenceForm(session, aggregate_id=new_id(), draft_key="occurrence")
    qtbot.addWidget(form)
    form.fill({"reference": "13/8/26", "offence_types": ["iioc"], "oic": "1234",
               "district": "Leeds"})
    form.touch()
    form.flush_draft()
    assert _draft(qtbot, session, "occurrence") is not None
    with qtbot.waitSignal(form.saved):
        save_form(qtbot, form)
    assert _draft(qtbot, session, "occurrence") is None


def test_a_form_closed_before_its_draft_arrives_is_left_alone(
    qtbot: QtBot, session: Session
) -> None:
    form = OccurrenceForm(session, aggregate_id=new_id(), draft_key="occurrence")
    form.touch()
    form.flush_draft()
    gate = threading.Event()
    session.run(lambda store: gate.wait(5))  # hold the worker so the draft comes back late
    form.restore_draft()
    form.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gate.set()
    wait_idle(qtbot, session.worker)
