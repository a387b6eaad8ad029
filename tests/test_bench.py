"""The benchmark runs (so that it cannot rot), and what was made fast for it reads and writes the
same as the slower general code it replaced or bypasses.

No timing is asserted here: figures come from ``python bench/run.py`` (docs/performance.md).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from sheetkpi.structure import Cell
from sheetkpi.workbook import _sheetxml
from sheetkpi.workbook.package import Package
from sheetkpi.workbook.reader import load_grids

from support import CORPUS, EXAMPLE, ROOT, TEMPLATE

WORKBOOKS = sorted(CORPUS.glob("*.xls[xm]")) + [EXAMPLE, TEMPLATE]


def test_benchmark_runs_on_the_smallest_size(tmp_path):
    report = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--sizes", "32", "--runs", "1", "--warmup", "0",
         "--json", str(report)],
        capture_output=True, text=True, timeout=600,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = json.loads(report.read_text(encoding="utf-8"))["results"]
    jobs = {(r["rows"], r["job"]) for r in results}
    assert {(None, 'python -c "import sheetkpi"'), (None, "sheetkpi --help"), (32, "sheetkpi check"),
            (32, "sheetkpi recalc --no-memo"), (32, "sheetkpi recalc --no-memo, again"),
            (32, "sheetkpi recalc (with memo)"),
            (32, "openpyxl load+save")} <= jobs
    assert all(r["median_s"] > 0 and r["runs"] == 1 for r in results)
    assert "| KPI rows | tabs | job |" in done.stdout


# ---------------------------------------------------------------------------------------------
# The grid loader reads what openpyxl's read-only mode read


def _openpyxl_grids(path: Path) -> dict[str, list[list[Cell]]]:
    """The loader sheetkpi used before python-calamine, kept here as the reference."""
    from openpyxl import load_workbook

    from sheetkpi.parsing.numbers import is_percent_format

    wb = load_workbook(path, read_only=True, data_only=True)
    grids = {}
    for ws in wb.worksheets:
        ws.reset_dimensions()  # read every row, whatever <dimension> claims
        grid = []
        for row in ws.iter_rows():
            cells = [Cell(getattr(c, "value", None),
                          is_percent_format(getattr(c, "number_format", None)) and isinstance(c.value, (int, float)))
                     for c in row]
            while cells and cells[-1].value in (None, ""):
                cells.pop()
            grid.append(cells)
        while grid and not grid[-1]:
            grid.pop()
        grids[ws.title] = grid
    wb.close()
    return grids


def _same(a, b) -> bool:
    """Equal as the rules read them: integral floats are ints, midnight datetimes are dates, "" is empty."""
    def norm(v):
        if isinstance(v, dt.datetime) and v.time() == dt.time():
            return v.date()
        if isinstance(v, float) and v.is_integer():
            return int(v)
        return None if v == "" else v
    return norm(a.value) == norm(b.value) and a.percent == b.percent


@pytest.mark.parametrize("path", WORKBOOKS, ids=lambda p: p.name)
def test_loader_reads_what_openpyxl_reads(path):
    ours, reference = load_grids(path), _openpyxl_grids(path)
    assert list(ours) == list(reference)
    for name, grid in reference.items():
        mine = ours[name]
        for r in range(max(len(grid), len(mine))):
            row_a = grid[r] if r < len(grid) else []
            row_b = mine[r] if r < len(mine) else []
            for c in range(max(len(row_a), len(row_b))):
                a = row_a[c] if c < len(row_a) else Cell(None)
                b = row_b[c] if c < len(row_b) else Cell(None)
                assert _same(a, b), (name, r + 1, c + 1, a, b)


def test_loader_reads_errors_percentages_and_cells_without_r(tmp_path):
    styles = ('<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              '<numFmts count="1"><numFmt numFmtId="164" formatCode="0.0%"/></numFmts>'
              '<cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="9"/></cellXfs></styleSheet>')
    rows = ('<row r="1"><c r="A1" t="e"><v>#REF!</v></c><c r="B1" s="1"><v>0.8</v></c>'
            '<c r="C1" s="2"><v>1</v></c></row>'
            '<row><c s="2"><v>0.25</v></c><c><v>7</v></c><c t="e"><f>1/0</f><v>#DIV/0!</v></c></row>')
    path = _package(tmp_path / "kinds.xlsx", rows, styles)
    grid = load_grids(path)["S"]
    assert [(c.value, c.percent) for c in grid[0]] == [("#REF!", False), (0.8, True), (1.0, True)]
    assert [(c.value, c.percent) for c in grid[1]] == [(0.25, True), (7.0, False), ("#DIV/0!", False)]


def _package(path: Path, rows: str, styles: str) -> Path:
    main, rel = "http://schemas.openxmlformats.org/spreadsheetml/2006/main", "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    parts = {
        "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{ct}.worksheet+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{ct}.styles+xml"/></Types>',
        "_rels/.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets><sheet name="S" sheetId="1" r:id="rId1"/>'
        '</sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{rel}/styles" Target="styles.xml"/></Relationships>',
        "xl/styles.xml": styles,
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{main}"><sheetData>{rows}</sheetData></worksheet>',
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in parts.items():
            zf.writestr(name, text)
    return path


# ---------------------------------------------------------------------------------------------
# The sheet editor's direct byte path writes what its lxml path writes


def _edit(xml: bytes, writes: dict, clears: list, direct: bool) -> tuple[bytes, dict]:
    parts = _sheetxml.split_sheet(xml, "sheet.xml")
    editor = _sheetxml.SheetEditor(parts, "sheet.xml", writes, clears, lambda kind: 99)
    if not direct:
        editor.default_ns = False  # every row through lxml
    return b"".join(editor.run()), dict(editor.last_style)


def _canonical(xml: bytes) -> bytes:
    return etree.tostring(etree.fromstring(xml), method="c14n")


def _writes_for(xml: bytes) -> dict:
    """Writes of every kind over the first rows of a sheet, by row: into existing cells and gaps,
    new rows; as {column: CellWrite} and as RowRuns (a block's rows, styled per cell or not)."""
    rows = [row for *_, row in _sheetxml.iter_rows(_sheetxml.split_sheet(xml, "sheet.xml"), "sheet.xml")][:40]
    last = max(rows, default=0)
    values = [_sheetxml.CellWrite(value="12.5"), _sheetxml.CellWrite("inlineStr", inline=" Quá hạn <&> \r"),
              _sheetxml.CellWrite(value="46198", fallback="date"), _sheetxml.CellWrite(style=3),
              _sheetxml.CellWrite("b", "1", style=2), _sheetxml.CellWrite()]
    plain = [7, 2.5, "Hoàn thành", " lề <b> ", None, _sheetxml.CellWrite(value="46198", fallback="date")]
    writes = {}
    styles = [(None, 2, None, 3), 2, None]
    for i, row in enumerate(rows + [last + 1, last + 2, last + 5, last + 6, last + 7]):
        if i % 4 == 3 or row > last + 1:
            writes[row] = _sheetxml.RowRun(3 + i % 5, tuple(plain[(i + j) % len(plain)] for j in range(4)),
                                           styles[i % len(styles)])
            continue
        for j, col in enumerate((1, 2, 5, 9, 16, 20)):
            if (i + j) % 3:
                writes.setdefault(row, {})[col] = values[(i * 7 + j) % len(values)]
    return writes


def _sheets(path: Path):
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.startswith("xl/worksheets/sheet") and name.endswith(".xml"):
                yield name, zf.read(name)


def _regex_rows(parts) -> list:
    return [(m.start(), m.end(), m.start(1), m.end(1))
            for m in _sheetxml._ROW.finditer(parts.xml, parts.start, parts.end)]


@pytest.mark.parametrize("path", WORKBOOKS, ids=lambda p: p.name)
def test_rows_found_by_search_are_those_the_regular_expression_finds(path):
    for name, xml in _sheets(path):
        parts = _sheetxml.split_sheet(xml, name)
        assert list(_sheetxml._row_spans(parts)) == _regex_rows(parts), name


@pytest.mark.parametrize("rows", [
    '<row r="1"/><row r="2" spans="1:2"><c r="A2"><v>1</v></c></row>\n<row spans="1:1" r="4" />',
    '<row r="1"><c r="A1"/></row><row r="2"><c r="A2"/></row ><row r="3"/>',  # whitespace in an end tag
    '<row r="1"><c r="A1"/></row><x:row r="2" xmlns:x="urn:x"/><row r="3"/>',  # a prefix somewhere
    '<row><c><v>1</v></c></row><rowx/><row r="3"></row>',
])
def test_unusual_rows_are_found_as_the_regular_expression_finds_them(rows):
    xml = f'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{rows}</sheetData></worksheet>'.encode()
    parts = _sheetxml.split_sheet(xml, "sheet.xml")
    assert list(_sheetxml._row_spans(parts)) == _regex_rows(parts)


@pytest.mark.parametrize("path", WORKBOOKS, ids=lambda p: p.name)
def test_direct_row_writing_matches_lxml(path):
    for name, xml in _sheets(path):
        writes = _writes_for(xml)
        for clears in ([], [_sheetxml.ClearRange(3, 5, 1, 4)]):
            direct, direct_styles = _edit(xml, writes, clears, direct=True)
            general, general_styles = _edit(xml, writes, clears, direct=False)
            assert _canonical(direct) == _canonical(general), name
            assert direct_styles == general_styles, name


def test_direct_row_writing_matches_lxml_on_a_recalculated_workbook(tmp_path):
    """Rows as a recalculation leaves them (inline strings, dates, styles), then written again."""
    from sheetkpi import api

    work = tmp_path / "BangGiaoKPI.xlsx"
    work.write_bytes(EXAMPLE.read_bytes())
    api.recalc(work, as_of="2026-06-25", keep_backup=False)
    sheets = list(_sheets(work))
    assert len(sheets) == len(Package.open(work).sheet_names)
    date = _sheetxml.CellWrite(value="46203", fallback="date")
    for name, xml in sheets:
        rows = [row for *_, row in _sheetxml.iter_rows(_sheetxml.split_sheet(xml, name), name)]
        # As a run writes them: engine columns over the cells of the last run (P..T of a unit
        # tab), and a new column right of every row (as in "Lịch sử").
        engine = {row: _sheetxml.RowRun(16, (date, 37.0, 0.19, "Đang thực hiện", None if row % 2 else "Quá hạn"), None)
                  for row in rows}
        appended = {row: _sheetxml.RowRun(30, (row * 1.5,), 2) for row in rows}
        for writes in (_writes_for(xml), engine, appended):
            direct, direct_styles = _edit(xml, writes, [], direct=True)
            general, general_styles = _edit(xml, writes, [], direct=False)
            assert _canonical(direct) == _canonical(general), name
            assert direct_styles == general_styles, name


@pytest.mark.parametrize("rows", [
    # Cells of the run's columns missing before, between and after the ones it has; spans to widen.
    '<row r="1" spans="2:6"><c r="A1" s="1"><v>0</v></c><c r="B1" s="4"><v>1</v></c><c r="D1" s="5"/>'
    '<c r="F1" t="inlineStr"><is><t>y</t></is></c></row><row r="2" spans="2:2"><c r="B2" s="6"/></row>'
    '<row r="3" spans="1:9"><c r="B3"/><c r="I3"><v>9</v></c></row>'
    # A cell without r opening or closing the row: its bounds (for spans) need a walk through it.
    '<row r="4" spans="2:2"><c><v>0</v></c><c r="B4"/></row>'
    '<row r="5" spans="2:2"><c r="B5"><v>1</v></c><c r="F5"><v>6</v></c><c><v>7</v></c></row>',
    # A formula, a cell without r, whitespace, an empty row: the general path.
    '<row r="1"><c r="B1"/><c r="C1"><f>1+1</f><v>2</v></c></row><row r="2"><c r="B2"/><c><v>3</v></c></row>'
    '<row r="3"><c r="B3"/> <c r="D3"/></row><row r="4"/><row r="5"></row>',
])
def test_runs_over_rows_missing_some_of_their_cells_match_lxml(rows):
    xml = f'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{rows}</sheetData></worksheet>'.encode()
    date = _sheetxml.CellWrite(value="46203", fallback="date")
    for styles in (None, 7, (None, 2, None, None)):
        writes = {row: _sheetxml.RowRun(2, (None, 7 * row, "x" if row % 2 else date, None), styles)
                  for row in range(1, 6)}
        direct, direct_styles = _edit(xml, writes, [], direct=True)
        general, general_styles = _edit(xml, writes, [], direct=False)
        assert _canonical(direct) == _canonical(general)
        assert direct_styles == general_styles


def test_a_second_recalc_rewrites_summary_rows_as_runs_like_lxml(tmp_path, monkeypatch):
    """The second recalculation writes "Tổng hợp" again over the rows the first one wrote, whose
    empty cells were never made: every row goes the direct way of runs, as lxml would write it."""
    from sheetkpi import api
    from sheetkpi.layout import SHEET_SUMMARY

    work = tmp_path / "BangGiaoKPI.xlsx"
    work.write_bytes(EXAMPLE.read_bytes())
    api.recalc(work, as_of="2026-06-25", keep_backup=False)
    summary = Package.open(work)._worksheet(SHEET_SUMMARY).part
    edits: list[tuple[bytes, dict, list]] = []
    spliced: list[bool] = []
    init, splice_run = _sheetxml.SheetEditor.__init__, _sheetxml.SheetEditor._splice_run

    def capture(self, parts, part, rows, clears, resolve_fallback):
        if part == summary:
            edits.append((parts.join(), dict(rows), list(clears)))
        init(self, parts, part, rows, clears, resolve_fallback)

    def record(self, row, run, start, end):
        splices = splice_run(self, row, run, start, end)
        if self.part == summary:
            spliced.append(splices is not None)
        return splices

    monkeypatch.setattr(_sheetxml.SheetEditor, "__init__", capture)
    monkeypatch.setattr(_sheetxml.SheetEditor, "_splice_run", record)
    api.recalc(work, as_of="2026-06-25", keep_backup=False)
    monkeypatch.undo()
    assert len(edits) == 1 and spliced and all(spliced)
    xml, writes, clears = edits[0]
    direct, direct_styles = _edit(xml, writes, clears, direct=True)
    general, general_styles = _edit(xml, writes, clears, direct=False)
    assert _canonical(direct) == _canonical(general)
    assert direct_styles == general_styles
