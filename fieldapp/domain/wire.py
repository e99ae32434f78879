"""The sync wire format, described once: what the laptop and the endpoint send each other for
push, pull and rotate, and the error body every route answers with.

Both sides encode and decode with these functions (fieldapp/sync/protocol.py on the laptop,
central/api.py on the endpoint), and the endpoint publishes `SCHEMAS` in its OpenAPI document,
so the description a reader sees is the one the code follows. Pure: no I/O, no clock; what the
other side sent is untrusted, and a reader says `Unreadable` (or lists the problems) rather
than guess. docs/central.md explains each field for people.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, Literal, Protocol, TypeVar

import orjson

from fieldapp.domain.problems import InvalidEvent, Problem, parse_utc
from fieldapp.domain.retention import Erasure

E = TypeVar("E")
E2 = TypeVar("E2")

MAX_PUSH_EVENTS = 500
PULL_PAGE = 500
MAX_REASON = 500  # an erasure's reason, as the endpoint's administrator may write it
INSTANT = "An instant in UTC: ISO 8601 with microseconds and Z, e.g. 2026-11-02T09:30:00.000000Z."
# A device token as the endpoint makes them (URL-safe base64); it goes into a header.
TOKEN = re.compile(r"[A-Za-z0-9_-]{32,128}")
DeviceStatusText = Literal["active", "wipe"]


class DeviceStatus(StrEnum):
    """A device's standing as an answer states it (the endpoint writes only DeviceStatusText;
    a revoked device gets an error instead of an answer)."""

    ACTIVE = "active"
    WIPE = "wipe"
    REVOKED = "revoked"


class Unreadable(ValueError):
    """An answer that is not in the wire format."""


class NotARequest(ValueError):
    """A request body that is not in the wire format; `problems` say where, for the officer."""

    def __init__(self, problems: tuple[Problem, ...]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


# --------------------------------------------------------------------------- push


def encode_push_request(bodies: Sequence[str]) -> str:
    """Events as their canonical JSON (Event.to_json), spliced rather than re-encoded."""
    return '{"events":[' + ",".join(bodies) + "]}"


def decode_push_request(data: Any) -> list[Any]:
    """The events of a push body, each still to be validated on its own."""
    if not isinstance(data, Mapping):
        raise NotARequest((Problem("", "Send a JSON object."),))
    problems = [
        Problem(str(key)[:40], f"The field “{str(key)[:40]}” is not something this server "
                "knows: leave it out.")
        for key in data if key != "events"
    ]
    events = data.get("events")
    if "events" not in data:
        problems.append(Problem("events", "The list of records is missing."))
    elif not isinstance(events, list):
        problems.append(Problem("events", "The list of records must be a list."))
    elif len(events) > MAX_PUSH_EVENTS:
        problems.append(Problem(
            "events", f"The list of records is too long (at most {MAX_PUSH_EVENTS})."
        ))
    if problems:
        raise NotARequest(tuple(problems))
    assert isinstance(events, list)
    return events


@dataclass(frozen=True)
class Accepted:
    id: str
    seq: int


@dataclass(frozen=True)
class Rejected:
    id: str | None
    code: str
    problems: tuple[Problem, ...]


@dataclass(frozen=True)
class PushAnswer:
    accepted: tuple[Accepted, ...]
    rejected: tuple[Rejected, ...]
    server_time: str
    device_status: DeviceStatusText
    rotate: bool


def _problems(problems: Sequence[Problem]) -> list[dict[str, str]]:
    return [{"field": p.field, "message": p.message} for p in problems]


def encode_push_response(answer: PushAnswer) -> bytes:
    return orjson.dumps({
        "accepted": [{"id": a.id, "seq": a.seq} for a in answer.accepted],
        "rejected": [
            {"id": r.id, "code": r.code, "problems": _problems(r.problems)}
            for r in answer.rejected
        ],
        "server_time": answer.server_time,
        "device_status": answer.device_status,
        "rotate": answer.rotate,
    })


@dataclass(frozen=True)
class PushReply:
    """A push answer as the laptop reads it: only ids it sent count."""

    acks: Mapping[str, int]
    rejections: Mapping[str, tuple[Problem, ...]]
    unanswered: tuple[str, ...]
    device_status: DeviceStatus
    rotate: bool
    server_time: str | None  # as the endpoint wrote it (read with problems.parse_utc)


def decode_push_response(sent: Sequence[str], body: Any) -> PushReply:
    data = _mapping(body)
    ids = set(sent)
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
    unanswered = tuple(i for i in sent if i not in acks and i not in rejections)
    return PushReply(acks, rejections, unanswered, device_status(data),
                     data.get("rotate") is True, server_time(data))


# --------------------------------------------------------------------------- pull


class StoredEvent(Protocol):
    """An event as the endpoint stored it: `body` is its canonical JSON, sent as it is."""

    @property
    def body(self) -> str: ...
    @property
    def seq(self) -> int: ...
    @property
    def received_at(self) -> str: ...


class ErasureNotice(Protocol):
    """An erasure order as the endpoint keeps it (`erased_at` already an instant's text)."""

    @property
    def aggregate_ids(self) -> Sequence[str]: ...
    @property
    def reason(self) -> str: ...
    @property
    def erased_at(self) -> str: ...


@dataclass(frozen=True)
class PullAnswer:
    items: Sequence[StoredEvent]
    erasures: Sequence[ErasureNotice]
    cursor: str
    more: bool
    server_time: str
    rotate: bool


def encode_pull_response(answer: PullAnswer) -> bytes:
    # Stored events are canonical JSON already: spliced in, not parsed and re-encoded.
    items = b",".join(
        b'{"event":' + item.body.encode() + b',"seq":' + str(item.seq).encode()
        + b',"received_at":' + orjson.dumps(item.received_at) + b"}"
        for item in answer.items
    )
    rest = orjson.dumps({
        "erasures": [
            {"aggregate_ids": list(e.aggregate_ids), "reason": e.reason,
             "erased_at": e.erased_at}
            for e in answer.erasures
        ],
        "cursor": answer.cursor,
        "more": answer.more,
        "server_time": answer.server_time,
        "device_status": "active",
        "rotate": answer.rotate,
    })
    return b'{"items":[' + items + b"]," + rest[1:]


Invalid = tuple[tuple[str, tuple[Problem, ...]], ...]  # (the id sent or "?", why), in order


@dataclass(frozen=True)
class PullReply(Generic[E]):
    """A pull page as the laptop reads it. As decoded, `events` are raw JSON, still to be
    validated; `read_events` gives the same page with them read, and those that would not be
    read in `invalid` (reported, never applied)."""

    events: tuple[E, ...]
    erasures: tuple[Erasure, ...]
    cursor: str
    more: bool
    device_status: DeviceStatus
    rotate: bool
    server_time: str | None
    invalid: Invalid = ()

    def read_events(self, read: Callable[[Any], E2]) -> PullReply[E2]:
        events: list[E2] = []
        invalid: list[tuple[str, tuple[Problem, ...]]] = []
        for raw in self.events:
            try:
                events.append(read(raw))
            except InvalidEvent as refused:
                ident = raw.get("id") if isinstance(raw, Mapping) else None
                invalid.append((str(ident or "?"), refused.problems))
        return PullReply(
            tuple(events), self.erasures, self.cursor, self.more, self.device_status,
            self.rotate, self.server_time, (*self.invalid, *invalid),
        )


def decode_pull_response(body: Any) -> PullReply[Any]:
    data = _mapping(body)
    cursor = data.get("cursor")
    items = data.get("items")
    if not isinstance(cursor, str) or not cursor or not isinstance(items, list):
        raise Unreadable("a pull page needs a cursor and items")
    events = tuple(item.get("event") if isinstance(item, Mapping) else None for item in items)
    return PullReply(
        events, _erasures(data.get("erasures", [])), cursor, bool(data.get("more")),
        device_status(data), data.get("rotate") is True, server_time(data),
    )


def _erasures(raw: Any) -> tuple[Erasure, ...]:
    """The endpoint's erasure orders, all valid or none: an order skipped while the cursor
    moves past it would never be applied, so an unreadable one stops the page instead."""
    if not isinstance(raw, list):
        raise Unreadable("erasures must be a list")
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
            raise Unreadable("an erasure order is not readable")
        orders.append(Erasure(tuple(ids), reason, erased_at))
    # A page names at most as many records as it was asked for.
    if sum(len(order.aggregate_ids) for order in orders) > PULL_PAGE:
        raise Unreadable("a page names more records than it may")
    return tuple(orders)


# --------------------------------------------------------------------------- rotate


def encode_rotate_response(token: str, server_time: str, status: DeviceStatusText) -> bytes:
    return orjson.dumps({"token": token, "server_time": server_time, "device_status": status})


def decode_rotate_response(body: Any) -> str:
    """The new device token; anything else in its place is refused, as it goes in a header."""
    token = _mapping(body).get("token")
    if not isinstance(token, str) or not TOKEN.fullmatch(token):
        raise Unreadable("not a device token")
    return token


# --------------------------------------------------------------------------- errors


def encode_error(
    error: str, message: str, server_time: str, status: DeviceStatusText | None,
    problems: Sequence[Problem] = (),
) -> bytes:
    body: dict[str, Any] = {"error": error, "message": message, "server_time": server_time}
    if status is not None:
        body["device_status"] = status
    if problems:
        body["problems"] = _problems(problems)
    return orjson.dumps(body)


def error_code(body: Any) -> str | None:
    error = body.get("error") if isinstance(body, Mapping) else None
    return error if isinstance(error, str) else None


# --------------------------------------------------------------------------- readers' parts


def server_time(body: Any) -> str | None:
    value = body.get("server_time") if isinstance(body, Mapping) else None
    return value if isinstance(value, str) else None


def device_status(data: Mapping[str, Any]) -> DeviceStatus:
    status = data.get("device_status")
    return DeviceStatus(status) if status in ("active", "wipe", "revoked") else (
        DeviceStatus.ACTIVE)


def _mapping(body: Any) -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        raise Unreadable("not a JSON object")
    return body


def _list(data: Any, key: str) -> list[Any]:
    value = data.get(key) if isinstance(data, Mapping) else None
    return value if isinstance(value, list) else []


def _named(item: Any, ids: set[str]) -> bool:
    return isinstance(item, Mapping) and isinstance(item.get("id"), str) and item["id"] in ids


def _is_seq(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _is_id(value: Any) -> bool:
    """An aggregate id as the event schema has them: a UUID in its canonical form."""
    try:
        return isinstance(value, str) and str(uuid.UUID(value)) == value
    except ValueError:
        return False


# --------------------------------------------------------------------------- JSON Schema

_REF = "#/components/schemas/"
_ROTATE = "True if this laptop should rotate its token now (POST /v1/rotate)."


def _object(properties: dict[str, Any], required: Sequence[str] | None = None,
            **extra: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties,
            "required": list(properties if required is None else required), **extra}


def _instant() -> dict[str, str]:
    return {"type": "string", "description": INSTANT}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": _REF + name}


# What the endpoint publishes in /openapi.json as components/schemas, by name.
SCHEMAS: dict[str, dict[str, Any]] = {
    "PushRequest": _object(
        {"events": {"type": "array", "items": {}, "maxItems": MAX_PUSH_EVENTS,
                    "description": "Events as fieldapp.domain.events writes them; each is "
                    "validated and accepted or rejected on its own."}},
        additionalProperties=False,
    ),
    "ProblemOut": _object({
        "field": {"type": "string",
                  "description": "Dotted path of the field at fault; empty for the whole."},
        "message": {"type": "string"},
    }),
    "AcceptedOut": _object({
        "id": {"type": "string"},
        "seq": {"type": "integer",
                "description": "The server's number for the event; the same on every resend."},
    }),
    "RejectedOut": _object({
        "id": {"anyOf": [{"type": "string"}, {"type": "null"}],
               "description": "The event's id as sent, if it had a readable one."},
        "code": {"type": "string", "description": "Why, for programs: invalid_record, "
                 "id_conflict, erased, or the authority rule's code (wrong_author, "
                 "wrong_device, unknown_event_type, not_found, id_in_use, wrong_record, "
                 "not_allowed; docs/central.md)."},
        "problems": {"type": "array", "items": _ref("ProblemOut")},
    }),
    "PushResponse": _object({
        "accepted": {"type": "array", "items": _ref("AcceptedOut")},
        "rejected": {"type": "array", "items": _ref("RejectedOut")},
        "server_time": _instant(),
        "device_status": {"type": "string", "enum": ["active", "wipe"]},
        "rotate": {"type": "boolean", "description": _ROTATE},
    }),
    "PullItem": _object({
        "event": {"type": "object", "additionalProperties": True},
        "seq": {"type": "integer"},
        "received_at": _instant(),
    }),
    "ErasureOut": _object({
        "aggregate_ids": {"type": "array", "items": {"type": "string"},
                          "description": "Occurrences and households erased: delete every "
                          "event related to them."},
        "reason": {"type": "string", "description": "Why, as the administrator recorded it."},
        "erased_at": _instant(),
    }),
    "PullResponse": _object({
        "items": {"type": "array", "items": _ref("PullItem")},
        "erasures": {"type": "array", "items": _ref("ErasureOut"),
                     "description": "Records erased at the endpoint that this laptop may "
                     "hold; apply them with the items, in the same transaction as the cursor."},
        "cursor": {"type": "string",
                   "description": "Pass to the next pull; store it with the events it covers."},
        "more": {"type": "boolean",
                 "description": "True if more events are waiting: pull again now."},
        "server_time": _instant(),
        "device_status": {"type": "string", "enum": ["active"]},
        "rotate": {"type": "boolean", "description": _ROTATE},
    }),
    "RotateResponse": _object({
        "token": {"type": "string", "description": "The laptop's new token. The old one keeps "
                  "working until this one is first used, then stops. Shown once."},
        "server_time": _instant(),
        "device_status": {"type": "string", "enum": ["active", "wipe"]},
    }),
    "ErrorResponse": _object(
        {
            "error": {"type": "string",
                      "description": "A stable code for programs, e.g. device_revoked."},
            "message": {"type": "string",
                        "description": "What went wrong and what to do, for the officer."},
            "server_time": _instant(),
            "device_status": {"type": "string", "enum": ["active", "wipe"],
                              "description": "Present once the device is known."},
            "problems": {"type": "array", "items": _ref("ProblemOut"),
                         "description": "Each field at fault, for a request that was not "
                         "valid."},
        },
        required=["error", "message", "server_time"],
    ),
}
