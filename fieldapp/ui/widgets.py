"""Small input widgets the capture forms share: large, keyboard-first, named for screen readers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from PySide6.QtCore import QDate, Qt, QTime, Signal
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QCheckBox,
    QDateTimeEdit,
    QGridLayout,
    QLabel,
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
