"""The quarterly review and the year-end evaluation on a year of the example (tests/yearbook.py:
twelve monthly recalculations), checked against figures computed here independently — the scoring
rules written out again in a few lines, on the weights and due dates of the plan typed by hand —
and against a few figures worked out by hand. Also: the Word report as Word and LibreOffice read
it, the command, the settings it needs."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import sys
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
import yearbook
from docx import Document

import sheetkpi
from sheetkpi.api import load
from sheetkpi.errors import UsageError
from sheetkpi.model import History
from sheetkpi.outputs.review_doc import review_context, write_review
from sheetkpi.review import build_review, department_measure

import ooxml_validator
from support import ROOT, run_cli

D = dt.date
START = D(2026, 1, 1)
Q2 = [D(2026, 4, 25), D(2026, 5, 25), D(2026, 6, 25)]
# The plan as typed by hand: weight after July (VP-02 gave 10 points to VP-07) and resolved due date.
PLAN = {
    "KHĐT": {"KHĐT-01": (20, D(2026, 6, 30)), "KHĐT-02": (20, D(2026, 12, 31)), "KHĐT-03": (20, D(2026, 12, 31)),
             "KHĐT-04": (10, D(2026, 4, 30)), "KHĐT-05": (10, D(2026, 6, 30)), "KHĐT-06": (10, D(2026, 9, 30)),
             "KHĐT-07": (10, D(2026, 12, 31))},
    "XDMT": {"XDMT-01": (20, D(2026, 3, 30)), "XDMT-02": (20, D(2026, 12, 31)), "XDMT-03": (10, D(2026, 6, 30)),
             "XDMT-04": (20, D(2026, 12, 31)), "XDMT-05": (10, D(2026, 12, 31)), "XDMT-06": (10, D(2026, 9, 30)),
             "XDMT-07": (10, D(2026, 12, 31))},
    "DNLĐ": {"DNLĐ-01": (20, D(2026, 12, 31)), "DNLD-02": (15, D(2026, 12, 31)), "DNLD-03": (20, D(2026, 12, 31)),
             "DNLD-04": (15, D(2026, 12, 31)), "DNLĐ-05": (10, D(2026, 8, 31)), "DNLĐ-06": (20, D(2026, 12, 31))},
    "VP": {"VP-01": (15, D(2026, 12, 31)), "VP-02": (15, D(2026, 12, 31)), "VP-03": (20, D(2026, 12, 31)),
           "VP-04": (20, D(2026, 12, 31)), "VP-05": (10, D(2026, 12, 31)), "VP-06": (10, D(2026, 12, 31)),
           "VP-07": (10, D(2026, 11, 30))},
    "BQLDA": {"BQLDA-01": (25, D(2027, 1, 31)), "BQLDA-02": (25, D(2026, 12, 31)), "BQLDA-03": (15, D(2026, 12, 31)),
              "BQLDA-04": (15, D(2026, 12, 31)), "BQLDA-05": (10, D(2026, 12, 31)), "BQLDA-06": (10, D(2026, 6, 30))},
}


# --- the rules, written out again -----------------------------------------------------------------

def cents(x: Fraction) -> Fraction:
    """Rounded half up to cents, as Excel's ROUND."""
    return Fraction((Decimal(x.numerator) / Decimal(x.denominator)).quantize(Decimal("0.01"), ROUND_HALF_UP))


def progress(code: str, day: D) -> float | None:
    return yearbook.PROGRESS[code][yearbook.REPORTS.index(day)]


def expected_share(day: D, due: D) -> Fraction:
    return min(Fraction(1), max(Fraction(0), Fraction((day - START).days, (due - START).days)))


def unit_figures(unit: str, day: D) -> tuple[Fraction, Fraction]:
    """A unit's achieved and expected score at a report date, with the KPIs that had been reported."""
    score = expected = Fraction(0)
    for code, (weight, due) in PLAN[unit].items():
        p = progress(code, day)
        if p is None:
            continue  # not in the workbook yet
        score += cents(Fraction(weight) * Fraction(min(p, 100)) / 100)
        expected += weight * expected_share(day, due)
    return cents(score), cents(expected)


