"""Push and pull throughput of the central endpoint (run by hand; not part of the tests).

    .venv/bin/python bench/bench_central.py [--events 100000] [--database postgresql://...]

Three ways of getting the same events into the server, each into a fresh database:
  (a) a naive client, one event per HTTP request: the baseline; sampled, see --naive-sample;
  (b) the sync client's way, HTTP batches of 500;
  (c) the server's own bulk insert, Storage.push in batches of 500 with no HTTP at all.
Then a supervisor who may see everything pulls it all back the same three ways: one event per
request (sampled), pages of 1000, and Storage.pull. The server runs as its own process
(fieldapp-central serve) on 127.0.0.1, so client and server do not share an interpreter.
Ratios are against the naive way in the same run.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import requests
import uuid6

from central import security
from central.storage import open_storage
from central.storage.base import Caller, Officer
from central.storage.sql import SqlStorage
from fieldapp.domain.events import Event, EventType, Rules, make_event
from fieldapp.resources import load_catalogue

BATCH = 500
PAGE = 1000
TEAMS = 4
PER_TEAM = 5
DISTRICT = "Leeds"


def make_events(count: int, now: datetime) -> list[Event]:
    """Occurrences with leaflets and households, each household offered VCAS and called back."""
    rules = Rules(load_catalogue(), now=now, future_tolerance=timedelta(hours=24))
    collars = [f"{t}{o:02d}" for t in range(1, TEAMS + 1) for o in range(PER_TEAM)]
    rng = random.Random(7)
    made: list[Event] = []

    def add(kind: EventType, aggregate: str, payload: dict[str, Any], author: str) -> None:
        made.append(make_event(
            event_id=str(uuid6.uuid7()), event_type=kind, aggregate_id=aggregate, payload=payload,
            occurred_at=now - timedelta(days=1), recorded_at=now - timedelta(hours=20),
            author=author, device_id="dev_bench", rules=rules,
        ))

    while len(made) < count:
        author = rng.choice(collars)
        occ = str(uuid6.uuid7())
        add(EventType.OCCURRENCE_RECORDED, occ,
            {"reference": "13/123456/24", "offence_types": ["iioc"],
             "oic": rng.choice(collars), "district": DISTRICT}, author)
        add(EventType.LEAFLET_ISSUED, occ,
            {"person_name": "Sam Person", "leaflets": ["samaritans", "safer_lives"],
             "outcome": "handed", "risk_indicators": [],
             "no_risk_seen": True, "escalated": False}, author)
        for _ in range(3):
            household = str(uuid6.uuid7())
            add(EventType.HOUSEHOLD_RECORDED, household,
                {"occurrence_id": occ, "address": "1 High Street, Leeds", "postcode": "LS1 4HY",
                 "members": [{"relationship": "partner", "name": "Alex"}]}, author)
            add(EventType.VCAS_OFFERED, household, {"outcome": "declined"}, author)
            add(EventType.CALLBACK_ATTEMPTED, household, {"outcome": "no_answer"}, author)
    return made[:count]


def fresh_database(base: str | None, workdir: Path, name: str) -> str:
    if base is None:
        return f"sqlite:///{workdir / (name + '.db')}"
    with psycopg.connect(base, autocommit=True) as conn:
        db = f"bench_{name}_{os.getpid()}"
        conn.execute(f'DROP DATABASE IF EXISTS "{db}"')
        conn.execute(f'CREATE DATABASE "{db}"')
    return base.rsplit("/", 1)[0] + "/" + db


def prepare(url: str, now: datetime) -> tuple[SqlStorage, dict[str, tuple[Caller, str]]]:
    """Officers in teams, a supervisor, and one enrolled laptop each."""
    storage = open_storage(url)
    storage.migrate(now)
    laptops: dict[str, tuple[Caller, str]] = {}
    collars = [f"{t}{o:02d}" for t in range(1, TEAMS + 1) for o in range(PER_TEAM)] + ["SUP"]
    for collar in collars:
        role = "supervisor" if collar == "SUP" else "officer"
        storage.add_officer(Officer(collar, collar, role, collar[0], DISTRICT), now=now,
                            actor="bench")
        code = security.new_enrolment_code()
        storage.add_enrolment_code(collar, security.code_digest(code), now=now,
                                   expires_at=now + timedelta(hours=1), actor="bench")
        token = security.new_token()
        storage.enrol(security.code_digest(code), device_id=security.new_device_id(),
                      device_name="bench", token_hash=security.digest(token), now=now,
                      address=None)
        caller = storage.caller(security.digest(token), now=now)
        assert caller is not None
        laptops[collar] = (caller, token)
    return storage, laptops


def batches(events: list[Event], size: int) -> list[tuple[str, list[Event]]]:
    by_author: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        by_author[event.author].append(event)
    return [(author, own[i : i + size]) for author, own in by_author.items()
            for i in range(0, len(own), size)]


class Server:
    def __init__(self, url: str) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "central", "serve", "--database", url, "--host", "127.0.0.1",
             "--port", str(self.port), "--rate", "1000000", "--burst", "1000000"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{self.base}/v1/health", timeout=1).ok:
                    return
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


def http_push(server: Server, laptops: dict[str, tuple[Caller, str]],
              work: list[tuple[str, list[Event]]]) -> int:
    sessions: dict[str, requests.Session] = {}
    count = 0
    for author, batch in work:
        session = sessions.get(author)
        if session is None:
            session = sessions[author] = requests.Session()
            session.headers["Authorization"] = f"Bearer {laptops[author][1]}"
        answer = session.post(f"{server.base}/v1/push",
                              json={"events": [e.to_dict() for e in batch]}, timeout=300)
        answer.raise_for_status()
        body = answer.json()
        assert not body["rejected"], body["rejected"][:1]
        count += len(body["accepted"])
    return count


def http_pull(server: Server, token: str, limit: int, stop_after: int | None = None) -> int:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    count, cursor = 0, None
    while True:
        params: dict[str, Any] = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        page = session.get(f"{server.base}/v1/pull", params=params, timeout=300).json()
        count += len(page["items"])
        cursor = page["cursor"]
        if not page["more"] or (stop_after is not None and count >= stop_after):
            return count


def storage_pull(storage: SqlStorage, caller: Caller, now: datetime) -> int:
    count, after = 0, 0
    while True:
        page = storage.pull(caller, after=after, limit=PAGE, now=now, address=None)
        count += len(page.items)
        after = page.position
        if not page.more:
            return count


def timed(action: Callable[[], int]) -> tuple[int, float]:
    start = time.perf_counter()
    count = action()
    return count, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--naive-sample", type=int, default=2_000,
                        help="events the one-per-request client sends (its rate is extrapolated)")
    parser.add_argument("--database", default=None,
                        help="a PostgreSQL server URL (a database is made per run); "
                        "default SQLite files in a temporary directory")
    args = parser.parse_args()
    now = datetime.now(UTC)
    workdir = Path(tempfile.mkdtemp(prefix="bench-central-"))
    backend = "PostgreSQL" if args.database else "SQLite"

    print(f"making {args.events:,} events...", flush=True)
    events = make_events(args.events, now)
    push: list[tuple[str, int, float]] = []
    pull: list[tuple[str, int, float]] = []

    print("(a) naive client, one event per request...", flush=True)
    url = fresh_database(args.database, workdir, "naive")
    storage, laptops = prepare(url, now)
    server = Server(url)
    sample = events[: args.naive_sample]
    push.append(("naive: HTTP, 1 event per request (sampled)",
                 *timed(lambda: http_push(server, laptops, batches(sample, 1)))))
    server.stop()
    storage.close()

    print("(b) HTTP batches of 500...", flush=True)
    url = fresh_database(args.database, workdir, "http")
    storage, laptops = prepare(url, now)
    server = Server(url)
    push.append((f"HTTP, batches of {BATCH}",
                 *timed(lambda: http_push(server, laptops, batches(events, BATCH)))))
    token = laptops["SUP"][1]
    pull.append(("naive: HTTP, 1 event per request (sampled)",
                 *timed(lambda: http_pull(server, token, 1, stop_after=args.naive_sample))))
    pull.append((f"HTTP, pages of {PAGE}", *timed(lambda: http_pull(server, token, PAGE))))
    server.stop()
    storage.close()

    print("(c) direct storage, batches of 500...", flush=True)
    storage, laptops = prepare(fresh_database(args.database, workdir, "direct"), now)

    def direct() -> int:
        stored = 0
        for author, batch in batches(events, BATCH):
            stored += len(storage.push(laptops[author][0], batch, received_at=now,
                                       address=None, rejected=0))
        return stored

    push.append((f"server's bulk insert: storage.push, {BATCH}", *timed(direct)))
    pull.append((f"server's own read: storage.pull, {PAGE}",
                 *timed(lambda: storage_pull(storage, laptops["SUP"][0], now))))
    storage.close()

    print(f"\n{backend}, {args.events:,} events, as a supervisor who may see them all pulls "
          f"them back.\nThe naive rows send or fetch the first {args.naive_sample:,} events "
          "only; their rate is extrapolated.")
    for title, rows in (("push", push), ("pull", pull)):
        baseline = rows[0][1] / rows[0][2]
        print(f"\n{title:<46} {'events':>9} {'seconds':>9} {'events/s':>10} {'vs naive':>9}")
        for name, count, seconds in rows:
            rate = count / seconds
            print(f"  {name:<44} {count:>9,} {seconds:>9.2f} {rate:>10,.0f} "
                  f"{rate / baseline:>8.1f}x")
        print(f"  (the naive way would take about {args.events / baseline:,.0f} s for all "
              f"{args.events:,})")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
