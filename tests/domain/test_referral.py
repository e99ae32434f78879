"""The VCAS referral: due in working days of the acceptance, consent, steps, figures."""

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from factories import callback, event, household, new_id, occurrence, offer

from fieldapp.domain.commands import check_against
from fieldapp.domain.events import Event, EventType
from fieldapp.domain.figures import escalations
from fieldapp.domain.projection import project
from fieldapp.domain.referral import ReferralState, ReferralStatus, why_not_sendable
from fieldapp.domain.referral_figures import referral_counts
from fieldapp.domain.tables import escalation_table
from fieldapp.resources import load_catalogue, load_policy

# Thursday 2 April 2026: Good Friday (3rd) and Easter Monday (6th) are bank holidays.
THURSDAY = datetime(2026, 4, 2, 10, tzinfo=UTC)


def step(h: str, name: str, at: datetime, **kw: Any) -> Event:
    payload: dict[str, Any] = {"step": name}
    payload |= {"sent": {"method": "secure_email"}, "acknowledged": {"vcas_contact": "R Patel"},
                "withdrawn": {"reason": "They asked us to stop"}}[name]
    return event(EventType.REFERRAL_RECORDED, h, payload, at, **kw)


def case(*later: Event, h: str = "", o: str = "", at: datetime = THURSDAY) -> list[Event]:
    o, h = o or new_id(), h or new_id()
    return [occurrence(o, at), household(h, o, at), *later]


@pytest.mark.parametrize(
    ("accepted", "due"),
    [
        (THURSDAY, date(2026, 4, 8)),  # Good Friday and Easter Monday skipped
        (datetime(2026, 3, 6, 16, tzinfo=UTC), date(2026, 3, 10)),  # Friday: Mon, Tue
        # 23:30 UTC on Friday 29 May is Saturday in London (BST); Mon 1 June, Tue 2 June.
        (datetime(2026, 5, 29, 23, 30, tzinfo=UTC), date(2026, 6, 2)),
        # Christmas: Thu 24 Dec 2026, Fri 25 and Mon 28 (Boxing Day's substitute) are off.
        (datetime(2026, 12, 24, 10, tzinfo=UTC), date(2026, 12, 30)),
    ],
)
def test_an_acceptance_makes_a_referral_due_in_two_working_days(
    accepted: datetime, due: date
) -> None:
    h = new_id()
    state = project(case(offer(h, "accepted", accepted), h=h, at=accepted), load_policy())
    referral = state.households[h].referral
    assert referral is not None
    assert (referral.due, referral.state, referral.accepted_where) == (
        due, ReferralState.DUE, "attendance")
    assert referral.number == "07700 900123"
    assert referral.status(due) is ReferralStatus.DUE
    assert referral.status(due + timedelta(days=1)) is ReferralStatus.OVERDUE


def test_without_consent_the_acceptance_stands_and_the_referral_cannot_be_sent() -> None:
    h = new_id()
    accepted = event(EventType.VCAS_OFFERED, h, {"outcome": "accepted"}, THURSDAY)
    state = project(case(accepted, h=h), load_policy())
    view = state.households[h]
    assert view.accepted_at_arrest and view.task is None
    assert view.referral is not None and view.referral.state is ReferralState.NO_CONSENT
    assert "without consenting" in why_not_sendable(view.referral)
    sent = step(h, "sent", THURSDAY + timedelta(hours=1))
    assert [p.message for p in check_against(sent, state)] == [why_not_sendable(view.referral)]


def test_steps_sent_acknowledged_withdrawn_in_any_order() -> None:
    h = new_id()
    events = case(offer(h, "accepted", THURSDAY), h=h)
    sent = step(h, "sent", THURSDAY + timedelta(days=5), author="5678")  # Tue 7 April
    ack = step(h, "acknowledged", THURSDAY + timedelta(days=6))
    for order in ([*events, sent, ack], [ack, sent, *reversed(events)]):
        referral = project(order, load_policy()).households[h].referral
        assert referral is not None
        assert (referral.state, referral.sent_by, referral.method, referral.acknowledged_by) == (
            ReferralState.ACKNOWLEDGED, "5678", "secure_email", "R Patel")
        assert referral.sent_on_time
    late = step(h, "sent", THURSDAY + timedelta(days=7))  # Thursday 9 April: a day late
    referral = project([*events, late], load_policy()).households[h].referral
    assert referral is not None and not referral.sent_on_time
    gone = step(h, "withdrawn", THURSDAY + timedelta(days=8))
    referral = project([*events, sent, gone], load_policy()).households[h].referral
    assert referral is not None and referral.state is ReferralState.WITHDRAWN
    assert referral.withdrawn_reason == "They asked us to stop"


