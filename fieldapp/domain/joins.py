"""Which household records are one household: merges, splits and automatic joins.

A merge ("these are the same household") joins a pair of household records; a split ("these
are different households") keeps a pair apart. For each unordered pair the latest of its
merges and splits, in the projection's canonical (occurred_at, id) order, decides. Automatic
joins (records the rule finds to be one household) are made after the merges, one pair at a
time in sorted order, and never join two groups that a split keeps apart, so a split undoes
an automatic join of exactly that pair as well as a merge of it, whatever order the events
arrive in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import combinations

from fieldapp.domain.events import Event, HouseholdsMerged, HouseholdsSplit, paired_household

Pair = frozenset[str]


class Joins:
    """Union-find over household ids; a joined household is named by its smallest id."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

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

    def members(self, root: str) -> list[str]:
        """Every id joined under `root`, itself included, sorted."""
        return sorted({k for k in self.parent if self.find(k) == root} | {root})


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
    for pair in sorted(decided, key=sorted):
        if decided[pair]:
            joins.union(*sorted(pair))
    apart = frozenset(pair for pair, joined in decided.items() if not joined)
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


__all__ = ["Joins", "Pair", "join_households", "kept_apart", "pair_decisions"]
