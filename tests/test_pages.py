"""The pages leadership reads (issue #16): "Tổng hợp", "Lịch sử" and a unit tab printed by LibreOffice
after one and two monthly runs, for the example's 5 units and for 40; what prints is read back from
the PDF, the Excel-side facts (widths, row heights, print setup, fonts) from the XML.

Expected figures are the example's, worked out by hand: June → July, KHĐT-01 (weight 20) 90 → 95 is
+1,00 for KHĐT; XDMT-06 (weight 10) 45 → 30 is -1,50 for XDMT; the agency +1,00 - 1,50 = -0,50.
"""

from __future__ import annotations

import re
import zipfile

import pytest
from openpyxl import load_workbook
from pages import (
    TIMES_BOX,
    first_run_of_a_year,
    forty_units,
    history_pages,
    pdf_pages,
    summary_pages,
    two_months,
    unit_pages,
)

from sheetkpi import layout as L
from sheetkpi.report import REGISTRY

from support import EXAMPLE, soffice

UNITS = ["Phòng Kế hoạch và Đầu tư", "Phòng Xây dựng và Môi trường", "Phòng Doanh nghiệp và Lao động",
         "Văn phòng", "Ban Quản lý dự án khu vực KKT"]
LATE_IN_JULY = ["KHĐT-01", "KHĐT-04", "KHĐT-05", "XDMT-01"]  # due 30/06 (KPI 1 and 5) and 30/04, 30/03
ENGLISH_CODES = re.compile(r"\b(?:" + "|".join(map(re.escape, REGISTRY)) + r")\b")
MIN_POINTS = 9.0


@pytest.fixture(scope="module")
def july(tmp_path_factory):
    soffice()
    folder = tmp_path_factory.mktemp("july")
    book = two_months(folder)
    return book, pdf_pages(book, folder / "pdf")[1]


@pytest.fixture(scope="module")
def forty(tmp_path_factory):
    soffice()
    folder = tmp_path_factory.mktemp("forty")
    book = forty_units(folder)
    return book, pdf_pages(book, folder / "pdf")[1]


def _text(pages) -> str:
    return "\n".join(p.text for p in pages)


def test_the_summary_of_july_shows_every_unit_the_late_kpis_and_the_change(july):
    _, pages = july
    summary = summary_pages(pages)
    text = _text(summary)
    # Three pages: its rows are as tall as the screen shows their text (tests/test_text_fit.py), and
    # print fits a little more on a line, so some rows print with a line to spare.
    assert len(summary) == 3
    for name in UNITS:
        assert name in text
    for code in LATE_IN_JULY:
        assert code in text
    assert "so sánh với kỳ báo cáo trước ngày 25/06/2026" in text
    khdt = next(line for line in text.splitlines() if line.lstrip().startswith("Phòng Kế hoạch và Đầu tư"))
    xdmt = next(line for line in text.splitlines() if line.lstrip().startswith("Phòng Xây dựng và Môi trường"))
    agency = next(line for line in text.splitlines() if line.lstrip().startswith("Toàn cơ quan"))
    assert "+1.00" in khdt and "-1.50" in xdmt and "-0.50" in agency  # LibreOffice prints in en-US here
    assert "###" not in text and not ENGLISH_CODES.search(text)
    assert "Cảnh báo — Thiếu % tiến độ" in text  # data problems named in Vietnamese
    # Every page repeats the title and the table's header; the text prints at 9 pt or more.
    assert all(p.title.startswith("TỔNG HỢP KẾT QUẢ") and "Phòng/đơn vị" in p.text for p in summary)
    assert all(p.body_size >= MIN_POINTS for p in summary)


