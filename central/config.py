"""Tunable limits of the endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class Settings:
    max_push_bytes: int = 2 * 1024 * 1024
    max_enrol_bytes: int = 4 * 1024
    # A laptop catching up after a week offline makes a few hundred requests in a burst;
    # the sustained rate only bounds a client stuck in a loop.
    rate_per_second: float = 5.0
    rate_burst: int = 120
    # Enrolment is keyed by address, not device: it is the one unauthenticated write.
    enrol_rate_per_second: float = 0.1
    enrol_burst: int = 10
    # Failed enrolment guesses per address, counted in the database: the same for every
    # endpoint process, and a restart does not reset them.
    enrol_failures: int = 10
    enrol_failure_window: timedelta = timedelta(hours=1)
    future_tolerance: timedelta = timedelta(hours=24)
    enrolment_code_lifetime: timedelta = timedelta(hours=72)
    # A laptop whose token is older than this is asked to rotate it at its next sync.
    token_max_age: timedelta = timedelta(days=90)
