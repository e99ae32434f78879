"""Start: choose or create a profile, unlock it, and on first run enrol or stay offline."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from fieldapp.store import (
    InvalidProfileName,
    Profiles,
    Store,
    TooManyAttempts,
    WeakPassphrase,
    passphrase_problems,
)
from fieldapp.store.keys import MIN_PASSPHRASE
from fieldapp.ui.enrol import EnrolPanel
from fieldapp.ui.ops import DbWorker, describe
from fieldapp.ui.session import Identity, identify
from fieldapp.ui.text import APP_NAME
from fieldapp.ui.widgets import CapsLockWarning, ErrorLabel, PassphraseLine

PASSPHRASE_RULES = (
    f"Your passphrase protects everything in this profile. Use at least {MIN_PASSPHRASE} "
    "characters: three or four words that do not go together are easy to type and hard to "
    "guess. Do not use your collar number or name. If you forget it, IT can recover the "
    "profile only if your force set that up."
)
CHECK_DELAY_MS = 300


def _heading(text: str, parent: QWidget) -> QLabel:
    label = QLabel(f"<h2>{text}</h2>", parent)
    label.setTextFormat(Qt.TextFormat.RichText)
    return label


class ChoosePage(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.profiles = QListWidget(self)
        self.profiles.setAccessibleName("Profiles on this laptop")
        self.unlock_button = QPushButton("&Unlock…", self)
        self.unlock_button.setAccessibleName("Unlock the chosen profile")
        self.unlock_button.setDefault(True)
        self.new_button = QPushButton("&New profile…", self)
        self.new_button.setAccessibleName("Create a new profile")
        self.message = ErrorLabel("profiles", self)
        buttons = QHBoxLayout()
        buttons.addWidget(self.unlock_button)
        buttons.addWidget(self.new_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(_heading("Choose your profile", self))
        layout.addWidget(self.message)
        layout.addWidget(self.profiles, 1)
        layout.addLayout(buttons)


class UnlockPage(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.heading = _heading("Unlock", self)
        self.passphrase = PassphraseLine("Passphrase", self)
        self.caps = CapsLockWarning([self.passphrase], self)
        self.message = ErrorLabel("unlocking", self)
        self.why = QLabel(self)  # "Locked after 5 minutes without use."
        self.why.setObjectName("lockReason")
        self.why.setWordWrap(True)
        self.why.setAccessibleName("Why it is locked")
        self.unlock_button = QPushButton("&Unlock", self)
        self.unlock_button.setAccessibleName("Unlock")
        self.unlock_button.setDefault(True)
        self.other_button = QPushButton("Use &another profile", self)
        self.other_button.setAccessibleName("Use another profile")
        form = QFormLayout()
        caption = QLabel("&Passphrase", self)
        caption.setBuddy(self.passphrase)
        form.addRow(caption, self.passphrase)
        form.addRow("", self.caps)
        buttons = QHBoxLayout()
        buttons.addWidget(self.unlock_button)
        buttons.addWidget(self.other_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.why)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        layout.addStretch(1)


class CreatePage(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = QLineEdit(self)
        self.name.setAccessibleName("Profile name")
        self.name.setMaxLength(32)
        self.name.setPlaceholderText("your collar number")
        name_hint = QLabel(InvalidProfileName.message, self)
        name_hint.setWordWrap(True)
        self.name_error = ErrorLabel("profile name", self)
        self.passphrase = PassphraseLine("New passphrase", self)
        self.repeat = PassphraseLine("New passphrase again", self)
        self.caps = CapsLockWarning([self.passphrase, self.repeat], self)
        rules = QLabel(PASSPHRASE_RULES, self)
        rules.setWordWrap(True)
        rules.setAccessibleName("Passphrase rules")
        self.problems = ErrorLabel("new passphrase", self)
        self.create_button = QPushButton("&Create profile (Enter)", self)
        self.create_button.setAccessibleName("Create profile")
        self.create_button.setDefault(True)
        self.back_button = QPushButton("&Back", self)
        self.back_button.setAccessibleName("Back to the list of profiles")
        form = QFormLayout()
        for label, widget in (
            ("Profile &name", self.name),
            ("", name_hint),
            ("", self.name_error),
            ("&Passphrase", self.passphrase),
            ("&Repeat it", self.repeat),
            ("", self.caps),
        ):
            caption = QLabel(label, self)
            caption.setBuddy(widget)
            form.addRow(caption, widget)
        buttons = QHBoxLayout()
        buttons.addWidget(self.create_button)
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(_heading("New profile", self))
        layout.addLayout(form)
        layout.addWidget(rules)
        layout.addWidget(self.problems)
        layout.addLayout(buttons)
        layout.addStretch(1)

    def passphrase_issues(self) -> list[str]:
        issues = passphrase_problems(self.passphrase.text(), [self.name.text()])
        if self.repeat.text() and self.repeat.text() != self.passphrase.text():
            issues.append("The two passphrases are not the same.")
        return issues


class StartWindow(QWidget):
    """Emits `ready` with who records, once a profile is open on the database worker."""

    ready = Signal(str, object)  # profile name, Identity
    quit_requested = Signal()

    def __init__(
        self,
        profiles: Profiles,
        worker: DbWorker[Store],
        last_profile: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.profiles = profiles
        self.worker = worker
        self.profile = last_profile
        self.setWindowTitle(APP_NAME)
        self.setAccessibleName("Start")
        self.resize(640, 520)
        self.choose = ChoosePage(self)
        self.unlock = UnlockPage(self)
        self.new_profile = CreatePage(self)
        self.enrol = EnrolPanel(worker, parent=self)
        self.pages = QStackedWidget(self)
        for page in (self.choose, self.unlock, self.new_profile, self.enrol):
            self.pages.addWidget(page)
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)
        # The window's title names the step (never the profile): for the taskbar, for
        # screen readers, and for the real-window tests, which see titles only.
        titles = ("Choose your profile", "Unlock", "New profile",
                  "Connect to the central system")
        self.pages.currentChanged.connect(lambda n: self.setWindowTitle(titles[n]))

        self._check_timer = QTimer(self)
        self._check_timer.setSingleShot(True)
        self._check_timer.setInterval(CHECK_DELAY_MS)
        self._check_timer.timeout.connect(self._check_passphrase)
        self._retry_timer = QTimer(self)
        self._retry_timer.setSingleShot(True)
        self._retry_timer.timeout.connect(lambda: self.unlock.unlock_button.setEnabled(True))

        self.choose.unlock_button.clicked.connect(self._chosen)
        self.choose.profiles.itemActivated.connect(lambda _: self._chosen())
        self.choose.new_button.clicked.connect(self.show_create)
        self.unlock.unlock_button.clicked.connect(self.submit_unlock)
        self.unlock.passphrase.returnPressed.connect(self.submit_unlock)
        self.unlock.other_button.clicked.connect(self.show_choose)
        self.new_profile.create_button.clicked.connect(self.submit_create)
        for line in (self.new_profile.name, self.new_profile.passphrase, self.new_profile.repeat):
            line.returnPressed.connect(self.submit_create)  # Enter creates the profile
        self.new_profile.back_button.clicked.connect(self.show_choose)
        for line in (self.new_profile.passphrase, self.new_profile.repeat, self.new_profile.name):
            line.textEdited.connect(lambda _: self._check_timer.start())
        self.enrol.enrolled.connect(self._enrolled)
        self.enrol.skipped.connect(self._skip_enrolment)
        self._created_identity: Identity | None = None

    # ----------------------------------------------------------------- pages

    def show_start(self, message: str = "") -> None:
        """The first screen: the list of profiles, or creating the first one."""
        self.choose.message.show_message(message)
        if message:  # shown at once, where the message is, while the list is read
            self.pages.setCurrentWidget(self.choose)
        self.worker.call(self.profiles.names, lambda names: self._names(names, message))
        self.show()

    def _names(self, names: list[str], message: str = "") -> None:
        if message:
            self.profile = ""  # stay on the list, where the message is
        if not names and not message:
            self.show_create()
            return
        self.choose.profiles.clear()
        self.choose.profiles.addItems(names)
        matches = self.choose.profiles.findItems(self.profile, Qt.MatchFlag.MatchExactly)
        self.choose.profiles.setCurrentRow(
            self.choose.profiles.row(matches[0]) if matches else 0
        )
        if matches:
            self.show_unlock(self.profile)
        else:
            self.show_choose()

    def show_choose(self) -> None:
        self.pages.setCurrentWidget(self.choose)
        self.choose.profiles.setFocus()

    def show_unlock(self, name: str, why: str = "") -> None:
        """The passphrase for profile `name`; `why` says why it locked (idle minutes)."""
        self.profile = name
        self.unlock.why.setText(why)
        self.unlock.why.setVisible(bool(why))
        self.unlock.heading.setText(f"<h2>Unlock profile {name}</h2>")
        self.unlock.passphrase.clear()
        self.unlock.message.show_message("")
        self.pages.setCurrentWidget(self.unlock)
        self.show()
        self.raise_()
        self.unlock.passphrase.setFocus()

    def show_create(self) -> None:
        self.pages.setCurrentWidget(self.new_profile)
        self.new_profile.name.setFocus()

    def _chosen(self) -> None:
        item = self.choose.profiles.currentItem()
        if item is not None:
            self.show_unlock(item.text())

    # ----------------------------------------------------------------- unlock

    def submit_unlock(self) -> None:
        if not self.unlock.unlock_button.isEnabled():
            return
        name, passphrase = self.profile, self.unlock.passphrase.text()
        self.unlock.passphrase.clear()
        if not passphrase:
            self.unlock.message.show_message("Enter your passphrase.")
            return
        self.unlock.unlock_button.setEnabled(False)
        self.unlock.message.show_message("")
        self.worker.open(
            lambda: self.profiles.unlock(name, passphrase),
            lambda _: self._identify(name, first_run=False),
            self._unlock_failed,
        )

    def _unlock_failed(self, error: BaseException) -> None:
        self.unlock.message.show_message(describe(error))
        if isinstance(error, TooManyAttempts):
            self._retry_timer.start(round(error.wait_seconds * 1000))
        else:
            self.unlock.unlock_button.setEnabled(True)
        self.unlock.passphrase.setFocus()

    # ----------------------------------------------------------------- create

    def _check_passphrase(self) -> None:
        if self.new_profile.passphrase.text():
            self.new_profile.problems.show_message("\n".join(self.new_profile.passphrase_issues()))

    def submit_create(self) -> None:
        name = self.new_profile.name.text().strip()
        issues = self.new_profile.passphrase_issues()
        if self.new_profile.repeat.text() != self.new_profile.passphrase.text():
            issues.append("Type the same passphrase twice.")
        if issues:
            self.new_profile.problems.show_message("\n".join(dict.fromkeys(issues)))
            return
        passphrase = self.new_profile.passphrase.text()
        self.new_profile.passphrase.clear()
        self.new_profile.repeat.clear()
        self.new_profile.create_button.setEnabled(False)
        self.new_profile.problems.show_message("")
        self.new_profile.name_error.show_message("")
        self.worker.open(
            lambda: self.profiles.create(name, passphrase),
            lambda _: self._identify(name, first_run=True),
            self._create_failed,
        )

    def _create_failed(self, error: BaseException) -> None:
        self.new_profile.create_button.setEnabled(True)
        if isinstance(error, WeakPassphrase):
            self.new_profile.problems.show_message("\n".join(error.reasons))
            self.new_profile.passphrase.setFocus()
        else:
            self.new_profile.name_error.show_message(describe(error))
            self.new_profile.name.setFocus()

    # ----------------------------------------------------------------- after opening

    def _identify(self, name: str, *, first_run: bool) -> None:
        self.profile = name
        self.worker.run(identify, lambda who: self._identified(who, first_run))

    def _identified(self, identity: Identity, first_run: bool) -> None:
        self.unlock.unlock_button.setEnabled(True)
        self.new_profile.create_button.setEnabled(True)
        if first_run:
            self._created_identity = identity
            self.pages.setCurrentWidget(self.enrol)
            self.enrol.url.setFocus()
            return
        self.ready.emit(self.profile, identity)

    def _enrolled(self, identity: Identity) -> None:
        self.ready.emit(self.profile, identity)

    def _skip_enrolment(self) -> None:
        if self._created_identity is not None:
            self.ready.emit(self.profile, self._created_identity)

    def closeEvent(self, event: QCloseEvent) -> None:
        # Closing the start window while no profile is open ends the app.
        event.accept()
        self.quit_requested.emit()