def test_the_history_and_a_unit_tab_print_whole_and_legibly(july):
    _, pages = july
    history = history_pages(pages)
    text = _text(history)
    assert len(history) == 2
    assert ["25/04/2026", "25/05/2026", "25/06/2026", "25/07/2026"] == re.findall(r"\d\d/0[4-7]/2026", text)[:4]
    assert "###" not in text and all(p.body_size >= MIN_POINTS for p in history)
    khdt = unit_pages(pages, "Phòng Kế hoạch và Đầu tư")
    text = _text(khdt)
    assert len(khdt) == 2
    for code in ("KHĐT-01", "KHĐT-04", "KHĐT-07"):
        assert code in text
    total = " ".join(khdt[-1].text.split()[-40:])  # the total row, last on its page, its texts whole
    assert all(word in total for word in ("Hoàn", "thành", "tốt", "Tạm", "tính:", "71,5%", "vọng"))
    assert "###" not in text and all(p.body_size >= MIN_POINTS for p in khdt)


def test_the_rows_a_first_run_adds_to_lich_su_print_whole(tmp_path):
    """"Lịch sử" emptied below its header and recalculated for June: a row for each of the example's
    32 KPIs, every code and every title's last word on the page (no title cut by its row), at 9 pt
    or more."""
    soffice()
    book = first_run_of_a_year(tmp_path)
    sheet = load_workbook(book)[L.SHEET_HISTORY]
    rows = list(sheet.iter_rows(min_row=L.HISTORY_HEADER_ROW + 1, values_only=True))
    assert len(rows) == 32
    # The earlier dates' cells are empty, in the figures' style: the grid goes on under them.
    below = range(L.HISTORY_HEADER_ROW + 1, L.HISTORY_HEADER_ROW + 33)
    assert all(sheet.cell(r, c).value is None and sheet.cell(r, c).border.left.style == "thin"
               for r in below for c in (4, 5))
    history = history_pages(pdf_pages(book, tmp_path / "pdf")[1])
    text = _text(history)
    assert len(history) == 2 and "###" not in text and all(p.body_size >= MIN_POINTS for p in history)
    words = text.split()
    for _, code, title, *_ in rows:
        assert code in words and title.split()[-1] in words, (code, title)
    assert re.findall(r"\d\d/0[4-6]/2026", text)[:3] == ["25/04/2026", "25/05/2026", "25/06/2026"]


def test_a_second_shorter_run_leaves_no_trace_of_the_first(july, tmp_path):
    import datetime as dt

    import sheetkpi

    from badinputs import set_cell_xml

    book = tmp_path / "BangGiaoKPI.xlsx"
    book.write_bytes(july[0].read_bytes())
    rows_before = load_workbook(book)[L.SHEET_SUMMARY].max_row
    for r in range(5, 12):  # KHĐT done in August: four fewer late and at-risk rows
        set_cell_xml(book, "KHĐT", {f"H{r}": (None, "<v>100</v>")})
    sheetkpi.recalc(book, as_of=dt.date(2026, 8, 25), keep_backup=False)
    ws = load_workbook(book)[L.SHEET_SUMMARY]
    assert ws.max_row < rows_before
    last = max(r for r in range(1, ws.max_row + 1) if any(c.value is not None for c in ws[r]))
    # Below the last line written nothing is left: no value, no fill, no border, no merge.
    for row in ws.iter_rows(min_row=last + 1, max_row=rows_before):
        for cell in row:
            assert cell.value is None and cell.fill.fill_type is None and not cell.border.left.style
    assert all(rng.max_row <= last for rng in ws.merged_cells.ranges)


def test_forty_units_print_on_pages_with_the_header_repeated(forty):
    book, pages = forty
    summary = summary_pages(pages)
    text = _text(summary)
    # The table (2 pages), the chart on a page of its own, the 40 late KPIs and 40 at risk: 7 pages.
    assert len(summary) == 7
    for u in range(1, 41):
        assert f"Phòng chuyên môn số {u} " in text or f"Phòng chuyên môn số {u}\n" in text
    assert all("Phòng/đơn vị" in p.text for p in summary) and all(p.body_size >= MIN_POINTS for p in summary)
    assert text.count("P01-1") == 1 and "DANH SÁCH KPI QUÁ HẠN (40)" in text
    assert "###" not in text and not ENGLISH_CODES.search(text)


