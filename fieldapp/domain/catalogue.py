"""Fixed vocabularies of the work, and the leaflet catalogue (data from resources/)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

OFFENCE_TYPES: Mapping[str, str] = {
    "iioc": "Indecent images of children",
    "sexual_communication_child": "Sexual communication with a child",
    "voyeurism": "Voyeurism",
    "indecent_exposure": "Indecent exposure",
}

LEAFLET_OUTCOMES: Mapping[str, str] = {
    "handed": "Handed to the person",
    "left_at_address": "Left at the address",
    "declined": "Declined by the person",
}

RISK_INDICATORS: Mapping[str, str] = {
    "self_harm_thoughts": "Said they had thoughts of self-harm",
    "suicidal_thoughts": "Said they had thoughts of suicide",
    "previous_attempt": "Previous suicide attempt or self-harm disclosed",
    "distressed": "Very distressed or agitated",
    "intoxicated": "Under the influence of alcohol or drugs",
    "lives_alone": "Lives alone or little support",
    "access_to_means": "Access to means of self-harm",
}

RELATIONSHIPS: Mapping[str, str] = {
    "partner": "Partner",
    "person_under_investigation": "Person under investigation",
    "child": "Child",
    "other_adult": "Other adult",
    "dependant": "Dependant",
}

OFFER_OUTCOMES: Mapping[str, str] = {
    "accepted": "Accepted",
    "declined": "Declined",
    "not_present": "Not present",
    "not_appropriate": "Not appropriate",
}

# The person under investigation may live at the address; they are never a contact for victim
# support, and their presence makes a call-back a call to check it is safe to talk first.
PERSON_UNDER_INVESTIGATION = "person_under_investigation"
CONTACT_RELATIONSHIPS: Mapping[str, str] = {
    k: v for k, v in RELATIONSHIPS.items() if k != PERSON_UNDER_INVESTIGATION
}

# When the offer was made: at the police attendance, or at a further point in the aftermath.
OFFER_STAGES: Mapping[str, str] = {
    "attendance": "At the attendance",
    "later": "Later, in the aftermath",
}

PHONE_LABELS: Mapping[str, str] = {
    "mobile": "Mobile",
    "home": "Home",
    "work": "Work",
    "other": "Other",
}

# One event type records each step of a referral into VCAS after an acceptance.
REFERRAL_STEPS: Mapping[str, str] = {
    "sent": "Sent to VCAS",
    "acknowledged": "Acknowledged by VCAS",
    "withdrawn": "Withdrawn",
}

CALLBACK_OUTCOMES: Mapping[str, str] = {
    "accepted": "Accepted",
    "declined": "Declined",
    "no_answer": "No answer",
    "wrong_number": "Wrong number",
}


@dataclass(frozen=True)
class Leaflet:
    id: str
    title: str
    description: str
    contact: str


@dataclass(frozen=True)
class SupportLists:
    """Force data in resources/support.json: whom a risk is escalated to, how a referral is
    sent, and which combinations of risk indicators demand an escalation."""

    version: str
    escalation_targets: Mapping[str, str]
    referral_methods: Mapping[str, str]
    escalate_when: tuple[frozenset[str], ...]

    def needs_escalation(self, risks: Iterable[str]) -> bool:
        seen = set(risks)
        return any(combination <= seen for combination in self.escalate_when)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SupportLists:
        combinations = tuple(frozenset(str(r) for r in c) for c in data["escalate_when"])
        unknown = {r for c in combinations for r in c} - set(RISK_INDICATORS)
        if unknown or not all(combinations):
            raise ValueError(f"escalation combinations name unknown risks: {sorted(unknown)}")
        return cls(
            version=str(data["version"]),
            escalation_targets={str(k): str(v) for k, v in data["escalation_targets"].items()},
            referral_methods={str(k): str(v) for k, v in data["referral_methods"].items()},
            escalate_when=combinations,
        )


@dataclass(frozen=True)
class LeafletCatalogue:
    """The leaflets, and the support lists the same forms choose from (validation reads both
    through `Rules.catalogue`)."""

    version: str
    leaflets: tuple[Leaflet, ...]
    support: SupportLists

    @property
    def titles(self) -> dict[str, str]:
        return {leaflet.id: leaflet.title for leaflet in self.leaflets}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], support: Mapping[str, Any]) -> LeafletCatalogue:
        leaflets = tuple(
            Leaflet(
                id=str(item["id"]),
                title=str(item["title"]),
                description=str(item.get("description", "")),
                contact=str(item.get("contact", "")),
            )
            for item in data["leaflets"]
        )
        if len({leaflet.id for leaflet in leaflets}) != len(leaflets):
            raise ValueError("leaflet catalogue has duplicate ids")
        return cls(
            version=str(data["version"]), leaflets=leaflets,
            support=SupportLists.from_dict(support),
        )
