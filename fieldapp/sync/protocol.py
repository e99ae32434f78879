"""The sync protocol with no I/O: what to send next, and what an answer means.

Like h11, this module never touches a socket, a database or a clock; `client.py` moves the
bytes and the store applies the outcomes. Every answer from the endpoint is treated as
untrusted input: an acknowledgement for an id we did not send is ignored, and an event that
does not validate is reported, never applied.
"""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from fieldapp.domain.events import Event, Rules, parse_event
from fieldapp.domain.problems import InvalidEvent, Problem, parse_utc
from fieldapp.domain.retention import Erasure

MAX_BATCH_EVENTS = 500
MAX_BATCH_BYTES = 1_500_000  # below the endpoint's 2 MiB body limit, with room for framing
PULL_PAGE = 500
MAX_REASON = 500  # the endpoint's own limit on an erasure's reason
# A device token as the endpoint makes them (URL-safe base64); it goes into a header.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32,128}")


class DeviceStatus(StrEnum):
    ACTIVE = "active"
    WIPE = "wipe"
    REVOKED = "revoked"


class SyncError(Exception):
    """A sync that cannot go on; `message` is for the officer."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable


class DeviceRevoked(SyncError):
    def __init__(self) -> None:
        super().__init__("This laptop's access to the central system was withdrawn.",
                         retryable=False)


class DeviceWipe(SyncError):
    def __init__(self) -> None:
        super().__init__("The central system asked for this profile to be wiped.",
                         retryable=False)


def plan_push(outbox: Sequence[Event]) -> list[Event]:
    """The next batch: outbox order, at most MAX_BATCH_EVENTS events and MAX_BATCH_BYTES."""
    batch: list[Event] = []
    size = 0
    for event in outbox[:MAX_BATCH_EVENTS]:
        length = len(event.to_json().encode()) + 1
        if batch and size + length > MAX_BATCH_BYTES:
            break
        batch.append(event)
        size += length
    return batch


def push_body(batch: Sequence[Event]) -> str:
    return '{"events":[' + ",".join(e.to_json() for e in batch) + "]}"


@dataclass(frozen=True)
class PushOutcome:
    acks: Mapping[str, int]
    rejections: Mapping[str, tuple[Problem, ...]]
    unanswered: tuple[str, ...]
    server_time: datetime | None
    device_status: DeviceStatus
    rotate: bool


@dataclass(frozen=True)
class PullPage:
    events: tuple[Event, ...]
    cursor: str
    more: bool
    invalid: tuple[tuple[str, tuple[Problem, ...]], ...]
    server_time: datetime | None
    device_status: DeviceStatus
    erasures: tuple[Erasure, ...]
    rotate: bool


def unreadable() -> SyncError:
    return SyncError("The central system sent an answer fieldapp cannot read.", retryable=True)


def _mapping(body: Any) -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        raise unreadable()
    return body


def _list(data: Any, key: str) -> list[Any]:
    value = data.get(key) if isinstance(data, Mapping) else None
    return value if isinstance(value, list) else []


def _status(body: Mapping[str, Any]) -> DeviceStatus:
    status = body.get("device_status")
    known = {s.value for s in DeviceStatus}
    return DeviceStatus(status) if isinstance(status, str) and status in known else (
        DeviceStatus.ACTIVE
    )


def read_push_response(sent: Sequence[Event], body: Any) -> PushOutcome:
    data = _mapping(body)
    ids = {e.id for e in sent}
    acks: dict[str, int] = {}
    for item in _list(data, "accepted"):
        if _named(item, ids) and _is_seq(item.get("seq")):
            acks[str(item["id"])] = int(item["seq"])
    rejections: dict[str, tuple[Problem, ...]] = {}
    for item in _list(data, "rejected"):
        if not _named(item, ids) or item["id"] in acks:
            continue
        problems = tuple(
            Problem(str(p.get("field", "")), str(p.get("message", "")))
            for p in _list(item, "problems")
            if isinstance(p, Mapping)
        ) or (Problem("", "The central system refused this record."),)
        rejections[str(item["id"])] = problems
    unanswered = tuple(e.id for e in sent if e.id not in acks and e.id not in rejections)
    return PushOutcome(
        acks, rejections, unanswered, _time(data), _status(data), data.get("rotate") is True
    )


def _named(item: Any, ids: set[str]) -> bool:
    return isinstance(item, Mapping) and isinstance(item.get("id"), str) and item["id"] in ids


def _is_seq(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _time(data: Mapping[str, Any]) -> datetime | None:
    return parse_utc(data.get("server_time"))


def read_pull_response(body: Any, rules: Rules) -> PullPage:
    data = _mapping(body)
    cursor = data.get("cursor")
    items = data.get("items")
    if not isinstance(cursor, str) or not cursor or not isinstance(items, list):
        raise unreadable()
    erasures = _erasures(data.get("erasures", []))
    events: list[Event] = []
    invalid: list[tuple[str, tuple[Problem, ...]]] = []
    for item in items:
        raw = item.get("event") if isinstance(item, Mapping) else None
        try:
            events.append(parse_event(raw, rules))
        except InvalidEvent as refused:
            ident = raw.get("id") if isinstance(raw, Mapping) else None
            invalid.append((str(ident or "?"), refused.problems))
    return PullPage(
        tuple(events), cursor, bool(data.get("more")), tuple(invalid), _time(data), _status(data),
        erasures, data.get("rotate") is True,
    )


def _erasures(raw: Any) -> tuple[Erasure, ...]:
    """The endpoint's erasure orders, all valid or none: an order skipped while the cursor
    moves past it would never be applied, so an unreadable one stops the page instead."""
    if not isinstance(raw, list):
        raise unreadable()
    orders = []
    for item in raw:
        ids = item.get("aggregate_ids") if isinstance(item, Mapping) else None
        reason = item.get("reason") if isinstance(item, Mapping) else None
        erased_at = parse_utc(item.get("erased_at")) if isinstance(item, Mapping) else None
        if (
            not isinstance(ids, list)
            or not ids
            or not all(_is_id(i) for i in ids)
            or not isinstance(reason, str)
            or not 0 < len(reason) <= MAX_REASON
            or any(ord(ch) < 32 or ord(ch) == 127 for ch in reason)
            or erased_at is None
        ):
            raise unreadable()
        orders.append(Erasure(tuple(ids), reason, erased_at))
    # A page names at most as many records as it was asked for.
    if sum(len(order.aggregate_ids) for order in orders) > PULL_PAGE:
        raise unreadable()
    return tuple(orders)


def _is_id(value: Any) -> bool:
    """An aggregate id as the event schema has them: a UUID in its canonical form."""
    try:
        return isinstance(value, str) and str(uuid.UUID(value)) == value
    except ValueError:
        return False


def read_rotate_response(body: Any) -> str:
    """The new device token; anything else in its place is refused, as it goes in a header."""
    token = _mapping(body).get("token")
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        raise unreadable()
    return token


def clock_skew(sent_at: datetime, received_at: datetime, server_time: datetime) -> timedelta:
    """Server clock minus device clock, taking the server's stamp as made mid-flight."""
    return server_time - (sent_at + (received_at - sent_at) / 2)


