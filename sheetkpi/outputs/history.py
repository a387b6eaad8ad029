"""The "Lịch sử" sheet: one row per KPI, one column per report date (SPEC §3 item 5).

Re-running a report date overwrites its column; other columns are never touched. A new report date
gets a new column at the right; readers order columns by their date, not their position.
"""

from __future__ import annotations

from ..model import Evaluation
from ..rules import kpi_key
from ..workbook import layout
from ..workbook.reader import HistoryLayout
from .writes import SheetWrites


def history_writes(evaluation: Evaluation, sheet: str | None, where: HistoryLayout | None) -> SheetWrites:
    """Cells to write into "Lịch sử" for the report date of ``evaluation``.

    ``sheet`` is the workbook's own name of that tab (None: add it); ``where`` what was found in it
    (None: it has no history table yet, so the title and header are written too).
    """
    fresh = where is None
    out = SheetWrites(sheet=sheet or layout.SHEET_HISTORY, create=sheet is None)
    if fresh:
        header_row, rows, last_row = layout.HISTORY_HEADER_ROW, {}, layout.HISTORY_HEADER_ROW
        out.styled_cells[(1, 1)] = ("LỊCH SỬ % TIẾN ĐỘ THEO KỲ BÁO CÁO", "title")
        out.styled_cells[(2, 1)] = ("Do sheetkpi ghi ở mỗi lần tính lại; mỗi cột là một ngày báo cáo.", "subtitle")
        for c, text in enumerate(layout.HISTORY_KEY_HEADERS, start=1):
            out.styled_cells[(header_row, c)] = (text, "header")
        column = len(layout.HISTORY_KEY_HEADERS) + 1
        out.column_widths = {1: 12, 2: 12, 3: 60}
    else:
        header_row, rows, last_row = where.header_row, dict(where.rows), where.last_row
        column = where.dates.get(evaluation.as_of, where.last_col + 1)
    new_column = fresh or evaluation.as_of not in where.dates
    if new_column:
        out.styled_cells[(header_row, column)] = (evaluation.as_of, "header_date")
        out.column_widths[column] = 12

    seen = set()
    for result in evaluation.kpis:
        key = (result.kpi.unit, kpi_key(result.kpi))
        seen.add(key)
        row = rows.get(key)
        new_row = row is None
        if new_row:
            last_row += 1
            row = rows[key] = last_row
            for c, value in enumerate((result.kpi.unit, result.kpi.code, result.kpi.title), start=1):
                out.styled_cells[(row, c)] = (value, "text")
        if new_column or new_row:
            out.styled_cells[(row, column)] = (result.effective_progress, "number")
        else:
            out.cells[(row, column)] = result.effective_progress
    if not new_column:
        # A KPI removed since an earlier run of this same date must not keep that run's figure.
        for key, row in rows.items():
            if key not in seen:
                out.cells[(row, column)] = None
    return out
