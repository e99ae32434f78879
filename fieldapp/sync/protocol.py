"""The sync protocol with no I/O: what to send next, and what an answer means.

Like h11, this module never touches a socket, a database or a clock; `client.py` moves the
bytes and the store applies the outcomes. Every answer from the endpoint is treated as
untrusted input: an acknowledgement for an id we did not send is ignored, and an event that
does not validate is reported, never applied.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import fieldapp.domain.wire as wire
from fieldapp.domain.events import Event, Rules, canonical_json, event_from_json, parse_event
from fieldapp.domain.wire import PullReply, PushReply

MAX_BATCH_EVENTS = wire.MAX_PUSH_EVENTS
MAX_BATCH_BYTES = 1_500_000  # below the endpoint's 2 MiB body limit, with room for framing
PULL_PAGE = wire.PULL_PAGE


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
    return wire.encode_push_request([e.to_json() for e in batch])


def unreadable() -> SyncError:
    return SyncError("The central system sent an answer fieldapp cannot read.", retryable=True)


def read_push_response(sent: Sequence[Event], body: Any) -> PushReply:
    try:
        return wire.decode_push_response([e.id for e in sent], body)
    except wire.Unreadable:
        raise unreadable() from None


def decode_pull_page(body: Any) -> PullReply[Any]:
    """A page as the endpoint sent it, its events not yet read."""
    try:
        return wire.decode_pull_response(body)
    except wire.Unreadable:
        raise unreadable() from None


def read_pulled_events(
    page: PullReply[Any], rules: Rules, held: Mapping[str, str] | None = None
) -> PullReply[Event]:
    """The page with its events validated; any that are not valid are in `invalid`.

    `held`: the canonical JSON of the page's events this laptop already holds, by id. A
    pulled event that is byte for byte one of them is read back from that copy, validated
    when it was stored, instead of being validated again; any other is validated in full."""
    known = held or {}

    def read(raw: Any) -> Event:
        ident = raw.get("id") if isinstance(raw, Mapping) else None
        mine = known.get(ident) if isinstance(ident, str) else None
        if mine is not None and canonical_json(raw) == mine:
            return event_from_json(mine)
        return parse_event(raw, rules)

    return page.read_events(read)


def read_pull_response(body: Any, rules: Rules) -> PullReply[Event]:
    """A page with its events validated; any that are not valid are in `invalid`."""
    return read_pulled_events(decode_pull_page(body), rules)


def pulled_ids(page: PullReply[Any]) -> list[str]:
    """The ids a page's raw events claim (to look up which this laptop already holds)."""
    return [ident for raw in page.events
            if isinstance(raw, Mapping) and isinstance(ident := raw.get("id"), str)]


def read_rotate_response(body: Any) -> str:
    try:
        return wire.decode_rotate_response(body)
    except wire.Unreadable:
        raise unreadable() from None


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
    error = wire.error_code(body)
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
