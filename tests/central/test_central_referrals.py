"""GET /v1/figures/referrals and `fieldapp-central report referrals` on both back ends: the
domain's referral figures over what a supervisor may see, and over every record; the new
contact fields are refused at push with a sentence when malformed."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
import test_central_figures
from central_support import (
    NOVEMBER,
    START,
    Events,
    add_officer,
    ask_figures,
    enrol_device,
    figure_tokens,
    push_as_authors,
)
from fastapi.testclient import TestClient

from central.__main__ import main
from central.storage.sql import SqlStorage
from fieldapp.domain.events import EventType

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
client = test_central_figures.client  # the endpoint on the test's storage, as a fixture

CONTACT = {"name": "Alex", "relationship": "partner",
           "phones": [{"number": "0113 496 0000", "label": "home"}],
           "preferred_times": [{"start": "18:00", "end": "20:00"}],
           "safe_to_call": True, "safe_to_leave_message": False}


@pytest.fixture
def tokens(storage: SqlStorage) -> dict[str, str]:
    tokens = figure_tokens(storage)
    make = Events()
    leeds = make.occurrence("100", oic="100", district="Leeds").aggregate_id
    sent, waiting, refused = (make.household("100", leeds).aggregate_id for _ in range(3))
    accepted = {"outcome": "accepted", "consent_to_share": True, "contacts": [CONTACT]}
    make.make(EventType.VCAS_OFFERED, sent, accepted, "100")
    make.make(EventType.REFERRAL_RECORDED, sent, {"step": "sent", "method": "secure_email"},
              "100")
    make.make(EventType.REFERRAL_RECORDED, sent, {"step": "acknowledged",
                                                  "vcas_contact": "R Patel"}, "100")
    make.make(EventType.VCAS_OFFERED, waiting, {"outcome": "accepted"}, "100")  # no consent
    make.offer("100", refused, "declined")
    bradford = make.occurrence("200", oic="200", district="Bradford").aggregate_id
    make.make(EventType.VCAS_OFFERED, make.household("200", bradford).aggregate_id, accepted,
              "200")
    push_as_authors(storage, make.made, ("100", "200"))
    return tokens


def ask(client: TestClient, token: str, **params: str) -> Any:
    return ask_figures(client, token, "referrals", **params)


def test_a_supervisor_gets_referral_figures_for_what_they_may_see(
    client: TestClient, storage: SqlStorage, tokens: dict[str, str]
) -> None:
    answer = ask(client, tokens["SUP"], **NOVEMBER)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["within_working_days"] == 2
    leeds, total = body["rows"]
    assert leeds == {"month": "2026-11", "district": "Leeds", "due": 2, "without_consent": 1,
                     "sent": 1, "sent_on_time": 1, "percent_on_time": 50, "acknowledged": 1,
                     "withdrawn": 0}
    assert total["month"] == "Total" and total["due"] == 2  # Bradford's is not theirs to see
    assert ask(client, tokens["100"], **NOVEMBER).status_code == 403
    bad = ask(client, tokens["SUP"], **{"from": "2026-11-30", "to": "2026-11-01"})
    assert bad.status_code == 422
    log = [e for e in storage.access_log() if e.action == "figures"]
    assert log[-1].detail["figures"] == "referrals"


def test_the_report_command_gives_the_same_over_every_record(
    database_url: str, tokens: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["report", "referrals", "--from", "2026-11-01", "--to", "2026-11-30",
            "--database", database_url]
    assert main([*argv, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["columns"][5] == "Sent within 2 working days"
    rows = {(r[0], r[1]): r for r in data["rows"]}
    assert rows[("2026-11", "Leeds")][2:] == [2, 1, 1, 1, 50, 1, 0]
    assert rows[("2026-11", "Bradford")][2:] == [1, 0, 0, 0, 0, 0, 0]
    assert rows[("Total", "")][2:] == [3, 1, 1, 1, 33, 1, 0]
    assert main([*argv, "--format", "csv"]) == 0
    lines = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert lines[0] == ["# Report", "VCAS referrals"]
    assert lines[-1] == ["Total", "", "3", "1", "1", "1", "33", "1", "0"]


@pytest.mark.parametrize(
    ("contact", "field", "words"),
    [
        ({**CONTACT, "phones": [{"number": "not a number", "label": "home"}]},
         "payload.contacts[0].phones[0].number", "is not a telephone number"),
        ({**CONTACT, "preferred_times": [{"start": "7pm", "end": "20:00"}]},
         "payload.contacts[0].preferred_times[0].start", "is not a time of day"),
    ],
)
def test_a_malformed_contact_is_refused_at_push_with_a_sentence(
    client: TestClient, storage: SqlStorage, tokens: dict[str, str], contact: dict[str, Any],
    field: str, words: str,
) -> None:
    make = Events()
    occ = make.occurrence("100", oic="100", district="Leeds")
    home = make.household("100", occ.aggregate_id)
    good = make.make(EventType.VCAS_OFFERED, home.aggregate_id,
                     {"outcome": "declined", "contacts": [CONTACT]}, "100")
    body = good.to_dict()
    body["payload"]["contacts"] = [contact]
    answer = client.post(
        "/v1/push", json={"events": [occ.to_dict(), home.to_dict(), body]},
        headers={"Authorization": f"Bearer {tokens['100']}"},
    )
    assert answer.status_code < 500, answer.text
    problems = json.dumps(answer.json())
    assert field in problems and words in problems


def test_the_report_command_counts_escalations_per_month_and_to_whom(
    database_url: str, storage: SqlStorage, capsys: pytest.CaptureFixture[str]
) -> None:
    add_officer(storage, "100", team="T1", district="Leeds")
    make = Events()
    occ = make.occurrence("100", oic="100", district="Leeds").aggregate_id
    make.make(EventType.LEAFLET_ISSUED, occ, {
        "person_name": "J", "leaflets": ["samaritans"], "outcome": "handed",
        "risk_indicators": ["access_to_means", "distressed", "lives_alone"], "escalated": True,
        "escalation": {"to": "crisis_team", "by": "100", "at": "2026-11-02T09:00:00Z"}}, "100")
    caller, _ = enrol_device(storage, "100")
    storage.push(caller, make.made, received_at=START, address=None, rejected=0)
    assert main(["report", "escalations", "--from", "2026-11-01", "--to", "2026-11-30",
                 "--database", database_url]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["columns"] == ["Month", "Escalated to", "Leaflet records"]
    assert data["rows"] == [["2026-11", "Mental health crisis team", 1]]
