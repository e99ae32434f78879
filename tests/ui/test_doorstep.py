"""The doorstep by keyboard, at full speed: every key goes to whatever has focus at that
moment, as it would from a real keyboard, and what was saved is read back from the store."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from ui_support import first_run, save_form, saved_occurrence, wait_idle

from fieldapp.domain.views import HouseholdView, OccurrenceView
from fieldapp.store import Store
from fieldapp.ui.controller import AppController
from fieldapp.ui.forms.base import CaptureForm
from fieldapp.ui.forms.household import HouseholdForm
from fieldapp.ui.forms.leaflets import LeafletForm
from fieldapp.ui.forms.occurrence import OccurrenceForm
from fieldapp.ui.forms.vcas import OfferForm
from fieldapp.ui.session import Session, new_id

Key = Qt.Key
ALT = Qt.KeyboardModifier.AltModifier
CTRL = Qt.KeyboardModifier.ControlModifier


class Keyboard:
    """Keys sent to the widget that has focus when each is sent, with no wait in between.

    It counts interactions: one key press or chord (Tab, Space, Alt+C, Ctrl+S, Enter), or
    the typing of one field's text (a name, a postcode), each counts one.
    """

    def __init__(self) -> None:
        self.count = 0

    @staticmethod
    def focus() -> QWidget:
        widget = QApplication.focusWidget()
        assert widget is not None, "no widget has focus: the key would be lost"
        return widget

    def key(self, key: Qt.Key, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
            ) -> None:
        self.count += 1
        QTest.keyClick(self.focus(), key, modifiers)

    def type(self, text: str) -> None:
        self.count += 1
        QTest.keyClicks(self.focus(), text)


def _in_front(qtbot: QtBot, form: QWidget) -> None:
    form.show()
    form.activateWindow()
    qtbot.waitUntil(form.isActiveWindow)


def _households(qtbot: QtBot, session: Session, occurrence_id: str) -> list[HouseholdView]:
    found: list[list[HouseholdView]] = []
    session.run(lambda store: store.households(occurrence_id), found.append)
    wait_idle(qtbot, session.worker)
    return found[0]


def test_the_household_form_typed_at_full_speed_is_saved_exactly_as_typed(
    qtbot: QtBot, session: Session
) -> None:
    occurrence_id = saved_occurrence(qtbot, session, "13/7/26")
    form = HouseholdForm(session, aggregate_id=new_id(), occurrence_id=occurrence_id,
                         draft_key="household:fast", person_under_investigation="John Smith")
    qtbot.addWidget(form)
    _in_front(qtbot, form)
    keys = Keyboard()
    keys.type("4 Beck Side")
    keys.key(Key.Key_Tab)
    keys.type("ls6 2qq")
    keys.key(Key.Key_P, ALT)  # a partner: the cursor is in the new row's name at once
    keys.type("Jane Smith")
    keys.key(Key.Key_C, ALT)  # a child: straight into the age
    keys.type("7")
    keys.key(Key.Key_C, ALT)
    keys.type("12")
    keys.key(Key.Key_A, ALT)  # anyone else: the relationship first, chosen by its letter
    keys.type("o")  # "Other adult"
    keys.key(Key.Key_Tab)
    keys.type("Sam Smith")
    keys.key(Key.Key_U, ALT)  # the person under investigation, named from the leaflets
    keys.key(Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: form.reviewing)
    assert "Child: aged 12" in form.review.text
    keys.key(Key.Key_Return)
    qtbot.waitUntil(lambda: not form.isVisible())

    [saved] = _households(qtbot, session, occurrence_id)
    assert saved.address == "4 Beck Side"
    assert saved.postcode == "LS6 2QQ"
    members = [(m.relationship, m.name, m.age) for m in saved.members]
    assert members == [
        ("partner", "Jane Smith", None),
        ("child", "", 7),
        ("child", "", 12),
        ("other_adult", "Sam Smith", None),
        ("person_under_investigation", "John Smith", None),
    ]


def _tab_names(steps: int) -> list[str]:
    names = []
    for _ in range(steps):
        QTest.keyClick(Keyboard.focus(), Key.Key_Tab)
        names.append(Keyboard.focus().accessibleName())
    return names


def test_tab_goes_down_the_household_form_in_the_same_order_every_time(
    qtbot: QtBot, session: Session
) -> None:
    orders = []
    for n in range(3):
        form = HouseholdForm(session, aggregate_id=new_id(), occurrence_id=new_id(),
                             draft_key=f"household:tab{n}")
        qtbot.addWidget(form)
        form.set_members([{"relationship": "partner"}])
        _in_front(qtbot, form)
        form.postcode.setFocus()
        orders.append(_tab_names(5))
        form.close()
    assert orders[0] == orders[1] == orders[2] == [
        "Relationship of member 1", "Name of member 1", "Age of member 1", "Remove member 1",
        "Add a member: partner",
    ]


def test_the_check_before_saving_shows_the_call_back_date_and_esc_goes_back(
    qtbot: QtBot, session: Session
) -> None:
    occurrence_id = saved_occurrence(qtbot, session, "13/7/26")
    household = HouseholdForm(session, aggregate_id=new_id(), occurrence_id=occurrence_id,
                              draft_key="household:r")
    qtbot.addWidget(household)
    household.fill({"address": "2 Low Road", "postcode": "LS2 7AB",
                    "members": [{"relationship": "partner"}]})
    with qtbot.waitSignal(household.saved):
        save_form(qtbot, household)
    household_id = household.aggregate_id
    offer = OfferForm(session, aggregate_id=household_id, draft_key=f"offer:{household_id}")
    qtbot.addWidget(offer)
    _in_front(qtbot, offer)
    offer.outcome.button("declined").click()
    QTest.keyClick(offer.outcome.button("declined"), Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: offer.reviewing)
    assert "Offer of VCAS: Declined" in offer.review.text
    assert "Call-back due 31/03/2026" in offer.review.text
    QTest.keyClick(QApplication.focusWidget(), Key.Key_Escape)
    assert not offer.reviewing and offer.isVisible()  # back to the fields, nothing saved
    assert _households(qtbot, session, occurrence_id)[0].offers == ()
    QTest.keyClick(QApplication.focusWidget(), Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: offer.reviewing)
    with qtbot.waitSignal(offer.saved):
        QTest.keyClick(QApplication.focusWidget(), Key.Key_Return)
    [saved] = _households(qtbot, session, occurrence_id)
    assert [o.outcome for o in saved.offers] == ["declined"]


def _form(main_forms: dict[str, CaptureForm], kind: type[CaptureForm]) -> CaptureForm | None:
    return next((f for f in main_forms.values() if isinstance(f, kind) and f.isVisible()), None)


def test_the_doorstep_takes_no_more_than_30_interactions(
    qtbot: QtBot, controller: AppController
) -> None:
    """New occurrence; leaflets handed with no risk seen; a household of a partner, two
    children with ages and the person under investigation; a declined offer, checked and
    saved. Interactions are counted as `Keyboard` says: each key press or chord, and each
    field's typing, is one; waiting for a form to open is not (the officer does nothing)."""
    main = first_run(qtbot, controller)
    forms = main.launcher.open_forms
    main.activateWindow()
    qtbot.waitUntil(main.isActiveWindow)
    keys = Keyboard()

    keys.key(Key.Key_N, CTRL)
    qtbot.waitUntil(lambda: _form(forms, OccurrenceForm) is not None)
    qtbot.waitUntil(lambda: _form(forms, OccurrenceForm).isActiveWindow())  # type: ignore[union-attr]
    keys.type("13/99/26")
    keys.key(Key.Key_Tab)  # to the first offence, indecent images of children
    keys.key(Key.Key_Space)
    keys.key(Key.Key_D, ALT)  # the district
    keys.type("Leeds")
    keys.key(Key.Key_S, CTRL)

    # The occurrence leads to the leaflets, ready for the person's name.
    qtbot.waitUntil(lambda: _form(forms, LeafletForm) is not None, timeout=10_000)
    leaflets = _form(forms, LeafletForm)
    assert leaflets is not None
    qtbot.waitUntil(leaflets.isActiveWindow)
    keys.type("John Smith")
    keys.key(Key.Key_Tab)  # the first leaflet, Safer Lives
    keys.key(Key.Key_Space)
    keys.key(Key.Key_O, ALT)  # the risk question answered: no risk seen
    keys.key(Key.Key_S, CTRL)  # handed to the person, now: the defaults

    # The leaflets lead to the household.
    qtbot.waitUntil(lambda: _form(forms, HouseholdForm) is not None, timeout=10_000)
    household = _form(forms, HouseholdForm)
    assert household is not None
    qtbot.waitUntil(household.isActiveWindow)
    keys.type("4 Beck Side")
    keys.key(Key.Key_Tab)
    keys.type("LS6 2QQ")
    keys.key(Key.Key_P, ALT)
    keys.type("Jane Smith")
    keys.key(Key.Key_C, ALT)
    keys.type("9")
    keys.key(Key.Key_C, ALT)
    keys.type("4")
    keys.key(Key.Key_U, ALT)
    keys.key(Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: household.reviewing)
    keys.key(Key.Key_Return)

    # The household leads to its offer.
    qtbot.waitUntil(lambda: _form(forms, OfferForm) is not None, timeout=10_000)
    offer = _form(forms, OfferForm)
    assert offer is not None
    qtbot.waitUntil(offer.isActiveWindow)
    keys.key(Key.Key_Right)  # from "Accepted" to "Declined" beside it
    keys.key(Key.Key_Space)
    keys.key(Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: offer.reviewing)
    assert "Call-back due 31/03/2026" in offer.review.text
    keys.key(Key.Key_Return)
    qtbot.waitUntil(lambda: not forms, timeout=10_000)
    wait_idle(qtbot, controller.worker)

    assert keys.count <= 30, keys.count
    print(f"doorstep interactions: {keys.count}")
    found: list[tuple[OccurrenceView | None, list[HouseholdView]]] = []

    def read(store: Store) -> None:
        [(occurrence_id, _)] = [
            (o.id, o) for o in store.search("13/99/26").occurrences
        ]
        found.append((store.occurrence(occurrence_id), store.households(occurrence_id)))

    controller.worker.run(read)
    wait_idle(qtbot, controller.worker)
    occurrence, households = found[0]
    assert occurrence is not None
    assert (occurrence.reference, occurrence.offence_types, occurrence.district) == (
        "13/99/26", ("iioc",), "Leeds")
    [issue] = occurrence.leaflet_issues
    assert (issue.person_name, issue.leaflets, issue.outcome, issue.risk_indicators) == (
        "John Smith", ("safer_lives",), "handed", ())
    [home] = households
    assert [(m.relationship, m.name, m.age) for m in home.members] == [
        ("partner", "Jane Smith", None), ("child", "", 9), ("child", "", 4),
        ("person_under_investigation", "John Smith", None),
    ]
    assert [o.outcome for o in home.offers] == ["declined"]
    assert home.task is not None and home.task.due.isoformat() == "2026-03-31"

    # Found again as-you-type by a name recorded in the household, and by an address word.
    main.activateWindow()
    qtbot.waitUntil(main.isActiveWindow)
    results = main.capture.results
    for typed in ("jane smi", "nobody", "beck"):
        keys.key(Key.Key_F, CTRL)
        keys.type(typed)
        assert main.capture.search.text() == typed
        wanted = "Nothing found." if typed == "nobody" else "LS6 2QQ: 4 Beck Side"
        qtbot.waitUntil(lambda wanted=wanted: any(  # type: ignore[misc]
            results.item(n).text() == wanted for n in range(results.count())
        ), timeout=10_000)
