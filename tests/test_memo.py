"""The cover memo: rendered from the example workbook, read back with python-docx, converted by LibreOffice."""

from __future__ import annotations

import datetime as dt
import html
import re
import shutil
import subprocess
import sys
import unicodedata
import zipfile
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook

from sheetkpi.api import check
from sheetkpi.model import DONE, IN_PROGRESS, LATE, NOT_STARTED
from sheetkpi.outputs.memo import MemoError, date_line, memo_context, next_cutoff, write_memo
from sheetkpi.parsing.deadlines import format_due
from sheetkpi.parsing.numbers import format_vn

import ooxml_validator
from support import AS_OF, EXAMPLE, ROOT, run_cli, soffice

DOCX_TEMPLATE = ROOT / "templates" / "BaoCaoKPI.docx"
INJECTION = '<script>alert(1)</script> & {{ x }} =HYPERLINK("http://x","y")'
# Starts with "=", holds every Jinja and docxtpl delimiter: must come out exactly as typed.
LEADING_EQUALS = '=HYPERLINK("http://x","y") {% if 1 %}{_{ a }_} {_% b %_}'


def _text(value: str) -> str:
    return " ".join(unicodedata.normalize("NFC", value).split())


def _doc_text(doc) -> str:
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


@pytest.fixture(scope="module")
def example():
    return check(EXAMPLE, as_of=AS_OF)


@pytest.fixture(scope="module")
def memo(example, tmp_path_factory):
    folder = tmp_path_factory.mktemp("memo")
    files = write_memo(example, folder, pdf=True)
    return {p.suffix: p for p in files}


@pytest.fixture(scope="module")
def edited(tmp_path_factory):
    """A TEST copy of the example: hostile department text in two late KPIs, VP weights summing to 95."""
    folder = tmp_path_factory.mktemp("edited")
    path = folder / "BangGiaoKPI.xlsx"
    shutil.copyfile(EXAMPLE, path)
    original = check(EXAMPLE, as_of=AS_OF)
    by_code = {k.kpi.code: k.kpi for k in original.kpis}
    vp = next(u for u in original.units if u.unit.code == "VP").kpis[0].kpi
    wb = load_workbook(path)
    wb[by_code["KHĐT-04"].sheet][by_code["KHĐT-04"].cells["obstacles"]] = INJECTION
    cell = wb[by_code["XDMT-01"].sheet][by_code["XDMT-01"].cells["obstacles"]]
    cell.value = LEADING_EQUALS
    cell.data_type = "s"  # typed text, not a formula
    wb[vp.sheet][vp.cells["weight"]] = vp.weight - 5
    wb.save(path)
    evaluation = check(path, as_of=AS_OF)
    files = write_memo(evaluation, folder / "memo")
    return evaluation, {p.suffix: p for p in files}


# --- dates and names ---------------------------------------------------------------------------

@pytest.mark.parametrize("day, expected", [
    (dt.date(2026, 6, 25), "Nghệ An, ngày 25 tháng 6 năm 2026"),
    (dt.date(2026, 2, 5), "Nghệ An, ngày 05 tháng 02 năm 2026"),
    (dt.date(2026, 1, 10), "Nghệ An, ngày 10 tháng 01 năm 2026"),
    (dt.date(2026, 3, 9), "Nghệ An, ngày 09 tháng 3 năm 2026"),
    (dt.date(2026, 12, 31), "Nghệ An, ngày 31 tháng 12 năm 2026"),
])
def test_date_line_has_leading_zeros_only_where_the_decree_wants_them(day, expected):
    assert date_line("Nghệ An", day) == expected


def test_date_line_without_place_leaves_a_visible_blank():
    assert date_line("", dt.date(2026, 6, 25)) == "……, ngày 25 tháng 6 năm 2026"


@pytest.mark.parametrize("as_of, day, expected", [
    (dt.date(2026, 6, 25), 25, dt.date(2026, 7, 25)),
    (dt.date(2026, 6, 20), 25, dt.date(2026, 6, 25)),
    (dt.date(2026, 12, 25), 25, dt.date(2027, 1, 25)),
    (dt.date(2026, 1, 31), 31, dt.date(2026, 2, 28)),
])
def test_next_cutoff(as_of, day, expected):
    assert next_cutoff(as_of, day) == expected


def test_files_are_named_by_report_month_and_the_memo_month_follows_the_report_date(tmp_path):
    evaluation = check(EXAMPLE, as_of="2026-02-05")
    files = write_memo(evaluation, tmp_path)
    assert [p.name for p in files] == ["BaoCaoKPI-2026-02.docx", "BaoCaoKPI-2026-02.html", "BaoCaoKPI-2026-02.txt"]
    doc = Document(files[0])
    assert doc.tables[0].rows[1].cells[1].text == "Nghệ An, ngày 05 tháng 02 năm 2026"
    assert "Kết quả thực hiện KPI, nhiệm vụ trọng tâm tháng 2/2026" in [p.text for p in doc.paragraphs]
    assert write_memo(evaluation, tmp_path / "other", stem="BaoCao")[0].name == "BaoCao.docx"


