"""The write API: append, apply_pulled, outbox, settings, drafts, and projections in step."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import timedelta

import pytest
import sqlcipher3
from factories import callback, household, new_id, occurrence, offer, recorded_twice
from store_helpers import PASSPHRASE, START, case, projected_matches_log, scenario

from fieldapp.domain.events import Event, EventType
from fieldapp.domain.problems import Problem
from fieldapp.domain.projection import Changes, EventLookup, State, recompute
from fieldapp.resources import load_policy
from fieldapp.store import Action, ConflictingEvent, Profiles, Store
from fieldapp.store.access import records_named


def declined_case() -> tuple[str, str, list[Event]]:
    o, h = new_id(), new_id()
    return o, h, [occurrence(o, START), household(h, o, START), offer(h, "declined", START)]


def test_append_saves_events_outbox_and_projection_together(store: Store) -> None:
    o, h, events = declined_case()
    changes = store.append(events)
    assert changes.households == {h} and changes.occurrences == {o}
    assert changes.tasks_created == (h,)
    assert [e.id for e in store.outbox(10)] == [e.id for e in events]
    assert store.outbox_count() == 3
    assert store.household(h) is not None and store.household(h).task is not None
    assert projected_matches_log(store)


def test_identical_reappend_is_a_no_op(store: Store) -> None:
    _, _, events = declined_case()
    store.append(events)
    assert store.append(events) == Changes()
    assert store.append([events[0], events[0]]) == Changes()
    assert store.outbox_count() == 3 and store.totals(START.date()).events == 3


def test_an_id_already_saved_with_other_content_refuses_the_whole_batch(store: Store) -> None:
    o, h, events = declined_case()
    store.append(events)
    forged = offer(h, "accepted", START, event_id=events[2].id)
    innocent = callback(h, "no_answer", START + timedelta(days=21))
    with pytest.raises(ConflictingEvent, match="different details"):
        store.append([innocent, forged])
    assert store.event(innocent.id) is None
    assert store.event(events[2].id).to_json() == events[2].to_json()
    assert store.outbox_count() == 3


def test_a_batch_holding_one_id_twice_with_different_content_is_refused(store: Store) -> None:
    _, h, events = declined_case()
    twin = offer(h, "accepted", START, event_id=events[2].id)
    with pytest.raises(ConflictingEvent):
        store.append([*events, twin])
    assert store.totals(START.date()).events == 0


def test_apply_pulled_is_idempotent_and_moves_the_cursor_with_the_events(store: Store) -> None:
    _, h, events = declined_case()
    assert store.cursor() is None
    first = store.apply_pulled(events, "c1")
    assert first.tasks_created == (h,)
    assert store.cursor() == "c1"
    assert store.outbox_count() == 0  # pulled events are not sent back
    again = store.apply_pulled(events, "c2")
    assert again == Changes() and store.cursor() == "c2"
    assert store.totals(START.date()).events == 3
    assert projected_matches_log(store)


def test_the_servers_echo_of_a_local_event_changes_nothing(store: Store) -> None:
    _, _, events = declined_case()
    store.append(events)
    assert store.apply_pulled(events, "c1") == Changes()
    assert store.outbox_count() == 3


def test_acknowledged_events_leave_the_outbox_and_are_logged_as_disclosed(store: Store) -> None:
    _, h, events = declined_case()
    store.append(events)
    store.mark_acknowledged({events[0].id: 11, events[1].id: 12, "unknown-id": 99})
    assert [e.id for e in store.outbox(10)] == [events[2].id]
    store.mark_acknowledged({events[0].id: 11})  # a repeated acknowledgement logs nothing new
    disclosed = [a for a in store.access_log() if a.action is Action.DISCLOSURE]
    # One row for the batch, naming each record sent.
    assert len(disclosed) == 1
    assert sorted(i for _, i, _ in records_named(disclosed[0].detail)) == sorted(
        [events[0].id, events[1].id])
    # The row is there: only the acknowledged ones are "sent".
    rows = dict(store._db.conn.execute("SELECT event_seq, server_seq FROM answered").fetchall())
    assert sorted(v for v in rows.values() if v) == [11, 12]


def test_rejected_events_keep_their_problems_and_stay_in_the_log(store: Store) -> None:
    _, h, events = declined_case()
    store.append(events)
    problems = (Problem("payload.outcome", "Choose the outcome of the offer."),)
    store.mark_rejected({events[2].id: problems})
    assert store.outbox_count() == 2
    [(event, why)] = store.rejected()
    assert event.id == events[2].id and why == problems
    assert store.totals(START.date()).outbox_rejected == 1
    assert store.household(h).offers  # still part of what the officer sees


def test_skewed_flags(store: Store) -> None:
    _, _, events = declined_case()
    store.append(events)
    store.mark_skewed([events[1].id, events[0].id, "unknown"])
    assert store.skewed_ids() == [events[0].id, events[1].id]


def test_settings_and_drafts_live_inside_the_database(store: Store) -> None:
    assert store.get_setting("device_token") is None
    store.set_setting("device_token", "t0k3n")
    store.set_setting("endpoint", "https://central.example")
    assert store.get_setting("device_token") == "t0k3n"
    store.set_setting("device_token", None)
    assert store.get_setting("device_token") is None
    store.save_draft("vcas:h1", json.dumps({"payload": {"outcome": "declined"}}))
    store.save_draft("leaflets:o1", "{}")
    store.save_draft("vcas:h1", json.dumps({"payload": {"outcome": "accepted"}}))
    assert store.drafts() == ["leaflets:o1", "vcas:h1"]
    assert json.loads(store.load_draft("vcas:h1"))["payload"]["outcome"] == "accepted"
    store.delete_draft("vcas:h1")
    assert store.load_draft("vcas:h1") is None and store.drafts() == ["leaflets:o1"]
    with pytest.raises(ValueError, match="Expecting"):
        store.save_draft("x", "not json")


def test_a_record_saved_from_a_draft_takes_the_draft_away_with_it(store: Store) -> None:
    _, h, events = declined_case()
    store.save_draft("vcas:h", "{}")
    store.save_draft("household:o", "{}")
    store.append(events[:2], draft="household:o")
    assert store.drafts() == ["vcas:h"]
    # A refused save keeps the draft: nothing of the transaction happened.
    twin = offer(h, "accepted", START, event_id=events[0].id)
    with pytest.raises(ConflictingEvent):
        store.append([twin], draft="vcas:h")
    assert store.drafts() == ["vcas:h"]
    store.append(events[2:], draft="vcas:h")
    assert store.drafts() == []
    store.append([callback(h, "no_answer", START + timedelta(days=21))], draft="none-left")


def test_the_log_refuses_edits_and_deletions(store: Store) -> None:
    _, _, events = declined_case()
    store.append(events)
    conn = store._db.conn
    with pytest.raises(sqlcipher3.IntegrityError, match="append-only"):
        conn.execute("UPDATE events SET body = '{}'")
    with pytest.raises(sqlcipher3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM events")
    with pytest.raises(sqlcipher3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM access_log")


@pytest.mark.parametrize("seed", range(6))
def test_projections_equal_a_full_recomputation_and_changes_match_the_domain(
    store: Store, seed: int
) -> None:
    """Events arrive in random batches, in random order, locally or by sync, some twice; half
    the households were recorded again on another laptop (the same references and addresses,
    other ids): each arrival finds its join partners through the store's index."""
    rng = random.Random(seed)
    events = scenario(seed, 12)
    events += recorded_twice(events, every=2, author="4321", device="laptop-b")
    rng.shuffle(events)
    policy = load_policy()
    lookup, state = EventLookup(), State()
    position = 0
    while position < len(events):
        size = rng.randint(1, 8)
        batch = events[position : position + size]
        position += size
        if rng.random() < 0.3 and position > size:
            batch = [*batch, rng.choice(events[: position - size])]  # a repeat
        fresh = [e for e in batch if store.event(e.id) is None]
        lookup.add(fresh)
        if rng.random() < 0.5:
            changes = store.append(batch)
        else:
            changes = store.apply_pulled(batch, f"c{position}")
        state, expected = recompute(state, {e.id: e for e in fresh}.values(), lookup, policy)
        assert changes == expected
        assert store.state() == state
    assert projected_matches_log(store)
    assert any(o.joined_ids for o in state.occurrences.values())
    assert any(c.kind == "households_joined" for c in state.conflicts.values())


