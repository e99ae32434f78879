"""The storage layer on both back ends: migrations, idempotent push, enrolment, devices,
and concurrent writers."""

from __future__ import annotations

import dataclasses
import threading
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from central_support import (
    START,
    Events,
    add_officer,
    enrol_device,
    issue_code,
    new_id,
    pull_all,
)

from central import security
from central.storage import authority as authorities
from central.storage import open_storage
from central.storage.base import (
    Caller,
    GuessLimit,
    Officer,
    StorageError,
    StorageUnavailable,
    TooManyGuesses,
)
from central.storage.migrations import MIGRATIONS
from central.storage.sql import SqlStorage
from fieldapp.domain.events import Event, EventType, event_from_json


def _count(storage: SqlStorage, table: str) -> int:
    with storage.backend.transaction("read") as tx:
        row = tx.one(f"SELECT COUNT(*) FROM {table}")
    assert row is not None
    return int(row[0])


def test_migrations_are_numbered_recorded_and_run_once(storage: SqlStorage) -> None:
    assert storage.migrate(START) == MIGRATIONS[-1].version
    with storage.backend.transaction("read") as tx:
        rows = tx.query("SELECT version, name FROM schema_migrations ORDER BY version")
    assert [r[0] for r in rows] == [m.version for m in MIGRATIONS]
    assert [m.version for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))


def test_a_database_from_a_newer_server_is_refused(storage: SqlStorage) -> None:
    with storage.backend.transaction("write") as tx:
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
            (999, "from the future", "2030-01-01T00:00:00.000000Z"),
        )
    with pytest.raises(StorageError, match="newer than this server"):
        storage.migrate(START)


def test_push_numbers_each_event_once_and_repeats_are_acknowledged(storage: SqlStorage) -> None:
    add_officer(storage, "100")
    caller, _ = enrol_device(storage, "100")
    events = Events()
    occ = events.occurrence("100", oic="100", district="Leeds")
    made = [
        occ, events.leaflets("100", occ.aggregate_id), events.household("100", occ.aggregate_id)
    ]

    first = storage.push(caller, made, received_at=START, address="127.0.0.1", rejected=0)
    seqs = [o.seq for o in first]
    assert all(isinstance(s, int) for s in seqs) and len(set(seqs)) == 3
    again = storage.push(caller, made[::-1], received_at=START, address="127.0.0.1", rejected=0)
    assert [o.seq for o in again] == seqs[::-1]
    assert _count(storage, "events") == 3

    log = [e for e in storage.access_log() if e.action == "push"]
    assert log[0].detail["stored"] == sorted(e.id for e in made)
    assert log[1].detail["stored"] == [] and log[1].detail["repeated"] == sorted(e.id for e in made)
    assert log[1].officer == "100" and log[1].device_id == caller.device.device_id
    assert log[1].category == "collection" and log[1].address == "127.0.0.1"


def test_a_full_batch_is_numbered_as_stored_each_event_its_own_seq(storage: SqlStorage) -> None:
    """A batch of 500 is inserted in several multi-row statements on PostgreSQL and in one
    executemany on SQLite: each event's answer is the seq its own row was given, in order."""
    add_officer(storage, "100")
    caller, _ = enrol_device(storage, "100")
    events = Events()
    made = []
    while len(made) < 500:
        occ = events.occurrence("100", oic="100", district="Leeds")
        made += [occ, events.household("100", occ.aggregate_id)]
    outcomes = storage.push(caller, made, received_at=START, address=None, rejected=0)
    with storage.backend.transaction("read") as tx:
        stored = dict(tx.query("SELECT id, seq FROM events"))
    assert [o.seq for o in outcomes] == [stored[e.id] for e in made]
    assert [o.seq for o in outcomes] == sorted(o.seq for o in outcomes if o.seq is not None)


def test_same_id_with_other_content_is_refused_and_stored_nowhere(storage: SqlStorage) -> None:
    add_officer(storage, "100")
    caller, _ = enrol_device(storage, "100")
    second, _ = enrol_device(storage, "100", name="Second laptop")
    events = Events()
    original = events.occurrence("100", oic="100", district="Leeds")
    altered = dataclasses.replace(
        Events().occurrence("100", oic="100", district="Bradford", occ=original.aggregate_id),
        id=original.id, canonical="",
    )
    assert altered.to_json() != original.to_json()

    [kept] = storage.push(caller, [original], received_at=START, address=None, rejected=0)
    [refused] = storage.push(caller, [altered], received_at=START, address=None, rejected=0)
    assert kept.seq is not None and refused.seq is None
    # Within one batch too: the first of two differing copies wins, the second is refused.
    other = events.leaflets("100", original.aggregate_id)
    other_altered = dataclasses.replace(
        other, canonical="", recorded_at=other.recorded_at + timedelta(seconds=1)
    )
    outcomes = storage.push(caller, [other, other, other_altered], received_at=START,
                            address=None, rejected=0)
    assert outcomes[0].seq is not None and outcomes[1].seq == outcomes[0].seq
    assert outcomes[2].seq is None

    with storage.backend.transaction("read") as tx:
        rows = tx.query("SELECT body FROM events ORDER BY seq")
    assert [event_from_json(r[0]).to_json() for r in rows] == [original.to_json(), other.to_json()]
    pulled, _ = pull_all(storage, second)
    assert sorted(pulled) == sorted([original.id, other.id])
    conflicts = [e.detail["conflicting"] for e in storage.access_log() if e.action == "push"]
    assert conflicts == [[], [original.id], [other.id]]


