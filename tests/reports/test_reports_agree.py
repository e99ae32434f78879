"""The same figures three ways: a supervisor's laptop after a sync with the real endpoint (the
Reports page's op), the endpoint's `GET /v1/figures/...`, and `fieldapp-central report` on
the endpoint's database. And the seed's table, exactly, through the command line."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from factories import event, leaflets, new_id, occurrence, recorded_twice, seed_events

from central.__main__ import main as central_main
from fieldapp.domain.events import EventType
from fieldapp.resources import load_policy
from fieldapp.store import Store
from fieldapp.ui.reports_model import ReportRequest, compute_figures

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sync"))
from sync_support import Central, Certificates, client, enrolled_profile, running

SEED = (date(2022, 1, 1), date(2024, 3, 31))
NOW = datetime(2026, 3, 10, 14, tzinfo=UTC)


@dataclass
class World:
    central: Central
    certs: Certificates
    supervisor: Store


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """Officer 100 (team T1) records the seed's households, half in Leeds and half in
    Bradford, and leaflets; officer 200 (team T2) records in Bradford, and records again a
    third of officer 100's households (their occurrences' references, their addresses typed
    another way), as a second laptop at the same addresses would; both push. The Leeds
    supervisor (team S) then pulls what their district holds: every figure counts each
    household once."""
    folder = tmp_path_factory.mktemp("reports")
    certs = Certificates(folder)
    with running(Central(folder, certs)) as central:
        codes = {collar: central.officer(collar, role, team, district) for collar, role, team,
                 district in (("100", "oic", "T1", "Leeds"), ("200", "officer", "T2", "Bradford"),
                              ("SUP", "supervisor", "S", "Leeds"))}
        first = recorded_by("100")
        second = recorded_by("200") + recorded_twice(first, author="200", device="laptop-200")
        for collar, events in (("100", first), ("200", second)):
            store = enrolled_profile(folder / collar, collar, central.url, codes[collar],
                                     certs.ca)
            store.append(events)
            summary = client(store).run_once()
            assert summary.pushed == len(events) and summary.rejected == ()
            store.close()
        supervisor = enrolled_profile(folder / "SUP", "SUP", central.url, codes["SUP"],
                                      certs.ca)
        summary = client(supervisor).run_once()
        assert summary.pulled > 0
        yield World(central, certs, supervisor)
        supervisor.close()


def recorded_by(collar: str) -> list[Any]:
    who = {"author": collar, "device": f"laptop-{collar}"}
    if collar == "200":
        o = new_id()
        at = datetime(2022, 5, 4, 11, tzinfo=UTC)
        return [occurrence(o, at, oic="200", district="Bradford", **who), leaflets(o, at, **who)]
    events = seed_events(random.Random(7), **who)
    accepted = [e for e in events if e.type is EventType.VCAS_OFFERED
                and e.to_dict()["payload"]["outcome"] == "accepted"]
    for n, e in enumerate(accepted[::2]):  # every other referral sent, one or four days on
        sent_at = e.occurred_at + timedelta(days=1 + 3 * (n % 2))
        events.append(event(EventType.REFERRAL_RECORDED, e.aggregate_id,
                            {"step": "sent", "method": "secure_email"}, sent_at, **who))
        if n % 3 == 0:
            events.append(event(EventType.REFERRAL_RECORDED, e.aggregate_id,
                                {"step": "acknowledged", "vcas_contact": "R Patel"},
                                sent_at + timedelta(days=1), **who))
    occurrences = [e for e in events if e.type is EventType.OCCURRENCE_RECORDED]
    events += [leaflets(e.aggregate_id, e.occurred_at, **who) for e in occurrences[::3]]
    for n, (offences, district) in enumerate(((("voyeurism",), "Leeds"),
                                              (("indecent_exposure", "iioc"), "Leeds"),
                                              (("sexual_communication_child",), "Bradford"))):
        o, at = new_id(), datetime(2023, 2 + n, 28, 23, 30, tzinfo=UTC)
        events += [occurrence(o, at, offences=offences, district=district, **who),
                   leaflets(o, at, **who), leaflets(o, at, **who)]
    return events


def ask(world: World, figures: str, start: date, end: date, token: str | None = None) -> Any:
    answer = requests.get(
        f"{world.central.url}/v1/figures/{figures}",
        params={"from": start.isoformat(), "to": end.isoformat()},
        headers={"Authorization": f"Bearer {token or world.supervisor.get_setting('sync.token')}"},
        verify=world.certs.ca, timeout=30,
    )
    return answer


def app_figures(world: World, start: date, end: date, period: str) -> Any:
    request = ReportRequest(start, end, period, "", NOW.date(), NOW)
    return compute_figures(world.supervisor, request)


def cli(world: World, capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    status = central_main(["report", *argv, "--database", f"sqlite:///{world.central.database}"])
    out, err = capsys.readouterr()
    assert status == 0, err
    return out


@pytest.mark.parametrize("period", [(date(2022, 1, 1), date(2022, 12, 31)), SEED])
def test_the_supervisors_figures_agree_with_the_endpoint_and_the_command_line(
    world: World, capsys: pytest.CaptureFixture[str], period: tuple[date, date]
) -> None:
    start, end = period
    by_quarter = app_figures(world, start, end, "quarter")
    by_month = app_figures(world, start, end, "month")

    uptake = ask(world, "uptake", start, end)
    assert uptake.status_code == 200, uptake.text
    total = by_quarter.total
    assert {k: uptake.json()[k] for k in ("offered", "accepted_at_arrest", "accepted_later",
                                          "accepted_at_callback", "accepted", "percent")} == {
        "offered": total.offered, "accepted_at_arrest": total.accepted_at_arrest,
        "accepted_later": total.accepted_later,
        "accepted_at_callback": total.accepted_at_callback, "accepted": total.accepted,
        "percent": total.percent}
    assert 0 < total.offered < 120  # Leeds only: the supervisor sees no Bradford household

    leaflets_answer = ask(world, "leaflets", start, end)
    assert leaflets_answer.status_code == 200, leaflets_answer.text
    rows = [[r["month"], r["offence_type"], r["district"], r["issues"], r["declined"]]
            for r in leaflets_answer.json()["rows"]]
    assert rows == [list(r) for r in by_month.leaflets.rows]
    assert rows and {r[2] for r in rows} == {"Leeds"}

    dates = ("--from", start.isoformat(), "--to", end.isoformat(), "--district", "Leeds")
    cli_uptake = json.loads(cli(world, capsys, "uptake", *dates, "--period", "quarter"))
    assert cli_uptake["rows"] == [list(r) for r in by_quarter.uptake.rows]
    assert cli_uptake["rows"][-1][0] == "Total"
    cli_leaflets = json.loads(cli(world, capsys, "leaflets", *dates))
    assert cli_leaflets["rows"] == rows
    assert cli_leaflets["policy_version"] == load_policy().version
    assert cli_leaflets["filters"] == {"District": "Leeds", "Periods": "Month"}

    # Referrals: the Reports page's table, the endpoint and the command line, row for row.
    referrals = ask(world, "referrals", start, end)
    assert referrals.status_code == 200, referrals.text
    endpoint_rows = [[r["month"], r["district"], r["due"], r["without_consent"], r["sent"],
                      r["sent_on_time"], r["percent_on_time"], r["acknowledged"],
                      r["withdrawn"]] for r in referrals.json()["rows"]]
    assert endpoint_rows == [list(r) for r in by_month.referrals.rows]
    cli_referrals = json.loads(cli(world, capsys, "referrals", *dates))
    assert cli_referrals["rows"] == endpoint_rows
    total_row = endpoint_rows[-1]
    assert total_row[0] == "Total" and total_row[2] > total_row[4] > total_row[5] > 0


def test_figures_are_for_supervisors(world: World) -> None:
    officer = enrolled_profile(
        world.central.database.parent / "officer-300", "300", world.central.url,
        world.central.officer("300", "oic", "T1", "Leeds"), world.certs.ca)
    token = officer.get_setting("sync.token")
    officer.close()
    refused = ask(world, "leaflets", *SEED, token=token)
    assert refused.status_code == 403 and refused.json()["error"] == "supervisors_only"
    backwards = ask(world, "leaflets", SEED[1], SEED[0])
    assert backwards.status_code == 422
    assert [p["field"] for p in backwards.json()["problems"]] == ["to"]


def test_the_seed_table_reproduces_through_the_command_line(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    def uptake(start: str, end: str, *more: str) -> list[list[Any]]:
        rows: list[list[Any]] = json.loads(
            cli(world, capsys, "uptake", "--from", start, "--to", end, *more))["rows"]
        return rows

    assert uptake("2022-01-01", "2022-12-31") == [["01/01/2022 to 31/12/2022", 33, 12, 0, 3, 15,
                                                                 45]]
    assert uptake("2023-01-01", "2024-03-31") == [["01/01/2023 to 31/03/2024", 87, 16, 0, 9, 25,
                                                                 29]]
    assert uptake("2022-01-01", "2024-03-31") == [["01/01/2022 to 31/03/2024", 120, 28, 0, 12,
                                                   40, 33]]
    by_year = uptake("2022-01-01", "2024-03-31", "--period", "year")
    assert [r[0] for r in by_year] == ["2022", "2023", "2024", "Total"]
    assert by_year[0][1:] == [33, 12, 0, 3, 15, 45]
    assert by_year[-1][1:] == [120, 28, 0, 12, 40, 33]

    # The real command, as an analyst runs it: CSV on stdout, the period and policy on it.
    done = subprocess.run(
        [sys.executable, "-m", "central", "report", "uptake", "--from", "2022-01-01", "--to",
         "2022-12-31", "--format", "csv", "--database", f"sqlite:///{world.central.database}"],
        capture_output=True, check=True, timeout=60,
    )
    lines = done.stdout.decode().splitlines()
    assert lines[:3] == ["# Report,VCAS uptake by household",
                         "# Period,01/01/2022 to 31/12/2022",
                         f"# Schedule policy,{load_policy().version}"]
    assert lines[3].startswith("# Generated,")
    assert lines[-1] == "01/01/2022 to 31/12/2022,33,12,0,3,15,45"
    for secret in ("1 High Street", "J Smith", "07700 900123", "LS1 4HY"):  # in the events
        assert secret.encode() not in done.stdout

    status = central_main(["report", "leaflets", "--from", "2024-01-01", "--to", "2023-01-01",
                           "--database", f"sqlite:///{world.central.database}"])
    assert status == 2 and "ends before it starts" in capsys.readouterr().err
