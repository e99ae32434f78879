"""Every control has an accessible name, and Tab moves down a form in reading order."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTabBar,
    QWidget,
)
from pytestqt.qtbot import QtBot
from ui_support import first_run, record_a_call_back

from fieldapp.ui.controller import AppController
from fieldapp.ui.forms.occurrence import OccurrenceForm
from fieldapp.ui.launcher import DraftKey
from fieldapp.ui.session import Session, new_id

CONTROLS = (QAbstractButton, QLineEdit, QComboBox, QAbstractSpinBox, QAbstractItemView,
            QPlainTextEdit, QTabBar)
# Parts Qt builds inside a control (a spin box's line edit, a table's corner button).
INNER = (QAbstractSpinBox, QComboBox, QAbstractItemView, QTabBar, QLineEdit)


def unnamed(root: QWidget) -> list[str]:
    missing = []
    for widget in [root, *root.findChildren(QWidget)]:
        if not isinstance(widget, CONTROLS) or widget.window() is not root.window():
            continue
        parent = widget.parentWidget()
        if isinstance(parent, INNER) or (parent is not None and isinstance(
                parent.parentWidget(), INNER)):
            continue
        if not widget.accessibleName():
            missing.append(f"{type(widget).__name__} {widget.objectName()!r}")
    return missing


def test_every_control_on_every_main_screen_has_an_accessible_name(
    qtbot: QtBot, controller: AppController
) -> None:
    assert unnamed(controller.start_window) == []
    main = first_run(qtbot, controller)
    record_a_call_back(qtbot, controller)
    assert unnamed(main) == []
    occurrence = main.capture.current.occurrence.id  # type: ignore[union-attr]
    household = main.capture.panel.chosen_household()
    for key in (DraftKey("occurrence"), DraftKey("leaflets", occurrence),
                DraftKey("household", occurrence), DraftKey("offer", household),
                DraftKey("callback", household)):
        form = main.launcher.open(key)
        assert unnamed(form) == [], key


def test_tab_goes_down_the_occurrence_form_in_reading_order(
    qtbot: QtBot, session: Session
) -> None:
    form = OccurrenceForm(session, aggregate_id=new_id(), draft_key="occurrence")
    qtbot.addWidget(form)
    form.show()
    form.activateWindow()
    qtbot.waitUntil(form.isActiveWindow)
    form.reference.setFocus()
    order: list[str] = []
    for _ in range(16):  # Tab also steps through the date's day, month, year, hour, minute
        focused = QApplication.focusWidget()
        assert focused is not None
        named = focused if focused.accessibleName() else focused.parentWidget()
        name = named.accessibleName()  # type: ignore[union-attr]
        if not order or order[-1] != name:
            order.append(name)
        qtbot.keyClick(focused, Qt.Key.Key_Tab)
    assert order[:10] == [
        "Occurrence reference",
        "Offences: Indecent images of children",
        "Offences: Sexual communication with a child",
        "Offences: Voyeurism",
        "Offences: Indecent exposure",
        "OIC collar number",
        "District",
        "When it happened",
        "Save",
        "Close and keep a draft",
    ]
