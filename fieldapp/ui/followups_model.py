"""The OIC's call-back list as a table model over rows already read from the store.

Filtering and sorting happen on the list the model holds, not row by row through a proxy:
one list comprehension over prepared keys keeps typing in a filter box smooth at 100,000
call-backs, where a Python `filterAcceptsRow` would be called once per row per keystroke.

The model may first hold the first screen only (`show_first`), with the store's counts of
every row, while the page reads the rest (followups_load.py) and gives them all in one
`set_rows`: filters and sorts chosen meanwhile then apply to every row.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import IntEnum
from operator import attrgetter
from typing import Any, NamedTuple

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor

from fieldapp.domain.referral import ReferralStatus
from fieldapp.domain.schedule import TaskStatus
from fieldapp.store import TaskCounts
from fieldapp.ui.callback_detail import REFERRAL_LABELS
from fieldapp.ui.text import day

Index = QModelIndex | QPersistentModelIndex

STATUS_LABELS: dict[TaskStatus, str] = {
    TaskStatus.OVERDUE: "Overdue",
    TaskStatus.DUE: "Due today",
    TaskStatus.UPCOMING: "Upcoming",
    TaskStatus.DONE: "Done",
    TaskStatus.DONE_ELSEWHERE: "Done elsewhere",
    TaskStatus.CLOSED: "Closed",
}

PENDING = frozenset({TaskStatus.OVERDUE, TaskStatus.DUE, TaskStatus.UPCOMING})
FINISHED = frozenset({TaskStatus.DONE, TaskStatus.DONE_ELSEWHERE, TaskStatus.CLOSED})

# The flag a household's row carries when its occurrence had a risk escalated: first in the
# note, in red, so the OIC knows before calling.
RISK_FLAG = "⚑ Risk escalated"

_STATUS_ORDER = {status: n for n, status in enumerate(STATUS_LABELS)}
_STATUS_COLOURS = {
    TaskStatus.OVERDUE: QColor("#b00020"),
    TaskStatus.DUE: QColor("#8a4b00"),
    TaskStatus.DONE_ELSEWHERE: QColor("#0b5394"),
}


class FollowUp(NamedTuple):
    """One household's call-back as the OIC's list shows it. A named tuple, as TaskRow is:
    the list makes 100,000 at once, and a frozen dataclass took three times as long."""

    household_id: str
    occurrence_id: str
    due: date
    status: TaskStatus
    reference: str
    postcode: str
    district: str
    assignee: str
    attempts: int
    note: str  # the rule that set the due date, or why it closed
    closed_by: str = ""
    conflicts: int = 0
    escalated: bool = False  # a suicide or self-harm risk was escalated in the occurrence


class Column(IntEnum):
    DUE = 0
    STATUS = 1
    REFERENCE = 2
    POSTCODE = 3
    DISTRICT = 4
    OIC = 5
    ATTEMPTS = 6
    NOTE = 7


HEADERS = {
    Column.DUE: "Due",
    Column.STATUS: "Status",
    Column.REFERENCE: "Occurrence",
    Column.POSTCODE: "Postcode",
    Column.DISTRICT: "District",
    Column.OIC: "OIC",
    Column.ATTEMPTS: "Attempts",
    Column.NOTE: "Note",
}

_SORT_KEYS: dict[Column, Callable[[FollowUp], Any]] = {
    Column.DUE: lambda r: (r.due, _STATUS_ORDER[r.status], r.reference),
    Column.STATUS: lambda r: (_STATUS_ORDER[r.status], r.due),
    # attrgetter builds the tuple in C: sorting 100,000 rows costs a third of a lambda's.
    Column.REFERENCE: attrgetter("reference", "due"),
    Column.POSTCODE: attrgetter("postcode", "due"),
    Column.DISTRICT: lambda r: (r.district.casefold(), r.due),
    Column.OIC: attrgetter("assignee", "due"),
    Column.ATTEMPTS: attrgetter("attempts", "due"),
    Column.NOTE: lambda r: (_note(r), r.due),
}


def _compact(text: str) -> str:
    return text.replace(" ", "").casefold()


def _note(row: FollowUp) -> str:
    if row.status is TaskStatus.DONE_ELSEWHERE and row.closed_by:
        note = f"{row.note} (by {row.closed_by})"
    else:
        note = row.note
    if row.conflicts:
        note = f"Conflict to check. {note}"
    if row.escalated:
        note = f"{RISK_FLAG}. {note}"
    return note


@dataclass(frozen=True)
class FollowUpFilter:
    statuses: frozenset[TaskStatus] = PENDING
    oic: str = ""
    district: str = ""
    reference: str = ""
    postcode: str = ""

    def pick(self, keys: Sequence[_Keys], among: Iterable[int] | None = None) -> list[int]:
        """The positions of the keys this filter accepts (of `among` only, if given), in order.

        One tight pass per criterion in use rather than a call per row and criterion: at
        100,000 call-backs a keystroke must cost well under 100 ms."""
        oic, district = _compact(self.oic), _compact(self.district)
        reference, postcode = _compact(self.reference), _compact(self.postcode)
        statuses = self.statuses
        at = range(len(keys)) if among is None else among
        picked = [i for i in at if keys[i].status in statuses]
        if oic:
            picked = [i for i in picked if keys[i].oic == oic]
        if district:
            picked = [i for i in picked if district in keys[i].district]
        if reference:
            picked = [i for i in picked if reference in keys[i].reference]
        if postcode:
            picked = [i for i in picked if keys[i].postcode.startswith(postcode)]
        return picked

    def narrows(self, before: FollowUpFilter) -> bool:
        """Whether everything this filter accepts, `before` accepted too (typing on)."""
        return (
            self.statuses <= before.statuses
            and _compact(self.oic) == _compact(before.oic)
            and _compact(before.district) in _compact(self.district)
            and _compact(before.reference) in _compact(self.reference)
            and _compact(self.postcode).startswith(_compact(before.postcode))
        )


class _Keys(NamedTuple):  # 100,000 made at once, as FollowUp
    status: TaskStatus
    oic: str
    district: str
    reference: str
    postcode: str

    @classmethod
    def of(cls, row: FollowUp) -> _Keys:
        return cls(
            row.status, _compact(row.assignee), _compact(row.district),
            _compact(row.reference), _compact(row.postcode),
        )


@dataclass(frozen=True)
class Prepared:
    """Rows with their filter keys worked out, soonest due first: made off the UI thread."""

    rows: tuple[FollowUp, ...]
    keys: tuple[_Keys, ...]
    counts: TaskCounts


def prepare(rows: Iterable[FollowUp]) -> Prepared:
    ordered = sorted(rows, key=_SORT_KEYS[Column.DUE])
    keys = tuple(map(_Keys.of, ordered))
    return Prepared(tuple(ordered), keys, _count(keys))


def _count(keys: Iterable[_Keys]) -> TaskCounts:
    by_status = Counter(map(attrgetter("status"), keys))  # one pass in C
    return TaskCounts(
        by_status[TaskStatus.OVERDUE], by_status[TaskStatus.DUE],
        by_status[TaskStatus.UPCOMING], sum(by_status[s] for s in FINISHED),
    )


class FollowUpModel(QAbstractTableModel):
    """Rows in, filtered and sorted on the model side; `counts_changed` feeds the tab labels."""

    counts_changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[FollowUp] = []
        self._keys: list[_Keys] = []
        self._shown: list[FollowUp] = []
        self._shown_at: list[int] = []  # positions in _rows of the rows shown
        self._filter = FollowUpFilter()
        self._sort = (Column.DUE, Qt.SortOrder.AscendingOrder)
        self.counts = TaskCounts()
        self._first: TaskCounts | None = None  # the store's counts while only a screen is held

    # ----------------------------------------------------------------- feeding

    def show_first(self, rows: Prepared, counts: TaskCounts) -> None:
        """The first screen's rows, and how many there are of each status in all."""
        self._first = counts
        self._set(rows)

    def set_rows(self, rows: Sequence[FollowUp] | Prepared) -> None:
        """Every row."""
        self._first = None
        self._set(rows)

    @property
    def complete(self) -> bool:
        """Whether the model holds every row (not only the first screen)."""
        return self._first is None

    def _set(self, rows: Sequence[FollowUp] | Prepared) -> None:
        prepared = rows if isinstance(rows, Prepared) else prepare(rows)
        self._rows = list(prepared.rows)
        self._keys = list(prepared.keys)
        if self._sort != (Column.DUE, Qt.SortOrder.AscendingOrder):  # prepared is in due order
            self._order_rows()
        self._recount(prepared.counts if self._first is None else self._first)
        self._refilter()

    def replace_households(
        self, households: Iterable[str], rows: Sequence[FollowUp] | Prepared
    ) -> None:
        """Swaps in fresh rows for the households a change touched, keeping the rest."""
        gone = set(households)
        fresh = rows if isinstance(rows, Prepared) else prepare(rows)
        kept = [(r, k) for r, k in zip(self._rows, self._keys, strict=True)
                if r.household_id not in gone]
        self._rows = [r for r, _ in kept] + list(fresh.rows)
        self._keys = [k for _, k in kept] + list(fresh.keys)
        self._order_rows()
        self._recount(_count(self._keys) if self._first is None else self._first)
        self._refilter()

    def clear(self) -> None:
        self.set_rows([])

    def set_filter(self, wanted: FollowUpFilter) -> None:
        if wanted != self._filter:
            # Typing on narrows what is shown: only the rows shown now need looking at.
            among = self._shown_at if wanted.narrows(self._filter) else None
            self._filter = wanted
            self._refilter(among)

    @property
    def filter(self) -> FollowUpFilter:
        return self._filter

    def row_at(self, row: int) -> FollowUp | None:
        return self._shown[row] if 0 <= row < len(self._shown) else None

    def row_of(self, household_id: str) -> int:
        return next(
            (n for n, r in enumerate(self._shown) if r.household_id == household_id), -1
        )

    def find(self, household_id: str) -> FollowUp | None:
        """The row of a household, whether or not the filter shows it."""
        return next((r for r in self._rows if r.household_id == household_id), None)

    @property
    def total(self) -> int:
        """How many call-backs there are in all (also those not yet read)."""
        return len(self._rows) if self._first is None else sum(self._first)

    def _recount(self, counts: TaskCounts) -> None:
        self.counts = counts
        self.counts_changed.emit()

    def _refilter(self, among: list[int] | None = None) -> None:
        # The rows are held in the shown order, so a filter keystroke only picks (at 100,000
        # call-backs, sorting what it picked cost more than the picking).
        self.beginResetModel()
        self._pick(among)
        self.endResetModel()

    def _pick(self, among: list[int] | None = None) -> None:
        self._shown_at = self._filter.pick(self._keys, among)
        self._shown = list(map(self._rows.__getitem__, self._shown_at))

    def _order_rows(self) -> None:
        """All rows (with their keys) into the chosen column's order."""
        column, order = self._sort
        rows, keys = self._rows, self._keys
        sort_keys = list(map(_SORT_KEYS[column], rows))
        at = sorted(range(len(rows)), key=sort_keys.__getitem__,
                    reverse=order == Qt.SortOrder.DescendingOrder)
        self._rows = [rows[i] for i in at]
        self._keys = [keys[i] for i in at]

    # ----------------------------------------------------------------- Qt model

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self._shown)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._shown[index.row()]
        column = Column(index.column())
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self._text(row, column)
        if role == Qt.ItemDataRole.ForegroundRole and column is Column.STATUS:
            colour = _STATUS_COLOURS.get(row.status)
            return QBrush(colour) if colour is not None else None
        if role == Qt.ItemDataRole.ForegroundRole and column is Column.NOTE and row.escalated:
            return QBrush(_STATUS_COLOURS[TaskStatus.OVERDUE])
        if role == Qt.ItemDataRole.ToolTipRole and column is Column.NOTE:
            return _note(row)
        if role == Qt.ItemDataRole.UserRole:
            return row.household_id
        return None

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.AccessibleTextRole,
        ):
            return HEADERS[Column(section)]
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if (Column(column), order) == self._sort:
            return  # the rows are always held in the chosen order
        self._sort = (Column(column), order)
        self.layoutAboutToBeChanged.emit()
        # The selection is held as persistent indexes: move them with their rows.
        held = self.persistentIndexList()
        households = [(self._shown[i.row()].household_id, i.column()) for i in held]
        self._order_rows()
        self._pick()
        if held:
            position = {r.household_id: n for n, r in enumerate(self._shown)}
            self.changePersistentIndexList(
                held, [self.index(position[h], c) for h, c in households]
            )
        self.layoutChanged.emit()

    @staticmethod
    def _text(row: FollowUp, column: Column) -> str:
        if column is Column.DUE:
            return day(row.due)
        if column is Column.STATUS:
            return STATUS_LABELS[row.status]
        if column is Column.REFERENCE:
            return row.reference
        if column is Column.POSTCODE:
            return row.postcode
        if column is Column.DISTRICT:
            return row.district
        if column is Column.OIC:
            return row.assignee
        if column is Column.ATTEMPTS:
            return str(row.attempts)
        return _note(row)


