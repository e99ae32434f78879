"""The projection tables' JSON gives back exactly the domain's views."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from store_helpers import scenario

from fieldapp.domain.projection import project
from fieldapp.domain.schedule import CallbackTask
from fieldapp.domain.views import Conflict, HouseholdView, OccurrenceView
from fieldapp.resources import load_policy
from fieldapp.store import codec


def test_every_view_of_a_busy_scenario_round_trips() -> None:
    state = project(scenario(4, 30), load_policy())
    assert state.households and state.conflicts and state.tasks
    for view in state.households.values():
        assert codec.decode(HouseholdView, codec.encode(view)) == view
    for view in state.occurrences.values():
        assert codec.decode(OccurrenceView, codec.encode(view)) == view
    for conflict in state.conflicts.values():
        assert codec.decode(Conflict, codec.encode(conflict)) == conflict
    for task in state.tasks:
        assert codec.decode(CallbackTask, codec.encode(task)) == task


def test_a_field_missing_from_an_old_row_takes_its_default() -> None:
    conflict = next(iter(project(scenario(4, 30), load_policy()).conflicts.values()))
    data = json.loads(codec.encode(conflict))
    data.pop("note", None)
    assert codec.decode(Conflict, json.dumps(data)).note == ""


@dataclass(frozen=True)
class _Row:
    name: str
    tags: tuple[str, ...]
    seen: bool
    count: int
    maybe: str | None
    kept: str = "unset"  # a default that is not the empty value


def test_empty_fields_are_left_out_of_a_row_and_read_back() -> None:
    empty = _Row("", (), False, 0, None, "")
    text = codec.encode(empty)
    # A number is always written; so is a field whose default is not its empty value, which
    # a row without it would otherwise read as the default.
    assert json.loads(text) == {"count": 0, "kept": ""}
    assert codec.decode(_Row, text) == empty
    full = _Row("a", ("b",), True, 2, "c", "d")
    assert json.loads(codec.encode(full)) == {
        "name": "a", "tags": ["b"], "seen": True, "count": 2, "maybe": "c", "kept": "d"}
    assert codec.decode(_Row, codec.encode(full)) == full
    assert codec.decode(_Row, '{"count": 1}') == _Row("", (), False, 1, None, "unset")
    # Rows written before empty fields were left out read the same.
    assert codec.decode(_Row, json.dumps(
        {"name": "", "tags": [], "seen": False, "count": 0, "maybe": None, "kept": ""})) == empty


def test_a_row_of_the_wrong_shape_is_an_error_not_a_guess() -> None:
    task = next(iter(project(scenario(4, 30), load_policy()).tasks))
    data = json.loads(codec.encode(task))
    data["attempts_made"] = "two"
    with pytest.raises(TypeError):
        codec.decode(CallbackTask, json.dumps(data))
    with pytest.raises(TypeError):
        codec.decode(CallbackTask, "[]")
