"""Token buckets per key (device, or address for enrolment), held in this process."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass

# Buckets that have refilled completely carry no state worth keeping; drop them once there
# are this many, so a stream of distinct addresses cannot grow the table without bound.
_PRUNE_AT = 10_000


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    def __init__(self, rate: float, burst: int, monotonic: Callable[[], float]) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self._rate = rate
        self._burst = float(burst)
        self._monotonic = monotonic
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def acquire(self, key: str) -> float:
        """Take one token: 0.0 if allowed, else the whole seconds to wait before retrying."""
        with self._lock:
            now = self._monotonic()
            bucket = self._buckets.get(key)
            if bucket is None:
                if len(self._buckets) >= _PRUNE_AT:
                    self._prune(now)
                bucket = self._buckets[key] = _Bucket(self._burst, now)
            else:
                elapsed = max(0.0, now - bucket.updated)
                bucket.tokens = min(self._burst, bucket.tokens + elapsed * self._rate)
                bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return float(max(1, math.ceil((1.0 - bucket.tokens) / self._rate)))

    def _prune(self, now: float) -> None:
        full = [
            key
            for key, bucket in self._buckets.items()
            if bucket.tokens + (now - bucket.updated) * self._rate >= self._burst
        ]
        for key in full:
            del self._buckets[key]
