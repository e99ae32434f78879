"""Accepting another officer's record of an occurrence (the `occurrence_joined` notice): both
records side by side, what accepting does, and one `join_accepted` saved on the worker.

`load_join` asks the authority rule from what the laptop holds, as the other put-right ops
do; the follow-ups page enables "Accept their record…" only where it allows, and otherwise
shows its sentence of who can.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from fieldapp.domain import amend
from fieldapp.domain.catalogue import OFFENCE_TYPES
from fieldapp.domain.events import Event, EventType, OccurrenceRecorded
from fieldapp.domain.policy import london_date
from fieldapp.domain.views import Conflict
from fieldapp.resources import load_authority
from fieldapp.store import Store
from fieldapp.ui.corrections.case import actor_of
from fieldapp.ui.corrections.change import ChangeDialog
from fieldapp.ui.session import Capture, Session, identify
from fieldapp.ui.widgets import ErrorLabel


@dataclass(frozen=True)
class JoinCase:
    """An `occurrence_joined` notice as the officer may act on it: the first choice is the
    one offered (None: no other officer's record to accept)."""

    conflict: Conflict
    choice: amend.JoinChoice | None

    @property
    def status(self) -> str:
        """Why the action is not offered, or that it was done ("" when it is offered)."""
        choice = self.choice
        if choice is None:
            return "There is no other officer's record of this occurrence to accept."
        if choice.accepted is not None:
            return (f"You accepted {choice.theirs.author}'s record on "
                    f"{london_date(choice.accepted):%d/%m/%Y}: they see your occurrence.")
        return "" if choice.offer.allowed else choice.offer.why

    @property
    def offered(self) -> bool:
        return self.choice is not None and self.choice.offer.allowed and (
            self.choice.accepted is None)


def load_join(store: Store, conflict: Conflict, now: datetime) -> JoinCase:
    """On the database worker: the notice's occurrence records (its event ids name each
    record's first), and whether the rule lets this officer accept the other's."""
    firsts = [e for i in conflict.event_ids if (e := store.event(i)) is not None]
    ids = {e.aggregate_id for e in firsts}
    events = store.case_events(sorted(ids))
    identity = identify(store)
    known = amend.laptop_known(load_authority(), events)
    choices = amend.join_choices(actor_of(store, identity), identity.device_id, known, events,
                                 ids, now)
    return JoinCase(conflict, choices[0] if choices else None)


def record_lines(record: Event) -> list[str]:
    """An occurrence record as the laptop holds it: never more than that."""
    p = record.payload
    assert isinstance(p, OccurrenceRecorded)
    offences = ", ".join(OFFENCE_TYPES.get(o, o) for o in p.offence_types)
    return [
        f"Reference: {p.reference}",
        f"Offence types: {offences}",
        f"OIC: {p.oic}",
        f"District: {p.district}",
        f"Recorded by: {record.author}",
        f"When: {london_date(record.occurred_at):%d/%m/%Y}",
    ]


class AcceptJoinDialog(ChangeDialog):
    """"Accept their record": both records side by side, what will change, an optional note;
    Ctrl+S saves one `join_accepted`, Esc closes without saving."""

    def __init__(self, session: Session, choice: amend.JoinChoice,
                 parent: QWidget | None = None) -> None:
        self.choice = choice
        super().__init__(session, "Accept their record",
                         f"Officer {choice.theirs.author} recorded the same reference. Check "
                         "with them that it is your investigation before accepting.", parent)
        grid = QGridLayout()
        for column, (title, record) in enumerate(
                (("Your record", choice.mine), ("Their record", choice.theirs))):
            heading = QLabel(f"<b>{title}</b>", self)
            text = QLabel("\n".join(record_lines(record)), self)
            text.setTextFormat(Qt.TextFormat.PlainText)
            text.setWordWrap(True)
            text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
            text.setAccessibleName(title)
            text.setObjectName("sideBySide")
            grid.addWidget(heading, 0, column)
            grid.addWidget(text, 1, column)
            grid.setColumnStretch(column, 1)
        grid.setRowStretch(2, 1)  # the records at the top, the space below them
        self.sides = grid
        self.body.addLayout(grid, 1)
        self.reason.setAccessibleName("Note")
        self.reason.setPlaceholderText("Note (optional)")
        caption = self.reason_caption()
        if caption is not None:
            caption.setText("&Note")
        self.save_button.setText("&Accept (Ctrl+S)")
        self.save_button.setAccessibleName("Accept their record")
        self.refresh_effect()
        self.reason.setFocus()

    def reason_caption(self) -> QLabel | None:
        return next((label for label in self.findChildren(QLabel)
                     if label.buddy() is self.reason), None)

    def refresh_effect(self) -> None:
        """What accepting does is said from the two records, not a projection: it changes
        who sees what on the central system, not this laptop's state."""
        self.effect.setText("What will change: " + amend.join_effect(self.choice))

    def field_error(self, field: str) -> ErrorLabel:
        return self.reason_error if field.endswith("note") else super().field_error(field)

    def capture(self) -> Capture:
        return Capture(EventType.JOIN_ACCEPTED, self.choice.mine.aggregate_id,
                       {"other_id": self.choice.theirs.aggregate_id,
                        "officer": self.choice.theirs.author,
                        "note": self.reason.toPlainText().strip()},
                       self.session.clock())
