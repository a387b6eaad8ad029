"""The monthly cover memo: "Báo cáo kết quả thực hiện KPI, nhiệm vụ trọng tâm tháng M/YYYY" (SPEC §5).

:func:`memo_context` turns an evaluation into one dictionary of ready-to-print Vietnamese strings;
:func:`write_memo` renders it three ways from templates the Office can restyle: a Word document
(``templates/BaoCaoKPI.docx`` through docxtpl, with a matplotlib chart inside), an HTML page and a
plain text, the last two being the email bodies. A PDF of the Word document is made by LibreOffice
on request.

Department text is data: every template renders with undefined variables as errors and with
escaping on (XML for Word, HTML for the page), so "<", "&", "{{", "{%" or a leading "=" typed in a
workbook cell come out exactly as typed. docxtpl, matplotlib and LibreOffice are loaded only here,
when a memo is written.
"""

from __future__ import annotations

import base64
import calendar
import datetime as dt
import io
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import EXIT_UNUSABLE, SheetkpiError, os_error_message
from ..model import DONE, GRADES, IN_PROGRESS, LATE, NOT_STARTED, Evaluation, KpiResult, UnitResult
from ..parsing.deadlines import format_due
from ..parsing.numbers import format_vn
from ..parsing.text import without_controls
from ..report import ERROR, NotUpdated, ProgressDecreased, ProgressMissing, WeightSumMismatch
from ..resources import template_path
from ..rules import pace_ratio
from ..workbook.safety import backup, write_atomically
from ..writes.summary import SEVERITY_LABELS

DOCX_TEMPLATE = "BaoCaoKPI.docx"
HTML_TEMPLATE = "memo.html.j2"
TEXT_TEMPLATE = "memo.txt.j2"
MAX_PROBLEMS = 40  # longer lists are cut in the memo; "Tổng hợp" keeps them all
CHART_WIDTH_MM = 160
PDF_TIMEOUT_S = 180

# docxtpl turns these sequences back into Jinja delimiters after rendering; keep them literal.
_DOCXTPL_MARKERS = re.compile(r"(?<=\{)_(?=[{%])|(?<=[}%])_(?=\})")


class MemoError(SheetkpiError):
    """The memo cannot be written: missing library, unusable template, LibreOffice failure, disk."""

    exit_code = EXIT_UNUSABLE


# --- the figures -------------------------------------------------------------------------------

