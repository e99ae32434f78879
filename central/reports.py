"""Figures for supervisors, computed by fieldapp.domain.figures from the events they may see:
VCAS uptake, leaflet issues, and the supervisors' tables (`SUPERVISOR_FIGURES`: leaflet
compliance, leaflets not recorded, partner engagement, escalations, call-backs on time), the
same functions the laptop's Reports page and the `fieldapp-central report` command use."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from central.api import (
    Context,
    address_of,
    authenticated,
    ctx_of,
    error_responses,
    json_response,
    known_parameters_only,
    now_of,
    refuse_wipe,
)
from central.errors import ApiError
from central.schemas import LeafletsResponse, ReferralsResponse, TableResponse, UptakeResponse
from central.storage.base import Caller
from fieldapp.domain.events import Event, EventType, event_from_json
from fieldapp.domain.figures import PERIODS, leaflet_issues, uptake
from fieldapp.domain.policy import london_date
from fieldapp.domain.problems import Problem, format_utc
from fieldapp.domain.projection import State, project
from fieldapp.domain.referral_figures import referral_counts
from fieldapp.domain.tables import SUPERVISOR_FIGURES, Inputs

router = APIRouter(prefix="/v1/figures", dependencies=[Depends(known_parameters_only)])

_DAY = r"^\d{4}-\d{2}-\d{2}$"
SCOPE = (
    "Households in the records you may see: your district's occurrences, your team's "
    "records, and anything you are OIC of or were reassigned."
)
LEAFLET_SCOPE = (
    "Leaflet issues in the records you may see: your district's occurrences, your team's "
    "records, and occurrences you are OIC of."
)


def _day(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ApiError(
            422, "invalid_request", "A date is not a real day: see problems.",
            problems=[Problem(name, "Give a real date as YYYY-MM-DD.")],
        ) from None


@router.get(
    "/uptake",
    response_model=UptakeResponse,
    responses=error_responses(401, 403, 422, 429, 503),
    summary="VCAS uptake per household for a period (supervisors)",
)
async def get_uptake(
    request: Request,
    caller: Annotated[Caller, Depends(authenticated)],
    start: Annotated[str, Query(alias="from", pattern=_DAY, description="YYYY-MM-DD")],
    end: Annotated[str, Query(alias="to", pattern=_DAY, description="YYYY-MM-DD")],
) -> Response:
    return await _answer(request, caller, start, end, _uptake)


async def _answer(
    request: Request,
    caller: Caller,
    start: str,
    end: str,
    compute: Callable[[Context, Caller, date, date, datetime, str | None], BaseModel],
) -> Response:
    """Checks who asks and for which days, then computes off the event loop."""
    first, last = _period(caller, start, end)
    figures = await run_in_threadpool(
        compute, ctx_of(request), caller, first, last, now_of(request), address_of(request)
    )
    return json_response(figures)


def _period(caller: Caller, start: str, end: str) -> tuple[date, date]:
    """Who may ask, and for which days: the same for every figure."""
    refuse_wipe(caller)
    if caller.officer.role != "supervisor":
        raise ApiError(403, "supervisors_only", "Figures are for supervisors.")
    first, last = _day(start, "from"), _day(end, "to")
    if first > last:
        raise ApiError(
            422, "invalid_request", "The period ends before it starts.",
            problems=[Problem("to", "Give a last day on or after the first.")],
        )
    return first, last


def _events(
    ctx: Context, caller: Caller, figures: str, first: date, last: date, now: datetime,
    address: str | None,
) -> list[Event]:
    bodies = ctx.storage.consult(
        caller, now=now, address=address,
        purpose={"figures": figures, "from": first.isoformat(), "to": last.isoformat()},
    )
    return [event_from_json(body) for body in bodies]


def _state(
    ctx: Context, caller: Caller, figures: str, first: date, last: date, now: datetime,
    address: str | None,
) -> State:
    return project(_events(ctx, caller, figures, first, last, now, address), ctx.policy)


def _uptake(
    ctx: Context, caller: Caller, first: date, last: date, now: datetime, address: str | None
) -> UptakeResponse:
    state = _state(ctx, caller, "uptake", first, last, now, address)
    result = uptake(state, first, last)
    return UptakeResponse.model_validate(
        {
            "from": first.isoformat(),
            "to": last.isoformat(),
            "offered": result.offered,
            "accepted_at_arrest": result.accepted_at_arrest,
            "accepted_later": result.accepted_later,
            "accepted_at_callback": result.accepted_at_callback,
            "accepted": result.accepted,
            "percent": result.percent,
            "scope": SCOPE,
            "server_time": format_utc(now),
            "device_status": "active",
        }
    )


@router.get(
    "/leaflets",
    response_model=LeafletsResponse,
    responses=error_responses(401, 403, 422, 429, 503),
    summary="Signposting leaflet issues per month, offence type and district (supervisors)",
)
async def get_leaflets(
    request: Request,
    caller: Annotated[Caller, Depends(authenticated)],
    start: Annotated[str, Query(alias="from", pattern=_DAY, description="YYYY-MM-DD")],
    end: Annotated[str, Query(alias="to", pattern=_DAY, description="YYYY-MM-DD")],
) -> Response:
    return await _answer(request, caller, start, end, _leaflets)


def _leaflets(
    ctx: Context, caller: Caller, first: date, last: date, now: datetime, address: str | None
) -> LeafletsResponse:
    state = _state(ctx, caller, "leaflets", first, last, now, address)
    rows = leaflet_issues(state, first, last, listed=ctx.force.districts)
    return LeafletsResponse.model_validate(
        {
            "from": first.isoformat(),
            "to": last.isoformat(),
            "rows": [
                {"month": r.period, "offence_type": r.offence_type, "district": r.district,
                 "issues": r.issues, "declined": r.declined}
                for r in rows
            ],
            "scope": LEAFLET_SCOPE,
            "server_time": format_utc(now),
            "device_status": "active",
        }
    )


@router.get(
    "/referrals",
    response_model=ReferralsResponse,
    responses=error_responses(401, 403, 422, 429, 503),
    summary="VCAS referrals due, sent, sent in time and acknowledged per month and district "
    "(supervisors)",
)
async def get_referrals(
    request: Request,
    caller: Annotated[Caller, Depends(authenticated)],
    start: Annotated[str, Query(alias="from", pattern=_DAY, description="YYYY-MM-DD")],
    end: Annotated[str, Query(alias="to", pattern=_DAY, description="YYYY-MM-DD")],
) -> Response:
    return await _answer(request, caller, start, end, _referrals)


def _referrals(
    ctx: Context, caller: Caller, first: date, last: date, now: datetime, address: str | None
) -> ReferralsResponse:
    state = _state(ctx, caller, "referrals", first, last, now, address)
    rows = referral_counts(state, first, last)
    return ReferralsResponse.model_validate(
        {
            "from": first.isoformat(),
            "to": last.isoformat(),
            "within_working_days": ctx.policy.referral_within_working_days,
            "rows": [
                {"month": r.period, "district": r.district, "due": r.due,
                 "without_consent": r.without_consent, "sent": r.sent,
                 "sent_on_time": r.sent_on_time, "percent_on_time": r.percent_on_time,
                 "acknowledged": r.acknowledged, "withdrawn": r.withdrawn}
                for r in rows
            ],
            "scope": SCOPE,
            "server_time": format_utc(now),
            "device_status": "active",
        }
    )
TABLE_SCOPE = (
    "The records you may see: your district's occurrences, your team's records, anything "
    "you are OIC of or were reassigned, and the partner reports you or your team made."
)
_PERIOD = "^(" + "|".join(PERIODS) + ")$"


def _table_route(name: str) -> None:
    compute = SUPERVISOR_FIGURES[name]

    async def get_table(
        request: Request,
        caller: Annotated[Caller, Depends(authenticated)],
        start: Annotated[str, Query(alias="from", pattern=_DAY, description="YYYY-MM-DD")],
        end: Annotated[str, Query(alias="to", pattern=_DAY, description="YYYY-MM-DD")],
        period: Annotated[str, Query(pattern=_PERIOD, description="year, quarter or month")
                          ] = "month",
    ) -> Response:
        def table(ctx: Context, caller: Caller, first: date, last: date, now: datetime,
                  address: str | None) -> TableResponse:
            events = _events(ctx, caller, name, first, last, now, address)
            reports = [e for e in events if e.type is EventType.PARTNER_ENGAGEMENT_REPORTED]
            result = compute(Inputs(
                state=project(events, ctx.policy), reports=reports, start=first, end=last,
                period=period, today=london_date(now), policy=ctx.policy, force=ctx.force,
                generated_at=now, filters=(("Periods", period.capitalize()),),
                escalation_targets=ctx.catalogue.support.escalation_targets,
            ))
            return TableResponse.model_validate({
                "report": result.title, "from": first.isoformat(), "to": last.isoformat(),
                "policy_version": result.policy_version, "columns": list(result.header),
                "rows": [list(r) for r in result.rows], "notes": list(result.notes),
                "scope": TABLE_SCOPE, "server_time": format_utc(now),
                "device_status": "active",
            })

        return await _answer(request, caller, start, end, table)

    router.add_api_route(
        f"/{name}", get_table, methods=["GET"], response_model=TableResponse,
        responses=error_responses(401, 403, 422, 429, 503),
        summary=f"Supervisors' figure: {name} (supervisors)", name=f"figures_{name}",
    )


for _name in SUPERVISOR_FIGURES:
    _table_route(_name)
