"""`python -m fieldapp` starts the desktop app; `fieldapp admin ...` still reaches the admin."""

from __future__ import annotations

import pytest

import fieldapp.admin
import fieldapp.ui.app
from fieldapp.__main__ import main


def test_admin_commands_are_dispatched_and_the_app_is_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[tuple[str, list[str]]] = []

    def recorder(name: str) -> object:
        return lambda args: calls.append((name, list(args))) or 0

    monkeypatch.setattr(fieldapp.admin, "admin_main", recorder("admin"))
    monkeypatch.setattr(fieldapp.ui.app, "main", recorder("app"))
    assert main(["admin", "profiles"]) == 0
    assert main(["--home", "/tmp/x"]) == 0
    assert calls == [("admin", ["profiles"]), ("app", ["--home", "/tmp/x"])]
