"""Builders for valid events, shared by every test package."""

from __future__ import annotations

import itertools
import random
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

import uuid6

from fieldapp.domain.events import Event, EventType, Rules, make_event
from fieldapp.resources import load_catalogue

FAR_FUTURE = datetime(2100, 1, 1, tzinfo=UTC)


def rules(now: datetime = FAR_FUTURE) -> Rules:
    return Rules(load_catalogue(), now)


def new_id() -> str:
    # What the app makes (fieldapp/ui/session.py): time-ordered ids, so the tests' and the
    # benches' records land in the b-trees as an officer's do, not at random places.
    return str(uuid6.uuid7())


def event(
    event_type: EventType,
    aggregate_id: str,
    payload: Mapping[str, Any],
    at: datetime,
    *,
    author: str = "1234",
    device: str = "laptop-a",
    event_id: str | None = None,
) -> Event:
    return make_event(
        event_id=event_id or str(uuid6.uuid7()),
        event_type=event_type,
        aggregate_id=aggregate_id,
        payload=payload,
        occurred_at=at,
        recorded_at=at + timedelta(seconds=30),
        author=author,
        device_id=device,
        rules=rules(),
    )


def unique_reference() -> str:
    """A force reference no other test occurrence has: occurrences with one reference are
    one occurrence (fieldapp.domain.identity)."""
    return f"13/{next(_REFERENCES):06d}/24"


_REFERENCES = itertools.count(200_000)


def occurrence(occurrence_id: str, at: datetime, *, oic: str = "1234", district: str = "Leeds",
               offences: tuple[str, ...] = ("iioc",), reference: str | None = None,
               **kw: Any) -> Event:
    payload = {"reference": reference or unique_reference(), "offence_types": list(offences),
               "oic": oic,
               "district": district}
    return event(EventType.OCCURRENCE_RECORDED, occurrence_id, payload, at, **kw)


def household(household_id: str, occurrence_id: str, at: datetime, *, postcode: str = "LS1 4HY",
              address: str = "1 High Street, Leeds", **kw: Any) -> Event:
    payload = {
        "occurrence_id": occurrence_id,
        "address": address,
        "postcode": postcode,
        "members": [{"relationship": "partner", "name": "A"}, {"relationship": "child", "age": 9}],
    }
    return event(EventType.HOUSEHOLD_RECORDED, household_id, payload, at, **kw)


def offer(household_id: str, outcome: str, at: datetime, **kw: Any) -> Event:
    payload: dict[str, Any] = {"outcome": outcome}
    if outcome == "accepted":
        payload |= {"consent_to_share": True, "contact_phone": "07700 900123"}
    if outcome == "not_appropriate":
        payload["reason"] = "Partner is the person under investigation"
    return event(EventType.VCAS_OFFERED, household_id, payload, at, **kw)


def callback(household_id: str, outcome: str, at: datetime, **kw: Any) -> Event:
    payload: dict[str, Any] = {"outcome": outcome}
    if outcome == "accepted":
        payload |= {"consent_to_share": True, "contact_phone": "07700 900123"}
    return event(EventType.CALLBACK_ATTEMPTED, household_id, payload, at, **kw)


def leaflets(occurrence_id: str, at: datetime, *, risks: tuple[str, ...] = (), **kw: Any) -> Event:
    payload = {
        "person_name": "J Smith",
        "leaflets": ["safer_lives", "samaritans"],
        "outcome": "handed",
        "risk_indicators": list(risks),
        "escalated": bool(risks),
        "no_risk_seen": not risks,
    }
    if risks:
        payload["escalation"] = {"to": "supervisor", "by": kw.get("author", "1234"),
                                 "at": at.isoformat()}
    return event(EventType.LEAFLET_ISSUED, occurrence_id, payload, at, **kw)


