"""Shared by the store tests, the crash/fill worker and the bench: clocks, cases, checks."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from factories import callback, event, household, leaflets, new_id, occurrence, offer

from fieldapp.domain.events import Event, EventType
from fieldapp.domain.projection import project
from fieldapp.resources import load_policy
from fieldapp.store import Profiles, Store, TaskRow
from fieldapp.store.keys import KdfParams

HERE = Path(__file__).resolve().parent
WRITER = HERE / "writer.py"
PASSPHRASE = "violet-anchor-river-92"
# Only for tests that are not about the KDF or the unlock path (see Profiles' docstring).
CHEAP_KDF = KdfParams(iterations=1, lanes=1, memory_kib=8)
START = datetime(2026, 3, 10, 14, tzinfo=UTC)

OFFICERS = ("1234", "4321", "5678")
DISTRICTS = ("Leeds", "Bradford", "Calderdale", "Wakefield")
POSTCODES = ("LS1 4HY", "LS6 2AB", "BD1 1AA", "HX1 2RT", "WF1 3DE", "S1 2HE")


class FakeClock:
    def __init__(self, now: datetime = datetime(2026, 3, 10, 15, tzinfo=UTC)) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def cheap_profiles(home: Path, clock: FakeClock | None = None, **kw: Any) -> Profiles:
    return Profiles(clock or FakeClock(), home, insecure_kdf_for_tests=CHEAP_KDF, **kw)


def case(rng: random.Random, at: datetime, text: str = "") -> list[Event]:
    """One occurrence as it happens at the door: leaflets, households, offers, call-backs,
    and now and then a reassignment, a merge, a correction or a record entered in error.
    `text`, if given, goes into every free-text field (the canary test)."""
    o = new_id()
    minute = timedelta(minutes=1)
    events = [
        occurrence(
            o, at, oic=rng.choice(OFFICERS), district=text or rng.choice(DISTRICTS),
            reference=f"13/{rng.randrange(10**6):06d}/26",
        )
    ]
    if text or rng.random() < 0.7:
        risks = ("self_harm_thoughts",) if rng.random() < 0.2 else ()
        issue = leaflets(o, at + 5 * minute, risks=risks)
        if text:
            payload = {
                "person_name": text, "leaflets": ["samaritans"], "outcome": "handed",
                "risk_indicators": [], "no_risk_seen": True, "escalated": False, "notes": text,
            }
            issue = event(EventType.LEAFLET_ISSUED, o, payload, at + 5 * minute)
        events.append(issue)
    homes = []
    for _ in range(rng.randint(2 if text else 1, 3)):
        h = new_id()
        homes.append(h)
        postcode = rng.choice(POSTCODES)
        record = household(
            h, o, at + 10 * minute, postcode=postcode,
            address=text or f"{rng.randint(1, 200)} High Street",
        )
        if text:
            payload = {
                "occurrence_id": o, "address": text, "postcode": postcode,
                "members": [{"relationship": "partner", "name": text}],
            }
            record = event(EventType.HOUSEHOLD_RECORDED, h, payload, at + 10 * minute)
        events.append(record)
        outcome = rng.choice(("declined", "declined", "accepted", "not_present", "not_appropriate"))
        if text:
            events.append(
                event(
                    EventType.VCAS_OFFERED, h,
                    {"outcome": "declined", "reason": text, "contact_name": text},
                    at + 15 * minute,
                )
            )
            events.append(
                event(
                    EventType.CALLBACK_ATTEMPTED, h, {"outcome": "no_answer", "notes": text},
                    at + timedelta(days=21),
                )
            )
            events.append(
                event(EventType.TASK_REASSIGNED, h, {"to_officer": "5678", "reason": text},
                      at + timedelta(days=22))
            )
            continue
        events.append(offer(h, outcome, at + 15 * minute))
        if outcome in ("declined", "not_present"):
            for k in range(rng.randint(0, 3)):
                result = rng.choice(("no_answer", "no_answer", "declined", "accepted"))
                events.append(callback(h, result, at + timedelta(days=21 + 3 * k)))
        if rng.random() < 0.1:
            events.append(
                event(EventType.TASK_REASSIGNED, h,
                      {"to_officer": rng.choice(OFFICERS), "reason": "Leave"},
                      at + timedelta(days=1))
            )
    if len(homes) > 1 and (text or rng.random() < 0.2):
        events.append(
            event(EventType.HOUSEHOLDS_MERGED, homes[0],
                  {"merged_id": homes[1], "reason": text or "Same family"},
                  at + timedelta(hours=1))
        )
    offers = [e for e in events if e.type is EventType.VCAS_OFFERED]
    if offers and (text or rng.random() < 0.1):
        target = offers[0]
        events.append(
            event(EventType.ENTERED_IN_ERROR, target.aggregate_id,
                  {"target_id": target.id, "reason": text or "Wrong household"},
                  at + timedelta(hours=2))
        )
    records = [e for e in events if e.type is EventType.HOUSEHOLD_RECORDED]
    if records and (text or rng.random() < 0.1):
        target = records[-1]
        fixed = dict(target.to_dict()["payload"], postcode=rng.choice(POSTCODES))
        events.append(
            event(EventType.EVENT_CORRECTED, target.aggregate_id,
                  {"target_id": target.id, "target_type": "household_recorded",
                   "payload": fixed, "reason": text or "Postcode typed wrongly"},
                  at + timedelta(hours=3))
        )
    if text:
        events.append(
            event(EventType.CONFLICT_CONFIRMED, homes[0],
                  {"conflict_key": "offer_outcomes_differ:0", "note": text},
                  at + timedelta(hours=4))
        )
    return events


def scenario(seed: int, cases: int) -> list[Event]:
    rng = random.Random(seed)
    events: list[Event] = []
    for i in range(cases):
        events.extend(case(rng, START + timedelta(hours=7 * i)))
    return events


def projected_matches_log(store: Store) -> bool:
    """The projection tables equal a full recomputation from every event in the log."""
    return store.state() == project(list(store.iter_events()), load_policy())


def task_rows_from_views(store: Store) -> list[TaskRow]:
    """What the stored views say of every call-back task, as `task_rows` gives it, in its
    order (soonest due first)."""
    state = store.state()
    rows = []
    for view in state.households.values():
        task = view.task
        if task is None:
            continue
        occurrence = state.occurrences.get(task.occurrence_id)
        rows.append(TaskRow(
            view.id, task.occurrence_id, occurrence.reference if occurrence else "",
            occurrence.district if occurrence else "", view.postcode, task.assignee, task.due,
            task.state, task.attempts_made, task.rule, task.reason, task.closed_by_author,
            task.closed_by_device,
        ))
    return sorted(rows, key=lambda r: (r.due, r.household_id))


def integrity(store: Store) -> str:
    return store.integrity_check()


def worker_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(HERE.parent), str(HERE)])
    env.update(extra)
    return env


def start_writer(*args: str, **env: str) -> subprocess.Popen[str]:
    """The worker in tests/store/writer.py, in a process of its own."""
    return subprocess.Popen(
        [sys.executable, str(WRITER), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=worker_env(**env),
    )
