"""Putting records right from the app, end to end against the real store: correct a household,
an offer and an occurrence (pre-filled, a reason required, what changes shown before
saving), entered in error, reassign a call-back (withheld from an officer who is not the
OIC, with the rule's sentence), merge a possible duplicate side by side, a change by another
officer shown on the record, split a joined household or a possible duplicate, the officer
as enrolled (a supervisor), reached from the record and the follow-ups, and one
consultation entry per record opened."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from factories import callback, event, household, leaflets, new_id, occurrence, offer
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from ui_support import NOW, first_run, record_a_call_back, wait_idle

from fieldapp.domain.events import EventType
from fieldapp.store import Store
from fieldapp.store.access import Action
from fieldapp.sync.client import SETTING_OFFICER
from fieldapp.ui.capture_page import describe_household, open_occurrence
from fieldapp.ui.controller import AppController
from fieldapp.ui.corrections.dialogs import (
    CaseDialog,
    CaseOpener,
    InErrorDialog,
    MergeDialog,
    ReassignDialog,
    SplitDialog,
)
from fieldapp.ui.corrections.forms import Correcting, CorrectOffer
from fieldapp.ui.followups_page import FollowUpsPage
from fieldapp.ui.launcher import FormLauncher
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.referrals_tab import load_detail
from fieldapp.ui.session import Session
from fieldapp.ui.widgets import ErrorLabel

AT = NOW - timedelta(hours=2)  # the doorstep, Tuesday 10/03/2026: a decline is due 31/03/2026


def append(qtbot: QtBot, session: Session, events: list[Any]) -> None:
    session.run(lambda store: store.append(events))
    wait_idle(qtbot, session.worker)


def read(qtbot: QtBot, session: Session, op: Any) -> Any:
    found: list[Any] = []
    session.run(op, found.append)
    wait_idle(qtbot, session.worker)
    return found[0]


def a_case(qtbot: QtBot, session: Session, *, oic: str = "1234",
           outcome: str = "declined") -> tuple[str, str, str]:
    """An occurrence, a household ("Jane Smithc", a child missing) and an offer."""
    o, h = new_id(), new_id()
    made = offer(h, outcome, AT + timedelta(minutes=10))
    append(qtbot, session, [
        occurrence(o, AT, oic=oic, reference="13/240117/26"),
        event(EventType.HOUSEHOLD_RECORDED, h, {
            "occurrence_id": o, "address": "4 Beck Side", "postcode": "LS6 2QQ",
            "members": [{"relationship": "partner", "name": "Jane Smithc"}]},
            AT + timedelta(minutes=5)),
        made,
    ])
    return o, h, made.id


def a_duplicate(qtbot: QtBot, session: Session) -> tuple[str, str, str]:
    """A case whose address was recorded a second time, typed so that the rule does not join
    them (an address typed the same way is one household): a possible duplicate household."""
    o, h, _ = a_case(qtbot, session)
    twin = new_id()
    append(qtbot, session, [household(twin, o, AT + timedelta(minutes=30), postcode="LS6 2QQ",
                                      address="4 Beck Side, Leeds")])
    return o, h, twin


def opener_for(qtbot: QtBot, session: Session) -> tuple[CaseOpener, FormLauncher]:
    window = QWidget()
    qtbot.addWidget(window)
    launcher = FormLauncher(session, window)
    return CaseOpener(session, launcher, window), launcher


def open_case(qtbot: QtBot, opener: CaseOpener, key: str) -> CaseDialog:
    dialog = opener.open_case(key)
    qtbot.waitUntil(lambda: dialog.case is not None, timeout=10_000)
    return dialog


def choose(dialog: CaseDialog, label: str) -> None:
    for n in range(dialog.records.count()):
        if dialog.records.item(n).text().startswith(label):
            dialog.records.setCurrentRow(n)
            return
    raise AssertionError(f"no {label} record")


def corrected(qtbot: QtBot, dialog: CaseDialog, launcher: FormLauncher, label: str,
              ready: Any) -> Correcting:
    choose(dialog, label)
    assert dialog.correct_button.isEnabled()
    dialog.correct()
    form = next(f for f in launcher.open_forms.values() if isinstance(f, Correcting))
    qtbot.waitUntil(lambda: ready(form), timeout=10_000)
    return form


def correction(qtbot: QtBot, session: Session, key: str, label: str,
               ready: Any) -> tuple[CaseDialog, Any]:
    """The case window of `key`, and the correction form of its record `label`, pre-filled."""
    opener, launcher = opener_for(qtbot, session)
    dialog = open_case(qtbot, opener, key)
    return dialog, corrected(qtbot, dialog, launcher, label, ready)


def save_correction(qtbot: QtBot, form: Correcting, reason: str) -> str:
    """Types the reason, saves, and confirms the check before saving; what the check said."""
    qtbot.keyClicks(form.correction_reason, reason)
    form.save()
    qtbot.waitUntil(lambda: form.reviewing, timeout=10_000)
    checked = form.review.text
    with qtbot.waitSignal(form.saved, timeout=10_000):
        form.confirm()
    return checked


def problems(form: QWidget) -> str:
    return " ".join(e.text() for e in form.findChildren(ErrorLabel) if not e.isHidden())


def test_a_household_is_corrected_prefilled_with_a_reason_and_only_its_changes(
    qtbot: QtBot, session: Session
) -> None:
    _, h, _ = a_case(qtbot, session)
    dialog, form = correction(qtbot, session, h, "Household",
                              lambda f: f.address.toPlainText() == "4 Beck Side")
    assert form.member_rows[0].name.text() == "Jane Smithc"  # pre-filled as it stands
    form.member_rows[0].name.setText("Jane Smith")
    form.add_member("child").age.setValue(7)
    form.save()
    qtbot.waitUntil(lambda: bool(problems(form)), timeout=10_000)
    assert "reason" in problems(form).lower()  # a reason is required: nothing saved
    assert not form.reviewing
    checked = save_correction(qtbot, form, "Name misspelt, child missed at the door")
    assert "Changed: members" in checked
    view = read(qtbot, session, lambda store: store.household(h))
    assert [(m.relationship, m.name, m.age) for m in view.members] == [
        ("partner", "Jane Smith", None), ("child", "", 7)]
    [fix] = read(qtbot, session, lambda store: store.events_of_type(EventType.EVENT_CORRECTED))
    assert fix.payload.reason == "Name misspelt, child missed at the door"
    # Only what changed is sent (event_corrected version 2): the members, not the address.
    assert fix.schema_version == 2 and fix.payload.payload == {}
    assert list(fix.payload.changes) == ["members"]
    assert [m["name"] for m in fix.payload.changes["members"]] == ["Jane Smith", ""]
    assert "postcode" not in json.loads(fix.to_json())["payload"]["changes"]
    # The case window reads it again from the change set: the record as it now stands.
    qtbot.waitUntil(lambda: any("Household" in dialog.records.item(n).text() and "2 member"
                                in dialog.records.item(n).text()
                                for n in range(dialog.records.count())), timeout=10_000)


def test_a_correction_that_changes_nothing_is_refused(qtbot: QtBot, session: Session) -> None:
    _, h, _ = a_case(qtbot, session)
    dialog, form = correction(qtbot, session, h, "Household",
                              lambda f: f.address.toPlainText() == "4 Beck Side")
    qtbot.keyClicks(form.correction_reason, "Checked it")
    form.save()
    qtbot.waitUntil(lambda: "Nothing was changed" in problems(form), timeout=10_000)
    assert read(qtbot, session,
                lambda store: store.events_of_type(EventType.EVENT_CORRECTED)) == []


def test_correcting_an_offer_shows_the_new_call_back_date_before_saving(
    qtbot: QtBot, session: Session
) -> None:
    _, h, _ = a_case(qtbot, session)
    dialog, form = correction(qtbot, session, h, "VCAS offer",
                              lambda f: f.outcome.value() == "declined")
    assert isinstance(form, CorrectOffer)
    qtbot.waitUntil(lambda: "No call-back or referral changes" in form.effect_text,
                    timeout=10_000)
    form.occurred_at.set_value(AT - timedelta(days=1))  # it was the day before
    qtbot.waitUntil(lambda: "due 30/03/2026 instead of 31/03/2026" in form.effect_text,
                    timeout=10_000)
    assert "30/03/2026" in form.due_text  # the form's own call-back date moved too
    form.outcome.button("accepted").click()
    qtbot.waitUntil(lambda: "The call-back due 31/03/2026 will be cancelled" in
                    form.effect_text, timeout=10_000)
    form.outcome.button("declined").click()
    checked = save_correction(qtbot, form, "The offer was made the day before")
    assert "Changed: when it happened" in checked
    view = read(qtbot, session, lambda store: store.household(h))
    assert f"{view.task.due:%d/%m/%Y}" == "30/03/2026"


def test_an_occurrence_is_corrected(qtbot: QtBot, session: Session) -> None:
    o, _, _ = a_case(qtbot, session)
    dialog, form = correction(qtbot, session, o, "Occurrence",
                              lambda f: f.reference.text() == "13/240117/26")
    form.offences.set_value(["iioc", "voyeurism"])
    form.touch()
    save_correction(qtbot, form, "Voyeurism was also alleged")
    view = read(qtbot, session, lambda store: store.occurrence(o))
    assert view.offence_types == ("iioc", "voyeurism")


def test_an_offer_entered_in_error_says_the_call_back_will_be_cancelled(
    qtbot: QtBot, session: Session
) -> None:
    _, h, offer_id = a_case(qtbot, session)
    opener, _ = opener_for(qtbot, session)
    dialog = open_case(qtbot, opener, h)
    choose(dialog, "VCAS offer")
    dialog.in_error()
    [retract] = opener.each(InErrorDialog)
    qtbot.waitUntil(lambda: "The call-back due 31/03/2026 will be cancelled." in
                    retract.effect.text(), timeout=10_000)
    retract.save()
    qtbot.waitUntil(lambda: not retract.reason_error.isHidden(), timeout=10_000)
    assert "reason" in retract.reason_error.text().lower()
    assert read(qtbot, session, lambda store: store.household(h)).task is not None
    qtbot.keyClicks(retract.reason, "Recorded on the wrong household")
    with qtbot.waitSignal(retract.saved, timeout=10_000):
        retract.save()
    assert read(qtbot, session, lambda store: store.household(h)).task is None
    [void] = read(qtbot, session, lambda store: store.events_of_type(EventType.ENTERED_IN_ERROR))
    assert void.payload.target_id == offer_id


def test_reassign_is_withheld_from_an_officer_who_is_not_the_oic(
    qtbot: QtBot, session: Session
) -> None:
    _, h, _ = a_case(qtbot, session, oic="9999")
    opener, _ = opener_for(qtbot, session)
    dialog = open_case(qtbot, opener, h)
    assert not dialog.reassign_button.isEnabled()
    assert ("Only the OIC of 13/240117/26 or a supervisor can reassign this call-back."
            in dialog.why.text())
    dialog.reassign()
    assert opener.each(ReassignDialog) == []
    # The officer recorded the household and the offer: those they may still put right.
    choose(dialog, "VCAS offer")
    assert dialog.correct_button.isEnabled() and dialog.in_error_button.isEnabled()


def test_the_oic_reassigns_a_call_back_to_a_checked_collar_number(
    qtbot: QtBot, session: Session
) -> None:
    _, h, _ = a_case(qtbot, session)
    opener, _ = opener_for(qtbot, session)
    dialog = open_case(qtbot, opener, h)
    assert dialog.reassign_button.isEnabled()
    dialog.reassign()
    [move] = opener.each(ReassignDialog)
    qtbot.keyClicks(move.reason, "On leave until April")
    for typed, said in (("12 34", "letters or digits only"), ("1234", "already with 1234")):
        move.collar.setText(typed)
        move.save()
        qtbot.waitUntil(lambda s=said: s in move.collar_error.text(), timeout=10_000)
    move.collar.setText("5678")
    move._timer.start()
    qtbot.waitUntil(lambda: "made by 5678 instead of 1234" in move.effect.text(),
                    timeout=10_000)
    with qtbot.waitSignal(move.saved, timeout=10_000):
        move.save()
    assert read(qtbot, session, lambda store: store.household(h)).task.assignee == "5678"


def test_a_possible_duplicate_is_merged_side_by_side(qtbot: QtBot, session: Session) -> None:
    o, h, twin = a_duplicate(qtbot, session)
    conflicts = read(qtbot, session, lambda store: store.conflicts())
    [duplicate] = [c for c in conflicts if c.kind == "possible_duplicate_household"]
    opener, _ = opener_for(qtbot, session)
    opener.open_merge(tuple(duplicate.event_ids))
    qtbot.waitUntil(lambda: bool(opener.each(MergeDialog)), timeout=10_000)
    [merge] = opener.each(MergeDialog)
    assert "4 Beck Side" in merge.left.text() and "4 Beck Side" in merge.right.text()
    merge.save()
    qtbot.waitUntil(lambda: not merge.reason_error.isHidden(), timeout=10_000)
    qtbot.keyClicks(merge.reason, "The same family, recorded twice")
    with qtbot.waitSignal(merge.saved, timeout=10_000):
        merge.save()
    one = read(qtbot, session, lambda store: store.household(twin))
    assert set(one.merged_ids) == {h, twin}
    assert read(qtbot, session, lambda store: store.households(o)) == [one]


def test_a_change_by_another_officer_is_shown_on_the_record(
    qtbot: QtBot, session: Session
) -> None:
    _, h, offer_id = a_case(qtbot, session)
    append(qtbot, session, [event(EventType.EVENT_CORRECTED, h, {
        "target_id": offer_id, "target_type": "vcas_offered",
        "payload": {"outcome": "not_present"}, "reason": "Nobody was in"},
        NOW - timedelta(minutes=30), author="5678")])
    opener, _ = opener_for(qtbot, session)
    dialog = open_case(qtbot, opener, h)
    assert not dialog.others_note.isHidden()
    assert "5678 corrected a record (recorded by 1234)" in dialog.others_note.text()
    assert "Nobody was in" in dialog.others_note.text()
    choose(dialog, "VCAS offer (changed by another officer)")


def test_opening_a_record_writes_one_consultation_entry(
    qtbot: QtBot, session: Session
) -> None:
    o, h, _ = a_case(qtbot, session)
    opener, _ = opener_for(qtbot, session)
    dialog = open_case(qtbot, opener, h)
    dialog.reload()
    wait_idle(qtbot, session.worker)

    def consulted(store: Store) -> list[tuple[str, str]]:
        return [(e.subject_kind, e.detail) for e in store.access_log(subject_id=h)
                if e.action is Action.CONSULTATION]

    # Each load of the case window is one opening by the officer.
    assert read(qtbot, session, consulted) == [("household", "opened to put right")] * 2


def test_a_merged_household_is_split_again_side_by_side(
    qtbot: QtBot, session: Session
) -> None:
    o, h, _ = a_case(qtbot, session)
    other = new_id()
    append(qtbot, session, [
        household(other, o, AT + timedelta(minutes=30), postcode="LS7 1AB",
                  address="12 Chapel Lane"),
        event(EventType.HOUSEHOLDS_MERGED, h, {"merged_id": other, "reason": "Same family"},
              AT + timedelta(minutes=40)),
    ])
    joined = read(qtbot, session, lambda store: store.household(other))
    opener, _ = opener_for(qtbot, session)
    dialog = open_case(qtbot, opener, joined.id)
    assert dialog.split_button.isEnabled()
    dialog.split()
    [split] = opener.each(SplitDialog)
    sides = {split.left.text(), split.right.text()}
    assert any("4 Beck Side" in t for t in sides) and any("12 Chapel Lane" in t for t in sides)
    qtbot.waitUntil(lambda: "will be a household of its own again" in split.effect.text(),
                    timeout=10_000)
    split.save()
    qtbot.waitUntil(lambda: not split.reason_error.isHidden(), timeout=10_000)
    qtbot.keyClicks(split.reason, "Next-door neighbours, not one family")
    with qtbot.waitSignal(split.saved, timeout=10_000):
        split.save()
    assert len(read(qtbot, session, lambda store: store.households(o))) == 2


def test_a_possible_duplicate_is_kept_apart_as_different_households(
    qtbot: QtBot, session: Session
) -> None:
    o, h, twin = a_duplicate(qtbot, session)
    [duplicate] = [c for c in read(qtbot, session, lambda store: store.conflicts())
                   if c.kind == "possible_duplicate_household"]
    opener, _ = opener_for(qtbot, session)
    opener.open_split(tuple(duplicate.event_ids))
    qtbot.waitUntil(lambda: bool(opener.each(SplitDialog)), timeout=10_000)
    [split] = opener.each(SplitDialog)
    qtbot.keyClicks(split.reason, "Flat 1 and flat 2: two families")
    with qtbot.waitSignal(split.saved, timeout=10_000):
        split.save()
    assert [c for c in read(qtbot, session, lambda store: store.conflicts())
            if c.kind == "possible_duplicate_household"] == []
    assert len(read(qtbot, session, lambda store: store.households(o))) == 2


def test_a_supervisor_of_the_district_may_reassign(qtbot: QtBot, session: Session) -> None:
    """The actor is the officer as enrolled: a Leeds supervisor may reassign a Leeds
    call-back whose OIC is someone else; a Bradford one may not."""
    _, h, _ = a_case(qtbot, session, oic="9999")
    opener, _ = opener_for(qtbot, session)
    for district, allowed in (("Leeds", True), ("Bradford", False)):
        officer = json.dumps({"collar": "1234", "role": "supervisor", "district": district})
        session.run(lambda store, o=officer: store.set_setting(SETTING_OFFICER, o))
        dialog = open_case(qtbot, opener, h)
        assert dialog.reassign_button.isEnabled() is allowed
        dialog.reject()


def put_right_from_the_record(qtbot: QtBot,
                              controller: AppController) -> tuple[MainWindow, CaseDialog]:
    """The app, a call-back recorded through its forms, and its case opened (Put right… on
    the Record page)."""
    main = first_run(qtbot, controller)
    record_a_call_back(qtbot, controller)
    main.capture.panel.put_right_button.click()
    qtbot.waitUntil(lambda: bool(main.corrections.each(CaseDialog)), timeout=10_000)
    [case] = main.corrections.each(CaseDialog)
    qtbot.waitUntil(lambda: case.case is not None, timeout=10_000)
    return main, case


def test_put_right_is_reached_from_the_record_and_from_the_follow_ups(
    qtbot: QtBot, controller: AppController
) -> None:
    main, from_record = put_right_from_the_record(qtbot, controller)
    assert from_record.case is not None and from_record.case.household is not None
    from_record.reject()
    main.followups.reload()
    qtbot.waitUntil(lambda: main.followups.loaded and main.followups.model.rowCount() == 1)
    main.followups.table.selectRow(0)
    main.followups.put_right_button.click()
    qtbot.waitUntil(lambda: bool(main.corrections.each(CaseDialog)), timeout=10_000)
    # A lock closes every put-right window.
    controller.lock()
    assert not any(w.isVisible() for w in QApplication.topLevelWidgets()
                   if isinstance(w, CaseDialog))


def test_the_record_itself_says_who_else_changed_it(qtbot: QtBot, session: Session) -> None:
    """On the doorstep page: the household shows the other officer's change, who, when, why."""
    o, h, offer_id = a_case(qtbot, session)
    append(qtbot, session, [event(EventType.ENTERED_IN_ERROR, h, {
        "target_id": offer_id, "reason": "Offer made to the wrong address"},
        NOW - timedelta(minutes=30), author="5678")])
    opened = read(qtbot, session, lambda store: open_occurrence(store, o))
    [shown] = opened.households
    text = describe_household(shown, opened.changed_by_others[h])
    assert ("Changed by another officer: 5678 marked a record as entered in error (recorded "
            "by 1234) on 10/03/2026: Offer made to the wrong address") in text


