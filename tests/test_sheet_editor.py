"""The sheet editor's byte path writes what its lxml path writes, and takes the rows it should.

Every differential test edits a sheet twice, once as it runs (the byte path, lxml for what it
declines) and once with every row through lxml (the oracle), and compares the canonical XML and
the styles followed down each column. It also checks which path wrote each row: a plain row (no
formula, no unusual markup) must go the byte path, so a byte path that declines what it should
write, or is turned off, fails here even though its output would still be right.
"""

from __future__ import annotations

import random
import re
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from sheetkpi.workbook import _sheetxml
from sheetkpi.workbook._sheetxml import ClearRange, RowRun, SheetEditor, Typed
from sheetkpi.workbook.package import Package

from support import CORPUS, EXAMPLE, TEMPLATE

WORKBOOKS = sorted(CORPUS.glob("*.xls[xm]")) + [EXAMPLE, TEMPLATE]
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
DATE = Typed(None, "46203", "date")
# Markup in a row that may send it to lxml when it is in a written column: a formula, a cell
# whose r is missing or not first or followed by attributes other than s and t (cm, vm), an
# extension, rich text, whitespace between elements, comments, CDATA, processing instructions.
_UNUSUAL = re.compile(rb'<f[\s>/]|<c(?! r=")[\s>/]|<c r="[^"]*"(?: s="[^"]*")?(?: t="[^"]*")?[^>/]|<extLst'
                      rb"|<r>|<rPh|<phoneticPr|>\s+<|<!|<\?|<is>(?!<t[ >])")


def sheet(rows: str, prefix: str = "") -> bytes:
    p = f"{prefix}:" if prefix else ""
    decl = f'xmlns:{prefix}="{MAIN}"' if prefix else f'xmlns="{MAIN}"'
    return f'<{p}worksheet {decl}><{p}dimension ref="A1"/><{p}sheetData>{rows}</{p}sheetData></{p}worksheet>'.encode()


def run(col: int, values: tuple, styles=None) -> RowRun:
    """A run as the package makes one: a styles tuple per cell."""
    if not isinstance(styles, tuple):
        styles = (styles,) * len(values)
    return col, tuple(values), styles


def edit(xml: bytes, writes: dict, clears: list | None = None, lxml_only: bool = False,
         heights: dict | None = None) -> tuple[bytes, SheetEditor]:
    parts = _sheetxml.split_sheet(xml, "sheet.xml")
    editor = SheetEditor(parts, "sheet.xml", writes, clears or [], lambda kind: 99, lxml_only=lxml_only,
                         heights=heights)
    return b"".join(editor.run()), editor


def edit_in_windows(xml: bytes, writes: dict, clears: list, heights: dict | None, size: int,
                    step: int) -> tuple[bytes, SheetEditor]:
    """:func:`edit`, the sheet read in pieces of ``step`` bytes and edited in windows of about
    ``size`` bytes of rows (as a big sheet is)."""
    pieces = [xml[i:i + step] for i in range(0, len(xml), step)]
    windows = _sheetxml.sheet_windows(pieces, "sheet.xml", size)
    editor = SheetEditor(next(windows), "sheet.xml", writes, clears, lambda kind: 99, heights=heights, more=windows)
    return b"".join(editor.run()), editor


def canonical(xml: bytes) -> bytes:
    return etree.tostring(etree.fromstring(xml), method="c14n")


def edited_rows(xml: bytes, writes: dict, clears: list) -> set[int]:
    """The rows an edit touches: those written, and existing rows holding a cell a clear empties."""
    parts = _sheetxml.split_sheet(xml, "sheet.xml")
    rows = set(writes)
    for start, end, row in _sheetxml.iter_rows(parts, "sheet.xml"):
        for c in clears:
            if c.covers_row(row) and any(not empty and c.c1 <= col <= c.c2
                                         for col, _, empty in _sheetxml._cells_in(xml, start, end)):
                rows.add(row)
    return rows


