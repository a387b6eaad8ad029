"""Write the Word template of the quarterly review, templates/SoKetKPI.docx (or the path given as the
only argument).

The page, the header block, the styles ("BC …") and the signature block are the monthly memo's
(scripts/build_memo_template.py, Nghị định 30/2020/NĐ-CP); the body holds the review's sections,
filled by docxtpl from ``sheetkpi.outputs.review_doc.review_context``. Quarter 4 adds the year-end
evaluation and an appendix with a table per unit, each on a page of its own. Deterministic output,
like the memo's template.
"""

from __future__ import annotations

import sys
from pathlib import Path

from build_memo_template import (
    _cell_para,
    _fixed_table,
    _kpi_item,
    _para,
    _paragraph_style,
    _repeat_header,
    document,
    lines,
    opening,
)
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "templates" / "SoKetKPI.docx"

# Tables: (header, field of a row, width mm, left-aligned); each adds up to the text width (165 mm).
TRAJECTORY = (
    ("Kỳ báo cáo", "r.date", 26, False), ("Điểm đạt", "r.score", 22, False), ("Điểm kỳ vọng", "r.expected", 24, False),
    ("Tỷ lệ (%)", "r.ratio", 18, False), ("Xếp loại (tạm tính)", "r.grade", 39, True), ("HT", "r.done", 10, False),
    ("QH", "r.late", 10, False), ("Nguy cơ chậm", "r.at_risk", 16, False),
)
AGENCY = (
    ("Kỳ báo cáo", "r.date", 26, False), ("Số KPI", "r.kpi_count", 15, False), ("Điểm đạt", "r.score", 24, False),
    ("Điểm kỳ vọng", "r.expected", 26, False), ("Tỷ lệ (%)", "r.ratio", 20, False), ("HT", "r.done", 16, False),
    ("QH", "r.late", 16, False), ("Nguy cơ chậm", "r.at_risk", 22, False),
)
FALLS = (
    ("TT", "loop.index", 9, False), ("Phòng/đơn vị", "k.unit", 28, True), ("Mã KPI", "k.code", 22, False),
    ("Nhiệm vụ / KPI", "k.title", 54, True), ("Kỳ báo cáo", "k.date", 22, False),
    ("% tiến độ kỳ trước → kỳ này", "k.before → k.after", 30, False),
)
STALLS = (
    ("TT", "loop.index", 9, False), ("Phòng/đơn vị", "k.unit", 28, True), ("Mã KPI", "k.code", 22, False),
    ("Nhiệm vụ / KPI", "k.title", 48, True), ("% tiến độ", "k.figure", 16, False),
    ("Không đổi từ kỳ … đến kỳ … (số kỳ)", "k.since – k.until (k.unchanged)", 42, False),
)
BECAME_LATE = (
    ("TT", "loop.index", 9, False), ("Phòng/đơn vị", "k.unit", 28, True), ("Mã KPI", "k.code", 22, False),
    ("Nhiệm vụ / KPI", "k.title", 48, True), ("Thời hạn", "k.due", 22, False),
    ("Quá hạn từ kỳ", "k.date", 22, False), ("% tiến độ", "k.progress", 14, False),
)
PEOPLE = (
    ("TT", "loop.index", 8, False), ("Phòng/đơn vị", "p.unit", 31, True), ("Người phụ trách", "p.name", 32, True),
    ("Số KPI", "p.kpi_count", 10, False), ("Điểm đạt", "p.score", 15, False),
    ("Điểm kỳ vọng", "p.expected", 15, False), ("Tỷ lệ (%)", "p.ratio", 13, False), ("Quá hạn", "p.late", 11, False),
    ("KPI phụ trách", "p.codes", 30, True),
)
YEAR_END = (
    ("Phòng/đơn vị", "u.name", 30, True), ("Người đứng đầu", "u.head", 24, True),
    ("Tổng trọng số", "u.weight_total", 14, False), ("Điểm đạt", "u.points", 15, False),
    ("Điểm trừ", "u.deduction", 14, False), ("Điểm sau trừ", "u.final", 15, False), ("Tỷ lệ (%)", "u.ratio", 14, False),
    ("Thang 70 điểm", "u.scale", 14, False), ("Xếp loại", "u.grade", 25, True),
)
APPENDIX = (
    ("TT", "r.seq", 8, False), ("Mã KPI", "r.code", 22, False), ("Nhiệm vụ / KPI", "r.title", 43, True),
    ("Trọng số", "r.weight", 13, False), ("% tiến độ", "r.progress", 14, False), ("Điểm đạt", "r.points", 14, False),
    ("Điểm trừ", "r.deduction", 13, False), ("Điểm sau trừ", "r.final", 15, False), ("Ghi chú", "r.note", 23, True),
)
# The total row: its label over the first three columns, then a field (or nothing) per column.
APPENDIX_TOTAL = ("Tổng cộng", "u.weight_total", "", "u.points", "u.deduction", "u.final", "")
TOTAL_LABEL_SPAN = 3


