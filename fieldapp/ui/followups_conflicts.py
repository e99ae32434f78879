"""The follow-ups' "Conflicts to check": each open conflict in the officer's words, named by the
record it is about, as a list model over the conflicts the page holds."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from fieldapp.domain.views import Conflict
from fieldapp.store import Store

Index = QModelIndex | QPersistentModelIndex

CONFLICT_KINDS = {
    "offer_outcomes_differ": "Offers to one household were recorded with different outcomes",
    "callback_outcomes_differ": "Call-backs to one household were recorded with different "
    "outcomes",
    "concurrent_corrections": "One record was corrected twice",
    "occurrence_details_differ": "An occurrence was recorded twice with different details",
    "possible_duplicate_household": "One address may have been recorded twice",
    "changed_by_another_officer": "A record was changed by another officer",
    "occurrence_joined": "Another officer recorded your reference",
}


@dataclass(frozen=True)
class Named:
    """A conflict and the words that name its record ("13/000001/26, LS1 4HY"; "" if none)."""

    conflict: Conflict
    name: str

    @property
    def text(self) -> str:
        conflict = self.conflict
        text = f"{CONFLICT_KINDS.get(conflict.kind, conflict.kind)}. {conflict.resolution}"
        return f"{self.name}: {text}" if self.name else text


def name_conflicts(store: Store, conflicts: Iterable[Conflict]) -> tuple[Named, ...]:
    """On the database worker: a household's conflict is named by its call-back's occurrence
    and postcode, an occurrence's by its reference (a few conflicts: a lookup each)."""
    conflicts = tuple(conflicts)
    scopes = {c.scope for c in conflicts}
    names = {t.household_id: f"{t.occurrence_reference}, {t.postcode}"
             for t in store.task_rows(scopes)}
    for scope in sorted(scopes - set(names)):
        view = store.occurrence(scope)
        if view is not None:
            names[scope] = view.reference
    return tuple(Named(c, names.get(c.scope, "")) for c in conflicts)


class ConflictsModel(QAbstractListModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: tuple[Named, ...] = ()

    def set_rows(self, rows: Iterable[Named]) -> None:
        self.beginResetModel()
        self.rows = tuple(rows)
        self.endResetModel()

    def conflict_at(self, row: int) -> Conflict | None:
        return self.rows[row].conflict if 0 <= row < len(self.rows) else None

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self.rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole,
                    Qt.ItemDataRole.ToolTipRole):
            return row.text
        if role == Qt.ItemDataRole.UserRole:
            return row.conflict
        return None
