"""The search index's documents (schema version 6), written with the projection rows they
index, in the projection's own transaction.

One document per occurrence and per household: its words (reference, district, the names of
people given leaflets; address, postcode, the names of household members), in the FTS5 index
`search_index`, named by its rowid in `search_docs`. A new document takes a rowid below every
other, so the newest come first (reads.search reads a prefix match in rowid order).

Until schema version 9 triggers on the projection tables rewrote a document for every row
written, one row at a time: FTS5 flushed its pending terms at each trigger's statement, and
a household's words were rewritten whenever its offers changed. Here a transaction's
documents are written in one statement, and only those whose words (or occurrence) changed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from fieldapp.domain.identity import postcode_key
from fieldapp.domain.views import HouseholdView, OccurrenceView
from fieldapp.store.db import Connection

# What a document is: (kind, occurrence id, words). Equal documents need no rewrite.
Document = tuple[str, str, str]


def occurrence_document(view: OccurrenceView) -> Document:
    names = " ".join(i.person_name for i in view.leaflet_issues)
    return "occurrence", view.id, f"{view.reference} {view.district} {names}"


def household_document(view: HouseholdView) -> Document:
    names = " ".join(m.name for m in view.members)
    return ("household", view.occurrence_id,
            f"{view.address} {view.postcode} {postcode_key(view.postcode)} {names}")


def write(conn: Connection, old: Mapping[str, Document], new: Mapping[str, Document]) -> None:
    """Turn the documents of `old` (record id -> document) into those of `new`."""
    gone = [key for key in old if key not in new]
    changed = {key: doc for key, doc in new.items() if old.get(key) != doc}
    if not gone and not changed:
        return
    held = dict(conn.execute(
        "SELECT d.record_id, d.doc FROM json_each(?) AS k "
        "CROSS JOIN search_docs AS d ON d.record_id = k.value",
        (json.dumps([*gone, *changed]),),
    ).fetchall())
    if held:
        conn.execute(
            "DELETE FROM search_index WHERE rowid IN (SELECT value FROM json_each(?))",
            (json.dumps(list(held.values())),),
        )
    dropped = [held[key] for key in gone if key in held]
    if dropped:
        conn.execute(
            "DELETE FROM search_docs WHERE doc IN (SELECT value FROM json_each(?))",
            (json.dumps(dropped),),
        )
    if not changed:
        return
    bottom: int = conn.execute("SELECT coalesce(min(doc), 0) FROM search_docs").fetchone()[0]
    docs = []
    for key, (kind, occurrence, words) in changed.items():
        doc = held.get(key)
        if doc is None:
            bottom -= 1
            doc = bottom
        docs.append((doc, key, kind, occurrence, words))
    conn.executemany(
        "INSERT INTO search_docs (doc, record_id, kind, occurrence_id) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (doc) DO UPDATE SET occurrence_id = excluded.occurrence_id",
        [d[:4] for d in docs],
    )
    # One statement for every document: FTS5 writes its pending terms once, not per row.
    conn.execute(
        "INSERT INTO search_index (rowid, words) "
        "SELECT value ->> 0, value ->> 1 FROM json_each(?)",
        (json.dumps([(d[0], d[4]) for d in docs]),),
    )


def clear(conn: Connection) -> None:
    """Every document gone (the projections are rebuilt from the log)."""
    conn.execute("DELETE FROM search_docs")
    conn.execute("DELETE FROM search_index")
