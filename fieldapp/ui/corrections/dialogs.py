"""The put-right window: a case's records with what the officer may do to each, and the
opener that shows every put-right window and closes them at a lock.

What is allowed comes from `case.load_case` (the authority rule, asked once per case);
these widgets only enable what it allows and show its sentence for what it withholds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QSize, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fieldapp.domain.amend import JoinChoice
from fieldapp.domain.projection import Changes
from fieldapp.store import Store
from fieldapp.ui.corrections.case import Case, RecordRow, load_case, reopen_record
from fieldapp.ui.corrections.change import InErrorDialog, ReassignDialog, where
from fieldapp.ui.corrections.forms import corrected_id, correction_form, draft_key
from fieldapp.ui.corrections.households import MergeDialog, SplitDialog
from fieldapp.ui.corrections.joining import AcceptJoinDialog
from fieldapp.ui.launcher import FormLauncher
from fieldapp.ui.session import Session
from fieldapp.ui.widgets import fit_to_screen

CASE_SIZE = QSize(900, 620)
ROLE = Qt.ItemDataRole.UserRole

__all__ = ["AcceptJoinDialog", "CaseDialog", "CaseOpener", "InErrorDialog", "MergeDialog",
           "ReassignDialog", "SplitDialog"]


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
        if case.household is not None or case.occurrence is not None:
            self.heading.setText(case_heading(case))
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


def case_heading(case: Case) -> str:
    if case.household is not None:
        return f"Put right: the household at {where(case.household)}"
    return f"Put right: occurrence {case.occurrence.reference}" if case.occurrence else ""


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

    def open_accept(self, choice: JoinChoice) -> None:
        """Accept another officer's record of an occurrence (the page offers it only where
        the rule allows; saving asks the rule again)."""
        self.show(AcceptJoinDialog(self.session, choice, self.parent_widget))

    def reopen(self, names: Iterable[str]) -> None:
        """After unlock: each correction form open at the lock, with its draft."""
        clock = self.session.clock

        def find(record_id: str) -> Callable[[Store], tuple[Case, RecordRow] | None]:
            return lambda store: reopen_record(store, record_id, clock())

        for record_id in filter(None, map(corrected_id, names)):
            self.session.run(find(record_id), self._reopened)

    def _reopened(self, found: tuple[Case, RecordRow] | None) -> None:
        if found is None:
            self.session.notify("A record you were correcting at the lock can no longer be "
                                "corrected on this laptop.")
            return
        case, row = found
        self.correct(row, case_heading(case))

    def correct(self, row: RecordRow, context: str) -> None:
        name = draft_key(row.event)
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

