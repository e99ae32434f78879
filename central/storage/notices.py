"""Telling the existing occurrence's OIC of a new record of its reference (central/visibility.py,
rule (g)), inside the push's write transaction like the rest of storage/feed.py.

The facts, read off single events and only ever accumulating:
- key(O, K): an occurrence record of O holds reference key K, first known at `since_seq`;
- oic(O, P): O's own record (or a correction of it) names P its OIC.

From them: for two occurrences E and L holding one key, with E's key known first (the
endpoint's order of receipt: a laptop can backdate what it records, not when it arrived),
pair(E, L). The readers of E are told of L: they may pull L's own record and its corrections
and retractions, never L's scope (households, leaflets, offers). Who E's readers are is the
force's `join_notice` policy (resources/authority.json), applied when a fact arrives:
"oic": E's OICs and the supervisors of E's districts; "supervisors": the supervisors alone.
Nobody is told the other way: L's author learns nothing of E by recording L. Records of one
key that arrive in one push are by one officer, who sees them both; neither is told of the
other.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from central.storage.base import Officer
from central.storage.database import Tx
from central.visibility import Facts
from fieldapp.domain.events import EventType

_RECORD = EventType.OCCURRENCE_RECORDED.value


def record_facts(
    tx: Tx, facts: Facts, arrived: set[str], seq: int, join_notice: str
) -> None:
    """Store the arrivals' key and OIC facts (`seq`: the first seq of the push), pair new
    records with earlier ones of their key, and feed each told officer the records they may
    now pull, of these and of the aggregates that `arrived`."""
    new_keys = tx.insert_new(
        "INSERT INTO scope_keys (aggregate_id, ref_key, since_seq) VALUES {values} "
        "ON CONFLICT (aggregate_id, ref_key) DO NOTHING RETURNING aggregate_id, ref_key",
        sorted((aggregate, key, seq) for aggregate, key in facts.keys),
    )
    new_oics = {
        row[0]
        for row in tx.insert_new(
            "INSERT INTO scope_oics (aggregate_id, officer) VALUES {values} "
            "ON CONFLICT (aggregate_id, officer) DO NOTHING RETURNING aggregate_id",
            sorted(facts.oics),
        )
    }
    # The earlier records of every new key, in one statement per chunk of keys rather than
    # one per key (a push of 500 events records up to 500 occurrences).
    earlier_of: dict[str, set[str]] = defaultdict(set)
    for aggregate, key in tx.query_in(
        "SELECT aggregate_id, ref_key FROM scope_keys WHERE since_seq < ? AND ref_key IN ({in})",
        {key for _, key in new_keys},
        before=(seq,),
    ):
        earlier_of[key].add(aggregate)
    pairs = {
        (earlier, later)
        for later, key in new_keys
        for earlier in earlier_of.get(key, ())
        if earlier != later
    }
    tx.insert_new(
        "INSERT INTO join_pairs (earlier, later) VALUES {values} "
        "ON CONFLICT (earlier, later) DO NOTHING RETURNING later",
        sorted(pairs),
    )
    # An earlier record whose readers grew (a new pair, a new OIC, another district) tells
    # them of every later record it is paired with.
    grown = {e for e, _ in pairs} | new_oics | {a for a, _ in facts.districts}
    later_of: dict[str, set[str]] = defaultdict(set)
    for earlier, later in tx.query_in(
        "SELECT earlier, later FROM join_pairs WHERE earlier IN ({in})", grown
    ):
        later_of[earlier].add(later)
    # Each earlier record's OICs (by the policy) and districts, passed on to its later ones.
    oics: set[tuple[str, str]] = set()
    if join_notice == "oic":
        oics = _passed_on(tx, "SELECT aggregate_id, officer FROM scope_oics "
                          "WHERE aggregate_id IN ({in})", later_of)
    districts = _passed_on(tx, "SELECT aggregate_id, district FROM scope_districts "
                           "WHERE aggregate_id IN ({in})", later_of)
    tx.insert_new(
        "INSERT INTO join_notice_officers (aggregate_id, officer) VALUES {values} "
        "ON CONFLICT (aggregate_id, officer) DO NOTHING RETURNING aggregate_id",
        sorted(oics),
    )
    tx.insert_new(
        "INSERT INTO join_notice_districts (aggregate_id, district) VALUES {values} "
        "ON CONFLICT (aggregate_id, district) DO NOTHING RETURNING aggregate_id",
        sorted(districts),
    )
    told = {later for laters in later_of.values() for later in laters}
    _feed_told(tx, told | arrived)


def _passed_on(tx: Tx, sql: str, later_of: dict[str, set[str]]) -> set[tuple[str, str]]:
    """(later, value) for each (earlier, value) row `sql` reads of the earlier records."""
    return {(later, row[1]) for row in tx.query_in(sql, later_of) for later in later_of[row[0]]}


def _feed_told(tx: Tx, aggregates: set[str]) -> None:
    """Feed every told reader of these occurrences their own records (a repeat is a no-op)."""
    readers = told_readers(tx, aggregates)
    for officer, told in sorted(readers.items()):
        _feed_records(tx, officer, told)


def told_readers(tx: Tx, aggregates: Iterable[str]) -> dict[str, set[str]]:
    """Registered officers told of each of these occurrences, by collar."""
    readers: dict[str, set[str]] = defaultdict(set)
    for aggregate, collar in named_readers(
        tx, "join_notice_officers", "join_notice_districts", aggregates
    ):
        readers[collar].add(aggregate)
    return readers


def named_readers(
    tx: Tx, officers: str, districts: str, aggregates: Iterable[str]
) -> list[tuple[str, str]]:
    """(aggregate, collar) for the registered non-admin officers a table names for these
    aggregates, and the supervisors of the districts another names: the one shape both the
    scope's grants (feed.py) and the join notices take."""
    wanted = sorted(set(aggregates))
    named = tx.query_in(
        "SELECT n.aggregate_id, o.collar "  # noqa: S608 (table names are this package's own)
        f"FROM {officers} n JOIN officers o ON o.collar = n.officer "
        "WHERE o.role <> 'admin' AND n.aggregate_id IN ({in})",
        wanted,
    )
    supervising = tx.query_in(
        "SELECT n.aggregate_id, o.collar "  # noqa: S608 (as above)
        f"FROM {districts} n JOIN officers o ON o.district = n.district "
        "WHERE o.role = 'supervisor' AND n.aggregate_id IN ({in})",
        wanted,
    )
    return [*named, *supervising]


