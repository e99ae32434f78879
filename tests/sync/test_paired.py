"""Protocol edge cases with the laptop's SyncClient and the endpoint's app paired in one
process (tests/sync/paired.py): no socket, no TLS, real SQLCipher and SQLite on both sides."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from factories import callback, household, new_id, occurrence, offer
from paired import Endpoint, endpoint

from fieldapp.domain.events import Event
from fieldapp.resources import load_catalogue, load_policy
from fieldapp.sync.client import SyncClient
from fieldapp.sync.protocol import DeviceWipe, Retry, SyncError

AT = datetime(2026, 3, 10, 14, tzinfo=UTC)


@pytest.fixture
def central(tmp_path: Path) -> Iterator[Endpoint]:
    with endpoint(tmp_path, datetime.now(UTC)) as running:
        running.officer("7001")
        running.officer("7002")
        yield running


def case(oic: str = "7001", device: str = "laptop-a") -> list[Event]:
    o, h = new_id(), new_id()
    return [
        occurrence(o, AT, oic=oic, author=oic, device=device),
        household(h, o, AT, author=oic, device=device),
        offer(h, "declined", AT, author=oic, device=device),
    ]


def test_what_one_laptop_pushes_another_pulls_byte_for_byte(
    tmp_path: Path, central: Endpoint
) -> None:
    a, b = central.laptop(tmp_path / "a", "7001"), central.laptop(tmp_path / "b", "7002")
    events = case()
    a.store.append(events)
    summary = a.client.run_once()
    assert summary.pushed == 3 and a.store.outbox_count() == 0
    assert central.event_ids() == [e.id for e in events]
    pulled = b.client.run_once()
    assert pulled.pulled == 3
    stored = {e.id: e.to_json() for e in b.store.iter_events()}
    assert stored == {e.id: e.to_json() for e in events}
    again = b.client.run_once()
    assert (again.pushed, again.pulled) == (0, 0)


def test_an_answer_lost_on_the_way_is_resent_and_stored_once(
    tmp_path: Path, central: Endpoint
) -> None:
    a = central.laptop(tmp_path / "a", "7001")
    a.store.append(case())

    def lose_push(method: str, path: str, body: Any) -> Any:
        return {"server_time": body["server_time"]} if path == "/v1/push" else body

    a.transport.tamper = lose_push
    with pytest.raises(SyncError):
        a.client.run_once()
    assert a.store.outbox_count() == 3 and len(central.event_ids()) == 3
    a.transport.tamper = None
    assert a.client.run_once().pushed == 3
    assert len(central.event_ids()) == 3 and a.store.outbox_count() == 0


def test_acknowledgements_for_ids_not_sent_are_ignored(
    tmp_path: Path, central: Endpoint
) -> None:
    a = central.laptop(tmp_path / "a", "7001")
    first, second = case(), case()
    a.store.append(first)
    a.client.run_once()
    a.store.append(second)

    def claim_others(method: str, path: str, body: Any) -> Any:
        if path == "/v1/push":
            body["accepted"] += [{"id": e.id, "seq": 99} for e in first]
        return body

    a.transport.tamper = claim_others
    summary = a.client.run_once()
    assert summary.pushed == 3 and a.store.outbox_count() == 0
    assert central.event_ids() == [e.id for e in first + second]


def test_an_event_the_endpoint_cannot_read_is_rejected_alone(
    tmp_path: Path, central: Endpoint
) -> None:
    a = central.laptop(tmp_path / "a", "7001")
    good = case()
    broken = {**orjson.loads(good[0].to_json()), "id": new_id(), "author": "not a collar"}
    body = '{"events":[' + ",".join([*(e.to_json() for e in good), orjson.dumps(broken).decode()])
    reply = a.transport.request("POST", "/v1/push", body=body + "]}")
    assert reply.status == 200
    assert sorted(item["id"] for item in reply.body["accepted"]) == sorted(e.id for e in good)
    [rejected] = reply.body["rejected"]
    assert rejected["id"] == broken["id"] and rejected["code"] == "invalid_record"
    assert any(p["field"] == "author" for p in rejected["problems"])


def test_a_push_body_not_in_the_wire_format_is_a_422_naming_the_field(
    tmp_path: Path, central: Endpoint
) -> None:
    a = central.laptop(tmp_path / "a", "7001")
    for body, field in (('{"events":{}}', "events"), ('{"events":[],"more":1}', "more"),
                        ("{}", "events"), ("[]", "")):
        reply = a.transport.request("POST", "/v1/push", body=body)
        assert reply.status == 422, body
        assert reply.body["error"] == "invalid_request"
        assert [p["field"] for p in reply.body["problems"]] == [field]
    assert central.event_ids() == []


def test_an_unreadable_erasure_order_stops_the_page_and_keeps_the_cursor(
    tmp_path: Path, central: Endpoint
) -> None:
    a, b = central.laptop(tmp_path / "a", "7001"), central.laptop(tmp_path / "b", "7002")
    a.store.append(case())
    a.client.run_once()

    def bad_erasure(method: str, path: str, body: Any) -> Any:
        if path == "/v1/pull":
            body["erasures"] = [{"aggregate_ids": ["x"], "reason": "r", "erased_at": "never"}]
        return body

    b.transport.tamper = bad_erasure
    with pytest.raises(SyncError, match="cannot read"):
        b.client.run_once()
    assert b.ids() == [] and b.store.cursor() is None
    b.transport.tamper = None
    assert b.client.run_once().pulled == 3


def test_pages_follow_the_cursor_to_the_end(tmp_path: Path, central: Endpoint) -> None:
    a, b = central.laptop(tmp_path / "a", "7001"), central.laptop(tmp_path / "b", "7002")
    events = [e for _ in range(170) for e in case()]  # 510: two pages
    a.store.append(events)
    assert a.client.run_once().pushed == 510
    assert b.client.run_once().pulled == 510
    pulls = [s for s in b.transport.sent if s[1] == "/v1/pull"]
    assert len(pulls) == 2
    assert sorted(b.ids()) == sorted(e.id for e in events)


def test_a_rotation_asked_for_is_taken_and_the_old_token_dies(
    tmp_path: Path, central: Endpoint
) -> None:
    a = central.laptop(tmp_path / "a", "7001")
    old = a.transport.token
    central.storage.request_rotation(a.device_id, now=central.clock.now(), actor="test")
    assert a.client.run_once().token_rotated
    assert a.transport.token != old and a.store.get_setting("sync.token") == a.transport.token
    a.store.append(case())
    assert a.client.run_once().pushed == 3  # the new token, first used
    a.transport.set_token(old)
    assert a.transport.request("GET", "/v1/pull").status == 401


def test_a_laptop_marked_for_wiping_is_told_once(tmp_path: Path, central: Endpoint) -> None:
    a = central.laptop(tmp_path / "a", "7001")
    central.storage.set_device_status(a.device_id, "wipe", now=central.clock.now(), actor="t")
    with pytest.raises(DeviceWipe):
        a.client.run_once()
    with pytest.raises(SyncError, match="not enrolled"):
        a.client.run_once()


def test_a_call_back_after_the_offer_reaches_the_other_laptop(
    tmp_path: Path, central: Endpoint
) -> None:
    a, b = central.laptop(tmp_path / "a", "7001"), central.laptop(tmp_path / "b", "7002")
    events = case()
    a.store.append(events)
    a.client.run_once()
    b.client.run_once()
    later = callback(events[1].aggregate_id, "no_answer", AT + timedelta(days=21),
                     author="7001", device="laptop-a")
    a.store.append([later])
    a.client.run_once()
    assert b.client.run_once().pulled == 1
    assert later.id in b.ids()


def test_batches_sent_two_in_flight_carry_each_event_once(
    tmp_path: Path, central: Endpoint
) -> None:
    a = central.laptop(tmp_path / "a", "7001")
    events = [e for _ in range(300) for e in case()]  # 900: two batches, the second overlapped
    a.store.append(events)
    assert a.client.run_once().pushed == 900
    bodies = [orjson.loads(body or "{}") for _, path, body in a.transport.sent
              if path == "/v1/push"]
    sent = [item["id"] for body in bodies for item in body["events"]]
    assert [len(body["events"]) for body in bodies] == [500, 400]
    assert sorted(sent) == sorted(e.id for e in events)
    assert central.event_ids() == [e.id for e in events] and a.store.outbox_count() == 0


def test_a_refused_batch_stops_the_push_with_the_next_still_unsent(
    tmp_path: Path, central: Endpoint
) -> None:
    a = central.laptop(tmp_path / "a", "7001")
    events = [e for _ in range(300) for e in case()]
    a.store.append(events)

    def confirm_nothing(method: str, path: str, body: Any) -> Any:
        return {"accepted": [], "rejected": []} if path == "/v1/push" else body

    a.transport.tamper = confirm_nothing
    with pytest.raises(SyncError, match="did not confirm"):
        a.client.run_once()
    assert [path for _, path, _ in a.transport.sent].count("/v1/push") == 1
    assert a.store.outbox_count() == 900
    a.transport.tamper = None
    assert a.client.run_once().pushed == 900 and len(central.event_ids()) == 900


class PageLog:
    """The laptop's real store, noting each page handed to it (a sync store, as client.py
    asks for one)."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.applied: list[tuple[int, str]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def apply_pulled(self, events: Any, cursor: str, erasures: Any = ()) -> Any:
        self.applied.append((len(events), cursor))
        return self.store.apply_pulled(events, cursor, erasures)


