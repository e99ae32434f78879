"""Fixed vocabularies of the work, and the leaflet catalogue (data from resources/)."""

from __future__ import annotations

from collections.abc import Mapping
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

# Indicators that by themselves demand an immediate escalation.
ESCALATING_RISKS: frozenset[str] = frozenset(
    {"self_harm_thoughts", "suicidal_thoughts", "previous_attempt"}
)

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
class LeafletCatalogue:
    version: str
    leaflets: tuple[Leaflet, ...]

    @property
    def titles(self) -> dict[str, str]:
        return {leaflet.id: leaflet.title for leaflet in self.leaflets}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LeafletCatalogue:
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
        return cls(version=str(data["version"]), leaflets=leaflets)
