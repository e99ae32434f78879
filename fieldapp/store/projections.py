"""Projection tables, kept in step with the log inside the same transaction.

After new events are inserted, the domain re-projects only the connected component they
touch (`component` over the SQL index of related keys, then `project`), and the rows that
component covers are replaced, exactly as `splice` replaces them in memory. Each row stores
the view's JSON plus the columns the read queries filter on (and, for tasks, what the
call-back list shows, so that listing them all decodes no JSON).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from fieldapp.domain.events import Event, event_from_json
from fieldapp.domain.identity import postcode_key
from fieldapp.domain.policy import SchedulePolicy
from fieldapp.domain.projection import (
    Changes,
    EventLookup,
    State,
    component,
    linked_keys,
    project,
    splice,
)
from fieldapp.domain.referral import Referral
from fieldapp.domain.schedule import CallbackTask
from fieldapp.domain.views import Conflict, HouseholdView, OccurrenceView
from fieldapp.store import codec, search
from fieldapp.store.db import Connection, Database

T = TypeVar("T")

# Bump when what is stored in the projection tables changes shape or meaning: every profile
# then rebuilds its projections from the log on its next unlock.
# 3: occurrences with one reference, and households with one address under them, are joined.
PROJECTION_FORMAT = "3"


class SqlLookup(EventLookup):
    """`component`'s lookup, answered from the `related` index (`linked_keys`) instead of
    memory: a new household finds its join partners by its occurrence's reference key.

    `known` are events already in memory (the batch just inserted): they are not read back
    from their JSON. `complete` are keys whose every event is in memory, besides those of
    `known` (`Recent`): they are answered without SQL."""

    def __init__(
        self, conn: Connection, known: Iterable[Event] = (),
        complete: Mapping[str, Sequence[Event]] | None = None,
    ) -> None:
        super().__init__()
        self._conn = conn
        self._parsed: dict[str, Event] = {e.id: e for e in known}
        self._complete = complete or {}
        self._known_by_key = _by_key(self._parsed.values()) if self._complete else {}

    def __call__(self, key: str) -> list[Event]:
        return self.many([key])

    def many(self, keys: Iterable[str]) -> list[Event]:
        wanted = set(keys)
        held = wanted & self._complete.keys()
        found = [event for key in held
                 for event in (*self._complete[key], *self._known_by_key.get(key, ()))]
        if held == wanted:
            return found
        rows = self._conn.execute(
            "SELECT DISTINCT e.id, e.body FROM json_each(?) AS k "
            "CROSS JOIN related r ON r.key = k.value CROSS JOIN events e ON e.seq = r.event_seq",
            (_ids(wanted - held),),
        ).fetchall()
        for event_id, body in rows:
            event = self._parsed.get(event_id)
            if event is None:
                event = self._parsed[event_id] = event_from_json(body)
            found.append(event)
        return found


def _by_key(events: Iterable[Event]) -> dict[str, list[Event]]:
    by_key: dict[str, list[Event]] = {}
    for event in events:
        for key in linked_keys(event):
            by_key.setdefault(key, []).append(event)
    return by_key


RECENT_EVENTS = 200  # the most events `Recent` holds: one case's are a few dozen


class Recent:
    """The component the last save re-projected, and the rows it was written as.

    An officer records a case one action at a time, so the next save usually touches the
    same component: with this, its walk and the rows it replaces come from memory, and only
    what the new events add (a new household's key) is read from SQL and parsed. A component
    is closed over its keys, so for a key of it the events are its own plus the new ones,
    and the rows that key covers are the ones written last time.

    That holds only while nothing else writes events or projection rows: the store clears
    this on every other such write of its own, and `PRAGMA data_version` (which changes only
    when another connection commits) clears it after another's. A save that fails clears it
    too (the store's part), since what it remembered was never committed."""

    def __init__(self) -> None:
        self._version: int | None = None
        self._by_key: dict[str, list[Event]] = {}
        self._state = State()

    def clear(self) -> None:
        self._version, self._by_key, self._state = None, {}, State()

    def held(self, conn: Connection) -> tuple[Mapping[str, Sequence[Event]], State]:
        """The keys whose every event is known, with those events, and the rows written for
        them; nothing once another connection has committed since."""
        if self._version is not None and self._version != _data_version(conn):
            self.clear()
        return self._by_key, self._state

    def remember(self, conn: Connection, events: Sequence[Event], state: State) -> None:
        """Hold this component, unless it is a batch's many cases (a capture or an import
        of hundreds of events), which the next save would not touch again."""
        if len(events) > RECENT_EVENTS:
            self.clear()
            return
        self._by_key, self._state = _by_key(events), state
        self._version = _data_version(conn)


def _data_version(conn: Connection) -> int:
    version: int = conn.execute("PRAGMA data_version").fetchone()[0]
    return version


def _covered(state: State, keys: Collection[str]) -> State:
    """The rows of `state` that `load_state(conn, keys)` reads, found as it finds them."""
    return State(
        {k: v for k, v in state.occurrences.items()
         if any(alias in keys for alias in (v.joined_ids or (v.id,)))},
        {k: v for k, v in state.households.items() if any(a in keys for a in v.merged_ids)},
        {k: c for k, c in state.conflicts.items() if c.scope in keys},
    )


def _ids(values: Iterable[str]) -> str:
    return json.dumps(sorted(set(values)))


def load_state(conn: Connection, keys: Collection[str] | None = None) -> State:
    """Projected state from the tables: all of it, or what `keys` cover (as in `splice`)."""
    if keys is None:
        occ = conn.execute("SELECT body FROM occurrences").fetchall()
        hh = conn.execute("SELECT body FROM households").fetchall()
        con = conn.execute("SELECT body FROM conflicts").fetchall()
    else:
        # CROSS JOIN keeps the key list as the outer loop, so each key is one index probe
        # whatever the planner thinks of the tables' sizes.
        wanted = _ids(keys)
        # A key is a record's own id, or an alias naming the record it is now part of.
        occ = conn.execute(
            "SELECT DISTINCT o.body FROM json_each(?) AS k CROSS JOIN occurrences o "
            "ON o.id = coalesce((SELECT a.occurrence_id FROM occurrence_aliases a "
            "WHERE a.alias = k.value), k.value)",
            (wanted,),
        ).fetchall()
        hh = conn.execute(
            "SELECT DISTINCT h.body FROM json_each(?) AS k CROSS JOIN households h "
            "ON h.id = coalesce((SELECT a.household_id FROM household_aliases a "
            "WHERE a.alias = k.value), k.value)",
            (wanted,),
        ).fetchall()
        con = conn.execute(
            "SELECT c.body FROM json_each(?) AS k CROSS JOIN conflicts c ON c.scope = k.value",
            (wanted,),
        ).fetchall()
    occurrences = (codec.decode(OccurrenceView, body) for (body,) in occ)
    households = (codec.decode(HouseholdView, body) for (body,) in hh)
    conflicts = (codec.decode(Conflict, body) for (body,) in con)
    return State(
        {v.id: v for v in occurrences},
        {v.id: v for v in households},
        {c.key: c for c in conflicts},
    )


@dataclass(frozen=True)
class _Table(Generic[T]):
    """How one projection table holds values of T: its key column, the columns it filters
    on (`cells` gives their values) and, if it has one, the `body` column holding the JSON of
    `body_of(value)`."""

    name: str
    key: str
    columns: tuple[str, ...]
    cells: Callable[[str, T], tuple[object, ...]]
    body_of: Callable[[T], object] | None = None

    def upsert(self) -> str:
        columns = (self.key, *self.columns, *(("body",) if self.body_of else ()))
        return (
            f"INSERT INTO {self.name} ({', '.join(columns)}) "  # noqa: S608 (constant names)
            f"VALUES ({', '.join('?' * len(columns))}) ON CONFLICT ({self.key}) DO UPDATE SET "
            + ", ".join(f"{c} = excluded.{c}" for c in columns[1:])
        )

    def row(self, key: str, value: T) -> tuple[object, ...]:
        body = (codec.encode(self.body_of(value)),) if self.body_of else ()
        return (key, *self.cells(key, value), *body)


def _sync(conn: Connection, table: _Table[T], old: Mapping[str, T], new: Mapping[str, T]) -> None:
    """Delete the rows `new` no longer has; write only the rows whose content changed.

    A row already held is updated in only the columns whose value changed: SQLite rewrites
    an index only when the UPDATE sets one of its columns, so a call-back attempt that changes
    a task's count leaves the index by state alone, and a household's new offer leaves the
    index by occurrence alone (each index entry rewritten is a page written at commit)."""
    gone = [(key,) for key in sorted(set(old) - set(new))]
    if gone:
        conn.executemany(f"DELETE FROM {table.name} WHERE {table.key} = ?", gone)  # noqa: S608
    fresh = []
    updates: dict[tuple[str, ...], list[tuple[object, ...]]] = {}
    for key, value in new.items():
        if key not in old:
            fresh.append(table.row(key, value))
            continue
        before = old[key]
        if before == value:
            continue
        pairs = zip(table.columns, table.cells(key, before), table.cells(key, value), strict=True)
        changed = [(column, now) for column, then, now in pairs if then != now]
        if table.body_of is not None and table.body_of(before) != table.body_of(value):
            changed.append(("body", codec.encode(table.body_of(value))))
        if changed:
            names = tuple(column for column, _ in changed)
            updates.setdefault(names, []).append((*(v for _, v in changed), key))
    if fresh:
        conn.executemany(table.upsert(), fresh)
    for names, rows in updates.items():
        conn.executemany(
            f"UPDATE {table.name} SET {', '.join(f'{n} = ?' for n in names)} "  # noqa: S608
            f"WHERE {table.key} = ?",
            rows,
        )


# The alias tables name only ids another record is known by (from schema version 10): a
# record's own id is its row's key, and a row of its own in the alias table was one more
# random-keyed b-tree entry written for every new household and occurrence.
def _aliases(state: State) -> dict[str, str]:
    return {alias: v.id for v in state.households.values() for alias in v.merged_ids
            if alias != v.id}


def _occurrence_aliases(state: State) -> dict[str, str]:
    return {alias: v.id for v in state.occurrences.values() for alias in v.joined_ids
            if alias != v.id}


_TaskRow = tuple[str, str, str, str, str, CallbackTask]


def _tasks(state: State) -> dict[str, _TaskRow]:
    # A household is in the same component as its occurrence, so a task's occurrence
    # columns come from the same state and stay in step when the occurrence is corrected.
    rows = {}
    for view in state.households.values():
        task = view.task
        if task is not None:
            occurrence = state.occurrences.get(task.occurrence_id)
            rows[view.id] = (
                task.occurrence_id, occurrence.reference if occurrence else "",
                occurrence.district if occurrence else "", view.postcode, task.assignee, task,
            )
    return rows


_ReferralRow = tuple[str, str, str, str, str, Referral]


def _referrals(state: State) -> dict[str, _ReferralRow]:
    rows = {}
    for view in state.households.values():
        referral = view.referral
        if referral is not None:
            occurrence = state.occurrences.get(view.occurrence_id)
            assignee = view.task.assignee if view.task else (occurrence.oic if occurrence else "")
            rows[view.id] = (
                view.occurrence_id, occurrence.reference if occurrence else "",
                occurrence.district if occurrence else "", view.postcode, assignee, referral,
            )
    return rows


def _itself(value: T) -> T:
    return value


def _task_cells(key: str, row: _TaskRow) -> tuple[object, ...]:
    task = row[5]
    return (
        *row[:5], task.due.isoformat(), task.state.value, task.attempts_made, task.rule,
        task.reason, task.closed_by_author, task.closed_by_device,
    )


def _referral_cells(key: str, row: _ReferralRow) -> tuple[object, ...]:
    return (*row[:5], row[5].due.isoformat(), row[5].state.value)


_PLACE = ("occurrence_id", "occurrence_reference", "district", "postcode", "assignee", "due",
          "state")
_OCCURRENCES = _Table[OccurrenceView](
    "occurrences", "id", ("reference", "district"),
    lambda key, v: (v.reference, v.district), _itself,
)
_HOUSEHOLDS = _Table[HouseholdView](
    "households", "id", ("occurrence_id", "postcode_key"),
    lambda key, v: (v.occurrence_id, postcode_key(v.postcode)), _itself,
)
_HOUSEHOLD_ALIASES = _Table[str](
    "household_aliases", "alias", ("household_id",), lambda key, household: (household,)
)
_OCCURRENCE_ALIASES = _Table[str](
    "occurrence_aliases", "alias", ("occurrence_id",), lambda key, occurrence: (occurrence,)
)
_TASKS = _Table[_TaskRow](
    "tasks", "household_id",
    (*_PLACE, "attempts_made", "rule", "reason", "closed_by_author", "closed_by_device"),
    _task_cells, lambda row: row[5],
)
_REFERRALS = _Table[_ReferralRow](
    "referrals", "household_id", _PLACE, _referral_cells, lambda row: row[5]
)
_CONFLICTS = _Table[Conflict](
    "conflicts", "key", ("scope", "confirmed"),
    lambda key, c: (c.scope, int(bool(c.confirmed_by))), _itself,
)


def _write(conn: Connection, old: State, new: State) -> None:
    """Turn the rows that held `old` into rows holding `new`."""
    _sync(conn, _OCCURRENCES, old.occurrences, new.occurrences)
    _sync(conn, _HOUSEHOLDS, old.households, new.households)
    _sync(conn, _HOUSEHOLD_ALIASES, _aliases(old), _aliases(new))
    _sync(conn, _OCCURRENCE_ALIASES, _occurrence_aliases(old), _occurrence_aliases(new))
    _sync(conn, _TASKS, _tasks(old), _tasks(new))
    _sync(conn, _REFERRALS, _referrals(old), _referrals(new))
    _sync(conn, _CONFLICTS, old.conflicts, new.conflicts)
    search.write(conn, _documents(old), _documents(new))


def _documents(state: State) -> dict[str, search.Document]:
    return {
        **{key: search.occurrence_document(v) for key, v in state.occurrences.items()},
        **{key: search.household_document(v) for key, v in state.households.items()},
    }


def recompute(
    conn: Connection, fresh: Sequence[Event], policy: SchedulePolicy, viewer_device: str = "",
    recent: Recent | None = None,
) -> Changes:
    """Re-project the component `fresh` touches (already inserted) and replace its rows.
    With `recent`, what it holds is not read again, and it then holds this component."""
    if not fresh:
        return Changes()
    complete, written = recent.held(conn) if recent is not None else ({}, State())
    lookup = SqlLookup(conn, fresh, complete)
    connected = component({k for e in fresh for k in linked_keys(e)}, lookup)
    keys = {k for e in connected for k in linked_keys(e)}
    part = project(connected, policy)
    unread = keys - complete.keys()
    read = load_state(conn, unread) if unread else State()
    old = _covered(written, keys & complete.keys())
    old = State({**old.occurrences, **read.occurrences}, {**old.households, **read.households},
                {**old.conflicts, **read.conflicts})
    _, changes = splice(old, part, keys, viewer_device)
    # What splice replaces is exactly `old` (the rows `keys` cover), so `old` becomes `part`.
    _write(conn, old, part)
    if recent is not None:
        recent.remember(conn, connected, part)
    return changes


def forget(
    conn: Connection, keys: Collection[str], policy: SchedulePolicy, viewer_device: str = ""
) -> Changes:
    """Re-project what is left around `keys` after events relating to them were deleted.

    `keys` are every linked key of the deleted events. Whatever remains connected to them is
    reached from them, so the keys of what remains plus `keys` cover every row the deleted
    events' components held: those rows are replaced by the projection of what remains.
    """
    if not keys:
        return Changes()
    connected = component(keys, SqlLookup(conn))
    covered = set(keys) | {k for e in connected for k in linked_keys(e)}
    part = project(connected, policy)
    old = load_state(conn, covered)
    _, changes = splice(old, part, covered, viewer_device)
    _write(conn, old, part)
    return changes


def _stamp(policy: SchedulePolicy) -> str:
    return f"{PROJECTION_FORMAT}|{policy.version}"


def rebuild(conn: Connection, policy: SchedulePolicy) -> None:
    """Recompute every projection row from the whole log (inside the caller's transaction)."""
    for table in ("occurrences", "occurrence_aliases", "households", "household_aliases",
                  "tasks", "referrals", "conflicts"):
        conn.execute(f"DELETE FROM {table}")  # noqa: S608
    search.clear(conn)
    events = [event_from_json(body) for (body,) in conn.execute("SELECT body FROM events")]
    _write(conn, State(), project(events, policy))
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('projection', ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (_stamp(policy),),
    )


def ensure_current(db: Database, policy: SchedulePolicy) -> bool:
    """Rebuild if the tables were computed under another policy or format; True if it did."""
    with db.reading() as conn:
        row = conn.execute("SELECT value FROM meta WHERE key = 'projection'").fetchone()
    if row is not None and row[0] == _stamp(policy):
        return False
    with db.transaction() as conn:
        rebuild(conn, policy)
    return True
