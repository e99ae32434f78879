"""Districts on the endpoint: a push names one of the force's districts or is refused, an
officer's district is one of them, and `admin districts` maps the texts stored before the
list to it, as corrections a supervisor's pull then carries."""

from __future__ import annotations

import json

import pytest
from central_support import Events, FakeClock, add_officer, enrol_device, pull_all
from fastapi.testclient import TestClient
from test_central_api import auth, enrol

from central.__main__ import main
from central.app import create_app
from central.config import Settings
from central.storage.sql import SqlStorage
from fieldapp.domain.events import EventType, event_from_json
from fieldapp.domain.force import engagement_aggregate

VALID = "choose Bradford, Calderdale, Kirklees, Leeds or Wakefield."


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_a_push_naming_an_unknown_district_is_refused_with_the_valid_ones(
    storage: SqlStorage, clock: FakeClock,
) -> None:
    add_officer(storage, "100")
    make = Events()
    unknown = make.occurrence("100", oic="100", district="Leeds")
    as_sent = dict(unknown.to_dict(), payload={**unknown.to_dict()["payload"],
                                               "district": "Narnia"})
    spaced = make.occurrence("100", oic="100", district="Leeds")
    lower = dict(spaced.to_dict(), payload={**spaced.to_dict()["payload"], "district": " leeds "})
    with TestClient(create_app(storage, settings=Settings(rate_burst=100), clock=clock)) as client:
        device = enrol(client, storage, "100")
        answer = client.post("/v1/push", json={"events": [as_sent, lower]}, headers=auth(device))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [r["id"] for r in body["rejected"]] == [unknown.id]
    assert body["rejected"][0]["problems"] == [
        {"field": "payload.district", "message": f"“Narnia” is not one of the force's districts: "
         f"{VALID}"}]
    # " leeds " is Leeds, stored as the list names it.
    with storage.backend.transaction("read") as tx:
        stored = [event_from_json(r[0]) for r in tx.query("SELECT body FROM events")]
    assert [e.payload.district for e in stored] == ["Leeds"]  # type: ignore[union-attr]


def test_an_officers_district_is_one_of_the_forces(
    database_url: str, capsys: pytest.CaptureFixture[str], storage: SqlStorage
) -> None:
    db = ("--database", database_url)
    status, _, err = run(capsys, "admin", "add-officer", *db, "--collar", "S1", "--name", "Sgt A",
                         "--role", "supervisor", "--team", "S", "--district", "Narnia")
    assert status == 2 and f"“Narnia” is not one of the force's districts: {VALID}" in err
    status, out, _ = run(capsys, "admin", "add-officer", *db, "--collar", "S1", "--name",
                         "Sgt A", "--role", "supervisor", "--team", "S", "--district", " leeds ")
    assert status == 0 and "district Leeds" in out
    officer = storage.officer("S1")
    assert officer is not None and officer.district == "Leeds"


