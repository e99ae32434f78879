"""The keys occurrences and households join on: what joins, and what must stay apart."""

from __future__ import annotations

import pytest

from fieldapp.domain.identity import (
    address_key,
    household_key,
    may_be_one_address,
    reference_key,
)

JOIN = [
    ("1 High Street, Leeds", "1 high street, leeds"),
    ("1 High Street, Leeds", "1  High   Street ,  Leeds"),
    ("1 High Street, Leeds", "1 High St, Leeds"),
    ("1 High Street, Leeds", "1 High St., Leeds."),
    ("Flat 2, 10 High St", "2, 10 High Street"),
    ("Apartment 2, 10 High St", "flat 2 , 10 high street"),
    ("12 St John's Road", "12 St Johns Rd"),
    ("3 Rosé Court", "3 Rose Ct"),
    ("4 Park Lane\nLeeds", "4 Park Ln, Leeds"),
]

APART = [
    ("1 High Street, Leeds", "2 High Street, Leeds"),  # another number
    ("1 High Street, Leeds", "1 High Street"),  # a town left out: the OIC decides
    ("10 High Street", "Flat 2, 10 High Street"),  # the building, not the flat
    ("Flat 2, 10 High Street", "Flat 3, 10 High Street"),
    ("12 St John's Road", "12 Saint John's Road"),  # "St" at a line's start is not expanded
    ("1 High Street", "1 High Road"),
    ("10a High Street", "10 High Street"),
    ("1 Church St", "1 Church Stile"),
    ("Flat A, 1 High Street", "A, 1 High Street"),  # "Flat" only before a number
]


@pytest.mark.parametrize(("one", "other"), JOIN)
def test_addresses_that_join(one: str, other: str) -> None:
    assert address_key(one) == address_key(other)


@pytest.mark.parametrize(("one", "other"), APART)
def test_addresses_that_stay_apart(one: str, other: str) -> None:
    assert address_key(one) != address_key(other)


def test_a_household_needs_an_address_and_a_postcode_to_join() -> None:
    assert household_key("1 High St", "ls1 4hy") == household_key("1 high street", "LS14HY")
    assert household_key("1 High St", "LS1 4HY") != household_key("1 High St", "LS1 4HZ")
    assert household_key("", "LS1 4HY") is None
    assert household_key("1 High St", " ") is None
    assert household_key(",.", "LS1 4HY") is None


@pytest.mark.parametrize(("one", "other", "same"), [
    ("13/240117/26", "13/240117/26", True),
    ("13/240117/26", " 13/240117/26 ", True),
    ("13/240117/26", "13-240117-26", True),
    ("ab/1234/26", "AB/1234/26", True),
    ("13/240117/26", "13/240118/26", False),
    ("13/240117/26", "13/0240117/26", False),  # a leading zero is another number
    ("13/240117/26", "13240117/26", False),
])
def test_references(one: str, other: str, same: bool) -> None:
    assert (reference_key(one) == reference_key(other)) is same


@pytest.mark.parametrize(("one", "other", "maybe"), [
    ("1 High St", "1 High Street, Leeds", True),
    ("10 High Street", "Flat 2, 10 High Street", True),
    ("1 Hgh Street", "1 High Street", True),
    ("9 Mill Lane", "1 High Street, Leeds", False),
    ("1 High Street", "2 High Street", False),
    ("Flat 2, 10 High Street", "Flat 3, 10 High Street", False),
    ("", "1 High Street", False),
])
def test_addresses_that_may_be_one(one: str, other: str, maybe: bool) -> None:
    assert may_be_one_address(one, other) is maybe
