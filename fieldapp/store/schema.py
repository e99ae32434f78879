"""The numbered migration ladder (`PRAGMA user_version`), one transaction per step.

Before an existing database is upgraded, a byte copy of it (still encrypted) is kept in the
profile's backups/ folder. A step never edits the event log's content: the projection tables
can always be rebuilt from the log, the log itself cannot be rebuilt from anything.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from fieldapp.domain.events import EventType, event_from_json
from fieldapp.domain.joins import join_keys
from fieldapp.store import access
from fieldapp.store.db import Connection, Database
from fieldapp.store.errors import NewerDatabase, ProfileBusy
from fieldapp.store.files import copy_private, private_dir

_V1 = (
    # The log: local insertion order is `seq`; `body` is the event's canonical JSON.
    """CREATE TABLE events (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL,
        aggregate_id TEXT NOT NULL,
        occurred_at TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        body TEXT NOT NULL,
        origin TEXT NOT NULL CHECK (origin IN ('local', 'pulled'))
    )""",
    """CREATE TRIGGER events_no_update
        BEFORE UPDATE OF seq, id, type, aggregate_id, occurred_at, recorded_at, body, origin
        ON events BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END""",
    """CREATE TRIGGER events_no_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END""",
    # projection.linked_keys, so that projection.component can walk the log in SQL.
    """CREATE TABLE related (
        key TEXT NOT NULL,
        event_seq INTEGER NOT NULL REFERENCES events (seq),
        PRIMARY KEY (key, event_seq)
    ) WITHOUT ROWID""",
    """CREATE TABLE outbox (
        event_seq INTEGER PRIMARY KEY REFERENCES events (seq),
        state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'rejected')),
        server_seq INTEGER,
        problems TEXT
    )""",
    "CREATE INDEX outbox_by_state ON outbox (state, event_seq)",
    """CREATE TABLE sync_cursor (
        only_row INTEGER PRIMARY KEY CHECK (only_row = 1),
        cursor TEXT NOT NULL
    )""",
    "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    # The store's own bookkeeping (which policy the projections were computed under).
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE occurrences (
        id TEXT PRIMARY KEY,
        reference TEXT NOT NULL,
        district TEXT NOT NULL,
        body TEXT NOT NULL
    )""",
    "CREATE INDEX occurrences_by_reference ON occurrences (reference)",
    """CREATE TABLE households (
        id TEXT PRIMARY KEY,
        occurrence_id TEXT NOT NULL,
        postcode_key TEXT NOT NULL,
        body TEXT NOT NULL
    )""",
    "CREATE INDEX households_by_postcode ON households (postcode_key)",
    "CREATE INDEX households_by_occurrence ON households (occurrence_id)",
    # Every id a (possibly merged) household is known by, its own included.
    """CREATE TABLE household_aliases (
        alias TEXT PRIMARY KEY,
        household_id TEXT NOT NULL
    ) WITHOUT ROWID""",
    "CREATE INDEX household_aliases_by_household ON household_aliases (household_id)",
    """CREATE TABLE tasks (
        household_id TEXT PRIMARY KEY,
        occurrence_id TEXT NOT NULL,
        occurrence_reference TEXT NOT NULL,
        district TEXT NOT NULL,
        postcode TEXT NOT NULL,
        assignee TEXT NOT NULL,
        due TEXT NOT NULL,
        state TEXT NOT NULL,
        body TEXT NOT NULL
    )""",
    "CREATE INDEX tasks_by_state ON tasks (state, due, household_id)",
    # Every task, soonest first, a page at a time.
    "CREATE INDEX tasks_by_due ON tasks (due, household_id)",
    "CREATE INDEX tasks_by_assignee ON tasks (assignee, state, due, household_id)",
    "CREATE INDEX tasks_by_district ON tasks (district, state, due, household_id)",
    "CREATE INDEX tasks_by_reference ON tasks (occurrence_reference, state, due, household_id)",
    "CREATE INDEX tasks_by_postcode ON tasks (postcode, state, due, household_id)",
    """CREATE TABLE conflicts (
        key TEXT PRIMARY KEY,
        scope TEXT NOT NULL,
        confirmed INTEGER NOT NULL,
        body TEXT NOT NULL
    )""",
    "CREATE INDEX conflicts_by_scope ON conflicts (scope)",
    "CREATE INDEX conflicts_by_confirmed ON conflicts (confirmed, key)",
)

