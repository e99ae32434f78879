"""End to end over the real endpoint (HTTPS on 127.0.0.1): the officer at the door records the
household's contact (a malformed number and call time refused on the form first), the OIC on
another laptop makes the call from the follow-ups, sends the referral from the Referrals tab
and writes the sheet for VCAS, the first laptop sees it sent, and the endpoint's
`/v1/figures/referrals` counts it sent within two working days. A malformed contact pushed to
the endpoint is refused with a sentence."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
import uuid6
from pytestqt.qtbot import QtBot
from test_callbacks_referrals import pdf_text
from test_sync_two_laptops import central, enrol, held, issue_code, laptop, sync
from ui_support import NOW, FixedClock, save_form, wait_idle

from central.storage.sql import SqlStorage
from fieldapp.domain.referral import ReferralState, ReferralStatus
from fieldapp.ui.controller import AppController
from fieldapp.ui.forms.household import HouseholdForm
from fieldapp.ui.forms.vcas import CallbackForm, OfferForm

__all__ = ["central"]  # the endpoint fixture, used by name


def record_at_the_door(qtbot: QtBot, controller: AppController) -> None:
    """Occurrence, household with the person under investigation, declined offer with the
    partner's contact: through the real forms."""
    main = controller.main
    assert main is not None
    main.capture.new_occurrence()
    form = main.launcher.open_forms["occurrence"]
    form.fill({"reference": "13/700002/26", "offence_types": ["iioc"], "oic": "5678",
               "district": "Leeds"})
    form.save()
    qtbot.waitUntil(lambda: main.capture.current is not None)
    main.capture.add_household()
    household = next(f for f in main.launcher.open_forms.values() if isinstance(f, HouseholdForm))
    household.fill({"address": "4 Beck Side", "postcode": "LS6 2QQ",
                    "members": [{"relationship": "partner", "name": "Sam Doe"},
                                {"relationship": "person_under_investigation", "name": "J"}]})
    save_form(qtbot, household)
    qtbot.waitUntil(
        lambda: any(isinstance(f, OfferForm) for f in main.launcher.open_forms.values())
    )
    offer = next(f for f in main.launcher.open_forms.values() if isinstance(f, OfferForm))
    wait_idle(qtbot, controller.worker)
    box = offer.contacts.boxes[0]
    assert box.name.text() == "Sam Doe"  # pre-filled from the members
    offer.outcome.button("declined").click()
    # Malformed, the form refuses them in words and saves nothing.
    box.phone.setText("ring me")
    box.times.setText("after tea")
    box.safe_to_call.setChecked(True)
    offer.save()
    wait_idle(qtbot, controller.worker)
    said = offer.problem_text("payload.contacts")
    assert "“ring me” is not a telephone number" in said
    assert "“after tea” is not a time of day" in said
    assert not offer.reviewing
    box.phone.setText("07700 900777")
    box.times.setText("18:00-20:00")
    box.safe_to_call.setChecked(True)
    box.language.setText("Polish")
    box.interpreter.setChecked(True)
    with qtbot.waitSignal(offer.saved):
        save_form(qtbot, offer)
    wait_idle(qtbot, controller.worker)


