"""Two laptops of different teams, through the real endpoint: the OIC's laptop is told of
another officer's record of their reference and shows the notice, holding nothing else of
theirs; accepted both ways, each laptop holds the other's case (issue 16) — accepted as
records, and from the follow-ups page's "Accept their record…"."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from factories import event, new_id, offer
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sync_support import PASSPHRASE, Central, Certificates, client, enrolled_profile, profiles

from fieldapp.domain.events import Event, EventType
from fieldapp.domain.projection import project
from fieldapp.resources import load_policy
from fieldapp.store import Store
from fieldapp.ui.ops import DbWorker
from fieldapp.ui.session import Identity, Session, identify

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ui"))
from test_accept_join import accept_dialog, notice_page

AT = datetime(2026, 3, 10, 14, tzinfo=UTC)
REFERENCE = "13/240117/26"


@dataclass
class Told:
    """The OIC's laptop (4521) told of 5002's record of its reference, after both synced."""

    oic: Store
    other: Store
    homes: dict[str, Path]
    first: list[Event]  # the OIC's occurrence, household and offer
    second: list[Event]  # 5002's


def told(tmp_path: Path, central: Central, certs: Certificates) -> Told:
    codes = {c: central.officer(c, "oic", team, "Leeds")
             for c, team in (("4521", "T1"), ("5002", "T2"))}
    homes = {"4521": tmp_path / "b", "5002": tmp_path / "n"}
    oic = enrolled_profile(homes["4521"], "4521", central.url, codes["4521"], certs.ca)
    other = enrolled_profile(homes["5002"], "5002", central.url, codes["5002"], certs.ca)
    oic.set_setting("device_id", "laptop-b")
    other.set_setting("device_id", "laptop-n")

    def case(who: str, device: str, address: str, at: datetime) -> list[Event]:
        o, h = new_id(), new_id()
        return [
            event(EventType.OCCURRENCE_RECORDED, o,
                  {"reference": REFERENCE, "offence_types": ["iioc"], "oic": who,
                   "district": "Leeds"}, at, author=who, device=device),
            event(EventType.HOUSEHOLD_RECORDED, h,
                  {"occurrence_id": o, "address": address, "postcode": "LS6 2QQ",
                   "members": [{"relationship": "partner", "name": "Sam Doe"}]},
                  at, author=who, device=device),
            offer(h, "declined", at, author=who, device=device),
        ]

    first = case("4521", "laptop-b", "9 Mill Row, Leeds", AT)
    oic.append(first)
    assert client(oic).run_once().rejected == ()
    second = case("5002", "laptop-n", "14 Beck Road, Leeds", AT + timedelta(days=1))
    other.append(second)
    assert client(other).run_once().rejected == ()
    assert client(oic).run_once().rejected == ()
    assert client(other).run_once().rejected == ()
    return Told(oic, other, homes, first, second)


def test_the_oic_is_told_on_their_laptop_and_accepting_shares_both_ways(
    tmp_path: Path, central: Central, certs: Certificates
) -> None:
    t = told(tmp_path, central, certs)
    oic, other, first, second = t.oic, t.other, t.first, t.second

    # The OIC's laptop holds the other occurrence record alone, and says so.
    held = {e.id for e in oic.iter_events()}
    assert second[0].id in held and not held & {e.id for e in second[1:]}
    state = oic.state()
    assert state == project(list(oic.iter_events()), load_policy())
    [notice] = [c for c in oic.conflicts() if c.kind == "occurrence_joined"]
    assert "recorded 2 times (by 4521 and 5002)" in notice.resolution
    assert [(t.household_id, t.assignee) for t in state.tasks] == [
        (first[1].aggregate_id, "4521")]
    # The other officer's laptop holds nothing of the OIC's, and shows no join.
    assert not {e.id for e in other.iter_events()} & {e.id for e in first}
    assert not [c for c in other.conflicts() if c.kind == "occurrence_joined"]

    def accept(who: str, device: str, on: Event, theirs: Event, officer: str) -> Event:
        return event(EventType.JOIN_ACCEPTED, on.aggregate_id,
                     {"other_id": theirs.aggregate_id, "officer": officer,
                      "note": "Same investigation"},
                     AT + timedelta(days=2), author=who, device=device)

    oic.append([accept("4521", "laptop-b", first[0], second[0], "5002")])
    assert client(oic).run_once().rejected == ()
    assert client(other).run_once().rejected == ()
    assert {e.id for e in first} <= {e.id for e in other.iter_events()}
    joined = other.occurrence(second[0].aggregate_id)
    assert joined is not None and first[0].aggregate_id in joined.joined_ids
    other.append([accept("5002", "laptop-n", second[0], first[0], "4521")])
    assert client(other).run_once().rejected == ()
    assert client(oic).run_once().rejected == ()
    state = oic.state()
    assert state == project(list(oic.iter_events()), load_policy())
    assert {(t.household_id, t.assignee) for t in state.tasks} == {
        (first[1].aggregate_id, "4521"), (second[1].aggregate_id, "5002")}


@contextmanager
def on_screen(qtbot: QtBot, home: Path, collar: str) -> Iterator[Session]:
    """The laptop's profile unlocked on the real database worker, as the app holds it."""
    worker: DbWorker[Store] = DbWorker()
    worker.open(lambda: profiles(home).unlock(collar, PASSPHRASE))
    found: list[Identity] = []
    worker.run(identify, found.append)
    qtbot.waitUntil(lambda: bool(found), timeout=10_000)
    try:
        yield Session(worker, found[0])
    finally:
        worker.shutdown()


