"""Store benchmark (run by hand): the cost of saving one officer action, and of unlocking.

    .venv/bin/python bench/bench_store.py [--runs 300] [--events 100000]

Save latency is `Store.append` of one event (log row, related keys, outbox row, access-log
row, component re-projection, projection rows, commit) against a bare sqlcipher3 INSERT +
COMMIT of the same bytes on a file opened with the same PRAGMAs, measured interleaved in the
same run; then again with 100,000 events already held. Pages written per save are counted
from the write-ahead log's growth (checkpointed to nothing before each save, in a pass of
their own after the timed ones), and statements per save with the connection's trace
callback, in another. Unlock is split into the Argon2id derivation and opening the
database. Nothing here is asserted: read the ratios.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "store")]

from store_helpers import START, case  # noqa: E402

from fieldapp.domain.events import Event  # noqa: E402
from fieldapp.store import Profiles, Store  # noqa: E402
from fieldapp.store.db import Database  # noqa: E402
from fieldapp.store.files import create_private_file  # noqa: E402
from fieldapp.store.keys import SecretKey, WrappedKey  # noqa: E402
from fieldapp.store.projections import ensure_current  # noqa: E402
from fieldapp.store.schema import migrate  # noqa: E402

PASSPHRASE = "violet-anchor-river-92"


def clock() -> datetime:
    return datetime(2026, 3, 10, 15, tzinfo=UTC)


def officer_actions(seed: int, start: datetime) -> Iterator[Event]:
    """Events in the order an officer makes them, one action at a time."""
    rng = random.Random(seed)
    i = 0
    while True:
        yield from case(rng, start + timedelta(hours=7 * i))
        i += 1


class Bare:
    """The baseline: one table, one INSERT + COMMIT, same key handling and PRAGMAs."""

    def __init__(self, path: Path) -> None:
        create_private_file(path)
        self.db = Database.open(path, SecretKey.generate(), create=True)
        self.db.conn.execute(
            "CREATE TABLE events (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, "
            "body TEXT NOT NULL)"
        )

    def insert(self, events: list[Event]) -> None:
        conn = self.db.conn
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT INTO events (id, body) VALUES (?, ?)", [(e.id, e.to_json()) for e in events]
        )
        conn.execute("COMMIT")


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def save_latency(store: Store, bare: Bare, actions: Iterator[Event], runs: int) -> dict[str, list]:
    times: dict[str, list[float]] = {"store": [], "bare": []}
    for _ in range(runs):
        event = next(actions)
        # Alternate which goes first, so neither always gets the warmer cache.
        pair = [("bare", lambda e=event: bare.insert([e])),
                ("store", lambda e=event: store.append([e]))]
        for name, action in pair if len(times["store"]) % 2 else reversed(pair):
            times[name].append(timed(action))
    return times


def pages_per_save(
    store: Store, bare: Bare, actions: Iterator[Event], runs: int
) -> dict[str, list]:
    """WAL frames (pages) each commit writes: the log is emptied before each save, so its
    size after it is the commit's pages (page size + 24-byte frame header each)."""
    counts: dict[str, list[int]] = {"store": [], "bare": []}
    sides = {"store": (store._db, lambda e: store.append([e])),
             "bare": (bare.db, lambda e: bare.insert([e]))}
    for db, _ in sides.values():
        db.conn.execute("PRAGMA wal_autocheckpoint = 0")
    for _ in range(runs):
        event = next(actions)
        for name, (db, save) in sides.items():
            page = int(db.conn.execute("PRAGMA page_size").fetchone()[0])
            db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            save(event)
            wal = Path(f"{db.path}-wal").stat().st_size
            counts[name].append(round((wal - 32) / (page + 24)))
    return counts


def statements_per_save(store: Store, actions: Iterator[Event], runs: int) -> list[int]:
    """SQL statements each save runs, counted with the connection's trace callback (which
    also reports the statements FTS5 runs on its own tables, as SQLite runs them)."""
    counts = []
    seen: list[str] = []
    store._db.conn.set_trace_callback(seen.append)
    try:
        for _ in range(runs):
            seen.clear()
            store.append([next(actions)])
            counts.append(len(seen))
    finally:
        store._db.conn.set_trace_callback(None)
    return counts