def check(xml: bytes, writes: dict, clears: list | None = None, lxml: set[int] | None = None,
          heights: dict | None = None) -> SheetEditor:
    """Edit ``xml`` both ways and compare; then check the paths: rows in ``lxml`` went to lxml,
    every other row written went the byte path (``lxml`` None: plain rows went the byte path,
    rows holding unusual markup either way). Returns the editor of the byte run."""
    clears = clears or []
    direct, editor = edit(xml, writes, clears, heights=heights)
    general, oracle = edit(xml, writes, clears, lxml_only=True, heights=heights)
    assert canonical(direct) == canonical(general)
    assert editor.last_style == oracle.last_style
    assert editor.removed_formulas == oracle.removed_formulas
    edited = edited_rows(xml, writes, clears)
    edited |= {row for row in oracle.lxml_rows if row not in edited and row in _shared_dependants(xml)}
    assert oracle.byte_rows == 0 and sorted(oracle.lxml_rows) == sorted(edited)
    # In windows (a row, a few rows, all of them), read in pieces of any size: the same bytes, the
    # same rows by each path, the same styles followed.
    for size, step in ((1, 1), (120, 7), (1 << 20, 1 << 20)):
        windowed, by_windows = edit_in_windows(xml, writes, clears, heights, size, step)
        assert windowed == direct, (size, step)
        assert (by_windows.byte_rows, sorted(by_windows.lxml_rows)) == (editor.byte_rows, sorted(editor.lxml_rows))
        assert by_windows.last_style == editor.last_style
        assert by_windows.removed_formulas == editor.removed_formulas
    by_lxml = set(editor.lxml_rows)
    assert len(by_lxml) == len(editor.lxml_rows) and editor.byte_rows + len(by_lxml) == len(edited)
    if lxml is not None:
        assert by_lxml == lxml
    elif _sheetxml.split_sheet(xml, "s").nsmap.get(None) != MAIN:
        assert by_lxml == edited  # a prefixed sheet: no byte path
    else:
        parts = _sheetxml.split_sheet(xml, "sheet.xml")
        unusual = {row for start, end, row in _sheetxml.iter_rows(parts, "sheet.xml")
                   if _UNUSUAL.search(xml, start, end)}
        assert by_lxml <= unusual | _after_shared_masters(xml, writes, edited)
    return editor


def _shared_dependants(xml: bytes) -> set[int]:
    """Rows holding a cell of a shared formula (one may become the formula's master)."""
    parts = _sheetxml.split_sheet(xml, "sheet.xml")
    return {row for start, end, row in _sheetxml.iter_rows(parts, "sheet.xml") if b't="shared"' in xml[start:end]}


def _after_shared_masters(xml: bytes, writes: dict, edited: set[int]) -> set[int]:
    """Rows after a written cell holding a shared formula's master: while the master's formula
    waits to be moved to its next dependant, rows go to lxml."""
    root = etree.fromstring(xml)
    first = min((int(re.sub(r"\D", "", c.get("r")))
                 for c in root.iter(f"{{{MAIN}}}c") if c.get("r")
                 for f in c.iterfind(f"{{{MAIN}}}f") if f.get("t") == "shared" and f.get("ref")), default=None)
    return set() if first is None else {row for row in edited if row >= first}


# ---------------------------------------------------------------------------------------------
# Finding rows


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
    parts = _sheetxml.split_sheet(sheet(rows), "sheet.xml")
    assert list(_sheetxml._row_spans(parts)) == _regex_rows(parts)


# ---------------------------------------------------------------------------------------------
# Every corpus sheet, and workbooks as sheetkpi leaves them


def _writes_for(xml: bytes) -> dict:
    """Runs of every kind over the first rows of a sheet, and new rows after them: single cells
    and runs side by side, into existing cells and gaps, styled per cell, for the whole run or
    not at all, several runs to a row."""
    rows = [row for *_, row in _sheetxml.iter_rows(_sheetxml.split_sheet(xml, "sheet.xml"), "sheet.xml")][:40]
    last = max(rows, default=0)
    values = [12.5, " Quá hạn <&> \r", DATE, None, Typed("b", "1"), "Mã _x0041_ cũ", 7]
    styles = [(None, 2, None, 3), 2, None]
    writes = {}
    for i, row in enumerate(rows + [last + 1, last + 2, last + 5, last + 6, last + 7]):
        if i % 4 == 3 or row > last + 1:
            writes[row] = (run(3 + i % 5, tuple(values[(i + j) % len(values)] for j in range(4)), styles[i % 3]),)
            continue
        runs = [run(col, (values[(i * 7 + j) % len(values)],), 3 if j % 4 == 1 else None)
                for j, col in enumerate((1, 2, 5, 9, 16, 20)) if (i + j) % 3]
        if runs:
            writes[row] = tuple(runs)
    return writes


@pytest.mark.parametrize("path", WORKBOOKS, ids=lambda p: p.name)
def test_the_byte_path_writes_what_lxml_writes_on_every_corpus_sheet(path):
    for name, xml in _sheets(path):
        writes = _writes_for(xml)
        for clears in ([], [ClearRange(3, 5, 1, 4)]):
            editor = check(xml, writes, clears)
            if _sheetxml.split_sheet(xml, name).nsmap.get(None) == MAIN:
                assert editor.byte_rows, name  # new rows at least


def _recalculated(tmp_path: Path) -> Path:
    from sheetkpi import api

    work = tmp_path / "BangGiaoKPI.xlsx"
    work.write_bytes(EXAMPLE.read_bytes())
    api.recalc(work, as_of="2026-06-25", keep_backup=False)
    return work


_ROW_ATTRS = (' r="7"', ' spans="1:20"', ' ht="45"', " ht='30.5'", ' ht="44.9" customHeight="1"', ' customHeight="1"',
              ' customHeight="0"', '\tht = "61"', ' ht="abc"', ' ht="2" x="1" customHeight="1"', ' hidden="1"',
              ' x14ac:dyDescent="0.25"', ' ht="1" customHeight="1" customHeight="1"', ' ht=""', ' ht="9e1"')


