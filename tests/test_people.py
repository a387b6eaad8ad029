"""Results per person ("Người phụ trách" on unit tabs, "Người đứng đầu" in "Cấu hình"): the names a
cell holds, and the list "Tổng hợp" shows after a recalculation, with figures worked out by hand.
Also the analysts' DataFrames (sheetkpi.frame, sheetkpi.history_frame) and the settings read."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest
import yearbook
from openpyxl import load_workbook

import sheetkpi
from sheetkpi import layout as L
from sheetkpi.people import names
from sheetkpi.reading import read_settings
from sheetkpi.structure import Cell

from support import AS_OF, EXAMPLE, ROOT


@pytest.mark.parametrize("typed, expected", [
    ("Nguyễn Văn An", ["Nguyễn Văn An"]),
    ("Nguyễn Văn An, Trần Thị Bình", ["Nguyễn Văn An", "Trần Thị Bình"]),
    ("Lê Văn Cường; nguyễn văn  an\nTrần Thị Bình", ["Lê Văn Cường", "nguyễn văn an", "Trần Thị Bình"]),
    ("Đ/c Lê Văn Cường + bà Phạm Thị Dung", ["Lê Văn Cường", "Phạm Thị Dung"]),
    ("An, an ,  AN", ["An"]),  # one person however typed
    ("Nguyễn Văn An, Nguyễn Văn Ân", ["Nguyễn Văn An", "Nguyễn Văn Ân"]),  # diacritics tell two people apart
    ("", []),
    (" ; , ", []),
])
def test_names_in_a_cell(typed, expected):
    assert names(typed) == expected


@pytest.fixture(scope="module")
def january(tmp_path_factory):
    """The year's workbook after its first report (25/01/2026): "Người phụ trách" on KHĐT and VP
    with one name, two names and empty cells."""
    return yearbook.year(tmp_path_factory.mktemp("thang1"), months=1)


def _person_rows(path) -> tuple[list[tuple], set[str]]:
    ws = load_workbook(path)[L.SHEET_SUMMARY]
    values = [row for row in ws.iter_rows(values_only=True)]
    top = next(i for i, row in enumerate(values) if str(row[0]).startswith("KẾT QUẢ THEO NGƯỜI PHỤ TRÁCH"))
    assert values[top][0] == "KẾT QUẢ THEO NGƯỜI PHỤ TRÁCH (11)"
    assert [h for h in values[top + 1] if h] == [h for h, _, _ in L.SUMMARY_PERSON_SPANS]
    return values[top + 2:], {str(r) for r in ws.merged_cells.ranges}


def test_summary_lists_each_person_of_each_unit(january):
    rows, merges = _person_rows(january)
    # (unit, name, KPIs, weights, achieved, expected, ratio, late, at risk, KPIs)
    shown = [(r[0], r[1], r[4], r[5], r[6], r[7], r[8], r[10], r[11], r[12]) for r in rows]
    khdt, an, binh, cuong, nobody = shown[:5]
    assert khdt[1:4] == ("Trần Văn B (người đứng đầu)", 7, 100.0)  # the head carries the unit's result
    assert khdt[9] == "Kết quả chung của đơn vị (7 KPI)"
    # By hand, at 25/01 (24 days into the year): KHĐT-01 20 × 17 %, KHĐT-02 20 × 9 %, KHĐT-04 10 × 15 %
    # = 3,40 + 1,80 + 1,50; expected 20 × 24/180 + 20 × 24/364 + 10 × 24/119 = 6,00.
    assert an == ("Phòng Kế hoạch và Đầu tư", "Nguyễn Văn An", 3, 50.0, 6.70, 6.00, 100.0, 0, 0,
                  "KHĐT-01, KHĐT-02, KHĐT-04")
    assert binh[1:3] == ("Trần Thị Bình", 2) and binh[9] == "KHĐT-02, KHĐT-03"  # one of two names
    # "Đ/c Lê Văn Cường": KHĐT-04 1,50 + KHĐT-06 10 × 10 % = 2,50 against 2,02 + 10 × 24/272 = 2,90: 86,21 %.
    assert cuong[1:7] == ("Lê Văn Cường", 2, 20.0, 2.50, 2.90, 86.21)
    assert nobody[1] == "(chưa phân công)" and nobody[9] == "KHĐT-05, KHĐT-07"  # the empty cells
    vp = [r for r in shown if r[0] == "Văn phòng"]
    assert [r[1] for r in vp] == ["Hoàng Thị E (người đứng đầu)", "Phạm Thị Dung", "(chưa phân công)"]
    assert [r[1] for r in shown if r[0] == "Phòng Xây dựng và Môi trường"] == ["Lê Thị C (người đứng đầu)"]
    first = next(i for i, row in enumerate(load_workbook(january)[L.SHEET_SUMMARY].iter_rows(values_only=True))
                 if row[1] == "Nguyễn Văn An") + 1
    assert {f"B{first}:D{first}", f"I{first}:J{first}", f"M{first}:O{first}"} <= merges


def test_no_list_without_the_column(tmp_path):
    book = tmp_path / "BangGiaoKPI.xlsx"
    book.write_bytes(EXAMPLE.read_bytes())
    sheetkpi.recalc(book, as_of=AS_OF)
    column = [row[0] for row in load_workbook(book)[L.SHEET_SUMMARY].iter_rows(values_only=True)]
    assert not any(str(v).startswith("KẾT QUẢ THEO NGƯỜI") for v in column)


def test_heads_and_the_deduction_are_read_from_the_settings():
    data = sheetkpi.api.load(EXAMPLE)
    assert [u.head for u in data.tracker.units] == ["Trần Văn B", "Lê Thị C", "Phạm Văn D", "Hoàng Thị E", "Võ Văn G"]
    assert data.tracker.settings.late_deduction == 25.0
    rows = [[Cell(label), Cell(value)] for label, value in (
        ("Năm kế hoạch", 2026), ("Tỷ lệ trừ điểm KPI chậm hạn (%)", 0.25))]
    issues = []
    raw, _ = read_settings(rows, issues)
    assert raw["late_deduction"][0] == 0.25
    assert not any("trừ điểm" in i.text for i in issues), "an optional setting: its absence is not reported"


@pytest.mark.parametrize("typed, rate", [(25, 25.0), ("25%", 25.0), (0.25, 25.0), (0, 0.0), ("không", None)])
def test_deduction_as_typed(typed, rate, tmp_path):
    from badinputs import set_cell_xml, text_cell

    book = tmp_path / "BangGiaoKPI.xlsx"
    book.write_bytes(EXAMPLE.read_bytes())
    row = L.CONFIG_FIRST_ROW + list(L.SETTINGS_LABELS).index("late_deduction")
    set_cell_xml(book, L.SHEET_CONFIG, {f"B{row}": text_cell(typed) if isinstance(typed, str) else
                                        (None, f"<v>{typed}</v>")})
    data = sheetkpi.api.load(book)
    assert data.tracker.settings.late_deduction == rate
    invalid = [i for i in data.tracker.issues if i.code == "setting-invalid"]
    assert bool(invalid) == (rate is None)


# --- pandas --------------------------------------------------------------------------------------

def test_frame_has_a_row_per_kpi():
    frame = sheetkpi.frame(EXAMPLE, as_of=AS_OF)
    assert len(frame) == 32 and frame.attrs["as_of"] == dt.date(2026, 6, 25)
    row = frame.set_index("code").loc["KHĐT-04"]
    assert (row["unit"], row["weight"], row["progress"], row["score"], row["status"]) == (
        "KHĐT", 10.0, 70.0, 7.0, "Quá hạn")
    assert str(row["due"].date()) == "2026-04-30" and "overdue" in row["warnings"]
    # By hand: 20 × 90 % + 20 × 50 % + 20 × 45,5 % + 10 × 70 % + 10 × 40 % + 10 × 50 % + 0 = 53,10.
    assert frame.groupby("unit", sort=False)["score"].sum().round(2).to_dict()["KHĐT"] == 53.1


def test_history_frame_is_long():
    history = sheetkpi.history_frame(EXAMPLE)
    assert list(history.columns) == ["unit", "code", "occurrence", "date", "progress"]
    assert len(history) == 64  # 32 KPIs at two report dates
    first = history.iloc[0]
    assert (first["unit"], first["code"], str(first["date"].date()), first["progress"]) == (
        "KHĐT", "KHĐT-01", "2026-04-25", 50.0)


def test_import_sheetkpi_does_not_load_pandas():
    code = "import sheetkpi, sys; sheetkpi.check; assert 'pandas' not in sys.modules; sheetkpi.frame; " \
           "assert 'pandas' in sys.modules"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
