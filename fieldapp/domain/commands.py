"""Checks of a new event against what this device already holds (at capture time only).

Shape is checked by `parse_event` everywhere; these checks need local state, so they run
when the officer saves, never when events arrive by sync (they may arrive in any order).
"""

from __future__ import annotations

from fieldapp.domain.events import (
    CallbackAttempt,
    EnteredInError,
    Event,
    EventCorrected,
    HouseholdRecorded,
    HouseholdsMerged,
    HouseholdsSplit,
    ReferralRecorded,
    TaskReassigned,
    VcasOffer,
    paired_household,
)
from fieldapp.domain.policy import london_date
from fieldapp.domain.problems import Problem
from fieldapp.domain.projection import State
from fieldapp.domain.referral import ReferralState, why_not_sendable
from fieldapp.domain.views import HouseholdView

_HOUSEHOLD_EVENTS = (
    VcasOffer, CallbackAttempt, TaskReassigned, HouseholdsMerged, HouseholdsSplit,
    ReferralRecorded,
)


def check_against(event: Event, state: State, target: Event | None = None) -> list[Problem]:
    """Problems with `event` given `state`; `target` is the event a correction names."""
    p = event.payload
    problems: list[Problem] = []
    if isinstance(p, HouseholdRecorded) and state.occurrence_of(p.occurrence_id) is None:
        problems.append(Problem("payload.occurrence_id", "Record the occurrence first."))
    if isinstance(p, _HOUSEHOLD_EVENTS) and state.household_of(event.aggregate_id) is None:
        problems.append(Problem("aggregate_id", "Record the household first."))
        return problems
    if isinstance(p, CallbackAttempt):
        household = state.household_of(event.aggregate_id)
        task = household.task if household else None
        if task is None:
            problems.append(
                Problem("payload.outcome", "No call-back is due for this household.")
            )
        elif household is not None:
            trigger = next(o for o in household.offers if o.event_id == task.trigger_event_id)
            if event.occurred_at < trigger.occurred_at:
                problems.append(
                    Problem(
                        "occurred_at",
                        "A call-back cannot be before the offer it follows "
                        f"({london_date(trigger.occurred_at):%d/%m/%Y}).",
                    )
                )
    if isinstance(p, ReferralRecorded):
        problems += check_referral_step(p, state.household_of(event.aggregate_id))
    if isinstance(p, HouseholdsMerged | HouseholdsSplit):
        field = "payload.merged_id" if isinstance(p, HouseholdsMerged) else "payload.other_id"
        other = paired_household(p)
        if other == event.aggregate_id:
            problems.append(Problem(field, "Choose a different household."))
        elif state.household_of(other) is None:
            problems.append(Problem(field, "That household is not recorded."))
    if isinstance(p, EventCorrected | EnteredInError):
        if target is None or target.id != p.target_id:
            problems.append(
                Problem("payload.target_id", "The record being changed is not held here.")
            )
        elif target.aggregate_id != event.aggregate_id:
            problems.append(
                Problem("aggregate_id", "A correction must be filed under the same record.")
            )
        elif isinstance(p, EventCorrected) and p.target_type != target.type.value:
            problems.append(
                Problem("payload.target_type", "The correction is for a different kind of record.")
            )
    return problems


def check_referral_step(p: ReferralRecorded, household: HouseholdView | None) -> list[Problem]:
    """Whether step `p` may be recorded on the household's referral as it stands."""
    referral = household.referral if household else None
    if p.step == "sent":
        why = why_not_sendable(referral)
        return [Problem("payload.step", why)] if why else []
    if referral is None:
        return [Problem("payload.step", why_not_sendable(None))]
    if referral.state is ReferralState.WITHDRAWN:
        return [Problem("payload.step", "This referral was withdrawn.")]
    if p.step == "acknowledged" and referral.sent_at is None:
        return [Problem("payload.step", "Record that the referral was sent first.")]
    return []
