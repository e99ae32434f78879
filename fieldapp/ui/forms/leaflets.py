"""Leaflets given to the person under investigation, and any risk seen at the address."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from fieldapp.domain.catalogue import LEAFLET_OUTCOMES, RISK_INDICATORS
from fieldapp.domain.events import EventType
from fieldapp.domain.problems import format_utc
from fieldapp.resources import load_catalogue
from fieldapp.ui.forms.base import CaptureForm
from fieldapp.ui.widgets import CheckGroup, ChoiceGroup

ESCALATION_GUIDANCE = (
    "<b>Risk of self-harm or suicide: act now.</b><br>"
    "Do not leave the person alone if you think they are at immediate risk. "
    "If life is at risk, call an ambulance on 999. "
    "Tell your supervisor now and ask for the mental health triage or crisis team. "
    "Give the Samaritans (116 123) and crisis line leaflets. "
    "Then confirm below that you have escalated it."
)


class InstantCheckBox(QCheckBox):
    """A check box whose mnemonic ticks it at once. A button's own mnemonic clicks it a moment
    later (animateClick), so Alt+O then Ctrl+S at full speed would save it unticked."""

    def event(self, e: QEvent) -> bool:
        if e.type() == QEvent.Type.Shortcut and self.isEnabled():
            self.setFocus(Qt.FocusReason.ShortcutFocusReason)
            self.click()
            return True
        return super().event(e)


class LeafletForm(CaptureForm):
    event_type = EventType.LEAFLET_ISSUED
    heading = "Leaflets issued"

    def build(self) -> None:
        catalogue = load_catalogue()
        self.person = QLineEdit(self)
        self.person.setMaxLength(120)
        self.leaflets = CheckGroup(
            catalogue.titles,
            "Leaflets",
            hints={lf.id: f"{lf.description} ({lf.contact})" for lf in catalogue.leaflets},
            columns=3,
            parent=self,
        )
        self.outcome = ChoiceGroup(
            LEAFLET_OUTCOMES, "What happened to the leaflets", columns=3, parent=self
        )
        self.outcome.set_value("handed")
        self.risks = CheckGroup(RISK_INDICATORS, "Risk seen", columns=2, parent=self)
        self.no_risk = InstantCheckBox("N&o risk seen", self)
        self.no_risk.setAccessibleName("No risk seen")
        self.support = catalogue.support

        self.escalation = QFrame(self)
        self.escalation.setObjectName("escalation")
        self.escalation.setAccessibleName("Escalation guidance")
        panel = QVBoxLayout(self.escalation)
        panel.setContentsMargins(8, 2, 8, 2)
        guidance = QLabel(ESCALATION_GUIDANCE, self.escalation)
        guidance.setWordWrap(True)
        guidance.setAccessibleName("Escalation guidance")
        panel.addWidget(guidance)
        self.escalation.hide()
        self.escalated = QCheckBox("I have escalated this risk now", self)
        self.escalated.setAccessibleName("Escalated")
        self.escalated_to = ChoiceGroup(
            self.support.escalation_targets, "Escalated to", columns=3, parent=self
        )
        # Choices packed close: with the escalation shown the form still fits 1280×720.
        for group in (self.leaflets, self.outcome, self.risks, self.escalated_to):
            packed = group.layout()
            assert isinstance(packed, QGridLayout)
            packed.setVerticalSpacing(1)
        self.notes = QPlainTextEdit(self)
        self.notes.setTabChangesFocus(True)
        self.notes.setFixedHeight(30)  # grows no taller: it scrolls inside itself

        self.add_field("payload.person_name", "&Person under investigation", self.person)
        self.add_field("payload.leaflets", "&Leaflets", self.leaflets)
        self.add_field("payload.outcome", "What &happened to them", self.outcome)
        self.add_field("payload.risk_indicators", "&Risk seen", self.risks)
        self.add_field("payload.no_risk_seen", "", self.no_risk)
        self.rows.addRow(self.escalation)
        # The confirmation and to whom on one line: with the guidance shown, the form still
        # fits a laptop's screen.
        confirm = QWidget(self)
        line = QHBoxLayout(confirm)
        line.setContentsMargins(0, 0, 0, 0)
        # Its words in full, whatever the choices beside it ask for.
        # (the focus ring's padding is not in its size hint).
        self.escalated.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
        self.escalated.setMinimumWidth(self.escalated.sizeHint().width() + 32)
        line.addWidget(self.escalated)
        line.addWidget(self.escalated_to, 1)
        confirm.setFocusProxy(self.escalated)
        error = self.add_field("payload.escalated", "Escalation", confirm)
        self.register("payload.escalation.to", self.escalated_to, error)
        self.add_field("payload.notes", "&Notes", self.notes)
        self.add_when()

        self.person.textEdited.connect(self.touch)
        self.notes.textChanged.connect(self.touch)
        self.escalated.toggled.connect(self.touch)
        self.no_risk.toggled.connect(self.touch)
        self.escalated_to.changed.connect(self.touch)
        for group in (self.leaflets, self.outcome, self.risks):
            group.changed.connect(self.touch)
        self.risks.changed.connect(self._risk_changed)
        self.escalated_to.hide()
        self.person.setFocus()

    def _risk_changed(self) -> None:
        needed = self.support.needs_escalation(self.risks.value())
        self.escalated_to.setVisible(needed)
        # "No risk seen" cannot go with a risk ticked: offered only while none is (which also
        # keeps the escalation's questions on a laptop's screen).
        seen = bool(self.risks.value())
        if seen:
            self.no_risk.setChecked(False)
        self.show_field("payload.no_risk_seen", not seen)
        if needed and self.escalation.isHidden():
            self.escalation.show()
            self.escalated.setFocus()  # the next thing the officer must do
        elif not needed:
            self.escalation.hide()

    @property
    def escalation_shown(self) -> bool:
        return not self.escalation.isHidden()

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "person_name": self.person.text(),
            "leaflets": self.leaflets.value(),
            "outcome": self.outcome.value(),
            "risk_indicators": self.risks.value(),
            "no_risk_seen": self.no_risk.isChecked(),
            "escalated": self.escalated.isChecked(),
            "notes": self.notes.toPlainText(),
        }
        if self.escalated.isChecked():
            # By this officer, now: the moment they confirm it is the record of it.
            data["escalation"] = {
                "to": self.escalated_to.value(),
                "by": self.session.identity.author,
                "at": format_utc(self.session.clock()),
            }
        return data

    def fill(self, payload: Mapping[str, Any]) -> None:
        self.person.setText(str(payload.get("person_name", "")))
        self.leaflets.set_value(payload.get("leaflets", []))
        self.outcome.set_value(str(payload.get("outcome", "")))
        self.risks.set_value(payload.get("risk_indicators", []))
        self.escalated.setChecked(bool(payload.get("escalated")))
        self.no_risk.setChecked(bool(payload.get("no_risk_seen")))
        escalation = payload.get("escalation")
        self.escalated_to.set_value(
            str(escalation.get("to", "")) if isinstance(escalation, Mapping) else ""
        )
        self.notes.setPlainText(str(payload.get("notes", "")))