@given(st.lists(st.sampled_from(_ROW_ATTRS), max_size=5), st.sampled_from(["", "x:"]), st.booleans(),
       st.sampled_from([15.0, 44.9, 45.2, 60.0, 100.25]))
def test_a_rows_height_grows_as_the_patterns_say(attrs, prefix, empty, want):
    # The height read and written without patterns for the rows this writer sizes (and the rows
    # nobody sized): as the patterns read and write it, for any attributes a row may have.
    def by_patterns(xml: bytes, start: int, want: float):
        m = _sheetxml._ROW_TAG.match(xml, start)
        current = _sheetxml._HT.search(m.group(2))
        if current is not None and _sheetxml._tall_enough(current.group(1), want):
            return None
        plain = _sheetxml._CUSTOM_HEIGHT.sub(b"", _sheetxml._HT.sub(b"", m.group(2)))
        return m.start(2), m.end(2), plain + b' ht="%s" customHeight="1"' % f"{want:g}".encode()

    tag = f"<{prefix}row{''.join(attrs)}"
    xml = (f"<x>{tag}/>" if empty else f"<x>{tag}><{prefix}c r=\"A7\"/></{prefix}row>").encode()
    assert _sheetxml._grown(xml, 3, want) == by_patterns(xml, 3, want)


def test_values_written_again_are_written_as_lxml_writes_them():
    # The byte path makes a text's or a number's cell body once and uses it again: 0.0 and -0.0
    # (equal keys) each keep their own, a text past what is kept and one with an escape too, in
    # either order, on rows that exist and rows it creates.
    long = "Nhiệm vụ " * 30
    values = [0.0, -0.0, 0.0, 2.5, "Quá hạn", "Quá hạn", long, long, "a_x0041_b", "a_x0041_b", "<&>", -0.0, 7]
    xml = sheet("".join(f'<row r="{r}"><c r="A{r}" s="1"><v>1</v></c></row>' for r in range(1, 8)))
    for order in (values, values[::-1]):
        writes = {r: (run(2, order[r - 1:r + 1]),) for r in range(1, len(order))}
        editor = check(xml, writes, lxml=set())
        assert editor.byte_rows == len(writes)
    direct, _ = edit(xml, {1: (run(2, (0.0, -0.0, -0.0, 0.0)),)})
    assert b"<v>0.0</v></c><c" in direct and direct.count(b"<v>-0.0</v>") == 2


def test_rows_as_a_recalculation_leaves_them_go_the_byte_path(tmp_path):
    """Rows as a recalculation leaves them (inline strings, dates, styles), written again as a
    run writes them: every row, existing or new, is written as bytes, as lxml would write it."""
    work = _recalculated(tmp_path)
    sheets = list(_sheets(work))
    assert len(sheets) == len(Package.open(work).sheet_names)
    for name, xml in sheets:
        rows = [row for *_, row in _sheetxml.iter_rows(_sheetxml.split_sheet(xml, name), name)]
        # As a run writes them: engine columns over the cells of the last run (P..T of a unit
        # tab), and a new column right of every row (as in "Lịch sử").
        engine = {row: (run(16, (DATE, 37.0, 0.19, "Đang thực hiện", None if row % 2 else "Quá hạn")),)
                  for row in rows}
        appended = {row: (run(30, (row * 1.5,), 2),) for row in rows}
        check(xml, _writes_for(xml))  # the template's total rows hold =SUM(): lxml writes over it
        for writes in (engine, appended):
            check(xml, writes, lxml=set())


def test_a_second_recalc_rewrites_summary_rows_by_bytes_like_lxml(tmp_path, monkeypatch):
    """The second recalculation writes "Tổng hợp" again over the rows the first one wrote, whose
    empty cells were never made: every row goes the byte path, as lxml would write it."""
    from sheetkpi import api

    work = _recalculated(tmp_path)
    summary = Package.open(work)._worksheet("Tổng hợp").part
    edits: list[tuple[bytes, dict, list]] = []
    paths: list[tuple[int, int]] = []
    init, real_run = SheetEditor.__init__, SheetEditor.run

    def capture(self, parts, part, rows, clears, resolve_fallback, lxml_only=False, heights=None, more=()):
        if part == summary:
            assert not more  # laid out whole: one window
            edits.append((parts.join(), dict(rows), list(clears), dict(heights or {})))
        init(self, parts, part, rows, clears, resolve_fallback, lxml_only, heights, more)

    def record(self):
        yield from real_run(self)
        if self.part == summary and (self.byte_rows or self.lxml_rows):
            paths.append((self.byte_rows, len(self.lxml_rows)))

    monkeypatch.setattr(SheetEditor, "__init__", capture)
    monkeypatch.setattr(SheetEditor, "run", record)
    api.recalc(work, as_of="2026-06-25", keep_backup=False)
    monkeypatch.undo()
    assert len(edits) == 1 and paths[0][0] > 0 and paths[0][1] == 0
    xml, writes, clears, heights = edits[0]
    assert heights  # the rows of the page are made with their heights, in the one render
    check(xml, writes, clears, lxml=set(), heights=heights)


