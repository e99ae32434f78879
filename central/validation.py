"""Pydantic's validation errors, rephrased for an officer reading them on a laptop."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from central.errors import ApiError
from fieldapp.domain.problems import Problem

_LABELS = {
    "code": "enrolment code",
    "device_name": "device name",
    "events": "list of records",
    "cursor": "cursor",
    "limit": "number of records to fetch",
}

M = TypeVar("M", bound=BaseModel)


def _message(error: Any, field: str) -> str:
    label = _LABELS.get(field, f"field “{field}”" if field else "request")
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return f"The {label} is missing."
    if kind == "extra_forbidden":
        return f"The {label} is not something this server knows: leave it out."
    if kind in ("string_type", "str_type"):
        return f"The {label} must be text."
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"The {label} must be a whole number."
    if kind in ("list_type",):
        return f"The {label} must be a list."
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "Send a JSON object."
    if kind == "string_too_short":
        return f"Enter the {label}."
    if kind == "string_too_long":
        return f"The {label} is too long (at most {ctx.get('max_length')} characters)."
    if kind == "string_pattern_mismatch":
        return f"The {label} must be plain text, not blank, without control characters."
    if kind in ("greater_than_equal", "greater_than"):
        return f"The {label} is too small (at least {ctx.get('ge', ctx.get('gt'))})."
    if kind in ("less_than_equal", "less_than"):
        return f"The {label} is too large (at most {ctx.get('le', ctx.get('lt'))})."
    return f"The {label} is not valid."


def problems_from_errors(errors: Sequence[Any]) -> tuple[Problem, ...]:
    problems = []
    for error in errors:
        # FastAPI prefixes a location ("query", "body"); pydantic gives the path alone.
        loc = [str(part) for part in error.get("loc", ()) if part not in ("query", "body")]
        field = ".".join(loc)
        problems.append(Problem(field, _message(error, loc[-1] if loc else "")))
    return tuple(problems)


def validate_body(model: type[M], data: Any) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiError(
            422,
            "invalid_request",
            "The request is not in the form this server expects: see problems.",
            problems=problems_from_errors(exc.errors()),
        ) from None
