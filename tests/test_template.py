"""The committed template and example: equal to a rebuild, laid out as layout.py says, opened by LibreOffice."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from sheetkpi import layout as L
from sheetkpi.model import DONE, LATE, NOT_STARTED
from sheetkpi.rules import evaluate
from sheetkpi.workbook.reader import read_workbook

import support

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "templates" / "BangGiaoKPI.xlsx"
EXAMPLE = ROOT / "examples" / "nghe-an-2026" / "BangGiaoKPI.xlsx"
SCRIPTS = {TEMPLATE: ROOT / "scripts" / "build_template.py", EXAMPLE: ROOT / "scripts" / "build_example.py"}
BOTH = pytest.mark.parametrize("path", [TEMPLATE, EXAMPLE], ids=["template", "example"])
COL = {field: get_column_letter(i) for i, field in enumerate(L.COLUMNS, start=1)}

EXAMPLE_CODES = {
    "KHĐT": ["KHĐT-01", "KHĐT-02", "KHĐT-03", "KHĐT-04", "KHĐT-05", "KHĐT-06", "KHĐT-07"],
    "XDMT": ["XDMT-01", "XDMT-02", "XDMT-03", "XDMT-04", "XDMT-05", "XDMT-06", "XDMT-07"],
    "DNLĐ": ["DNLĐ-01", "DNLD-02", "DNLD-03", "DNLD-04", "DNLĐ-05", "DNLĐ-06"],
    "VP": ["VP-01", "VP-02", "VP-03", "VP-04", "VP-05", "VP-06"],
    "BQLDA": ["BQLDA-01", "BQLDA-02", "BQLDA-03", "BQLDA-04", "BQLDA-05", "BQLDA-06"],
}


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _unit_sheets(wb) -> list:
    return [wb[name] for name in wb.sheetnames if name not in L.NON_UNIT_SHEETS]


def _kpi_rows(ws) -> list[int]:
    rows = []
    for row in range(L.UNIT_FIRST_KPI_ROW, ws.max_row + 1):
        if ws[f"{COL['code']}{row}"].value == L.TOTAL_LABEL:
            return rows
        if ws[f"{COL['code']}{row}"].value:
            rows.append(row)
    raise AssertionError(f"{ws.title}: no {L.TOTAL_LABEL} row")


@BOTH
def test_committed_file_equals_a_rebuild(path, tmp_path):
    rebuilt = tmp_path / "rebuilt.xlsx"
    subprocess.run([sys.executable, str(SCRIPTS[path]), str(rebuilt)], check=True)
    committed, fresh = _parts(path), _parts(rebuilt)
    assert list(fresh) == list(committed)
    for name in committed:
        assert fresh[name] == committed[name], f"{path.name}: {name} differs from a rebuild"


@BOTH
def test_sheets_headers_and_settings_follow_layout(path):
    wb = load_workbook(path)
    assert wb.sheetnames[:2] == [L.SHEET_GUIDE, L.SHEET_CONFIG]
    assert wb.sheetnames[-2:] == [L.SHEET_SUMMARY, L.SHEET_HISTORY]
    config = wb[L.SHEET_CONFIG]
    labels = [config.cell(L.CONFIG_FIRST_ROW + i, 1).value for i in range(len(L.SETTINGS_LABELS))]
    assert labels == list(L.SETTINGS_LABELS.values())
    assert isinstance(config.cell(L.CONFIG_FIRST_ROW + 4, 2).value, dt.datetime)  # plan start is a date cell
    header = [config.cell(L.CONFIG_UNITS_HEADER_ROW, c).value for c in range(1, len(L.UNITS_TABLE_HEADERS) + 1)]
    assert header == list(L.UNITS_TABLE_HEADERS.values())
    declared = [config.cell(r, 3).value for r in range(L.CONFIG_UNITS_FIRST_ROW, config.max_row + 1)]
    assert declared == [ws.title for ws in _unit_sheets(wb)]
    summary = wb[L.SHEET_SUMMARY]
    assert [c.value for c in summary[L.SUMMARY_HEADER_ROW]] == list(L.SUMMARY_UNIT_HEADERS)
    assert summary.cell(L.SUMMARY_TITLE_ROW, 1).value == L.SUMMARY_TITLE
    assert [summary.column_dimensions[c].width for c in "ABCO"] == [L.SUMMARY_WIDTHS[i] for i in (1, 2, 3, 15)]
    history = wb[L.SHEET_HISTORY]
    assert tuple(c.value for c in history[L.HISTORY_HEADER_ROW][:3]) == L.HISTORY_KEY_HEADERS


@BOTH
def test_unit_tabs_have_columns_validation_colours_and_print_setup(path):
    wb = load_workbook(path)
    for ws in _unit_sheets(wb):
        assert [c.value for c in ws[L.UNIT_HEADER_ROW]] == list(L.COLUMNS.values())
        assert ws.cell(L.UNIT_NAME_ROW, 1).value.startswith(L.UNIT_NAME_PREFIX)
        assert ws.freeze_panes == f"{COL['output']}{L.UNIT_FIRST_KPI_ROW}"
        first = L.UNIT_FIRST_KPI_ROW
        for field in L.ENGINE_COLUMNS:
            assert ws[f"{COL[field]}{first}"].fill.fgColor.rgb.endswith("F2F2F2"), field
        assert ws[f"{COL['progress']}{first}"].fill.fill_type is None

        progress = [dv for dv in ws.data_validations.dataValidation if f"{COL['progress']}{first}" in dv.sqref]
        assert len(progress) == 1
        assert progress[0].type == "list" and progress[0].errorStyle == "warning"
        assert progress[0].formula1 == '"0,10,20,30,40,50,60,70,80,90,100"'
        assert f"{COL['progress']}{first + 200}" in progress[0].sqref  # rows added later stay covered
        completed = [dv for dv in ws.data_validations.dataValidation if f"{COL['completed_on']}{first}" in dv.sqref]
        assert [dv.type for dv in completed] == ["date"]

        status_rules = [rule for cf in ws.conditional_formatting if f"{COL['status']}{first}" in cf.sqref
                        for rule in cf.rules]
        formulas = " ".join(f for rule in status_rules for f in rule.formula)
        for text in (LATE, DONE, NOT_STARTED):
            assert f'"{text}"' in formulas
        assert f"${COL['alerts']}{first}" in formulas

        setup = ws.page_setup
        assert (setup.orientation, setup.paperSize, setup.fitToWidth, setup.fitToHeight) == ("landscape", 9, 1, 0)
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.print_title_rows == f"${L.UNIT_HEADER_ROW}:${L.UNIT_HEADER_ROW}"
        assert ws.print_area


def test_template_has_one_placeholder_unit_with_blank_rows():
    wb = load_workbook(TEMPLATE)
    (ws,) = _unit_sheets(wb)
    assert ws[f"{COL['code']}{L.UNIT_FIRST_KPI_ROW + 10}"].value == L.TOTAL_LABEL
    blank = range(L.UNIT_FIRST_KPI_ROW, L.UNIT_FIRST_KPI_ROW + 10)
    assert all(ws[f"{COL['title']}{r}"].border.left.style and not ws[f"{COL['title']}{r}"].value for r in blank)
    config = wb[L.SHEET_CONFIG]
    assert config.cell(L.CONFIG_FIRST_ROW + 3, 2).value == 2026
    assert wb.properties.creator == "sheetkpi"


def test_example_holds_the_32_kpis_of_the_plan():
    wb = load_workbook(EXAMPLE)
    assert [ws.title for ws in _unit_sheets(wb)] == list(EXAMPLE_CODES)
    for ws in _unit_sheets(wb):
        rows = _kpi_rows(ws)
        assert [ws[f"{COL['code']}{r}"].value for r in rows] == EXAMPLE_CODES[ws.title]
        assert [ws[f"{COL['seq']}{r}"].value for r in rows] == list(range(1, len(rows) + 1))
        assert sum(ws[f"{COL['weight']}{r}"].value for r in rows) == 100
    deadlines = {ws[f"{COL['code']}{r}"].value: ws[f"{COL['deadline']}{r}"].value
                 for ws in _unit_sheets(wb) for r in _kpi_rows(ws)}
    assert deadlines["KHĐT-01"] == "Kỳ họp HĐND tỉnh giữa năm 2026"
    assert deadlines["KHĐT-02"] == "theo định kỳ hàng tuần, hàng tháng"
    assert deadlines["BQLDA-05"] == "Khởi công dự án trong quý IV/2026"
    assert deadlines["BQLDA-06"] == "Hoàn thành trước 30/6/2026"
    config = wb[L.SHEET_CONFIG]
    settings = {config.cell(r, 1).value: config.cell(r, 2).value
                for r in range(L.CONFIG_FIRST_ROW, L.CONFIG_FIRST_ROW + len(L.SETTINGS_LABELS))}
    assert settings[L.SETTINGS_LABELS["agency"]] == "BAN QUẢN LÝ KHU KINH TẾ ĐÔNG NAM NGHỆ AN"
    assert settings[L.SETTINGS_LABELS["report_date"]] == dt.datetime(2026, 6, 25)
    history = wb[L.SHEET_HISTORY]
    dates = [c.value for c in history[L.HISTORY_HEADER_ROW][len(L.HISTORY_KEY_HEADERS):] if c.value is not None]
    assert dates == [dt.datetime(2026, 4, 25), dt.datetime(2026, 5, 25)]
    assert history.max_row - L.HISTORY_FIRST_ROW + 1 == 32


def test_example_shows_a_realistic_month():
    data = read_workbook(EXAMPLE)
    result = evaluate(data.tracker, dt.date(2026, 6, 25))
    by_status = {}
    for k in result.kpis:
        by_status.setdefault(k.status, []).append(k.kpi.code)
    assert sorted(by_status[DONE]) == ["BQLDA-04", "BQLDA-06", "XDMT-03"]
    assert sorted(by_status[LATE]) == ["KHĐT-04", "XDMT-01"]
    assert sorted(by_status[NOT_STARTED]) == ["BQLDA-05", "KHĐT-07"]
    at_risk = sorted(k.kpi.code for k in result.kpis if k.at_risk)
    assert {"KHĐT-05", "DNLĐ-05", "VP-04"} <= set(at_risk)
    warnings = {i.code for k in result.kpis for i in k.issues}
    assert {"progress-decreased", "not-updated", "progress-missing"} <= warnings
    assert all(u.weight_total == 100 for u in result.units)


@BOTH
def test_libreoffice_converts_the_workbook(path, tmp_path):
    for target in ("pdf", "csv", "xlsx"):
        outdir = tmp_path / target
        support.convert([path], target, outdir)
        assert (outdir / f"{path.stem}.{target}").stat().st_size > 0
    assert (tmp_path / "pdf" / f"{path.stem}.pdf").read_bytes().startswith(b"%PDF")
    # LibreOffice understood the drop-down and the colours: they survive its own save.
    ws = _unit_sheets(load_workbook(tmp_path / "xlsx" / path.name))[0]
    assert any(dv.type == "list" and f"{COL['progress']}{L.UNIT_FIRST_KPI_ROW}" in dv.sqref
               for dv in ws.data_validations.dataValidation)
    assert any(f'"{LATE}"' in rule.formula for cf in ws.conditional_formatting for rule in cf.rules)
