"""State as a pure function of the event set.

`project(events, policy)` gives the same `State` for the same set of events in any order, with
duplicates or not: events are de-duplicated by id and folded in a canonical order, and every
tie is broken by (occurred_at, id). Corrections and entered-in-error are applied by target id
before anything else, and merges join households into one record named by the smallest id
(splits keep a pair apart: fieldapp.domain.joins).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from fieldapp.domain.correction import apply_corrections
from fieldapp.domain.events import (
    CallbackAttempt,
    ConflictConfirmed,
    EnteredInError,
    Event,
    EventCorrected,
    EventType,
    HouseholdRecorded,
    JoinAccepted,
    LeafletIssue,
    Member,
    OccurrenceRecorded,
    PartnerEngagement,
    ReferralRecorded,
    TaskReassigned,
    VcasOffer,
    paired_household,
)
from fieldapp.domain.joins import (
    Joins,
    automatic_groups,
    households_joined,
    join_households,
    join_keys,
    joined_ids,
    joined_members,
    occurrence_joined,
    occurrence_joins,
    possible_duplicates,
)
from fieldapp.domain.policy import SchedulePolicy, london_date
from fieldapp.domain.referral import StepView, derive_referral
from fieldapp.domain.schedule import CallbackTask, derive_task
from fieldapp.domain.views import (
    AttemptView,
    Conflict,
    HouseholdView,
    LeafletIssueView,
    OccurrenceView,
    OfferView,
)


def order_key(event: Event) -> tuple[datetime, str]:
    return (event.occurred_at, event.id)


@dataclass(frozen=True)
class State:
    occurrences: Mapping[str, OccurrenceView] = field(default_factory=dict)
    households: Mapping[str, HouseholdView] = field(default_factory=dict)
    conflicts: Mapping[str, Conflict] = field(default_factory=dict)

    @property
    def tasks(self) -> list[CallbackTask]:
        return [h.task for h in self.households.values() if h.task is not None]

    def occurrence_of(self, occurrence_id: str) -> OccurrenceView | None:
        """One occurrence, also by the id of one joined with it (the same reference)."""
        direct = self.occurrences.get(occurrence_id)
        if direct is not None:
            return direct
        return next(
            (v for v in self.occurrences.values() if occurrence_id in v.joined_ids), None
        )

    def household_of(self, household_id: str) -> HouseholdView | None:
        direct = self.households.get(household_id)
        if direct is not None:
            return direct
        for view in self.households.values():
            if household_id in view.merged_ids:
                return view
        return None


def linked_keys(event: Event) -> frozenset[str]:
    """`related_keys` and the keys records join on (a reference): what the projection's
    component walk follows, so that a record finds its join partners."""
    # Kept on the event once worked out: a save asks it of each event four times (its index
    # rows, the walk's seeds, the walk, the keys it covers). An event never changes, and a
    # changed copy (dataclasses.replace) is a new object without it.
    keys: frozenset[str] | None = event.__dict__.get(_LINKED)
    if keys is None:
        keys = related_keys(event) | join_keys(event)
        object.__setattr__(event, _LINKED, keys)
    return keys


_LINKED = "_linked_keys"


def related_keys(event: Event) -> frozenset[str]:
    """Ids that tie this event to others: projecting a connected set of events is exact."""
    keys = {event.aggregate_id}
    if isinstance(event.payload, HouseholdRecorded):
        keys.add(event.payload.occurrence_id)
    elif paired := paired_household(event.payload):
        keys.add(paired)
    elif isinstance(event.payload, JoinAccepted):
        keys.add(event.payload.other_id)
    return frozenset(keys)


def effective_events(events: Iterable[Event]) -> list[Event]:
    """The events as they now stand (de-duplicated, retracted ones dropped, corrections
    applied), in (occurred_at, id) order: for figures read off events of one kind."""
    return _effective(_dedupe(events))[0]


def _dedupe(events: Iterable[Event]) -> dict[str, Event]:
    # The same id twice with different content is refused by the store and the endpoint; if it
    # ever happens, keep the smaller digest so that every replica keeps the same one.
    chosen: dict[str, Event] = {}
    for event in events:
        held = chosen.get(event.id)
        if held is None or event.digest < held.digest:
            chosen[event.id] = event
    return chosen


def _effective(events: Mapping[str, Event]) -> tuple[list[Event], list[Conflict]]:
    """Events as they now stand: voided ones dropped, corrected ones replaced."""
    # Retractions and corrections count only within their target's own record, so that a
    # household's state never depends on events filed under another one.
    changing = [
        e for e in events.values() if isinstance(e.payload, EnteredInError | EventCorrected)
    ]
    if not changing:  # most components: nothing retracted or corrected
        return sorted(events.values(), key=order_key), []
    voided = {
        e.payload.target_id
        for e in changing
        if isinstance(e.payload, EnteredInError)
        and (target := events.get(e.payload.target_id)) is not None
        and target.aggregate_id == e.aggregate_id
        and target.type is not EventType.ENTERED_IN_ERROR
    }
    corrections: dict[str, list[Event]] = defaultdict(list)
    for e in changing:
        if isinstance(e.payload, EventCorrected) and e.id not in voided:
            corrections[e.payload.target_id].append(e)
    conflicts: list[Conflict] = [
        _changed_by_another(e, events[e.payload.target_id], "marked a record as entered in error")
        for e in changing
        if isinstance(e.payload, EnteredInError)
        and e.payload.target_id in voided
        and events[e.payload.target_id].aggregate_id == e.aggregate_id
        and events[e.payload.target_id].author != e.author
    ]
    result: list[Event] = []
    for e in events.values():
        if e.id in voided or e.type in (EventType.EVENT_CORRECTED, EventType.ENTERED_IN_ERROR):
            continue
        fixes = [
            c for c in corrections.get(e.id, ())
            if c.aggregate_id == e.aggregate_id
            and isinstance(c.payload, EventCorrected)
            and c.payload.target_type == e.type.value
        ]
        conflicts.extend(
            _changed_by_another(c, e, "corrected a record") for c in fixes if c.author != e.author
        )
        if fixes:
            e = apply_corrections(e, sorted(fixes, key=order_key))
            if len(fixes) > 1:
                conflicts.append(
                    Conflict.of(
                        "concurrent_corrections",
                        e.aggregate_id,
                        [c.id for c in fixes],
                        "The corrections are applied in the order they were made.",
                    )
                )
        result.append(e)
    result.sort(key=order_key)
    return result, conflicts


def _changed_by_another(change: Event, target: Event, what: str) -> Conflict:
    """Another officer corrected or retracted someone's record: never silently. The author's
    and the OIC's laptops list who, when and why, as a conflict the OIC can confirm."""
    payload = change.payload
    reason = payload.reason if isinstance(payload, EventCorrected | EnteredInError) else ""
    when = london_date(change.occurred_at).strftime("%d/%m/%Y")
    return Conflict.of(
        "changed_by_another_officer",
        target.aggregate_id,
        [change.id, target.id],
        f"{change.author} {what} (recorded by {target.author}) on {when}: {reason}",
    )


