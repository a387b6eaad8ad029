"""Real edits (issue #12): workbooks edited in LibreOffice itself through UNO, and made by openpyxl
and xlsxwriter (see ``tests/realedits.py`` and ``docs/real-edits.md``), each checked against the
figures an independent reading of SPEC §2 and §3 gives, written down here by hand.

Nothing expected is read from sheetkpi's output. The example's values (read once with openpyxl,
see the comments) give every figure: score = weight × min(progress, 100) / 100, rounded to 2
decimals; a unit's score total is the sum of its KPIs' scores; only KPI rows count.

For every case:
- ``check`` finds exactly the expected unit tabs, per unit the KPI rows (sheet rows after the edit),
  each row's score, the weight total and the score total, and the agency totals;
- after ``recalc`` the engine columns ("Hạn xác định", "Tiến độ tính điểm (%)", "Điểm quy đổi",
  "Trạng thái", "Cảnh báo") are written on the KPI rows and on the unit's total row only (score
  total there), and every other cell of every sheet but "Tổng hợp" and "Lịch sử" is unchanged;
- "Lịch sử" keeps every earlier report-date column and its dates in order.

Where the issue asks for a warning rather than a guess, :func:`assert_named_by_an_issue` only asks
that SOME issue names the sheet and rows concerned (the codes are the reader's to choose).
"""

from __future__ import annotations

import datetime as dt
import shutil
import time
import zipfile
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from openpyxl import load_workbook

import sheetkpi
from sheetkpi import api
from sheetkpi.errors import SheetkpiError
from sheetkpi.parsing.text import fold
from sheetkpi.reading import NON_UNIT_KEYS, read_grids
from sheetkpi.workbook import parallel
from sheetkpi.workbook.reader import load_grids

import lo_uno
import realedits

AS_OF = "2026-06-25"
OWNED_SHEETS = ("Tổng hợp", "Lịch sử")  # rewritten by sheetkpi: not compared cell by cell
ENGINE_LABELS = ("Hạn xác định", "Tiến độ tính điểm (%)", "Điểm quy đổi", "Trạng thái", "Cảnh báo")
STATUSES = {"Hoàn thành", "Đang thực hiện", "Chưa triển khai", "Quá hạn"}
CELL_MAX = 32767

# Row findings SPEC §2 makes on ordinary rows (late, at risk, trends, deadline text): they say nothing
# about a workbook's structure, so they do not count as "the warning that names these rows".
ROW_FINDINGS = {
    "overdue", "at-risk", "completed-late", "progress-missing", "progress-decreased", "not-updated",
    "deadline-unknown", "deadline-missing",
}
# Trend warnings read from "Lịch sử" (never across plan years).
TREND_CODES = {"progress-decreased", "not-updated"}


@dataclass(frozen=True)
class Unit:
    """What an independent reading of a unit tab gives."""

    sheet: str
    scores: dict[int, float]  # KPI sheet row -> "Điểm quy đổi"
    weight: float  # sum of the KPIs' weights
    score: float  # sum of the scores
    total_row: int | None  # the unit's existing total row
    header_rows: tuple[int, ...] = (4,)
    new_total_row: int | None = None  # without a total row: the empty row where sheetkpi may add one
    due: dict[int, dt.date] = field(default_factory=dict)  # KPI row -> resolved due date, where asked


# --- the example, read with openpyxl (values as typed; columns E weight, H progress) ------------------------------
# KHĐT rows 5-11: weights 20, 20, 20, 10, 10, 10, 10 (= 100); progress 90, 50, "45,5", 70, 40, 50, 0
#   scores 18, 10, 9.1, 7, 4, 5, 0 = 53.1; "Tổng cộng" on row 12 (=SUM(E5:E11)).
KHDT = Unit("KHĐT", {5: 18, 6: 10, 7: 9.1, 8: 7, 9: 4, 10: 5, 11: 0}, 100, 53.1, 12)
# XDMT rows 5-11: weights 20, 20, 10, 20, 10, 10, 10 (= 100); progress "80%", 40, 100, 35, 50, 45, 50
#   scores 16, 8, 10, 7, 5, 4.5, 5 = 55.5; total row 12.
XDMT = Unit("XDMT", {5: 16, 6: 8, 7: 10, 8: 7, 9: 5, 10: 4.5, 11: 5}, 100, 55.5, 12)
# DNLĐ rows 5-10: weights 20, 15, 20, 15, 10, 20 (= 100); progress 55, 40, 50, 35, 10, 50
#   scores 11, 6, 10, 5.25, 1, 10 = 43.25; total row 11.
DNLD = Unit("DNLĐ", {5: 11, 6: 6, 7: 10, 8: 5.25, 9: 1, 10: 10}, 100, 43.25, 11)
# VP rows 5-10: weights 15, 25, 20, 20, 10, 10 (= 100); progress 50, 40, 50, 5, 50, 45
#   scores 7.5, 10, 10, 1, 5, 4.5 = 38; total row 11.
VP = Unit("VP", {5: 7.5, 6: 10, 7: 10, 8: 1, 9: 5, 10: 4.5}, 100, 38, 11)
# BQLDA rows 5-10: weights 25, 25, 15, 15, 10, 10 (= 100); progress 30, 45, 30, 100, empty, 100
#   scores 7.5, 11.25, 4.5, 15, 0, 10 = 48.25; total row 11.
BQLDA = Unit("BQLDA", {5: 7.5, 6: 11.25, 7: 4.5, 8: 15, 9: 0, 10: 10}, 100, 48.25, 11)
BASE = (KHDT, XDMT, DNLD, VP, BQLDA)
# KHĐT with the yearless deadlines "30/4" (row 8) and "Quý III" (row 10) in plan year 2026.
YEARLESS_KHDT = Unit("KHĐT", KHDT.scores, 100, 53.1, 12, due={8: dt.date(2026, 4, 30), 10: dt.date(2026, 9, 30)})


