"""Schemathesis against the app's own OpenAPI document: generated requests, valid and not,
never get a 5xx, and every response matches the documented status codes and schemas."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from central_support import FakeClock, add_officer, enrol_device
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from central.app import create_app
from central.config import Settings
from central.storage import open_storage

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

# Schemathesis reads the schema when the module is collected (its lazy, fixture-based loader
# does not work with pytest 9). The database is not opened until the fixture below runs.
_DIRECTORY = Path(tempfile.gettempdir()) / f"central-schemathesis-{uuid.uuid4().hex}"
_CLOCK = FakeClock()
_STORAGE = open_storage(f"sqlite:///{_DIRECTORY / 'central.db'}")
# Generated requests come fast: the limiter is tested elsewhere, not here.
_APP = create_app(_STORAGE, settings=Settings(rate_burst=10**6, enrol_burst=10**6), clock=_CLOCK)
# 413 is how the API refuses more than 500 events (the brief's limit, documented per operation);
# schemathesis' default list of rejection statuses leaves it out.
_CONFIG = SchemathesisConfig.from_dict(
    {"checks": {
        "negative_data_rejection": {
            "expected-statuses": [400, 401, 403, 413, 415, 422, 429]
        },
        # The JSON reader refuses a number with more digits than any record field can hold
        # (400 malformed_json), a limit OpenAPI cannot state for a free-form event object.
        "positive_data_acceptance": {
            "expected-statuses": ["2XX", "3XX", 400, 401, 403, 404, 409, 429]
        },
    }}
)
schema = schemathesis.openapi.from_asgi("/openapi.json", _APP, config=_CONFIG)


@pytest.fixture(scope="module")
def token() -> Iterator[str]:
    _DIRECTORY.mkdir()
    try:
        _STORAGE.migrate(_CLOCK.now())
        add_officer(_STORAGE, "100")
        _, device_token = enrol_device(_STORAGE, "100")
        yield device_token
    finally:
        _STORAGE.close()
        shutil.rmtree(_DIRECTORY, ignore_errors=True)


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_generated_requests_get_documented_answers(case: Any, token: str) -> None:
    # The device's token goes on every case but one whose invalid part is its Authorization
    # (left out, or not a bearer token): that one must get 401. Put on every case, it made a
    # request such as GET /v1/pull?cursor=1A0000000000 (generated without Authorization and
    # with an unknown query parameter, which the API ignores) valid as sent: answered 200,
    # as it should be, and reported as "schema-violating request accepted".
    if not case.operation.schema.is_security_param_negated(case):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
    case.call_and_validate()