def project(events: Iterable[Event], policy: SchedulePolicy) -> State:
    effective, conflicts = _effective(_dedupe(events))
    # One occurrence per force reference, then one household per address key under it
    # (fieldapp.domain.identity), unless the OIC split them; merges join any two.
    occurrence_of = occurrence_joins(effective)
    automatic = automatic_groups(effective, occurrence_of)
    merges, apart = join_households(effective, automatic)

    occurrence_records: dict[str, list[Event]] = defaultdict(list)
    leaflets: dict[str, list[LeafletIssueView]] = defaultdict(list)
    by_household: dict[str, list[Event]] = defaultdict(list)
    # Each occurrence record's own OIC: a household's call-back is with the OIC its own
    # occurrence record names, not whoever a later record of the same reference names (a
    # squatter on a guessed reference must not take over the real case's call-backs).
    own_oic: dict[str, str] = {}
    for e in effective:
        p = e.payload
        if isinstance(p, OccurrenceRecorded):
            occurrence_records[occurrence_of[e.aggregate_id]].append(e)
            own_oic[e.aggregate_id] = p.oic
        elif isinstance(p, LeafletIssue):
            leaflets[occurrence_of.get(e.aggregate_id, e.aggregate_id)].append(
                LeafletIssueView.of(e, p)
            )
        elif not isinstance(p, ConflictConfirmed | PartnerEngagement | JoinAccepted):
            # Confirmations are read below; an accepted join only widens a view on the
            # endpoint (central.visibility); a partner's monthly count belongs to no household
            # (fieldapp.domain.figures reads those from `effective_events`).
            by_household[merges.find(e.aggregate_id)].append(e)
            if paired := paired_household(p):
                by_household[merges.find(paired)]  # a merge or split names both households

    occurrences: dict[str, OccurrenceView] = {}
    for occurrence_id in set(occurrence_records) | set(leaflets):
        records = occurrence_records.get(occurrence_id, [])
        latest = records[-1].payload if records else None
        assert latest is None or isinstance(latest, OccurrenceRecorded)
        occurrences[occurrence_id] = OccurrenceView(
            id=occurrence_id,
            reference=latest.reference if latest else "",
            offence_types=latest.offence_types if latest else (),
            oic=latest.oic if latest else "",
            district=latest.district if latest else "",
            recorded_at=records[0].occurred_at if records else None,
            leaflet_issues=tuple(leaflets.get(occurrence_id, ())),
            joined_ids=joined_ids(records),
        )
        conflicts.extend(occurrence_joined(occurrence_id, records))
        if any(r.payload != records[0].payload for r in records[1:]):
            conflicts.append(
                Conflict.of(
                    "occurrence_details_differ",
                    occurrence_id,
                    [r.id for r in records],
                    "The most recent details are shown.",
                )
            )

    households: dict[str, HouseholdView] = {}
    joined_automatically = {h for group in automatic for h in group}
    for root, group in by_household.items():
        view, found = _household(
            root, group, merges, occurrences, occurrence_of, own_oic, policy
        )
        households[root] = view
        conflicts.extend(found)
        conflicts.extend(households_joined(view, group, joined_automatically))
    conflicts.extend(possible_duplicates(households.values(), apart))
    confirmed = {
        e.payload.conflict_key: e
        for e in effective
        if isinstance(e.payload, ConflictConfirmed)
    }
    result: dict[str, Conflict] = {}
    for conflict in conflicts:
        confirmation = confirmed.get(conflict.key)
        if confirmation is not None:
            assert isinstance(confirmation.payload, ConflictConfirmed)
            conflict = replace(conflict, confirmed_by=confirmation.author,
                               note=confirmation.payload.note)
        result[conflict.key] = conflict
    return State(occurrences, households, result)


