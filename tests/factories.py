"""Builders for valid events, shared by every test package."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import uuid6

from fieldapp.domain.events import Event, EventType, Rules, make_event
from fieldapp.resources import load_catalogue

FAR_FUTURE = datetime(2100, 1, 1, tzinfo=UTC)


def rules(now: datetime = FAR_FUTURE) -> Rules:
    return Rules(load_catalogue(), now)


def new_id() -> str:
    return str(uuid.uuid4())


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


def occurrence(occurrence_id: str, at: datetime, *, oic: str = "1234", district: str = "Leeds",
               offences: tuple[str, ...] = ("iioc",), reference: str = "13/123456/24",
               **kw: Any) -> Event:
    payload = {"reference": reference, "offence_types": list(offences), "oic": oic,
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
        payload["consent_to_share"] = True
    return event(EventType.CALLBACK_ATTEMPTED, household_id, payload, at, **kw)


def leaflets(occurrence_id: str, at: datetime, *, risks: tuple[str, ...] = (), **kw: Any) -> Event:
    payload = {
        "person_name": "J Smith",
        "leaflets": ["safer_lives", "samaritans"],
        "outcome": "handed",
        "risk_indicators": list(risks),
        "escalated": bool(risks),
    }
    return event(EventType.LEAFLET_ISSUED, occurrence_id, payload, at, **kw)