# --------------------------------------------------------------------------- retries


@dataclass(frozen=True)
class Retry:
    """Exponential backoff with full jitter; a server's Retry-After is honoured as a floor."""

    base: float = 0.5
    cap: float = 30.0
    attempts: int = 6
    rng: random.Random = field(default_factory=random.Random, compare=False)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        ceiling = min(self.cap, self.base * (2**attempt))
        wait = self.rng.uniform(0, ceiling)
        return max(wait, retry_after or 0.0)


def retry_after_seconds(header: str | None) -> float | None:
    """Retry-After in seconds; the HTTP-date form is ignored (it needs a trusted clock)."""
    if header is None:
        return None
    try:
        value = float(header)
    except ValueError:
        return None
    return value if 0 <= value <= 3600 else None


def classify(status: int, body: Any) -> SyncError | None:
    """What an HTTP status means for the sync; None for success."""
    if 200 <= status < 300:
        return None
    data = body if isinstance(body, Mapping) else {}
    error = data.get("error")
    if status == 401 and error == "device_revoked":
        return DeviceRevoked()
    if status == 403 and error == "device_wipe":
        return DeviceWipe()
    if status == 401:
        return SyncError("This laptop is not enrolled with the central system.", retryable=False)
    if status == 429 or status >= 500:
        return SyncError("The central system is busy; fieldapp will try again.", retryable=True)
    if status == 413:
        return SyncError("A batch was too large for the central system.", retryable=False)
    return SyncError(f"The central system refused the request ({status}).", retryable=False)
