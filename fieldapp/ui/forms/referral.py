"""One step of a household's VCAS referral (sent, acknowledged by VCAS, or withdrawn) as a
form: the Referrals tab records a new step with it (opened at the step its button names), and
the put-right screens restate one with it to correct it (fieldapp/ui/corrections/forms.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtWidgets import QLineEdit, QPlainTextEdit

from fieldapp.domain.catalogue import REFERRAL_STEPS
from fieldapp.domain.events import EventType
from fieldapp.domain.projection import Changes
from fieldapp.resources import load_catalogue
from fieldapp.ui.forms.base import CaptureForm
from fieldapp.ui.widgets import ChoiceGroup

_SAVED = {"sent": "Referral recorded as sent.", "acknowledged": "Acknowledgement recorded.",
          "withdrawn": "Referral withdrawn."}


class ReferralStepForm(CaptureForm):
    event_type = EventType.REFERRAL_RECORDED
    heading = "VCAS referral step"

    def build(self) -> None:
        self.step = ChoiceGroup(REFERRAL_STEPS, "Step of the referral", parent=self)
        self.method = ChoiceGroup(load_catalogue().support.referral_methods,
                                  "How it was sent to VCAS", parent=self)
        self.vcas_contact = QLineEdit(self)
        self.vcas_contact.setMaxLength(120)
        self.withdrawn_reason = QPlainTextEdit(self)
        self.withdrawn_reason.setTabChangesFocus(True)
        self.withdrawn_reason.setFixedHeight(56)
        self.notes = QPlainTextEdit(self)
        self.notes.setTabChangesFocus(True)
        self.notes.setFixedHeight(56)

        self.add_field("payload.step", "Step", self.step)
        self.add_field("payload.method", "How it was sent", self.method)
        self.add_field("payload.vcas_contact", "Who at VCAS acknowledged it", self.vcas_contact)
        self.add_field("payload.reason", "Why it was withdrawn", self.withdrawn_reason)
        self.add_field("payload.notes", "Notes", self.notes)
        self.add_when()

        self.step.changed.connect(self._step_changed)
        for group in (self.step, self.method):
            group.changed.connect(self.touch)
        self.vcas_contact.textEdited.connect(self.touch)
        self.withdrawn_reason.textChanged.connect(self.touch)
        self.notes.textChanged.connect(self.touch)
        self._step_changed()
        self.step.focus_first()

    def start_at(self, step: str) -> None:
        """A new step's form opened from its button: that step chosen, its detail next. Not
        an edit: a draft read afterwards still wins, and closing keeps no draft of it."""
        self._put({"step": step}, None)
        focus = {"sent": self.method, "acknowledged": self.vcas_contact,
                 "withdrawn": self.withdrawn_reason}.get(step)
        if isinstance(focus, ChoiceGroup):
            focus.focus_first()
        elif focus is not None:
            focus.setFocus()

    def after_save_message(self, changes: Changes) -> str:
        return _SAVED.get(self.step.value(), "Saved.")

    def _step_changed(self) -> None:
        step = self.step.value()
        self.show_field("payload.method", step == "sent")
        self.show_field("payload.vcas_contact", step == "acknowledged")
        self.show_field("payload.reason", step == "withdrawn")

    def payload(self) -> dict[str, Any]:
        # Only the chosen step's own detail: the event refuses another step's.
        step = self.step.value()
        data: dict[str, Any] = {"step": step, "notes": self.notes.toPlainText()}
        if step == "sent":
            data["method"] = self.method.value()
        elif step == "acknowledged":
            data["vcas_contact"] = self.vcas_contact.text()
        elif step == "withdrawn":
            data["reason"] = self.withdrawn_reason.toPlainText()
        return data

    def fill(self, payload: Mapping[str, Any]) -> None:
        self.step.set_value(str(payload.get("step", "")))
        self.method.set_value(str(payload.get("method", "")))
        self.vcas_contact.setText(str(payload.get("vcas_contact", "")))
        self.withdrawn_reason.setPlainText(str(payload.get("reason", "")))
        self.notes.setPlainText(str(payload.get("notes", "")))
        self._step_changed()

    def review_lines(self) -> list[str]:
        data = self.payload()
        lines = [f"Referral: {REFERRAL_STEPS.get(data['step'], 'no step chosen')}"]
        methods = load_catalogue().support.referral_methods
        if data.get("method"):
            lines.append(f"Sent by {methods.get(data['method'], data['method'])}")
        if data.get("vcas_contact"):
            lines.append(f"Acknowledged by {data['vcas_contact']} at VCAS")
        if data.get("reason"):
            lines.append(f"Why withdrawn: {data['reason']}")
        return lines
