"""Retention on both back ends: whole cases past the cut-off are erased from the log, the feeds
and the scope facts; officers who may hold them are told at their next pull; an erased case
cannot be pushed back; the erasure is recorded and logged."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from central_support import START, Events, FakeClock, add_officer, enrol_device
from fastapi.testclient import TestClient

from central import cursor as cursors
from central.__main__ import main
from central.app import create_app
from central.config import Settings
from central.storage import retention
from central.storage.base import Caller
from central.storage.sql import SqlStorage
from fieldapp.domain.events import Event

OLD = datetime(2019, 5, 14, 10, tzinfo=UTC)
CUTOFF = datetime(2020, 1, 1, tzinfo=UTC)
REASON = "Retention: 6 years after last activity (force records policy RM-12)"


class Cases:
    """Officers 100 (OIC) and 101 in team T1, 200 in T2, 300 in T3; an old case, an old case
    still active, and a recent case."""

    def __init__(self, storage: SqlStorage) -> None:
        self.storage = storage
        for collar, team in (("100", "T1"), ("101", "T1"), ("200", "T2"), ("300", "T3")):
            add_officer(storage, collar, role="oic" if collar == "100" else "officer",
                        team=team)
        self.laptops = {c: enrol_device(storage, c)[0] for c in ("100", "101", "200", "300")}
        old = Events(now=OLD)
        occ = old.occurrence("100", oic="100", district="Leeds", reference="13/123456/24")
        self.o1 = occ.aggregate_id
        first, second, third = (old.household("100", self.o1) for _ in range(3))
        self.h1, self.h2, self.h3 = (e.aggregate_id for e in (first, second, third))
        self.old = [
            occ, old.leaflets("100", self.o1), first, second, third,
            old.offer("100", self.h1), old.callback("100", self.h1),
            old.merge("100", self.h2, self.h3),
            # Officer 200 (another team) sees H1 through the reassignment only.
            old.reassign("100", self.h1, "200"),
            old.correct_occurrence("100", occ, oic="100", district="Leeds"),
        ]
        # An old occurrence whose household was called back recently: still in use.
        alive = old.occurrence("100", oic="100", district="Leeds")
        self.o2 = alive.aggregate_id
        alive_home = old.household("100", self.o2)
        recent = Events()
        self.alive = [alive, alive_home, recent.callback("101", alive_home.aggregate_id)]
        fresh = recent.occurrence("101", oic="100", district="Leeds")
        self.recent = [fresh, recent.household("101", fresh.aggregate_id)]
        self.push(self.old + self.alive[:2])
        self.push(self.alive[2:] + self.recent, "101")

    def push(self, events: list[Event], collar: str = "100") -> list[Any]:
        return self.storage.push(self.laptops[collar], events, received_at=START, address=None,
                                 rejected=0)

    @property
    def old_ids(self) -> set[str]:
        return {self.o1, self.h1, self.h2, self.h3}


def stored_ids(storage: SqlStorage) -> set[str]:
    with storage.backend.transaction("read") as tx:
        return {row[0] for row in tx.query("SELECT id FROM events")}


def rows_naming(storage: SqlStorage, ids: set[str]) -> dict[str, int]:
    """How many scope rows still name any of the ids."""
    found = {}
    with storage.backend.transaction("read") as tx:
        for table, column in (("scope_grants", "aggregate_id"),
                              ("scope_districts", "aggregate_id"),
                              ("scope_edges", "parent"), ("scope_edges", "child")):
            rows = tx.query_in(f"SELECT COUNT(*) FROM {table} WHERE {column} IN ({{in}})", ids)
            found[f"{table}.{column}"] = int(rows[0][0])
    return found


def pull_everything(storage: SqlStorage, caller: Caller, limit: int = 2) -> tuple[
    set[str], list[tuple[tuple[str, ...], str]]
]:
    ids: set[str] = set()
    erasures: list[tuple[tuple[str, ...], str]] = []
    feed = notices = 0
    while True:
        page = storage.pull(caller, after=feed, after_notice=notices, limit=limit, now=START,
                            address=None)
        ids |= {json.loads(item.body)["id"] for item in page.items}
        erasures += [(n.aggregate_ids, n.reason) for n in page.erasures]
        feed, notices = page.position, page.notice_position
        if not page.more:
            return ids, erasures


@pytest.fixture
def cases(storage: SqlStorage) -> Cases:
    return Cases(storage)


def test_a_dry_run_lists_the_expired_cases_and_changes_nothing(
    storage: SqlStorage, cases: Cases
) -> None:
    before = stored_ids(storage)
    result = storage.retention(CUTOFF, reason=REASON, now=START, actor="cli:test", dry_run=True)
    assert result.erasure_id is None
    [case] = result.cases
    assert case.occurrence_ids == (cases.o1,) and case.references == ("13/123456/24",)
    assert set(case.aggregate_ids) == cases.old_ids
    assert case.events == len(cases.old)
    assert case.newest < "2020"
    assert stored_ids(storage) == before
    assert storage.access_log()[-1].action == "retention_dry_run"


def test_expired_cases_are_erased_everywhere_and_recorded(
    storage: SqlStorage, cases: Cases
) -> None:
    result = storage.retention(CUTOFF, reason=REASON, now=START, actor="cli:test", dry_run=False)
    assert result.erasure_id is not None and len(result.cases) == 1
    assert stored_ids(storage) == {e.id for e in cases.alive + cases.recent}
    assert set(rows_naming(storage, cases.old_ids).values()) == {0}
    with storage.backend.transaction("read") as tx:
        orphans = tx.query("SELECT COUNT(*) FROM feed f LEFT JOIN events e "
                           "ON e.seq = f.event_seq WHERE e.seq IS NULL")
        [recorded] = tx.query("SELECT actor, reason, aggregates, events FROM erasures")
        erased = {row[0] for row in tx.query("SELECT aggregate_id FROM erased_aggregates")}
    assert orphans == [(0,)]
    assert recorded == ("cli:test", REASON, 4, len(cases.old))
    assert erased == cases.old_ids
    entry = storage.access_log()[-1]
    assert (entry.action, entry.category, entry.address) == ("erasure", "erasure", "cli:test")
    assert entry.detail["reason"] == REASON and set(entry.detail["aggregates"]) == cases.old_ids
    assert entry.detail["events"] == len(cases.old)
    # Nothing is left to erase at the same date.
    again = storage.retention(CUTOFF, reason=REASON, now=START, actor="cli:test", dry_run=False)
    assert again.cases == [] and again.erasure_id is None


def test_each_officer_who_may_hold_them_is_told_what_to_erase(
    storage: SqlStorage, cases: Cases
) -> None:
    storage.retention(CUTOFF, reason=REASON, now=START, actor="cli:test", dry_run=False)
    second = enrol_device(storage, "101", "Another laptop")[0]
    ids, erasures = pull_everything(storage, second, limit=1)
    assert ids == {e.id for e in cases.alive + cases.recent}
    assert {a for aggregates, _ in erasures for a in aggregates} == cases.old_ids
    assert {reason for _, reason in erasures} == {REASON}
    # Officer 200 (another team) only ever saw household H1 (reassigned to them), but may have
    # recorded something offline about its occurrence: told of the whole case. 300 saw nothing.
    _, told = pull_everything(storage, cases.laptops["200"], limit=10)
    assert [set(aggregates) for aggregates, _ in told] == [cases.old_ids]
    assert pull_everything(storage, cases.laptops["300"])[1] == []
    # The author's own laptop is told too: its own events were erased.
    assert pull_everything(storage, cases.laptops["100"])[1]


def test_an_erased_case_cannot_be_pushed_back(storage: SqlStorage, cases: Cases) -> None:
    storage.retention(CUTOFF, reason=REASON, now=START, actor="cli:test", dry_run=False)
    late = Events()
    callback = late.callback("100", cases.h1)
    merge = late.merge("100", cases.recent[1].aggregate_id, cases.h2)  # names an erased id
    unrelated = late.occurrence("100", oic="100", district="Leeds")
    outcomes = cases.push([callback, cases.old[0], merge, unrelated])
    assert [(o.seq is None, o.erased) for o in outcomes] == [
        (True, True), (True, True), (True, True), (False, False)
    ]
    assert stored_ids(storage) & ({e.id for e in cases.old} | {callback.id, merge.id}) == set()
    assert storage.access_log()[-1].detail["erased"] == sorted(
        [callback.id, cases.old[0].id, merge.id]
    )


def test_a_case_touched_after_the_scan_is_kept(storage: SqlStorage, cases: Cases) -> None:
    with storage.backend.transaction("read") as tx:
        scanned = retention.scan(tx)
    expired = scanned.expired(CUTOFF)
    assert len(expired) == 1
    cases.push([Events().offer("100", cases.h3)])  # pushed while the scan was being read
    with storage.backend.transaction("write") as tx:
        assert retention.still_expired(tx, scanned, expired) == []


def test_erasing_many_cases_in_one_run(storage: SqlStorage) -> None:
    add_officer(storage, "100", role="oic")
    laptop = enrol_device(storage, "100")[0]
    old = Events(now=OLD)
    made = []
    for _ in range(30):
        occ = old.occurrence("100", oic="100", district="Leeds")
        made += [occ, old.household("100", occ.aggregate_id)]
    storage.push(laptop, made, received_at=START, address=None, rejected=0)
    result = storage.retention(CUTOFF, reason=REASON, now=START, actor="t", dry_run=False)
    assert len(result.cases) == 30 and stored_ids(storage) == set()
    reader = enrol_device(storage, "100", "second")[0]
    _, erasures = pull_everything(storage, reader, limit=7)
    assert sum(len(a) for a, _ in erasures) == 60


# ---------------------------------------------------------------------- over HTTP


@pytest.fixture
def client(storage: SqlStorage, clock: FakeClock) -> Iterator[TestClient]:
    settings = Settings(rate_burst=1000, enrol_burst=1000)
    with TestClient(create_app(storage, settings=settings, clock=clock)) as test_client:
        yield test_client


def test_pull_carries_erasures_under_the_same_cursor(
    storage: SqlStorage, client: TestClient
) -> None:
    add_officer(storage, "100", role="oic")
    pusher, _ = enrol_device(storage, "100")
    _, token = enrol_device(storage, "100", "Reader")
    headers = {"Authorization": f"Bearer {token}"}
    old = Events(now=OLD)
    occ = old.occurrence("100", oic="100", district="Leeds")
    storage.push(pusher, [occ, old.leaflets("100", occ.aggregate_id)], received_at=START,
                 address=None, rejected=0)
    first = client.get("/v1/pull", headers=headers).json()
    assert len(first["items"]) == 2 and first["erasures"] == [] and first["rotate"] is False
    storage.retention(CUTOFF, reason=REASON, now=START, actor="t", dry_run=False)

    answer = client.get("/v1/pull", params={"cursor": first["cursor"]}, headers=headers).json()
    assert answer["items"] == [] and answer["more"] is False
    assert answer["erasures"] == [{"aggregate_ids": [occ.aggregate_id], "reason": REASON,
                                   "erased_at": "2026-11-02T09:30:00.000000Z"}]
    assert cursors.decode(answer["cursor"]).notices > 0
    after = client.get("/v1/pull", params={"cursor": answer["cursor"]}, headers=headers).json()
    assert after["erasures"] == [] and after["cursor"] == answer["cursor"]
    # A cursor of the old format, as a laptop upgraded mid-way holds, hears of it again.
    legacy = "1" + cursors.encode(cursors.decode(first["cursor"]))[1:12]
    again = client.get("/v1/pull", params={"cursor": legacy}, headers=headers).json()
    assert again["erasures"] == answer["erasures"]

    pushed = client.post("/v1/push", headers=headers, json={"events": [
        Events().leaflets("100", occ.aggregate_id).to_dict()]}).json()
    assert pushed["accepted"] == [] and pushed["rejected"][0]["problems"][0]["field"] == (
        "aggregate_id"
    )
    assert "retention" in pushed["rejected"][0]["problems"][0]["message"]


# ---------------------------------------------------------------------- on the command line


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_retention_on_the_command_line(
    storage: SqlStorage, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = Cases(storage)
    db = ("--database", database_url)
    status, out, _ = run(capsys, "admin", "retention", *db, "--before", "2020-01-01",
                         "--reason", REASON, "--dry-run")
    assert status == 0 and "Would erase 1 cases" in out and cases.o1 in out
    assert "14/05/2019" in out and "Nothing was erased" in out
    assert stored_ids(storage) >= {e.id for e in cases.old}
    status, out, _ = run(capsys, "admin", "retention", *db, "--before", "2020-01-01",
                         "--reason", REASON)
    assert status == 0 and "Erased 1 cases" in out
    assert not stored_ids(storage) & {e.id for e in cases.old}
    assert storage.access_log()[-1].address.startswith("cli:")
    status, out, _ = run(capsys, "admin", "retention", *db, "--before", "2020-01-01",
                         "--reason", REASON)
    assert status == 0 and "nothing was erased" in out


@pytest.mark.parametrize(
    ("before", "reason", "complaint"),
    [
        ("2020-13-01", REASON, "YYYY-MM-DD"),
        ((datetime.now(UTC) + timedelta(days=2)).date().isoformat(), REASON, "future"),
        ("2020-01-01", "   ", "reason"),
        ("2020-01-01", "x" * 501, "reason"),
        ("2020-01-01", "line\nbreak", "reason"),
    ],
)
def test_retention_mistakes_are_explained(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], before: str, reason: str, complaint: str
) -> None:
    status, _, err = run(capsys, "admin", "retention", "--database",
                         f"sqlite:///{tmp_path / 'c.db'}", "--before", before, "--reason", reason)
    assert status == 2 and err.startswith("fieldapp-central: ") and complaint in err
