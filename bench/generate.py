"""Benchmark inputs: "Bảng giao KPI" workbooks of a given size in the template's layout, and the
same workbook with Excel formulas in the engine columns (the way it is done without sheetkpi).

The KPI workbook is built by :func:`sheetkpi.workbook.builder.build_workbook`, the code that makes
the template and ``sheetkpi new``, so every size has the template's styles, validations,
conditional formats, settings and a "Lịch sử" with two earlier report dates. Rows vary the way
departments write them: deadlines as dates, quarters, periods and events, progress as numbers, text
with a decimal comma, "Hoàn thành" or nothing; about a third carry obstacles. Content is
deterministic: the same size always gives the same data.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sheetkpi import layout
from sheetkpi.workbook.builder import KpiSpec, UnitSpec, build_workbook, default_settings

REPORT_DATE = dt.date(2026, 6, 25)
HISTORY_DATES = (dt.date(2026, 4, 25), dt.date(2026, 5, 25))
YEAR = 2026

DEADLINES = (
    "30/4/2026", "Quý II/2026", "30/9/2026", "6 tháng đầu năm 2026", "Quý IV/2026", "Thường xuyên trong năm",
    "Tháng 3/2026", "31/12/2026", "Theo yêu cầu của UBND tỉnh", dt.date(2026, 5, 15), "Hoàn thành trước 31/7/2026",
    "Quý III năm 2026",
)
TASKS = (
    "Tham mưu ban hành kế hoạch triển khai", "Hoàn thiện hồ sơ thẩm định dự án", "Báo cáo tiến độ giải ngân vốn",
    "Rà soát, cập nhật quy hoạch chi tiết", "Kiểm tra việc chấp hành pháp luật về đầu tư",
    "Đôn đốc nhà đầu tư triển khai dự án", "Xây dựng cơ sở dữ liệu doanh nghiệp",
)
RESULTS = (
    "Đã hoàn thành dự thảo, đang lấy ý kiến các sở, ngành liên quan.",
    "Đã tổ chức 02 cuộc họp với nhà đầu tư; đang tổng hợp ý kiến.",
    "Đã gửi báo cáo đúng hạn; số liệu cập nhật đến ngày 20 hằng tháng.",
)
OBSTACLES = (
    "Nhà đầu tư chậm bổ sung hồ sơ; đề nghị Lãnh đạo Ban có văn bản đôn đốc.",
    "Chờ ý kiến của Bộ, ngành Trung ương; đề xuất điều chỉnh thời hạn sang quý III/2026.",
)


def _progress(i: int) -> float | str | None:
    """What a department typed: mostly a number, sometimes text, sometimes nothing."""
    if i % 23 == 0:
        return None
    if i % 17 == 0:
        return "Hoàn thành"
    if i % 11 == 0:
        return f"{(i * 37) % 100},5"
    return (i * 37) % 101


def _weights(n: int) -> list[float]:
    """``n`` weights in points, two decimals, summing to exactly 100."""
    base = round(100 / n, 2)
    return [base] * (n - 1) + [round(100 - base * (n - 1), 2)]


def units_for(rows: int, tabs: int) -> list[UnitSpec]:
    """``rows`` KPIs spread over ``tabs`` units as evenly as possible."""
    units = []
    seq = 0
    for u in range(tabs):
        count = rows // tabs + (1 if u < rows % tabs else 0)
        kpis = []
        for i, weight in enumerate(_weights(count), start=1):
            seq += 1
            progress = _progress(seq)
            kpis.append(KpiSpec(
                code=f"ĐV{u + 1:03d}-{i:04d}",
                title=f"{TASKS[seq % len(TASKS)]} số {i} của Phòng {u + 1} theo Kế hoạch năm {YEAR}",
                weight=weight,
                deadline=DEADLINES[seq % len(DEADLINES)],
                output="Báo cáo, văn bản trình UBND tỉnh",
                progress=progress,
                result=RESULTS[seq % len(RESULTS)] if progress else "",
                obstacles=OBSTACLES[seq % len(OBSTACLES)] if seq % 3 == 0 else "",
                completed_on=dt.date(2026, 6, 10) if progress == "Hoàn thành" else None,
            ))
        units.append(UnitSpec(code=f"ĐV{u + 1:03d}", name=f"Phòng nghiệp vụ số {u + 1}", kpis=kpis))
    return units


def history_for(units: list[UnitSpec]) -> dict[dt.date, dict[tuple[str, str], float]]:
    """Two earlier monthly reports of every KPI, a little behind today's figures; one KPI in five
    was not updated since (a "not-updated" warning)."""
    history: dict[dt.date, dict[tuple[str, str], float]] = {}
    for months_back, day in enumerate(reversed(HISTORY_DATES), start=1):
        history[day] = {
            (u.code, k.code): float(k.progress) - (0 if i % 5 == 0 else min(float(k.progress), 10 * months_back))
            for u in units for i, k in enumerate(u.kpis) if isinstance(k.progress, (int, float))
        }
    return history


def kpi_workbook(path: Path, rows: int, tabs: int) -> None:
    """The workbook sheetkpi reads: ``rows`` KPIs in ``tabs`` unit tabs."""
    settings = {
        **default_settings(YEAR), "agency": "BAN QUẢN LÝ KHU KINH TẾ (DỮ LIỆU ĐO HIỆU NĂNG)", "place": "Nghệ An",
        "report_date": REPORT_DATE,
    }
    units = units_for(rows, tabs)
    build_workbook(path, settings=settings, units=units, history=history_for(units))


def formula_workbook(source: Path, path: Path) -> None:
    """``source`` with Excel formulas where sheetkpi writes values: what a workbook recalculated by
    a spreadsheet program instead of sheetkpi holds.

    Per KPI row: the due date as a date (the spreadsheet cannot read "Quý II/2026", so a person
    types it), the scoring progress, the score, the status and the at-risk warning as formulas; the
    total row sums weights and scores; "Tổng hợp" counts statuses and sums scores per unit.
    """
    from openpyxl import load_workbook

    from sheetkpi.parsing.deadlines import parse_deadline
    from sheetkpi.structure import find_header
    from sheetkpi.workbook.reader import load_grids

    grids = load_grids(source)
    wb = load_workbook(source)
    cfg = f"'{layout.SHEET_CONFIG}'"
    setting_row = {key: layout.CONFIG_FIRST_ROW + i for i, key in enumerate(layout.SETTINGS_LABELS)}
    as_of = f"{cfg}!$B${setting_row['report_date']}"
    start = f"{cfg}!$B${setting_row['plan_start']}"
    threshold = f"{cfg}!$B${setting_row['risk_threshold']}"
    summary = wb[layout.SHEET_SUMMARY]
    out_row = layout.SUMMARY_HEADER_ROW + 1
    for name, grid in grids.items():
        found = find_header(grid) if name not in layout.NON_UNIT_SHEETS else None
        if not found:
            continue
        header, cols = found.last_row, found.columns
        ws = wb[name]
        letter = {f: ws.cell(header, c).column_letter for f, c in cols.items()}
        first = header + 1
        last = next(r for r in range(first, len(grid) + 1)
                    if grid[r - 1] and grid[r - 1][cols["code"] - 1].value == layout.TOTAL_LABEL) - 1
        for r in range(first, last + 1):
            due = parse_deadline(ws.cell(r, cols["deadline"]).value, YEAR).due
            ws.cell(r, cols["due"]).value = due
            p, d, q, s = (f"{letter[f]}{r}" for f in ("progress", "due", "effective_progress", "status"))
            ws.cell(r, cols["effective_progress"]).value = f"=IF(ISNUMBER({p}),MIN(100,MAX(0,{p})),0)"
            ws.cell(r, cols["score"]).value = f"=ROUND({letter['weight']}{r}*{q}/100,2)"
            ws.cell(r, cols["status"]).value = (
                f'=IF({q}>=100,"Hoàn thành",IF(AND(ISNUMBER({d}),{d}<{as_of}),"Quá hạn",'
                f'IF({q}<=0,"Chưa triển khai","Đang thực hiện")))'
            )
            ws.cell(r, cols["alerts"]).value = (
                f'=IF(AND({s}<>"Hoàn thành",{s}<>"Quá hạn",ISNUMBER({d})),IF(100*MAX(0,MIN(1,({as_of}-{start})'
                f'/MAX(1,{d}-{start})))-{q}>{threshold},"Nguy cơ chậm tiến độ",""),"")'
            )
        for f in ("weight", "score"):
            ws.cell(last + 1, cols[f]).value = f"=SUM({letter[f]}{first}:{letter[f]}{last})"
        status = f"'{name}'!${letter['status']}${first}:${letter['status']}${last}"
        score = f"'{name}'!${letter['score']}${first}:${letter['score']}${last}"
        summary.cell(out_row, 1).value = name
        summary.cell(out_row, 2).value = f"=ROWS({status})"
        summary.cell(out_row, 4).value = f"=SUM({score})"
        for col, word in zip(range(6, 10), ("Hoàn thành", "Đang thực hiện", "Chưa triển khai", "Quá hạn")):
            summary.cell(out_row, col).value = f'=COUNTIF({status},"{word}")'
        out_row += 1
    wb.save(path)