# --- the year ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def book(tmp_path_factory):
    return yearbook.year(tmp_path_factory.mktemp("annee"))


@pytest.fixture(scope="module")
def q2(book):
    return build_review(load(book).tracker, 2)


@pytest.fixture(scope="module")
def q4(book):
    return build_review(load(book).tracker, 4)


def test_history_holds_the_year(book):
    history = sheetkpi.history_frame(book)
    assert sorted(set(history["date"].dt.date)) == yearbook.REPORTS
    vp07 = history[history["code"] == "VP-07"]
    assert list(vp07["date"].dt.month) == [7, 8, 9, 10, 11, 12]  # added in July
    assert len(history) == 32 * 12 + 6


def test_quarter_two_trajectory_is_recomputed_with_todays_weights(q2):
    assert q2.dates == Q2
    for unit in PLAN:
        rows = q2.trajectory[q2.trajectory["unit"] == unit]
        got = [(Fraction(str(s)), Fraction(str(e))) for s, e in zip(rows["score"], rows["expected"])]
        want = [unit_figures(unit, day) for day in Q2]
        assert [s for s, _ in got] == [s for s, _ in want], unit
        assert all(abs(g - w) <= Fraction(1, 100) for (_, g), (_, w) in zip(got, want)), unit
    # By hand: VP at 25/06 with VP-02 at 15 points (today's weight), VP-07 not yet there:
    # 15×54% + 15×54% + 20×54% + 20×5% + 10×54% + 10×54% = 38,80; expected 90 × 175/364 = 43,27.
    vp = q2.trajectory[(q2.trajectory["unit"] == "VP") & (q2.trajectory["date"] == Q2[-1])].iloc[0]
    assert (vp["score"], vp["expected"], vp["kpi_count"]) == (38.80, 43.27, 6)
    # KHĐT at 25/05: 17 + 9 + 8 + 6,5 + 6 + 5,5 + 0 = 52,00.
    khdt = q2.trajectory[(q2.trajectory["unit"] == "KHĐT") & (q2.trajectory["date"] == Q2[1])].iloc[0]
    assert khdt["score"] == 52.00
    agency = [Fraction(str(s)) for s in q2.agency["score"]]
    assert agency == [sum(unit_figures(u, day)[0] for u in PLAN) for day in Q2]


def test_quarter_two_finds_the_falls_stalls_and_late_kpis(q2):
    falls = [(r.code, r.date, r.before, r.recorded) for r in q2.falls.itertuples()]
    assert falls == [("KHĐT-06", D(2026, 6, 25), 55.0, 50.0)]
    stalls = {(r.code, r.figure, r.since, r.until, r.unchanged) for r in q2.stalls.itertuples()}
    assert stalls == {
        ("KHĐT-07", 0.0, D(2026, 1, 25), D(2026, 6, 25), 5),
        ("XDMT-01", 80.0, D(2026, 4, 25), D(2026, 6, 25), 2),
        ("VP-04", 5.0, D(2026, 3, 25), D(2026, 6, 25), 3),
        ("BQLDA-05", 0.0, D(2026, 1, 25), D(2026, 6, 25), 5),  # still at 0 until September
    }
    assert [(r.code, r.date) for r in q2.became_late.itertuples()] == [
        ("XDMT-01", D(2026, 4, 25)), ("KHĐT-04", D(2026, 5, 25))]


def test_quarter_two_proposals_follow_the_present_pace(q2):
    got = {p.result.kpi.code: (p.kind, p.projected) for p in q2.proposals}
    # By hand, pace since 25/03 (92 days): KHĐT-04 45 → 70, 30 points to go at 25/92 a day: 111 days.
    assert got == {
        "KHĐT-04": ("move", D(2026, 10, 14)),
        "KHĐT-05": ("move", D(2026, 9, 5)),  # 36 → 72: 28 points at 36/92 a day, 72 days
        "KHĐT-07": ("unblock", None),  # no progress
        "XDMT-01": ("move", D(2026, 12, 26)),  # 70 → 80: 184 days
        "DNLĐ-05": ("unblock", D(2027, 8, 29)),  # 15 → 30: 430 days, after the year
        "VP-04": ("unblock", None),
        "BQLDA-05": ("unblock", None),
    }
    measures = {p.result.kpi.code: p.measure for p in q2.proposals}
    assert measures["DNLĐ-05"] == "Đề xuất tổ chức Hội nghị trong tháng 7/2026, Phòng chủ động chuẩn bị nội dung."
    assert measures["BQLDA-05"] == ""


