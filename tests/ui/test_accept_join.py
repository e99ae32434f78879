"""Accepting another officer's record of an occurrence from "Conflicts to check", against the
real store: offered to the OIC, withheld (with the rule's sentence) from an officer who is
not, both records side by side, one `join_accepted` saved with the right payload, and Escape
saving nothing (issue 16)."""

from __future__ import annotations

from datetime import timedelta

from factories import new_id, occurrence
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot
from test_corrections import AT, append, read

from fieldapp.domain.events import EventType, JoinAccepted
from fieldapp.ui.corrections.dialogs import AcceptJoinDialog, CaseOpener
from fieldapp.ui.followups_page import FollowUpsPage
from fieldapp.ui.launcher import FormLauncher
from fieldapp.ui.session import Session

REFERENCE = "13/240117/26"


def joined(qtbot: QtBot, session: Session, *, oic: str = "1234") -> tuple[str, str]:
    """This officer's (1234) record of a reference, and 5002's record of the same one, as
    the endpoint sends it to the existing occurrence's OIC: the occurrence record alone."""
    mine, theirs = sorted(new_id() for _ in range(2))
    append(qtbot, session, [
        occurrence(mine, AT, oic=oic, reference=REFERENCE),
        occurrence(theirs, AT + timedelta(days=1), oic="5002", reference=REFERENCE,
                   offences=("iioc", "voyeurism"), author="5002", device="laptop-n"),
    ])
    return mine, theirs


def notice_page(qtbot: QtBot, session: Session) -> FollowUpsPage:
    """The follow-ups page with the join notice chosen by keyboard in its conflicts list."""
    page = FollowUpsPage(session)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitExposed(page)
    page.activateWindow()
    page.reload()
    qtbot.waitUntil(lambda: page.loaded and page.conflicts_model.rowCount() > 0,
                    timeout=10_000)
    # Its details differ too (another OIC): that conflict is listed beside it.
    [row] = [n for n, named in enumerate(page.conflicts_model.rows)
             if named.conflict.kind == "occurrence_joined"]
    page.conflicts.setFocus()
    for _ in range(row + 1):
        qtbot.keyClick(page.conflicts, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: page._join is not None, timeout=10_000)
    return page


def accept_dialog(qtbot: QtBot, page: FollowUpsPage) -> AcceptJoinDialog:
    """Alt+A on the chosen notice: the dialog, active (Ctrl+S is its own shortcut)."""
    window = QWidget()
    qtbot.addWidget(window)
    opener = CaseOpener(page.session, FormLauncher(page.session, window), window)
    page.accept_join.connect(opener.open_accept)
    qtbot.waitUntil(page.accept_button.isEnabled, timeout=10_000)
    # Alt+A, where the officer is: on the conflicts list.
    qtbot.keyClick(page.conflicts, Qt.Key.Key_A, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: bool(opener.each(AcceptJoinDialog)), timeout=10_000)
    [dialog] = opener.each(AcceptJoinDialog)
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=10_000)
    return dialog


def joins_held(qtbot: QtBot, session: Session) -> list[object]:
    return read(qtbot, session, lambda store: [
        e for e in store.iter_events() if e.type is EventType.JOIN_ACCEPTED])


def test_the_oic_accepts_their_record_side_by_side_and_one_join_is_saved(
    qtbot: QtBot, session: Session
) -> None:
    mine, theirs = joined(qtbot, session)
    page = notice_page(qtbot, session)
    [named] = [n for n in page.conflicts_model.rows if n.conflict.kind == "occurrence_joined"]
    assert named.text.startswith(
        f"{REFERENCE}: Another officer recorded your reference. {REFERENCE} was recorded 2 "
        "times (by 1234 and 5002)")
    assert page.accept_button.isEnabled() and page.join_why.isHidden()
    assert page.accept_button.text() == "&Accept their record…"
    dialog = accept_dialog(qtbot, page)
    texts = [dialog.sides.itemAtPosition(1, c).widget().text() for c in (0, 1)]
    assert "Recorded by: 1234" in texts[0] and "OIC: 1234" in texts[0]
    assert "Recorded by: 5002" in texts[1] and "When: 11/03/2026" in texts[1]
    assert all(f"Reference: {REFERENCE}" in t and "District: Leeds" in t for t in texts)
    assert "voyeurism" in texts[1].casefold()
    assert dialog.effect.text() == (
        f"What will change: Officer 5002 will see your occurrence {REFERENCE} and its "
        "households. You will see theirs when they accept yours.")
    assert dialog.width() <= 1366 and dialog.height() <= 768
    qtbot.keyClicks(dialog.reason, "Same investigation: spoke to 5002")
    with qtbot.waitSignal(dialog.saved, timeout=10_000) as saved:
        qtbot.keyClick(dialog, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert mine in saved.args[0].occurrences
    [made] = joins_held(qtbot, session)
    assert made.aggregate_id == mine and made.author == "1234"
    assert made.payload == JoinAccepted(theirs, "5002", "Same investigation: spoke to 5002")
    # The notice shows it accepted, and is not offered again.
    qtbot.waitUntil(lambda: "You accepted 5002's record on" in page.join_why.text(),
                    timeout=10_000)
    assert not page.accept_button.isEnabled()


def test_escape_saves_nothing(qtbot: QtBot, session: Session) -> None:
    joined(qtbot, session)
    page = notice_page(qtbot, session)
    dialog = accept_dialog(qtbot, page)
    qtbot.keyClicks(dialog.reason, "not sure yet")
    with qtbot.waitSignal(dialog.rejected, timeout=10_000):
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert joins_held(qtbot, session) == []
    assert page.accept_button.isEnabled()


def test_withheld_from_an_officer_who_is_not_the_oic_with_the_rules_sentence(
    qtbot: QtBot, session: Session
) -> None:
    joined(qtbot, session, oic="4999")  # 1234 recorded it, naming 4999 as its OIC
    page = notice_page(qtbot, session)
    assert not page.accept_button.isEnabled()
    assert page.join_why.isVisible() or not page.join_why.isHidden()
    assert page.join_why.text() == (
        f"Only the OIC of {REFERENCE} or a supervisor can let another officer who recorded "
        "this occurrence see its records.")
    with qtbot.assertNotEmitted(page.accept_join):
        page.accept_button.click()
        page._accept_join()
    assert joins_held(qtbot, session) == []

