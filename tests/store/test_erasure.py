"""Erasure ordered by the central endpoint (retention): whole cases leave the store with the
cursor that covers the order, every trace goes, what remains projects as if they had never
been, and the event log still refuses every other DELETE."""

from __future__ import annotations

import json
import random
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlcipher3
from factories import callback, event, household, new_id, occurrence, offer
from store_helpers import START, FakeClock, case, integrity, projected_matches_log

from fieldapp.domain.events import Event, EventType
from fieldapp.domain.projection import EventLookup, component, related_keys
from fieldapp.domain.retention import Erasure
from fieldapp.store import Action, Profiles, Store, StoreError
from fieldapp.store import projections as projection_tables

REASON = "Retention: 6 years after last activity"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
FIXTURE_PASSPHRASE = "otter-pylon-harbour-83"  # the fixtures' own, written in make_fixtures.py
ORDERED = datetime(2032, 1, 5, 2, tzinfo=UTC)


def cases(seed: int, count: int, text: str = "") -> list[list[Event]]:
    rng = random.Random(seed)
    return [case(rng, START + timedelta(hours=7 * i), text) for i in range(count)]


def whole_case(events: list[Event]) -> tuple[str, ...]:
    """Every id the case holds or names, as the endpoint's erasure lists them."""
    connected = component({events[0].aggregate_id}, EventLookup(events))
    return tuple(sorted({key for e in connected for key in related_keys(e)}))


def order(ids: tuple[str, ...]) -> Erasure:
    return Erasure(ids, REASON, ORDERED)


def orphans(store: Store) -> dict[str, int]:
    """Rows that point at an event no longer in the log."""
    conn = store._db.conn
    return {
        table: conn.execute(
            f"SELECT count(*) FROM {table} t LEFT JOIN events e ON e.seq = t.event_seq "
            "WHERE e.seq IS NULL"
        ).fetchone()[0]
        for table in ("related", "outbox")
    }


def test_an_erased_case_leaves_no_trace_and_the_rest_projects_as_before(store: Store) -> None:
    gone, *kept = cases(3, 6)
    for events in kept:
        store.apply_pulled(events, "c0")
    store.append(gone)  # recorded here and sent
    store.mark_acknowledged({e.id: 100 + i for i, e in enumerate(gone)})
    ids = whole_case(gone)
    store.save_draft(f"callback:{gone[2].aggregate_id}", '{"payload": {}}')
    store.save_draft(f"offer:{kept[0][2].aggregate_id}", '{"payload": {}}')
    before = store.state()

    changes = store.apply_pulled([], "c1", [order(ids)])

    assert store.cursor() == "c1"
    assert {e.id for e in store.iter_events()} == {e.id for events in kept for e in events}
    assert orphans(store) == {"related": 0, "outbox": 0}
    assert integrity(store) == "ok"
    assert projected_matches_log(store)
    after = store.state()
    assert not set(after.occurrences) & set(ids) and not set(after.households) & set(ids)
    assert after.occurrences == {k: v for k, v in before.occurrences.items() if k not in ids}
    assert after.households == {k: v for k, v in before.households.items() if k not in ids}
    assert not [t for t in store.task_rows() if t.household_id in ids]
    assert store.household(gone[2].aggregate_id) is None
    assert store.drafts() == [f"offer:{kept[0][2].aggregate_id}"]
    assert changes.occurrences >= {gone[0].aggregate_id}
    assert store._db.conn.execute("SELECT count(*) FROM erasing").fetchone()[0] == 0
    erased = [a for a in store.access_log(limit=1000) if a.action is Action.ERASURE
              and REASON in a.detail]
    assert {a.subject_id for a in erased} == {e.aggregate_id for e in gone}
    assert all(a.actor == "1234" and "2032-01-05" in a.detail for a in erased)


def test_an_ordinary_delete_or_edit_of_the_log_is_still_refused(store: Store) -> None:
    events = cases(4, 2)
    store.append(events[0] + events[1])
    store.apply_pulled([], "c1", [order(whole_case(events[0]))])
    conn = store._db.conn
    for statement in ("DELETE FROM events", "UPDATE events SET body = '{}'",
                      "DELETE FROM access_log"):
        with pytest.raises(sqlcipher3.IntegrityError, match="append-only"):
            conn.execute(statement)
    assert store.totals(START.date()).events == len(events[1])


