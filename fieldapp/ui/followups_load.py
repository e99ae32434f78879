"""The follow-up list's ops on the database worker: its first screen, then every call-back a
page at a time, and the rows a change touched.

What the officer waits for is the first screen: the open call-backs due soonest and the tabs'
counts (from an index), whatever the profile holds. The rest is read after it, a page per op,
so a save or a sync waits behind one page, never behind 100,000 rows; the filter and the sort
then work on every row (followups_model.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date

from fieldapp.domain.projection import Changes
from fieldapp.domain.schedule import TaskState, task_status
from fieldapp.domain.views import Conflict
from fieldapp.store import PlainTask, Store, TaskCounts, TaskRow
from fieldapp.ui.followups_conflicts import Named, name_conflicts
from fieldapp.ui.followups_model import Held, Prepared, held, prepare_held

FIRST_SCREEN = 200  # open call-backs read before the list shows: more than a screen holds
PAGE = 20_000  # call-backs read per op after the first screen
_STATES = {state.value: state for state in TaskState}


@dataclass(frozen=True)
class Loaded:
    rows: Prepared
    conflicts: tuple[Named, ...]  # the open conflicts, each with the words naming its record


@dataclass(frozen=True)
class Context:
    """What every page's rows need beside their tasks, read once with the first screen."""

    today: date
    device: str
    conflicts: tuple[Conflict, ...]
    escalated: frozenset[str]  # occurrences with a suicide or self-harm risk escalated


@dataclass(frozen=True)
class FirstScreen:
    loaded: Loaded
    counts: TaskCounts
    context: Context


@dataclass(frozen=True)
class Page:
    rows: list[Held]
    last: PlainTask | None  # where the next page starts; None: this was the last


def rows_of(
    tasks: Iterable[PlainTask], open_conflicts: Iterable[Conflict], today: date, device: str,
    escalated: Collection[str] = frozenset(),
) -> list[Held]:
    """Follow-up rows, as the list holds them, for these call-back tasks; `escalated`:
    occurrences with a risk escalated."""
    conflicts = Counter(c.scope for c in open_conflicts)
    return [
        held(
            household, occurrence, day,
            task_status(_STATES[state], day, closed_by_device, today, device), reference,
            postcode, district, assignee, attempts, rule if state == TaskState.OPEN else reason,
            closed_by, conflicts[household], occurrence in escalated,
        )
        for (
            household, occurrence, reference, district, postcode, assignee, due, state,
            attempts, rule, reason, closed_by, closed_by_device,
        ) in tasks
        for day in (date.fromisoformat(due),)
    ]


def plain(tasks: Iterable[TaskRow]) -> list[PlainTask]:
    """TaskRows (the first screen's, a change's: a few) as a page of the list gives them."""
    return [(*task[:6], task.due.isoformat(), task.state.value, *task[8:]) for task in tasks]


def load_first(store: Store, today: date, device: str, size: int = FIRST_SCREEN) -> FirstScreen:
    conflicts = tuple(store.conflicts())
    context = Context(today, device, conflicts, frozenset(store.escalated_occurrences()))
    tasks = plain(store.first_open_tasks(size))
    rows = rows_of(tasks, conflicts, today, device, context.escalated)
    loaded = Loaded(prepare_held(rows), name_conflicts(store, conflicts))
    return FirstScreen(loaded, store.task_counts(today), context)


def load_page(store: Store, context: Context, after: PlainTask | None, size: int = PAGE) -> Page:
    # Plain columns, not the stored views: decoding 100,000 of those took seconds. And no
    # object per row that the garbage collector keeps walking (PlainTask, Held).
    tasks = store.plain_task_page(None if after is None else (after[6], after[0]), size)
    rows = rows_of(tasks, context.conflicts, context.today, context.device, context.escalated)
    return Page(rows, tasks[-1] if len(tasks) == size else None)


def load_changed(store: Store, changes: Changes, today: date, device: str) -> Loaded:
    """Only what a change touched: the call-backs of its households, without a full load."""
    tasks = store.task_rows(changes.households)
    conflicts = store.conflicts()
    escalated = store.escalated_occurrences(t.occurrence_id for t in tasks)
    return Loaded(
        prepare_held(rows_of(plain(tasks), conflicts, today, device, escalated)),
        name_conflicts(store, conflicts),
    )


def merged(a: Changes, b: Changes) -> Changes:
    """The households and occurrences of both (what the list redraws from)."""
    return Changes(
        households=a.households | b.households, occurrences=a.occurrences | b.occurrences
    )
