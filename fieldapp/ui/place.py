"""Where the officer was: the occurrence and forms open at a lock, and drafts named by what
they are about. Both run on the database worker and keep what they read inside the store.

A draft is listed as "Draft leaflets issued: 13/42/26, 4 Beck Side" (its form, the
occurrence's reference, the household's address) rather than by its form alone, so that an
officer with several addresses on the go can tell them apart.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fieldapp.store import Store
from fieldapp.ui.corrections.forms import corrected_id
from fieldapp.ui.launcher import DraftKey

PLACE_SETTING = "ui.place"  # a setting inside the encrypted store, never QSettings


@dataclass(frozen=True)
class Place:
    """The occurrence shown and the forms open (by draft key, a correction's included), in
    the order they opened."""

    occurrence_id: str = ""
    forms: tuple[str, ...] = ()


def keep_place(store: Store, place: Place) -> None:
    store.set_setting(
        PLACE_SETTING, json.dumps({"occurrence": place.occurrence_id, "forms": place.forms})
    )


def read_place(store: Store) -> Place:
    try:
        data = json.loads(store.get_setting(PLACE_SETTING) or "{}")
        forms = tuple(str(f) for f in data.get("forms", [])
                      if DraftKey.parse(str(f)) or corrected_id(str(f)))
        return Place(str(data.get("occurrence", "")), forms)
    except (ValueError, AttributeError, TypeError):
        return Place()  # written by an older version: start on the Record page's list


def _draft_payload(store: Store, key: str) -> dict[str, Any]:
    try:
        payload = json.loads(store.load_draft(key) or "{}").get("payload", {})
    except (ValueError, AttributeError):
        return {}
    return payload if isinstance(payload, dict) else {}


def _flat(text: object) -> str:
    return " ".join(str(text or "").split())


def draft_label(store: Store, key: DraftKey) -> str:
    """'Draft VCAS offer: 13/42/26, 4 Beck Side': the form, then what it is for."""
    about: list[str] = []
    if key.kind == "occurrence":
        about.append(_flat(_draft_payload(store, str(key)).get("reference")) or "no reference")
    elif key.kind in ("leaflets", "household"):
        occurrence = store.occurrence(key.target)
        about.append(occurrence.reference if occurrence else "an occurrence not on this laptop")
        if key.kind == "household":
            draft = _draft_payload(store, str(key))
            about.append(_flat(draft.get("address")) or "no address yet")
    else:
        household = store.household(key.target)
        if household is None:
            about.append("a household not on this laptop")
        else:
            occurrence = store.occurrence(household.occurrence_id)
            if occurrence is not None:
                about.append(occurrence.reference)
            about.append(_flat(household.address))
    return f"Draft {key.label[0].lower()}{key.label[1:]}: {', '.join(about)}"


def occurrence_of(store: Store, key: DraftKey) -> str:
    """The occurrence a draft belongs to ('' for a new occurrence or an unknown record)."""
    if key.kind in ("leaflets", "household"):
        return key.target
    if key.kind in ("offer", "callback"):
        household = store.household(key.target)
        return household.occurrence_id if household is not None else ""
    return key.aggregate
