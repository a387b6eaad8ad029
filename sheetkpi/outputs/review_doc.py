"""The quarterly review as a Word report: "Sơ kết thực hiện KPI, nhiệm vụ trọng tâm quý II năm 2026"
(quarter 4: "Tổng kết … năm 2026", with the year-end evaluation and, in an appendix, a table per
unit to paste into its evaluation file).

:func:`review_context` turns a :class:`sheetkpi.review.Review` into ready-to-print Vietnamese
strings; :func:`write_review` fills ``templates/SoKetKPI.docx`` (built by
``scripts/build_review_template.py``, laid out per Nghị định 30/2020/NĐ-CP like the monthly memo)
with them and with a line chart per unit and one for the agency. Department text is data, as in
the memo: it goes through the same escaping renderer (:func:`sheetkpi.outputs.memo.render_docx`).
"""

from __future__ import annotations

import io
from pathlib import Path

from ..model import LATE
from ..parsing.deadlines import format_due
from ..parsing.numbers import format_vn
from ..review import Proposal, Review, YearEnd
from .memo import Picture, _names_with_codes, _points, chart_font, date_line, render_docx, write_documents

REVIEW_TEMPLATE = "SoKetKPI.docx"
CHART_WIDTH_MM = 160
CHART_HEIGHT_IN = 2.3
DAYS_PER_MONTH = 30.4  # a pace per day shown per month


def review_stem(review: Review) -> str:
    """File name without suffix: ``SoKetKPI-2026-Q2``; the year's review ``TongKetKPI-2026``."""
    p = review.period
    return f"TongKetKPI-{p.year}" if p.is_year else f"SoKetKPI-{p.year}-Q{p.quarter}"


def _percent(x: float | None) -> str:
    return "–" if x is None else format_vn(x, 1, fixed=True)


def _progress(x: float | None) -> str:
    return "–" if x is None else format_vn(x, 1)


def _dates_text(dates) -> str:
    """"25/04/2026, 25/05/2026 và 25/06/2026"; a year of them "từ 25/01/2026 đến 25/12/2026"."""
    shown = [format_due(d) for d in dates]
    if len(shown) > 3:
        return f"từ {shown[0]} đến {shown[-1]}"
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " và " + shown[-1]


def _kpi(review: Review, unit: str, code: str, title: str) -> dict:
    return {"unit": review.unit_names.get(unit, unit), "unit_code": unit, "code": code, "title": title}


# --- the text -------------------------------------------------------------------------------------

def _overview(review: Review) -> list[str]:
    a = review.agency
    first, last = a.iloc[0], a.iloc[-1]
    dates = review.dates
    lines = [
        f"Trong {review.period.label}, {review.settings.office or 'Văn phòng'} tổng hợp {len(dates)} kỳ báo cáo "
        f"({_dates_text(dates)}); {len(review.latest.units)} phòng, đơn vị thực hiện "
        f"{format_vn(int(last['kpi_count']))} KPI, nhiệm vụ trọng tâm."
    ]
    if len(dates) > 1:
        verb = "tăng" if last["score"] > first["score"] else "giảm" if last["score"] < first["score"] else "giữ"
        lines.append(
            f"Điểm đạt toàn cơ quan {verb} từ {_points(first['score'])} điểm ({format_due(dates[0])}) "
            f"{'lên' if verb == 'tăng' else 'xuống' if verb == 'giảm' else 'ở'} {_points(last['score'])} điểm "
            f"({format_due(dates[-1])}); tỷ lệ so với điểm kỳ vọng từ {_percent(_none(first['ratio']))}% "
            f"thành {_percent(_none(last['ratio']))}%."
        )
    else:
        lines.append(
            f"Đến ngày {format_due(dates[-1])}, toàn cơ quan đạt {_points(last['score'])} điểm, bằng "
            f"{_percent(_none(last['ratio']))}% điểm kỳ vọng ({_points(last['expected'])} điểm)."
        )
    lines.append(
        f"Trong kỳ có {format_vn(len(review.falls))} lượt KPI giảm % tiến độ, {format_vn(len(review.stalls))} KPI "
        f"đứng yên từ hai kỳ báo cáo trở lên, {format_vn(len(review.became_late))} KPI chuyển sang quá hạn. Đến ngày "
        f"{format_due(review.last)}: {format_vn(int(last['late']))} KPI quá hạn, {format_vn(int(last['at_risk']))} KPI "
        "có nguy cơ chậm tiến độ (mục III, IV)."
    )
    grades = "; ".join(f"{u.unit.name}: {u.grade}" for u in review.latest.units)
    lines.append(f"Xếp loại tạm tính đến ngày {format_due(review.last)} — {grades}.")
    return lines