# ---------------------------------------------------------------------------------------------
# Rows chosen for each way a run meets a row


def test_rows_get_their_heights_in_the_pass_either_way():
    # Rows 2 and 5 are made; 3 and 6 are written and too short; 4 is tall enough, 7 less than a
    # pixel short (LibreOffice keeps 173.6 as 173.25); 8 is not written but too short; 10 gets
    # cells, a height and wider spans in one start tag; 11 has an unreadable height; 9 is no row.
    xml = sheet('<row r="1"><c r="A1"><v>1</v></c></row><row r="3" ht="20" customHeight="1"><c r="A3"/></row>'
                '<row r="4" customHeight="1" ht="60"><c r="A4"/></row><row r="6" spans="1:1"><c r="A6"/></row>'
                '<row r="7" ht="173.25" customHeight="1"><c r="A7"/></row><row r="8" ht="10"><c r="A8"/></row>'
                '<row r="10" spans="1:1" ht="12"/><row r="11" ht="1e2"><c r="A11"/></row>')
    writes = {row: (run(1, ("x", 2.5)),) for row in (2, 3, 4, 5, 6, 7, 10, 11)}
    heights = {2: 30, 3: 45, 4: 45, 5: 60.5, 6: 30, 7: 173.6, 8: 50, 9: 70, 10: 31.2, 11: 30}
    out = check(xml, writes, heights=heights)
    assert out.byte_rows == 8
    data = edit(xml, writes, heights=heights)[0]
    rows = {el.get("r"): el for el in etree.fromstring(data).iter(f"{{{MAIN}}}row")}
    assert {r: (el.get("ht"), el.get("customHeight")) for r, el in rows.items()} == {
        "1": (None, None), "2": ("30", "1"), "3": ("45", "1"), "4": ("60", "1"), "5": ("60.5", "1"),
        "6": ("30", "1"), "7": ("173.25", "1"), "8": ("50", "1"), "10": ("31.2", "1"), "11": ("30", "1")}
    assert rows["6"].get("spans") == "1:2" and rows["10"].get("spans") == "1:2"
    # The attributes the pass sets come last, and an existing tag that is tall enough is untouched.
    assert b'<row r="3" ht="45" customHeight="1">' in data and b'<row r="4" customHeight="1" ht="60">' in data
    assert b'<row r="10" spans="1:2" ht="31.2" customHeight="1">' in data


@pytest.mark.parametrize("rows", [
    # Cells of the run's columns missing before, between and after the ones it has; spans to widen.
    '<row r="1" spans="2:6"><c r="A1" s="1"><v>0</v></c><c r="B1" s="4"><v>1</v></c><c r="D1" s="5"/>'
    '<c r="F1" t="inlineStr"><is><t>y</t></is></c></row><row r="2" spans="2:2"><c r="B2" s="6"/></row>'
    '<row r="3" spans="1:9"><c r="B3"/><c r="I3"><v>9</v></c></row>'
    '<row r="4" spans="3:3"><c r="C4" s="2"/></row><row r="5" spans="1:1 7:8" ht="20"/>',
    # Only the first column missing, a cell right of the run, an empty row with and without spans.
    '<row r="1"><c r="C1" s="3"><v>1</v></c><c r="E1"/><c r="G1"><v>2</v></c></row>'
    '<row r="2"></row><row r="3" spans="4:4"></row><row r="4"><c r="A4"/></row><row r="5"><c r="Z5"/></row>',
])
def test_runs_over_rows_missing_some_of_their_cells_go_the_byte_path(rows):
    xml = sheet(rows)
    for styles in (None, 7, (None, 2, None, None)):
        writes = {row: (run(2, (None, 7 * row, "x" if row % 2 else DATE, None), styles),) for row in range(1, 7)}
        check(xml, writes, lxml=set())


