"""The look: large targets for a doorstep, clear error colours, readable at any DPI.

Sizes are in device-independent pixels and points, so Qt scales them on high-DPI screens.
"""

STYLE_SHEET = """
QWidget { font-size: 11pt; }
QPushButton { min-height: 34px; padding: 4px 14px; border: 1px solid #767676;
              border-radius: 4px; background: #f4f4f4; color: #1a1a1a; }
QPushButton:default { border: 2px solid #0b5394; }
QPushButton:pressed { background: #c9dbf2; }
QPushButton:disabled { color: #767676; background: #e8e8e8; }
QLineEdit, QComboBox, QDateTimeEdit, QSpinBox { min-height: 32px; padding: 0 6px; }
QLineEdit, QPlainTextEdit, QComboBox, QDateTimeEdit, QSpinBox {
    border: 1px solid #767676; border-radius: 3px; background: white; }
QCheckBox, QRadioButton { min-height: 28px; spacing: 10px; padding: 0 4px; }
/* Where the keyboard is, seen at a glance from arm's length: a thick blue ring. */
QPushButton:focus, QLineEdit:focus, QPlainTextEdit:focus, QComboBox:focus,
QDateTimeEdit:focus, QSpinBox:focus, QListWidget:focus, QListView:focus, QTableView:focus,
QTabBar::tab:focus { border: 3px solid #1a5fb4; }
QPushButton:focus { background: #e3edf9; }
QCheckBox:focus, QRadioButton:focus { border: 3px solid #1a5fb4; border-radius: 4px;
                                      background: #e3edf9; }
QLabel#capsLock { color: #8a4b00; font-weight: bold; }
QLabel#review { font-size: 12pt; }
QCheckBox::indicator, QRadioButton::indicator { width: 20px; height: 20px; }
QListWidget#navigation { font-size: 13pt; }
QListWidget#navigation::item { min-height: 44px; padding: 4px 10px; }
QLabel#fieldError, QLabel#formError { color: #b00020; font-weight: bold; }
QLabel#callbackDue { font-size: 13pt; color: #0b5394; }
QLabel#reportSummary { font-size: 12pt; color: #0b5394; }
QLabel#formHeading { font-size: 14pt; font-weight: bold; }
QLabel#occurrenceHeading { font-size: 15pt; font-weight: bold; }
QFrame#escalation { background: #fde8e8; border: 2px solid #b00020; border-radius: 4px; }
QFrame#escalation QLabel { color: #5c0011; }
QFrame#dueBanner { background: #fff4d6; border: 1px solid #c68a00; border-radius: 4px; }
"""
