"""The file reader at scale: sheets parsed one at a time, KPI cell addresses without a dict per row,
equal texts kept once; and that none of it changes what is read or which error is raised.

No timing or memory is asserted here: figures come from ``python bench/stages.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

import pytest
from openpyxl import load_workbook

from sheetkpi import layout as L
from sheetkpi.api import recalc
from sheetkpi.cells import address
from sheetkpi.errors import FileUnusable
from sheetkpi.reading import read_grids
from sheetkpi.structure import EMPTY_CELL as EMPTY
from sheetkpi.structure import Cell
from sheetkpi.workbook.reader import load_grids, read_workbook

from badinputs import copy_example, set_cell_xml
from support import AS_OF, CORPUS, EXAMPLE

HEADER = ["STT", "Mã KPI", "Nhiệm vụ / KPI", "Sản phẩm đầu ra", "Trọng số (điểm)", "Thời hạn hoàn thành", "% tiến độ"]


def test_grids_parse_a_sheet_each_time_it_is_asked_for():
    names = load_workbook(EXAMPLE, read_only=True).sheetnames
    with load_grids(EXAMPLE) as grids:
        assert list(grids) == names and len(grids) == len(names)
        assert "KHĐT" in grids and "Không có" not in grids
        first, again = grids["KHĐT"], grids["KHĐT"]
        assert first == again and first is not again  # not kept: the caller holds what it needs
        with pytest.raises(KeyError):
            grids["Không có"]


def test_a_damaged_sheet_stops_the_read_though_nothing_reads_it(tmp_path):
    path = set_cell_xml(copy_example(tmp_path), L.SHEET_GUIDE, {"A1": (None, "<v>NaN</v>")})
    with pytest.raises(FileUnusable, match=f"Không đọc được trang tính '{L.SHEET_GUIDE}'"):
        read_workbook(path)


def test_the_summary_sheet_is_not_parsed_and_a_run_rewrites_it(tmp_path):
    # "Tổng hợp" is sheetkpi's own output: a damaged cell there is replaced, not a reason to stop.
    path = set_cell_xml(copy_example(tmp_path), L.SHEET_SUMMARY, {"A1": (None, "<v>NaN</v>")})
    assert read_workbook(path).summary_sheet == L.SHEET_SUMMARY
    recalc(path, as_of=AS_OF)
    title = load_workbook(path, read_only=True)[L.SHEET_SUMMARY]["A1"].value
    assert title.startswith("TỔNG HỢP KẾT QUẢ THỰC HIỆN KPI")


def test_the_first_damaged_sheet_in_workbook_order_is_named(tmp_path):
    # "Hướng dẫn" comes first but is never read; the unit tab "XDMT" is read (and fails) before it.
    path = set_cell_xml(copy_example(tmp_path), L.SHEET_GUIDE, {"A1": (None, "<v>NaN</v>")})
    set_cell_xml(path, "XDMT", {"H5": (None, "<v>NaN</v>")})
    with pytest.raises(FileUnusable, match=f"'{L.SHEET_GUIDE}'"):
        read_workbook(path)


def test_kpi_cells_are_the_addresses_of_its_row():
    data = read_workbook(EXAMPLE)
    for unit in data.tracker.units:
        columns = data.units[unit.sheet].columns
        for kpi in unit.kpis:
            expected = {f: address(kpi.row, c) for f, c in columns.items()}
            assert dict(kpi.cells) == expected and kpi.cells == expected
            assert kpi.cells.get("progress") == expected["progress"] and kpi.cells["code"] == expected["code"]
    assert kpi.cells.get("not-a-column") is None and kpi.cells.get("not-a-column", "") == ""
    assert repr(kpi.cells) == repr(expected)


def test_read_grids_asks_for_each_sheet_once():
    # The Excel adapter reads a sheet from Excel at every lookup: read_grids must not ask twice.
    asked: list[str] = []

    class Counting(Mapping):
        def __init__(self, grids):
            self.grids = grids

        def __getitem__(self, name):
            asked.append(name)
            return self.grids[name]

        def __iter__(self):
            return iter(self.grids)

        def __len__(self):
            return len(self.grids)

        def __contains__(self, name):
            return name in self.grids

    with load_grids(EXAMPLE) as grids:
        read_grids(Counting(grids), EXAMPLE)
        assert sorted(asked) == sorted(set(asked)) and L.SHEET_CONFIG in asked and "KHĐT" in asked


def _unit_grid(rows: list[list]) -> list[list[Cell]]:
    # "".join makes each text a string of its own, as a file gives one per cell.
    return [[Cell("BẢNG GIAO KPI")], [], [], [Cell(h) for h in HEADER],
            *[[Cell("".join(v) if isinstance(v, str) else v) for v in row] for row in rows],
            [Cell(None), Cell(L.TOTAL_LABEL)]]


def test_equal_texts_read_from_many_rows_are_kept_once():
    output = "Báo cáo trình UBND tỉnh"
    grid = _unit_grid([[1, "X-01", "Nhiệm vụ 1", output, 50, "Quý II/2026", 40],
                       [2, "X-02", "Nhiệm vụ 2", output + " ", 50, "Quý II/2026", 60]])
    first, second = read_grids({"X": grid}, Path("x.xlsx")).tracker.units[0].kpis
    assert first.output == second.output == output and first.output is second.output
    assert first.deadline is second.deadline  # one Deadline per deadline text


_ROW1 = b'<row r="1"><c r="A1"><v>1</v></c></row>'


@pytest.mark.parametrize("rows, far", [
    # LibreOffice saves an empty last row into every sheet: no cell, no grid.
    (b'<row r="1048576" ht="12.8" customHeight="false"></row>', None),
    (b'<row r="1048576"><c r="XFD1048576" s="1"/></row>', None),  # formatting only: readers skip it
    (b'<row r="1048576"><c r="XFD1048576" t="s"><v>0</v></c></row>', "XFD1048576"),
    (b'<row r="1048577"><c r="A1048577"><v>0</v></c></row>', "dòng 1048577"),  # beyond Excel's grid
    (b'<row r="900000"><c r="Z900000"><v>0</v></c></row>', "Z900000"),  # 23 million cells
    (b'<row r="300000"><c r="AD300000"><v>0</v></c></row>', None),  # 9 million: a big sheet, read
    (b'<row r="100000"><c r="A100000"><v>0</v></c></row><row r="100001"/>', None),
    (b'<row r="2"><c r="ZZZZ2"><v>0</v></c></row>', "ZZZZ2"),
])
def test_far_cells_are_found_from_the_filled_cells(rows, far):
    from sheetkpi.workbook._sheetxml import far_cell

    assert far_cell(b"<worksheet><sheetData>" + _ROW1 + rows + b"</sheetData></worksheet>") == far


def test_history_reads_each_rows_figures_with_blank_rows_and_empty_cells_between():
    import datetime as dt

    from sheetkpi.reading import read_history

    may, june, july = dt.date(2026, 5, 25), dt.date(2026, 6, 25), dt.date(2026, 7, 25)
    grid = [[Cell("LỊCH SỬ")], [],
            # the date columns out of order, as an earlier --as-of leaves them
            [Cell("Mã đơn vị"), Cell("Mã KPI"), Cell("Nhiệm vụ / KPI"), Cell(july), Cell(may), Cell(june)],
            [Cell("KHĐT"), Cell("KHĐT-01"), Cell("A"), Cell(80.0), Cell(40.0), Cell(60)],
            [],  # a blank row between two KPIs
            [Cell("KHĐT"), Cell("KHĐT-02"), Cell("B"), EMPTY, Cell("chưa"), Cell(True)],
            [Cell("KHĐT"), Cell(None), Cell("Nhiệm vụ không mã"), EMPTY, Cell(0.0)],
            *[[] for _ in range(1000)],  # a stray row far below: no figure table for the gap
            [Cell("KHĐT"), Cell(None), Cell("Nhiệm vụ không mã"), Cell(10.5)]]
    history, where = read_history(grid, {})
    # by hand: pairs in date order, only where a number is written (not the text, not TRUE)
    assert dict(history) == {
        ("KHĐT", "KHĐT-01", 0): [(may, 40.0), (june, 60.0), (july, 80.0)],
        ("KHĐT", "KHĐT-02", 0): [],
        ("KHĐT", "Nhiệm vụ không mã", 0): [(may, 0.0)],
        ("KHĐT", "Nhiệm vụ không mã", 1): [(july, 10.5)],
    }
    assert where.rows == {("KHĐT", "KHĐT-01", 0): 4, ("KHĐT", "KHĐT-02", 0): 6,
                          ("KHĐT", "Nhiệm vụ không mã", 0): 7, ("KHĐT", "Nhiệm vụ không mã", 1): 1008}
    assert (where.header_row, where.last_row, where.dates) == (3, 1008, {july: 4, may: 5, june: 6})
    assert len(history._figures) == 4 * 3  # a figure per key and date, none for the rows between
    assert history.get(("KHĐT", "KHĐT-03", 0)) is None and len(history) == 4


def _read_whole(path: Path) -> dict[str, list[list]]:
    """Each worksheet as calamine lays it out whole from A1 (``to_python``), the error values the
    package finds put in, trailing empties trimmed: what the reader read before it read a row at a
    time."""
    from python_calamine import CalamineWorkbook, SheetTypeEnum

    from sheetkpi.parsing.numbers import is_percent_format
    from sheetkpi.workbook.package import Package

    book, pkg, found = CalamineWorkbook.from_path(str(path)), Package.open(path), {}
    for name in (m.name for m in book.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet):
        rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        for (r, c), text in pkg.sheet_marks(name, is_percent_format)[1].errors.items():
            rows.extend([] for _ in range(r - len(rows)))
            rows[r - 1].extend("" for _ in range(c - len(rows[r - 1])))
            rows[r - 1][c - 1] = text
        for row in rows:
            while row and row[-1] == "":
                row.pop()
        while rows and not rows[-1]:
            rows.pop()
        found[name] = [[(type(v), v) for v in row] for row in rows]
    return found


def _offset_sheet(folder: Path) -> Path:
    """A sheet whose cells start at C5, with error values (one on a row of its own, last: calamine's
    range takes it in, as empty), a percentage, -0.0 and empty rows between (openpyxl writes it)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Lệch"
    ws["C5"], ws["D5"], ws["E6"] = "Mã KPI", 0.8, "Nhiệm vụ"
    ws["D5"].number_format = "0%"
    ws["D7"], ws["F9"] = "#REF!", -0.0
    ws["B12"] = "#DIV/0!"
    wb.create_sheet("Trống")
    path = folder / "lech.xlsx"
    wb.save(path)
    return path