_V2 = (
    # Set by the sync client for events recorded while the device clock was off.
    "ALTER TABLE events ADD COLUMN skewed INTEGER NOT NULL DEFAULT 0",
    "CREATE INDEX events_skewed ON events (seq) WHERE skewed = 1",
    """CREATE TABLE drafts (
        form TEXT PRIMARY KEY,
        body TEXT NOT NULL,
        saved_at TEXT NOT NULL
    )""",
    """CREATE TABLE access_log (
        seq INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL CHECK (action IN
            ('collection', 'alteration', 'consultation', 'disclosure', 'erasure')),
        subject_kind TEXT NOT NULL,
        subject_id TEXT NOT NULL,
        detail TEXT NOT NULL
    )""",
    "CREATE INDEX access_log_by_subject ON access_log (subject_id, seq)",
    """CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log
        BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END""",
    """CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log
        BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END""",
)

# The call-back list reads every task: decoding each one's JSON took seconds at 100,000
# call-backs, so the fields the list shows are columns too, kept in step with `body` by the
# projection writer and filled here from the JSON of rows written before. The list reads them
# from one covering index, in its order, never touching the table's rows: those also hold the
# JSON, so reading (and decrypting) them took several times as long.
_V3 = (
    "ALTER TABLE tasks ADD COLUMN attempts_made INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE tasks ADD COLUMN rule TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE tasks ADD COLUMN reason TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE tasks ADD COLUMN closed_by_author TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE tasks ADD COLUMN closed_by_device TEXT NOT NULL DEFAULT ''",
    """UPDATE tasks SET
        attempts_made = json_extract(body, '$.attempts_made'),
        rule = json_extract(body, '$.rule'),
        reason = json_extract(body, '$.reason'),
        closed_by_author = coalesce(json_extract(body, '$.closed_by_author'), ''),
        closed_by_device = coalesce(json_extract(body, '$.closed_by_device'), '')""",
    """CREATE INDEX tasks_listed ON tasks (due, household_id, occurrence_id,
        occurrence_reference, district, postcode, assignee, state, attempts_made, rule, reason,
        closed_by_author, closed_by_device)""",
)


# Erasure ordered by the central endpoint (retention, erasure.py) is the one thing that may
# delete events: only while the one-row `erasing` marker exists, which erasure.py inserts and
# removes inside its own transaction. Every other DELETE is still refused.
_V4 = (
    "CREATE TABLE erasing (only_row INTEGER PRIMARY KEY CHECK (only_row = 1))",
    # Deleting an event makes SQLite look for `related` rows still pointing at it (the foreign
    # key): without this, a scan of the whole table per erased event.
    "CREATE INDEX related_by_event ON related (event_seq)",
    "DROP TRIGGER events_no_delete",
    """CREATE TRIGGER events_no_delete BEFORE DELETE ON events
        WHEN NOT EXISTS (SELECT 1 FROM erasing)
        BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END""",
)


# VCAS referrals beside call-backs: what the Referrals tab lists and filters on, as columns,
# and the referral's JSON. Filled by the projection rebuild that PROJECTION_FORMAT 2 asks for.
_V5 = (
    """CREATE TABLE referrals (
        household_id TEXT PRIMARY KEY,
        occurrence_id TEXT NOT NULL,
        occurrence_reference TEXT NOT NULL,
        district TEXT NOT NULL,
        postcode TEXT NOT NULL,
        assignee TEXT NOT NULL,
        due TEXT NOT NULL,
        state TEXT NOT NULL,
        body TEXT NOT NULL
    )""",
    "CREATE INDEX referrals_by_due ON referrals (due, household_id)",
    # The due-today banner counts the ones still to send.
    "CREATE INDEX referrals_by_state ON referrals (state, due)",
)


# Search (reads.search): one document per occurrence and per household, its words in an FTS5
# index inside the encrypted file (FTS5 is compiled into SQLCipher). Triggers on the
# projection tables keep it in step, so it is rewritten in the projection's own transaction
# and needs no code of its own in the writer. `search_docs` names each FTS row (its rowid),
# newest first: each new document takes a rowid below every other, because FTS5 reads a
# prefix query in rowid order quickly and in reverse order slowly (0.4-0.7 s at 100,000).
_OCCURRENCE_WORDS = """{row}.reference || ' ' || {row}.district || ' ' || coalesce((
    SELECT group_concat(json_extract(i.value, '$.person_name'), ' ')
    FROM json_each({row}.body, '$.leaflet_issues') AS i), '')"""
