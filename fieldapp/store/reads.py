"""What the app reads: tasks for a London day, households, search, conflicts, totals.

Every query here is served by an index (tests/store/test_query_plans.py checks each plan).
There is no clock in the store: the caller passes `today` (a Europe/London calendar day).
Reads do not write, except `search` (logged as a consultation, as an officer asked for it);
the UI logs a record it shows in detail with `note_consultation`, since the same reads also
serve lists and refreshes that nobody opened.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar, NamedTuple

from fieldapp.domain.events import Event, EventType, event_from_json, normalise_postcode
from fieldapp.domain.problems import format_utc, parse_utc
from fieldapp.domain.projection import State, component, linked_keys
from fieldapp.domain.referral import Referral
from fieldapp.domain.schedule import CallbackTask, TaskState, TaskStatus, task_status
from fieldapp.domain.views import Conflict, HouseholdView, OccurrenceView
from fieldapp.store import access, codec
from fieldapp.store.access import AccessEntry, Action
from fieldapp.store.db import Database
from fieldapp.store.projections import SqlLookup, load_state
from fieldapp.store.throttle import Clock

_OPEN = (TaskStatus.OVERDUE, TaskStatus.DUE, TaskStatus.UPCOMING)
_CLOSED_STATE = {
    TaskStatus.DONE: "done",
    TaskStatus.DONE_ELSEWHERE: "done",
    TaskStatus.CLOSED: "closed",
}
# Which open tasks a set of statuses selects, as a condition on `due` against today.
_DUE_RANGE = {
    frozenset(_OPEN): "",
    frozenset({TaskStatus.OVERDUE, TaskStatus.DUE}): "due <= :today",
    frozenset({TaskStatus.DUE, TaskStatus.UPCOMING}): "due >= :today",
    frozenset({TaskStatus.OVERDUE, TaskStatus.UPCOMING}): "due <> :today",
    frozenset({TaskStatus.OVERDUE}): "due < :today",
    frozenset({TaskStatus.DUE}): "due = :today",
    frozenset({TaskStatus.UPCOMING}): "due > :today",
}
RANKED = 200  # matches ranked at most, the newest (see search)


def match_query(text: str) -> str:
    """The FTS5 query for what an officer typed: each word, as a quoted prefix, all needed.

    Quoting makes any character safe (FTS5 operators typed are just words); a word of
    punctuation alone says nothing and is dropped. Under two letters or digits in all, no
    search: too many records would match to be of use.
    """
    words = [w for w in text.split() if any(c.isalnum() for c in w)]
    if sum(c.isalnum() for w in words for c in w) < 2:
        return ""
    return " AND ".join('"' + w.replace('"', '""') + '"*' for w in words)


class ReferralRow(NamedTuple):
    """A VCAS referral as the Referrals tab lists it, with its household's place."""

    household_id: str
    occurrence_id: str
    occurrence_reference: str
    district: str
    postcode: str
    assignee: str
    referral: Referral


@dataclass(frozen=True)
class SearchResults:
    occurrences: tuple[OccurrenceView, ...]
    households: tuple[HouseholdView, ...]


class TaskRow(NamedTuple):
    """A call-back task as a list shows it, read from the `tasks` table's columns with no JSON
    decoded: the task's own fields, its occurrence's reference and district, and its
    household's postcode. A named tuple because lists make 100,000 of them at once, and a
    frozen dataclass takes five times as long to make."""

    household_id: str
    occurrence_id: str
    occurrence_reference: str
    district: str
    postcode: str
    assignee: str
    due: date
    state: TaskState
    attempts_made: int
    rule: str
    reason: str
    closed_by_author: str
    closed_by_device: str

    @property
    def is_closed(self) -> bool:
        return self.state is not TaskState.OPEN

    def status(self, today: date, viewer_device: str = "") -> TaskStatus:
        return task_status(self.state, self.due, self.closed_by_device, today, viewer_device)