@pytest.mark.parametrize("path", [*sorted(CORPUS.glob("*.xls[xm]")), EXAMPLE, "offset"],
                         ids=lambda p: p if isinstance(p, str) else p.name)
def test_a_sheet_read_a_row_at_a_time_is_the_sheet_laid_out_whole(path, tmp_path):
    # Grids.rows takes calamine's rows one by one (iter_rows: from the first row, each from the
    # first column that has a cell) and a grid is made of them: the values calamine lays out whole,
    # by hand here, from every producer of the corpus, and a sheet that starts at C5.
    path = _offset_sheet(tmp_path) if path == "offset" else path
    expected = _read_whole(path)
    with load_grids(path) as grids:
        for name in grids:
            rows = [[(type(c.value), c.value) if c is not EMPTY else (str, "") for c in row] for row in grids[name]]
            assert rows == expected[name], name
            assert [list(row) for row in grids.rows(name)] == grids[name]
    if path.name == "lech.xlsx":
        assert expected["Lệch"][4][2:4] == [(str, "Mã KPI"), (float, 0.8)] and expected["Lệch"][6][3] == (str, "#REF!")
        assert expected["Lệch"][11] == [(str, ""), (str, "#DIV/0!")] and expected["Trống"] == []


def test_rows_read_one_at_a_time_keep_error_values_and_drop_trailing_empties():
    # What Grids.rows makes of calamine's rows, whichever rows calamine gives (one whose range ends
    # before a row holding only an error value, which calamine reads as empty): the error's text
    # put in, the empty rows between kept, those after the last cell dropped, a row's trailing
    # empty cells too.
    from sheetkpi.workbook.reader import _cells

    values = [["", "a", ""], ["", "", ""], [1.5, ""], ["", ""], ["", "", ""]]
    rows = list(_cells(iter(values), 2, {(2, 5): "#REF!", (7, 4): "#N/A"}, (), ()))
    assert [[c.value for c in row] for row in rows] == [
        [None, None, None, "a"], [None, None, None, None, "#REF!"], [None, None, 1.5], [], [], [],
        [None, None, None, "#N/A"],
    ]
    assert list(_cells(iter([["x"], [""], ["", ""]]), 0, {}, (), ())) == [[Cell("x")]]