def replace(*units: Unit) -> tuple[Unit, ...]:
    """The example's five units, those of the same sheet replaced by ``units``."""
    by_sheet = {u.sheet: u for u in units}
    return tuple(by_sheet.get(u.sheet, u) for u in BASE)


@dataclass(frozen=True)
class Case:
    units: tuple[Unit, ...]
    as_of: str = AS_OF
    warned: tuple[tuple[str, tuple[int, ...] | None], ...] = ()  # (sheet, rows or None): some issue names them


CASES: dict[str, Case] = {
    # Saved by LibreOffice, no edit.
    "lo_resave": Case(BASE),
    # Labels "Tổng", "Cộng", "Tổng số": the same rows are total rows; nothing else changes.
    "total_labels": Case(BASE),
    # KHĐT row 12 "Toàn phòng" =SUM(E5:E11), VP row 11 "Cả phòng" =SUBTOTAL(9;E5:E10): total rows.
    "total_by_formula": Case(BASE),
    # Signature block on KHĐT rows 14-19 (B15, E16, E19, H14, H15, H16, H19) under "Tổng cộng" (12).
    "signature_with_total": Case(BASE),
    # XDMT: total row deleted; KPIs 5-11, row 12 empty (sheetkpi may add its total there), signature
    # 13-18. DNLĐ: total row deleted; KPIs 5-10, signature from row 11 on: nowhere to add a total.
    "signature_no_total": Case(replace(
        Unit("XDMT", XDMT.scores, 100, 55.5, None, new_total_row=12),
        Unit("DNLĐ", DNLD.scores, 100, 43.25, None),
    )),
    # VP: section A on row 5, VP-01..04 on 6-9, section B on 10, header copy on 11, VP-05/06 on 12-13,
    # total on 14. Same weights and progress: 7.5, 10, 10, 1 | 5, 4.5 = 38.
    "repeated_header": Case(replace(Unit("VP", {6: 7.5, 7: 10, 8: 10, 9: 1, 12: 5, 13: 4.5}, 100, 38, 14))),
    # BQLDA: "I" on 5 (65), BQLDA-01..03 on 6-8, "II" on 9 (35), BQLDA-04..06 on 10-12, total 13.
    # DNLĐ: "A." on 5 (80), DNLĐ-01..05 on 6-10, "B." on 11 (20), DNLĐ-06 on 12, total 13.
    "group_rows": Case(replace(
        Unit("BQLDA", {6: 7.5, 7: 11.25, 8: 4.5, 10: 15, 11: 0, 12: 10}, 100, 48.25, 13),
        Unit("DNLĐ", {6: 11, 7: 6, 8: 10, 9: 5.25, 10: 1, 12: 10}, 100, 43.25, 13),
    )),
    # "XDMT 2025" (a copy of XDMT, all progress 100) and "Mẫu" (header only) are not units: "Cấu hình"
    # lists the five. They are reported, not totalled: the agency totals stay 32 KPIs, 500, 238.1.
    "extra_tabs": Case(BASE, warned=(("XDMT 2025", None), ("Mẫu", None))),
    # Settings moved one column right under merged labels: same units and figures (settings: below).
    "config_merged": Case(BASE),
    # "Kỳ đánh giá" is not a label sheetkpi can know: the plan year (2026) is taken from the report
    # date or the deadlines, and said so on "Cấu hình". KHĐT-04 "30/4" -> 30/04/2026, KHĐT-06
    # "Quý III" -> 30/09/2026 (figures unchanged).
    "plan_year_label": Case(replace(YEARLESS_KHDT), warned=(("Cấu hình", None),)),
    # "Năm KH": read as the plan year (an abbreviation sheetkpi may know) or inferred; 2026 either way.
    "plan_year_short_label": Case(replace(YEARLESS_KHDT)),
    # VP weights 0.15, 0.25, 0.2, 0.2, 0.1, 0.1 formatted as percentages: read as 15, 25, 20, 20, 10, 10.
    "weights_percent": Case(BASE),
    # Plan year 2027, every KPI at 10 %, as of 25/01/2027: score = weight / 10, 10 per unit.
    "next_year": Case((
        Unit("KHĐT", {5: 2, 6: 2, 7: 2, 8: 1, 9: 1, 10: 1, 11: 1}, 100, 10, 12),
        Unit("XDMT", {5: 2, 6: 2, 7: 1, 8: 2, 9: 1, 10: 1, 11: 1}, 100, 10, 12),
        Unit("DNLĐ", {5: 2, 6: 1.5, 7: 2, 8: 1.5, 9: 1, 10: 2}, 100, 10, 11),
        Unit("VP", {5: 1.5, 6: 2.5, 7: 2, 8: 2, 9: 1, 10: 1}, 100, 10, 11),
        Unit("BQLDA", {5: 2.5, 6: 2.5, 7: 1.5, 8: 1.5, 9: 1, 10: 1}, 100, 10, 11),
    ), as_of="2027-01-25"),
    # "Tiến độ thực hiện (%)", "Tỷ lệ hoàn thành (%)", "Trọng số (%)": the same columns.
    "header_wordings": Case(BASE),
    # KHĐT-04's obstacles are 32,767 characters: figures unchanged, the run completes.
    "long_obstacles": Case(BASE),
    # DNLĐ rows 9 and 10 without code, same title: still two KPIs (10 -> 1, 20 -> 10); a warning names them.
    "no_code_same_title": Case(BASE, warned=(("DNLĐ", (9, 10)),)),
    # XDMT-02 (row 6, weight 20) progress "đang làm": an error on H6, scores 0: 55.5 - 8 = 47.5.
    "invalid_progress": Case(
        replace(Unit("XDMT", {5: 16, 6: 0, 7: 10, 8: 7, 9: 5, 10: 4.5, 11: 5}, 100, 47.5, 12)),
        warned=(("XDMT", (6,)),),
    ),
    # XDMT-02 (row 6, weight 20, 8 points) =1/0 and XDMT-03 (row 7, weight 10, 10 points) =NA(): error values
    # that python-calamine reads as empty; the pre-pass gives them back: errors on H6 and H7, both score 0:
    # 55.5 - 8 - 10 = 37.5.
    "error_values": Case(
        replace(Unit("XDMT", {5: 16, 6: 0, 7: 0, 8: 7, 9: 5, 10: 4.5, 11: 5}, 100, 37.5, 12)),
        warned=(("XDMT", (6, 7)),),
    ),
    # KHĐT: KHĐT-01 weight 10 (9 points), new KHĐT-08 on row 9 (10 × 20 % = 2), row 10 empty,
    # KHĐT-05..07 on 11-13, total 14: 9 + 10 + 9.1 + 7 + 2 + 4 + 5 + 0 = 46.1; weights 100.
    "insert_new_kpi": Case(replace(
        Unit("KHĐT", {5: 9, 6: 10, 7: 9.1, 8: 7, 9: 2, 11: 4, 12: 5, 13: 0}, 100, 46.1, 14)
    )),
    # XDMT-04 (weight 20, 7 points) deleted: weights 80, scores 48.5, total row 11.
    "delete_kpi": Case(replace(Unit("XDMT", {5: 16, 6: 8, 7: 10, 8: 5, 9: 4.5, 10: 5}, 80, 48.5, 11))),
    # VP: "% tiến độ" now E, "Trọng số (điểm)" F; same rows and figures.
    "move_column": Case(BASE),
    # BQLDA sorted by weight ascending (a stable sort): rows 5-10 hold BQLDA-05, -06, -03, -04, -01, -02.
    "sort_by_weight": Case(replace(Unit("BQLDA", {5: 0, 6: 10, 7: 4.5, 8: 15, 9: 7.5, 10: 11.25}, 100, 48.25, 11))),
    # XDMT rows 5, 6, 8, 10 hidden by the autofilter, column G hidden: hidden KPIs still count.
    "autofilter_hidden": Case(BASE),
    # "Hướng dẫn" and "Cấu hình" protected.
    "protected_sheets": Case(BASE),
    # KHĐT: B12:D12, I5:I6, J10:J11 merged.
    "merged_cells": Case(BASE),
    # VP progress 50 % (0.5, percent format), "40 %", "Hoàn thành" (100), "5,5":
    # 7.5, 10, 20 × 100 % = 20, 20 × 5.5 % = 1.1, 5, 4.5 = 48.1.
    "typed_values": Case(replace(Unit("VP", {5: 7.5, 6: 10, 7: 20, 8: 1.1, 9: 5, 10: 4.5}, 100, 48.1, 11))),
    # VP column L "=H5>=50" (TRUE) and "=H6>=50" (FALSE), read as logical values; progress typed 1
    # on row 7 and 0 on row 8: 7.5, 10, 20 × 1 % = 0.2, 20 × 0 % = 0, 5, 4.5 = 27.2.
    "true_false_beside_figures": Case(replace(Unit("VP", {5: 7.5, 6: 10, 7: 0.2, 8: 0, 9: 5, 10: 4.5}, 100, 27.2, 11))),
    # The tab "VP" renamed "Văn phòng" (and so listed in "Cấu hình").
    "renamed_unit": Case(tuple(Unit("Văn phòng", VP.scores, 100, 38, 11) if u is VP else u for u in BASE)),
    # openpyxl: two-row header (4-5), KPIs on 6-12, "Tổng cộng" on 13; KHĐT without engine columns.
    "openpyxl_two_row_header": Case((
        Unit("KHĐT", {r + 1: s for r, s in KHDT.scores.items()}, 100, 53.1, 13, header_rows=(4, 5)),
        Unit("XDMT", {r + 1: s for r, s in XDMT.scores.items()}, 100, 55.5, 13, header_rows=(4, 5)),
    )),
    # xlsxwriter: KHĐT in an Excel table, header 4, KPIs 5-11, the table's totals row 12.
    "xlsxwriter_table": Case((KHDT,)),
    # The example with every SpreadsheetML part under the prefix "ns2:": the example's figures.
    "prefixed_namespaces": Case(BASE),
}
REFUSED = "missing_progress_column"  # BQLDA without a progress column: refused (exit 4), see its test


