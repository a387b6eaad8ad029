"""How ``collect`` reads a returned copy (sheetkpi/collect.py), rule by rule, on small grids written out
here; tests/test_monthly_loop.py runs the same rules on real copies edited in LibreOffice and openpyxl."""

from __future__ import annotations

import datetime as dt

import pytest

from sheetkpi.collect import Formats, NotAUnitsCopy, compare, named_units, read_copy, read_value, returned_tab
from sheetkpi.model import Unit
from sheetkpi.structure import Cell

HEADER = ["STT", "Mã KPI", "Nhiệm vụ / KPI", "Trọng số (điểm)", "% tiến độ", "Kết quả thực hiện", "Ngày hoàn thành"]
UNIT = Unit("KHĐT", "Phòng Kế hoạch và Đầu tư", "KHĐT")
OTHER = Unit("VP", "Văn phòng", "VP")


def tab(*rows, sheet="KHĐT"):
    """A unit tab as read: its header on row 1, ``rows`` from row 2, a total row under them."""
    def cell(v):
        return v if isinstance(v, Cell) else Cell(v)
    grid = [[Cell(h) for h in HEADER], *[[cell(v) for v in r] for r in rows], [Cell(None), Cell("Tổng cộng")]]
    return returned_tab(grid, sheet, "KHĐT", 2026), grid


CANONICAL, _ = tab(
    [1, "KHĐT-01", "Nghị quyết", 20, 90, "Đã trình", None],
    [2, "KHĐT-02", "Báo cáo định kỳ", 30, "50", "", None],
    [3, None, "Hội nghị xúc tiến", 50, 10, None, None],
)


@pytest.mark.parametrize("name, typed, percent, read", [
    ("progress", "80%", False, 80), ("progress", " 80 % ", False, 80), ("progress", "80,5", False, 80.5),
    ("progress", "Hoàn thành", False, 100), ("progress", 0.8, True, 80), ("progress", 130, False, 130),
    ("progress", "đang làm", False, "đang làm"), ("progress", "", False, None), ("progress", None, False, None),
    ("completed_on", "20/6/2026", False, dt.date(2026, 6, 20)), ("completed_on", "20/6", False, dt.date(2026, 6, 20)),
    ("completed_on", dt.datetime(2026, 6, 20), False, dt.date(2026, 6, 20)),
    ("completed_on", "sắp xong", False, "sắp xong"),
    ("actual", "2.500", False, 2500), ("actual", 1.5, False, 1.5), ("actual", "chưa có", False, "chưa có"),
    ("weight", "20 điểm", False, 20), ("weight", 0.15, True, 15), ("result", " Đã trình\n", False, "Đã trình"),
    ("deadline", dt.datetime(2026, 6, 30), False, dt.date(2026, 6, 30)), ("deadline", " Quý IV ", False, "Quý IV"),
])
def test_values_read_as_the_engine_reads_them(name, typed, percent, read):
    assert read_value(name, typed, percent, 2026) == read


def test_sorted_rows_are_matched_by_code_and_title():
    returned, _ = tab(
        [3, None, "Hội nghị xúc tiến", 50, "25%", None, None],
        [2, "KHĐT-02", "Báo cáo định kỳ", 30, 50, "Đã gửi 5 báo cáo", None],
        [1, "KHĐT-01", "Nghị quyết", 20, 90, "Đã trình", "12/6/2026"],
    )
    found = compare(CANONICAL, returned, UNIT, Formats(date={(2, 7)}))
    assert [(c.row, c.col, c.write) for c in found.changes] == [
        (4, 5, 25), (3, 6, "Đã gửi 5 báo cáo"), (2, 7, dt.date(2026, 6, 12))]
    assert (found.updated, found.unchanged, found.rejected, found.missing) == (3, 0, 0, 0)
    assert found.proposals == []  # "50" typed as text then, 50 now: the same progress


def test_office_cells_and_rows_are_proposals_never_changes():
    returned, _ = tab(
        [1, "KHĐT-01", "Nghị quyết HĐND", 25, 90, "Đã trình", None],  # title and weight changed
        [2, "KHĐT-02", "Báo cáo định kỳ", 30, "50", "", None],
        [3, "KHĐT-09", "Hội nghị xúc tiến", 50, 10, None, None],  # a code given where there was none
        [4, "KHĐT-10", "Nhiệm vụ mới", 10, 5, None, None],  # a row added
    )
    found = compare(CANONICAL, returned, UNIT)
    assert found.changes == []
    assert [(i.code, i.cell) for i in found.proposals] == [
        ("row-added", None), ("change-not-taken", "C2"), ("change-not-taken", "D2"), ("change-not-taken", "B4")]
    assert "KHĐT-10 'Nhiệm vụ mới'" in found.proposals[0].text
    assert found.proposals[2].text.startswith("KHĐT-01 'Nghị quyết' — Trọng số (điểm): 20 → 25")
    assert found.proposals[3].text.startswith("'Hội nghị xúc tiến' — Mã KPI: (trống) → 'KHĐT-09'")
    assert (found.updated, found.unchanged, found.rejected, found.missing) == (0, 3, 1, 0)