# --- the Word document -------------------------------------------------------------------------

def test_header_block_follows_the_decree(memo):
    doc = Document(memo[".docx"])
    header = doc.tables[0]
    agency, national = (c.paragraphs for c in header.rows[0].cells)
    assert [p.text for p in agency if p.text] == ["UBND TỈNH NGHỆ AN", "BAN QUẢN LÝ KHU KINH TẾ ĐÔNG NAM NGHỆ AN"]
    assert agency[1].style.font.bold
    assert [p.text for p in national] == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
    assert all(p.style.font.bold for p in national)
    assert national[1]._p.pPr.find(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}pBdr") is not None, "line under the motto"
    number, date = header.rows[1].cells
    assert number.text == "Số: …/BC-VP"
    assert date.text == "Nghệ An, ngày 25 tháng 6 năm 2026"
    assert all(run.italic for run in date.paragraphs[0].runs)
    borders = header._tbl.tblPr.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}tblBorders")
    assert {b.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}val") for b in borders} == {"nil"}


def test_page_and_fonts(memo):
    doc = Document(memo[".docx"])
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert 20 <= round(section.top_margin.mm) <= 25 and 20 <= round(section.bottom_margin.mm) <= 25
    assert 30 <= round(section.left_margin.mm) <= 35 and 15 <= round(section.right_margin.mm) <= 20
    normal = doc.styles["Normal"].font
    assert normal.name == "Times New Roman" and 13 <= normal.size.pt <= 14
    styles_xml = doc.styles.element.xml
    assert "Theme" not in styles_xml.split("</w:docDefaults>")[0], "no theme fonts in the defaults"


def test_title_signature_and_no_leftover_tags(memo):
    doc = Document(memo[".docx"])
    texts = [p.text for p in doc.paragraphs]
    i = texts.index("BÁO CÁO")
    assert texts[i + 1] == "Kết quả thực hiện KPI, nhiệm vụ trọng tâm tháng 6/2026"
    signature = doc.tables[-1].rows[0].cells
    assert signature[0].paragraphs[0].text == "Nơi nhận:"
    # NĐ 30: the Office signs a document of the Ban "TL. TRƯỞNG BAN" over its own title.
    assert [p.text for p in signature[1].paragraphs] == ["TL. TRƯỞNG BAN", "CHÁNH VĂN PHÒNG", "Nguyễn Văn A"]
    everything = _doc_text(doc)
    assert "{{" not in everything and "{%" not in everything and "}}" not in everything


def test_unit_table_equals_the_evaluation(memo, example):
    doc = Document(memo[".docx"])
    table = next(t for t in doc.tables if t.rows[0].cells[0].text == "Phòng/đơn vị")
    rows = [[c.text for c in r.cells] for r in table.rows]
    assert rows[0] == ["Phòng/đơn vị", "Số KPI", "Điểm đạt", "Tăng/giảm so với kỳ trước", "Điểm kỳ vọng",
                       "Tỷ lệ (%)", "HT", "ĐTH", "CTK", "QH", "Nguy cơ chậm", "Xếp loại (tạm tính)"]
    assert len(rows) == 1 + len(example.units) + 1
    # Every score with two decimals, every ratio with one: a column reads evenly ("53,10 / 65,00").
    def points(x):
        return format_vn(x, 2, fixed=True)

    for row, u in zip(rows[1:], example.units):
        c = u.status_counts
        change = u.score_total - u.previous_score
        assert row == [
            u.unit.name, str(len(u.kpis)), points(u.score_total), ("+" if change > 0 else "") + points(change),
            points(u.expected_score), format_vn(u.ratio, 1, fixed=True), str(c[DONE]), str(c[IN_PROGRESS]),
            str(c[NOT_STARTED]), str(c[LATE]), str(u.at_risk_count), u.grade,
        ]
    t = example.totals
    assert rows[-1][:5] == ["Toàn cơ quan", str(t["kpi_count"]), points(t["score_total"]), "+40,35",
                            points(t["expected_score"])]
    assert [r[2] for r in rows[1:]] == ["53,10", "55,50", "43,25", "38,00", "48,25", "238,10"]


