"""The supervisors' figures three ways, over a real endpoint: the Leeds supervisor's laptop
after a sync (the Reports page's op), `GET /v1/figures/...`, and `fieldapp-central report ...`
on the endpoint's database. The event set has known figures (tests/figure_events.py),
including records stored before the district list under "leeds" and "Leeds City", and the
seed's 2023 Safer Lives series, recorded on the supervisor's laptop and round-tripped."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from figure_events import SERIES_2023, YEAR, KnownFigures, known_figures

from central.__main__ import main as central_main
from central.storage import open_storage
from central.storage.base import Caller, Device
from fieldapp.domain.events import EventType, OccurrenceRecorded
from fieldapp.domain.policy import london_date
from fieldapp.store import Store
from fieldapp.ui.reports_model import ReportRequest, compute_figures

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sync"))
from sync_support import Central, Certificates, client, enrolled_profile, running

FIGURES = {"compliance": "compliance", "not-recorded": "not_recorded", "partners": "partners",
           "escalations": "escalations", "callbacks-on-time": "on_time"}


@dataclass
class World:
    central: Central
    certs: Certificates
    supervisor: Store
    oic_again: Store  # officer 100's second laptop, which pulls what the endpoint holds
    made: KnownFigures


def store_as_before_the_list(central: Central, made: KnownFigures) -> None:
    """Straight into the endpoint's database, as an endpoint without the list accepted them."""
    storage = open_storage(f"sqlite:///{central.database}")
    try:
        officer = storage.officer("100")
        assert officer is not None
        caller = Caller(Device("older-endpoint", "100", "before the list", "active", "", None),
                        officer, "", False)
        outcomes = storage.push(caller, made.before_the_list, received_at=datetime.now(UTC),
                                address=None, rejected=0)
        assert all(o.seq is not None for o in outcomes)
    finally:
        storage.close()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("supervisor-figures")
    certs = Certificates(folder)
    made = known_figures()
    with running(Central(folder, certs)) as central:
        codes = {collar: central.officer(collar, role, team, "Leeds") for collar, role, team in
                 (("100", "oic", "T1"), ("SUP", "supervisor", "S"))}
        oic = enrolled_profile(folder / "100", "100", central.url, codes["100"], certs.ca)
        oic.append(made.oic)
        assert client(oic).run_once().rejected == ()
        oic.close()
        store_as_before_the_list(central, made)

        supervisor = enrolled_profile(folder / "SUP", "SUP", central.url, codes["SUP"],
                                      certs.ca)
        supervisor.append(made.supervisor)
        summary = client(supervisor).run_once()
        assert summary.rejected == () and summary.pulled == len(made.oic)
        # "leeds" is not yet in the Leeds supervisor's scope: an administrator maps it.
        assert central.admin("districts", "--map", "leeds=Leeds", "--reason",
                             "District typed before the list", "--as", "SUP").startswith(
                                 "Corrected 1 occurrence records")
        assert client(supervisor).run_once().pulled == 3  # the records and the correction

        again = enrolled_profile(folder / "100b", "100", central.url,
                                 central.admin("enrolment-code", "--collar", "100")
                                 .splitlines()[0], certs.ca)
        yield World(central, certs, supervisor, again, made)
        supervisor.close()
        again.close()


def ask(world: World, figure: str, **params: str) -> Any:
    answer = requests.get(
        f"{world.central.url}/v1/figures/{figure}",
        params={"from": YEAR[0].isoformat(), "to": YEAR[1].isoformat(), **params},
        headers={"Authorization": f"Bearer {world.supervisor.get_setting('sync.token')}"},
        verify=world.certs.ca, timeout=30,
    )
    return answer


def cli(capsys: pytest.CaptureFixture[str], world: World, *argv: str) -> str:
    status = central_main(["report", *argv, "--from", YEAR[0].isoformat(), "--to",
                           YEAR[1].isoformat(), "--database",
                           f"sqlite:///{world.central.database}"])
    out, err = capsys.readouterr()
    assert status == 0, err
    return out


def test_an_old_district_pulled_from_the_endpoint_is_kept(world: World) -> None:
    """Officer 100's new laptop pulls what they authored, "leeds" and "Leeds City" included:
    refused there, they would be lost to it."""
    summary = client(world.oic_again).run_once()
    assert summary.invalid_from_server == 0
    held = {e.id for e in world.oic_again.iter_events()}
    assert {e.id for e in world.made.before_the_list} <= held
    state = world.oic_again.state()
    districts = sorted(o.district for o in state.occurrences.values())
    assert "Leeds City" in districts and "leeds" not in districts  # mapped by the correction
    stored = [e.payload.district for e in world.oic_again.iter_events()
              if isinstance(e.payload, OccurrenceRecorded)]
    assert "leeds" in stored  # the original, as stored: corrected, never rewritten


