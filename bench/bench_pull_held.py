"""A pull that brings back events the laptop already holds, with and without the held check.

    .venv/bin/python bench/bench_pull_held.py [--events 20000]

Laptop A records `--events` events and pushes them; laptops B and C (both of officer 5002)
pull them all. A records as many again and pushes; B's and C's cursors go back to the start,
so each pulls twice what it holds, half of it held already. B pulls as the client does, not
validating again an event it holds byte for byte; C pulls with that check turned off (its
store says it holds nothing, so every event is validated), which is how a pull worked before.
Then both go back to the start once more and pull everything again, all of it held, in the
other order. Never part of the test suite; print `uptime` beside the numbers.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "sync"), str(ROOT / "bench")]

from bench_peer import cpu_seconds, read_batches  # noqa: E402
from bench_sync import cases  # noqa: E402
from sync_support import CHEAP_KDF, PASSPHRASE, Central, Certificates, client, now, running  # noqa: E402

from central import cursor as cursors  # noqa: E402
from fieldapp.resources import load_policy  # noqa: E402
from fieldapp.store import Profiles, Store  # noqa: E402
from fieldapp.sync.client import enrol  # noqa: E402


def write_events(path: Path, count: int, seed: int) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for event in cases(count // 4, "5001", random.Random(seed)):
            out.write(event.to_json() + "\n")
    return path


def enrolled(home: Path, collar: str, code: str, central: Central, ca: str) -> Store:
    policy = dataclasses.replace(load_policy(), cipher_memory_security=False)
    store = Profiles(now, home, policy=policy, insecure_kdf_for_tests=CHEAP_KDF).create(
        collar, PASSPHRASE)
    enrol(store, central.url, code, f"laptop {home.name}", ca_bundle=ca)
    return store


class HoldsNothing:
    """A laptop's store that answers that it holds none of a page's events."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def held_bodies(self, ids: Iterable[str]) -> dict[str, str]:
        return {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-held-"))
    try:
        first = write_events(work / "first.jsonl", args.events, 1)
        second = write_events(work / "second.jsonl", args.events, 2)
        certs = Certificates(work)
        central = Central(work, certs)
        with running(central):
            a = enrolled(work / "a", "5001", central.officer("5001"), central, certs.ca)
            b = enrolled(work / "b", "5002", central.officer("5002"), central, certs.ca)
            code = central.admin("enrolment-code", "--collar", "5002").splitlines()[0]
            c = enrolled(work / "c", "5002", code, central, certs.ca)
            for batch in read_batches(first):
                a.append(batch)
            client(a).run_once()
            checked, unchecked = client(b), client(c)
            unchecked.store = HoldsNothing(c)
            for sync in (checked, unchecked):
                sync.run_once()
            for batch in read_batches(second):
                a.append(batch)
            client(a).run_once()
            start = cursors.encode(cursors.Position())
            rows = []
            for label, order in (("half held", (checked, unchecked)),
                                 ("all held", (unchecked, checked))):
                times: dict[bool, tuple[float, float]] = {}
                for sync in order:
                    store = b if sync is checked else c
                    store.apply_pulled([], start)
                    t, used = time.perf_counter(), cpu_seconds()
                    summary = sync.run_once()
                    times[sync is checked] = (time.perf_counter() - t, cpu_seconds() - used)
                    assert summary.pulled == 2 * args.events, summary.pulled
                    assert store.totals(now().date()).events == 2 * args.events
                rows.append((label, times[False], times[True]))
            for store in (a, b, c):
                store.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    load = os.getloadavg()
    print(f"\n{2 * args.events:,} events pulled; load average {load[0]:.2f} {load[1]:.2f} "
          f"{load[2]:.2f}\n")
    print("| pull | every event validated s (CPU s) | held ones not validated again s (CPU s) "
          "| ratio (CPU) |")
    print("|---|---|---|---|")
    for label, (before, cpu_before), (after, cpu_after) in rows:
        print(f"| {label} | {before:.3f} ({cpu_before:.2f}) | {after:.3f} ({cpu_after:.2f}) | "
              f"{after / before:.2f} ({cpu_after / cpu_before:.2f}) |")


if __name__ == "__main__":
    main()