@pytest.mark.parametrize("rows, lxml", [
    # A formula in a written cell; a cell without r where a cell is created; whitespace between
    # a run's cells; a cell whose attributes are not r, s, t; a comment; a row's extension.
    ('<row r="1"><c r="B1"/><c r="C1"><f>1+1</f><v>2</v></c></row><row r="2"><c r="B2"/><c><v>3</v></c></row>'
     '<row r="3"><c r="B3"/> <c r="C3"/></row><row r="4"><c r="C4" s="1" cm="1"><v>1</v></c></row>'
     '<row r="5"><!-- x --><c r="B5"/></row><row r="6"><c r="B6"/><extLst/></row>'
     # spans to widen over a row that starts with a cell without r; cells to add before extensions
     '<row r="7" spans="1:2"><c><v>0</v></c><c r="B7"/></row><row r="8"><c r="A8"/><extLst/></row>',
     {1, 2, 3, 4, 5, 6, 7, 8}),
    # The same markup outside the written columns does not matter.
    ('<row r="1"><c r="A1"><f>1+1</f><v>2</v></c><c r="B1"/></row>'
     '<row r="2"><c r="B2"/><c r="F2"/><c><v>3</v></c></row>'
     '<row r="3"><c r="A3"/> <c r="B3"/></row><row r="4"><c r="F4" s="1" cm="1"><v>1</v></c></row>'
     '<row r="7" spans="x"><c r="A7"/></row>', set()),  # (spans that cannot be read are replaced)
])
def test_rows_the_byte_path_declines_go_to_lxml(rows, lxml):
    writes = {row: (run(2, (5, "y")),) for row in range(1, 9)}
    check(sheet(rows), writes, lxml=lxml)


def test_a_row_with_several_runs_and_tracked_columns_it_does_not_write():
    """A unit tab's total row: some engine columns written styled, some plain, some not at all,
    while the KPI rows above write every engine column without a style (tracked)."""
    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c><c r="C{r}" s="{r}"/><c r="E{r}" s="9"/></row>'
                   for r in range(1, 4))
    writes = {1: (run(2, (1, 2, 3, 4)),), 2: (run(2, (1,)), run(3, ("a",), 5), run(5, (None,))),
              3: (run(4, ("t",), 6),), 4: (run(2, (1, 2, 3, 4)),)}
    editor = check(sheet(rows), writes, lxml=set())
    assert editor.last_style == {2: None, 3: "3", 4: "6", 5: "9"}


def test_cm_and_vm_go_with_a_written_cell_and_stay_on_the_others():
    """cm and vm point at the metadata of a cell's content (a dynamic array, a picture in a cell):
    writing the cell drops them (lxml writes it); a cell of the row not written keeps them, byte
    for byte, on the byte path."""
    rows = ('<row r="1"><c r="A1" cm="1"><v>1</v></c><c r="B1" s="2" vm="1" t="e"><v>#VALUE!</v></c>'
            '<c r="C1"><v>3</v></c></row>'
            '<row r="2"><c r="A2" cm="1"><v>1</v></c><c r="B2" vm="2" t="e"><v>#VALUE!</v></c><c r="C2"/></row>')
    xml = sheet(rows)
    writes = {1: (run(2, (5,)),), 2: (run(3, ("x",)),)}
    direct, _ = edit(xml, writes)
    check(xml, writes, lxml={1})
    assert b'<c r="B1" s="2"><v>5</v></c>' in direct
    assert b'<c r="A2" cm="1"><v>1</v></c><c r="B2" vm="2" t="e"><v>#VALUE!</v></c><c r="C2" t="inlineStr">' in direct


def test_clears_over_rows_with_content_go_the_byte_path_and_later_writes_win():
    rows = "".join(f'<row r="{r}"><c r="A{r}" s="1" t="inlineStr"><is><t>a</t></is></c><c r="B{r}"><v>{r}</v></c>'
                   f'<c r="C{r}"/></row>' for r in range(1, 6))
    check(sheet(rows), {3: (run(2, ("mới",)),)}, [ClearRange(2, None, 1, 2)], lxml=set())


def test_new_rows_in_a_prefixed_sheet_and_formulas_go_to_lxml():
    rows = '<x:row r="2"><x:c r="A2"><x:v>1</x:v></x:c></x:row>'
    xml = sheet(rows, prefix="x")
    writes = {1: (run(1, ("a", 2)),), 2: (run(2, (3,)),), 5: (run(1, (DATE,)),)}
    check(xml, writes, lxml={1, 2, 5})


def test_shared_formula_promotion_is_done_by_lxml():
    rows = ('<row r="1"><c r="A1"><f t="shared" ref="A1:A3" si="0">B1*2</f><v>2</v></c><c r="B1"><v>1</v></c></row>'
            '<row r="2"><c r="A2"><f t="shared" si="0"/><v>4</v></c><c r="B2"><v>2</v></c></row>'
            '<row r="3"><c r="A3"><f t="shared" si="0"/><v>6</v></c><c r="B3"><v>3</v></c></row>'
            '<row r="4"><c r="B4"><v>4</v></c></row>')
    editor = check(sheet(rows), {1: (run(1, (9,)),), 4: (run(2, (8,)),)}, lxml={1, 2})
    assert editor.removed_formulas == {(1, 1)}


# ---------------------------------------------------------------------------------------------
# A big sheet edited in windows of rows


def _windowed(xml: bytes, size: int, step: int) -> list[_sheetxml.SheetParts]:
    return list(_sheetxml.sheet_windows([xml[i:i + step] for i in range(0, len(xml), step)], "sheet.xml", size))