_HOUSEHOLD_WORDS = """json_extract({row}.body, '$.address') || ' '
    || json_extract({row}.body, '$.postcode') || ' ' || {row}.postcode_key || ' '
    || coalesce((SELECT group_concat(json_extract(m.value, '$.name'), ' ')
                 FROM json_each({row}.body, '$.members') AS m), '')"""


def _search_triggers(table: str, kind: str, occurrence: str, words: str) -> list[str]:
    doc = "(SELECT doc FROM search_docs WHERE record_id = {row}.id)"
    return [
        f"""CREATE TRIGGER {table}_search_insert AFTER INSERT ON {table} BEGIN
            INSERT INTO search_docs (doc, record_id, kind, occurrence_id)
                VALUES ((SELECT coalesce(min(doc), 0) - 1 FROM search_docs), new.id,
                        '{kind}', new.{occurrence});
            INSERT INTO search_index (rowid, words)
                VALUES ({doc.format(row="new")}, {words.format(row="new")});
        END""",  # noqa: S608 (only this module's own constant names and SQL)
        f"""CREATE TRIGGER {table}_search_update AFTER UPDATE ON {table} BEGIN
            UPDATE search_docs SET occurrence_id = new.{occurrence} WHERE record_id = new.id;
            UPDATE search_index SET words = {words.format(row="new")}
                WHERE rowid = {doc.format(row="new")};
        END""",  # noqa: S608
        f"""CREATE TRIGGER {table}_search_delete AFTER DELETE ON {table} BEGIN
            DELETE FROM search_index WHERE rowid = {doc.format(row="old")};
            DELETE FROM search_docs WHERE record_id = old.id;
        END""",  # noqa: S608
    ]


_V6 = (
    """CREATE TABLE search_docs (
        doc INTEGER PRIMARY KEY,
        record_id TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL CHECK (kind IN ('occurrence', 'household')),
        occurrence_id TEXT NOT NULL
    )""",
    # Words split on anything not a letter or digit, accents folded; prefixes of 1, 2 and 3
    # characters indexed, for the first keystrokes of a word as the officer types: without
    # them "beck s" merged every word starting "s", seconds at 100,000 households
    # (bench/bench_search.py).
    """CREATE VIRTUAL TABLE search_index USING fts5(
        words, tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2 3'
    )""",
    *_search_triggers("occurrences", "occurrence", "id", _OCCURRENCE_WORDS),
    *_search_triggers("households", "household", "occurrence_id", _HOUSEHOLD_WORDS),
    # What was projected before the upgrade.
    """INSERT INTO search_docs (doc, record_id, kind, occurrence_id)
        SELECT -2 * rowid, id, 'occurrence', id FROM occurrences""",
    """INSERT INTO search_docs (doc, record_id, kind, occurrence_id)
        SELECT -2 * rowid - 1, id, 'household', occurrence_id FROM households""",
    f"""INSERT INTO search_index (rowid, words)
        SELECT d.doc, {_OCCURRENCE_WORDS.format(row="o")}
        FROM occurrences AS o JOIN search_docs AS d ON d.record_id = o.id""",  # noqa: S608
    f"""INSERT INTO search_index (rowid, words)
        SELECT d.doc, {_HOUSEHOLD_WORDS.format(row="h")}
        FROM households AS h JOIN search_docs AS d ON d.record_id = h.id""",  # noqa: S608
)


def _v7(conn: Connection) -> None:
    """Occurrences joined by reference: every id one is known by, and the join keys of the
    records already held (the projections are rebuilt on unlock: PROJECTION_FORMAT)."""
    conn.execute(
        """CREATE TABLE occurrence_aliases (
            alias TEXT PRIMARY KEY,
            occurrence_id TEXT NOT NULL
        ) WITHOUT ROWID"""
    )
    conn.execute(
        "CREATE INDEX occurrence_aliases_by_occurrence ON occurrence_aliases (occurrence_id)"
    )
    conn.execute(
        "INSERT INTO occurrence_aliases (alias, occurrence_id) SELECT id, id FROM occurrences"
    )
    rows = conn.execute(
        "SELECT seq, body FROM events WHERE type IN ('occurrence_recorded', 'event_corrected')"
    ).fetchall()
    conn.executemany(
        "INSERT INTO related (key, event_seq) VALUES (?, ?) ON CONFLICT DO NOTHING",
        [(key, seq) for seq, body in rows for key in sorted(join_keys(event_from_json(body)))],
    )


