"""Connecting this laptop to the force's central system with a one-time enrolment code."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSysInfo, Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fieldapp.store import Store
from fieldapp.sync.client import enrol
from fieldapp.sync.transport import InsecureEndpoint
from fieldapp.ui.ops import DbWorker, UserError, describe
from fieldapp.ui.session import Identity, identify
from fieldapp.ui.widgets import ErrorLabel


def enrol_here(store: Store, url: str, code: str, name: str, ca_bundle: str | None) -> Identity:
    """Runs on the worker: the token and the officer's details go into the encrypted store."""
    if ca_bundle and not Path(ca_bundle).is_file():
        raise UserError("That certificate file cannot be found. Choose it again.")
    enrol(store, url, code, name, ca_bundle=ca_bundle)
    return identify(store)


class EnrolPanel(QWidget):
    """Address, code and laptop name; `enrolled` carries who this laptop now records as."""

    enrolled = Signal(object)  # Identity
    skipped = Signal()

    def __init__(
        self,
        worker: DbWorker[Store],
        *,
        skip_text: str = "Stay &offline for now",
        later: str = "You can do this later from the Sync page; until then everything is "
        "kept on this laptop only.",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.worker = worker
        self.setAccessibleName("Connect to the central system")
        intro = QLabel(
            "To send records to the central system and receive call-backs, enter the address "
            f"and the one-time enrolment code your IT team gave you. {later}",
            self,
        )
        intro.setWordWrap(True)
        self.url = QLineEdit(self)
        self.url.setPlaceholderText("https://fieldapp.example.police.uk")
        self.url.setAccessibleName("Central system address")
        self.code = QLineEdit(self)
        self.code.setAccessibleName("Enrolment code")
        self.device_name = QLineEdit(QSysInfo.machineHostName()[:60], self)
        self.device_name.setAccessibleName("Name of this laptop")
        self.ca_bundle = QLineEdit(self)
        self.ca_bundle.setAccessibleName("Force certificate file (optional)")
        self.ca_bundle.setPlaceholderText("Only if IT asked you to choose one")
        browse = QPushButton("C&hoose…", self)
        browse.setAccessibleName("Choose the force certificate file")
        browse.clicked.connect(self._browse)
        ca_row = QHBoxLayout()
        ca_row.addWidget(self.ca_bundle, 1)
        ca_row.addWidget(browse)
        self.message = ErrorLabel("enrolment", self)
        self.enrol_button = QPushButton("&Enrol this laptop (Enter)", self)
        self.enrol_button.setAccessibleName("Enrol this laptop")
        self.enrol_button.setDefault(True)
        self.skip_button = QPushButton(skip_text, self)
        self.skip_button.setAccessibleName(skip_text.replace("&", ""))
        self.enrol_button.clicked.connect(self.submit)
        for line in (self.url, self.code, self.device_name, self.ca_bundle):
            line.returnPressed.connect(self.submit)  # Enter enrols
        self.skip_button.clicked.connect(self.skipped)

        form = QFormLayout()
        for label, widget in (
            ("Central system &address", self.url),
            ("Enrolment &code", self.code),
            ("&Name of this laptop", self.device_name),
        ):
            caption = QLabel(label, self)
            caption.setBuddy(widget)
            form.addRow(caption, widget)
        ca_caption = QLabel("Force cer&tificate", self)
        ca_caption.setBuddy(self.ca_bundle)
        form.addRow(ca_caption, ca_row)
        buttons = QHBoxLayout()
        buttons.addWidget(self.enrol_button)
        buttons.addWidget(self.skip_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        heading = QLabel("<h2>Connect to the central system</h2>", self)
        heading.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(heading)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        layout.addStretch(1)

    def _browse(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(
            self, "Force certificate", "", "Certificates (*.pem *.crt);;All files (*)"
        )
        if chosen:
            self.ca_bundle.setText(chosen)

    def submit(self) -> None:
        url, code = self.url.text().strip(), self.code.text().strip()
        name = self.device_name.text().strip() or "fieldapp laptop"
        ca = self.ca_bundle.text().strip() or None
        if not url.startswith("https://") or not code:
            self.message.show_message(
                "Enter the address (it starts with https://) and the enrolment code."
            )
            return
        self.message.show_message("")
        self.enrol_button.setEnabled(False)
        self.worker.run(
            lambda store: enrol_here(store, url, code, name, ca), self._done, self._failed
        )

    def _done(self, identity: Identity) -> None:
        self.enrol_button.setEnabled(True)
        self.code.clear()
        self.enrolled.emit(identity)

    def _failed(self, error: BaseException) -> None:
        self.enrol_button.setEnabled(True)
        self.message.show_message(
            str(error) if isinstance(error, InsecureEndpoint) else describe(error)
        )
        self.code.setFocus(Qt.FocusReason.OtherFocusReason)
