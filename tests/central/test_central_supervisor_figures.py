"""GET /v1/figures/compliance|not-recorded|partners|escalations|callbacks-on-time on both back
ends: supervisors only, over what they may see, as the domain's tables; bad requests are 4xx
with the field named, never a 500."""

from __future__ import annotations

import pytest
import test_central_figures
from central_support import (
    NOVEMBER,
    Events,
    FakeClock,
    ask_figures,
    figure_tokens,
    push_as_authors,
)
from fastapi.testclient import TestClient

from central.storage.sql import SqlStorage
from fieldapp.domain.events import EventType
from fieldapp.domain.force import engagement_aggregate
from fieldapp.domain.tables import SUPERVISOR_FIGURES

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
client = test_central_figures.client  # the endpoint on the test's storage, as a fixture


@pytest.fixture
def tokens(storage: SqlStorage) -> dict[str, str]:
    tokens = figure_tokens(storage)
    make = Events()
    make.occurrence("100", oic="100", district="Leeds")  # nothing recorded about leaflets
    declined = make.occurrence("100", oic="100", district="Leeds").aggregate_id
    make.make(EventType.LEAFLET_ISSUED, declined, {
        "person_name": "Sam Person", "leaflets": ["safer_lives"], "outcome": "declined",
        "risk_indicators": [], "no_risk_seen": True, "escalated": False}, "100")
    handed = make.occurrence("100", oic="100", district="Leeds").aggregate_id
    make.make(EventType.LEAFLET_ISSUED, handed, {
        "person_name": "Sam Person", "leaflets": ["safer_lives"], "outcome": "handed",
        "risk_indicators": ["distressed"], "escalated": True,
        "escalation": {"to": "supervisor", "by": "100", "at": "2026-11-02T09:00:00Z"}}, "100")
    elsewhere = make.occurrence("200", oic="200", district="Bradford").aggregate_id
    make.make(EventType.LEAFLET_ISSUED, elsewhere, {
        "person_name": "Sam Person", "leaflets": ["safer_lives"], "outcome": "handed",
        "risk_indicators": [], "no_risk_seen": True, "escalated": False}, "200")
    make.make(EventType.PARTNER_ENGAGEMENT_REPORTED, engagement_aggregate("safer_lives",
                                                                          "2026-11"),
              {"partner": "safer_lives", "month": "2026-11", "engaged": 3}, "SUP")
    push_as_authors(storage, make.made, ("100", "200", "SUP"))
    return tokens


ask = ask_figures


def test_a_supervisor_gets_the_tables_for_what_they_may_see(
    client: TestClient, clock: FakeClock, tokens: dict[str, str], storage: SqlStorage
) -> None:
    compliance = ask(client, tokens["SUP"], "compliance", **NOVEMBER)
    assert compliance.status_code == 200, compliance.text
    body = compliance.json()
    assert body["columns"][:4] == ["Month", "District", "OIC", "Occurrences"]
    assert body["rows"] == [["2026-11", "Leeds", "100", 3, 1, 0, 1, 1, 67]]  # no Bradford
    assert body["notes"] == [] and body["device_status"] == "active"
    assert body["policy_version"]

    # Not yet three days after: nothing is overdue; four days on, the one without leaflets is.
    assert ask(client, tokens["SUP"], "not-recorded", **NOVEMBER).json()["rows"] == []
    clock.advance(4 * 86_400)
    rows = ask(client, tokens["SUP"], "not-recorded", **NOVEMBER).json()["rows"]
    assert [r[1:] for r in rows] == [["Leeds", "100", "02/11/2026", "05/11/2026"]]

    partners = ask(client, tokens["SUP"], "partners", **NOVEMBER).json()
    assert partners["rows"][0] == ["Safer Lives", "2026-11", 1, 3, 3.0]
    assert ask(client, tokens["SUP"], "escalations", **NOVEMBER).json()["rows"] == [
        ["2026-11", "No risk seen", 1], ["2026-11", "Supervisor", 1]]
    assert ask(client, tokens["SUP"], "callbacks-on-time", **NOVEMBER).json()["rows"] == [
        [0, 0, 0, 0]]
    by_year = ask(client, tokens["SUP"], "compliance", period="year", **NOVEMBER).json()
    assert by_year["columns"][0] == "Year" and by_year["rows"][0][0] == "2026"
    log = [e for e in storage.access_log() if e.action == "figures"]
    assert log and all(e.officer == "SUP" and e.category == "consultation" for e in log)


@pytest.mark.parametrize("figure", list(SUPERVISOR_FIGURES))
def test_only_supervisors(client: TestClient, tokens: dict[str, str], figure: str) -> None:
    refused = ask(client, tokens["100"], figure, **NOVEMBER)
    assert refused.status_code == 403 and refused.json()["error"] == "supervisors_only"


@pytest.mark.parametrize("figure", list(SUPERVISOR_FIGURES))
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"to": "2026-11-30"}, "from"),
        ({"from": "2026-02-30", "to": "2026-11-30"}, "from"),
        ({"from": "2026-11-30", "to": "2026-11-01"}, "to"),
        ({**NOVEMBER, "period": "week"}, "period"),
        ({**NOVEMBER, "district": "Leeds"}, "district"),
    ],
)
def test_bad_requests_name_the_field(
    client: TestClient, tokens: dict[str, str], figure: str, params: dict[str, str], field: str
) -> None:
    answer = ask(client, tokens["SUP"], figure, **params)
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["message"] and [p["field"] for p in body["problems"]] == [field]


def test_an_unknown_figure_is_a_clear_404(client: TestClient, tokens: dict[str, str]) -> None:
    answer = ask(client, tokens["SUP"], "referrals-next-year", **NOVEMBER)
    assert answer.status_code == 404
    assert answer.json()["message"]
