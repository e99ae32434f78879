"""The event log's vocabulary: the envelope (id, type, schema version, aggregate, times,
author, device) around one versioned, validated payload per event type, parsed from an
untrusted mapping, made from a form's fields, and re-read from its canonical JSON.

The payload kinds are fieldapp/domain/payloads.py and their parsers fieldapp/domain/parsing.py;
the names other modules read from here are re-exported below.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from fieldapp.domain.force import engagement_aggregate
from fieldapp.domain.parsing import (
    _PARSERS,
    EARLIEST,
    Rules,
    _check_moment,
    _officer,
    _uuid,
    normalise_postcode,
)
from fieldapp.domain.payloads import (
    CORRECTABLE,
    PAYLOAD_TYPES,
    SCHEMA_VERSIONS,
    CallbackAttempt,
    ConflictConfirmed,
    EnteredInError,
    Escalation,
    EventCorrected,
    EventType,
    HouseholdRecorded,
    HouseholdsMerged,
    HouseholdsSplit,
    JoinAccepted,
    LeafletIssue,
    Member,
    OccurrenceRecorded,
    PartnerEngagement,
    Payload,
    ReferralRecorded,
    TaskReassigned,
    VcasOffer,
    _payload_from_dict,
    all_fields,
    corrected_payload,
    paired_household,
    payload_to_dict,
)
from fieldapp.domain.problems import InvalidEvent, Problem, Reader, format_utc, parse_utc

MAX_EVENT_BYTES = 16_384
# Each kind by its name: a dict look-up, where EventType(name) goes through the enum's
# machinery (a tenth of re-reading a stored event).
_TYPES: Mapping[str, EventType] = {t.value: t for t in EventType}
# An instant as format_utc writes it: any time of day that parses, so nothing to carry over.
_WRITTEN_UTC = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\.[0-9]{6}Z"
)
_DEVICE = re.compile(r"^[A-Za-z0-9_\-.]{1,64}$")


# --------------------------------------------------------------------------- the event


@dataclass(frozen=True)
class Event:
    id: str
    type: EventType
    aggregate_id: str
    occurred_at: datetime
    recorded_at: datetime
    author: str
    device_id: str
    payload: Payload
    schema_version: int = 1
    # Canonical JSON of the whole event: the identity the server compares on duplicate ids.
    canonical: str = field(default="", compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return self._written(format_utc(self.occurred_at), format_utc(self.recorded_at))

    def _written(self, occurred_at: str, recorded_at: str) -> dict[str, Any]:
        """The plain record, its two instants given as `format_utc` writes them."""
        return {
            "id": self.id,
            "type": self.type.value,
            "schema_version": self.schema_version,
            "aggregate_id": self.aggregate_id,
            "occurred_at": occurred_at,
            "recorded_at": recorded_at,
            "author": self.author,
            "device_id": self.device_id,
            "payload": payload_to_dict(self.payload),
        }

    def to_json(self) -> str:
        return self.canonical or canonical_json(self.to_dict())

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.to_json().encode()).hexdigest()


def canonical_json(data: Mapping[str, Any]) -> str:
    """Sorted keys, no spaces, UTF-8 as it is: byte for byte what `json.dumps(sort_keys=True,
    separators=(",", ":"), ensure_ascii=False)` writes for an event (no floats in any event;
    tests/domain/test_wire.py holds the two to it), several times faster."""
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS).decode()


_ENVELOPE = (
    "id", "type", "schema_version", "aggregate_id", "occurred_at", "recorded_at",
    "author", "device_id", "payload",
)


def parse_event(data: Any, rules: Rules) -> Event:
    """Validate an untrusted mapping as an event; raises InvalidEvent with every problem."""
    problems: list[Problem] = []
    r = Reader(data, problems)
    r.unexpected(_ENVELOPE)
    event_id = _uuid(r, "id", "record's identifier", version=7)
    raw_type = r.data.get("type")
    event_type = _TYPES.get(raw_type) if isinstance(raw_type, str) else None
    if event_type is None:
        r.problem("type", "This kind of record is not known to this version of fieldapp.")
    version = r.integer("schema_version", "schema version", 1, 1000)
    if event_type is not None and version > SCHEMA_VERSIONS[event_type]:
        r.problem("schema_version", "This record was made by a newer version of fieldapp.")
    aggregate_id = _uuid(r, "aggregate_id", "record it belongs to")
    moments: dict[str, datetime] = {}
    written: dict[str, str] = {}
    for name, label in (("occurred_at", "when it happened"), ("recorded_at", "when it was saved")):
        raw = r.data.get(name)
        moment = parse_utc(raw)
        if moment is None:
            r.problem(name, f"Enter {label} as a date and time.")
            continue
        moments[name] = moment
        # An instant already written as format_utc writes it (every synced record's) is
        # kept as it came: parsed, it would be written back the same.
        written[name] = (
            raw if isinstance(raw, str) and _WRITTEN_UTC.fullmatch(raw) else format_utc(moment)
        )
    if "occurred_at" in moments:
        _check_moment(r, "occurred_at", moments["occurred_at"], rules)
    author = _officer(r, "author", "author's collar number")
    device = r.text("device_id", "device identifier", max_len=64)
    if device and not _DEVICE.match(device):
        r.problem("device_id", "The device identifier is not valid.")
    payload: Payload | None = None
    if event_type is not None:
        payload = _PARSERS[event_type](
            Reader(r.data.get("payload"), problems, "payload."), rules,
            version if version > 0 else SCHEMA_VERSIONS[event_type],
        )
    if (
        isinstance(payload, PartnerEngagement)
        and aggregate_id
        and payload.partner
        and payload.month
        and aggregate_id != engagement_aggregate(payload.partner, payload.month)
    ):
        r.problem("aggregate_id", "A partner's monthly report is filed under the identifier "
                  "made from the partner and the month; this one is not it.")
    if problems or payload is None or event_type is None:
        raise InvalidEvent(problems or [Problem("", "The record could not be read.")])
    event = Event(
        id=event_id,
        type=event_type,
        aggregate_id=aggregate_id,
        occurred_at=moments["occurred_at"],
        recorded_at=moments["recorded_at"],
        author=author,
        device_id=device,
        payload=payload,
        schema_version=version,
    )
    text = canonical_json(event._written(written["occurred_at"], written["recorded_at"]))
    if len(text.encode()) > MAX_EVENT_BYTES:
        raise InvalidEvent([Problem("", "This record is too large to save.")])
    # Set on the event made just above, which nothing else holds yet, as its __init__ sets
    # every field: a dataclasses.replace copy cost a tenth of reading an event.
    object.__setattr__(event, "canonical", text)
    return event


def make_event(
    *,
    event_id: str,
    event_type: EventType,
    aggregate_id: str,
    payload: Mapping[str, Any],
    occurred_at: datetime,
    recorded_at: datetime,
    author: str,
    device_id: str,
    rules: Rules,
) -> Event:
    """Build a new event from a form's fields; raises InvalidEvent with every problem."""
    return parse_event(
        {
            "id": event_id,
            "type": event_type.value,
            "schema_version": _written_version(event_type, payload),
            "aggregate_id": aggregate_id,
            "occurred_at": format_utc(occurred_at) if occurred_at.tzinfo else "",
            "recorded_at": format_utc(recorded_at),
            "author": author,
            "device_id": device_id,
            "payload": dict(payload),
        },
        rules,
    )