def households_between(
    start: date, end: date, at_arrest: int, at_callback: int, refused: int, rng: random.Random,
    *, districts: tuple[str, ...] = ("Leeds", "Bradford"), **kw: Any,
) -> list[Event]:
    """Households first offered VCAS between two days: so many accepting at arrest, so many
    at the call-back after declining, the rest refusing both. `kw` goes to every event."""
    events: list[Event] = []
    span = (end - start).days
    outcomes = ["arrest"] * at_arrest + ["callback"] * at_callback + ["refused"] * refused
    for kind in outcomes:
        day = start + timedelta(days=rng.randrange(span + 1))
        at = datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
        o, h = new_id(), new_id()
        events += [occurrence(o, at, district=rng.choice(list(districts)), **kw),
                   household(h, o, at, **kw)]
        if kind == "arrest":
            events.append(offer(h, "accepted", at, **kw))
            continue
        events.append(offer(h, rng.choice(["declined", "not_present"]), at, **kw))
        later = at + timedelta(days=21)
        if kind == "callback":
            events.append(callback(h, "no_answer", later, **kw))
            events.append(callback(h, "accepted", later + timedelta(days=2), **kw))
        else:
            events.append(callback(h, rng.choice(["declined", "wrong_number"]), later, **kw))
    return events


def seed_events(rng: random.Random, **kw: Any) -> list[Event]:
    """The seed's table as events: 2022 — 33 offers, 12 at arrest + 3 at call-back (45%);
    January 2023 to March 2024 — 87 offers, 16 + 9 (29%); 120 offers, 40 accepted (33%).
    Plus a household where VCAS was not appropriate, which is no offer."""
    events = households_between(date(2022, 1, 1), date(2022, 12, 31), 12, 3, 18, rng, **kw)
    events += households_between(date(2023, 1, 1), date(2024, 3, 31), 16, 9, 62, rng, **kw)
    o, h = new_id(), new_id()
    at = datetime(2022, 6, 1, tzinfo=UTC)
    events += [occurrence(o, at, **kw), household(h, o, at, **kw),
               offer(h, "not_appropriate", at, **kw)]
    return events


def recorded_twice(events: list[Event], every: int = 3, **kw: Any) -> list[Event]:
    """What a second laptop recorded of every `every`-th household of `events`, not knowing
    the first had: its occurrence again (another id, the same reference, the reference typed
    with dashes), the household again (another id, the address and postcode typed another
    way) and the same first offer. `kw` goes to every event (the second officer)."""
    first_offer: dict[str, Event] = {}
    for e in sorted(events, key=lambda e: (e.occurred_at, e.id)):
        if e.type is EventType.VCAS_OFFERED:
            first_offer.setdefault(e.aggregate_id, e)
    occurrences = {e.aggregate_id: e for e in events if e.type is EventType.OCCURRENCE_RECORDED}
    households = [e for e in events if e.type is EventType.HOUSEHOLD_RECORDED]
    copies: list[Event] = []
    again: dict[str, str] = {}
    for record in households[::every]:
        p = record.to_dict()["payload"]
        original = occurrences[p["occurrence_id"]]
        if original.aggregate_id not in again:
            o = again[original.aggregate_id] = new_id()
            op = original.to_dict()["payload"]
            copies.append(event(EventType.OCCURRENCE_RECORDED, o,
                                {**op, "reference": op["reference"].replace("/", "-")},
                                original.occurred_at, **kw))
        h = new_id()
        copies.append(event(EventType.HOUSEHOLD_RECORDED, h, {
            **p, "occurrence_id": again[original.aggregate_id],
            "address": p["address"].upper().replace("STREET", "St."),
            "postcode": p["postcode"].lower().replace(" ", "")}, record.occurred_at, **kw))
        offered = first_offer.get(record.aggregate_id)
        if offered is not None:
            copies.append(event(EventType.VCAS_OFFERED, h, offered.to_dict()["payload"],
                                offered.occurred_at, **kw))
    return copies
