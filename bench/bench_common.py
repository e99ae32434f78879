"""What the benchmarks that build a profile share (bench_search.py, bench_ui.py): the profile's
name, passphrase and fast KDF, the moment their records happen, the clock, and one event made
as the laptop makes it."""

from __future__ import annotations

from datetime import UTC, datetime

import uuid6

from fieldapp.domain.events import Event, EventType, Rules, make_event
from fieldapp.resources import load_catalogue
from fieldapp.store.keys import KdfParams

PROFILE = "bench"
PASSPHRASE = "correct horse battery staple"
FAST = KdfParams(iterations=1, lanes=1, memory_kib=8)
AT = datetime(2026, 3, 10, 14, tzinfo=UTC)


def clock() -> datetime:
    return datetime.now(UTC)


def bench_event(
    kind: EventType, aggregate: str, payload: dict[str, object], at: datetime
) -> Event:
    return make_event(
        event_id=str(uuid6.uuid7()), event_type=kind, aggregate_id=aggregate, payload=payload,
        occurred_at=at, recorded_at=at, author="1234", device_id="bench",
        rules=Rules(load_catalogue(), datetime(2100, 1, 1, tzinfo=UTC)),
    )