def fill(store: Store, bare: Bare, count: int) -> None:
    actions = officer_actions(99, START - timedelta(days=4000))
    batch: list[Event] = []
    held = 0
    while held < count:
        batch.append(next(actions))
        if len(batch) == 5000 or held + len(batch) >= count:
            store.apply_pulled(batch, f"fill-{held}")
            bare.insert(batch)
            held += len(batch)
            batch = []
            print(f"  filled {held:,} events", file=sys.stderr, end="\r")
    print(file=sys.stderr)


def unlock_split(profiles: Profiles, name: str, runs: int = 5) -> tuple[float, float, float]:
    folder = profiles.path(name)
    wrapped = WrappedKey.from_json((folder / "key.json").read_bytes())
    derive, opening = [], []
    for _ in range(runs):
        start = time.perf_counter()
        key = wrapped.open(PASSPHRASE)
        derive.append(time.perf_counter() - start)
        start = time.perf_counter()
        db = Database.open(folder / "store.db", key)
        key.wipe()
        migrate(db, folder / "backups")
        ensure_current(db, profiles.policy)
        opening.append(time.perf_counter() - start)
        db.close()
    whole = statistics.median(timed(lambda: profiles.unlock(name, PASSPHRASE).close())
                              for _ in range(runs))
    return statistics.median(derive), statistics.median(opening), whole


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.2f}"


def row(label: str, times: dict[str, list[float]]) -> str:
    store, bare = statistics.median(times["store"]), statistics.median(times["bare"])
    p95 = statistics.quantiles(times["store"], n=20)[-1]
    p95_bare = statistics.quantiles(times["bare"], n=20)[-1]
    return (f"| {label:<32} | {ms(store)} | {ms(p95)} | {ms(bare)} | {ms(p95_bare)} "
            f"| {store / bare:5.2f}x |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp:
        home = Path(tmp)
        profiles = Profiles(clock, home)  # production Argon2id parameters
        store = profiles.create("bench", PASSPHRASE)
        bare = Bare(home / "bare.db")
        actions = officer_actions(1, START)
        save_latency(store, bare, actions, 20)  # warm up
        empty = save_latency(store, bare, actions, args.runs)
        small_unlock = (store.close(), unlock_split(profiles, "bench"))[1]
        store = profiles.unlock("bench", PASSPHRASE)
        print(f"filling to {args.events:,} events (apply_pulled, 5,000 a batch)...",
              file=sys.stderr)
        started = time.perf_counter()
        fill(store, bare, args.events)
        fill_seconds = time.perf_counter() - started
        # As on a laptop after a big sync: the app is locked and unlocked again later (closing
        # checkpoints the write-ahead log), then the officer carries on.
        store.close()
        bare.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        big_unlock = unlock_split(profiles, "bench")
        store = profiles.unlock("bench", PASSPHRASE)
        save_latency(store, bare, actions, 20)  # warm up
        full = save_latency(store, bare, actions, args.runs)
        pages = pages_per_save(store, bare, actions, 100)
        statements = statements_per_save(store, actions, 100)
        events = store.totals(START.date()).events
        store.close()
        size = (home / "profiles" / "bench" / "store.db").stat().st_size

    print(f"\nSave latency, one event per transaction, {args.runs} runs each (ms)\n")
    print("| case                             | store p50 |  p95 | bare p50 |  p95 | ratio |")
    print("|----------------------------------|----------:|-----:|---------:|-----:|------:|")
    print(row("empty profile", empty))
    print(row(f"{events:,} events held", full))
    print(f"\nPages written per save with {events:,} events held (WAL frames, 100 saves): "
          f"store median {statistics.median(pages['store'])}, "
          f"mean {statistics.mean(pages['store']):.1f}; "
          f"bare median {statistics.median(pages['bare'])}, "
          f"mean {statistics.mean(pages['bare']):.1f}")
    print(f"Statements per save (set_trace_callback, 100 saves): median "
          f"{statistics.median(statements)}, mean {statistics.mean(statements):.1f}")
    print("\nUnlock (ms, median of 5)\n")
    print("| profile            | Argon2id derive | open + checks | whole unlock |")
    print("|--------------------|----------------:|--------------:|-------------:|")
    for label, (derive, opening, whole) in (("small", small_unlock),
                                            (f"{events:,} events", big_unlock)):
        print(f"| {label:<18} | {ms(derive)}        | {ms(opening)}      | {ms(whole)}     |")
    print(f"\nFilled {events:,} events in {fill_seconds:.1f} s "
          f"({fill_seconds / events * 1e6:.0f} µs per pulled event); "
          f"database file {size / 1e6:.1f} MB.")


if __name__ == "__main__":
    main()