@pytest.mark.parametrize("figure", list(FIGURES))
def test_the_three_agree(
    world: World, capsys: pytest.CaptureFixture[str], figure: str
) -> None:
    today = london_date(datetime.now(UTC))
    figures = compute_figures(world.supervisor, ReportRequest(
        *YEAR, "month", "", today, datetime.now(UTC)))
    laptop = getattr(figures, FIGURES[figure])
    answer = ask(world, figure)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["columns"] == list(laptop.header)
    assert body["rows"] == [list(r) for r in laptop.rows]
    assert body["rows"], "a figure with nothing in it proves nothing"
    from_cli = json.loads(cli(capsys, world, figure, "--district", "Leeds", "--format",
                              "json"))
    assert from_cli["rows"] == body["rows"]
    assert from_cli["columns"] == body["columns"]


def test_the_known_figures_and_the_seeds_series(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    compliance = ask(world, "compliance").json()["rows"]
    assert compliance == [
        ["2023-01", "Leeds", "100", 2, 1, 1, 0, 0, 100],
        ["2023-02", "Leeds", "100", 2, 0, 0, 1, 1, 50],
        ["2023-03", "Leeds", "100", 1, 1, 0, 0, 0, 100],
        ["2023-03", "Leeds", "101", 1, 1, 0, 0, 0, 100],
    ]
    partners = ask(world, "partners").json()
    safer = [r for r in partners["rows"] if r[0] == "Safer Lives"]
    assert [r[3] for r in safer] == list(SERIES_2023)
    assert [r[2] for r in safer][:3] == [2, 0, 1]
    assert [r[4] for r in safer][:3] == [2.0, None, 3.0]
    assert partners["notes"] == [
        "Safer Lives, 2023-01: 2 reports differ (4, 5); the latest (4) is shown."]
    assert ask(world, "callbacks-on-time").json()["rows"] == [[3, 1, 2, 33]]

    # Over every record, the command line also counts "Leeds City", under its own name, and
    # says so; as CSV, with the note in the header lines.
    lines = cli(capsys, world, "compliance", "--format", "csv").splitlines()
    notes = [line for line in lines if line.startswith("# Note,")]
    assert len(notes) == 1 and "“Leeds City” (1 occurrence)" in notes[0]
    rows = list(csv.reader(io.StringIO("\n".join(lines))))
    assert ["2023-03", "Leeds City", "100", "1", "0", "0", "0", "1", "0"] in rows
    by_year = json.loads(cli(capsys, world, "partners", "--format", "json"))
    assert sum(r[3] for r in by_year["rows"] if r[0] == "Safer Lives") == sum(SERIES_2023)


@pytest.mark.parametrize(("params", "field"), [
    ({"period": "week"}, "period"),
    ({"from": "2023-02-30"}, "from"),
    ({"period": "month", "colour": "red"}, "colour"),
])
def test_bad_requests_are_4xx_with_a_clear_message(
    world: World, params: dict[str, str], field: str
) -> None:
    answer = ask(world, "compliance", **params)
    assert 400 <= answer.status_code < 500, answer.text
    body = answer.json()
    assert body["message"]
    assert field in json.dumps(body.get("problems"))


def test_figures_are_for_supervisors(world: World) -> None:
    token = world.oic_again.get_setting("sync.token")
    answer = requests.get(
        f"{world.central.url}/v1/figures/partners",
        params={"from": "2023-01-01", "to": "2023-12-31"},
        headers={"Authorization": f"Bearer {token}"}, verify=world.certs.ca, timeout=30)
    assert answer.status_code == 403 and answer.json()["error"] == "supervisors_only"
    backwards = ask(world, "partners", **{"from": "2024-01-01"})
    assert backwards.status_code == 422


def test_the_series_is_held_on_the_endpoint_as_the_laptop_recorded_it(world: World) -> None:
    with sqlite3.connect(f"file:{world.central.database}?mode=ro", uri=True) as conn:
        bodies = [json.loads(r[0]) for r in conn.execute(
            "SELECT body FROM events WHERE type = ?",
            (EventType.PARTNER_ENGAGEMENT_REPORTED.value,))]
    held = {(b["payload"]["month"], b["payload"]["engaged"], b["author"]) for b in bodies}
    expected = {(f"2023-{n:02d}", c, "SUP") for n, c in enumerate(SERIES_2023, start=1)}
    assert held == expected | {("2023-01", 5, "SUP")}
