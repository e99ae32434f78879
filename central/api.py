"""The /v1 routes: enrol, push, pull, rotate, time, health."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from central import cursor as cursors
from central import security
from central.clock import Clock
from central.config import Settings
from central.errors import ApiError
from central.jsonbody import parse_json, read_body
from central.ratelimit import RateLimiter
from central.schemas import (
    EnrolRequest,
    EnrolResponse,
    HealthResponse,
    OfficerOut,
    TimeResponse,
)
from central.storage.base import Caller, GuessLimit, Storage, TooManyGuesses
from central.validation import validate_body
from fieldapp.domain import wire
from fieldapp.domain.authority import AuthorityTable
from fieldapp.domain.catalogue import LeafletCatalogue
from fieldapp.domain.events import Event, Rules, parse_event
from fieldapp.domain.force import ForceLists
from fieldapp.domain.policy import SchedulePolicy
from fieldapp.domain.problems import InvalidEvent, Problem, format_utc, parse_utc

log = logging.getLogger("central")


@dataclass(frozen=True)
class Context:
    storage: Storage
    settings: Settings
    clock: Clock
    catalogue: LeafletCatalogue
    policy: SchedulePolicy
    authority: AuthorityTable
    device_limiter: RateLimiter
    enrol_limiter: RateLimiter
    force: ForceLists  # districts and partners a pushed record is checked against


def known_parameters_only(request: Request) -> None:
    """A misspelt parameter (?curser=...) silently ignored would restart a sync from zero."""
    route = request.scope.get("route")
    declared = {p.alias for p in route.dependant.query_params} if route else set()
    unknown = sorted(set(request.query_params) - declared)
    if unknown:
        raise ApiError(
            422, "invalid_request", "The request has parameters this server does not know.",
            problems=[Problem(name[:40], "Unknown parameter: leave it out.") for name in unknown],
        )


router = APIRouter(prefix="/v1", dependencies=[Depends(known_parameters_only)])
bearer = HTTPBearer(
    auto_error=False, description="The device token returned once by POST /v1/enrol."
)

_STATUS_TEXT = {
    400: "The body or a parameter could not be read (malformed JSON, bad cursor).",
    401: "No token, an unknown token, or a revoked device (error: device_revoked).",
    403: "Not allowed: a device marked for wiping (error: device_wipe; said once, then "
    "its token is dead); "
    "an enrolment code that is unknown, used or expired; figures for a non-supervisor.",
    413: "More than 2 MiB, or more than 500 events, in one request.",
    415: "The body is not sent as application/json.",
    422: "Well-formed JSON, or parameters, not in the expected form.",
    429: "Too many requests from this device; see Retry-After.",
    503: "The database is busy or down; see Retry-After.",
}


def _content(model: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{model}"}}}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        s: {"content": _content("ErrorResponse"), "description": _STATUS_TEXT[s]}
        for s in statuses
    }


def answers(model: str, *statuses: int) -> dict[int | str, dict[str, Any]]:
    """A route whose answer the wire format (fieldapp/domain/wire.py) describes."""
    return {200: {"content": _content(model), "description": "Successful Response"},
            **error_responses(*statuses)}


def _body(model: str) -> dict[str, Any]:
    return {
        "requestBody": {"required": True, "content": _content(model)}
    }


def ctx_of(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


def now_of(request: Request) -> datetime:
    now: datetime = request.state.server_time
    return now


def address_of(request: Request) -> str | None:
    return request.client.host if request.client else None


def json_response(model: BaseModel | bytes) -> Response:
    body = model if isinstance(model, bytes) else model.model_dump_json(by_alias=True)
    return Response(body, media_type="application/json")


def _throttle(limiter: RateLimiter, key: str, who: str) -> None:
    wait = limiter.acquire(key)
    if wait:
        seconds = int(wait)
        raise ApiError(
            429,
            "rate_limited",
            f"Too many requests from {who}: wait {seconds} seconds and try again.",
            headers={"Retry-After": str(seconds)},
        )


async def authenticated(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Caller:
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None or not credentials.credentials:
        raise ApiError(
            401, "unauthenticated",
            "This request needs the laptop's device token (Authorization: Bearer ...). "
            "If the laptop is not enrolled, enrol it first.",
            headers=challenge,
        )
    token = credentials.credentials
    ctx = ctx_of(request)
    # Tokens are 43 URL-safe characters; anything far from that is not worth a query.
    now, address = now_of(request), address_of(request)
    caller = (
        await run_in_threadpool(
            lambda: ctx.storage.caller(security.digest(token), now=now, address=address)
        )
        if len(token) <= 128
        else None
    )
    if caller is None:
        raise ApiError(
            401, "unknown_token",
            "This laptop's token is not known to the server. Enrol the laptop again.",
            headers=challenge,
        )
    if caller.device.status == "revoked":
        raise ApiError(
            401, "device_revoked",
            "This laptop's access has been revoked. Contact your force's IT team.",
            headers=challenge,
        )
    request.state.device_status = caller.device.status
    if caller.device.status == "wipe":
        # A laptop marked for wiping may be lost or stolen: it sends, rotates and receives
        # nothing more. The order is given once; with it the token dies.
        await run_in_threadpool(
            lambda: ctx.storage.order_wipe(caller, now=now, address=address)
        )
        refuse_wipe(caller)
    _throttle(ctx.device_limiter, caller.device.device_id, "this laptop")
    return caller


def rotate_due(ctx: Context, caller: Caller, now: datetime) -> bool:
    """Whether to ask the laptop for a token rotation: an administrator asked, or its token
    is older than the configured maximum."""
    issued = parse_utc(caller.token_issued_at)
    return caller.rotate_requested or issued is None or now - issued > ctx.settings.token_max_age


# ---------------------------------------------------------------------- routes


@router.get("/time", response_model=TimeResponse, summary="The server's clock")
async def get_time(request: Request) -> Response:
    return json_response(TimeResponse(server_time=format_utc(now_of(request))))


@router.get(
    "/health", response_model=HealthResponse, responses=error_responses(503), summary="Liveness"
)
async def get_health(request: Request) -> Response:
    await run_in_threadpool(ctx_of(request).storage.check)
    return json_response(HealthResponse(status="ok", server_time=format_utc(now_of(request))))


@router.post(
    "/enrol",
    response_model=EnrolResponse,
    responses=error_responses(400, 403, 413, 415, 422, 429, 503),
    openapi_extra=_body("EnrolRequest"),
    summary="Enrol a laptop with a one-time code",
)
async def enrol(request: Request) -> Response:
    ctx = ctx_of(request)
    address = address_of(request)
    _throttle(ctx.enrol_limiter, address or "unknown", "this address")
    await run_in_threadpool(_refuse_guessing, ctx, address or "unknown", now_of(request))
    body = validate_body(
        EnrolRequest, parse_json(await read_body(request, ctx.settings.max_enrol_bytes))
    )
    token = security.new_token()
    device_id = security.new_device_id()
    now = now_of(request)
    guesses = GuessLimit(ctx.settings.enrol_failures, now - ctx.settings.enrol_failure_window)
    try:
        officer = await run_in_threadpool(
            lambda: ctx.storage.enrol(
                security.code_digest(body.code),
                device_id=device_id,
                device_name=body.device_name.strip(),
                token_hash=security.digest(token),
                now=now,
                address=address,
                guesses=guesses,
            )
        )
    except TooManyGuesses as refused:
        raise _guessing(ctx, refused.failures, now) from None
    if officer is None:
        raise ApiError(
            403, "invalid_enrolment_code",
            "This enrolment code is not known, has already been used, or has expired. "
            "Ask your force's IT team for a new one.",
        )
    return json_response(
        EnrolResponse(
            device_id=device_id,
            token=token,
            officer=OfficerOut(
                collar=officer.collar, name=officer.name, role=officer.role,
                team=officer.team, district=officer.district,
            ),
            server_time=format_utc(now),
        )
    )


@router.post(
    "/push",
    responses=answers("PushResponse", 400, 401, 413, 415, 422, 429, 503),
    openapi_extra=_body("PushRequest"),
    summary="Send events; each is accepted (with its seq) or rejected (with problems)",
)
async def push(request: Request, caller: Annotated[Caller, Depends(authenticated)]) -> Response:
    ctx = ctx_of(request)
    data = parse_json(await read_body(request, ctx.settings.max_push_bytes))
    limit = wire.MAX_PUSH_EVENTS
    events = data.get("events") if isinstance(data, dict) else None
    if isinstance(events, list) and len(events) > limit:
        raise ApiError(
            413, "too_many_events",
            f"Send at most {limit} records per request (this one had {len(events)}); "
            "send the rest in further requests.",
        )
    try:
        items = wire.decode_push_request(data)
    except wire.NotARequest as refused:
        raise ApiError(
            422, "invalid_request",
            "The request is not in the form this server expects: see problems.",
            problems=refused.problems,
        ) from None
    now = now_of(request)
    address = address_of(request)
    result = await run_in_threadpool(_push, ctx, caller, items, now, address)
    return json_response(wire.encode_push_response(result))


def _refuse_guessing(ctx: Context, address: str, now: datetime) -> None:
    """Too many wrong codes from one address in the window: refused before the body is read.
    Counted in the database, so every process and every restart sees the same count; the
    enrolment itself counts again atomically (`GuessLimit`), for codes sent at once."""
    since = now - ctx.settings.enrol_failure_window
    failures = ctx.storage.enrolment_failures(address, since=since)
    if len(failures) >= ctx.settings.enrol_failures:
        raise _guessing(ctx, failures, now)


def _guessing(ctx: Context, failures: list[str], now: datetime) -> ApiError:
    """Refused until the oldest of the last `enrol_failures` wrong codes ages out."""
    window = ctx.settings.enrol_failure_window
    oldest = parse_utc(failures[-ctx.settings.enrol_failures])
    seconds = max(1, int(((oldest or now) + window - now).total_seconds()) + 1)
    return ApiError(
        429, "rate_limited",
        f"Too many wrong enrolment codes from this address: wait {seconds} seconds and "
        "try again.",
        headers={"Retry-After": str(seconds)},
    )


def refuse_wipe(caller: Caller) -> None:
    if caller.device.status == "wipe":
        raise ApiError(
            403, "device_wipe",
            "This laptop has been marked for wiping: it may not send or receive records. "
            "Contact your force's IT team.",
        )


def _claimed_id(item: Any) -> str | None:
    value = item.get("id") if isinstance(item, dict) else None
    return value if isinstance(value, str) and 0 < len(value) <= 64 else None


def _push(
    ctx: Context, caller: Caller, items: list[Any], now: datetime, address: str | None
) -> wire.PushAnswer:
    rules = Rules(ctx.catalogue, now=now, future_tolerance=ctx.settings.future_tolerance,
                  force=ctx.force)
    valid: list[tuple[int, Event]] = []
    rejected: dict[int, wire.Rejected] = {}
    for index, item in enumerate(items):
        problems: tuple[Problem, ...]
        try:
            valid.append((index, parse_event(item, rules)))
            continue
        except InvalidEvent as exc:
            problems = exc.problems
        except Exception as exc:
            # The event reader is shared with the laptop and not ours to change here; any
            # failure inside it on untrusted input is that event's rejection, not a 500.
            log.warning("event reader failed with %s; event rejected", type(exc).__name__)
            problems = (Problem("", "The record could not be read."),)
        rejected[index] = _rejection(_claimed_id(item), "invalid_record", problems)
    # Who may make each record (fieldapp/domain/authority.py) is decided in storage, inside
    # the transaction that stores the ones allowed.
    outcomes = ctx.storage.push(
        caller, [event for _, event in valid], received_at=now, address=address,
        rejected=len(rejected), authority=ctx.authority,
    )
    accepted: list[wire.Accepted] = []
    for (index, event), outcome in zip(valid, outcomes, strict=True):
        if outcome.seq is not None:
            accepted.append(wire.Accepted(event.id, outcome.seq))
        elif outcome.refused is not None:
            field = "author" if outcome.refused.code == "wrong_author" else ""
            rejected[index] = _rejection(
                event.id, outcome.refused.code, (Problem(field, outcome.refused.message),)
            )
        elif outcome.erased:
            rejected[index] = _rejection(event.id, "erased", (Problem(
                "aggregate_id",
                "This record belongs to a case that has been erased under the force's "
                "retention policy, so it was not saved. It will be erased from this laptop at "
                "the next sync.",
            ),))
        else:
            rejected[index] = _rejection(event.id, "id_conflict", (Problem(
                "id",
                "A different record with this identifier is already stored; this one was not "
                "saved. Record it again as a new entry.",
            ),))
    return wire.PushAnswer(
        accepted=tuple(accepted),
        rejected=tuple(rejected[i] for i in sorted(rejected)),
        server_time=format_utc(now),
        device_status=_status(caller),
        rotate=rotate_due(ctx, caller, now),
    )


def _status(caller: Caller) -> wire.DeviceStatusText:
    return "wipe" if caller.device.status == "wipe" else "active"


def _rejection(event_id: str | None, code: str, problems: tuple[Problem, ...]) -> wire.Rejected:
    return wire.Rejected(event_id, code, problems)


@router.get(
    "/pull",
    responses=answers("PullResponse", 400, 401, 403, 422, 429, 503),
    summary="Fetch events this officer may see, after a cursor",
)
async def pull(
    request: Request,
    caller: Annotated[Caller, Depends(authenticated)],
    cursor: Annotated[
        str | None,
        Query(
            description="The cursor from the last pull; leave out to start at the beginning.",
            json_schema_extra={"pattern": cursors.PATTERN},
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="At most this many events.")] = 500,
) -> Response:
    after = cursors.decode(cursor) if cursor is not None else cursors.Position()
    ctx = ctx_of(request)
    now = now_of(request)
    address = address_of(request)
    page = await run_in_threadpool(
        lambda: ctx.storage.pull(
            caller, after=after.feed, after_notice=after.notices, limit=limit, now=now,
            address=address,
        )
    )
    position = cursors.Position(page.position, page.notice_position)
    return json_response(wire.encode_pull_response(wire.PullAnswer(
        items=page.items, erasures=page.erasures, cursor=cursors.encode(position),
        more=page.more, server_time=format_utc(now), rotate=rotate_due(ctx, caller, now),
    )))


@router.post(
    "/rotate",
    responses=answers("RotateResponse", 401, 429, 503),
    summary="Issue this laptop a new token; the old one works until the new one is used",
)
async def rotate(
    request: Request, caller: Annotated[Caller, Depends(authenticated)]
) -> Response:
    ctx = ctx_of(request)
    now = now_of(request)
    address = address_of(request)
    token = security.new_token()
    await run_in_threadpool(
        lambda: ctx.storage.rotate_token(
            caller, security.digest(token), now=now, address=address
        )
    )
    return json_response(wire.encode_rotate_response(token, format_utc(now), _status(caller)))
