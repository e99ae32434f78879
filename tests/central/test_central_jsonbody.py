"""The strict JSON reader: one meaning per body, numbers no record needs refused, as 400s."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from central.errors import ApiError
from central.jsonbody import parse_json, read_strictly


@pytest.mark.parametrize(("raw", "words"), [
    (b'{"events": [], "events": []}', "“events” appears twice"),
    (b'{"a": {"b": 1, "b": 2}}', "“b” appears twice"),
    (b'{"n": ' + b"1" * 31 + b"}", "too many digits"),
    (b'{"n": -' + b"1" * 31 + b"}", "too many digits"),
    (b'{"n": 1e400}', "too large"),
    (b'{"n": NaN}', "NaN is not a number"),
    (b'{"n": -Infinity}', "-Infinity is not a number"),
])
def test_a_body_that_could_mean_two_things_is_refused(raw: bytes, words: str) -> None:
    with pytest.raises(ApiError) as refused:
        parse_json(raw)
    assert refused.value.status == 400 and words in refused.value.message


def test_the_largest_numbers_a_record_may_hold_are_read() -> None:
    assert parse_json(b'{"n": [' + b"9" * 30 + b', 1.5e300, -0.0, true]}') == {
        "n": [int("9" * 30), 1.5e300, -0.0, True]
    }


# ------------------------------------------------------------------ the quick reader
# parse_json takes orjson's reading only when it provably means what the reference reader
# (the json module, made strict) says. These check that against bodies written every way
# JSON allows, with duplicate keys, escapes, spacing and numbers put where they do harm.

_KEYS = st.sampled_from(["a", "b", '"', ":", 'a":', '\\', "\\\"", " ", "é", "a b", "\u2028"])
_SCALARS = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-(10**31), max_value=10**31),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=6), _KEYS,
)
# A node: ("list", [nodes]), ("object", [(key, node), ...]: keys may repeat) or a scalar.
_NODES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.tuples(st.just("list"), st.lists(inner, max_size=4)),
        st.tuples(st.just("object"),
                  st.lists(st.tuples(st.one_of(_KEYS, st.text(max_size=4)), inner), max_size=4)),
    ),
    max_leaves=24,
)
_SPACE = st.sampled_from(["", "", " ", "\t", "\n", "\r\n"])


def _write(node: Any, space: Callable[[], str], ascii_only: bool) -> str:
    if isinstance(node, tuple) and node[0] == "list":
        return "[" + ",".join(space() + _write(n, space, ascii_only) + space()
                              for n in node[1]) + "]"
    if isinstance(node, tuple) and node[0] == "object":
        return "{" + ",".join(
            space() + json.dumps(k, ensure_ascii=ascii_only) + space() + ":" + space()
            + _write(v, space, ascii_only) + space()
            for k, v in node[1]) + "}"
    return json.dumps(node, ensure_ascii=ascii_only)


def _repeats_a_key(node: Any) -> bool:
    if isinstance(node, tuple) and node[0] == "list":
        return any(_repeats_a_key(n) for n in node[1])
    if isinstance(node, tuple) and node[0] == "object":
        keys = [k for k, _ in node[1]]
        return len(set(keys)) < len(keys) or any(_repeats_a_key(v) for _, v in node[1])
    return False


def _same(a: Any, b: Any) -> bool:
    """Equal and of the same types all the way down (1, 1.0 and True are not the same)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b) or (isinstance(a, float) and str(a) == str(b))


def _outcome(read: Callable[[bytes], Any], raw: bytes) -> tuple[str, Any]:
    try:
        return "read", read(raw)
    except ApiError as refused:
        status, message = refused.status, refused.message
    assert status == 400
    return "refused", message


def _agrees(raw: bytes) -> tuple[str, Any]:
    quick, strict = _outcome(parse_json, raw), _outcome(read_strictly, raw)
    assert quick[0] == strict[0], (raw, quick, strict)
    if quick[0] == "read":
        assert _same(quick[1], strict[1]), (raw, quick, strict)
    return quick


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(node=_NODES, spaces=st.lists(_SPACE, min_size=1, max_size=8), ascii_only=st.booleans())
def test_the_quick_reader_never_accepts_a_duplicate_key(
    node: Any, spaces: list[str], ascii_only: bool
) -> None:
    turn = iter(spaces * 1000)
    raw = _write(node, lambda: next(turn, ""), ascii_only).encode()
    outcome, value = _agrees(raw)
    if _repeats_a_key(node):
        assert outcome == "refused" and "appears twice" in value


@settings(max_examples=400, deadline=None)
@given(node=_NODES, at=st.integers(min_value=0), junk=st.sampled_from([
    b'"', b"\\", b":", b",", b"{", b"}", b"[", b"]", b"\\ud800", b"NaN", b"1e999", b"\xff",
    b"\xed\xa0\x80", b"\x00", b"\xef\xbb\xbf", b"9" * 25, b"-", b"0",
]))
def test_the_quick_reader_agrees_with_the_reference_on_broken_bodies(
    node: Any, at: int, junk: bytes
) -> None:
    raw = _write(node, lambda: "", True).encode()
    at %= len(raw) + 1
    _agrees(raw[:at] + junk + raw[at:])


def test_a_push_body_is_read_quickly_and_a_repeated_key_in_an_event_is_still_refused() -> None:
    event = ('{"id":"0190c6a2-0000-7000-8000-000000000001","type":"household_recorded",'
             '"payload":{"occurrence_id":"x","notes":"said \\"go\\": then left"}}')
    body = ('{"events":[' + event + "]}").encode()
    assert _agrees(body)[0] == "read"
    twice = body.replace(b'"type":', b'"author":"5001","author":"5002","type":')
    outcome, message = _agrees(twice)
    assert outcome == "refused" and "“author” appears twice" in message


@pytest.mark.parametrize("depth", [31, 32, 33, 34])
def test_nesting_is_limited_the_same_way_on_both_readers(depth: int) -> None:
    for inner in (b"", b"1"):
        _agrees(b"[" * depth + inner + b"]" * depth)
        _agrees(b'{"a":' * depth + (inner or b"{}") + b"}" * depth)
