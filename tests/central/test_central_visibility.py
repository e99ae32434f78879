"""Scoped pull on both back ends: each rule of who may see what, events arriving in any
order, and visibility that grows after the cursor has passed an event."""

from __future__ import annotations

import pytest
from central_support import START, Events, add_officer, enrol_device, pull_all

from central.storage.base import Caller
from central.storage.sql import SqlStorage
from fieldapp.domain.events import Event


class World:
    """Officers with one laptop each that push, and a second laptop each that pulls."""

    def __init__(self, storage: SqlStorage) -> None:
        self.storage = storage
        self.events = Events()
        self.pushers: dict[str, Caller] = {}
        self.pullers: dict[str, Caller] = {}
        self.cursors: dict[str, int] = {}
        self.seen: dict[str, list[str]] = {}

    def officer(self, collar: str, **kwargs: str) -> None:
        add_officer(self.storage, collar, **kwargs)  # type: ignore[arg-type]
        self.pushers[collar], _ = enrol_device(self.storage, collar, "Pushing laptop")
        self.pullers[collar], _ = enrol_device(self.storage, collar, "Pulling laptop")
        self.cursors[collar] = 0
        self.seen[collar] = []

    def push(self, *events: Event) -> None:
        for event in events:
            outcome = self.storage.push(
                self.pushers[event.author], [event], received_at=START, address=None, rejected=0
            )
            assert outcome[0].seq is not None

    def refused(self, event: Event) -> str:
        """Push one event the authority rule must refuse; its code."""
        outcome = self.storage.push(
            self.pushers[event.author], [event], received_at=START, address=None, rejected=0
        )
        assert outcome[0].seq is None and outcome[0].refused is not None
        return outcome[0].refused.code

    def pull(self, collar: str) -> set[str]:
        """Pull from the officer's saved cursor, as a laptop does; all ever received."""
        ids, self.cursors[collar] = pull_all(
            self.storage, self.pullers[collar], self.cursors[collar]
        )
        assert not set(ids) & set(self.seen[collar]), "an event was delivered twice"
        self.seen[collar].extend(ids)
        return set(self.seen[collar])


@pytest.fixture
def world(storage: SqlStorage) -> World:
    w = World(storage)
    w.officer("A1", team="A", district="Leeds")
    w.officer("A2", team="A", district="Leeds")
    w.officer("B1", team="B", district="Leeds", role="oic")
    w.officer("C1", team="C", district="Bradford")
    w.officer("SUPL", team="S", district="Leeds", role="supervisor")
    w.officer("SUPB", team="S2", district="Bradford", role="supervisor")
    w.officer("ADM", team="A", district="Leeds", role="admin")
    return w


def test_authors_and_their_team_see_their_events_and_no_one_else(world: World) -> None:
    occ = world.events.occurrence("A1", oic="A1", district="Elsewhere")
    leaflets = world.events.leaflets("A1", occ.aggregate_id)
    world.push(occ, leaflets)
    assert world.pull("A1") == {occ.id, leaflets.id}
    assert world.pull("A2") == {occ.id, leaflets.id}
    for outsider in ("B1", "C1", "SUPL", "SUPB", "ADM"):
        assert world.pull(outsider) == set(), outsider


def test_records_about_a_case_not_yet_stored_are_refused_and_what_follows_reaches_the_oic(
    world: World,
) -> None:
    occ_id = "018f0000-0000-7000-8000-000000000001"
    occurrence = world.events.occurrence("A1", oic="B1", district="Bradford", occ=occ_id)
    household = world.events.household("A1", occ_id)
    offer = world.events.offer("A1", household.aggregate_id)
    assert world.refused(offer) == "not_found"
    assert world.refused(household) == "not_found"
    assert world.pull("B1") == set()
    world.push(occurrence)
    assert world.pull("B1") == {occurrence.id}
    # The OIC's cursor is now past the occurrence; what is recorded under it still arrives.
    world.push(household, offer)
    assert world.pull("B1") == {occurrence.id, household.id, offer.id}
    later = world.events.callback("B1", household.aggregate_id)
    world.push(later)
    assert world.pull("SUPB") == {occurrence.id, household.id, offer.id, later.id}
    assert world.pull("SUPL") == set()
    assert world.pull("A2") == {occurrence.id, household.id, offer.id}


