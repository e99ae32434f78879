"""The follow-up table model: statuses, filters, sorting, and 100,000 rows."""

from __future__ import annotations

import random
from datetime import date, timedelta

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QTableView
from pytestqt.qtbot import QtBot

from fieldapp.domain.schedule import TaskStatus
from fieldapp.ui.followups_model import (
    FINISHED,
    PENDING,
    Column,
    FollowUp,
    FollowUpFilter,
    FollowUpModel,
    prepare,
)
from fieldapp.ui.followups_page import RowsView

DAY = date(2026, 3, 31)


def row(n: int, due: date, status: TaskStatus, *, oic: str = "1234", district: str = "Leeds",
        reference: str | None = None, postcode: str = "LS1 4HY", **kw: object) -> FollowUp:
    return FollowUp(
        household_id=f"h{n}", occurrence_id=f"o{n}", due=due, status=status,
        reference=reference or f"13/{n:06d}/26", postcode=postcode, district=district,
        assignee=oic, attempts=0, note="21 days after the offer", **kw,  # type: ignore[arg-type]
    )


def shown(model: FollowUpModel, column: Column = Column.REFERENCE) -> list[str]:
    return [model.data(model.index(r, column)) for r in range(model.rowCount())]


def sample() -> list[FollowUp]:
    return [
        row(1, DAY + timedelta(days=3), TaskStatus.UPCOMING, oic="1234", district="Leeds"),
        row(2, DAY - timedelta(days=2), TaskStatus.OVERDUE, oic="5678", district="Bradford",
            postcode="BD1 1AA"),
        row(3, DAY, TaskStatus.DUE, oic="1234", district="Leeds", postcode="LS2 9JT"),
        row(4, DAY - timedelta(days=9), TaskStatus.DONE_ELSEWHERE, closed_by="999"),
        row(5, DAY - timedelta(days=5), TaskStatus.CLOSED, district="Wakefield"),
    ]


def test_pending_rows_sorted_by_due_date_with_uk_dates(qtbot: QtBot) -> None:
    model = FollowUpModel()
    model.set_rows(sample())
    assert shown(model) == ["13/000002/26", "13/000003/26", "13/000001/26"]
    assert shown(model, Column.DUE) == ["29/03/2026", "31/03/2026", "03/04/2026"]
    assert shown(model, Column.STATUS) == ["Overdue", "Due today", "Upcoming"]
    assert model.counts.of(PENDING) == 3 and model.counts.of(FINISHED) == 2
    assert model.headerData(0, Qt.Orientation.Horizontal) == "Due"
    assert model.headerData(0, Qt.Orientation.Vertical) is None
    assert model.data(model.index(0, Column.STATUS), Qt.ItemDataRole.ForegroundRole) is not None


def test_filters_by_status_oic_district_reference_and_postcode(qtbot: QtBot) -> None:
    model = FollowUpModel()
    model.set_rows(sample())
    model.set_filter(FollowUpFilter(statuses=frozenset({TaskStatus.OVERDUE})))
    assert shown(model) == ["13/000002/26"]
    model.set_filter(FollowUpFilter(oic="1234"))
    assert shown(model) == ["13/000003/26", "13/000001/26"]
    model.set_filter(FollowUpFilter(district="brad"))
    assert shown(model) == ["13/000002/26"]
    model.set_filter(FollowUpFilter(reference="000001"))
    assert shown(model) == ["13/000001/26"]
    model.set_filter(FollowUpFilter(postcode="ls29"))  # spaces and case do not matter
    assert shown(model) == ["13/000003/26"]
    model.set_filter(FollowUpFilter(statuses=FINISHED))
    assert shown(model, Column.STATUS) == ["Done elsewhere", "Closed"]
    assert "by 999" in shown(model, Column.NOTE)[0]


def test_sorting_by_any_column_keeps_the_selection_on_its_row(qtbot: QtBot) -> None:
    model = FollowUpModel()
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    model.set_rows(sample())
    view.selectionModel().select(
        model.index(0, 0),
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
    )
    model.sort(Column.POSTCODE, Qt.SortOrder.DescendingOrder)
    assert shown(model, Column.POSTCODE) == ["LS2 9JT", "LS1 4HY", "BD1 1AA"]
    [selected] = view.selectionModel().selectedRows()
    assert model.row_at(selected.row()).household_id == "h2"  # type: ignore[union-attr]
    model.sort(Column.DUE, Qt.SortOrder.AscendingOrder)
    assert shown(model) == ["13/000002/26", "13/000003/26", "13/000001/26"]


def test_changed_households_are_swapped_in_place(qtbot: QtBot) -> None:
    model = FollowUpModel()
    model.set_rows(sample())
    model.replace_households({"h3", "h9"}, [row(3, DAY, TaskStatus.DONE)])
    assert shown(model) == ["13/000002/26", "13/000001/26"]
    assert model.counts.of(FINISHED) == 3 and model.counts.of({TaskStatus.DUE}) == 0
    model.clear()
    assert model.rowCount() == 0 and model.total == 0


