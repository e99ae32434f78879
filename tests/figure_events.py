"""An event set with known supervisors' figures (compliance, partners, escalations, call-backs
on time), shared by the domain's tests and the three-ways agreement in tests/reports.

Known figures for 2023, as of 01/06/2023 (the policy's 3 days for leaflets):

- Leeds, OIC 100: January 2 occurrences (1 handed, 1 left at the address); February 2 (1
  declined, 1 with nothing recorded); March 1 handed, filed as "leeds" before the list.
- Leeds, OIC 101: March 1 handed, with a self-harm risk escalated.
- "Leeds City" (before the list, never mapped), OIC 100: March 1 with nothing recorded.
- Leaflets not recorded: the February one (overdue since 10/02/2023) and the Leeds City one.
- Safer Lives leaflets issued: January 2, March 1; Stop It Now: March 1.
- Safer Lives reports 2023: 4, 3, 3, 4, 3, 4, 2, 2, 1, 2, 2, 1 (the seed's), and an earlier,
  different report of January (5) that the later one replaces.
- Call-backs due: 3 (31/01, 22/02, 22/03/2023); on time 1 (33%).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from factories import event, household, new_id, occurrence, offer

from fieldapp.domain.events import Event, EventType
from fieldapp.domain.force import engagement_aggregate

SERIES_2023 = (4, 3, 3, 4, 3, 4, 2, 2, 1, 2, 2, 1)
YEAR = (date(2023, 1, 1), date(2023, 12, 31))
TODAY = date(2023, 6, 1)


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2023, month, day, hour, tzinfo=UTC)


def leaflet(occurrence_id: str, when: datetime, outcome: str, leaflets: list[str], *,
            risks: tuple[str, ...] = (), **kw: Any) -> Event:
    payload: dict[str, Any] = {
        "person_name": "J Smith", "leaflets": leaflets, "outcome": outcome,
        "risk_indicators": list(risks), "escalated": bool(risks), "no_risk_seen": not risks}
    if risks:
        payload["escalation"] = {"to": "supervisor", "by": kw.get("author", "1234"),
                                 "at": when.isoformat()}
    return event(EventType.LEAFLET_ISSUED, occurrence_id, payload, when, **kw)


def engagement(month: str, engaged: int, when: datetime, **kw: Any) -> Event:
    return event(EventType.PARTNER_ENGAGEMENT_REPORTED,
                 engagement_aggregate("safer_lives", month),
                 {"partner": "safer_lives", "month": month, "engaged": engaged}, when, **kw)


def callback_attempt(household_id: str, when: datetime, **kw: Any) -> Event:
    return event(EventType.CALLBACK_ATTEMPTED, household_id, {"outcome": "no_answer"}, when,
                 **kw)


@dataclass
class KnownFigures:
    """The events, split by who records them: an OIC's laptop (listed districts), records
    stored before the district list (old district texts), and a supervisor's reports."""

    oic: list[Event] = field(default_factory=list)
    before_the_list: list[Event] = field(default_factory=list)
    supervisor: list[Event] = field(default_factory=list)

    @property
    def all(self) -> list[Event]:
        return [*self.oic, *self.before_the_list, *self.supervisor]


def known_figures(oic: str = "100", other_oic: str = "101", supervisor: str = "SUP",
                  **kw: Any) -> KnownFigures:
    who = {"author": oic, **kw}
    o1, o2, o3, o4, o5, o6, o7 = (new_id() for _ in range(7))
    h1, h2, h3 = new_id(), new_id(), new_id()
    made = KnownFigures()
    made.oic = [
        occurrence(o1, at(1, 10), oic=oic, district="Leeds", **who),
        leaflet(o1, at(1, 10, 11), "handed", ["safer_lives", "samaritans"], **who),
        occurrence(o2, at(1, 20), oic=oic, offences=("voyeurism",), **who),
        leaflet(o2, at(1, 20, 11), "left_at_address", ["safer_lives"], **who),
        occurrence(o3, at(2, 5), oic=oic, **who),
        leaflet(o3, at(2, 5, 11), "declined", ["safer_lives"], **who),
        occurrence(o4, at(2, 7), oic=oic, offences=("indecent_exposure",), **who),
        occurrence(o5, at(3, 1), oic=other_oic, offences=("sexual_communication_child",),
                   **who),
        leaflet(o5, at(3, 1, 11), "handed", ["stop_it_now"], risks=("self_harm_thoughts",),
                **who),
        # Call-backs: declined 10/01 (due 31/01, made then), 01/02 (due 22/02, made 24/02),
        # 01/03 (due 22/03, never made).
        household(h1, o1, at(1, 10), **who), offer(h1, "declined", at(1, 10, 12), **who),
        callback_attempt(h1, at(1, 31, 15), **who),
        household(h2, o2, at(1, 20), **who), offer(h2, "declined", at(2, 1), **who),
        callback_attempt(h2, at(2, 24), **who),
        household(h3, o5, at(3, 1), **who), offer(h3, "declined", at(3, 1, 12), **who),
    ]
    made.before_the_list = [
        occurrence(o6, at(3, 2), oic=oic, district="leeds", **who),
        leaflet(o6, at(3, 2, 11), "handed", ["safer_lives"], **who),
        occurrence(o7, at(3, 3), oic=oic, district="Leeds City", **who),
    ]
    # Each officer's records name their own laptop: the endpoint refuses a laptop named by
    # two officers.
    by = {"author": supervisor, "device": f"laptop-{supervisor.lower()}", **kw}
    made.supervisor = [
        engagement("2023-01", 5, at(2, 1), **by),
        *(engagement(f"2023-{n:02d}", count, datetime(2024, 1, 5, 9, tzinfo=UTC)
                     + timedelta(minutes=n), **by)
          for n, count in enumerate(SERIES_2023, start=1)),
    ]
    return made
