"""The capture forms, opened pre-filled to correct a saved record.

Each is the form that made the record, with a reason to give and what the correction will
change (the domain's projection with and without it, refreshed as the officer types). Saving
makes one `event_corrected` of the record, through `case.save_change`: the authority rule
and "something must have changed" are asked there, on the worker.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

import shiboken6
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QWidget

from fieldapp.domain import amend
from fieldapp.domain.events import Event, EventType
from fieldapp.domain.problems import Problem
from fieldapp.domain.projection import Changes
from fieldapp.domain.views import HouseholdView
from fieldapp.ui.corrections.case import (
    KIND_LABELS,
    Change,
    Checked,
    check_and_preview,
    correction_payload,
    fields_of,
    preview,
    save_change,
)
from fieldapp.ui.forms.base import CaptureForm
from fieldapp.ui.forms.contact import CONTACTS_HEIGHT
from fieldapp.ui.forms.household import HouseholdForm
from fieldapp.ui.forms.leaflets import LeafletForm
from fieldapp.ui.forms.occurrence import OccurrenceForm
from fieldapp.ui.forms.referral import ReferralStepForm
from fieldapp.ui.forms.vcas import CallbackForm, OfferForm
from fieldapp.ui.session import Capture, Session
from fieldapp.ui.text import moment

PREVIEW_DELAY_MS = 300
REASON_KEY = "correction.reason"


DRAFT_PREFIX = "correct:"


def draft_key(record: Event) -> str:
    return f"{DRAFT_PREFIX}{record.id}"


def corrected_id(key: str) -> str:
    """The record a correction's draft key names ("" for another form's key)."""
    return key.removeprefix(DRAFT_PREFIX) if key.startswith(DRAFT_PREFIX) else ""


def _to_minute(value: datetime) -> datetime:
    return value.replace(second=0, microsecond=0)


def form_field(name: str) -> str:
    """Where a problem with the correction belongs on the form it restates."""
    if name.startswith("payload.payload."):
        return "payload." + name.removeprefix("payload.payload.")
    return {"payload.reason": REASON_KEY, "payload.occurred_at": "occurred_at"}.get(
        name, "" if name.startswith("payload.") else name
    )


class Correcting(CaptureForm):
    """What a correction adds to a capture form (put first among a form's bases)."""

    reviewed = True  # the check before saving says what changed and what that does

    def __init__(self, session: Session, *, record: Event, **form: Any) -> None:
        self.record = record
        self.current = fields_of(record)
        self._changed: tuple[str, ...] = ()  # as the check before saving found them
        super().__init__(session, aggregate_id=record.aggregate_id,
                         draft_key=draft_key(record), **form)

    def build(self) -> None:
        super().build()
        self.correction_reason = QPlainTextEdit(self)
        self.correction_reason.setTabChangesFocus(True)
        self.correction_reason.setFixedHeight(56)
        self.correction_reason.setPlaceholderText("What was wrong (required)")
        self.effect = QLabel(self)
        self.effect.setObjectName("correctionEffect")
        self.effect.setAccessibleName("What the correction will change")
        self.effect.setWordWrap(True)
        self.effect.setTextFormat(Qt.TextFormat.PlainText)
        self.add_field(REASON_KEY, "Wh&y (the reason for the correction)", self.correction_reason)
        self.rows.addRow(self.effect)
        self.correction_reason.textChanged.connect(self.touch)
        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(PREVIEW_DELAY_MS)
        self._preview_timer.timeout.connect(self.refresh_effect)
        self.occurred_at.dateTimeChanged.connect(lambda _: self._preview_timer.start())

    def touch(self) -> None:
        super().touch()
        self._preview_timer.start()

    # ----------------------------------------------------------------- what is saved

    def moment_changed(self) -> bool:
        return _to_minute(self.occurred_at.value()) != _to_minute(self.record.occurred_at)

    def change(self) -> Change:
        data = correction_payload(
            self.record, self.payload(), self.correction_reason.toPlainText(),
            self.occurred_at.value() if self.moment_changed() else None,
        )
        capture = Capture(EventType.EVENT_CORRECTED, self.record.aggregate_id, data,
                          self.session.clock(), self.draft_key)
        return Change(capture, self.current)

    def send_check(self, capture: Capture, done: Callable[[Event], object],
                   failed: Callable[[BaseException], object]) -> None:
        identity, clock, change = self.session.identity, self.session.clock, self.change()
        # The check before saving is the whole save's check, without the append.
        def checked(found: Checked) -> None:
            self._changed = found.changed
            self._show_effect(found.effect)
            done(self.record)

        self.session.run(lambda store: check_and_preview(store, change, identity, clock()),
                         checked, failed)

    def send_record(self, capture: Capture, done: Callable[[Changes], object],
                    failed: Callable[[BaseException], object]) -> None:
        identity, clock, change = self.session.identity, self.session.clock, self.change()
        self.session.run(lambda store: save_change(store, change, identity, clock()), done,
                         failed)

    def refresh_effect(self) -> None:
        identity, clock, change = self.session.identity, self.session.clock, self.change()
        self.session.run(lambda store: preview(store, change, identity, clock()),
                         self._show_effect)

    def _show_effect(self, lines: Iterable[str]) -> None:
        if not shiboken6.isValid(self.effect):
            return  # the form was closed while the preview was being worked out
        said = list(lines)
        self.effect.setText("What will change: " + " ".join(said) if said else "")

    @property
    def effect_text(self) -> str:
        return self.effect.text()

    def review_lines(self) -> list[str]:
        names = [n.replace("_", " ") for n in self._changed]
        if self.moment_changed():
            names.append("when it happened")
        what = KIND_LABELS[self.record.type]
        return [
            f"Correcting the {what if what.startswith('VCAS') else what.lower()} recorded by "
            f"{self.record.author} on {moment(self.record.occurred_at)}.",
            "Changed: " + (", ".join(names) or "nothing"),
            *super().review_lines(),
            f"Reason: {self.correction_reason.toPlainText().strip()}",
            self.effect_text,
        ]

    def show_problems(self, problems: Iterable[Problem]) -> None:
        super().show_problems(Problem(form_field(p.field), p.message) for p in problems)

    def after_save_message(self, changes: Changes) -> str:
        return "Correction saved."

    # ----------------------------------------------------------------- drafts

    def draft_text(self) -> str:
        data = json.loads(super().draft_text())
        data["reason"] = self.correction_reason.toPlainText()
        return json.dumps(data)

    def restore_draft(self, otherwise: Event | None = None) -> None:
        """A draft of this correction, or else the record as it now stands."""
        def restored(text: str | None) -> None:
            self._restore(text, self.record)
            try:
                reason = json.loads(text or "{}").get("reason", "")
            except (ValueError, AttributeError):
                reason = ""
            if reason and not self.correction_reason.toPlainText():
                self.correction_reason.setPlainText(str(reason))
            self._dirty = False if not text else self._dirty
            self.refresh_effect()

        self.session.load_draft(self.draft_key, restored)


class CorrectOccurrence(Correcting, OccurrenceForm):
    heading = "Correct the occurrence"


class CorrectLeaflets(Correcting, LeafletForm):
    heading = "Correct the leaflets issued"

    def payload(self) -> dict[str, Any]:
        data = super().payload()
        # An escalation already recorded keeps who made it and when, unless its "to whom"
        # is what is corrected: a correction by someone else is not their escalation.
        before = self.current.get("escalation")
        after = data.get("escalation")
        if isinstance(before, Mapping) and isinstance(after, Mapping) and (
                before.get("to") == after.get("to")):
            data["escalation"] = dict(before)
        return data


class CorrectHousehold(Correcting, HouseholdForm):
    heading = "Correct the household"


class CorrectOffer(Correcting, OfferForm):
    heading = "Correct the VCAS offer"

    def build(self) -> None:
        super().build()
        # Room for the reason and what the correction changes: the contacts' own list is
        # shorter here, and scrolls inside itself as it does when there are many.
        self.contacts.list_scroll.setFixedHeight(CONTACTS_HEIGHT - 110)

    def _prefill(self, view: HouseholdView | None) -> None:
        pass  # the offer's own contacts are filled in, not the household's members


class CorrectCallback(Correcting, CallbackForm):
    heading = "Correct the call-back"


class CorrectReferralStep(Correcting, ReferralStepForm):
    heading = "Correct the VCAS referral step"


def correction_form(
    session: Session, record: Event, context: str, parent: QWidget | None
) -> Correcting:
    """The form that corrects `record`, pre-filled once its draft (if any) is read."""
    kind = record.type
    form: Correcting
    if kind is EventType.OCCURRENCE_RECORDED:
        form = CorrectOccurrence(session, record=record, parent=parent)
    elif kind is EventType.HOUSEHOLD_RECORDED:
        form = CorrectHousehold(session, record=record, context=context, parent=parent,
                                occurrence_id=amend.household_occurrence(record))
    else:
        built: Mapping[EventType, type[Correcting]] = {
            EventType.LEAFLET_ISSUED: CorrectLeaflets,
            EventType.VCAS_OFFERED: CorrectOffer,
            EventType.CALLBACK_ATTEMPTED: CorrectCallback,
            EventType.REFERRAL_RECORDED: CorrectReferralStep,
        }
        form = built[kind](session, record=record, context=context, parent=parent)
    return form
