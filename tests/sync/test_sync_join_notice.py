"""Two laptops of different teams, through the real endpoint: the OIC's laptop is told of
another officer's record of their reference and shows the notice, holding nothing else of
theirs; accepted both ways, each laptop holds the other's case (issue 16)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from factories import event, new_id, offer
from sync_support import Central, Certificates, client, enrolled_profile

from fieldapp.domain.events import Event, EventType
from fieldapp.domain.projection import project
from fieldapp.resources import load_policy

AT = datetime(2026, 3, 10, 14, tzinfo=UTC)
REFERENCE = "13/240117/26"


def test_the_oic_is_told_on_their_laptop_and_accepting_shares_both_ways(
    tmp_path: Path, central: Central, certs: Certificates
) -> None:
    codes = {c: central.officer(c, "oic", team, "Leeds")
             for c, team in (("4521", "T1"), ("5002", "T2"))}
    oic = enrolled_profile(tmp_path / "b", "4521", central.url, codes["4521"], certs.ca)
    other = enrolled_profile(tmp_path / "n", "5002", central.url, codes["5002"], certs.ca)
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