def _sheet_xml(book, name: str) -> str:
    wb = load_workbook(book, read_only=True)
    index = wb.sheetnames.index(name) + 1
    with zipfile.ZipFile(book) as zf:
        rels = zf.read("xl/_rels/workbook.xml.rels").decode()
        workbook = zf.read("xl/workbook.xml").decode()
        rid = re.findall(r'<sheet [^>]*r:id="([^"]+)"', workbook)[index - 1]
        target = re.search(rf'Id="{rid}"[^>]*Target="([^"]+)"|Target="([^"]+)"[^>]*Id="{rid}"', rels)
        return zf.read("xl/" + (target.group(1) or target.group(2)).lstrip("/").removeprefix("xl/")).decode()


def test_excel_sees_the_same_layout(july):
    book, _ = july
    xml = _sheet_xml(book, L.SHEET_SUMMARY)
    for col, width in L.SUMMARY_WIDTHS.items():
        assert f'<col min="{col}" max="{col}" width="{width:g}" customWidth="1"/>' in xml
    assert '<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>' in xml
    assert '<pageSetUpPr fitToPage="1"/>' in xml and "Trang &amp;P/&amp;N" in xml
    # Rows whose merged text wraps have their height: Excel does not fit merged cells by itself.
    heights = [float(h) for h in re.findall(r'<row r="\d+"[^>]* ht="([\d.]+)" customHeight="1"', xml)]
    assert heights and all(h > 15 for h in heights)
    assert '<mergeCell ref="A1:O1"/>' in xml
    wb = load_workbook(book)
    names = [n for n in wb.defined_names.values()] if hasattr(wb.defined_names, "values") else []
    titles = wb[L.SHEET_SUMMARY].print_title_rows or ""
    assert titles.replace("$", "") == f"1:{L.SUMMARY_HEADER_ROW}" or any(n.name == "_xlnm.Print_Titles" for n in names)
    # The workbook's own font everywhere: the default font is Times New Roman, and so is the chart's.
    with zipfile.ZipFile(book) as zf:
        styles = zf.read("xl/styles.xml").decode()
        chart = next(zf.read(n).decode() for n in zf.namelist() if n.startswith("xl/charts/chart"))
    assert re.search(r'<fonts count="\d+"><font>(?:<[^>]+/>)*<name val="Times New Roman"/>', styles)
    assert 'typeface="Times New Roman"' in chart
    # "Lịch sử": every date column to come has its width already; July's column was added by the run.
    history = _sheet_xml(book, L.SHEET_HISTORY)
    assert f'width="{L.HISTORY_DATE_WIDTH:g}"' in history


def test_a_history_column_added_to_a_sheet_without_widths_gets_one(tmp_path):
    # A "Lịch sử" made by an older sheetkpi has no widths for its date columns: the run adds one for
    # the column it creates and leaves the columns people sized alone.
    import datetime as dt
    import shutil

    import sheetkpi

    from badinputs import edit_sheet

    book = tmp_path / "BangGiaoKPI.xlsx"
    shutil.copyfile(EXAMPLE, book)

    def drop_widths(root):
        cols = root.find("{http://schemas.openxmlformats.org/spreadsheetml/2006/main}cols")
        for col in list(cols):
            if col.get("min") != "3":
                cols.remove(col)

    edit_sheet(book, L.SHEET_HISTORY, drop_widths)
    sheetkpi.recalc(book, as_of=dt.date(2026, 6, 25), keep_backup=False)
    ws = load_workbook(book)[L.SHEET_HISTORY]
    assert ws.column_dimensions["F"].width == L.HISTORY_DATE_WIDTH
    assert ws.column_dimensions["C"].width == L.HISTORY_KEY_WIDTHS[2]  # kept as it was


def test_body_sizes_are_measured_in_points():
    # The measure itself: a word box of Times New Roman at 10 pt is 11.07 pt high.
    assert round(11.07 / TIMES_BOX, 1) == 10.0
