"""Charts beside the report tables (QtCharts): VCAS uptake per period, stacked, leaflet
issues per period and offence type, and a partner's reported engagement beside the leaflets
issued for it each month. They draw the rows the tables show and nothing else; a
screen reader gets the same figures from the table."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCharts import (
    QAbstractBarSeries,
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QStackedBarSeries,
    QValueAxis,
)
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QWidget

from fieldapp.domain.catalogue import OFFENCE_TYPES
from fieldapp.domain.engagement import PartnerMonth
from fieldapp.domain.figures import LeafletCount, Uptake

# Colours that stay apart for the common colour-vision deficiencies (Okabe and Ito).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")
NOT_TAKEN_UP = "#BBBBBB"
Bars = tuple[str, str, list[int]]  # label, colour, one value per category


class _BarChart(QChartView):
    def __init__(self, title: str, name: str, parent: QWidget | None = None) -> None:
        chart = QChart()
        chart.setTitle(title)
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
        super().__init__(chart, parent)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setAccessibleName(name)
        self.setMinimumWidth(360)

    def bar_series(self) -> QAbstractBarSeries | None:
        found = self.chart().series()
        return found[0] if found and isinstance(found[0], QAbstractBarSeries) else None

    def values(self) -> dict[str, list[float]]:
        """What each bar set draws, by its label: for tests and the accessible description."""
        series = self.bar_series()
        if series is None:
            return {}
        return {s.label(): [s.at(n) for n in range(s.count())] for s in series.barSets()}

    def _draw(
        self, series: QAbstractBarSeries, categories: list[str], sets: list[Bars], highest: int,
        unit: str,
    ) -> None:
        chart = self.chart()
        chart.removeAllSeries()
        for axis in chart.axes():
            chart.removeAxis(axis)
        for label, colour, values in sets:
            bars = QBarSet(label)
            bars.setColor(QColor(colour))
            bars.append([float(v) for v in values])
            series.append(bars)
        chart.addSeries(series)
        x = QBarCategoryAxis()
        x.append(categories)
        # Month labels stand on end past a year's worth, rather than overlap.
        x.setLabelsAngle(-90 if len(categories) > 12 else 0)
        chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
        series.attachAxis(x)
        y = QValueAxis()
        y.setLabelFormat("%d")
        y.setTitleText(unit)
        y.setRange(0, max(highest, 1))
        y.applyNiceNumbers()
        chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(y)
        self.setAccessibleDescription(
            "; ".join(f"{label}: {', '.join(map(str, values))}" for label, _, values in sets)
        )

    def clear(self) -> None:
        chart = self.chart()
        chart.removeAllSeries()
        for axis in chart.axes():
            chart.removeAxis(axis)


class UptakeChart(_BarChart):
    """Households offered per period as one bar: accepted at arrest, at call-back, and not
    taken up, stacked, so the bar's height is the households offered."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("VCAS uptake per period", "Chart of VCAS uptake per period", parent)

    def show_rows(self, rows: Sequence[Uptake]) -> None:
        sets = [
            ("Accepted at arrest", PALETTE[0], [r.accepted_at_arrest for r in rows]),
            ("Accepted at call-back", PALETTE[1], [r.accepted_at_callback for r in rows]),
            ("Not taken up", NOT_TAKEN_UP, [r.offered - r.accepted for r in rows]),
        ]
        highest = max((r.offered for r in rows), default=0)
        self._draw(QStackedBarSeries(), [r.label for r in rows], sets, highest, "Households")


def by_period_and_offence(rows: Sequence[LeafletCount]) -> tuple[list[str], dict[str, list[int]]]:
    """Leaflet issues per period for each offence type, the districts added together."""
    periods = sorted({r.period for r in rows})
    position = {p: n for n, p in enumerate(periods)}
    counts: dict[str, list[int]] = {}
    for row in sorted(rows, key=lambda r: r.offence_type):
        counts.setdefault(row.offence_type, [0] * len(periods))[position[row.period]] += row.issues
    return periods, counts


class LeafletChart(_BarChart):
    """Leaflet issues per period, a bar for each offence type side by side (not stacked: an
    occurrence with two offence types counts under each, so a stack would overstate)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Leaflet issues per period", "Chart of leaflet issues per period",
                         parent)

    def show_rows(self, rows: Sequence[LeafletCount]) -> None:
        periods, counts = by_period_and_offence(rows)
        sets = [
            (OFFENCE_TYPES.get(offence, offence), PALETTE[n % len(PALETTE)], values)
            for n, (offence, values) in enumerate(counts.items())
        ]
        highest = max((v for _, _, values in sets for v in values), default=0)
        self._draw(QBarSeries(), periods, sets, highest, "Leaflet issues")


class PartnerChart(_BarChart):
    """One partner's months: leaflets issued for it and the people it reports engaged, side
    by side. A month with no report draws no engagement bar; the table says "–" for it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Partner engagement and leaflets issued",
                         "Chart of partner engagement beside leaflets issued", parent)

    def show_rows(self, rows: Sequence[PartnerMonth], partner: str) -> None:
        mine = [r for r in rows if r.partner == partner]
        self.chart().setTitle(f"{partner}: engagement and leaflets issued")
        sets = [
            ("Leaflets issued", PALETTE[0], [r.leaflets for r in mine]),
            ("Engaged (partner's report)", PALETTE[1], [r.engaged or 0 for r in mine]),
        ]
        highest = max((v for _, _, values in sets for v in values), default=0)
        self._draw(QBarSeries(), [r.month for r in mine], sets, highest, "People or leaflets")
