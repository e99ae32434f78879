"""Which household records are one household: merges, splits and automatic joins.

A merge ("these are the same household") joins a pair of household records; a split ("this
record is not the same household as that one") keeps a pair apart. For each unordered pair
the latest of its merges and splits, in the projection's canonical (occurred_at, id) order,
decides. A split pair always ends in two different households: joins are made one pair at a
time (the merges in sorted order, then the automatic joins of records the rule finds to be one
household, in sorted order), and a join that would put a split pair into one household is not
made, whether it is that pair's own or one through a third record (A–B–C, split A from C). So
a split holds against any chain of merges and automatic joins, and the state is the same
whatever order the events arrive in; a later merge of the pair undoes the split exactly.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from itertools import combinations

from fieldapp.domain.events import (
    Event,
    EventCorrected,
    HouseholdRecorded,
    HouseholdsMerged,
    HouseholdsSplit,
    Member,
    OccurrenceRecorded,
    corrected_payload,
    paired_household,
)
from fieldapp.domain.identity import (
    household_key,
    may_be_one_address,
    postcode_key,
    reference_key,
)
from fieldapp.domain.views import Conflict, HouseholdView

Pair = frozenset[str]


class Joins:
    """Union-find over household ids; a joined household is named by its smallest id."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}
        # Every root's members, made on the first `members` after a union: a projection asks
        # once per household, and scanning every id each time made a rebuild quadratic.
        self._groups: dict[str, list[str]] | None = None

    def find(self, key: str) -> str:
        root = key
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        self.parent[key] = root
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            low, high = sorted((ra, rb))
            self.parent[high] = low
            self._groups = None

    def members(self, root: str) -> list[str]:
        """Every id joined under `root`, itself included, sorted."""
        # `find` of an id not seen before only adds a group of its own, which `[root]`
        # below answers: only a union changes what the groups hold.
        if self._groups is None:
            groups: dict[str, list[str]] = defaultdict(list)
            for key in list(self.parent):
                groups[self.find(key)].append(key)
            self._groups = {k: sorted({*v, k}) for k, v in groups.items()}
        return list(self._groups.get(root) or [root])


def pair_decisions(effective: Iterable[Event]) -> dict[Pair, bool]:
    """Per pair of households named by a merge or a split: True if the latest one (events
    come in canonical order) merges them, False if it splits them."""
    decided: dict[Pair, bool] = {}
    for event in effective:
        if isinstance(event.payload, HouseholdsMerged | HouseholdsSplit):
            pair = frozenset((event.aggregate_id, paired_household(event.payload)))
            if len(pair) == 2:
                decided[pair] = isinstance(event.payload, HouseholdsMerged)
    return decided


def join_households(
    effective: Sequence[Event], automatic: Iterable[Sequence[str]] = ()
) -> tuple[Joins, frozenset[Pair]]:
    """The households' union-find, and the pairs a split keeps apart.

    `automatic` are groups of household ids the rule says are one household."""
    decided = pair_decisions(effective)
    joins = Joins()
    apart = frozenset(pair for pair, joined in decided.items() if not joined)
    for pair in sorted(decided, key=sorted):
        a, b = sorted(pair)
        if decided[pair] and not kept_apart(joins, a, b, apart):
            joins.union(a, b)
    for group in automatic:
        for a, b in combinations(sorted(group), 2):
            if not kept_apart(joins, a, b, apart):
                joins.union(a, b)
    return joins, apart


def kept_apart(joins: Joins, a: str, b: str, apart: Iterable[Pair]) -> bool:
    """Whether joining a's group with b's would join a pair that a split keeps apart."""
    ra, rb = joins.find(a), joins.find(b)
    if ra == rb:
        return False
    for pair in apart:
        x, y = sorted(pair)
        rx, ry = joins.find(x), joins.find(y)
        if {rx, ry} == {ra, rb}:
            return True
    return False


def latest_records(effective: Iterable[Event], kind: type[OccurrenceRecorded | HouseholdRecorded]
                   ) -> dict[str, Event]:
    """Each aggregate's latest record of `kind` (events come in canonical order)."""
    return {e.aggregate_id: e for e in effective if isinstance(e.payload, kind)}


def occurrence_joins(effective: Iterable[Event]) -> dict[str, str]:
    """Every recorded occurrence's id to the id of the occurrence it is one with: the
    smallest id among those whose latest record has the same reference (identity.py)."""
    by_reference: dict[str, list[str]] = defaultdict(list)
    for occurrence_id, record in latest_records(effective, OccurrenceRecorded).items():
        assert isinstance(record.payload, OccurrenceRecorded)
        by_reference[reference_key(record.payload.reference)].append(occurrence_id)
    return {member: min(ids) for ids in by_reference.values() for member in ids}


def automatic_groups(
    effective: Iterable[Event], occurrence_of: Mapping[str, str]
) -> list[list[str]]:
    """Household ids whose latest records put them under one occurrence (once occurrences
    are joined) at one address key: the rule says each group is one household."""
    groups: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for household_id, record in latest_records(effective, HouseholdRecorded).items():
        assert isinstance(record.payload, HouseholdRecorded)
        p = record.payload
        key = household_key(p.address, p.postcode)
        if key is not None:
            groups[(occurrence_of.get(p.occurrence_id, p.occurrence_id), *key)].append(
                household_id
            )
    return [sorted(ids) for ids in groups.values() if len(ids) > 1]