def date_line(place: str, day: dt.date) -> str:
    """"Nghệ An, ngày 25 tháng 6 năm 2026" (NĐ 30/2020): a leading zero only for days below 10 and
    for months 1 and 2 ("ngày 05 tháng 02 năm 2026")."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"{place or '……'}, ngày {day.day:02d} tháng {month} năm {day.year}"


def memo_stem(evaluation: Evaluation) -> str:
    """File name without suffix: ``BaoCaoKPI-2026-06`` for a report dated in June 2026."""
    return f"BaoCaoKPI-{evaluation.as_of:%Y-%m}"


def next_cutoff(as_of: dt.date, cutoff_day: int) -> dt.date:
    """The next monthly data cut-off ("Ngày chốt số liệu hằng tháng") after the report date."""
    year, month = as_of.year, as_of.month
    if as_of.day >= cutoff_day:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return dt.date(year, month, min(cutoff_day, calendar.monthrange(year, month)[1]))


def _ratio(score: float, expected: float) -> str:
    ratio = pace_ratio(score, expected)
    return "–" if ratio is None else format_vn(ratio, 1, fixed=True)


def _points(x: float | None) -> str:
    """A score as every column of the memo shows it: two decimals, always ("53,10")."""
    return "–" if x is None else format_vn(x, 2, fixed=True)


def _change(now: float, before: float | None) -> str:
    """"+9,10", "-2,50", "0,00"; "–" without a figure before."""
    if before is None:
        return "–"
    delta = round(now - before, 2)
    return ("+" if delta > 0 else "") + format_vn(delta, 2, fixed=True)


def _deadline(k: KpiResult) -> str:
    """The resolved due date, with the words the department wrote when they were not a plain date."""
    d = k.kpi.deadline
    due = format_due(d.due) if d.due else ""
    if d.kind == "date" or not d.text:
        return due or "(chưa xác định)"
    return f"{due} ({d.text})" if due else d.text


def _unit_row(u: UnitResult) -> dict:
    c = u.status_counts
    return {
        "code": u.unit.code,
        "name": u.unit.name,
        "sheet": u.unit.sheet,
        "kpi_count": format_vn(u.kpi_count),
        "weight_total": format_vn(u.weight_total),
        "score": _points(u.score_total),
        "expected": _points(u.expected_score),
        "previous": _points(u.previous_score),
        "change": _change(u.score_total, u.previous_score),
        "ratio": format_vn(u.ratio, 1, fixed=True) if u.ratio is not None else "–",
        "grade": u.grade,
        "done": format_vn(c[DONE]),
        "in_progress": format_vn(c[IN_PROGRESS]),
        "not_started": format_vn(c[NOT_STARTED]),
        "late": format_vn(c[LATE]),
        "at_risk": format_vn(u.at_risk_count),
        "flags": list(u.flags),
    }


def _kpi_row(k: KpiResult, unit_names: dict[str, str]) -> dict:
    return {
        "unit": unit_names.get(k.kpi.unit, k.kpi.unit),
        "unit_code": k.kpi.unit,
        "code": k.kpi.code,
        "title": k.kpi.title,
        "deadline": _deadline(k),
        "progress": format_vn(k.effective_progress, 1, fixed=True),
        "expected": format_vn(k.expected_progress, 0) if k.expected_progress is not None else "–",
        "result": k.kpi.result,
        "obstacles": k.kpi.obstacles,
    }


def _names_with_codes(kpis: list[KpiResult], unit_names: dict[str, str]) -> str:
    """"Phòng A (A-01, A-02), Phòng B (B-03)" in workbook order."""
    by_unit: dict[str, list[str]] = {}
    for k in kpis:
        by_unit.setdefault(k.kpi.unit, []).append(k.kpi.code or k.kpi.title)
    return ", ".join(f"{unit_names.get(u, u)} ({', '.join(codes)})" for u, codes in by_unit.items())


def _overview(evaluation: Evaluation, late: list, at_risk: list, problems: list) -> list[str]:
    t = evaluation.totals
    c = t["status_counts"]
    lines = [
        f"Tính đến ngày {format_due(evaluation.as_of)}, {len(evaluation.units)} phòng, đơn vị thực hiện "
        f"{format_vn(t['kpi_count'])} KPI, nhiệm vụ trọng tâm với tổng trọng số {format_vn(t['weight_total'])} điểm."
    ]
    score, expected = t["score_total"], t["expected_score"]
    if expected <= 0:
        lines.append(f"Toàn cơ quan đạt {_points(score)} điểm; chưa đến thời điểm có điểm kỳ vọng để so sánh.")
    elif score >= expected:
        lines.append(
            f"Toàn cơ quan đạt {_points(score)} điểm, bằng hoặc cao hơn số điểm kỳ vọng theo tiến độ đến ngày "
            f"báo cáo ({_points(expected)} điểm)."
        )
    else:
        lines.append(
            f"Toàn cơ quan đạt {_points(score)} điểm, bằng {_ratio(score, expected)}% số điểm kỳ vọng theo tiến "
            f"độ đến ngày báo cáo ({_points(expected)} điểm)."
        )
    lines.extend(change_lines(evaluation))
    completed_late = sum(1 for k in evaluation.kpis if k.completed_late)
    done = f"{format_vn(c[DONE])} KPI hoàn thành"
    if completed_late:
        done += f" (trong đó {format_vn(completed_late)} KPI hoàn thành chậm so với thời hạn)"
    lines.append(
        f"Về trạng thái: {done}, {format_vn(c[IN_PROGRESS])} KPI đang thực hiện, {format_vn(c[NOT_STARTED])} KPI "
        f"chưa triển khai, {format_vn(len(late))} KPI quá hạn; {format_vn(len(at_risk))} KPI có nguy cơ chậm tiến độ."
    )
    grades = []
    for label in GRADES:
        names = [u.unit.name for u in evaluation.units if u.grade == label]
        if names:
            grades.append(f"{label}: {', '.join(names)}")
    ungraded = [u.unit.name for u in evaluation.units if u.grade not in GRADES]
    if ungraded:
        grades.append(f"chưa đủ căn cứ xếp loại: {', '.join(ungraded)}")
    if grades:
        lines.append("Xếp loại tạm tính theo tỷ lệ so với điểm kỳ vọng — " + "; ".join(grades) + ".")
    errors = sum(1 for i in problems if i.kind == ERROR)
    warnings = len(problems) - errors
    if errors:
        lines.append(
            f"Bảng giao KPI còn {format_vn(errors)} lỗi dữ liệu"
            + (f" và {format_vn(warnings)} cảnh báo" if warnings else "")
            + " cần các phòng, đơn vị xử lý (mục V)."
        )
    elif warnings:
        lines.append(
            f"Bảng giao KPI không có lỗi dữ liệu; còn {format_vn(warnings)} cảnh báo cần các phòng, đơn vị xử lý "
            "(mục V)."
        )
    else:
        lines.append("Số liệu các phòng, đơn vị cập nhật đầy đủ, không có lỗi dữ liệu.")
    return lines


def change_lines(evaluation: Evaluation) -> list[str]:
    """What moved since the previous report in "Lịch sử": the agency's score, the units whose score
    fell, the KPIs done and the KPIs late since then. Nothing when there is no previous report."""
    if evaluation.previous is None:
        return []
    unit_names = {u.unit.code: u.unit.name for u in evaluation.units}
    now, before = evaluation.totals["score_total"], evaluation.previous_total
    when = format_due(evaluation.previous)
    if before is None:
        return []
    if round(now - before, 2) == 0:
        lines = [f"So với kỳ báo cáo trước ({when}), điểm đạt toàn cơ quan không thay đổi ({_points(now)} điểm)."]
    else:
        verb = "tăng" if now > before else "giảm"
        lines = [f"So với kỳ báo cáo trước ({when}), điểm đạt toàn cơ quan {verb} từ {_points(before)} "
                 f"{'lên' if now > before else 'xuống'} {_points(now)} điểm ({_change(now, before)})."]
    fell = [f"{u.unit.name} ({_change(u.score_total, u.previous_score)})" for u in evaluation.units
            if u.previous_score is not None and round(u.score_total - u.previous_score, 2) < 0]
    if fell:
        lines.append("Điểm đạt giảm so với kỳ trước ở: " + "; ".join(fell) + ".")
    done = [k for k in evaluation.kpis if k.became_done]
    late = [k for k in evaluation.kpis if k.became_late]
    moved = []
    if done:
        moved.append(f"{format_vn(len(done))} KPI hoàn thành ({_names_with_codes(done, unit_names)})")
    if late:
        moved.append(f"{format_vn(len(late))} KPI mới quá hạn ({_names_with_codes(late, unit_names)})")
    if moved:
        lines.append(f"Từ kỳ trước đến nay: {'; '.join(moved)}.")
    return lines


def _proposals(evaluation: Evaluation, late: list, at_risk: list, problems: list, unit_names, cutoff: str) -> list[str]:
    """The Office's proposals, drawn from the figures."""
    out = []
    if late:
        out.append(
            f"Đề nghị {_names_with_codes(late, unit_names)} khẩn trương hoàn thành các KPI quá hạn; báo cáo rõ "
            "nguyên nhân, giải pháp và thời điểm hoàn thành trong kỳ báo cáo tới."
        )
    if at_risk:
        out.append(
            f"Đề nghị {_names_with_codes(at_risk, unit_names)} rà soát kế hoạch, tập trung nguồn lực để bảo đảm "
            "tiến độ các KPI có nguy cơ chậm."
        )
    if any(k.kpi.obstacles.strip() for k in late + at_risk):
        out.append(
            "Đề nghị Lãnh đạo Ban xem xét, cho ý kiến chỉ đạo đối với các khó khăn, vướng mắc và đề xuất của các "
            "phòng, đơn vị nêu tại mục III và mục IV."
        )
    weak = [u.unit.name for u in evaluation.units if u.grade == GRADES[-1]]
    if weak:
        out.append(
            f"Đề nghị Lãnh đạo Ban chỉ đạo {', '.join(weak)} có giải pháp khắc phục, do kết quả thấp hơn nhiều so "
            "với điểm kỳ vọng."
        )
    for u in evaluation.units:
        if any(isinstance(i, WeightSumMismatch) for i in u.issues):
            out.append(
                f"Đề nghị {u.unit.name} rà soát, điều chỉnh trọng số KPI để tổng bằng 100 điểm (hiện là "
                f"{format_vn(u.weight_total)} điểm)."
            )
    cells = [i for i in problems if i.kind == ERROR and not isinstance(i, WeightSumMismatch)]
    if cells:
        out.append(
            f"Đề nghị {_unit_list(cells, unit_names)} sửa {format_vn(len(cells))} ô dữ liệu không hợp lệ nêu tại "
            f"mục V trước ngày {cutoff}."
        )
    missing = [i for i in problems if isinstance(i, ProgressMissing)]
    if missing:
        out.append(
            f"Đề nghị {_unit_list(missing, unit_names)} cập nhật % tiến độ của {format_vn(len(missing))} KPI còn để "
            "trống."
        )
    decreased = [i for i in evaluation.findings if isinstance(i, ProgressDecreased)]
    if decreased:
        out.append(
            f"Đề nghị {_unit_list(decreased, unit_names)} giải trình việc % tiến độ giảm so với kỳ trước "
            f"({', '.join(i.kpi or i.position for i in decreased)})."
        )
    stale = [i for i in evaluation.findings if isinstance(i, NotUpdated)]
    if stale:
        out.append(
            f"Đề nghị {_unit_list(stale, unit_names)} cập nhật kết quả các KPI có % tiến độ không thay đổi so với "
            f"kỳ báo cáo trước ({', '.join(i.kpi or i.position for i in stale)})."
        )
    out.append(f"Đề nghị các phòng, đơn vị cập nhật số liệu kỳ tới trên Bảng giao KPI trước ngày {cutoff}.")
    return out