def test_admin_districts_maps_stored_texts_to_the_list_as_corrections(
    database_url: str, capsys: pytest.CaptureFixture[str], storage: SqlStorage
) -> None:
    """Occurrences pushed before the list (straight into storage here, as an older endpoint
    accepted them) under "Leeds City" reach the Leeds supervisor once mapped."""
    add_officer(storage, "100", team="T1")
    add_officer(storage, "SUP", role="supervisor", team="S", district="Leeds")
    add_officer(storage, "200", team="T2")
    pusher, _ = enrol_device(storage, "100")
    supervisor, _ = enrol_device(storage, "SUP")
    make = Events()
    old = [make.occurrence("100", oic="100", district=text)
           for text in ("Leeds City", "Leeds City", "leeds", "Leeds", "Narnia")]
    storage.push(pusher, old, received_at=make.now, address=None, rejected=0)
    seen, position = pull_all(storage, supervisor)
    assert set(seen) == {old[3].id}  # exact text: the rest are out of the supervisor's scope

    db = ("--database", database_url)
    status, out, _ = run(capsys, "admin", "districts", *db)
    assert status == 0
    lines = {line.split("  ")[0].strip(): line for line in out.splitlines()[1:]}
    assert "NO: map it" in lines["Leeds City"] and " 2 " in lines["Leeds City"]
    assert "as Leeds (case or spacing)" in lines["leeds"]
    assert lines["Leeds"].rstrip().endswith("yes")
    assert "NO: map it" in lines["Narnia"]
    assert out.splitlines()[-1] == "Listed but not used: Bradford, Calderdale, Kirklees, Wakefield."

    for wrong, message in (
        (("--map", "Leeds City=Narnia", "--reason", "r", "--as", "SUP"), "LISTED one of"),
        (("--map", "Leeds City=Leeds", "--as", "SUP"), "give --reason"),
        (("--map", "Leeds City=Leeds", "--reason", "r", "--as", "200"), "supervisor or admin"),
        (("--map", "Bradford=Leeds", "--reason", "r", "--as", "SUP"), "No occurrence"),
    ):
        status, _, err = run(capsys, "admin", "districts", *db, *wrong)
        assert status == 2 and message in err, err
    for mapping in ("Leeds City=Leeds", "leeds=leeds"):
        status, out, err = run(capsys, "admin", "districts", *db, "--map", mapping, "--reason",
                               "Free text from before the district list", "--as", "SUP")
        assert status == 0, err
    assert "Corrected 1 occurrence records from “leeds” to Leeds." in out

    with storage.backend.transaction("read") as tx:
        corrections = [event_from_json(r[0]) for r in tx.query(
            "SELECT body FROM events WHERE type = 'event_corrected' ORDER BY seq")]
    assert len(corrections) == 3
    assert {c.author for c in corrections} == {"SUP"}
    assert {c.payload.target_id for c in corrections} == {  # type: ignore[union-attr]
        old[0].id, old[1].id, old[2].id}
    assert {c.payload.payload["district"] for c in corrections} == {  # type: ignore[union-attr]
        "Leeds"}
    more, _ = pull_all(storage, supervisor, position)
    assert {old[0].id, old[1].id, old[2].id} <= set(more)
    assert old[4].id not in more  # Narnia is still unmapped, and still stored

    status, out, _ = run(capsys, "admin", "districts", *db)
    assert "Leeds City" not in out and "Narnia" in out


def test_admin_partner_engagement_records_a_supervisors_count(
    database_url: str, capsys: pytest.CaptureFixture[str], storage: SqlStorage
) -> None:
    add_officer(storage, "SUP", role="supervisor", team="S", district="Leeds")
    add_officer(storage, "100")
    db = ("--database", database_url)
    base = ("admin", "partner-engagement", *db, "--partner", "safer_lives")
    status, out, err = run(capsys, *base, "--month", "2023-01", "--engaged", "4", "--as", "SUP")
    assert status == 0 and "Safer Lives reports 4 engaged in 2023-01" in out, err
    for wrong, message in ((("--month", "2023-13", "--engaged", "4", "--as", "SUP"), "YYYY-MM"),
                           (("--month", "2023-02", "--engaged", "-2", "--as", "SUP"), "between"),
                           (("--month", "2023-02", "--engaged", "2", "--as", "100"), "supervisor")):
        status, _, err = run(capsys, *base, *wrong)
        assert status == 2 and message in err, err
    with storage.backend.transaction("read") as tx:
        bodies = [json.loads(r[0]) for r in tx.query("SELECT body FROM events")]
    assert [(b["type"], b["aggregate_id"], b["payload"]) for b in bodies] == [
        (EventType.PARTNER_ENGAGEMENT_REPORTED.value,
         engagement_aggregate("safer_lives", "2023-01"),
         {"partner": "safer_lives", "month": "2023-01", "engaged": 4})]
