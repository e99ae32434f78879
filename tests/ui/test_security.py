"""Nothing sensitive outside the encrypted database: not in settings, titles, logs or files."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from ui_support import first_run, record_a_call_back, wait_idle

from fieldapp.ui.controller import AppController
from fieldapp.ui.launcher import DraftKey

SECRETS = ("13/42/26", "4 Beck Side", "LS6 2QQ", "Typed Name")


def test_typed_records_stay_inside_the_encrypted_database(
    qtbot: QtBot,
    controller: AppController,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    main = first_run(qtbot, controller)
    record_a_call_back(qtbot, controller)
    assert main.capture.current is not None
    form = main.launcher.open(DraftKey("leaflets", main.capture.current.occurrence.id))  # type: ignore[union-attr]
    qtbot.keyClicks(form.person, "Typed Name")  # type: ignore[attr-defined]
    form.save()  # refused (no leaflets chosen): a failure path, then a draft on lock
    wait_idle(qtbot, controller.worker)

    titles = {w.windowTitle() for w in QApplication.topLevelWidgets()}
    assert not any(secret in title for title in titles for secret in SECRETS)
    controller.lock()
    wait_idle(qtbot, controller.worker)

    settings = (tmp_path / "ui.ini").read_text()
    assert set(_keys(settings)) <= {"main/geometry", "start/last_profile"}
    out, err = capfd.readouterr()
    for secret in SECRETS:
        assert secret not in settings
        assert secret not in caplog.text
        assert secret not in out + err
    for path in tmp_path.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not any(secret.encode() in data for secret in SECRETS), path


def _keys(ini: str) -> list[str]:
    keys, section = [], ""
    for line in ini.splitlines():
        if line.startswith("["):
            section = line.strip("[]")
        elif "=" in line:
            name = line.split("=", 1)[0]
            keys.append(name if section == "General" else f"{section}/{name}")
    return keys
