"""The Reports page on a real profile and the real database worker: the seed's table, the
charts' values, district filter, redraw on change, who may see it, and CSV and PDF exports
that say what they cover and hold no personal data."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from factories import callback, event, leaflets, new_id, occurrence, offer, seed_events
from PySide6.QtCore import QDate, Qt
from PySide6.QtPdf import QPdfDocument
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from ui_support import first_run, wait_idle

from fieldapp.domain.events import Event, EventType
from fieldapp.resources import load_policy
from fieldapp.store import Store
from fieldapp.ui import reports_page
from fieldapp.ui.controller import AppController
from fieldapp.ui.main_window import REPORTS
from fieldapp.ui.reports_model import reports_allowed
from fieldapp.ui.reports_page import ReportsPage
from fieldapp.ui.session import Identity, Session

# Personal details that go into the events and must never come out in an export.
CANARY = ("Zebulon Quillfeather", "7 Quillfeather Mews", "07700 900777", "LS6 2QQ")
JAN = datetime(2026, 1, 5, 10, tzinfo=UTC)  # Monday; a declined offer is due Monday 26th


def canary_events() -> list[Event]:
    """One occurrence this year (2026) with a declined offer that is overdue by NOW, an
    accepted one, and leaflets for two offence types, all carrying the canary's details."""
    o, declined, accepted = new_id(), new_id(), new_id()
    members = [{"relationship": "partner", "name": CANARY[0]}]
    events = [occurrence(o, JAN, oic="4321", district="Bradford",
                         offences=("iioc", "voyeurism"))]
    # Two households (two houses of the mews: one address would be one household).
    for h, number in ((declined, ""), (accepted, "9 ")):
        events.append(event(EventType.HOUSEHOLD_RECORDED, h, {
            "occurrence_id": o, "address": number + CANARY[1], "postcode": CANARY[3],
            "members": members}, JAN))
    events.append(offer(declined, "declined", JAN))
    events.append(event(EventType.VCAS_OFFERED, accepted, {
        "outcome": "accepted", "consent_to_share": True, "contact_name": CANARY[0],
        "contact_phone": CANARY[2]}, JAN))
    for at in (JAN, JAN + timedelta(days=31)):
        events.append(event(EventType.LEAFLET_ISSUED, o, {
            "person_name": CANARY[0], "leaflets": ["safer_lives"], "outcome": "handed",
            "risk_indicators": [], "no_risk_seen": True, "escalated": False}, at))
    return events


def load(qtbot: QtBot, session: Session, events: list[Event]) -> None:
    session.run(lambda store: store.append(events))
    wait_idle(qtbot, session.worker)


def page_of(qtbot: QtBot, session: Session) -> ReportsPage:
    page = ReportsPage(session)
    qtbot.addWidget(page)
    page.resize(1200, 700)
    page.show()
    qtbot.waitUntil(lambda: page.figures is not None and not page.loading)
    return page


def show(qtbot: QtBot, page: ReportsPage, start: date, end: date, period: str,
         district: str = "") -> None:
    page.start.setDate(QDate(start.year, start.month, start.day))
    page.end.setDate(QDate(end.year, end.month, end.day))
    page.period.setCurrentIndex(page.period.findData(period))
    page.district.setCurrentIndex(page.district.findData(district))
    page.reload()
    qtbot.waitUntil(lambda: not page.loading)
    assert page.figures is not None and page.figures.request.start == start


def shown(page: ReportsPage, tab: int) -> list[list[Any]]:
    """The table as the user sees it, cell by cell."""
    model = page.tables[tab].model()
    return [[model.data(model.index(r, c)) for c in range(model.columnCount())]
            for r in range(model.rowCount())]