def join_keys(event: Event) -> frozenset[str]:
    """Keys that tie records which join without naming each other, for the projection's
    component walk: an occurrence's reference, and the occurrence a corrected household is
    moved to. Not a case's identity (retention and erasure follow `related_keys` alone)."""
    payload = event.payload
    if isinstance(payload, EventCorrected) and not payload.restates_whole:
        # Version 2 carries only the changed fields: the ones that move a join are these.
        changes = payload.changes
        if payload.target_type == "occurrence_recorded" and "reference" in changes:
            return frozenset({REFERENCE_KEY + reference_key(str(changes["reference"]))})
        if payload.target_type == "household_recorded" and "occurrence_id" in changes:
            return frozenset({str(changes["occurrence_id"])})
        return frozenset()
    if isinstance(payload, EventCorrected):
        try:
            payload = corrected_payload(payload)
        except (TypeError, ValueError, KeyError):
            return frozenset()
    if isinstance(payload, OccurrenceRecorded):
        return frozenset({REFERENCE_KEY + reference_key(payload.reference)})
    if isinstance(payload, HouseholdRecorded) and event.type.value != "household_recorded":
        return frozenset({payload.occurrence_id})
    return frozenset()


def joined_members(records: list[Event]) -> tuple[Member, ...]:
    """The latest record's members, then those only another joined record names (each
    household record's latest counts; a name typed differently is kept, for the OIC to
    correct, rather than guessed away)."""
    latest: dict[str, HouseholdRecorded] = {}
    for e in records:
        assert isinstance(e.payload, HouseholdRecorded)
        latest[e.aggregate_id] = e.payload
    if not records:
        return ()
    newest = records[-1].payload
    assert isinstance(newest, HouseholdRecorded)
    members = list(newest.members)
    seen = {_member_key(m) for m in members}
    for record in latest.values():
        for m in record.members:
            if _member_key(m) not in seen:
                seen.add(_member_key(m))
                members.append(m)
    return tuple(members)


def _member_key(member: Member) -> tuple[str, str, int | None]:
    return (member.relationship, " ".join(member.name.casefold().split()), member.age)


def joined_ids(records: list[Event]) -> tuple[str, ...]:
    """The ids of the occurrences `records` were filed under, when more than one."""
    ids = {e.aggregate_id for e in records}
    return tuple(sorted(ids)) if len(ids) > 1 else ()


def _first_records(records: Iterable[Event]) -> dict[str, Event]:
    """The first record of each aggregate among `records` (in canonical order)."""
    first: dict[str, Event] = {}
    for e in records:
        first.setdefault(e.aggregate_id, e)
    return first


def occurrence_joined(occurrence_id: str, records: list[Event]) -> list[Conflict]:
    """The OIC is told when one reference was recorded as more than one occurrence."""
    first = _first_records(records)
    if len(first) < 2:
        return []
    latest = records[-1].payload
    assert isinstance(latest, OccurrenceRecorded)
    authors = sorted({e.author for e in first.values()})
    return [Conflict.of(
        "occurrence_joined",
        occurrence_id,
        [e.id for e in first.values()],
        f"{latest.reference} was recorded {len(first)} times (by {_officers(authors)}): it is "
        "shown as one occurrence, with everything recorded under it.",
    )]


def households_joined(
    view: HouseholdView, group: list[Event], automatic: set[str]
) -> list[Conflict]:
    """The OIC is told when records of one address were joined into one household."""
    first = {
        h: e for h, e in _first_records(
            e for e in group if isinstance(e.payload, HouseholdRecorded)
        ).items() if h in automatic
    }
    if len(first) < 2:
        return []
    authors = sorted({e.author for e in first.values()})
    return [Conflict.of(
        "households_joined",
        view.id,
        [e.id for e in first.values()],
        f"This address was recorded {len(first)} times on this occurrence (by "
        f"{_officers(authors)}): it is shown as one household, with one call-back. If they "
        "are different households, split them.",
    )]


def _officers(collars: list[str]) -> str:
    return collars[0] if len(collars) == 1 else ", ".join(collars[:-1]) + " and " + collars[-1]


def possible_duplicates(
    households: Iterable[HouseholdView], apart: frozenset[Pair]
) -> list[Conflict]:
    """Two households at one postcode of one occurrence that the rule did not join (their
    addresses differ in more than identity.py forgives) but whose addresses may be one are
    shown to the OIC, who merges or splits them; a split pair is not raised again."""
    groups: dict[tuple[str, str], list[HouseholdView]] = defaultdict(list)
    for view in households:
        if view.occurrence_id and postcode_key(view.postcode):
            groups[(view.occurrence_id, postcode_key(view.postcode))].append(view)
    found = []
    for views in groups.values():
        undecided = [
            (a, b) for a, b in combinations(views, 2)
            if may_be_one_address(a.address, b.address)
            and not any(frozenset((x, y)) in apart for x in a.merged_ids for y in b.merged_ids)
        ]
        ids = sorted({v.id for pair in undecided for v in pair})
        if ids:
            found.append(Conflict.of(
                "possible_duplicate_household",
                ids[0],
                ids,
                "Two records of what may be the same address on this occurrence: merge them if "
                "they are one household, or split them if they are not.",
            ))
    return found


REFERENCE_KEY = "reference:"

__all__ = [
    "REFERENCE_KEY",
    "Joins",
    "Pair",
    "automatic_groups",
    "households_joined",
    "join_households",
    "join_keys",
    "joined_ids",
    "joined_members",
    "kept_apart",
    "latest_records",
    "occurrence_joined",
    "occurrence_joins",
    "pair_decisions",
    "possible_duplicates",
]