_TASK_ROW = (
    "t.household_id, t.occurrence_id, t.occurrence_reference, t.district, t.postcode, "
    "t.assignee, t.due, t.state, t.attempts_made, t.rule, t.reason, t.closed_by_author, "
    "t.closed_by_device"
)
_STATES = {state.value: state for state in TaskState}  # a dict lookup is faster per row
# A task's _TASK_ROW columns as SQLite gives them (due an ISO date, state its value). The
# follow-ups list reads 100,000 of these: a plain tuple of strings and numbers the garbage
# collector stops walking after one pass, where a TaskRow (a named tuple) it walks at every
# collection while it lives, and those collections hold the UI thread (the GIL).
PlainTask = tuple[str, str, str, str, str, str, str, str, int, str, str, str, str]


def _task_rows(rows: Iterable[Any]) -> list[TaskRow]:
    return [
        TaskRow(
            household, occurrence, reference, district, postcode, assignee,
            date.fromisoformat(due), _STATES[state], attempts, rule, reason, author, device,
        )
        for (
            household, occurrence, reference, district, postcode, assignee, due, state,
            attempts, rule, reason, author, device,
        ) in rows
    ]


class TaskCounts(NamedTuple):
    """How many call-backs stand where on a London day: the open ones by their due day
    against today, and the finished ones (done here, done elsewhere, closed) together, as
    the follow-ups' tabs show them. Counted from an index, without reading a row."""

    overdue: int = 0
    due: int = 0
    upcoming: int = 0
    finished: int = 0

    def of(self, statuses: Collection[TaskStatus]) -> int:
        """How many have one of these statuses; any finished one asked counts all three."""
        wanted = set(statuses)
        return (
            self.overdue * (TaskStatus.OVERDUE in wanted)
            + self.due * (TaskStatus.DUE in wanted)
            + self.upcoming * (TaskStatus.UPCOMING in wanted)
            + self.finished * bool(wanted - set(_OPEN))
        )


def _task_counts(conn: Any, today: date) -> TaskCounts:
    # One pass over the narrow (state, due) index: the table's rows hold the JSON.
    return TaskCounts(*conn.execute(
        "SELECT count(*) FILTER (WHERE state = 'open' AND due < :d), "
        "count(*) FILTER (WHERE state = 'open' AND due = :d), "
        "count(*) FILTER (WHERE state = 'open' AND due > :d), "
        "count(*) FILTER (WHERE state <> 'open') FROM tasks INDEXED BY tasks_by_state",
        {"d": today.isoformat()},
    ).fetchone())


@dataclass(frozen=True)
class Totals:
    events: int
    occurrences: int
    households: int
    tasks_overdue: int
    tasks_due: int
    tasks_upcoming: int
    conflicts_open: int
    outbox_pending: int
    outbox_rejected: int
    # VCAS referrals still to send (with consent): due today, and past their due day.
    referrals_due: int = 0
    referrals_overdue: int = 0


def _task_where(
    today: date,
    statuses: Collection[TaskStatus],
    filters: dict[str, str],
) -> tuple[str, dict[str, str]]:
    params = {"today": today.isoformat(), **filters}
    terms = []
    wanted_open = frozenset(statuses) & frozenset(_OPEN)
    if wanted_open:
        due = _DUE_RANGE[wanted_open]
        terms.append(f"(state = 'open' AND {due})" if due else "state = 'open'")
    closed = sorted({_CLOSED_STATE[s] for s in statuses if s in _CLOSED_STATE})
    for i, state in enumerate(closed):
        params[f"state{i}"] = state
        terms.append(f"state = :state{i}")
    if not terms:
        raise ValueError("choose at least one task status")
    where = " OR ".join(terms)
    if filters:
        where = " AND ".join([*(f"{column} = :{column}" for column in filters), f"({where})"])
    return where, params