def test_department_measure_takes_the_sentences_that_propose():
    assert department_measure("Chậm do chờ ý kiến. Đề nghị Sở A hướng dẫn; kiến nghị UBND tỉnh đôn đốc.") == \
        "Đề nghị Sở A hướng dẫn; kiến nghị UBND tỉnh đôn đốc."
    assert department_measure("Thiếu kinh phí") == "Thiếu kinh phí"


def test_people_at_the_end_of_quarter_two(q2):
    rows = {(p.unit.unit.code, p.label): p for p in q2.people}
    an = rows[("KHĐT", "Nguyễn Văn An")]  # "nguyễn văn  an" on KHĐT-04 is the same person
    # By hand: KHĐT-01 20 × 100% + KHĐT-02 20 × 54% + KHĐT-04 10 × 70% = 37,80; expected
    # 20 × 175/180 + 20 × 175/364 + 10 (late) = 39,06.
    assert (an.codes, an.kpi_count, an.score_total, an.expected_score, an.late_count) == (
        "KHĐT-01, KHĐT-02, KHĐT-04", 3, 37.80, 39.06, 1)
    assert rows[("KHĐT", "Lê Văn Cường")].codes == "KHĐT-04, KHĐT-06"  # "Đ/c" dropped
    assert rows[("KHĐT", "(chưa phân công)")].codes == "KHĐT-05, KHĐT-07"
    head = rows[("VP", "Hoàng Thị E (người đứng đầu)")]  # she also answers for VP-01: no second row
    assert (head.score_total, head.kpi_count) == (38.80, 6)
    assert not any(name == "Hoàng Thị E" for _, name in rows)


def test_year_end_evaluation(q4):
    ye = q4.year_end
    assert (ye.figures_on, ye.evaluated_on, ye.rate) == (D(2026, 12, 25), D(2027, 1, 1), 25.0)
    for u in ye.units:
        points = deduction = Fraction(0)
        for code, (weight, due) in PLAN[u.unit.unit.code].items():
            p = progress(code, D(2026, 12, 25))
            kpi_points = cents(Fraction(weight) * Fraction(min(p, 100)) / 100)
            months = [m for m, day in enumerate(yearbook.REPORTS) if day > due]
            was_late = any(yearbook.PROGRESS[code][m] < 100 for m in months)  # "Quá hạn" at a report
            open_late = p < 100 and due < D(2027, 1, 1)
            typed = code in yearbook.COMPLETED and dt.datetime.strptime(
                yearbook.COMPLETED[code][1], "%d/%m/%Y").date() > due  # "Ngày hoàn thành" after the due date
            points += kpi_points
            if was_late or open_late or typed:
                deduction += cents(kpi_points / 4)
        assert (Fraction(str(u.points)), Fraction(str(u.deduction))) == (points, deduction), u.unit.unit.code
    by_code = {u.unit.unit.code: u for u in ye.units}
    # By hand: KHĐT 20 + 20 + 19,2 + 10 + 10 + 10 + 9 = 98,2; KHĐT-03 (96 %) and KHĐT-07 (90 %)
    # still open, KHĐT-04 and KHĐT-05 done late: 4,8 + 2,25 + 2,5 + 2,5 = 12,05 off; 86,15.
    khdt = by_code["KHĐT"]
    assert (khdt.points, khdt.deduction, khdt.final, khdt.grade, khdt.on_result_scale) == (
        98.20, 12.05, 86.15, "Hoàn thành tốt", 60.31)
    assert [(r.result.kpi.code, r.deduction) for r in khdt.rows if r.late] == [
        ("KHĐT-03", 4.80), ("KHĐT-04", 2.50), ("KHĐT-05", 2.50), ("KHĐT-07", 2.25)]
    assert (by_code["VP"].final, by_code["VP"].grade) == (89.00, "Hoàn thành tốt")  # VP-04 at 60 %
    assert (by_code["DNLĐ"].deduction, by_code["DNLĐ"].grade) == (2.50, "Hoàn thành xuất sắc")
    bqlda = by_code["BQLDA"]  # BQLDA-01 is due 31/01/2027: no official total yet, and nothing off
    assert ([r.kpi.code for r in bqlda.pending], bqlda.official, bqlda.deduction) == (["BQLDA-01"], False, 0.0)
    assert all(u.official for u in ye.units if u is not bqlda)