def test_the_oic_calls_and_refers_from_the_app_alone_and_it_syncs(
    qtbot: QtBot, tmp_path: Path, central: tuple[str, Path, SqlStorage]
) -> None:
    url, ca, storage = central
    now = datetime.now(UTC)
    code_a, code_b = issue_code(storage, "1234", now), issue_code(storage, "5678", now)
    a = laptop(qtbot, tmp_path, "a", FixedClock(NOW))
    b = laptop(qtbot, tmp_path, "b", FixedClock(NOW + timedelta(days=21, hours=1)))
    try:
        main_a = enrol(qtbot, a, "1234", url, ca, code_a)
        record_at_the_door(qtbot, a)
        # Each save is sent soon after, with no button pressed: all three reach the endpoint.
        qtbot.waitUntil(lambda: held(tmp_path) == 3, timeout=20_000)
        # The acknowledgements are stored after the endpoint holds the records: wait for them.
        qtbot.waitUntil(lambda: not a.sync.running
                        and main_a.status.waiting.text() == "0 records waiting to send",
                        timeout=20_000)

        main_b = enrol(qtbot, b, "5678", url, ca, code_b)
        page = main_b.followups
        qtbot.waitUntil(lambda: page.model.rowCount() == 1)
        page.table.selectRow(0)
        qtbot.waitUntil(lambda: page.detail.detail is not None)
        shown = page.detail.label.text()
        assert shown.index("Check it is safe to talk") < shown.index("07700 900777")
        assert "Language: Polish. Interpreter needed: yes." in page.detail.detail.brief.text
        page.record_button.click()
        [form] = main_b.launcher.open_forms.values()
        assert isinstance(form, CallbackForm)
        wait_idle(qtbot, b.worker)
        assert form.contact_phone.text() == "07700 900777"
        form.outcome.button("accepted").click()
        form.consent.setChecked(True)
        with qtbot.waitSignal(form.saved):
            form.save()
        wait_idle(qtbot, b.worker)

        tab = page.referrals
        qtbot.waitUntil(lambda: tab.model.rowCount() == 1)
        item = tab.model.row_at(0)
        assert item is not None and item.status is ReferralStatus.UPCOMING
        tab.select(item.household_id)
        step = tab.open_step("sent")
        assert step is not None
        wait_idle(qtbot, b.worker)
        step.method.set_value("partner_portal")
        with qtbot.waitSignal(step.saved):
            step.save()
        wait_idle(qtbot, b.worker)
        assert tab.model.row_at(0).status is ReferralStatus.SENT  # type: ignore[union-attr]
        # The sheet for VCAS, with how VCAS reaches the OIC (the name from the enrolment).
        dialog = tab.ask_officer_details()
        qtbot.waitUntil(lambda: dialog.name.text() == "Officer 5678")
        qtbot.keyClicks(dialog.phone, "01632 960555")
        dialog.save()
        qtbot.waitUntil(lambda: dialog.saved is not None)
        sheet, made = tmp_path / "referral.pdf", []
        tab.save_sheet(item.household_id, sheet, made.append)
        qtbot.waitUntil(lambda: bool(made), timeout=10_000)
        printed = " ".join(pdf_text(sheet.read_bytes(), tmp_path).split())
        for needed in ("07700 900777", "Language: Polish. Interpreter needed: yes.",
                       "Referral made by Officer 5678 (collar number 5678)",
                       "Phone: 01632 960555", "check it is safe to talk"):
            assert needed in printed, needed
        assert "4 Beck Side" not in printed and "13/700002/26" not in printed
        # The call-back and the referral sent: both go out on their own after each save.
        qtbot.waitUntil(lambda: held(tmp_path) == 5, timeout=20_000)
        qtbot.waitUntil(lambda: not b.sync.running)
        wait_idle(qtbot, b.worker)

        assert sync(qtbot, a).pulled == 2
        found: list[Any] = []
        household = item.household_id
        a.worker.run(lambda store: store.household(household), found.append)
        wait_idle(qtbot, a.worker)
        referral = found[0].referral
        assert referral.state is ReferralState.SENT
        assert (referral.sent_by, referral.method, referral.number) == (
            "5678", "partner_portal", "07700 900777")
        assert found[0].contacts[0].interpreter_needed
        main_a.followups.reload()
        qtbot.waitUntil(lambda: main_a.followups.referrals.model.rowCount() == 1)

        # The endpoint's figure counts it sent within the two working days.
        from central_support import add_officer, enrol_device  # on the path test_sync_... set

        add_officer(storage, "9000", role="supervisor", district="Leeds")
        _, supervisor = enrol_device(storage, "9000", now=datetime.now(UTC))
        accepted = referral.accepted_at.date()
        figures = requests.get(
            f"{url}/v1/figures/referrals", verify=str(ca), timeout=30,
            params={"from": accepted.replace(day=1).isoformat(), "to": accepted.isoformat()},
            headers={"Authorization": f"Bearer {supervisor}"})
        assert figures.status_code == 200, figures.text
        leeds, total = figures.json()["rows"]
        assert (leeds["district"], leeds["due"], leeds["sent"], leeds["sent_on_time"],
                leeds["percent_on_time"]) == ("Leeds", 1, 1, 1, 100)
        assert total["month"] == "Total" and total["sent_on_time"] == 1

        # A contact that is not one, sent straight to the endpoint, is refused in words.
        tokens: list[Any] = []
        a.worker.run(lambda store: store.get_setting("sync.token"), tokens.append)
        wait_idle(qtbot, a.worker)
        bad = {
            "id": str(uuid6.uuid7()), "type": "vcas_offered", "schema_version": 1,
            "aggregate_id": household, "occurred_at": "2026-03-10T14:30:00Z",
            "recorded_at": "2026-03-10T14:30:00Z", "author": "1234", "device_id": "x",
            "payload": {"outcome": "declined", "contacts": [{
                "name": "Sam", "relationship": "partner", "safe_to_call": True,
                "safe_to_leave_message": True,
                "phones": [{"number": "ring me", "label": "mobile"}],
                "preferred_times": [{"start": "after tea", "end": "21:00"}]}]},
        }
        answer = requests.post(f"{url}/v1/push", json={"events": [bad]}, verify=str(ca),
                               headers={"Authorization": f"Bearer {tokens[0]}"}, timeout=30)
        assert answer.status_code == 200, answer.text  # per-record refusals in the answer
        assert answer.json()["rejected"], answer.text
        said = json.dumps(answer.json(), ensure_ascii=False)
        assert "“ring me” is not a telephone number" in said
        assert "“after tea” is not a time of day" in said
    finally:
        a.quit()
        b.quit()
