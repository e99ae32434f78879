"""The seed's table, reproduced exactly from a generated event set."""

import random
from datetime import UTC, date, datetime, timedelta

from factories import (
    callback,
    household,
    households_between,
    leaflets,
    new_id,
    occurrence,
    offer,
    recorded_twice,
    seed_events,
)
from figure_events import SERIES_2023, TODAY, YEAR, known_figures

from fieldapp.domain.engagement import partner_engagement
from fieldapp.domain.events import Event, EventType
from fieldapp.domain.figures import (
    callbacks_on_time,
    district_note,
    district_of,
    escalations,
    leaflet_compliance,
    leaflet_issues,
    leaflets_not_recorded,
    uptake,
    uptake_by,
)
from fieldapp.domain.projection import project
from fieldapp.domain.tables import partner_table
from fieldapp.resources import load_districts, load_partners, load_policy


def test_seed_table_reproduces_exactly() -> None:
    rng = random.Random(2024)
    events = households_between(date(2022, 1, 1), date(2022, 12, 31), 12, 3, 18, rng)
    events += households_between(date(2023, 1, 1), date(2024, 3, 31), 16, 9, 62, rng)
    # A household where VCAS was not appropriate is not an offer.
    o, h = new_id(), new_id()
    at = datetime(2022, 6, 1, tzinfo=UTC)
    events += [occurrence(o, at), household(h, o, at), offer(h, "not_appropriate", at)]
    rng.shuffle(events)
    state = project(events, load_policy())

    y2022 = uptake(state, date(2022, 1, 1), date(2022, 12, 31))
    assert (y2022.offered, y2022.accepted_at_arrest, y2022.accepted_at_callback) == (33, 12, 3)
    assert (y2022.accepted, y2022.percent) == (15, 45)

    later = uptake(state, date(2023, 1, 1), date(2024, 3, 31))
    assert (later.offered, later.accepted_at_arrest, later.accepted_at_callback) == (87, 16, 9)
    assert (later.accepted, later.percent) == (25, 29)

    overall = uptake(state, date(2022, 1, 1), date(2024, 3, 31))
    assert (overall.offered, overall.accepted, overall.percent) == (120, 40, 33)

    by_year = uptake_by(state, date(2022, 1, 1), date(2024, 3, 31), "year")
    assert [u.label for u in by_year] == ["2022", "2023", "2024"]
    assert sum(u.offered for u in by_year) == 120
    by_district = uptake_by(state, date(2022, 1, 1), date(2022, 12, 31), "quarter",
                            district_of(state))
    assert sum(u.accepted for u in by_district) == 15
    assert all(" · " in u.label for u in by_district)


def test_the_seed_table_reproduces_when_households_are_recorded_twice() -> None:
    events = seed_events(random.Random(2024))
    copies = recorded_twice(events, every=3, author="5678", device="laptop-b")
    assert len([e for e in copies if e.type is EventType.HOUSEHOLD_RECORDED]) == 41
    state = project([*events, *copies], load_policy())
    assert len(state.households) == 121  # 120 offered, 1 not appropriate
    for (start, end), expected in (
        ((date(2022, 1, 1), date(2022, 12, 31)), (33, 12, 3, 45)),
        ((date(2023, 1, 1), date(2024, 3, 31)), (87, 16, 9, 29)),
    ):
        u = uptake(state, start, end)
        assert (u.offered, u.accepted_at_arrest, u.accepted_at_callback, u.percent) == expected
    # Each household recorded twice has one call-back, and the OIC is told of the joins.
    assert len(state.tasks) == len(project(events, load_policy()).tasks)
    joined = [c for c in state.conflicts.values() if c.kind == "households_joined"]
    assert len(joined) == 41


def test_half_per_cent_rounds_up() -> None:
    from fieldapp.domain.figures import Uptake

    assert Uptake("", 8, 1, 0).percent == 13  # 12.5
    assert Uptake("", 0, 0, 0).percent == 0


def test_a_household_counts_once_whoever_recorded_offers() -> None:
    o, h = new_id(), new_id()
    at = datetime(2025, 5, 1, 9, tzinfo=UTC)
    events = [occurrence(o, at), household(h, o, at), offer(h, "declined", at, device="a"),
              offer(h, "declined", at + timedelta(minutes=5), device="b"),
              callback(h, "accepted", at + timedelta(days=21))]
    figures = uptake(project(events, load_policy()), date(2025, 1, 1), date(2025, 12, 31))
    assert (figures.offered, figures.accepted_at_callback) == (1, 1)


