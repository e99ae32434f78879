"""The read API for a London day passed in, and an index behind every read query."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta

import pytest
from factories import callback, event, household, new_id, occurrence, offer
from store_helpers import START, case, scenario, task_rows_from_views

from fieldapp.domain.events import Event, EventType
from fieldapp.domain.schedule import TaskState, TaskStatus
from fieldapp.store import PlainTask, Store

DUE = date(2026, 3, 31)  # 21 days after START, a Tuesday


def two_occurrences(store: Store) -> dict[str, str]:
    o1, o2 = new_id(), new_id()
    h1, h2, h3, h4 = (new_id() for _ in range(4))
    later = START + timedelta(days=2)  # due 2 April
    store.append([
        occurrence(o1, START, oic="1234", district="Leeds", reference="13/111111/26"),
        occurrence(o2, START, oic="4321", district="Bradford", reference="13/222222/26"),
        household(h1, o1, START, postcode="LS1 4HY"),
        household(h2, o1, START, postcode="LS6 2AB", address="2 Low Road"),
        household(h3, o2, START, postcode="BD1 1AA"),
        household(h4, o2, later, postcode="BD1 1AA", address="9 Mill Lane"),
        offer(h1, "declined", START),
        offer(h2, "accepted", START),
        offer(h3, "declined", START),
        offer(h4, "not_present", later),
    ])
    return {"o1": o1, "o2": o2, "h1": h1, "h2": h2, "h3": h3, "h4": h4}


def ids(tasks: list) -> set[str]:
    return {t.household_id for t in tasks}


def test_due_overdue_and_upcoming_follow_the_day_passed_in(store: Store) -> None:
    k = two_occurrences(store)
    assert ids(store.tasks(DUE, [TaskStatus.DUE])) == {k["h1"], k["h3"]}
    assert ids(store.tasks(DUE, [TaskStatus.UPCOMING])) == {k["h4"]}
    assert store.tasks(DUE, [TaskStatus.OVERDUE]) == []
    later = DUE + timedelta(days=1)
    assert ids(store.tasks(later)) == {k["h1"], k["h3"]}  # overdue and due by default
    assert ids(store.tasks(later, [TaskStatus.OVERDUE, TaskStatus.UPCOMING])) == {
        k["h1"], k["h3"], k["h4"],
    }
    assert store.tasks(DUE, [TaskStatus.DONE]) == []  # accepted at arrest: no call-back
    assert [t.due for t in store.tasks(DUE, list(TaskStatus))] == sorted(
        t.due for t in store.tasks(DUE, list(TaskStatus))
    )
    with pytest.raises(ValueError, match="at least one"):
        store.tasks(DUE, [])


def test_task_filters(store: Store) -> None:
    k = two_occurrences(store)
    everything = [TaskStatus.DUE, TaskStatus.UPCOMING]
    assert ids(store.tasks(DUE, everything, assignee="4321")) == {k["h3"], k["h4"]}
    assert ids(store.tasks(DUE, everything, district="Leeds")) == {k["h1"]}
    assert ids(store.tasks(DUE, everything, occurrence_reference="13/222222/26")) == {
        k["h3"], k["h4"],
    }
    assert ids(store.tasks(DUE, everything, postcode="bd11aa")) == {k["h3"], k["h4"]}
    assert ids(store.tasks(DUE, everything, assignee="4321", postcode="BD1 1AA",
                           limit=1)) == {k["h3"]}
    assert ids(store.tasks(DUE, everything, assignee="4321", offset=1)) == {k["h4"]}


def test_task_columns_follow_a_reassignment_and_a_corrected_occurrence(store: Store) -> None:
    k = two_occurrences(store)
    store.append([event(EventType.TASK_REASSIGNED, k["h1"],
                        {"to_officer": "5678", "reason": "Leave"}, START)])
    assert ids(store.tasks(DUE, assignee="5678")) == {k["h1"]}
    first = next(e for e in store.iter_events() if e.aggregate_id == k["o1"])
    fixed = dict(first.to_dict()["payload"], district="Wakefield")
    store.append([event(EventType.EVENT_CORRECTED, k["o1"],
                        {"target_id": first.id, "target_type": "occurrence_recorded",
                         "payload": fixed, "reason": "Wrong district"}, START)])
    assert ids(store.tasks(DUE, district="Wakefield")) == {k["h1"]}
    store.append([callback(k["h1"], "accepted", START + timedelta(days=21))])
    assert ids(store.tasks(DUE, [TaskStatus.DONE])) == {k["h1"]}
    assert store.household(k["h1"]).task.state is TaskState.DONE


def test_households_search_and_merged_ids(store: Store) -> None:
    k = two_occurrences(store)
    assert [h.id for h in store.households(k["o2"])] == sorted([k["h3"], k["h4"]])
    found = store.search("13/2222")
    assert [o.id for o in found.occurrences] == [k["o2"]] and found.households == ()
    assert {h.id for h in store.search("bd1").households} == {k["h3"], k["h4"]}
    assert {h.id for h in store.search(" BD1 1A ").households} == {k["h3"], k["h4"]}
    assert store.search("L") == store.search("  ")  # too short to search
    store.append([event(EventType.HOUSEHOLDS_MERGED, k["h3"],
                        {"merged_id": k["h4"], "reason": "One family"}, START)])
    merged = store.household(k["h4"])
    assert merged is not None and set(merged.merged_ids) == {k["h3"], k["h4"]}
    assert store.occurrence(k["o1"]).reference == "13/111111/26"
    assert store.occurrence("nope") is None and store.household("nope") is None


def test_conflicts_and_their_confirmation(store: Store) -> None:
    k = two_occurrences(store)
    store.append([offer(k["h1"], "accepted", START + timedelta(hours=1))])
    [conflict] = store.conflicts()
    assert conflict.kind == "offer_outcomes_differ" and conflict.scope == k["h1"]
    changes = store.append([event(EventType.CONFLICT_CONFIRMED, k["h1"],
                                  {"conflict_key": conflict.key, "note": "Checked"}, START)])
    assert k["h1"] in changes.households
    assert store.conflicts() == []
    assert store.conflicts(include_confirmed=True)[0].confirmed_by == "1234"


def test_totals(store: Store) -> None:
    two_occurrences(store)
    totals = store.totals(DUE)
    assert (totals.events, totals.occurrences, totals.households) == (10, 2, 4)
    assert (totals.tasks_overdue, totals.tasks_due, totals.tasks_upcoming) == (0, 2, 1)
    assert (totals.outbox_pending, totals.outbox_rejected, totals.conflicts_open) == (10, 0, 0)
    assert store.totals(DUE + timedelta(days=10)).tasks_overdue == 3


# --------------------------------------------------------------------------- the call-back list


def cases_on_two_laptops(rng: random.Random) -> list[Event]:
    """Cases as at the door, then call-backs recorded on another laptop, so that some tasks
    are closed elsewhere and some only retried there."""
    events = [e for i in range(10) for e in case(rng, START + timedelta(hours=7 * i))]
    # In the order they were made, not by their (random) ids: which households get a call-back
    # then depends on the seed alone, so every seed covers the same statuses on every run.
    offered = list(dict.fromkeys(e.aggregate_id for e in events
                                 if e.type is EventType.VCAS_OFFERED))
    for n, h in enumerate(rng.sample(offered, k=6)):
        outcome = ("accepted", "declined", "no_answer")[n % 3]
        events.append(callback(h, outcome, START + timedelta(days=30 + n), author="4321",
                               device="laptop-b"))
    return events


@pytest.mark.parametrize("seed", range(8))
def test_task_rows_say_what_the_stored_views_say(store: Store, seed: int) -> None:
    """Events arrive in random batches and order, saved here or pulled: after each batch the
    columns the list reads equal the task views, and give the same status on any day."""
    rng = random.Random(seed)
    events = cases_on_two_laptops(rng)
    rng.shuffle(events)
    position = 0
    while position < len(events):
        batch = events[position : position + rng.randint(1, 12)]
        position += len(batch)
        if rng.random() < 0.5:
            store.append(batch)
        else:
            store.apply_pulled(batch, f"c{position}")
        assert store.task_rows() == task_rows_from_views(store)
    rows = store.task_rows()
    tasks = {t.household_id: t for v in store.state().households.values() if (t := v.task)}
    assert len(rows) == len(tasks) > 0
    seen = set()
    for row in rows:
        task = tasks[row.household_id]
        for today in (task.due - timedelta(days=1), task.due, task.due + timedelta(days=1)):
            for device in ("", "laptop-a", "laptop-b"):
                assert row.status(today, device) is task.status(today, device)
                seen.add(row.status(today, device))
        assert row.is_closed == task.is_closed
    assert seen == set(TaskStatus)
    some = [*rng.sample(sorted(tasks), k=3), "not-a-household"]
    assert sorted(store.task_rows(some), key=lambda r: r.household_id) == sorted(
        (r for r in rows if r.household_id in some), key=lambda r: r.household_id
    )
    assert store.task_rows([]) == []


@pytest.mark.parametrize("seed", range(4))
def test_pages_first_screen_and_counts_say_what_every_row_says(store: Store, seed: int) -> None:
    """Read a page at a time by key, the call-backs are every row in order, once each; the
    first screen is the soonest open ones and the rest of their last day; the counts are
    those of every row's status."""
    rng = random.Random(seed)
    store.append(cases_on_two_laptops(rng))
    every = store.task_rows()
    assert every == sorted(every, key=lambda r: (r.due, r.household_id))
    for size in (1, 2, 3, len(every), len(every) + 1):
        pages: list[PlainTask] = []
        after: tuple[str, str] | None = None
        while page := store.plain_task_page(after, size):
            assert len(page) <= size
            pages += page
            after = (page[-1][6], page[-1][0])
        assert pages == [(*r[:6], r.due.isoformat(), r.state.value, *r[8:]) for r in every]
    open_rows = [r for r in every if not r.is_closed]
    for size in (1, 2, 4, len(open_rows) + 1):
        first = store.first_open_tasks(size)
        cut = open_rows[min(size, len(open_rows)) - 1].due
        assert sorted(first) == sorted(r for r in open_rows if r.due <= cut)
        assert [r.due for r in first] == sorted(r.due for r in first)
    for today in (DUE - timedelta(days=1), DUE, DUE + timedelta(days=3)):
        counts = store.task_counts(today)
        statuses = [r.status(today) for r in every]
        assert counts.overdue == statuses.count(TaskStatus.OVERDUE)
        assert counts.due == statuses.count(TaskStatus.DUE)
        assert counts.upcoming == statuses.count(TaskStatus.UPCOMING)
        assert counts.finished == len(every) - len(open_rows) > 0
        assert counts.of(list(TaskStatus)) == len(every)
        assert counts.of({TaskStatus.DONE}) == counts.finished  # the finished ones together


