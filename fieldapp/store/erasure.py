"""Erasure ordered by the central endpoint: whole cases past the force's retention period
leave this laptop.

The endpoint erases cases and tells each laptop that may hold them in a pull (docs/central.md);
`Store.apply_pulled` applies the erasures in the transaction that moves the cursor past them,
so the cursor never passes an erasure that was not applied. Every event related to an erased
aggregate goes, with its related keys, its outbox row, the projection rows it fed, and the
drafts that name it. That includes events recorded here and not yet stored centrally: the
endpoint refuses them for an erased case anyway, and the access log says they went. The
access log keeps the fact of the erasure (ids and the endpoint's reason, never content).

The event log refuses DELETE by trigger; the trigger lets one through only while the one-row
`erasing` marker exists. The marker is inserted and removed inside this one transaction, so
no committed state holds it and nothing else deletes an event by mistake. (It guards against
bugs, not against someone holding the database key, who can do anything to the file.)

Deleted rows are overwritten, not just unlinked (`PRAGMA secure_delete`, set for every
connection in db.py), and the caller truncates the WAL after the commit, so the erased text
is not left in the file's free space.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from fieldapp.domain.events import EventType, event_from_json
from fieldapp.domain.policy import SchedulePolicy
from fieldapp.domain.problems import format_utc
from fieldapp.domain.projection import Changes, linked_keys, related_keys
from fieldapp.domain.retention import Erasure
from fieldapp.store import access, projections
from fieldapp.store.access import Action
from fieldapp.store.db import Connection


def erase(
    conn: Connection,
    erasures: Sequence[Erasure],
    *,
    at: datetime,
    actor: str,
    policy: SchedulePolicy,
    viewer_device: str,
) -> tuple[Changes, int]:
    """Apply the erasures inside the caller's transaction; returns what changed and how many
    events went."""
    why: dict[str, Erasure] = {}
    for erasure in erasures:
        for aggregate in erasure.aggregate_ids:
            why.setdefault(aggregate, erasure)
    named = json.dumps(sorted(why))
    rows = conn.execute(
        "SELECT DISTINCT e.seq, e.body, "
        "CASE WHEN o.event_seq IS NOT NULL THEN 'pending' ELSE a.state END "
        "FROM json_each(?) AS k "
        "CROSS JOIN related r ON r.key = k.value CROSS JOIN events e ON e.seq = r.event_seq "
        "LEFT JOIN outbox o ON o.event_seq = e.seq LEFT JOIN answered a ON a.event_seq = e.seq",
        (named,),
    ).fetchall()
    gone = [(seq, event_from_json(body), state) for seq, body, state in rows]
    conn.execute("INSERT INTO erasing (only_row) VALUES (1)")
    conn.executemany(
        "DELETE FROM related WHERE key = ? AND event_seq = ?",
        [(key, seq) for seq, event, _ in gone for key in sorted(linked_keys(event))],
    )
    conn.executemany("DELETE FROM outbox WHERE event_seq = ?", [(seq,) for seq, _, _ in gone])
    conn.executemany("DELETE FROM answered WHERE event_seq = ?", [(seq,) for seq, _, _ in gone])
    conn.executemany("DELETE FROM events WHERE seq = ?", [(seq,) for seq, _, _ in gone])
    conn.execute("DELETE FROM erasing")
    # Draft keys and bodies name the occurrence or household a form records against.
    drafts = [
        form
        for (form,) in conn.execute(
            "SELECT form FROM drafts WHERE EXISTS (SELECT 1 FROM json_each(?) AS k "
            "WHERE instr(drafts.form, k.value) > 0 OR instr(drafts.body, k.value) > 0)",
            (named,),
        )
    ]
    conn.executemany("DELETE FROM drafts WHERE form = ?", [(form,) for form in drafts])

    # Their join partners (one reference, one address) are re-projected too.
    touched = {key for _, event, _ in gone for key in linked_keys(event)}
    changes = projections.forget(conn, touched, policy, viewer_device)

    stamp = format_utc(at)
    by_aggregate: dict[str, list[EventType]] = defaultdict(list)
    reason_of: dict[str, Erasure] = {}
    unsent = []
    for _, event, state in gone:
        by_aggregate[event.aggregate_id].append(event.type)
        # Each event went because it relates to a named id: the order naming it gives the reason.
        named_by = why.get(event.aggregate_id) or why[min(related_keys(event) & why.keys())]
        reason_of.setdefault(event.aggregate_id, named_by)
        if state in ("pending", "rejected"):
            unsent.append(event)
    rows_out: list[access.Row] = [
        (
            stamp, actor, Action.ERASURE.value, _kind(types), aggregate,
            f"{len(types)} records erased as the central endpoint ordered on "
            f"{format_utc(reason_of[aggregate].erased_at)}: {reason_of[aggregate].reason}",
        )
        for aggregate, types in sorted(by_aggregate.items())
    ]
    rows_out += [
        (
            stamp, actor, Action.ERASURE.value, access.subject_kind(event.type),
            event.aggregate_id,
            f"{event.type.value} {event.id} recorded here and not yet stored centrally, "
            "erased with its case",
        )
        for event in unsent
    ]
    rows_out += [
        (stamp, actor, Action.ERASURE.value, "draft", form, "unsaved form erased with its case")
        for form in drafts
    ]
    access.write(conn, rows_out)
    return changes, len(gone)


def _kind(types: Sequence[EventType]) -> str:
    kinds = {access.subject_kind(t) for t in types}
    return "occurrence" if "occurrence" in kinds else "household"


def combine(first: Changes, then: Changes) -> Changes:
    """What two steps of one transaction changed together (new events, then erasures)."""
    return Changes(
        households=first.households | then.households,
        occurrences=first.occurrences | then.occurrences,
        tasks_created=tuple(sorted(set(first.tasks_created) | set(then.tasks_created))),
        tasks_closed=tuple(sorted(set(first.tasks_closed) | set(then.tasks_closed))),
        tasks_done_elsewhere=tuple(
            sorted(set(first.tasks_done_elsewhere) | set(then.tasks_done_elsewhere))
        ),
        conflicts_new=tuple(sorted(set(first.conflicts_new) | set(then.conflicts_new))),
    )
