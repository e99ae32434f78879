"""Invariant 3 under faults: ≥ 10,000 events, a hostile network, a crashing endpoint and a
laptop killed mid-sync; when the faults stop, every copy holds the same set: none lost, none
twice."""

import random
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from factories import callback, household, new_id, occurrence, offer
from faultproxy import FaultProxy, Faults
from sync_support import (
    PASSPHRASE,
    Central,
    Certificates,
    client,
    enrolled_profile,
    environment,
    event_ids,
    profiles,
    running,
)

from fieldapp.domain.events import Event
from fieldapp.store import Store
from fieldapp.sync.protocol import Retry, SyncError

START = datetime(2026, 1, 5, 9, tzinfo=UTC)
HOSTILE = {"refuse": 0.05, "cut_request": 0.05, "lose_response": 0.08, "cut_response": 0.06,
           "stall": 0.03, "busy": 0.05, "throttle": 0.03}


def cases(rng: random.Random, count: int, author: str, device: str) -> list[Event]:
    events: list[Event] = []
    for n in range(count):
        at = START + timedelta(hours=n)
        o, h = new_id(), new_id()
        kw = {"author": author, "device": device}
        events += [occurrence(o, at, oic=author, **kw), household(h, o, at, **kw),
                   offer(h, rng.choice(["declined", "accepted", "not_present"]), at, **kw),
                   callback(h, "no_answer", at + timedelta(days=21), **kw)]
    return events


def fill(store: Store, events: list[Event]) -> None:
    for i in range(0, len(events), 250):
        store.append(events[i:i + 250])


def sync_quietly(store: Store, url: str, ca: str) -> None:
    sync = client(store, url=url, ca=ca, timeout=(2.0, 2.0))
    sync.retry = Retry(base=0.02, cap=0.2, attempts=8)
    try:
        sync.run_once()
    except SyncError as error:
        if not error.retryable:
            raise


@pytest.mark.slow
def test_no_event_lost_or_duplicated_under_faults(tmp_path: Path, certs: Certificates) -> None:
    rng = random.Random(20261125)
    central = Central(tmp_path / "central", None)
    (tmp_path / "central").mkdir()
    with running(central), FaultProxy(central.port, certs.cert, certs.key) as proxy:
        code_a, code_b = central.officer("2001"), central.officer("2002")
        a = enrolled_profile(tmp_path / "a", "2001", proxy.url, code_a, certs.ca)
        b = enrolled_profile(tmp_path / "b", "2002", proxy.url, code_b, certs.ca)
        made = cases(rng, 1500, "2001", "laptop-a") + cases(rng, 1000, "2002", "laptop-b")
        fill(a, made[:6000])
        fill(b, made[6000:])
        assert len(made) == 10_000

        proxy.set_faults(Faults(chances=HOSTILE, stall_seconds=2.5, rng=random.Random(1)))
        for round_ in range(6):
            sync_quietly(a, proxy.url, certs.ca)
            sync_quietly(b, proxy.url, certs.ca)
            if round_ == 1:
                central.kill()  # the endpoint crashes between requests ...
                central.start()  # ... and comes back on the same file
            if round_ == 3:
                # Laptop A syncs in a child process that is SIGKILLed mid-sync, three times.
                a.close()
                for _ in range(3):
                    child = subprocess.Popen(
                        [sys.executable, str(Path(__file__).with_name("sync_child.py")),
                         str(tmp_path / "a"), "2001", proxy.url, certs.ca],
                        cwd=Path(__file__).parent, env=environment(),
                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                    )
                    time.sleep(rng.uniform(0.3, 1.5))
                    child.kill()
                    child.wait(10)
                a = profiles(tmp_path / "a").unlock("2001", PASSPHRASE)
                assert a.integrity_check() == "ok"

        proxy.set_faults(Faults())
        for store in (a, b, a, b):
            sync_quietly(store, proxy.url, certs.ca)
        assert a.outbox_count() == b.outbox_count() == 0

        held = central.event_ids()
        expected = {e.id for e in made}
        lost = len(expected - set(held))
        duplicated = sum(n - 1 for n in Counter(held).values())
        local_dupes = sum(n - 1 for s in (a, b) for n in Counter(event_ids(s)).values())
        print(f"\nfaults injected: {dict(sorted(proxy.counts.items()))}")
        print(f"events={len(expected)} endpoint={len(held)} lost={lost} "
              f"duplicated={duplicated + local_dupes}")
        assert sum(n for f, n in proxy.counts.items() if f != "pass") >= 10
        assert lost == 0
        assert duplicated == 0
        assert local_dupes == 0
        assert set(held) == set(event_ids(a)) == set(event_ids(b)) == expected
        assert a.state() == b.state()
        a.close()
        b.close()
