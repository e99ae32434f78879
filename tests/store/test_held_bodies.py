"""Store.held_bodies: what sync asks before it reads a pulled page, to skip validating again
an event held byte for byte."""

from __future__ import annotations

from factories import household, new_id, occurrence
from store_helpers import START

from fieldapp.store import Store


def test_held_bodies_names_only_the_events_held_with_their_canonical_json(store: Store) -> None:
    o = new_id()
    made = [occurrence(o, START), household(new_id(), o, START)]
    store.append(made)
    stranger = new_id()
    asked = [made[1].id, stranger, made[0].id, made[0].id]
    assert store.held_bodies(asked) == {e.id: e.to_json() for e in made}
    assert store.held_bodies([stranger]) == {}
    assert store.held_bodies([]) == {}


def test_held_bodies_reads_which_are_held_from_the_index_on_id_alone(store: Store) -> None:
    """The first question touches no event row: a page usually holds none of them."""
    with store._db.reading() as conn:
        plan = " ".join(str(row[-1]) for row in conn.execute(
            "EXPLAIN QUERY PLAN SELECT e.id FROM json_each(?) AS k CROSS JOIN events e "
            "ON e.id = k.value", ('["x"]',)))
    assert "COVERING INDEX" in plan, plan
