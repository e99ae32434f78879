"""The VCAS offer to a household at the arrest, and the call-back that follows a refusal."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QLabel, QLineEdit, QPlainTextEdit, QWidget

from fieldapp.domain.catalogue import CALLBACK_OUTCOMES, OFFER_OUTCOMES, OFFER_STAGES
from fieldapp.domain.events import EventType
from fieldapp.domain.projection import Changes
from fieldapp.domain.views import HouseholdView
from fieldapp.resources import load_policy
from fieldapp.ui.forms.base import CaptureForm
from fieldapp.ui.forms.contact import ContactsEditor
from fieldapp.ui.referrals_tab import Detail, load_detail
from fieldapp.ui.text import day
from fieldapp.ui.widgets import ChoiceGroup


def _consent_box(parent: QWidget) -> QCheckBox:
    box = QCheckBox("They consent to their contact details being shared with VCAS", parent)
    box.setAccessibleName("Consent to share contact details")
    return box


# Said beside an acceptance without consent: it is recorded, but no referral can go.
NO_CONSENT_NOTE = (
    "Without their consent no referral can be sent to VCAS: the acceptance is recorded, and "
    "the referral waits until consent is recorded."
)


def _no_consent_label(parent: QWidget) -> QLabel:
    label = QLabel(NO_CONSENT_NOTE, parent)
    label.setObjectName("noConsent")
    label.setAccessibleName("Why no referral can be sent")
    label.setWordWrap(True)
    return label


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
        self.stage = ChoiceGroup(OFFER_STAGES, "When the offer was made", columns=2, parent=self)
        self.stage.set_value("attendance")
        self.due = QLabel(self)
        self.due.setObjectName("callbackDue")
        self.due.setAccessibleName("Call-back due")
        self.due.setWordWrap(True)
        self.consent = _consent_box(self)
        self.no_consent = _no_consent_label(self)
        self.contacts = ContactsEditor(self)
        self.reason = QPlainTextEdit(self)
        self.reason.setTabChangesFocus(True)
        self.reason.setFixedHeight(56)

        self.add_field("payload.outcome", "Outcome", self.outcome)
        self.add_field("payload.stage", "Offered", self.stage)
        self.rows.addRow(self.due)
        self.add_field("payload.consent_to_share", "Consent", self.consent)
        self.rows.addRow(self.no_consent)
        self.add_field("payload.contacts", "Who to call", self.contacts)
        self.add_field("payload.reason", "Why it was not appropriate", self.reason)
        self.add_when()

        self.outcome.changed.connect(self._outcome_changed)
        self.outcome.changed.connect(self.touch)
        self.stage.changed.connect(self.touch)
        self.consent.toggled.connect(self.touch)
        self.consent.toggled.connect(self._outcome_changed)
        self.contacts.changed.connect(self.touch)
        self.reason.textChanged.connect(self.touch)
        self.occurred_at.dateTimeChanged.connect(self._outcome_changed)
        household = self.aggregate_id
        self.session.run(lambda store: store.household(household), self._prefill)
        self._outcome_changed()
        self.outcome.focus_first()

    def _prefill(self, view: HouseholdView | None) -> None:
        if view is not None:
            self.contacts.prefill(view.members)

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
        self.no_consent.setVisible(outcome == "accepted" and not self.consent.isChecked())
        contactable = outcome in {"accepted", *policy.triggered_by}
        self.show_field("payload.contacts", contactable)
        self.show_field("payload.reason", outcome == "not_appropriate")

    @property
    def due_text(self) -> str:
        return self.due.text() if not self.due.isHidden() else ""

    def payload(self) -> dict[str, Any]:
        outcome = self.outcome.value()
        data: dict[str, Any] = {
            "outcome": outcome,
            "stage": self.stage.value() or "attendance",
            "consent_to_share": outcome == "accepted" and self.consent.isChecked(),
        }
        if outcome == "not_appropriate":
            data["reason"] = self.reason.toPlainText()
        elif outcome:
            data["contacts"] = self.contacts.value()
        return data

    def fill(self, payload: Mapping[str, Any]) -> None:
        self.outcome.set_value(str(payload.get("outcome", "")))
        self.consent.setChecked(bool(payload.get("consent_to_share")))
        self.contacts.set_value(payload.get("contacts", []))
        self.stage.set_value(str(payload.get("stage", "attendance")))
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
        # Who to call, whether it is safe, and what happened before: as the follow-ups show it.
        self.detail = QLabel(self)
        self.detail.setObjectName("callbackBrief")
        self.detail.setAccessibleName("Details for the call")
        self.detail.setWordWrap(True)
        self.rows.addRow(self.detail)
        household, today = self.aggregate_id, self.session.today()
        self.session.run(lambda store: load_detail(store, household, today), self._detail)
        self.outcome = ChoiceGroup(
            CALLBACK_OUTCOMES, "Outcome of the call-back", columns=2, parent=self
        )
        self.consent = _consent_box(self)
        self.no_consent = _no_consent_label(self)
        self.contact_phone = _phone_line(self)
        self.notes = QPlainTextEdit(self)
        self.notes.setTabChangesFocus(True)
        self.notes.setFixedHeight(56)

        self.add_field("payload.outcome", "Outcome", self.outcome)
        self.add_field("payload.consent_to_share", "Consent", self.consent)
        self.rows.addRow(self.no_consent)
        self.add_field("payload.contact_phone", "Number VCAS can call", self.contact_phone)
        self.add_field("payload.notes", "Notes", self.notes)
        self.add_when()

        self.outcome.changed.connect(self._outcome_changed)
        self.outcome.changed.connect(self.touch)
        self.consent.toggled.connect(self.touch)
        self.consent.toggled.connect(self._outcome_changed)
        self.contact_phone.textEdited.connect(self.touch)
        self.notes.textChanged.connect(self.touch)
        self._outcome_changed()
        self.outcome.focus_first()

    def _detail(self, detail: Detail | None) -> None:
        if detail is None:
            return
        self.detail.setText(detail.brief.html)
        number = next((c.usable_number for c in detail.household.contacts if c.usable_number), "")
        if number and not self.contact_phone.text():
            self.contact_phone.setText(number)  # pre-filled, not typed: no draft for it

    def _outcome_changed(self) -> None:
        accepted = self.outcome.value() == "accepted"
        self.show_field("payload.consent_to_share", accepted)
        self.no_consent.setVisible(accepted and not self.consent.isChecked())
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
