"""Putting records right on the laptop: which changes the officer may make, and what each
would change.

The laptop asks the authority rule (`authority.decide`) the endpoint applies, from what it
holds itself: every event it holds is one it may see (the endpoint sent it, or the officer
made it). A change the rule withholds is offered with the rule's own sentence saying who can.
What a change would do is read off two projections, with and without it, never guessed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from fieldapp.domain.authority import Actor, AuthorityTable, Decision, Known, decide, who_can
from fieldapp.domain.commands import check_referral_step
from fieldapp.domain.events import (
    CORRECTABLE,
    EnteredInError,
    Event,
    EventCorrected,
    EventType,
    HouseholdRecorded,
    HouseholdsMerged,
    HouseholdsSplit,
    JoinAccepted,
    OccurrenceRecorded,
    Payload,
    ReferralRecorded,
    TaskReassigned,
    payload_to_dict,
)
from fieldapp.domain.identity import reference_key
from fieldapp.domain.policy import SchedulePolicy, london_date
from fieldapp.domain.problems import Problem
from fieldapp.domain.projection import State, effective_events, project, related_keys
from fieldapp.domain.referral import Referral, ReferralState
from fieldapp.domain.views import Conflict

CORRECT = "correct"
IN_ERROR = "entered_in_error"
REASSIGN = "reassign"
MERGE = "merge"
SPLIT = "split"


def laptop_known(table: AuthorityTable, events: Iterable[Event]) -> Known:
    """What the laptop knows, as `authority.Known`: everything it holds it may see."""
    held = list(events)
    visible = {k for e in held for k in related_keys(e)}
    return Known(table, held, visible=visible)


@dataclass(frozen=True)
class Offer:
    """One change the officer may or may not make: if not, `why` is the rule's sentence."""

    action: str
    allowed: bool
    why: str = ""

    @classmethod
    def of(cls, action: str, decision: Decision) -> Offer:
        return cls(action, decision.allowed, "" if decision.allowed else who_can(decision))


def _ask(actor: Actor, device_id: str, known: Known, aggregate_id: str, action: str,
         kind: EventType, payload: Payload, now: datetime) -> Offer:
    """The rule's answer for the change as it would be made (a probe, never saved)."""
    probe = Event(
        id="", type=kind, aggregate_id=aggregate_id, occurred_at=now, recorded_at=now,
        author=actor.collar, device_id=device_id, payload=payload,
    )
    return Offer.of(action, decide(actor, probe, known))


def offers_for_record(
    actor: Actor, device_id: str, known: Known, record: Event, now: datetime
) -> tuple[Offer, Offer]:
    """Whether `actor` may correct `record` (as it now stands) or mark it entered in error."""
    fix = EventCorrected(record.id, record.type.value, payload_to_dict(record.payload), "")
    return (
        _ask(actor, device_id, known, record.aggregate_id, CORRECT, EventType.EVENT_CORRECTED,
             fix, now),
        _ask(actor, device_id, known, record.aggregate_id, IN_ERROR,
             EventType.ENTERED_IN_ERROR, EnteredInError(record.id, ""), now),
    )


def offer_for_household(
    actor: Actor, device_id: str, known: Known, action: str, household_id: str, now: datetime,
    other_id: str = "",
) -> Offer:
    """Whether `actor` may reassign the household's call-back, or merge it with (or split
    it from) `other_id`."""
    choices: dict[str, tuple[EventType, Payload]] = {
        REASSIGN: (EventType.TASK_REASSIGNED, TaskReassigned("", "")),
        MERGE: (EventType.HOUSEHOLDS_MERGED, HouseholdsMerged(other_id, "")),
        SPLIT: (EventType.HOUSEHOLDS_SPLIT, HouseholdsSplit(other_id, "")),
    }
    kind, payload = choices[action]
    return _ask(actor, device_id, known, household_id, action, kind, payload, now)


@dataclass(frozen=True)
class JoinChoice:
    """Accepting another officer's record of an occurrence: `mine` is the record the join is
    accepted on, `theirs` the record whose author would be let see it (both as they now
    stand); `offer` is the rule's answer, and whether either side has accepted already."""

    mine: Event
    theirs: Event
    offer: Offer
    accepted: datetime | None  # when this side accepted theirs (None: not yet)
    they_accepted: bool  # their side already lets this officer see theirs