def test_leaflet_issues_by_month_offence_and_district() -> None:
    o1, o2 = new_id(), new_id()
    at = datetime(2025, 1, 31, 23, 30, tzinfo=UTC)  # still January in London (GMT)
    bst = datetime(2025, 6, 30, 23, 30, tzinfo=UTC)  # 1 July in London (BST)
    events = [
        occurrence(o1, at, offences=("iioc", "voyeurism"), district="Leeds"),
        leaflets(o1, at),
        occurrence(o2, bst, offences=("indecent_exposure",), district="Wakefield"),
        leaflets(o2, bst),
        leaflets(o2, bst + timedelta(hours=1)),
    ]
    rows = leaflet_issues(project(events, load_policy()), date(2025, 1, 1), date(2025, 12, 31))
    assert [(r.period, r.offence_type, r.district, r.issues) for r in rows] == [
        ("2025-01", "iioc", "Leeds", 1),
        ("2025-01", "voyeurism", "Leeds", 1),
        ("2025-07", "indecent_exposure", "Wakefield", 2),
    ]


def test_overdue_by_oic_and_days_to_call_back() -> None:
    from fieldapp.domain.figures import offer_to_callback_days, overdue_by_oic

    events: list[Event] = []
    at = datetime(2025, 3, 3, 10, tzinfo=UTC)  # Monday; call-backs due Monday 24 March
    for oic, gap in (("100", 21), ("100", 24), ("200", 30), ("300", None)):
        o, h = new_id(), new_id()
        events += [occurrence(o, at, oic=oic), household(h, o, at), offer(h, "declined", at)]
        if gap is not None and oic != "100":
            events.append(callback(h, "no_answer", at + timedelta(days=gap)))
        elif gap is not None:
            events.append(callback(h, "declined", at + timedelta(days=gap)))
    state = project(events, load_policy())
    rows = overdue_by_oic(state, date(2025, 4, 30))
    # 100's tasks are closed; 200's retry (2 days after 2 April = 4 April) and 300's are open.
    assert [(r.assignee, r.overdue, r.oldest_due) for r in rows] == [
        ("300", 1, date(2025, 3, 24)),
        ("200", 1, date(2025, 4, 4)),
    ]
    spread = offer_to_callback_days(state, date(2025, 1, 1), date(2025, 12, 31))
    assert (spread.count, spread.median, spread.shortest, spread.longest) == (3, 24, 21, 30)
    assert (spread.lower_quartile, spread.upper_quartile) == (22.5, 27)
    empty = offer_to_callback_days(state, date(2020, 1, 1), date(2020, 12, 31))
    assert empty.count == 0
    assert empty.median is None


def test_district_filter_breakdown_total_and_leaflet_periods() -> None:
    from fieldapp.domain.figures import (
        Uptake,
        districts,
        in_district,
        uptake_by_district,
        with_total,
    )

    events = households_between(date(2025, 1, 1), date(2025, 12, 31), 5, 2, 9,
                                random.Random(1), districts=("Leeds", "Bradford", "York"))
    o = new_id()
    events += [occurrence(o, datetime(2025, 11, 3, tzinfo=UTC), district="York",
                          offences=("voyeurism",)),
               leaflets(o, datetime(2025, 11, 3, tzinfo=UTC))]
    state = project(events, load_policy())
    year = (date(2025, 1, 1), date(2025, 12, 31))
    assert districts(state) == ["Bradford", "Leeds", "York"]

    split = uptake_by_district(state, *year)
    assert [u.label for u in split] == ["Bradford", "Leeds", "York"]
    whole = uptake(state, *year)
    assert sum(u.offered for u in split) == whole.offered == 16
    for row in split:
        alone = uptake(in_district(state, row.label), *year)
        assert (alone.offered, alone.accepted) == (row.offered, row.accepted)
    # Case and spacing name the same district; another text is another (until mapped).
    assert in_district(state, " leeds ").households == in_district(state, "Leeds").households
    assert in_district(state, "Leeds City").households == {}

    totalled = with_total(uptake_by(state, *year, "quarter"), state, *year)
    assert totalled[-1] == Uptake("Total", 16, 5, 2)
    assert [r.period for r in leaflet_issues(state, *year, "quarter")] == ["2025 Q4"]
    assert [r.period for r in leaflet_issues(state, *year, "year")] == ["2025"]


# --------------------------------------------------------------------------- supervisors