def test_a_sync_with_nothing_new_opens_no_transaction_on_the_laptop(
    tmp_path: Path, central: Endpoint
) -> None:
    a, b = central.laptop(tmp_path / "a", "7001"), central.laptop(tmp_path / "b", "7002")
    logs = {name: PageLog(laptop.store) for name, laptop in (("a", a), ("b", b))}
    clients = {name: SyncClient(log, laptop.transport, policy=load_policy(),  # type: ignore[arg-type]
                                catalogue=load_catalogue(), sleep=lambda _: None,
                                retry=Retry(attempts=2))
               for (name, log), laptop in zip(logs.items(), (a, b), strict=True)}
    a.store.append(case())
    clients["a"].run_once()
    # A's own records come back as a cursor moved past them: that page is applied.
    assert [n for n, _ in logs["a"].applied] == [0] and a.store.cursor() is not None
    assert clients["b"].run_once().pulled == 3 and [n for n, _ in logs["b"].applied] == [3]
    held = {name: laptop.store.cursor() for name, laptop in (("a", a), ("b", b))}
    for name in ("a", "b"):
        logs[name].applied.clear()
        summary = clients[name].run_once()
        assert (summary.pushed, summary.pulled, logs[name].applied) == (0, 0, [])
    assert {name: laptop.store.cursor() for name, laptop in (("a", a), ("b", b))} == held
    # Something new is applied again, with its cursor.
    a.store.append(case())
    clients["a"].run_once()
    assert clients["b"].run_once().pulled == 3 and [n for n, _ in logs["b"].applied] == [3]
    assert b.store.cursor() != held["b"]
