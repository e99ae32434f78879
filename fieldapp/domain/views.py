"""Read models computed from events: what the officer, the OIC and the supervisor see."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from fieldapp.domain.catalogue import PERSON_UNDER_INVESTIGATION
from fieldapp.domain.contacts import Contact, Phone
from fieldapp.domain.events import (
    CallbackAttempt,
    Escalation,
    Event,
    LeafletIssue,
    Member,
    VcasOffer,
)

if TYPE_CHECKING:
    from fieldapp.domain.referral import Referral
    from fieldapp.domain.schedule import CallbackTask

# An offer made before contacts were recorded in full kept a name and a number only; read as a
# contact, it says that nobody asked whether it is safe.
LEGACY_CONTACT_NOTE = "Recorded before the safety questions were asked: check it is safe to talk."


@dataclass(frozen=True)
class LeafletIssueView:
    event_id: str
    occurrence_id: str
    occurred_at: datetime
    author: str
    person_name: str
    leaflets: tuple[str, ...]
    outcome: str
    risk_indicators: tuple[str, ...]
    escalated: bool
    no_risk_seen: bool = False
    escalation: Escalation | None = None

    @classmethod
    def of(cls, event: Event, p: LeafletIssue) -> LeafletIssueView:
        return cls(
            event.id, event.aggregate_id, event.occurred_at, event.author, p.person_name,
            p.leaflets, p.outcome, p.risk_indicators, p.escalated, p.no_risk_seen, p.escalation,
        )


@dataclass(frozen=True)
class OfferView:
    event_id: str
    occurred_at: datetime
    author: str
    device_id: str
    outcome: str
    reason: str
    consent_to_share: bool
    stage: str = "attendance"
    contacts: tuple[Contact, ...] = ()

    @classmethod
    def of(cls, event: Event, p: VcasOffer) -> OfferView:
        return cls(
            event.id, event.occurred_at, event.author, event.device_id, p.outcome, p.reason,
            p.consent_to_share, p.stage, p.contacts or _legacy_contacts(p),
        )

    @property
    def usable_number(self) -> str:
        for contact in self.contacts:  # a loop, not a generator: asked of every offer
            if number := contact.usable_number:
                return number
        return ""


def _legacy_contacts(p: VcasOffer) -> tuple[Contact, ...]:
    if not (p.contact_name or p.contact_phone):
        return ()
    phones = (Phone(p.contact_phone, "other"),) if p.contact_phone else ()
    return (Contact(p.contact_name, "", phones, (), True, False, notes=LEGACY_CONTACT_NOTE),)


@dataclass(frozen=True)
class AttemptView:
    event_id: str
    occurred_at: datetime
    author: str
    device_id: str
    outcome: str
    notes: str = ""
    consent_to_share: bool = False
    contact_phone: str = ""

    @classmethod
    def of(cls, event: Event, p: CallbackAttempt) -> AttemptView:
        return cls(
            event.id, event.occurred_at, event.author, event.device_id, p.outcome, p.notes,
            p.consent_to_share, p.contact_phone,
        )


@dataclass(frozen=True)
class OccurrenceView:
    id: str
    reference: str
    offence_types: tuple[str, ...]
    oic: str
    district: str
    recorded_at: datetime | None
    leaflet_issues: tuple[LeafletIssueView, ...]
    # Every occurrence id recorded with this one's reference, when there is more than one:
    # the view is named by the smallest (fieldapp.domain.joins).
    joined_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class HouseholdView:
    id: str
    merged_ids: tuple[str, ...]
    occurrence_id: str
    address: str
    postcode: str
    members: tuple[Member, ...]
    recorded_by: str
    offers: tuple[OfferView, ...]
    attempts: tuple[AttemptView, ...]
    task: CallbackTask | None
    # Who to call: the contacts of the latest offer that recorded any (a correction changes it).
    contacts: tuple[Contact, ...] = ()
    referral: Referral | None = None

    @property
    def suspect_lives_here(self) -> bool:
        """The person under investigation lives at the address: check it is safe to talk."""
        return any(m.relationship == PERSON_UNDER_INVESTIGATION for m in self.members)

    @property
    def first_offer(self) -> OfferView | None:
        """The offer that counts the household as offered: the earliest one made."""
        made = [o for o in self.offers if o.outcome != "not_appropriate"]
        return min(made, key=lambda o: (o.occurred_at, o.event_id)) if made else None

    @property
    def accepted_at_arrest(self) -> bool:
        """Accepted when offered at the attendance (the practice's "at the time of arrest")."""
        return any(o.outcome == "accepted" and o.stage == "attendance" for o in self.offers)

    @property
    def accepted_later(self) -> bool:
        """Accepted at an offer made later, before any acceptance at a call-back."""
        return self.first_acceptance_where == "later"

    @property
    def accepted_at_callback(self) -> bool:
        return self.first_acceptance_where == "callback"

    @property
    def first_acceptance_where(self) -> str:
        """Where VCAS was first accepted: "attendance", "later", "callback", or "" if not."""
        if self.accepted_at_arrest:
            return "attendance"
        found: list[tuple[datetime, str, str]] = [
            (o.occurred_at, o.event_id, "later") for o in self.offers if o.outcome == "accepted"
        ]
        found += [(a.occurred_at, a.event_id, "callback") for a in self.attempts
                  if a.outcome == "accepted"]
        return min(found)[2] if found else ""


@dataclass(frozen=True)
class Conflict:
    """Two records disagree. The rules already decided what is shown; the OIC can confirm."""

    key: str
    kind: str
    scope: str
    event_ids: tuple[str, ...]
    resolution: str
    confirmed_by: str = ""
    note: str = ""

    @classmethod
    def of(cls, kind: str, scope: str, event_ids: Iterable[str], resolution: str) -> Conflict:
        ids = tuple(sorted(event_ids))
        digest = hashlib.sha256("|".join((kind, *ids)).encode()).hexdigest()[:24]
        return cls(f"{kind}:{digest}", kind, scope, ids, resolution)