def _unit_list(issues: list, unit_names: dict[str, str]) -> str:
    """The units the issues are about, by name, each once, in order."""
    seen: list[str] = []
    for i in issues:
        name = unit_names.get(i.unit, i.unit) if i.unit else f"trang tính '{i.sheet}'" if i.sheet else "Văn phòng"
        if name not in seen:
            seen.append(name)
    return ", ".join(seen)


def memo_context(evaluation: Evaluation) -> dict:
    """Everything the memo templates show, as Vietnamese-formatted strings (lists of them for tables).

    Keys: parent_agency, agency, office, place, doc_symbol, signer, signer_title, signer_authority,
    plan_year, as_of, previous, month, year, period ("6/2026"), date_line, title, subject,
    risk_threshold, next_cutoff, overview, units, totals, unit_notes, late, at_risk, problems,
    problem_count, problems_more, proposals; chart_src (the chart as a data: URI for HTML) is added
    by :func:`write_memo`.
    See docs/memo.md for the fields of each row.
    """
    s = evaluation.settings
    as_of = evaluation.as_of
    unit_names = {u.unit.code: u.unit.name for u in evaluation.units}
    late = [k for k in evaluation.kpis if k.status == LATE]
    at_risk = [k for k in evaluation.kpis if k.at_risk]
    problems = evaluation.data_problems
    cutoff = format_due(next_cutoff(as_of, s.cutoff_day))
    t = evaluation.totals
    c = t["status_counts"]
    period = f"{as_of.month}/{as_of.year}"
    shown = problems[:MAX_PROBLEMS]
    return {
        "parent_agency": s.parent_agency,
        "agency": s.agency,
        "office": s.office or "Văn phòng",
        "place": s.place,
        "doc_symbol": s.doc_symbol,
        "signer": s.signer,
        "signer_title": s.signer_title,
        "signer_authority": s.signer_authority,
        "previous": format_due(evaluation.previous) if evaluation.previous else "",
        "plan_year": str(s.plan_year),
        "as_of": format_due(as_of),
        "month": str(as_of.month),
        "year": str(as_of.year),
        "period": period,
        "date_line": date_line(s.place, as_of),
        "title": f"Báo cáo kết quả thực hiện KPI, nhiệm vụ trọng tâm tháng {period}",
        "subject": f"Kết quả thực hiện KPI, nhiệm vụ trọng tâm tháng {period}",
        "risk_threshold": format_vn(s.risk_threshold),
        "next_cutoff": cutoff,
        "overview": _overview(evaluation, late, at_risk, problems),
        "units": [_unit_row(u) for u in evaluation.units],
        "totals": {
            "kpi_count": format_vn(t["kpi_count"]),
            "weight_total": format_vn(t["weight_total"]),
            "score": _points(t["score_total"]),
            "expected": _points(t["expected_score"]),
            "previous": _points(evaluation.previous_total),
            "change": _change(t["score_total"], evaluation.previous_total),
            "ratio": _ratio(t["score_total"], t["expected_score"]),
            "done": format_vn(c[DONE]),
            "in_progress": format_vn(c[IN_PROGRESS]),
            "not_started": format_vn(c[NOT_STARTED]),
            "late": format_vn(c[LATE]),
            "at_risk": format_vn(t["at_risk_count"]),
        },
        "unit_notes": [f"{u.unit.name}: {flag}." for u in evaluation.units for flag in u.flags],
        "late": [_kpi_row(k, unit_names) for k in late],
        "at_risk": [_kpi_row(k, unit_names) for k in at_risk],
        "problems": [
            {
                "sheet": i.sheet or "",
                "cell": i.cell or "",
                "severity": SEVERITY_LABELS[i.severity],
                "message": f"{i.kpi}: {i.text}" if i.kpi else i.text,
            }
            for i in shown
        ],
        "problem_count": format_vn(len(problems)),
        "problems_more": format_vn(len(problems) - len(shown)) if len(problems) > len(shown) else "",
        "proposals": _proposals(evaluation, late, at_risk, problems, unit_names, cutoff),
    }