@pytest.mark.parametrize("size, step", [(1, 1), (1, 5), (60, 13), (10_000, 3)])
def test_windows_hold_whole_rows_and_give_back_the_sheet(size, step):
    # Rows with and without r, self-closed ones, whitespace between; then a comment that holds
    # "</row>", from which the rest is one window, whatever its size.
    rows = ('<row r="1"><c r="A1"><v>1</v></c></row>\n<row r="2"/><row><c r="A3" t="inlineStr"><is><t>x</t></is>'
            '</c></row><row r="5" spans="1:2"><c r="B5"/></row><row r="6"></row>'
            '<!-- a </row> b --><row r="7"><c r="A7"><v>7</v></c></row><row r="8"/>')
    xml = sheet(rows)
    windows = _windowed(xml, size, step)
    assert b"".join([windows[0].head, *(w.body for w in windows), windows[-1].tail]) == xml
    assert all(w.head == windows[0].head and w.nsmap == windows[0].nsmap for w in windows)
    assert all(not w.tail and w.body.endswith(b"</row>") for w in windows[:-1])
    assert windows[-1].tail.startswith(b"</sheetData>") and b"<!--" in windows[-1].body
    numbers: list[int] = []
    for w in windows:  # each window's rows numbered on from the last row of the one before
        numbers += [row for _, _, row in _sheetxml.iter_rows(w, "sheet.xml", numbers[-1] if numbers else 0)]
    assert numbers == [1, 2, 3, 5, 6, 7, 8]
    if size < 60:
        assert len(windows) == 5  # a window per row up to the comment
    elif size == 60:
        assert 1 < len(windows) < 5
    else:
        assert len(windows) == 1


def test_a_sheet_without_rows_or_with_prefixed_rows_is_one_window():
    for xml in (sheet(""), sheet('<x:row r="1"><x:c r="A1"/></x:row><x:row r="2"/>' * 3, prefix="x"),
                b'<worksheet xmlns="%s"><sheetData/></worksheet>' % MAIN.encode()):
        windows = _windowed(xml, 1, 4)
        assert len(windows) == 1
        assert windows[0].join() == xml.replace(b"<sheetData/>", b"<sheetData></sheetData>")


@pytest.mark.parametrize("markup", ["<!-- </sheetData> -->", "<![CDATA[</sheetData>]]>", "<?pi </sheetData>?>"])
def test_the_end_of_the_rows_is_never_taken_from_a_comment(markup):
    # (Found by review, older than the windows: the rows were cut at the comment, and row 2 written
    # again after them, twice in the sheet.)
    xml = sheet(f'<row r="1"><c r="A1"><v>1</v></c></row>{markup}<row r="2"><c r="A2"><v>2</v></c></row>')
    assert _sheetxml.split_sheet(xml, "sheet.xml").tail == b"</sheetData></worksheet>"
    check(xml, {2: (run(1, (5,)),)})
    data = edit(xml, {2: (run(1, (5,)),)})[0]
    assert data.count(b'<row r="2"') == 1 and b'<row r="2"><c r="A2"><v>5</v></c></row></sheetData>' in data


def test_rows_waiting_for_a_promotion_go_on_into_the_next_window():
    # The master of a shared formula overwritten on row 1: row 2 becomes master; until then, the
    # rows written join lxml's batch, row 3 (written) too, whose untouched empty cell lxml writes
    # as "<c .../>". A window ending after row 2 carries the batch on: the same bytes (found by review).
    rows = ('<row r="1"><c r="A1"><f t="shared" ref="A1:A2" si="0">B1</f><v>1</v></c></row>'
            '<row r="2"><c r="A2"><f t="shared" si="0"/><v>2</v></c></row>'
            '<row r="3"><c r="B3"><v>3</v></c><c r="C3" s="1"></c></row>')
    editor = check(sheet(rows), {1: (run(1, (5,)),), 3: (run(2, (7,)),)})
    assert editor.lxml_rows == [1, 2, 3]


def test_rows_without_numbers_promotions_and_new_rows_cross_windows_alike():
    # Row numbers implied by the rows before (across a window's edge), a shared formula whose
    # master is overwritten (its dependants in later windows), rows made between windows and after
    # the last row, clears and heights: each window size writes what the whole sheet does.
    rows = ('<row r="1"><c r="A1"><v>1</v></c></row><row><c r="A2"><v>2</v></c></row><row><c r="A3"/></row>'
            '<row r="5"><c r="A5"><f t="shared" ref="A5:A8" si="0">ROW()</f><v>5</v></c><c r="B5"><v>1</v></c></row>'
            '<row r="6"><c r="A6"><f t="shared" si="0"/><v>6</v></c></row><row r="8"><c r="A8"><f t="shared" si="0"/>'
            '<v>8</v></c><c r="C8" s="2"><v>3</v></c></row><row r="10" ht="5"><c r="B10"/></row>')
    writes = {3: (run(1, (9,)),), 4: (run(2, ("new",)),), 5: (run(1, (1.5,)),), 7: (run(3, ("x",)),),
              9: (run(2, (None, 4)),), 12: (run(1, ("end",)),)}
    check(sheet(rows), writes, [ClearRange(8, None, 3, 3)], heights={4: 30, 10: 20, 12: 40})


