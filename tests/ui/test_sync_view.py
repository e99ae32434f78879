"""The sync status bar and summary, and what happens when the laptop is not enrolled."""

from __future__ import annotations

from datetime import UTC, datetime

from pytestqt.qtbot import QtBot

from fieldapp.store import Store
from fieldapp.sync.client import SyncProgress, SyncSummary
from fieldapp.ui.ops import DbWorker
from fieldapp.ui.sync_view import Endpoint, SyncController, SyncFacts, SyncStatus, summarise


def summary(**changes: object) -> SyncSummary:
    base: dict[str, object] = {
        "pushed": 3, "pulled": 7, "rejected": (), "invalid_from_server": 0,
        "tasks_created": (), "tasks_closed": (), "tasks_done_elsewhere": (),
        "conflicts_new": (), "clock_skew_seconds": None, "skew_flagged": False,
        "device_status": "active",
    }
    return SyncSummary(**{**base, **changes})  # type: ignore[arg-type]


def test_the_summary_says_what_changed_in_plain_words() -> None:
    assert summarise(summary()) == "Sent 3 and received 7 records."
    text = summarise(summary(
        tasks_created=("h1", "h2"), tasks_closed=("h3",), tasks_done_elsewhere=("h3",),
        conflicts_new=("c",), rejected=(("e", ()),), clock_skew_seconds=-610.0,
        skew_flagged=True,
    ))
    assert "2 new call-backs, 1 closed (1 done on another laptop)." in text
    assert "1 new conflict to check." in text
    assert "1 record was refused" in text
    assert "about 10 minutes off" in text
    assert "2 old records were erased under the force's retention rules." in summarise(
        summary(erased=("o1", "h1"))
    )


def test_status_bar_shows_offline_only_until_enrolled_and_progress_while_syncing(
    qtbot: QtBot, worker: DbWorker[Store]
) -> None:
    controller = SyncController(worker)
    status = SyncStatus(controller)
    qtbot.addWidget(status)
    status.show_facts(SyncFacts(None, 2, None, ()))
    assert status.connection.text() == "Offline only (not enrolled)"
    assert status.waiting.text() == "2 records waiting to send"
    assert status.last.text() == "Never synced"
    assert not status.sync_button.isEnabled()
    with qtbot.waitSignal(controller.failed) as told:
        controller.sync_now()
    assert "not enrolled" in told.args[0]

    last = datetime(2026, 7, 1, 12, 5, tzinfo=UTC)  # 13:05 in London (BST)
    status.show_facts(SyncFacts(Endpoint("https://x.example", None, None), 1, last, ()))
    assert status.last.text() == "Last sync 01/07/2026 13:05"
    assert status.waiting.text() == "1 record waiting to send"
    controller.running_changed.emit(True)
    assert not status.progress.isHidden() and not status.sync_button.isEnabled()
    controller.progressed.emit(SyncProgress("push", 4, 10))
    assert (status.progress.value(), status.progress.maximum()) == (4, 10)
    controller.running_changed.emit(False)
    assert status.progress.isHidden()
    controller.reachable.emit(False)
    assert status.connection.text() == "Offline (no connection)"
