"""Automatic sync: probe the endpoint with backoff, sync when it answers, and on demand.

Runs on its own thread so the UI thread never waits on the network; results go to callbacks
that the UI turns into Qt signals. One sync at a time, cancellable between requests.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from fieldapp.sync.client import SyncProgress, SyncSummary
from fieldapp.sync.protocol import SyncError


@dataclass
class ProbeBackoff:
    """Seconds until the next probe after `failures` unanswered ones: 5 s doubling to 5 min."""

    base: float = 5.0
    cap: float = 300.0
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, failures: int) -> float:
        ceiling = min(self.cap, self.base * 2 ** min(failures, 16))
        return self.rng.uniform(ceiling / 2, ceiling)


@dataclass
class AutoSyncCallbacks:
    progress: Callable[[SyncProgress], None] = lambda _: None
    finished: Callable[[SyncSummary], None] = lambda _: None
    failed: Callable[[SyncError], None] = lambda _: None
    reachable: Callable[[bool], None] = lambda _: None
    # The next try is in this many seconds: the endpoint could not be reached (None), or a
    # sync failed with this message for the officer and will be tried again.
    retrying: Callable[[float, str | None], None] = lambda _s, _m: None


class AutoSync:
    def __init__(
        self,
        run: Callable[[Callable[[SyncProgress], None], Callable[[], bool]], SyncSummary],
        probe: Callable[[], bool],
        callbacks: AutoSyncCallbacks,
        *,
        interval: float = 600.0,
        backoff: ProbeBackoff | None = None,
    ) -> None:
        self._run = run
        self._probe = probe
        self._callbacks = callbacks
        self._interval = interval
        self._backoff = backoff or ProbeBackoff()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._cancel = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="fieldapp-sync", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def sync_now(self) -> None:
        self._cancel.clear()
        self._wake.set()

    def cancel(self) -> None:
        self._cancel.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._cancel.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _loop(self) -> None:
        failures = 0
        while not self._stop.is_set():
            online = self._safe_probe()
            self._callbacks.reachable(online)
            if not online:
                failures += 1
                self._wait_to_retry(self._backoff.delay(failures), None)
                continue
            failures = 0
            self._cancel.clear()
            try:
                summary = self._run(self._callbacks.progress, self._cancel.is_set)
            except SyncError as error:
                self._callbacks.failed(error)
                if not error.retryable:
                    return
                self._wait_to_retry(self._backoff.delay(1), error.message)
                continue
            self._callbacks.finished(summary)
            self._sleep(self._interval)

    def _safe_probe(self) -> bool:
        try:
            return self._probe()
        except Exception:
            return False

    def _wait_to_retry(self, seconds: float, message: str | None) -> None:
        self._callbacks.retrying(seconds, message)
        self._sleep(seconds)

    def _sleep(self, seconds: float) -> None:
        self._wake.wait(seconds)
        self._wake.clear()
