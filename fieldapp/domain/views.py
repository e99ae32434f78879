"""Read models computed from events: what the officer, the OIC and the supervisor see."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from fieldapp.domain.events import (
    CallbackAttempt,
    Event,
    LeafletIssue,
    Member,
    VcasOffer,
)

if TYPE_CHECKING:
    from fieldapp.domain.schedule import CallbackTask


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

    @classmethod
    def of(cls, event: Event, p: LeafletIssue) -> LeafletIssueView:
        return cls(
            event.id, event.aggregate_id, event.occurred_at, event.author, p.person_name,
            p.leaflets, p.outcome, p.risk_indicators, p.escalated,
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

    @classmethod
    def of(cls, event: Event, p: VcasOffer) -> OfferView:
        return cls(
            event.id, event.occurred_at, event.author, event.device_id, p.outcome, p.reason,
            p.consent_to_share,
        )


@dataclass(frozen=True)
class AttemptView:
    event_id: str
    occurred_at: datetime
    author: str
    device_id: str
    outcome: str

    @classmethod
    def of(cls, event: Event, p: CallbackAttempt) -> AttemptView:
        return cls(event.id, event.occurred_at, event.author, event.device_id, p.outcome)


@dataclass(frozen=True)
class OccurrenceView:
    id: str
    reference: str
    offence_types: tuple[str, ...]
    oic: str
    district: str
    recorded_at: datetime | None
    leaflet_issues: tuple[LeafletIssueView, ...]


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

    @property
    def first_offer(self) -> OfferView | None:
        """The offer at arrest that counts for the figures: the earliest one made."""
        made = [o for o in self.offers if o.outcome != "not_appropriate"]
        return min(made, key=lambda o: (o.occurred_at, o.event_id)) if made else None

    @property
    def accepted_at_arrest(self) -> bool:
        return any(o.outcome == "accepted" for o in self.offers)

    @property
    def accepted_at_callback(self) -> bool:
        return not self.accepted_at_arrest and any(a.outcome == "accepted" for a in self.attempts)


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
