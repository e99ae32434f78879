"""What every capture form shares: fields with their messages beside them, save, and drafts.

A form only gathers what was typed into a payload; whether it is acceptable is decided by the
domain (`make_event`, `check_against`) on the database worker, and the problems it reports
come back here to be placed beside the fields they name.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, ClassVar

import shiboken6
from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from fieldapp.domain.events import Event, EventType, payload_to_dict
from fieldapp.domain.problems import InvalidEvent, Problem, parse_utc
from fieldapp.domain.projection import Changes
from fieldapp.ui.ops import describe
from fieldapp.ui.session import Capture, Session
from fieldapp.ui.text import moment
from fieldapp.ui.widgets import ErrorLabel, MomentEdit, fit_to_screen

DRAFT_DELAY_MS = 600
# Wanted size; smaller screens get less (widgets.fit_to_screen), and the fields are laid out
# to fit without scrolling at 1366×768 and at 1920×1080 shown at 150% (tests/ui/test_fit.py).
FORM_SIZE = QSize(980, 700)
_LAST_PART = re.compile(r"(\.[^.\[\]]+|\[\d+\])$")


def _focusable(root: QWidget) -> list[QWidget]:
    """`root` and its descendants that take focus by Tab, in the order they were added."""
    found = [root, *root.findChildren(QWidget)]
    return [
        w for w in found
        if w.focusPolicy() & Qt.FocusPolicy.TabFocus
        and w.window() is root.window()  # not a combo box's pop-up list
        and not isinstance(w.parentWidget(), QAbstractSpinBox | QComboBox)
    ]


def owner_of(field_name: str, known: Iterable[str]) -> str:
    """The nearest field a form shows for a problem's field name ('' for the whole form).

    `payload.members[0].age` falls back to `payload.members[0]`, then `payload.members`.
    """
    shown = set(known)
    name = field_name
    while name and name not in shown:
        shorter = _LAST_PART.sub("", name)
        name = "" if shorter == name else shorter
    return name


class CaptureForm(QDialog):
    """A dialog that becomes one event; closing it keeps what was typed as a draft."""

    saved = Signal(object)  # Changes

    event_type: ClassVar[EventType]
    heading: ClassVar[str]
    # Whether Save first shows what will be saved, for one more keystroke (Enter) to confirm:
    # ODK's finalise step, for the records that start a call-back.
    reviewed: ClassVar[bool] = False

    def __init__(
        self,
        session: Session,
        *,
        aggregate_id: str,
        draft_key: str,
        context: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.aggregate_id = aggregate_id
        self.draft_key = draft_key
        self._fields: dict[str, QWidget] = {}
        self._errors: dict[str, ErrorLabel] = {}
        self._holders: dict[str, QWidget] = {}
        self._dirty = False
        self._filling = False
        self._saving = False
        self._sized = False
        self.setWindowTitle(self.heading)
        self.setAccessibleName(self.heading)
        self.setModal(False)

        outer = QVBoxLayout(self)
        title = QLabel(self.heading, self)
        title.setObjectName("formHeading")
        outer.addWidget(title)
        if context:
            about = QLabel(context, self)
            about.setAccessibleName("Recording for")
            about.setTextFormat(Qt.TextFormat.PlainText)
            outer.addWidget(about)
        self.banner = ErrorLabel("this record", self)
        self.banner.setObjectName("formError")
        outer.addWidget(self.banner)

        body = self.body = QWidget(self)
        column = self.body_column = QVBoxLayout(body)
        self.rows = QFormLayout()
        column.addLayout(self.rows)
        column.addStretch(1)  # spare height goes below the last field, not between rows
        self.rows.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.rows.setVerticalSpacing(6)
        self.rows.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.fields_area = QScrollArea(self)
        self.fields_area.setWidgetResizable(True)
        self.fields_area.setWidget(body)
        self.fields_area.setFrameShape(QScrollArea.Shape.NoFrame)
        self.review = ReviewPanel(self)
        self.review.back.connect(self.back_to_editing)
        self.review.confirm.clicked.connect(self.confirm)
        self.pages = QStackedWidget(self)
        self.pages.addWidget(self.fields_area)
        self.pages.addWidget(self.review)
        outer.addWidget(self.pages, 1)

        self.occurred_at = MomentEdit("When it happened", body)
        self.occurred_at.set_value(session.clock())
        self.occurred_at.dateTimeChanged.connect(self.touch)

        self.buttons = QDialogButtonBox(self)
        self.save_button = QPushButton(
            "&Save and check (Ctrl+S)" if self.reviewed else "&Save (Ctrl+S)", self
        )
        self.save_button.setAccessibleName("Save")
        self.save_button.setDefault(True)
        self.close_button = QPushButton("Close, keep a draft (Esc)", self)
        self.close_button.setAccessibleName("Close and keep a draft")
        self.buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(self.close_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.save_button.clicked.connect(self.save)
        self.close_button.clicked.connect(self.reject)
        # Anywhere in the form, a text box or a list included.
        save = QShortcut(QKeySequence.StandardKey.Save, self, self.save)
        save.setContext(Qt.ShortcutContext.WindowShortcut)
        outer.addWidget(self.buttons)

        self._draft_timer = QTimer(self)
        self._draft_timer.setSingleShot(True)
        self._draft_timer.setInterval(DRAFT_DELAY_MS)
        self._draft_timer.timeout.connect(self.flush_draft)
        self.build()

    # ----------------------------------------------------------------- subclasses

    def build(self) -> None:
        """Adds the form's own fields (called once, at the end of construction)."""
        raise NotImplementedError

    def payload(self) -> dict[str, Any]:
        raise NotImplementedError

    def fill(self, payload: Mapping[str, Any]) -> None:
        raise NotImplementedError

    def after_save_message(self, changes: Changes) -> str:
        return "Saved."

    def review_lines(self) -> list[str]:
        """What will be saved, in the officer's words, for the check before saving."""
        return []

    def tab_chain(self, key: str, holder: QWidget) -> list[QWidget]:
        """The controls of field `key`, in the order Tab should visit them."""
        return _focusable(holder)

    # ----------------------------------------------------------------- layout helpers

    def add_field(self, key: str, label: str, widget: QWidget) -> ErrorLabel:
        """Adds `widget` with its label, and a message line under it for `key`'s problems.

        An `&` in the label makes Alt and the letter after it jump to the field.
        """
        plain = label.replace("&", "")
        holder = QWidget(self)
        column = QVBoxLayout(holder)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(widget)
        error = ErrorLabel(plain, holder)
        column.addWidget(error)
        caption = QLabel(label, self)
        caption.setBuddy(widget)
        if not widget.accessibleName():
            widget.setAccessibleName(plain)
        self.rows.addRow(caption, holder)
        self._holders[key] = holder
        self._fields[key] = widget
        self._errors[key] = error
        return error

    def order_tabs(self) -> None:
        """Tab goes down the form as it reads: each row's controls, then Save and Close.

        Widgets are made in another order (the date first, members later), so the focus
        chain Qt would derive from creation order jumps about.
        """
        keys = {id(holder): key for key, holder in self._holders.items()}
        chain: list[QWidget] = []
        for row in range(self.rows.rowCount()):
            item = self.rows.itemAt(row, QFormLayout.ItemRole.FieldRole) or self.rows.itemAt(
                row, QFormLayout.ItemRole.SpanningRole
            )
            holder = item.widget() if item is not None else None
            if holder is not None:
                key = keys.get(id(holder))
                chain.extend(
                    self.tab_chain(key, holder) if key is not None else _focusable(holder)
                )
        chain.extend(_focusable(self.buttons))
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

    def showEvent(self, event: QShowEvent) -> None:
        self.order_tabs()
        if not self._sized:
            self._sized = True
            fit_to_screen(self, FORM_SIZE)
        super().showEvent(event)

    def show_field(self, key: str, visible: bool) -> None:
        self.rows.setRowVisible(self._holders[key], visible)

    def add_when(self) -> None:
        self.add_field("occurred_at", "&When it happened", self.occurred_at)

    def register(self, key: str, widget: QWidget, error: ErrorLabel) -> None:
        """A field that lives inside a composite widget (a household member's age)."""
        self._fields[key] = widget
        self._errors[key] = error

    def forget(self, prefix: str) -> None:
        for key in [k for k in self._fields if k.startswith(prefix)]:
            del self._fields[key]
            del self._errors[key]

    # ----------------------------------------------------------------- problems

    def show_problems(self, problems: Iterable[Problem]) -> None:
        self.clear_problems()
        by_field: dict[str, list[str]] = {}
        for problem in problems:
            by_field.setdefault(owner_of(problem.field, self._errors), []).append(
                problem.message
            )
        first: QWidget | None = None
        for key in sorted(by_field, key=self._position):
            text = "\n".join(by_field[key])
            if key == "":
                self.banner.show_message(text)
                continue
            self._errors[key].show_message(text)
            self._fields[key].setAccessibleDescription(text)
            first = first or self._fields[key]
        if first is not None:
            # Messages just shown change the layout: scroll once it has settled.
            self.body_column.activate()
            self.reveal(self._errors[self._key_of(first)])
            self.reveal(first)
            first.setFocus(Qt.FocusReason.OtherFocusReason)

    def reveal(self, widget: QWidget) -> None:
        """Scrolls `widget` into view, in any list it sits in and in the form."""
        parent = widget.parentWidget()
        while parent is not None and parent is not self:
            if isinstance(parent, QScrollArea) and parent is not self.fields_area:
                parent.ensureWidgetVisible(widget, 0, 8)
            parent = parent.parentWidget()
        self.fields_area.ensureWidgetVisible(widget, 0, 40)

    def _position(self, key: str) -> tuple[int, int]:
        """Where field `key` sits down the form (the banner first): the first problem is the
        one nearest the top."""
        if key not in self._fields:
            return (-1, 0)
        widget = self._fields[key]
        if not self.body.isAncestorOf(widget):
            return (0, 0)
        point = widget.mapTo(self.body, widget.rect().topLeft())
        return (point.y(), point.x())

    def _key_of(self, widget: QWidget) -> str:
        return next(k for k, w in self._fields.items() if w is widget)

    def clear_problems(self) -> None:
        self.banner.show_message("")
        for key, error in self._errors.items():
            error.show_message("")
            self._fields[key].setAccessibleDescription("")

    def problem_text(self, key: str) -> str:
        label = self._errors.get(key) if key else self.banner
        return label.text() if label is not None and not label.isHidden() else ""

    # ----------------------------------------------------------------- save

    @property
    def reviewing(self) -> bool:
        return self.pages.currentWidget() is self.review

    def _capture(self) -> Capture:
        return Capture(
            event_type=self.event_type,
            aggregate_id=self.aggregate_id,
            payload=self.payload(),
            occurred_at=self.occurred_at.value(),
            draft_key=self.draft_key,
        )

    def save(self) -> None:
        """Ctrl+S: saves, or for a reviewed form checks it and shows what will be saved."""
        if self._saving:
            return
        if self.reviewing:
            self.confirm()
            return
        self._saving = True
        self._draft_timer.stop()
        self.save_button.setEnabled(False)
        self.clear_problems()
        if self.reviewed:
            self.send_check(self._capture(), self._checked, self._not_saved)
        else:
            self.send_record(self._capture(), self._saved, self._not_saved)

    def _checked(self, _: object) -> None:
        self._saving = False
        self.save_button.setEnabled(True)
        self.review.show_lines([*self.review_lines(), f"When: {moment(self.occurred_at.value())}"])
        self.pages.setCurrentWidget(self.review)
        self.buttons.hide()
        self.review.confirm.setFocus(Qt.FocusReason.OtherFocusReason)

    def back_to_editing(self) -> None:
        self.pages.setCurrentWidget(self.fields_area)
        self.buttons.show()
        self.save_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def confirm(self) -> None:
        """Saves what the review showed (Enter on the review)."""
        if self._saving or not self.reviewing:
            return
        self._saving = True
        self.review.confirm.setEnabled(False)
        self.send_record(self._capture(), self._saved, self._not_saved)

    def send_check(self, capture: Capture, done: Callable[[Event], object],
                   failed: Callable[[BaseException], object]) -> None:
        """The check before saving, on the worker (a correction form asks more of it)."""
        self.session.check(capture, done, failed)

    def send_record(self, capture: Capture, done: Callable[[Changes], object],
                    failed: Callable[[BaseException], object]) -> None:
        """Saving, on the worker (a correction form asks more of it)."""
        self.session.record(capture, done, failed)

    def _saved(self, changes: Changes) -> None:
        self._saving = False
        self._dirty = False
        self.save_button.setEnabled(True)
        self.review.confirm.setEnabled(True)
        self.saved.emit(changes)
        self.session.notify(self.after_save_message(changes))
        self.accept()

    def _not_saved(self, error: BaseException) -> None:
        self._saving = False
        self.save_button.setEnabled(True)
        self.review.confirm.setEnabled(True)
        if self.reviewing:
            self.back_to_editing()
        if isinstance(error, InvalidEvent):
            self.show_problems(error.problems)
        else:
            self.banner.show_message(describe(error))
            self.banner.setFocus(Qt.FocusReason.OtherFocusReason)

    # ----------------------------------------------------------------- drafts

    def touch(self) -> None:
        """Any edit: the draft is written shortly after typing pauses."""
        if self._filling:
            return
        self._dirty = True
        self._draft_timer.start()

    def draft_text(self) -> str:
        return json.dumps(
            {"payload": self.payload(), "occurred_at": self.occurred_at.value().isoformat()}
        )

    def flush_draft(self) -> None:
        self._draft_timer.stop()
        if self._dirty and not self._saving:
            self._dirty = False
            self.session.save_draft(self.draft_key, self.draft_text())

    def restore_draft(self, otherwise: Event | None = None) -> None:
        """Fills the form from a draft saved earlier, or else from `otherwise`'s details."""
        self.session.load_draft(self.draft_key, lambda text: self._restore(text, otherwise))

    def _restore(self, text: str | None, otherwise: Event | None) -> None:
        if not shiboken6.isValid(self) or self._dirty:
            return  # closed before its draft was read, or the officer has started typing
        if not text:
            if otherwise is not None:
                self._put(payload_to_dict(otherwise.payload), otherwise.occurred_at)
                self._dirty = True  # the officer's starting point is worth keeping as a draft
            return
        try:
            data = json.loads(text)
            payload = data["payload"]
            moment = parse_utc(data.get("occurred_at"))
        except (ValueError, KeyError, TypeError):
            return  # a draft from an older layout: start afresh rather than fail
        self._put(payload, moment)
        self.session.notify("Restored what you typed before.")

    def _put(self, payload: Mapping[str, Any], moment: datetime | None) -> None:
        self._filling = True
        try:
            self.fill(payload)
            if moment is not None:
                self.occurred_at.set_value(moment)
        finally:
            self._filling = False

    def reject(self) -> None:
        if self._saving:
            return  # the save finishes in a moment and closes the form itself
        if self.reviewing:
            self.back_to_editing()  # Esc on the review goes back to the fields, not away
            return
        self.flush_draft()
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._saving:
            event.ignore()
            return
        self.flush_draft()
        super().closeEvent(event)

    def abandon(self) -> None:
        """Closes at once, keeping a draft: the profile is locking. A save under way still
        completes on the worker, which runs it before the lock."""
        if not self._saving:
            self.flush_draft()
        QDialog.reject(self)


