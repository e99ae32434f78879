"""The windows for putting records right: a case's records with what the officer may do to
each, and the entered-in-error, reassign and merge dialogs.

What is allowed comes from `case.load_case` (the authority rule, asked once per case);
these widgets only enable what it allows and show its sentence for what it withholds.
"""

from __future__ import annotations

from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fieldapp.domain.events import EventType
from fieldapp.domain.problems import InvalidEvent
from fieldapp.domain.projection import Changes
from fieldapp.domain.views import HouseholdView
from fieldapp.ui.capture_page import describe_household
from fieldapp.ui.corrections.case import (
    Case,
    Change,
    RecordRow,
    fields_of,
    load_case,
    preview,
    save_change,
)
from fieldapp.ui.corrections.forms import correction_form
from fieldapp.ui.forms.household import household_lines
from fieldapp.ui.launcher import FormLauncher
from fieldapp.ui.ops import describe
from fieldapp.ui.session import Capture, Session
from fieldapp.ui.text import day
from fieldapp.ui.widgets import ErrorLabel, fit_to_screen

CASE_SIZE = QSize(900, 620)
CHANGE_SIZE = QSize(900, 560)
PREVIEW_DELAY_MS = 300
ROLE = Qt.ItemDataRole.UserRole


def _where(view: HouseholdView) -> str:
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
            f"The call-back to {_where(household)}, due {day(task.due) if task else ''}, is "
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
            self.choice.addItem(_where(other), other.id)
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
            self.choice.addItem(self._where(other), other)
        self.body.addLayout(_side_by_side(self, self.left, self.right, self.choice,
                                          "This household", "&Split off"), 1)
        self.choice.currentIndexChanged.connect(self._chosen)
        self._chosen()
        self.choice.setFocus()
        self.setTabOrder(self.choice, self.reason)

    def _where(self, household_id: str) -> str:
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


