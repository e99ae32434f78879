"""Reading request bodies strictly: size first, then UTF-8, then JSON that means one thing.

Python's json module is lenient in ways a server should not be: it accepts NaN and Infinity,
keeps the last of duplicate keys, and lets strings carry lone surrogates that cannot be
stored as UTF-8 later. Each of those is refused here with a 400, before any validation.

`read_strictly` is that reader, and the reference. `parse_json` first tries orjson, several
times faster, which refuses NaN, Infinity, lone surrogates and bad UTF-8 itself but, like the
json module, silently keeps the last of duplicate keys. So its answer is taken only when it
provably means what the reference would: no object lost a key (counted below), no float (a
large integer orjson would round), nothing nested too deeply. Anything else, including every
body orjson refuses, goes to the reference reader, which says what is wrong in its words.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import orjson
from starlette.requests import Request

from central.errors import ApiError

MAX_DEPTH = 32


async def read_body(request: Request, limit: int) -> bytes:
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise ApiError(415, "unsupported_media_type", "Send the body as JSON (application/json).")
    too_large = ApiError(
        413, "body_too_large", f"The request is too large: send at most {limit:,} bytes at a time."
    )
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large
    size = 0
    chunks: list[bytes] = []
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def _bad(message: str) -> ApiError:
    return ApiError(400, "malformed_json", message)


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"the field “{key[:40]}” appears twice in one object.")
            seen.add(key)
    return result


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows.")


def parse_json(raw: bytes) -> Any:
    """The body's one meaning, or a 400 saying why it has none (as `read_strictly`)."""
    value = _quick(raw)
    return read_strictly(raw) if value is _UNSURE else value


_UNSURE = object()
# The end of an object's key: its closing quote, then the colon. Every key has one, and
# elsewhere one can only stand inside a string (an escaped quote followed by a colon), so
# the count of these is never below the number of keys written.
_KEY_END = re.compile(rb'"[ \t\n\r]*:')
_SPACED = (b'" ', b'"\t', b'"\n', b'"\r')


def _quick(raw: bytes) -> Any:
    """orjson's reading of `raw` when it is the reference's too, else _UNSURE."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return _UNSURE
    keys = _held_keys(value)
    if keys is None:
        return _UNSURE
    # orjson keeps one entry per distinct key, so the keys held fall short of the keys
    # written by exactly the duplicates dropped. Written keys are at most the key ends
    # counted; if that count equals the keys held, nothing was dropped.
    if any(spaced in raw for spaced in _SPACED):
        written = len(_KEY_END.findall(raw))
    else:
        written = raw.count(b'":')
    return value if written == keys else _UNSURE


def _held_keys(value: Any) -> int | None:
    """Keys in every object of `value`; None if it holds a float or is nested too deeply."""
    kind = type(value)
    if kind is float:
        return None
    if kind is not dict and kind is not list:
        return 0
    keys = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if type(item) is dict:
            keys += len(item)
            children = item.values()
        else:
            children = item
        if depth >= MAX_DEPTH and children:
            return None  # what it holds is deeper than the reference allows
        for child in children:
            kind = type(child)
            if kind is dict or kind is list:
                stack.append((child, depth + 1))
            elif kind is float:
                return None
    return keys


def read_strictly(raw: bytes) -> Any:
    """The reference reader: the json module, made strict."""
    if not raw.strip():
        raise _bad("The request has no body: send a JSON object.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _bad("The request body is not UTF-8 text.") from None
    try:
        # Numbers are read by the C parser and checked after, in one walk with the strings:
        # a hook per number would cost more than the rest of the parse.
        value = json.loads(text, object_pairs_hook=_pairs, parse_constant=_constant)
    except RecursionError:
        raise _bad(f"The JSON is nested too deeply (at most {MAX_DEPTH} levels).") from None
    except json.JSONDecodeError as exc:
        raise _bad(
            f"The request body is not valid JSON ({exc.msg} at line {exc.lineno}, "
            f"column {exc.colno})."
        ) from None
    except ValueError as exc:  # duplicate keys, NaN, integers past Python's digit limit
        raise _bad(f"The request body is not acceptable JSON: {exc}") from None
    _check(value, 0)
    return value


# Nothing in the API needs more digits than this.
_LARGEST = 10**30


def _check(value: Any, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise _bad(f"The JSON is nested too deeply (at most {MAX_DEPTH} levels).")
    if isinstance(value, str):
        _encodable(value)
    elif isinstance(value, int):
        if not -_LARGEST < value < _LARGEST:
            raise _bad("The request body is not acceptable JSON: a number in it has too many "
                       "digits.")
    elif isinstance(value, float):
        if math.isinf(value):
            raise _bad("The request body is not acceptable JSON: a number in it is too large.")
    elif isinstance(value, dict):
        for key, item in value.items():
            _encodable(key)
            _check(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check(item, depth + 1)


def _encodable(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise _bad("The JSON contains a broken character escape (a lone surrogate).") from None