def test_year_review_reads_the_whole_year(q4):
    assert q4.dates == yearbook.REPORTS
    assert [(r.code, r.date) for r in q4.falls.itertuples()] == [
        ("KHĐT-06", D(2026, 6, 25)), ("XDMT-06", D(2026, 7, 25))]
    assert ("DNLĐ-05", 40.0, 2) in {(r.code, r.figure, r.unchanged) for r in q4.stalls.itertuples()}
    assert {r.code for r in q4.became_late.itertuples()} == {"XDMT-01", "KHĐT-04", "KHĐT-05", "DNLĐ-05"}


def test_the_deduction_is_a_setting(book, tmp_path):
    from badinputs import set_cell_xml, text_cell

    copy = shutil.copyfile(book, tmp_path / "BangGiaoKPI.xlsx")
    row = list(yearbook.L.SETTINGS_LABELS).index("late_deduction") + yearbook.L.CONFIG_FIRST_ROW
    for typed, rate in (("0", 0.0), ("50%", 50.0)):
        set_cell_xml(copy, "Cấu hình", {f"B{row}": text_cell(typed)})
        ye = build_review(load(copy).tracker, 4).year_end
        assert (ye.rate, ye.rate_from_config) == (rate, True)
        khdt = ye.units[0]
        assert khdt.deduction == {0.0: 0.0, 50.0: 24.10}[rate]


def test_a_quarter_without_reports_or_another_year_is_refused(book):
    tracker = load(book).tracker
    with pytest.raises(UsageError, match="sơ kết năm 2025"):
        build_review(tracker, 1, 2025)
    tracker.history = History.of({key: [(d, p) for d, p in points if d.month > 6]
                                  for key, points in tracker.history.items()})
    with pytest.raises(UsageError, match="chưa có kỳ báo cáo nào trong quý II/2026"):
        build_review(tracker, 2)


# --- the Word report -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def q4_files(q4, tmp_path_factory):
    return write_review(q4, tmp_path_factory.mktemp("tongket"), pdf=True)


def _texts(doc) -> list[str]:
    return [p.text for p in doc.paragraphs]


def test_the_report_carries_the_figures(q2, tmp_path):
    docx = write_review(q2, tmp_path)[0]
    assert docx.name == "SoKetKPI-2026-Q2.docx"
    doc = Document(docx)
    texts = _texts(doc)
    assert "Sơ kết thực hiện KPI, nhiệm vụ trọng tâm quý II năm 2026" in texts
    assert "Nghệ An, ngày 25 tháng 6 năm 2026" in [c.text for c in doc.tables[0].rows[1].cells]
    assert not any("{{" in t or "{%" in t for t in texts)
    agency = next(t for t in doc.tables if t.rows[0].cells[1].text == "Số KPI")
    assert [[c.text for c in r.cells][:3] for r in agency.rows[1:]] == [
        ["25/04/2026", "32", "188,00"], ["25/05/2026", "32", "230,25"], ["25/06/2026", "32", "266,10"]]
    assert len(doc.inline_shapes) == 1 + len(PLAN)  # the agency's chart and one per unit
    proposal = texts.index(next(t for t in texts if t.startswith("1. KHĐT-04")))
    assert "Điều chỉnh mốc hoàn thành sang ngày 14/10/2026" in texts[proposal + 1]
    assert "ĐÁNH GIÁ CUỐI NĂM" not in " ".join(texts)  # quarter 4 only
    people = next(t for t in doc.tables if [c.text for c in t.rows[0].cells][2:3] == ["Người phụ trách"])
    assert [c.text for c in people.rows[2].cells][2:6] == ["Nguyễn Văn An", "3", "37,80", "39,06"]


