"""Projection scenarios from the work: tasks, conflicts, corrections, merges."""

from datetime import UTC, date, datetime, timedelta

from factories import callback, event, household, new_id, occurrence, offer

from fieldapp.domain.commands import check_against
from fieldapp.domain.events import EventType
from fieldapp.domain.projection import State, project
from fieldapp.domain.schedule import TaskState, TaskStatus
from fieldapp.resources import load_policy

AT = datetime(2026, 3, 10, 14, tzinfo=UTC)  # Tuesday; call-back due Tuesday 31 March
DUE = date(2026, 3, 31)


def base() -> tuple[str, str, list]:
    o, h = new_id(), new_id()
    return o, h, [occurrence(o, AT, oic="4321"), household(h, o, AT)]


def test_declined_offer_makes_a_task_for_the_oic_with_rule_and_policy_version() -> None:
    o, h, events = base()
    task = project([*events, offer(h, "declined", AT)], load_policy()).households[h].task
    assert task is not None
    assert (task.due, task.assignee, task.occurrence_id) == (DUE, "4321", o)
    assert task.policy_version == load_policy().version
    assert task.rule == "21 days after the offer was declined on 10/03/2026"
    assert task.status(DUE - timedelta(days=1)) is TaskStatus.UPCOMING
    assert task.status(DUE) is TaskStatus.DUE
    assert task.status(DUE + timedelta(days=1)) is TaskStatus.OVERDUE


def test_no_task_when_accepted_or_not_appropriate() -> None:
    for outcome in ("accepted", "not_appropriate"):
        _, h, events = base()
        assert project([*events, offer(h, outcome, AT)], load_policy()).households[h].task is None


def test_acceptance_anywhere_closes_the_call_back_and_is_shown_as_a_conflict() -> None:
    _, h, events = base()
    events += [offer(h, "declined", AT, device="a"),
               offer(h, "accepted", AT - timedelta(minutes=1), device="b")]
    state = project(events, load_policy())
    task = state.households[h].task
    assert task is not None and task.state is TaskState.DONE
    assert task.reason == "Accepted at arrest"
    [conflict] = state.conflicts.values()
    assert conflict.kind == "offer_outcomes_differ" and conflict.scope == h


def test_call_back_by_another_device_shows_done_elsewhere() -> None:
    _, h, events = base()
    events += [offer(h, "declined", AT, device="a"),
               callback(h, "accepted", AT + timedelta(days=21), device="b", author="999")]
    task = project(events, load_policy()).households[h].task
    assert task is not None
    assert task.status(DUE, viewer_device="a") is TaskStatus.DONE_ELSEWHERE
    assert task.status(DUE, viewer_device="b") is TaskStatus.DONE
    assert task.closed_by_author == "999"


def test_no_answer_retries_then_closes() -> None:
    _, h, events = base()
    events.append(offer(h, "declined", AT))
    day = AT + timedelta(days=21)
    for n in range(3):
        events.append(callback(h, "no_answer", day + timedelta(days=7 * n)))
        task = project(events, load_policy()).households[h].task
        assert task is not None
        assert task.attempts_made == n + 1
    assert task.state is TaskState.CLOSED and task.reason == "No answer after 3 attempts"


def test_concurrent_call_back_outcomes_acceptance_wins() -> None:
    _, h, events = base()
    events += [offer(h, "declined", AT),
               callback(h, "declined", AT + timedelta(days=22), device="a"),
               callback(h, "accepted", AT + timedelta(days=21), device="b")]
    state = project(events, load_policy())
    task = state.households[h].task
    assert task is not None and task.state is TaskState.DONE
    assert [c.kind for c in state.conflicts.values()] == ["callback_outcomes_differ"]


def test_correction_replaces_and_entered_in_error_voids() -> None:
    _, h, events = base()
    declined = offer(h, "declined", AT)
    events.append(declined)
    fix = event(EventType.EVENT_CORRECTED, h, {
        "target_id": declined.id, "target_type": "vcas_offered",
        "payload": {"outcome": "declined"}, "reason": "Wrong day",
        "occurred_at": "2026-03-11T10:00:00Z"}, AT + timedelta(days=1))
    task = project([*events, fix], load_policy()).households[h].task
    assert task is not None and task.due == date(2026, 4, 1)
    void = event(EventType.ENTERED_IN_ERROR, h, {"target_id": fix.id, "reason": "Oops"},
                 AT + timedelta(days=2))
    task = project([*events, fix, void], load_policy()).households[h].task
    assert task is not None and task.due == DUE
    void_offer = event(EventType.ENTERED_IN_ERROR, h, {"target_id": declined.id, "reason": "x"},
                       AT + timedelta(days=2))
    assert project([*events, void_offer], load_policy()).households[h].task is None


