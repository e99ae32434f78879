"""Search as the officer types, at 100,000 households against 100, run by hand (not part of the
test suite):

    .venv/bin/python bench/bench_search.py [--households 100000] [--baseline 100]

Each query is typed a character at a time, and every prefix from the second character on is
searched as the Record page would (`Store.search`, the FTS5 index in the encrypted file): a
street, a postcode, a surname, a reference. Printed: the median and the slowest keystroke at
each size, and their ratio to the baseline measured in the same run. The goal is under 100 ms
a keystroke at 100,000 households. Profiles are built once and kept under the temporary folder
(fieldapp-bench/), because recording 100,000 households through the store takes minutes.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import uuid6
from bench_common import AT, FAST, PASSPHRASE, PROFILE, bench_event, clock

from fieldapp.domain.events import Event, EventType
from fieldapp.store import Profiles, Store

STREETS = ("High Street", "Beck Side", "Mill Lane", "Church Road", "Station Road",
           "Victoria Street", "Park Avenue", "Low Road", "Moor Lane", "Green Lane",
           "Kirkgate", "Westgate", "Town Street", "Manor Road", "Queen's Drive")
TOWNS = ("Leeds", "Bradford", "Wakefield", "Huddersfield", "Halifax", "Dewsbury", "Keighley")
FIRST = ("Jane", "Sam", "Aisha", "Tom", "Priya", "Mark", "Chloe", "Omar", "Ewa", "Liam")
LAST = ("Smith", "Khan", "Okonkwo", "Jones", "Nowak", "Patel", "Brown", "Hussain", "Taylor")
TYPED = ("beck side", "ls6 2", "okonkwo", "13/004242", "jane kh", "mill lane keighley")


def build(households: int) -> Path:
    """A profile with `households` households, each on its own occurrence."""
    home = Path(tempfile.gettempdir()) / "fieldapp-bench" / f"search-{households}"
    if (home / "profiles" / PROFILE / "key.json").is_file():
        return home
    home.mkdir(parents=True, exist_ok=True)
    print(f"building a profile with {households:,} households in {home} (once)...", flush=True)
    rng = random.Random(households)
    with Profiles(clock, home, insecure_kdf_for_tests=FAST).create(PROFILE, PASSPHRASE) as store:
        batch: list[Event] = []
        for i in range(households):
            occurrence, household = str(uuid6.uuid7()), str(uuid6.uuid7())
            at = AT + timedelta(minutes=i % 5000)
            surname = rng.choice(LAST)
            batch += [
                bench_event(EventType.OCCURRENCE_RECORDED, occurrence, {
                    "reference": f"13/{i:06d}/24", "offence_types": ["iioc"],
                    "oic": str(1000 + i % 40), "district": rng.choice(TOWNS)}, at),
                bench_event(EventType.HOUSEHOLD_RECORDED, household, {
                    "occurrence_id": occurrence,
                    "address": f"{rng.randint(1, 200)} {rng.choice(STREETS)}, "
                               f"{rng.choice(TOWNS)}",
                    "postcode": f"LS{rng.randint(1, 29)} {rng.randint(1, 9)}"
                                f"{rng.choice('ABDEFGHJ')}{rng.choice('LNPQRSTUWXYZ')}",
                    "members": [
                        {"relationship": "partner", "name": f"{rng.choice(FIRST)} {surname}"},
                        {"relationship": "child", "age": rng.randint(0, 17)},
                    ]}, at),
            ]
            if len(batch) >= 4000:
                store.append(batch)
                batch = []
        if batch:
            store.append(batch)
    return home


def keystrokes(store: Store) -> list[float]:
    """Seconds for each keystroke's search, every query typed twice (the second is timed:
    the first warms SQLite's page cache, as the officer's earlier keystrokes would)."""
    times = []
    for text in TYPED:
        for _ in range(2):
            taken = []
            for n in range(2, len(text) + 1):
                start = time.perf_counter()
                store.search(text[:n])
                taken.append(time.perf_counter() - start)
        times += taken
    return times


def measure(households: int) -> tuple[float, float]:
    home = build(households)
    with Profiles(clock, home, insecure_kdf_for_tests=FAST).unlock(PROFILE, PASSPHRASE) as store:
        found = len(store.search("beck side").households)
        times = keystrokes(store)
    median, worst = statistics.median(times), max(times)
    print(f"{households:>7,} households: median {median * 1000:6.1f} ms a keystroke, "
          f"slowest {worst * 1000:6.1f} ms ({len(times)} keystrokes; 'beck side' finds "
          f"{found})", flush=True)
    return median, worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--baseline", type=int, default=100)
    args = parser.parse_args()
    base_median, base_worst = measure(args.baseline)
    median, worst = measure(args.households)
    print(f"ratio {args.households:,} / {args.baseline:,}: median x{median / base_median:.1f}, "
          f"slowest x{worst / base_worst:.1f}; goal under 100 ms a keystroke: "
          f"{'met' if worst < 0.1 else 'NOT met'} (slowest {worst * 1000:.1f} ms)")


if __name__ == "__main__":
    main()
