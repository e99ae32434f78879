"""Recording an occurrence: its reference, the offences, the OIC and the district."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtWidgets import QComboBox, QLineEdit, QWidget

from fieldapp.domain.catalogue import OFFENCE_TYPES
from fieldapp.domain.events import EventType
from fieldapp.resources import load_districts
from fieldapp.ui.forms.base import CaptureForm
from fieldapp.ui.session import Session
from fieldapp.ui.widgets import CheckGroup


class OccurrenceForm(CaptureForm):
    event_type = EventType.OCCURRENCE_RECORDED
    heading = "New occurrence"

    def __init__(
        self,
        session: Session,
        *,
        aggregate_id: str,
        draft_key: str,
        district: str = "",
        parent: QWidget | None = None,
    ) -> None:
        self._district_default = district
        super().__init__(session, aggregate_id=aggregate_id, draft_key=draft_key, parent=parent)

    def build(self) -> None:
        self.reference = QLineEdit(self)
        self.reference.setPlaceholderText("for example 13/123456/24")
        self.reference.setMaxLength(30)
        self.offences = CheckGroup(OFFENCE_TYPES, "Offences", columns=2, parent=self)
        self.oic = QLineEdit(self.session.identity.author, self)
        self.oic.setMaxLength(32)
        # A choice of the force's districts (resources/districts.json), not free text.
        self.district = QComboBox(self)
        self.district.addItem("Choose the district", "")
        for name in load_districts().names:
            self.district.addItem(name, name)
        self._choose_district(self._district_default)

        self.add_field("payload.reference", "Occurrence &reference", self.reference)
        self.add_field("payload.offence_types", "O&ffences", self.offences)
        self.add_field("payload.oic", "OIC &collar number", self.oic)
        self.add_field("payload.district", "&District", self.district)
        self.add_when()

        for line in (self.reference, self.oic):
            line.textEdited.connect(self.touch)
        self.district.currentIndexChanged.connect(lambda _: self.touch())
        self.offences.changed.connect(self.touch)
        self.reference.setFocus()

    def payload(self) -> dict[str, Any]:
        return {
            "reference": self.reference.text(),
            "offence_types": self.offences.value(),
            "oic": self.oic.text(),
            "district": str(self.district.currentData() or ""),
        }

    def fill(self, payload: Mapping[str, Any]) -> None:
        self.reference.setText(str(payload.get("reference", "")))
        self.offences.set_value(payload.get("offence_types", []))
        self.oic.setText(str(payload.get("oic", "")))
        self._choose_district(str(payload.get("district", "")))

    def _choose_district(self, text: str) -> None:
        """The listed district `text` names; a text the list lacks (a draft, or a record
        made before the list) stays shown as itself, for the officer to replace."""
        listed = load_districts().match(text) if text.strip() else ""
        index = self.district.findData(listed if listed is not None else text.strip())
        if index < 0:
            self.district.addItem(f"{text.strip()} (not a listed district)", text.strip())
            index = self.district.count() - 1
        self.district.setCurrentIndex(index)
