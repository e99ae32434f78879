"""Everything the OIC needs to make a call-back, as the follow-ups pane and the call-back form
show it: the warning first when the person under investigation lives there, then who to call
and whether it is safe, the offer, earlier attempts, leaflets given and risk flags, and where
the VCAS referral stands.

Pure text from read models (no Qt): the same for both places, and testable as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

from fieldapp.domain.catalogue import (
    CALLBACK_OUTCOMES,
    CONTACT_RELATIONSHIPS,
    OFFER_OUTCOMES,
    OFFER_STAGES,
    PHONE_LABELS,
    RISK_INDICATORS,
    LeafletCatalogue,
)
from fieldapp.domain.contacts import Contact
from fieldapp.domain.policy import SchedulePolicy, london_date
from fieldapp.domain.referral import ReferralStatus, why_not_sendable
from fieldapp.domain.views import HouseholdView, OccurrenceView

SAFETY_WARNING = (
    "The person under investigation lives at this address. Check it is safe to talk before "
    "you say who is calling."
)

ESCALATED_FLAG = (
    "A suicide or self-harm risk was escalated in this occurrence (see Risk flags): the "
    "household may be under strain."
)

REFERRAL_LABELS: dict[ReferralStatus, str] = {
    ReferralStatus.OVERDUE: "Overdue",
    ReferralStatus.DUE: "Due today",
    ReferralStatus.UPCOMING: "Due",
    ReferralStatus.NO_CONSENT: "No consent: cannot be sent",
    ReferralStatus.SENT: "Sent",
    ReferralStatus.ACKNOWLEDGED: "Acknowledged by VCAS",
    ReferralStatus.WITHDRAWN: "Withdrawn",
}


def _d(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def yes_no(value: bool) -> str:
    return "yes" if value else "no"


def call_times(contact: Contact, policy: SchedulePolicy) -> str:
    """The contact's preferred times, or the force's call hours when they gave none."""
    if contact.preferred_times:
        return ", ".join(f"{t.start}–{t.end}" for t in contact.preferred_times)
    return f"none given (call between {policy.describe_call_hours()})"


def contact_lines(contact: Contact, policy: SchedulePolicy) -> list[str]:
    relationship = CONTACT_RELATIONSHIPS.get(contact.relationship, "relationship not recorded")
    numbers = "; ".join(
        f"{p.number} ({PHONE_LABELS.get(p.label, p.label)})" for p in contact.phones
    ) or "no number recorded"
    lines = [
        f"{contact.name or 'Name not recorded'} ({relationship})",
        f"Numbers: {numbers}",
        f"Safe to call: {yes_no(contact.safe_to_call)}. "
        f"Safe to leave a message: {yes_no(contact.safe_to_leave_message)}.",
        f"Preferred times: {call_times(contact, policy)}",
    ]
    if contact.language or contact.interpreter_needed:
        language = contact.language or "not recorded"
        lines.append(f"Language: {language}. Interpreter needed: "
                     f"{yes_no(contact.interpreter_needed)}.")
    if contact.access_needs:
        lines.append(f"Access needs: {contact.access_needs}")
    if contact.notes:
        lines.append(f"Notes: {contact.notes}")
    return lines


@dataclass(frozen=True)
class Brief:
    """The detail as sections of plain lines; `html` for a label, `text` for tests."""

    warning: str
    sections: tuple[tuple[str, tuple[str, ...]], ...]
    flag: str = ""  # a suicide or self-harm risk escalated in the occurrence

    @property
    def text(self) -> str:
        parts = [line for line in (self.warning, self.flag) if line]
        for heading, lines in self.sections:
            parts.append(heading)
            parts.extend(lines)
        return "\n".join(parts)

    @property
    def html(self) -> str:
        parts = []
        if self.warning:
            parts.append(f"<p style='color:#b00020'><b>⚠ {escape(self.warning)}</b></p>")
        if self.flag:
            parts.append(f"<p style='color:#b00020'><b>⚑ {escape(self.flag)}</b></p>")
        for heading, lines in self.sections:
            body = "<br>".join(escape(line) for line in lines)
            parts.append(f"<p><b>{escape(heading)}</b><br>{body}</p>")
        return "".join(parts)


def brief(
    view: HouseholdView,
    occurrence: OccurrenceView | None,
    catalogue: LeafletCatalogue,
    policy: SchedulePolicy,
    today: date,
    changed_by_others: Sequence[str] = (),
) -> Brief:
    """`changed_by_others`: who else corrected or retracted the household's records, when
    and why (`amend.changed_by_others`), shown as the put-right window shows it."""
    sections: list[tuple[str, tuple[str, ...]]] = []
    flag = ""
    people: list[str] = []
    for n, contact in enumerate(view.contacts):
        if n:
            people.append("")
        people += contact_lines(contact, policy)
    sections.append(("Who to call", tuple(people or ["No contact was recorded at the offer."])))
    task = view.task
    if task is not None:
        sections.append(("Call-back", (
            f"Due {_d(task.due)}: {task.rule if task.is_open else task.reason}",
        )))
    offers = tuple(
        f"{_d(london_date(o.occurred_at))} by {o.author}, {OFFER_STAGES.get(o.stage, o.stage)}: "
        f"{OFFER_OUTCOMES.get(o.outcome, o.outcome)}" + (f" ({o.reason})" if o.reason else "")
        for o in view.offers
    )
    sections.append(("The offer", offers or ("No offer recorded.",)))
    attempts = tuple(
        f"{_d(london_date(a.occurred_at))} by {a.author}: "
        f"{CALLBACK_OUTCOMES.get(a.outcome, a.outcome)}" + (f". {a.notes}" if a.notes else "")
        for a in view.attempts
    )
    sections.append(("Earlier call-backs", attempts or ("None yet.",)))
    if occurrence is not None:
        titles = catalogue.titles
        given = sorted({titles.get(i, i) for issue in occurrence.leaflet_issues
                        for i in issue.leaflets})
        risks = sorted({RISK_INDICATORS.get(r, r) for issue in occurrence.leaflet_issues
                        for r in issue.risk_indicators})
        targets = catalogue.support.escalation_targets
        escalated = [
            f"Escalated to {targets.get(i.escalation.to, i.escalation.to)} by {i.escalation.by}"
            for i in occurrence.leaflet_issues if i.escalation is not None
        ]
        sections.append(("Leaflets given in the occurrence",
                         (", ".join(given) if given else "None recorded.",)))
        sections.append(("Risk flags", tuple(risks + escalated) or ("No risk recorded.",)))
        if any(i.escalated for i in occurrence.leaflet_issues):
            flag = ESCALATED_FLAG
    referral = view.referral
    if referral is not None:
        status = REFERRAL_LABELS[referral.status(today)]
        lines = [f"{status}: {referral.rule}; due {_d(referral.due)}."]
        why = why_not_sendable(referral)
        if why and referral.is_open:
            lines.append(why)
        sections.append(("VCAS referral", tuple(lines)))
    if changed_by_others:
        sections.append(("Changed by another officer", tuple(changed_by_others)))
    return Brief(SAFETY_WARNING if view.suspect_lives_here else "", tuple(sections), flag)
