"""Workbooks edited the way a Board's "Bảng giao KPI" is edited in a year, made at test time.

Two kinds of builders:

- edits of ``examples/nghe-an-2026/BangGiaoKPI.xlsx`` made INSIDE LibreOffice through its UNO API
  (rows and columns inserted, deleted and moved, values and texts typed, cells merged, rows sorted
  and filtered, sheets copied, renamed and protected, number formats changed…) and saved by it as
  xlsx. They run under a Python that can ``import uno`` (see :mod:`lo_uno`), all in one LibreOffice;
- producer files written by other programs: openpyxl (a unit tab with a two-row header under a
  merged group), xlsxwriter (a unit's KPIs in a real Excel table with a totals row), and the
  example's XML rewritten with "ns2:"-prefixed SpreadsheetML as JAXB-based tools write it.

Nothing generated is committed. To look at the files by hand::

    python tests/realedits.py OUTDIR          # every case, OUTDIR/<case>.xlsx
    python tests/realedits.py OUTDIR CASE...  # only these

Each builder's docstring says what a person did; the figures an independent reading of SPEC §2
gives for each file are written in ``tests/test_real_edits.py``, not here.

This module imports only the standard library and :mod:`lo_uno` at import time: the UNO Python
(``/usr/bin/python3``) has neither openpyxl nor xlsxwriter, and the test's Python has no ``uno``.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
import zipfile
from pathlib import Path

import lo_uno  # beside this file: on sys.path as a script's directory, and under pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "nghe-an-2026" / "BangGiaoKPI.xlsx"

LONG_TEXT_LEN = 32767  # the most characters an Excel cell holds
SIGNATURE_DATE = "Nghệ An, ngày 25 tháng 6 năm 2026"
SIGN_HERE = "(Ký, ghi rõ họ tên)"

UNO_CASES: dict[str, object] = {}  # case name -> edit(doc), run inside LibreOffice
PRODUCER_CASES: dict[str, object] = {}  # case name -> build(path), run in the tests' Python


def uno_case(fn):
    UNO_CASES[fn.__name__] = fn
    return fn


def producer_case(fn):
    PRODUCER_CASES[fn.__name__] = fn
    return fn


def all_cases() -> list[str]:
    return [*UNO_CASES, *PRODUCER_CASES]


# --- small UNO helpers (the doc is a Calc document; addresses are A1 text) ----------------------------------------


def sheet(doc, name: str):
    return doc.Sheets.getByName(name)


def cell(sh, ref: str):
    return sh.getCellRangeByName(ref)


def put(sh, ref: str, value) -> None:
    """Type ``value`` in a cell as a person would: a text, a number, a date, or a formula ("=…")."""
    c = cell(sh, ref)
    if value is None:
        c.setString("")
    elif isinstance(value, dt.date):
        c.setValue(lo_uno.serial(value))
    elif isinstance(value, str) and value.startswith("="):
        c.setFormula(value)
    elif isinstance(value, str):
        c.setString(value)
    else:
        c.setValue(value)


def number_format(doc, code: str) -> int:
    """The key of a number format code ("0%", "DD/MM/YYYY"), added to the document if new."""
    import uno  # type: ignore[import-not-found]

    formats = doc.NumberFormats
    locale = uno.createUnoStruct("com.sun.star.lang.Locale")
    key = formats.queryKey(code, locale, False)
    return key if key != -1 else formats.addNew(code, locale)


def insert_rows(sh, row: int, count: int = 1) -> None:
    """Insert ``count`` rows before sheet row ``row`` (1-based), as "Chèn dòng"."""
    sh.Rows.insertByIndex(row - 1, count)


def delete_rows(sh, row: int, count: int = 1) -> None:
    sh.Rows.removeByIndex(row - 1, count)


def merge(sh, ref: str) -> None:
    cell(sh, ref).merge(True)


def sheet_index(doc, name: str) -> int:
    return list(doc.Sheets.ElementNames).index(name)


def copy_range(doc, src_sheet: str, src_ref: str, dst_sheet: str, dst_ref: str) -> None:
    """Copy cells (values, formats) like copy and paste."""
    src = cell(sheet(doc, src_sheet), src_ref).RangeAddress
    dst = cell(sheet(doc, dst_sheet), dst_ref).CellAddress
    sheet(doc, dst_sheet).copyRange(dst, src)


# --- edits of the example in LibreOffice --------------------------------------------------------------------------


@uno_case
def lo_resave(doc) -> None:
    """Opened and saved by LibreOffice, nothing else: the control case."""


@uno_case
def total_labels(doc) -> None:
    """The total rows relabelled "Tổng" (KHĐT), "Cộng" (XDMT) and "Tổng số" (DNLĐ); =SUM() kept."""
    put(sheet(doc, "KHĐT"), "B12", "Tổng")
    put(sheet(doc, "XDMT"), "B12", "Cộng")
    put(sheet(doc, "DNLĐ"), "B11", "Tổng số")


@uno_case
def total_by_formula(doc) -> None:
    """Total rows known only by their formula over the weight column: KHĐT's says "Toàn phòng" over
    =SUM(E5:E11), VP's "Cả phòng" over =SUBTOTAL(9;E5:E10)."""
    put(sheet(doc, "KHĐT"), "B12", "Toàn phòng")
    vp = sheet(doc, "VP")
    put(vp, "B11", "Cả phòng")
    put(vp, "E11", "=SUBTOTAL(9;E5:E10)")