# ---------------------------------------------------------------------------------------------
# Fuzzed sheets


_CELLS = [
    ('<c r="{ref}"><v>{n}</v></c>', True), ('<c r="{ref}" s="{s}"/>', True),
    ('<c r="{ref}" s="{s}" t="s"><v>0</v></c>', True),
    ('<c r="{ref}" t="inlineStr"><is><t xml:space="preserve"> a&amp;b </t></is></c>', True),
    ('<c r="{ref}" s="{s}"><f>ROW()</f><v>{n}</v></c>', False), ('<c r="{ref}" s="{s}" cm="1"><v>{n}</v></c>', False),
    ('<c s="{s}" r="{ref}"><v>{n}</v></c>', False), ('<c r="{ref}"><v>{n}</v><extLst/></c>', False),
    ('<c r="{ref}" t="inlineStr"><is><r><t>ri</t></r></is></c>', False),
]


@st.composite
def _fuzzed(draw):
    """A sheet whose rows hold cells of every kind, some rows plain, and runs over them."""
    rng = random.Random(draw(st.integers(0, 2**32)))
    rows, plain = [], set()
    numbers = sorted(rng.sample(range(1, 30), rng.randint(0, 12)))
    for number in numbers:
        cols = sorted(rng.sample(range(1, 12), rng.randint(0, 6)))
        kinds = [rng.choice(_CELLS) if rng.random() < 0.3 else rng.choice(_CELLS[:4]) for _ in cols]
        cells = "".join(kind.format(ref=f"{_sheetxml.col_letter(c)}{number}", s=rng.randint(0, 5), n=rng.randint(0, 9))
                        for (kind, _), c in zip(kinds, cols))
        spans = f' spans="{rng.randint(1, 4)}:{rng.randint(4, 9)}"' if rng.random() < 0.4 else ""
        rows.append(f'<row r="{number}"{spans}/>' if not cells and rng.random() < 0.5
                    else f'<row r="{number}"{spans}>{cells}</row>')
        if all(ok for _, ok in kinds):
            plain.add(number)
    values = [None, 1, 2.5, "x", " y ", "_x0041_", DATE, Typed("b", "0")]
    writes = {}
    for number in sorted(rng.sample(range(1, 34), rng.randint(1, 14))):
        runs, col = [], rng.randint(1, 4)
        while col < 12 and len(runs) < 3:
            width = rng.randint(1, 5)
            styles = rng.choice([None, rng.randint(0, 5), tuple(rng.choice([None, 1, 2]) for _ in range(width))])
            runs.append(run(col, tuple(rng.choice(values) for _ in range(width)), styles))
            col += width + rng.randint(0, 3)
        writes[number] = tuple(runs)
    clears = [ClearRange(rng.randint(1, 30), rng.choice([None, 31]), 2, rng.randint(2, 6))] * (rng.random() < 0.3)
    return sheet("".join(rows)), writes, clears, plain


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_fuzzed())
def test_fuzzed_sheets_are_written_alike_and_plain_rows_by_bytes(case):
    xml, writes, clears, plain = case
    editor = check(xml, writes, clears)
    assert not set(editor.lxml_rows) & plain


# ---------------------------------------------------------------------------------------------
# A path turned off is noticed


def _plain_cases():
    """Rows that only the byte path writes, between them taking every way it has."""
    rows = ('<row r="1" spans="2:3"><c r="B1" s="1"><v>1</v></c><c r="C1"/></row><row r="2"><c r="F2"/></row>'
            '<row r="3"><c r="A3"/></row><row r="4" spans="1:1"/><row r="5"><c r="C5"/><c r="E5"/></row>')
    writes = {row: (run(2, (1, "a")), run(5, (2,), 3)) for row in range(1, 8)}
    return sheet(rows), writes


@pytest.mark.parametrize("method", ["_byte_row", "_locate"])
def test_a_byte_path_replaced_by_return_none_fails_the_path_check(monkeypatch, method):
    xml, writes = _plain_cases()
    check(xml, writes, lxml=set())
    monkeypatch.setattr(SheetEditor, method, lambda self, *args: None)
    with pytest.raises(AssertionError):
        check(xml, writes, lxml=set())


