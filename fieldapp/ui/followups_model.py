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
from operator import itemgetter
from typing import Any, Final, NamedTuple

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

# By the status's value, as the model holds it (Held).
_STATUS_ORDER = {status.value: n for n, status in enumerate(STATUS_LABELS)}
_STATUS_COLOURS = {
    TaskStatus.OVERDUE.value: QColor("#b00020"),
    TaskStatus.DUE.value: QColor("#8a4b00"),
    TaskStatus.DONE_ELSEWHERE.value: QColor("#0b5394"),
}


class FollowUp(NamedTuple):
    """One household's call-back as the OIC's list gives it out (`row_at`, `find`). The model
    holds each as a plain tuple (`Held`): at 100,000 call-backs, a named tuple per row is
    100,000 objects the garbage collector walks at every full collection."""

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


# A call-back as the model holds it: FollowUp's fields in its order (the status as its value),
# then the filter keys (OIC, district, reference, postcode compacted). A plain tuple of
# strings, numbers and a date: the garbage collector stops walking it after one pass. A named
# tuple, a slotted class or an enum member inside stays tracked for as long as it lives, and
# while the worker built 100,000 of those, its full collections held the GIL, and so the UI
# thread, for ~190 ms at a time.
Held = tuple[str, str, date, str, str, str, str, str, int, str, str, int, bool,
             str, str, str, str]
_HOUSEHOLD: Final = 0
_OCCURRENCE: Final = 1
_DUE: Final = 2
_STATUS: Final = 3
_REFERENCE: Final = 4
_POSTCODE: Final = 5
_DISTRICT: Final = 6
_ASSIGNEE: Final = 7
_ATTEMPTS: Final = 8
_NOTE: Final = 9
_CLOSED_BY: Final = 10
_CONFLICTS: Final = 11
_ESCALATED: Final = 12
_OIC_KEY: Final = 13
_DISTRICT_KEY: Final = 14
_REFERENCE_KEY: Final = 15
_POSTCODE_KEY: Final = 16
_STATUSES = {status.value: status for status in TaskStatus}


def held(
    household_id: str, occurrence_id: str, due: date, status: TaskStatus, reference: str,
    postcode: str, district: str, assignee: str, attempts: int, note: str,
    closed_by: str = "", conflicts: int = 0, escalated: bool = False,
) -> Held:
    """A call-back as the model holds it (FollowUp's fields, in its order)."""
    return (
        household_id, occurrence_id, due, status.value, reference, postcode, district,
        assignee, attempts, note, closed_by, conflicts, escalated,
        _compact(assignee), _compact(district), _compact(reference), _compact(postcode),
    )


def follow_up(row: Held) -> FollowUp:
    """What the list gives out of a row it holds."""
    return FollowUp(
        row[_HOUSEHOLD], row[_OCCURRENCE], row[_DUE], _STATUSES[row[_STATUS]],
        row[_REFERENCE], row[_POSTCODE], row[_DISTRICT], row[_ASSIGNEE], row[_ATTEMPTS],
        row[_NOTE], row[_CLOSED_BY], row[_CONFLICTS], row[_ESCALATED],
    )


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

_SORT_KEYS: dict[Column, Callable[[Held], Any]] = {
    Column.DUE: lambda r: (r[_DUE], _STATUS_ORDER[r[_STATUS]], r[_REFERENCE]),
    Column.STATUS: lambda r: (_STATUS_ORDER[r[_STATUS]], r[_DUE]),
    # itemgetter builds the tuple in C: sorting 100,000 rows costs a third of a lambda's.
    Column.REFERENCE: itemgetter(_REFERENCE, _DUE),
    Column.POSTCODE: itemgetter(_POSTCODE, _DUE),
    Column.DISTRICT: lambda r: (r[_DISTRICT].casefold(), r[_DUE]),
    Column.OIC: itemgetter(_ASSIGNEE, _DUE),
    Column.ATTEMPTS: itemgetter(_ATTEMPTS, _DUE),
    Column.NOTE: lambda r: (_note(r), r[_DUE]),
}


def _compact(text: str) -> str:
    return text.replace(" ", "").casefold()


def _note(row: Held) -> str:
    if row[_STATUS] == TaskStatus.DONE_ELSEWHERE.value and row[_CLOSED_BY]:
        note = f"{row[_NOTE]} (by {row[_CLOSED_BY]})"
    else:
        note = row[_NOTE]
    if row[_CONFLICTS]:
        note = f"Conflict to check. {note}"
    if row[_ESCALATED]:
        note = f"{RISK_FLAG}. {note}"
    return note


@dataclass(frozen=True)
class FollowUpFilter:
    statuses: frozenset[TaskStatus] = PENDING
    oic: str = ""
    district: str = ""
    reference: str = ""
    postcode: str = ""

    def pick(self, keys: Keys, among: Iterable[int] | None = None) -> list[int]:
        """The positions of the rows this filter accepts (of `among` only, if given), in order.

        One tight pass per criterion in use, over that criterion's column, rather than a call
        per row and criterion: at 100,000 call-backs a keystroke must cost well under 100 ms
        (reading each key out of its row cost half as much again as these columns)."""
        oic, district = _compact(self.oic), _compact(self.district)
        reference, postcode = _compact(self.reference), _compact(self.postcode)
        statuses = {status.value for status in self.statuses}
        at = range(len(keys.status)) if among is None else among
        column = keys.status
        picked = [i for i in at if column[i] in statuses]
        if oic:
            column = keys.oic
            picked = [i for i in picked if column[i] == oic]
        if district:
            column = keys.district
            picked = [i for i in picked if district in column[i]]
        if reference:
            column = keys.reference
            picked = [i for i in picked if reference in column[i]]
        if postcode:
            column = keys.postcode
            picked = [i for i in picked if column[i].startswith(postcode)]
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


