"""Validation problems, phrased for the officer, and a reader that collects them.

Validation never stops at the first fault: an officer on a doorstep should see every
field that needs attention at once.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class Problem:
    field: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class InvalidEvent(ValueError):
    """Raised when an event cannot be accepted; carries every problem found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in self.problems))


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class Reader:
    """Reads fields out of an untrusted mapping, recording a problem for each fault."""

    def __init__(self, data: Any, problems: list[Problem], prefix: str = "") -> None:
        self.problems = problems
        self.prefix = prefix
        if type(data) is dict or isinstance(data, Mapping):  # JSON's dict, without the ABC
            self.data: Mapping[str, Any] = data
        else:
            self.data = {}
            self.problem("", "This part of the record is missing or not in the right form.")

    def name(self, field: str) -> str:
        return f"{self.prefix}{field}" if field else self.prefix.rstrip(".")

    def problem(self, field: str, message: str) -> None:
        self.problems.append(Problem(self.name(field), message))

    def text(
        self,
        field: str,
        label: str,
        *,
        required: bool = True,
        max_len: int = 200,
        multiline: bool = False,
    ) -> str:
        value = self.data.get(field)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.problem(field, f"Enter the {label}.")
            return ""
        if not isinstance(value, str):
            self.problem(field, f"The {label} must be written as text.")
            return ""
        cleaned = value.strip()
        if len(cleaned) > max_len:
            self.problem(field, f"The {label} is too long (at most {max_len} characters).")
            return ""
        if _CONTROL.search(cleaned) or (not multiline and ("\n" in cleaned or "\r" in cleaned)):
            self.problem(field, f"The {label} contains characters that cannot be saved.")
            return ""
        return cleaned

    def choice(self, field: str, label: str, options: Mapping[str, str]) -> str:
        value = self.data.get(field)
        if value is None or value == "":
            self.problem(field, f"Choose the {label}.")
            return ""
        if not isinstance(value, str) or value not in options:
            self.problem(field, f"Choose the {label} from the list.")
            return ""
        return value

    def choices(
        self, field: str, label: str, options: Mapping[str, str], *, at_least_one: bool = True
    ) -> tuple[str, ...]:
        value = self.data.get(field, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problem(field, f"Choose the {label} from the list.")
            return ()
        unknown = [v for v in value if v not in options]
        if unknown:
            self.problem(field, f"Not on the list of {label}: {', '.join(unknown)}.")
            return ()
        if at_least_one and not value:
            self.problem(field, f"Choose at least one of the {label}.")
            return ()
        return tuple(sorted(set(value)))

    def boolean(self, field: str, label: str, *, default: bool | None = None) -> bool:
        value = self.data.get(field, default)
        if not isinstance(value, bool):
            self.problem(field, f"Answer yes or no for {label}.")
            return False
        return value

    def integer(self, field: str, label: str, low: int, high: int, *, required: bool = True) -> int:
        value = self.data.get(field)
        if value is None:
            if required:
                self.problem(field, f"Enter the {label}.")
            return -1
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(field, f"The {label} must be a whole number.")
            return -1
        if not low <= value <= high:
            self.problem(field, f"The {label} must be between {low} and {high}.")
            return -1
        return value

    def items(self, field: str, label: str, *, max_items: int) -> list[Reader]:
        value = self.data.get(field)
        if not isinstance(value, list):
            self.problem(field, f"Add the {label}.")
            return []
        if len(value) > max_items:
            self.problem(field, f"Too many {label} (at most {max_items}).")
            return []
        return [
            Reader(item, self.problems, f"{self.name(field)}[{i}].") for i, item in enumerate(value)
        ]

    def unexpected(self, allowed: Collection[str]) -> None:
        for key in self.data:  # every field known, almost always: checked without sets
            if key not in allowed:
                break
        else:
            return
        extra = sorted(set(self.data) - set(allowed))
        if extra:
            self.problem("", f"Fields this version does not know: {', '.join(extra)}.")


def parse_utc(value: Any) -> datetime | None:
    """An ISO 8601 instant with an explicit offset, as UTC; None if it is not one."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            return None
        return parsed if parsed.tzinfo is UTC else parsed.astimezone(UTC)
    except (ValueError, OverflowError):  # e.g. 0001-01-01T00:00:00+01:00 is before year 1 UTC
        return None


def format_utc(moment: datetime) -> str:
    """An instant as records write one: UTC, to the microsecond, "Z"."""
    m = moment if moment.tzinfo is UTC else moment.astimezone(UTC)  # UTC already, mostly
    # What isoformat(timespec="microseconds") writes with "Z" for "+00:00", in half its time
    # (it formats the offset only to have it replaced; format specifiers in an f-string are
    # slower still): every row written has some.
    return "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ" % (  # noqa: UP031
        m.year, m.month, m.day, m.hour, m.minute, m.second, m.microsecond
    )