def test_one_hundred_thousand_rows_build_filter_and_sort(qtbot: QtBot) -> None:
    rng = random.Random(6)
    statuses = list(TaskStatus)
    rows = [
        row(n, DAY + timedelta(days=rng.randint(-30, 60)), rng.choice(statuses),
            oic=str(1000 + n % 50), district=rng.choice(["Leeds", "Bradford", "Kirklees"]),
            postcode=f"LS{n % 30} {n % 9}AB")
        for n in range(100_000)
    ]
    model = FollowUpModel()
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.setSortingEnabled(True)
    view.sortByColumn(Column.DUE, Qt.SortOrder.AscendingOrder)
    model.set_rows(rows)
    assert model.total == 100_000
    assert model.rowCount() == sum(r.status in PENDING for r in rows)
    dues = [model.row_at(n).due for n in range(0, model.rowCount(), 997)]  # type: ignore[union-attr]
    assert dues == sorted(dues)
    model.set_filter(FollowUpFilter(oic="1007", postcode="ls7"))
    assert model.rowCount() == sum(
        r.status in PENDING and r.assignee == "1007" and r.postcode.startswith("LS7")
        for r in rows
    )
    model.sort(Column.DISTRICT, Qt.SortOrder.DescendingOrder)
    assert model.rowCount() > 0


def _expected(rows: list[FollowUp], wanted: FollowUpFilter, column: Column,
              order: Qt.SortOrder) -> list[str]:
    """What the list must show, worked out the plain way: every row tested, then sorted."""
    def compact(text: str) -> str:
        return text.replace(" ", "").casefold()

    kept = [
        r for r in rows
        if r.status in wanted.statuses
        and (not wanted.oic or compact(r.assignee) == compact(wanted.oic))
        and compact(wanted.district) in compact(r.district)
        and compact(wanted.reference) in compact(r.reference)
        and compact(r.postcode).startswith(compact(wanted.postcode))
    ]
    by = {Column.DUE: lambda r: (r.due, r.reference),
          Column.POSTCODE: lambda r: (r.postcode, r.due),
          Column.DISTRICT: lambda r: (r.district.casefold(), r.due)}[column]
    return [r.household_id for r in sorted(kept, key=by,
                                           reverse=order == Qt.SortOrder.DescendingOrder)]


def test_typing_on_backspacing_and_sorting_show_what_a_plain_filter_would(qtbot: QtBot) -> None:
    """The model narrows from what it shows while the officer types on, and holds the rows
    in the chosen order: the result is the same as testing every row and sorting."""
    rng = random.Random(11)
    rows = [
        row(n, DAY + timedelta(days=n), rng.choice(list(TaskStatus)),
            oic=str(1000 + n % 7), district=rng.choice(["Leeds", "Bradford", "Kirklees"]),
            postcode=f"LS{n % 13} {n % 5}AB")
        for n in range(3_000)
    ]
    model = FollowUpModel()
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    model.set_rows(rows)
    column, order = Column.DUE, Qt.SortOrder.AscendingOrder
    steps: list[tuple[str, object]] = [
        ("postcode", "l"), ("postcode", "ls1"), ("postcode", "ls1 2"), ("sort", Column.POSTCODE),
        ("postcode", "ls1"), ("district", "le"), ("district", "leeds"), ("oic", "1003"),
        ("statuses", FINISHED), ("sort", Column.DISTRICT), ("oic", ""), ("postcode", ""),
        ("statuses", PENDING | FINISHED), ("district", "kirk"), ("sort", Column.DUE),
    ]
    for name, value in steps:
        if name == "sort":
            assert isinstance(value, Column)
            order = (Qt.SortOrder.DescendingOrder if value == column
                     and order == Qt.SortOrder.AscendingOrder else Qt.SortOrder.AscendingOrder)
            column = value
            model.sort(column, order)
        else:
            model.set_filter(FollowUpFilter(**{**model.filter.__dict__, name: value}))
        want = _expected(rows, model.filter, column, order)
        got = [model.row_at(n).household_id for n in range(model.rowCount())]  # type: ignore[union-attr]
        assert got == want, (name, value)


def test_end_reaches_the_100000th_row_once_every_row_is_in(qtbot: QtBot) -> None:
    """The first screen, then every row (as the page gives them): the keyboard goes through
    all 100,000 in the follow-ups' own view."""
    rows = [row(n, DAY + timedelta(days=n % 90), TaskStatus.UPCOMING) for n in range(100_000)]
    everything = prepare(rows)
    model = FollowUpModel()
    view = RowsView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(1000, 600)
    view.show()
    soonest = sorted(rows, key=lambda r: (r.due, r.reference))
    model.show_first(prepare(soonest[:200]), everything.counts)
    assert (model.rowCount(), model.total, model.complete) == (200, 100_000, False)
    assert model.counts.of(PENDING) == 100_000
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Down)
    qtbot.keyClick(view, Qt.Key.Key_End)
    assert view.currentIndex().row() == 199
    model.set_rows(everything)
    view.setCurrentIndex(model.index(199, 0))  # kept on its row, as the page's Selection does
    qtbot.keyClick(view, Qt.Key.Key_End)
    assert view.currentIndex().row() == 99_999
    last = soonest[-1]
    assert model.data(view.currentIndex().siblingAtColumn(Column.REFERENCE)) == last.reference
    qtbot.keyClick(view, Qt.Key.Key_PageUp)
    assert 0 < view.currentIndex().row() < 99_999
    qtbot.keyClick(view, Qt.Key.Key_Home)
    assert view.currentIndex().row() == 0