def test_leaflet_compliance_per_month_district_and_oic() -> None:
    made = known_figures()
    state = project(made.all, load_policy())
    rows = [(r.period, r.district, r.oic, r.occurrences, r.handed, r.left_at_address,
             r.declined, r.none_recorded, r.percent_recorded)
            for r in leaflet_compliance(state, *YEAR, "month", load_districts())]
    assert rows == [
        ("2023-01", "Leeds", "100", 2, 1, 1, 0, 0, 100),
        ("2023-02", "Leeds", "100", 2, 0, 0, 1, 1, 50),
        ("2023-03", "Leeds", "100", 1, 1, 0, 0, 0, 100),  # "leeds" is Leeds
        ("2023-03", "Leeds", "101", 1, 1, 0, 0, 0, 100),
        ("2023-03", "Leeds City", "100", 1, 0, 0, 0, 1, 0),  # not listed: under its own name
    ]
    by_year = leaflet_compliance(state, *YEAR, "year", load_districts())
    assert [(r.district, r.oic, r.occurrences) for r in by_year] == [
        ("Leeds", "100", 5), ("Leeds", "101", 1), ("Leeds City", "100", 1)]


def test_a_declined_leaflet_is_not_an_issue() -> None:
    state = project(known_figures().all, load_policy())
    rows = leaflet_issues(state, *YEAR)
    assert {(r.period, r.offence_type, r.issues, r.declined) for r in rows
            if r.period == "2023-02"} == {("2023-02", "iioc", 0, 1)}
    assert sum(r.issues for r in rows) == 4 and sum(r.declined for r in rows) == 1


def test_leaflets_not_recorded_after_the_policys_days() -> None:
    state = project(known_figures().all, load_policy())
    assert load_policy().leaflets_due_days == 3
    missing = leaflets_not_recorded(state, TODAY, load_policy(), load_districts())
    assert [(r.district, r.oic, r.recorded_on, r.due) for r in missing] == [
        ("Leeds", "100", date(2023, 2, 7), date(2023, 2, 10)),
        ("Leeds City", "100", date(2023, 3, 3), date(2023, 3, 6)),
    ]
    # Not yet: on the third day after it, the occurrence is due, not before.
    assert [r.recorded_on for r in leaflets_not_recorded(
        state, date(2023, 2, 9), load_policy(), load_districts())] == []
    assert len(leaflets_not_recorded(state, date(2023, 2, 10), load_policy(),
                                     load_districts())) == 1
    assert district_note(state, load_districts()) == (
        "Some records name a district that is not on the force's list, and count under that "
        "name: “Leeds City” (1 occurrence). Ask IT to map them (fieldapp-central admin "
        "districts).")


def test_escalations_and_callbacks_on_time() -> None:
    state = project(known_figures().all, load_policy())
    # Every leaflet record by what its risk came to: a period's rows add up to its records.
    assert [(e.period, e.to, e.records, e.escalated)
            for e in escalations(state, *YEAR, "month")] == [
        ("2023-01", "no risk seen", 2, False), ("2023-02", "no risk seen", 1, False),
        ("2023-03", "no risk seen", 1, False), ("2023-03", "supervisor", 1, True)]
    on_time = callbacks_on_time(state, *YEAR, TODAY, load_policy())
    assert (on_time.due, on_time.on_time, on_time.late, on_time.percent) == (3, 1, 2, 33)
    # On its due day a call-back not yet made is not late.
    early = callbacks_on_time(state, *YEAR, date(2023, 3, 22), load_policy())
    assert (early.due, early.on_time) == (2, 1)


def test_partner_engagement_beside_its_leaflets() -> None:
    made = known_figures()
    state = project(made.all, load_policy())
    rows = partner_engagement(state, reversed(made.all), *YEAR, load_partners())
    safer = [r for r in rows if r.partner == "Safer Lives"]
    assert [r.engaged for r in safer] == list(SERIES_2023)
    assert [r.leaflets for r in safer][:4] == [2, 0, 1, 0]
    assert [r.per_leaflet for r in safer][:4] == [2.0, None, 3.0, None]
    assert safer[0].reports == 2 and safer[0].differing == (4, 5)
    stop = [r for r in rows if r.partner != "Safer Lives"]
    assert [(r.month, r.leaflets, r.engaged) for r in stop if r.leaflets] == [("2023-03", 1, None)]
    table = partner_table(rows, *YEAR, "v", datetime(2024, 1, 1, tzinfo=UTC))
    assert table.notes == ("Safer Lives, 2023-01: 2 reports differ (4, 5); the latest (4) is "
                           "shown.",)
    # Duplicates and order change nothing.
    again = partner_engagement(state, [*made.all, *made.supervisor], *YEAR, load_partners())
    assert again == rows