# --- building the files once --------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> dict[str, Path | str]:
    """Every case's file, or why it could not be made (a skip reason). One LibreOffice for all."""
    out = tmp_path_factory.mktemp("real-edits")
    made: dict[str, Path | str] = {}
    if not lo_uno.find_soffice():
        made.update(dict.fromkeys(realedits.UNO_CASES, "LibreOffice (soffice) is not installed"))
    elif not lo_uno.uno_python():
        made.update(dict.fromkeys(realedits.UNO_CASES, "no Python can import uno (python3-uno)"))
    else:
        made.update(realedits.build_uno_cases(out))
    for name in realedits.PRODUCER_CASES:
        try:
            made.update({p.stem: p for p in realedits.build_producers(out, [name])})
        except ImportError as exc:
            made[name] = f"{exc.name} is not installed"
    return made


def case_file(built: dict[str, Path | str], name: str, tmp_path: Path) -> Path:
    """A private copy of the case's file (sheetkpi writes in place)."""
    made = built.get(name)
    if not isinstance(made, Path):
        pytest.skip(made or f"{name} was not built")
    path = tmp_path / made.name
    shutil.copyfile(made, path)
    return path


# --- the one place where "a warning names these rows" is decided -----------------------------------------------


def _row_of(cell: str | None) -> int | None:
    digits = "".join(ch for ch in cell or "" if ch.isdigit())
    return int(digits) if digits else None


