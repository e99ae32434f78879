"""The force's own lists (data from resources/): its districts and teams, and the partner
organisations its leaflets signpost to.

A district is matched without regard to case or spacing ("leeds", " Leeds " are Leeds); any
other text ("Leeds City") is not a district until an administrator maps it
(`fieldapp-central admin districts`). Records already stored under such a text are never
dropped: they count under their own name, and the figures say so.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


def _folded(text: str) -> str:
    return " ".join(text.split()).casefold()


def same_district(a: str, b: str) -> bool:
    """Two texts that name one district, whatever their case or spacing."""
    return _folded(a) == _folded(b)


def _or_list(names: tuple[str, ...]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


@dataclass(frozen=True)
class District:
    name: str
    teams: tuple[str, ...]  # none listed: any team name is accepted


@dataclass(frozen=True)
class Districts:
    version: str
    districts: tuple[District, ...]
    # Each listed name by its folded form (the first, were two to fold alike): every
    # occurrence pushed or captured is matched, and folding every name each time was a
    # fortieth of reading an event.
    _by_folded: Mapping[str, str] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        by_folded: dict[str, str] = {}
        for d in self.districts:
            by_folded.setdefault(_folded(d.name), d.name)
        object.__setattr__(self, "_by_folded", by_folded)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(d.name for d in self.districts)

    def match(self, text: str) -> str | None:
        """The listed name `text` stands for, or None if it is not one of the force's."""
        return self._by_folded.get(_folded(text))

    def label(self, text: str) -> str:
        """How a stored district shows in figures: its listed name, else its own text."""
        return self.match(text) or " ".join(text.split())

    def refusal(self, text: str) -> str:
        return f"“{text.strip()}” is not one of the force's districts: choose " \
               f"{_or_list(self.names)}."

    def team_refusal(self, district: str, team: str) -> str | None:
        """Why `team` is not a team of `district`, or None if it is (or none are listed)."""
        listed = next((d for d in self.districts if d.name == district), None)
        if listed is None or not listed.teams:
            return None
        if any(_folded(team) == _folded(t) for t in listed.teams):
            return None
        return f"“{team.strip()}” is not a team in {district}: choose {_or_list(listed.teams)}."

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Districts:
        districts = tuple(
            District(str(item["name"]).strip(), tuple(str(t) for t in item.get("teams", ())))
            for item in data["districts"]
        )
        folded = [_folded(d.name) for d in districts]
        if not districts or len(set(folded)) != len(folded) or not all(folded):
            raise ValueError("the district list needs distinct, non-empty names")
        return cls(version=str(data["version"]), districts=districts)


# Partner-engagement reports are one record per partner and month: every supervisor's report
# of the same month lands on the same aggregate, so they are one fact (the latest stands).
_ENGAGEMENT_NAMESPACE = uuid.UUID("6f1c2a7e-5a3b-4c8e-9d41-0b7e2f6a9c15")


def engagement_aggregate(partner: str, month: str) -> str:
    """The aggregate id of a partner's month (`month` as YYYY-MM): derived, never random."""
    return str(uuid.uuid5(_ENGAGEMENT_NAMESPACE, f"partner-engagement:{partner}:{month}"))


@dataclass(frozen=True)
class Partner:
    id: str
    name: str
    leaflets: tuple[str, ...]  # leaflet catalogue ids that signpost to this partner


@dataclass(frozen=True)
class Partners:
    version: str
    partners: tuple[Partner, ...]

    @property
    def names(self) -> dict[str, str]:
        return {p.id: p.name for p in self.partners}

    def get(self, partner_id: str) -> Partner | None:
        return next((p for p in self.partners if p.id == partner_id), None)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Partners:
        partners = tuple(
            Partner(str(item["id"]), str(item["name"]),
                    tuple(str(leaflet) for leaflet in item.get("leaflets", ())))
            for item in data["partners"]
        )
        if len({p.id for p in partners}) != len(partners):
            raise ValueError("the partner list has duplicate ids")
        return cls(version=str(data["version"]), partners=partners)


@dataclass(frozen=True)
class ForceLists:
    """What capture and the endpoint check names against (the laptop's forms offer these)."""

    districts: Districts
    partners: Partners