@uno_case
def signature_with_total(doc) -> None:
    """KHĐT: a signature block two rows under its "Tổng cộng" row, its texts in the code (merged
    B:E), weight (E) and progress (H, date line merged H:K) columns."""
    sh = sheet(doc, "KHĐT")
    put(sh, "H14", SIGNATURE_DATE)
    merge(sh, "H14:K14")
    put(sh, "B15", "NGƯỜI LẬP BIỂU")
    merge(sh, "B15:E15")
    put(sh, "H15", "TRƯỞNG PHÒNG")
    put(sh, "E16", SIGN_HERE)
    put(sh, "H16", SIGN_HERE)
    put(sh, "E19", "Trần Thị Bình")
    put(sh, "H19", "Lê Văn Cường")


@uno_case
def signature_no_total(doc) -> None:
    """The total row deleted and a signature block typed under the KPIs, texts in the weight (E) and
    progress (H) columns: XDMT leaves one empty row first, DNLĐ starts right under its last KPI."""
    sh = sheet(doc, "XDMT")
    delete_rows(sh, 12)
    put(sh, "H13", SIGNATURE_DATE)
    put(sh, "E14", "NGƯỜI LẬP BIỂU")
    put(sh, "H14", "TRƯỞNG PHÒNG")
    put(sh, "E15", SIGN_HERE)
    put(sh, "H15", SIGN_HERE)
    put(sh, "E18", "Phạm Văn Dũng")
    put(sh, "H18", "Nguyễn Thị Hoa")
    sh = sheet(doc, "DNLĐ")
    delete_rows(sh, 11)
    put(sh, "H11", SIGNATURE_DATE)
    put(sh, "E12", "NGƯỜI LẬP BIỂU")
    put(sh, "H12", "TRƯỞNG PHÒNG")
    put(sh, "E13", SIGN_HERE)
    put(sh, "H13", SIGN_HERE)
    put(sh, "E16", "Võ Thị Lan")
    put(sh, "H16", "Đặng Văn Minh")


@uno_case
def repeated_header(doc) -> None:
    """VP split in two parts: "A. NHIỆM VỤ TRỌNG TÂM" above VP-01, then before VP-05 a section row
    "B. NHIỆM VỤ PHÁT SINH" and the header row copied again (engine labels included)."""
    sh = sheet(doc, "VP")
    insert_rows(sh, 9, 2)  # VP-05, VP-06 -> 11, 12; total -> 13
    insert_rows(sh, 5)  # everything from VP-01 down one row: section B 10, header 11, total 14
    put(sh, "A5", "A. NHIỆM VỤ TRỌNG TÂM")
    merge(sh, "A5:D5")
    put(sh, "A10", "B. NHIỆM VỤ PHÁT SINH")
    merge(sh, "A10:D10")
    copy_range(doc, "VP", "A4:T4", "VP", "A11")


