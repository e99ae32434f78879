"""A long sync must not hold the database worker: an officer's save goes in between batches."""

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from factories import household, new_id, occurrence, offer
from faultproxy import FaultProxy, Faults
from pytestqt.qtbot import QtBot
from sync_support import (
    PASSPHRASE,
    Central,
    Certificates,
    enrolled_profile,
    profiles,
    running,
)

from fieldapp.store import Store
from fieldapp.sync.client import SyncSummary
from fieldapp.ui.ops import DbWorker
from fieldapp.ui.sync_view import Endpoint, SyncController

AT = datetime(2026, 2, 2, 10, tzinfo=UTC)


def test_a_save_is_not_kept_waiting_by_a_slow_sync(
    qtbot: QtBot, tmp_path: Path, certs: Certificates
) -> None:
    slow = Faults(chances={"stall": 1.0}, stall_seconds=0.4, rng=random.Random(3))
    (tmp_path / "central").mkdir()
    central = Central(tmp_path / "central", None)  # plain HTTP behind the TLS proxy
    with running(central), FaultProxy(central.port, certs.cert, certs.key, slow) as proxy:
        store = enrolled_profile(tmp_path, "4001", proxy.url, central.officer("4001"), certs.ca)
        backlog = []
        for n in range(300):
            o, h = new_id(), new_id()
            at = AT + timedelta(minutes=n)
            backlog += [occurrence(o, at, author="4001"), household(h, o, at, author="4001"),
                        offer(h, "declined", at, author="4001"), offer(h, "declined", at,
                                                                        author="4001")]
        store.append(backlog)  # 1,200 events: three batches, each request stalled
        store.close()
        worker: DbWorker[Store] = DbWorker()
        try:
            worker.open(lambda: profiles(tmp_path).unlock("4001", PASSPHRASE))
            qtbot.waitUntil(lambda: worker.is_open, timeout=10_000)
            controller = SyncController(worker)
            with qtbot.waitSignal(controller.finished, timeout=60_000) as done:
                controller.start(Endpoint(proxy.url, certs.ca, None))
                # The worker answers between batches, so the outbox is seen part-sent; a
                # sync that held the worker throughout would only ever show 1,200 or 0.
                seen = 1200
                while seen == 1200:
                    seen = worker.blocking(lambda s: s.outbox_count())
                o = new_id()
                worker.blocking(lambda s: s.append([occurrence(o, AT, author="4001")]))
            controller.stop()
            assert 0 < seen < 1200
            summary: SyncSummary = done.args[0]
            assert summary.pushed >= 1200
        finally:
            worker.shutdown()