def _tag(field: str) -> str:
    """The Jinja text of a cell: "k.before → k.after" prints two fields with the arrow between."""
    parts = []
    for word in field.split(" "):
        name = word.strip("()")
        if "." in name and not name.replace(".", "").isdigit():
            parts.append(word.replace(name, f"{{{{ {name} }}}}"))
        else:
            parts.append(word)
    return " ".join(parts)


def _loop_table(doc, s, columns, loop: str, *, total=None, together: bool = True) -> None:
    """A table with a header row repeated on each page, a row per item of ``loop`` ("k in falls")
    and, when given, a bold total row (a text or a field per column). ``together``: the table
    keeps on one page with what follows it (a trajectory and its chart); a list that may run long
    only keeps its header with its first row."""
    widths = [w for _, _, w, _ in columns]
    table = _fixed_table(doc, 5 if total else 4, widths, borders="single", padding_mm=1)
    head, loop_open, row, loop_close = table.rows[:4]
    _repeat_header(head)
    for i, (label, field, _, left) in enumerate(columns):
        for r in (head, row):
            r.cells[i].vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        _cell_para(head.cells[i], s["table_head"], label)
        _cell_para(row.cells[i], s["table_left"] if left else s["table"], _tag(field))
    # No row breaks across pages; a table kept together keeps each row with the next (and the
    # last with what follows), a list its header with its first row.
    for r in (head, row):
        r._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
        for cell in r.cells:
            for paragraph in cell.paragraphs:
                paragraph.paragraph_format.keep_with_next = together or r is head
    _cell_para(loop_open.cells[0], s["table_left"], f"{{%tr for {loop} %}}")
    _cell_para(loop_close.cells[0], s["table_left"], "{%tr endfor %}")
    if total:
        cells = table.rows[4].cells
        label = cells[0].merge(cells[TOTAL_LABEL_SPAN - 1])
        for i, (cell, text) in enumerate(zip([label, *cells[TOTAL_LABEL_SPAN:]], total)):
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            _cell_para(cell, s["table_left"] if i == 0 else s["table"], _tag(text) if "." in text else text,
                       bold=True)


def _optional_list(doc, s, items: str, intro: str, columns, empty: str) -> None:
    """A table of ``items`` under an introduction, or the sentence ``empty`` when there are none."""
    _para(doc, s["body"], f"{{%p if {items} %}}")
    _keep(_para(doc, s["body"], intro))
    _loop_table(doc, s, columns, f"k in {items}", together=False)
    _para(doc, s["body"], "{%p else %}")
    _para(doc, s["body"], empty)
    _para(doc, s["body"], "{%p endif %}")


def _optional_section(doc, s, key: str, heading: str, intro: str, columns, loop: str, *, together=True,
                      note: str = "") -> None:
    """A numbered section shown only when the context's ``key`` holds something: its heading,
    an introduction kept with the table, the table, and a note under it."""
    _para(doc, s["body"], f"{{%p if {key} %}}")
    _para(doc, s["heading"], f"{{{{ sections.{key} }}}}. {heading}")
    _keep(_para(doc, s["body"], intro))
    _loop_table(doc, s, columns, loop, together=together)
    if note:
        _para(doc, s["note"], note)
    _para(doc, s["body"], "{%p endif %}")


def _keep(paragraph) -> None:
    """The paragraph stays on the page of what follows it (a table)."""
    paragraph.paragraph_format.keep_with_next = True


def _chart(doc, s, image: str, caption: str) -> None:
    _para(doc, s["figure"], f"{{{{ {image} }}}}")
    _para(doc, s["caption"], caption)