@uno_case
def group_rows(doc) -> None:
    """Group rows carrying the subtotal weight of the KPIs under them. BQLDA: "I" (=SUM of its three
    KPIs, 65) and "II" (35 typed); DNLĐ: "A." (=SUM, 80) and "B." (=E12, 20). Each total row then
    adds the groups (=E5+E9, =E5+E11), as an Office does once its SUM counted them twice."""
    sh = sheet(doc, "BQLDA")
    insert_rows(sh, 5)  # BQLDA-01..06 -> 6..11, total -> 12
    insert_rows(sh, 9)  # BQLDA-04..06 -> 10..12, total -> 13
    put(sh, "A5", "I")
    put(sh, "C5", "CÁC DỰ ÁN ĐẦU TƯ XÂY DỰNG")
    put(sh, "E5", "=SUM(E6:E8)")
    put(sh, "A9", "II")
    put(sh, "C9", "CHUẨN BỊ ĐẦU TƯ VÀ TỔ CHỨC BỘ MÁY")
    put(sh, "E9", 35)
    put(sh, "E13", "=E5+E9")
    sh = sheet(doc, "DNLĐ")
    insert_rows(sh, 5)  # DNLĐ-01..06 -> 6..11, total -> 12
    insert_rows(sh, 11)  # DNLĐ-06 -> 12, total -> 13
    put(sh, "A5", "A.")
    put(sh, "C5", "LĨNH VỰC LAO ĐỘNG, VIỆC LÀM")
    put(sh, "E5", "=SUM(E6:E10)")
    put(sh, "A11", "B.")
    put(sh, "C11", "LĨNH VỰC DOANH NGHIỆP")
    put(sh, "E11", "=E12")
    put(sh, "E13", "=E5+E11")


@uno_case
def extra_tabs(doc) -> None:
    """Tabs that are not units while "Cấu hình" lists the five: "XDMT 2025", a copy of XDMT made with
    "Di chuyển/Sao chép trang tính" and turned into last year's (title, all progress 100), and an
    empty "Mẫu" holding only KHĐT's title and header rows."""
    sheets = doc.Sheets
    sheets.copyByName("XDMT", "XDMT 2025", sheet_index(doc, "XDMT") + 1)
    old = sheet(doc, "XDMT 2025")
    put(old, "A1", "BẢNG GIAO KPI, NHIỆM VỤ TRỌNG TÂM NĂM 2025")
    for row in range(5, 12):
        put(old, f"H{row}", 100)
    sheets.insertNewByName("Mẫu", sheet_index(doc, "BQLDA") + 1)
    copy_range(doc, "KHĐT", "A1:T4", "Mẫu", "A1")
    put(sheet(doc, "Mẫu"), "A2", "Phòng/đơn vị: …")


@uno_case
def config_merged(doc) -> None:
    """"Cấu hình" re-laid out: a column inserted after the labels, each label merged over two columns
    (A:B), the value in the third (C); the units table shifted alike."""
    sh = sheet(doc, "Cấu hình")
    sh.Columns.insertByIndex(1, 1)
    for row in [*range(2, 18), *range(21, 27)]:
        merge(sh, f"A{row}:B{row}")


def _plan_year_relabelled(doc, label: str) -> None:
    put(sheet(doc, "Cấu hình"), "A6", label)
    sh = sheet(doc, "KHĐT")
    put(sh, "F8", "30/4")
    put(sh, "F10", "Quý III")


@uno_case
def plan_year_label(doc) -> None:
    """"Năm kế hoạch" relabelled "Kỳ đánh giá", a label sheetkpi cannot know (value 2026 kept); KHĐT's
    deadlines "30/4/2026" and "30/9/2026" shortened to the yearless "30/4" and "Quý III"."""
    _plan_year_relabelled(doc, "Kỳ đánh giá")


@uno_case
def plan_year_short_label(doc) -> None:
    """As :func:`plan_year_label` with the abbreviation "Năm KH": read as the plan year, or inferred."""
    _plan_year_relabelled(doc, "Năm KH")


@uno_case
def weights_percent(doc) -> None:
    """VP's weights typed as 15 %, 25 %, 20 %, 20 %, 10 %, 10 % (cells formatted "0%", so the file
    stores 0.15…); the total cell =SUM() formatted as a percentage too (shows 100 %)."""
    sh = sheet(doc, "VP")
    pct = number_format(doc, "0%")
    for row, weight in zip(range(5, 11), (0.15, 0.25, 0.2, 0.2, 0.1, 0.1)):
        put(sh, f"E{row}", weight)
        cell(sh, f"E{row}").NumberFormat = pct
    cell(sh, "E11").NumberFormat = pct


