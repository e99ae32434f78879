"""`fieldapp-central admin districts` and `admin partner-engagement`: records a supervisor (or
an administrator) makes on the server itself, as events under their own collar number.

`admin districts` lists the district texts the stored occurrences use, each against the
force's list (resources/districts.json); with `--map "Leeds City=Leeds" --reason ... --as
COLLAR` it corrects every occurrence filed under that text to the listed district: one
`event_corrected` per occurrence record, with the reason, so nothing is edited in place and
laptops receive the corrections at their next sync like any other record.

`admin partner-engagement` records how many people a partner reports engaged in a month.
"""

from __future__ import annotations

import argparse
from collections import Counter
from datetime import datetime, timedelta
from typing import Any, TextIO

import uuid6

from central.storage.base import Caller, Device
from central.storage.sql import SqlStorage
from fieldapp.domain.catalogue import LeafletCatalogue
from fieldapp.domain.events import (
    Event,
    EventType,
    OccurrenceRecorded,
    Rules,
    event_from_json,
    make_event,
    payload_to_dict,
)
from fieldapp.domain.force import ForceLists, engagement_aggregate
from fieldapp.domain.problems import InvalidEvent
from fieldapp.domain.projection import effective_events

TASKS = ("districts", "partner-engagement")
# What the events these commands write name as their device (no laptop made them).
DEVICE = "central-admin"
RECORDING_ROLES = frozenset({"supervisor", "admin"})


class Mistake(ValueError):
    """Something given on the command line that cannot be right; the message says why."""


def add_parsers(tasks: argparse._SubParsersAction[argparse.ArgumentParser],
                common: argparse.ArgumentParser) -> None:
    districts = tasks.add_parser(
        "districts", parents=[common],
        help="list the districts stored records use; --map one to a listed district",
    )
    districts.add_argument("--map", dest="mapping", metavar="'STORED=LISTED'",
                           help="correct every occurrence filed under STORED to LISTED")
    districts.add_argument("--reason", help="why (with --map), as each correction will say")
    districts.add_argument("--as", dest="collar",
                           help="collar number of the supervisor or administrator (with --map)")
    engagement = tasks.add_parser(
        "partner-engagement", parents=[common],
        help="record how many people a partner reports engaged in a month",
    )
    engagement.add_argument("--partner", required=True, help="a partner id (partners.json)")
    engagement.add_argument("--month", required=True, metavar="YYYY-MM")
    engagement.add_argument("--engaged", required=True, type=int)
    engagement.add_argument("--as", dest="collar", required=True,
                            help="collar number of the supervisor recording it")


def run(storage: SqlStorage, args: argparse.Namespace, *, catalogue: LeafletCatalogue,
        force: ForceLists, now: datetime, actor: str, out: TextIO) -> int:
    rules = Rules(catalogue, now=now, force=force)
    if args.task == "partner-engagement":
        caller = _recorder(storage, args.collar, supervisors_only=True)
        event = _event(EventType.PARTNER_ENGAGEMENT_REPORTED,
                       engagement_aggregate(args.partner, args.month),
                       {"partner": args.partner, "month": args.month, "engaged": args.engaged},
                       caller, rules, now)
        _store(storage, caller, [event], now)
        name = force.partners.names.get(args.partner, args.partner)
        print(f"Recorded: {name} reports {args.engaged} engaged in {args.month}.", file=out)
        return 0
    events = [event_from_json(body) for body in storage.consult_all(
        now=now, actor=actor, purpose={"figures": "districts in use"})]
    records = [e for e in effective_events(events) if isinstance(e.payload, OccurrenceRecorded)]
    if args.mapping is None:
        _list(records, force, out)
        return 0
    stored, _, listed = args.mapping.partition("=")
    stored = stored.strip()
    target = force.districts.match(listed)
    if not stored or target is None:
        raise Mistake(f"Give --map as 'STORED=LISTED', LISTED one of: "
                      f"{', '.join(force.districts.names)}.")
    if not args.reason or not args.collar:
        raise Mistake("A mapping is a correction: give --reason and --as COLLAR too.")
    caller = _recorder(storage, args.collar, supervisors_only=False)
    corrections = []
    for record in records:
        assert isinstance(record.payload, OccurrenceRecorded)
        if record.payload.district != stored:
            continue
        fixed = {**payload_to_dict(record.payload), "district": target}
        corrections.append(_event(
            EventType.EVENT_CORRECTED, record.aggregate_id,
            {"target_id": record.id, "target_type": EventType.OCCURRENCE_RECORDED.value,
             "payload": fixed, "reason": args.reason},
            caller, rules, now))
    if not corrections:
        raise Mistake(f"No occurrence is filed under “{stored}” (exactly as written; see "
                      "admin districts).")
    # A district text not on the force's list has no supervisor who could see or move its
    # occurrences: the mapping is the administrator's act on the server (a reason required,
    # the supervisor or admin named with --as its author, every correction logged).
    _store(storage, caller, corrections, now, server_admin=True)
    print(f"Corrected {len(corrections)} occurrence records from “{stored}” to {target}.",
          file=out)
    return 0


def _list(records: list[Event], force: ForceLists, out: TextIO) -> None:
    """Each district text in use, with how many occurrences use it, against the list."""
    occurrences: dict[str, set[str]] = {}
    for record in records:
        assert isinstance(record.payload, OccurrenceRecorded)
        occurrences.setdefault(record.payload.district, set()).add(record.aggregate_id)
    counts = Counter({text: len(ids) for text, ids in occurrences.items()})
    print(f"{'district as stored':<32} {'occurrences':>11}  on the force's list", file=out)
    for text, count in sorted(counts.items()):
        listed = force.districts.match(text)
        status = ("yes" if listed == text else f"as {listed} (case or spacing)" if listed
                  else "NO: map it with --map")
        print(f"{text or '(none)':<32} {count:>11}  {status}", file=out)
    unused = sorted(set(force.districts.names) - set(counts))
    if unused:
        print(f"Listed but not used: {', '.join(unused)}.", file=out)


def _recorder(storage: SqlStorage, collar: str, *, supervisors_only: bool) -> Caller:
    officer = storage.officer(collar)
    allowed = {"supervisor"} if supervisors_only else RECORDING_ROLES
    if officer is None or officer.role not in allowed:
        who = "a supervisor" if supervisors_only else "a supervisor or administrator"
        raise Mistake(f"--as must be the collar number of {who} registered here.")
    device = Device(DEVICE, collar, "fieldapp-central admin", "active", "", None)
    return Caller(device, officer, token_issued_at="", rotate_requested=False)


def _event(event_type: EventType, aggregate: str, payload: dict[str, Any], caller: Caller,
           rules: Rules, now: datetime) -> Event:
    try:
        return make_event(
            event_id=str(uuid6.uuid7()), event_type=event_type, aggregate_id=aggregate,
            payload=payload, occurred_at=now - timedelta(seconds=1), recorded_at=now,
            author=caller.officer.collar, device_id=DEVICE, rules=rules,
        )
    except InvalidEvent as exc:
        raise Mistake(" ".join(p.message for p in exc.problems)) from None


def _store(storage: SqlStorage, caller: Caller, events: list[Event], now: datetime, *,
           server_admin: bool = False) -> None:
    outcomes = storage.push(caller, events, received_at=now, address=None, rejected=0,
                            server_admin=server_admin)
    refused = [o.refused.message for o in outcomes if o.refused is not None]
    if refused:
        raise Mistake(" ".join(sorted(set(refused))))
    if any(o.seq is None for o in outcomes):
        raise Mistake("Some records were not stored (their case has been erased).")
