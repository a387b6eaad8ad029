"""How a unit tab is read (sheetkpi/structure.py), row by row, on small grids written out here.

tests/test_real_edits.py checks the same rules on workbooks edited in LibreOffice; these name each
rule and its edge, so that a change to one is seen alone.
"""

from __future__ import annotations

import pytest

from sheetkpi.structure import (
    GROUP,
    HEADER_AGAIN,
    KPI,
    NOTE,
    SUBTOTAL,
    TOTAL,
    Cell,
    find_header,
    header_field,
    read_structure,
)

HEADER = ["STT", "Mã KPI", "Nhiệm vụ / KPI", "Trọng số (điểm)", "Thời hạn hoàn thành", "% tiến độ"]


def grid(*rows):
    """A unit tab: a title, an empty row, the header (row 3), then ``rows`` from row 4."""
    def cell(v):
        return v if isinstance(v, Cell) else Cell(v)
    return [[Cell("BẢNG GIAO KPI NĂM 2026")], [], [Cell(h) for h in HEADER], *[[cell(v) for v in r] for r in rows]]


def kinds(g):
    s = read_structure(g, find_header(g), "X", "X")
    return {r: k for r, k in s.kinds.items()}, s


@pytest.mark.parametrize("text, field", [
    ("% tiến độ", "progress"), ("Tiến độ thực hiện (%)", "progress"), ("Tỷ lệ hoàn thành (%)", "progress"),
    ("Mức độ hoàn thành", "progress"), ("Trọng số (%)", "weight"), ("TRỌNG SỐ\nKPI", "weight"),
    ("Thời gian hoàn thành", "deadline"), ("Ngày hoàn thành thực tế", "completed_on"),
    ("Nội dung nhiệm vụ", "title"), ("Khó khăn, vướng mắc", "obstacles"),
    # Engine columns match their exact text only, never a department's wording.
    ("Tiến độ tính điểm (%)", "effective_progress"), ("Tiến độ kỳ vọng", None), ("KHĐT-01", None),
    ("Ghi chú tháng 6", None),
])
def test_header_wordings(text, field):
    assert header_field(text) == field


def test_a_header_in_two_rows_under_a_merged_group():
    g = [[Cell("BẢNG GIAO KPI")],
         [Cell("STT"), Cell("Mã KPI"), Cell("Nhiệm vụ / KPI"), Cell("Trọng số (điểm)"),
          Cell("Kết quả thực hiện tháng")],
         [Cell(None)] * 4 + [Cell("% tiến độ"), Cell("Kết quả"), Cell("Khó khăn, vướng mắc, đề xuất")],
         [Cell(1), Cell("X-01"), Cell("A"), Cell(100), Cell(50)]]
    h = find_header(g)
    assert (h.first_row, h.last_row) == (2, 3) and h.columns["progress"] == 5 and h.columns["result"] == 6
    # A hint line above a one-row header names no column: the header stays one row.
    hinted = grid([1, "X-01", "A", 100, "30/6/2026", 50])
    hinted[1] = [Cell("Cập nhật trước ngày 25 hằng tháng")]
    assert (find_header(hinted).first_row, find_header(hinted).last_row) == (3, 3)


def test_total_rows_by_label_and_by_formula():
    labels = kinds(grid([1, "X-01", "A", 60, "", 10], [2, "X-02", "B", 40, "", 20], [None, "Tổng", None, 100]))
    assert labels[0] == {4: KPI, 5: KPI, 6: TOTAL} and labels[1].total_row == 6
    for label in ("Cộng", "Tổng số", "TỔNG CỘNG:", "Tổng điểm"):
        assert kinds(grid([1, "X-01", "A", 100, "", 10], [None, label, None, 100]))[1].total_row == 5, label
    # Only a =SUM() says it: the label is the department's own.
    summed = grid([1, "X-01", "A", 100, "", 10], [None, "Toàn phòng", None, Cell(100, total=True)])
    assert kinds(summed)[1].total_row == 5
    # "Cộng phần A" is a part's total; the unit's total is the last other one.
    parts = kinds(grid(["A", None, "PHẦN A"], [1, "X-01", "A", 60, "", 10], [None, "Cộng phần A", None, 60],
                       ["B", None, "PHẦN B"], [2, "X-02", "B", 40, "", 10], [None, "Tổng cộng", None, 100]))
    assert parts[1].total_row == 9 and parts[0][6] == SUBTOTAL and parts[1].kpi_rows == [5, 8]


