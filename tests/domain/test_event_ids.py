"""Identifiers in events are read as uuid.UUID would read them, without building one each."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from fieldapp.domain.parsing import _uuid
from fieldapp.domain.problems import Problem, Reader


def reference(value: object, version: int | None) -> bool:
    """The rule as it was written with uuid.UUID."""
    try:
        parsed = uuid.UUID(value) if isinstance(value, str) else None
    except ValueError:
        return False
    return parsed is not None and str(parsed) == value and not (
        version and parsed.version != version
    )


def accepted(value: object, version: int | None) -> bool:
    problems: list[Problem] = []
    read = _uuid(Reader({"id": value}, problems), "id", "identifier", version=version)
    assert (read == value) is (not problems)
    return not problems


hexish = st.text("0123456789abcdefABCDEF-{}urn:", min_size=30, max_size=40)
ids = st.one_of(
    st.uuids().map(str), st.uuids().map(lambda u: str(u).upper()), st.uuids().map(
        lambda u: u.hex), hexish, st.integers(), st.none(),
    st.builds(lambda u, n, v: str(u)[:14] + n + str(u)[15:19] + v + str(u)[20:],
              st.uuids(), st.sampled_from("0123456789abcdef"), st.sampled_from("0123456789abcdef")),
)


@given(ids, st.sampled_from([None, 4, 7]))
def test_an_identifier_is_accepted_exactly_when_uuid_would_accept_it(
    value: object, version: int | None
) -> None:
    assert accepted(value, version) == reference(value, version)