def test_a_corrected_oic_sees_the_whole_occurrence_and_the_old_one_keeps_it(
    world: World,
) -> None:
    occurrence = world.events.occurrence("A1", oic="B1", district="Leeds")
    household = world.events.household("A1", occurrence.aggregate_id)
    offer = world.events.offer("A1", household.aggregate_id)
    world.push(occurrence, household, offer)
    assert world.pull("C1") == set()
    correction = world.events.correct_occurrence("A1", occurrence, oic="C1", district="Leeds")
    world.push(correction)
    everything = {occurrence.id, household.id, offer.id, correction.id}
    assert world.pull("C1") == everything
    assert world.pull("B1") == everything


def test_a_correction_before_its_target_is_refused_and_counts_once_sent_again(
    world: World,
) -> None:
    occurrence = world.events.occurrence("A1", oic="A1", district="Nowhere")
    correction = world.events.correct_occurrence("A1", occurrence, oic="C1", district="Nowhere")
    assert world.refused(correction) == "not_found"
    assert world.pull("C1") == set()
    world.push(occurrence, correction)
    assert world.pull("C1") == {occurrence.id, correction.id}


def test_a_correction_filed_under_another_aggregate_is_refused(world: World) -> None:
    mine = world.events.occurrence("C1", oic="C1", district="Bradford")
    theirs = world.events.occurrence("A1", oic="A1", district="Nowhere")
    # C1 files a "correction" of A1's occurrence under C1's own occurrence, naming C1 as OIC.
    forged = world.events.correct_occurrence("C1", theirs, oic="C1", district="Bradford")
    payload = {k: v for k, v in forged.to_dict()["payload"].items() if k != "occurred_at"}
    forged = world.events.make(forged.type, mine.aggregate_id, payload, "C1")
    world.push(mine, theirs)
    assert world.refused(forged) == "wrong_record"
    assert theirs.id not in world.pull("C1")


def test_a_corrected_household_joins_the_new_occurrence(world: World) -> None:
    first = world.events.occurrence("A1", oic="A1", district="Nowhere")
    second = world.events.occurrence("A1", oic="C1", district="Nowhere")
    household = world.events.household("A1", first.aggregate_id)
    world.push(first, second, household)
    assert household.id not in world.pull("C1")
    moved = world.events.correct_household("A1", household, second.aggregate_id)
    world.push(moved)
    assert {household.id, moved.id} <= world.pull("C1")


def test_a_reassigned_household_is_visible_to_its_new_officer_only(world: World) -> None:
    occurrence = world.events.occurrence("A1", oic="A1", district="Nowhere")
    household = world.events.household("A1", occurrence.aggregate_id)
    other = world.events.household("A1", occurrence.aggregate_id)
    offer = world.events.offer("A1", household.aggregate_id)
    world.push(occurrence, household, other, offer)
    reassigned = world.events.reassign("A1", household.aggregate_id, "C1")
    world.push(reassigned)
    callback = world.events.callback("A1", household.aggregate_id)
    world.push(callback)
    assert world.pull("C1") == {household.id, offer.id, reassigned.id, callback.id}


def test_a_merged_household_follows_the_one_it_was_merged_into(world: World) -> None:
    occurrence = world.events.occurrence("A1", oic="B1", district="Leeds")
    kept = world.events.household("A1", occurrence.aggregate_id)
    elsewhere = world.events.occurrence("C1", oic="B1", district="Bradford")
    stray = world.events.household("C1", elsewhere.aggregate_id)
    stray_offer = world.events.offer("C1", stray.aggregate_id)
    world.push(occurrence, kept, elsewhere, stray, stray_offer)
    assert stray.id not in world.pull("SUPL")
    # B1, OIC of both, sees both and may merge them; a supervisor of Leeds then sees it too.
    merge = world.events.merge("B1", kept.aggregate_id, stray.aggregate_id)
    world.push(merge)
    assert {stray.id, stray_offer.id, merge.id, kept.id} <= world.pull("SUPL")


