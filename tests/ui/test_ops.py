"""The op runner: work runs on the one database thread; change sets drive the views."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from pytestqt.qtbot import QtBot
from ui_support import NOW, wait_idle

from fieldapp.domain.events import EventType
from fieldapp.domain.problems import InvalidEvent
from fieldapp.domain.projection import Changes
from fieldapp.store import Store
from fieldapp.ui.forms.household import HouseholdForm
from fieldapp.ui.ops import THREAD_NAME, DbWorker, Locked, describe
from fieldapp.ui.session import Capture, Session, new_id


def test_ops_run_on_the_database_thread_and_report_on_the_ui_thread(
    qtbot: QtBot, session: Session
) -> None:
    where: list[str] = []
    results: list[str] = []

    def op(store: Store) -> str:
        where.append(threading.current_thread().name)
        return store.actor

    session.run(op, lambda actor: (results.append(actor), where.append(
        threading.current_thread().name)))
    wait_idle(qtbot, session.worker)
    assert where[0].startswith(THREAD_NAME)
    assert where[1] == threading.main_thread().name
    assert results == ["1234"]


def test_ops_run_one_at_a_time_in_the_order_sent(qtbot: QtBot, session: Session) -> None:
    order: list[int] = []
    threads: set[str] = set()
    for n in range(20):
        session.run(lambda store, n=n: (order.append(n), threads.add(
            threading.current_thread().name)))
    wait_idle(qtbot, session.worker)
    assert order == list(range(20))
    assert len(threads) == 1


def test_a_change_set_reaches_every_view(qtbot: QtBot, session: Session) -> None:
    occurrence = new_id()
    capture = Capture(
        EventType.OCCURRENCE_RECORDED, occurrence,
        {"reference": "13/1/26", "offence_types": ["voyeurism"], "oic": "1234",
         "district": "Leeds"},
        NOW - timedelta(minutes=5),
    )
    with qtbot.waitSignal(session.worker.changed) as heard:
        session.record(capture, lambda _: None, pytest.fail)
    changes = heard.args[0]
    assert isinstance(changes, Changes)
    assert changes.occurrences == frozenset({occurrence})


def test_invalid_input_comes_back_as_problems_and_changes_nothing(
    qtbot: QtBot, session: Session
) -> None:
    failures: list[BaseException] = []
    changed: list[Changes] = []
    session.worker.changed.connect(changed.append)
    capture = Capture(EventType.OCCURRENCE_RECORDED, new_id(), {"reference": "?"}, NOW)
    session.record(capture, lambda _: pytest.fail("saved"), failures.append)
    wait_idle(qtbot, session.worker)
    [error] = failures
    assert isinstance(error, InvalidEvent)
    assert {p.field for p in error.problems} >= {"payload.reference", "payload.oic"}
    assert changed == []
    counts: list[int] = []
    session.run(lambda store: store.outbox_count(), counts.append)
    wait_idle(qtbot, session.worker)
    assert counts == [0]


def test_results_of_ops_sent_before_a_lock_never_reach_the_ui(
    qtbot: QtBot, session: Session
) -> None:
    gate = threading.Event()
    delivered: list[object] = []
    session.run(lambda store: gate.wait(5), delivered.append)
    session.worker.close()
    gate.set()
    wait_idle(qtbot, session.worker)
    assert delivered == []
    assert not session.worker.is_open
    failures: list[BaseException] = []
    session.run(lambda store: store.actor, delivered.append, failures.append)
    wait_idle(qtbot, session.worker)
    assert delivered == [] and isinstance(failures[0], Locked)


def test_unexpected_errors_are_told_without_their_message(
    qtbot: QtBot, worker: DbWorker[Store], caplog: pytest.LogCaptureFixture
) -> None:
    told: list[str] = []
    worker.failed.connect(told.append)
    worker.open(lambda: FakeStore())  # type: ignore[arg-type, return-value]
    secret = "".join(("LS1 4HY ", "Jane", " Doe"))  # not in the source, so not in a traceback

    def boom(store: Store) -> None:
        raise RuntimeError(secret)

    worker.run(boom)
    wait_idle(qtbot, worker)
    assert told and secret not in told[0]
    assert "RuntimeError" in caplog.text
    assert secret not in caplog.text
    assert describe(InvalidEvent([])) == ""


class FakeStore:
    def close(self) -> None:
        pass


def test_an_unexpected_error_in_a_save_is_logged_without_its_content_and_told_plainly(
    qtbot: QtBot, session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    """The form hears of the failure itself (a `failed` callback), and it is logged still."""
    secret = "".join(("LS6 ", "2QQ", " Jane Smith"))
    form = HouseholdForm(session, aggregate_id=new_id(), occurrence_id=new_id(),
                         draft_key="household:boom")
    qtbot.addWidget(form)
    form.show()

    def boom(store: Store) -> None:
        raise RuntimeError(secret)

    session.run(boom, None, form._not_saved)
    wait_idle(qtbot, session.worker)
    assert "RuntimeError" in caplog.text and "boom" in caplog.text
    assert secret not in caplog.text
    told = form.problem_text("")
    assert "nothing was saved" in told and secret not in told