@pytest.mark.parametrize(("header_row", "found"), [(4, True), (15, True), (16, False)])
def test_the_history_header_is_looked_for_in_the_first_fifteen_rows(header_row, found):
    from sheetkpi.reading import read_history

    header = [Cell("Mã đơn vị"), Cell("Mã KPI"), Cell("Nhiệm vụ / KPI"), Cell(dt.date(2026, 5, 25))]
    grid = [[Cell("LỊCH SỬ")], *([] for _ in range(header_row - 2)), header, [Cell("VP"), Cell("VP-01"), EMPTY,
                                                                             Cell(40.0)]]
    if not found:
        with pytest.raises(FileUnusable, match="không có dòng tiêu đề"):
            read_history(iter(grid), {})
        return
    history, where = read_history(iter(grid), {})
    assert dict(history) == {("VP", "VP-01", 0): [(dt.date(2026, 5, 25), 40.0)]}
    assert (where.header_row, where.rows[("VP", "VP-01", 0)], where.last_row) == (header_row, header_row + 1,
                                                                                 header_row + 1)


@pytest.mark.parametrize("row", [4, 15, 30])
def test_a_history_without_its_header_but_with_rows_below_its_title_is_refused(row):
    # From the header's row on, anything typed (within the rows looked at for a header, or after
    # them) is someone's history whose header was lost; above it, the title and its note are not.
    from sheetkpi.reading import read_history

    grid = [[Cell("LỊCH SỬ")], [Cell("Do sheetkpi ghi")], *([] for _ in range(row - 3)), [EMPTY, Cell("VP-01")]]
    with pytest.raises(FileUnusable, match="không có dòng tiêu đề"):
        read_history(iter(grid), {})
    assert read_history(iter(grid[:3]), {}) == (read_history([], {})[0], None)