# --------------------------------------------------------------------------- query plans


def plans(store: Store, sql: str) -> list[str]:
    rows = store._db.conn.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall()
    return [row[-1] for row in rows]


def full_scans(details: list[str]) -> list[str]:
    """Plan steps that read a whole table without an index."""
    return [
        d for d in details
        if d.startswith("SCAN") and "USING" not in d and "VIRTUAL TABLE" not in d
        and "CONSTANT ROW" not in d
    ]


@pytest.mark.parametrize("analysed", [False, True])
def test_every_read_query_uses_an_index(store: Store, analysed: bool) -> None:
    events = scenario(7, 40)
    store.append(events)
    if analysed:  # with table statistics the planner weighs sizes: the plans must not change
        store._db.conn.execute("ANALYZE")
    statements: list[str] = []
    # The trace gives each statement with its parameters filled in, ready for EXPLAIN.
    store._db.conn.set_trace_callback(statements.append)
    some = events[5]
    today = DUE
    for statuses in ([TaskStatus.DUE], [TaskStatus.OVERDUE, TaskStatus.DUE],
                     [TaskStatus.UPCOMING], [TaskStatus.DONE, TaskStatus.CLOSED],
                     [TaskStatus.OVERDUE, TaskStatus.UPCOMING], list(TaskStatus)):
        store.tasks(today, statuses)
    store.tasks(today, assignee="1234")
    store.tasks(today, district="Leeds")
    store.tasks(today, occurrence_reference="13/000001/26")
    store.tasks(today, postcode="LS1 4HY")
    store.tasks(today, assignee="1234", district="Leeds", postcode="LS1 4HY")
    store.household(some.aggregate_id)
    store.occurrence(events[0].aggregate_id)
    store.households(events[0].aggregate_id)
    store.search("13/0")
    store.search("LS1")
    store.conflicts()
    store.conflicts_about([some.aggregate_id, events[0].aggregate_id])
    store.case_events([some.aggregate_id])
    store.totals(today)
    store.event(some.id)
    store.outbox(50)
    store.outbox_count()
    store.rejected()
    store.cursor()
    store.skewed_ids()
    store.get_setting("endpoint")
    store.load_draft("x")
    store.drafts()
    store.access_log(limit=20)
    store.access_log(subject_id=some.aggregate_id)
    store.state_for([some])
    store.task_rows()
    store.task_rows([some.aggregate_id, events[0].aggregate_id])
    store.task_counts(today)
    last = store.plain_task_page(None, 2)[-1]
    store.plain_task_page((last[6], last[0]), 2)
    store.first_open_tasks(1)
    # Writes read too: the component walk, and the rows a change replaces.
    store.append([offer(some.aggregate_id, "declined", START + timedelta(days=1))])
    store.mark_acknowledged({some.id: 1})
    store.mark_rejected({events[6].id: []})
    store.mark_skewed([some.id])
    store._db.conn.set_trace_callback(None)

    reads = [s for s in statements if s.lstrip().startswith(("SELECT", "UPDATE", "DELETE"))]
    assert len(reads) > 40
    bad = {}
    for sql in reads:
        if sql.startswith("SELECT count(*) FROM "):
            continue  # a count reads the smallest index; checked below
        steps = plans(store, sql)
        # Reading a rowid b-tree in order stops at LIMIT: backwards for the newest entries,
        # forwards for the outbox, every row of which waits to be sent (schema version 10).
        newest_first = "ORDER BY seq DESC LIMIT" in sql and not any("TEMP" in d for d in steps)
        oldest_waiting = sql.startswith("SELECT e.body FROM outbox o JOIN events e ON "
                                        "e.seq = o.event_seq ORDER BY o.event_seq LIMIT")
        scans = full_scans(steps)
        if scans and not (newest_first or oldest_waiting):
            bad[sql] = scans
    assert bad == {}, json.dumps(bad, indent=1)
    for table in ("events", "occurrences", "households"):
        assert "COVERING INDEX" in plans(store, f"SELECT count(*) FROM {table}")[0]