# The follow-up list's escalation flag (reads.escalated_occurrences): the occurrences with a
# leaflet record whose risk was escalated, kept by triggers on `occurrences` in the
# projection's own transaction, so a list of 100,000 call-backs reads one small table instead
# of every occurrence's JSON.
_ESCALATED = """EXISTS (SELECT 1 FROM json_each({row}.body, '$.leaflet_issues') AS i
    WHERE json_extract(i.value, '$.escalated'))"""
_V8 = (
    "CREATE TABLE escalated_occurrences (id TEXT PRIMARY KEY)",
    f"""CREATE TRIGGER occurrences_escalated_insert AFTER INSERT ON occurrences
        WHEN {_ESCALATED.format(row="new")}
        BEGIN INSERT OR IGNORE INTO escalated_occurrences (id) VALUES (new.id); END""",  # noqa: S608
    f"""CREATE TRIGGER occurrences_escalated_update AFTER UPDATE ON occurrences BEGIN
        DELETE FROM escalated_occurrences WHERE id = old.id;
        INSERT OR IGNORE INTO escalated_occurrences (id)
            SELECT new.id WHERE {_ESCALATED.format(row="new")};
    END""",  # noqa: S608 (only this module's own constant SQL)
    """CREATE TRIGGER occurrences_escalated_delete AFTER DELETE ON occurrences
        BEGIN DELETE FROM escalated_occurrences WHERE id = old.id; END""",
    # What was projected before the upgrade.
    f"""INSERT INTO escalated_occurrences (id)
        SELECT o.id FROM occurrences AS o WHERE {_ESCALATED.format(row="o")}""",  # noqa: S608
)


# Less written per save. The projection writer keeps the search index itself (search.py), a
# transaction's documents in one statement and only those whose words changed, instead of
# these triggers (one FTS5 flush per row written, and a household's words rewritten whenever
# its offers changed). And the indexes no read uses go, each one a b-tree every save of a
# task rewrote: the call-back list reads `tasks_listed` (whose first columns are those of
# `tasks_by_due`) and the totals `tasks_by_state`; no read filters tasks by assignee,
# district, reference or postcode through SQL, nor occurrences by reference or households
# by postcode (joins walk `related`), nor the alias tables by what an alias names. Each of
# these is keyed by a random id or a date, so every save wrote one of its pages somewhere
# new. tests/store/test_reads.py checks every read still searches an index.
_V9 = (
    *(f"DROP TRIGGER {table}_search_{change}"
      for table in ("occurrences", "households") for change in ("insert", "update", "delete")),
    *(f"DROP INDEX {index}" for index in (
        "tasks_by_due", "tasks_by_assignee", "tasks_by_district", "tasks_by_reference",
        "tasks_by_postcode", "occurrences_by_reference", "households_by_postcode",
        "household_aliases_by_household", "occurrence_aliases_by_occurrence")),
)