def test_a_history_moved_in_libreoffice_is_read_and_written_where_it_now_is(tmp_path):
    # The Office deletes "Lịch sử"'s title, inserts two rows above its header and a column before it,
    # in LibreOffice (tests/history_edits.py): read a row at a time, each row from column B, the
    # figures are those typed before (by hand, from the example: KHĐT-01 50 then 70, KHĐT-03 25
    # then 35), and the 25/06 run writes its column right of the last date, on the KPIs' rows (their
    # progress in the unit tab: 90, and "45,5").
    import shutil

    import history_edits

    from lo_uno import require_uno

    require_uno()
    book = shutil.copyfile(EXAMPLE, tmp_path / "BangGiaoKPI.xlsx")
    history_edits.edit(book)
    history = read_workbook(book).tracker.history
    assert history[("KHĐT", "KHĐT-01", 0)] == [(dt.date(2026, 4, 25), 50.0), (dt.date(2026, 5, 25), 70.0)]
    assert history[("KHĐT", "KHĐT-03", 0)] == [(dt.date(2026, 4, 25), 25.0), (dt.date(2026, 5, 25), 35.0)]
    assert len(history) == 32
    recalc(book, as_of=AS_OF)
    ws = load_workbook(book)[L.SHEET_HISTORY]
    assert [ws.cell(6, c).value for c in range(2, 5)] == ["Mã đơn vị", "Mã KPI", "Nhiệm vụ / KPI"]
    assert ws["G6"].value.date() == dt.date(2026, 6, 25) and ws["A7"].value is None
    assert [ws[f"{c}7"].value for c in "BCEFG"] == ["KHĐT", "KHĐT-01", 50, 70, 90]
    assert [ws[f"{c}9"].value for c in "CEFG"] == ["KHĐT-03", 25, 35, 45.5]
