"""Write the Word template of the cover memo, templates/BaoCaoKPI.docx (or the path given as the only argument).

The layout follows Nghị định 30/2020/NĐ-CP (Phụ lục I): A4, margins 20 mm top and bottom, 30 mm left,
15 mm right; Times New Roman; a borderless two-column header table (agency on the left, national
title and motto on the right, "Số" and the place-and-date line on a shared second row so that they
line up); title; numbered sections; "Nơi nhận" and the signature block side by side; page numbers
centred at the top from page 2.

Every piece of text people read is either fixed wording or a Jinja2 tag that docxtpl fills from
``sheetkpi.outputs.memo.memo_context``. The Office restyles the document in Word through its named
paragraph styles ("BC …"), and may move or rewrite any text as long as the tags stay intact.
The output is deterministic: fixed document properties and fixed zip timestamps.
"""

from __future__ import annotations

import datetime as dt
import io
import sys
import zipfile
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "templates" / "BaoCaoKPI.docx"

FONT = "Times New Roman"
BODY_PT = 14
PAGE_W, PAGE_H = Mm(210), Mm(297)
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = Mm(20), Mm(20), Mm(30), Mm(15)
TEXT_W_MM = 210 - 30 - 15
HEADER_COLS_MM = (70, TEXT_W_MM - 70)
CELL_PAD_MM = 1.9  # Word's default left/right cell margin (108 twips)
# Width of "Độc lập - Tự do - Hạnh phúc" in bold 13 pt, measured with Liberation Serif Bold, which is
# metric-compatible with Times New Roman; the line under the motto is as long as the motto (NĐ 30).
MOTTO_WIDTH_MM = 56.1
FIXED_TIME = (2026, 1, 1, 0, 0, 0)
# Children of w:pPr that come after w:pBdr (ECMA-376 CT_PPrBase order).
PBDR_SUCCESSORS = (
    "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
    "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid",
    "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc",
    "w:textDirection", "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle",
    "w:rPr", "w:sectPr", "w:pPrChange",
)

# The table by unit: header, the field of each unit row, the field of the agency total row.
UNIT_COLUMNS = (
    # header, unit row, total row, width mm
    ("Phòng/đơn vị", "u.name", "Toàn cơ quan", 30),
    ("Số KPI", "u.kpi_count", "totals.kpi_count", 10),
    ("Điểm đạt", "u.score", "totals.score", 14),
    ("Tăng/giảm so với kỳ trước", "u.change", "totals.change", 14),
    ("Điểm kỳ vọng", "u.expected", "totals.expected", 14),
    ("Tỷ lệ (%)", "u.ratio", "totals.ratio", 12),
    ("HT", "u.done", "totals.done", 9),
    ("ĐTH", "u.in_progress", "totals.in_progress", 10),
    ("CTK", "u.not_started", "totals.not_started", 10),
    ("QH", "u.late", "totals.late", 9),
    ("Nguy cơ chậm", "u.at_risk", "totals.at_risk", 13),
    ("Xếp loại (tạm tính)", "u.grade", "", 20),
)
PROBLEM_COLUMNS = (
    ("TT", "loop.index", 9),
    ("Trang tính", "p.sheet", 22),
    ("Ô", "p.cell", 13),
    ("Mức độ", "p.severity", 18),
    ("Nội dung", "p.message", TEXT_W_MM - 9 - 22 - 13 - 18),
)


# --- low-level OOXML helpers -------------------------------------------------------------------

