"""The follow-up list shows its first screen before the rest is read; what the officer does
meanwhile (typing a filter, End) is neither lost nor wrong once every row is there, and a
change redraws its own rows without reading every row again.

The page's sizes are cut (10 rows first, 7 a page) so that a small real profile has pages;
the reading of pages waits on a gate, so the "meanwhile" lasts as long as the test wants.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from factories import callback, household, new_id, occurrence, offer
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from ui_support import NOW

from fieldapp.ui import followups_page
from fieldapp.ui.followups_page import FollowUpsPage
from fieldapp.ui.session import Session

CALLBACKS = 60


@pytest.fixture
def households(qtbot: QtBot, session: Session) -> list[str]:
    """Households with a call-back each, soonest due first; only the last one is in BD7."""
    events, ids = [], []
    for i in range(CALLBACKS):
        o, h = new_id(), new_id()
        at = NOW - timedelta(days=100 - i)
        postcode = "BD7 1DP" if i == CALLBACKS - 1 else "LS1 4HY"
        events += [occurrence(o, at, reference=f"13/{i:06d}/26"),
                   household(h, o, at, postcode=postcode), offer(h, "declined", at)]
        ids.append(h)
    session.worker.blocking(lambda store: store.append(events))
    return ids


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[threading.Event, list[int]]]:
    """Pages are read only once the gate opens (the real reads, on the real worker); the
    list counts the pages read."""
    opened, reads = threading.Event(), []
    real = followups_page.load_page

    def gated(*args: Any) -> Any:
        opened.wait(10)
        reads.append(1)
        return real(*args)

    monkeypatch.setattr(followups_page, "load_page", gated)
    yield opened, reads
    opened.set()


def first_screen(qtbot: QtBot, session: Session) -> FollowUpsPage:
    """The page, cut small, once it shows its first screen."""
    page = FollowUpsPage(session)
    qtbot.addWidget(page)
    page.first_screen, page.page_size = 10, 7
    page.resize(1366, 768)
    page.show()
    page.reload()
    qtbot.waitUntil(lambda: page.shown)
    return page


def test_the_first_screen_shows_first_and_a_filter_finds_rows_not_yet_read(
    qtbot: QtBot, session: Session, households: list[str],
    gate: tuple[threading.Event, list[int]],
) -> None:
    opened, _ = gate
    page = first_screen(qtbot, session)
    assert 10 <= page.model.rowCount() < CALLBACKS and not page.model.complete
    assert page.model.row_at(0).household_id == households[0]  # type: ignore[union-attr]
    # The tabs count every call-back, from the index, before the rows are read.
    assert page.tabs.tabText(0) == f"All pending ({CALLBACKS})"
    assert page.summary.text().endswith("(reading the rest…)")

    page.postcode.setFocus()
    qtbot.keyClicks(page.postcode, "bd7 1")
    page.apply_filter()
    assert page.model.rowCount() == 0  # not read yet
    opened.set()
    qtbot.waitUntil(lambda: page.loaded)
    assert page.postcode.text() == "bd7 1"  # every keystroke, in its field
    assert [page.model.row_at(0).household_id] == [households[-1]]  # type: ignore[union-attr]
    assert page.model.rowCount() == 1 and page.model.complete
    assert page.summary.text() == f"1 shown of {CALLBACKS}"


def test_end_on_the_first_screen_goes_on_to_the_last_row_once_every_row_is_read(
    qtbot: QtBot, session: Session, households: list[str],
    gate: tuple[threading.Event, list[int]],
) -> None:
    opened, _ = gate
    page = first_screen(qtbot, session)
    shown = page.model.rowCount()
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_Down)
    qtbot.keyClick(page.table, Qt.Key.Key_End)
    assert page.table.currentIndex().row() == shown - 1
    opened.set()
    qtbot.waitUntil(lambda: page.loaded)
    qtbot.waitUntil(lambda: page.table.currentIndex().row() == CALLBACKS - 1)
    assert page.selected().household_id == households[-1]  # type: ignore[union-attr]
    qtbot.keyClick(page.table, Qt.Key.Key_Home)
    assert page.selected().household_id == households[0]  # type: ignore[union-attr]
    qtbot.keyClick(page.table, Qt.Key.Key_PageDown)
    assert page.table.currentIndex().row() > 0


def test_a_change_redraws_its_rows_and_keeps_the_selection_without_reading_every_row(
    qtbot: QtBot, session: Session, households: list[str],
    gate: tuple[threading.Event, list[int]],
) -> None:
    opened, reads = gate
    opened.set()
    page = first_screen(qtbot, session)
    qtbot.waitUntil(lambda: page.loaded)
    assert len(reads) == -(-CALLBACKS // 7)
    page.table.setFocus()
    for _ in range(6):
        qtbot.keyClick(page.table, Qt.Key.Key_Down)
    chosen = page.selected()
    assert chosen is not None and chosen == page.model.row_at(page.table.currentIndex().row())
    other = next(h for h in households[:5] if h != chosen.household_id)
    session.worker.run(
        lambda store: store.append([callback(other, "no_answer", NOW)])
    )
    qtbot.waitUntil(lambda: page.model.find(other).attempts == 1)  # type: ignore[union-attr]
    assert page.selected() == chosen
    assert len(reads) == -(-CALLBACKS // 7)  # no page read again


def test_a_change_while_the_rows_are_read_is_in_them_once_read(
    qtbot: QtBot, session: Session, households: list[str],
    gate: tuple[threading.Event, list[int]],
) -> None:
    opened, _ = gate
    page = first_screen(qtbot, session)
    soonest = households[0]
    # Its call-back is answered and done after the first page (which holds it open) is read:
    # the append waits on the worker behind that page, and the next page waits behind it.
    session.worker.run(lambda store: store.append([callback(soonest, "declined", NOW)]))
    opened.set()
    qtbot.waitUntil(lambda: page.loaded and page.model.row_of(soonest) == -1)
    assert page.model.rowCount() == CALLBACKS - 1
    assert page.model.counts.finished == 1


def test_the_rows_held_are_nothing_the_garbage_collector_keeps_walking(
    qtbot: QtBot, session: Session, households: list[str],
    gate: tuple[threading.Event, list[int]],
) -> None:
    """At 100,000 call-backs, an object per row that stays tracked (a named tuple, a slotted
    class, a tuple holding an enum member) made each full collection walk them all, holding
    the GIL and so the UI thread (~190 ms): the list holds plain tuples of strings, numbers
    and dates, which a collection stops tracking. Checked on what the collector tracks, not
    by timing it."""
    opened, _ = gate
    opened.set()
    page = first_screen(qtbot, session)
    qtbot.waitUntil(lambda: page.loaded)
    assert page.model.total == CALLBACKS
    gc.collect()
    ids = set(households)
    holding = [o for o in gc.get_objects()
               if isinstance(o, tuple) and any(isinstance(x, str) and x in ids for x in o)]
    assert holding == []
    row = page.model.row_at(0)  # what the list gives out is a FollowUp, made when asked
    assert row is not None and row.household_id in ids
