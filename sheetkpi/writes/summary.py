"""The leadership tab "Tổng hợp": owned by sheetkpi and rewritten at every run (SPEC §3 item 4)."""

from __future__ import annotations

import datetime as dt

from .. import layout
from ..model import LATE, STATUSES, Evaluation
from ..parsing.deadlines import format_due
from . import Block, Chart, SheetWrites, fit_text

# The lists share the unit table's columns; their long texts go last, unwrapped, so that they run
# on over the empty cells to their right instead of needing row heights.
LATE_HEADERS = ("Phòng/đơn vị", "Mã KPI", "Hạn xác định", "% tiến độ", "Nhiệm vụ / KPI — Khó khăn, vướng mắc, đề xuất")
RISK_HEADERS = ("Phòng/đơn vị", "Mã KPI", "Hạn xác định", "% tiến độ", "Kỳ vọng (%)", "Nhiệm vụ / KPI")
PROBLEM_HEADERS = ("Mức độ — mã", "Trang tính", "Ô", "Nội dung")
UNIT_ROW_STYLES = ["text", "integer", "number", "number", "number", *["integer"] * 5, "number", "text", "text"]
LIST_STYLES = ["text", "text", "date", "number", "number", "line"]
LATE_STYLES = LIST_STYLES[:4] + ["line"]
SEVERITY_LABELS = {"error": "Lỗi", "warning": "Cảnh báo"}


def title(evaluation: Evaluation) -> str:
    return f"TỔNG HỢP KẾT QUẢ THỰC HIỆN KPI, NHIỆM VỤ TRỌNG TÂM NĂM {evaluation.settings.plan_year}"


def summary_writes(evaluation: Evaluation, sheet: str | None, *, run_at: dt.datetime) -> SheetWrites:
    """The whole "Tổng hợp" sheet as one block from A1, with the chart beside the unit table.

    ``sheet`` is the workbook's own name of its "Tổng hợp" tab, or None to add one.
    """
    create = sheet is None
    s = evaluation.settings
    width = len(layout.SUMMARY_UNIT_HEADERS)
    rows: list[list] = []
    styles: list[str | None] = []

    def add(values, style):
        rows.append(list(values) + [None] * (width - len(values)))
        styles.append(style)

    add([title(evaluation)], "title")
    add([s.agency], "subtitle")
    add([f"Số liệu đến ngày {format_due(evaluation.as_of)}"], "subtitle")
    add([f"Tổng hợp lúc {run_at:%H:%M} ngày {run_at:%d/%m/%Y} bằng sheetkpi"], "subtitle")
    while len(rows) < layout.SUMMARY_HEADER_ROW - 1:
        add([], None)
    add(layout.SUMMARY_UNIT_HEADERS, "header")
    first_unit_row = len(rows) + 1
    for u in evaluation.units:
        add(
            [
                u.unit.name, len(u.kpis), u.weight_total, u.score_total, u.expected_score,
                *(u.status_counts[st] for st in STATUSES), u.at_risk_count,
                u.ratio, u.grade, "; ".join(u.flags),
            ],
            UNIT_ROW_STYLES,
        )
    last_unit_row = len(rows)
    t = evaluation.totals
    add(
        [
            "Toàn cơ quan", t["kpi_count"], t["weight_total"], t["score_total"], t["expected_score"],
            *(t["status_counts"][st] for st in STATUSES), t["at_risk_count"], None, None, None,
        ],
        ["total", "total_int", "total", "total", "total", *["total_int"] * 5, "total", "total", "total"],
    )

    names = {u.unit.code: u.unit.name for u in reversed(evaluation.units)}  # the first unit of a code wins
    late = [k for k in evaluation.kpis if k.status == LATE]
    add([], None)
    add([f"DANH SÁCH KPI QUÁ HẠN ({len(late)})"], "section")
    add(LATE_HEADERS, "header")
    for k in late:
        unit = names.get(k.kpi.unit, k.kpi.unit)
        add([unit, k.kpi.code, k.kpi.deadline.due, k.effective_progress, fit_text(k.kpi.title)], LATE_STYLES)
        if k.kpi.obstacles:
            add([None, None, None, None, fit_text(f"Khó khăn, vướng mắc, đề xuất: {k.kpi.obstacles}")], LATE_STYLES)
    if not late:
        add(["Không có KPI quá hạn."], "plain")

    risky = [k for k in evaluation.kpis if k.at_risk]
    add([], None)
    add([f"DANH SÁCH KPI CÓ NGUY CƠ CHẬM TIẾN ĐỘ ({len(risky)})"], "section")
    add(RISK_HEADERS, "header")
    for k in risky:
        add([names.get(k.kpi.unit, k.kpi.unit), k.kpi.code, k.kpi.deadline.due, k.effective_progress,
             round(k.expected_progress, 1), fit_text(k.kpi.title)], LIST_STYLES)
    if not risky:
        add(["Không có KPI có nguy cơ chậm tiến độ."], "plain")

    problems = evaluation.data_problems
    add([], None)
    add([f"VẤN ĐỀ DỮ LIỆU CẦN XỬ LÝ ({len(problems)})"], "section")
    add(PROBLEM_HEADERS, "header")
    for i in problems:
        add([f"{SEVERITY_LABELS[i.severity]} — {i.title}", i.sheet, i.cell, fit_text(i.text)],
            ["text", "text", "text", "line"])
    if not problems:
        add(["Không có vấn đề dữ liệu."], "plain")

    chart_col = width + 2
    chart = Chart(
        anchor=(layout.SUMMARY_HEADER_ROW, chart_col, layout.SUMMARY_HEADER_ROW + 18, chart_col + 8),
        title="Điểm đạt và điểm kỳ vọng theo phòng, đơn vị",
        categories=f"A{first_unit_row}:A{last_unit_row}",
        series=[("Điểm đạt", f"D{first_unit_row}:D{last_unit_row}"),
                ("Điểm kỳ vọng", f"E{first_unit_row}:E{last_unit_row}")],
    )
    widths = {1: 34, 2: 10, 3: 40, 4: 12, 5: 12, 6: 12, 7: 40, 8: 12, 9: 12, 10: 12, 11: 14, 12: 20, 13: 40}
    return SheetWrites(
        sheet=sheet or layout.SHEET_SUMMARY,
        create=create,
        blocks=[Block(row=1, col=1, rows=rows, styles=styles)],
        chart=chart if evaluation.units else None,
        column_widths=widths if create else {},
        print_titles=(1, layout.SUMMARY_HEADER_ROW) if create else None,
    )