def test_late_and_at_risk_kpis_with_their_obstacles(memo, example):
    doc = Document(memo[".docx"])
    texts = [p.text for p in doc.paragraphs]
    late = [k for k in example.kpis if k.status == LATE]
    risky = [k for k in example.kpis if k.at_risk]
    assert late and risky
    for n, k in enumerate(late, start=1):
        line = next(t for t in texts if f"{k.kpi.code} – {k.kpi.title}" in t)
        assert line.startswith(f"{n}. ")
        assert f"thời hạn {format_due(k.kpi.deadline.due)}" in line
        assert f"đạt {format_vn(k.effective_progress, 1, fixed=True)}%" in line
        following = texts[texts.index(line) + 1]
        assert following == f"Khó khăn, vướng mắc, đề xuất của đơn vị: {k.kpi.obstacles}"
    section_iv = texts.index("IV. CÁC KPI CÓ NGUY CƠ CHẬM TIẾN ĐỘ")
    for k in risky:
        assert any(f"{k.kpi.code} – {k.kpi.title}" in t for t in texts[section_iv:])
    assert f"Đến ngày 25/06/2026 có {len(late)} KPI đã quá thời hạn mà chưa hoàn thành:" in texts


def test_chart_is_inside_the_document(memo):
    doc = Document(memo[".docx"])
    assert len(doc.inline_shapes) == 1
    assert round(doc.inline_shapes[0].width.mm) == 160
    with zipfile.ZipFile(memo[".docx"]) as archive:
        images = [n for n in archive.namelist() if n.startswith("word/media/")]
        assert len(images) == 1 and archive.read(images[0])[:8] == b"\x89PNG\r\n\x1a\n"


def test_sections_data_problems_and_proposals(memo, example):
    context = memo_context(example)
    doc = Document(memo[".docx"])
    texts = [p.text for p in doc.paragraphs]
    for heading in ("I. TÌNH HÌNH CHUNG", "II. KẾT QUẢ THEO PHÒNG, ĐƠN VỊ", "III. CÁC KPI QUÁ HẠN",
                    "IV. CÁC KPI CÓ NGUY CƠ CHẬM TIẾN ĐỘ", "V. VẤN ĐỀ DỮ LIỆU CẦN XỬ LÝ", "VI. ĐỀ XUẤT, KIẾN NGHỊ"):
        assert heading in texts
    for line in context["overview"]:
        assert line in texts
    for n, proposal in enumerate(context["proposals"], start=1):
        assert f"{n}. {proposal}" in texts
    problems = next(t for t in doc.tables if t.rows[0].cells[0].text == "TT")
    assert len(problems.rows) - 1 == len(context["problems"]) >= 1
    assert [c.text for c in problems.rows[1].cells][1:4] == ["BQLDA", "H9", "Cảnh báo"]
    assert any("khẩn trương hoàn thành các KPI quá hạn" in p and "KHĐT-04" in p for p in context["proposals"])


def test_rendered_memo_is_valid_ooxml(memo):
    if not ooxml_validator.available():
        pytest.skip("Open XML validator not installed (cd tests/validator && npm ci)")
    assert ooxml_validator.validate(memo[".docx"]) == []
    assert ooxml_validator.validate(DOCX_TEMPLATE) == []


def test_committed_template_equals_a_rebuild(tmp_path):
    rebuilt = tmp_path / "BaoCaoKPI.docx"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_memo_template.py"), str(rebuilt)], check=True)
    assert rebuilt.read_bytes() == DOCX_TEMPLATE.read_bytes()


# --- PDF through LibreOffice -------------------------------------------------------------------

def test_pdf_keeps_the_vietnamese_text_and_embeds_the_fonts(memo, example):
    soffice()
    pdf = memo[".pdf"]
    text = _text(subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                                text=True).stdout)
    for phrase in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "Nghệ An, ngày 25 tháng 6 năm 2026",
        "BAN QUẢN LÝ KHU KINH TẾ", "Kết quả thực hiện KPI, nhiệm vụ trọng tâm tháng 6/2026",
        "Phòng Doanh nghiệp và Lao động", "Nguyễn Văn A", "ĐỀ XUẤT, KIẾN NGHỊ",
    ):
        assert phrase in text, phrase
    late = next(k for k in example.kpis if k.status == LATE)
    assert _text(late.kpi.obstacles)[:60] in text
    assert "\ufffd" not in text
    fonts = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True, text=True).stdout.splitlines()[2:]
    serif = [line for line in fonts if re.search(r"LiberationSerif|TimesNewRoman", line)]
    assert serif, fonts
    assert all(line.split()[-5] == "yes" for line in serif), "fonts embedded"