def test_a_deleted_row_and_a_second_row_with_the_same_code():
    returned, _ = tab(
        [1, "KHĐT-01", "Nghị quyết", 20, 95, "Đã trình", None],
        [2, "KHĐT-01", "Nghị quyết (bản sao)", 20, 40, None, None],
    )
    found = compare(CANONICAL, returned, UNIT)
    assert [(c.row, c.col, c.write) for c in found.changes] == [(2, 5, 95)]
    assert (found.updated, found.unchanged, found.rejected, found.missing) == (1, 0, 1, 2)
    assert [i.code for i in found.proposals] == ["row-added", "row-missing", "row-missing"]


def test_what_is_written_follows_the_canonical_cells_format():
    returned, _ = tab([1, "KHĐT-01", "Nghị quyết", 20, "95%", "Đã trình", "12/6/2026"])
    # A percentage cell takes 0,95 for 95; a date cell a date.
    found = compare(CANONICAL, returned, UNIT, Formats(percent={(2, 5)}, date={(2, 7)}))
    assert [(c.after, c.write) for c in found.changes] == [(95, 0.95), (dt.date(2026, 6, 12), dt.date(2026, 6, 12))]
    # Cells without those formats: the number, and the date as text (a serial number would show).
    found = compare(CANONICAL, returned, UNIT)
    assert [c.write for c in found.changes] == [95, "12/06/2026"]


@pytest.mark.parametrize("code, date", [
    ("dd/mm/yyyy", True), ("d-mmm-yy", True), ("mm-dd-yy h:mm", True), ("[$-42A]dd/mm/yyyy", True),
    ("General", False), ("0.00", False), ("@", False), ('0" ngày"', False), ("h:mm", False), (None, False),
])
def test_date_formats(code, date):
    from sheetkpi.parsing.numbers import is_date_format

    assert is_date_format(code) is date


@pytest.mark.parametrize("name, units", [
    ("KHĐT-2026-07.xlsx", ["KHĐT"]), ("bang kpi khdt thang 7.xlsx", ["KHĐT"]), ("VP (gửi lại).ods", ["VP"]),
    ("Bảng giao KPI.xlsx", []), ("KHĐTVP.xlsx", []),
])
def test_the_file_name_names_a_unit_by_a_whole_word(name, units):
    assert [u.code for u in named_units(name, [UNIT, OTHER])] == units


def _copy(name, sheets):
    canonical = {"KHĐT": CANONICAL, "VP": tab([1, "VP-01", "Cải cách", 100, 50, None, None], sheet="VP")[0]}
    return read_copy(name, dt.datetime(2026, 7, 20), sheets, [UNIT, OTHER], lambda u: canonical[u.code],
                     lambda u: Formats(), 2026)


def test_a_copy_is_its_units_by_its_tab_by_its_name_or_by_what_changed():
    _, own = tab([1, "KHĐT-01", "Nghị quyết", 20, 95, "Đã trình", None])
    _, vp = tab([1, "VP-01", "Cải cách", 100, 50, None, None], sheet="VP")
    _, vp_changed = tab([1, "VP-01", "Cải cách", 100, 70, None, None], sheet="VP")
    assert _copy("x.xlsx", {"KHĐT": own}).unit is UNIT
    assert _copy("tháng 7.xlsx", {"KHĐT": own, "VP": vp}).unit is UNIT  # the only tab changed
    both = _copy("VP.xlsx", {"KHĐT": own, "VP": vp_changed})  # named: VP's, KHĐT's tab a proposal
    assert both.unit is OTHER and [i.code for i in both.others] == ["other-unit-tab"]
    with pytest.raises(NotAUnitsCopy, match="nhiều đơn vị"):
        _copy("tháng 7.xlsx", {"KHĐT": own, "VP": vp_changed})
    assert _copy("KHĐT-2026-07.xlsx", {"Sheet1": own}).unit is UNIT  # a renamed tab, its unit named
    with pytest.raises(NotAUnitsCopy, match="không có trang tính mang tên đơn vị"):
        _copy("bang.xlsx", {"Sheet1": own})
    with pytest.raises(NotAUnitsCopy, match="thiếu cột"):
        _copy("KHĐT.xlsx", {"KHĐT": [[Cell("Ghi chú")]]})
