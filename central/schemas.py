"""The endpoint's own messages (enrolment, health, figures) as pydantic models: they validate
request bodies and describe responses in /openapi.json. The sync messages (push, pull, rotate,
errors) are the shared wire format in fieldapp/domain/wire.py. docs/central.md explains each
field for people."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from fieldapp.domain.wire import INSTANT

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


