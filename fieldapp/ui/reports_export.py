"""Exports of the figures: CSV for a spreadsheet, PDF to print or send.

Each export says what it is about (period, filters, schedule policy, when it was made) from
`Table.about()`, so two copies can be compared. Tables hold counts, periods, districts,
offence types and collar numbers only, so there is no personal data to leak.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF
from PySide6.QtGui import QPageLayout, QPageSize, QPdfWriter, QTextDocument

from fieldapp.domain.tables import Cell, Table
from fieldapp.store.errors import DiskError
from fieldapp.store.files import atomic_write
from fieldapp.ui.ops import UserError
from fieldapp.ui.reports_model import cell_text
from fieldapp.ui.text import APP_NAME

PDF_TITLE = "VCAS and signposting figures"


def file_name(title: str, start: date, end: date, suffix: str) -> str:
    """A name that says what is in the file, and nothing about anyone."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return f"{slug}-{start:%Y-%m-%d}-to-{end:%Y-%m-%d}{suffix}"


def csv_bytes(table: Table) -> bytes:
    # With a byte order mark, so that Excel reads UTF-8 (a district such as Ynys Môn) as such.
    return ("\ufeff" + table.to_csv()).encode("utf-8")


def _table_html(table: Table, first: bool) -> str:
    def row(cells: Sequence[Cell], tag: str) -> str:
        def cell(value: Cell) -> str:
            # Numbers right-aligned, as in the app's table and a spreadsheet.
            align = ' align="right"' if isinstance(value, int | float) else ""
            return f"<{tag}{align}>{html.escape(cell_text(value))}</{tag}>"

        return "<tr>" + "".join(cell(c) for c in cells) + "</tr>"

    about = "".join(
        f"<tr><td><b>{html.escape(key)}</b></td><td>{html.escape(value)}</td></tr>"
        for key, value in table.about()
    )
    body = "".join(row(r, "td") for r in table.rows)
    if not table.rows:
        body = f'<tr><td colspan="{len(table.header)}">Nothing in this period.</td></tr>'
    # Each report starts a page, so one can be printed or passed on by itself.
    brk = "" if first else ' style="page-break-before: always"'
    return (
        f"<h2{brk}>{html.escape(table.title)}</h2>"
        f'<table cellpadding="2">{about}</table><p></p>'
        f'<table border="1" cellspacing="0" cellpadding="4" width="100%">'
        f"{row(table.header, 'th')}{body}</table>"
    )


def report_html(tables: Sequence[Table]) -> str:
    parts = [_table_html(t, n == 0) for n, t in enumerate(tables)]
    return f"<html><body><h1>{html.escape(PDF_TITLE)}</h1>{''.join(parts)}</body></html>"


def pdf_bytes(tables: Sequence[Table]) -> bytes:
    """The tables as an A4 PDF, by Qt's own PDF writer, held in memory until written."""
    document = QTextDocument()
    font = document.defaultFont()
    font.setPointSize(9)
    document.setDefaultFont(font)
    document.setHtml(report_html(tables))
    return document_pdf(document, PDF_TITLE)


def document_pdf(document: QTextDocument, title: str) -> bytes:
    """A document as an A4 PDF by Qt's own writer, in memory until written."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setTitle(title)
    writer.setCreator(APP_NAME)
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    # No margins of the writer's own: the document keeps 2 cm all round when printed.
    writer.setPageMargins(QMarginsF(0, 0, 0, 0), QPageLayout.Unit.Millimeter)
    document.print_(writer)  # paints every page and ends the painter: the PDF is complete
    buffer.close()
    return bytes(data.data())


def write_file(path: Path, data: bytes) -> None:
    """All or nothing: a crash or a full disk leaves no half-written export behind."""
    try:
        atomic_write(path, data)
    except DiskError:
        raise UserError(
            f"{path.name} could not be written there: the folder may be read-only or the "
            "disk full. Choose another folder."
        ) from None
