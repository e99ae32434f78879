"""A household at the address and its members: the consequential victims."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from fieldapp.domain.catalogue import RELATIONSHIPS
from fieldapp.domain.events import EventType
from fieldapp.ui.forms.base import CaptureForm
from fieldapp.ui.session import Session
from fieldapp.ui.widgets import ErrorLabel

NO_AGE = -1


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


class HouseholdForm(CaptureForm):
    event_type = EventType.HOUSEHOLD_RECORDED
    heading = "Household"

    def __init__(
        self,
        session: Session,
        *,
        aggregate_id: str,
        occurrence_id: str,
        draft_key: str,
        context: str = "",
        parent: QWidget | None = None,
    ) -> None:
        self.occurrence_id = occurrence_id
        super().__init__(
            session, aggregate_id=aggregate_id, draft_key=draft_key, context=context,
            parent=parent,
        )

    def build(self) -> None:
        self.address = QPlainTextEdit(self)
        self.address.setTabChangesFocus(True)
        self.address.setFixedHeight(80)
        self.postcode = QLineEdit(self)
        self.postcode.setMaxLength(10)
        self.postcode.setPlaceholderText("for example LS1 4HY")
        self.member_rows: list[MemberRow] = []
        self._members_box = QWidget(self)
        box = QVBoxLayout(self._members_box)
        box.setContentsMargins(0, 0, 0, 0)
        self._member_list = QVBoxLayout()
        box.addLayout(self._member_list)
        buttons = QHBoxLayout()
        self.add_member_button = QPushButton("&Add a member", self)
        self.add_member_button.setAccessibleName("Add a member")
        buttons.addWidget(self.add_member_button)
        buttons.addStretch(1)
        box.addLayout(buttons)

        self.add_field("payload.address", "Address", self.address)
        self.add_field("payload.postcode", "Postcode", self.postcode)
        self.add_field("payload.members", "Members of the household", self._members_box)
        self.add_when()

        self.address.textChanged.connect(self.touch)
        self.postcode.textEdited.connect(self.touch)
        self.add_member_button.clicked.connect(self._add_clicked)
        self.set_members([{"relationship": "partner"}])
        self.address.setFocus()

    def _add_clicked(self) -> None:
        row = self._append_member({})
        self.order_tabs()
        row.relationship.setFocus()
        self.touch()

    def _append_member(self, member: Mapping[str, Any]) -> MemberRow:
        index = len(self.member_rows)
        row = MemberRow(index + 1, self._members_box)
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

    def set_members(self, members: Sequence[Mapping[str, Any]]) -> None:
        self.forget("payload.members[")
        for row in self.member_rows:
            row.setParent(None)
            row.deleteLater()
        self.member_rows = []
        for member in members:
            self._append_member(member)
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
