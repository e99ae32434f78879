"""The one place the server reads the time, so tests can set it."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Wall-clock time in UTC: server_time, received_at, expiry of enrolment codes."""
        ...

    def monotonic(self) -> float:
        """Seconds from an arbitrary origin that never go backwards: rate limiting."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()
