"""The HTTP API through FastAPI's TestClient, on both back ends: enrolment, authentication,
device status, push and pull semantics, limits, and strict handling of any body."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from central_support import START, Events, FakeClock, add_officer, issue_code
from fastapi.testclient import TestClient

from central import cursor as cursors
from central.app import create_app
from central.config import Settings
from central.storage.sql import SqlStorage
from fieldapp.domain.problems import format_utc

STAMP = format_utc(START)


@pytest.fixture
def settings() -> Settings:
    return Settings(rate_burst=1000, enrol_burst=1000)


@pytest.fixture
def client(storage: SqlStorage, clock: FakeClock, settings: Settings) -> Iterator[TestClient]:
    add_officer(storage, "100", team="T1")
    add_officer(storage, "101", team="T1")
    add_officer(storage, "200", team="T2")
    with TestClient(create_app(storage, settings=settings, clock=clock)) as test_client:
        yield test_client


def enrol(client: TestClient, storage: SqlStorage, collar: str) -> dict[str, Any]:
    answer = client.post(
        "/v1/enrol", json={"code": issue_code(storage, collar), "device_name": " Laptop 7 "}
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def auth(device: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {device['token']}"}


def assert_error(answer: Any, status: int, error: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    body: dict[str, Any] = answer.json()
    assert body["error"] == error
    assert body["message"] and body["server_time"] == STAMP
    assert answer.headers["X-Server-Time"] == STAMP
    return body


# ---------------------------------------------------------------------- enrolment and auth


def test_enrolment_returns_a_token_once_and_the_code_is_spent(
    client: TestClient, storage: SqlStorage
) -> None:
    code = issue_code(storage, "100")
    answer = client.post("/v1/enrol", json={"code": code.lower(), "device_name": "Laptop 7"})
    assert answer.status_code == 200
    body = answer.json()
    assert body["officer"] == {"collar": "100", "name": "Officer 100", "role": "officer",
                               "team": "T1", "district": "Leeds"}
    assert len(body["token"]) >= 43 and body["server_time"] == STAMP
    assert body["device_id"].startswith("dev_")
    again = client.post("/v1/enrol", json={"code": code, "device_name": "Laptop 8"})
    assert_error(again, 403, "invalid_enrolment_code")
    with storage.backend.transaction("read") as tx:
        stored = tx.query("SELECT token_hash FROM devices")
    assert body["token"] not in json.dumps(stored)


def test_an_expired_code_does_not_enrol(
    client: TestClient, storage: SqlStorage, clock: FakeClock
) -> None:
    code = issue_code(storage, "100")
    clock.advance(72 * 3600 + 1)
    answer = client.post("/v1/enrol", json={"code": code, "device_name": "Laptop"})
    assert answer.status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"device_name": "Laptop"}, "code"),
        ({"code": "X", "device_name": "   "}, "device_name"),
        ({"code": "X", "device_name": "Lap\u0007top"}, "device_name"),
        ({"code": 12345, "device_name": "Laptop"}, "code"),
        ({"code": "X", "device_name": "Laptop", "admin": True}, "admin"),
    ],
)
def test_enrolment_bodies_are_checked_with_readable_messages(
    client: TestClient, body: dict[str, Any], field: str
) -> None:
    problems = assert_error(client.post("/v1/enrol", json=body), 422, "invalid_request")[
        "problems"
    ]
    assert [p["field"] for p in problems] == [field]
    assert "pydantic" not in json.dumps(problems).lower()


def test_requests_without_a_known_token_are_refused(client: TestClient) -> None:
    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer nope"},
                    {"Authorization": "Bearer " + "x" * 500}):
        for answer in (client.get("/v1/pull", headers=headers),
                       client.post("/v1/push", json={"events": []}, headers=headers)):
            assert answer.status_code == 401
            assert answer.headers["WWW-Authenticate"] == "Bearer"
            assert answer.json()["error"] in ("unauthenticated", "unknown_token")


def test_a_revoked_laptop_is_refused_and_a_wiping_one_is_told_once_then_dead(
    client: TestClient, storage: SqlStorage
) -> None:
    device = enrol(client, storage, "100")
    storage.set_device_status(device["device_id"], "wipe", now=START, actor="test")
    event = Events().occurrence("100", oic="100", district="Leeds")
    pushed = client.post("/v1/push", json={"events": [event.to_dict()]}, headers=auth(device))
    body = assert_error(pushed, 403, "device_wipe")
    assert body["device_status"] == "wipe"
    with storage.backend.transaction("read") as tx:
        assert tx.query("SELECT id FROM events") == []
    # The order was given: the token is dead for push, pull and rotation alike.
    for answer in (client.get("/v1/pull", headers=auth(device)),
                   client.post("/v1/push", json={"events": []}, headers=auth(device)),
                   client.post("/v1/rotate", headers=auth(device))):
        assert_error(answer, 401, "unknown_token")
    assert [e.action for e in storage.access_log()][-1] == "wipe_ordered"
    other = enrol(client, storage, "100")
    storage.set_device_status(other["device_id"], "wipe", now=START, actor="test")
    assert_error(client.post("/v1/rotate", headers=auth(other)), 403, "device_wipe")
    revoked = enrol(client, storage, "100")
    storage.set_device_status(revoked["device_id"], "revoked", now=START, actor="test")
    for answer in (client.get("/v1/pull", headers=auth(revoked)),
                   client.post("/v1/push", json={"events": []}, headers=auth(revoked))):
        assert_error(answer, 401, "device_revoked")


def test_each_laptop_is_rate_limited_on_its_own(
    storage: SqlStorage, clock: FakeClock
) -> None:
    add_officer(storage, "100")
    limited = Settings(rate_per_second=0.5, rate_burst=3, enrol_rate_per_second=0.1,
                       enrol_burst=2)
    with TestClient(create_app(storage, settings=limited, clock=clock)) as client:
        first, second = enrol(client, storage, "100"), enrol(client, storage, "100")
        third = client.post("/v1/enrol", json={"code": "ABCDE", "device_name": "Laptop"})
        assert_error(third, 429, "rate_limited")
        assert third.headers["Retry-After"] == "10"
        for _ in range(3):
            assert client.get("/v1/pull", headers=auth(first)).status_code == 200
        answer = client.get("/v1/pull", headers=auth(first))
        assert_error(answer, 429, "rate_limited")
        assert answer.headers["Retry-After"] == "2"
        assert client.get("/v1/pull", headers=auth(second)).status_code == 200
        clock.advance(2)
        assert client.get("/v1/pull", headers=auth(first)).status_code == 200


# ---------------------------------------------------------------------- push


def test_a_batch_is_judged_event_by_event(client: TestClient, storage: SqlStorage) -> None:
    device = enrol(client, storage, "100")
    make = Events()
    occ = make.occurrence("100", oic="100", district="Leeds")
    good = make.leaflets("100", occ.aggregate_id)
    client.post("/v1/push", json={"events": [occ.to_dict()]}, headers=auth(device))
    conflicting = dict(occ.to_dict(), recorded_at=format_utc(START - timedelta(minutes=1)))
    invalid = dict(good.to_dict(), id=make.leaflets("100", occ.aggregate_id).id,
                   payload={"leaflets": ["no_such_leaflet"]})
    someone_else = make.leaflets("101", occ.aggregate_id)
    batch = [
        good.to_dict(), invalid, "not an event", someone_else.to_dict(), conflicting,
        occ.to_dict(), {"id": "x" * 100},
    ]
    answer = client.post("/v1/push", json={"events": batch}, headers=auth(device))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    seqs = {a["id"]: a["seq"] for a in body["accepted"]}
    assert set(seqs) == {good.id, occ.id}
    assert body["device_status"] == "active" and body["server_time"] == STAMP
    rejected = body["rejected"]
    assert [r["id"] for r in rejected] == [invalid["id"], None, someone_else.id, occ.id, None]
    assert any(p["field"] == "payload.leaflets" for p in rejected[0]["problems"])
    assert rejected[2]["problems"][0]["field"] == "author"
    assert "another officer" in rejected[2]["problems"][0]["message"]
    assert rejected[3]["problems"][0]["field"] == "id"
    with storage.backend.transaction("read") as tx:
        ids = {row[0] for row in tx.query("SELECT id FROM events")}
    assert ids == {occ.id, good.id}
    log = [e for e in storage.access_log() if e.action == "push"][-1]
    assert log.detail["rejected"] == 3 and log.detail["conflicting"] == [occ.id]
    assert [r["code"] for r in rejected] == [
        "invalid_record", "invalid_record", "wrong_author", "id_conflict", "invalid_record"
    ]
    assert [(r["id"], r["code"]) for r in log.detail["refused"]] == [
        (someone_else.id, "wrong_author")
    ]


def test_events_are_judged_against_the_server_clock(
    client: TestClient, storage: SqlStorage, clock: FakeClock
) -> None:
    device = enrol(client, storage, "100")
    soon = Events(now=START + timedelta(hours=24)).occurrence("100", "100", "Leeds")
    later = Events(now=START + timedelta(hours=26)).occurrence("100", "100", "Leeds")
    answer = client.post(
        "/v1/push", json={"events": [soon.to_dict(), later.to_dict()]}, headers=auth(device)
    ).json()
    assert [a["id"] for a in answer["accepted"]] == [soon.id]
    assert answer["rejected"][0]["problems"][0]["field"] == "occurred_at"
    clock.advance(3 * 3600)
    assert client.post("/v1/push", json={"events": [later.to_dict()]},
                       headers=auth(device)).json()["accepted"][0]["id"] == later.id


def test_a_date_the_event_reader_cannot_handle_rejects_only_that_event(
    client: TestClient, storage: SqlStorage
) -> None:
    device = enrol(client, storage, "100")
    occ = Events().occurrence("100", oic="100", district="Leeds")
    odd = dict(Events().occurrence("100", "100", "Leeds").to_dict(),
               recorded_at="0001-01-01T00:00:00+01:00")
    answer = client.post("/v1/push", json={"events": [odd, occ.to_dict()]}, headers=auth(device))
    assert answer.status_code == 200
    assert [a["id"] for a in answer.json()["accepted"]] == [occ.id]
    assert answer.json()["rejected"][0]["id"] == odd["id"]


def test_a_correction_as_the_laptop_writes_it_is_accepted(
    client: TestClient, storage: SqlStorage
) -> None:
    device = enrol(client, storage, "100")
    make = Events()
    occ = make.occurrence("100", oic="100", district="Leeds")
    fix = make.correct_occurrence("100", occ, oic="200", district="Leeds")
    assert fix.to_dict()["payload"]["occurred_at"] == ""
    answer = client.post("/v1/push", json={"events": [occ.to_dict(), fix.to_dict()]},
                         headers=auth(device)).json()
    assert answer["rejected"] == [] and len(answer["accepted"]) == 2
    # The workaround does not change what is stored: the laptop's own canonical JSON.
    with storage.backend.transaction("read") as tx:
        assert tx.query("SELECT body FROM events WHERE id = ?", (fix.id,)) == [(fix.to_json(),)]
    again = client.post("/v1/push", json={"events": [fix.to_dict()]}, headers=auth(device))
    assert again.json()["accepted"] == [answer["accepted"][1]]


def test_too_many_events_or_bytes_are_refused_before_anything_is_stored(
    client: TestClient, storage: SqlStorage
) -> None:
    device = enrol(client, storage, "100")
    event = Events().occurrence("100", "100", "Leeds").to_dict()
    answer = client.post("/v1/push", json={"events": [event] * 501}, headers=auth(device))
    assert "500" in assert_error(answer, 413, "too_many_events")["message"]
    padding = {"events": [], "pad": "x" * (2 * 1024 * 1024)}
    assert_error(client.post("/v1/push", json=padding, headers=auth(device)), 413,
                 "body_too_large")
    streamed = client.post(
        "/v1/push", content=iter([b'{"events": [', b" " * (2 * 1024 * 1024), b"]}"]),
        headers={**auth(device), "Content-Type": "application/json"},
    )
    assert_error(streamed, 413, "body_too_large")
    with storage.backend.transaction("read") as tx:
        assert tx.query("SELECT COUNT(*) FROM events") == [(0,)]


NASTY_BODIES = [
    b"",
    b"   ",
    b"{",
    b"[]",
    b'"events"',
    b"null",
    b"12",
    b'{"events": null}',
    b'{"events": {"a": 1}}',
    b'{"events": [], "more": 1}',
    b'{"events": [NaN]}',
    b'{"events": [Infinity]}',
    b'{"events": [1e999999]}',
    b'{"events": [' + b"9" * 5000 + b"]}",
    b'{"events": [], "events": []}',
    b'{"events": ["\\ud800"]}',
    b'{"events": ["\xff\xfe"]}',
    b"\xef\xbb\xbf{}",
    b'{"events": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    b'{"events": [' + b'{"a":' * 40 + b"1" + b"}" * 40 + b"]}",
    b'{"events": [{"id": 1, "type": [], "payload": "x", "occurred_at": 99}]}',
    b'{"events": [{"id": "01a21327-f64a-7856-b207-080dbe45bf3e", "type": "event_corrected",'
    b' "payload": {"target_type": "event_corrected", "payload": [[[]]]}}]}',
]


@pytest.mark.parametrize("raw", NASTY_BODIES, ids=range(len(NASTY_BODIES)))
def test_no_body_makes_the_server_fail(
    client: TestClient, storage: SqlStorage, raw: bytes
) -> None:
    device = enrol(client, storage, "100")
    for path, headers in (("/v1/push", auth(device)), ("/v1/enrol", {})):
        answer = client.post(path, content=raw,
                             headers={**headers, "Content-Type": "application/json"})
        assert answer.status_code < 500, (path, answer.status_code, answer.text)
        body = answer.json()
        assert body["server_time"] == STAMP
        if answer.status_code == 200:  # well-formed, so each event was judged on its own
            assert path == "/v1/push" and body["accepted"] == [] and body["rejected"]
        else:
            assert 400 <= answer.status_code < 500 and body["message"]
    with storage.backend.transaction("read") as tx:
        assert tx.query("SELECT COUNT(*) FROM events") == [(0,)]


def test_bodies_must_be_declared_json(client: TestClient, storage: SqlStorage) -> None:
    device = enrol(client, storage, "100")
    answer = client.post("/v1/push", content=b'{"events": []}',
                         headers={**auth(device), "Content-Type": "text/plain"})
    assert_error(answer, 415, "unsupported_media_type")


# ---------------------------------------------------------------------- pull


def test_pull_pages_through_what_the_officer_may_see(
    client: TestClient, storage: SqlStorage, clock: FakeClock
) -> None:
    author, reader, outsider = (enrol(client, storage, c) for c in ("100", "101", "200"))
    make = Events()
    occ = make.occurrence("100", oic="100", district="Leeds")
    made = [occ] + [make.leaflets("100", occ.aggregate_id) for _ in range(6)]
    clock.advance(5)
    pushed = client.post("/v1/push", json={"events": [e.to_dict() for e in made]},
                         headers=auth(author)).json()
    seq_of = {a["id"]: a["seq"] for a in pushed["accepted"]}

    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 4} | ({"cursor": cursor} if cursor else {})
        page = client.get("/v1/pull", params=params, headers=auth(reader)).json()
        items += page["items"]
        cursor = page["cursor"]
        assert page["device_status"] == "active"
        if not page["more"]:
            break
    assert [i["event"] for i in items] == [e.to_dict() for e in made]
    assert all(i["seq"] == seq_of[i["event"]["id"]] for i in items)
    assert {i["received_at"] for i in items} == {format_utc(START + timedelta(seconds=5))}
    final = client.get("/v1/pull", params={"cursor": cursor}, headers=auth(reader)).json()
    assert final["items"] == [] and final["cursor"] == cursor and final["more"] is False
    assert client.get("/v1/pull", headers=auth(outsider)).json()["items"] == []
    assert client.get("/v1/pull", headers=auth(author)).json()["items"] == []


@pytest.mark.parametrize(
    "cursor",
    ["", "abc", "1AAAAAAAAAAB", "2AAAAAAAAAAA", "1_AAAAAAAAAA",
     cursors.encode(cursors.Position(5, 1)) + "=", "1AAAAAAAAAAE" + "AAAAAAAAAAE"],
)
def test_a_malformed_cursor_is_a_clear_400(
    client: TestClient, storage: SqlStorage, cursor: str
) -> None:
    device = enrol(client, storage, "100")
    answer = client.get("/v1/pull", params={"cursor": cursor}, headers=auth(device))
    assert "cursor" in assert_error(answer, 400, "bad_cursor")["message"]


def test_cursors_round_trip_every_position() -> None:
    for feed in (0, 1, 63, 2**32, 2**63 - 1):
        for notices in (0, 7, 2**63 - 1):
            position = cursors.Position(feed, notices)
            assert cursors.decode(cursors.encode(position)) == position


def test_a_cursor_from_before_erasure_notices_is_still_read() -> None:
    # Version 1: "1" and the feed position alone. Its laptop is told every erasure since.
    assert cursors.decode("1AAAAAAAAAAU") == cursors.Position(5, 0)


@pytest.mark.parametrize("limit", ["0", "1001", "ten", "-1", "9" * 50])
def test_pull_limits_are_checked(client: TestClient, storage: SqlStorage, limit: str) -> None:
    device = enrol(client, storage, "100")
    answer = client.get("/v1/pull", params={"limit": limit}, headers=auth(device))
    problems = assert_error(answer, 422, "invalid_request")["problems"]
    assert problems[0]["field"] == "limit"
    assert problems[0]["message"].startswith("The number of records to fetch")


# ---------------------------------------------------------------------- every response


def test_every_response_carries_the_server_time(client: TestClient) -> None:
    for answer in (client.get("/v1/time"), client.get("/v1/health"), client.get("/nowhere"),
                   client.put("/v1/pull"), client.get("/v1/pull")):
        assert answer.headers["X-Server-Time"] == STAMP
        assert answer.headers["Cache-Control"] == "no-store"
        assert answer.json()["server_time"] == STAMP
    assert client.put("/v1/pull").status_code == 405
    assert client.get("/v1/health").json()["status"] == "ok"


def test_an_unreachable_database_is_503_not_500(clock: FakeClock) -> None:
    from central.storage import open_storage

    broken = open_storage("postgresql://postgres@127.0.0.1:9/none")
    with TestClient(create_app(broken, clock=clock)) as client:
        answer = client.get("/v1/health")
        assert_error(answer, 503, "unavailable")
        assert answer.headers["Retry-After"] == "5"
        assert client.get("/v1/pull", headers={"Authorization": "Bearer x"}).status_code == 503


def test_a_broken_schema_is_a_500_that_reveals_and_logs_no_payload(
    client: TestClient, storage: SqlStorage, caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    device = enrol(client, storage, "100")
    with storage.backend.transaction("write") as tx:
        tx.execute("DROP TABLE scope_edges")
    make = Events()
    occurrence = make.occurrence("100", oic="100", district="Leeds")
    household = make.household("100", occurrence.aggregate_id)
    secret = household.to_dict()["payload"]["address"]
    with caplog.at_level(logging.DEBUG):
        answer = client.post("/v1/push", json={"events": [occurrence.to_dict(),
                                                          household.to_dict()]},
                             headers=auth(device))
    assert_error(answer, 500, "internal_error")
    out, err = capfd.readouterr()
    assert "unhandled" in caplog.text
    assert secret not in caplog.text + out + err + answer.text


def test_push_and_pull_leave_no_payload_in_logs(
    client: TestClient, storage: SqlStorage, caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    author, reader = enrol(client, storage, "100"), enrol(client, storage, "101")
    household = Events().household("100", "018f0000-0000-7000-8000-000000000001")
    with caplog.at_level(logging.DEBUG):
        client.post("/v1/push", json={"events": [household.to_dict()]}, headers=auth(author))
        client.get("/v1/pull", headers=auth(reader))
    out, err = capfd.readouterr()
    logged = caplog.text + out + err + json.dumps([e.detail for e in storage.access_log()])
    assert "High Street" not in logged and "Alex" not in logged
    actions = [(e.action, e.officer, e.address) for e in storage.access_log()][-2:]
    assert actions == [("push", "100", "testclient"), ("pull", "101", "testclient")]


def test_unknown_parameters_are_refused(client: TestClient, storage: SqlStorage) -> None:
    device = enrol(client, storage, "100")
    answer = client.get("/v1/pull", params={"curser": cursors.encode(cursors.Position(3))},
                        headers=auth(device))
    problems = assert_error(answer, 422, "invalid_request")["problems"]
    assert problems == [{"field": "curser", "message": "Unknown parameter: leave it out."}]


def test_wrong_enrolment_codes_are_counted_across_processes_and_restarts(
    storage: SqlStorage, database_url: str, clock: FakeClock
) -> None:
    from central.storage import open_storage

    relaxed = Settings(rate_burst=1000, enrol_burst=1000)
    others = [open_storage(database_url) for _ in range(2)]
    try:
        first, second = (TestClient(create_app(s, settings=relaxed, clock=clock))
                         for s in others)
        wrong = {"code": "ABCD-EFGH-JKLM", "device_name": "Laptop"}
        for n in range(10):
            answer = (first if n % 2 else second).post("/v1/enrol", json=wrong)
            assert_error(answer, 403, "invalid_enrolment_code")
        for app in (first, second):
            assert_error(app.post("/v1/enrol", json=wrong), 429, "rate_limited")
        # A restarted endpoint remembers; a right code is refused too until the window passes.
        add_officer(storage, "100")
        code = issue_code(storage, "100")
        restarted = TestClient(create_app(storage, settings=relaxed, clock=clock))
        refused = restarted.post("/v1/enrol", json={"code": code, "device_name": "Laptop"})
        assert_error(refused, 429, "rate_limited")
        assert 0 < int(refused.headers["Retry-After"]) <= 3601
        clock.advance(3601)
        assert restarted.post(
            "/v1/enrol", json={"code": code, "device_name": "Laptop"}
        ).status_code == 200
        assert sum(e.action == "enrol_failed" for e in storage.access_log()) == 10
    finally:
        for s in others:
            s.close()
