"""A save re-projects its component from what the last save left in memory (projections.Recent):
the result is the same as re-reading it, whoever else wrote in between."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
import sqlcipher3
from factories import callback, household, new_id, occurrence, offer, recorded_twice
from store_helpers import PASSPHRASE, START, projected_matches_log, scenario

from fieldapp.domain.projection import EventLookup, State, recompute
from fieldapp.domain.retention import Erasure
from fieldapp.resources import load_policy
from fieldapp.store import Profiles, Store


def test_one_action_at_a_time_projects_as_the_whole_log(store: Store) -> None:
    """In the order an officer records them, one event a save, with another laptop's copies
    of the same cases (joined by reference and address) pulled in between, and an erasure."""
    rng = random.Random(5)
    events = scenario(5, 14)
    theirs = recorded_twice(events, every=2, author="4321", device="laptop-b")
    policy = load_policy()
    lookup, state = EventLookup(), State()
    pulled = 0
    for position, event in enumerate(events):
        if rng.random() < 0.15 and pulled < len(theirs):
            batch = theirs[pulled : pulled + 3]
            pulled += len(batch)
            lookup.add(batch)
            changes = store.apply_pulled(batch, f"c{position}")
            state, expected = recompute(state, batch, lookup, policy)
            assert changes == expected
        lookup.add([event])
        changes = store.append([event])
        state, expected = recompute(state, [event], lookup, policy)
        assert changes == expected
        assert store.state() == state
    assert projected_matches_log(store)
    erased = events[0].aggregate_id
    store.apply_pulled([], "erased", [Erasure((erased,), "retention", START)])
    later = next(e for e in events if e.type.value == "household_recorded"
                 and e.to_dict()["payload"]["occurrence_id"] != erased)
    store.append([offer(later.aggregate_id, "declined", START + timedelta(days=2))])
    assert projected_matches_log(store)
    assert store.occurrence(erased) is None


def test_the_next_save_of_a_case_reads_only_what_it_adds(store: Store) -> None:
    o, h = new_id(), new_id()
    store.append([occurrence(o, START)])
    store.append([household(h, o, START)])
    statements: list[str] = []
    store._db.conn.set_trace_callback(statements.append)
    store.append([offer(h, "declined", START)])
    store._db.conn.set_trace_callback(None)
    reads = [s for s in statements if s.startswith("SELECT") and (
        " related " in s or " households " in s or " occurrences " in s)]
    assert reads == []
    assert projected_matches_log(store)


def test_a_save_after_another_connection_wrote_reads_again(
    profiles: Profiles, store: Store
) -> None:
    """Another connection's commit (here a second unlock of the profile) changes
    `PRAGMA data_version`: what the first remembered is not used."""
    o, h = new_id(), new_id()
    store.append([occurrence(o, START)])
    store.append([household(h, o, START)])
    with profiles.unlock("1234", PASSPHRASE) as other:
        other.append([offer(h, "declined", START)])
    attempt = callback(h, "no_answer", START + timedelta(days=21))
    store.append([attempt])
    task = store.state().households[h].task
    assert task is not None and task.attempts_made == 1
    assert projected_matches_log(store)


def test_a_save_that_is_rolled_back_leaves_nothing_remembered(store: Store) -> None:
    """The save fails after its component was re-projected (its access-log row is refused):
    the next save of the case must not build on the rows that were never committed."""
    o, h = new_id(), new_id()
    store.append([occurrence(o, START)])
    store.append([household(h, o, START)])
    conn = store._db.conn
    conn.execute("CREATE TEMP TRIGGER refuse BEFORE INSERT ON access_log "
                 "BEGIN SELECT RAISE(ABORT, 'refused'); END")
    with pytest.raises(sqlcipher3.IntegrityError):
        store.append([offer(h, "declined", START)])
    conn.execute("DROP TRIGGER refuse")
    store.append([offer(h, "not_present", START + timedelta(hours=1))])
    assert projected_matches_log(store)
    assert len(list(store.iter_events())) == 3