def join_choices(actor: Actor, device_id: str, known: Known, events: Iterable[Event],
                 occurrence_ids: Iterable[str], now: datetime) -> list[JoinChoice]:
    """Each way the officer might accept another record of one occurrence (an
    `occurrence_joined` notice's records): accepted on each record, for each other officer's
    record; the ones the rule allows and not yet accepted come first."""
    held = effective_events(events)
    records = {e.aggregate_id: e for e in held if isinstance(e.payload, OccurrenceRecorded)}
    accepted = {(e.aggregate_id, e.payload.other_id): e.occurred_at for e in held
                if isinstance(e.payload, JoinAccepted)}
    ids = [i for i in sorted(set(occurrence_ids)) if i in records]
    choices = []
    for mine in ids:
        for theirs in ids:
            other = records[theirs]
            if theirs == mine or other.author == actor.collar:
                continue
            offer = _ask(actor, device_id, known, mine, "accept_join", EventType.JOIN_ACCEPTED,
                         JoinAccepted(theirs, other.author, ""), now)
            choices.append(JoinChoice(records[mine], other, offer, accepted.get((mine, theirs)),
                                      (theirs, mine) in accepted))
    return sorted(choices, key=lambda c: (not c.offer.allowed, c.accepted is not None))


def join_effect(choice: JoinChoice) -> str:
    """What accepting their record does, in the officer's words."""
    mine = choice.mine.payload
    assert isinstance(mine, OccurrenceRecorded)
    said = (f"Officer {choice.theirs.author} will see your occurrence {mine.reference} and its "
            "households.")
    if choice.they_accepted:
        return f"{said} You already see theirs: they accepted yours."
    return f"{said} You will see theirs when they accept yours."


def current_records(events: Iterable[Event]) -> list[Event]:
    """The records of a case as they now stand (corrected, retracted ones gone) that a
    correction may restate: each keeps its own id, which a correction names."""
    kinds = set(CORRECTABLE)
    return [e for e in effective_events(events) if e.type in kinds]


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The payload fields a correction changes (a field left out reads as its default)."""
    return sorted(k for k in set(before) | set(after) if _plain(before.get(k)) != _plain(
        after.get(k)))


def _plain(value: Any) -> Any:
    # Lists and tuples, and an absent field and an empty one, compare equal.
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items() if v not in (None, "", [], (), False)}
    return None if value in ("", [], (), False) else value


def nothing_changed(fields: Sequence[str], moment_changed: bool) -> list[Problem]:
    if fields or moment_changed:
        return []
    return [Problem("", "Nothing was changed: change what was wrong, or close without "
                        "saving.")]


def check_collar(collar: str, current: str) -> list[Problem]:
    """A call-back's new officer is not the one it is with now. (Its format, letters and
    digits, is the event's own check; the laptop holds no list of the force's officers.)"""
    if collar.strip() and collar.strip().casefold() == current.casefold():
        return [Problem("payload.to_officer",
                        f"The call-back is already with {current}: choose another officer.")]
    return []


def _day(value: date) -> str:
    return f"{value:%d/%m/%Y}"


def effect(before: State, after: State) -> list[str]:
    """What a change does, in the officer's words: read off the state without it and with
    it."""
    said = occurrence_joins_effect(before, after)
    for occurrence in before.occurrences.values():
        if occurrence.id not in after.occurrences and not occurrence.joined_ids:
            said.append(f"Occurrence {occurrence.reference} will no longer be shown.")
    for household_id, old in sorted(before.households.items()):
        new = after.household_of(household_id)
        where = f"{' '.join(old.address.split())}, {old.postcode}"
        if new is None:
            said.append(f"The household at {where} will no longer be shown.")
        elif new.id != household_id:
            joined = before.households.get(new.id, new)  # the one it joins, as it was
            there = f"{' '.join(joined.address.split())}, {joined.postcode}"
            said.append(f"The two records of {where} will be one household." if there == where
                        else f"The household at {where} will be one household with the one "
                        f"at {there}.")
        task, now = old.task, new.task if new is not None else None
        if task is not None and task.is_open:
            if now is None or not now.is_open:
                said.append(f"The call-back due {_day(task.due)} will be cancelled.")
            elif now.due != task.due:
                said.append(f"The call-back will be due {_day(now.due)} instead of "
                            f"{_day(task.due)}.")
            if now is not None and now.is_open and now.assignee != task.assignee:
                said.append(f"The call-back will be made by {now.assignee} instead of "
                            f"{task.assignee or 'nobody'}.")
        elif now is not None and now.is_open and new is not None and new.id == household_id:
            said.append(f"A call-back will be due {_day(now.due)}.")
        if new is not None and new.id == household_id:
            said.extend(referral_effect(old.referral, new.referral))
        elif old.referral is not None and old.referral.is_open and (
                new is None or new.referral is None or not new.referral.is_open):
            said.append(f"The VCAS referral due {_day(old.referral.due)} will no longer be due.")
    for household_id, new in sorted(after.households.items()):
        if household_id not in before.households and before.household_of(household_id):
            said.append(f"The household at {' '.join(new.address.split())}, {new.postcode} "
                        "will be a household of its own again.")
    return said or ["No call-back or referral changes."]


def occurrence_joins_effect(before: State, after: State) -> list[str]:
    """Records of one reference are one occurrence: a change of a reference parts them, or
    joins a record to another occurrence, and the officer is told before saving."""
    said: list[str] = []
    for old in before.occurrences.values():
        parts = {v.id: v for m in old.joined_ids if (v := after.occurrence_of(m)) is not None}
        if len(parts) > 1:
            said.extend(
                f"This occurrence will no longer be joined with the other record of "
                f"{old.reference}: it will be occurrence {new.reference} on its own."
                for new in parts.values()
                if reference_key(new.reference) != reference_key(old.reference)
            )
    for new in after.occurrences.values():
        was = {v.id: v for m in new.joined_ids if (v := before.occurrence_of(m)) is not None}
        if len(was) > 1:
            said.append(f"This occurrence will be joined with the other record of "
                        f"{new.reference}: shown as one occurrence, with everything recorded "
                        "under both.")
    return said


_STATE_WORDS = {
    ReferralState.NO_CONSENT: "waiting for consent",
    ReferralState.DUE: "due",
    ReferralState.SENT: "sent",
    ReferralState.ACKNOWLEDGED: "acknowledged by VCAS",
    ReferralState.WITHDRAWN: "withdrawn",
}


def referral_effect(old: Referral | None, new: Referral | None) -> list[str]:
    """What a change does to one household's VCAS referral (a step corrected or retracted,
    an acceptance changed), in the officer's words."""
    if old is not None and old.is_open and (new is None or not new.is_open):
        return [f"The VCAS referral due {_day(old.due)} will no longer be due."]
    if new is None:
        return [] if old is None else ["The household will have no VCAS referral."]
    if new.is_open and (old is None or not old.is_open):
        # A referral that was sent or withdrawn, and no longer is: it is owed again.
        return [f"A VCAS referral will be due {_day(new.due)}." if old is None
                else f"The referral will be due again: it was due {_day(new.due)}."]
    if old is None:
        return []
    if old.state is not new.state:
        return [f"The VCAS referral will be shown as {_STATE_WORDS[new.state]} instead of "
                f"{_STATE_WORDS[old.state]}."]
    if old.sent_at is not None and new.sent_at is not None and (
            london_date(old.sent_at) != london_date(new.sent_at)):
        return [f"The VCAS referral will be shown as sent on {_day(london_date(new.sent_at))} "
                f"instead of {_day(london_date(old.sent_at))}."]
    return []


