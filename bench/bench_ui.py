"""Desktop app benchmarks, run by hand (not part of the test suite):

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_ui.py [--tasks 100000]

1. The follow-up view (table model + QTableView) opened and filtered at 100,000 call-backs
   against 100: the view's own cost, from rows already read (their filter keys are worked out
   on the database worker, the rest on the UI thread).
2. The same, opened from a real encrypted profile (unlock excluded): the database worker reads
   the projected state, then the view shows it.
3. Memory (resident set) of the unlocked app with 100,000 events against an empty profile.

Each figure is a ratio to a baseline measured in the same run. Profiles are built once and
kept under the temporary folder (fieldapp-bench/), because building 100,000 call-backs through
the store takes minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import uuid6
from bench_common import AT, FAST, PASSPHRASE, PROFILE, bench_event, clock
from PySide6.QtCore import QEventLoop, QSettings
from PySide6.QtWidgets import QApplication, QTableView

from fieldapp.domain.events import Event, EventType
from fieldapp.domain.schedule import TaskStatus
from fieldapp.store import Profiles
from fieldapp.ui.followups_model import (
    Column,
    FollowUp,
    FollowUpFilter,
    FollowUpModel,
    prepare,
)

TODAY = date(2026, 3, 31)
DISTRICTS = ("Leeds", "Bradford", "Wakefield", "Kirklees", "Calderdale")


def cache_dir(tasks: int) -> Path:
    return Path(tempfile.gettempdir()) / "fieldapp-bench" / f"tasks-{tasks}"


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


def best_of(runs: int, work: Callable[[], None]) -> float:
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
    prepared = prepare(rows)
    worker_side = best_of(3, lambda: prepare(rows))

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


def child(mode: str, home: str) -> None:
    """In a fresh process: unlock, open the main window, wait for the follow-ups; report."""
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
    controller.start_window.submit_unlock()
    while controller.main is None:
        app.processEvents()
    start = time.perf_counter()
    main = controller.main
    while not main.followups.loaded or controller.worker.busy:
        # Sleep until the worker answers, as the app's event loop does: spinning here would
        # hold the GIL half the time and slow the database worker it is waiting for.
        app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
    opened = time.perf_counter() - start
    rows = main.followups.model.total
    rss = _rss_kib()
    controller.quit()
    print(json.dumps({"mode": mode, "open_s": opened, "rows": rows, "rss_kib": rss}))


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
    store_small = run_child("store-small", small_home)
    store_big = run_child("store-big", big_home)
    memory_empty = run_child("memory-empty", empty_home)
    memory_events = run_child("memory-100k-events", events_home)

    rows = [
        ("Rows prepared (database worker)", prep_small, prep_big),
        ("Follow-up view shown (UI thread)", open_small, open_big),
        ("Filter keystroke (median)", filter_small, filter_big),
        ("Opened from the encrypted profile", store_small["open_s"], store_big["open_s"]),
    ]
    print()
    print(f"{'measure':<40} {small:>12,} {big:>12,} {'ratio':>8}")
    for name, base, value in rows:
        print(f"{name:<40} {base * 1000:>10.1f}ms {value * 1000:>10.1f}ms "
              f"{value / base:>8.0f}x")
    ratio = memory_events["rss_kib"] / memory_empty["rss_kib"]
    print(f"\n{'resident memory, unlocked app':<40} {'empty':>12} {'100k events':>12} "
          f"{'ratio':>8}")
    print(f"{'':<40} {memory_empty['rss_kib'] / 1024:>10.0f}MB "
          f"{memory_events['rss_kib'] / 1024:>10.0f}MB {ratio:>8.2f}x")
    print(f"\n(rows loaded: {store_small['rows']:.0f}, {store_big['rows']:.0f}; "
          f"memory profile held {memory_events['rows']:.0f} call-backs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
