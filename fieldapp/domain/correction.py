"""Applying the corrections of one record, in order, over the record as it stands.

A version 1 `event_corrected` restates the whole record (and its time, "" for the original's);
a version 2 one carries only the changed fields, laid over the record as the earlier
corrections left it, and keeps the time they left unless it gives one. The caller gives the
corrections in the events' own order (projection's `order_key`), so that any order of arrival,
or duplicates, give the same record.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from fieldapp.domain.events import Event, EventCorrected, corrected_payload


def apply_corrections(record: Event, fixes: Iterable[Event]) -> Event:
    """`record` as its corrections `fixes` (all of it, of its type, oldest first) leave it."""
    payload, moment = record.payload, record.occurred_at
    for fix in fixes:
        correction = fix.payload
        assert isinstance(correction, EventCorrected)
        payload = corrected_payload(correction, payload)
        if correction.occurred_at:
            moment = datetime.fromisoformat(correction.occurred_at)
        elif correction.restates_whole:
            moment = record.occurred_at  # version 1: "" is the original's time
    return replace(record, payload=payload, occurred_at=moment, canonical="")