def named_for(tx: Tx, officers: str, districts: str, officer: Officer) -> set[str]:
    """The aggregates a table names `officer` for, and (for a supervisor) those another names
    their district for: named_readers seen from the officer's side, for a backfill."""
    named = {
        row[0]
        for row in tx.query(
            f"SELECT aggregate_id FROM {officers} WHERE officer = ?",  # noqa: S608 (own tables)
            (officer.collar,),
        )
    }
    if officer.role == "supervisor":
        named |= {
            row[0]
            for row in tx.query(
                f"SELECT aggregate_id FROM {districts} WHERE district = ?",  # noqa: S608
                (officer.district,),
            )
        }
    return named


def told_of(tx: Tx, officer: Officer, aggregates: Iterable[str]) -> set[str]:
    """Which of these occurrences `officer` is told of (whether or not they also see it)."""
    return told_readers(tx, aggregates).get(officer.collar, set())


def backfill(tx: Tx, officer: Officer) -> None:
    """A newly registered officer is told of what their collar or district was told of."""
    if officer.role == "admin":
        return
    told = named_for(tx, "join_notice_officers", "join_notice_districts", officer)
    _feed_records(tx, officer.collar, told)


def _feed_records(tx: Tx, officer: str, aggregates: Iterable[str]) -> None:
    """An occurrence's own records: occurrence_recorded and what corrects or retracts one."""
    tx.execute_in(
        "INSERT INTO feed (officer, event_seq) SELECT ?, e.seq FROM events e "
        "WHERE (e.type = ? OR e.target_id IN "
        "(SELECT t.id FROM events t WHERE t.aggregate_id = e.aggregate_id AND t.type = ?)) "
        "AND e.aggregate_id IN ({in}) "
        "ORDER BY e.seq ON CONFLICT (officer, event_seq) DO NOTHING",
        sorted(aggregates),
        before=(officer, _RECORD, _RECORD),
    )