@pytest.mark.parametrize("analysed", [False, True])
def test_the_call_back_list_is_read_from_one_covering_index(store: Store, analysed: bool) -> None:
    """In the order it is shown, without touching the table's rows (which hold the JSON)."""
    store.append(scenario(7, 40))
    if analysed:
        store._db.conn.execute("ANALYZE")
    statements: list[str] = []
    store._db.conn.set_trace_callback(statements.append)
    store.task_rows()
    store._db.conn.set_trace_callback(None)
    [sql] = statements
    assert plans(store, sql) == ["SCAN t USING COVERING INDEX tasks_listed"]


def test_a_joined_occurrence_and_household_are_read_by_any_of_their_ids(store: Store) -> None:
    o1, o2, h1, h2 = (new_id() for _ in range(4))
    store.append([occurrence(o1, START, reference="13/240117/26"),
                  household(h1, o1, START, address="Flat 2, 10 High St")])
    store.append([occurrence(o2, START, reference="13-240117-26", author="4321",
                             device="laptop-b"),
                  household(h2, o2, START, address="2, 10 High Street", author="4321",
                            device="laptop-b")])
    joined = store.occurrence(o2)
    assert joined is not None and joined == store.occurrence(o1)
    assert joined.joined_ids == tuple(sorted((o1, o2)))
    [one] = store.households(o2)
    assert store.households(o1) == [one] and set(one.merged_ids) == {h1, h2}
    assert store.household(h2) == store.household(h1) == one
    assert store.totals(DUE).households == 1


def test_occurrences_without_leaflets_are_those_the_projected_state_holds(store: Store) -> None:
    """Chosen in SQL from the stored views: the ones the domain's own test picks, each OIC's."""
    store.append(scenario(7, 40))
    occurrences = store.state().occurrences.values()
    assert any(o.leaflet_issues for o in occurrences)
    assert any(not o.leaflet_issues for o in occurrences)
    for oic in (None, *sorted({o.oic for o in occurrences})):
        found = sorted(v.id for v in store.occurrences_without_leaflets(oic))
        assert found == sorted(o.id for o in occurrences if not o.leaflet_issues
                               and oic in (None, o.oic))
