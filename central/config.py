"""Tunable limits of the endpoint, and where the shared resources (leaflet catalogue) live."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from fieldapp.domain.catalogue import LeafletCatalogue
from fieldapp.domain.policy import SchedulePolicy

RESOURCES_ENV = "FIELDAPP_RESOURCES"


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
    future_tolerance: timedelta = timedelta(hours=24)
    enrolment_code_lifetime: timedelta = timedelta(hours=72)


def resources_dir() -> Path:
    override = os.environ.get(RESOURCES_ENV)
    if override:
        return Path(override)
    # An editable install or a checkout: resources/ sits beside the central package.
    return Path(__file__).resolve().parent.parent / "resources"


def load_catalogue(directory: Path | None = None) -> LeafletCatalogue:
    path = (directory or resources_dir()) / "leaflets.json"
    with path.open(encoding="utf-8") as handle:
        return LeafletCatalogue.from_dict(json.load(handle))


def load_policy(directory: Path | None = None) -> SchedulePolicy:
    path = (directory or resources_dir()) / "schedule_policy.json"
    with path.open(encoding="utf-8") as handle:
        return SchedulePolicy.from_dict(json.load(handle))