def _set_fonts(rpr, name: str = FONT) -> None:
    """Point every script slot of a run-properties element at ``name`` (no theme fonts)."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in list(fonts.attrib):
        del fonts.attrib[attr]
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(slot), name)


def _bottom_border(paragraph, size_eighths: int = 6) -> None:
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", str(size_eighths)), ("w:space", "1"), ("w:color", "auto")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    paragraph._p.get_or_add_pPr().insert_element_before(borders, *PBDR_SUCCESSORS)


def _table_borders(table, value: str) -> None:
    """All borders of ``table`` set to ``value`` ("single" or "nil")."""
    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        edge = OxmlElement(f"w:{side}")
        edge.set(qn("w:val"), value)
        if value != "nil":
            edge.set(qn("w:sz"), "4")
            edge.set(qn("w:space"), "0")
            edge.set(qn("w:color"), "auto")
        borders.append(edge)
    # tblBorders precedes tblLayout, tblCellMar and tblLook in CT_TblPr.
    anchor = None
    for tag in ("w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook"):
        anchor = tbl_pr.find(qn(tag))
        if anchor is not None:
            break
    if anchor is not None:
        anchor.addprevious(borders)
    else:
        tbl_pr.append(borders)


def _cell_margins(table, mm: float) -> None:
    """Left and right padding of every cell (CT_TblPr: tblCellMar follows tblLayout)."""
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        edge = OxmlElement(f"w:{side}")
        edge.set(qn("w:w"), str(round(mm / 25.4 * 1440)))
        edge.set(qn("w:type"), "dxa")
        margins.append(edge)
    tbl_pr = table._tbl.tblPr
    look = tbl_pr.find(qn("w:tblLook"))
    if look is not None:
        look.addprevious(margins)
    else:
        tbl_pr.append(margins)


def _fixed_table(doc, rows: int, widths_mm, *, borders: str, padding_mm: float = CELL_PAD_MM):
    table = doc.add_table(rows=rows, cols=len(widths_mm))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _table_borders(table, borders)
    _cell_margins(table, padding_mm)
    for row in table.rows:
        for cell, width in zip(row.cells, widths_mm):
            cell.width = Mm(width)
    for col, width in zip(table.columns, widths_mm):
        col.width = Mm(width)
    return table


def _repeat_header(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    tr_pr.append(header)


def _page_field(paragraph) -> None:
    """A PAGE field: Word and LibreOffice show the page number."""
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), " PAGE ")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "2"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


# --- styles ------------------------------------------------------------------------------------

def _paragraph_style(doc, name: str, style_id: str, *, size=BODY_PT, bold=False, italic=False,
                     align=WD_ALIGN_PARAGRAPH.JUSTIFY, first_line_mm=None, before=0, after=6,
                     keep_next=False, line_spacing=1.0):
    style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.style_id = style_id
    style.base_style = doc.styles["Normal"]
    style.quick_style = True
    font = style.font
    font.size, font.bold, font.italic = Pt(size), bold, italic
    fmt = style.paragraph_format
    fmt.alignment = align
    fmt.space_before, fmt.space_after = Pt(before), Pt(after)
    fmt.line_spacing = line_spacing
    fmt.keep_with_next = keep_next
    fmt.widow_control = True
    if first_line_mm is not None:
        fmt.first_line_indent = Mm(first_line_mm)
    return style


def _styles(doc) -> dict[str, str]:
    """Set the document defaults to Times New Roman and add the memo's named styles."""
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _set_fonts(rpr)
    for tag in ("w:sz", "w:szCs"):
        rpr.find(qn(tag)).set(qn("w:val"), str(BODY_PT * 2))
    lang = rpr.find(qn("w:lang"))
    lang.set(qn("w:val"), "vi-VN")
    lang.set(qn("w:eastAsia"), "vi-VN")
    spacing = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr")).find(qn("w:spacing"))
    spacing.set(qn("w:after"), "0")
    spacing.set(qn("w:line"), "240")
    normal = doc.styles["Normal"]
    normal.font.size = Pt(BODY_PT)
    _set_fonts(normal.element.get_or_add_rPr())
    centre = WD_ALIGN_PARAGRAPH.CENTER
    left = WD_ALIGN_PARAGRAPH.LEFT
    specs = {
        # key: (name, styleId, options)
        "head": ("BC Đầu văn bản", "BCDauVanBan", dict(size=13, align=centre, after=0)),
        "head_bold": ("BC Đầu văn bản đậm", "BCDauVanBanDam", dict(size=13, bold=True, align=centre, after=0)),
        "title": ("BC Tên loại văn bản", "BCTenLoai",
                  dict(bold=True, align=centre, before=18, after=0, keep_next=True)),
        "subject": ("BC Trích yếu", "BCTrichYeu", dict(bold=True, align=centre, after=0, keep_next=True)),
        "body": ("BC Nội dung", "BCNoiDung", dict(first_line_mm=12.7, before=0, after=6, line_spacing=1.15)),
        "heading": ("BC Mục", "BCMuc", dict(bold=True, first_line_mm=12.7, before=6, after=6, keep_next=True)),
        "item": ("BC Mục liệt kê", "BCLietKe", dict(first_line_mm=12.7, after=3, line_spacing=1.15, keep_next=True)),
        "quote": ("BC Trích dẫn đơn vị", "BCTrichDan",
                  dict(italic=True, first_line_mm=12.7, after=6, line_spacing=1.15)),
        "note": ("BC Ghi chú", "BCGhiChu", dict(size=12, italic=True, first_line_mm=12.7, before=3, after=6)),
        "table": ("BC Bảng", "BCBang", dict(size=11, align=centre, after=0)),
        "table_left": ("BC Bảng trái", "BCBangTrai", dict(size=11, align=left, after=0)),
        "table_head": ("BC Bảng tiêu đề", "BCBangTieuDe", dict(size=11, bold=True, align=centre, after=0)),
        "figure": ("BC Hình", "BCHinh", dict(align=centre, before=6, after=0, keep_next=True)),
        "caption": ("BC Chú thích hình", "BCChuThich", dict(size=12, italic=True, align=centre, after=6)),
        "recipients_head": ("BC Nơi nhận", "BCNoiNhan", dict(size=12, bold=True, italic=True, align=left, before=12)),
        "recipients": ("BC Nơi nhận mục", "BCNoiNhanMuc", dict(size=11, align=left, after=0)),
        "signer_title": ("BC Chức vụ người ký", "BCChucVu", dict(bold=True, align=centre, before=12, after=0)),
        "signer": ("BC Người ký", "BCNguoiKy", dict(bold=True, align=centre, before=72, after=0)),
    }
    for name, style_id, options in specs.values():
        _paragraph_style(doc, name, style_id, **options)
    return {key: name for key, (name, _, _) in specs.items()}