def test_the_seed_table_reproduces_on_the_reports_page(qtbot: QtBot, session: Session) -> None:
    load(qtbot, session, seed_events(random.Random(2024)))
    page = page_of(qtbot, session)

    show(qtbot, page, date(2022, 1, 1), date(2022, 12, 31), "year")
    assert shown(page, 0) == [["2022", "33", "12", "0", "3", "15", "45"],
                              ["Total", "33", "12", "0", "3", "15", "45"]]
    assert page.uptake_chart.values() == {
        "Accepted at arrest": [12], "Accepted at call-back": [3], "Not taken up": [18]}
    assert ("33 households offered VCAS, 15 accepted (12 at arrest, 0 at a later offer, 3 at "
            "call-back): uptake 45%") in page.summary.text()

    show(qtbot, page, date(2023, 1, 1), date(2024, 3, 31), "year")
    assert shown(page, 0)[-1] == ["Total", "87", "16", "0", "9", "25", "29"]

    show(qtbot, page, date(2022, 1, 1), date(2024, 3, 31), "quarter")
    rows = shown(page, 0)
    assert rows[-1] == ["Total", "120", "28", "0", "12", "40", "33"]
    assert [r[0] for r in rows[:-1]] == sorted(r[0] for r in rows[:-1])
    assert sum(int(r[1]) for r in rows[:-1]) == 120
    chart = page.uptake_chart.values()
    assert sum(chart["Accepted at arrest"]) == 28
    assert sum(chart["Accepted at call-back"]) == 12
    assert len(chart["Not taken up"]) == len(rows) - 1

    by_district = shown(page, 1)
    assert {r[0] for r in by_district} == {"Leeds", "Bradford", "Total"}
    assert sum(int(r[1]) for r in by_district[:-1]) == 120

    show(qtbot, page, date(2022, 1, 1), date(2024, 3, 31), "year", "Bradford")
    bradford = dict((r[0], r) for r in by_district)["Bradford"]
    assert shown(page, 0)[-1][1:] == bradford[1:]
    assert [page.district.itemText(n) for n in range(page.district.count())] == [
        "All districts", "Bradford", "Leeds"]

    page.end.setDate(QDate(2021, 12, 31))
    page.reload()
    assert "before the first" in page.status.text()


def test_charts_tables_and_redraw_on_change(qtbot: QtBot, session: Session) -> None:
    load(qtbot, session, canary_events())
    page = page_of(qtbot, session)  # this year by month, as it opens

    request = page.figures.request  # type: ignore[union-attr]
    assert (request.start, request.end, request.period) == (
        date(2026, 1, 1), date(2026, 12, 31), "month")
    assert shown(page, 0) == [["2026-01", "2", "1", "0", "0", "1", "50"],
                              ["Total", "2", "1", "0", "0", "1", "50"]]
    assert shown(page, 2) == [["2026-01", "iioc", "Bradford", "1", "0"],
                              ["2026-01", "voyeurism", "Bradford", "1", "0"],
                              ["2026-02", "iioc", "Bradford", "1", "0"],
                              ["2026-02", "voyeurism", "Bradford", "1", "0"]]
    assert page.leaflet_chart.values() == {"Indecent images of children": [1, 1],
                                           "Voyeurism": [1, 1]}
    assert shown(page, 3) == [["4321", "1", "26/01/2026"]]
    assert shown(page, 4) == [["0", "–", "–", "–", "–", "–"]]

    # A call-back recorded on this laptop: the page works the figures out again by itself.
    o, h = new_id(), new_id()
    load(qtbot, session, [occurrence(o, JAN, district="Leeds"),
                          event(EventType.HOUSEHOLD_RECORDED, h, {
                              "occurrence_id": o, "address": "1 Mill Lane",
                              "postcode": "LS1 4HY",
                              "members": [{"relationship": "child", "age": 4}]}, JAN),
                          offer(h, "declined", JAN),
                          callback(h, "accepted", JAN + timedelta(days=22))])
    qtbot.waitUntil(lambda: shown(page, 0)[-1][1] == "3" and not page.loading)
    assert shown(page, 0)[-1] == ["Total", "3", "1", "0", "1", "2", "67"]
    assert shown(page, 4) == [["1", "22", "22", "22", "22", "22"]]


