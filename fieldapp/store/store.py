"""The unlocked store: the event log, the outbox, the sync cursor, settings and drafts.

Every method that changes anything is one transaction: an officer's action is saved when
`append` returns, and not before. The UI and the sync client call these from one database
worker thread, which owns the connection.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Literal

from fieldapp.domain.events import Event, EventType, event_from_json
from fieldapp.domain.policy import SchedulePolicy
from fieldapp.domain.problems import Problem, format_utc
from fieldapp.domain.projection import Changes, linked_keys
from fieldapp.domain.retention import Erasure
from fieldapp.store import access, erasure, projections
from fieldapp.store.access import Action
from fieldapp.store.db import Connection, Database
from fieldapp.store.errors import ConflictingEvent, DiskError, StoreError
from fieldapp.store.files import create_private_file, fsync_dir
from fieldapp.store.reads import StoreReads
from fieldapp.store.schema import version_of
from fieldapp.store.throttle import Clock

_MAX_SETTING = 64 * 1024
ExportFormat = Literal["sqlite", "jsonl"]


def _unique(events: Iterable[Event]) -> list[Event]:
    """The batch without repeats; the same id with other content refuses the whole batch."""
    chosen: dict[str, Event] = {}
    for event in events:
        held = chosen.get(event.id)
        if held is None:
            chosen[event.id] = event
        elif held.to_json() != event.to_json():
            raise ConflictingEvent()
    return list(chosen.values())


def _ids(values: Iterable[str]) -> str:
    return json.dumps(sorted(set(values)))


def _send_again(conn: Connection, answered: str, parameters: tuple[str, ...]) -> int:
    """Put the answered events that query names back in the outbox; how many moved."""
    seqs = [(seq,) for (seq,) in conn.execute(answered, parameters).fetchall()]
    conn.executemany("DELETE FROM answered WHERE event_seq = ?", seqs)
    conn.executemany("INSERT INTO outbox (event_seq) VALUES (?)", seqs)
    return len(seqs)


DEVICE_ID = "device_id"  # the setting naming this laptop, for "done on another device"


class Store(StoreReads):
    def __init__(
        self, db: Database, *, policy: SchedulePolicy, clock: Clock, actor: str
    ) -> None:
        self._db = db
        self._policy = policy
        self._clock = clock
        self.actor = actor
        self._device: str | None = None
        self._recent = projections.Recent()

    def _viewer_device(self) -> str:
        if self._device is None:
            self._device = self.get_setting(DEVICE_ID) or ""
        return self._device

    # ----------------------------------------------------------------- lifecycle

    def close(self) -> None:
        """Lock: close the connection (SQLCipher wipes its copy of the key). Idempotent."""
        self._recent.clear()
        self._db.close()

    lock = close

    @property
    def locked(self) -> bool:
        return self._db.closed

    def integrity_check(self) -> str:
        """SQLite's full check: "ok", or what is wrong. Seconds on a large profile."""
        with self._db.reading() as conn:
            rows = conn.execute("PRAGMA integrity_check").fetchall()
        return "\n".join(str(r[0]) for r in rows)

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    # ----------------------------------------------------------------- the log

    def _insert(self, conn: Connection, events: Sequence[Event], origin: str) -> list[Event]:
        """Insert the events not yet held; returns them. Local ids must not change content.

        One statement per table for the whole batch: which ids are held already, then the
        new rows, numbered after the highest sequence number held, in batch order (inside the
        write transaction nothing else inserts; the primary key refuses a clash)."""
        held = dict(conn.execute(
            "SELECT e.id, e.body FROM json_each(?) AS k CROSS JOIN events e ON e.id = k.value",
            (json.dumps([e.id for e in events]),),
        ).fetchall()) if events else {}
        fresh = []
        for event in events:
            known = held.get(event.id)
            if known is None:
                fresh.append(event)
            # A pulled copy of an id held here is the server's echo of it; the server refuses
            # an id twice with different content, so there is nothing to keep.
            elif origin == "local" and known != event.to_json():
                raise ConflictingEvent()
        if not fresh:
            return fresh
        top = conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]
        conn.executemany(
            "INSERT INTO events (seq, id, type, aggregate_id, occurred_at, recorded_at, body, "
            "origin) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    top + n, event.id, event.type.value, event.aggregate_id,
                    format_utc(event.occurred_at), format_utc(event.recorded_at),
                    event.to_json(), origin,
                )
                for n, event in enumerate(fresh, 1)
            ],
        )
        conn.executemany(
            "INSERT INTO related (key, event_seq) VALUES (?, ?)",
            [(key, top + n) for n, event in enumerate(fresh, 1) for key in linked_keys(event)],
        )
        if origin == "local":
            conn.executemany(
                "INSERT INTO outbox (event_seq) VALUES (?)",
                [(top + n,) for n in range(1, len(fresh) + 1)],
            )
        return fresh

    def append(self, events: Sequence[Event], *, draft: str | None = None) -> Changes:
        """Save the officer's new events, their outbox entries and projections, at once.

        `draft` names the form's draft these events came from: it is deleted in the same
        transaction, so a crash can never leave both the record and a draft that would let
        the officer save it a second time.

        Re-appending an identical event does nothing; an id already saved with different
        content refuses the whole batch (ConflictingEvent) and nothing is written.
        """
        batch = _unique(events)
        device = self._viewer_device()
        try:
            with self._db.transaction() as conn:
                fresh = self._insert(conn, batch, "local")
                changes = projections.recompute(
                    conn, fresh, self._policy, device, recent=self._recent
                )
                access.write(
                    conn, access.event_rows(fresh, self._clock(), None, "recorded here")
                )
                if draft is not None:
                    conn.execute("DELETE FROM drafts WHERE form = ?", (draft,))
        except BaseException:
            self._recent.clear()  # it may hold what was rolled back
            raise
        return changes

    def apply_pulled(
        self, events: Sequence[Event], cursor: str, erasures: Sequence[Erasure] = ()
    ) -> Changes:
        """Apply events and erasures from the central endpoint and move the cursor past them,
        at once. Erasures go last, so nothing of an erased case survives the page."""
        if not isinstance(cursor, str) or not cursor:
            raise ValueError("a sync cursor is a non-empty string")
        batch = _unique(events)
        device = self._viewer_device()
        erased = 0
        self._recent.clear()
        with self._db.transaction() as conn:
            fresh = self._insert(conn, batch, "pulled")
            changes = projections.recompute(conn, fresh, self._policy, device)
            access.write(
                conn, access.event_rows(fresh, self._clock(), self.actor, "received by sync")
            )
            if erasures:
                forgotten, erased = erasure.erase(
                    conn, erasures, at=self._clock(), actor=self.actor, policy=self._policy,
                    viewer_device=device,
                )
                changes = erasure.combine(changes, forgotten)
            conn.execute(
                "INSERT INTO sync_cursor (only_row, cursor) VALUES (1, ?) "
                "ON CONFLICT (only_row) DO UPDATE SET cursor = excluded.cursor",
                (cursor,),
            )
        if erased:
            # The WAL still holds the pages as they were before: empty it into the (now
            # overwritten) database file and cut it to nothing.
            with self._db.reading() as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        return changes

    def cursor(self) -> str | None:
        with self._db.reading() as conn:
            row = conn.execute("SELECT cursor FROM sync_cursor WHERE only_row = 1").fetchone()
        return row[0] if row else None

    def mark_skewed(self, ids: Iterable[str]) -> None:
        with self._db.transaction() as conn:
            conn.executemany(
                "UPDATE events SET skewed = 1 WHERE id = ?", [(i,) for i in sorted(set(ids))]
            )

    # ----------------------------------------------------------------- outbox

    def outbox(self, limit: int) -> list[Event]:
        """Events not yet acknowledged by the endpoint (nor rejected), oldest first."""
        with self._db.reading() as conn:
            rows = conn.execute(
                "SELECT e.body FROM outbox o JOIN events e ON e.seq = o.event_seq "
                "ORDER BY o.event_seq LIMIT ?",
                (limit,),
            ).fetchall()
        return [event_from_json(body) for (body,) in rows]

    def outbox_count(self) -> int:
        with self._db.reading() as conn:
            count: int = conn.execute("SELECT count(*) FROM outbox").fetchone()[0]
        return count

    def mark_acknowledged(self, acks: Mapping[str, int]) -> None:
        """The endpoint stored these events (id -> its sequence number): now they are sent."""
        if not acks:
            return
        at = self._clock()
        with self._db.transaction() as conn:
            # Waiting, or refused before and now stored after all (not those already sent).
            rows = conn.execute(
                "SELECT e.seq, e.id, e.type, e.aggregate_id, e.body ->> '$.author' "
                "FROM json_each(?) AS k CROSS JOIN events e ON e.id = k.value "
                "WHERE EXISTS (SELECT 1 FROM outbox o WHERE o.event_seq = e.seq) "
                "OR EXISTS (SELECT 1 FROM answered a WHERE a.event_seq = e.seq "
                "AND a.state = 'rejected')",
                (_ids(acks),),
            ).fetchall()
            sent = [access.Named(i, EventType(kind), aggregate, author)
                    for _, i, kind, aggregate, author in rows]
            conn.executemany(
                "DELETE FROM outbox WHERE event_seq = ?", [(seq,) for seq, *_ in rows]
            )
            conn.executemany(
                "INSERT INTO answered (event_seq, state, server_seq) VALUES (?, 'sent', ?) "
                "ON CONFLICT (event_seq) DO UPDATE SET state = 'sent', "
                "server_seq = excluded.server_seq, problems = NULL",
                [(seq, int(acks[event_id])) for seq, event_id, _, _, _ in rows],
            )
            access.write(
                conn, access.event_rows(
                    sent, at, self.actor, "sent to the central endpoint", Action.DISCLOSURE
                )
            )

    def mark_rejected(self, rejections: Mapping[str, Sequence[Problem]]) -> None:
        """The endpoint refused these pending events; they stay in the log, not in the outbox."""
        with self._db.transaction() as conn:
            waiting = conn.execute(
                "SELECT e.id, e.seq FROM json_each(?) AS k CROSS JOIN events e ON e.id = k.value "
                "CROSS JOIN outbox o ON o.event_seq = e.seq",
                (_ids(rejections),),
            ).fetchall()
            conn.executemany(
                "DELETE FROM outbox WHERE event_seq = ?", [(seq,) for _, seq in waiting]
            )
            conn.executemany(
                "INSERT INTO answered (event_seq, state, problems) VALUES (?, 'rejected', ?)",
                [
                    (seq, json.dumps([p.to_dict() for p in rejections[event_id]]))
                    for event_id, seq in waiting
                ],
            )

    def rebuild_projections(self) -> None:
        """Recompute every projection row from the whole log, in one transaction."""
        self._recent.clear()
        with self._db.transaction() as conn:
            projections.rebuild(conn, self._policy)

    def send_again(self, ids: Iterable[str]) -> int:
        """Put refused events back in the outbox (e.g. once the endpoint has been upgraded to
        read them); an officer's correction is a new event instead. Returns how many moved."""
        with self._db.transaction() as conn:
            return _send_again(
                conn, "SELECT a.event_seq FROM json_each(?) AS k "
                "CROSS JOIN events e ON e.id = k.value CROSS JOIN answered a "
                "ON a.event_seq = e.seq WHERE a.state = 'rejected'", (_ids(ids),),
            )

    def send_all_again(self) -> int:
        """Put every event the endpoint acknowledged back in the outbox: after the endpoint
        was restored from a backup, which may lack some of them. It stores each id once, so
        what it still has costs only the upload. Returns how many moved."""
        with self._db.transaction() as conn:
            return _send_again(
                conn, "SELECT event_seq FROM answered WHERE state = 'sent'", ()
            )

    def rejected(self) -> list[tuple[Event, tuple[Problem, ...]]]:
        with self._db.reading() as conn:
            rows = conn.execute(
                "SELECT e.body, a.problems FROM answered a JOIN events e ON e.seq = a.event_seq "
                "WHERE a.state = 'rejected' ORDER BY a.event_seq"
            ).fetchall()
        return [
            (
                event_from_json(body),
                tuple(Problem(p["field"], p["message"]) for p in json.loads(problems)),
            )
            for body, problems in rows
        ]

    # ----------------------------------------------------------------- settings, drafts

    def get_setting(self, key: str) -> str | None:
        with self._db.reading() as conn:
            row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_setting(self, key: str, value: str | None) -> None:
        """Set (or with None, remove) a setting. Tokens and identity live here, encrypted."""
        if value is not None and len(value) > _MAX_SETTING:
            raise ValueError("setting too large")
        with self._db.transaction() as conn:
            if value is None:
                conn.execute("DELETE FROM settings WHERE key = ?", (key,))
            else:
                conn.execute(
                    "INSERT INTO settings (key, value) VALUES (?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (key, value),
                )
        if key == DEVICE_ID:
            self._device = value or ""

    def save_draft(self, form: str, text: str) -> None:
        """Keep what an officer typed in a form not yet saved (JSON text, as the form made it)."""
        json.loads(text)  # a draft that could not be read back is a bug in the form
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO drafts (form, body, saved_at) VALUES (?, ?, ?) "
                "ON CONFLICT (form) DO UPDATE SET body = excluded.body, "
                "saved_at = excluded.saved_at",
                (form, text, format_utc(self._clock())),
            )

    def load_draft(self, form: str) -> str | None:
        with self._db.reading() as conn:
            row = conn.execute("SELECT body FROM drafts WHERE form = ?", (form,)).fetchone()
        return str(row[0]) if row else None

    def delete_draft(self, form: str) -> None:
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM drafts WHERE form = ?", (form,))

    def drafts(self) -> list[str]:
        with self._db.reading() as conn:
            rows = conn.execute("SELECT form FROM drafts ORDER BY form").fetchall()
        return [r[0] for r in rows]

    # ----------------------------------------------------------------- export

    def export(self, out: Path, fmt: ExportFormat = "sqlite") -> None:
        """Write a DECRYPTED copy to `out` (a new file, mode 0600); logged as a disclosure.

        `sqlite` is the whole database as plain SQLite (sqlcipher_export) except the settings,
        which hold the device's token for the endpoint; `jsonl` is the event log, one
        canonical event per line, in local order.
        """
        if out.exists():
            raise StoreError("There is already a file with that name. Choose another name.")
        # Logged first: an export that then fails is over-reported, never under-reported.
        at = format_utc(self._clock())
        with self._db.transaction() as conn:
            access.write(
                conn,
                [(at, self.actor, Action.DISCLOSURE.value, "profile", self.actor,
                  f"decrypted export ({fmt})")],
            )
        part = out.with_name(f".{out.name}.{secrets.token_hex(4)}.part")
        try:
            create_private_file(part)
            if fmt == "sqlite":
                self._export_sqlite(part)
            else:
                self._export_jsonl(part)
            os.replace(part, out)
            fsync_dir(out.parent)
        except OSError as error:
            raise DiskError() from error
        finally:
            for leftover in (part, part.with_name(part.name + "-journal")):
                if leftover.exists():
                    leftover.unlink()

    def _export_sqlite(self, part: Path) -> None:
        version = version_of(self._db)
        with self._db.reading() as conn:
            conn.execute("ATTACH DATABASE ? AS plaintext KEY ''", (str(part),))
            try:
                conn.execute("SELECT sqlcipher_export('plaintext')").fetchall()
                conn.execute(f"PRAGMA plaintext.user_version = {int(version)}")
                # Overwritten, not just unlinked from the b-tree, so the token is not in the file.
                conn.execute("PRAGMA plaintext.secure_delete = ON")
                conn.execute("DELETE FROM plaintext.settings")
            finally:
                conn.execute("DETACH DATABASE plaintext")
        with part.open("r+b") as handle:
            os.fsync(handle.fileno())

    def _export_jsonl(self, part: Path) -> None:
        with part.open("w", encoding="utf-8") as handle:
            for event in self.iter_events():
                handle.write(event.to_json() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