# --- the document ------------------------------------------------------------------------------

def _para(container, style: str, text: str = "", *, bold=None, italic=None):
    paragraph = container.add_paragraph(style=style)
    if text:
        run = paragraph.add_run(text)
        if bold is not None:
            run.bold = bold
        if italic is not None:
            run.italic = italic
    return paragraph


def _cell_para(cell, style: str, text: str = "", **kw):
    """Write into a cell's first (empty) paragraph, then append further ones."""
    first = cell.paragraphs[0]
    if not first.text and first.style.name == "Normal" and len(cell.paragraphs) == 1 and not first.runs:
        first.style = style
        if text:
            run = first.add_run(text)
            for attr, value in kw.items():
                setattr(run, attr, value)
        return first
    paragraph = _para(cell, style, text)
    for attr, value in kw.items():
        setattr(paragraph.runs[0], attr, value)
    return paragraph


def _short_rule(container, style: str, width_mm: float, available_mm: float) -> None:
    """A centred horizontal rule ``width_mm`` long: an empty tiny paragraph with a bottom border."""
    paragraph = _para(container, style)
    side = Mm((available_mm - width_mm) / 2)
    fmt = paragraph.paragraph_format
    fmt.left_indent = fmt.right_indent = side
    fmt.first_line_indent = Mm(0)
    fmt.space_before, fmt.space_after = Pt(2), Pt(0)
    fmt.line_spacing = Pt(2)
    _bottom_border(paragraph)


