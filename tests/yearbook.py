"""A year of the Nghệ An example, made month by month as the Office would: twelve report dates
(25/01 to 25/12/2026), each one the departments' progress typed into the unit tabs (cells edited in
the XML, as tests/badinputs.set_cell_xml does) and a recalculation at that date. The progress is
generated (a steady pace per KPI) with the events a quarterly review must find: falls, stalls,
KPIs that finish after their deadline (with and without a completion date), KPIs still open at
the year's end, one due after the year, and a KPI added in July (VP-07, its weight taken from
VP-02). Two units name a "Người phụ trách" for their KPIs (one name, two names, none).

Shared by tests/test_review.py and scripts/render_review.py (the page images in docs/review/).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from sheetkpi import layout as L
from sheetkpi.api import recalc
from sheetkpi.workbook.builder import build_workbook

from badinputs import set_cell_xml, text_cell
from support import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import build_example  # noqa: E402  (scripts/ is not a package)

YEAR = 2026
REPORTS = [dt.date(YEAR, month, 25) for month in range(1, 13)]
COL = {field: get_column_letter(i) for i, field in enumerate(L.COLUMNS, start=1)}
OWNERS_COL = get_column_letter(len(L.COLUMNS) + 1)  # "Người phụ trách", added right of the template's columns


def ramp(step: float, changes: dict[int, float] | None = None) -> tuple[float, ...]:
    """Progress at the twelve reports: ``step`` points a month, capped at 100; ``changes`` by month."""
    values = [min(100.0, step * month) for month in range(1, 13)]
    for month, value in (changes or {}).items():
        values[month - 1] = value
    return tuple(values)


# Progress at each report date (January to December); None: the KPI is not in the workbook yet.
PROGRESS: dict[str, tuple[float | None, ...]] = {
    "KHĐT-01": ramp(17),  # done at 25/06, due 30/06
    "KHĐT-02": ramp(9),
    "KHĐT-03": ramp(8),  # 96 in December: still open at the year's end
    "KHĐT-04": ramp(15, {5: 65, 6: 70, 7: 100}),  # due 30/04: late from May, done in July (date typed: 15/07)
    "KHĐT-05": ramp(12, {7: 90, 8: 100}),  # due 30/06: late in July, done in August (no date typed)
    "KHĐT-06": ramp(10, {5: 55, 6: 50, 9: 100}),  # falls in June (55 → 50)
    "KHĐT-07": (0, 0, 0, 0, 0, 0, 15, 30, 45, 60, 75, 90),  # stands at 0 for six reports
    "XDMT-01": (30, 55, 70, 80, 80, 80, 90, 100, 100, 100, 100, 100),  # due 30/03; stands at 80; done 10/08
    "XDMT-02": ramp(9),
    "XDMT-03": ramp(20),  # done at 25/05 (20/05 typed), due 30/06
    "XDMT-04": ramp(9),
    "XDMT-05": ramp(9),
    "XDMT-06": ramp(10, {7: 45, 9: 100}),  # falls in July (60 → 45)
    "XDMT-07": ramp(9),
    "DNLĐ-01": ramp(9),
    "DNLD-02": ramp(9),
    "DNLD-03": ramp(9),
    "DNLD-04": ramp(9),
    "DNLĐ-05": ramp(5, {9: 40, 10: 40, 11: 60, 12: 100}),  # due 31/08: late from September, done in December
    "DNLĐ-06": ramp(9),
    "VP-01": ramp(9),
    "VP-02": ramp(9),
    "VP-03": ramp(9),
    "VP-04": (0, 2, 5, 5, 5, 5, 15, 25, 35, 45, 50, 60),  # stands at 5 for four reports; open at the year's end
    "VP-05": ramp(9),
    "VP-06": ramp(9),
    "VP-07": (None,) * 6 + (20, 40, 60, 80, 100, 100),  # added in July, due 30/11
    "BQLDA-01": ramp(8),  # due 31/01/2027: not due at the year's end
    "BQLDA-02": ramp(9),
    "BQLDA-03": ramp(9),
    "BQLDA-04": ramp(9),
    "BQLDA-05": (0,) * 9 + (30, 60, 100),
    "BQLDA-06": ramp(20),
}
# "Ngày hoàn thành" typed at the report of that month.
COMPLETED = {"KHĐT-04": (7, "15/07/2026"), "XDMT-01": (8, "10/08/2026"), "XDMT-03": (5, "20/05/2026")}
# The KPI added in July, on the row under VP-06, with 10 of VP-02's 25 points.
ADDED = {"code": "VP-07", "title": "Số hóa hồ sơ lưu trữ giai đoạn 2026–2030", "weight": 10, "deadline": "30/11/2026"}
ADDED_MONTH = 7
REWEIGHTED = ("VP-02", 15)
OWNERS = {
    "KHĐT-01": "Nguyễn Văn An",
    "KHĐT-02": "Nguyễn Văn An, Trần Thị Bình",
    "KHĐT-03": "Trần Thị Bình",
    "KHĐT-04": "Lê Văn Cường; nguyễn văn  an",
    "KHĐT-06": "Đ/c Lê Văn Cường",
    "VP-01": "Hoàng Thị E",  # the head of the Office herself
    "VP-02": "Phạm Thị Dung",
    "VP-07": "Phạm Thị Dung",
}
OWNED_UNITS = ("KHĐT", "VP")


def rows() -> dict[str, tuple[str, int]]:
    """(sheet, row) of every KPI of the year, VP-07 included (the row left blank under VP-06)."""
    found = {}
    for unit in build_example.UNITS:
        for i, kpi in enumerate(unit.kpis):
            found[kpi.code] = (unit.code, L.UNIT_FIRST_KPI_ROW + i)
        if unit.code == "VP":
            found[ADDED["code"]] = (unit.code, L.UNIT_FIRST_KPI_ROW + len(unit.kpis))
    return found


def build(folder: Path) -> Path:
    """The workbook before its first report: the example's KPIs without progress or completion
    dates, a blank row under each unit's KPIs, no history; "Người phụ trách" on two unit tabs."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "BangGiaoKPI.xlsx"
    units = [dataclasses.replace(u, kpis=[dataclasses.replace(k, progress=None, completed_on=None, result="")
                                          for k in u.kpis]) for u in build_example.UNITS]
    build_workbook(path, settings={**build_example.SETTINGS, "report_date": None}, units=units, blank_rows=1)
    # A new file built here: openpyxl may save it (the Office's workbooks are never saved this way).
    wb = load_workbook(path)
    where = rows()
    for sheet in OWNED_UNITS:
        ws = wb[sheet]
        ws[f"{OWNERS_COL}{L.UNIT_HEADER_ROW}"] = L.OPTIONAL_COLUMNS["owners"]
        ws.column_dimensions[OWNERS_COL].width = 18
    for code, names in OWNERS.items():
        sheet, row = where[code]
        wb[sheet][f"{OWNERS_COL}{row}"] = names
    wb.save(path)
    return path


