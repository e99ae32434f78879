"""The referring officer's contact details for the VCAS sheet: checked in the officer's words."""

from __future__ import annotations

import pytest

from fieldapp.domain.officer_contact import (
    OfficerContact,
    read_officer_contact,
    stored_officer_contact,
)
from fieldapp.domain.problems import InvalidEvent


def problems(data: dict[str, object]) -> dict[str, str]:
    with pytest.raises(InvalidEvent) as raised:
        read_officer_contact("1234", data)
    return {p.field: p.message for p in raised.value.problems}


def test_a_name_and_a_phone_or_an_email() -> None:
    contact = read_officer_contact("1234", {"name": " PC Alex Moss ", "phone": "01632 960123",
                                            "email": ""})
    assert contact == OfficerContact("1234", "PC Alex Moss", "01632 960123", "")
    assert contact.complete
    assert contact.lines() == ["Referral made by PC Alex Moss (collar number 1234)",
                               "Phone: 01632 960123"]
    assert read_officer_contact("1234", {"name": "A", "email": "a.b@force.police.uk"}).email
    assert problems({"name": "A", "phone": "", "email": ""}) == {
        "phone": "Enter a phone number or an email address, so VCAS can reach you."}
    assert problems({"phone": "01632 960123"}) == {"name": "Enter the name VCAS should ask for."}


@pytest.mark.parametrize(
    ("field", "value", "said"),
    [
        ("phone", "ring me", "“ring me” is not a telephone number"),
        ("phone", "12", "“12” is not a telephone number"),
        ("email", "alex.moss at police", "“alex.moss at police” is not an email address"),
        ("email", "a@b", "“a@b” is not an email address"),
        ("name", "A\nB", "contains characters that cannot be saved"),
    ],
)
def test_malformed_details_are_refused_beside_their_field(
    field: str, value: str, said: str
) -> None:
    data = {"name": "PC Alex Moss", "phone": "01632 960123", "email": ""} | {field: value}
    assert said in problems(data)[field]


def test_what_the_laptop_holds_or_the_enrolled_name() -> None:
    assert stored_officer_contact("1234", None, "Alex Moss") == OfficerContact("1234", "Alex Moss")
    assert not stored_officer_contact("1234", None, "Alex Moss").complete
    held = stored_officer_contact("1234", {"name": "PC A Moss", "phone": "01632 960123"}, "X")
    assert (held.name, held.phone, held.complete) == ("PC A Moss", "01632 960123", True)
