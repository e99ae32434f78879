"""Two laptops and the real endpoint over HTTPS: a call-back completed on one laptop shows
on the other as done elsewhere, through the app's own enrolment, sync button and views."""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import trustme
from PySide6.QtCore import QSettings, Qt
from pytestqt.qtbot import QtBot
from ui_support import FAST_KDF, NOW, PASSPHRASE, FixedClock, record_a_call_back, wait_idle

from central.app import create_app
from central.storage import open_storage
from central.storage.sql import SqlStorage
from fieldapp.domain.schedule import TaskStatus
from fieldapp.store import Profiles
from fieldapp.sync.client import SyncSummary
from fieldapp.ui.controller import AppController
from fieldapp.ui.forms.vcas import CallbackForm
from fieldapp.ui.main_window import MainWindow

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "central"))
from central_support import LiveServer, add_officer, issue_code


def endpoint(tmp_path: Path) -> tuple[str, str, Path, SqlStorage]:
    """Certificate, key and CA files, and the endpoint's storage with two officers."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    certfile, keyfile, ca_file = (tmp_path / n for n in ("cert.pem", "key.pem", "ca.pem"))
    cert.private_key_pem.write_to_path(str(keyfile))
    cert.cert_chain_pems[0].write_to_path(str(certfile))
    ca.cert_pem.write_to_path(str(ca_file))
    storage = open_storage(f"sqlite:///{tmp_path / 'central.db'}")
    storage.migrate(datetime.now(UTC))
    for collar in ("1234", "5678"):
        add_officer(storage, collar, team="T1", district="Leeds", now=datetime.now(UTC))
    return str(certfile), str(keyfile), ca_file, storage


@pytest.fixture
def central(tmp_path: Path) -> Iterator[tuple[str, Path, SqlStorage]]:
    certfile, keyfile, ca_file, storage = endpoint(tmp_path)
    with LiveServer(create_app(storage), certfile=certfile, keyfile=keyfile) as live:
        yield live.url, ca_file, storage
    storage.close()


def held(folder: Path) -> int:
    """How many events the endpoint stores."""
    with closing(sqlite3.connect(f"file:{folder / 'central.db'}?mode=ro", uri=True)) as db:
        return int(db.execute("SELECT count(*) FROM events").fetchone()[0])


def laptop(
    qtbot: QtBot, tmp_path: Path, name: str, clock: FixedClock
) -> AppController:
    home = tmp_path / f"laptop-{name}"
    settings = QSettings(str(home / "ui.ini"), QSettings.Format.IniFormat)
    profiles = Profiles(clock, home, insecure_kdf_for_tests=FAST_KDF)
    controller = AppController(profiles, settings, clock=clock, idle_minutes=30)
    qtbot.addWidget(controller.start_window)
    return controller


def enrol(
    qtbot: QtBot, controller: AppController, collar: str, url: str, ca: Path, code: str
) -> MainWindow:
    """First run through the start window, enrolling with the code IT issued."""
    controller.start()
    start = controller.start_window
    qtbot.waitUntil(lambda: start.pages.currentWidget() is start.new_profile)
    start.new_profile.name.setText(collar)
    start.new_profile.passphrase.setText(PASSPHRASE)
    start.new_profile.repeat.setText(PASSPHRASE)
    start.submit_create()
    qtbot.waitUntil(lambda: start.pages.currentWidget() is start.enrol, timeout=10_000)
    start.enrol.url.setText(url)
    start.enrol.code.setText(code)
    start.enrol.ca_bundle.setText(str(ca))
    with qtbot.waitSignal(controller.sync.finished, timeout=20_000):  # the first sync
        qtbot.mouseClick(start.enrol.enrol_button, Qt.MouseButton.LeftButton)
    assert controller.main is not None
    assert controller.main.status.connection.text() == "Online"
    return controller.main


def sync(qtbot: QtBot, controller: AppController) -> SyncSummary:
    main = controller.main
    assert main is not None
    with qtbot.waitSignal(controller.sync.finished, timeout=20_000) as done:
        qtbot.mouseClick(main.status.sync_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, controller.worker)
    summary: SyncSummary = done.args[0]
    return summary


def sync_until(
    qtbot: QtBot, controller: AppController, done: Callable[[SyncSummary], bool]
) -> SyncSummary:
    """Presses Sync now and returns the summary of the first sync after it that `done`
    accepts. A save's own sync may still be running, or about to start, when the test
    changes the endpoint: it read before the change, and "Sync now" is disabled while it
    runs, so the summary caught after a click may be that sync's. The button is pressed
    once it is enabled, which always starts a sync after this moment (at once, or as soon
    as the one under way ends), and every summary until `done` accepts one is read."""
    main = controller.main
    assert main is not None
    summaries: list[SyncSummary] = []

    def heard(summary: SyncSummary) -> None:
        summaries.append(summary)

    controller.sync.finished.connect(heard)
    try:
        qtbot.waitUntil(main.status.sync_button.isEnabled, timeout=20_000)
        qtbot.mouseClick(main.status.sync_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: any(map(done, summaries)), timeout=20_000)
    finally:
        controller.sync.finished.disconnect(heard)
    wait_idle(qtbot, controller.worker)
    return next(filter(done, summaries))


def test_a_call_back_done_on_another_laptop_shows_as_done_elsewhere(
    qtbot: QtBot, tmp_path: Path, central: tuple[str, Path, SqlStorage]
) -> None:
    url, ca, storage = central
    now = datetime.now(UTC)
    code_a, code_b = issue_code(storage, "1234", now), issue_code(storage, "5678", now)
    a = laptop(qtbot, tmp_path, "a", FixedClock(NOW))
    b = laptop(qtbot, tmp_path, "b", FixedClock(NOW + timedelta(days=21, hours=1)))
    try:
        main_a = enrol(qtbot, a, "1234", url, ca, code_a)
        record_a_call_back(qtbot, a, "13/700001/26")
        # Saved records go out at once while the endpoint answers, with no button pressed.
        qtbot.waitUntil(lambda: held(tmp_path) == 3, timeout=20_000)
        qtbot.waitUntil(lambda: main_a.status.waiting.text() == "0 records waiting to send")
        assert main_a.status.last.text().startswith("Last sync ")

        main_b = enrol(qtbot, b, "5678", url, ca, code_b)
        page_b = main_b.followups
        qtbot.waitUntil(lambda: page_b.model.rowCount() == 1)
        row = page_b.model.row_at(0)
        assert row is not None and (row.reference, row.status, row.assignee) == (
            "13/700001/26", TaskStatus.DUE, "1234"
        )
        page_b.table.selectRow(0)
        page_b.record_button.click()
        [form] = main_b.launcher.open_forms.values()
        assert isinstance(form, CallbackForm)
        form.outcome.button("accepted").click()
        form.consent.setChecked(True)
        form.contact_phone.setText("07700 900321")
        with qtbot.waitSignal(form.saved):
            form.save()
        qtbot.waitUntil(lambda: held(tmp_path) == 4, timeout=20_000)
        qtbot.waitUntil(lambda: not b.sync.running)
        wait_idle(qtbot, b.worker)

        summary = sync(qtbot, a)
        assert (summary.pulled, len(summary.tasks_done_elsewhere)) == (1, 1)
        assert "1 done on another laptop" in main_a.sync_page.summary.text()
        page_a = main_a.followups
        page_a.tabs.setCurrentIndex(4)  # done or closed
        page_a.apply_filter()
        qtbot.waitUntil(lambda: page_a.model.rowCount() == 1)
        done = page_a.model.row_at(0)
        assert done is not None
        assert (done.status, done.closed_by) == (TaskStatus.DONE_ELSEWHERE, "5678")
    finally:
        a.quit()
        b.quit()


def test_a_wipe_ordered_by_the_endpoint_destroys_the_profile(
    qtbot: QtBot, tmp_path: Path, central: tuple[str, Path, SqlStorage]
) -> None:
    url, ca, storage = central
    a = laptop(qtbot, tmp_path, "a", FixedClock(NOW))
    try:
        main = enrol(qtbot, a, "1234", url, ca, issue_code(storage, "1234", datetime.now(UTC)))
        record_a_call_back(qtbot, a, "13/700002/26")
        device: list[str | None] = []
        a.worker.run(lambda store: store.get_setting("sync.device_id"), device.append)
        wait_idle(qtbot, a.worker)
        assert device[0] is not None
        # Each save starts a sync of its own, and "Sync now" is disabled while one runs: a
        # click then does nothing. If that sync had made its last request before the order,
        # it ended without meeting it and the next came ten minutes later (the test failed
        # under load). So the saves go out first; then, with the order given, a sync under
        # way either meets it or ends and the button is there to press.
        qtbot.waitUntil(lambda: held(tmp_path) == 3, timeout=20_000)
        qtbot.waitUntil(lambda: not a.sync.running)
        storage.set_device_status(device[0], "wipe", now=datetime.now(UTC), actor="test")
        qtbot.waitUntil(lambda: a.locked or main.status.sync_button.isEnabled(), timeout=20_000)
        if not a.locked:
            main.status.sync_button.click()
        start = a.start_window
        qtbot.waitUntil(lambda: "wiped" in start.choose.message.text(), timeout=20_000)
        assert a.locked and start.pages.currentWidget() is start.choose
        assert start.choose.profiles.count() == 0
        assert not (tmp_path / "laptop-a" / "profiles" / "1234").exists()
    finally:
        a.quit()


def test_an_erasure_pulled_while_the_follow_ups_list_is_open_removes_its_row(
    qtbot: QtBot, tmp_path: Path, central: tuple[str, Path, SqlStorage]
) -> None:
    url, ca, storage = central
    a = laptop(qtbot, tmp_path, "a", FixedClock(NOW))
    try:
        main = enrol(qtbot, a, "1234", url, ca, issue_code(storage, "1234", datetime.now(UTC)))
        record_a_call_back(qtbot, a, "13/700003/26")
        qtbot.waitUntil(lambda: held(tmp_path) == 3, timeout=20_000)
        qtbot.waitUntil(lambda: not a.sync.running)
        main.show_page(1)
        page = main.followups
        qtbot.waitUntil(lambda: page.loaded and page.model.rowCount() == 1)
        reloads: list[object] = []
        whole = page.reload
        page.reload = lambda: (reloads.append(1), whole())  # type: ignore[method-assign]
        erased = storage.retention(NOW + timedelta(days=1), reason="Retention period ended",
                                   now=datetime.now(UTC), actor="cli:test", dry_run=False)
        assert len(erased.cases) == 1
        summary = sync_until(qtbot, a, lambda summary: bool(summary.erased))
        assert set(summary.erased) == set(erased.cases[0].aggregate_ids)
        # The pulled page's change set removed the row, as a save's would: no whole reload.
        qtbot.waitUntil(lambda: page.model.rowCount() == 0)
        assert reloads == []
    finally:
        a.quit()


def test_a_sync_that_cannot_reach_the_endpoint_says_so_and_when_it_tries_again(
    qtbot: QtBot, tmp_path: Path
) -> None:
    certfile, keyfile, ca, storage = endpoint(tmp_path)
    a = laptop(qtbot, tmp_path, "a", FixedClock(NOW))
    try:
        with LiveServer(create_app(storage), certfile=certfile, keyfile=keyfile) as live:
            main = enrol(qtbot, a, "1234", live.url, ca,
                         issue_code(storage, "1234", datetime.now(UTC)))
            qtbot.waitUntil(lambda: main.status.last.text().startswith("Last sync "))
            qtbot.waitUntil(lambda: not a.sync.running)
        # The endpoint is down now; the officer presses F5.
        with qtbot.waitSignal(a.sync.retrying, timeout=20_000):
            qtbot.keyClick(main, Qt.Key.Key_F5)
        # 14:00 UTC on 10/03/2026 is 14:00 in London; the next try is seconds later.
        expected = "Could not reach the endpoint at 14:00; next try 14:0"
        assert main.status.last.text().startswith(expected)
        assert main.sync_page.summary.text().startswith(expected)
        assert main.statusBar().currentMessage().startswith(expected)
        # Facts read again (a record saved, say) keep the failure in view.
        main.refresh_facts()
        wait_idle(qtbot, a.worker)
        assert main.status.last.text().startswith(expected)
    finally:
        a.quit()
        storage.close()