def type_month(path: Path, month: int) -> None:
    """What the departments type for the report of ``month``."""
    edits: dict[str, dict[str, tuple[str | None, str]]] = {}
    for code, (sheet, row) in rows().items():
        value = PROGRESS[code][month - 1]
        if value is not None:
            edits.setdefault(sheet, {})[f"{COL['progress']}{row}"] = (None, f"<v>{value:g}</v>")
    for code, (done_month, day) in COMPLETED.items():
        if done_month == month:
            sheet, row = rows()[code]
            edits[sheet][f"{COL['completed_on']}{row}"] = text_cell(day)
    if month == ADDED_MONTH:
        sheet, row = rows()[ADDED["code"]]
        for field in ("code", "title", "deadline"):
            edits[sheet][f"{COL[field]}{row}"] = text_cell(ADDED[field])
        edits[sheet][f"{COL['weight']}{row}"] = (None, f"<v>{ADDED['weight']}</v>")
        code, weight = REWEIGHTED
        sheet, row = rows()[code]
        edits[sheet][f"{COL['weight']}{row}"] = (None, f"<v>{weight}</v>")
    for sheet, cells in edits.items():
        set_cell_xml(path, sheet, cells)


def year(folder: Path, months: int = 12) -> Path:
    """The workbook after the first ``months`` monthly reports, each recalculated at its date."""
    path = build(folder)
    for month in range(1, months + 1):
        type_month(path, month)
        recalc(path, as_of=REPORTS[month - 1], keep_backup=False)
    return path