@pytest.mark.parametrize("prefix", ["", "x"])
def test_rows_lxml_writes_get_their_heights_as_the_byte_path_gives_them(prefix):
    # A row holding a comment goes to lxml; a prefixed sheet goes to lxml whole: heights the same.
    p = f"{prefix}:" if prefix else ""
    xml = sheet(f'<{p}row r="1" ht="20" customHeight="1"><!-- note --><{p}c r="A1"/></{p}row>'
                f'<{p}row r="2" ht="80"><{p}c r="A2"/></{p}row><{p}row r="3" ht="5"><{p}c r="A3"/></{p}row>',
                prefix=prefix)
    writes = {row: (run(1, ("x",)),) for row in (1, 2)}
    check(xml, writes, heights={1: 45, 2: 45, 3: 30}, lxml={1} if not prefix else {1, 2})
    data = edit(xml, writes, heights={1: 45, 2: 45, 3: 30})[0]
    rows = {el.get("r"): el.get("ht") for el in etree.fromstring(data).iter(f"{{{MAIN}}}row")}
    assert rows == {"1": "45", "2": "80", "3": "30"}


def test_a_self_closed_row_gets_cells_wider_spans_and_a_height_in_one_start_tag():
    xml = sheet('<row r="1"><c r="A1"><v>1</v></c></row><row r="2" spans="1:1" ht="10" />')
    writes = {2: (run(1, ("x", 2.5)),)}
    check(xml, writes, heights={2: 31.2})
    data = edit(xml, writes, heights={2: 31.2})[0]
    row = next(el for el in etree.fromstring(data).iter(f"{{{MAIN}}}row") if el.get("r") == "2")
    assert dict(row.attrib) == {"r": "2", "spans": "1:2", "ht": "31.2", "customHeight": "1"}
    assert list(row.attrib) == ["r", "spans", "ht", "customHeight"]  # (the height last, as lxml sets it)
    assert [c.get("r") for c in row] == ["A2", "B2"]


def test_runs_made_over_layers_are_written_as_the_same_runs_in_a_dict():
    """The editor takes runs stacked over layers ("Lịch sử"'s figures over its other writes) in one
    pass beside the rows it writes: rows it creates between existing ones, rows it hands to lxml and
    rows past the sheet's last take theirs in turn too. The same sheet as the runs given as a dict
    (300 random sheets with gaps, whole or in windows). A row made before an existing one once gave
    that row the runs of the row before it."""
    from array import array

    from sheetkpi.workbook._sheetxml import ColumnRuns, MadeRuns, StackedRuns

    rng = random.Random(13)
    for _ in range(300):
        existing = sorted(rng.sample(range(1, 30), rng.randint(0, 12)))
        rows_xml = "".join(
            f'<row r="{r}"><c r="A{r}"><v>{r}</v></c>'
            + (f'<c r="B{r}"><f>A{r}*2</f><v>{2 * r}</v></c>' if rng.random() < 0.15 else "")  # (to lxml)
            + "</row>" for r in existing)
        xml = sheet(rows_xml)
        written = sorted(rng.sample(range(1, 34), rng.randint(1, 14)))
        column = ColumnRuns(3, array("I", written), array("d", (r * 10.0 for r in written)), [(7,)] * len(written), str)
        top = {r: (run(4, (f"t{r}",), 7),) for r in rng.sample(range(1, 34), rng.randint(0, 5))}
        first = rng.randint(1, 30)
        made = MadeRuns(first, 5, [[f"m{i}"] for i in range(4)], [(7,)] * 4, 1, str)  # (rows added)
        clears = [ClearRange(rng.randint(1, 30), None, 1, 1)] if rng.random() < 0.3 else []
        heights = {r: 30.0 for r in rng.sample(range(1, 34), 3)}
        for lazy in (StackedRuns({}, column), StackedRuns(column, top), column, StackedRuns(made, column),
                     StackedRuns(StackedRuns(top, made), column)):
            plain = {row: lazy[row] for row in lazy}
            assert edit(xml, lazy, clears, heights=heights)[0] == edit(xml, plain, clears, heights=heights)[0], (
                existing, written, sorted(top), first, clears)
            assert edit_in_windows(xml, lazy, clears, heights, 80, 37)[0] == \
                edit_in_windows(xml, plain, clears, heights, 80, 37)[0]


def test_runs_taken_in_turn_are_looked_up_when_asked_for_out_of_turn():
    # The editor asks for rows rising; a row asked for again, or before one already taken, is looked
    # up (never the runs of the row taken last), and a row without runs is a KeyError, as a mapping's.
    from array import array

    from sheetkpi.workbook._sheetxml import ColumnRuns, StackedRuns, _InTurn

    rows = StackedRuns({2: (run(1, ("a",)),)}, ColumnRuns(3, array("I", [2, 5, 9]), array("d", [1.0, 2.0, 3.0]),
                                                          [(7,)] * 3, str))
    cursor = _InTurn(rows)
    assert [cursor[r] for r in (2, 5, 9)] == [rows[2], rows[5], rows[9]]
    assert cursor[5] == rows[5] and cursor[2] == rows[2]  # out of turn
    with pytest.raises(KeyError):
        cursor[7]
    with pytest.raises(KeyError):
        cursor[12]
