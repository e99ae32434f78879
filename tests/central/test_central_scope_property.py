"""Properties, through the HTTP API, on both back ends:

1. whatever the officers, teams, districts and events, and whatever order the events arrive
   in, each officer pulls exactly the events in their scope over the events the endpoint
   accepted: nothing outside it ever leaves the server, and nothing inside it is missed;
2. whatever one officer pushes (corrections, retractions, merges, reassignments, restated
   occurrences and households, reused ids, other laptops' names), the set of the others'
   events they can pull never grows beyond what the rules give them over the others' events.

The expected scope is computed here from the rules as docs/central.md states them,
independently of central.visibility and the feed tables.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace

import pytest
from central_support import Events, FakeClock, issue_code, new_id
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from central.app import create_app
from central.config import Settings
from central.storage.base import ROLES, Officer
from central.storage.sql import SqlStorage
from fieldapp.domain.events import Event, EventType
from fieldapp.domain.force import District, Districts

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@dataclass(frozen=True)
class Person:
    role: str
    team: str
    district: str


def expected_scope(people: dict[str, Person], events: list[Event]) -> dict[str, set[str]]:
    by_id = {e.id: e for e in events}
    officer_of: set[tuple[str, str]] = set()  # (aggregate, collar): OIC or reassigned to
    district_of: set[tuple[str, str]] = set()  # (occurrence, district)
    contains: set[tuple[str, str]] = set()  # (occurrence or household, household)
    for e in events:
        data = e.to_dict()
        kind, agg, p = data["type"], data["aggregate_id"], data["payload"]
        if kind == "event_corrected":
            target = by_id.get(p["target_id"])
            if target is None or target.type.value != p["target_type"]:
                continue
            if target.aggregate_id != agg:
                continue
            kind, p = p["target_type"], p["payload"]
        if kind == "occurrence_recorded":
            officer_of.add((agg, p["oic"]))
            district_of.add((agg, p["district"]))
        elif kind == "household_recorded":
            contains.add((p["occurrence_id"], agg))
        elif kind == "households_merged":
            contains.add((agg, p["merged_id"]))
        elif kind == "task_reassigned":
            officer_of.add((agg, p["to_officer"]))

    def containers(agg: str) -> set[str]:
        found = {agg}
        while True:
            more = {outer for outer, inner in contains if inner in found} - found
            if not more:
                return found
            found |= more

    scope: dict[str, set[str]] = {}
    for collar, person in people.items():
        scope[collar] = set()
        if person.role == "admin":
            continue
        for e in events:
            around = containers(e.aggregate_id)
            target = by_id.get(e.to_dict()["payload"].get("target_id", ""))
            if (
                e.author == collar
                or (target is not None and target.author == collar)
                or people[e.author].team == person.team
                or any((a, collar) in officer_of for a in around)
                or (
                    person.role == "supervisor"
                    and any((a, person.district) in district_of for a in around)
                )
            ):
                scope[collar].add(e.id)
    return scope


@pytest.fixture
def client(storage: SqlStorage, clock: FakeClock) -> Iterator[TestClient]:
    relaxed = Settings(rate_burst=1_000_000, enrol_burst=1_000_000)
    with TestClient(create_app(storage, settings=relaxed, clock=clock)) as test_client:
        yield test_client


class Laptops:
    def __init__(self, client: TestClient, storage: SqlStorage) -> None:
        self.client = client
        self.storage = storage
        self.tokens: dict[str, dict[str, str]] = {}
        self.cursors: dict[str, str | None] = {}
        self.received: dict[str, list[str]] = {}

    def register(self, collar: str, person: Person) -> None:
        self.storage.add_officer(
            Officer(collar, collar, person.role, person.team, person.district),  # type: ignore[arg-type]
            now=FakeClock().now(), actor="test",
        )
        self.tokens[collar] = {}
        for laptop in ("push", "pull"):
            answer = self.client.post(
                "/v1/enrol",
                json={"code": issue_code(self.storage, collar), "device_name": laptop},
            )
            assert answer.status_code == 200, answer.text
            self.tokens[collar][laptop] = answer.json()["token"]
        self.cursors[collar] = None
        self.received[collar] = []

    def push(self, author: str, batch: list[Event]) -> set[str]:
        """The ids the endpoint accepted; every other one was refused with a code."""
        answer = self.client.post(
            "/v1/push",
            json={"events": [e.to_dict() for e in batch]},
            headers={"Authorization": f"Bearer {self.tokens[author]['push']}"},
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert all(r["code"] and r["problems"] for r in body["rejected"])
        accepted = {a["id"] for a in body["accepted"]}
        assert accepted | {r["id"] for r in body["rejected"]} == {e.id for e in batch}
        return accepted

    def pull(self, collar: str, laptop: str = "pull", cursor: str | None = None) -> list[str]:
        ids: list[str] = []
        while True:
            params = {"limit": 4} | ({"cursor": cursor} if cursor else {})
            answer = self.client.get(
                "/v1/pull", params=params,
                headers={"Authorization": f"Bearer {self.tokens[collar][laptop]}"},
            )
            assert answer.status_code == 200, answer.text
            page = answer.json()
            ids.extend(item["event"]["id"] for item in page["items"])
            cursor = page["cursor"]
            if not page["more"]:
                break
        if laptop == "pull":
            self.cursors[collar] = cursor
            self.received[collar].extend(ids)
        return ids

    def catch_up(self, collar: str) -> None:
        self.pull(collar, cursor=self.cursors[collar])


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_each_officer_pulls_exactly_their_scope(
    client: TestClient, storage: SqlStorage, data: st.DataObject
) -> None:
    ns = uuid.uuid4().hex[:6]  # examples share a database; nothing crosses namespaces
    teams = [f"{ns}t{i}" for i in range(3)]
    districts = [f"{ns}d{i}" for i in range(2)]
    # This example's districts are the force's (a push naming another is refused).
    listed = Districts("test", tuple(District(d, ()) for d in [*districts, f"{ns}d9"]))
    ctx = client.app.state.ctx  # type: ignore[attr-defined]
    client.app.state.ctx = replace(ctx, force=replace(ctx.force, districts=listed))  # type: ignore[attr-defined]
    draw = data.draw

    def someone(choices: list[str]) -> str:
        return draw(st.sampled_from(choices))

    people = {
        f"{ns}o{i}": Person(draw(st.sampled_from(ROLES)), someone(teams), someone(districts))
        for i in range(draw(st.integers(2, 5)))
    }
    authors = list(people)
    late = f"{ns}late"
    people[late] = Person(draw(st.sampled_from(ROLES)), someone(teams), someone(districts))
    named = [*people, f"{ns}ghost"]  # OICs and reassignments may name anyone, even unknown

    make = Events()
    occurrences = [
        make.occurrence(someone(authors), someone(named), someone([*districts, f"{ns}d9"]))
        for _ in range(draw(st.integers(1, 3)))
    ]
    occ_ids = [o.aggregate_id for o in occurrences] + [new_id()]
    households = [
        make.household(someone(authors), someone(occ_ids))
        for _ in range(draw(st.integers(0, 4)))
    ]
    hh_ids = [h.aggregate_id for h in households] or [new_id()]
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["offer", "callback", "leaflets", "reassign"]))
        if kind == "offer":
            make.offer(someone(authors), someone(hh_ids))
        elif kind == "callback":
            make.callback(someone(authors), someone(hh_ids))
        elif kind == "leaflets":
            make.leaflets(someone(authors), someone(occ_ids))
        else:
            make.reassign(someone(authors), someone(hh_ids), someone(named))
    for _ in range(draw(st.integers(0, 2))):
        target = draw(st.sampled_from(occurrences))
        fix = make.correct_occurrence(
            someone(authors), target, someone(named), someone(districts)
        )
        if draw(st.booleans()):  # filed under some other aggregate: must grant nothing
            make.made.remove(fix)
            payload = {k: v for k, v in fix.to_dict()["payload"].items() if k != "occurred_at"}
            make.make(fix.type, someone(occ_ids), payload, fix.author)
    if households and draw(st.booleans()):
        make.correct_household(someone(authors), draw(st.sampled_from(households)),
                               someone(occ_ids))
    if len(hh_ids) > 1 and draw(st.booleans()):
        kept, merged = draw(st.permutations(hh_ids))[:2]
        make.merge(someone(authors), kept, merged)

    everything = list(make.made)
    laptops = Laptops(client, storage)
    for collar in authors:
        laptops.register(collar, people[collar])
    # In the order they were made (as an outbox sends them), or any order at all.
    arrival = everything if draw(st.booleans()) else draw(st.permutations(everything))
    late_at = draw(st.integers(0, len(arrival)))
    index = 0
    accepted: set[str] = set()
    while index < len(arrival):
        if index >= late_at and late not in laptops.tokens:
            laptops.register(late, people[late])
        author = arrival[index].author
        size = draw(st.integers(1, 4))
        batch = []
        for event in arrival[index : index + size]:
            if event.author != author:
                break
            batch.append(event)
        accepted |= laptops.push(author, batch)
        index += len(batch)
        for collar in draw(st.lists(st.sampled_from(sorted(laptops.tokens)), max_size=3)):
            laptops.catch_up(collar)
    if late not in laptops.tokens:
        laptops.register(late, people[late])

    scope = expected_scope(people, [e for e in everything if e.id in accepted])
    for collar in people:
        laptops.catch_up(collar)
        received = laptops.received[collar]
        assert len(received) == len(set(received)), f"{collar} received an event twice"
        assert set(received) == scope[collar], collar
        own = {e.id for e in everything if e.author == collar}
        assert set(laptops.pull(collar, laptop="push")) == scope[collar] - own, collar


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_whatever_an_officer_pushes_their_view_of_the_others_never_grows(
    client: TestClient, storage: SqlStorage, data: st.DataObject
) -> None:
    ns = uuid.uuid4().hex[:6]
    draw = data.draw
    teams = [f"{ns}t{i}" for i in range(2)]
    districts = [f"{ns}d{i}" for i in range(2)]
    roles = ["officer", "oic", "supervisor"]

    def pick(choices: list[str]) -> str:
        return draw(st.sampled_from(choices))

    people = {
        f"{ns}o{i}": Person(pick(roles), pick(teams), pick(districts))
        for i in range(draw(st.integers(3, 5)))
    }
    attacker, others = next(iter(people)), list(people)[1:]
    laptops = Laptops(client, storage)
    for collar, person in people.items():
        laptops.register(collar, person)

    # The others' cases, each laptop sending in the order it recorded (valid or refused).
    make = Events()
    theirs: list[Event] = []
    for _ in range(draw(st.integers(1, 3))):
        author = pick(others)
        occ = make.occurrence(author, pick([*people]), pick(districts))
        case = [occ]
        for _ in range(draw(st.integers(0, 2))):
            household = make.household(author, occ.aggregate_id)
            case += [household, make.offer(pick([author, *others]), household.aggregate_id)]
        theirs += case
    for event in theirs:
        laptops.push(event.author, [event])
    their_ids = {e.id for e in theirs}
    before = set(laptops.pull(attacker)) & their_ids

    # The attacker's own case, and then anything at all about anyone's.
    mine = Events()
    own_occ = mine.occurrence(attacker, attacker, pick(districts))
    own_household = mine.household(attacker, own_occ.aggregate_id)
    laptops.push(attacker, [own_occ, own_household])
    occ_ids = [e.aggregate_id for e in theirs if e.type is EventType.OCCURRENCE_RECORDED]
    households = [e for e in theirs if e.type is EventType.HOUSEHOLD_RECORDED]
    hh_ids = [e.aggregate_id for e in households] or [own_household.aggregate_id]
    forged = Events(device_id=f"dev_{pick(others)}")
    attacks: list[Event] = []
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.integers(0, 11))
        target = draw(st.sampled_from(theirs))
        if kind == 0:
            attacks.append(mine.occurrence(attacker, attacker, pick(districts),
                                           occ=pick(occ_ids)))
        elif kind == 1:
            first = next(e for e in theirs if e.type is EventType.OCCURRENCE_RECORDED)
            attacks.append(mine.correct_occurrence(attacker, first, attacker, pick(districts)))
        elif kind == 2:
            attacks.append(mine.reassign(attacker, pick(hh_ids), attacker))
        elif kind == 3:
            pair = mine.merge if draw(st.booleans()) else mine.split
            attacks.append(pair(attacker, own_household.aggregate_id, pick(hh_ids)))
        elif kind == 4:
            attacks.append(mine.merge(attacker, pick(hh_ids), own_household.aggregate_id))
        elif kind == 5:
            attacks.append(mine.household(attacker, own_occ.aggregate_id, pick(hh_ids)))
        elif kind == 6:
            attacks.append(mine.household(attacker, pick(occ_ids)))
        elif kind == 7 and households:
            attacks.append(mine.correct_household(
                attacker, draw(st.sampled_from(households)), own_occ.aggregate_id))
        elif kind == 8:
            attacks.append(mine.make(EventType.ENTERED_IN_ERROR, target.aggregate_id,
                                     {"target_id": target.id, "reason": "Not mine"}, attacker))
        elif kind == 9:
            attacks.append(mine.offer(attacker, pick(hh_ids)))
        elif kind == 10:
            attacks.append(forged.occurrence(attacker, attacker, pick(districts)))
        else:
            attacks.append(mine.correct_household(
                attacker, own_household, pick(occ_ids)))
    index = 0
    while index < len(attacks):
        size = draw(st.integers(1, 4))
        laptops.push(attacker, attacks[index : index + size])
        index += size
        laptops.catch_up(attacker)
    laptops.catch_up(attacker)
    after = set(laptops.received[attacker]) & their_ids
    assert after <= before, "an officer widened their own view of others' records"
