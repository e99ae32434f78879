"""`fieldapp-central report uptake|leaflets|referrals|compliance|partners|...`: figures from
every record the database holds, for an analyst on the server, computed by the same domain
functions as the endpoint and the laptop's Reports page, written to stdout as JSON or CSV."""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, Protocol, TextIO

from fieldapp.domain.events import EventType, event_from_json
from fieldapp.domain.figures import (
    PERIODS,
    in_district,
    leaflet_issues,
    uptake,
    uptake_by,
    with_total,
)
from fieldapp.domain.force import ForceLists
from fieldapp.domain.policy import SchedulePolicy, london_date
from fieldapp.domain.projection import project
from fieldapp.domain.referral_figures import referral_counts, referral_table
from fieldapp.domain.tables import (
    ALL_DISTRICTS,
    SUPERVISOR_FIGURES,
    Inputs,
    Table,
    leaflet_table,
    uptake_table,
)
from fieldapp.resources import load_catalogue


class Source(Protocol):
    """The part of `central.storage.base.Storage` a report reads."""

    def consult_all(self, *, now: datetime, actor: str, purpose: dict[str, Any]) -> list[str]:
        ...


FIGURES = {
    "uptake": "VCAS uptake per household",
    "leaflets": "signposting leaflet issues (declined apart)",
    "referrals": "VCAS referrals due, sent in time and acknowledged",
    "escalations": "leaflet records per period by risk seen and to whom it was escalated",
    "compliance": "leaflet compliance per period, district and officer in charge",
    "not-recorded": "occurrences with no leaflet recorded after the policy's days",
    "partners": "partner-reported engagement beside the leaflets issued for each partner",
    "callbacks-on-time": "call-backs made on or before their due date",
}
assert set(SUPERVISOR_FIGURES) <= set(FIGURES)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date as YYYY-MM-DD.") from None


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    """The `report` command and its options, on the main parser's subcommands."""
    report = commands.add_parser("report", help="figures from every stored record, to stdout")
    kinds = report.add_subparsers(dest="figures", required=True)
    for name, text in FIGURES.items():
        task = kinds.add_parser(name, parents=[common], help=text)
        task.add_argument("--from", dest="start", type=_day, required=True,
                          metavar="YYYY-MM-DD", help="first day (London), inclusive")
        task.add_argument("--to", dest="end", type=_day, required=True,
                          metavar="YYYY-MM-DD", help="last day (London), inclusive")
        task.add_argument("--format", choices=("json", "csv"), default="json")
        task.add_argument("--period", choices=tuple(PERIODS),
                          help="one row per period (leaflets, referrals, escalations: default "
                          "month; uptake: default one row for the whole time, with none)")
        task.add_argument("--district", help="only occurrences in this district (any case)")


def table(
    bodies: Iterable[str],
    figures: str,
    start: date,
    end: date,
    *,
    period: str | None,
    district: str | None,
    policy: SchedulePolicy,
    force: ForceLists,
    now: datetime,
) -> Table:
    """The report as a table, from stored events (canonical JSON)."""
    events = [event_from_json(body) for body in bodies]
    state = project(events, policy)
    if district:
        state = in_district(state, district)
    filters = [("District", district or ALL_DISTRICTS)]
    if figures in SUPERVISOR_FIGURES:
        chosen = period or "month"
        filters.append(("Periods", chosen.capitalize()))
        reports = [e for e in events if e.type is EventType.PARTNER_ENGAGEMENT_REPORTED]
        return SUPERVISOR_FIGURES[figures](Inputs(
            state=state, reports=reports, start=start, end=end, period=chosen,
            today=london_date(now), policy=policy, force=force, generated_at=now,
            filters=tuple(filters), district=district or "",
            escalation_targets=load_catalogue().support.escalation_targets,
        ))
    if figures == "referrals":
        chosen = period or "month"
        filters.append(("Periods", chosen.capitalize()))
        return referral_table(referral_counts(state, start, end, chosen), start, end,
                              policy.version, now, tuple(filters), period=chosen,
                              within_days=policy.referral_within_working_days)
    if figures == "leaflets":
        chosen = period or "month"
        filters.append(("Periods", chosen.capitalize()))
        rows = leaflet_issues(state, start, end, chosen, listed=force.districts)
        return leaflet_table(rows, start, end, policy.version, now, tuple(filters), period=chosen)
    if period is None:
        return uptake_table([uptake(state, start, end)], start, end, policy.version, now,
                            tuple(filters))
    filters.append(("Periods", period.capitalize()))
    by_period = with_total(uptake_by(state, start, end, period), state, start, end)
    return uptake_table(by_period, start, end, policy.version, now, tuple(filters))


def run(
    storage: Source,
    args: argparse.Namespace,
    *,
    policy: SchedulePolicy,
    force: ForceLists,
    now: datetime,
    actor: str,
    out: TextIO,
) -> int:
    bodies = storage.consult_all(
        now=now, actor=actor,
        purpose={"figures": args.figures, "from": args.start.isoformat(),
                 "to": args.end.isoformat(), "district": args.district},
    )
    result = table(bodies, args.figures, args.start, args.end, period=args.period,
                   district=args.district, policy=policy, force=force, now=now)
    out.write(result.to_csv() if args.format == "csv" else result.to_json() + "\n")
    return 0