@uno_case
def next_year(doc) -> None:
    """The workbook copied for 2027: "Năm kế hoạch" 2027, plan start 01/01/2027, report date
    25/01/2027; "2026" replaced by "2027" in every unit tab; January's progress 10 typed on every KPI
    (results, obstacles and completion dates cleared); "Lịch sử" kept, with a last column 25/12/2026
    (100 for every KPI)."""
    config = sheet(doc, "Cấu hình")
    put(config, "B6", 2027)
    put(config, "B7", dt.date(2027, 1, 1))
    put(config, "B9", dt.date(2027, 1, 25))
    for name, last in (("KHĐT", 11), ("XDMT", 11), ("DNLĐ", 10), ("VP", 10), ("BQLDA", 10)):
        sh = sheet(doc, name)
        replace = sh.createReplaceDescriptor()
        replace.SearchString, replace.ReplaceString = "2026", "2027"
        sh.replaceAll(replace)
        for row in range(5, last + 1):
            put(sh, f"H{row}", 10)
        cell(sh, f"I5:K{last}").clearContents(1 | 2 | 4)  # VALUE | DATETIME | STRING
    history = sheet(doc, "Lịch sử")
    copy_range(doc, "Lịch sử", "E4:E36", "Lịch sử", "F4")  # the column's formats
    put(history, "F4", dt.date(2026, 12, 25))
    for row in range(5, 37):
        put(history, f"F{row}", 100)


@uno_case
def header_wordings(doc) -> None:
    """Headers as other boards word them: KHĐT "Tiến độ thực hiện (%)", XDMT "Tỷ lệ hoàn thành (%)",
    DNLĐ "Trọng số (%)", VP both "Trọng số (%)" and "Tiến độ thực hiện (%)"."""
    put(sheet(doc, "KHĐT"), "H4", "Tiến độ thực hiện (%)")
    put(sheet(doc, "XDMT"), "H4", "Tỷ lệ hoàn thành (%)")
    put(sheet(doc, "DNLĐ"), "E4", "Trọng số (%)")
    put(sheet(doc, "VP"), "E4", "Trọng số (%)")
    put(sheet(doc, "VP"), "H4", "Tiến độ thực hiện (%)")


@uno_case
def missing_progress_column(doc) -> None:
    """BQLDA's "% tiến độ" header overwritten with "Ghi chú tháng 6": a listed unit without its
    progress column (the workbook must be refused, naming the sheet and the headers found)."""
    put(sheet(doc, "BQLDA"), "H4", "Ghi chú tháng 6")