def _written_version(event_type: EventType, payload: Mapping[str, Any]) -> int:
    """The version a new record is made at: today's, except that a correction restating the
    whole record (central's record CLI, older writers) is still made as version 1."""
    if event_type is EventType.EVENT_CORRECTED and "payload" in payload:
        return 1
    return SCHEMA_VERSIONS[event_type]


def event_from_json(text: str) -> Event:
    """Re-read an event that was validated when it was stored (trusted, so no clock check)."""
    data = orjson.loads(text)
    event_type = _TYPES.get(data["type"]) if isinstance(data["type"], str) else None
    if event_type is None:
        raise ValueError(f"not a kind of record: {data['type']!r}")
    payload = _payload_from_dict(event_type, data["payload"])
    return Event(
        id=data["id"],
        type=event_type,
        aggregate_id=data["aggregate_id"],
        occurred_at=_must_utc(data["occurred_at"]),
        recorded_at=_must_utc(data["recorded_at"]),
        author=data["author"],
        device_id=data["device_id"],
        payload=payload,
        schema_version=int(data["schema_version"]),
        canonical=text,
    )


def _must_utc(text: str) -> datetime:
    moment = parse_utc(text)
    if moment is None:
        raise ValueError(f"not an instant: {text!r}")
    return moment


__all__ = [
    "CORRECTABLE",
    "EARLIEST",
    "MAX_EVENT_BYTES",
    "PAYLOAD_TYPES",
    "SCHEMA_VERSIONS",
    "CallbackAttempt",
    "ConflictConfirmed",
    "EnteredInError",
    "Escalation",
    "Event",
    "EventCorrected",
    "EventType",
    "HouseholdRecorded",
    "HouseholdsMerged",
    "HouseholdsSplit",
    "InvalidEvent",
    "JoinAccepted",
    "LeafletIssue",
    "Member",
    "OccurrenceRecorded",
    "PartnerEngagement",
    "Payload",
    "ReferralRecorded",
    "Rules",
    "TaskReassigned",
    "VcasOffer",
    "all_fields",
    "canonical_json",
    "corrected_payload",
    "event_from_json",
    "make_event",
    "normalise_postcode",
    "paired_household",
    "parse_event",
    "payload_to_dict",
]
