"""GET /v1/figures/uptake on both back ends: supervisors only, computed by the domain's
figures from the records the supervisor may see, and logged as a consultation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from central_support import (
    NOVEMBER,
    START,
    Events,
    FakeClock,
    ask_figures,
    figure_tokens,
    push_as_authors,
)
from fastapi.testclient import TestClient

from central.app import create_app
from central.config import Settings
from central.storage.sql import SqlStorage
from fieldapp.domain.events import EventType

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

@pytest.fixture
def tokens(storage: SqlStorage) -> dict[str, str]:
    tokens = figure_tokens(storage)
    make = Events()
    accepted = {"outcome": "accepted", "consent_to_share": True, "contact_name": "Alex",
                "contact_phone": "0113 496 0000"}

    def household(author: str, occ: str) -> str:
        return make.household(author, occ).aggregate_id

    leeds = make.occurrence("100", oic="100", district="Leeds").aggregate_id
    first, second, third, fourth = (household("100", leeds) for _ in range(4))
    make.make(EventType.VCAS_OFFERED, first, accepted, "100")
    make.offer("100", second, "declined")
    make.make(EventType.CALLBACK_ATTEMPTED, second,
              {"outcome": "accepted", "consent_to_share": True,
               "contact_phone": "0113 496 0000"}, "100")
    make.offer("100", third, "declined")
    make.make(EventType.VCAS_OFFERED, fourth,
              {"outcome": "not_appropriate", "reason": "Nobody else lives there"}, "100")
    bradford = make.occurrence("200", oic="200", district="Bradford").aggregate_id
    make.make(EventType.VCAS_OFFERED, household("200", bradford), accepted, "200")
    push_as_authors(storage, make.made, ("100", "200"))
    return tokens


@pytest.fixture
def client(storage: SqlStorage, clock: FakeClock) -> Iterator[TestClient]:
    with TestClient(create_app(storage, settings=Settings(rate_burst=1000), clock=clock)) as c:
        yield c


def ask(client: TestClient, token: str, **params: str) -> Any:
    return ask_figures(client, token, "uptake", **params)


def test_a_supervisor_gets_uptake_for_the_households_they_may_see(
    client: TestClient, storage: SqlStorage, tokens: dict[str, str]
) -> None:
    answer = ask(client, tokens["SUP"], **NOVEMBER)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    # Leeds only: 3 offered (not_appropriate does not count), 1 at arrest, 1 at call-back.
    assert {k: body[k] for k in ("from", "to", "offered", "accepted_at_arrest",
                                 "accepted_at_callback", "accepted", "percent")} == {
        "from": "2026-11-01", "to": "2026-11-30", "offered": 3, "accepted_at_arrest": 1,
        "accepted_at_callback": 1, "accepted": 2, "percent": 67,
    }
    assert body["device_status"] == "active"
    assert body["server_time"] == "2026-11-02T09:30:00.000000Z"
    december = ask(client, tokens["SUP"], **{"from": "2026-12-01", "to": "2026-12-31"}).json()
    assert december["offered"] == 0 and december["percent"] == 0
    log = [e for e in storage.access_log() if e.action == "figures"]
    assert log[0].category == "consultation" and log[0].officer == "SUP"
    assert log[0].detail["from"] == "2026-11-01" and log[0].detail["events"] == 10


def test_figures_are_for_supervisors_on_laptops_not_being_wiped(
    client: TestClient, storage: SqlStorage, tokens: dict[str, str]
) -> None:
    refused = ask(client, tokens["100"], **NOVEMBER)
    assert refused.status_code == 403 and refused.json()["error"] == "supervisors_only"
    [device] = [d for d in storage.devices(now=START, actor="t") if d.collar == "SUP"]
    storage.set_device_status(device.device_id, "wipe", now=START, actor="test")
    wiped = ask(client, tokens["SUP"], **NOVEMBER)
    assert wiped.status_code == 403 and wiped.json()["error"] == "device_wipe"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"to": "2026-11-30"}, "from"),
        ({"from": "2026-11-1", "to": "2026-11-30"}, "from"),
        ({"from": "2026-02-30", "to": "2026-11-30"}, "from"),
        ({"from": "2026-11-30", "to": "2026-11-01"}, "to"),
        ({**NOVEMBER, "district": "Leeds"}, "district"),
    ],
)
def test_periods_are_checked(
    client: TestClient, tokens: dict[str, str], params: dict[str, str], field: str
) -> None:
    answer = ask(client, tokens["SUP"], **params)
    assert answer.status_code == 422, answer.text
    assert [p["field"] for p in answer.json()["problems"]] == [field]