class Keys(NamedTuple):
    """The filter keys of rows, as columns in the rows' order (a list each, not an object per
    row)."""

    status: list[str]
    oic: list[str]
    district: list[str]
    reference: list[str]
    postcode: list[str]


def _keys(rows: Sequence[Held]) -> Keys:
    return Keys(
        list(map(itemgetter(_STATUS), rows)), list(map(itemgetter(_OIC_KEY), rows)),
        list(map(itemgetter(_DISTRICT_KEY), rows)), list(map(itemgetter(_REFERENCE_KEY), rows)),
        list(map(itemgetter(_POSTCODE_KEY), rows)),
    )


@dataclass(frozen=True)
class Prepared:
    """Rows as the model holds them, soonest due first, with their keys: made off the UI
    thread."""

    rows: tuple[Held, ...]
    keys: Keys
    counts: TaskCounts


def prepare(rows: Iterable[FollowUp]) -> Prepared:
    return prepare_held(held(*row) for row in rows)


def prepare_held(rows: Iterable[Held]) -> Prepared:
    ordered = tuple(sorted(rows, key=_SORT_KEYS[Column.DUE]))
    return Prepared(ordered, _keys(ordered), _count(ordered))


def _count(rows: Iterable[Held]) -> TaskCounts:
    by_status = Counter(map(itemgetter(_STATUS), rows))  # one pass in C
    return TaskCounts(
        by_status[TaskStatus.OVERDUE.value], by_status[TaskStatus.DUE.value],
        by_status[TaskStatus.UPCOMING.value], sum(by_status[s.value] for s in FINISHED),
    )


class FollowUpModel(QAbstractTableModel):
    """Rows in, filtered and sorted on the model side; `counts_changed` feeds the tab labels."""

    counts_changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[Held] = []
        self._keys = _keys(())
        self._shown: list[Held] = []
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
        self._rows, self._keys = list(prepared.rows), prepared.keys
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
        self._rows = [r for r in self._rows if r[_HOUSEHOLD] not in gone]
        self._rows += fresh.rows
        self._order_rows()
        self._recount(_count(self._rows) if self._first is None else self._first)
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
        return follow_up(self._shown[row]) if 0 <= row < len(self._shown) else None

    def row_of(self, household_id: str) -> int:
        return next(
            (n for n, r in enumerate(self._shown) if r[_HOUSEHOLD] == household_id), -1
        )

    def find(self, household_id: str) -> FollowUp | None:
        """The row of a household, whether or not the filter shows it."""
        found = next((r for r in self._rows if r[_HOUSEHOLD] == household_id), None)
        return None if found is None else follow_up(found)

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
        """All rows (and their keys) into the chosen column's order."""
        column, order = self._sort
        self._rows.sort(key=_SORT_KEYS[column], reverse=order == Qt.SortOrder.DescendingOrder)
        self._keys = _keys(self._rows)

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
            colour = _STATUS_COLOURS.get(row[_STATUS])
            return QBrush(colour) if colour is not None else None
        if role == Qt.ItemDataRole.ForegroundRole and column is Column.NOTE and row[_ESCALATED]:
            return QBrush(_STATUS_COLOURS[TaskStatus.OVERDUE.value])
        if role == Qt.ItemDataRole.ToolTipRole and column is Column.NOTE:
            return _note(row)
        if role == Qt.ItemDataRole.UserRole:
            return row[_HOUSEHOLD]
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
        households = [(self._shown[i.row()][_HOUSEHOLD], i.column()) for i in held]
        self._order_rows()
        self._pick()
        if held:
            position = {r[_HOUSEHOLD]: n for n, r in enumerate(self._shown)}
            self.changePersistentIndexList(
                held, [self.index(position[h], c) for h, c in households]
            )
        self.layoutChanged.emit()

    @staticmethod
    def _text(row: Held, column: Column) -> str:
        if column is Column.DUE:
            return day(row[_DUE])
        if column is Column.STATUS:
            return STATUS_LABELS[_STATUSES[row[_STATUS]]]
        if column is Column.REFERENCE:
            return row[_REFERENCE]
        if column is Column.POSTCODE:
            return row[_POSTCODE]
        if column is Column.DISTRICT:
            return row[_DISTRICT]
        if column is Column.OIC:
            return row[_ASSIGNEE]
        if column is Column.ATTEMPTS:
            return str(row[_ATTEMPTS])
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
    ReferralStatus.OVERDUE: _STATUS_COLOURS[TaskStatus.OVERDUE.value],
    ReferralStatus.DUE: _STATUS_COLOURS[TaskStatus.DUE.value],
    ReferralStatus.NO_CONSENT: _STATUS_COLOURS[TaskStatus.OVERDUE.value],
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
