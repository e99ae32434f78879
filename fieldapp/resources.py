"""Loads the versioned data in resources/: the schedule policy, the leaflet catalogue with the
support lists (escalation, referral methods), the force's districts (with teams) and partner
organisations, and who may make which records (authority)."""

from __future__ import annotations

import json
import os
import sys
from functools import cache
from pathlib import Path

from fieldapp.domain.authority import AuthorityTable
from fieldapp.domain.catalogue import LeafletCatalogue
from fieldapp.domain.force import Districts, ForceLists, Partners
from fieldapp.domain.policy import SchedulePolicy

RECOVERY_KEY_FILE = "recovery-public-key.pem"


def resources_dir() -> Path:
    """FIELDAPP_RESOURCES if set; else resources/ beside the package (a checkout, an editable
    install, the PyInstaller bundle); else where `pip install` put it (share/fieldapp)."""
    override = os.environ.get("FIELDAPP_RESOURCES")
    if override:
        return Path(override)
    beside = Path(__file__).resolve().parent.parent / "resources"
    if beside.is_dir():
        return beside
    return Path(sys.prefix) / "share" / "fieldapp" / "resources"


@cache
def load_policy() -> SchedulePolicy:
    text = (resources_dir() / "schedule_policy.json").read_text(encoding="utf-8")
    return SchedulePolicy.from_dict(json.loads(text))


def recovery_public_key() -> bytes | None:
    """The force's recovery public key, if IT put one in the install (docs/admin-guide.md):
    every profile created then keeps a copy of its key that only the private key opens."""
    try:
        return (resources_dir() / RECOVERY_KEY_FILE).read_bytes()
    except FileNotFoundError:
        return None


@cache
def load_catalogue() -> LeafletCatalogue:
    folder = resources_dir()
    leaflets = json.loads((folder / "leaflets.json").read_text(encoding="utf-8"))
    support = json.loads((folder / "support.json").read_text(encoding="utf-8"))
    return LeafletCatalogue.from_dict(leaflets, support)


@cache
def load_districts() -> Districts:
    text = (resources_dir() / "districts.json").read_text(encoding="utf-8")
    return Districts.from_dict(json.loads(text))


@cache
def load_partners() -> Partners:
    text = (resources_dir() / "partners.json").read_text(encoding="utf-8")
    partners = Partners.from_dict(json.loads(text))
    known = set(load_catalogue().titles)
    stray = sorted({leaflet for p in partners.partners for leaflet in p.leaflets} - known)
    if stray:
        raise ValueError(f"partners.json names leaflets not in the catalogue: {stray}")
    return partners


def load_force() -> ForceLists:
    """The lists names are checked against at capture and at the endpoint."""
    return ForceLists(load_districts(), load_partners())


@cache
def load_authority() -> AuthorityTable:
    text = (resources_dir() / "authority.json").read_text(encoding="utf-8")
    return AuthorityTable.from_dict(json.loads(text))