def test_exports_say_what_they_cover_and_hold_no_personal_data(
    qtbot: QtBot, session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(qtbot, session, canary_events())
    page = page_of(qtbot, session)
    chosen: list[str] = []

    def save_as(*args: Any) -> tuple[str, str]:
        return chosen.pop(), ""

    monkeypatch.setattr(reports_page.QFileDialog, "getSaveFileName", save_as)
    page.tabs.setCurrentIndex(2)
    (tmp_path / "out").mkdir()
    chosen.append(str(tmp_path / "out" / "leaflets"))  # no suffix typed: .csv is added
    qtbot.mouseClick(page.csv_button, Qt.MouseButton.LeftButton)
    chosen.append(str(tmp_path / "out" / "figures.pdf"))
    qtbot.mouseClick(page.pdf_button, Qt.MouseButton.LeftButton)
    csv_file, pdf_file = tmp_path / "out" / "leaflets.csv", tmp_path / "out" / "figures.pdf"
    qtbot.waitUntil(lambda: csv_file.exists() and pdf_file.exists() and not session.worker.busy)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["figures.pdf", "leaflets.csv"]

    policy = load_policy().version
    text = csv_file.read_text(encoding="utf-8-sig")
    assert text.splitlines() == [
        "# Report,Signposting leaflet issues",
        "# Period,01/01/2026 to 31/12/2026",
        f"# Schedule policy,{policy}",
        "# Generated,10/03/2026 14:00 (UK time)",
        "# Filter: District,All districts",
        "# Filter: Periods,Month",
        "Month,Offence type,District,Leaflet issues,Declined",
        "2026-01,iioc,Bradford,1,0",
        "2026-01,voyeurism,Bradford,1,0",
        "2026-02,iioc,Bradford,1,0",
        "2026-02,voyeurism,Bradford,1,0",
    ]

    data = pdf_file.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    document = QPdfDocument()
    assert document.load(str(pdf_file)) == QPdfDocument.Error.None_
    # Each report starts a page (the partners' 24 months take two).
    assert document.pageCount() == 12
    pages = [" ".join(document.getAllText(n).text().split()) for n in range(12)]
    document.close()
    starts = [page for page in pages if "Schedule policy" in page]
    for title, page_text in zip(("VCAS uptake by household", "VCAS uptake by district",
                                 "Signposting leaflet issues", "Overdue call-backs by officer",
                                 "Days from offer to first call-back",
                                 "Leaflet compliance by officer in charge",
                                 "Leaflets not recorded",
                                 "Partner-reported engagement and leaflets issued",
                                 "Risk seen and escalations at leaflet issues",
                                 "Call-backs made on time", "VCAS referrals"), starts,
                                strict=True):
        assert title in page_text
        assert f"Schedule policy {policy}" in page_text
        assert "Generated 10/03/2026 14:00 (UK time)" in page_text
    assert "Period 01/01/2026 to 31/12/2026" in pages[0]
    assert "Filter: District All districts" in pages[0]
    assert "4321 1 26/01/2026" in pages[3]

    for secret in (*CANARY, "Quillfeather"):
        for blob in (csv_file.read_bytes(), data, " ".join(pages).encode()):
            assert secret.encode() not in blob


def test_reports_are_for_oics_supervisors_and_offline_profiles(
    qtbot: QtBot, controller: AppController
) -> None:
    offline = Identity("1234", "laptop-a")
    assert reports_allowed(offline)
    for role, allowed in (("oic", True), ("supervisor", True), ("officer", False),
                          ("admin", False), ("", False)):
        enrolled = Identity("1234", "laptop-a", enrolled=True, role=role)
        assert reports_allowed(enrolled) is allowed, role

    main = first_run(qtbot, controller)
    main.show()
    main.activateWindow()
    qtbot.waitUntil(main.isActiveWindow)
    qtbot.keyClick(main, Qt.Key.Key_4, Qt.KeyboardModifier.AltModifier)
    assert main.pages.currentWidget() is main.reports
    qtbot.waitUntil(lambda: main.reports.figures is not None)
    wait_idle(qtbot, controller.worker)
    # The filters by keyboard: Alt+D is this page's district (not the hidden Follow-ups one).
    qtbot.keyClick(main, Qt.Key.Key_D, Qt.KeyboardModifier.AltModifier)
    assert QApplication.focusWidget() is main.reports.district
    qtbot.keyClick(main.reports.district, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is main.reports.show_button

    main.session.identity = Identity("1234", "laptop-a", enrolled=True, role="officer")
    main._gate_reports()
    assert main.navigation.item(REPORTS).isHidden()
    assert main.pages.currentWidget() is main.capture
    assert main.reports.figures is None and not main.reports.csv_button.isEnabled()
    main.show_page(REPORTS)
    assert main.pages.currentWidget() is main.capture


def test_figures_are_worked_out_on_the_database_worker(
    qtbot: QtBot, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    threads: list[str] = []
    original = Store.state

    def state(store: Store) -> Any:
        threads.append(threading.current_thread().name)
        return original(store)

    monkeypatch.setattr(Store, "state", state)
    load(qtbot, session, [occurrence(new_id(), JAN), leaflets(new_id(), JAN)])
    page_of(qtbot, session)
    assert threads and all(name.startswith("fieldapp-db") for name in threads)