def test_retraction_filed_under_another_record_is_ignored() -> None:
    _, h, events = base()
    declined = offer(h, "declined", AT)
    stray = event(EventType.ENTERED_IN_ERROR, new_id(), {"target_id": declined.id, "reason": "x"},
                  AT + timedelta(days=1))
    assert project([*events, declined, stray], load_policy()).households[h].task is not None


def test_duplicate_household_is_flagged_then_merged_and_confirmed() -> None:
    o, h1, events = base()
    h2 = new_id()
    # Not the same address as far as the rule can tell (no town): the OIC decides.
    events += [household(h2, o, AT, address="1  high street", device="b"),
               offer(h1, "declined", AT, device="a"),
               callback(h2, "accepted", AT + timedelta(days=21), device="b")]
    state = project(events, load_policy())
    [dup] = state.conflicts.values()
    assert dup.kind == "possible_duplicate_household"
    merge = event(EventType.HOUSEHOLDS_MERGED, h2, {"merged_id": h1, "reason": "Same house"},
                  AT + timedelta(days=22))
    state = project([*events, merge], load_policy())
    [merged] = state.households.values()
    assert merged.id == min(h1, h2) and set(merged.merged_ids) == {h1, h2}
    assert merged.task is not None and merged.task.state is TaskState.DONE
    assert state.household_of(h1) == state.household_of(h2) == merged


def test_oic_confirms_a_conflict_with_a_new_event() -> None:
    _, h, events = base()
    events += [offer(h, "declined", AT, device="a"), offer(h, "not_present", AT, device="b")]
    [conflict] = project(events, load_policy()).conflicts.values()
    assert not conflict.confirmed_by
    ok = event(EventType.CONFLICT_CONFIRMED, h,
               {"conflict_key": conflict.key, "note": "Checked with both officers"},
               AT + timedelta(days=1), author="4321")
    [after] = project([*events, ok], load_policy()).conflicts.values()
    assert after.confirmed_by == "4321" and after.note == "Checked with both officers"


def test_reassignment_moves_the_task() -> None:
    _, h, events = base()
    events += [offer(h, "declined", AT),
               event(EventType.TASK_REASSIGNED, h, {"to_officer": "777", "reason": "Leave"},
                     AT + timedelta(days=1))]
    task = project(events, load_policy()).households[h].task
    assert task is not None and task.assignee == "777"


def test_capture_checks_need_local_state() -> None:
    o, h, events = base()
    declined = offer(h, "declined", AT)
    state = project([*events, declined], load_policy())
    early = callback(h, "accepted", AT - timedelta(days=1))
    assert [p.message for p in check_against(early, state)] == [
        "A call-back cannot be before the offer it follows (10/03/2026)."
    ]
    assert check_against(callback(new_id(), "accepted", AT), state)[0].message == (
        "Record the household first."
    )
    assert check_against(household(new_id(), new_id(), AT), state)[0].message == (
        "Record the occurrence first."
    )
    fix = event(EventType.EVENT_CORRECTED, new_id(), {
        "target_id": declined.id, "target_type": "vcas_offered",
        "payload": {"outcome": "declined"}, "reason": "x"}, AT)
    assert "same record" in check_against(fix, state, declined)[0].message
    assert check_against(callback(h, "no_answer", AT + timedelta(days=21)), state) == []


def test_recompute_reports_what_changed_for_the_sync_summary() -> None:
    from fieldapp.domain.projection import EventLookup, recompute

    o, h, events = base()
    declined = offer(h, "declined", AT, device="a")
    lookup = EventLookup([*events, declined])
    state = project([*events, declined], load_policy())
    done = callback(h, "accepted", AT + timedelta(days=21), device="b")
    lookup.add([done])
    after, changes = recompute(state, [done], lookup, load_policy(), viewer_device="a")
    assert changes.households == {h}
    assert changes.occurrences == {o}
    assert changes.tasks_closed == changes.tasks_done_elsewhere == (h,)
    assert changes.tasks_created == ()
    fresh = EventLookup([*events, declined])
    _, first = recompute(State(), [*events, declined], fresh, load_policy())
    assert first.tasks_created == (h,)


def test_confirming_an_occurrence_conflict_makes_no_household() -> None:
    o = new_id()
    events = [occurrence(o, AT, oic="1"), occurrence(o, AT + timedelta(hours=1), oic="2")]
    [conflict] = project(events, load_policy()).conflicts.values()
    assert conflict.scope == o
    ok = event(EventType.CONFLICT_CONFIRMED, o, {"conflict_key": conflict.key, "note": ""},
               AT + timedelta(days=1))
    state = project([*events, ok], load_policy())
    assert state.households == {}
    [after] = state.conflicts.values()
    assert after.confirmed_by == "1234"
