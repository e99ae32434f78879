"""Automatic sync: waits for the endpoint with backoff, runs on its own thread, stops cleanly."""

import random
import threading
from collections.abc import Callable

from fieldapp.sync.auto import AutoSync, AutoSyncCallbacks, ProbeBackoff
from fieldapp.sync.client import SyncProgress, SyncSummary
from fieldapp.sync.protocol import SyncError

SUMMARY = SyncSummary(0, 0, (), 0, (), (), (), (), None, False, "active")


def test_backoff_grows_to_a_cap_with_jitter() -> None:
    backoff = ProbeBackoff(base=5, cap=300, rng=random.Random(3))
    delays = [backoff.delay(n) for n in range(1, 12)]
    assert 5 <= delays[0] <= 10
    assert all(150 <= d <= 300 for d in delays[6:])


def test_syncs_once_the_endpoint_answers_and_on_demand() -> None:
    answers = iter([False, False, True, True, True, True])
    runs: list[str] = []
    done = threading.Event()
    threads: set[str] = set()

    def run(progress: Callable[[SyncProgress], None], cancelled: Callable[[], bool]) -> SyncSummary:
        threads.add(threading.current_thread().name)
        runs.append("run")
        progress(SyncProgress("push", 1, 1))
        return SUMMARY

    def finished(summary: SyncSummary) -> None:
        if len(runs) == 2:
            done.set()

    reach: list[bool] = []
    auto = AutoSync(run, lambda: next(answers), AutoSyncCallbacks(
        finished=finished, reachable=reach.append), interval=60,
        backoff=ProbeBackoff(base=0.01, cap=0.02))
    auto.start()
    while len(runs) < 1:
        threading.Event().wait(0.01)
    auto.sync_now()  # the second run comes on demand, not after the 60 s interval
    assert done.wait(5)
    auto.stop()
    assert reach[:3] == [False, False, True]
    assert threads == {"fieldapp-sync"}


def test_a_refusal_stops_it_and_cancel_reaches_the_run() -> None:
    seen: list[SyncError] = []
    cancelled_seen = threading.Event()

    def run(progress: Callable[[SyncProgress], None], cancelled: Callable[[], bool]) -> SyncSummary:
        auto.cancel()
        if cancelled():
            cancelled_seen.set()
        raise SyncError("withdrawn", retryable=False)

    auto = AutoSync(run, lambda: True, AutoSyncCallbacks(failed=seen.append))
    auto.start()
    auto._thread.join(5)
    assert not auto._thread.is_alive()
    assert [e.message for e in seen] == ["withdrawn"]
    assert cancelled_seen.is_set()


def test_a_probe_that_raises_counts_as_unreachable() -> None:
    def probe() -> bool:
        raise OSError("no route")

    reach: list[bool] = []
    auto = AutoSync(lambda p, c: SUMMARY, probe, AutoSyncCallbacks(reachable=reach.append),
                    backoff=ProbeBackoff(base=0.01, cap=0.01))
    auto.start()
    while len(reach) < 3:
        threading.Event().wait(0.01)
    auto.stop()
    assert set(reach) == {False}
