"""Who may state a fact, through the HTTP API on both back ends: each attack of issue 15 by
an ordinary officer on another team's case is refused with its code, stores nothing, widens
nothing and changes nothing the victim or the Leeds supervisor sees; legitimate work still
goes through."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from central_support import Events, FakeClock, add_officer, issue_code
from fastapi.testclient import TestClient

from central.app import create_app
from central.config import Settings
from central.storage.sql import SqlStorage
from fieldapp.domain.events import Event, EventType, event_from_json
from fieldapp.domain.projection import State, effective_events, project
from fieldapp.resources import load_policy

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def client(storage: SqlStorage, clock: FakeClock) -> Iterator[TestClient]:
    relaxed = Settings(rate_burst=1_000_000, enrol_burst=1_000_000)
    with TestClient(create_app(storage, settings=relaxed, clock=clock)) as test_client:
        yield test_client


@dataclass
class Laptop:
    """One enrolled laptop: what it recorded, what it pulled."""

    collar: str
    token: str
    device_id: str
    cursor: str | None = None
    held: dict[str, Event] = field(default_factory=dict)

    @property
    def state(self) -> State:
        return project(self.held.values(), load_policy())


class Force:
    def __init__(self, client: TestClient, storage: SqlStorage) -> None:
        self.client, self.storage = client, storage
        self.laptops: dict[str, Laptop] = {}
        self.make = Events()

    def officer(self, collar: str, **kwargs: Any) -> Laptop:
        add_officer(self.storage, collar, **kwargs)
        answer = self.client.post(
            "/v1/enrol", json={"code": issue_code(self.storage, collar), "device_name": "L"}
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        laptop = Laptop(collar, body["token"], body["device_id"])
        self.laptops[collar] = laptop
        return laptop

    def headers(self, collar: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.laptops[collar].token}"}

    def push(self, collar: str, *events: Event) -> dict[str, str]:
        """Send; the refused ones' codes by id (every accepted one is held by the laptop)."""
        answer = self.client.post(
            "/v1/push", json={"events": [e.to_dict() for e in events]},
            headers=self.headers(collar),
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        for event in events:
            self.laptops[collar].held[event.id] = event
        return {r["id"]: r["code"] for r in body["rejected"]}

    def ok(self, collar: str, *events: Event) -> None:
        assert self.push(collar, *events) == {}

    def pull(self, collar: str) -> set[str]:
        laptop = self.laptops[collar]
        ids: set[str] = set()
        while True:
            params = {"cursor": laptop.cursor} if laptop.cursor else {}
            answer = self.client.get("/v1/pull", params=params, headers=self.headers(collar))
            assert answer.status_code == 200, answer.text
            page = answer.json()
            for item in page["items"]:
                event = event_from_json(_canonical(item["event"]))
                laptop.held[event.id] = event
                ids.add(event.id)
            laptop.cursor = page["cursor"]
            if not page["more"]:
                return ids

    def uptake(self, collar: str) -> dict[str, Any]:
        answer = self.client.get(
            "/v1/figures/uptake", params={"from": "2026-01-01", "to": "2026-12-31"},
            headers=self.headers(collar),
        )
        assert answer.status_code == 200, answer.text
        return {k: v for k, v in answer.json().items() if "time" not in k}


def _canonical(data: dict[str, Any]) -> str:
    from fieldapp.domain.events import canonical_json

    return canonical_json(data)


@dataclass
class Scene:
    force: Force
    b_case: list[Event]
    occurrence: Event  # B's, in Bradford, B its OIC
    household: Event
    offer: Event  # declined: a call-back is due
    a_occurrence: Event  # A's own, in Leeds
    a_household: Event
    shared: Event  # B's second occurrence, A's teammate A2 its OIC, A2's household under it


@pytest.fixture
def scene(client: TestClient, storage: SqlStorage) -> Scene:
    force = Force(client, storage)
    force.officer("A", team="TA", district="Leeds")
    force.officer("A2", team="TA", district="Leeds")
    force.officer("B", team="TB", district="Bradford")
    force.officer("SL", team="TS", district="Leeds", role="supervisor")
    make = force.make
    occurrence = make.occurrence("B", oic="B", district="Bradford", reference="13/123456/24")
    household = make.household("B", occurrence.aggregate_id)
    offer = make.offer("B", household.aggregate_id, "declined")
    shared = make.occurrence("B", oic="A2", district="Bradford")
    b_case = [occurrence, household, offer, shared]
    force.ok("B", *b_case)
    a_occurrence = make.occurrence("A", oic="A", district="Leeds")
    a_household = make.household("A", a_occurrence.aggregate_id)
    force.ok("A", a_occurrence, a_household, make.offer("A", a_household.aggregate_id))
    force.pull("A2")
    teammate = make.household("A2", shared.aggregate_id)
    force.ok("A2", teammate)
    force.pull("A")
    force.pull("B")
    force.pull("SL")
    return Scene(force, b_case, occurrence, household, offer, a_occurrence, a_household, shared)


def _correct(make: Events, author: str, target: Event, payload: dict[str, Any]) -> Event:
    return make.make(
        EventType.EVENT_CORRECTED, target.aggregate_id,
        {"target_id": target.id, "target_type": target.type.value, "payload": payload,
         "reason": "Correction"},
        author,
    )


def _occurrence_payload(target: Event, **changes: Any) -> dict[str, Any]:
    return {**target.to_dict()["payload"], **changes}


Attack = Callable[[Scene], list[tuple[Event, str]]]

ATTACKS: dict[str, Attack] = {
    "occurrence_recorded naming A as OIC": lambda s: [
        (s.force.make.occurrence("A", oic="A", district="Bradford",
                                 occ=s.occurrence.aggregate_id), "id_in_use"),
    ],
    "correction of B's occurrence naming A as OIC": lambda s: [
        (_correct(s.force.make, "A", s.occurrence,
                  _occurrence_payload(s.occurrence, oic="A")), "not_found"),
    ],
    "correction restating B's occurrence in Leeds": lambda s: [
        (_correct(s.force.make, "A", s.occurrence,
                  _occurrence_payload(s.occurrence, district="Leeds")), "not_found"),
    ],
    "task_reassigned of B's household to A": lambda s: [
        (s.force.make.reassign("A", s.household.aggregate_id, "A"), "not_found"),
    ],
    "A's household absorbs B's": lambda s: [
        (s.force.make.merge("A", s.a_household.aggregate_id, s.household.aggregate_id),
         "not_found"),
        (s.force.make.merge("A", s.household.aggregate_id, s.a_household.aggregate_id),
         "not_found"),
    ],
    "household_recorded reusing B's household id": lambda s: [
        (s.force.make.household("A", s.a_occurrence.aggregate_id,
                                household=s.household.aggregate_id), "id_in_use"),
    ],
    "correction of B's household and retraction of B's offer": lambda s: [
        (_correct(s.force.make, "A", s.household,
                  {**s.household.to_dict()["payload"], "address": "1 Attacker Road, Leeds"}),
         "not_found"),
        (s.force.make.make(EventType.ENTERED_IN_ERROR, s.household.aggregate_id,
                           {"target_id": s.offer.id, "reason": "Not needed"}, "A"),
         "not_found"),
    ],
    "events naming another laptop": lambda s: [
        (Events(device_id="dev_B").occurrence("A", oic="A", district="Leeds"), "wrong_device"),
        (Events(device_id=s.force.laptops["B"].device_id).occurrence(
            "A", oic="A", district="Leeds"), "wrong_device"),
        (s.force.make.occurrence("B", oic="B", district="Leeds"), "wrong_author"),
    ],
    "an occurrence id leaked by a teammate's household": lambda s: [
        (s.force.make.household("A", s.shared.aggregate_id), "not_found"),
        (s.force.make.leaflets("A", s.shared.aggregate_id), "not_found"),
        (s.force.make.occurrence("A", oic="A", district="Bradford",
                                 occ=s.shared.aggregate_id), "id_in_use"),
    ],
}


@pytest.mark.parametrize("name", list(ATTACKS))
def test_an_attack_on_another_teams_case_is_refused_and_changes_nothing(
    scene: Scene, name: str
) -> None:
    force = scene.force
    b_ids = {e.id for e in scene.b_case}
    assert not force.laptops["A"].held.keys() & b_ids  # A starts with 0 of B's events
    b_before, leeds_before = force.laptops["B"].state, force.uptake("SL")
    count = len(force.storage.access_log())

    attack = ATTACKS[name](scene)
    # One batch with a legitimate record in it: the refusals do not block it.
    honest = force.make.leaflets("A", scene.a_occurrence.aggregate_id)
    refused = force.push("A", *(event for event, _ in attack), honest)
    assert refused == {event.id: code for event, code in attack}

    assert not force.pull("A") & b_ids
    assert not force.laptops["A"].held.keys() & b_ids
    force.pull("B")
    assert force.laptops["B"].state == b_before
    assert force.uptake("SL") == leeds_before
    stored = {e.id for e in _stored(force.storage)}
    assert honest.id in stored and not stored & {event.id for event, _ in attack}
    pushes = [e for e in force.storage.access_log()[count:] if e.action == "push"]
    assert pushes[-1].officer == "A"
    assert {r["id"]: r["code"] for r in pushes[-1].detail["refused"]} == refused


def _stored(storage: SqlStorage) -> list[Event]:
    with storage.backend.transaction("read") as tx:
        return [event_from_json(row[0]) for row in tx.query("SELECT body FROM events")]


def test_the_refusal_names_who_may(scene: Scene) -> None:
    force = scene.force
    # B's teammate sees B's household, but is not the OIC of its occurrence.
    force.officer("B2", team="TB", district="Bradford")
    force.pull("B2")
    move = force.make.reassign("B2", scene.household.aggregate_id, "B2")
    answer = force.client.post("/v1/push", json={"events": [move.to_dict()]},
                               headers=force.headers("B2"))
    rejected = answer.json()["rejected"][0]
    assert rejected["code"] == "not_allowed"
    assert rejected["problems"][0]["message"].startswith(
        "Only the OIC of 13/123456/24 or a supervisor can reassign this call-back."
    )


def test_legitimate_work_still_goes_through(scene: Scene) -> None:
    force = scene.force
    force.officer("B2", team="TB", district="Bradford")
    force.officer("SB", team="TS2", district="Bradford", role="supervisor")
    make = force.make
    # Two officers of one team see each other's records.
    force.pull("A2")
    assert {scene.a_occurrence.id, scene.a_household.id} <= force.laptops["A2"].held.keys()
    assert {e.id for e in scene.b_case} <= force.pull("B2")
    # The author corrects their own record; the OIC reassigns the call-back.
    fixed = _correct(make, "B", scene.household,
                     {**scene.household.to_dict()["payload"], "address": "2 High Street"})
    force.ok("B", fixed, make.reassign("B", scene.household.aggregate_id, "B2"))
    # A supervisor of Bradford moves the occurrence to Leeds; the Leeds supervisor sees it.
    force.pull("SB")
    moved = _correct(make, "SB", scene.occurrence,
                     _occurrence_payload(scene.occurrence, district="Leeds"))
    force.ok("SB", moved)
    assert {scene.occurrence.id, scene.household.id, scene.offer.id} <= force.pull("SL")
    # The OIC of the shared occurrence reassigns its household to a teammate.
    teammate = next(e for e in _stored(force.storage)
                    if e.type is EventType.HOUSEHOLD_RECORDED and e.author == "A2")
    handed = make.reassign("A2", teammate.aggregate_id, "A")
    force.ok("A2", handed)
    assert handed.id in force.pull("A")


def test_the_author_is_told_when_someone_else_changes_their_record(scene: Scene) -> None:
    force = scene.force
    force.officer("SB", team="TS2", district="Bradford", role="supervisor")
    force.pull("SB")
    retraction = force.make.make(
        EventType.ENTERED_IN_ERROR, scene.household.aggregate_id,
        {"target_id": scene.offer.id, "reason": "Offer recorded at the wrong address"}, "SB",
    )
    force.ok("SB", retraction)
    # B's laptop gets the retraction of B's own record and lists who, when and why.
    assert retraction.id in force.pull("B")
    [notice] = [c for c in force.laptops["B"].state.conflicts.values()
                if c.kind == "changed_by_another_officer"]
    assert notice.scope == scene.household.aggregate_id
    assert notice.resolution == (
        "SB marked a record as entered in error (recorded by B) on 02/11/2026: "
        "Offer recorded at the wrong address"
    )


def test_guessing_a_reference_and_an_address_joins_nothing_into_view(scene: Scene) -> None:
    """References are guessable (13/240117/26 is a pattern): A records an occurrence with
    B's reference, naming itself OIC, and a household at B's address (typed another way).
    The records join in the projection of whoever may see both, and give A nothing."""
    force = scene.force
    force.officer("SB", team="TS2", district="Bradford", role="supervisor")
    force.pull("SB")
    before = force.uptake("SB")
    b_ids = {e.id for e in force.laptops["B"].held.values() if e.author == "B"}
    b_state = force.laptops["B"].state
    make = force.make
    reference = scene.occurrence.to_dict()["payload"]["reference"]
    address = scene.household.to_dict()["payload"]["address"]
    guessed = make.occurrence("A", oic="A", district="Bradford",
                              reference=reference.replace("/", "-"))
    copy = make.household("A", guessed.aggregate_id, address=address.upper() + ".")
    force.ok("A", guessed, copy, make.offer("A", copy.aggregate_id, "declined"))
    # A ends with none of B's events, and A's laptop shows A's own record alone.
    assert not force.pull("A") & b_ids
    assert not set(force.laptops["A"].held) & b_ids
    mine = force.laptops["A"].state
    joined = mine.occurrence_of(guessed.aggregate_id)
    assert joined is not None and joined.joined_ids == () and joined.oic == "A"
    # B, the existing occurrence's OIC, is told of A's occurrence record and nothing else of
    # A's (tests/central/test_central_join_notice.py); B's household and call-back stand.
    assert force.pull("B") == {guessed.id}
    b_after = force.laptops["B"].state
    assert b_after.households == b_state.households and b_after.tasks == b_state.tasks
    # The Bradford supervisor sees both records: one occurrence, B's household counted once.
    force.pull("SB")
    seen = force.laptops["SB"].state
    occurrence = seen.occurrence_of(scene.occurrence.aggregate_id)
    assert occurrence is not None and guessed.aggregate_id in occurrence.joined_ids
    household = seen.household_of(scene.household.aggregate_id)
    assert household is not None and copy.aggregate_id in household.merged_ids
    assert force.uptake("SB") == before


def test_only_the_oic_accepting_another_record_of_the_occurrence_widens_its_view(
    scene: Scene,
) -> None:
    """N, in another team, records B's occurrence (its reference, B named its OIC) and the
    household at its address: B is told (B sees what names B as OIC) and their laptop shows
    one occurrence, one household; N sees nothing of B's until B accepts N's record."""
    force = scene.force
    force.officer("N", team="TN", district="Leeds")
    make = force.make
    reference = scene.occurrence.to_dict()["payload"]["reference"]
    address = scene.household.to_dict()["payload"]["address"]
    theirs = make.occurrence("N", oic="B", district="Bradford", reference=reference)
    house = make.household("N", theirs.aggregate_id, address=address.lower())
    force.ok("N", theirs, house, make.offer("N", house.aggregate_id, "declined"))
    b_ids = {e.id for e in scene.b_case}
    assert not force.pull("N") & b_ids
    assert {theirs.id, house.id} <= force.pull("B")
    shown = force.laptops["B"].state
    joined = shown.occurrence_of(theirs.aggregate_id)
    assert joined is not None and scene.occurrence.aggregate_id in joined.joined_ids
    household = shown.household_of(house.aggregate_id)
    assert household is not None and scene.household.aggregate_id in household.merged_ids
    assert len([t for t in shown.tasks if t.household_id == household.id]) == 1
    notice = [c for c in shown.conflicts.values() if c.kind == "occurrence_joined"]
    assert notice and notice[0].scope == joined.id

    def accept(author: str, on: Event, other: Event, officer: str) -> Event:
        return make.make(EventType.JOIN_ACCEPTED, on.aggregate_id,
                         {"other_id": other.aggregate_id, "officer": officer,
                          "note": "Same job"}, author)

    # Nobody but B (or a supervisor) can accept, nor for an officer who did not record it.
    assert list(force.push("A", accept("A", scene.occurrence, theirs, "A")).values()) == [
        "not_found"]
    # N named B the OIC of their record: N is not, so N cannot accept it the other way.
    assert list(force.push("N", accept("N", theirs, scene.occurrence, "N")).values()) == [
        "not_allowed"]
    assert list(force.push("B", accept("B", scene.occurrence, theirs, "A")).values()) == [
        "not_allowed"]
    assert not force.pull("N") & b_ids and not force.pull("A") & b_ids
    # B accepts N's record: N now pulls B's case, and nobody else does.
    force.ok("B", accept("B", scene.occurrence, theirs, "N"))
    assert b_ids - {scene.shared.id} <= force.pull("N")
    assert not force.pull("A") & b_ids
def _changes(make: Events, author: str, target: Event, changes: dict[str, Any]) -> Event:
    """A correction of only the changed fields (event_corrected version 2)."""
    fix = make.make(
        EventType.EVENT_CORRECTED, target.aggregate_id,
        {"target_id": target.id, "target_type": target.type.value, "changes": changes,
         "reason": "Correction"},
        author,
    )
    assert fix.schema_version == 2
    return fix


def test_a_v2_correction_moving_an_occurrences_district_needs_its_supervisor(
    scene: Scene
) -> None:
    force = scene.force
    force.officer("SB", team="TS2", district="Bradford", role="supervisor")
    make = force.make
    # B is the OIC and the author, but not a supervisor: a move of district is refused, with
    # the rule's sentence, though the correction carries nothing but the district.
    move = _changes(make, "B", scene.occurrence, {"district": "Leeds"})
    answer = force.client.post("/v1/push", json={"events": [move.to_dict()]},
                               headers=force.headers("B"))
    [rejected] = answer.json()["rejected"]
    assert rejected["code"] == "not_allowed"
    assert rejected["problems"][0]["message"].startswith(
        "Only a supervisor of Bradford can move 13/123456/24 to another district.")
    assert move.id not in {e.id for e in _stored(force.storage)}
    # B may change what the rule lets an OIC change: the offences, by changes alone.
    force.ok("B", _changes(make, "B", scene.occurrence, {"offence_types": ["iioc", "voyeurism"]}))
    # The supervisor of Bradford may move it; the Leeds supervisor then sees the case, its
    # OIC and offences as the earlier correction left them.
    force.pull("SB")
    force.ok("SB", _changes(make, "SB", scene.occurrence, {"district": "Leeds"}))
    assert {scene.occurrence.id, scene.household.id, scene.offer.id} <= force.pull("SL")
    view = force.laptops["SL"].state.occurrences[scene.occurrence.aggregate_id]
    assert (view.district, view.oic, tuple(view.offence_types)) == (
        "Leeds", "B", ("iioc", "voyeurism"))


def test_a_malformed_v2_correction_is_refused_and_stores_nothing(scene: Scene) -> None:
    force = scene.force
    good = _changes(force.make, "B", scene.household, {"address": "2 High Street"}).to_dict()
    bad = [
        {**good, "payload": {**good["payload"], "changes": {"district": "Leeds"}}},
        {**good, "payload": {**good["payload"], "changes": {"postcode": "nowhere"}}},
        {**good, "payload": {**good["payload"], "changes": "address"}},
        {**good, "payload": {**good["payload"], "payload": good["payload"]["changes"]}},
    ]
    for number, body in enumerate(bad):
        body = {**body, "id": f"{body['id'][:-2]}{number:02d}"}
        answer = force.client.post("/v1/push", json={"events": [body]},
                                   headers=force.headers("B"))
        assert answer.status_code < 500, answer.text
        [rejected] = answer.json()["rejected"]
        assert rejected["code"] == "invalid_record", rejected
        assert all(p["message"].endswith(".") for p in rejected["problems"])
    stored = {e.id for e in _stored(force.storage)}
    assert not stored & {good["id"][:-2] + f"{n:02d}" for n in range(len(bad))}


def test_a_referral_step_is_corrected_by_its_author_or_the_oic_and_no_one_else(
    scene: Scene,
) -> None:
    """A VCAS referral step recorded by B's teammate B2: B2 and B (the OIC) may correct it;
    B3, a teammate who sees it too, is refused with the rule's sentence, and nothing is kept."""
    force = scene.force
    force.officer("B2", team="TB", district="Bradford")
    force.officer("B3", team="TB", district="Bradford")
    make = force.make
    household = scene.household.aggregate_id
    step = make.make(EventType.REFERRAL_RECORDED, household,
                     {"step": "sent", "method": "secure_email"}, "B2")
    force.ok("B2", step)
    force.ok("B2", _changes(make, "B2", step, {"method": "phone"}))
    force.pull("B")
    force.ok("B", _changes(make, "B", step, {"method": "partner_portal"}))
    force.pull("B3")
    theirs = _changes(make, "B3", step, {"method": "secure_email"})
    answer = force.client.post("/v1/push", json={"events": [theirs.to_dict()]},
                               headers=force.headers("B3"))
    assert answer.status_code == 200, answer.text
    [rejected] = answer.json()["rejected"]
    assert (rejected["id"], rejected["code"]) == (theirs.id, "not_allowed")
    assert rejected["problems"][0]["message"] == (
        "Only the officer who recorded it, the OIC of 13/123456/24 or a supervisor can correct "
        "this record. It was not saved on the central system; it stays on this laptop."
    )
    assert theirs.id not in {e.id for e in _stored(force.storage)}
    # The author's laptop holds the step as the OIC corrected it last.
    force.pull("B2")
    [standing] = [e for e in effective_events(force.laptops["B2"].held.values())
                  if e.id == step.id]
    assert standing.to_dict()["payload"]["method"] == "partner_portal"
