"""One change with a reason, and what it will do shown before it is saved: the base of the
put-right dialogs, entered in error and reassigning a call-back."""

from __future__ import annotations

from typing import Any

import shiboken6
from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fieldapp.domain.events import EventType
from fieldapp.domain.problems import InvalidEvent
from fieldapp.domain.projection import Changes
from fieldapp.domain.views import HouseholdView
from fieldapp.ui.corrections.case import Change, RecordRow, preview, save_change
from fieldapp.ui.ops import describe
from fieldapp.ui.session import Capture, Session
from fieldapp.ui.text import day
from fieldapp.ui.widgets import ErrorLabel, fit_to_screen

CHANGE_SIZE = QSize(900, 560)
PREVIEW_DELAY_MS = 300


def where(view: HouseholdView) -> str:
    """A household's address and postcode on one line."""
    return f"{' '.join(view.address.split())}, {view.postcode}"


class ChangeDialog(QDialog):
    """One change with a reason: what it will do is shown (the domain's projection with and
    without it) before it is saved. Ctrl+S saves, Esc closes without saving."""

    saved = Signal(object)  # Changes

    def __init__(self, session: Session, heading: str, about: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setWindowTitle(heading)
        self.setAccessibleName(heading)
        self._saving = False
        column = QVBoxLayout(self)
        title = QLabel(heading, self)
        title.setObjectName("formHeading")
        column.addWidget(title)
        self.about = QLabel(about, self)
        self.about.setWordWrap(True)
        self.about.setTextFormat(Qt.TextFormat.PlainText)
        self.about.setAccessibleName("What is being changed")
        column.addWidget(self.about)
        self.body = QVBoxLayout()
        column.addLayout(self.body, 1)
        self.reason = QPlainTextEdit(self)
        self.reason.setTabChangesFocus(True)
        self.reason.setFixedHeight(64)
        self.reason.setAccessibleName("Reason")
        self.reason.setPlaceholderText("Why (required)")
        caption = QLabel("&Reason", self)
        caption.setBuddy(self.reason)
        column.addWidget(caption)
        column.addWidget(self.reason)
        self.reason_error = ErrorLabel("reason", self)
        column.addWidget(self.reason_error)
        self.effect = QLabel(self)
        self.effect.setObjectName("changeEffect")
        self.effect.setAccessibleName("What will change")
        self.effect.setWordWrap(True)
        self.effect.setTextFormat(Qt.TextFormat.PlainText)
        column.addWidget(self.effect)
        self.banner = ErrorLabel("this change", self)
        column.addWidget(self.banner)
        buttons = QDialogButtonBox(self)
        self.save_button = QPushButton("&Save (Ctrl+S)", self)
        self.save_button.setAccessibleName("Save")
        self.save_button.setDefault(True)
        close = QPushButton("Close without saving (Esc)", self)
        close.setAccessibleName("Close without saving")
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(close, QDialogButtonBox.ButtonRole.RejectRole)
        self.save_button.clicked.connect(self.save)
        close.clicked.connect(self.reject)
        QShortcut(QKeySequence.StandardKey.Save, self, self.save).setContext(
            Qt.ShortcutContext.WindowShortcut)
        column.addWidget(buttons)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(PREVIEW_DELAY_MS)
        self._timer.timeout.connect(self.refresh_effect)
        self.reason.textChanged.connect(self._timer.start)

    # Subclasses say what the change is.
    def capture(self) -> Capture:
        raise NotImplementedError

    def field_error(self, field: str) -> ErrorLabel:
        """Where a problem with `field` is shown (the reason's own line, or the banner)."""
        return self.reason_error if field.endswith("reason") else self.banner

    def showEvent(self, event: Any) -> None:
        fit_to_screen(self, CHANGE_SIZE)
        super().showEvent(event)
        self.refresh_effect()

    def refresh_effect(self) -> None:
        identity, clock, change = self.session.identity, self.session.clock, Change(
            self.capture())
        self.session.run(lambda store: preview(store, change, identity, clock()),
                         self._show_effect)

    def _show_effect(self, lines: list[str]) -> None:
        if shiboken6.isValid(self):
            self.effect.setText("What will change: " + " ".join(lines) if lines else "")

    def save(self) -> None:
        if self._saving:
            return
        self._saving = True
        self.save_button.setEnabled(False)
        for label in self.findChildren(ErrorLabel):
            label.show_message("")
        identity, clock, change = self.session.identity, self.session.clock, Change(
            self.capture())
        self.session.run(lambda store: save_change(store, change, identity, clock()),
                         self._saved, self._failed)

    def _saved(self, changes: Changes) -> None:
        self._saving = False
        self.saved.emit(changes)
        self.session.notify("Saved.")
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self._saving = False
        self.save_button.setEnabled(True)
        if isinstance(error, InvalidEvent):
            for problem in error.problems:
                label = self.field_error(problem.field)
                label.show_message("\n".join(filter(None, (label.text() if label.isVisible()
                                                            else "", problem.message))))
        else:
            self.banner.show_message(describe(error))


class InErrorDialog(ChangeDialog):
    """Marks one record entered in error: it stops counting, and the screen says what that
    changes before it is saved."""

    def __init__(self, session: Session, row: RecordRow, parent: QWidget | None = None) -> None:
        self.row = row
        super().__init__(session, "Entered in error",
                         f"{row.label}: {row.summary}. Marked entered in error, it no longer "
                         "counts anywhere; it stays in the record's history.", parent)
        self.body.addStretch(1)
        self.reason.setFocus()

    def capture(self) -> Capture:
        record = self.row.event
        return Capture(EventType.ENTERED_IN_ERROR, record.aggregate_id,
                       {"target_id": record.id, "reason": self.reason.toPlainText()},
                       self.session.clock())


class ReassignDialog(ChangeDialog):
    """A call-back to another officer: the collar number is checked for its format and that
    it is not the officer the call-back is with now."""

    def __init__(self, session: Session, household: HouseholdView,
                 parent: QWidget | None = None) -> None:
        self.household = household
        task = household.task
        self.current = task.assignee if task else ""
        super().__init__(
            session, "Reassign the call-back",
            f"The call-back to {where(household)}, due {day(task.due) if task else ''}, is "
            f"with {self.current or 'nobody'}.", parent)
        self.collar = QLineEdit(self)
        self.collar.setMaxLength(32)
        self.collar.setAccessibleName("Collar number of the new officer")
        caption = QLabel("&New officer's collar number", self)
        caption.setBuddy(self.collar)
        hint = QLabel("Checked: letters or digits only, and not the officer it is with now. "
                      "This laptop does not hold the force's list of officers, so check the "
                      "number with the officer.", self)
        hint.setWordWrap(True)
        self.collar_error = ErrorLabel("collar number", self)
        self.body.addWidget(caption)
        self.body.addWidget(self.collar)
        self.body.addWidget(self.collar_error)
        self.body.addWidget(hint)
        self.body.addStretch(1)
        self.collar.textEdited.connect(self._timer.start)
        self.collar.setFocus()
        self.setTabOrder(self.collar, self.reason)

    def capture(self) -> Capture:
        return Capture(EventType.TASK_REASSIGNED, self.household.id,
                       {"to_officer": self.collar.text().strip(),
                        "reason": self.reason.toPlainText()},
                       self.session.clock())

    def field_error(self, field: str) -> ErrorLabel:
        return self.collar_error if field.endswith("to_officer") else super().field_error(field)