class CaseDialog(QDialog):
    """Put right: a household's (or an occurrence's) records, each with Correct and Entered
    in error, the call-back's Reassign and the household's Merge: enabled where the rule
    allows, and otherwise the rule's sentence saying who can."""

    def __init__(self, session: Session, opener: CaseOpener, key: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.opener = opener
        self.key = key
        self.case: Case | None = None
        self.setWindowTitle("Put records right")
        self.setAccessibleName("Put records right")
        column = QVBoxLayout(self)
        self.heading = QLabel(self)
        self.heading.setObjectName("formHeading")
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        column.addWidget(self.heading)
        self.others_note = QLabel(self)
        self.others_note.setObjectName("changedByAnother")
        self.others_note.setAccessibleName("Changed by another officer")
        self.others_note.setWordWrap(True)
        self.others_note.setTextFormat(Qt.TextFormat.PlainText)
        column.addWidget(self.others_note)
        caption = QLabel("&Records (choose one)", self)
        self.records = QListWidget(self)
        self.records.setAccessibleName("Records")
        self.records.setWordWrap(True)
        caption.setBuddy(self.records)
        column.addWidget(caption)
        column.addWidget(self.records, 1)
        actions = QHBoxLayout()
        self.correct_button = QPushButton("&Correct… (Ctrl+E)", self)
        self.correct_button.setAccessibleName("Correct the record")
        self.in_error_button = QPushButton("Entered in &error…", self)
        self.in_error_button.setAccessibleName("Mark the record entered in error")
        self.reassign_button = QPushButton("Re&assign the call-back…", self)
        self.reassign_button.setAccessibleName("Reassign the call-back")
        self.merge_button = QPushButton("&Merge with another household…", self)
        self.merge_button.setAccessibleName("Merge with another household")
        self.split_button = QPushButton("&Different households…", self)
        self.split_button.setAccessibleName("Split a record off this joined household")
        for button in (self.correct_button, self.in_error_button, self.reassign_button,
                       self.merge_button, self.split_button):
            button.setMinimumHeight(40)
            actions.addWidget(button)
        actions.addStretch(1)
        column.addLayout(actions)
        self.why = QLabel(self)
        self.why.setObjectName("whoCan")
        self.why.setAccessibleName("Who can make these changes")
        self.why.setWordWrap(True)
        self.why.setTextFormat(Qt.TextFormat.PlainText)
        column.addWidget(self.why)
        close = QPushButton("Close (Esc)", self)
        close.clicked.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(close)
        column.addLayout(bottom)
        QShortcut(QKeySequence("Ctrl+E"), self, self.correct).setContext(
            Qt.ShortcutContext.WindowShortcut)
        self.records.currentRowChanged.connect(lambda _: self._update_actions())
        self.records.itemActivated.connect(lambda _: self.correct())
        self.correct_button.clicked.connect(self.correct)
        self.in_error_button.clicked.connect(self.in_error)
        self.reassign_button.clicked.connect(self.reassign)
        self.merge_button.clicked.connect(self.merge)
        self.split_button.clicked.connect(self.split)
        session.worker.changed.connect(self._on_changes)
        self.reload()

    def showEvent(self, event: Any) -> None:
        fit_to_screen(self, CASE_SIZE)
        super().showEvent(event)

    def reload(self) -> None:
        key, clock = self.key, self.session.clock
        self.session.run(lambda store: load_case(store, key, clock()), self._loaded)

    def _on_changes(self, changes: Changes) -> None:
        case = self.case
        if case is None or not shiboken6.isValid(self):
            return
        mine = {self.key, *(case.household.merged_ids if case.household else ())}
        if case.occurrence is not None:
            mine.add(case.occurrence.id)
        if mine & (changes.households | changes.occurrences):
            self.reload()

    def _loaded(self, case: Case) -> None:
        if not shiboken6.isValid(self):
            return
        self.case = case
        if case.household is not None:
            self.heading.setText(f"Put right: the household at {_where(case.household)}")
        elif case.occurrence is not None:
            self.heading.setText(f"Put right: occurrence {case.occurrence.reference}")
        self.others_note.setText(
            "Changed by another officer:\n" + "\n".join(case.changed_by_others)
            if case.changed_by_others else "")
        self.others_note.setVisible(bool(case.changed_by_others))
        chosen = self.chosen()
        self.records.clear()
        for row in case.records:
            marker = " (changed by another officer)" if row.changed_by_others else ""
            item = QListWidgetItem(f"{row.label}{marker}: {row.summary}", self.records)
            item.setData(ROLE, row.event.id)
            if chosen is not None and chosen.event.id == row.event.id:
                self.records.setCurrentItem(item)
        if self.records.currentRow() < 0 and self.records.count():
            self.records.setCurrentRow(0)
        self._update_actions()
        self.records.setFocus()

    def chosen(self) -> RecordRow | None:
        item = self.records.currentItem()
        if item is None or self.case is None:
            return None
        event_id = item.data(ROLE)
        return next((r for r in self.case.records if r.event.id == event_id), None)

    def _update_actions(self) -> None:
        """Enabled as the rule allows; what it withholds, it says who can."""
        case, row = self.case, self.chosen()
        why: list[str] = []
        for button, offer in (
            (self.correct_button, row.correct if row else None),
            (self.in_error_button, row.in_error if row else None),
            (self.reassign_button, case.reassign if case else None),
        ):
            button.setEnabled(bool(offer and offer.allowed))
            if offer is not None and not offer.allowed and offer.why not in why:
                why.append(offer.why)
        merges = list(case.merge.values()) if case else []
        self.merge_button.setEnabled(any(m.allowed for m in merges))
        if merges and not any(m.allowed for m in merges) and merges[0].why not in why:
            why.append(merges[0].why)
        splits = list(case.split.values()) if case else []
        self.split_button.setEnabled(any(m.allowed for m in splits))
        self.split_button.setVisible(bool(splits))
        if splits and not any(m.allowed for m in splits) and splits[0].why not in why:
            why.append(splits[0].why)
        if case is not None and case.reassign is None:
            self.reassign_button.setToolTip("No call-back is open for this household.")
        self.why.setText("\n".join(why))

    # ----------------------------------------------------------------- actions

    def correct(self) -> None:
        row = self.chosen()
        if row is not None and row.correct.allowed:
            self.opener.correct(row, self.heading.text())

    def in_error(self) -> None:
        row = self.chosen()
        if row is not None and row.in_error.allowed:
            self.opener.show(InErrorDialog(self.session, row, self))

    def reassign(self) -> None:
        case = self.case
        if case is not None and case.household is not None and case.reassign is not None \
                and case.reassign.allowed:
            self.opener.show(ReassignDialog(self.session, case.household, self))

    def merge(self) -> None:
        case = self.case
        if case is None or case.household is None:
            return
        others = tuple(h for h in case.others if case.merge[h.id].allowed)
        if others:
            self.opener.show(MergeDialog(self.session, case.household, others, self))


    def split(self) -> None:
        case = self.case
        if case is not None and case.household is not None and any(
                o.allowed for o in case.split.values()):
            self.opener.show(SplitDialog(self.session, case, self))


class CaseOpener(QObject):
    """Opens the put-right windows, and closes them all at a lock (correction forms keep a
    draft, as every form does)."""

    def __init__(self, session: Session, launcher: FormLauncher, parent: QWidget) -> None:
        super().__init__(parent)
        self.session = session
        self.launcher = launcher
        self.parent_widget = parent
        self.windows: list[QDialog] = []

    def open_case(self, key: str) -> CaseDialog:
        """The records of the household or occurrence `key`, to put right."""
        dialog = CaseDialog(self.session, self, key, self.parent_widget)
        self.show(dialog)
        return dialog

    def open_merge(self, household_ids: tuple[str, ...]) -> None:
        """Merge from a possible-duplicate conflict: its households side by side (if the rule
        allows; else the case window says who can)."""
        first, *rest = household_ids
        key, clock = first, self.session.clock

        def loaded(case: Case) -> None:
            if case.household is None:
                return
            others = tuple(h for h in case.others if h.id in rest and case.merge[h.id].allowed)
            if others:
                self.show(MergeDialog(self.session, case.household, others, self.parent_widget))
            else:
                self.open_case(first)

        self.session.run(lambda store: load_case(store, key, clock()), loaded)

    def open_split(self, household_ids: tuple[str, ...]) -> None:
        """"These are different households", from a possible-duplicate conflict."""
        first = household_ids[0]
        key, clock = first, self.session.clock

        def loaded(case: Case) -> None:
            if case.household is not None and any(o.allowed for o in case.split.values()):
                self.show(SplitDialog(self.session, case, self.parent_widget))
            else:
                self.open_case(first)

        self.session.run(lambda store: load_case(store, key, clock()), loaded)

    def correct(self, row: RecordRow, context: str) -> None:
        name = f"correct:{row.event.id}"
        existing = self.launcher.open_forms.get(name)
        if existing is not None:
            existing.raise_()
            existing.activateWindow()
            return
        form = correction_form(self.session, row.event, context, self.parent_widget)
        self.launcher.adopt(name, form)
        form.show()
        form.activateWindow()
        form.restore_draft()

    def show(self, dialog: QDialog) -> None:
        self.windows.append(dialog)
        dialog.finished.connect(lambda _: self._closed(dialog))
        dialog.show()
        dialog.activateWindow()

    def _closed(self, dialog: QDialog) -> None:
        if dialog in self.windows:
            self.windows.remove(dialog)
            dialog.deleteLater()

    def close_all(self) -> None:
        for dialog in list(self.windows):
            dialog.reject()
        self.windows.clear()

    def each(self, kind: type[QDialog]) -> list[Any]:
        """The open windows of one kind (for tests and for the lock)."""
        return [w for w in self.windows if isinstance(w, kind)]