def assert_named_by_an_issue(evaluation, sheet: str, rows: tuple[int, ...] | None = None) -> None:
    """Some issue (other than an ordinary row finding) is on ``sheet`` and, if ``rows`` are given, on a
    cell of one of them. Loose on purpose: the codes are the reader's to choose; tighten here."""
    found = [
        i for i in evaluation.issues
        if i.sheet == sheet and i.code not in ROW_FINDINGS and (rows is None or _row_of(i.cell) in rows)
    ]
    where = f"'{sheet}'" + (f" rows {list(rows)}" if rows else "")
    assert found, f"no issue names {where}; issues there: " + "; ".join(
        f"{i.code} {i.cell}" for i in evaluation.issues if i.sheet == sheet
    )


# --- the figures ----------------------------------------------------------------------------------------------------


def test_expectations_add_up():
    """The figures written above are consistent with themselves (a check of this file, not of sheetkpi)."""
    for name, case in CASES.items():
        for unit in case.units:
            assert round(sum(unit.scores.values()), 2) == pytest.approx(unit.score), (name, unit.sheet)
            assert unit.total_row is None or unit.total_row not in unit.scores, (name, unit.sheet)


def figure_problems(evaluation, case: Case) -> list[str]:
    """Every difference between what sheetkpi read and the expectation, one line each."""
    problems = []
    got = {u.unit.sheet: u for u in evaluation.units}
    want = {u.sheet: u for u in case.units}
    if sorted(got) != sorted(want):
        problems.append(f"unit tabs: expected {sorted(want)}, got {sorted(got)}")
    for sheet, unit in want.items():
        result = got.get(sheet)
        if result is None:
            continue
        rows = {k.kpi.row: k for k in result.kpis}
        if sorted(rows) != sorted(unit.scores):
            problems.append(f"{sheet}: KPI rows expected {sorted(unit.scores)}, got {sorted(rows)}")
        for row, score in unit.scores.items():
            if row in rows and rows[row].score != pytest.approx(score, abs=0.005):
                problems.append(f"{sheet}!row {row}: score expected {score}, got {rows[row].score}")
        for row, due in unit.due.items():
            if row in rows and rows[row].kpi.deadline.due != due:
                problems.append(f"{sheet}!row {row}: due expected {due}, got {rows[row].kpi.deadline.due}")
        if result.weight_total != pytest.approx(unit.weight, abs=0.005):
            problems.append(f"{sheet}: weight total expected {unit.weight}, got {result.weight_total}")
        if result.score_total != pytest.approx(unit.score, abs=0.005):
            problems.append(f"{sheet}: score total expected {unit.score}, got {result.score_total}")
    totals = evaluation.totals
    expected = {
        "kpi_count": sum(len(u.scores) for u in case.units),
        "weight_total": sum(u.weight for u in case.units),
        "score_total": round(sum(u.score for u in case.units), 2),
    }
    for key, value in expected.items():
        if totals[key] != pytest.approx(value, abs=0.005):
            problems.append(f"agency {key}: expected {value}, got {totals[key]}")
    return problems