# Fewer pages written per save (each one encrypted, authenticated and flushed at commit):
# - `related` loses its foreign key to `events`, and with it `related_by_event`, the index
#   that key needed so that deleting an event could find the rows pointing at it. Every save
#   added an entry to that index; erasure (the only delete) removes an event's `related` rows
#   itself, by key, before the event.
# - The outbox holds only what waits to be sent: a save adds one row to one b-tree, in order,
#   instead of a row and an entry in the index by state. What the endpoint answered (sent,
#   with its sequence number, or rejected, with its problems) is `answered`, written at push
#   time. A local event is in exactly one of the two.
# - The alias tables keep only the ids a record is known by besides its own (a merged
#   household's, a joined occurrence's): its own id is its row's key. Every new household
#   and occurrence wrote a row of its own there, at a random place in the b-tree.
_V10 = (
    """CREATE TABLE related_v10 (
        key TEXT NOT NULL,
        event_seq INTEGER NOT NULL,
        PRIMARY KEY (key, event_seq)
    ) WITHOUT ROWID""",
    "INSERT INTO related_v10 (key, event_seq) SELECT key, event_seq FROM related",
    "DROP TABLE related",
    "ALTER TABLE related_v10 RENAME TO related",
    """CREATE TABLE answered (
        event_seq INTEGER PRIMARY KEY REFERENCES events (seq),
        state TEXT NOT NULL CHECK (state IN ('sent', 'rejected')),
        server_seq INTEGER,
        problems TEXT
    )""",
    "CREATE INDEX answered_by_state ON answered (state, event_seq)",
    """INSERT INTO answered (event_seq, state, server_seq, problems)
        SELECT event_seq, state, server_seq, problems FROM outbox WHERE state != 'pending'""",
    "CREATE TABLE outbox_v10 (event_seq INTEGER PRIMARY KEY REFERENCES events (seq))",
    "INSERT INTO outbox_v10 (event_seq) SELECT event_seq FROM outbox WHERE state = 'pending'",
    "DROP TABLE outbox",
    "ALTER TABLE outbox_v10 RENAME TO outbox",
    "DELETE FROM household_aliases WHERE alias = household_id",
    "DELETE FROM occurrence_aliases WHERE alias = occurrence_id",
)


def _statements(sql: Sequence[str]) -> Callable[[Connection], None]:
    def run(conn: Connection) -> None:
        for statement in sql:
            conn.execute(statement)

    return run


def _v2(conn: Connection) -> None:
    _statements(_V2)(conn)
    # Records made before the access log existed were collected too: say so, by whom, when.
    rows = conn.execute(
        "SELECT recorded_at, json_extract(body, '$.author'), type, aggregate_id, id "
        "FROM events ORDER BY seq"
    ).fetchall()
    access.write(
        conn,
        (
            (
                at, author, access.action_of(EventType(kind)).value,
                access.subject_kind(EventType(kind)), aggregate,
                f"{kind} {event_id} before the access log existed",
            )
            for at, author, kind, aggregate, event_id in rows
        ),
    )


@dataclass(frozen=True)
class Migration:
    version: int
    summary: str
    apply: Callable[[Connection], None]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "event log, outbox, sync cursor, settings, projections", _statements(_V1)),
    Migration(2, "access log (DPA 2018 s.62), drafts, clock-skew flag", _v2),
    Migration(3, "call-back list columns on tasks", _statements(_V3)),
    Migration(4, "erasure ordered by the central endpoint (retention)", _statements(_V4)),
    Migration(5, "VCAS referrals beside call-backs", _statements(_V5)),
    Migration(6, "search: an FTS5 index of references, addresses, postcodes and names",
              _statements(_V6)),
    Migration(7, "occurrences joined by reference: their aliases, join keys indexed", _v7),
    Migration(8, "the occurrences whose risk was escalated, for the follow-up list's flag",
              _statements(_V8)),
    Migration(9, "search index written by the projection writer; unread indexes dropped",
              _statements(_V9)),
    Migration(10, "outbox of what waits to be sent, beside what was answered; related keys "
              "without their foreign key; aliases other than a record's own id",
              _statements(_V10)),
)
LATEST = MIGRATIONS[-1].version


def version_of(db: Database) -> int:
    with db.reading() as conn:
        version: int = conn.execute("PRAGMA user_version").fetchone()[0]
    return version


def backup(db: Database, backup_dir: Path, version: int) -> Path:
    """A byte copy of the encrypted file, taken while no one can write to it."""
    with db.reading() as conn:
        busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
    if busy:
        raise ProfileBusy()
    private_dir(backup_dir)
    n = 1
    while (target := backup_dir / f"store-v{version}-{n}.db").exists():
        n += 1
    # Holding the write lock keeps the file (and its now-empty WAL) still while it is copied.
    with db.transaction():
        copy_private(db.path, target)
    return target


def migrate(db: Database, backup_dir: Path, target: int = LATEST) -> int:
    """Bring the database up to `target`; returns the version it was at."""
    current = version_of(db)
    if current > LATEST:
        raise NewerDatabase()
    if 0 < current < target:
        backup(db, backup_dir, current)
    for step in MIGRATIONS[current:target]:
        with db.transaction() as conn:
            step.apply(conn)
            conn.execute(f"PRAGMA user_version = {step.version}")
    return current