def test_access_log_names_the_action_for_each_kind_of_record(store: Store) -> None:
    rng = random.Random(3)
    events = case(rng, START, text="Kept in the log only")
    store.append(events)
    actions = {kind: a.action for a in store.access_log(limit=1000)
               for kind, _, _ in records_named(a.detail)}
    # Every record saved is named, once, in the one transaction's rows.
    assert sorted(i for a in store.access_log(limit=1000)
                  for _, i, _ in records_named(a.detail)) == sorted(e.id for e in events)
    assert actions[EventType.HOUSEHOLD_RECORDED.value] is Action.COLLECTION
    assert actions[EventType.EVENT_CORRECTED.value] is Action.ALTERATION
    assert actions[EventType.HOUSEHOLDS_MERGED.value] is Action.ALTERATION
    assert actions[EventType.ENTERED_IN_ERROR.value] is Action.ERASURE
    household_id = next(e.aggregate_id for e in events if e.type is EventType.VCAS_OFFERED)
    # Asked about one record, the log finds the batch rows that name it.
    about = store.access_log(subject_id=household_id)
    assert about and all(any(a == household_id for _, _, a in records_named(entry.detail))
                         for entry in about)
    count = len(store.access_log(limit=1000))
    assert store.household(household_id) is not None
    assert len(store.access_log(limit=1000)) == count  # reading alone logs nothing
    store.note_consultation("household", household_id)
    latest = store.access_log(limit=1)[0]
    assert latest.action is Action.CONSULTATION and latest.actor == "1234"
    assert (latest.subject_id, latest.detail) == (household_id, "opened")
    store.search("LS1")
    assert store.access_log(limit=1)[0].detail.endswith("households found")
    assert all("Kept in the log" not in a.detail for a in store.access_log(limit=1000))


def test_a_new_schedule_policy_recomputes_every_task(profiles: Profiles) -> None:
    _, h, events = declined_case()
    with profiles.create("1234", PASSPHRASE) as store:
        store.append(events)
        assert store.household(h).task.due.isoformat() == "2026-03-31"
    longer = replace(load_policy(), version=f"{load_policy().version}-longer", after_days=28)
    changed = Profiles(profiles.clock, profiles.root.parent, policy=longer,
                       insecure_kdf_for_tests=profiles._kdf)
    with changed.unlock("1234", PASSPHRASE) as store:
        assert store.household(h).task.due.isoformat() == "2026-04-07"
        assert store.household(h).task.policy_version == longer.version
