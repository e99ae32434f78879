"""Referral figures, from projected state, for every output (the Reports page,
`GET /v1/figures/referrals`, `fieldapp-central report referrals`).

A referral counts in the period (London day) of the acceptance that made it due, and in the
district of the household's occurrence. "Sent within" compares the London day it was sent
with its due day, the policy's working days after the acceptance.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from fieldapp.domain.figures import PERIODS, UNKNOWN_DISTRICT, district_of
from fieldapp.domain.policy import london_date
from fieldapp.domain.projection import State
from fieldapp.domain.referral import ReferralState
from fieldapp.domain.tables import Table

TOTAL = "Total"


def _percent(part: int, whole: int) -> int:
    if not whole:
        return 0
    return int((Decimal(100 * part) / Decimal(whole)).quantize(Decimal(1), ROUND_HALF_UP))


@dataclass(frozen=True)
class ReferralCount:
    period: str
    district: str
    due: int  # acceptances that made a referral due
    without_consent: int  # of those, accepted without consent: cannot be sent
    sent: int
    sent_on_time: int
    acknowledged: int
    withdrawn: int

    @property
    def percent_on_time(self) -> int:
        """Sent within the working days, of those due (whole per cent, half up)."""
        return _percent(self.sent_on_time, self.due)


def referral_counts(
    state: State, start: date, end: date, period: str = "month"
) -> list[ReferralCount]:
    """Referrals per period and district, and a last row for the whole of both."""
    label_of = PERIODS[period]
    district = district_of(state)
    counts: dict[tuple[str, str], Counter[str]] = {}
    total: Counter[str] = Counter()
    for view in state.households.values():
        referral = view.referral
        if referral is None:
            continue
        day = london_date(referral.accepted_at)
        if not start <= day <= end:
            continue
        key = (label_of(day), district(view) or UNKNOWN_DISTRICT)
        row = counts.setdefault(key, Counter())
        for tally in (row, total):
            tally["due"] += 1
            tally["without_consent"] += not referral.consent_to_share
            tally["sent"] += referral.sent_at is not None
            tally["sent_on_time"] += referral.sent_on_time
            tally["acknowledged"] += referral.state is ReferralState.ACKNOWLEDGED
            tally["withdrawn"] += referral.state is ReferralState.WITHDRAWN
    rows = [_row(p, d, c) for (p, d), c in sorted(counts.items())]
    return [*rows, _row(TOTAL, "", total)]


def _row(period: str, district: str, c: Counter[str]) -> ReferralCount:
    return ReferralCount(period, district, c["due"], c["without_consent"], c["sent"],
                         c["sent_on_time"], c["acknowledged"], c["withdrawn"])


def referral_table(
    rows: Sequence[ReferralCount],
    start: date,
    end: date,
    policy_version: str,
    generated_at: datetime,
    filters: tuple[tuple[str, str], ...] = (),
    *,
    period: str = "month",
    within_days: int = 2,
) -> Table:
    return Table(
        "VCAS referrals",
        (period.capitalize(), "District", "Referrals due", "Accepted without consent",
         "Sent", f"Sent within {within_days} working days", "Sent in time %",
         "Acknowledged by VCAS", "Withdrawn"),
        tuple(
            (r.period, r.district, r.due, r.without_consent, r.sent, r.sent_on_time,
             r.percent_on_time, r.acknowledged, r.withdrawn)
            for r in rows
        ),
        start, end, policy_version, generated_at, filters,
    )
