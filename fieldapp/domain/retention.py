"""The central endpoint's order to erase whole cases past the force's retention period.

A value the sync protocol reads from a pull page and the store applies (store/erasure.py):
it lives here so that neither the protocol nor anything else above the store needs the store
to name it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Erasure:
    """Erase everything related to these occurrences and households."""

    aggregate_ids: tuple[str, ...]
    reason: str
    erased_at: datetime