def test_capture_checks_the_order_of_steps() -> None:
    h = new_id()
    state = project(case(offer(h, "accepted", THURSDAY), h=h), load_policy())
    ack = step(h, "acknowledged", THURSDAY + timedelta(days=1))
    assert [p.message for p in check_against(ack, state)] == [
        "Record that the referral was sent first."]
    h2 = new_id()
    state = project(case(offer(h2, "declined", THURSDAY), h=h2), load_policy())
    assert "no referral is due" in check_against(step(h2, "sent", THURSDAY), state)[0].message


def test_a_call_back_or_later_acceptance_makes_the_referral() -> None:
    h = new_id()
    called = THURSDAY + timedelta(days=22)
    state = project(case(offer(h, "declined", THURSDAY), callback(h, "accepted", called), h=h),
                    load_policy())
    referral = state.households[h].referral
    assert referral is not None and referral.accepted_where == "callback"
    assert referral.due == load_policy().referral_due(called)


def test_referral_figures_by_period_and_district() -> None:
    policy = load_policy()
    a, b, c = new_id(), new_id(), new_id()
    o2 = new_id()
    events = [
        *case(offer(a, "accepted", THURSDAY), step(a, "sent", THURSDAY + timedelta(days=1)),
              step(a, "acknowledged", THURSDAY + timedelta(days=2)), h=a),
        *case(offer(b, "accepted", THURSDAY + timedelta(days=1)),
              step(b, "sent", THURSDAY + timedelta(days=20)), h=b),
        occurrence(o2, THURSDAY, district="Bradford"), household(c, o2, THURSDAY),
        event(EventType.VCAS_OFFERED, c, {"outcome": "accepted"}, THURSDAY),
    ]
    rows = referral_counts(project(events, policy), date(2026, 4, 1), date(2026, 4, 30))
    by = {(r.period, r.district): r for r in rows}
    leeds, bradford, total = by[("2026-04", "Leeds")], by[("2026-04", "Bradford")], by[
        ("Total", "")]
    assert (leeds.due, leeds.sent, leeds.sent_on_time, leeds.acknowledged) == (2, 2, 1, 1)
    assert leeds.percent_on_time == 50
    assert (bradford.due, bradford.without_consent, bradford.sent) == (1, 1, 0)
    assert (total.due, total.sent_on_time, total.percent_on_time) == (3, 1, 33)
    assert referral_counts(project(events, policy), date(2026, 5, 1), date(2026, 5, 31)) == [
        rows[-1].__class__("Total", "", 0, 0, 0, 0, 0, 0)]


def test_escalations_per_period_and_to_whom() -> None:
    o = new_id()
    issue = {"person_name": "J", "leaflets": ["samaritans"], "outcome": "handed",
             "risk_indicators": ["suicidal_thoughts"], "escalated": True,
             "escalation": {"to": "mental_health_triage", "by": "1234",
                            "at": "2026-04-02T10:10:00Z"}}
    seen = {"person_name": "K", "leaflets": ["samaritans"], "outcome": "handed",
            "risk_indicators": ["distressed"], "escalated": False}
    events = [occurrence(o, THURSDAY), event(EventType.LEAFLET_ISSUED, o, issue, THURSDAY),
              event(EventType.LEAFLET_ISSUED, o, seen, THURSDAY),
              event(EventType.LEAFLET_ISSUED, o, seen, datetime(2026, 5, 1, 9, tzinfo=UTC))]
    rows = escalations(project(events, load_policy()), date(2026, 4, 1), date(2026, 4, 30))
    assert [(r.period, r.to, r.records) for r in rows] == [
        ("2026-04", "mental_health_triage", 1), ("2026-04", "risk seen, not escalated", 1)]
    table = escalation_table(rows, date(2026, 4, 1), date(2026, 4, 30), "v", THURSDAY,
                             targets=load_catalogue().support.escalation_targets)
    assert table.header == ("Month", "Escalated to", "Leaflet records")
    assert table.rows == (("2026-04", "Mental health triage", 1),
                          ("2026-04", "Risk seen, not escalated", 1))


def test_the_seeds_uptake_still_reproduces_with_the_later_column() -> None:
    from factories import seed_events

    from fieldapp.domain.figures import uptake

    state = project(seed_events(random.Random(7)), load_policy())
    first = uptake(state, date(2022, 1, 1), date(2022, 12, 31))
    assert (first.offered, first.accepted_at_arrest, first.accepted_later,
            first.accepted_at_callback, first.percent) == (33, 12, 0, 3, 45)
