"""The wire format, as pydantic models: they validate request bodies and describe responses
in /openapi.json. docs/central.md explains each field for people."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# Part of the protocol (the OpenAPI document states it), so not a setting.
MAX_PUSH_EVENTS = 500
INSTANT = "An instant in UTC: ISO 8601 with microseconds and Z, e.g. 2026-11-02T09:30:00.000000Z."
# Text an officer can read on a screen: not blank, no control characters.
_PLAIN_TEXT = r"^[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x1f\x7f]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class EnrolRequest(_Strict):
    code: str = Field(
        min_length=1, max_length=64,
        description="The one-time enrolment code; case, spaces and hyphens are ignored.",
    )
    device_name: str = Field(
        min_length=1, max_length=100, pattern=_PLAIN_TEXT,
        description="A name for the laptop that the IT team will recognise.",
    )


class PushRequest(_Strict):
    events: list[Any] = Field(
        max_length=MAX_PUSH_EVENTS,
        description="Events as fieldapp.domain.events writes them; each is validated and "
        "accepted or rejected on its own.",
    )


class ProblemOut(BaseModel):
    field: str = Field(description="Dotted path of the field at fault; empty for the whole.")
    message: str


class OfficerOut(BaseModel):
    collar: str
    name: str
    role: Literal["officer", "oic", "supervisor", "admin"]
    team: str
    district: str


class EnrolResponse(BaseModel):
    device_id: str
    token: str = Field(description="Send as 'Authorization: Bearer <token>'. Shown once.")
    officer: OfficerOut
    server_time: str = Field(description=INSTANT)


class AcceptedOut(BaseModel):
    id: str
    seq: int = Field(description="The server's number for the event; the same on every resend.")


class RejectedOut(BaseModel):
    id: str | None = Field(description="The event's id as sent, if it had a readable one.")
    code: str = Field(
        description="Why, for programs: invalid_record, id_conflict, erased, or the authority "
        "rule's code (wrong_author, wrong_device, unknown_event_type, not_found, id_in_use, "
        "wrong_record, not_allowed; docs/central.md)."
    )
    problems: list[ProblemOut]


_ROTATE = "True if this laptop should rotate its token now (POST /v1/rotate)."


class PushResponse(BaseModel):
    accepted: list[AcceptedOut]
    rejected: list[RejectedOut]
    server_time: str = Field(description=INSTANT)
    device_status: Literal["active", "wipe"]
    rotate: bool = Field(description=_ROTATE)


class PullItem(BaseModel):
    event: dict[str, Any]
    seq: int
    received_at: str = Field(description=INSTANT)


class ErasureOut(BaseModel):
    aggregate_ids: list[str] = Field(
        description="Occurrences and households erased: delete every event related to them."
    )
    reason: str = Field(description="Why, as the administrator recorded it.")
    erased_at: str = Field(description=INSTANT)


class PullResponse(BaseModel):
    items: list[PullItem]
    erasures: list[ErasureOut] = Field(
        description="Records erased at the endpoint that this laptop may hold; apply them "
        "with the items, in the same transaction as the cursor."
    )
    cursor: str = Field(description="Pass to the next pull; store it with the events it covers.")
    more: bool = Field(description="True if more events are waiting: pull again now.")
    server_time: str = Field(description=INSTANT)
    device_status: Literal["active"]
    rotate: bool = Field(description=_ROTATE)


class RotateResponse(BaseModel):
    token: str = Field(
        description="The laptop's new token. The old one keeps working until this one is "
        "first used, then stops. Shown once."
    )
    server_time: str = Field(description=INSTANT)
    device_status: Literal["active", "wipe"]


class TimeResponse(BaseModel):
    server_time: str = Field(description=INSTANT)


class HealthResponse(BaseModel):
    status: Literal["ok"]
    server_time: str = Field(description=INSTANT)


class UptakeResponse(BaseModel):
    period_from: str = Field(alias="from", description="First day, YYYY-MM-DD (London).")
    period_to: str = Field(alias="to", description="Last day, YYYY-MM-DD (London).")
    offered: int = Field(description="Households first offered VCAS in the period.")
    accepted_at_arrest: int = Field(description="Accepted when offered at the attendance.")
    accepted_later: int = Field(description="Accepted at an offer made later, in the aftermath.")
    accepted_at_callback: int
    accepted: int
    percent: int = Field(description="Whole per cent accepted, half rounded up.")
    scope: str = Field(description="Which records the figures were computed from.")
    server_time: str = Field(description=INSTANT)
    device_status: Literal["active"]


class LeafletRowOut(BaseModel):
    month: str = Field(description="YYYY-MM (London).")
    offence_type: str = Field(description="An occurrence with two offence types counts under "
                              "each.")
    district: str
    issues: int = Field(description="Leaflets handed to the person or left at the address.")
    declined: int = Field(description="Leaflets the person declined: not issues.")


class LeafletsResponse(BaseModel):
    period_from: str = Field(alias="from", description="First day, YYYY-MM-DD (London).")
    period_to: str = Field(alias="to", description="Last day, YYYY-MM-DD (London).")
    rows: list[LeafletRowOut] = Field(description="In month, offence type, district order.")
    scope: str = Field(description="Which records the figures were computed from.")
    server_time: str = Field(description=INSTANT)
    device_status: Literal["active"]


class TableResponse(BaseModel):
    """A supervisor's figure as a table: the same columns and rows as the laptop's Reports
    page and `fieldapp-central report` give."""

    report: str = Field(description="What the table is.")
    period_from: str = Field(alias="from", description="First day, YYYY-MM-DD (London).")
    period_to: str = Field(alias="to", description="Last day, YYYY-MM-DD (London).")
    policy_version: str
    columns: list[str]
    rows: list[list[str | int | float | None]]
    notes: list[str] = Field(description="What a reader must know to read the figures right.")
    scope: str = Field(description="Which records the figures were computed from.")
    server_time: str = Field(description=INSTANT)
    device_status: Literal["active"]


class ReferralRowOut(BaseModel):
    month: str = Field(description="YYYY-MM (London) of the acceptance, or Total.")
    district: str = Field(description="The household's occurrence's district; '' on Total.")
    due: int = Field(description="Acceptances that made a referral due.")
    without_consent: int = Field(description="Of those, accepted without consent to share.")
    sent: int
    sent_on_time: int = Field(description="Sent within the policy's working days.")
    percent_on_time: int = Field(description="Whole per cent of due sent in time, half up.")
    acknowledged: int
    withdrawn: int


class ReferralsResponse(BaseModel):
    period_from: str = Field(alias="from", description="First day, YYYY-MM-DD (London).")
    period_to: str = Field(alias="to", description="Last day, YYYY-MM-DD (London).")
    within_working_days: int = Field(description="The policy's days to send a referral.")
    rows: list[ReferralRowOut] = Field(description="In month, district order; Total last.")
    scope: str = Field(description="Which records the figures were computed from.")
    server_time: str = Field(description=INSTANT)
    device_status: Literal["active"]


class ErrorResponse(BaseModel):
    error: str = Field(description="A stable code for programs, e.g. device_revoked.")
    message: str = Field(description="What went wrong and what to do, for the officer.")
    server_time: str = Field(description=INSTANT)
    device_status: Literal["active", "wipe"] | None = Field(
        default=None, description="Present once the device is known."
    )
    problems: list[ProblemOut] | None = Field(
        default=None, description="Each field at fault, for a request that was not valid."
    )
