import csv
import io
import json
from datetime import UTC, date, datetime

from fieldapp.domain.figures import LeafletCount, Uptake
from fieldapp.domain.tables import leaflet_table, uptake_table

MADE = datetime(2026, 7, 1, 8, 5, tzinfo=UTC)


def test_csv_carries_period_policy_and_time_and_defuses_formulas() -> None:
    table = uptake_table(
        [Uptake("2022", 33, 12, 3), Uptake("=cmd|' /C calc'!A0", 1, 0, 0)],
        date(2022, 1, 1), date(2022, 12, 31), "2026.1", MADE, (("District", "Leeds"),),
    )
    rows = list(csv.reader(io.StringIO(table.to_csv())))
    assert rows[:5] == [
        ["# Report", "VCAS uptake by household"],
        ["# Period", "01/01/2022 to 31/12/2022"],
        ["# Schedule policy", "2026.1"],
        ["# Generated", "01/07/2026 09:05 (UK time)"],
        ["# Filter: District", "Leeds"],
    ]
    assert rows[6] == ["2022", "33", "12", "0", "3", "15", "45"]
    assert rows[7][0].startswith("'=")


def test_json_export() -> None:
    table = leaflet_table([LeafletCount("2025-01", "iioc", "Leeds", 4, 1)],
                          date(2025, 1, 1), date(2025, 1, 31), "2026.1", MADE)
    data = json.loads(table.to_json())
    assert data["rows"] == [["2025-01", "iioc", "Leeds", 4, 1]]
    assert data["generated_at"] == "2026-07-01T08:05:00.000000Z"
    assert data["columns"][-2:] == ["Leaflet issues", "Declined"]
    assert data["notes"] == []


def test_notes_travel_with_every_export() -> None:
    from fieldapp.domain.tables import Table

    table = Table("T", ("A",), ((1,),), date(2025, 1, 1), date(2025, 1, 31), "v", MADE,
                  notes=("“Leeds City” is not a listed district.",))
    assert "# Note,“Leeds City” is not a listed district." in table.to_csv().splitlines()
    assert json.loads(table.to_json())["notes"] == ["“Leeds City” is not a listed district."]


def test_spread_and_district_tables() -> None:
    from fieldapp.domain.figures import Spread
    from fieldapp.domain.tables import spread_table

    spread = spread_table(Spread(3, 24.0, 22.5, 27.0, 21, 30), date(2025, 1, 1),
                          date(2025, 12, 31), "2026.1", MADE)
    assert spread.rows == ((3, 24.0, 22.5, 27.0, 21, 30),)
    assert spread.header[0] == "Households called back"
    by_district = uptake_table([Uptake("Leeds", 4, 1, 1)], date(2025, 1, 1), date(2025, 12, 31),
                               "2026.1", MADE, title="VCAS uptake by district",
                               first_column="District")
    assert (by_district.title, by_district.header[0]) == ("VCAS uptake by district", "District")
    quarterly = leaflet_table([LeafletCount("2025 Q1", "iioc", "Leeds", 4)], date(2025, 1, 1),
                              date(2025, 3, 31), "2026.1", MADE, period="quarter")
    assert quarterly.header[0] == "Quarter"