def long_text() -> str:
    base = ("Chậm so với hạn 30/4/2026 do chờ ý kiến của Bộ Quốc phòng về khu vực biển; đề xuất Lãnh đạo Ban "
            "báo cáo UBND tỉnh có văn bản đôn đốc và lùi mốc hoàn thành đến 31/7/2026. ")
    return (base * (LONG_TEXT_LEN // len(base) + 1))[:LONG_TEXT_LEN]


@uno_case
def long_obstacles(doc) -> None:
    """KHĐT-04 (late: due 30/4/2026, 70 %) with a 32,767-character obstacles text, the most a cell holds."""
    put(sheet(doc, "KHĐT"), "J8", long_text())


@uno_case
def no_code_same_title(doc) -> None:
    """DNLĐ-05 and DNLĐ-06 lose their codes, and DNLĐ-06's title is overwritten with DNLĐ-05's: two
    KPIs without code and with the same title."""
    sh = sheet(doc, "DNLĐ")
    put(sh, "B9", None)
    put(sh, "B10", None)
    put(sh, "C10", cell(sh, "C9").getString())


@uno_case
def invalid_progress(doc) -> None:
    """XDMT-02's progress 40 overwritten with the text "đang làm"."""
    put(sheet(doc, "XDMT"), "H6", "đang làm")


@uno_case
def error_values(doc) -> None:
    """XDMT-02's progress 40 replaced by a formula that fails (=1/0, shown "#DIV/0!"), XDMT-03's by
    =NA() ("#N/A")."""
    sh = sheet(doc, "XDMT")
    put(sh, "H6", "=1/0")
    put(sh, "H7", "=NA()")


@uno_case
def insert_new_kpi(doc) -> None:
    """KHĐT: two rows inserted between KHĐT-04 and KHĐT-05; a new KPI typed in the first (KHĐT-08,
    weight 10, progress 20, due 30/9/2026), the second left empty; KHĐT-01's weight cut 20 -> 10."""
    sh = sheet(doc, "KHĐT")
    insert_rows(sh, 9, 2)
    for ref, value in {"A9": 8, "B9": "KHĐT-08", "C9": "Tổ chức Hội nghị xúc tiến đầu tư tại chỗ năm 2026",
                       "D9": "Hội nghị xúc tiến đầu tư", "E9": 10, "F9": "30/9/2026", "H9": 20,
                       "I9": "Đã xây dựng kế hoạch tổ chức Hội nghị.", "E5": 10}.items():
        put(sh, ref, value)


@uno_case
def delete_kpi(doc) -> None:
    """XDMT-04 (row 8, weight 20) deleted: the weights now sum to 80."""
    delete_rows(sheet(doc, "XDMT"), 8)


@uno_case
def move_column(doc) -> None:
    """VP's "% tiến độ" moved left of "Trọng số (điểm)" by cut and insert: a column inserted before E,
    column I (the progress, shifted) moved into it, the empty column removed."""
    sh = sheet(doc, "VP")
    sh.Columns.insertByIndex(4, 1)
    idx = sheet_index(doc, "VP")
    src = cell(sh, "I1:I1048576").RangeAddress
    dst = cell(sh, "E1").CellAddress
    assert src.Sheet == idx and dst.Sheet == idx
    sh.moveRange(dst, src)
    sh.Columns.removeByIndex(8, 1)


def sort_rows(sh, ref: str, column: int, *, ascending: bool = True) -> None:
    """Sort the rows of ``ref`` (no header) by its ``column``-th column, from 0 (Dữ liệu > Sắp xếp)."""
    import uno  # type: ignore[import-not-found]

    rng = cell(sh, ref)
    field = uno.createUnoStruct("com.sun.star.table.TableSortField")
    field.Field, field.IsAscending = column, ascending
    descriptor = list(rng.createSortDescriptor())
    for p in descriptor:
        if p.Name == "SortFields":
            p.Value = uno.Any("[]com.sun.star.table.TableSortField", (field,))
        elif p.Name == "ContainsHeader":
            p.Value = False
    uno.invoke(rng, "sort", (tuple(descriptor),))


@uno_case
def sort_by_weight(doc) -> None:
    """BQLDA's KPI rows (5-10) sorted by weight, ascending (Dữ liệu > Sắp xếp)."""
    sort_rows(sheet(doc, "BQLDA"), "A5:T10", 4)


@uno_case
def autofilter_hidden(doc) -> None:
    """XDMT: an autofilter on the table (A4:T11) showing only progress ≥ 50, so rows of KPIs with
    less (and the text "80%") are hidden; the "Đơn vị phối hợp" column (G) hidden."""
    import uno  # type: ignore[import-not-found]

    sh = sheet(doc, "XDMT")
    rng = cell(sh, "A4:T11")
    unnamed = doc.getPropertyValue("UnnamedDatabaseRanges")  # the sheet's own range, as the UI's autofilter
    unnamed.setByTable(rng.RangeAddress)
    db = unnamed.getByTable(sheet_index(doc, "XDMT"))
    db.AutoFilter = True
    descriptor = rng.createFilterDescriptor(True)
    field = uno.createUnoStruct("com.sun.star.sheet.TableFilterField")
    field.Field, field.IsNumeric, field.NumericValue = 7, True, 50.0
    field.Operator = uno.Enum("com.sun.star.sheet.FilterOperator", "GREATER_EQUAL")
    descriptor.FilterFields = (field,)
    descriptor.ContainsHeader = True
    rng.filter(descriptor)
    sh.Columns.getByIndex(6).IsVisible = False


@uno_case
def protected_sheets(doc) -> None:
    """"Hướng dẫn" protected with a password, "Cấu hình" protected without one."""
    sheet(doc, "Hướng dẫn").protect("bqlkkt")
    sheet(doc, "Cấu hình").protect("")


@uno_case
def merged_cells(doc) -> None:
    """KHĐT: "Tổng cộng" merged over B12:D12; one result text merged over KHĐT-01/02 (I5:I6, KHĐT-02's
    own text stays in the covered cell); obstacles merged over KHĐT-06/07 (J10:J11)."""
    sh = sheet(doc, "KHĐT")
    merge(sh, "B12:D12")
    merge(sh, "I5:I6")
    merge(sh, "J10:J11")


@uno_case
def typed_values(doc) -> None:
    """VP's progress typed in the ways people type it: 50 % as a percent-formatted number (0.5), the
    texts "40 %", "Hoàn thành" and "5,5"; VP-03's completion date 20/06/2026 as a date cell."""
    sh = sheet(doc, "VP")
    put(sh, "H5", 0.5)
    cell(sh, "H5").NumberFormat = number_format(doc, "0%")
    put(sh, "H6", "40 %")
    put(sh, "H7", "Hoàn thành")
    put(sh, "H8", "5,5")
    put(sh, "K7", dt.date(2026, 6, 20))
    cell(sh, "K7").NumberFormat = number_format(doc, "DD/MM/YYYY")


@uno_case
def true_false_beside_figures(doc) -> None:
    """VP's spare column L used to check the progress, "=H5>=50" on VP-01 (TRUE) and "=H6>=50" on
    VP-02 (FALSE), saved as logical values; VP-03's progress typed 1 and VP-04's 0: a reader that
    took a typed 1 for TRUE or 0 for FALSE (equal in Python) would not score them as typed."""
    sh = sheet(doc, "VP")
    put(sh, "L5", "=H5>=50")
    put(sh, "L6", "=H6>=50")
    put(sh, "H7", 1)
    put(sh, "H8", 0)


@uno_case
def renamed_unit(doc) -> None:
    """The tab "VP" renamed "Văn phòng" and the units table of "Cấu hình" updated to match."""
    sheet(doc, "VP").Name = "Văn phòng"
    config = sheet(doc, "Cấu hình")
    # The units table's row of "VP", wherever the settings above it end.
    row = next(r for r in range(100) if config.getCellByPosition(2, r).getString() == "VP")
    put(config, f"C{row + 1}", "Văn phòng")


def build_uno(outdir: Path, names: list[str] | None = None, source: Path = EXAMPLE) -> list[Path]:
    """Make the LibreOffice cases in ``outdir``, all in one LibreOffice. Runs in the UNO Python."""
    made = []
    with lo_uno.Office() as office:
        for name, edit in UNO_CASES.items():
            if names and name not in names:
                continue
            with office.document(source) as doc:
                edit(doc)
                made.append(office.store(doc, outdir / f"{name}.xlsx"))
    return made


# --- producer files (openpyxl, xlsxwriter) -----------------------------------------------------------------------

UNIT_NAMES = {"KHĐT": "Phòng Kế hoạch và Đầu tư", "XDMT": "Phòng Xây dựng và Môi trường"}


def example_rows(unit: str) -> list[dict]:
    """The example's KPI rows of a unit, as typed (the input of the producer files)."""
    from openpyxl import load_workbook

    ws = load_workbook(EXAMPLE)[unit]
    header = {ws.cell(4, c).value: c for c in range(1, ws.max_column + 1)}
    rows = []
    for r in range(5, ws.max_row + 1):
        if ws.cell(r, 2).value == "Tổng cộng":
            break
        rows.append({h: ws.cell(r, c).value for h, c in header.items()})
    return rows


def config_rows(units: list[str]) -> tuple[list[tuple], list[tuple]]:
    settings = [
        ("Cơ quan chủ quản", "UBND TỈNH NGHỆ AN"),
        ("Tên cơ quan", "BAN QUẢN LÝ KHU KINH TẾ ĐÔNG NAM NGHỆ AN"),
        ("Đơn vị tổng hợp", "Văn phòng"),
        ("Năm kế hoạch", 2026),
        ("Ngày bắt đầu kỳ kế hoạch", dt.datetime(2026, 1, 1)),
        ("Ngày báo cáo", dt.datetime(2026, 6, 25)),
        ("Địa danh", "Nghệ An"),
    ]
    table = [("Mã đơn vị", "Tên phòng/đơn vị", "Trang tính"), *((u, UNIT_NAMES[u], u) for u in units)]
    return settings, table


TWO_ROW_SINGLE = ["STT", "Mã KPI", "Nhiệm vụ / KPI", "Trọng số (điểm)", "Thời hạn hoàn thành"]
TWO_ROW_GROUP = ("Kết quả thực hiện tháng", ["% tiến độ", "Kết quả thực hiện", "Khó khăn, vướng mắc, đề xuất",
                                            "Ngày hoàn thành"])
ENGINE_GROUP = ("Kết quả đánh giá (sheetkpi tự điền)", ["Hạn xác định", "Tiến độ tính điểm (%)", "Điểm quy đổi",
                                                        "Trạng thái", "Cảnh báo"])


@producer_case
def openpyxl_two_row_header(path: Path) -> None:
    """Made with openpyxl: KHĐT and XDMT with a two-row header (rows 4-5): single headers merged
    down over both rows, then "Kết quả thực hiện tháng" merged over "% tiến độ", "Kết quả thực hiện",
    "Khó khăn, vướng mắc, đề xuất", "Ngày hoàn thành". XDMT also has the engine columns under a merged
    group; KHĐT has none. KPIs from row 6, "Tổng cộng" with =SUM() (no cached value) on row 13."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    config = wb.active
    config.title = "Cấu hình"
    settings, table = config_rows(["KHĐT", "XDMT"])
    config.append(["CẤU HÌNH BẢNG GIAO KPI"])
    for row in settings:
        config.append(list(row))
    config["B6"].number_format = config["B7"].number_format = "dd/mm/yyyy"
    config.append([])
    for row in table:
        config.append(list(row))
    for unit in ("KHĐT", "XDMT"):
        ws = wb.create_sheet(unit)
        groups = [TWO_ROW_GROUP] + ([ENGINE_GROUP] if unit == "XDMT" else [])
        ws["A1"] = "BẢNG GIAO KPI, NHIỆM VỤ TRỌNG TÂM NĂM 2026"
        ws["A2"] = f"Phòng/đơn vị: {UNIT_NAMES[unit]}"
        for c, label in enumerate(TWO_ROW_SINGLE, start=1):
            ws.cell(4, c, label)
            ws.merge_cells(start_row=4, start_column=c, end_row=5, end_column=c)
        c = len(TWO_ROW_SINGLE) + 1
        for title, subs in groups:
            ws.cell(4, c, title)
            ws.merge_cells(start_row=4, start_column=c, end_row=4, end_column=c + len(subs) - 1)
            for i, label in enumerate(subs):
                ws.cell(5, c + i, label)
            c += len(subs)
        for row in ws.iter_rows(min_row=4, max_row=5):
            for x in row:
                x.font = Font(bold=True)
                x.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        kpis = example_rows(unit)
        for r, kpi in enumerate(kpis, start=6):
            values = [kpi["STT"], kpi["Mã KPI"], kpi["Nhiệm vụ / KPI"], kpi["Trọng số (điểm)"],
                      kpi["Thời hạn hoàn thành"], kpi["% tiến độ"], kpi["Kết quả thực hiện"],
                      kpi["Khó khăn, vướng mắc, đề xuất"], kpi["Ngày hoàn thành"]]
            for col, value in enumerate(values, start=1):
                ws.cell(r, col, value)
            ws.cell(r, 9).number_format = "dd/mm/yyyy"
        total = 6 + len(kpis)
        ws.cell(total, 2, "Tổng cộng")
        ws.cell(total, 4, f"=SUM(D6:D{total - 1})")
    wb.save(path)


@producer_case
def xlsxwriter_table(path: Path) -> None:
    """Made with xlsxwriter: KHĐT's KPIs in an Excel table "KPI_KHDT" (A4:T12, the example's 20
    columns, style "Table Style Medium 2") with its totals row (row 12: "Tổng cộng" under "Mã KPI",
    SUBTOTAL(109,…) under "Trọng số (điểm)"); "Cấu hình" lists KHĐT only."""
    import xlsxwriter

    kpis = example_rows("KHĐT")
    headers = list(kpis[0])
    wb = xlsxwriter.Workbook(str(path))
    date_fmt = wb.add_format({"num_format": "dd/mm/yyyy"})
    config = wb.add_worksheet("Cấu hình")
    settings, table = config_rows(["KHĐT"])
    config.write(0, 0, "CẤU HÌNH BẢNG GIAO KPI")
    for r, (label, value) in enumerate(settings, start=1):
        config.write(r, 0, label)
        if isinstance(value, dt.datetime):
            config.write_datetime(r, 1, value, date_fmt)
        else:
            config.write(r, 1, value)
    for r, row in enumerate(table, start=len(settings) + 2):
        config.write_row(r, 0, row)
    ws = wb.add_worksheet("KHĐT")
    ws.write(0, 0, "BẢNG GIAO KPI, NHIỆM VỤ TRỌNG TÂM NĂM 2026")
    ws.write(1, 0, f"Phòng/đơn vị: {UNIT_NAMES['KHĐT']}")
    columns = []
    for h in headers:
        column = {"header": h}
        if h == "Mã KPI":
            column["total_string"] = "Tổng cộng"
        elif h == "Trọng số (điểm)":
            column["total_function"] = "sum"
        columns.append(column)
    data = [[kpi[h] for h in headers] for kpi in kpis]
    first, last = 3, 3 + len(kpis) + 1  # header row 4, data rows 5-11, totals row 12 (0-based 3..11)
    ws.add_table(first, 0, last, len(headers) - 1, {
        "name": "KPI_KHDT", "columns": columns, "data": data, "total_row": True, "style": "Table Style Medium 2",
    })
    ws.set_column(2, 2, 50)
    wb.close()


MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_UNPREFIXED_TAG = re.compile(r"<(/?)([A-Za-z_][\w.\-]*)(?=[\s/>])")


@producer_case
def prefixed_namespaces(path: Path) -> None:
    """The example with every SpreadsheetML part written with the prefix "ns2:" declared on its root
    (``<ns2:worksheet xmlns:ns2="…/spreadsheetml/2006/main"><ns2:sheetData>…``), as JAXB-based tools
    (docx4j) write them; the same XML otherwise."""
    declaration = f'xmlns="{MAIN_NS}"'
    with zipfile.ZipFile(EXAMPLE) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith(".xml"):
                text = data.decode("utf-8")
                if text.count("xmlns=") == 1 and declaration in text:  # SpreadsheetML is the only default
                    text = _UNPREFIXED_TAG.sub(r"<\1ns2:\2", text).replace(declaration, f'xmlns:ns2="{MAIN_NS}"')
                    data = text.encode("utf-8")
            dst.writestr(info, data)


def build_producers(outdir: Path, names: list[str] | None = None) -> list[Path]:
    """The producer cases (or ``names`` among them) as ``outdir/<case>.xlsx``, in this Python."""
    outdir.mkdir(parents=True, exist_ok=True)
    made = []
    for name, build in PRODUCER_CASES.items():
        if names and name not in names:
            continue
        path = outdir / f"{name}.xlsx"
        build(path)
        made.append(path)
    return made


def build_uno_cases(outdir: str | Path, names: list[str] | None = None, source: Path = EXAMPLE) -> dict[str, Path]:
    """The LibreOffice cases (or ``names`` among them) as ``outdir/<case>.xlsx``, made under the UNO
    Python in one LibreOffice, each an edit of ``source`` (by default the example as shipped; a
    workbook recalculated once is a month the departments edit after a run). Runs in the tests' Python."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    wanted = [n for n in UNO_CASES if not names or n in names]
    if wanted:
        lo_uno.run_uno_script(__file__, "--uno-only", str(outdir), "--source", str(source), *wanted)
    return {name: outdir / f"{name}.xlsx" for name in wanted}


def build_all(outdir: str | Path, names: list[str] | None = None) -> dict[str, Path]:
    """Every case (or ``names``) as ``outdir/<case>.xlsx``. Runs in the tests' Python."""
    outdir = Path(outdir)
    unknown = set(names or ()) - set(all_cases())
    if unknown:
        raise ValueError(f"unknown cases: {sorted(unknown)}")
    uno_names = [n for n in UNO_CASES if not names or n in names]
    made = build_uno_cases(outdir, uno_names) if uno_names else {}
    made.update({p.stem: p for p in build_producers(outdir, names)})
    return made


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--uno-only":  # the UNO Python's part: OUTDIR --source PATH [CASE...]
        build_uno(Path(argv[1]), argv[4:] or None, Path(argv[3]))
        return 0
    if not argv or argv[0].startswith("-"):
        print(__doc__)
        print("cases:", ", ".join(all_cases()))
        return 2
    for name, path in build_all(argv[0], argv[1:] or None).items():
        print(f"{name}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