# --------------------------------------------------------------------------- referrals


@dataclass(frozen=True, slots=True)
class ReferralItem:
    """One household's VCAS referral as the Referrals tab shows it."""

    household_id: str
    occurrence_id: str
    due: date
    status: ReferralStatus
    reference: str
    postcode: str
    district: str
    assignee: str
    note: str  # the rule that set the due day, or what happened to it


REFERRAL_HEADERS = ("Due", "Status", "Occurrence", "Postcode", "District", "OIC", "Note")

# The same colours as the call-backs: overdue red, due today amber; no consent red too, since
# nothing can go until someone records it.
_REFERRAL_COLOURS = {
    ReferralStatus.OVERDUE: _STATUS_COLOURS[TaskStatus.OVERDUE],
    ReferralStatus.DUE: _STATUS_COLOURS[TaskStatus.DUE],
    ReferralStatus.NO_CONSENT: _STATUS_COLOURS[TaskStatus.OVERDUE],
}
_REFERRAL_ORDER = {s: n for n, s in enumerate((
    ReferralStatus.OVERDUE, ReferralStatus.DUE, ReferralStatus.NO_CONSENT,
    ReferralStatus.UPCOMING, ReferralStatus.SENT, ReferralStatus.ACKNOWLEDGED,
    ReferralStatus.WITHDRAWN,
))}