def _body(doc, s) -> None:
    opening(
        doc, s, "{{ title }}",
        "Thực hiện Kế hoạch giao KPI, nhiệm vụ trọng tâm năm {{ plan_year }} (định kỳ hằng quý rà soát, đánh giá kết "
        "quả thực hiện; đề xuất điều chỉnh các mốc tiến độ hoặc giải pháp tháo gỡ đối với các KPI có nguy cơ chậm "
        "tiến độ), trên cơ sở số liệu các phòng, đơn vị cập nhật trên Bảng giao KPI tại các kỳ báo cáo {{ dates }}, "
        "{{ office }} báo cáo {{ kind_lower }} thực hiện KPI, nhiệm vụ trọng tâm {{ period_heading }} như sau:",
    )

    _para(doc, s["heading"], "{{ sections.overview }}. TÌNH HÌNH CHUNG")
    lines(doc, s, "overview")
    _keep(_para(doc, s["body"], "Diễn biến điểm đạt và điểm kỳ vọng của toàn cơ quan qua các kỳ báo cáo:"))
    _loop_table(doc, s, AGENCY, "r in agency_rows")
    _chart(doc, s, "agency_chart", "Biểu đồ: Điểm đạt và điểm kỳ vọng của toàn cơ quan qua các kỳ báo cáo")
    _para(
        doc, s["note"],
        "Ghi chú: Điểm kỳ vọng là số điểm đạt được đến kỳ báo cáo nếu mọi KPI thực hiện đều theo thời hạn; Tỷ lệ = "
        "Điểm đạt / Điểm kỳ vọng (tối đa 100%). Số liệu mỗi kỳ tính lại từ trang “Lịch sử” với trọng số, thời hạn "
        "hiện hành. HT – Hoàn thành; QH – Quá hạn.",
    )

    _para(doc, s["heading"], "{{ sections.units }}. DIỄN BIẾN THEO PHÒNG, ĐƠN VỊ")
    _para(doc, s["body"], "{%p for u in units %}")
    _para(doc, s["subheading"],
          "{{ loop.index }}. {{ u.name }}{% if u.head %} (người đứng đầu: {{ u.head }}){% endif %}")
    _keep(_para(doc, s["body"], "{{ u.summary }}"))
    _loop_table(doc, s, TRAJECTORY, "r in u.rows")
    _chart(doc, s, "u.chart", "Biểu đồ: Điểm đạt và điểm kỳ vọng của {{ u.name }}")
    _para(doc, s["body"], "{%p endfor %}")

    _para(doc, s["heading"], "{{ sections.watch }}. CÁC KPI CẦN LƯU Ý")
    _para(doc, s["subheading"], "1. KPI có % tiến độ giảm so với kỳ trước")
    _optional_list(doc, s, "falls", "Các KPI có % tiến độ kỳ sau thấp hơn kỳ trước, đề nghị đơn vị giải trình:",
                   FALLS, "Không có KPI giảm % tiến độ.")
    _para(doc, s["subheading"], "2. KPI đứng yên từ hai kỳ báo cáo trở lên")
    _optional_list(doc, s, "stalls", "Các KPI chưa hoàn thành có % tiến độ không đổi qua từ hai kỳ báo cáo liên tiếp "
                   "trở lên:", STALLS, "Không có KPI đứng yên từ hai kỳ báo cáo trở lên.")
    _para(doc, s["subheading"], "3. KPI chuyển sang quá hạn trong kỳ")
    _optional_list(doc, s, "became_late", "Các KPI đã qua thời hạn mà chưa hoàn thành, lần đầu ghi nhận quá hạn tại "
                   "kỳ báo cáo nêu dưới đây:", BECAME_LATE, "Không có KPI chuyển sang quá hạn trong kỳ.")

    _para(doc, s["heading"],
          "{{ sections.proposals }}. ĐỀ XUẤT ĐIỀU CHỈNH MỐC TIẾN ĐỘ, GIẢI PHÁP THÁO GỠ")
    _para(doc, s["body"], "{%p if proposals %}")
    _para(doc, s["body"],
          "Đến kỳ báo cáo {{ as_of }} có {{ proposals|length }} KPI quá hạn hoặc có nguy cơ chậm tiến độ (tiến độ thấp "
          "hơn mức kỳ vọng quá {{ risk_threshold }} điểm %). Mốc đề xuất là ngày KPI đạt 100% nếu giữ tốc độ hiện nay "
          "(từ kỳ báo cáo cuối quý trước đến nay); KPI không có tiến triển được đề xuất giải pháp tháo gỡ:")
    _para(doc, s["body"], "{%p for k in proposals %}")
    _kpi_item(doc, s, " ({{ k.unit }}): {{ k.state }}.")
    proposal = _para(doc, s["body"], "Đề xuất: ", bold=True)
    proposal.add_run("{{ k.proposal }}")
    _para(doc, s["body"], "{%p if k.measure %}")
    _para(doc, s["quote"], "Khó khăn, vướng mắc, đề xuất của đơn vị: {{ k.measure }}")
    _para(doc, s["body"], "{%p endif %}")
    _para(doc, s["body"], "{%p endfor %}")
    _para(doc, s["body"], "{%p else %}")
    _para(doc, s["body"], "Không có KPI quá hạn hoặc có nguy cơ chậm tiến độ.")
    _para(doc, s["body"], "{%p endif %}")

    _optional_section(
        doc, s, "people", "KẾT QUẢ THEO NGƯỜI PHỤ TRÁCH",
        "Đến kỳ báo cáo {{ as_of }}, theo cột “Người phụ trách” của các phòng, đơn vị. Mỗi người được tính đủ các "
        "KPI mình phụ trách (KPI nhiều người cùng phụ trách được tính cho từng người); người đứng đầu mang kết quả "
        "chung của phòng, đơn vị.", PEOPLE, "p in people", together=False)
    _optional_section(
        doc, s, "year_end", "ĐÁNH GIÁ CUỐI NĂM",
        "Theo số liệu kỳ báo cáo cuối năm ({{ year_end.figures_on }}), đánh giá tại thời điểm kết thúc năm "
        "{{ plan_year }}, khi mọi thời hạn trong năm đã qua. KPI hoàn thành sau thời hạn hoặc chưa hoàn thành bị trừ "
        "{{ year_end.rate }}% số điểm đạt ({{ year_end.rate_source }}). Xếp loại theo tỷ lệ điểm sau trừ trên tổng "
        "trọng số; cột “Thang 70 điểm” quy đổi tỷ lệ này theo thang điểm kết quả thực hiện nhiệm vụ của Nghị định "
        "335/2025/NĐ-CP.", YEAR_END, "u in year_end.units",
        note="Chi tiết từng phòng, đơn vị tại Phụ lục kèm theo báo cáo; mỗi bảng có thể chép vào hồ sơ đánh giá, xếp "
        "loại của phòng, đơn vị.")

    _para(doc, s["heading"], "{{ sections.closing }}. ĐỀ XUẤT, KIẾN NGHỊ")
    _para(doc, s["body"], "{%p for p in recommendations %}")
    _para(doc, s["body"], "{{ loop.index }}. {{ p }}")
    _para(doc, s["body"], "{%p endfor %}")
    _keep(_para(doc, s["body"],
                "Trên đây là báo cáo {{ kind_lower }} thực hiện KPI, nhiệm vụ trọng tâm {{ period_heading }}, "
                "{{ office }} kính báo cáo Lãnh đạo Ban xem xét, chỉ đạo./."))


