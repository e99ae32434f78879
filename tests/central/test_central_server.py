"""A real uvicorn server on 127.0.0.1, both back ends: laptops pushing overlapping batches at
the same time while another pulls, and limits enforced on the wire."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterator

import pytest
import requests
from central_support import Events, FakeClock, LiveServer, add_officer, issue_code

from central.app import create_app
from central.config import Settings
from central.storage.sql import SqlStorage
from fieldapp.domain.events import Event


@pytest.fixture
def server(storage: SqlStorage) -> Iterator[LiveServer]:
    relaxed = Settings(rate_burst=100_000, enrol_burst=1000)
    with LiveServer(create_app(storage, settings=relaxed, clock=FakeClock())) as live:
        yield live


def enrol(server: LiveServer, storage: SqlStorage, collar: str) -> requests.Session:
    session = requests.Session()
    answer = session.post(f"{server.url}/v1/enrol",
                          json={"code": issue_code(storage, collar), "device_name": "Laptop"})
    assert answer.status_code == 200, answer.text
    session.headers["Authorization"] = f"Bearer {answer.json()['token']}"
    return session


def test_concurrent_overlapping_pushes_and_a_pull_meanwhile_lose_and_repeat_nothing(
    server: LiveServer, storage: SqlStorage
) -> None:
    authors = ["100", "101", "102"]
    for collar in [*authors, "900"]:
        add_officer(storage, collar, team="T1")
    make = Events()
    own: dict[str, list[Event]] = {}
    for collar in authors:
        occ = make.occurrence(collar, oic=collar, district="Leeds")
        own[collar] = [occ] + [make.leaflets(collar, occ.aggregate_id) for _ in range(44)]
    every = {e.id for events in own.values() for e in events}
    sessions = {c: [enrol(server, storage, c), enrol(server, storage, c)] for c in authors}
    reader = enrol(server, storage, "900")

    seqs: dict[str, set[int]] = defaultdict(set)
    failures: list[str] = []
    lock = threading.Lock()
    pushing = threading.Event()
    barrier = threading.Barrier(len(authors) * 4 + 1)

    def push(session: requests.Session, events: list[Event]) -> None:
        barrier.wait()
        for start in range(0, len(events), 13):
            batch = [e.to_dict() for e in events[start : start + 13]]
            answer = session.post(f"{server.url}/v1/push", json={"events": batch}, timeout=60)
            with lock:
                if answer.status_code != 200 or answer.json()["rejected"]:
                    failures.append(answer.text)
                    continue
                for accepted in answer.json()["accepted"]:
                    seqs[accepted["id"]].add(accepted["seq"])

    pulled: list[str] = []

    def pull() -> None:
        barrier.wait()
        cursor = None
        while True:
            finished = not pushing.is_set()
            while True:
                params = {"limit": 7} | ({"cursor": cursor} if cursor else {})
                page = reader.get(f"{server.url}/v1/pull", params=params, timeout=60).json()
                pulled.extend(item["event"]["id"] for item in page["items"])
                cursor = page["cursor"]
                if not page["more"]:
                    break
            if finished:
                return

    pushing.set()
    threads = [
        threading.Thread(target=push, args=(session, events))
        for collar in authors
        for session in sessions[collar]
        # The second order overlaps the first from the other end; each laptop sends a case's
        # occurrence before what is recorded under it, as an outbox does.
        for events in (own[collar], [own[collar][0], *own[collar][:0:-1]])
    ]
    puller = threading.Thread(target=pull)
    for t in [*threads, puller]:
        t.start()
    for t in threads:
        t.join()
    pushing.clear()
    puller.join()

    assert failures == []
    assert set(seqs) == every
    assert all(len(s) == 1 for s in seqs.values()), "one event, two seqs"
    assert len({next(iter(s)) for s in seqs.values()}) == len(every), "one seq, two events"
    with storage.backend.transaction("read") as tx:
        assert tx.query("SELECT COUNT(*) FROM events") == [(len(every),)]
    assert len(pulled) == len(set(pulled)), "an event was pulled twice"
    assert set(pulled) == every, "an event was never pulled"


def test_a_streamed_body_over_the_limit_is_cut_off(
    server: LiveServer, storage: SqlStorage
) -> None:
    add_officer(storage, "100")
    session = enrol(server, storage, "100")

    def chunks() -> Iterator[bytes]:
        yield b'{"events": ['
        for _ in range(300):
            yield b" " * 10_000
        yield b"]}"

    answer = session.post(f"{server.url}/v1/push", data=chunks(),
                          headers={"Content-Type": "application/json"}, timeout=60)
    assert answer.status_code == 413
    assert answer.json()["error"] == "body_too_large"
    assert session.get(f"{server.url}/v1/health").status_code == 200