def _household(
    root: str,
    group: list[Event],
    merges: Joins,
    occurrences: Mapping[str, OccurrenceView],
    occurrence_of: Mapping[str, str],
    own_oic: Mapping[str, str],
    policy: SchedulePolicy,
) -> tuple[HouseholdView, list[Conflict]]:
    # One pass over the group (in canonical order), sorting its records by kind.
    records: list[Event] = []
    offers: list[OfferView] = []
    attempts: list[AttemptView] = []
    steps: list[StepView] = []
    moved: TaskReassigned | None = None
    for e in group:
        p = e.payload
        if isinstance(p, HouseholdRecorded):
            records.append(e)
        elif isinstance(p, VcasOffer):
            offers.append(OfferView.of(e, p))
        elif isinstance(p, CallbackAttempt):
            attempts.append(AttemptView.of(e, p))
        elif isinstance(p, ReferralRecorded):
            steps.append(StepView.of(e, p))
        elif isinstance(p, TaskReassigned):
            moved = p
    latest = records[-1].payload if records else None
    assert latest is None or isinstance(latest, HouseholdRecorded)
    occurrence_id = occurrence_of.get(latest.occurrence_id, latest.occurrence_id) if latest else ""
    occurrence = occurrences.get(occurrence_id)
    assignee = own_oic.get(latest.occurrence_id, "") if latest else ""
    assignee = assignee or (occurrence.oic if occurrence else "")
    if moved is not None:
        assignee = moved.to_officer
    task, conflicts = derive_task(
        root, offers, attempts, assignee, policy, occurrence_id=occurrence_id if latest else ""
    )
    contacts = next((o.contacts for o in reversed(offers) if o.contacts), ())
    fallback = next((c.usable_number for c in contacts if c.usable_number), "")
    referral = derive_referral(root, offers, attempts, steps, fallback, policy)
    view = HouseholdView(
        id=root,
        merged_ids=tuple(merges.members(root)),
        occurrence_id=occurrence_id,
        address=latest.address if latest else "",
        postcode=latest.postcode if latest else "",
        members=joined_members(records),
        recorded_by=records[0].author if records else "",
        offers=tuple(offers),
        attempts=tuple(attempts),
        task=task,
        contacts=contacts,
        referral=referral,
    )
    return view, conflicts


# --------------------------------------------------------------------------- incremental


