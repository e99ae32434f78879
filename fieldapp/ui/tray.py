"""Announcements through the system tray, where the desktop has one.

Messages say how many call-backs are due, never whose: a tray balloon can show over the
lock screen or be read by anyone standing at the laptop.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QStyle, QSystemTrayIcon

from fieldapp.ui.text import APP_NAME


class Tray(QObject):
    activated = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._icon: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            style = QApplication.style()
            self._icon = QSystemTrayIcon(
                style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation), self
            )
            self._icon.setToolTip(APP_NAME)
            self._icon.activated.connect(lambda _: self.activated.emit())
            self._icon.show()

    def announce(self, title: str, text: str) -> None:
        if self._icon is not None:
            self._icon.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 15_000)

    def hide(self) -> None:
        if self._icon is not None:
            self._icon.hide()
