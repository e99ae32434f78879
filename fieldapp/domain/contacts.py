"""Who to call about victim support: a household's contacts, their numbers and the times to
call, as an offer records them, with the officer-worded checks of each field."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fieldapp.domain.catalogue import (
    CONTACT_RELATIONSHIPS,
    PERSON_UNDER_INVESTIGATION,
    PHONE_LABELS,
)
from fieldapp.domain.problems import Reader

_PHONE = re.compile(r"^\+?[0-9 ()\-]{7,20}$")
_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


@dataclass(frozen=True)
class Phone:
    number: str
    label: str  # PHONE_LABELS


@dataclass(frozen=True)
class CallTime:
    """A window, on the London clock, when the contact would like to be called."""

    start: str  # HH:MM
    end: str


@dataclass(frozen=True)
class Contact:
    """Who to call about victim support, and whether and how it is safe to."""

    name: str
    relationship: str  # CONTACT_RELATIONSHIPS: never the person under investigation
    phones: tuple[Phone, ...]
    preferred_times: tuple[CallTime, ...]
    safe_to_call: bool
    safe_to_leave_message: bool
    language: str = ""
    interpreter_needed: bool = False
    access_needs: str = ""
    notes: str = ""

    @property
    def usable_number(self) -> str:
        """The first number VCAS can ring, if it is safe to ring this contact at all."""
        return self.phones[0].number if self.safe_to_call and self.phones else ""


def phone_number(r: Reader, name: str, label: str, *, required: bool = False) -> str:
    phone = r.text(name, label, required=required, max_len=20)
    digits = sum(ch.isdigit() for ch in phone)
    if phone and (not _PHONE.match(phone) or not 7 <= digits <= 15):
        r.problem(
            name,
            f"“{phone}” is not a telephone number: use digits, spaces and + only, "
            "for example 07700 900123.",
        )
        return ""
    return phone


def _clock(r: Reader, name: str, label: str) -> str:
    value = r.data.get(name)
    if not isinstance(value, str) or not _CLOCK.match(value.strip()):
        shown = value if isinstance(value, str) and value.strip() else "this"
        r.problem(
            name,
            f"The {label} “{shown}” is not a time of day: write hours and minutes on the "
            "24-hour clock, for example 09:30.",
        )
        return ""
    return value.strip()


def _call_times(r: Reader) -> tuple[CallTime, ...]:
    times = []
    if "preferred_times" not in r.data:
        return ()
    for t in r.items("preferred_times", "preferred times to call", max_items=6):
        t.unexpected(("start", "end"))
        start = _clock(t, "start", "start of the preferred time")
        end = _clock(t, "end", "end of the preferred time")
        if start and end and end <= start:
            t.problem("end", f"The preferred time ends ({end}) before it starts ({start}).")
        times.append(CallTime(start, end))
    return tuple(times)


def parse_contacts(r: Reader) -> tuple[Contact, ...]:
    if "contacts" not in r.data:
        return ()
    contacts = []
    for c in r.items("contacts", "contacts for victim support", max_items=6):
        c.unexpected((
            "name", "relationship", "phones", "preferred_times", "safe_to_call",
            "safe_to_leave_message", "language", "interpreter_needed", "access_needs", "notes",
        ))
        name = c.text("name", "contact's name", max_len=120)
        if c.data.get("relationship") == PERSON_UNDER_INVESTIGATION:
            c.problem(
                "relationship",
                "The person under investigation cannot be the contact for victim support.",
            )
            relationship = ""
        else:
            relationship = c.choice("relationship", "contact's relationship",
                                    CONTACT_RELATIONSHIPS)
        phones = []
        for p in (c.items("phones", "telephone numbers", max_items=4)
                  if "phones" in c.data else []):
            p.unexpected(("number", "label"))
            phones.append(Phone(phone_number(p, "number", "telephone number", required=True),
                                p.choice("label", "kind of number", PHONE_LABELS)))
        contacts.append(Contact(
            name=name,
            relationship=relationship,
            phones=tuple(phones),
            preferred_times=_call_times(c),
            safe_to_call=c.boolean("safe_to_call", "whether it is safe to call"),
            safe_to_leave_message=c.boolean(
                "safe_to_leave_message", "whether it is safe to leave a message"
            ),
            language=c.text("language", "language", required=False, max_len=60),
            interpreter_needed=c.boolean(
                "interpreter_needed", "whether an interpreter is needed", default=False
            ),
            access_needs=c.text("access_needs", "access needs", required=False, max_len=500,
                                multiline=True),
            notes=c.text("notes", "notes on the contact", required=False, max_len=1000,
                         multiline=True),
        ))
    return tuple(contacts)


def contact_from_dict(data: Mapping[str, Any]) -> Contact:
    values = dict(data)
    values["phones"] = tuple(Phone(**p) for p in values.get("phones", ()))
    values["preferred_times"] = tuple(CallTime(**t) for t in values.get("preferred_times", ()))
    return Contact(**values)
