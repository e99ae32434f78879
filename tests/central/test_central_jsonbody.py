"""The strict JSON reader: one meaning per body, numbers no record needs refused, as 400s."""

from __future__ import annotations

import pytest

from central.errors import ApiError
from central.jsonbody import parse_json


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
