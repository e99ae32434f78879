"""A household at the address and its members: the consequential victims."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from fieldapp.domain.catalogue import RELATIONSHIPS
from fieldapp.domain.events import EventType
from fieldapp.domain.problems import Problem
from fieldapp.ui.forms.base import CaptureForm
from fieldapp.ui.session import Session
from fieldapp.ui.widgets import ErrorLabel

NO_AGE = -1
MEMBERS_HEIGHT = 230  # about four members with a message each; more scroll in the list


class MemberRow(QWidget):
    """One member: relationship, name (optional) and age (needed for a child)."""

    changed = Signal()
    remove_requested = Signal(object)

    def __init__(self, number: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        who = f"member {number}"
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        self.relationship = QComboBox(self)
        self.relationship.addItem("Choose…", "")
        for key, label in RELATIONSHIPS.items():
            self.relationship.addItem(label, key)
        self.relationship.setAccessibleName(f"Relationship of {who}")
        self.name = QLineEdit(self)
        self.name.setPlaceholderText("Name (optional)")
        self.name.setMaxLength(120)
        self.name.setAccessibleName(f"Name of {who}")
        self.age = QSpinBox(self)
        self.age.setRange(NO_AGE, 120)
        self.age.setSpecialValueText("Age")
        self.age.setValue(NO_AGE)
        self.age.setAccessibleName(f"Age of {who}")
        self.remove = QPushButton("Remove", self)
        self.remove.setAccessibleName(f"Remove {who}")
        self.errors = {
            "relationship": ErrorLabel(f"relationship of {who}", self),
            "name": ErrorLabel(f"name of {who}", self),
            "age": ErrorLabel(f"age of {who}", self),
            "": ErrorLabel(who, self),
        }
        self.name.setMinimumWidth(160)
        self.age.setFixedWidth(90)
        for column, widget in enumerate((self.relationship, self.name, self.age, self.remove)):
            grid.addWidget(widget, 0, column)
        # Each message sits under its own field; the age's may run under Remove too.
        grid.addWidget(self.errors["relationship"], 1, 0)
        grid.addWidget(self.errors["name"], 1, 1)
        grid.addWidget(self.errors["age"], 1, 2, 1, 2)
        grid.addWidget(self.errors[""], 2, 0, 1, 4)
        grid.setColumnStretch(1, 1)
        self.relationship.currentIndexChanged.connect(self.changed)
        self.name.textEdited.connect(self.changed)
        self.age.valueChanged.connect(self.changed)
        self.remove.clicked.connect(lambda: self.remove_requested.emit(self))

    def value(self) -> dict[str, Any]:
        member: dict[str, Any] = {"relationship": self.relationship.currentData() or ""}
        if self.name.text().strip():
            member["name"] = self.name.text()
        if self.age.value() != NO_AGE:
            member["age"] = self.age.value()
        return member

    def set_value(self, member: Mapping[str, Any]) -> None:
        index = self.relationship.findData(member.get("relationship", ""))
        self.relationship.setCurrentIndex(max(index, 0))
        self.name.setText(str(member.get("name", "")))
        age = member.get("age")
        self.age.setValue(age if isinstance(age, int) else NO_AGE)


# One key adds each kind of member, with the cursor where the next keystroke belongs.
ADD_KEYS = (
    ("partner", "Partner", "Alt+P"),
    ("child", "Child", "Alt+C"),
    ("person_under_investigation", "Person under investigation", "Alt+U"),
    ("", "Someone else", "Alt+A"),
)


class HouseholdForm(CaptureForm):
    event_type = EventType.HOUSEHOLD_RECORDED
    heading = "Household"
    reviewed = True

    def __init__(
        self,
        session: Session,
        *,
        aggregate_id: str,
        occurrence_id: str,
        draft_key: str,
        context: str = "",
        person_under_investigation: str = "",
        parent: QWidget | None = None,
    ) -> None:
        self.occurrence_id = occurrence_id
        self.person_under_investigation = person_under_investigation
        super().__init__(
            session, aggregate_id=aggregate_id, draft_key=draft_key, context=context,
            parent=parent,
        )

    def build(self) -> None:
        self.address = QPlainTextEdit(self)
        self.address.setTabChangesFocus(True)
        self.address.setFixedHeight(64)
        self.postcode = QLineEdit(self)
        self.postcode.setMaxLength(10)
        self.postcode.setPlaceholderText("for example LS1 4HY")
        self.member_rows: list[MemberRow] = []
        self._members_box = QWidget(self)
        box = QVBoxLayout(self._members_box)
        box.setContentsMargins(0, 0, 0, 0)
        # The members are a list, and a long one scrolls inside itself: the form around it
        # keeps its Save button and the add buttons in view.
        self._member_holder = QWidget(self._members_box)
        self._member_list = QVBoxLayout(self._member_holder)
        self._member_list.setContentsMargins(0, 0, 0, 0)
        self.member_scroll = QScrollArea(self._members_box)
        self.member_scroll.setWidgetResizable(True)
        self.member_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.member_scroll.setWidget(self._member_holder)
        self.member_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.member_scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        box.addWidget(self.member_scroll)
        buttons = QHBoxLayout()
        buttons.addWidget(QLabel("Add:", self._members_box))
        self.add_buttons: dict[str, QPushButton] = {}
        for relationship, label, keys in ADD_KEYS:
            # A shortcut, not a mnemonic: a button's mnemonic clicks it a moment later
            # (animateClick), and keys typed in that moment would land in the wrong field.
            button = QPushButton(f"{label} ({keys})", self._members_box)
            button.setAccessibleName(f"Add a member: {label.lower()}")
            button.clicked.connect(lambda _=False, r=relationship: self.add_member(r))
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(lambda r=relationship: self.add_member(r))
            buttons.addWidget(button)
            self.add_buttons[relationship] = button
        self.add_member_button = self.add_buttons[""]
        buttons.addStretch(1)
        box.addLayout(buttons)

        self.add_field("payload.address", "Address", self.address)
        self.add_field("payload.postcode", "Postcode", self.postcode)
        self.add_field("payload.members", "Members of the household", self._members_box)
        self.add_when()

        self.address.textChanged.connect(self.touch)
        self.postcode.textEdited.connect(self.touch)
        self.address.setFocus()

    def add_member(self, relationship: str = "") -> MemberRow:
        """Adds a member row and puts the cursor where the officer types next: the age of a
        child, the name of anyone else, the relationship when it is still to be chosen."""
        member: dict[str, Any] = {"relationship": relationship}
        if relationship == "person_under_investigation" and self.person_under_investigation:
            member["name"] = self.person_under_investigation
        row = self._append_member(member)
        # Shown now, not when the layout gets round to it: a hidden widget cannot take focus,
        # and the next key would go to the field before.
        row.show()
        self.fit_members()
        self.order_tabs()
        target = {"": row.relationship, "child": row.age}.get(relationship, row.name)
        target.setFocus(Qt.FocusReason.OtherFocusReason)
        self._member_list.activate()
        self.member_scroll.ensureWidgetVisible(row, 0, 0)
        if target is row.age:
            row.age.selectAll()  # typing replaces the "Age" placeholder
        self.touch()
        return row

    def fit_members(self) -> None:
        """The members' list as tall as its rows (and their messages), up to MEMBERS_HEIGHT;
        beyond that it scrolls inside itself."""
        self._member_list.activate()
        wanted = self._member_holder.sizeHint().height()
        self.member_scroll.setFixedHeight(min(max(wanted, 0), MEMBERS_HEIGHT))

    def show_problems(self, problems: Iterable[Problem]) -> None:
        super().show_problems(problems)
        self.fit_members()

    def clear_problems(self) -> None:
        super().clear_problems()
        self.fit_members()

    def tab_chain(self, key: str, holder: QWidget) -> list[QWidget]:
        if key != "payload.members":
            return super().tab_chain(key, holder)
        # Each member's row across, in the order they were added, then the add buttons.
        chain: list[QWidget] = []
        for row in self.member_rows:
            chain.extend((row.relationship, row.name, row.age, row.remove))
        return [*chain, *self.add_buttons.values()]

    def _append_member(self, member: Mapping[str, Any]) -> MemberRow:
        index = len(self.member_rows)
        row = MemberRow(index + 1, self._member_holder)
        row.set_value(member)
        row.changed.connect(self.touch)
        row.remove_requested.connect(self._remove)
        self._member_list.addWidget(row)
        self.member_rows.append(row)
        prefix = f"payload.members[{index}]"
        self.register(f"{prefix}.relationship", row.relationship, row.errors["relationship"])
        self.register(f"{prefix}.name", row.name, row.errors["name"])
        self.register(f"{prefix}.age", row.age, row.errors["age"])
        self.register(prefix, row.relationship, row.errors[""])
        return row

    def _remove(self, row: MemberRow) -> None:
        kept = [r.value() for r in self.member_rows if r is not row]
        self.set_members(kept)
        self.touch()
        (self.member_rows[-1].relationship if self.member_rows
         else self.add_buttons["partner"]).setFocus()

    def set_members(self, members: Sequence[Mapping[str, Any]]) -> None:
        self.forget("payload.members[")
        for row in self.member_rows:
            row.setParent(None)
            row.deleteLater()
        self.member_rows = []
        for member in members:
            self._append_member(member).show()
        self.fit_members()
        self.order_tabs()

    def payload(self) -> dict[str, Any]:
        return {
            "occurrence_id": self.occurrence_id,
            "address": self.address.toPlainText(),
            "postcode": self.postcode.text(),
            "members": [row.value() for row in self.member_rows],
        }

    def fill(self, payload: Mapping[str, Any]) -> None:
        self.address.setPlainText(str(payload.get("address", "")))
        self.postcode.setText(str(payload.get("postcode", "")))
        members = payload.get("members")
        if isinstance(members, list):
            self.set_members([m for m in members if isinstance(m, Mapping)])

    def review_lines(self) -> list[str]:
        return household_lines(self.payload())


def household_lines(payload: Mapping[str, Any]) -> list[str]:
    """A household as the check before saving reads it out."""
    lines = [
        f"Address: {' '.join(str(payload.get('address', '')).split())}",
        f"Postcode: {payload.get('postcode', '')}",
        "Members:",
    ]
    for member in payload.get("members", []):
        relationship = RELATIONSHIPS.get(member.get("relationship", ""), "No relationship")
        details = [str(member["name"])] if member.get("name") else []
        if member.get("age") is not None:
            details.append(f"aged {member['age']}")
        lines.append(f"  {relationship}" + (f": {', '.join(details)}" if details else ""))
    return lines
