"""The supervisor's side of the Reports page, on a real profile and the real worker: leaflet
compliance, the leaflets not recorded, districts not on the force's list, and a partner's
monthly count recorded here and drawn beside the leaflets issued for it."""

from __future__ import annotations

from datetime import date

from figure_events import SERIES_2023, known_figures
from PySide6.QtCore import QDate, Qt
from pytestqt.qtbot import QtBot
from test_reports_page import load, page_of, show, shown
from ui_support import wait_idle

from fieldapp.domain.events import EventType
from fieldapp.ui.reports_page import TABS, ReportsPage
from fieldapp.ui.session import Identity, Session

YEAR = (date(2023, 1, 1), date(2023, 12, 31))


def supervisor_of(session: Session, role: str = "supervisor") -> Session:
    return Session(session.worker, Identity("SUP", "laptop-s", True, "Leeds", role),
                   session.clock)


def tab(name: str) -> int:
    return TABS.index(name)


def record(qtbot: QtBot, page: ReportsPage, month: QDate, engaged: int) -> None:
    page.month.setDate(month)
    page.engaged.setValue(engaged)
    qtbot.mouseClick(page.record_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.record_status.text() != "")


def test_compliance_and_leaflets_not_recorded(qtbot: QtBot, session: Session) -> None:
    made = known_figures()
    load(qtbot, session, [*made.oic, *made.before_the_list])
    page = page_of(qtbot, supervisor_of(session))
    show(qtbot, page, *YEAR, "month")
    assert shown(page, tab("Compliance")) == [
        ["2023-01", "Leeds", "100", "2", "1", "1", "0", "0", "100"],
        ["2023-02", "Leeds", "100", "2", "0", "0", "1", "1", "50"],
        ["2023-03", "Leeds", "100", "1", "1", "0", "0", "0", "100"],
        ["2023-03", "Leeds", "101", "1", "1", "0", "0", "0", "100"],
        ["2023-03", "Leeds City", "100", "1", "0", "0", "0", "1", "0"],
    ]
    missing = shown(page, tab("Leaflets not recorded"))
    assert [row[1:] for row in missing] == [["Leeds", "100", "07/02/2023", "10/02/2023"],
                                            ["Leeds City", "100", "03/03/2023", "06/03/2023"]]
    assert page.note.isVisibleTo(page)
    assert "“Leeds City” (1 occurrence)" in page.note.text()
    assert shown(page, tab("Escalations"))[-2:] == [["2023-03", "No risk seen", "1"],
                                                     ["2023-03", "Supervisor", "1"]]
    assert shown(page, tab("Call-backs on time")) == [["3", "1", "2", "33"]]
    # The district filter offers the listed name, not "leeds", and finds its records.
    offered = [page.district.itemData(n) for n in range(page.district.count())]
    assert offered == ["", "Leeds", "Leeds City"]
    show(qtbot, page, *YEAR, "year", "Leeds")
    assert [r[2:4] for r in shown(page, tab("Compliance"))] == [["100", "5"], ["101", "1"]]


def test_a_supervisor_records_a_partners_months(qtbot: QtBot, session: Session) -> None:
    made = known_figures()
    load(qtbot, session, made.oic)
    page = page_of(qtbot, supervisor_of(session))
    show(qtbot, page, *YEAR, "month")
    assert page.partner.currentText() == "Safer Lives"
    assert page.record_button.isEnabled()
    for month, engaged in enumerate(SERIES_2023, start=1):
        record(qtbot, page, QDate(2023, month, 1), engaged)
        assert page.record_status.text() == (
            f"Recorded: Safer Lives reports {engaged:,} engaged in {month:02d}/2023.")
        page.record_status.clear()
    qtbot.waitUntil(lambda: not page.loading and page.figures is not None
                    and page.figures.partner_rows[0].engaged == 4)
    rows = shown(page, tab("Partners"))
    assert rows[:3] == [["Safer Lives", "2023-01", "2", "4", "2"],
                        ["Safer Lives", "2023-02", "0", "3", "–"],
                        ["Safer Lives", "2023-03", "0", "3", "–"]]
    assert page.partner_chart.values() == {
        "Leaflets issued": [2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        "Engaged (partner's report)": [float(n) for n in SERIES_2023]}
    assert "Engaged (partner's report): 4, 3, 3" in page.partner_chart.accessibleDescription()
    # A second report of January that differs is one fact: the latest stands, and it shows.
    record(qtbot, page, QDate(2023, 1, 1), 6)
    qtbot.waitUntil(lambda: not page.loading and page.figures is not None
                    and page.figures.partner_rows[0].engaged == 6)
    assert page.figures.partners.notes == (
        "Safer Lives, 2023-01: 2 reports differ (4, 6); the latest (6) is shown.",)
    count = []
    session.run(lambda store: len(store.events_of_type(EventType.PARTNER_ENGAGEMENT_REPORTED)),
                count.append)
    wait_idle(qtbot, session.worker)
    assert count == [13]

    # A month to come is refused, and nothing is saved.
    page.record_status.clear()
    record(qtbot, page, QDate(2027, 1, 1), 1)
    assert "has not happened yet" in page.record_status.text()


def test_only_a_supervisor_records_partner_figures(qtbot: QtBot, session: Session) -> None:
    page = page_of(qtbot, supervisor_of(session, role="oic"))
    assert not page.record_button.isEnabled() and not page.engaged.isEnabled()
    page.set_allowed(True)
    assert not page.record_button.isEnabled()
    supervisor = page_of(qtbot, supervisor_of(session))
    assert supervisor.record_button.isEnabled()
    supervisor.set_allowed(False)
    assert not supervisor.record_button.isEnabled()
