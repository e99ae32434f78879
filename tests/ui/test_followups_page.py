"""The follow-up list's loaders read plain task columns: the rows they make are the ones the
stored views give, in full and after a change, and conflicts keep their occurrence's name."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from factories import callback, household, new_id, occurrence, offer
from pytestqt.qtbot import QtBot
from ui_support import NOW, PASSPHRASE

from fieldapp.domain.projection import State
from fieldapp.store import Profiles, Store
from fieldapp.store.access import Action
from fieldapp.ui.followups_load import Loaded, load_changed, load_first, load_page
from fieldapp.ui.followups_model import FollowUp, Prepared, follow_up, prepare_held
from fieldapp.ui.followups_page import FollowUpsPage
from fieldapp.ui.session import Session

DAY = date(2026, 3, 31)
DEVICE = "laptop-a"


def rows_from_views(state: State, today: date, device: str) -> list[FollowUp]:
    """The list as it was made before it read columns: from every decoded view."""
    open_conflicts = Counter(c.scope for c in state.conflicts.values() if not c.confirmed_by)
    rows = []
    for view in state.households.values():
        task = view.task
        if task is None:
            continue
        found = state.occurrences.get(task.occurrence_id)
        rows.append(FollowUp(
            household_id=view.id, occurrence_id=task.occurrence_id, due=task.due,
            status=task.status(today, device), reference=found.reference if found else "",
            postcode=view.postcode, district=found.district if found else "",
            assignee=task.assignee, attempts=task.attempts_made,
            note=task.reason if task.is_closed else task.rule, closed_by=task.closed_by_author,
            conflicts=open_conflicts[view.id],
        ))
    return rows


def load_all(store: Store, today: date, device: str, size: int = 2) -> Loaded:
    """Every row as the page reads them: the first screen's context, then page after page."""
    first = load_first(store, today, device)
    rows, page = [], load_page(store, first.context, None, size)
    while True:
        rows += page.rows
        if page.last is None:
            return Loaded(prepare_held(rows), first.loaded.conflicts)
        page = load_page(store, first.context, page.last, size)


def given(rows: Prepared) -> list[FollowUp]:
    """The rows as the list gives them out."""
    return [follow_up(r) for r in rows.rows]


def by_household(rows: list[FollowUp]) -> list[FollowUp]:
    return sorted(rows, key=lambda r: r.household_id)


def seed(store: Store) -> dict[str, str]:
    """Call-backs open, retried, done here and done on another laptop; an offer conflict;
    and an occurrence recorded twice with different details and no call-back of its own."""
    o1, o2 = new_id(), new_id()
    h1, h2, h3, h4, h5 = (new_id() for _ in range(5))
    at = NOW - timedelta(days=1)
    store.append([
        occurrence(o1, at, reference="13/000001/26", district="Leeds"),
        occurrence(o2, at, reference="13/000002/26", district="Bradford"),
        occurrence(o2, at + timedelta(hours=1), reference="13/000002/26", district="Kirklees",
                   device="laptop-b"),
        household(h1, o1, at, postcode="LS1 4HY"),
        household(h2, o1, at, postcode="LS6 2AB", address="2 Low Road"),
        household(h3, o1, at, postcode="LS7 1AA", address="3 Mill Lane"),
        household(h4, o1, at, postcode="LS8 9ZZ", address="4 Beck Side"),
        household(h5, o2, at, postcode="BD1 1AA"),
        offer(h1, "declined", at),
        offer(h2, "declined", at),
        offer(h3, "not_present", at),
        offer(h4, "declined", at),
        offer(h4, "not_present", at + timedelta(hours=2), device="laptop-b"),
        callback(h2, "no_answer", at + timedelta(days=21)),
        callback(h3, "accepted", at + timedelta(days=21), author="4321", device="laptop-b"),
    ])
    return {"o1": o1, "o2": o2, "h1": h1, "h2": h2, "h3": h3, "h4": h4, "h5": h5}


def test_the_rows_are_those_the_stored_views_give(qtbot: QtBot, profiles: Profiles) -> None:
    with profiles.create("1234", PASSPHRASE) as store:
        k = seed(store)
        state = store.state()
        for today in (DAY - timedelta(days=1), DAY, DAY + timedelta(days=30)):
            for device in ("", DEVICE, "laptop-b"):
                loaded = load_all(store, today, device)
                assert by_household(given(loaded.rows)) == by_household(
                    rows_from_views(state, today, device)
                )
        assert {n.conflict.kind for n in loaded.conflicts} == {
            "offer_outcomes_differ", "occurrence_details_differ",
        }
        # Named by reference, though no call-back of that occurrence is in the list; the
        # household's by its call-back's occurrence and postcode.
        names = {n.conflict.kind: n.name for n in loaded.conflicts}
        assert names == {"occurrence_details_differ": "13/000002/26",
                         "offer_outcomes_differ": "13/000001/26, LS8 9ZZ"}
        # After a change, the touched households' rows are the ones a full load gives.
        changes = store.append([callback(k["h1"], "declined", NOW + timedelta(days=22))])
        changed = load_changed(store, changes, DAY, DEVICE)
        fresh = {r.household_id: r for r in given(load_all(store, DAY, DEVICE).rows)}
        assert changed.rows.rows and all(
            fresh[r.household_id] == r for r in given(changed.rows)
        )
        assert {r.household_id for r in given(changed.rows)} == {
            k["h1"], k["h2"], k["h3"], k["h4"],
        }
        assert changed.conflicts == loaded.conflicts


def test_a_conflict_about_an_occurrence_is_named_by_its_reference(
    qtbot: QtBot, session: Session
) -> None:
    o = new_id()
    session.run(lambda store: store.append([
        occurrence(o, NOW, reference="13/000777/26", district="Leeds"),
        occurrence(o, NOW + timedelta(hours=1), reference="13/000777/26", district="Kirklees",
                   device="laptop-b"),
    ]))
    page = FollowUpsPage(session)
    qtbot.addWidget(page)
    page.reload()
    qtbot.waitUntil(lambda: page.loaded and page.conflicts_model.rowCount() == 1)
    shown = page.conflicts_model.index(0).data()
    assert shown.startswith("13/000777/26: An occurrence was recorded")


def test_opening_a_call_back_is_logged_as_a_consultation(
    qtbot: QtBot, session: Session
) -> None:
    o, h = new_id(), new_id()
    session.run(lambda store: store.append([
        occurrence(o, NOW, reference="13/000778/26"), household(h, o, NOW),
        offer(h, "declined", NOW),
    ]))
    page = FollowUpsPage(session)
    qtbot.addWidget(page)
    page.reload()
    qtbot.waitUntil(lambda: page.loaded and page.model.row_of(h) >= 0)
    page.select(h)
    qtbot.waitUntil(lambda: page.detail.detail is not None)  # who to call, as the officer sees it
    with qtbot.waitSignal(page.record_callback):
        page.record_button.click()
    entries = session.worker.blocking(lambda store: store.access_log(subject_id=h))
    # Once: shown in the detail pane, then opened for the call-back, is one opening.
    assert [e.detail for e in entries if e.action is Action.CONSULTATION] == [
        "call-back shown"
    ]
