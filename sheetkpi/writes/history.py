"""The "Lịch sử" sheet: one row per KPI, one column per report date (SPEC §3 item 5).

Re-running a report date overwrites its column; the figures of other dates are never changed. Date
columns are kept in date order: a report date earlier than one already there moves the later
columns one to the right, figures and all. A KPI whose progress is empty or invalid gets an empty
cell, never a 0 that a later run would read as a fall; a figure below the previous report's is
marked in red.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from .. import layout
from ..model import KPI, History
from ..reading import HistoryLayout
from ..rules import effective_progress, history_key, recorded_progress
from . import SheetWrites, fit_text

# A report date's figures are written with these styles, whatever the cells had: a figure that fell
# since the previous report is marked, and one that no longer has is not.
FIGURE_STYLES = ("history", "history_fall")


def history_writes(
    kpis: Iterable[KPI], as_of: dt.date, previous: dt.date | None, sheet: str | None, where: HistoryLayout | None,
    history: History | None = None,
) -> SheetWrites:
    """Cells to write into "Lịch sử" for the report date ``as_of``: each of ``kpis`` (every unit's,
    in order) and its progress, marked when below its figure at the ``previous`` report.

    ``sheet`` is the workbook's own name of that tab (None: add it); ``where`` what was found in it
    (None: it has no history table yet, so the title and header are written too); ``history`` the
    figures read from it (the previous report's; those of dates that move when a date goes between
    two others). Nothing here needs the units evaluated: a run writes "Lịch sử" before evaluating them.
    """
    out = SheetWrites(sheet=sheet or layout.SHEET_HISTORY, create=sheet is None)
    if where is None:
        header_row, rows, last_row = layout.HISTORY_HEADER_ROW, {}, layout.HISTORY_HEADER_ROW
        out.styled_cells[(1, 1)] = (layout.HISTORY_TITLE, "title")
        out.styled_cells[(2, 1)] = ("Do sheetkpi ghi ở mỗi lần tính lại; mỗi cột là một ngày báo cáo.", "subtitle")
        for c, text in enumerate(layout.HISTORY_KEY_HEADERS, start=1):
            out.styled_cells[(header_row, c)] = (text, "header")
        out.column_widths = dict(enumerate(layout.HISTORY_KEY_WIDTHS, start=1))
        columns = {as_of: len(layout.HISTORY_KEY_HEADERS) + 1}
    else:
        header_row, rows, last_row = where.header_row, dict(where.rows), where.last_row
        columns = _date_columns(where, as_of)
    column = columns[as_of]
    new_column = where is None or as_of not in where.dates
    moved = {d: c for d, c in columns.items() if d != as_of and where is not None and where.dates[d] != c}
    last_existing = max(where.dates.values(), default=0) if where else 0

    def put(row: int, col: int, value, style: str) -> None:
        if col > (where.last_col if where else 0) or style in FIGURE_STYLES:
            out.styled_cells[(row, col)] = (value, style)
        else:
            out.cells[(row, col)] = value

    if new_column:
        put(header_row, column, as_of, "header_date")
        out.column_widths[column] = layout.HISTORY_DATE_WIDTH
    for d, c in moved.items():
        put(header_row, c, d, "header_date")
        if c > last_existing:
            out.column_widths[c] = layout.HISTORY_DATE_WIDTH

    figures: dict[int, float | None] = {}
    fell: set[int] = set()  # rows whose figure is below the previous report's: marked
    compare = previous is not None and bool(history)
    for kpi in kpis:
        key = history_key(kpi)
        row = rows.get(key)
        if row is None:
            last_row += 1
            row = rows[key] = last_row
            for c, value in enumerate((kpi.unit, kpi.code, fit_text(kpi.title)), start=1):
                out.styled_cells[(row, c)] = (value, "text")
            out.fit_rows[row] = {3: kpi.title}  # the row grows to show the title whole
        figures[row] = recorded_progress(kpi, effective_progress(kpi))
        before = history.figure(key, previous) if compare else None
        if before is not None and (figures[row] or 0) < before:
            fell.add(row)
    # Cells that held a figure before (this date's, or another date's before the move) are all
    # rewritten: a KPI removed since an earlier run of this same date must not keep that figure.
    rewrite = not new_column or column <= last_existing
    for key, row in rows.items():
        if row in figures or rewrite:
            put(row, column, figures.get(row), "history_fall" if row in fell else "history")
        if moved:
            points = dict(history.get(key, ())) if history else {}
            for d, c in moved.items():
                put(row, c, points.get(d), "history")
    # The same date again with no row to add: the writer checks whether every figure is already
    # there in its style, and leaves the sheet as it is when it is (see SheetWrites.unchanged).
    out.unchanged = not new_column and not moved and not out.fit_rows
    return out


def _date_columns(where: HistoryLayout, as_of: dt.date) -> dict[dt.date, int]:
    """Each report date's column once ``as_of`` has one: its own when it is there already; else the
    next column after the last date, or — when ``as_of`` goes before a later date (or the columns are
    out of order) and the date columns sit side by side — every date in date order, the later ones
    one column right."""
    if as_of in where.dates:
        return dict(where.dates)
    if not where.dates:
        return {as_of: where.last_col + 1}
    cols = sorted(where.dates.values())
    in_order = sorted(where.dates, key=where.dates.__getitem__) == sorted(where.dates)
    # The columns can be laid out again only where nothing but dates is: side by side, and the
    # last one the header's last cell.
    movable = cols == list(range(cols[0], cols[0] + len(cols))) and cols[-1] == where.last_col
    if (as_of > max(where.dates) and in_order) or not movable:
        return {**where.dates, as_of: where.last_col + 1}
    return {d: cols[0] + i for i, d in enumerate(sorted([*where.dates, as_of]))}