@dataclass(frozen=True)
class Changes:
    """What a batch of new events changed, for views to redraw and for the sync summary."""

    households: frozenset[str] = frozenset()
    occurrences: frozenset[str] = frozenset()
    tasks_created: tuple[str, ...] = ()
    tasks_closed: tuple[str, ...] = ()
    tasks_done_elsewhere: tuple[str, ...] = ()
    conflicts_new: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.households or self.occurrences)


def component(seeds: Iterable[str], lookup: EventLookup) -> list[Event]:
    """Every event connected to the seed keys through `linked_keys`.

    A connected set projects exactly as it does inside the whole log, which is what makes
    recomputing only the touched households equal to recomputing everything.
    """
    seen_keys: set[str] = set()
    seen_events: dict[str, Event] = {}
    frontier = set(seeds)
    # Breadth first, one lookup per round: a store answers a whole round in one query.
    while frontier:
        seen_keys |= frontier
        reached: set[str] = set()
        for event in lookup.many(frontier):
            if event.id not in seen_events:
                seen_events[event.id] = event
                reached |= linked_keys(event)
        frontier = reached - seen_keys
    return list(seen_events.values())


class EventLookup:
    """Events by related key; the store's SQL index plays this part for a real database."""

    def __init__(self, events: Iterable[Event] = ()) -> None:
        self.by_key: dict[str, dict[str, Event]] = defaultdict(dict)
        self.add(events)

    def add(self, events: Iterable[Event]) -> None:
        for event in events:
            for key in linked_keys(event):
                self.by_key[key][event.id] = event

    def __call__(self, key: str) -> list[Event]:
        return list(self.by_key.get(key, {}).values())

    def many(self, keys: Iterable[str]) -> list[Event]:
        """The events related to any of `keys` (repeats allowed)."""
        return [event for key in keys for event in self(key)]


def recompute(
    state: State,
    new_events: Iterable[Event],
    lookup: EventLookup,
    policy: SchedulePolicy,
    viewer_device: str = "",
) -> tuple[State, Changes]:
    """Fold new events into `state` by re-projecting only the component they touch.

    `lookup` must already hold the new events (the store appends first, then recomputes).
    """
    connected = component({k for e in new_events for k in linked_keys(e)}, lookup)
    keys = {k for e in connected for k in linked_keys(e)}
    return splice(state, project(connected, policy), keys, viewer_device)


def splice(
    state: State, part: State, keys: set[str], viewer_device: str = ""
) -> tuple[State, Changes]:
    """Replace everything `keys` covers in `state` by `part`, and say what changed.

    `keys` are all the ids the re-projected events relate to: a household whose only record
    was retracted is in `keys` but no longer in `part`, and must go.
    """
    households = {
        k: v for k, v in state.households.items() if k not in keys and not keys & set(v.merged_ids)
    }
    old_households = {k: v for k, v in state.households.items() if k not in households}
    households.update(part.households)
    occurrences = {k: v for k, v in state.occurrences.items() if k not in keys}
    occurrences.update(part.occurrences)
    conflicts = {k: v for k, v in state.conflicts.items() if v.scope not in keys}
    old_conflicts = set(state.conflicts) - set(conflicts)
    conflicts.update(part.conflicts)

    created, closed, elsewhere = [], [], []
    old_tasks = {t.household_id: t for v in old_households.values() if (t := v.task)}
    for view in part.households.values():
        task = view.task
        if task is None:
            continue
        before = next((old_tasks[m] for m in view.merged_ids if m in old_tasks), None)
        if before is None and task.is_open:
            created.append(task.household_id)
        if task.is_closed and (before is None or before.is_open):
            closed.append(task.household_id)
            if viewer_device and task.closed_by_device != viewer_device:
                elsewhere.append(task.household_id)
    changes = Changes(
        households=frozenset(set(part.households) | set(old_households)),
        occurrences=frozenset(keys & (set(state.occurrences) | set(part.occurrences))),
        tasks_created=tuple(sorted(created)),
        tasks_closed=tuple(sorted(closed)),
        tasks_done_elsewhere=tuple(sorted(elsewhere)),
        conflicts_new=tuple(sorted(set(part.conflicts) - old_conflicts)),
    )
    return State(occurrences, households, conflicts), changes


__all__ = [
    "Changes",
    "EventLookup",
    "Member",
    "State",
    "component",
    "effective_events",
    "linked_keys",
    "project",
    "recompute",
    "related_keys",
    "splice",
]
