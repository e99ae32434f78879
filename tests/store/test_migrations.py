"""Upgrades from real old database files (tests/store/fixtures/, made by make_fixtures.py)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from factories import household as household_recorded
from factories import leaflets, new_id
from store_helpers import FakeClock, integrity, projected_matches_log, task_rows_from_views

from fieldapp.domain.retention import Erasure
from fieldapp.store import Action, NewerDatabase, Profiles, StoreError, access
from fieldapp.store.db import Database
from fieldapp.store.keys import WrappedKey
from fieldapp.store.schema import LATEST, MIGRATIONS

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PASSPHRASE = "otter-pylon-harbour-83"  # the fixtures' own, written in make_fixtures.py
VERSIONS = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir() and p.name.startswith("v"))


def test_there_is_a_fixture_for_every_earlier_schema_version() -> None:
    assert [f"v{m.version}" for m in MIGRATIONS[:-1]] == VERSIONS


def copy_fixture(version: str, tmp_path: Path) -> tuple[Profiles, dict]:
    home = tmp_path / "home"
    shutil.copytree(FIXTURES / version, home)
    expected = json.loads((home / "expected.json").read_text())
    return Profiles(FakeClock(), home), expected


def raw_database(profiles: Profiles, path: Path) -> Database:
    key = WrappedKey.from_json((profiles.path("legacy") / "key.json").read_bytes()).open(
        PASSPHRASE
    )
    try:
        return Database.open(path, key)
    finally:
        key.wipe()


@pytest.mark.parametrize("version", VERSIONS)
def test_an_old_profile_upgrades_with_everything_in_it(version: str, tmp_path: Path) -> None:
    profiles, expected = copy_fixture(version, tmp_path)
    old = int(version[1:])
    folder = profiles.path("legacy")
    original = (folder / "store.db").read_bytes()
    with profiles.unlock("legacy", PASSPHRASE) as store:
        assert store._db.conn.execute("PRAGMA user_version").fetchone()[0] == LATEST
        events = list(store.iter_events())
        assert [e.id for e in events] == expected["events"]
        local = [i for i, origin in expected["origins"].items() if origin == "local"]
        pending = [i for i in local if expected["outbox"][i][0] == "pending"]
        assert [e.id for e in store.outbox(1000)] == pending
        [(rejected, problems)] = store.rejected()
        assert expected["outbox"][rejected.id][0] == "rejected"
        assert problems[0].message == "Choose one."
        assert store.cursor() == expected["cursor"]
        for key, value in expected["settings"].items():
            assert store.get_setting(key) == value
        assert integrity(store) == "ok"
        assert projected_matches_log(store)
        # What later versions added works on the old data, and what they held survived.
        skewed = expected.get("skewed", [])
        assert store.skewed_ids() == skewed
        store.mark_skewed([events[0].id])
        assert store.skewed_ids() == [events[0].id, *skewed]
        drafts = expected.get("drafts", {})
        assert {form: store.load_draft(form) for form in store.drafts()} == drafts
        store.save_draft("vcas:x", "{}")
        assert store.drafts() == sorted(["vcas:x", *drafts])
        # One entry per event: back-filled by version 2, or written as it was saved (one row
        # naming every record of a transaction, as later versions write them).
        collected = [a for a in store.access_log(limit=10_000) if a.detail.endswith(
            ("before the access log existed", "recorded here")) or a.detail.startswith(
            "recorded here: ")]
        named = sum(len(access.records_named(a.detail)) or 1 for a in collected)
        assert named == len(events)
        assert {a.action for a in collected} >= {Action.COLLECTION}
        assert all(a.actor for a in collected)
        # Version 3 filled the call-back list's columns from each task's JSON.
        rows = store.task_rows()
        assert rows == task_rows_from_views(store)
        assert {r.attempts_made for r in rows} > {0} and all(r.rule for r in rows)
        if old >= 2:  # its fixture has a task closed on another laptop
            assert {r.closed_by_device for r in rows if r.is_closed} == {"laptop-a", "laptop-b"}
        # Version 5 indexed for search what was projected before it.
        state = store.state()
        for household in state.households.values():
            word = household.address.split()[-1]
            assert household.id in {h.id for h in store.search(word).households}
            assert household.id in {h.id for h in store.search(household.postcode).households}
        for occurrence in state.occurrences.values():
            found = store.search(occurrence.reference).occurrences
            assert occurrence.id in {o.id for o in found}
        # Version 8 found the escalated risks already projected, and its triggers follow a
        # save on the upgraded file.
        assert store.escalated_occurrences() == {
            o.id for o in state.occurrences.values() if any(i.escalated for i in o.leaflet_issues)}
        target = sorted(state.occurrences)[0]
        store.append([leaflets(target, events[-1].occurred_at, risks=("self_harm_thoughts",))])
        assert target in store.escalated_occurrences()
        assert store.escalated_occurrences([target, "no-such-occurrence"]) == {target}
        # The search index the upgrade found is kept by the projection writer from then on
        # (version 9): a new record is found, and one given leaflets by the name it was given.
        fresh = new_id()
        store.append([household_recorded(fresh, target, events[-1].occurred_at,
                                address="11 Quarry Fold, Wetherby")])
        assert [h.id for h in store.search("quarry fold").households] == [fresh]
        assert target in {o.id for o in store.search("smith").occurrences}
    # A byte copy of the old file was kept before the upgrade, still encrypted, still old.
    backup = folder / "backups" / f"store-v{old}-1.db"
    assert backup.read_bytes() == original
    database = raw_database(profiles, backup)
    assert database.conn.execute("PRAGMA user_version").fetchone()[0] == old
    database.close()
    # A second unlock finds nothing to do and takes no second copy.
    profiles.unlock("legacy", PASSPHRASE).close()
    assert [p.name for p in (folder / "backups").iterdir()] == [backup.name]


# For each fixture: something in the way of a statement late in the next step, and a
# column an ALTER earlier in that step adds (None: the step adds none; what it drops before
# the failure must be back, as every step's schema must be).
OBSTACLES: dict[str, tuple[str, str, str | None]] = {
    "v1": ("CREATE TABLE drafts (x)", "events", "skewed"),
    "v2": ("CREATE INDEX tasks_listed ON tasks (due)", "tasks", "attempts_made"),
    "v3": ("DROP TRIGGER events_no_delete", "erasing", "only_row"),
    "v4": ("CREATE INDEX referrals_by_due ON tasks (due)", "referrals", "household_id"),
    "v5": ("CREATE TRIGGER households_search_delete AFTER DELETE ON households "
           "BEGIN SELECT 1; END", "search_docs", "doc"),
    "v6": ("CREATE INDEX occurrence_aliases_by_occurrence ON tasks (due)", "occurrence_aliases",
           "alias"),
    "v7": ("CREATE TRIGGER occurrences_escalated_delete AFTER DELETE ON occurrences "
           "BEGIN SELECT 1; END", "escalated_occurrences", "id"),
    "v8": ("DROP INDEX households_by_postcode", "tasks", None),
    # After `related` was rebuilt and renamed, and `answered` filled: both must be undone.
    "v9": ("CREATE TABLE outbox_v10 (x)", "related", None),
}


@pytest.mark.parametrize("version", VERSIONS)
def test_a_failing_step_leaves_the_old_version_whole(version: str, tmp_path: Path) -> None:
    profiles, expected = copy_fixture(version, tmp_path)
    database_path = profiles.path("legacy") / "store.db"
    database = raw_database(profiles, database_path)
    obstacle, table, added = OBSTACLES[version]
    database.conn.execute(obstacle)  # the step must fail as a whole
    schema = database.conn.execute("SELECT type, name, sql FROM sqlite_master").fetchall()
    database.close()
    with pytest.raises(StoreError, match="Nothing has been lost"):
        profiles.unlock("legacy", PASSPHRASE)
    database = raw_database(profiles, database_path)
    conn = database.conn
    assert conn.execute("PRAGMA user_version").fetchone()[0] == int(version[1:])
    columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
    assert added is None or added not in columns  # the ALTER before the failure was undone
    assert conn.execute("SELECT type, name, sql FROM sqlite_master").fetchall() == schema
    assert [r[0] for r in conn.execute("SELECT id FROM events ORDER BY seq")] == expected["events"]
    database.close()


def test_a_database_from_a_newer_version_is_refused_untouched(tmp_path: Path) -> None:
    profiles, _ = copy_fixture(VERSIONS[-1], tmp_path)
    path = profiles.path("legacy") / "store.db"
    database = raw_database(profiles, path)
    database.conn.execute(f"PRAGMA user_version = {LATEST + 1}")
    database.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    database.close()
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(NewerDatabase, match="newer version of fieldapp"):
        profiles.unlock("legacy", PASSPHRASE)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_version_10_splits_the_outbox_and_keeps_every_related_key(tmp_path: Path) -> None:
    """From the version 9 fixture: what waits stays in the outbox, what the endpoint answered
    (sent with its number, rejected with its problems) is in `answered`, every related key
    survives without its foreign key, and erasure still leaves no row pointing at nothing."""
    profiles, expected = copy_fixture("v9", tmp_path)
    database = raw_database(profiles, profiles.path("legacy") / "store.db")
    related_before = sorted(database.conn.execute(
        "SELECT r.key, e.id FROM related r JOIN events e ON e.seq = r.event_seq").fetchall())
    database.close()
    with profiles.unlock("legacy", PASSPHRASE) as store:
        conn = store._db.conn
        ids = dict(conn.execute("SELECT seq, id FROM events").fetchall())
        answered = {ids[seq]: [state, server_seq, problems] for seq, state, server_seq, problems
                    in conn.execute("SELECT * FROM answered")}
        assert answered == {i: v for i, v in expected["outbox"].items() if v[0] != "pending"}
        waiting = [ids[seq] for (seq,) in conn.execute("SELECT event_seq FROM outbox")]
        assert waiting == [i for i, v in expected["outbox"].items() if v[0] == "pending"]
        assert sorted(conn.execute(
            "SELECT r.key, e.id FROM related r JOIN events e ON e.seq = r.event_seq"
        ).fetchall()) == related_before
        assert conn.execute("PRAGMA foreign_key_list(related)").fetchall() == []
        names = {n for (n,) in conn.execute("SELECT name FROM sqlite_master")}
        assert not names & {"related_by_event", "outbox_by_state", "related_v10", "outbox_v10"}
        # The alias tables name only other ids; a record is still found by each of its ids.
        for table, column in (("household_aliases", "household_id"),
                              ("occurrence_aliases", "occurrence_id")):
            assert conn.execute(
                f"SELECT count(*) FROM {table} WHERE alias = {column}"
            ).fetchone()[0] == 0
        state = store.state()
        assert any(len(v.merged_ids) > 1 for v in state.households.values())
        for view in state.households.values():
            for alias in view.merged_ids:
                household = store.household(alias)
                assert household is not None and household.id == view.id
        for occurrence in state.occurrences.values():
            found = store.occurrence(occurrence.id)
            assert found is not None and found.id == occurrence.id
        # A rejected event sent again, then acknowledged, is "sent" and waits no more.
        [(rejected, _)] = store.rejected()
        assert store.send_again([rejected.id]) == 1
        assert rejected.id in {e.id for e in store.outbox(1000)}
        store.mark_acknowledged({rejected.id: 500})
        assert store.rejected() == [] and rejected.id not in {e.id for e in store.outbox(1000)}
        case = store.state().occurrences
        target = sorted(case)[0]
        store.apply_pulled([], "erased", [Erasure((target,), "retention", FakeClock()())])
        assert store.occurrence(target) is None
        assert conn.execute(
            "SELECT count(*) FROM related WHERE event_seq NOT IN (SELECT seq FROM events)"
        ).fetchone()[0] == 0
        assert conn.execute(
            "SELECT count(*) FROM answered WHERE event_seq NOT IN (SELECT seq FROM events)"
        ).fetchone()[0] == 0
        assert projected_matches_log(store)