def _none(value):
    """A figure from a DataFrame: NaN (pandas' missing value) as None."""
    return None if value is None or value != value else float(value)


def _unit_sentence(rows) -> str:
    first, last = rows.iloc[0], rows.iloc[-1]
    if len(rows) == 1:
        moved = f"Điểm đạt {_points(last['score'])} điểm"
    else:
        direction = "lên" if last["score"] >= first["score"] else "xuống"
        moved = f"Điểm đạt từ {_points(first['score'])} {direction} {_points(last['score'])} điểm"
    return (f"{moved}, bằng {_percent(_none(last['ratio']))}% điểm kỳ vọng ({_points(last['expected'])} điểm) đến "
            f"ngày {format_due(last['date'])}; xếp loại tạm tính: {last['grade']}. Quá hạn: "
            f"{format_vn(int(last['late']))} KPI; nguy cơ chậm: {format_vn(int(last['at_risk']))} KPI.")


def _proposal_row(p: Proposal, review: Review) -> dict:
    r = p.result
    due = r.kpi.deadline.due
    now = f"đạt {_progress(r.effective_progress)}% tại kỳ {format_due(review.last)}"
    state = (f"quá hạn từ {format_due(due)}, {now}" if r.status == LATE else
             f"{now}, kỳ vọng {format_vn(r.expected_progress or 0, 0)}%, thời hạn {format_due(due)}")
    pace = ""
    if p.pace is not None and p.since is not None:
        monthly = p.pace * DAYS_PER_MONTH
        pace = (f"tốc độ từ kỳ {format_due(p.since)} đến nay khoảng {format_vn(monthly, 1)} điểm %/tháng"
                if p.pace > 0 else f"% tiến độ không tăng từ kỳ {format_due(p.since)}")
    measure = p.measure
    if p.kind == "keep":
        text = (f"Giữ thời hạn {format_due(due)}: với {pace}, KPI dự kiến hoàn thành ngày "
                f"{format_due(p.projected)}; đề nghị đơn vị duy trì tiến độ.")
    elif p.kind == "move":
        text = (f"Điều chỉnh mốc hoàn thành sang ngày {format_due(p.projected)} ({pace}, đó là ngày KPI đạt 100% nếu "
                "giữ tốc độ hiện nay).")
    else:
        reason = (f"{pace[:1].upper()}{pace[1:]}" if pace else "Chưa đủ số liệu để tính tốc độ")
        if p.projected is not None:
            reason += f"; với tốc độ này KPI chỉ hoàn thành vào ngày {format_due(p.projected)}, sau năm kế hoạch"
        text = (f"{reason}. Giải pháp tháo gỡ theo đề xuất của đơn vị: {measure}" if measure else
                f"{reason}. Đơn vị chưa nêu khó khăn, vướng mắc: đề nghị đơn vị báo cáo rõ nguyên nhân và giải pháp "
                "tháo gỡ.")
        measure = ""  # quoted in the proposal itself
    return {**_kpi(review, r.kpi.unit, r.kpi.code or r.kpi.title, r.kpi.title), "state": state, "proposal": text,
            "measure": measure, "kind": p.kind}


def _recommendations(review: Review) -> list[str]:
    names = review.unit_names
    out = []
    moved = [p for p in review.proposals if p.kind == "move"]
    if moved:
        out.append("Đề nghị Lãnh đạo Ban xem xét, cho phép điều chỉnh mốc hoàn thành của " + ", ".join(
            f"{p.result.kpi.code or p.result.kpi.title} (đến ngày {format_due(p.projected)})" for p in moved)
            + " như đề xuất tại mục IV.")
    unblock = [p.result for p in review.proposals if p.kind == "unblock"]
    if unblock:
        out.append(f"Đề nghị Lãnh đạo Ban chỉ đạo tháo gỡ khó khăn, vướng mắc đối với các KPI của "
                   f"{_names_with_codes(unblock, names)} theo giải pháp nêu tại mục IV.")
    for frame, ask in ((review.falls, "giải trình việc % tiến độ giảm"),
                       (review.stalls, "rà soát, đẩy nhanh các KPI đứng yên nhiều kỳ")):
        if len(frame):
            out.append(f"Đề nghị {_codes_by_unit(frame, names)} {ask}.")
    if review.year_end:
        out.append(f"Đề nghị Lãnh đạo Ban sử dụng kết quả đánh giá cuối năm tại mục {_sections(review)['year_end']} "
                   f"làm một trong những căn cứ đánh giá, xếp loại tập thể phòng, đơn vị và người đứng đầu năm "
                   f"{review.period.year}.")
        pending = [r for u in review.year_end.units for r in u.pending]
        if pending:
            out.append(f"Kết quả của {_names_with_codes(pending, names)} là tạm tính do KPI chưa đến hạn; "
                       f"{review.settings.office or 'Văn phòng'} cập nhật sau thời hạn.")
    out.append(f"Đề nghị các phòng, đơn vị tiếp tục cập nhật Bảng giao KPI trước ngày "
               f"{review.settings.cutoff_day} hằng tháng.")
    return out