def test_group_rows_and_their_weights():
    ok = kinds(grid(["I", None, "Nhóm 1", 60], [1, "X-01", "A", 20, "", 10], [2, "X-02", "B", 40, "", 10],
                    ["II", None, "Nhóm 2", 40], [3, "X-03", "C", 40, "", 10]))
    assert ok[1].kpi_rows == [5, 6, 8] and ok[0][4] == GROUP and not ok[1].issues
    # "1" above "1.1" is a group too.
    nested = kinds(grid([1, None, "Nhóm", 100], [1.1, "X-01", "A", 50, "", 10], [1.2, "X-02", "B", 50, "", 10]))
    assert nested[1].kpi_rows == [5, 6]
    # A group weight other than its KPIs' sum: named, and still not counted.
    bad = kinds(grid(["I", None, "Nhóm 1", 70], [1, "X-01", "A", 20, "", 10], [2, "X-02", "B", 40, "", 10]))
    assert bad[1].kpi_rows == [5, 6] and [i.code for i in bad[1].issues] == ["structure-ambiguous"]
    assert bad[1].issues[0].cell == "D4" and "Dòng 4" in bad[1].issues[0].text
    # KPIs numbered with roman numerals have nothing under them: they are KPIs.
    roman = kinds(grid(["I", None, "A", 50, "", 10], ["II", None, "B", 50, "", 10]))
    assert roman[1].kpi_rows == [4, 5]


def test_repeated_headers_notes_and_signatures():
    g = grid([1, "X-01", "A", 60, "", 10], ["B. NHIỆM VỤ PHÁT SINH"], HEADER, [2, "X-02", "B", 40, "", 20],
             [None, "Tổng cộng", None, 100], [], [None, None, None, "Nghệ An, ngày 25 tháng 6 năm 2026"],
             [None, None, None, "TRƯỞNG PHÒNG", None, "NGƯỜI LẬP BIỂU"], [None, None, None, "Nguyễn Văn A"])
    k, s = kinds(g)
    assert k[5] == GROUP and k[6] == HEADER_AGAIN and s.kpi_rows == [4, 7] and s.total_row == 8
    assert k[10] == NOTE and k[11] == NOTE and k[12] == NOTE
    # Without a total row, a signature in the weight column is not a KPI, and no total row is added
    # over it.
    bare = grid([1, "X-01", "A", 100, "", 10], [None, None, None, "TRƯỞNG PHÒNG"], [None, None, None, "Trần B"])
    k, s = kinds(bare)
    assert s.kpi_rows == [4] and k[5] == NOTE and k[6] == NOTE and s.free_row_after is None
    assert [i.code for i in s.issues] == ["total-row-missing"]


def test_rows_under_the_total_count_only_with_figures():
    k, s = kinds(grid([1, "X-01", "A", 100, "", 10], [None, "Tổng cộng", None, 100],
                      [2, "X-02", "Thêm sau", 0, "", 30], [None, "Ghi chú", "số liệu tạm tính"]))
    assert s.kpi_rows == [4, 6] and s.below_total == {6} and k[7] == NOTE


@pytest.mark.parametrize("numbers, filler", [(3, True), (2, False)])
def test_the_column_number_row_needs_three_numbers(numbers, filler):
    # "(1) (2) (3) …" under a header is skipped; two numbers may be a KPI's number and code.
    k, s = kinds(grid([f"({i})" for i in range(1, numbers + 1)], [1, "X-01", "A", 100, "", 10]))
    assert (4 not in k) is filler and s.kpi_rows == [5]