@pytest.mark.parametrize("name", list(CASES))
def test_check_gives_the_independent_figures(built, name, tmp_path):
    case = CASES[name]
    evaluation = sheetkpi.check(case_file(built, name, tmp_path), as_of=case.as_of)
    problems = figure_problems(evaluation, case)
    assert not problems, "\n".join(problems)
    for sheet, rows in case.warned:
        assert_named_by_an_issue(evaluation, sheet, rows)


class _SlowTabs(Mapping):
    """A workbook's grids, each tab that may be a unit tab handed over after a pause: the second
    reading process, started meanwhile, then reads the last of them."""

    def __init__(self, grids, seconds: float) -> None:
        self._grids, self._seconds = grids, seconds
        self.asked: list[str] = []  # the tabs this process read

    def __getitem__(self, name):
        self.asked.append(name)
        if fold(name) not in NON_UNIT_KEYS:
            time.sleep(self._seconds)
        return self._grids[name]

    def __iter__(self):
        return iter(self._grids)

    def __len__(self) -> int:
        return len(self._grids)

    def __contains__(self, name) -> bool:
        return name in self._grids


@pytest.mark.parametrize("name", list(CASES))
def test_two_reading_processes_give_the_independent_figures(built, name, tmp_path):
    """The same hand-written figures when the last unit tabs are read by a second process
    (sheetkpi.workbook.parallel), as large workbooks are."""
    case = CASES[name]
    path = case_file(built, name, tmp_path)
    with load_grids(path) as grids:
        slow = _SlowTabs(grids, 0.25)
        data = read_grids(slow, path, read_tabs=parallel.TwoProcessReader(path, grids))
    evaluation = api.evaluate_for_reading(data, case.as_of)
    problems = figure_problems(evaluation, case)
    assert not problems, "\n".join(problems)
    units = {u.unit.sheet for u in evaluation.units}
    if len(units) > 1:  # (a single tab is this process's first chunk)
        assert units - set(slow.asked), "the second process read no unit tab"


# --- what recalc writes -----------------------------------------------------------------------------------------


def cells_of(path: Path) -> dict[str, dict[tuple[int, int], object]]:
    """Every non-empty cell of every sheet (formulas as their text), by sheet and (row, column)."""
    wb = load_workbook(path)
    try:
        return {
            ws.title: {(c.row, c.column): c.value for row in ws.iter_rows() for c in row if c.value is not None}
            for ws in wb.worksheets
        }
    finally:
        wb.close()


def engine_columns(cells: dict[tuple[int, int], object], header_rows: tuple[int, ...]) -> dict[str, int]:
    """Engine label -> column, found by its exact header text on the header rows."""
    found = {}
    for (row, col), value in sorted(cells.items()):
        if row in header_rows and isinstance(value, str) and value.strip() in ENGINE_LABELS:
            found.setdefault(value.strip(), col)
    return found


def recalc_problems(before, after, case: Case) -> list[str]:
    problems = []
    added = set(after) - set(before)
    if added - set(OWNED_SHEETS):
        problems.append(f"sheets added: {sorted(added - set(OWNED_SHEETS))}")
    if set(before) - set(after):
        problems.append(f"sheets lost: {sorted(set(before) - set(after))}")
    allowed: dict[str, set[tuple[int, int]]] = {}
    for unit in case.units:
        cells_after = after.get(unit.sheet, {})
        columns = engine_columns(cells_after, unit.header_rows)
        missing = [label for label in ENGINE_LABELS if label not in columns]
        if missing:
            problems.append(f"{unit.sheet}: no engine header {missing} on rows {list(unit.header_rows)}")
        ok = allowed.setdefault(unit.sheet, set())
        rows = set(unit.scores) | ({unit.total_row} if unit.total_row else set())
        ok |= {(r, c) for r in rows for c in columns.values()}
        # engine headers sheetkpi adds where the workbook lacked them
        ok |= {(r, c) for r in unit.header_rows for c in columns.values() if (r, c) not in before[unit.sheet]}
        new_row = unit.new_total_row
        if new_row and not any(r == new_row for r, _ in before[unit.sheet]):
            ok |= {(r, c) for r, c in cells_after if r == new_row}  # a total row sheetkpi adds: label, weight…
        score_col = columns.get("Điểm quy đổi")
        status_col = columns.get("Trạng thái")
        for row, score in unit.scores.items():
            value = cells_after.get((row, score_col))
            if not isinstance(value, (int, float)) or value != pytest.approx(score, abs=0.005):
                problems.append(f"{unit.sheet}!row {row}: 'Điểm quy đổi' expected {score}, got {value!r}")
            if cells_after.get((row, status_col)) not in STATUSES:
                problems.append(f"{unit.sheet}!row {row}: 'Trạng thái' is {cells_after.get((row, status_col))!r}")
        if unit.total_row:
            value = cells_after.get((unit.total_row, score_col))
            if not isinstance(value, (int, float)) or value != pytest.approx(unit.score, abs=0.005):
                problems.append(f"{unit.sheet}!row {unit.total_row} (total): 'Điểm quy đổi' expected {unit.score}, "
                                f"got {value!r}")
        due_col = columns.get("Hạn xác định")
        for row, due in unit.due.items():
            value = cells_after.get((row, due_col))
            if not (isinstance(value, dt.datetime) and value.date() == due):
                problems.append(f"{unit.sheet}!row {row}: 'Hạn xác định' expected {due}, got {value!r}")
    for sheet, cells in before.items():
        if sheet in OWNED_SHEETS or sheet not in after:
            continue
        ok = allowed.get(sheet, set())
        changed = sorted(
            (r, c) for r, c in set(cells) | set(after[sheet])
            if cells.get((r, c)) != after[sheet].get((r, c)) and (r, c) not in ok
        )
        if changed:
            shown = ", ".join(
                f"{_a1(r, c)} {cells.get((r, c))!r:.30} -> {after[sheet].get((r, c))!r:.30}" for r, c in changed[:8]
            )
            problems.append(f"'{sheet}': {len(changed)} cells changed outside KPI/total rows' engine cells: {shown}")
    return problems