def test_the_follow_ups_detail_says_who_else_changed_the_household(
    qtbot: QtBot, session: Session
) -> None:
    """The follow-ups' detail pane (its op, `load_detail`) shows who, when and why, as the
    put-right window does; with no such change it has no such section."""
    _, h, offer_id = a_case(qtbot, session)
    before = read(qtbot, session, lambda store: load_detail(store, h, NOW.date()))
    assert before is not None and "Changed by another officer" not in before.brief.text
    append(qtbot, session, [event(EventType.EVENT_CORRECTED, h, {
        "target_id": offer_id, "target_type": "vcas_offered",
        "payload": {"outcome": "not_present"}, "reason": "Nobody was in"},
        NOW - timedelta(minutes=30), author="5678")])
    detail = read(qtbot, session, lambda store: load_detail(store, h, NOW.date()))
    assert detail is not None
    assert ("Changed by another officer\n5678 corrected a record (recorded by 1234) on "
            "10/03/2026: Nobody was in") in detail.brief.text
    assert "Changed by another officer" in detail.brief.html


def test_leaflets_and_a_call_back_are_corrected_too(qtbot: QtBot, session: Session) -> None:
    o, h, _ = a_case(qtbot, session)
    append(qtbot, session, [
        leaflets(o, AT, risks=("suicidal_thoughts",)),
        callback(h, "no_answer", NOW - timedelta(minutes=30)),
    ])
    dialog, form = correction(qtbot, session, h, "Leaflets issued",
                              lambda f: f.person.text() == "J Smith")
    form.person.setText("John Smith")
    form.touch()
    qtbot.keyClicks(form.correction_reason, "Full name")
    form.save()
    qtbot.waitUntil(lambda: form.reviewing, timeout=10_000)
    assert "Changed: person name" in form.review.text  # the escalation is kept as it was
    with qtbot.waitSignal(form.saved, timeout=10_000):
        form.confirm()
    [issue] = read(qtbot, session, lambda store: store.occurrence(o)).leaflet_issues
    assert issue.person_name == "John Smith" and issue.escalation.by == "1234"

    dialog, form = correction(qtbot, session, h, "Call-back",
                              lambda f: f.outcome.value() == "no_answer")
    form.outcome.button("declined").click()
    qtbot.waitUntil(lambda: "will be cancelled" in form.effect_text, timeout=10_000)
    save_correction(qtbot, form, "They answered and declined again")
    task = read(qtbot, session, lambda store: store.household(h)).task
    assert task is not None and task.is_closed


