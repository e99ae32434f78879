"""The sync protocol's pure half, tested with no sockets."""

import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from factories import new_id, offer, rules
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldapp.domain.problems import parse_utc
from fieldapp.domain.wire import DeviceStatus
from fieldapp.sync.protocol import (
    MAX_BATCH_BYTES,
    MAX_BATCH_EVENTS,
    DeviceRevoked,
    DeviceWipe,
    Retry,
    SyncError,
    classify,
    clock_skew,
    decode_pull_page,
    plan_push,
    pulled_ids,
    push_body,
    read_pull_response,
    read_pulled_events,
    read_push_response,
    read_rotate_response,
    retry_after_seconds,
)

AT = datetime(2026, 5, 1, 10, tzinfo=UTC)


def events(n: int) -> list:
    return [offer(new_id(), "declined", AT) for _ in range(n)]


def test_batches_respect_count_and_bytes() -> None:
    many = events(MAX_BATCH_EVENTS + 20)
    assert plan_push(many) == many[:MAX_BATCH_EVENTS]
    assert plan_push([]) == []
    size = len(many[0].to_json()) + 1
    fits = MAX_BATCH_BYTES // size
    assert len(plan_push(many * 20)) == min(MAX_BATCH_EVENTS, fits)


def test_push_body_is_the_canonical_json() -> None:
    batch = events(3)
    assert json.loads(push_body(batch)) == {"events": [e.to_dict() for e in batch]}


def test_only_acknowledged_ids_we_sent_count() -> None:
    batch = events(3)
    stranger = new_id()
    body = {
        "accepted": [{"id": batch[0].id, "seq": 7}, {"id": stranger, "seq": 8},
                     {"id": batch[1].id, "seq": True}],
        "rejected": [{"id": batch[2].id, "problems": [{"field": "payload", "message": "No"}]},
                     {"id": batch[0].id, "problems": []}],
        "server_time": "2026-05-01T10:00:00Z",
        "device_status": "wipe",
    }
    outcome = read_push_response(batch, body)
    assert outcome.acks == {batch[0].id: 7}
    assert list(outcome.rejections) == [batch[2].id]
    assert outcome.unanswered == (batch[1].id,)
    assert outcome.device_status is DeviceStatus.WIPE
    assert parse_utc(outcome.server_time) == AT


def test_pulled_events_are_validated_and_bad_ones_reported() -> None:
    good = offer(new_id(), "accepted", AT)
    bad = dict(good.to_dict(), id="not-an-id")
    page = read_pull_response(
        {"items": [{"event": good.to_dict()}, {"event": bad}, "junk"], "cursor": "c1",
         "more": True},
        rules(AT + timedelta(days=1)),
    )
    assert page.events == (good,)
    assert [ident for ident, _ in page.invalid] == ["not-an-id", "?"]
    assert (page.cursor, page.more) == ("c1", True)


def test_a_pulled_event_held_here_byte_for_byte_is_not_validated_again() -> None:
    held, changed, fresh = (offer(new_id(), "accepted", AT) for _ in range(3))
    tampered = dict(changed.to_dict(), author="not a collar")
    page = decode_pull_page({"items": [{"event": e} for e in (
        held.to_dict(), tampered, fresh.to_dict(), {"id": ["unhashable"]})],
        "cursor": "c1", "more": False})
    assert pulled_ids(page) == [held.id, changed.id, fresh.id]
    stored = {held.id: held.to_json(), changed.id: changed.to_json()}
    # A clock a week before the events: validated, every one of them is refused as in the
    # future, so only the one read back from its stored copy can come through.
    early = rules(AT - timedelta(days=7))
    read = read_pulled_events(page, early, stored)
    assert read.events == (held,) and read.events[0].canonical == held.to_json()
    assert [ident for ident, _ in read.invalid] == [changed.id, fresh.id, "['unhashable']"]
    # On time, the same page reads as before: an id held with other content is still
    # validated in full (and refused here), and nothing held is needed for the rest.
    on_time = read_pulled_events(page, rules(AT + timedelta(days=1)), stored)
    assert on_time.events == (held, fresh)
    assert [ident for ident, _ in on_time.invalid] == [changed.id, "['unhashable']"]
    assert read_pulled_events(page, rules(AT + timedelta(days=1))).events == (held, fresh)


