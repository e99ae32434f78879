"""The referrals table: kept in step with the log like the call-backs, read by the Referrals tab."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from factories import event, household, new_id, occurrence, offer
from store_helpers import projected_matches_log

from fieldapp.domain.events import EventType
from fieldapp.domain.referral import ReferralState
from fieldapp.store import Store

AT = datetime(2026, 4, 2, 10, tzinfo=UTC)


def test_referral_rows_follow_acceptances_and_steps(store: Store) -> None:
    o, accepted, declined = new_id(), new_id(), new_id()
    store.append([occurrence(o, AT, reference="13/222222/26"), household(accepted, o, AT),
                  household(declined, o, AT, postcode="LS2 7EY"), offer(accepted, "accepted", AT),
                  offer(declined, "declined", AT)])
    [row] = store.referral_rows()
    assert (row.household_id, row.occurrence_reference, row.district, row.assignee) == (
        accepted, "13/222222/26", "Leeds", "1234")
    assert row.referral.state is ReferralState.DUE and row.referral.due.isoformat() == "2026-04-08"
    changes = store.append([event(EventType.REFERRAL_RECORDED, accepted,
                                  {"step": "sent", "method": "phone"}, AT + timedelta(hours=2))])
    assert accepted in changes.households
    [row] = store.referral_rows([accepted, "nobody"])
    assert row.referral.state is ReferralState.SENT and row.referral.sent_on_time
    assert store.referral_rows([declined]) == []
    assert projected_matches_log(store)
