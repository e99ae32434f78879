"""Small input widgets the capture forms share: large, keyboard-first, named for screen readers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from PySide6.QtCore import QDate, QSize, Qt, QTime, Signal
from PySide6.QtGui import QGuiApplication, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QCheckBox,
    QDateTimeEdit,
    QGridLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QWidget,
)

from fieldapp.ui.text import from_london, to_london


class ChoiceGroup(QWidget):
    """One of a vocabulary, as radio buttons: arrow keys move, space chooses."""

    changed = Signal()

    def __init__(
        self,
        options: Mapping[str, str],
        name: str,
        *,
        columns: int = 1,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setAccessibleName(name)
        self._group = QButtonGroup(self)
        self._buttons: dict[str, QRadioButton] = {}
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for n, (key, label) in enumerate(options.items()):
            button = QRadioButton(label, self)
            button.setAccessibleName(f"{name}: {label}")
            self._group.addButton(button)
            self._buttons[key] = button
            layout.addWidget(button, n // columns, n % columns)
        self._group.buttonToggled.connect(self._toggled)
        if self._buttons:  # a label's Alt+letter lands on the first choice
            self.setFocusProxy(next(iter(self._buttons.values())))

    def _toggled(self, _button: QAbstractButton, checked: bool) -> None:
        if checked:
            self.changed.emit()

    def value(self) -> str:
        return next((key for key, b in self._buttons.items() if b.isChecked()), "")

    def set_value(self, key: str) -> None:
        button = self._buttons.get(key)
        if button is not None:
            button.setChecked(True)
            return
        # Clearing a radio group needs exclusivity off for a moment.
        self._group.setExclusive(False)
        for b in self._buttons.values():
            b.setChecked(False)
        self._group.setExclusive(True)
        self.changed.emit()

    def button(self, key: str) -> QRadioButton:
        return self._buttons[key]

    def focus_first(self) -> None:
        checked = self._group.checkedButton()
        (checked or next(iter(self._buttons.values()))).setFocus()


class CheckGroup(QWidget):
    """Any of a vocabulary, as checkboxes."""

    changed = Signal()

    def __init__(
        self,
        options: Mapping[str, str],
        name: str,
        *,
        columns: int = 1,
        hints: Mapping[str, str] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setAccessibleName(name)
        self._boxes: dict[str, QCheckBox] = {}
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for n, (key, label) in enumerate(options.items()):
            box = QCheckBox(label, self)
            box.setAccessibleName(f"{name}: {label}")
            hint = (hints or {}).get(key)
            if hint:
                box.setToolTip(hint)
                box.setAccessibleDescription(hint)
            box.toggled.connect(self.changed)
            self._boxes[key] = box
            layout.addWidget(box, n // columns, n % columns)
        if self._boxes:
            self.setFocusProxy(next(iter(self._boxes.values())))

    def value(self) -> list[str]:
        return [key for key, box in self._boxes.items() if box.isChecked()]

    def set_value(self, keys: Iterable[str]) -> None:
        wanted = set(keys)
        for key, box in self._boxes.items():
            box.setChecked(key in wanted)

    def box(self, key: str) -> QCheckBox:
        return self._boxes[key]

    def focus_first(self) -> None:
        next(iter(self._boxes.values())).setFocus()


class MomentEdit(QDateTimeEdit):
    """When something happened, typed on the London clock and read back as UTC."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDisplayFormat("dd/MM/yyyy HH:mm")
        self.setCalendarPopup(True)
        self.setAccessibleName(name)

    # Read and written field by field, so that the laptop's own time zone never shifts them.
    def value(self) -> datetime:
        d, t = self.date(), self.time()
        return from_london(datetime(d.year(), d.month(), d.day(), t.hour(), t.minute()))

    def set_value(self, instant: datetime) -> None:
        wall = to_london(instant)
        self.setDate(QDate(wall.year, wall.month, wall.day))
        self.setTime(QTime(wall.hour, wall.minute))


# What a window manager's title bar and frame take, at most, above and around a window.
FRAME_ALLOWANCE = QSize(16, 48)


def fit_to_screen(window: QWidget, wanted: QSize) -> QSize:
    """Sizes `window` to `wanted`, or less where the screen is smaller (a 1366×768 laptop
    panel, or 1920×1080 at 150%), and keeps it on the screen: nothing lies off its edges."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    room = screen.availableGeometry()
    size = QSize(
        min(wanted.width(), room.width() - FRAME_ALLOWANCE.width()),
        min(wanted.height(), room.height() - FRAME_ALLOWANCE.height()),
    )
    window.resize(size)
    frame = window.frameGeometry()
    frame.moveCenter(room.center())
    window.move(max(frame.left(), room.left()), max(frame.top(), room.top()))
    return size


class PassphraseLine(QLineEdit):
    """A passphrase field that says when Caps Lock seems to be on.

    Qt does not report Caps Lock itself: a letter typed in upper case without Shift (or in
    lower case with it) shows it is on, the other way round that it is off.
    """

    caps_lock = Signal(bool)

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setEchoMode(QLineEdit.EchoMode.Password)
        self.setAccessibleName(name)
        self.setMaxLength(1024)
        self.caps_on = False

    def keyPressEvent(self, event: QKeyEvent) -> None:
        text = event.text()
        if len(text) == 1 and text.isalpha() and text.lower() != text.upper():
            shifted = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            self.caps_on = text.isupper() != shifted
            self.caps_lock.emit(self.caps_on)  # every letter tells, in whichever field
        elif event.key() == Qt.Key.Key_CapsLock and self.caps_on:
            self.caps_on = False  # pressed again: most likely off now; the next letter tells
            self.caps_lock.emit(False)
        super().keyPressEvent(event)


class CapsLockWarning(QLabel):
    """'Caps Lock is on', under the passphrase fields it watches; hidden otherwise."""

    TEXT = "Caps Lock is on: your passphrase may be typed in the wrong case."

    def __init__(self, lines: Iterable[PassphraseLine], parent: QWidget | None = None) -> None:
        super().__init__(self.TEXT, parent)
        self.setObjectName("capsLock")
        self.setAccessibleName("Caps Lock warning")
        self.setWordWrap(True)
        self.hide()
        for line in lines:
            line.caps_lock.connect(self.setVisible)


class ErrorLabel(QLabel):
    """A validation message placed under the field it is about; hidden while there is none."""

    def __init__(self, field_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fieldError")
        self.setWordWrap(True)
        self.setAccessibleName(f"Problem with {field_name}")
        self.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.hide()

    def show_message(self, message: str) -> None:
        self.setText(message)
        self.setVisible(bool(message))
