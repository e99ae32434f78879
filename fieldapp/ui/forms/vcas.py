"""The VCAS offer to a household at the arrest, and the call-back that follows a refusal."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QLabel, QLineEdit, QPlainTextEdit, QWidget

from fieldapp.domain.catalogue import CALLBACK_OUTCOMES, OFFER_OUTCOMES
from fieldapp.domain.events import EventType
from fieldapp.domain.projection import Changes
from fieldapp.resources import load_policy
from fieldapp.ui.forms.base import CaptureForm
from fieldapp.ui.text import day
from fieldapp.ui.widgets import ChoiceGroup


def _consent_box(parent: QWidget) -> QCheckBox:
    box = QCheckBox("They consent to their contact details being shared with VCAS", parent)
    box.setAccessibleName("Consent to share contact details")
    return box


def _phone_line(parent: QWidget) -> QLineEdit:
    line = QLineEdit(parent)
    line.setMaxLength(20)
    line.setPlaceholderText("for example 07700 900123")
    line.setInputMethodHints(Qt.InputMethodHint.ImhDialableCharactersOnly)
    return line


class OfferForm(CaptureForm):
    event_type = EventType.VCAS_OFFERED
    heading = "VCAS offer"
    reviewed = True

    def build(self) -> None:
        self.outcome = ChoiceGroup(OFFER_OUTCOMES, "Outcome of the offer", columns=2, parent=self)
        self.due = QLabel(self)
        self.due.setObjectName("callbackDue")
        self.due.setAccessibleName("Call-back due")
        self.due.setWordWrap(True)
        self.consent = _consent_box(self)
        self.contact_name = QLineEdit(self)
        self.contact_name.setMaxLength(120)
        self.contact_phone = _phone_line(self)
        self.reason = QPlainTextEdit(self)
        self.reason.setTabChangesFocus(True)
        self.reason.setFixedHeight(56)

        self.add_field("payload.outcome", "Outcome", self.outcome)
        self.rows.addRow(self.due)
        self.add_field("payload.consent_to_share", "Consent", self.consent)
        self.add_field("payload.contact_name", "Contact name", self.contact_name)
        self.add_field("payload.contact_phone", "Contact number", self.contact_phone)
        self.add_field("payload.reason", "Why it was not appropriate", self.reason)
        self.add_when()

        self.outcome.changed.connect(self._outcome_changed)
        self.outcome.changed.connect(self.touch)
        self.consent.toggled.connect(self.touch)
        self.contact_name.textEdited.connect(self.touch)
        self.contact_phone.textEdited.connect(self.touch)
        self.reason.textChanged.connect(self.touch)
        self.occurred_at.dateTimeChanged.connect(self._outcome_changed)
        self._outcome_changed()
        self.outcome.focus_first()

    def _outcome_changed(self) -> None:
        outcome = self.outcome.value()
        policy = load_policy()
        if outcome in policy.triggered_by:
            due = policy.first_due(self.occurred_at.value())
            self.due.setText(
                f"<b>Call-back due {day(due)}</b> ({policy.describe_first()})"
            )
        self.due.setVisible(outcome in policy.triggered_by)
        self.show_field("payload.consent_to_share", outcome == "accepted")
        contactable = outcome in {"accepted", *policy.triggered_by}
        self.show_field("payload.contact_name", contactable)
        self.show_field("payload.contact_phone", contactable)
        self.show_field("payload.reason", outcome == "not_appropriate")

    @property
    def due_text(self) -> str:
        return self.due.text() if not self.due.isHidden() else ""

    def payload(self) -> dict[str, Any]:
        outcome = self.outcome.value()
        data: dict[str, Any] = {
            "outcome": outcome,
            "consent_to_share": outcome == "accepted" and self.consent.isChecked(),
        }
        if outcome == "not_appropriate":
            data["reason"] = self.reason.toPlainText()
        elif outcome:
            data["contact_name"] = self.contact_name.text()
            data["contact_phone"] = self.contact_phone.text()
        return data

    def fill(self, payload: Mapping[str, Any]) -> None:
        self.outcome.set_value(str(payload.get("outcome", "")))
        self.consent.setChecked(bool(payload.get("consent_to_share")))
        self.contact_name.setText(str(payload.get("contact_name", "")))
        self.contact_phone.setText(str(payload.get("contact_phone", "")))
        self.reason.setPlainText(str(payload.get("reason", "")))

    def review_lines(self) -> list[str]:
        data = self.payload()
        lines = [f"Offer of VCAS: {OFFER_OUTCOMES.get(data['outcome'], 'no outcome chosen')}"]
        if data["outcome"] == "accepted":
            lines.append("Consent to share contact details: "
                         + ("yes" if data["consent_to_share"] else "no"))
        for key, label in (("contact_name", "Contact name"), ("contact_phone", "Number"),
                           ("reason", "Why not appropriate")):
            if data.get(key):
                lines.append(f"{label}: {data[key]}")
        due = self.due_text.replace("<b>", "").replace("</b>", "")
        lines.append(due or "No call-back follows this outcome.")
        return lines

    def after_save_message(self, changes: Changes) -> str:
        if changes.tasks_created:
            # The date alone: the status bar has room for one short sentence.
            return f"Saved. {self.due_text.split('</b>')[0].replace('<b>', '')}."
        return "Saved."


class CallbackForm(CaptureForm):
    event_type = EventType.CALLBACK_ATTEMPTED
    heading = "Call-back outcome"

    def build(self) -> None:
        self.outcome = ChoiceGroup(
            CALLBACK_OUTCOMES, "Outcome of the call-back", columns=2, parent=self
        )
        self.consent = _consent_box(self)
        self.contact_phone = _phone_line(self)
        self.notes = QPlainTextEdit(self)
        self.notes.setTabChangesFocus(True)
        self.notes.setFixedHeight(56)

        self.add_field("payload.outcome", "Outcome", self.outcome)
        self.add_field("payload.consent_to_share", "Consent", self.consent)
        self.add_field("payload.contact_phone", "Number VCAS can call", self.contact_phone)
        self.add_field("payload.notes", "Notes", self.notes)
        self.add_when()

        self.outcome.changed.connect(self._outcome_changed)
        self.outcome.changed.connect(self.touch)
        self.consent.toggled.connect(self.touch)
        self.contact_phone.textEdited.connect(self.touch)
        self.notes.textChanged.connect(self.touch)
        self._outcome_changed()
        self.outcome.focus_first()

    def _outcome_changed(self) -> None:
        accepted = self.outcome.value() == "accepted"
        self.show_field("payload.consent_to_share", accepted)
        self.show_field("payload.contact_phone", accepted)

    def payload(self) -> dict[str, Any]:
        accepted = self.outcome.value() == "accepted"
        data: dict[str, Any] = {
            "outcome": self.outcome.value(),
            "consent_to_share": accepted and self.consent.isChecked(),
            "notes": self.notes.toPlainText(),
        }
        if accepted:
            data["contact_phone"] = self.contact_phone.text()
        return data

    def fill(self, payload: Mapping[str, Any]) -> None:
        self.outcome.set_value(str(payload.get("outcome", "")))
        self.consent.setChecked(bool(payload.get("consent_to_share")))
        self.contact_phone.setText(str(payload.get("contact_phone", "")))
        self.notes.setPlainText(str(payload.get("notes", "")))
