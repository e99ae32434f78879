"""The wire format: what either side encodes, the other decodes to the same thing, and it is
what the published JSON Schemas say."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jsonschema_rs
import orjson
import pytest
from factories import household, new_id, occurrence
from hypothesis import given
from hypothesis import strategies as st

from fieldapp.domain import wire
from fieldapp.domain.problems import Problem
from fieldapp.domain.retention import Erasure

AT = datetime(2026, 3, 10, 14, tzinfo=UTC)
STAMP = "2026-03-10T14:00:00.000000Z"


def conforms(name: str, body: bytes) -> Any:
    data = orjson.loads(body)
    schema = {"components": {"schemas": wire.SCHEMAS}, "$ref": f"#/components/schemas/{name}"}
    errors = [e.message for e in jsonschema_rs.validator_for(schema).iter_errors(data)]
    assert errors == []
    return data


@dataclass(frozen=True)
class Stored:
    body: str
    seq: int
    received_at: str


@dataclass(frozen=True)
class Notice:
    aggregate_ids: tuple[str, ...]
    reason: str
    erased_at: str


ids = st.lists(st.uuids().map(str), min_size=1, max_size=5, unique=True)
text = st.text(st.characters(min_codepoint=32, max_codepoint=0x2FFF, exclude_categories=("Cs",)),
               min_size=1, max_size=40)


@given(ids, st.data())
def test_a_push_answer_reads_back_as_sent_for_the_ids_sent(sent: list[str], data: Any) -> None:
    accepted = tuple(
        wire.Accepted(i, n + 1) for n, i in enumerate(sent) if data.draw(st.booleans())
    )
    taken = {a.id for a in accepted}
    rejected = tuple(
        wire.Rejected(i, "invalid_record", (Problem("author", data.draw(text)),))
        for i in sent if i not in taken
    )
    answer = wire.PushAnswer(accepted, rejected, STAMP, "active", data.draw(st.booleans()))
    body = wire.encode_push_response(answer)
    conforms("PushResponse", body)
    reply = wire.decode_push_response(sent, orjson.loads(body))
    assert reply.acks == {a.id: a.seq for a in accepted}
    assert reply.rejections == {r.id: r.problems for r in rejected}
    assert reply.unanswered == () and reply.rotate is answer.rotate


def test_a_push_answer_for_ids_not_sent_counts_for_nothing() -> None:
    body = wire.encode_push_response(wire.PushAnswer(
        (wire.Accepted(new_id(), 1),), (wire.Rejected(None, "invalid_record", ()),),
        STAMP, "wipe", False,
    ))
    mine = new_id()
    reply = wire.decode_push_response([mine], orjson.loads(body))
    assert (reply.acks, reply.rejections, reply.unanswered) == ({}, {}, (mine,))
    assert reply.device_status == "wipe"


def test_a_pull_page_carries_the_stored_bytes_and_the_erasures() -> None:
    o = new_id()
    events = [occurrence(o, AT), household(new_id(), o, AT)]
    erased = (new_id(), new_id())
    answer = wire.PullAnswer(
        [Stored(e.to_json(), n + 1, STAMP) for n, e in enumerate(events)],
        [Notice(erased, "Past the retention period", STAMP)], "c1", True, STAMP, False,
    )
    body = wire.encode_pull_response(answer)
    conforms("PullResponse", body)
    reply = wire.decode_pull_response(orjson.loads(body))
    assert [orjson.dumps(e) for e in reply.events] == [
        orjson.dumps(orjson.loads(e.to_json())) for e in events
    ]
    assert reply.erasures == (Erasure(erased, "Past the retention period", AT),)
    assert (reply.cursor, reply.more, reply.rotate) == ("c1", True, False)


@pytest.mark.parametrize("order", [
    {"aggregate_ids": [], "reason": "r", "erased_at": STAMP},
    {"aggregate_ids": ["not-a-uuid"], "reason": "r", "erased_at": STAMP},
    {"aggregate_ids": [new_id()], "reason": "a\nb", "erased_at": STAMP},
    {"aggregate_ids": [new_id()], "reason": "r", "erased_at": "yesterday"},
    {"aggregate_ids": [new_id()], "reason": "x" * 501, "erased_at": STAMP},
])
def test_an_unreadable_erasure_order_makes_the_page_unreadable(order: dict[str, Any]) -> None:
    with pytest.raises(wire.Unreadable):
        wire.decode_pull_response({"items": [], "cursor": "c", "erasures": [order]})


def test_a_rotation_answer_gives_a_token_fit_for_a_header() -> None:
    token = "A" * 43
    body = wire.encode_rotate_response(token, STAMP, "active")
    conforms("RotateResponse", body)
    assert wire.decode_rotate_response(orjson.loads(body)) == token
    with pytest.raises(wire.Unreadable):
        wire.decode_rotate_response({"token": "abc\r\nX-Evil: 1" + "A" * 40})


def test_an_error_body_says_the_problems_only_when_there_are_some() -> None:
    plain = conforms("ErrorResponse", wire.encode_error("x", "Say why.", STAMP, None))
    assert plain == {"error": "x", "message": "Say why.", "server_time": STAMP}
    full = conforms("ErrorResponse", wire.encode_error(
        "invalid_request", "See problems.", STAMP, "active", (Problem("events", "Missing."),)
    ))
    assert full["problems"] == [{"field": "events", "message": "Missing."}]
    assert wire.error_code(full) == "invalid_request"


def test_a_push_request_is_events_and_nothing_else() -> None:
    o = new_id()
    body = wire.encode_push_request([occurrence(o, AT).to_json()])
    conforms("PushRequest", body.encode())
    assert len(wire.decode_push_request(orjson.loads(body))) == 1
    with pytest.raises(wire.NotARequest) as refused:
        wire.decode_push_request({"events": [{}] * (wire.MAX_PUSH_EVENTS + 1), "x": 1})
    assert [p.field for p in refused.value.problems] == ["x", "events"]


def _stdlib_canonical(data: Any) -> str:
    import json

    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def test_the_canonical_bytes_are_the_ones_stored_before_orjson() -> None:
    """Events stored (and digested) under the standard library's JSON must compare equal when
    resent: orjson writes the very same bytes for every kind of event."""
    import random

    from factories import seed_events

    events = seed_events(random.Random(7))
    assert len({e.type for e in events}) >= 4
    for event in events:
        assert event.to_json() == _stdlib_canonical(event.to_dict())


# Every integer in an event is bounded by its schema, far inside 64 bits.
values = st.one_of(text, st.integers(-(2**63), 2**63 - 1), st.booleans(), st.none(),
                   st.lists(text, max_size=3))


@given(st.dictionaries(text, values, max_size=6))
def test_canonical_json_matches_the_standard_librarys_for_any_text(data: dict[str, Any]) -> None:
    from fieldapp.domain.events import canonical_json

    control = {"notes": "".join(chr(i) for i in range(32)) + "\u2028\U0001f600é", **data}
    assert canonical_json(control) == _stdlib_canonical(control)
