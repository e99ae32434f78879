"""Retention: erase whole cases whose newest event occurred before a cut-off.

A case is a connected set of events under `fieldapp.domain.projection.related_keys`: an
occurrence, its households, households merged with them, and every event filed under any of
them, corrections and retractions included. It is the unit the laptops project, so erasing
whole cases and never part of one leaves a valid event set behind: what remains projects to
the old state less the erased cases' views, on the endpoint and on every laptop.

The log is scanned in a read transaction, so pushes are not held up while it is read; the
write transaction then drops any case an event pushed since the scan has touched (it is no
longer wholly past its retention date) before erasing the rest. Officers who had any of a
case's events in their feed get an erasure notice for each of its ids, which their laptops
pull.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from central.storage.base import ErasedCase, ErasureNotice
from central.storage.database import Tx
from fieldapp.domain.events import Event, OccurrenceRecorded, event_from_json
from fieldapp.domain.problems import format_utc
from fieldapp.domain.projection import related_keys

# Events parsed per query while scanning: bounds memory on a large log.
SCAN_CHUNK = 5000


@dataclass(frozen=True)
class Case:
    summary: ErasedCase
    seqs: tuple[int, ...]


class _Forest:
    """Union-find over aggregate ids: which ids end up in one case."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, key: str) -> str:
        root = self.parent.setdefault(key, key)
        while self.parent[root] != root:
            root = self.parent[root]
        while key != root:  # path compression keeps later finds short
            self.parent[key], key = root, self.parent[key]
        return root

    def join(self, keys: Iterable[str]) -> None:
        roots = [self.find(key) for key in keys]
        for other in roots[1:]:
            if other != roots[0]:
                self.parent[other] = roots[0]


@dataclass
class Scan:
    """The whole log, reduced to what deciding and erasing cases needs."""

    forest: _Forest = field(default_factory=_Forest)
    # (seq, aggregate_id, occurred_at) of every event
    events: list[tuple[int, str, datetime]] = field(default_factory=list)
    references: dict[str, str] = field(default_factory=dict)  # occurrence id -> reference
    last_seq: int = 0

    def add(self, seq: int, event: Event) -> None:
        self.forest.join(related_keys(event))
        self.events.append((seq, event.aggregate_id, event.occurred_at))
        if isinstance(event.payload, OccurrenceRecorded):
            self.references[event.aggregate_id] = event.payload.reference
        self.last_seq = max(self.last_seq, seq)

    def expired(self, before: datetime) -> list[Case]:
        """Every case whose newest event occurred before `before`, oldest first."""
        newest: dict[str, datetime] = {}
        for _, aggregate, occurred in self.events:
            root = self.forest.find(aggregate)
            if root not in newest or occurred > newest[root]:
                newest[root] = occurred
        expired = {root for root, when in newest.items() if when < before}
        keys: dict[str, set[str]] = defaultdict(set)
        for key in list(self.forest.parent):
            root = self.forest.find(key)
            if root in expired:
                keys[root].add(key)
        seqs: dict[str, list[int]] = defaultdict(list)
        for seq, aggregate, _ in self.events:
            root = self.forest.find(aggregate)
            if root in expired:
                seqs[root].append(seq)
        cases = []
        for root in expired:
            occurrences = tuple(sorted(k for k in keys[root] if k in self.references))
            summary = ErasedCase(
                occurrence_ids=occurrences,
                references=tuple(self.references[k] for k in occurrences),
                newest=format_utc(newest[root]),
                aggregate_ids=tuple(sorted(keys[root])),
                events=len(seqs[root]),
            )
            cases.append(Case(summary, tuple(seqs[root])))
        return sorted(cases, key=lambda c: (c.summary.newest, c.summary.aggregate_ids))


def scan(tx: Tx) -> Scan:
    found = Scan()
    after = 0
    while rows := tx.query(
        "SELECT seq, body FROM events WHERE seq > ? ORDER BY seq LIMIT ?", (after, SCAN_CHUNK)
    ):
        for seq, body in rows:
            found.add(int(seq), event_from_json(body))
        after = int(rows[-1][0])
    return found


def still_expired(tx: Tx, scanned: Scan, cases: Sequence[Case]) -> list[Case]:
    """The cases nothing has touched since the scan: no event pushed after it relates to
    them, and no other retention run has erased them meanwhile."""
    touched: set[str] = set()
    for (body,) in tx.query("SELECT body FROM events WHERE seq > ?", (scanned.last_seq,)):
        touched |= related_keys(event_from_json(body))
    touched |= {
        row[0]
        for row in tx.query_in(
            "SELECT aggregate_id FROM erased_aggregates WHERE aggregate_id IN ({in})",
            {key for case in cases for key in case.summary.aggregate_ids},
        )
    }
    return [case for case in cases if not touched.intersection(case.summary.aggregate_ids)]


