"""The officer's own contact details for the VCAS referral sheet ("My contact details" on the
Referrals tab): name, phone, email, kept in the profile's settings inside the encrypted
database. The checks are the domain's (fieldapp/domain/officer_contact.py)."""

from __future__ import annotations

import json

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from fieldapp.domain.officer_contact import (
    OfficerContact,
    read_officer_contact,
    stored_officer_contact,
)
from fieldapp.domain.problems import InvalidEvent
from fieldapp.store import Store
from fieldapp.sync.client import SETTING_OFFICER
from fieldapp.ui.ops import describe
from fieldapp.ui.session import Session
from fieldapp.ui.widgets import ErrorLabel

SETTING = "officer.contact"


def read_officer(store: Store, collar: str) -> OfficerContact:
    """On the worker: what the officer set, or the name the endpoint enrolled them under."""
    enrolled = json.loads(store.get_setting(SETTING_OFFICER) or "{}")
    stored = json.loads(store.get_setting(SETTING) or "{}")
    return stored_officer_contact(collar, stored, str(enrolled.get("name") or ""))


def save_officer(store: Store, contact: OfficerContact) -> OfficerContact:
    store.set_setting(SETTING, json.dumps(contact.to_dict()))
    return contact


class OfficerDetailsDialog(QDialog):
    """Keyboard-first: type, Tab, Enter saves; a problem stays beside its field."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setWindowTitle("My contact details")
        self.saved: OfficerContact | None = None
        intro = QLabel("VCAS contacts you about the referrals you send: this goes on each "
                       "referral sheet. Give a phone number or an email, or both.", self)
        intro.setWordWrap(True)
        self.name = QLineEdit(self)
        self.phone = QLineEdit(self)
        self.email = QLineEdit(self)
        self.errors: dict[str, ErrorLabel] = {}
        form = QFormLayout()
        for field, label, line in (("name", "&Name", self.name), ("phone", "&Phone", self.phone),
                                   ("email", "&Email", self.email)):
            line.setAccessibleName(label.replace("&", ""))
            error = ErrorLabel(label.replace("&", ""), self)
            self.errors[field] = error
            form.addRow(label, line)
            form.addRow("", error)
        self.message = ErrorLabel("saving", self)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        collar = session.identity.author
        session.run(lambda store: read_officer(store, collar), self._show)

    def _show(self, contact: OfficerContact) -> None:
        self.name.setText(contact.name)
        self.phone.setText(contact.phone)
        self.email.setText(contact.email)

    def save(self) -> None:
        for error in self.errors.values():
            error.show_message("")
        typed = {"name": self.name.text(), "phone": self.phone.text(),
                 "email": self.email.text()}
        try:
            contact = read_officer_contact(self.session.identity.author, typed)
        except InvalidEvent as invalid:
            for problem in invalid.problems:
                self.errors.get(problem.field, self.message).show_message(problem.message)
            return
        self.session.run(lambda store: save_officer(store, contact), self._saved,
                         lambda e: self.message.show_message(describe(e)))

    def _saved(self, contact: OfficerContact) -> None:
        self.saved = contact
        self.session.notify("Your contact details were saved for the referral sheets.")
        self.accept()