def test_enrolment_codes_are_one_time_and_expire(storage: SqlStorage) -> None:
    add_officer(storage, "100")
    code = issue_code(storage, "100")
    digest = security.code_digest(code.lower().replace("-", " "))

    def enrol(now: datetime = START) -> Officer | None:
        return storage.enrol(digest, device_id=security.new_device_id(), device_name="L",
                             token_hash=security.digest(security.new_token()), now=now,
                             address=None)

    assert enrol() is not None
    assert enrol() is None
    late = issue_code(storage, "100")
    assert storage.enrol(
        security.code_digest(late), device_id="dev_late", device_name="L", token_hash="x",
        now=START + timedelta(hours=72, seconds=1), address=None,
    ) is None
    with pytest.raises(StorageError, match="add the officer first"):
        issue_code(storage, "999")


def test_one_code_enrols_one_device_when_raced(storage: SqlStorage) -> None:
    add_officer(storage, "100")
    digest = security.code_digest(issue_code(storage, "100"))
    results = _at_once(6, lambda n: storage.enrol(
        digest, device_id=f"dev_race{n}", device_name="L", token_hash=f"token{n}", now=START,
        address=None))
    assert sum(r is not None for r in results) == 1
    assert _count(storage, "devices") == 1


def _at_once(count: int, call: Callable[[int], object]) -> list[object]:
    """`call(0..count-1)` on as many threads released together; what each returned or
    raised."""
    results: list[object] = []
    barrier = threading.Barrier(count)

    def run(n: int) -> None:
        barrier.wait()
        try:
            results.append(call(n))
        except Exception as error:  # the caller looks at what was raised
            results.append(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_concurrent_wrong_codes_cannot_pass_the_limit_together(storage: SqlStorage) -> None:
    """Nine wrong codes from one address, then eight more at once against a limit of ten: the
    count and the failure it adds are one step, so exactly one more is tried. (Three
    addresses, three races: without the lock PostgreSQL lets two through in most of them.)"""
    limit = GuessLimit(10, START - timedelta(hours=1))

    def guess(address: str, n: int) -> Officer | None:
        return storage.enrol(security.code_digest(f"WRONG-{n:04d}-CODE"),
                             device_id=f"dev_guess{n}", device_name="L", token_hash=f"t{n}",
                             now=START, address=address, guesses=limit)

    for address in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
        for n in range(9):
            assert guess(address, n) is None
        results = _at_once(8, lambda n, address=address: guess(address, 100 + n))
        assert sum(r is None for r in results) == 1, address  # the tenth wrong code, tried
        refused = [r for r in results if isinstance(r, TooManyGuesses)]
        assert len(refused) == 7 and all(len(r.failures) == 10 for r in refused)
        assert len(storage.enrolment_failures(address, since=limit.since)) == 10
    assert sum(e.action == "enrol_failed" for e in storage.access_log()) == 30


def test_device_status_changes_and_revocation_is_final(storage: SqlStorage) -> None:
    add_officer(storage, "100")
    caller, token = enrol_device(storage, "100")
    device = caller.device.device_id
    marked = storage.set_device_status(device, "wipe", now=START, actor="test")
    assert marked is not None and marked.status == "wipe"
    found = storage.caller(security.digest(token), now=START)
    assert found is not None and found.device.status == "wipe"
    assert storage.set_device_status(device, "revoked", now=START, actor="test") is not None
    with pytest.raises(StorageError, match="revoked"):
        storage.set_device_status(device, "wipe", now=START, actor="test")
    assert storage.set_device_status("dev_none", "wipe", now=START, actor="test") is None
    assert [d.status for d in storage.devices(now=START, actor="test")] == ["revoked"]
    actions = [e.action for e in storage.access_log()]
    assert actions[-3:] == ["mark_wipe", "revoke_device", "list_devices"]


def test_an_officer_is_registered_once(storage: SqlStorage) -> None:
    add_officer(storage, "100")
    with pytest.raises(StorageError, match="already registered"):
        add_officer(storage, "100", team="T2")
    officer = storage.officer("100")
    assert officer is not None and officer.team == "T1"


def test_concurrent_overlapping_pushes_store_every_event_exactly_once(
    storage: SqlStorage,
) -> None:
    collars = ["100", "101", "102"]
    for collar in collars:
        add_officer(storage, collar, team="T1")
    add_officer(storage, "900", team="T1")
    reader, _ = enrol_device(storage, "900")
    devices = {c: [enrol_device(storage, c)[0], enrol_device(storage, c)[0]] for c in collars}
    events = Events()
    batches: dict[str, list[Event]] = {}
    for collar in collars:
        occ = events.occurrence(collar, oic=collar, district="Leeds")
        own = [occ] + [events.leaflets(collar, occ.aggregate_id) for _ in range(29)]
        batches[collar] = own
    outcomes: dict[str, set[int | None]] = defaultdict(set)
    lock = threading.Lock()
    barrier = threading.Barrier(len(collars) * 2 * 2)

    def worker(caller: Caller, batch: list[Event], reverse: bool) -> None:
        barrier.wait()
        # Overlapping from the other end, the occurrence still first (as an outbox sends it).
        chosen = [batch[0], *batch[:0:-1]] if reverse else batch
        for start in range(0, len(chosen), 7):
            result = storage.push(
                caller, chosen[start : start + 7], received_at=START, address=None, rejected=0
            )
            with lock:
                for o in result:
                    outcomes[o.event_id].add(o.seq)

    threads = [
        threading.Thread(target=worker, args=(device, batches[c], reverse))
        for c in collars for device in devices[c] for reverse in (False, True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    every = [e for batch in batches.values() for e in batch]
    assert _count(storage, "events") == len(every)
    assert all(len(seqs) == 1 and None not in seqs for seqs in outcomes.values())
    assert len({next(iter(s)) for s in outcomes.values()}) == len(every)
    pulled, _ = pull_all(storage, reader, limit=11)
    assert sorted(pulled) == sorted(e.id for e in every)
    with storage.backend.transaction("read") as tx:
        dupes = tx.query(
            "SELECT officer, event_seq FROM feed GROUP BY officer, event_seq HAVING COUNT(*) > 1"
        )
    assert dupes == []


def test_a_database_that_does_not_answer_is_reported_unavailable(database_url: str) -> None:
    if database_url.startswith("sqlite"):
        url = "sqlite:////nonexistent-directory/central.db"
    else:
        url = "postgresql://postgres@127.0.0.1:9/none"
    broken = open_storage(url)
    with pytest.raises(StorageUnavailable):
        broken.check()
    broken.close()


def test_event_types_are_stored_with_their_correction_target(storage: SqlStorage) -> None:
    add_officer(storage, "100")
    caller, _ = enrol_device(storage, "100")
    events = Events()
    occ = events.occurrence("100", oic="100", district="Leeds")
    fix = events.correct_occurrence("100", occ, oic="101", district="Leeds")
    storage.push(caller, [occ, fix], received_at=START, address=None, rejected=0)
    with storage.backend.transaction("read") as tx:
        rows = tx.query("SELECT id, type, target_id FROM events ORDER BY seq")
    assert rows == [
        (occ.id, EventType.OCCURRENCE_RECORDED.value, None),
        (fix.id, EventType.EVENT_CORRECTED.value, occ.id),
    ]


def test_a_push_finds_what_the_officer_sees_by_key_not_by_reading_their_feed(
    storage: SqlStorage,
) -> None:
    """The visibility check of a push costs what the batch names, not what the officer holds:
    each event of the named aggregates is looked up in the feed by (officer, event_seq)."""
    if storage.dialect != "sqlite":
        pytest.skip("the plan is SQLite's; PostgreSQL's depends on its statistics")
    add_officer(storage, "100")
    caller, _ = enrol_device(storage, "100")
    events = Events()
    for _ in range(20):
        occ = events.occurrence("100", oic="100", district="Leeds")
        storage.push(caller, [occ, events.household("100", occ.aggregate_id)],
                     received_at=START, address="127.0.0.1", rejected=0)
    named = [new_id(), new_id()]
    with storage.backend.transaction("read") as tx:
        plan = tx.query("EXPLAIN QUERY PLAN " + authorities.VISIBLE_SQL.format(**{"in": "?,?"}),
                        ("100", *named))
    steps = [str(row[3]) for row in plan]
    assert any("events_aggregate" in step for step in steps), steps
    feed = [step for step in steps if " f " in f" {step} "]
    assert feed and all("officer=? AND event_seq=?" in step for step in feed), steps