def accept_on_screen(qtbot: QtBot, session: Session, note: str) -> None:
    """On the follow-ups page: the join notice chosen by keyboard, Alt+A, a note, Ctrl+S."""
    page = notice_page(qtbot, session)
    dialog = accept_dialog(qtbot, page)
    qtbot.keyClicks(dialog.reason, note)
    with qtbot.waitSignal(dialog.saved, timeout=10_000):
        qtbot.keyClick(dialog, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not session.worker.busy, timeout=10_000)
    page.close()


def test_accepted_from_the_screen_both_ways_each_laptop_holds_the_others_case(
    qtbot: QtBot, tmp_path: Path, central: Central, certs: Certificates
) -> None:
    t = told(tmp_path, central, certs)
    t.oic.close()
    with on_screen(qtbot, t.homes["4521"], "4521") as session:
        accept_on_screen(qtbot, session, "Same investigation: spoke to 5002")
    oic = profiles(t.homes["4521"]).unlock("4521", PASSPHRASE)
    [made] = [e for e in oic.iter_events() if e.type is EventType.JOIN_ACCEPTED]
    assert (made.aggregate_id, made.author, made.device_id) == (
        t.first[0].aggregate_id, "4521", "laptop-b")
    assert client(oic).run_once().rejected == ()
    assert client(t.other).run_once().rejected == ()
    # The newcomer now holds the OIC's occurrence and its households, and is told in turn.
    assert {e.id for e in t.first} <= {e.id for e in t.other.iter_events()}
    assert [c.kind for c in t.other.conflicts()].count("occurrence_joined") == 1
    t.other.close()
    with on_screen(qtbot, t.homes["5002"], "5002") as session:
        accept_on_screen(qtbot, session, "Yes, 4521's case")
    other = profiles(t.homes["5002"]).unlock("5002", PASSPHRASE)
    [back] = [e for e in other.iter_events()
              if e.type is EventType.JOIN_ACCEPTED and e.author == "5002"]
    assert back.aggregate_id == t.second[0].aggregate_id
    assert client(other).run_once().rejected == ()
    assert client(oic).run_once().rejected == ()
    assert {e.id for e in t.second} <= {e.id for e in oic.iter_events()}
    state = oic.state()
    assert state == project(list(oic.iter_events()), load_policy())
    assert {(t_.household_id, t_.assignee) for t_ in state.tasks} == {
        (t.first[1].aggregate_id, "4521"), (t.second[1].aggregate_id, "5002")}
