"""The demo's printed instructions (scripts/run-app.sh --demo) name what the app shows: each
*Name* in them is a label, heading or button on the start screens, word for word."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtWidgets import QAbstractButton, QLabel
from pytestqt.qtbot import QtBot

from fieldapp.ui.controller import AppController

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "run-app.sh"


def _instructions() -> str:
    text = SCRIPT.read_text()
    return text[text.index("cat <<MSG"):text.index("\nMSG\n")]


def test_every_name_in_the_demo_instructions_is_on_the_start_screens(
    qtbot: QtBot, controller: AppController
) -> None:
    names = re.findall(r"\*([^*]+)\*", _instructions())
    assert len(names) >= 8
    window = controller.start_window
    shown = [re.sub(r"<[^>]+>", "", w.text()).replace("&", "")
             for w in window.findChildren(QLabel) + window.findChildren(QAbstractButton)]
    assert [n for n in names if not any(n in text for text in shown)] == []


def test_the_demo_asks_for_the_collar_number_where_the_app_asks_for_it(
    qtbot: QtBot, controller: AppController
) -> None:
    """"Use collar number 1234" must point at a field: the profile name, whose hint says so."""
    text = _instructions()
    assert "in *Profile name* type 1234" in text
    assert controller.start_window.new_profile.name.placeholderText() == "your collar number"