def erase(
    tx: Tx, cases: Sequence[Case], *, before: datetime, reason: str, actor: str, now: datetime
) -> int:
    """Remove the cases' events, feed rows and scope facts; record the erasure and tell each
    officer who may hold them. Returns the erasure's id."""
    keys = sorted({key for case in cases for key in case.summary.aggregate_ids})
    seqs = sorted(seq for case in cases for seq in case.seqs)
    [erasure_id] = tx.insert_returning(
        "INSERT INTO erasures (erased_at, actor, reason, occurred_before, aggregates, events) "
        "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
        [(format_utc(now), actor, reason, format_utc(before), len(keys), len(seqs))],
    )
    # Whoever held any of a case is told all of its ids: a laptop that held one household of
    # it may also have recorded something offline about another (its occurrence, say).
    case_of = {seq: index for index, case in enumerate(cases) for seq in case.seqs}
    holders: dict[int, set[str]] = defaultdict(set)
    for officer, seq in tx.query_in(
        "SELECT officer, event_seq FROM feed WHERE event_seq IN ({in})", seqs
    ):
        holders[case_of[int(seq)]].add(officer)
    tx.insert_new(
        "INSERT INTO erasure_notices (officer, erasure_id, aggregate_id) VALUES {values} "
        "RETURNING notice_seq",
        [
            (officer, erasure_id, key)
            for index, case in enumerate(cases)
            for officer in sorted(holders[index])
            for key in case.summary.aggregate_ids
        ],
    )
    tx.execute_in("DELETE FROM feed WHERE event_seq IN ({in})", seqs)
    tx.execute_in("DELETE FROM events WHERE seq IN ({in})", seqs)
    tx.execute_in("DELETE FROM scope_grants WHERE aggregate_id IN ({in})", keys)
    tx.execute_in("DELETE FROM scope_districts WHERE aggregate_id IN ({in})", keys)
    tx.execute_in("DELETE FROM scope_edges WHERE parent IN ({in})", keys)
    tx.execute_in("DELETE FROM scope_edges WHERE child IN ({in})", keys)
    tx.execute_in("DELETE FROM scope_keys WHERE aggregate_id IN ({in})", keys)
    tx.execute_in("DELETE FROM scope_oics WHERE aggregate_id IN ({in})", keys)
    tx.execute_in("DELETE FROM join_pairs WHERE earlier IN ({in})", keys)
    tx.execute_in("DELETE FROM join_pairs WHERE later IN ({in})", keys)
    tx.execute_in("DELETE FROM join_notice_officers WHERE aggregate_id IN ({in})", keys)
    tx.execute_in("DELETE FROM join_notice_districts WHERE aggregate_id IN ({in})", keys)
    tx.insert_new(
        "INSERT INTO erased_aggregates (aggregate_id, erasure_id) VALUES {values} "
        "ON CONFLICT (aggregate_id) DO NOTHING RETURNING aggregate_id",
        [(key, erasure_id) for key in keys],
    )
    return erasure_id


def refuse_erased(tx: Tx, events: Sequence[Event]) -> set[str]:
    """Ids of the events that relate to an erased aggregate: storing one would bring part of
    an erased case back (a laptop pushing what it recorded before it heard of the erasure)."""
    wanted = {key for event in events for key in related_keys(event)}
    erased = {
        row[0]
        for row in tx.query_in(
            "SELECT aggregate_id FROM erased_aggregates WHERE aggregate_id IN ({in})", wanted
        )
    }
    return {event.id for event in events if erased & related_keys(event)} if erased else set()


def notices(rows: Sequence[Sequence[object]]) -> list[ErasureNotice]:
    """Notice rows (erasure_id, aggregate_id, reason, erased_at), in position order, as one
    notice per erasure."""
    grouped: dict[object, list[str]] = {}
    about: dict[object, tuple[str, str]] = {}
    for erasure_id, aggregate, reason, erased_at in rows:
        grouped.setdefault(erasure_id, []).append(str(aggregate))
        about[erasure_id] = (str(reason), str(erased_at))
    return [
        ErasureNotice(tuple(aggregates), *about[erasure_id])
        for erasure_id, aggregates in grouped.items()
    ]
