"""Search: references, address words, postcodes and the names of people recorded, from the
FTS5 index inside the encrypted file, written with the projection rows (store/search.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from factories import event, household, leaflets, new_id, occurrence, offer
from store_helpers import START

from fieldapp.domain.events import EventType
from fieldapp.store import Store
from fieldapp.store.reads import match_query


def _case(store: Store) -> dict[str, str]:
    o1, o2, h1, h2 = new_id(), new_id(), new_id(), new_id()
    store.append([
        occurrence(o1, START, reference="13/424242/26", district="Leeds"),
        occurrence(o2, START, reference="13/515151/26", district="Bradford"),
        leaflets(o1, START),  # to "J Smith"
        household(h1, o1, START, postcode="LS6 2QQ", address="4 Beck Side, Headingley"),
        household(h2, o2, START, postcode="BD1 1AA", address="9 Mill Lane, Bradford"),
    ])
    return {"o1": o1, "o2": o2, "h1": h1, "h2": h2}


def _households(store: Store, text: str) -> list[str]:
    return [h.id for h in store.search(text).households]


def _occurrences(store: Store, text: str) -> list[str]:
    return [o.id for o in store.search(text).occurrences]


def test_search_finds_by_reference_address_words_postcode_and_names(store: Store) -> None:
    k = _case(store)
    assert _occurrences(store, "13/4242") == [k["o1"]]  # a reference, half typed
    assert _occurrences(store, "424242") == [k["o1"]]
    assert _households(store, "beck") == [k["h1"]]
    assert _households(store, "headingley beck s") == [k["h1"]]  # any order, last word half
    assert _households(store, "ls6 2qq") == [k["h1"]]
    assert _households(store, "LS62QQ") == [k["h1"]]  # without the space
    assert _households(store, "mill") == [k["h2"]]
    assert _households(store, "Béck") == [k["h1"]]  # accents folded
    assert _occurrences(store, "smith") == [k["o1"]]  # the person given the leaflets
    assert _households(store, "bradford") == [k["h2"]]
    assert _occurrences(store, "bradford") == [k["o2"]]  # the district
    assert store.search("beck nowhere").households == ()  # every word must match


def test_names_of_household_members_are_found_and_a_correction_is_found_at_once(
    store: Store,
) -> None:
    k = _case(store)
    assert _households(store, "partner") == []  # relationships are not names
    first = next(e for e in store.iter_events() if e.aggregate_id == k["h1"])
    payload = dict(first.to_dict()["payload"])
    payload["members"] = [{"relationship": "partner", "name": "Jane Okonkwo"},
                          {"relationship": "child", "age": 7}]
    payload["address"] = "6 Beck Side, Headingley"
    store.append([event(EventType.EVENT_CORRECTED, k["h1"],
                        {"target_id": first.id, "target_type": "household_recorded",
                         "payload": payload, "reason": "Partner's name"},
                        START + timedelta(hours=1))])
    assert _households(store, "okonkwo") == [k["h1"]]
    assert _households(store, "jane ok") == [k["h1"]]
    assert _households(store, "4 beck") == []  # the old address is gone from the index
    assert _households(store, "6 beck") == [k["h1"]]


def test_a_merged_away_household_leaves_the_index(store: Store) -> None:
    k = _case(store)
    store.append([event(EventType.HOUSEHOLDS_MERGED, k["h1"],
                        {"merged_id": k["h2"], "reason": "One family"}, START)])
    [survivor] = [h for h in store.state().households.values()]
    merged_away = ({k["h1"], k["h2"]} - {survivor.id}).pop()
    found = {h for word in ("beck", "mill", "ls6", "bd1") for h in _households(store, word)}
    assert found == {survivor.id} and merged_away not in found
    kinds = store._db.conn.execute(
        "SELECT kind, count(*) FROM search_docs GROUP BY kind ORDER BY kind").fetchall()
    assert kinds == [("household", 1), ("occurrence", 2)]
    assert store._db.conn.execute("SELECT count(*) FROM search_index").fetchone()[0] == 3


def test_the_newest_comes_first_and_a_save_that_changes_no_words_writes_no_document(
    store: Store,
) -> None:
    k = _case(store)
    newer = new_id()
    store.append([household(newer, k["o1"], START, address="7 Beck Side, Headingley")])
    assert _households(store, "beck side") == [newer, k["h1"]]  # equal rank: newest first
    index = store._db.conn.execute("SELECT * FROM search_index_data ORDER BY id").fetchall()
    docs = store._db.conn.execute("SELECT * FROM search_docs ORDER BY doc").fetchall()
    store.append([offer(k["h1"], "declined", START + timedelta(hours=1))])
    assert store.household(k["h1"]).offers  # the household's row was rewritten ...
    # ... but not its document: its words are the same.
    assert store._db.conn.execute(
        "SELECT * FROM search_index_data ORDER BY id").fetchall() == index
    assert store._db.conn.execute("SELECT * FROM search_docs ORDER BY doc").fetchall() == docs
    assert _households(store, "beck side") == [newer, k["h1"]]


def test_better_matches_come_first(store: Store) -> None:
    o = new_id()
    ids = [new_id() for _ in range(3)]
    store.append([
        occurrence(o, START, reference="13/1/26"),
        household(ids[0], o, START, address="1 Low Road, Beckwith, Beck Side Beck"),
        household(ids[1], o, START, address="2 High Street, Leeds"),
        household(ids[2], o, START, address="3 Beck Lane, Leeds"),
    ])
    assert _households(store, "beck") == [ids[0], ids[2]]


@pytest.mark.parametrize("text", ['"', 'beck"', "NEAR(beck", "beck*", "-beck", "beck OR",
                                  "a:b", "^beck", "(", "''", "beck AND NOT"])
def test_what_is_typed_is_never_read_as_a_query(store: Store, text: str) -> None:
    _case(store)
    store.search(text)  # no FTS5 syntax error, whatever was typed


def test_too_little_to_search_finds_nothing(store: Store) -> None:
    _case(store)
    assert match_query("L") == match_query("  ") == match_query("/ - .") == ""
    assert store.search("L").households == store.search("/-").households == ()
    assert match_query('be"ck') == '"be""ck"*'


def test_of_many_equal_matches_the_newest_come_first(store: Store) -> None:
    o = new_id()
    store.append([occurrence(o, START, reference="13/2/26")])
    ids = []
    for n in range(4):  # saved one after another: the last is the newest
        ids.append(new_id())
        store.append([household(ids[-1], o, START, address=f"{n} Beck Side")])
    assert _households(store, "beck side") == ids[::-1]
