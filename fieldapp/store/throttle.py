"""Failed unlocks slow down, and the count survives a restart of the app.

Each attempt is counted as a failure *before* the passphrase is tried and cleared only when it
was right, so killing the app while Argon2id runs does not get a free guess. The counter is a
speed bump for someone at the keyboard: anyone who can copy the profile's files can guess
offline, and against that the passphrase's strength and Argon2id's cost are what protect.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from fieldapp.store.errors import TooManyAttempts
from fieldapp.store.files import atomic_write

Clock = Callable[[], datetime]

WINDOW_SECONDS = 300.0
MAX_IN_WINDOW = 10
FREE_FAILURES = 3  # typos should not cost anything
MAX_DELAY_SECONDS = 900.0


def delay_after(failures: int) -> float:
    """Seconds to wait after `failures` wrong passphrases in a row: doubles from the 4th."""
    if failures <= FREE_FAILURES:
        return 0.0
    return min(2.0 ** (failures - FREE_FAILURES), MAX_DELAY_SECONDS)


@dataclass(frozen=True)
class _Counts:
    failures: int = 0
    last: float = 0.0
    recent: tuple[float, ...] = ()


class UnlockThrottle:
    def __init__(self, path: Path, clock: Clock) -> None:
        self.path = path
        self.clock = clock

    def _read(self) -> _Counts:
        try:
            data = json.loads(self.path.read_bytes())
            return _Counts(
                int(data["failures"]), float(data["last"]), tuple(float(t) for t in data["recent"])
            )
        except FileNotFoundError:
            return _Counts()
        except (OSError, ValueError, KeyError, TypeError):
            # Writes are atomic, so only tampering gets here: start the slow-down at once.
            return _Counts(failures=FREE_FAILURES)

    def _write(self, counts: _Counts) -> None:
        data = {"failures": counts.failures, "last": counts.last, "recent": list(counts.recent)}
        atomic_write(self.path, json.dumps(data).encode() + b"\n")

    def _read_now(self) -> tuple[_Counts, float]:
        """The counts, with any time later than now brought back to now (and kept so): a
        clock that ran ahead and was corrected must not lock the officer out until real
        time catches up with it. Brought back, not dropped, so the wait is never shortened
        by more than the clock moved."""
        counts = self._read()
        now = self.clock().timestamp()
        if counts.last > now or any(t > now for t in counts.recent):
            counts = _Counts(
                counts.failures, min(counts.last, now), tuple(min(t, now) for t in counts.recent)
            )
            self._write(counts)
        return counts, now

    def wait_seconds(self) -> float:
        """How long before the next attempt is allowed (0 if it is allowed now)."""
        counts, now = self._read_now()
        # A clock set backwards must not shorten the wait.
        wait = delay_after(counts.failures) - max(0.0, now - counts.last)
        recent = [t for t in counts.recent if now - t < WINDOW_SECONDS]
        if len(recent) >= MAX_IN_WINDOW:
            oldest = sorted(recent)[-MAX_IN_WINDOW]
            wait = max(wait, WINDOW_SECONDS - max(0.0, now - oldest))
        return max(0.0, wait)

    def begin_attempt(self) -> None:
        """Refuse if the officer must wait; otherwise count this attempt as failed for now."""
        wait = self.wait_seconds()
        if wait > 0:
            raise TooManyAttempts(wait)
        counts, now = self._read_now()
        recent = (*(t for t in counts.recent if now - t < WINDOW_SECONDS), now)
        self._write(_Counts(counts.failures + 1, now, recent))

    def succeeded(self) -> None:
        self._write(_Counts())
