"""Who to call about victim support, captured on the offer: one box per contact, pre-filled
from the household's members (never the person under investigation).

The widget only gathers what was typed; the domain (fieldapp.domain.contacts) says what is
wrong, in the officer's words, and the form places it under the contact it is about.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from fieldapp.domain.catalogue import CONTACT_RELATIONSHIPS, PHONE_LABELS
from fieldapp.domain.events import Member
from fieldapp.ui.widgets import ErrorLabel

MAX_CONTACTS = 3


def _combo(options: Mapping[str, str], name: str, parent: QWidget) -> QComboBox:
    box = QComboBox(parent)
    box.setAccessibleName(name)
    for key, label in options.items():
        box.addItem(label, key)
    return box


def times_of(text: str) -> list[dict[str, str]]:
    """"18:00-20:00, 09:30-12:00" as windows; a part without a dash keeps its text as the
    start, so the domain names exactly what is not a time."""
    windows = []
    for part in (p.strip() for p in text.replace(";", ",").split(",")):
        if not part:
            continue
        start, _, end = part.replace("–", "-").partition("-")
        windows.append({"start": start.strip(), "end": end.strip()})
    return windows


class ContactBox(QGroupBox):
    changed = Signal()

    def __init__(self, n: int, parent: QWidget | None = None) -> None:
        super().__init__(f"Contact {n + 1}", parent)
        self.name = QLineEdit(self)
        self.name.setMaxLength(120)
        self.relationship = _combo(CONTACT_RELATIONSHIPS, "Contact's relationship", self)
        self.phone = QLineEdit(self)
        self.phone.setMaxLength(20)
        self.phone.setPlaceholderText("for example 07700 900123")
        self.phone.setInputMethodHints(Qt.InputMethodHint.ImhDialableCharactersOnly)
        self.phone_label = _combo(PHONE_LABELS, "Kind of number", self)
        self.times = QLineEdit(self)
        self.times.setPlaceholderText("for example 18:00-20:00, 09:30-12:00")
        self.safe_to_call = QCheckBox("Safe to call this number", self)
        self.safe_to_message = QCheckBox("Safe to leave a message", self)
        self.language = QLineEdit(self)
        self.language.setMaxLength(60)
        self.interpreter = QCheckBox("Interpreter needed", self)
        self.access_needs = QLineEdit(self)
        self.access_needs.setMaxLength(500)
        self.notes = QLineEdit(self)
        self.notes.setMaxLength(1000)
        self.error = ErrorLabel(self.title(), self)
        phone_row = QHBoxLayout()
        phone_row.addWidget(self.phone, 2)
        phone_row.addWidget(self.phone_label, 1)
        rows = QFormLayout(self)
        rows.addRow("Name", self.name)
        rows.addRow("Relationship", self.relationship)
        rows.addRow("Number", phone_row)
        shown: tuple[tuple[str, QWidget], ...] = (
            ("Preferred times", self.times), ("", self.safe_to_call), ("", self.safe_to_message),
            ("Language", self.language), ("", self.interpreter),
            ("Access needs", self.access_needs), ("Notes", self.notes),
        )
        for label, widget in shown:
            rows.addRow(label, widget)
        rows.addRow(self.error)
        who = f"contact {n + 1}"
        for widget, name in ((self.name, "Name"), (self.phone, "Telephone number"),
                             (self.times, "Preferred times to call"), (self.language, "Language"),
                             (self.access_needs, "Access needs"), (self.notes, "Notes"),
                             (self.safe_to_call, "Safe to call"),
                             (self.safe_to_message, "Safe to leave a message"),
                             (self.interpreter, "Interpreter needed")):
            widget.setAccessibleName(f"{name} of {who}")
        for line in (self.name, self.phone, self.times, self.language, self.access_needs,
                     self.notes):
            line.textEdited.connect(self.changed)
        for check in (self.safe_to_call, self.safe_to_message, self.interpreter):
            check.toggled.connect(self.changed)
        for combo in (self.relationship, self.phone_label):
            combo.currentIndexChanged.connect(self.changed)

    def value(self) -> dict[str, Any]:
        phone = self.phone.text().strip()
        return {
            "name": self.name.text(),
            "relationship": self.relationship.currentData(),
            "phones": [{"number": phone, "label": self.phone_label.currentData()}] if phone
            else [],
            "preferred_times": times_of(self.times.text()),
            "safe_to_call": self.safe_to_call.isChecked(),
            "safe_to_leave_message": self.safe_to_message.isChecked(),
            "language": self.language.text(),
            "interpreter_needed": self.interpreter.isChecked(),
            "access_needs": self.access_needs.text(),
            "notes": self.notes.text(),
        }

    def set_value(self, data: Mapping[str, Any]) -> None:
        self.name.setText(str(data.get("name", "")))
        self.relationship.setCurrentIndex(max(self.relationship.findData(
            data.get("relationship", "partner")), 0))
        phones = data.get("phones") or [{}]
        self.phone.setText(str(phones[0].get("number", "")))
        self.phone_label.setCurrentIndex(max(self.phone_label.findData(
            phones[0].get("label", "mobile")), 0))
        self.times.setText(", ".join(
            f"{t.get('start', '')}-{t.get('end', '')}" for t in data.get("preferred_times", [])))
        self.safe_to_call.setChecked(bool(data.get("safe_to_call")))
        self.safe_to_message.setChecked(bool(data.get("safe_to_leave_message")))
        self.language.setText(str(data.get("language", "")))
        self.interpreter.setChecked(bool(data.get("interpreter_needed")))
        self.access_needs.setText(str(data.get("access_needs", "")))
        self.notes.setText(str(data.get("notes", "")))


# About one contact's questions; a second or third contact scrolls inside the list.
CONTACTS_HEIGHT = 300


class ContactsEditor(QWidget):
    """The household's contacts for victim support (one to begin with, up to three)."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Contacts for victim support")
        self.boxes: list[ContactBox] = []
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        # The contacts are a list, and it scrolls inside itself (as the household's members
        # do): the offer form around it keeps its Save button on a laptop's screen.
        self._holder = QWidget(self)
        self.column = QVBoxLayout(self._holder)
        self.column.setContentsMargins(0, 0, 0, 0)
        self.list_scroll = QScrollArea(self)
        self.list_scroll.setWidgetResizable(True)
        self.list_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.list_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list_scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.list_scroll.setWidget(self._holder)
        self.list_scroll.setFixedHeight(CONTACTS_HEIGHT)
        outer.addWidget(self.list_scroll)
        self.add_button = QPushButton("Add another &contact", self)
        self.add_button.setAccessibleName("Add another contact")
        self.add_button.clicked.connect(lambda: self.add())
        outer.addWidget(self.add_button)
        self.add()

    def add(self) -> ContactBox:
        box = ContactBox(len(self.boxes), self)
        box.changed.connect(self.changed)
        self.boxes.append(box)
        self.column.addWidget(box)
        self.add_button.setEnabled(len(self.boxes) < MAX_CONTACTS)
        if len(self.boxes) > 1:
            box.name.setFocus()
            self.list_scroll.ensureWidgetVisible(box, 0, 0)
        return box

    def value(self) -> list[dict[str, Any]]:
        """Boxes with anything typed in them: an empty one is no contact."""
        return [box.value() for box in self.boxes if box.name.text() or box.phone.text()]

    def set_value(self, contacts: Iterable[Mapping[str, Any]]) -> None:
        for n, data in enumerate(list(contacts)[:MAX_CONTACTS]):
            box = self.boxes[n] if n < len(self.boxes) else self.add()
            box.set_value(data)

    def prefill(self, members: Iterable[Member]) -> None:
        """The first named member who may be a contact, unless something was typed already."""
        if self.value():
            return
        for member in members:
            if member.relationship in CONTACT_RELATIONSHIPS and member.name:
                self.boxes[0].name.setText(member.name)
                self.boxes[0].relationship.setCurrentIndex(
                    max(self.boxes[0].relationship.findData(member.relationship), 0))
                return

    def show_problems(self, messages: Mapping[int, str]) -> None:
        for n, box in enumerate(self.boxes):
            box.error.show_message(messages.get(n, ""))