class StoreReads:
    _db: Database
    _clock: Clock
    actor: str

    _LIMIT: ClassVar[int] = 500

    def note_consultation(self, kind: str, subject_id: str, detail: str = "opened") -> None:
        """Log that the officer looked at a record (the UI calls this when a detail opens)."""
        at = format_utc(self._clock())
        with self._db.transaction() as conn:
            access.write(
                conn, [(at, self.actor, Action.CONSULTATION.value, kind, subject_id, detail)]
            )

    # ----------------------------------------------------------------- events

    def event(self, event_id: str) -> Event | None:
        with self._db.reading() as conn:
            row = conn.execute("SELECT body FROM events WHERE id = ?", (event_id,)).fetchone()
        return event_from_json(row[0]) if row else None

    def held_bodies(self, ids: Iterable[str]) -> dict[str, str]:
        """The canonical JSON of those of these events held here, by id: sync needs not
        validate again a pulled copy that is byte for byte one of them."""
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        with self._db.reading() as conn:
            # Which are held is read from the index on id alone; bodies only for those (a
            # page usually holds none of them, and the lookup is on the pull's critical path).
            held = [row[0] for row in conn.execute(
                "SELECT e.id FROM json_each(?) AS k CROSS JOIN events e ON e.id = k.value",
                (json.dumps(wanted),),
            )]
            return dict(conn.execute(
                "SELECT e.id, e.body FROM json_each(?) AS k CROSS JOIN events e ON e.id = k.value",
                (json.dumps(held),),
            ).fetchall()) if held else {}

    def iter_events(self, batch: int = 1000) -> Iterator[Event]:
        """The whole log in local order, read in batches."""
        after = 0
        while True:
            with self._db.reading() as conn:
                rows = conn.execute(
                    "SELECT seq, body FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
                    (after, batch),
                ).fetchall()
            if not rows:
                return
            after = rows[-1][0]
            yield from (event_from_json(body) for _, body in rows)

    def case_events(self, keys: Iterable[str]) -> list[Event]:
        """Every event connected to `keys` (the whole case a record is part of: its
        occurrence, households and their records), for the authority rule and for what a
        change would do."""
        with self._db.reading() as conn:
            return component(keys, SqlLookup(conn))

    def occurrences_without_leaflets(self, oic: str | None = None) -> list[OccurrenceView]:
        """Occurrences with no leaflet outcome recorded (of one OIC's, if given): the few the
        follow-ups name as "Leaflets not recorded". Chosen in SQL from the stored views, so
        only those few are decoded, not every one: at 100,000 occurrences, decoding each took
        seconds, and finding them by their related events (each event's row read) one more.
        Still one pass over every occurrence's row: a table kept by triggers, as for the
        escalated ones, would make it the few alone."""
        with self._db.reading() as conn:
            rows = conn.execute(
                "SELECT o.body FROM occurrences o INDEXED BY sqlite_autoindex_occurrences_1 "
                # codec.py leaves an empty list out of the row, so "none" is a missing key too.
                "WHERE coalesce(json_array_length(o.body, '$.leaflet_issues'), 0) = 0 "
                "AND (?1 IS NULL OR json_extract(o.body, '$.oic') = ?1)",
                (oic,),
            ).fetchall()
        return [codec.decode(OccurrenceView, body) for (body,) in rows]

    def events_of_type(self, event_type: EventType) -> list[Event]:
        """Every event of one type, in local order (partner reports for the figures: they
        belong to no household, so no projection table holds them)."""
        with self._db.reading() as conn:
            rows = conn.execute(
                "SELECT body FROM events WHERE type = ? ORDER BY seq", (event_type.value,)
            ).fetchall()
        return [event_from_json(body) for (body,) in rows]

    def skewed_ids(self) -> list[str]:
        with self._db.reading() as conn:
            rows = conn.execute("SELECT id FROM events WHERE skewed = 1 ORDER BY seq").fetchall()
        return [r[0] for r in rows]

    # ----------------------------------------------------------------- projections

    def state(self) -> State:
        """The whole projected state (for the figures)."""
        with self._db.reading() as conn:
            return load_state(conn)

    def state_for(self, events: Iterable[Event]) -> State:
        """What the records these events relate to look like now: enough for check_against."""
        keys = {key for event in events for key in linked_keys(event)}
        with self._db.reading() as conn:
            return load_state(conn, keys)

    def household(self, household_id: str) -> HouseholdView | None:
        """One household, also by the id of a household merged into it."""
        with self._db.reading() as conn:
            row = conn.execute(
                "SELECT body FROM households WHERE id = coalesce("
                "(SELECT household_id FROM household_aliases WHERE alias = ?), ?)",
                (household_id, household_id),
            ).fetchone()
        return codec.decode(HouseholdView, row[0]) if row else None

    def occurrence(self, occurrence_id: str) -> OccurrenceView | None:
        with self._db.reading() as conn:
            # Also by the id of an occurrence joined with it (one reference).
            row = conn.execute(
                "SELECT body FROM occurrences WHERE id = coalesce("
                "(SELECT occurrence_id FROM occurrence_aliases WHERE alias = ?), ?)",
                (occurrence_id, occurrence_id),
            ).fetchone()
        return codec.decode(OccurrenceView, row[0]) if row else None

    def households(self, occurrence_id: str) -> list[HouseholdView]:
        """The households recorded on one occurrence (also by the id of one joined with it)."""
        with self._db.reading() as conn:
            rows = conn.execute(
                "SELECT body FROM households WHERE occurrence_id = coalesce("
                "(SELECT occurrence_id FROM occurrence_aliases WHERE alias = ?), ?) ORDER BY id",
                (occurrence_id, occurrence_id),
            ).fetchall()
        return [codec.decode(HouseholdView, body) for (body,) in rows]

    def tasks(
        self,
        today: date,
        statuses: Collection[TaskStatus] = (TaskStatus.OVERDUE, TaskStatus.DUE),
        *,
        assignee: str | None = None,
        district: str | None = None,
        occurrence_reference: str | None = None,
        postcode: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[CallbackTask]:
        """Call-back tasks with these statuses on `today`, soonest due first."""
        filters = {
            column: value
            for column, value in (
                ("assignee", assignee),
                ("district", district),
                ("occurrence_reference", occurrence_reference.upper() if occurrence_reference
                 else None),
                ("postcode", normalise_postcode(postcode) if postcode else None),
            )
            if value is not None
        }
        where, params = _task_where(today, statuses, filters)
        with self._db.reading() as conn:
            rows = conn.execute(
                f"SELECT body FROM tasks WHERE {where} "  # noqa: S608 (fixed column names)
                "ORDER BY due, household_id LIMIT :limit OFFSET :offset",
                {**params, "limit": limit or self._LIMIT, "offset": offset},
            ).fetchall()
        return [codec.decode(CallbackTask, body) for (body,) in rows]

    def _household_rows(
        self, columns: str, table: str, household_ids: Iterable[str] | None
    ) -> list[Any]:
        """These columns of a per-household table (`t`): every row, soonest due first, or
        those of these households (in no order), joined through one JSON array."""
        with self._db.reading() as conn:
            if household_ids is None:
                rows: list[Any] = conn.execute(
                    f"SELECT {columns} FROM {table} t "  # noqa: S608 (fixed names only)
                    "ORDER BY t.due, t.household_id"
                ).fetchall()
            else:
                rows = conn.execute(
                    f"SELECT {columns} FROM json_each(?) AS k "  # noqa: S608 (as above)
                    f"CROSS JOIN {table} t ON t.household_id = k.value",
                    (json.dumps(sorted(set(household_ids))),),
                ).fetchall()
        return rows

    def escalated_occurrences(self, occurrence_ids: Iterable[str] | None = None) -> set[str]:
        """The occurrences where a suicide or self-harm risk was escalated (every one, or
        those of these), from the small table triggers keep (schema version 8)."""
        with self._db.reading() as conn:
            if occurrence_ids is None:
                rows = conn.execute("SELECT id FROM escalated_occurrences").fetchall()
            else:
                rows = conn.execute(
                    "SELECT e.id FROM json_each(?) AS k "
                    "CROSS JOIN escalated_occurrences e ON e.id = k.value",
                    (json.dumps(sorted(set(occurrence_ids))),),
                ).fetchall()
        return {occurrence for (occurrence,) in rows}

    def task_rows(self, household_ids: Iterable[str] | None = None) -> list[TaskRow]:
        """Every call-back task, soonest due first, or those of these households (in no
        order). For lists of many tasks: `tasks` decodes each one's JSON, which takes
        seconds at 100,000."""
        return _task_rows(self._household_rows(_TASK_ROW, "tasks", household_ids))

    def plain_task_page(self, after: tuple[str, str] | None, limit: int) -> list[PlainTask]:
        """The next `limit` call-back tasks after the (due, household id) key `after` (from
        the first if None), soonest due first, as SQLite gives them (no TaskRow is made): the
        list reads 100,000 a page at a time, each page found by its key in the covering
        index, not by an offset counted through the ones before."""
        with self._db.reading() as conn:
            rows: list[PlainTask] = conn.execute(
                f"SELECT {_TASK_ROW} FROM tasks t "  # noqa: S608 (fixed names only)
                "WHERE (t.due, t.household_id) > (?, ?) ORDER BY t.due, t.household_id LIMIT ?",
                (*(after or ("", "")), limit),
            ).fetchall()
        return rows

    def first_open_tasks(self, limit: int) -> list[TaskRow]:
        """The `limit` open call-back tasks due soonest, and the others due on the last one's
        day: the follow-ups' first screen (the list orders one day's call-backs by occurrence,
        so a screen cut inside a day could show the wrong ones)."""
        sql = (f"SELECT {_TASK_ROW} FROM tasks t INDEXED BY tasks_by_state "  # noqa: S608
               "WHERE t.state = 'open' ")
        with self._db.reading() as conn:
            rows = conn.execute(
                f"{sql} ORDER BY t.due, t.household_id LIMIT ?", (limit,)
            ).fetchall()
            if len(rows) == limit:
                last = rows[-1]  # due and household id are the row's 7th and 1st columns
                rows += conn.execute(
                    f"{sql} AND t.due = ? AND t.household_id > ? ORDER BY t.household_id",
                    (last[6], last[0]),
                ).fetchall()
        return _task_rows(rows)

    def task_counts(self, today: date) -> TaskCounts:
        with self._db.reading() as conn:
            return _task_counts(conn, today)

    def referral_rows(self, household_ids: Iterable[str] | None = None) -> list[ReferralRow]:
        """Every VCAS referral, soonest due first, or those of these households (no order)."""
        columns = ("t.household_id, t.occurrence_id, t.occurrence_reference, t.district, "
                   "t.postcode, t.assignee, t.body")
        rows = self._household_rows(columns, "referrals", household_ids)
        return [
            ReferralRow(household, occurrence, reference, district, postcode, assignee,
                        codec.decode(Referral, body))
            for household, occurrence, reference, district, postcode, assignee, body in rows
        ]

    def search(self, text: str, limit: int = 50) -> SearchResults:
        """Occurrences and households whose words (reference, district, address, postcode,
        the names of people recorded) start with each word typed, best match first.

        The last word may be half typed: every word is matched as a prefix, so "beck s"
        finds "4 Beck Side" and "13/42" finds 13/42/26. Read from the FTS5 index inside the
        encrypted file (schema version 5), ranked by bm25.
        """
        query = match_query(text)
        if not query:
            return SearchResults((), ())
        with self._db.reading() as conn:
            # Ranking reads every match, and the first keystrokes ("ls") match nearly all:
            # so at most RANKED of the newest matches are ranked (the newest have the lowest
            # rowids: schema.py), which keeps a keystroke's cost the same at 100 households
            # or 100,000 (bench/bench_search.py).
            matches = conn.execute(
                "SELECT rowid, rank FROM search_index WHERE search_index MATCH ? "
                "ORDER BY rowid LIMIT ?",
                (query, RANKED),
            ).fetchall()
            best = [doc for doc, _ in sorted(matches, key=lambda m: (m[1], m[0]))]
            hits = conn.execute(
                "SELECT d.kind, d.record_id FROM json_each(?) AS k "
                "CROSS JOIN search_docs AS d ON d.doc = k.value ORDER BY k.key",
                (json.dumps(best),),
            ).fetchall()
            wanted = {"occurrence": [i for k, i in hits if k == "occurrence"][:limit],
                      "household": [i for k, i in hits if k == "household"][:limit]}
            occ = dict(conn.execute(
                "SELECT o.id, o.body FROM json_each(?) AS k "
                "CROSS JOIN occurrences AS o ON o.id = k.value",
                (json.dumps(wanted["occurrence"]),),
            ).fetchall())
            hh = dict(conn.execute(
                "SELECT h.id, h.body FROM json_each(?) AS k "
                "CROSS JOIN households AS h ON h.id = k.value",
                (json.dumps(wanted["household"]),),
            ).fetchall())
        results = SearchResults(
            tuple(codec.decode(OccurrenceView, occ[i]) for i in wanted["occurrence"] if i in occ),
            tuple(codec.decode(HouseholdView, hh[i]) for i in wanted["household"] if i in hh),
        )
        # The search term may itself be personal data (a postcode): the log says only how many.
        self.note_consultation(
            "search", "", f"{len(results.occurrences)} occurrences, "
            f"{len(results.households)} households found",
        )
        return results

    def conflicts_about(self, scopes: Iterable[str]) -> list[Conflict]:
        """Every conflict (confirmed or not) about these records, by the index on scope."""
        with self._db.reading() as conn:
            rows = conn.execute(
                "SELECT c.body FROM json_each(?) j CROSS JOIN conflicts c ON c.scope = j.value "
                "ORDER BY c.key", (json.dumps(sorted(set(scopes))),),
            ).fetchall()
        return [codec.decode(Conflict, body) for (body,) in rows]

    def conflicts(self, *, include_confirmed: bool = False) -> list[Conflict]:
        with self._db.reading() as conn:
            if include_confirmed:
                rows = conn.execute("SELECT body FROM conflicts ORDER BY key").fetchall()
            else:
                rows = conn.execute(
                    "SELECT body FROM conflicts WHERE confirmed = 0 ORDER BY key"
                ).fetchall()
        return [codec.decode(Conflict, body) for (body,) in rows]

    def totals(self, today: date) -> Totals:
        with self._db.reading() as conn:
            counts = [
                conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
                for table in ("events", "occurrences", "households")
            ]
            tasks = _task_counts(conn, today)
            referrals_overdue, referrals_due = conn.execute(
                "SELECT count(*) FILTER (WHERE due < :d), count(*) FILTER (WHERE due = :d) "
                "FROM referrals WHERE state = 'due'",
                {"d": today.isoformat()},
            ).fetchone()
            conflicts = conn.execute(
                "SELECT count(*) FROM conflicts WHERE confirmed = 0"
            ).fetchone()[0]
            # The outbox holds only what waits to be sent (schema version 10).
            pending = conn.execute("SELECT count(*) FROM outbox").fetchone()[0]
            rejected = conn.execute(
                "SELECT count(*) FROM answered WHERE state = 'rejected'"
            ).fetchone()[0]
        events, occurrences, households = counts
        return Totals(
            events=events,
            occurrences=occurrences,
            households=households,
            tasks_overdue=tasks.overdue,
            tasks_due=tasks.due,
            tasks_upcoming=tasks.upcoming,
            conflicts_open=conflicts,
            outbox_pending=pending,
            outbox_rejected=rejected,
            referrals_due=referrals_due,
            referrals_overdue=referrals_overdue,
        )

    def access_log(self, limit: int = 200, subject_id: str | None = None) -> list[AccessEntry]:
        """The most recent entries first; all of them or those about one record."""
        sql = "SELECT at, actor, action, subject_kind, subject_id, detail FROM access_log"
        with self._db.reading() as conn:
            if subject_id is None:
                rows = conn.execute(f"{sql} ORDER BY seq DESC LIMIT ?", (limit,)).fetchall()
            else:
                # A batch's row about more than one record names each in its detail.
                rows = conn.execute(
                    f"{sql} WHERE subject_id = ? OR (subject_id = '' AND instr(detail, ?) > 0) "
                    "ORDER BY seq DESC LIMIT ?",
                    (subject_id, f" in {subject_id}", limit),
                ).fetchall()
        return [
            AccessEntry(_instant(at), actor, Action(action), kind, subject, detail)
            for at, actor, action, kind, subject, detail in rows
        ]


def _instant(text: str) -> datetime:
    moment = parse_utc(text)
    if moment is None:
        raise ValueError("not an instant")
    return moment

