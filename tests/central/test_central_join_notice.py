"""The existing occurrence's OIC is told of a new record of its reference (central/visibility.py,
rule (g)), through the HTTP API on both back ends: that record only, never its scope, never the
other way; accepting it widens the newcomer's view, and only the newcomer's accepting in return
widens the OIC's; a force may tell only supervisors (resources/authority.json, join_notice)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from central_support import FakeClock
from fastapi.testclient import TestClient
from test_central_authority import Force

from central.app import create_app
from central.config import Settings
from central.storage.sql import SqlStorage
from fieldapp.domain.authority import AuthorityTable
from fieldapp.domain.events import Event, EventType
from fieldapp.resources import load_authority, resources_dir

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

REFERENCE = "13/240117/26"
ADDRESS = "4 Mill Lane, Leeds"


def _force(storage: SqlStorage, clock: FakeClock) -> Iterator[Force]:
    relaxed = Settings(rate_burst=1_000_000, enrol_burst=1_000_000)
    with TestClient(create_app(storage, settings=relaxed, clock=clock)) as client:
        force = Force(client, storage)
        force.officer("B", team="TB", district="Leeds")  # the real OIC
        force.officer("S", team="TS", district="Bradford")  # a squatter on a guessed reference
        force.officer("N", team="TN", district="Leeds")  # a second address of B's case
        force.officer("SL", team="TSL", district="Leeds", role="supervisor")
        force.officer("SB", team="TSB", district="Bradford", role="supervisor")
        yield force


@pytest.fixture
def force(storage: SqlStorage, clock: FakeClock) -> Iterator[Force]:
    yield from _force(storage, clock)


def _case(force: Force, officer: str, district: str, address: str = ADDRESS,
          reference: str = REFERENCE) -> list[Event]:
    make = force.make
    occurrence = make.occurrence(officer, oic=officer, district=district, reference=reference)
    household = make.household(officer, occurrence.aggregate_id, address=address)
    offer = make.offer(officer, household.aggregate_id, "declined")
    case = [occurrence, household, offer]
    force.ok(officer, *case)
    return case


def _accept(force: Force, author: str, on: Event, other: Event, officer: str) -> Event:
    return force.make.make(
        EventType.JOIN_ACCEPTED, on.aggregate_id,
        {"other_id": other.aggregate_id, "officer": officer, "note": "Same job"}, author,
    )


def _ids(events: list[Event]) -> set[str]:
    return {e.id for e in events}


def _pull_disclosed(force: Force, collar: str) -> list[str]:
    """The aggregates the access log says `collar`'s last pull disclosed."""
    pulls = [e for e in force.storage.access_log() if e.action == "pull" and e.officer == collar]
    aggregates: list[str] = pulls[-1].detail["aggregates"]
    return aggregates


def test_squatter_second_the_oic_is_told_of_that_record_only_and_the_squatter_nothing(
    force: Force,
) -> None:
    real = _case(force, "B", "Leeds")
    for collar in force.laptops:
        force.pull(collar)
    guessed = _case(force, "S", "Bradford", address=ADDRESS.upper(),
                    reference=REFERENCE.replace("/", "-"))
    # The squatter learns nothing: not that the reference is real, nor whose it is.
    assert force.pull("S") == set()
    assert not set(force.laptops["S"].held) & _ids(real)
    assert force.laptops["S"].state.occurrence_of(guessed[0].aggregate_id).joined_ids == ()
    # B is told of the squatter's occurrence record alone, and the pull is logged.
    assert force.pull("B") == {guessed[0].id}
    assert _pull_disclosed(force, "B") == [guessed[0].aggregate_id]
    shown = force.laptops["B"].state
    [notice] = [c for c in shown.conflicts.values() if c.kind == "occurrence_joined"]
    assert "by B and S" in notice.resolution
    household = shown.household_of(real[1].aggregate_id)
    assert household is not None and household.merged_ids == (real[1].aggregate_id,)
    assert [t.household_id for t in shown.tasks] == [household.id]
    # A correction of the squatter's occurrence reaches B too; nothing else of the squatter's.
    make = force.make
    fix = make.make(
        EventType.EVENT_CORRECTED, guessed[0].aggregate_id,
        {"target_id": guessed[0].id, "target_type": "occurrence_recorded",
         "changes": {"offence_types": ["iioc", "voyeurism"]}, "reason": "Also voyeurism"},
        "S",
    )
    force.ok("S", fix, make.leaflets("S", guessed[0].aggregate_id))
    assert force.pull("B") == {fix.id}


