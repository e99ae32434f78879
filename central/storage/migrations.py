"""Numbered schema migrations, the same for both back ends, recorded in schema_migrations.

A migration is never edited once released: a change to the schema is a new number.
Times are stored as ISO 8601 UTC text of fixed width ("...T12:00:00.000000Z"), which sorts
and compares the same as the instants it names in both databases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from central.storage.base import StorageError
from central.storage.database import Backend
from fieldapp.domain.problems import format_utc


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "officers, devices, event log, visibility feed, access log",
        (
            """CREATE TABLE officers (
                collar TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                role TEXT NOT NULL CHECK (role IN ('officer', 'oic', 'supervisor', 'admin')),
                team TEXT NOT NULL,
                district TEXT NOT NULL,
                created_at TEXT NOT NULL
            )""",
            "CREATE INDEX officers_team ON officers (team)",
            "CREATE INDEX officers_district ON officers (district, role)",
            """CREATE TABLE enrolment_codes (
                code_hash TEXT PRIMARY KEY,
                collar TEXT NOT NULL REFERENCES officers (collar),
                created_at TEXT NOT NULL,
                expires_at TEXT NOT NULL,
                used_at TEXT,
                device_id TEXT
            )""",
            """CREATE TABLE devices (
                device_id TEXT PRIMARY KEY,
                collar TEXT NOT NULL REFERENCES officers (collar),
                name TEXT NOT NULL,
                token_hash TEXT NOT NULL UNIQUE,
                status TEXT NOT NULL CHECK (status IN ('active', 'wipe', 'revoked')),
                enrolled_at TEXT NOT NULL,
                last_seen_at TEXT
            )""",
            # seq is the server's number for an event: unique, never reused.
            """CREATE TABLE events (
                seq {serial},
                id TEXT NOT NULL UNIQUE,
                type TEXT NOT NULL,
                aggregate_id TEXT NOT NULL,
                author TEXT NOT NULL,
                target_id TEXT,
                pushed_by TEXT NOT NULL,
                digest TEXT NOT NULL,
                body TEXT NOT NULL,
                received_at TEXT NOT NULL
            )""",
            "CREATE INDEX events_aggregate ON events (aggregate_id, seq)",
            "CREATE INDEX events_author ON events (author, seq)",
            "CREATE INDEX events_target ON events (target_id) WHERE target_id IS NOT NULL",
            # Who may see what, as facts read off the events (see central/visibility.py).
            """CREATE TABLE scope_grants (
                aggregate_id TEXT NOT NULL,
                officer TEXT NOT NULL,
                PRIMARY KEY (aggregate_id, officer)
            )""",
            "CREATE INDEX scope_grants_officer ON scope_grants (officer)",
            """CREATE TABLE scope_districts (
                aggregate_id TEXT NOT NULL,
                district TEXT NOT NULL,
                PRIMARY KEY (aggregate_id, district)
            )""",
            "CREATE INDEX scope_districts_district ON scope_districts (district)",
            """CREATE TABLE scope_edges (
                parent TEXT NOT NULL,
                child TEXT NOT NULL,
                PRIMARY KEY (parent, child)
            )""",
            "CREATE INDEX scope_edges_child ON scope_edges (child)",
            # Each officer's feed: the events they may pull, in the order they became visible.
            """CREATE TABLE feed (
                feed_seq {serial},
                officer TEXT NOT NULL,
                event_seq {bigint} NOT NULL REFERENCES events (seq),
                UNIQUE (officer, event_seq)
            )""",
            "CREATE INDEX feed_position ON feed (officer, feed_seq)",
            """CREATE TABLE access_log (
                id {serial},
                at TEXT NOT NULL,
                action TEXT NOT NULL,
                category TEXT NOT NULL,
                officer TEXT,
                device_id TEXT,
                address TEXT,
                detail TEXT NOT NULL
            )""",
            "CREATE INDEX access_log_officer ON access_log (officer, at)",
        ),
    ),
    Migration(
        2,
        "retention erasures, erasure notices, device token rotation",
        (
            # Rotation: the token in use, and a new one that replaces it when first used.
            "ALTER TABLE devices ADD COLUMN token_issued_at TEXT",
            "UPDATE devices SET token_issued_at = enrolled_at",
            "ALTER TABLE devices ADD COLUMN next_token_hash TEXT",
            "ALTER TABLE devices ADD COLUMN next_token_issued_at TEXT",
            "ALTER TABLE devices ADD COLUMN rotate_requested INTEGER NOT NULL DEFAULT 0",
            "CREATE UNIQUE INDEX devices_next_token ON devices (next_token_hash)",
            """CREATE TABLE erasures (
                id {serial},
                erased_at TEXT NOT NULL,
                actor TEXT NOT NULL,
                reason TEXT NOT NULL,
                occurred_before TEXT NOT NULL,
                aggregates INTEGER NOT NULL,
                events INTEGER NOT NULL
            )""",
            # Every id an erasure removed: a later push naming one of them is refused.
            """CREATE TABLE erased_aggregates (
                aggregate_id TEXT PRIMARY KEY,
                erasure_id {bigint} NOT NULL REFERENCES erasures (id)
            )""",
            # What each officer's laptops must erase, pulled like the feed, by position.
            """CREATE TABLE erasure_notices (
                notice_seq {serial},
                officer TEXT NOT NULL,
                erasure_id {bigint} NOT NULL REFERENCES erasures (id),
                aggregate_id TEXT NOT NULL
            )""",
            "CREATE INDEX erasure_notices_position ON erasure_notices (officer, notice_seq)",
            # Erasing events finds their feed rows (and both databases check the feed's
            # foreign key) by event: without this, each erased event scans the whole feed.
            "CREATE INDEX feed_event ON feed (event_seq)",
        ),
    ),
    Migration(
        3,
        "laptops' own device names, failed enrolment guesses",
        (
            # A name a laptop gave itself before enrolment belongs to the officer who first
            # pushed a record under it (central/storage/authority.py).
            """CREATE TABLE device_names (
                name TEXT PRIMARY KEY,
                collar TEXT NOT NULL,
                device_id TEXT NOT NULL,
                first_seen TEXT NOT NULL
            )""",
            # Failed enrolment guesses, counted here so every endpoint process sees them and a
            # restart does not forget them.
            """CREATE TABLE enrolment_failures (
                id {serial},
                address TEXT NOT NULL,
                at TEXT NOT NULL
            )""",
            "CREATE INDEX enrolment_failures_address ON enrolment_failures (address, at)",
        ),
    ),
    Migration(
        4,
        "join notices: reference keys, OICs by their own record, who is told of which record",
        (
            # (g) in central/visibility.py. since_seq: the first seq at which the key was
            # known, the endpoint's order of receipt, which no laptop can forge.
            """CREATE TABLE scope_keys (
                aggregate_id TEXT NOT NULL,
                ref_key TEXT NOT NULL,
                since_seq {bigint} NOT NULL,
                PRIMARY KEY (aggregate_id, ref_key)
            )""",
            "CREATE INDEX scope_keys_key ON scope_keys (ref_key, since_seq)",
            """CREATE TABLE scope_oics (
                aggregate_id TEXT NOT NULL,
                officer TEXT NOT NULL,
                PRIMARY KEY (aggregate_id, officer)
            )""",
            # An earlier record of a reference, and a later one its readers are told of.
            """CREATE TABLE join_pairs (
                earlier TEXT NOT NULL,
                later TEXT NOT NULL,
                PRIMARY KEY (earlier, later)
            )""",
            "CREATE INDEX join_pairs_later ON join_pairs (later)",
            # Who is told of a later record: officers by collar, supervisors by district.
            """CREATE TABLE join_notice_officers (
                aggregate_id TEXT NOT NULL,
                officer TEXT NOT NULL,
                PRIMARY KEY (aggregate_id, officer)
            )""",
            "CREATE INDEX join_notice_officers_officer ON join_notice_officers (officer)",
            """CREATE TABLE join_notice_districts (
                aggregate_id TEXT NOT NULL,
                district TEXT NOT NULL,
                PRIMARY KEY (aggregate_id, district)
            )""",
            "CREATE INDEX join_notice_districts_district ON join_notice_districts (district)",
        ),
    ),
)


def migrate(backend: Backend, now: datetime) -> int:
    with backend.transaction("write") as tx:
        tx.ddl(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                version INTEGER PRIMARY KEY,
                name TEXT NOT NULL,
                applied_at TEXT NOT NULL
            )"""
        )
        applied = {int(row[0]) for row in tx.query("SELECT version FROM schema_migrations")}
        known = {m.version for m in MIGRATIONS}
        if applied - known:
            raise StorageError(
                f"The database has schema version {max(applied)}, newer than this server "
                f"knows ({max(known)}): run a newer fieldapp-central."
            )
        for migration in MIGRATIONS:
            if migration.version in applied:
                continue
            for statement in migration.statements:
                tx.ddl(statement)
            tx.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (migration.version, migration.name, format_utc(now)),
            )
        return max(known)
