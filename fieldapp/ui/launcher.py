"""Opens capture forms, one per draft, and closes them all (keeping their drafts) on lock.

A draft's key says which form it belongs to and for what record, so an officer can pick up
where they left off after closing a form, a lock or a crash.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from fieldapp.domain.events import Event, EventType, HouseholdRecorded
from fieldapp.ui.forms.base import CaptureForm
from fieldapp.ui.forms.household import HouseholdForm
from fieldapp.ui.forms.leaflets import LeafletForm
from fieldapp.ui.forms.occurrence import OccurrenceForm
from fieldapp.ui.forms.referral import ReferralStepForm
from fieldapp.ui.forms.vcas import CallbackForm, OfferForm
from fieldapp.ui.session import Session, new_id

FORM_NAMES = {
    "occurrence": "New occurrence",
    "leaflets": "Leaflets issued",
    "household": "New household",
    "offer": "VCAS offer",
    "callback": "Call-back outcome",
    "referral": "VCAS referral step",
}


KIND_OF_EVENT = {
    EventType.OCCURRENCE_RECORDED: "occurrence",
    EventType.LEAFLET_ISSUED: "leaflets",
    EventType.HOUSEHOLD_RECORDED: "household",
    EventType.VCAS_OFFERED: "offer",
    EventType.CALLBACK_ATTEMPTED: "callback",
}


@dataclass(frozen=True)
class DraftKey:
    kind: str
    target: str = ""  # the occurrence or household the form records against
    # A new occurrence or household gets a fresh id, unless it re-records one (a correction).
    # A referral step's form: the step its button named, so that each step keeps its own draft.
    aggregate: str = ""

    def __str__(self) -> str:
        return ":".join((self.kind, self.target, self.aggregate)).rstrip(":")

    @classmethod
    def parse(cls, text: str) -> DraftKey | None:
        kind, _, rest = text.partition(":")
        target, _, aggregate = rest.partition(":")
        if kind not in FORM_NAMES or (kind not in ("occurrence",) and not target):
            return None
        return cls(kind, target, aggregate)

    @classmethod
    def correcting(cls, event: Event) -> DraftKey | None:
        """The form that records `event` again with its details put right."""
        kind = KIND_OF_EVENT.get(event.type)
        if kind == "occurrence":
            return cls(kind, "", event.aggregate_id)
        if kind == "household":
            assert isinstance(event.payload, HouseholdRecorded)
            return cls(kind, event.payload.occurrence_id, event.aggregate_id)
        return cls(kind, event.aggregate_id) if kind else None

    @property
    def label(self) -> str:
        return FORM_NAMES[self.kind]


class FormLauncher(QObject):
    """Owns the open forms; `saved` carries the new record's kind and id."""

    saved = Signal(object, str, object)  # DraftKey, aggregate id, Changes

    def __init__(self, session: Session, parent_widget: QWidget) -> None:
        super().__init__(parent_widget)
        self.session = session
        self.parent_widget = parent_widget
        self.open_forms: dict[str, CaptureForm] = {}

    def open(
        self, key: DraftKey, context: str = "", prefill: Event | None = None, *,
        person: str = "",
    ) -> CaptureForm:
        """Shows the form for `key`, or brings forward the one already open.

        With `prefill`, an empty form starts from that event's details (a rejected record
        being put right); a draft, if there is one, still wins. `person` is the person under
        investigation's name from the leaflets, for a household form to add in one key.
        """
        existing = self.open_forms.get(str(key))
        if existing is not None:
            existing.raise_()
            existing.activateWindow()
            return existing
        form = self._build(key, context, person)
        name = str(key)
        self.open_forms[name] = form
        form.finished.connect(lambda _: self._closed(name))
        aggregate = form.aggregate_id
        form.saved.connect(lambda changes: self.saved.emit(key, aggregate, changes))
        form.show()
        form.activateWindow()  # in front, so that its shortcuts and the next keys reach it
        form.restore_draft(prefill)
        return form

    def adopt(self, name: str, form: CaptureForm) -> None:
        """A form opened elsewhere (a correction, fieldapp/ui/corrections/) that a lock
        closes like the rest, keeping its draft."""
        self.open_forms[name] = form
        form.finished.connect(lambda _: self._closed(name))

    def _build(self, key: DraftKey, context: str, person: str) -> CaptureForm:
        parent, session, draft = self.parent_widget, self.session, str(key)
        build: dict[str, Callable[[], CaptureForm]] = {
            "occurrence": lambda: OccurrenceForm(
                session, aggregate_id=key.aggregate or new_id(), draft_key=draft,
                district=session.identity.district, parent=parent,
            ),
            "leaflets": lambda: LeafletForm(
                session, aggregate_id=key.target, draft_key=draft, context=context,
                parent=parent,
            ),
            "household": lambda: HouseholdForm(
                session, aggregate_id=key.aggregate or new_id(), occurrence_id=key.target,
                draft_key=draft, context=context, person_under_investigation=person,
                parent=parent,
            ),
            "offer": lambda: OfferForm(
                session, aggregate_id=key.target, draft_key=draft, context=context,
                parent=parent,
            ),
            "callback": lambda: CallbackForm(
                session, aggregate_id=key.target, draft_key=draft, context=context,
                parent=parent,
            ),
            "referral": lambda: ReferralStepForm(
                session, aggregate_id=key.target, draft_key=draft, context=context,
                parent=parent,
            ),
        }
        return build[key.kind]()

    def _closed(self, name: str) -> None:
        form = self.open_forms.pop(name, None)
        if form is not None:
            form.deleteLater()

    def close_all(self) -> None:
        """Closes every form; each writes its draft first, ahead of the lock on the worker."""
        for form in list(self.open_forms.values()):
            form.abandon()