def test_the_year_report_has_the_evaluation_and_an_appendix_per_unit(q4_files, q4):
    doc = Document(q4_files[0])
    texts = _texts(doc)
    assert "Tổng kết thực hiện KPI, nhiệm vụ trọng tâm năm 2026" in texts
    assert "VI. ĐÁNH GIÁ CUỐI NĂM" in texts and "VII. ĐỀ XUẤT, KIẾN NGHỊ" in texts
    assert [t for t in texts if t.startswith("Phụ lục ")] == [f"Phụ lục {i}" for i in range(1, 6)]
    summary = next(t for t in doc.tables if t.rows[0].cells[1].text == "Người đứng đầu")
    assert [c.text for c in summary.rows[1].cells] == [
        "Phòng Kế hoạch và Đầu tư", "Trần Văn B", "100", "98,20", "12,05", "86,15", "86,2", "60,31", "Hoàn thành tốt"]
    assert summary.rows[5].cells[-1].text == "Hoàn thành xuất sắc (tạm tính)"
    appendix = [t for t in doc.tables if t.rows[0].cells[-1].text == "Ghi chú"]
    assert len(appendix) == 5
    khdt = appendix[0]
    assert [c.text for c in khdt.rows[3].cells] == [
        "3", "KHĐT-03", "Thu hút đầu tư cấp mới, điều chỉnh năm 2026", "20", "96", "19,20", "4,80", "14,40",
        "Chưa hoàn thành"]
    assert [c.text for c in khdt.rows[-1].cells][2:] == ["Tổng cộng", "100", "", "98,20", "12,05", "86,15", ""]


def test_the_year_report_prints(q4_files):
    pdf = q4_files[-1]
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout
    flat = re.sub(r"\s+", " ", text)
    for phrase in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Tổng kết thực hiện KPI, nhiệm vụ trọng tâm năm 2026",
                   "ĐÁNH GIÁ CUỐI NĂM", "Phụ lục 5", "Ban Quản lý dự án khu vực KKT", "Nguyễn Văn A"):
        assert phrase in flat, phrase
    assert "\ufffd" not in text


def test_the_report_is_valid_ooxml_and_its_template_a_rebuild(q4_files, tmp_path):
    rebuilt = tmp_path / "SoKetKPI.docx"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_review_template.py"), str(rebuilt)], check=True)
    assert rebuilt.read_bytes() == (ROOT / "templates" / "SoKetKPI.docx").read_bytes()
    if not ooxml_validator.available():
        pytest.skip("Open XML validator not installed (cd tests/validator && npm ci)")
    assert ooxml_validator.validate(q4_files[0]) == []


def test_context_sections_follow_what_the_review_holds(q2, q4):
    assert review_context(q2)["sections"] == {
        "overview": "I", "units": "II", "watch": "III", "proposals": "IV", "people": "V", "closing": "VI"}
    assert review_context(q4)["sections"]["year_end"] == "VI"


def test_sheetkpi_review_command(book, tmp_path):
    before = book.read_bytes()
    proc = run_cli("review", str(book), "--quarter", "4", "-o", str(tmp_path / "bc"))
    assert proc.returncode == 0, proc.stderr
    assert "Tổng kết năm 2026 theo 12 kỳ báo cáo" in proc.stdout
    assert "BQLDA – Ban Quản lý dự án khu vực KKT" in proc.stdout and "tạm tính" in proc.stdout
    assert [p.name for p in (tmp_path / "bc").iterdir()] == ["TongKetKPI-2026.docx"]
    assert book.read_bytes() == before, "review only reads the workbook"
    proc = run_cli("review", str(book), "--quarter", "4", "-o", str(tmp_path / "bc"))
    assert proc.returncode == 0 and len(list((tmp_path / "bc" / "sao-luu").iterdir())) == 1  # the first kept
    proc = run_cli("review", str(book), "--quarter", "2", "--year", "2027")
    assert proc.returncode == 2 and "năm 2027" in proc.stderr
