"""Sync throughput and reconciliation cost, as ratios against baselines measured in the same run.

    .venv/bin/python bench/bench_sync.py [--events 100000] [--naive 2000]

1. Full sync: laptop A pushes N events, laptop B pulls them and reconciles its schedule,
   through a real HTTPS endpoint on 127.0.0.1 — against a naive client that sends one event
   per request (timed on a sample of --naive events and scaled per event).
2. Incremental reconciliation: 1,000 new events folded into a store holding N events,
   against recomputing the whole projection from scratch (target: at most 5%).

Never run as part of the test suite; the numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "sync")]

from factories import callback, household, new_id, occurrence, offer  # noqa: E402
from sync_support import Central, Certificates, client, enrolled_profile, running  # noqa: E402

from fieldapp.domain.events import Event  # noqa: E402

START = datetime(2025, 1, 6, 9, tzinfo=UTC)


def cases(count: int, author: str, rng: random.Random) -> list[Event]:
    events: list[Event] = []
    for n in range(count):
        at = START + timedelta(minutes=n)
        o, h = new_id(), new_id()
        events += [occurrence(o, at, oic=author, author=author),
                   household(h, o, at, author=author),
                   offer(h, rng.choice(["declined", "accepted", "not_present"]), at,
                         author=author),
                   callback(h, "no_answer", at + timedelta(days=21), author=author)]
    return events


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--naive", type=int, default=2_000)
    args = parser.parse_args()
    rng = random.Random(1)
    work = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    certs = Certificates(work)
    central = Central(work, certs)
    rows: list[tuple[str, float, str]] = []
    with running(central):
        a = enrolled_profile(work / "a", "5001", central.url, central.officer("5001"), certs.ca)
        b = enrolled_profile(work / "b", "5002", central.url, central.officer("5002"), certs.ca)
        naive_store = enrolled_profile(work / "n", "5003", central.url,
                                       central.officer("5003"), certs.ca)
        made = cases(args.events // 4, "5001", rng)
        t = time.perf_counter()
        for i in range(0, len(made), 500):
            a.append(made[i:i + 500])
        rows.append(("capture into laptop A (batches of 500)", time.perf_counter() - t,
                     f"{len(made)} events"))

        t = time.perf_counter()
        pushed = client(a).run_once()
        push_s = time.perf_counter() - t
        t = time.perf_counter()
        pulled = client(b).run_once()
        pull_s = time.perf_counter() - t
        assert pushed.pushed == pulled.pulled == len(made)
        rows.append(("batched push A → endpoint", push_s, f"{len(made) / push_s:,.0f} ev/s"))
        rows.append(("batched pull endpoint → B + reconcile", pull_s,
                     f"{len(made) / pull_s:,.0f} ev/s"))

        # The naive client: one event per POST, the same endpoint, same TLS.
        sample = cases(args.naive // 4, "5003", rng)
        session = requests.Session()
        session.trust_env = False  # else REQUESTS_CA_BUNDLE from the environment wins
        session.verify = certs.ca
        session.headers["Authorization"] = f"Bearer {naive_store.get_setting('sync.token')}"
        t = time.perf_counter()
        for e in sample:
            reply = session.post(f"{central.url}/v1/push",
                                 data=json.dumps({"events": [e.to_dict()]}),
                                 headers={"Content-Type": "application/json"}, timeout=30)
            assert reply.status_code == 200
        naive_per_event = (time.perf_counter() - t) / len(sample)
        naive_total = naive_per_event * len(made)
        rows.append(("naive push, one event per request (scaled)", naive_total,
                     f"sampled {len(sample)} events"))
        rows.append(("  ratio naive / batched push", naive_total / push_s, "×"))

        # Reconciliation: 1,000 new events against recomputing everything.
        fresh = cases(250, "5001", rng)
        t = time.perf_counter()
        b.apply_pulled(fresh, b.cursor() or "")
        incremental = time.perf_counter() - t
        held = sum(1 for _ in b.iter_events())
        t = time.perf_counter()
        b.rebuild_projections()
        full = time.perf_counter() - t
        rows.append(("incremental reconcile of 1,000 new events", incremental,
                     f"store of {held} events"))
        rows.append(("full recomputation of every projection row", full, ""))
        rows.append(("  incremental / full", incremental / full, "target ≤ 0.05"))
        for s in (a, b, naive_store):
            s.close()

    print(f"\n{'measure':<48} {'value':>12}  note")
    for name, value, note in rows:
        shown = f"{value:10.3f} s" if not name.startswith("  ") else f"{value:11.3f}"
        print(f"{name:<48} {shown:>12}  {note}")


if __name__ == "__main__":
    main()