def test_a_failure_half_way_erases_nothing_and_keeps_the_cursor(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = cases(5, 1)[0]
    store.apply_pulled(events, "c1")

    def broken(*args: object, **kwargs: object) -> None:
        raise StoreError()

    monkeypatch.setattr(projection_tables, "forget", broken)
    with pytest.raises(StoreError):
        store.apply_pulled([], "c2", [order(whole_case(events))])
    assert store.cursor() == "c1"
    assert [e.id for e in store.iter_events()] == [e.id for e in events]
    assert store._db.conn.execute("SELECT count(*) FROM erasing").fetchone()[0] == 0
    with pytest.raises(sqlcipher3.IntegrityError, match="append-only"):
        store._db.conn.execute("DELETE FROM events")


def test_unsent_records_of_an_erased_case_go_too_and_the_log_says_so(store: Store) -> None:
    o, h, mine = new_id(), new_id(), new_id()
    old = datetime(2019, 5, 1, 9, tzinfo=UTC)
    pulled = [occurrence(o, old), household(h, o, old), offer(h, "declined", old)]
    store.apply_pulled(pulled, "c1")
    # Recorded here before the laptop heard of the erasure: a call-back, and a merge of a new
    # household record with the erased one.
    late = callback(h, "no_answer", old + timedelta(days=21))
    store.append([late, household(mine, new_id(), START)])
    merge = event(EventType.HOUSEHOLDS_MERGED, mine, {"merged_id": h, "reason": "Same"}, START)
    store.append([merge])
    store.mark_rejected({late.id: ()})

    store.apply_pulled([], "c2", [order((h, o))])

    left = [e.id for e in store.iter_events()]
    assert late.id not in left and merge.id not in left and len(left) == 1
    assert store.outbox_count() == 1 and store.rejected() == []
    assert store.household(mine) is not None and store.household(h) is None
    assert projected_matches_log(store)
    unsent = {a.detail.split()[1] for a in store.access_log(limit=100)
              if "not yet stored centrally" in a.detail}
    assert unsent == {late.id, merge.id}


def test_an_order_for_records_not_held_only_moves_the_cursor(store: Store) -> None:
    events = cases(6, 1)[0]
    store.apply_pulled(events, "c1")
    before = store.state()
    changes = store.apply_pulled([], "c2", [order((new_id(), new_id()))])
    assert changes.empty and store.cursor() == "c2" and store.state() == before
    assert not [a for a in store.access_log() if a.action is Action.ERASURE
                and REASON in a.detail]


def test_events_and_erasures_in_one_page(store: Store) -> None:
    first, second = cases(7, 2)
    store.apply_pulled(first, "c1")
    changes = store.apply_pulled(second, "c2", [order(whole_case(first))])
    assert {e.id for e in store.iter_events()} == {e.id for e in second}
    assert changes.occurrences >= {first[0].aggregate_id, second[0].aggregate_id}
    assert projected_matches_log(store)


def test_every_erasure_query_uses_an_index(store: Store) -> None:
    many = cases(8, 30)
    for events in many:
        store.apply_pulled(events, "c0")
    statements: list[str] = []
    store._db.conn.set_trace_callback(statements.append)
    store.apply_pulled([], "c1", [order(whole_case(many[3]))])
    store._db.conn.set_trace_callback(None)
    scans = {}
    for sql in statements:
        if not sql.lstrip().startswith(("SELECT", "DELETE")) or "FROM drafts" in sql:
            continue  # drafts: one row per open form, read whole on purpose (see erasure.py)
        plan = [row[3] for row in store._db.conn.execute(f"EXPLAIN QUERY PLAN {sql}")]
        bad = [step for step in plan if step.startswith("SCAN") and "USING" not in step
               and "VIRTUAL TABLE" not in step and "CONSTANT ROW" not in step]
        if bad:
            scans[sql[:120]] = bad
    assert scans == {}, json.dumps(scans, indent=1)


@pytest.mark.parametrize(
    "version", sorted(p.name for p in FIXTURES.iterdir() if p.is_dir() and p.name[0] == "v")
)
def test_an_upgraded_profile_erases_too(version: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(FIXTURES / version, home)
    with Profiles(FakeClock(), home).unlock("legacy", FIXTURE_PASSPHRASE) as store:
        held = list(store.iter_events())
        first = whole_case([e for e in held if e.type is EventType.OCCURRENCE_RECORDED][:1]
                           + held)
        store.apply_pulled([], "c9", [order(first)])
        left = list(store.iter_events())
        assert len(left) < len(held)
        assert not {k for e in left for k in related_keys(e)} & set(first)
        assert integrity(store) == "ok" and projected_matches_log(store)
        with pytest.raises(sqlcipher3.IntegrityError, match="append-only"):
            store._db.conn.execute("DELETE FROM events")