def _header_block(doc, s) -> None:
    left_w, right_w = HEADER_COLS_MM
    table = _fixed_table(doc, 2, HEADER_COLS_MM, borders="nil")
    agency, national = table.rows[0].cells
    _cell_para(agency, s["head"], "{{ parent_agency|upper }}")
    _cell_para(agency, s["head_bold"], "{{ agency|upper }}")
    _short_rule(agency, s["head"], 25, left_w - 2 * CELL_PAD_MM)
    _cell_para(national, s["head_bold"], "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM").runs[0].font.size = Pt(12)
    motto = _cell_para(national, s["head_bold"], "Độc lập - Tự do - Hạnh phúc")
    side = Mm((right_w - 2 * CELL_PAD_MM - MOTTO_WIDTH_MM - 1) / 2)
    motto.paragraph_format.left_indent = motto.paragraph_format.right_indent = side
    _bottom_border(motto)
    number, date = table.rows[1].cells
    _cell_para(number, s["head"], "Số: …/{{ doc_symbol }}").paragraph_format.space_before = Pt(6)
    _cell_para(date, s["head"], "{{ date_line }}", italic=True).paragraph_format.space_before = Pt(6)


def _unit_table(doc, s) -> None:
    widths = [w for *_, w in UNIT_COLUMNS]
    table = _fixed_table(doc, 5, widths, borders="single", padding_mm=1)
    head, loop_open, row, loop_close, total = table.rows
    _repeat_header(head)
    for i, (label, unit_field, total_field, _) in enumerate(UNIT_COLUMNS):
        for r in (head, row, total):
            r.cells[i].vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        _cell_para(head.cells[i], s["table_head"], label)
        style = s["table_left"] if i in (0, len(UNIT_COLUMNS) - 1) else s["table"]
        _cell_para(row.cells[i], style, f"{{{{ {unit_field} }}}}")
        total_text = f"{{{{ {total_field} }}}}" if total_field.startswith("totals.") else total_field
        _cell_para(total.cells[i], style, total_text, bold=True)
    _cell_para(loop_open.cells[0], s["table_left"], "{%tr for u in units %}")
    _cell_para(loop_close.cells[0], s["table_left"], "{%tr endfor %}")


def _problem_table(doc, s) -> None:
    widths = [w for *_, w in PROBLEM_COLUMNS]
    table = _fixed_table(doc, 4, widths, borders="single", padding_mm=1)
    head, loop_open, row, loop_close = table.rows
    _repeat_header(head)
    for i, (label, field, _) in enumerate(PROBLEM_COLUMNS):
        _cell_para(head.cells[i], s["table_head"], label)
        style = s["table_left"] if i == len(PROBLEM_COLUMNS) - 1 else s["table"]
        _cell_para(row.cells[i], style, f"{{{{ {field} }}}}")
    _cell_para(loop_open.cells[0], s["table_left"], "{%tr for p in problems %}")
    _cell_para(loop_close.cells[0], s["table_left"], "{%tr endfor %}")


def _kpi_item(doc, s, tail: str) -> None:
    """One numbered KPI line: the code and title in bold, then ``tail``."""
    paragraph = _para(doc, s["item"], "{{ loop.index }}. ")
    paragraph.add_run("{{ k.code }} – {{ k.title }}").bold = True
    paragraph.add_run(tail)


def opening(doc, s, subject: str, intro: str) -> None:
    """The document's name ("BÁO CÁO"), its subject with a short line under it, the introduction."""
    _para(doc, s["title"], "BÁO CÁO")
    _para(doc, s["subject"], subject)
    _short_rule(doc, s["subject"], 50, TEXT_W_MM)
    _para(doc, s["body"], intro).paragraph_format.space_before = Pt(12)


def lines(doc, s, items: str) -> None:
    """A body paragraph per sentence of the list ``items`` of the context."""
    _para(doc, s["body"], f"{{%p for line in {items} %}}")
    _para(doc, s["body"], "{{ line }}")
    _para(doc, s["body"], "{%p endfor %}")


