"""The look: large targets for a doorstep, clear error colours, readable at any DPI.

Sizes are in device-independent pixels and points, so Qt scales them on high-DPI screens.
"""

STYLE_SHEET = """
QWidget { font-size: 11pt; }
QPushButton { min-height: 34px; padding: 4px 14px; }
QLineEdit, QComboBox, QDateTimeEdit, QSpinBox { min-height: 32px; padding: 0 6px; }
QCheckBox, QRadioButton { min-height: 30px; spacing: 10px; }
QCheckBox::indicator, QRadioButton::indicator { width: 20px; height: 20px; }
QListWidget#navigation { font-size: 13pt; }
QListWidget#navigation::item { min-height: 44px; padding: 4px 10px; }
QLabel#fieldError, QLabel#formError { color: #b00020; font-weight: bold; }
QLabel#callbackDue { font-size: 13pt; color: #0b5394; }
QLabel#reportSummary { font-size: 12pt; color: #0b5394; }
QLabel#occurrenceHeading { font-size: 15pt; font-weight: bold; }
QFrame#escalation { background: #fde8e8; border: 2px solid #b00020; border-radius: 4px; }
QFrame#escalation QLabel { color: #5c0011; }
QFrame#dueBanner { background: #fff4d6; border: 1px solid #c68a00; border-radius: 4px; }
"""