def _codes_by_unit(frame, names: dict[str, str]) -> str:
    """"Phòng A (A-01, A-02), Phòng B (B-03)" from a frame of KPI rows, each code once."""
    by_unit: dict[str, list[str]] = {}
    for unit, code in zip(frame["unit"], frame["code"]):
        codes = by_unit.setdefault(unit, [])
        if code not in codes:
            codes.append(code)
    return ", ".join(f"{names.get(u, u)} ({', '.join(c)})" for u, c in by_unit.items())


def _sections(review: Review) -> dict[str, str]:
    """The roman numbers of the sections, which depend on what the review holds."""
    keys = ["overview", "units", "watch", "proposals"]
    if review.people:
        keys.append("people")
    if review.year_end:
        keys.append("year_end")
    keys.append("closing")
    romans = ("I", "II", "III", "IV", "V", "VI", "VII")
    return dict(zip(keys, romans))


def _year_end(year_end: YearEnd, review: Review) -> dict:
    rate = format_vn(year_end.rate)
    source = ("theo “Tỷ lệ trừ điểm KPI chậm hạn (%)” trong “Cấu hình”" if year_end.rate_from_config else
              "mặc định theo Nghị định 335/2025/NĐ-CP; đổi ở “Tỷ lệ trừ điểm KPI chậm hạn (%)” trong “Cấu hình”")
    units = []
    for u in year_end.units:
        rows = []
        for seq, row in enumerate(u.rows, start=1):
            r = row.result
            note = ("Chưa đến hạn" if row.pending else
                    "Hoàn thành chậm" if row.late and r.status != LATE else
                    "Chưa hoàn thành" if row.late else "")
            rows.append({"seq": str(seq), "code": r.kpi.code, "title": r.kpi.title,
                         "weight": format_vn(r.kpi.weight or 0), "progress": _progress(r.effective_progress),
                         "points": _points(r.score), "deduction": _points(row.deduction) if row.deduction else "",
                         "final": _points(row.final), "note": note})
        pending = ", ".join(f"{r.kpi.code} (hạn {format_due(r.kpi.deadline.due)})" for r in u.pending)
        units.append({
            "name": u.unit.unit.name, "code": u.unit.unit.code, "head": u.unit.unit.head or "…",
            "weight_total": format_vn(u.unit.weight_total), "points": _points(u.points),
            "deduction": _points(u.deduction), "final": _points(u.final), "ratio": _percent(u.ratio),
            "scale": _points(u.on_result_scale), "grade": u.grade if u.official else f"{u.grade} (tạm tính)",
            "official": u.official, "pending": pending, "rows": rows,
        })
    return {
        "figures_on": format_due(year_end.figures_on),
        "rate": rate,
        "rate_source": source,
        "units": units,
    }


def review_context(review: Review) -> dict:
    """Everything the review template shows, as Vietnamese-formatted strings; the charts are
    :class:`~sheetkpi.outputs.memo.Picture` values (see docs/review.md for the fields)."""
    s = review.settings
    period = review.period
    kind = "Tổng kết" if period.is_year else "Sơ kết"
    heading = period.heading
    units = []
    for code, rows in review.trajectory.groupby("unit", sort=False):
        units.append({
            "code": code, "name": rows["unit_name"].iloc[0],
            "head": next((u.unit.head for u in review.latest.units if u.unit.code == code), ""),
            "summary": _unit_sentence(rows),
            "rows": [_trajectory_row(r) for _, r in rows.iterrows()],
            "chart": Picture(trajectory_png(rows["date"], rows["score"], rows["expected"], float(
                rows["weight_total"].max())), CHART_WIDTH_MM),
        })
    agency = review.agency
    weights = float(review.trajectory.groupby("date")["weight_total"].sum().max())
    sections = _sections(review)
    return {
        "parent_agency": s.parent_agency, "agency": s.agency, "office": s.office or "Văn phòng",
        "place": s.place, "doc_symbol": s.doc_symbol, "signer": s.signer, "signer_title": s.signer_title,
        "signer_authority": s.signer_authority, "plan_year": str(s.plan_year),
        "date_line": date_line(s.place, review.last),
        "kind": kind, "kind_lower": kind.lower(), "period": period.label, "period_heading": heading,
        "title": f"{kind} thực hiện KPI, nhiệm vụ trọng tâm {heading}",
        "as_of": format_due(review.last), "dates": _dates_text(review.dates),
        "risk_threshold": format_vn(s.risk_threshold),
        "sections": sections,
        "overview": _overview(review),
        "agency_rows": [_trajectory_row(r) for _, r in agency.iterrows()],
        "agency_chart": Picture(trajectory_png(agency["date"], agency["score"], agency["expected"], weights),
                                CHART_WIDTH_MM),
        "units": units,
        "falls": [{**_kpi(review, r.unit, r.code, r.title), "date": format_due(r.date),
                   "before_date": format_due(r.before_date), "before": _progress(r.before),
                   "after": _progress(r.recorded)} for r in review.falls.itertuples()],
        "stalls": [{**_kpi(review, r.unit, r.code, r.title), "figure": _progress(r.figure),
                    "since": format_due(r.since), "until": format_due(r.until), "unchanged": str(r.unchanged)}
                   for r in review.stalls.itertuples()],
        "became_late": [{**_kpi(review, r.unit, r.code, r.title), "date": format_due(r.date),
                         "due": format_due(r.due.date()), "progress": _progress(r.progress)}
                        for r in review.became_late.itertuples()],
        "proposals": [_proposal_row(p, review) for p in review.proposals],
        "people": [{"unit": p.unit.unit.name, "name": p.label, "kpi_count": format_vn(p.kpi_count),
                    "score": _points(p.score_total), "expected": _points(p.expected_score),
                    "ratio": _percent(p.ratio), "late": format_vn(p.late_count), "codes": p.codes}
                   for p in review.people],
        "year_end": _year_end(review.year_end, review) if review.year_end else None,
        "recommendations": _recommendations(review),
    }


