"""Fixtures for the desktop app: a real encrypted profile per test, the real database worker."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot
from ui_support import FAST_KDF, IDLE_MINUTES, PASSPHRASE, FixedClock, wait_idle

from fieldapp.store import Profiles, Store
from fieldapp.ui.controller import AppController
from fieldapp.ui.ops import DbWorker
from fieldapp.ui.session import Identity, Session, identify


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def profiles(tmp_path: Path, clock: FixedClock) -> Profiles:
    return Profiles(clock, tmp_path, insecure_kdf_for_tests=FAST_KDF)


@pytest.fixture
def worker(qtbot: QtBot) -> Iterator[DbWorker[Store]]:
    db_worker: DbWorker[Store] = DbWorker()
    yield db_worker
    db_worker.shutdown()


@pytest.fixture
def session(
    qtbot: QtBot, worker: DbWorker[Store], profiles: Profiles, clock: FixedClock
) -> Session:
    worker.open(lambda: profiles.create("1234", PASSPHRASE))
    found: list[Identity] = []
    worker.run(identify, found.append)
    wait_idle(qtbot, worker)
    return Session(worker, found[0], clock)


@pytest.fixture
def controller(
    qtbot: QtBot, profiles: Profiles, clock: FixedClock, tmp_path: Path
) -> Iterator[AppController]:
    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    app = AppController(profiles, settings, clock=clock, idle_minutes=IDLE_MINUTES)
    qtbot.addWidget(app.start_window)
    yield app
    app.quit()