def _a1(row: int, col: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(col)}{row}"


@pytest.mark.parametrize("name", list(CASES))
def test_recalc_writes_engine_cells_only_on_kpi_and_total_rows(built, name, tmp_path):
    case = CASES[name]
    path = case_file(built, name, tmp_path)
    before = cells_of(path)
    sheetkpi.recalc(path, as_of=case.as_of)
    problems = recalc_problems(before, cells_of(path), case)
    assert not problems, "\n".join(problems)


# --- "Lịch sử" -----------------------------------------------------------------------------------------------------


def history_of(path: Path) -> tuple[list[dt.date], list[tuple[str, str, dt.date, object]]]:
    """"Lịch sử" as (report dates in column order, [(unit, code or title, date, value)] non-empty)."""
    wb = load_workbook(path)
    try:
        if "Lịch sử" not in wb.sheetnames:
            return [], []
        ws = wb["Lịch sử"]
        header = next((r for r in range(1, 16) if ws.cell(r, 1).value == "Mã đơn vị"), None)
        if header is None:
            return [], []
        dates = {c: ws.cell(header, c).value.date() for c in range(1, ws.max_column + 1)
                 if isinstance(ws.cell(header, c).value, dt.datetime)}
        points = []
        for r in range(header + 1, ws.max_row + 1):
            unit, key = ws.cell(r, 1).value, ws.cell(r, 2).value or ws.cell(r, 3).value
            for c, day in dates.items():
                value = ws.cell(r, c).value
                if value is not None and value != "":
                    points.append((unit, key, day, value))
        return [dates[c] for c in sorted(dates)], points
    finally:
        wb.close()


@pytest.mark.parametrize("name", list(CASES))
def test_recalc_keeps_earlier_history_columns_in_date_order(built, name, tmp_path):
    case = CASES[name]
    path = case_file(built, name, tmp_path)
    as_of = dt.date.fromisoformat(case.as_of)
    _, old = history_of(path)
    sheetkpi.recalc(path, as_of=case.as_of)
    dates, new = history_of(path)
    assert dates == sorted(dates), f"report-date columns out of order: {dates}"
    assert as_of in dates or not old
    lost = Counter(p for p in old if p[2] != as_of) - Counter(new)
    assert not lost, f"earlier history changed: {sorted(lost)[:5]}"


def history_at(path: Path, day: dt.date) -> list[tuple[str, str, object]]:
    return [(unit, key, value) for unit, key, d, value in history_of(path)[1] if d == day]


# --- cases with more to say ------------------------------------------------------------------------------------------


def test_refused_without_progress_column_naming_sheet_and_headers(built, tmp_path):
    """BQLDA (listed in "Cấu hình") has no progress column: refused with exit code 4, the message names
    the sheet and the header text found where a person would look; nothing is written."""
    path = case_file(built, REFUSED, tmp_path)
    original = path.read_bytes()
    for run in (lambda: sheetkpi.check(path, as_of=AS_OF), lambda: sheetkpi.recalc(path, as_of=AS_OF)):
        with pytest.raises(SheetkpiError) as refused:
            run()
        assert refused.value.exit_code == 4
        assert "BQLDA" in refused.value.message and "Ghi chú tháng 6" in refused.value.message, refused.value.message
    assert path.read_bytes() == original


def test_merged_config_labels_are_read(built, tmp_path):
    """Labels merged over A:B, values in C: every setting is read (none silently empty)."""
    settings = sheetkpi.check(case_file(built, "config_merged", tmp_path), as_of=AS_OF).settings
    assert settings.parent_agency == "UBND TỈNH NGHỆ AN"
    assert settings.agency == "BAN QUẢN LÝ KHU KINH TẾ ĐÔNG NAM NGHỆ AN"
    assert settings.plan_year == 2026
    assert settings.report_date == dt.date(2026, 6, 25)
    assert settings.place == "Nghệ An"
    assert settings.signer == "Nguyễn Văn A"
    assert settings.signer_title == "CHÁNH VĂN PHÒNG"


