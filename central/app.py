"""The ASGI application: wiring, the server-time stamp, error rendering, the OpenAPI document."""

from __future__ import annotations

import logging
import traceback
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from central.api import Context, router
from central.clock import Clock, SystemClock
from central.config import Settings
from central.errors import ApiError
from central.ratelimit import RateLimiter
from central.reports import router as reports_router
from central.schemas import EnrolRequest
from central.storage.base import Storage, StorageUnavailable
from central.validation import problems_from_errors
from fieldapp.domain import wire
from fieldapp.domain.problems import Problem, format_utc
from fieldapp.resources import load_authority, load_catalogue, load_force, load_policy

log = logging.getLogger("central")

API_VERSION = "1"


def create_app(
    storage: Storage,
    *,
    settings: Settings | None = None,
    clock: Clock | None = None,
) -> FastAPI:
    settings = settings or Settings()
    clock = clock or SystemClock()
    app = FastAPI(
        title="fieldapp central endpoint",
        version=API_VERSION,
        description="Sync endpoint for fieldapp laptops. See docs/central.md.",
        # The interactive pages load scripts from a CDN; a force network should not.
        docs_url=None,
        redoc_url=None,
    )
    app.state.ctx = Context(
        storage=storage,
        settings=settings,
        clock=clock,
        catalogue=load_catalogue(),
        policy=load_policy(),
        authority=load_authority(),
        device_limiter=RateLimiter(settings.rate_per_second, settings.rate_burst, clock.monotonic),
        enrol_limiter=RateLimiter(
            settings.enrol_rate_per_second, settings.enrol_burst, clock.monotonic
        ),
        force=load_force(),
    )
    app.include_router(router)
    app.include_router(reports_router)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(StorageUnavailable, _unavailable)
    app.add_middleware(ServerTime, clock=clock)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


# ---------------------------------------------------------------------- time and failures


class ServerTime:
    """Reads the clock once per request, stamps X-Server-Time on every response, and turns
    an unexpected exception into a plain 500 without writing request data to the log."""

    def __init__(self, app: ASGIApp, clock: Clock) -> None:
        self.app = app
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        now = self.clock.now()
        scope.setdefault("state", {})["server_time"] = now
        stamp = format_utc(now)
        started = False
        names = {name.lower() for name, _ in scope.get("headers", ())}
        if b"content-length" in names and b"transfer-encoding" in names:
            # Two framings: a proxy in front may read the body one way and this server the
            # other (request smuggling). Refused, and the connection closed after.
            body = _error_body(
                now, None, "ambiguous_length",
                "The request gives both Content-Length and Transfer-Encoding; send one.",
            )
            refusal = Response(body, 400, headers={"Connection": "close"},
                               media_type="application/json")
            await refusal(scope, receive, send)
            return

        async def stamped(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                headers["X-Server-Time"] = stamp
                # Responses carry tokens and personal data: no cache may keep them.
                headers["Cache-Control"] = "no-store"
            await send(message)

        try:
            await self.app(scope, receive, stamped)
        except Exception as exc:
            # The exception's text may quote what was sent; the log gets its type and frames.
            log.error(
                "unhandled %s on %s %s\n%s",
                type(exc).__name__,
                scope.get("method"),
                scope.get("path"),
                "".join(traceback.format_tb(exc.__traceback__)),
            )
            if not started:
                body = _error_body(
                    now, None, "internal_error",
                    "The server could not finish this request. Try again later; sending the "
                    "same records again is safe.",
                )
                await Response(body, 500, media_type="application/json")(scope, receive, stamped)


def _error_body(
    now: datetime, device_status: object, error: str, message: str,
    problems: tuple[Problem, ...] = (),
) -> bytes:
    status: wire.DeviceStatusText | None = (
        "wipe" if device_status == "wipe" else "active" if device_status == "active" else None
    )
    return wire.encode_error(error, message, format_utc(now), status, problems)


def error_response(
    request: Request, status: int, error: str, message: str, *,
    problems: tuple[Problem, ...] = (), headers: dict[str, str] | None = None,
) -> Response:
    body = _error_body(
        request.state.server_time, getattr(request.state, "device_status", None),
        error, message, problems,
    )
    return Response(body, status, headers=headers, media_type="application/json")


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(
        request, exc.status, exc.error, exc.message, problems=exc.problems, headers=exc.headers
    )


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return error_response(
        request, 422, "invalid_request", "Some of what was sent is not valid: see problems.",
        problems=problems_from_errors(exc.errors()),
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        error, message = "not_found", "There is nothing at this address; the API is under /v1/."
    elif exc.status_code == 405:
        error, message = "method_not_allowed", "This address does not accept that method."
    else:
        error, message = "http_error", str(exc.detail)
    return error_response(
        request, exc.status_code, error, message, headers=dict(exc.headers or {})
    )


async def _unavailable(request: Request, exc: Exception) -> Response:
    return error_response(
        request, 503, "unavailable",
        "The server's database is busy or down. Try again shortly; nothing was lost.",
        headers={"Retry-After": "5"},
    )


# ---------------------------------------------------------------------- OpenAPI


def _openapi(app: FastAPI) -> dict[str, Any]:
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    # The request bodies are read by hand (size limit and strict JSON first), so FastAPI does
    # not know their models: add them, and the routes point at them through openapi_extra.
    # The sync messages are described by the wire format itself (fieldapp/domain/wire.py).
    model_schema = EnrolRequest.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(model_schema.pop("$defs", {}))
    components[EnrolRequest.__name__] = model_schema
    components.update(wire.SCHEMAS)
    return schema