def _body(doc, s) -> None:
    opening(
        doc, s, "Kết quả thực hiện KPI, nhiệm vụ trọng tâm tháng {{ period }}",
        "Căn cứ Kế hoạch giao KPI, nhiệm vụ trọng tâm năm {{ plan_year }} và số liệu các phòng, đơn vị cập nhật "
        "trên Bảng giao KPI đến ngày {{ as_of }}, {{ office }} báo cáo kết quả thực hiện KPI, nhiệm vụ trọng tâm "
        "tháng {{ period }} như sau:",
    )

    _para(doc, s["heading"], "I. TÌNH HÌNH CHUNG")
    lines(doc, s, "overview")

    _para(doc, s["heading"], "II. KẾT QUẢ THEO PHÒNG, ĐƠN VỊ")
    _unit_table(doc, s)
    _para(
        doc, s["note"],
        "Ghi chú: HT – Hoàn thành; ĐTH – Đang thực hiện; CTK – Chưa triển khai; QH – Quá hạn. Điểm kỳ vọng là số "
        "điểm đạt được đến ngày báo cáo nếu mọi KPI thực hiện đều theo thời hạn; Tỷ lệ = Điểm đạt / Điểm kỳ vọng "
        "(tối đa 100%); xếp loại tạm tính theo tỷ lệ này.",
    )
    _para(doc, s["body"], "{%p for note in unit_notes %}")
    _para(doc, s["body"], "{{ note }}")
    _para(doc, s["body"], "{%p endfor %}")
    _para(doc, s["body"], "{%p if chart %}")
    _para(doc, s["figure"], "{{ chart }}")
    _para(doc, s["caption"], "Biểu đồ: Điểm đạt và điểm kỳ vọng theo phòng, đơn vị đến ngày {{ as_of }}")
    _para(doc, s["body"], "{%p endif %}")

    _para(doc, s["heading"], "III. CÁC KPI QUÁ HẠN")
    _para(doc, s["body"], "{%p if late %}")
    _para(doc, s["body"], "Đến ngày {{ as_of }} có {{ late|length }} KPI đã quá thời hạn mà chưa hoàn thành:")
    _para(doc, s["body"], "{%p for k in late %}")
    _kpi_item(doc, s, " ({{ k.unit }}): thời hạn {{ k.deadline }}, đạt {{ k.progress }}%.")
    _para(doc, s["quote"], "Khó khăn, vướng mắc, đề xuất của đơn vị: {{ k.obstacles or \"(đơn vị chưa nêu)\" }}")
    _para(doc, s["body"], "{%p endfor %}")
    _para(doc, s["body"], "{%p else %}")
    _para(doc, s["body"], "Không có KPI quá hạn.")
    _para(doc, s["body"], "{%p endif %}")

    _para(doc, s["heading"], "IV. CÁC KPI CÓ NGUY CƠ CHẬM TIẾN ĐỘ")
    _para(doc, s["body"], "{%p if at_risk %}")
    _para(
        doc, s["body"],
        "Có {{ at_risk|length }} KPI có % tiến độ thấp hơn mức kỳ vọng theo thời hạn quá {{ risk_threshold }} điểm %:",
    )
    _para(doc, s["body"], "{%p for k in at_risk %}")
    _kpi_item(doc, s, " ({{ k.unit }}): đạt {{ k.progress }}%, kỳ vọng {{ k.expected }}%, thời hạn {{ k.deadline }}.")
    _para(doc, s["body"], "{%p if k.obstacles %}")
    _para(doc, s["quote"], "Khó khăn, vướng mắc, đề xuất của đơn vị: {{ k.obstacles }}")
    _para(doc, s["body"], "{%p endif %}")
    _para(doc, s["body"], "{%p endfor %}")
    _para(doc, s["body"], "{%p else %}")
    _para(doc, s["body"], "Không có KPI có nguy cơ chậm tiến độ.")
    _para(doc, s["body"], "{%p endif %}")

    _para(doc, s["heading"], "V. VẤN ĐỀ DỮ LIỆU CẦN XỬ LÝ")
    _para(doc, s["body"], "{%p if problems %}")
    _para(
        doc, s["body"],
        "Có {{ problem_count }} vấn đề dữ liệu; đề nghị các phòng, đơn vị sửa trên Bảng giao KPI trước ngày "
        "chốt số liệu kỳ sau ({{ next_cutoff }}):",
    )
    _problem_table(doc, s)
    _para(doc, s["body"], "{%p if problems_more %}")
    _para(doc, s["note"], "… và {{ problems_more }} vấn đề khác, xem trang tính “Tổng hợp” của Bảng giao KPI.")
    _para(doc, s["body"], "{%p endif %}")
    _para(doc, s["body"], "{%p else %}")
    _para(doc, s["body"], "Không có vấn đề dữ liệu cần xử lý.")
    _para(doc, s["body"], "{%p endif %}")

    _para(doc, s["heading"], "VI. ĐỀ XUẤT, KIẾN NGHỊ")
    _para(doc, s["body"], "{%p for p in proposals %}")
    _para(doc, s["body"], "{{ loop.index }}. {{ p }}")
    _para(doc, s["body"], "{%p endfor %}")
    _para(
        doc, s["body"],
        "Trên đây là báo cáo kết quả thực hiện KPI, nhiệm vụ trọng tâm tháng {{ period }}, {{ office }} kính báo "
        "cáo Lãnh đạo Ban xem xét, chỉ đạo./.",
    )


