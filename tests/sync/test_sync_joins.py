"""Two laptops, both offline, record the same occurrence reference and the same household;
after both sync through the real endpoint, everything counts it once (issue 16)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import requests
from factories import callback, event, new_id, offer
from sync_support import Central, Certificates, client, enrolled_profile

from central.__main__ import main as central_main
from fieldapp.domain.events import Event, EventType
from fieldapp.domain.figures import uptake
from fieldapp.domain.projection import project
from fieldapp.domain.schedule import TaskStatus
from fieldapp.resources import load_policy

AT = datetime(2026, 3, 10, 14, tzinfo=UTC)  # Tuesday: a call-back due Tuesday 31 March
DUE = date(2026, 3, 31)
MARCH = (date(2026, 3, 1), date(2026, 4, 30))


def test_one_household_recorded_on_two_laptops_counts_once_everywhere(
    tmp_path: Path, central: Central, certs: Certificates, capsys: pytest.CaptureFixture[str]
) -> None:
    # Two officers of one team (they see each other's records) and their supervisor.
    codes = {c: central.officer(c, role, "T1", "Leeds")
             for c, role in (("1001", "oic"), ("1002", "officer"), ("SUP", "supervisor"))}
    a = enrolled_profile(tmp_path / "a", "1001", central.url, codes["1001"], certs.ca)
    b = enrolled_profile(tmp_path / "b", "1002", central.url, codes["1002"], certs.ca)
    sup = enrolled_profile(tmp_path / "s", "SUP", central.url, codes["SUP"], certs.ca)
    a.set_setting("device_id", "laptop-a")
    b.set_setting("device_id", "laptop-b")

    def occurrence(o: str, reference: str, who: str, device: str) -> Event:
        return event(EventType.OCCURRENCE_RECORDED, o,
                     {"reference": reference, "offence_types": ["iioc"], "oic": "1001",
                      "district": "Leeds"}, AT, author=who, device=device)

    # Offline, each records the occurrence and the household, typed their own way.
    oa, ob, ha, hb = new_id(), new_id(), new_id(), new_id()
    a.append([occurrence(oa, "13/240117/26", "1001", "laptop-a"),
              event(EventType.HOUSEHOLD_RECORDED, ha, {
                  "occurrence_id": oa, "address": "Flat 2, 10 High St, Leeds",
                  "postcode": "LS1 4HY",
                  "members": [{"relationship": "partner", "name": "Jane Smith"},
                              {"relationship": "child", "age": 9}]}, AT,
                  author="1001", device="laptop-a"),
              offer(ha, "declined", AT, author="1001", device="laptop-a")])
    b.append([occurrence(ob, "13-240117-26", "1002", "laptop-b"),
              event(EventType.HOUSEHOLD_RECORDED, hb, {
                  "occurrence_id": ob, "address": "2, 10 high street, leeds",
                  "postcode": "ls14hy",
                  "members": [{"relationship": "partner", "name": "jane  smith"},
                              {"relationship": "child", "name": "Sam", "age": 9}]},
                  AT + timedelta(minutes=4), author="1002", device="laptop-b"),
              offer(hb, "declined", AT + timedelta(minutes=5), author="1002",
                    device="laptop-b")])
    assert len(a.tasks(DUE, statuses=(TaskStatus.DUE,))) == 1  # each laptop has its own

    for run in (client(a), client(b), client(a), client(sup)):
        assert run.run_once().rejected == ()

    # Each laptop: one occurrence, one household, one call-back, one household offered.
    for store in (a, b, sup):
        state = store.state()
        assert state == project(list(store.iter_events()), load_policy())
        [occ] = state.occurrences.values()
        assert occ.joined_ids == tuple(sorted((oa, ob)))
        [household] = state.households.values()
        assert set(household.merged_ids) == {ha, hb}
        assert len(state.tasks) == 1
        assert uptake(state, *MARCH).offered == 1
        assert store.household(ha) == store.household(hb) == household
        assert store.occurrence(oa) == store.occurrence(ob) == occ
    [task] = a.tasks(DUE, statuses=(TaskStatus.DUE,))
    assert b.tasks(DUE, statuses=(TaskStatus.DUE,)) == [task]
    kinds = {c.kind for c in a.conflicts()}
    assert {"occurrence_joined", "households_joined"} <= kinds

    answer = requests.get(f"{central.url}/v1/figures/uptake",
                          params={"from": "2026-03-01", "to": "2026-04-30"},
                          headers={"Authorization": f"Bearer {sup.get_setting('sync.token')}"},
                          verify=certs.ca, timeout=30)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["offered"], answer.json()["accepted"]) == (1, 0)

    # The call-back, made from B's laptop, is accepted: it closes the one task, as accepted
    # at the call-back, on both laptops and at the endpoint.
    b.append([callback(hb, "accepted", AT + timedelta(days=21), author="1002",
                       device="laptop-b")])
    for run in (client(b), client(a), client(sup)):
        assert run.run_once().rejected == ()
    for store in (a, b, sup):
        [household] = store.state().households.values()
        assert household.task is not None and household.task.is_closed
        assert household.accepted_at_callback
        counted = uptake(store.state(), *MARCH)
        assert (counted.offered, counted.accepted_at_callback) == (1, 1)
    assert a.tasks(DUE + timedelta(days=1)) == []

    answer = requests.get(f"{central.url}/v1/figures/uptake",
                          params={"from": "2026-03-01", "to": "2026-04-30"},
                          headers={"Authorization": f"Bearer {sup.get_setting('sync.token')}"},
                          verify=certs.ca, timeout=30)
    body = answer.json()
    assert (body["offered"], body["accepted_at_callback"], body["percent"]) == (1, 1, 100)
    status = central_main(["report", "uptake", "--from", "2026-03-01", "--to", "2026-04-30",
                           "--database", f"sqlite:///{central.database}"])
    out, err = capsys.readouterr()
    assert status == 0, err
    [[_, offered, at_arrest, later, at_callback, accepted, percent]] = json.loads(out)["rows"]
    assert (offered, at_arrest, later, at_callback, accepted, percent) == (1, 0, 0, 1, 1, 100)
    for store in (a, b, sup):
        store.close()
