"""`fieldapp-central admin retention` and `admin rotate-credentials`."""

from __future__ import annotations

import argparse
from datetime import date, datetime, time
from typing import TextIO
from zoneinfo import ZoneInfo

from central.storage.sql import SqlStorage
from fieldapp.domain.wire import MAX_REASON  # the laptop reads no longer a reason

LONDON = ZoneInfo("Europe/London")
TASKS = ("retention", "rotate-credentials")


class Mistake(ValueError):
    """Something given on the command line that cannot be right; the message says why."""


def add_parsers(tasks: argparse._SubParsersAction[argparse.ArgumentParser],
                common: argparse.ArgumentParser) -> None:
    retention = tasks.add_parser(
        "retention", parents=[common],
        help="erase every case whose newest record occurred before a date",
    )
    retention.add_argument("--before", required=True, metavar="YYYY-MM-DD",
                           help="a London calendar day: cases last active before it go")
    retention.add_argument("--reason", required=True,
                           help="why, as it will stand in the access logs (no personal data)")
    retention.add_argument("--dry-run", action="store_true",
                           help="list what would be erased, erase nothing")
    rotate = tasks.add_parser("rotate-credentials", parents=[common],
                              help="make a laptop change its token at its next sync")
    rotate.add_argument("--device", required=True)


def _cutoff(text: str, now: datetime) -> datetime:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise Mistake(f"--before must be a date as YYYY-MM-DD (got {text!r}).") from None
    # A day in the future would erase records still in use: surely a typing mistake.
    if day > now.astimezone(LONDON).date():
        raise Mistake("--before is in the future: give a date on or before today.")
    return datetime.combine(day, time(0), LONDON)


def _reason(text: str) -> str:
    cleaned = text.strip()
    if not cleaned or len(cleaned) > MAX_REASON or any(ord(ch) < 32 for ch in cleaned):
        raise Mistake(f"The reason must be 1 to {MAX_REASON} printable characters.")
    return cleaned


def _day(instant: str) -> str:
    return f"{datetime.fromisoformat(instant).astimezone(LONDON):%d/%m/%Y}"


def run(storage: SqlStorage, args: argparse.Namespace, *, now: datetime, actor: str,
        out: TextIO) -> int:
    if args.task == "rotate-credentials":
        device = storage.request_rotation(args.device, now=now, actor=actor)
        if device is None:
            raise Mistake(f"No device {args.device} is enrolled (see admin list-devices).")
        print(f"Device {device.device_id} ({device.name}, officer {device.collar}) will change "
              "its token at its next sync.", file=out)
        return 0
    before = _cutoff(args.before, now)
    result = storage.retention(before, reason=_reason(args.reason), now=now, actor=actor,
                               dry_run=args.dry_run)
    events = sum(case.events for case in result.cases)
    for case in result.cases:
        named = ", ".join(f"{o} ({r})" for o, r in zip(case.occurrence_ids, case.references,
                                                       strict=True))
        print(f"  {named or 'no occurrence: ' + case.aggregate_ids[0]}: last activity "
              f"{_day(case.newest)}, {len(case.aggregate_ids)} records, {case.events} events",
              file=out)
    cutoff = f"{before:%d/%m/%Y}"
    if args.dry_run:
        print(f"Would erase {len(result.cases)} cases ({events} events) last active before "
              f"{cutoff}. Nothing was erased.", file=out)
    elif result.erasure_id is None:
        print(f"No case was last active before {cutoff}: nothing was erased.", file=out)
    else:
        print(f"Erased {len(result.cases)} cases ({events} events) last active before {cutoff} "
              f"(erasure {result.erasure_id}). Laptops erase them at their next sync.", file=out)
    return 0
