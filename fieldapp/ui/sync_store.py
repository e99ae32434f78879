"""The store as the sync client sees it from AutoSync's thread.

Each call is one op on the database worker, so the worker is held only for the store work of
a batch, never while waiting on the network: an officer's save goes in between two batches of
a long sync instead of waiting for the whole of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from fieldapp.domain.events import Event
from fieldapp.domain.problems import Problem
from fieldapp.domain.projection import Changes
from fieldapp.domain.retention import Erasure
from fieldapp.store import Store
from fieldapp.ui.ops import DbWorker


class WorkerStore:
    """A `fieldapp.sync.client.SyncStore` whose every call runs on the database worker."""

    def __init__(self, worker: DbWorker[Store]) -> None:
        self._worker = worker

    def outbox(self, limit: int) -> list[Event]:
        return self._worker.blocking(lambda s: s.outbox(limit))

    def outbox_count(self) -> int:
        return self._worker.blocking(lambda s: s.outbox_count())

    def mark_acknowledged(self, acks: Mapping[str, int]) -> None:
        self._worker.blocking(lambda s: s.mark_acknowledged(acks))

    def mark_rejected(self, rejections: Mapping[str, Sequence[Problem]]) -> None:
        self._worker.blocking(lambda s: s.mark_rejected(rejections))

    def mark_skewed(self, ids: Sequence[str]) -> None:
        self._worker.blocking(lambda s: s.mark_skewed(ids))

    def cursor(self) -> str | None:
        return self._worker.blocking(lambda s: s.cursor())

    def held_bodies(self, ids: Iterable[str]) -> dict[str, str]:
        return self._worker.blocking(lambda s: s.held_bodies(ids))

    def apply_pulled(
        self, events: Sequence[Event], cursor: str, erasures: Sequence[Erasure] = ()
    ) -> Changes:
        return self._worker.blocking(lambda s: s.apply_pulled(events, cursor, erasures))

    def get_setting(self, key: str) -> str | None:
        return self._worker.blocking(lambda s: s.get_setting(key))

    def set_setting(self, key: str, value: str) -> None:
        self._worker.blocking(lambda s: s.set_setting(key, value))
