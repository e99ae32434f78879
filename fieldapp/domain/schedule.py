"""The call-back task of a household, derived from its offers and attempts, never typed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from fieldapp.domain.policy import SchedulePolicy, london_date
from fieldapp.domain.views import AttemptView, Conflict, OfferView


class TaskState(StrEnum):
    OPEN = "open"
    DONE = "done"  # VCAS accepted
    CLOSED = "closed"  # ended without acceptance, with a reason


class TaskStatus(StrEnum):
    UPCOMING = "upcoming"
    DUE = "due"
    OVERDUE = "overdue"
    DONE = "done"
    DONE_ELSEWHERE = "done_elsewhere"
    CLOSED = "closed"


@dataclass(frozen=True)
class CallbackTask:
    household_id: str
    occurrence_id: str
    assignee: str
    trigger_event_id: str
    due: date
    attempts_made: int
    state: TaskState
    reason: str
    rule: str
    policy_version: str
    closed_by_event: str = ""
    closed_by_author: str = ""
    closed_by_device: str = ""

    @property
    def is_open(self) -> bool:
        return self.state is TaskState.OPEN

    @property
    def is_closed(self) -> bool:
        return not self.is_open

    def status(self, today: date, viewer_device: str = "") -> TaskStatus:
        return task_status(self.state, self.due, self.closed_by_device, today, viewer_device)


def task_status(
    state: TaskState, due: date, closed_by_device: str, today: date, viewer_device: str = ""
) -> TaskStatus:
    """Where a task stands on a London day, as seen from one laptop."""
    if state is not TaskState.OPEN:
        if viewer_device and closed_by_device and closed_by_device != viewer_device:
            return TaskStatus.DONE_ELSEWHERE
        return TaskStatus.DONE if state is TaskState.DONE else TaskStatus.CLOSED
    if due > today:
        return TaskStatus.UPCOMING
    return TaskStatus.DUE if due == today else TaskStatus.OVERDUE


def _d(day: date) -> str:
    # As strftime("%d/%m/%Y") writes a year of four digits, at a fraction of its cost.
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


def derive_task(
    household_id: str,
    offers: Sequence[OfferView],
    attempts: Sequence[AttemptView],
    assignee: str,
    policy: SchedulePolicy,
    *,
    occurrence_id: str = "",
) -> tuple[CallbackTask | None, list[Conflict]]:
    """Offers and attempts must be sorted by (occurred_at, event id)."""
    conflicts: list[Conflict] = []
    # Two outcomes of the offer at the attendance disagree; an offer made later is a new offer,
    # so a refusal at the door and an acceptance weeks after are no conflict.
    at_door = [o for o in offers if o.stage == "attendance"]
    if len({o.outcome for o in at_door}) > 1:
        accepted = any(o.outcome == "accepted" for o in at_door)
        conflicts.append(
            Conflict.of(
                "offer_outcomes_differ",
                household_id,
                [o.event_id for o in at_door],
                "VCAS was accepted, so no call-back is needed."
                if accepted
                else "The most recent offer decides the call-back.",
            )
        )
    if not offers:
        return None, conflicts
    triggers = [o for o in offers if o.outcome in policy.triggered_by]
    if not triggers:
        return None, conflicts
    governing = offers[-1]
    accepted_offer = next((o for o in offers if o.outcome == "accepted"), None)
    if governing.outcome not in policy.triggered_by and accepted_offer is None:
        return None, conflicts
    trigger = triggers[-1]

    def made(
        attempts_made: int = 0, state: TaskState = TaskState.OPEN, reason: str = "",
        by: OfferView | AttemptView | None = None, retry: tuple[date, str] | None = None,
    ) -> CallbackTask:
        # Made once, as it ends up (a projection makes one per household on every save): due
        # as the trigger makes it, unless a retry after no answer says otherwise.
        due, rule = retry or (policy.first_due(trigger.occurred_at), _first_rule(policy, trigger))
        return CallbackTask(
            household_id=household_id,
            occurrence_id=occurrence_id,
            assignee=assignee,
            trigger_event_id=trigger.event_id,
            due=due,
            attempts_made=attempts_made,
            state=state,
            reason=reason,
            rule=rule,
            policy_version=policy.version,
            closed_by_event=by.event_id if by else "",
            closed_by_author=by.author if by else "",
            closed_by_device=by.device_id if by else "",
        )

    if accepted_offer is not None:
        reason = policy.closed_by_offer.get(accepted_offer.stage, "Accepted")
        return made(0, TaskState.DONE, reason, accepted_offer), conflicts

    # What closes a task, and how, is the policy's `closes_task`; anything else is tried again.
    accepted_call = next((a for a in attempts if a.outcome == "accepted"), None)
    closing = [
        a for a in attempts if a.outcome in policy.closes_task and a.outcome != "accepted"
    ]
    outcomes = {a.outcome for a in attempts if a.outcome != "no_answer"}
    if len(outcomes) > 1 or (closing and len({a.outcome for a in closing}) > 1):
        conflicts.append(
            Conflict.of(
                "callback_outcomes_differ",
                household_id,
                [a.event_id for a in attempts if a.outcome != "no_answer"],
                "An acceptance closes the call-back; otherwise the most recent outcome counts.",
            )
        )
    if accepted_call is not None:
        done = policy.closes_task["accepted"]
        return made(len(attempts), TaskState(done.state), done.reason, accepted_call), conflicts
    if closing:
        last = closing[-1]
        ended = policy.closes_task[last.outcome]
        return made(len(attempts), TaskState(ended.state), ended.reason, last), conflicts

    unanswered = [a for a in attempts if a.outcome not in policy.closes_task]
    if not unanswered:
        return made(), conflicts
    count = len(unanswered)
    last = unanswered[-1]
    if count >= policy.max_attempts:
        return made(count, TaskState.CLOSED, f"No answer after {count} attempts", last), conflicts
    retry = policy.retry_due(last.occurred_at, count)
    rule = (
        f"try again {policy.retry_spacing(count)} days after no answer on "
        f"{_d(london_date(last.occurred_at))} "
        f"(attempt {count + 1} of {policy.max_attempts})"
    )
    return made(count, retry=(retry, rule)), conflicts


def _first_rule(policy: SchedulePolicy, trigger: OfferView) -> str:
    return (
        f"{policy.after_days} days after the offer was {trigger.outcome.replace('_', ' ')} "
        f"on {_d(london_date(trigger.occurred_at))}"
    )