def _signature(doc, s) -> None:
    table = _fixed_table(doc, 1, (80, TEXT_W_MM - 80), borders="nil")
    recipients, signature = table.rows[0].cells
    _cell_para(recipients, s["recipients_head"], "Nơi nhận:")
    for line in ("- Lãnh đạo Ban (để b/c);", "- Các phòng, đơn vị trực thuộc (để t/h);", "- Lưu: VT, VP."):
        _cell_para(recipients, s["recipients"], line)
    # NĐ 30: the authority line (TM., KT., TL., Q.) over the title of the person who signs.
    _cell_para(signature, s["signer_title"], "{%p if signer_authority %}")
    _cell_para(signature, s["signer_title"], "{{ signer_authority|upper }}")
    _cell_para(signature, s["signer_title"], "{%p endif %}")
    _cell_para(signature, s["signer_title"], "{{ signer_title|upper }}")
    _cell_para(signature, s["signer"], "{{ signer }}")


def _page_setup(doc, s) -> None:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = PAGE_W, PAGE_H
    section.top_margin, section.bottom_margin = MARGIN_TOP, MARGIN_BOTTOM
    section.left_margin, section.right_margin = MARGIN_LEFT, MARGIN_RIGHT
    section.header_distance = section.footer_distance = Mm(10)
    # NĐ 30: page numbers centred at the top, from the second page on.
    section.different_first_page_header_footer = True
    header = section.header.paragraphs[0]
    header.style = s["head"]
    _page_field(header)


def build(output: Path = OUTPUT) -> None:
    """The memo's template."""
    document(output, _body, title="Báo cáo kết quả thực hiện KPI, nhiệm vụ trọng tâm", guide="docs/memo.md")


def document(output: Path, body, *, title: str, guide: str, after=None) -> None:
    """A report template laid out per NĐ 30: header block, ``body(doc, styles)``, signature block,
    then ``after(doc, styles)`` (an appendix) when given; written to ``output`` reproducibly."""
    doc = Document()
    styles = _styles(doc)
    _page_setup(doc, styles)
    root = doc.element.body
    for paragraph in list(doc.paragraphs):  # python-docx starts with none, but be sure
        root.remove(paragraph._p)
    _header_block(doc, styles)
    body(doc, styles)
    _signature(doc, styles)
    if after:
        after(doc, styles)
    props = doc.core_properties
    props.author = props.last_modified_by = "sheetkpi"
    props.title = title
    # docxtpl renders the document properties too: no Jinja delimiters here.
    props.comments = f"Mẫu báo cáo của sheetkpi: sửa định dạng trong Word, giữ nguyên các thẻ Jinja (xem {guide})."
    props.revision = 1
    props.created = props.modified = dt.datetime(*FIXED_TIME)
    raw = io.BytesIO()
    doc.save(raw)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(_stable_zip(raw.getvalue()))


def _stable_zip(data: bytes) -> bytes:
    """The same package with fixed member timestamps, so equal content gives equal bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            member = zipfile.ZipInfo(info.filename, FIXED_TIME)
            member.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(member, src.read(info.filename))
    return out.getvalue()


if __name__ == "__main__":
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else OUTPUT)