def test_pdf_without_libreoffice_is_a_clear_error(example, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(MemoError) as info:
        write_memo(example, tmp_path / "out", pdf=True)
    assert "chưa cài LibreOffice" in info.value.message
    assert info.value.exit_code == 3


# --- HTML and text -----------------------------------------------------------------------------

def test_html_and_text_carry_the_same_content(memo, example):
    page = memo[".html"].read_text(encoding="utf-8")
    text = memo[".txt"].read_text(encoding="utf-8")
    context = memo_context(example)
    assert page.startswith("<!DOCTYPE html>") and '<html lang="vi">' in page
    for body in (html.unescape(page), text):
        assert "Nghệ An, ngày 25 tháng 6 năm 2026" in body
        assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in body
        for u in context["units"]:
            assert u["name"] in body and u["score"] in body and u["expected"] in body
        for k in context["late"]:
            assert k["obstacles"] in body
        for proposal in context["proposals"]:
            assert proposal in body


# --- department text is data -------------------------------------------------------------------

def test_hostile_department_text_appears_literally_everywhere(edited):
    evaluation, files = edited
    docx_text = _doc_text(Document(files[".docx"]))
    assert INJECTION in docx_text
    assert LEADING_EQUALS in docx_text
    page = files[".html"].read_text(encoding="utf-8")
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; {{ x }} =HYPERLINK(&#34;http://x&#34;,&#34;y&#34;)" in page
    assert html.escape(LEADING_EQUALS, quote=True).replace("&quot;", "&#34;") in page
    text = files[".txt"].read_text(encoding="utf-8")
    assert INJECTION in text and LEADING_EQUALS in text


def test_weight_sum_error_reaches_the_memo(edited):
    evaluation, files = edited
    context = memo_context(evaluation)
    assert "Văn phòng: Tổng trọng số 95 ≠ 100." in context["unit_notes"]
    assert any("Văn phòng rà soát, điều chỉnh trọng số KPI để tổng bằng 100 điểm (hiện là 95 điểm)" in p
               for p in context["proposals"])
    texts = [p.text for p in Document(files[".docx"]).paragraphs]
    assert "Văn phòng: Tổng trọng số 95 ≠ 100." in texts


# --- the Office's own template -----------------------------------------------------------------

def _user_template(path: Path, *lines: str) -> Path:
    doc = Document()
    for line in lines:
        doc.add_paragraph(line)
    doc.save(path)
    return path


def test_a_user_template_is_used(example, tmp_path):
    template = _user_template(tmp_path / "mau.docx", "{{ agency }}: {{ totals.score }}/{{ totals.expected }} điểm",
                              "{{ chart }}")
    docx = write_memo(example, tmp_path / "out", template=template)[0]
    doc = Document(docx)
    assert doc.paragraphs[0].text == "BAN QUẢN LÝ KHU KINH TẾ ĐÔNG NAM NGHỆ AN: 238,10/285,27 điểm"
    assert len(doc.inline_shapes) == 1


@pytest.mark.parametrize("line, words", [
    ("{{ khong_co }}", "biến"),
    ("{% for x in units %}", "không dùng được"),
])
def test_a_broken_user_template_is_a_vietnamese_error(example, tmp_path, line, words):
    template = _user_template(tmp_path / "mau.docx", line)
    with pytest.raises(MemoError) as info:
        write_memo(example, tmp_path / "out", template=template)
    assert "Mẫu báo cáo" in info.value.message and str(template) in info.value.message


def test_a_template_that_is_not_a_word_file_is_refused(example, tmp_path):
    fake = tmp_path / "mau.docx"
    fake.write_text("không phải Word", encoding="utf-8")
    with pytest.raises(MemoError, match="không phải tệp Word"):
        write_memo(example, tmp_path / "out", template=fake)
    with pytest.raises(MemoError, match="Không tìm thấy mẫu"):
        write_memo(example, tmp_path / "out", template=tmp_path / "khong-co.docx")


# --- import cost -------------------------------------------------------------------------------

def test_heavy_libraries_load_only_when_a_memo_is_written():
    code = "import sheetkpi, sheetkpi.api, sheetkpi.outputs.memo, sheetkpi.outputs.mail"
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True,
                          cwd=ROOT, check=True)
    loaded = {line.split("|")[-1].strip().split(".")[0] for line in proc.stderr.splitlines() if "|" in line}
    assert not loaded & {"pandas", "docxtpl", "matplotlib", "docx"}


def test_sheetkpi_memo_command(tmp_path):
    workbook = tmp_path / "BangGiaoKPI.xlsx"
    shutil.copyfile(EXAMPLE, workbook)
    before = workbook.read_bytes()
    proc = run_cli("memo", str(workbook), "--as-of", AS_OF, "-o", str(tmp_path / "bc"))
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in (tmp_path / "bc").iterdir()) == [
        "BaoCaoKPI-2026-06.docx", "BaoCaoKPI-2026-06.html", "BaoCaoKPI-2026-06.txt"]
    assert workbook.read_bytes() == before, "memo only reads the workbook"