def _trajectory_row(r) -> dict:
    """A report date of a trajectory (a unit's, with its grade, or the agency's)."""
    return {"date": format_due(r["date"]), "score": _points(r["score"]), "expected": _points(r["expected"]),
            "ratio": _percent(_none(r["ratio"])), "grade": r.get("grade", ""),
            "kpi_count": format_vn(int(r["kpi_count"])), "done": format_vn(int(r["done"])),
            "late": format_vn(int(r["late"])), "at_risk": format_vn(int(r["at_risk"]))}


# --- the charts -----------------------------------------------------------------------------------

def trajectory_png(dates, achieved, expected, top: float) -> bytes:
    """Achieved and expected score over the report dates, a line chart (PNG, Vietnamese numbers),
    its axis from 0 to the weights at stake (``top``)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    family = chart_font()
    labels = [d.strftime("%d/%m") for d in dates]
    achieved, expected = list(map(float, achieved)), list(map(float, expected))
    fig = Figure(figsize=(CHART_WIDTH_MM / 25.4, CHART_HEIGHT_IN), dpi=200)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    x = list(range(len(labels)))
    ax.plot(x, expected, color="#7f9fbf", linestyle="--", marker="s", markersize=3.5, linewidth=1.2,
            label="Điểm kỳ vọng")
    ax.plot(x, achieved, color="#1f4e79", marker="o", markersize=4, linewidth=1.8, label="Điểm đạt")
    for i, (value, pace) in enumerate(zip(achieved, expected)):
        # The figure on the side away from the expected line, so that the two never overlap.
        below = value < pace
        ax.annotate(format_vn(value, 1), (i, value), textcoords="offset points", xytext=(0, -10 if below else 5),
                    ha="center", fontsize=7, fontfamily=family, color="#1f4e79")
    ax.set_xticks(x, labels, fontsize=8, fontfamily=family)
    ax.set_xlim(-0.5, len(labels) - 0.5)
    ax.set_ylim(0, max([top, *achieved, *expected]) * 1.1)
    ax.set_ylabel("Điểm", fontsize=9, fontfamily=family)
    ax.yaxis.set_major_formatter(lambda v, _pos: format_vn(v, 0))
    ax.tick_params(axis="y", labelsize=8)
    for label in ax.get_yticklabels():
        label.set_fontfamily(family)
    ax.grid(axis="y", color="#dddddd", linewidth=0.5)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(frameon=False, ncols=2, loc="upper center", bbox_to_anchor=(0.5, 1.16),
              prop={"family": family, "size": 8})
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


# --- the file -------------------------------------------------------------------------------------

def write_review(review: Review, folder: Path, *, template: Path | None = None, pdf: bool = False) -> list[Path]:
    """Write ``<stem>.docx`` (and ``.pdf`` when asked) into ``folder``, the previous copy kept in
    "sao-luu"; ``template`` replaces the shipped Word template. Returns the paths written."""
    from .memo import _require_libraries

    _require_libraries()
    folder = Path(folder)
    context = review_context(review)
    docx = folder / f"{review_stem(review)}.docx"
    return write_documents(folder, {docx: render_docx(context, template, default=REVIEW_TEMPLATE)}, pdf=pdf)
