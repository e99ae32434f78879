"""Ops: every database action runs on the one database worker and reports back by signal.

Shaped after Anki's `aqt/operations`: an op is a function of the store, run off the UI thread;
if it returns a `Changes`, every view hears of it and decides from that alone whether to
redraw. The store is not thread-safe, so the worker's single thread is the only one that ever
touches it, from unlock to lock.
"""

from __future__ import annotations

import itertools
import logging
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QObject, Signal

from fieldapp.domain.problems import InvalidEvent
from fieldapp.domain.projection import Changes
from fieldapp.store import StoreError

log = logging.getLogger(__name__)

T = TypeVar("T")
S = TypeVar("S")

THREAD_NAME = "fieldapp-db"


class Locked(Exception):
    """An op reached the worker after the profile was locked; nothing was done."""


class UserError(Exception):
    """A failure whose message is written for the officer and safe to show."""


def describe(error: BaseException) -> str:
    """What to tell the officer about a failed op, without repeating anything it holds."""
    if isinstance(error, UserError | Locked | StoreError):
        return str(error)
    if isinstance(error, InvalidEvent):
        return " ".join(p.message for p in error.problems)
    message = getattr(error, "message", None)
    if isinstance(message, str) and message:
        return message  # SyncError and the store's own errors carry officer wording
    return UNEXPECTED


# An op's writes are one transaction: one that failed saved nothing, so this is true.
UNEXPECTED = (
    "Something went wrong, and nothing was saved: what you typed is still here (and kept as "
    "a draft). Try again; if it keeps happening, tell the IT service desk."
)


def expected(error: BaseException) -> bool:
    """An error the officer's own words explain (refused input, a lock, the store's own)."""
    return isinstance(error, UserError | Locked | InvalidEvent | StoreError) or isinstance(
        getattr(error, "message", None), str
    )


def log_safely(error: BaseException) -> None:
    """Logs where an error came from but never its message, which may hold personal data."""
    frames = "".join(traceback.format_tb(error.__traceback__))
    log.error("op failed with %s\n%s", type(error).__name__, frames)


@dataclass(frozen=True)
class _Done:
    token: int
    epoch: int
    result: object
    error: BaseException | None


@dataclass(frozen=True)
class _Callbacks:
    done: Callable[[Any], object] | None
    failed: Callable[[BaseException], object] | None


class DbWorker(QObject, Generic[S]):
    """Owns the open store on one thread; runs ops there in the order they were sent."""

    changed = Signal(object)  # Changes, after any op that returned one
    failed = Signal(str)  # an op failed and nobody asked to hear of it: officer wording
    _finished = Signal(object)
    _changed_elsewhere = Signal(object)  # _Done of a `blocking` op that returned Changes

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=THREAD_NAME)
        self._store: S | None = None  # read and written on the worker thread only
        self._epoch = 0  # moves on at each open and close; results of another epoch are dropped
        self._open = False
        self._shut = False
        self._pending: dict[int, _Callbacks] = {}
        self._tokens = itertools.count()
        self._finished.connect(self._deliver)
        self._changed_elsewhere.connect(self._relay_changes)

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    @property
    def is_open(self) -> bool:
        """Whether a store was opened and not yet closed, as far as the UI thread knows."""
        return self._open

    def open(
        self,
        opener: Callable[[], S],
        done: Callable[[None], object] | None = None,
        failed: Callable[[BaseException], object] | None = None,
    ) -> None:
        """Opens (unlocks) a store on the worker thread, where it will live until `close`."""

        def work() -> None:
            store = opener()
            if self._store is not None:
                _close_quietly(self._store)
            self._store = store

        def opened(_: None) -> None:
            self._open = True
            if done is not None:
                done(None)

        self._epoch += 1
        self._submit(work, opened, failed)

    def run(
        self,
        op: Callable[[S], T],
        done: Callable[[T], object] | None = None,
        failed: Callable[[BaseException], object] | None = None,
    ) -> None:
        """Runs `op(store)` on the worker; `done` or `failed` is called on the UI thread."""

        def work() -> T:
            store = self._store
            if store is None:
                raise Locked("The profile is locked.")
            return op(store)

        self._submit(work, done, failed)

    def call(
        self,
        work: Callable[[], T],
        done: Callable[[T], object] | None = None,
        failed: Callable[[BaseException], object] | None = None,
    ) -> None:
        """Runs file work that needs no open store (listing profiles, unlocking one)."""
        self._submit(work, done, failed)

    def blocking(self, op: Callable[[S], T]) -> T:
        """Runs `op(store)` on the worker and waits for it: for the automatic sync's own
        thread, never for the UI thread (which must not wait on the database)."""

        epoch = self._epoch

        def work() -> T:
            store = self._store
            if store is None:
                raise Locked("The profile is locked.")
            result = op(store)
            # What it changed reaches the views as every op's changes do (a pulled page's
            # records, erasures), on the UI thread, and not after a lock.
            if isinstance(result, Changes) and not result.empty:
                self._changed_elsewhere.emit(_Done(-1, epoch, result, None))
            return result

        return self._executor.submit(work).result()

    def close(self, done: Callable[[None], object] | None = None) -> None:
        """Locks: ops already queued still finish (a draft being saved is kept), but their
        results are dropped, so nothing read before the lock reaches a view after it."""

        def work() -> None:
            store, self._store = self._store, None
            if store is not None:
                _close_quietly(store)

        self._open = False
        self._epoch += 1
        self._submit(work, done, None)

    def shutdown(self) -> None:
        """Closes the store and waits for the worker to finish what it was sent."""
        if not self._shut:
            self.close()
            self._shut = True
            self._executor.shutdown(wait=True)

    def _submit(
        self,
        work: Callable[[], Any],
        done: Callable[[Any], object] | None,
        failed: Callable[[BaseException], object] | None,
    ) -> None:
        if self._shut:
            return  # the app is quitting: nothing more reaches the database
        token = next(self._tokens)
        epoch = self._epoch
        self._pending[token] = _Callbacks(done, failed)

        def call() -> None:
            try:
                outcome = _Done(token, epoch, work(), None)
            except Exception as error:  # reported to the UI thread, which decides what to show
                outcome = _Done(token, epoch, None, error)
            self._finished.emit(outcome)

        self._executor.submit(call)

    def _deliver(self, outcome: _Done) -> None:
        callbacks = self._pending.pop(outcome.token)
        if outcome.epoch != self._epoch:
            return  # the profile was locked after this op was sent
        if outcome.error is not None:
            self._report(outcome.error, callbacks.failed)
            return
        if isinstance(outcome.result, Changes) and not outcome.result.empty:
            self.changed.emit(outcome.result)
        if callbacks.done is not None:
            callbacks.done(outcome.result)

    def _relay_changes(self, outcome: _Done) -> None:
        if outcome.epoch == self._epoch:
            self.changed.emit(outcome.result)

    def _report(
        self, error: BaseException, failed: Callable[[BaseException], object] | None
    ) -> None:
        # Logged whoever hears of it, so that something is left to diagnose it by.
        if not expected(error):
            log_safely(error)
        if failed is not None:
            failed(error)
            return
        self.failed.emit(describe(error))


def _close_quietly(store: Any) -> None:
    try:
        store.close()
    except Exception as error:  # a lock must finish even if closing the file fails
        log_safely(error)
