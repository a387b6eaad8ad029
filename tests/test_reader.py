"""The file reader at scale: sheets parsed one at a time, KPI cell addresses without a dict per row,
equal texts kept once; and that none of it changes what is read or which error is raised.

No timing or memory is asserted here: figures come from ``python bench/stages.py``.
"""

from __future__ import annotations

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
from support import AS_OF, EXAMPLE

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