def test_squatter_first_is_told_and_gains_nothing_else_the_real_oic_is_told_nothing(
    force: Force,
) -> None:
    guessed = _case(force, "S", "Bradford")
    force.pull("S")
    real = _case(force, "B", "Leeds")
    # The residual leak under "oic": the squatter is told the reference came into use.
    assert force.pull("S") == {real[0].id}
    # B, the newcomer here, learns nothing of the squatter's record.
    assert force.pull("B") == set()
    # Told of B's record, the squatter can neither add to it nor correct it...
    make = force.make
    assert set(force.push("S", make.leaflets("S", real[0].aggregate_id)).values()) == {
        "not_found"}
    assert set(force.push("S", make.household("S", real[0].aggregate_id)).values()) == {
        "not_found"}
    # ...and accepting it lets B see the squatter's records, never the squatter B's.
    force.ok("S", _accept(force, "S", guessed[0], real[0], "B"))
    assert not force.pull("S") & _ids(real)
    assert _ids(guessed) <= force.pull("B")


def test_the_honest_case_told_accepted_then_shared_both_ways(force: Force) -> None:
    """N records a second address of B's investigation under its reference, N its OIC."""
    first = _case(force, "B", "Leeds")
    force.pull("B")
    second = _case(force, "N", "Leeds", address="9 Beck Road, Leeds")
    assert force.pull("N") == set()
    assert force.pull("B") == {second[0].id}
    assert force.pull("SL") >= _ids(first) | _ids(second)  # the district's supervisor sees both
    # B accepts: N sees B's occurrence and its household.
    force.ok("B", _accept(force, "B", first[0], second[0], "N"))
    assert _ids(first) <= force.pull("N")
    joined = force.laptops["N"].state.occurrence_of(second[0].aggregate_id)
    assert joined is not None and first[0].aggregate_id in joined.joined_ids
    assert not force.pull("B") & _ids(second[1:])
    # N accepts in return: B now sees N's household, and makes its call-back.
    force.ok("N", _accept(force, "N", second[0], first[0], "B"))
    assert _ids(second[1:]) <= force.pull("B")
    state = force.laptops["B"].state
    assert {t.household_id for t in state.tasks} == {
        first[1].aggregate_id, second[1].aggregate_id}
    occurrence = state.occurrence_of(first[0].aggregate_id)
    assert occurrence is not None and second[0].aggregate_id in occurrence.joined_ids


@pytest.fixture
def supervisors_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, storage: SqlStorage, clock: FakeClock
) -> Iterator[Force]:
    """The force's policy: only the supervisors are told (a copy of resources/ changed)."""
    copy = tmp_path / "resources"
    shutil.copytree(resources_dir(), copy)
    table: dict[str, Any] = json.loads((copy / "authority.json").read_text(encoding="utf-8"))
    table["join_notice"] = "supervisors"
    (copy / "authority.json").write_text(json.dumps(table), encoding="utf-8")
    monkeypatch.setenv("FIELDAPP_RESOURCES", str(copy))
    load_authority.cache_clear()
    try:
        assert load_authority().join_notice == "supervisors"
        yield from _force(storage, clock)
    finally:
        load_authority.cache_clear()


def test_under_the_supervisors_policy_only_the_supervisors_are_told(
    supervisors_only: Force,
) -> None:
    force = supervisors_only
    guessed = _case(force, "S", "Bradford")
    for collar in force.laptops:
        force.pull(collar)
    real = _case(force, "B", "Leeds")
    assert force.pull("S") == set()
    assert force.pull("B") == set()
    # The Bradford supervisor, who sees the squatter's record, is told of B's; Leeds sees B's.
    assert force.pull("SB") == {real[0].id}
    assert _ids(real) <= force.pull("SL")
    assert not set(force.laptops["SL"].held) & _ids(guessed)
    # A supervisor registered later is told as well.
    force.officer("SB2", team="TSB", district="Bradford", role="supervisor")
    assert force.pull("SB2") >= {real[0].id}


def test_join_notice_policy_is_validated() -> None:
    data: dict[str, Any] = json.loads(
        (resources_dir() / "authority.json").read_text(encoding="utf-8")
    )
    assert AuthorityTable.from_dict(data).join_notice == "oic"
    with pytest.raises(ValueError, match="join_notice"):
        AuthorityTable.from_dict({**data, "join_notice": "everyone"})