class ReviewPanel(QWidget):
    """The check before saving: what will be saved, then Enter to save or Esc to go back."""

    back = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Check before saving")
        heading = QLabel("<b>Check what will be saved.</b> Press Enter to save it, or Esc to "
                         "go back and change it.", self)
        heading.setWordWrap(True)
        self.summary = QLabel(self)
        self.summary.setObjectName("review")
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("What will be saved")
        self.summary.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.confirm = QPushButton("Confirm and save (&Enter)", self)
        self.confirm.setAccessibleName("Confirm and save")
        self.confirm.setDefault(True)
        self.confirm.setAutoDefault(True)
        edit = QPushButton("Go back and change it (Esc)", self)
        edit.setAccessibleName("Go back and change it")
        edit.clicked.connect(self.back)
        buttons = QDialogButtonBox(self)
        buttons.addButton(self.confirm, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(edit, QDialogButtonBox.ButtonRole.RejectRole)
        column = QVBoxLayout(self)
        column.addWidget(heading)
        column.addWidget(self.summary, 1)
        column.addWidget(buttons)

    def show_lines(self, lines: Iterable[str]) -> None:
        self.summary.setText("\n".join(lines))
        self.summary.setAccessibleDescription(self.summary.text())

    @property
    def text(self) -> str:
        return self.summary.text()
