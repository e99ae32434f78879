"""The storage interface implemented once, in SQL both back ends accept."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from central.storage import authority as authorities
from central.storage import feed, retention
from central.storage.base import (
    AccessEntry,
    Caller,
    Device,
    DeviceStatus,
    GuessLimit,
    Officer,
    PulledEvent,
    PullPage,
    PushOutcome,
    Retention,
    Role,
    StorageError,
    TooManyGuesses,
)
from central.storage.database import Backend, Tx
from central.storage.migrations import migrate
from fieldapp.domain.authority import AuthorityTable, Decision
from fieldapp.domain.events import Event
from fieldapp.domain.problems import format_utc
from fieldapp.resources import load_authority


def _device(row: Sequence[Any]) -> Device:
    return Device(row[0], row[1], row[2], cast(DeviceStatus, row[3]), row[4], row[5])


def _find_device(tx: Tx, device_id: str) -> Device | None:
    row = tx.one(
        "SELECT device_id, collar, name, status, enrolled_at, last_seen_at "
        "FROM devices WHERE device_id = ?",
        (device_id,),
    )
    return None if row is None else _device(row)


def _officer(row: Sequence[Any]) -> Officer:
    return Officer(row[0], row[1], cast(Role, row[2]), row[3], row[4])


def _failures(tx: Tx, address: str, since: datetime) -> list[str]:
    rows = tx.query(
        "SELECT at FROM enrolment_failures WHERE address = ? AND at >= ? ORDER BY at",
        (address, format_utc(since)),
    )
    return [row[0] for row in rows]


def _log(
    tx: Tx,
    *,
    at: datetime,
    action: str,
    category: str,
    officer: str | None,
    device_id: str | None,
    address: str | None,
    detail: dict[str, Any],
) -> None:
    tx.execute(
        "INSERT INTO access_log (at, action, category, officer, device_id, address, detail) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            format_utc(at),
            action,
            category,
            officer,
            device_id,
            address,
            json.dumps(detail, sort_keys=True, separators=(",", ":")),
        ),
    )


class SqlStorage:
    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    @property
    def dialect(self) -> str:
        return self.backend.dialect.name

    def migrate(self, now: datetime) -> int:
        return migrate(self.backend, now)

    def close(self) -> None:
        self.backend.close()

    def check(self) -> None:
        with self.backend.transaction("read") as tx:
            tx.query("SELECT 1")

    # ------------------------------------------------------------------ officers and devices

    def add_officer(self, officer: Officer, *, now: datetime, actor: str) -> None:
        with self.backend.transaction("write") as tx:
            if tx.one("SELECT 1 FROM officers WHERE collar = ?", (officer.collar,)):
                raise StorageError(f"Officer {officer.collar} is already registered.")
            tx.execute(
                "INSERT INTO officers (collar, name, role, team, district, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    officer.collar,
                    officer.name,
                    officer.role,
                    officer.team,
                    officer.district,
                    format_utc(now),
                ),
            )
            feed.backfill(tx, officer)
            _log(
                tx,
                at=now,
                action="add_officer",
                category="alteration",
                officer=None,
                device_id=None,
                address=actor,
                detail={"collar": officer.collar, "role": officer.role, "team": officer.team,
                        "district": officer.district},
            )

    def officer(self, collar: str) -> Officer | None:
        with self.backend.transaction("read") as tx:
            row = tx.one(
                "SELECT collar, name, role, team, district FROM officers WHERE collar = ?",
                (collar,),
            )
        return _officer(row) if row else None

    def add_enrolment_code(
        self, collar: str, code_hash: str, *, now: datetime, expires_at: datetime, actor: str
    ) -> None:
        with self.backend.transaction("log") as tx:
            if not tx.one("SELECT 1 FROM officers WHERE collar = ?", (collar,)):
                raise StorageError(f"No officer {collar} is registered: add the officer first.")
            tx.execute(
                "INSERT INTO enrolment_codes (code_hash, collar, created_at, expires_at) "
                "VALUES (?, ?, ?, ?)",
                (code_hash, collar, format_utc(now), format_utc(expires_at)),
            )
            _log(
                tx,
                at=now,
                action="enrolment_code",
                category="alteration",
                officer=collar,
                device_id=None,
                address=actor,
                detail={"expires_at": format_utc(expires_at)},
            )

    def enrol(
        self,
        code_hash: str,
        *,
        device_id: str,
        device_name: str,
        token_hash: str,
        now: datetime,
        address: str | None,
        guesses: GuessLimit | None = None,
    ) -> Officer | None:
        stamp = format_utc(now)
        with self.backend.transaction("enrol") as tx:
            if guesses is not None:
                failures = _failures(tx, address or "unknown", guesses.since)
                if len(failures) >= guesses.limit:
                    raise TooManyGuesses(failures)
            # The conditional update is what makes the code one-time under concurrency.
            row = tx.one(
                "SELECT collar FROM enrolment_codes "
                "WHERE code_hash = ? AND used_at IS NULL AND expires_at > ?",
                (code_hash, stamp),
            )
            if row is None or not tx.execute(
                "UPDATE enrolment_codes SET used_at = ?, device_id = ? "
                "WHERE code_hash = ? AND used_at IS NULL",
                (stamp, device_id, code_hash),
            ):
                tx.execute(
                    "INSERT INTO enrolment_failures (address, at) VALUES (?, ?)",
                    (address or "unknown", stamp),
                )
                _log(
                    tx,
                    at=now,
                    action="enrol_failed",
                    category="alteration",
                    officer=None,
                    device_id=None,
                    address=address,
                    detail={},
                )
                return None
            tx.execute(
                "INSERT INTO devices (device_id, collar, name, token_hash, status, enrolled_at, "
                "last_seen_at, token_issued_at) VALUES (?, ?, ?, ?, 'active', ?, ?, ?)",
                (device_id, row[0], device_name, token_hash, stamp, stamp, stamp),
            )
            found = tx.one(
                "SELECT collar, name, role, team, district FROM officers WHERE collar = ?",
                (row[0],),
            )
            _log(
                tx,
                at=now,
                action="enrol",
                category="alteration",
                officer=row[0],
                device_id=device_id,
                address=address,
                detail={"device_name": device_name},
            )
        return _officer(found) if found else None

    def enrolment_failures(self, address: str, *, since: datetime) -> list[str]:
        with self.backend.transaction("read") as tx:
            return _failures(tx, address, since)

    def caller(
        self, token_hash: str, *, now: datetime, address: str | None = None
    ) -> Caller | None:
        with self.backend.transaction("read") as tx:
            row = tx.one(
                "SELECT d.device_id, d.collar, d.name, d.status, d.enrolled_at, d.last_seen_at, "
                "o.collar, o.name, o.role, o.team, o.district, "
                "d.token_issued_at, d.rotate_requested, d.next_token_hash, d.next_token_issued_at "
                "FROM devices d JOIN officers o ON o.collar = d.collar "
                "WHERE d.token_hash = ? OR d.next_token_hash = ?",
                (token_hash, token_hash),
            )
        if row is None:
            return None
        device, officer = _device(row[:6]), _officer(row[6:11])
        issued_at, requested = row[11], bool(row[12])
        if row[13] == token_hash:
            # The first use of a rotated token: from now on it is the only one that works.
            # Conditional, so that two requests racing with it adopt it (and log it) once.
            with self.backend.transaction("log") as tx:
                if tx.execute(
                    "UPDATE devices SET token_hash = next_token_hash, "
                    "token_issued_at = next_token_issued_at, next_token_hash = NULL, "
                    "next_token_issued_at = NULL, rotate_requested = 0 "
                    "WHERE device_id = ? AND next_token_hash = ?",
                    (device.device_id, token_hash),
                ):
                    _log(
                        tx,
                        at=now,
                        action="token_rotated",
                        category="alteration",
                        officer=device.collar,
                        device_id=device.device_id,
                        address=address,
                        detail={"issued_at": row[14]},
                    )
            issued_at, requested = row[14], False
        return Caller(device, officer, issued_at, requested)

    def rotate_token(
        self, caller: Caller, token_hash: str, *, now: datetime, address: str | None
    ) -> None:
        with self.backend.transaction("log") as tx:
            # An earlier new token that was never used is replaced: its answer was lost.
            pending = tx.one(
                "SELECT next_token_hash FROM devices WHERE device_id = ?",
                (caller.device.device_id,),
            )
            tx.execute(
                "UPDATE devices SET next_token_hash = ?, next_token_issued_at = ? "
                "WHERE device_id = ?",
                (token_hash, format_utc(now), caller.device.device_id),
            )
            _log(
                tx,
                at=now,
                action="rotate_token",
                category="alteration",
                officer=caller.officer.collar,
                device_id=caller.device.device_id,
                address=address,
                detail={"replaced_unused": bool(pending and pending[0])},
            )

    def order_wipe(self, caller: Caller, *, now: datetime, address: str | None) -> None:
        device_id = caller.device.device_id
        with self.backend.transaction("log") as tx:
            # The token column is unique and never empty: a value no digest can equal.
            if tx.execute(
                "UPDATE devices SET status = 'revoked', token_hash = ?, next_token_hash = NULL "
                "WHERE device_id = ? AND status = 'wipe'",
                (f"wiped:{device_id}", device_id),
            ):
                _log(
                    tx,
                    at=now,
                    action="wipe_ordered",
                    category="alteration",
                    officer=caller.officer.collar,
                    device_id=device_id,
                    address=address,
                    detail={},
                )

    def request_rotation(self, device_id: str, *, now: datetime, actor: str) -> Device | None:
        with self.backend.transaction("log") as tx:
            device = _find_device(tx, device_id)
            if device is None:
                return None
            if device.status == "revoked":
                raise StorageError(f"Device {device_id} is revoked; enrol the laptop again.")
            tx.execute("UPDATE devices SET rotate_requested = 1 WHERE device_id = ?", (device_id,))
            _log(
                tx,
                at=now,
                action="request_rotation",
                category="alteration",
                officer=device.collar,
                device_id=device_id,
                address=actor,
                detail={},
            )
        return device

    def set_device_status(
        self, device_id: str, status: DeviceStatus, *, now: datetime, actor: str
    ) -> Device | None:
        with self.backend.transaction("log") as tx:
            device = _find_device(tx, device_id)
            if device is None:
                return None
            if device.status == "revoked" and status != "revoked":
                raise StorageError(f"Device {device_id} is revoked; enrol the laptop again.")
            tx.execute("UPDATE devices SET status = ? WHERE device_id = ?", (status, device_id))
            _log(
                tx,
                at=now,
                action="revoke_device" if status == "revoked" else "mark_wipe",
                category="alteration",
                officer=device.collar,
                device_id=device_id,
                address=actor,
                detail={"from": device.status, "to": status},
            )
        return Device(device.device_id, device.collar, device.name, status,
                      device.enrolled_at, device.last_seen_at)

    def devices(self, *, now: datetime, actor: str) -> list[Device]:
        with self.backend.transaction("log") as tx:
            rows = tx.query(
                "SELECT device_id, collar, name, status, enrolled_at, last_seen_at "
                "FROM devices ORDER BY collar, enrolled_at"
            )
            _log(
                tx,
                at=now,
                action="list_devices",
                category="consultation",
                officer=None,
                device_id=None,
                address=actor,
                detail={"devices": len(rows)},
            )
        return [_device(row) for row in rows]

    # ------------------------------------------------------------------ events

    def push(
        self,
        caller: Caller,
        events: Sequence[Event],
        *,
        received_at: datetime,
        address: str | None,
        rejected: int,
        authority: AuthorityTable | None = None,
        server_admin: bool = False,
    ) -> list[PushOutcome]:
        stamp = format_utc(received_at)
        table = authority or load_authority()
        with self.backend.transaction("write") as tx:
            known: dict[str, tuple[int, str]] = {
                row[0]: (int(row[1]), row[2])
                for row in tx.query_in(
                    "SELECT id, seq, digest FROM events WHERE id IN ({in})",
                    {event.id for event in events},
                )
            }
            # Each event's digest once (a SHA-256 of its canonical JSON), not once per use.
            digest = {id(event): event.digest for event in events}
            fresh: list[Event] = []
            for event in events:
                if event.id not in known:
                    known[event.id] = (-1, digest[id(event)])  # a repeat later in this batch
                    fresh.append(event)
            erased = retention.refuse_erased(tx, fresh)
            fresh = [event for event in fresh if event.id not in erased]
            refused: dict[str, Decision] = {
                event.id: decision
                for event, decision in zip(
                    fresh, authorities.authorise(tx, caller, fresh, table), strict=True
                )
                if not decision.allowed and not server_admin
            }
            fresh = [event for event in fresh if event.id not in refused]
            authorities.remember_devices(tx, caller, fresh, stamp)
            seqs = tx.insert_returning(
                "INSERT INTO events (id, type, aggregate_id, author, target_id, pushed_by, "
                "digest, body, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq",
                [
                    (
                        event.id,
                        event.type.value,
                        event.aggregate_id,
                        event.author,
                        getattr(event.payload, "target_id", None),
                        caller.device.device_id,
                        digest[id(event)],
                        event.to_json(),
                        stamp,
                    )
                    for event in fresh
                ],
            )
            for event, seq in zip(fresh, seqs, strict=True):
                known[event.id] = (seq, digest[id(event)])
            feed.record_arrivals(
                tx, list(zip(seqs, fresh, strict=True)), join_notice=table.join_notice
            )

            outcomes = [
                PushOutcome(event.id, None, refused=refused[event.id])
                if event.id in refused
                else PushOutcome(event.id, None, erased=True)
                if event.id in erased
                else PushOutcome(event.id, known[event.id][0])
                if known[event.id][1] == digest[id(event)]
                else PushOutcome(event.id, None)
                for event in events
            ]
            new_ids = {event.id for event in fresh}
            _log(
                tx,
                at=received_at,
                action="push",
                category="collection",
                officer=caller.officer.collar,
                device_id=caller.device.device_id,
                address=address,
                detail={
                    "stored": sorted(new_ids),
                    "repeated": sorted(
                        {o.event_id for o in outcomes if o.seq is not None} - new_ids
                    ),
                    "conflicting": sorted(
                        {
                            o.event_id
                            for o in outcomes
                            if o.seq is None and not o.erased and o.refused is None
                        }
                    ),
                    "erased": sorted(erased),
                    # Who tried what, and why it was refused (the rule in authority.json).
                    "refused": [
                        {"id": event.id, "type": event.type.value,
                         "aggregate_id": event.aggregate_id, "code": refused[event.id].code}
                        for event in events
                        if event.id in refused
                    ],
                    "rejected": rejected,
                },
            )
            tx.execute(
                "UPDATE devices SET last_seen_at = ? WHERE device_id = ?",
                (stamp, caller.device.device_id),
            )
        return outcomes

    def pull(
        self,
        caller: Caller,
        *,
        after: int,
        after_notice: int = 0,
        limit: int,
        now: datetime,
        address: str | None,
    ) -> PullPage:
        collar = caller.officer.collar
        with self.backend.transaction("read") as tx:
            rows = tx.query(
                "SELECT f.feed_seq, e.seq, e.body, e.received_at, e.aggregate_id "
                "FROM feed f JOIN events e ON e.seq = f.event_seq "
                "WHERE f.officer = ? AND f.feed_seq > ? AND e.pushed_by <> ? "
                "ORDER BY f.feed_seq LIMIT ?",
                (collar, after, caller.device.device_id, limit + 1),
            )
            more = len(rows) > limit
            rows = rows[:limit]
            if more:
                position = int(rows[-1][0])
            else:
                # Skip past the caller's own events at the end too, in the same snapshot.
                top = tx.one("SELECT MAX(feed_seq) FROM feed WHERE officer = ?", (collar,))
                position = max(after, int(top[0]) if top and top[0] is not None else 0)
            notices = tx.query(
                "SELECT n.notice_seq, n.erasure_id, n.aggregate_id, x.reason, x.erased_at "
                "FROM erasure_notices n JOIN erasures x ON x.id = n.erasure_id "
                "WHERE n.officer = ? AND n.notice_seq > ? ORDER BY n.notice_seq LIMIT ?",
                (collar, after_notice, limit + 1),
            )
        more = more or len(notices) > limit
        notices = notices[:limit]
        notice_position = int(notices[-1][0]) if notices else after_notice
        erasures = retention.notices([row[1:] for row in notices])
        items = [PulledEvent(int(r[1]), r[2], r[3], r[4]) for r in rows]
        # Logged before the caller gets the page: if the log cannot be written, nothing leaves.
        with self.backend.transaction("log") as tx:
            _log(
                tx,
                at=now,
                action="pull",
                category="disclosure",
                officer=collar,
                device_id=caller.device.device_id,
                address=address,
                detail={
                    "events": len(items),
                    "aggregates": sorted({item.aggregate_id for item in items}),
                    "feed_from": after,
                    "feed_to": position,
                    "erasure_notices": len(notices),
                    "notices_from": after_notice,
                    "notices_to": notice_position,
                },
            )
            tx.execute(
                "UPDATE devices SET last_seen_at = ? WHERE device_id = ?",
                (format_utc(now), caller.device.device_id),
            )
        return PullPage(items, position, erasures, notice_position, more)

    def retention(
        self, before: datetime, *, reason: str, now: datetime, actor: str, dry_run: bool
    ) -> Retention:
        with self.backend.transaction("read") as tx:
            scanned = retention.scan(tx)
        cases = scanned.expired(before)
        if dry_run:
            with self.backend.transaction("log") as tx:
                _log(
                    tx,
                    at=now,
                    action="retention_dry_run",
                    category="consultation",
                    officer=None,
                    device_id=None,
                    address=actor,
                    detail={"occurred_before": format_utc(before), "cases": len(cases),
                            "events": sum(c.summary.events for c in cases)},
                )
            return Retention(format_utc(before), [c.summary for c in cases], None)
        with self.backend.transaction("write") as tx:
            cases = retention.still_expired(tx, scanned, cases)
            erasure_id = (
                retention.erase(tx, cases, before=before, reason=reason, actor=actor, now=now)
                if cases
                else None
            )
            _log(
                tx,
                at=now,
                action="erasure",
                category="erasure",
                officer=None,
                device_id=None,
                address=actor,
                detail={
                    "erasure": erasure_id,
                    "reason": reason,
                    "occurred_before": format_utc(before),
                    "cases": len(cases),
                    "events": sum(c.summary.events for c in cases),
                    "aggregates": sorted({k for c in cases for k in c.summary.aggregate_ids}),
                },
            )
        return Retention(format_utc(before), [c.summary for c in cases], erasure_id)

    def consult(
        self, caller: Caller, *, now: datetime, address: str | None, purpose: dict[str, Any]
    ) -> list[str]:
        with self.backend.transaction("read") as tx:
            rows = tx.query(
                "SELECT e.body FROM feed f JOIN events e ON e.seq = f.event_seq "
                "WHERE f.officer = ? ORDER BY f.feed_seq",
                (caller.officer.collar,),
            )
        with self.backend.transaction("log") as tx:
            _log(
                tx,
                at=now,
                action="figures",
                category="consultation",
                officer=caller.officer.collar,
                device_id=caller.device.device_id,
                address=address,
                detail={**purpose, "events": len(rows)},
            )
        return [row[0] for row in rows]

    def consult_all(self, *, now: datetime, actor: str, purpose: dict[str, Any]) -> list[str]:
        with self.backend.transaction("read") as tx:
            rows = tx.query("SELECT body FROM events ORDER BY seq")
        with self.backend.transaction("log") as tx:
            _log(
                tx,
                at=now,
                action="figures",
                category="consultation",
                officer=None,
                device_id=None,
                address=actor,
                detail={**purpose, "events": len(rows)},
            )
        return [row[0] for row in rows]

    def access_log(self, *, after_id: int = 0) -> list[AccessEntry]:
        with self.backend.transaction("read") as tx:
            rows = tx.query(
                "SELECT at, action, category, officer, device_id, address, detail "
                "FROM access_log WHERE id > ? ORDER BY id",
                (after_id,),
            )
        return [AccessEntry(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6])) for r in rows]