def effect_of(events: Iterable[Event], change: Event, policy: SchedulePolicy) -> list[str]:
    """What `change` would do to the case `events` are: projected without it and with it."""
    held = list(events)
    return effect(project(held, policy), project([*held, change], policy))


def check_step_correction(events: Iterable[Event], change: Event,
                          policy: SchedulePolicy) -> list[Problem]:
    """A referral step, corrected, must stand as that step recorded anew would, against the
    referral as the case's other records leave it: a 'sent' step corrected to
    'acknowledged' with no other step sent is refused, as recording it would be."""
    p = change.payload
    if not isinstance(p, EventCorrected) or p.target_type != EventType.REFERRAL_RECORDED.value:
        return []
    held = list(events)
    step = next((e for e in effective_events([*held, change]) if e.id == p.target_id), None)
    if step is None or not isinstance(step.payload, ReferralRecorded):
        return []
    without = Event(  # the step retracted: a probe, never saved
        id="", type=EventType.ENTERED_IN_ERROR, aggregate_id=change.aggregate_id,
        occurred_at=change.occurred_at, recorded_at=change.recorded_at, author=change.author,
        device_id=change.device_id, payload=EnteredInError(p.target_id, ""),
    )
    household = project([*held, without], policy).household_of(change.aggregate_id)
    # Named as the corrected record's own field, for the form that restates it.
    return [Problem(f"payload.{q.field}", q.message)
            for q in check_referral_step(step.payload, household)]


def changed_by_others(conflicts: Iterable[Conflict], ids: Iterable[str]) -> list[str]:
    """Who changed these records (or the household they sit in) other than their author,
    when and why, as the projection's `changed_by_another_officer` conflicts say it."""
    wanted = set(ids)
    return [
        c.resolution
        for c in conflicts
        if c.kind == "changed_by_another_officer" and (wanted & set(c.event_ids)
                                                       or c.scope in wanted)
    ]


def household_occurrence(record: Event) -> str:
    """The occurrence a household record names (for a form that re-records it)."""
    payload = record.payload
    return payload.occurrence_id if isinstance(payload, HouseholdRecorded) else ""


__all__ = [
    "CORRECT",
    "CORRECTABLE",
    "IN_ERROR",
    "MERGE",
    "REASSIGN",
    "SPLIT",
    "JoinChoice",
    "Offer",
    "changed_by_others",
    "changed_fields",
    "check_collar",
    "check_step_correction",
    "current_records",
    "effect",
    "effect_of",
    "household_occurrence",
    "join_choices",
    "join_effect",
    "laptop_known",
    "nothing_changed",
    "occurrence_joins_effect",
    "offer_for_household",
    "offers_for_record",
    "referral_effect",
]
