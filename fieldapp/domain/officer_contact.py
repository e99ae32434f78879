"""How VCAS reaches the officer who made a referral: the name, collar number and a phone
number or email the officer gives, printed on the referral sheet.

The officer sets them once per profile; the laptop keeps them among its settings inside the
encrypted database (never in QSettings or a file). The name starts as the one the endpoint
enrolled the officer under. Checked like every field an officer types: each problem in the
officer's words, beside its field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fieldapp.domain.contacts import phone_number
from fieldapp.domain.problems import InvalidEvent, Problem, Reader

# Enough to catch a slip (no @, a space, no dot after it); VCAS writes back to it by hand.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


@dataclass(frozen=True)
class OfficerContact:
    collar: str
    name: str = ""
    phone: str = ""
    email: str = ""

    @property
    def complete(self) -> bool:
        """A name and a way to reach the officer: what the sheet needs."""
        return bool(self.name and (self.phone or self.email))

    def lines(self) -> list[str]:
        """The officer as the referral sheet prints them."""
        who = f"{self.name} (collar number {self.collar})" if self.name else (
            f"Collar number {self.collar}")
        lines = [f"Referral made by {who}"]
        if self.phone:
            lines.append(f"Phone: {self.phone}")
        if self.email:
            lines.append(f"Email: {self.email}")
        return lines

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "phone": self.phone, "email": self.email}


def read_officer_contact(collar: str, data: Mapping[str, Any]) -> OfficerContact:
    """The officer's details from what they typed; InvalidEvent lists every problem."""
    problems: list[Problem] = []
    r = Reader(data, problems)
    name = r.text("name", "name VCAS should ask for", max_len=100)
    phone = phone_number(r, "phone", "phone number")
    email = r.text("email", "email address", required=False, max_len=254)
    if email and not _EMAIL.match(email):
        r.problem("email", f"“{email}” is not an email address: it looks like "
                  "name@force.police.uk.")
        email = ""
    if not problems and not (phone or email):
        r.problem("phone", "Enter a phone number or an email address, so VCAS can reach you.")
    r.unexpected(("name", "phone", "email"))
    if problems:
        raise InvalidEvent(problems)
    return OfficerContact(collar, name, phone, email)


def stored_officer_contact(
    collar: str, stored: Mapping[str, Any] | None, enrolled_name: str = ""
) -> OfficerContact:
    """What the laptop holds (already checked when saved), or only the enrolled name."""
    if not stored:
        return OfficerContact(collar, enrolled_name)
    return OfficerContact(collar, str(stored.get("name") or enrolled_name),
                          str(stored.get("phone") or ""), str(stored.get("email") or ""))
