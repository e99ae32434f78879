"""The follow-ups' "Leaflets not recorded" section: the OIC's occurrences with no leaflet
outcome recorded the policy's days after them (`fieldapp.domain.figures.leaflets_not_recorded`,
the same list a supervisor opens on the Reports page)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QLabel, QListView, QVBoxLayout, QWidget

from fieldapp.domain.figures import NotRecorded, leaflets_not_recorded
from fieldapp.domain.projection import Changes, State
from fieldapp.resources import load_districts, load_policy
from fieldapp.store import Store
from fieldapp.ui.session import Session

Index = QModelIndex | QPersistentModelIndex
HEADING = "Leaflets not recorded"


def load_not_recorded(store: Store, oic: str, today: Any) -> list[NotRecorded]:
    """The op, on the database worker: only occurrences without leaflets are read."""
    held = {o.id: o for o in store.occurrences_without_leaflets(oic)}
    return leaflets_not_recorded(State(occurrences=held), today, load_policy(), load_districts())


def describe_row(row: NotRecorded) -> str:
    return (f"{row.reference} ({row.district}): no leaflet recorded since "
            f"{row.recorded_on:%d/%m/%Y}; due by {row.due:%d/%m/%Y}.")


class NotRecordedModel(QAbstractListModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[NotRecorded] = []

    def set_rows(self, rows: list[NotRecorded]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self.rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return describe_row(row)
        if role == Qt.ItemDataRole.UserRole:
            return row.occurrence_id
        return None


class LeafletsDue(QWidget):
    """A heading and the list; it reads again when occurrences change or it is asked to."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.model = NotRecordedModel(self)
        self.heading = QLabel(f"<b>{HEADING}</b>", self)
        self.view = QListView(self)
        self.view.setModel(self.model)
        self.view.setAccessibleName(HEADING)
        self.view.setWordWrap(True)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.heading)
        column.addWidget(self.view)
        session.worker.changed.connect(self.on_changes)

    def reload(self) -> None:
        oic, today = self.session.identity.author, self.session.today()
        self.session.run(lambda store: load_not_recorded(store, oic, today), self._shown)

    def _shown(self, rows: list[NotRecorded]) -> None:
        self.model.set_rows(rows)
        self.heading.setText(f"<b>{HEADING}</b> ({len(rows)})")

    def on_changes(self, changes: Changes) -> None:
        if changes.occurrences:
            self.reload()

    def clear(self) -> None:
        self.model.set_rows([])
        self.heading.setText(f"<b>{HEADING}</b>")
