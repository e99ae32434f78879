"""Two household records side by side: merged into one (`households_merged`), or kept, or
made, different households (`households_split`)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QGridLayout, QHBoxLayout, QLabel, QWidget

from fieldapp.domain.events import EventType
from fieldapp.domain.views import HouseholdView
from fieldapp.ui.capture_page import describe_household
from fieldapp.ui.corrections.case import Case, fields_of
from fieldapp.ui.corrections.change import ChangeDialog, where
from fieldapp.ui.forms.household import household_lines
from fieldapp.ui.session import Capture, Session


class MergeDialog(ChangeDialog):
    """Two records of one household, side by side, made one (by a `households_merged`)."""

    def __init__(self, session: Session, first: HouseholdView,
                 others: tuple[HouseholdView, ...], parent: QWidget | None = None) -> None:
        self.first = first
        self.others = others
        super().__init__(session, "Merge households",
                         "Both records are shown side by side. Merged, they are one household: "
                         "its members, offers and call-backs together.", parent)
        self.left = QLabel(describe_household(first), self)
        self.right = QLabel(self)
        self.choice = QComboBox(self)
        self.choice.setAccessibleName("The other household")
        for other in others:
            self.choice.addItem(where(other), other.id)
        self.body.addLayout(_side_by_side(self, self.left, self.right, self.choice,
                                          "This household", "&With"), 1)
        self.choice.currentIndexChanged.connect(self._chosen)
        self._chosen()
        self.choice.setFocus()
        self.setTabOrder(self.choice, self.reason)

    def _chosen(self) -> None:
        other = self.other()
        self.right.setText(describe_household(other) if other else "")
        self._timer.start()

    def other(self) -> HouseholdView | None:
        index = self.choice.currentIndex()
        return self.others[index] if 0 <= index < len(self.others) else None

    def capture(self) -> Capture:
        other = self.other()
        return Capture(EventType.HOUSEHOLDS_MERGED, self.first.id,
                       {"merged_id": other.id if other else "",
                        "reason": self.reason.toPlainText()},
                       self.session.clock())


class SplitDialog(ChangeDialog):
    """"These are different households": a joined household's records side by side, and the
    one chosen made a household of its own again (a `households_split`)."""

    def __init__(self, session: Session, case: Case, parent: QWidget | None = None) -> None:
        assert case.household is not None
        self.first = case.household.id
        self.case = case
        self.others = tuple(k for k, offer in case.split.items() if offer.allowed)
        super().__init__(session, "Different households (split)",
                         "These records were made one household, or may be one. Split, the "
                         "one chosen is a household of its own, with its own offers and "
                         "call-backs, and is not joined to this one again.", parent)
        self.left = QLabel(self._text(self.first), self)
        self.right = QLabel(self)
        self.choice = QComboBox(self)
        self.choice.setAccessibleName("The record to split off")
        for other in self.others:
            self.choice.addItem(self.where(other), other)
        self.body.addLayout(_side_by_side(self, self.left, self.right, self.choice,
                                          "This household", "&Split off"), 1)
        self.choice.currentIndexChanged.connect(self._chosen)
        self._chosen()
        self.choice.setFocus()
        self.setTabOrder(self.choice, self.reason)

    def where(self, household_id: str) -> str:
        record = self.case.parts.get(household_id)
        payload = fields_of(record) if record else {}
        return f"{' '.join(str(payload.get('address', '')).split())}, {payload.get('postcode')}"

    def _text(self, household_id: str) -> str:
        record = self.case.parts.get(household_id)
        return "\n".join(household_lines(fields_of(record))) if record else ""

    def _chosen(self) -> None:
        self.right.setText(self._text(self.other()))
        self._timer.start()

    def other(self) -> str:
        index = self.choice.currentIndex()
        return self.others[index] if 0 <= index < len(self.others) else ""

    def capture(self) -> Capture:
        return Capture(EventType.HOUSEHOLDS_SPLIT, self.first,
                       {"other_id": self.other(), "reason": self.reason.toPlainText()},
                       self.session.clock())


def _side_by_side(parent: QWidget, left: QLabel, right: QLabel, choice: QComboBox,
                  left_title: str, choice_caption: str) -> QGridLayout:
    """Two households' records in two columns, the second chosen above its column."""
    grid = QGridLayout()
    caption = QLabel(choice_caption, parent)
    caption.setBuddy(choice)
    for n, label in enumerate((left, right)):
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        label.setAccessibleName((left_title, "The other household")[n])
        label.setObjectName("sideBySide")
    grid.addWidget(QLabel(f"<b>{left_title}</b>", parent), 0, 0)
    choose = QHBoxLayout()
    choose.addWidget(caption)
    choose.addWidget(choice, 1)
    grid.addLayout(choose, 0, 1)
    grid.addWidget(left, 1, 0)
    grid.addWidget(right, 1, 1)
    grid.setColumnStretch(0, 1)
    grid.setColumnStretch(1, 1)
    return grid