def test_unknown_plan_year_label_is_not_replaced_by_the_clock_silently(built, tmp_path):
    """"Kỳ đánh giá": plan year 2026 (the report date's, the deadlines'), said in a warning on "Cấu hình".
    (While the clock's year is 2026 only the warning tells a guess from the clock apart.)"""
    evaluation = sheetkpi.check(case_file(built, "plan_year_label", tmp_path), as_of=AS_OF)
    assert evaluation.settings.plan_year == 2026
    assert_named_by_an_issue(evaluation, "Cấu hình")


def test_weights_as_percentages_read_as_shown(built, tmp_path):
    """VP's 15 % … 10 % are the weights 15 … 10: no "Tổng trọng số 1 ≠ 100"."""
    evaluation = sheetkpi.check(case_file(built, "weights_percent", tmp_path), as_of=AS_OF)
    vp = next(u for u in evaluation.units if u.unit.sheet == "VP")
    assert [k.kpi.weight for k in vp.kpis] == [15, 25, 20, 20, 10, 10]
    assert not [i for i in evaluation.issues if i.code == "weight-sum-mismatch"]


def test_next_year_copy_has_no_trend_warnings_across_years(built, tmp_path):
    """History ends 25/12/2026 at 100 %; January 2027 at 10 % is a new plan year, not a fall."""
    evaluation = sheetkpi.check(case_file(built, "next_year", tmp_path), as_of="2027-01-25")
    assert evaluation.settings.plan_year == 2027
    trends = [f"{i.code} {i.sheet}!{i.cell}" for i in evaluation.issues if i.code in TREND_CODES]
    assert not trends, f"{len(trends)} trend warnings across plan years: {trends[:5]}"


def test_long_obstacles_text_does_not_stop_the_run(built, tmp_path):
    """A 32,767-character cell on a late KPI: recalc completes; nothing sheetkpi writes exceeds a cell."""
    path = case_file(built, "long_obstacles", tmp_path)
    sheetkpi.recalc(path, as_of=AS_OF)
    after = cells_of(path)
    assert len(after["KHĐT"][(8, 10)]) == realedits.LONG_TEXT_LEN  # the department's text, untouched
    too_long = [(sheet, _a1(*rc)) for sheet in OWNED_SHEETS for rc, v in after.get(sheet, {}).items()
                if isinstance(v, str) and len(v) > CELL_MAX]
    assert not too_long


def test_kpis_without_code_with_the_same_title_keep_two_history_rows(built, tmp_path):
    """DNLĐ's two code-less KPIs (10 % and 50 %) are both recorded at 25/06/2026."""
    path = case_file(built, "no_code_same_title", tmp_path)
    sheetkpi.recalc(path, as_of=AS_OF)
    values = sorted(v for unit, _key, v in history_at(path, dt.date(2026, 6, 25)) if unit == "DNLĐ")
    assert values == [10, 35, 40, 50, 50, 55]


def test_invalid_progress_is_recorded_empty_in_history(built, tmp_path):
    """XDMT-02 "đang làm": its 25/06/2026 history cell stays empty (not 0); the others are recorded."""
    path = case_file(built, "invalid_progress", tmp_path)
    sheetkpi.recalc(path, as_of=AS_OF)
    recorded = {key: v for unit, key, v in history_at(path, dt.date(2026, 6, 25)) if unit == "XDMT"}
    assert "XDMT-02" not in recorded
    assert recorded == {"XDMT-01": 80, "XDMT-03": 100, "XDMT-04": 35, "XDMT-05": 50, "XDMT-06": 45, "XDMT-07": 50}


def test_a_typed_0_and_1_beside_logical_values_are_figures_and_the_logical_values_read_as_shown(built, tmp_path):
    """VP column L holds TRUE (row 5) and FALSE (row 6), progress is typed 1 on VP-03 and 0 on VP-04:
    1 and 0 are recorded as typed, with no "invalid progress" (FALSE is no 0), and the logical values
    read as Calc shows them (TRUE is no 1: the sheet has a 1 before it, in "STT")."""
    path = case_file(built, "true_false_beside_figures", tmp_path)
    evaluation = sheetkpi.check(path, as_of=AS_OF)
    vp = {k.kpi.row: k.kpi for u in evaluation.units if u.unit.sheet == "VP" for k in u.kpis}
    assert (vp[5].measure_unit, vp[6].measure_unit) == ("TRUE", "FALSE")
    unread = ("progress-invalid", "progress-missing")
    assert not [i.cell for i in evaluation.issues if i.sheet == "VP" and i.code in unread]
    sheetkpi.recalc(path, as_of=AS_OF)
    recorded = {key: v for unit, key, v in history_at(path, dt.date(2026, 6, 25)) if unit == "VP"}
    assert recorded == {"VP-01": 50, "VP-02": 40, "VP-03": 1, "VP-04": 0, "VP-05": 50, "VP-06": 45}


