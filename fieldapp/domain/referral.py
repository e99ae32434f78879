"""A household's referral into VCAS, derived from its acceptances and referral steps.

The rules (Victims' Code 2021, Right 4):
- The first acceptance of VCAS (at the attendance, at a later offer or at the call-back) makes
  a referral due within the policy's working days of it (weekends and England & Wales weekday
  bank holidays skipped).
- A referral can be sent only with explicit consent to share contact details: an acceptance
  without it is recorded, and the referral stands as "no consent" until an acceptance (or a
  correction of one) records consent.
- Steps are `referral_recorded` events: sent (how; by whom and when are the envelope's), then
  acknowledged by VCAS (who at VCAS), or withdrawn with a reason at any point. The first of
  each step counts; a withdrawal ends the referral whatever else is recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from fieldapp.domain.events import Event, ReferralRecorded
from fieldapp.domain.policy import SchedulePolicy, london_date
from fieldapp.domain.views import AttemptView, OfferView


class ReferralState(StrEnum):
    NO_CONSENT = "no_consent"  # accepted, but cannot be sent
    DUE = "due"
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    WITHDRAWN = "withdrawn"


class ReferralStatus(StrEnum):
    NO_CONSENT = "no_consent"
    UPCOMING = "upcoming"
    DUE = "due"
    OVERDUE = "overdue"
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    WITHDRAWN = "withdrawn"


ACCEPTED_WHERE = {
    "attendance": "at the attendance",
    "later": "at a later offer",
    "callback": "at the call-back",
}


@dataclass(frozen=True)
class StepView:
    event_id: str
    occurred_at: datetime
    author: str
    step: str
    method: str
    vcas_contact: str
    reason: str

    @classmethod
    def of(cls, event: Event, p: ReferralRecorded) -> StepView:
        return cls(event.id, event.occurred_at, event.author, p.step, p.method, p.vcas_contact,
                   p.reason)


@dataclass(frozen=True)
class Referral:
    household_id: str
    accepted_event_id: str
    accepted_at: datetime
    accepted_by: str
    accepted_where: str  # ACCEPTED_WHERE
    consent_to_share: bool
    number: str  # the number VCAS can call, from the acceptance or the household's contacts
    due: date
    state: ReferralState
    rule: str
    policy_version: str
    sent_at: datetime | None = None
    sent_by: str = ""
    method: str = ""
    acknowledged_at: datetime | None = None
    acknowledged_by: str = ""  # who at VCAS
    withdrawn_at: datetime | None = None
    withdrawn_by: str = ""
    withdrawn_reason: str = ""

    @property
    def is_open(self) -> bool:
        return self.state in (ReferralState.DUE, ReferralState.NO_CONSENT)

    @property
    def sent_on_time(self) -> bool:
        return self.sent_at is not None and london_date(self.sent_at) <= self.due

    def status(self, today: date) -> ReferralStatus:
        if self.state is not ReferralState.DUE:
            return ReferralStatus(self.state.value)
        if self.due > today:
            return ReferralStatus.UPCOMING
        return ReferralStatus.DUE if self.due == today else ReferralStatus.OVERDUE


def why_not_sendable(referral: Referral | None) -> str:
    """Why this referral cannot be sent now, in the officer's words; "" if it can."""
    if referral is None:
        return "VCAS has not been accepted by this household, so no referral is due."
    if referral.state is ReferralState.NO_CONSENT:
        return (
            "No referral can be sent: they accepted VCAS without consenting to share their "
            "contact details. Record their consent (correct the acceptance) first, or give them "
            "VCAS's number to contact it themselves."
        )
    if not referral.number:
        return "No referral can be sent: VCAS needs a number it can call safely."
    if referral.state is not ReferralState.DUE:
        return "This referral has already been sent or withdrawn."
    return ""


def derive_referral(
    household_id: str,
    offers: Sequence[OfferView],
    attempts: Sequence[AttemptView],
    steps: Sequence[StepView],
    fallback_number: str,
    policy: SchedulePolicy,
) -> Referral | None:
    """Offers, attempts and steps must be sorted by (occurred_at, event id)."""
    acceptances: list[tuple[datetime, str, str, str, bool, str]] = [
        (o.occurred_at, o.event_id, o.author, "attendance" if o.stage == "attendance" else "later",
         o.consent_to_share, o.usable_number)
        for o in offers if o.outcome == "accepted"
    ]
    acceptances += [
        (a.occurred_at, a.event_id, a.author, "callback", a.consent_to_share, a.contact_phone)
        for a in attempts if a.outcome == "accepted"
    ]
    if not acceptances:
        return None
    acceptances.sort()
    at, event_id, author, where, _, _ = acceptances[0]
    consented = [a for a in acceptances if a[4]]
    number = next((a[5] for a in consented if a[5]), fallback_number) if consented else ""
    sent = next((s for s in steps if s.step == "sent"), None)
    acknowledged = next((s for s in steps if s.step == "acknowledged"), None)
    withdrawn = next((s for s in steps if s.step == "withdrawn"), None)
    state = ReferralState.DUE if consented else ReferralState.NO_CONSENT
    if sent is not None:
        state = ReferralState.SENT
    if acknowledged is not None:
        state = ReferralState.ACKNOWLEDGED
    if withdrawn is not None:
        state = ReferralState.WITHDRAWN
    return Referral(
        household_id=household_id,
        accepted_event_id=event_id,
        accepted_at=at,
        accepted_by=author,
        accepted_where=where,
        consent_to_share=bool(consented),
        number=number,
        due=policy.referral_due(at),
        state=state,
        rule=f"{policy.referral_within_working_days} working days after VCAS was accepted "
        f"{ACCEPTED_WHERE[where]} on {london_date(at):%d/%m/%Y}",
        policy_version=policy.version,
        sent_at=sent.occurred_at if sent else None,
        sent_by=sent.author if sent else "",
        method=sent.method if sent else "",
        acknowledged_at=acknowledged.occurred_at if acknowledged else None,
        acknowledged_by=acknowledged.vcas_contact if acknowledged else "",
        withdrawn_at=withdrawn.occurred_at if withdrawn else None,
        withdrawn_by=withdrawn.author if withdrawn else "",
        withdrawn_reason=withdrawn.reason if withdrawn else "",
    )