def test_the_offers_contacts_are_changed_through_a_correction(
    qtbot: QtBot, session: Session
) -> None:
    """Issue 11: who to call is captured at the offer and changeable later by a correction."""
    _, h, _ = a_case(qtbot, session)
    dialog, form = correction(qtbot, session, h, "VCAS offer",
                              lambda f: f.outcome.value() == "declined")
    box = form.contacts.boxes[0]
    box.name.setText("Jane Smith")
    box.phone.setText("07700 900456")
    box.safe_to_call.setChecked(True)
    form.touch()
    qtbot.keyClicks(form.correction_reason, "Her new number, given on the phone")
    form.save()
    qtbot.waitUntil(lambda: form.reviewing or bool(problems(form)), timeout=10_000)
    assert form.reviewing, problems(form)
    assert "Changed: contacts" in form.review.text
    with qtbot.waitSignal(form.saved, timeout=10_000):
        form.confirm()
    view = read(qtbot, session, lambda store: store.household(h))
    assert [(c.name, c.usable_number) for c in view.contacts] == [("Jane Smith", "07700 900456")]


def test_opening_an_occurrence_on_the_record_page_is_one_consultation(
    qtbot: QtBot, controller: AppController
) -> None:
    main = first_run(qtbot, controller)
    record_a_call_back(qtbot, controller)
    occurrence = main.capture.current.occurrence
    household = main.capture.panel.chosen_household()
    main.capture.open(occurrence.id)  # redrawn (as after a change): not another opening
    wait_idle(qtbot, controller.worker)

    def consulted(store: Store) -> list[tuple[str, str]]:
        return [(e.subject_kind, e.subject_id) for e in reversed(store.access_log())
                if e.action is Action.CONSULTATION]

    found = controller.worker.blocking(consulted)
    assert found.count(("occurrence", occurrence.id)) == 1
    assert found.count(("household", household)) == 1


def test_the_conflict_list_offers_merge_and_different_households(
    qtbot: QtBot, session: Session
) -> None:
    o, h, twin = a_duplicate(qtbot, session)
    page = FollowUpsPage(session)
    qtbot.addWidget(page)
    page.reload()
    qtbot.waitUntil(lambda: page.loaded and page.conflicts_model.rowCount() == 1,
                    timeout=10_000)
    page.conflicts.setFocus()
    qtbot.keyClick(page.conflicts, Qt.Key.Key_Down)  # the list is chosen from by keyboard
    assert page.conflicts.currentIndex().row() == 0
    for button, signal in ((page.merge_button, page.merge_households),
                           (page.split_button, page.split_households)):
        with qtbot.waitSignal(signal) as sent:
            button.click()
        assert set(sent.args[0]) == {h, twin}
