"""The desktop app's entry point: Qt set up for UK English and high-DPI, then the controller."""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QLocale, QSettings, Qt
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication

from fieldapp.resources import recovery_public_key, resources_dir
from fieldapp.store import Profiles
from fieldapp.ui.controller import AppController
from fieldapp.ui.session import utc_now
from fieldapp.ui.smoke import run as smoke_test
from fieldapp.ui.style import STYLE_SHEET
from fieldapp.ui.text import APP_NAME

log = logging.getLogger("fieldapp")


def _safe_excepthook(
    kind: type[BaseException], error: BaseException, trace: TracebackType | None
) -> None:
    """Crash output names the error and where, never its message (it may quote a record)."""
    frames = "".join(traceback.format_tb(trace))
    sys.stderr.write(f"fieldapp stopped on {kind.__name__}\n{frames}")


def _arguments(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=APP_NAME, description="Offline-first capture app.")
    parser.add_argument(
        "--home", type=Path, default=None,
        help="folder holding the profiles (default: the user's data folder, or $FIELDAPP_HOME)",
    )
    parser.add_argument(
        "--smoke-test", action="store_true",
        help="check this install works, headless: needs --home DIR and a passphrase on stdin",
    )
    args = parser.parse_args(list(argv))
    if args.smoke_test and args.home is None:
        parser.error("--smoke-test needs --home DIR, so that it never opens a real profile")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(sys.argv[1:] if argv is None else argv)
    sys.excepthook = _safe_excepthook
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
        Qt.HighDpiScaleFactorRoundingPolicy.PassThrough
    )
    app = QApplication([sys.argv[0]])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setDesktopFileName(APP_NAME)  # ties windows to the menu entry fieldapp.desktop
    app.setQuitOnLastWindowClosed(False)  # locking swaps windows; quitting is explicit
    QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom))
    app.setStyleSheet(STYLE_SHEET)
    app.setWindowIcon(QIcon(str(resources_dir() / "icons" / "fieldapp.svg")))
    if args.smoke_test:
        return smoke_test(app, args.home)
    controller = AppController(
        Profiles(utc_now, args.home, recovery_public_key=recovery_public_key()), QSettings(),
        quit_app=app.quit,
    )
    controller.start()
    return app.exec()
