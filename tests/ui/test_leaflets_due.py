"""The OIC's follow-ups name their occurrences with no leaflet recorded the policy's days
after, and drop one once a leaflet outcome (even declined) is recorded."""

from __future__ import annotations

from datetime import timedelta

from factories import new_id, occurrence
from figure_events import leaflet
from pytestqt.qtbot import QtBot
from test_reports_page import load
from ui_support import NOW, wait_idle

from fieldapp.ui.followups_page import FollowUpsPage
from fieldapp.ui.session import Session


def test_the_oics_follow_ups_list_leaflets_not_recorded(qtbot: QtBot, session: Session) -> None:
    mine, recent, declined, theirs = new_id(), new_id(), new_id(), new_id()
    old = NOW - timedelta(days=10)
    load(qtbot, session, [
        occurrence(mine, old, reference="13/000001/26", oic="1234"),
        occurrence(recent, NOW - timedelta(days=1), reference="13/000002/26", oic="1234"),
        occurrence(declined, old, reference="13/000003/26", oic="1234"),
        leaflet(declined, old, "declined", ["safer_lives"]),
        occurrence(theirs, old, reference="13/000004/26", oic="9999"),
    ])
    page = FollowUpsPage(session)
    qtbot.addWidget(page)
    page.reload()
    wait_idle(qtbot, session.worker)
    due = page.leaflets_due
    assert due.model.rowCount() == 1
    text = due.model.data(due.model.index(0))
    assert text.startswith("13/000001/26 (Leeds): no leaflet recorded since ")
    assert due.heading.text() == "<b>Leaflets not recorded</b> (1)"

    load(qtbot, session, [leaflet(mine, NOW, "left_at_address", ["safer_lives"])])
    wait_idle(qtbot, session.worker)
    assert due.model.rowCount() == 0
    page.clear()
    assert due.heading.text() == "<b>Leaflets not recorded</b>"
