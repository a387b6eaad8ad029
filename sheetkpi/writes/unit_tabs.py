"""The engine-owned cells of a unit tab: "Hạn xác định", "Tiến độ tính điểm (%)", "Điểm quy đổi",
"Trạng thái", "Cảnh báo" on each KPI row, and the "Tổng cộng" row."""

from __future__ import annotations

from .. import layout
from ..model import KpiResult, UnitResult
from ..parsing.numbers import format_vn
from ..reading import UnitLayout
from ..report import RESULT
from . import SheetWrites, fit_text


def alert_text(result: KpiResult) -> str | None:
    """The "Cảnh báo" cell: every warning and error about the row, without its position (None:
    none)."""
    if not result.issues:
        return None  # (most rows)
    texts = [i.text for i in result.issues if i.kind != RESULT]  # the status already says "Quá hạn"
    return fit_text("; ".join(dict.fromkeys(texts))) or None


# The texts a KPI row shows whole (its height grows for them): the department's and sheetkpi's.
_FIT_FIELDS = ("title", "output", "partners", "result", "obstacles", "deadline", "status", "alerts")


def unit_writes(unit: UnitResult, where: UnitLayout) -> SheetWrites:
    """Cells to write on one unit tab; engine columns it lacks are added right of the header."""
    out = SheetWrites(sheet=where.sheet)
    columns = dict(where.columns)
    next_col = where.last_used_col + 1
    for name in where.missing_engine_columns:
        columns[name] = next_col
        out.styled_cells[(where.header_row, next_col)] = (layout.ENGINE_COLUMNS[name], "header")
        next_col += 1
    new = set(where.missing_engine_columns)
    # The row's cells: each engine column's, in ENGINE_ROW_FIELDS order (a column added gets its
    # style), and its texts by column (the fields it has, in _FIT_FIELDS order).
    engine = [(columns[name], name in new, style) for name, style in zip(layout.ENGINE_ROW_FIELDS, _ROW_STYLES)]
    fitted = [(columns[f], _FIT_FIELDS.index(f)) for f in _FIT_FIELDS if f in columns]
    cells, styled, fit_rows = out.cells, out.styled_cells, out.fit_rows
    written = []  # the engine cells' values in layout.ENGINE_ROW_FIELDS order, for the fingerprint
    for row, result in zip(where.kpi_rows, unit.kpis):
        alerts = alert_text(result)
        k = result.kpi
        deadline = k.deadline
        values = (deadline.due, result.effective_progress, result.score, result.status, alerts)
        written += values
        for (col, added, style), value in zip(engine, values):
            if added:
                styled[(row, col)] = (value, style)
            else:
                cells[(row, col)] = value
        # The row grows to show its texts whole, the department's and the alerts sheetkpi wrote.
        texts = (k.title, k.output, k.partners, k.result, k.obstacles, deadline.text, result.status, alerts)
        fit_rows[row] = {col: texts[at] for col, at in fitted if texts[at]}

    total_row = where.total_row or where.free_row_after
    if total_row:
        created = where.total_row is None
        # Short enough for the total row's cells (the template gives the row four lines).
        pace = [] if unit.ratio is None else [f"Tạm tính: đạt {format_vn(unit.ratio, 1)}% so với kỳ vọng"]
        values = {
            "score": unit.score_total,
            "status": unit.grade,
            "alerts": "; ".join([*pace, *unit.flags]) or None,
        }
        if created:
            # The department's weight column is written only on a total row sheetkpi adds: on an
            # existing one it may hold the Office's own =SUM(), which must stay.
            label_col = columns.get("code") or columns.get("title") or 1
            values = {"weight": unit.weight_total, **values}
            out.styled_cells[(total_row, label_col)] = (layout.TOTAL_LABEL, "total")
        for name, value in values.items():
            if created or name in new:
                out.styled_cells[(total_row, columns[name])] = (value, "total")
            else:
                out.cells[(total_row, columns[name])] = value
        out.fit_rows[total_row] = {columns[n]: v for n, v in values.items() if isinstance(v, str)}
        out.fit_bold.add(total_row)  # (in the "total" style)
        written += (values[name] for name in layout.ENGINE_TOTAL_FIELDS)
    # Clicked again before anyone typed anything, a tab's cells already hold all this: the file
    # writer can leave it as it is (see SheetWrites.unchanged).
    out.unchanged = (where.engine_digest is not None and not out.styled_cells
                     and layout.engine_digest(written) == where.engine_digest)
    return out


_ROW_STYLES = ("date", "number", "number", "text", "text")  # for ENGINE_ROW_FIELDS added as new columns