class ReferralModel(QAbstractTableModel):
    """Referrals, the ones to act on first (overdue, due, without consent), then by due day."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[ReferralItem] = []

    def set_rows(self, rows: Iterable[ReferralItem]) -> None:
        self.beginResetModel()
        self._rows = sorted(rows, key=lambda r: (_REFERRAL_ORDER[r.status], r.due, r.reference))
        self.endResetModel()

    def replace_households(self, households: Iterable[str], rows: Iterable[ReferralItem]) -> None:
        gone = set(households)
        self.set_rows([*(r for r in self._rows if r.household_id not in gone), *rows])

    def row_at(self, row: int) -> ReferralItem | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, household_id: str) -> int:
        return next((n for n, r in enumerate(self._rows) if r.household_id == household_id), -1)

    def count(self, statuses: Iterable[ReferralStatus]) -> int:
        wanted = set(statuses)
        return sum(r.status in wanted for r in self._rows)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(REFERRAL_HEADERS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return (day(row.due), REFERRAL_LABELS[row.status], row.reference, row.postcode,
                    row.district, row.assignee, row.note)[index.column()]
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 1:
            colour = _REFERRAL_COLOURS.get(row.status)
            return QBrush(colour) if colour is not None else None
        if role == Qt.ItemDataRole.UserRole:
            return row.household_id
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role in (
            Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole,
        ):
            return REFERRAL_HEADERS[section]
        return None