# --- rendering ---------------------------------------------------------------------------------

def _jinja_env(*, autoescape: bool, finalize=None):
    from jinja2 import Environment, StrictUndefined

    return Environment(
        autoescape=autoescape,
        undefined=StrictUndefined,
        finalize=finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _render_text_template(name: str, context: dict, *, html: bool) -> str:
    from jinja2 import TemplateError

    path = template_path(name)
    try:
        env = _jinja_env(autoescape=html, finalize=_plain)
        return env.from_string(path.read_text(encoding="utf-8")).render(context)
    except TemplateError as exc:
        raise MemoError("memo-template", f"Mẫu '{path}' không dùng được: {exc}") from exc


def render_html(context: dict) -> str:
    """The memo as an HTML page (the HTML body of the email)."""
    return _render_text_template(HTML_TEMPLATE, context, html=True)


def render_text(context: dict) -> str:
    """The memo as plain text (the text body of the email)."""
    return _render_text_template(TEXT_TEMPLATE, context, html=False)


def _docx_literal(value):
    """Jinja ``finalize`` for the Word template: every printed value becomes literal XML text.

    Values docxtpl builds itself (the chart) pass through; text loses the characters XML cannot hold
    and is escaped, and the sequences docxtpl would turn back into Jinja delimiters are kept as typed.
    """
    from markupsafe import Markup, escape

    if hasattr(value, "__html__"):
        return value
    text = without_controls(str(value))
    return Markup(_DOCXTPL_MARKERS.sub("&#95;", str(escape(text))))


def _plain(value):
    """Jinja ``finalize`` for the HTML page and the text: no control character reaches an email body."""
    return value if hasattr(value, "__html__") or not isinstance(value, str) else without_controls(value)


def chart_font() -> str:
    """The serif font charts are drawn in: Times New Roman as the document, else its metric twin."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((f for f in ("Times New Roman", "Liberation Serif") if f in installed), "DejaVu Serif")


def chart_png(evaluation: Evaluation) -> bytes:
    """Achieved and expected score by unit, a grouped bar chart (PNG, Vietnamese number format)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    family = chart_font()
    units = evaluation.units
    fig = Figure(figsize=(CHART_WIDTH_MM / 25.4, 2.9), dpi=200)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    x = range(len(units))
    width = 0.38
    achieved = [u.score_total for u in units]
    expected = [u.expected_score for u in units]
    bars_a = ax.bar([i - width / 2 for i in x], achieved, width, label="Điểm đạt", color="#1f4e79")
    bars_e = ax.bar([i + width / 2 for i in x], expected, width, label="Điểm kỳ vọng", color="#bdd7ee",
                    edgecolor="#1f4e79", linewidth=0.6)
    for bars in (bars_a, bars_e):
        ax.bar_label(bars, labels=[format_vn(b.get_height(), 1) for b in bars], fontsize=7, padding=1.5,
                     fontfamily=family)
    ax.set_xticks(list(x), [u.unit.code for u in units], fontsize=9, fontfamily=family)
    ax.set_ylim(0, max([100.0, *achieved, *expected]) * 1.12)
    ax.set_ylabel("Điểm", fontsize=9, fontfamily=family)
    ax.yaxis.set_major_formatter(lambda v, _pos: format_vn(v, 0))
    ax.tick_params(axis="y", labelsize=8)
    for label in ax.get_yticklabels():
        label.set_fontfamily(family)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(fontsize=8, frameon=False, ncols=2, loc="upper center", bbox_to_anchor=(0.5, 1.12),
              prop={"family": family, "size": 8})
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def _require_libraries() -> None:
    """Fail with a clear message, before anything is written, when the memo's libraries are missing."""
    try:
        import docxtpl  # noqa: F401
        import matplotlib  # noqa: F401
    except ImportError as exc:
        raise MemoError(
            "memo-missing-library",
            "Chưa cài thư viện tạo báo cáo Word (docxtpl, matplotlib). "
            "Cài bằng: pip install --force-reinstall sheetkpi.",
        ) from exc


@dataclass(frozen=True)
class Picture:
    """A PNG to place in a Word template at a given width (a value of a template's context)."""

    png: bytes
    width_mm: float


def _placed(value, place: Callable[[Picture], object]):
    """``value`` with every :class:`Picture` inside it (dictionaries, lists) placed by ``place``."""
    if isinstance(value, Picture):
        return place(value)
    if isinstance(value, dict):
        return {k: _placed(v, place) for k, v in value.items()}
    if isinstance(value, list):
        return [_placed(v, place) for v in value]
    return value


def render_docx(context: dict, template: Path | None = None, chart: bytes | None = None, *,
                default: str = DOCX_TEMPLATE) -> bytes:
    """The Word template (the shipped ``default``, or ``template``) filled, as the bytes of a .docx;
    ``chart``: the PNG of :func:`chart_png`, or None for a workbook without units. Each
    :class:`Picture` in ``context`` becomes an image of the document. Made in memory so that a full
    disk meets one plain write, never a half-closed zip."""
    _require_libraries()
    from docx.shared import Mm
    from docxtpl import DocxTemplate, InlineImage
    from jinja2 import TemplateError

    source = Path(template) if template else template_path(default)
    if not source.is_file():
        raise MemoError("memo-template-missing", f"Không tìm thấy mẫu báo cáo '{source}'.")
    try:
        doc = DocxTemplate(source)
        doc.init_docx()
    except Exception as exc:  # python-docx raises several unrelated types for a file that is not .docx
        raise MemoError(
            "memo-template-invalid", f"Mẫu báo cáo '{source}' không phải tệp Word .docx dùng được."
        ) from exc
    def place(picture: Picture) -> InlineImage:
        return InlineImage(doc, io.BytesIO(picture.png), width=Mm(picture.width_mm))

    fill = _placed(dict(context), place)
    fill["chart"] = place(Picture(chart, CHART_WIDTH_MM)) if chart else ""
    try:
        doc.render(fill, _jinja_env(autoescape=True, finalize=_docx_literal), autoescape=True)
    except TemplateError as exc:
        raise MemoError(
            "memo-template", f"Mẫu báo cáo '{source}' có thẻ Jinja không dùng được: {exc}. Xem docs/memo.md."
        ) from exc
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def write_pdf(docx: Path, folder: Path) -> Path:
    """Convert ``docx`` to PDF with LibreOffice headless; the PDF lands in ``folder``."""
    from ..libreoffice import LibreOfficeError, convert, find_soffice

    if find_soffice() is None:
        raise MemoError(
            "pdf-no-libreoffice",
            "Không tạo được PDF: chưa cài LibreOffice (không tìm thấy lệnh 'soffice'). Cài LibreOffice hoặc bỏ "
            "tùy chọn --pdf; tệp .docx vẫn dùng được.",
        )
    pdf = folder / (docx.stem + ".pdf")
    # LibreOffice writes into a folder of its own beside the memo; the PDF is put in place whole.
    with tempfile.TemporaryDirectory(prefix=".~sheetkpi-", dir=folder) as scratch:
        made = Path(scratch) / pdf.name
        try:
            convert([docx], "pdf", Path(scratch), timeout=PDF_TIMEOUT_S)
        except LibreOfficeError as exc:
            raise MemoError("pdf-failed", f"Không chuyển được '{docx.name}' sang PDF: {exc.message}") from exc
        if not made.is_file():
            raise MemoError("pdf-failed", f"LibreOffice không tạo được PDF từ '{docx.name}'.")
        write_atomically(pdf, lambda tmp: shutil.copyfile(made, tmp))
    return pdf


def write_memo(
    evaluation: Evaluation,
    folder: Path,
    *,
    template: Path | None = None,
    pdf: bool = False,
    stem: str | None = None,
) -> list[Path]:
    """Write ``<stem>.docx``, ``.html`` and ``.txt`` (and ``.pdf`` when asked) into ``folder``.

    ``stem`` defaults to ``BaoCaoKPI-<YYYY>-<MM>`` of the report date; ``template`` replaces the shipped
    Word template. Returns the paths written, the .docx first.
    """
    folder = Path(folder)
    stem = stem or memo_stem(evaluation)
    _require_libraries()
    context = memo_context(evaluation)
    chart = chart_png(evaluation) if evaluation.units else None
    # The HTML page carries its chart inside (the email turns it into an inline attachment).
    context["chart_src"] = "data:image/png;base64," + base64.b64encode(chart).decode("ascii") if chart else ""
    html, text = render_html(context), render_text(context)
    contents = {
        folder / f"{stem}.docx": render_docx(context, template, chart),
        folder / f"{stem}.html": html.encode("utf-8"),
        folder / f"{stem}.txt": text.encode("utf-8"),
    }
    return write_documents(folder, contents, pdf=pdf)


def write_documents(folder: Path, contents: dict[Path, bytes], *, pdf: bool) -> list[Path]:
    """Write each file of ``contents`` (path → bytes, made before anything is written) atomically
    into ``folder``, the first being the Word document; its PDF too when asked. The previous .docx
    (and .pdf) is kept in "sao-luu" first: the Office may have numbered and signed it. Returns the
    paths written."""
    docx = next(iter(contents))
    written = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for kept in (docx, docx.with_suffix(".pdf")) if pdf else (docx,):
            if kept.is_file():
                backup(kept)
        for path, data in contents.items():
            write_atomically(path, lambda tmp, data=data: tmp.write_bytes(data))
            written.append(path)
    except OSError as exc:
        raise MemoError(
            "memo-write-failed",
            f"Không ghi được báo cáo vào '{folder}': {os_error_message(exc)} Nếu tệp đang mở trong Word, hãy đóng lại.",
        ) from exc
    if pdf:
        written.append(write_pdf(docx, folder))
    return written