def _appendix(doc, s) -> None:
    """Quarter 4: a page per unit, its KPIs with points, deduction and grade, to paste as it is."""
    # The signature block, just written, is never cut across two pages.
    doc.tables[-1].rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    _para(doc, s["body"], "{%p if year_end %}")
    _para(doc, s["body"], "{%p for u in year_end.units %}")
    _para(doc, s["appendix"], "Phụ lục {{ loop.index }}")
    _para(doc, s["subject"], "KẾT QUẢ THỰC HIỆN KPI, NHIỆM VỤ TRỌNG TÂM NĂM {{ plan_year }}")
    _para(doc, s["subject"], "{{ u.name }}")
    _para(doc, s["caption"], "(Kèm theo Báo cáo số …/{{ doc_symbol }} của {{ office }})")
    _para(doc, s["body"], "Người đứng đầu: {{ u.head }}. Số liệu kỳ báo cáo {{ year_end.figures_on }}.")
    _loop_table(doc, s, APPENDIX, "r in u.rows", total=APPENDIX_TOTAL)
    _para(doc, s["body"],
          "Điểm sau trừ: {{ u.final }}/{{ u.weight_total }} điểm, tỷ lệ {{ u.ratio }}%; quy đổi {{ u.scale }}/70 "
          "điểm; xếp loại: {{ u.grade }}.")
    _para(doc, s["body"], "{%p if u.pending %}")
    _para(doc, s["note"], "Kết quả tạm tính: còn KPI chưa đến hạn — {{ u.pending }}.")
    _para(doc, s["body"], "{%p endif %}")
    _para(doc, s["body"], "{%p endfor %}")
    _para(doc, s["body"], "{%p endif %}")


def _styles_of_review(doc, s) -> dict[str, str]:
    """The memo's styles and the review's own: unit subheadings and the appendix's page title."""
    _paragraph_style(doc, "BC Mục nhỏ", "BCMucNho", bold=True, italic=True, first_line_mm=12.7, before=6, after=3,
                     keep_next=True)
    appendix = _paragraph_style(doc, "BC Phụ lục", "BCPhuLuc", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=0,
                                keep_next=True)
    appendix.paragraph_format.page_break_before = True
    return {**s, "subheading": "BC Mục nhỏ", "appendix": "BC Phụ lục"}


def build(output: Path = OUTPUT) -> None:
    """The review's template."""
    styles: dict[str, str] = {}

    def body(doc, s):
        styles.update(_styles_of_review(doc, s))
        _body(doc, styles)

    document(output, body, title="Báo cáo sơ kết, tổng kết thực hiện KPI, nhiệm vụ trọng tâm",
             guide="docs/review.md", after=lambda doc, s: _appendix(doc, styles))


if __name__ == "__main__":
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else OUTPUT)