def test_error_values_typed_in_libreoffice_are_named_as_shown(built, tmp_path):
    """=1/0 and =NA() in XDMT's progress: each an invalid progress naming its cell and the error as
    LibreOffice shows it; neither recorded in "Lịch sử"."""
    path = case_file(built, "error_values", tmp_path)
    evaluation = sheetkpi.check(path, as_of=AS_OF)
    invalid = {i.cell: i.params["value"] for i in evaluation.issues if i.code == "progress-invalid"}
    assert invalid == {"H6": "#DIV/0!", "H7": "#N/A"}
    sheetkpi.recalc(path, as_of=AS_OF)
    recorded = {key for unit, key, _ in history_at(path, dt.date(2026, 6, 25)) if unit == "XDMT"}
    assert recorded == {"XDMT-01", "XDMT-04", "XDMT-05", "XDMT-06", "XDMT-07"}


def test_deleted_kpi_flags_the_weight_sum(built, tmp_path):
    """XDMT's weights sum to 80 after a KPI is deleted: SPEC's "weight-sum-mismatch" on XDMT."""
    evaluation = sheetkpi.check(case_file(built, "delete_kpi", tmp_path), as_of=AS_OF)
    assert [i.sheet for i in evaluation.issues if i.code == "weight-sum-mismatch"] == ["XDMT"]


def test_a_kpi_added_in_libreoffice_after_a_run_is_scored_when_clicked_again(tmp_path):
    """The month after a run: KHĐT's department opens the recalculated workbook in LibreOffice and
    makes the edit of "insert_new_kpi" (KHĐT-08 typed in a row inserted below KHĐT-04, an empty row
    under it, KHĐT-01's weight cut to 10); the Office clicks again for the same date. The new row's
    status is empty, so the tab is read without the fingerprint of its engine cells and written: the
    figures by hand are that case's (KHĐT-08 10 × 20 % = 2, total 46.1 on row 14). The four tabs
    nobody touched read as they were written, fingerprint and all, and hold the same cells after."""
    if not lo_uno.find_soffice() or not lo_uno.uno_python():
        pytest.skip("LibreOffice with python3-uno is needed to edit the workbook in it")
    once = tmp_path / "once.xlsx"
    shutil.copyfile(realedits.EXAMPLE, once)
    sheetkpi.recalc(once, as_of=AS_OF)
    path = realedits.build_uno_cases(tmp_path / "edited", ["insert_new_kpi"], source=once)["insert_new_kpi"]
    layouts = api.load(path).units
    assert layouts["KHĐT"].engine_digest is None
    assert all(layouts[u.sheet].engine_digest is not None for u in BASE if u.sheet != "KHĐT")
    before = cells_of(path)
    assert (9, 2) in before["KHĐT"] and (9, 19) not in before["KHĐT"]  # KHĐT-08 typed, its status empty
    sheetkpi.recalc(path, as_of=AS_OF)
    after = cells_of(path)
    problems = recalc_problems(before, after, CASES["insert_new_kpi"])
    assert not problems, "\n".join(problems)
    # KHĐT-08, 20 % at 25/06, due 30/09: in progress (and behind the pace); the empty row gets nothing.
    assert after["KHĐT"][(9, 19)] == "Đang thực hiện" and (10, 19) not in after["KHĐT"]
    assert all(before[u.sheet] == after[u.sheet] for u in BASE if u.sheet != "KHĐT")


@pytest.mark.parametrize("name", list(CASES))
def test_unit_tabs_rendered_by_a_second_process_or_in_windows_give_the_same_workbook(built, name, tmp_path,
                                                                                     monkeypatch):
    """Each case recalculated twice (the same date again: the keep checks) with SHEETKPI_PROCESSES=2
    (every other unit tab rendered by a second process, "Lịch sử" held back meanwhile), =1, and =1
    with every sheet edited and checked in windows of a few rows (as a big sheet is, see
    _sheetxml.sheet_windows): the same parts, byte for byte, after each run (the run's time fixed)."""
    from sheetkpi.workbook import _sheetxml
    from sheetkpi.workbook.book import FileBook
    from sheetkpi.workbook.package import Package

    case = CASES[name]
    parts = {}
    for way, processes, window in (("one", "1", _sheetxml.WINDOW), ("two", "2", _sheetxml.WINDOW),
                                   ("windows", "1", 200)):
        monkeypatch.setenv(parallel.ENV, processes)
        monkeypatch.setattr(_sheetxml, "WINDOW", window)
        folder = tmp_path / way
        folder.mkdir()
        path = case_file(built, name, folder)
        for run in (1, 2):
            package = Package.open(path)
            api.recalculate(FileBook(path, package), case.as_of, run_at=dt.datetime(2026, 7, 26, 8, 30))
            package.save(path)
            with zipfile.ZipFile(path) as zf:
                parts[way, run] = {info.filename: zf.read(info) for info in zf.infolist()}
    for way in ("two", "windows"):
        for run in (1, 2):
            assert [p for p in parts["one", run] if parts["one", run][p] != parts[way, run].get(p)] == [], (way, run)
            assert list(parts["one", run]) == list(parts[way, run])
