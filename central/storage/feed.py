"""Keeps every officer's feed complete as events, and the scope facts they state, arrive.

The feed is what a pull reads: (officer, feed_seq, event_seq), one row per event an officer
may see, numbered in the order it became visible to them. Pulling "events after my cursor"
from the feed, rather than "visible events with seq after my cursor" from the log, is what
lets an event that arrived long ago reach an officer who only now may see it (the household
came before its occurrence; the OIC was corrected; the task was reassigned).

Every function here runs inside the push's (or the admin's) write transaction, with writers
serialised, so the facts and feeds read here are exactly those committed before.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from central.storage import notices
from central.storage.base import Officer
from central.storage.database import Tx
from central.visibility import Facts, TargetRef, facts_of, target_of
from fieldapp.domain.events import Event, EventType, event_from_json


def record_arrivals(
    tx: Tx, arrivals: Sequence[tuple[int, Event]], join_notice: str = "oic"
) -> None:
    """Feed newly stored events, and anything their facts newly reveal, to who may see it.
    `join_notice`: who is told of a new record of a reference (central/storage/notices.py)."""
    if not arrivals:
        return
    facts = Facts()
    wanted = {t for _, event in arrivals if (t := target_of(event))}
    stored = {
        row[0]: TargetRef(row[1], row[2])
        for row in tx.query_in(
            "SELECT id, type, aggregate_id FROM events WHERE id IN ({in})", wanted
        )
    }
    for _, event in arrivals:
        target = target_of(event)
        facts.update(facts_of(event, stored.get(target) if target else None))
    # Corrections that came before the events they correct take effect now.
    arrived = {event.id: TargetRef(event.type.value, event.aggregate_id) for _, event in arrivals}
    for (body,) in tx.query_in(
        "SELECT body FROM events WHERE type = ? AND target_id IN ({in})",
        arrived,
        before=(EventType.EVENT_CORRECTED.value,),
    ):
        correction = event_from_json(body)
        target = target_of(correction)
        if target in arrived:
            facts.update(facts_of(correction, arrived[target]))

    dirty = _descendants(tx, _store_new_facts(tx, facts))
    readers = _readers(tx, dirty | {event.aggregate_id for _, event in arrivals})

    first_seq = min(seq for seq, _ in arrivals)
    # (a) and (d): the author and their team. Writers are serialised, so every event with
    # seq >= first_seq was stored by this transaction.
    tx.execute(
        "INSERT INTO feed (officer, event_seq) SELECT reader.collar, e.seq FROM events e "
        "JOIN officers author ON author.collar = e.author "
        "JOIN officers reader ON reader.team = author.team "
        "WHERE e.seq >= ? AND reader.role <> 'admin' ORDER BY e.seq, reader.collar "
        "ON CONFLICT (officer, event_seq) DO NOTHING",
        (first_seq,),
    )
    # (f): a correction or retraction reaches the author of the record it changes, who is
    # told who changed it, when and why (fieldapp.domain.projection: changed_by_another).
    tx.execute(
        "INSERT INTO feed (officer, event_seq) SELECT reader.collar, e.seq FROM events e "
        "JOIN events t ON t.id = e.target_id JOIN officers reader ON reader.collar = t.author "
        "WHERE e.seq >= ? AND e.target_id IS NOT NULL AND reader.role <> 'admin' "
        "ORDER BY e.seq ON CONFLICT (officer, event_seq) DO NOTHING",
        (first_seq,),
    )
    # (b), (c), (e): one statement per reader rather than one row per event and reader.
    arrived_in: dict[str, set[str]] = defaultdict(set)
    for _, event in arrivals:
        for officer in readers.get(event.aggregate_id, ()):
            arrived_in[officer].add(event.aggregate_id)
    for officer, aggregates in sorted(arrived_in.items()):
        _feed_aggregates(tx, officer, aggregates, from_seq=first_seq)
    # What the new facts revealed: everything stored in the dirty aggregates.
    dirty_for: dict[str, set[str]] = defaultdict(set)
    for aggregate in dirty:
        for officer in readers.get(aggregate, ()):
            dirty_for[officer].add(aggregate)
    for officer, aggregates in sorted(dirty_for.items()):
        _feed_aggregates(tx, officer, aggregates)
    # (g): the existing occurrence's OIC is told of a new record of its reference.
    notices.record_facts(
        tx, facts, {event.aggregate_id for _, event in arrivals}, first_seq, join_notice
    )


def backfill(tx: Tx, officer: Officer) -> None:
    """Give a newly registered officer everything already stored that they may see."""
    if officer.role == "admin":
        return
    tx.execute(
        "INSERT INTO feed (officer, event_seq) SELECT ?, e.seq FROM events e "
        "JOIN officers author ON author.collar = e.author "
        "WHERE author.team = ? ORDER BY e.seq ON CONFLICT (officer, event_seq) DO NOTHING",
        (officer.collar, officer.team),
    )
    roots = notices.named_for(tx, "scope_grants", "scope_districts", officer)
    _feed_aggregates(tx, officer.collar, _descendants(tx, roots))
    notices.backfill(tx, officer)


def _feed_aggregates(
    tx: Tx, officer: str, aggregates: Iterable[str], from_seq: int = 0
) -> None:
    tx.execute_in(
        "INSERT INTO feed (officer, event_seq) SELECT ?, seq FROM events "
        "WHERE seq >= ? AND aggregate_id IN ({in}) "
        "ORDER BY seq ON CONFLICT (officer, event_seq) DO NOTHING",
        sorted(aggregates),
        before=(officer, from_seq),
    )


def _store_new_facts(tx: Tx, facts: Facts) -> set[str]:
    """Store facts not already known; return the aggregates whose readers may have grown."""
    roots = {
        row[0]
        for row in tx.insert_new(
            "INSERT INTO scope_grants (aggregate_id, officer) VALUES {values} "
            "ON CONFLICT (aggregate_id, officer) DO NOTHING RETURNING aggregate_id",
            sorted(facts.grants),
        )
    }
    roots |= {
        row[0]
        for row in tx.insert_new(
            "INSERT INTO scope_districts (aggregate_id, district) VALUES {values} "
            "ON CONFLICT (aggregate_id, district) DO NOTHING RETURNING aggregate_id",
            sorted(facts.districts),
        )
    }
    roots |= {
        row[0]
        for row in tx.insert_new(
            "INSERT INTO scope_edges (parent, child) VALUES {values} "
            "ON CONFLICT (parent, child) DO NOTHING RETURNING child",
            sorted(facts.edges),
        )
    }
    return roots


def _descendants(tx: Tx, roots: set[str]) -> set[str]:
    seen = set(roots)
    frontier = set(roots)
    while frontier:
        rows = tx.query_in("SELECT child FROM scope_edges WHERE parent IN ({in})", frontier)
        frontier = {row[0] for row in rows} - seen
        seen |= frontier
    return seen


def _readers(tx: Tx, aggregates: set[str]) -> dict[str, set[str]]:
    """For each aggregate, the registered non-admin officers who may see it by (b), (c), (e)."""
    parents: dict[str, set[str]] = defaultdict(set)
    seen = set(aggregates)
    frontier = set(aggregates)
    while frontier:
        rows = tx.query_in("SELECT child, parent FROM scope_edges WHERE child IN ({in})", frontier)
        frontier = set()
        for child, parent in rows:
            parents[child].add(parent)
            if parent not in seen:
                seen.add(parent)
                frontier.add(parent)
    direct: dict[str, set[str]] = defaultdict(set)
    for aggregate, collar in notices.named_readers(tx, "scope_grants", "scope_districts", seen):
        direct[aggregate].add(collar)
    readers: dict[str, set[str]] = {}
    for aggregate in aggregates:
        found: set[str] = set()
        stack, visited = [aggregate], {aggregate}
        while stack:
            node = stack.pop()
            found |= direct.get(node, set())
            for parent in parents.get(node, ()):
                if parent not in visited:
                    visited.add(parent)
                    stack.append(parent)
        readers[aggregate] = found
    return readers
