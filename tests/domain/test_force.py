"""The force's districts and partners as data: matching, refusing, and what a pull keeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import uuid6
from factories import FAR_FUTURE

from fieldapp.domain.events import EventType, Rules, make_event, parse_event
from fieldapp.domain.force import Districts, engagement_aggregate, same_district
from fieldapp.domain.problems import InvalidEvent
from fieldapp.resources import load_catalogue, load_districts, load_force, load_partners

AT = datetime(2026, 3, 2, 10, tzinfo=UTC)
STRICT = Rules(load_catalogue(), FAR_FUTURE, force=load_force())
ON_PULL = Rules(load_catalogue(), FAR_FUTURE)  # what the sync client gives a pulled page


def occurrence_fields(district: str) -> dict[str, Any]:
    return {"reference": "13/123456/24", "offence_types": ["iioc"], "oic": "1234",
            "district": district}


def made(event_type: EventType, aggregate: str, payload: dict[str, Any], rules: Rules,
         now: datetime = AT) -> Any:
    return make_event(event_id=str(uuid6.uuid7()), event_type=event_type, aggregate_id=aggregate,
                      payload=payload, occurred_at=now, recorded_at=now, author="1234",
                      device_id="laptop-a", rules=rules)


def test_the_default_list_is_west_yorkshires_five_districts() -> None:
    assert load_districts().names == ("Bradford", "Calderdale", "Kirklees", "Leeds",
                                      "Wakefield")
    assert load_partners().partners[0].name == "Safer Lives"
    assert load_partners().partners[0].leaflets == ("safer_lives",)


@pytest.mark.parametrize("typed", ["Leeds", "leeds", " Leeds ", "LEEDS"])
def test_case_and_spacing_name_the_listed_district(typed: str) -> None:
    event = made(EventType.OCCURRENCE_RECORDED, str(uuid6.uuid7()), occurrence_fields(typed),
                 STRICT)
    assert event.payload.district == "Leeds"
    assert same_district(typed, "Leeds")


@pytest.mark.parametrize("typed", ["Leeds City", "Narnia"])
def test_an_unknown_district_is_refused_with_the_valid_ones(typed: str) -> None:
    with pytest.raises(InvalidEvent) as refused:
        made(EventType.OCCURRENCE_RECORDED, str(uuid6.uuid7()), occurrence_fields(typed), STRICT)
    assert [(p.field, p.message) for p in refused.value.problems] == [
        ("payload.district", f"“{typed}” is not one of the force's districts: choose "
         "Bradford, Calderdale, Kirklees, Leeds or Wakefield.")]
    assert not same_district(typed, "Leeds")


def test_a_correction_is_held_to_the_list_too() -> None:
    target = made(EventType.OCCURRENCE_RECORDED, str(uuid6.uuid7()),
                  occurrence_fields("Leeds City"), ON_PULL)
    fix = {"target_id": target.id, "target_type": "occurrence_recorded",
           "payload": occurrence_fields("Narnia"), "reason": "district"}
    with pytest.raises(InvalidEvent) as refused:
        made(EventType.EVENT_CORRECTED, target.aggregate_id, fix, STRICT)
    assert [p.field for p in refused.value.problems] == ["payload.payload.district"]


def test_a_pulled_record_with_an_old_district_is_kept_as_it_was_stored() -> None:
    """The endpoint accepted it before the list existed (or under an older list): the laptop
    must not refuse it and lose it, nor rewrite what the endpoint holds."""
    old = made(EventType.OCCURRENCE_RECORDED, str(uuid6.uuid7()),
               occurrence_fields("leeds"), ON_PULL)
    pulled = parse_event(old.to_dict(), ON_PULL)
    assert pulled.payload.district == "leeds" and pulled.to_json() == old.to_json()
    with pytest.raises(InvalidEvent):
        parse_event(make_payload_district(old.to_dict(), "Leeds City"), STRICT)
    assert parse_event(make_payload_district(old.to_dict(), "Leeds City"), ON_PULL)


def make_payload_district(data: dict[str, Any], district: str) -> dict[str, Any]:
    return {**data, "payload": {**data["payload"], "district": district}}


def test_teams_are_checked_only_where_a_district_lists_them() -> None:
    districts = Districts.from_dict({"version": "x", "districts": [
        {"name": "Leeds", "teams": ["Safeguarding North", "Safeguarding South"]},
        {"name": "Bradford"}]})
    assert districts.team_refusal("Leeds", "safeguarding north") is None
    assert districts.team_refusal("Leeds", "CID") == (
        "“CID” is not a team in Leeds: choose Safeguarding North or Safeguarding South.")
    assert districts.team_refusal("Bradford", "Anything") is None
    with pytest.raises(ValueError, match="distinct"):
        Districts.from_dict({"version": "x", "districts": [{"name": "Leeds"}, {"name": "leeds"}]})


def engagement(partner: str, month: str, engaged: Any, aggregate: str | None = None,
               rules: Rules = STRICT, now: datetime = AT) -> Any:
    return made(EventType.PARTNER_ENGAGEMENT_REPORTED,
                aggregate or engagement_aggregate(partner, month),
                {"partner": partner, "month": month, "engaged": engaged}, rules, now)


def test_a_partners_month_is_one_aggregate_whoever_reports_it() -> None:
    first = engagement("safer_lives", "2023-01", 4)
    second = engagement("safer_lives", "2023-01", 5, now=AT + timedelta(days=1))
    assert first.aggregate_id == second.aggregate_id
    assert engagement_aggregate("safer_lives", "2023-02") != first.aggregate_id
    assert engagement_aggregate("stop_it_now", "2023-01") != first.aggregate_id


@pytest.mark.parametrize(("partner", "month", "engaged", "aggregate", "field"), [
    ("nobody", "2023-01", 4, None, "payload.partner"),
    ("safer_lives", "2023-13", 4, None, "payload.month"),
    ("safer_lives", "January", 4, None, "payload.month"),
    ("safer_lives", "2026-04", 4, None, "payload.month"),  # after AT's month
    ("safer_lives", "2023-01", -1, None, "payload.engaged"),
    ("safer_lives", "2023-01", "4", None, "payload.engaged"),
    ("safer_lives", "2023-01", 4, engagement_aggregate("safer_lives", "2023-02"), "aggregate_id"),
])
def test_a_partner_report_has_a_strict_shape(
    partner: str, month: str, engaged: Any, aggregate: str | None, field: str
) -> None:
    with pytest.raises(InvalidEvent) as refused:
        engagement(partner, month, engaged, aggregate,
                   rules=Rules(load_catalogue(), AT, force=load_force()))
    assert field in [p.field for p in refused.value.problems]


def test_a_partner_report_holds_no_free_text() -> None:
    with pytest.raises(InvalidEvent) as refused:
        made(EventType.PARTNER_ENGAGEMENT_REPORTED, engagement_aggregate("safer_lives", "2023-01"),
             {"partner": "safer_lives", "month": "2023-01", "engaged": 4,
              "names": "A Person"}, STRICT)
    assert [p.field for p in refused.value.problems] == ["payload"]