@settings(max_examples=200)
@given(st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["accepted", "rejected", "items", "cursor", "id", "seq", "event",
                         "problems", "server_time", "device_status", "more", "erasures",
                         "aggregate_ids", "reason", "erased_at", "rotate", "token"]),
        inner, max_size=4),
    max_leaves=12,
))
def test_any_answer_is_read_or_refused_cleanly(body: Any) -> None:
    batch = events(1)
    for read in (lambda: read_push_response(batch, body),
                 lambda: read_pull_response(body, rules(AT)),
                 lambda: read_rotate_response(body)):
        try:
            read()
        except SyncError as refused:
            retryable = refused.retryable
            assert retryable


def test_status_meanings() -> None:
    assert classify(200, {}) is None
    assert isinstance(classify(401, {"error": "device_revoked"}), DeviceRevoked)
    assert isinstance(classify(403, {"error": "device_wipe"}), DeviceWipe)
    for status in (429, 500, 502, 503):
        error = classify(status, None)
        assert error is not None
        assert error.retryable
    for status in (400, 401, 403, 413, 422):
        error = classify(status, {})
        assert error is not None
        assert not error.retryable


def test_backoff_is_jittered_capped_and_honours_retry_after() -> None:
    retry = Retry(base=0.5, cap=8, rng=random.Random(1))
    delays = [retry.delay(n) for n in range(10)]
    assert all(0 <= d <= 8 for d in delays)
    assert len(set(delays)) == len(delays)
    assert retry.delay(0, retry_after=20) == 20
    assert retry_after_seconds("3") == 3
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") is None
    assert retry_after_seconds("-1") is None
    assert retry_after_seconds(None) is None


def test_clock_skew_uses_the_midpoint() -> None:
    sent = AT
    received = AT + timedelta(seconds=2)
    assert clock_skew(sent, received, AT + timedelta(seconds=601)) == timedelta(seconds=600)
    assert clock_skew(sent, received, AT - timedelta(seconds=299)) == timedelta(seconds=-300)


def test_unhashable_ids_in_an_answer_are_ignored() -> None:
    batch = events(1)
    body = {"accepted": [{"id": [batch[0].id], "seq": 1}],
            "rejected": [{"id": {"x": 1}, "problems": []}]}
    outcome = read_push_response(batch, body)
    assert outcome.unanswered == (batch[0].id,)


ERASED = {"aggregate_ids": [str(uuid4()), str(uuid4())], "reason": "Retention: 6 years",
          "erased_at": "2032-01-05T02:00:00.000000Z"}


def test_erasure_orders_are_read_with_the_page() -> None:
    page = read_pull_response({"items": [], "erasures": [ERASED], "cursor": "c2", "more": False,
                               "rotate": True}, rules(AT))
    [order] = page.erasures
    assert order.aggregate_ids == tuple(ERASED["aggregate_ids"])
    assert order.reason == "Retention: 6 years"
    assert order.erased_at == datetime(2032, 1, 5, 2, tzinfo=UTC)
    assert page.rotate is True
    # An endpoint from before erasures and rotation: neither.
    older = read_pull_response({"items": [], "cursor": "c2", "more": False}, rules(AT))
    assert older.erasures == () and older.rotate is False


@pytest.mark.parametrize(
    "change",
    [
        {"aggregate_ids": []},
        {"aggregate_ids": "not a list"},
        {"aggregate_ids": ["not-a-uuid"]},
        {"aggregate_ids": [str(uuid4()).upper()]},  # not the canonical form events use
        {"aggregate_ids": [str(uuid4()) + "\n"]},
        {"aggregate_ids": [str(uuid4()) for _ in range(501)]},
        {"reason": ""},
        {"reason": "x" * 501},
        {"reason": "two\nlines"},
        {"reason": 7},
        {"erased_at": "yesterday"},
        {"erased_at": None},
    ],
)
def test_an_unreadable_erasure_order_stops_the_page(change: dict[str, Any]) -> None:
    """Skipping one while the cursor moves past it would leave the records here for good."""
    body = {"items": [], "erasures": [ERASED, {**ERASED, **change}], "cursor": "c2",
            "more": False}
    with pytest.raises(SyncError) as refused:
        read_pull_response(body, rules(AT))
    assert refused.value.retryable


def test_a_new_token_is_read_only_in_the_form_the_endpoint_makes() -> None:
    token = "skB5FdOs2_hlkvcGaDxWDU8ni-1oEcoGptG3NIRYeSE"
    assert read_rotate_response({"token": token}) == token
    for bad in (None, "", "short", token + "\n", token + " ", "x" * 129, "a\r\nHost: evil" * 4):
        with pytest.raises(SyncError):
            read_rotate_response({"token": bad})
    assert read_push_response([], {"accepted": [], "rotate": True}).rotate is True
    assert read_push_response([], {"accepted": [], "rotate": "yes"}).rotate is False