def test_a_split_grants_no_view(world: World) -> None:
    occurrence = world.events.occurrence("A1", oic="B1", district="Leeds")
    kept = world.events.household("A1", occurrence.aggregate_id)
    elsewhere = world.events.occurrence("C1", oic="B1", district="Bradford")
    stray = world.events.household("C1", elsewhere.aggregate_id)
    stray_offer = world.events.offer("C1", stray.aggregate_id)
    world.push(occurrence, kept, elsewhere, stray, stray_offer)
    # B1, OIC of both, may split them: the split is stored, and no one sees more for it.
    before = world.pull("SUPL")
    split = world.events.split("B1", kept.aggregate_id, stray.aggregate_id)
    world.push(split)
    assert world.pull("SUPL") - before == {split.id}
    assert stray.id not in world.pull("SUPL") and stray.id not in world.pull("A1")
    # An officer who is not the OIC may not split, even households they can see.
    assert world.refused(world.events.split("A1", kept.aggregate_id, kept.aggregate_id)) in (
        "not_allowed", "not_found")


def test_supervisors_see_their_district_and_officers_do_not(world: World) -> None:
    occurrence = world.events.occurrence("C1", oic="C1", district="Leeds")
    household = world.events.household("C1", occurrence.aggregate_id)
    world.push(occurrence, household)
    assert world.pull("SUPL") == {occurrence.id, household.id}
    assert world.pull("SUPB") == set()
    assert world.pull("B1") == set()  # in district Leeds, but not a supervisor


def test_officers_registered_later_get_what_they_may_already_see(world: World) -> None:
    occurrence = world.events.occurrence("A1", oic="LATE", district="York")
    household = world.events.household("A1", occurrence.aggregate_id)
    world.push(occurrence, household)
    world.officer("LATE", team="Z", district="Hull")
    world.officer("SUPY", team="Z2", district="York", role="supervisor")
    world.officer("A3", team="A", district="Hull")
    assert world.pull("LATE") == {occurrence.id, household.id}
    assert world.pull("SUPY") == {occurrence.id, household.id}
    assert world.pull("A3") == {occurrence.id, household.id}


def test_admins_pull_nothing_even_when_named(world: World) -> None:
    occurrence = world.events.occurrence("A1", oic="ADM", district="Leeds")
    household = world.events.household("A1", occurrence.aggregate_id)
    world.push(occurrence, household)
    assert world.refused(world.events.reassign("A1", household.aggregate_id, "ADM")) == (
        "not_allowed"
    )
    assert world.pull("ADM") == set()


def test_a_device_does_not_get_back_what_it_pushed(world: World) -> None:
    occurrence = world.events.occurrence("A1", oic="A1", district="Leeds")
    world.push(occurrence)
    pusher = world.pushers["A1"]
    ids, position = pull_all(world.storage, pusher)
    assert ids == []
    # The cursor still moves past the device's own events, so they are not rescanned.
    assert position > 0
    assert world.pull("A1") == {occurrence.id}


def test_pages_cover_the_feed_once_in_order(world: World) -> None:
    occurrence = world.events.occurrence("A1", oic="A1", district="Leeds")
    rest = [world.events.leaflets("A1", occurrence.aggregate_id) for _ in range(10)]
    world.storage.push(world.pushers["A1"], [occurrence, *rest], received_at=START,
                       address=None, rejected=0)
    caller = world.pullers["A2"]
    first = world.storage.pull(caller, after=0, limit=4, now=START, address=None)
    assert len(first.items) == 4 and first.more
    ids, end = pull_all(world.storage, caller, after=first.position, limit=4)
    assert len(ids) == 7
    seqs = [i.seq for i in first.items]
    assert seqs == sorted(seqs)
    again = world.storage.pull(caller, after=end, limit=4, now=START, address=None)
    assert again.items == [] and not again.more and again.position == end
    log = next(e for e in world.storage.access_log() if e.action == "pull")
    assert log.category == "disclosure" and log.detail["events"] == 4
    assert log.detail["aggregates"] == [occurrence.aggregate_id]
