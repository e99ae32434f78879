"""Desktop app benchmarks, run by hand (not part of the test suite):

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_ui.py [--tasks 100000] [--repeat 3]

1. The follow-up view (table model + QTableView) shown and filtered at 100,000 call-backs
   against 100: the view's own cost, from rows already read (synthetic rows).
2. The database worker's share, on the real encrypted profiles: the list's first screen
   (the soonest open call-backs, the tabs' counts), and every row (its pages, sorted, keyed).
3. The follow-ups opened from a real encrypted profile, in a fresh process each time, the two
   sizes alternating (`--repeat` times, medians): from the unlock to the list's first rows
   painted (what the officer waits for), to every row read with the worker idle, and the
   longest the UI thread went without running a 10 ms timer (in all, and after the rows
   painted), and the longest garbage collection after the rows painted, in CPU time of the
   thread it ran on (a collection holds the GIL, so the UI thread waits for all of it; unlike
   the gaps, load on the machine does not stretch it). The last line is the open's ratio,
   100,000 against 100 call-backs.
4. Memory (resident set) of the unlocked app with 100,000 events against an empty profile.

Each figure is a ratio to a baseline measured in the same run. Profiles are built once and
kept under the temporary folder (fieldapp-bench/, named by the store's schema version),
because building 100,000 call-backs through the store takes minutes.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import uuid6
from bench_common import AT, FAST, PASSPHRASE, PROFILE, bench_event, clock
from PySide6.QtCore import QEvent, QEventLoop, QObject, QSettings, QTimer
from PySide6.QtWidgets import QApplication, QTableView, QWidget

from fieldapp.domain.events import Event, EventType
from fieldapp.domain.schedule import TaskStatus
from fieldapp.store import Profiles
from fieldapp.store.schema import LATEST
from fieldapp.ui.followups_load import load_first, load_page
from fieldapp.ui.followups_model import (
    Column,
    FollowUp,
    FollowUpFilter,
    FollowUpModel,
    held,
    prepare_held,
)

TODAY = date(2026, 3, 31)
DISTRICTS = ("Leeds", "Bradford", "Wakefield", "Kirklees", "Calderdale")


def cache_dir(tasks: int) -> Path:
    # Named by the store's schema version: a profile an older version built is not reused.
    return Path(tempfile.gettempdir()) / "fieldapp-bench" / f"ui-v{LATEST}-tasks-{tasks}"


# --------------------------------------------------------------------------- data


def synthetic_rows(n: int, seed: int = 7) -> list[FollowUp]:
    rng = random.Random(seed)
    statuses = list(TaskStatus)
    return [
        FollowUp(
            household_id=f"h{i}", occurrence_id=f"o{i}",
            due=TODAY + timedelta(days=rng.randint(-30, 60)), status=rng.choice(statuses),
            reference=f"13/{i:06d}/26", postcode=f"LS{1 + i % 20} {i % 9}AB",
            district=DISTRICTS[i % 5], assignee=str(1000 + i % 40), attempts=i % 3,
            note="21 days after the offer was declined on 10/03/2026",
        )
        for i in range(n)
    ]


def build_profile(tasks: int) -> Path:
    """A profile with `tasks` call-backs (three events each: occurrence, household, offer)."""
    home = cache_dir(tasks)
    if (home / "profiles" / PROFILE / "key.json").is_file():
        return home
    home.mkdir(parents=True, exist_ok=True)
    print(f"building a profile with {tasks:,} call-backs in {home} (once)...", flush=True)
    with Profiles(clock, home, insecure_kdf_for_tests=FAST).create(PROFILE, PASSPHRASE) as store:
        batch: list[Event] = []
        for i in range(tasks):
            occurrence, household = str(uuid6.uuid7()), str(uuid6.uuid7())
            at = AT + timedelta(hours=i % 2000)
            batch += [
                bench_event(EventType.OCCURRENCE_RECORDED, occurrence, {
                    "reference": f"13/{i:06d}/24", "offence_types": ["iioc"],
                    "oic": str(1000 + i % 40), "district": DISTRICTS[i % 5]}, at),
                bench_event(EventType.HOUSEHOLD_RECORDED, household, {
                    "occurrence_id": occurrence, "address": "1 High Street",
                    "postcode": f"LS{1 + i % 20} {i % 9}AB",
                    "members": [{"relationship": "partner"}]}, at),
                bench_event(EventType.VCAS_OFFERED, household, {"outcome": "declined"}, at),
            ]
            if len(batch) >= 3000:
                store.append(batch)
                batch = []
        if batch:
            store.append(batch)
    return home


# --------------------------------------------------------------------------- measures


def best_of(runs: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def view_times(app: QApplication, rows: list[FollowUp]) -> tuple[float, float, float]:
    """Seconds to prepare `rows` (on the worker, in the app), to show them in the view (on the
    UI thread), and the median to apply one filter keystroke."""
    model = FollowUpModel()
    view = QTableView()
    view.setModel(model)
    view.resize(1200, 700)
    view.show()
    held_rows = [held(*row) for row in rows]  # as the worker makes them, page by page
    prepared = prepare_held(held_rows)
    worker_side = best_of(3, lambda: prepare_held(held_rows))

    def open_view() -> None:
        model.set_rows(prepared)
        model.sort(Column.DUE)
        app.processEvents()

    opened = best_of(3, open_view)
    typed = []
    for text in ("L", "LS", "LS1", "LS1 ", "LS1 2", ""):
        start = time.perf_counter()
        model.set_filter(FollowUpFilter(postcode=text))
        app.processEvents()
        typed.append(time.perf_counter() - start)
    view.close()
    return worker_side, opened, statistics.median(typed)


class Probe(QObject):
    """Watches the UI thread from the moment of unlock: the longest it went without running
    a 10 ms timer (how long the officer's keystrokes would have waited), and when the call-back
    list first painted rows."""

    def __init__(self, viewport: QWidget | None = None) -> None:
        super().__init__()
        self.start = self.last = time.perf_counter()
        self.longest = self.longest_shown = 0.0  # in all; after the first rows painted
        self.painted: float | None = None
        self.collection_cpu = 0.0  # the longest garbage collection after the rows painted
        self._began: dict[int, float] = {}
        gc.callbacks.append(self._collection)
        self.timer = QTimer(self)
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        block = now - self.last - 0.010
        self.longest = max(self.longest, block)
        if self.painted is not None:
            self.longest_shown = max(self.longest_shown, block)
        self.last = now

    def _collection(self, phase: str, info: dict[str, int]) -> None:
        # Run on whichever thread's allocation set it off: the CPU time of that thread.
        began = time.thread_time() if phase == "start" else self._began.pop(threading.get_ident())
        if phase == "start":
            self._began[threading.get_ident()] = began
        elif self.painted is not None:
            self.collection_cpu = max(self.collection_cpu, time.thread_time() - began)

    def stop(self) -> None:
        self.timer.stop()
        gc.callbacks.remove(self._collection)

    def watch(self, viewport: QWidget, has_rows: Callable[[], bool]) -> None:
        self._has_rows = has_rows
        viewport.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and self.painted is None and self._has_rows():
            self.painted = time.perf_counter()
        return False


def child(mode: str, home: str) -> None:
    """In a fresh process: unlock, open the follow-ups page, wait for its first screen of rows
    to paint, then for every row and for the database worker to go idle; report."""
    from fieldapp.ui.controller import AppController

    app = QApplication(sys.argv[:1])
    settings = QSettings(str(Path(home) / "ui.ini"), QSettings.Format.IniFormat)
    profiles = Profiles(clock, Path(home), insecure_kdf_for_tests=FAST)
    controller = AppController(profiles, settings, clock=lambda: datetime(2026, 3, 31, 9,
                               tzinfo=UTC), idle_minutes=60)
    controller.start_window.profile = PROFILE
    controller.start()
    while controller.start_window.pages.currentWidget() is not controller.start_window.unlock:
        app.processEvents()
    controller.start_window.unlock.passphrase.setText(PASSPHRASE)
    probe = Probe()
    controller.start_window.submit_unlock()
    while controller.main is None:
        app.processEvents()
    main = controller.main
    main.show_page(1)  # the officer goes to the follow-ups
    page = main.followups
    probe.watch(page.table.viewport(), lambda: page.model.rowCount() > 0)

    def wait(done: Callable[[], bool]) -> float:
        while not done():
            # Sleep until something happens, as the app's event loop does: spinning here
            # would hold the GIL half the time and slow the database worker it waits for.
            app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
        return time.perf_counter() - probe.start

    # (An empty profile's list has no rows to paint: its memory is all that is measured.)
    first = wait(lambda: probe.painted is not None) if mode.startswith("store") else 0.0
    every = wait(lambda: page.loaded and not controller.worker.busy)
    probe.stop()  # before quitting: the lock's own wait is not the open's
    result = {"mode": mode, "open_s": first, "all_s": every, "rows": page.model.total,
              "longest_block_s": probe.longest, "longest_shown_block_s": probe.longest_shown,
              "longest_collection_cpu_s": probe.collection_cpu, "rss_kib": _rss_kib()}
    controller.quit()
    print(json.dumps(result))


def worker_times(home: Path) -> tuple[float, float]:
    """Seconds the database worker spends on the list's first screen, and on every row (its
    pages, then sorted and keyed), read from the encrypted profile."""
    store = Profiles(clock, home, insecure_kdf_for_tests=FAST).unlock(PROFILE, PASSPHRASE)
    try:
        first = best_of(3, lambda: load_first(store, TODAY, "bench"))
        context = load_first(store, TODAY, "bench").context

        def every() -> None:
            rows, page = [], load_page(store, context, None)
            rows += page.rows
            while page.last is not None:
                page = load_page(store, context, page.last)
                rows += page.rows
            prepare_held(rows)

        return first, best_of(3, every)
    finally:
        store.close()


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def run_child(mode: str, home: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(home)],
        check=True, capture_output=True, text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    ).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def empty_profile() -> Path:
    home = Path(tempfile.mkdtemp(prefix="fieldapp-bench-empty-"))
    Profiles(clock, home, insecure_kdf_for_tests=FAST).create(PROFILE, PASSPHRASE).close()
    return home


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each opening (median)")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "HOME"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return 0

    big, small = args.tasks, 100
    app = QApplication(sys.argv[:1])
    prep_small, open_small, filter_small = view_times(app, synthetic_rows(small))
    prep_big, open_big, filter_big = view_times(app, synthetic_rows(big))

    small_home, big_home = build_profile(small), build_profile(big)
    events_home = build_profile(-(-100_000 // 3))  # 100,000 events (three per call-back)
    empty_home = empty_profile()
    worker_small, worker_big = worker_times(small_home), worker_times(big_home)
    runs: dict[str, list[dict[str, float]]] = {"small": [], "big": []}
    for _ in range(args.repeat):  # the two sizes alternate, so a change of load hits both
        runs["small"].append(run_child("store-small", small_home))
        runs["big"].append(run_child("store-big", big_home))
    memory_empty = run_child("memory-empty", empty_home)
    memory_events = run_child("memory-100k-events", events_home)

    def median(size: str, key: str) -> float:
        return statistics.median(run[key] for run in runs[size])

    rows = [
        ("Rows prepared (synthetic, worker)", prep_small, prep_big),
        ("Follow-up view shown (UI thread)", open_small, open_big),
        ("Filter keystroke (median)", filter_small, filter_big),
        ("Worker: the first screen", worker_small[0], worker_big[0]),
        ("Worker: every row, pages + sort", worker_small[1], worker_big[1]),
        ("Opened: unlock to rows painted", median("small", "open_s"), median("big", "open_s")),
        ("Every row read, worker idle", median("small", "all_s"), median("big", "all_s")),
        ("UI thread's longest block", median("small", "longest_block_s"),
         median("big", "longest_block_s")),
        ("... of those after the rows painted", median("small", "longest_shown_block_s"),
         median("big", "longest_shown_block_s")),
        ("Longest collection after, CPU", median("small", "longest_collection_cpu_s"),
         median("big", "longest_collection_cpu_s")),
    ]
    print()
    print(f"{'measure':<40} {small:>12,} {big:>12,} {'ratio':>8}")
    for name, base, value in rows:
        ratio = f"{value / base:>8.1f}x" if base else f"{'-':>9}"  # none after, at 100
        print(f"{name:<40} {base * 1000:>10.1f}ms {value * 1000:>10.1f}ms {ratio}")
    ratio = memory_events["rss_kib"] / memory_empty["rss_kib"]
    print(f"\n{'resident memory, unlocked app':<40} {'empty':>12} {'100k events':>12} "
          f"{'ratio':>8}")
    print(f"{'':<40} {memory_empty['rss_kib'] / 1024:>10.0f}MB "
          f"{memory_events['rss_kib'] / 1024:>10.0f}MB {ratio:>8.2f}x")
    opened = [round(run["open_s"] * 1000) for size in ("small", "big") for run in runs[size]]
    print(f"\n(rows: {runs['small'][0]['rows']:.0f}, {runs['big'][0]['rows']:.0f}; opened "
          f"runs in ms, {small:,} then {big:,}: {opened}; load average "
          f"{os.getloadavg()[0]:.2f}; memory profile held {memory_events['rows']:.0f})")
    print(f"open ratio ({big:,}/{small:,}, lower is better): "
          f"{median('big', 'open_s') / median('small', 'open_s'):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
