"""The quarterly review ("sơ kết quý") and, in quarter 4, the year's review with the year-end
evaluation (plan, section V: "Định kỳ hằng quý, Văn phòng tham mưu tổ chức rà soát, đánh giá kết
quả thực hiện; đề xuất điều chỉnh các mốc tiến độ hoặc giải pháp tháo gỡ …").

Everything is computed from "Lịch sử" (:func:`sheetkpi.frames.history_long`) and today's KPIs:
at each report date of the year up to the quarter's end, every KPI gets the figure recorded then,
today's weight and due date, and the rules of :mod:`sheetkpi.rules` at that date; the results of
all dates are one DataFrame (:func:`sheetkpi.frames.kpi_frame` of each date) that the trends are
read from. Decisions (docs/review.md):

- A KPI counts from its first figure in "Lịch sử" on (a KPI added in June is not behind in March);
  from then on a report date without a figure scores 0, as that month's run scored the empty cell.
- "Went down": a figure below the KPI's previous figure. "Stood still": the same figure, below 100,
  at three report dates in a row or more (two reports without a change), the last in the period.
  "Became late": "Quá hạn" at a report date of the period and not at the report before.
- Proposals, for each KPI late or at risk at the period's last report date: at the present pace —
  the progress gained since the last report before the quarter, per day — the date it reaches
  100 % becomes the proposed milestone; a KPI on pace to finish by its due date keeps it; without
  progress, or when that date falls after the year, a measure to unblock it, taken from what the
  department wrote ("Đề xuất …", "Đề nghị …").
- Year-end (quarter 4): the figures of the year's last report, the rules at 1 January of the next
  year, so that every due date of the year has passed (the due day itself is never late). A KPI
  completed after its deadline (its "Ngày hoàn thành", or "Quá hạn" at an earlier report) or still
  open past it loses "Tỷ lệ trừ điểm KPI chậm hạn (%)" of its points (Nghị định 335/2025/NĐ-CP:
  25 %). A unit with a KPI due after the year has no official total yet.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
from dataclasses import dataclass, field, replace

import pandas as pd

from .errors import UsageError
from .frames import history_long, kpi_frame
from .model import DONE, LATE, Evaluation, KpiResult, Settings, Tracker, UnitResult
from .parsing.deadlines import format_due
from .parsing.text import clean_text, fold
from .people import PersonResult, people
from .rules import evaluate, grade, history_key, pace_ratio, round2

ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
DEFAULT_DEDUCTION = 25.0  # Nghị định 335/2025/NĐ-CP, when "Cấu hình" does not say
RESULT_POINTS = 70  # Nghị định 335: task results weigh 70 of a civil servant's 100 points
_KEY = ["unit", "code", "occurrence"]
_SENTENCE = re.compile(r"(?<=[.;!?])\s+|\n+")
_PROPOSING = re.compile(r"\b(?:de xuat|de nghi|kien nghi)\b")


@dataclass(frozen=True)
class Period:
    """The quarter reviewed; quarter 4 is the year's review and covers the whole year."""

    year: int
    quarter: int

    @property
    def quarter_start(self) -> dt.date:
        return dt.date(self.year, 3 * self.quarter - 2, 1)

    @property
    def start(self) -> dt.date:
        """The first day the review looks at: the quarter's, or the year's for quarter 4."""
        return dt.date(self.year, 1, 1) if self.is_year else self.quarter_start

    @property
    def end(self) -> dt.date:
        month = 3 * self.quarter
        return dt.date(self.year, month, calendar.monthrange(self.year, month)[1])

    @property
    def is_year(self) -> bool:
        return self.quarter == 4

    @property
    def heading(self) -> str:
        """"quý II năm 2026", or "năm 2026", as a title says it."""
        return f"năm {self.year}" if self.is_year else f"quý {ROMAN[self.quarter]} năm {self.year}"

    @property
    def label(self) -> str:
        """"quý II/2026", or "năm 2026" for the year's review."""
        return f"năm {self.year}" if self.is_year else f"quý {ROMAN[self.quarter]}/{self.year}"


@dataclass
class Proposal:
    """What the Office proposes for a KPI late or at risk at the period's last report.

    ``kind``: "move" (the milestone to ``projected``), "keep" (on pace to finish by its due date)
    or "unblock" (no progress at the present pace, or not within the year: ``measure``)."""

    result: KpiResult
    kind: str
    pace: float | None  # progress points per day since ``since``; None when it cannot be measured
    since: dt.date | None
    projected: dt.date | None  # the day the present pace reaches 100 %
    measure: str  # the department's own proposal, else its obstacles, else ""


@dataclass
class YearEndKpi:
    """A KPI in the year-end evaluation."""

    result: KpiResult
    late: bool  # completed after its deadline, or still open past it
    pending: bool  # due after the year: not evaluated yet
    deduction: float

    @property
    def final(self) -> float:
        return round2(self.result.score - self.deduction)


@dataclass
class YearEndUnit:
    """A unit's year-end result: the official total, the deduction, the grade."""

    unit: UnitResult
    rows: list[YearEndKpi]
    bands: tuple[float, float, float]

    @property
    def points(self) -> float:
        return self.unit.score_total

    @property
    def deduction(self) -> float:
        return round2(sum(r.deduction for r in self.rows))

    @property
    def final(self) -> float:
        return round2(self.points - self.deduction)

    @property
    def ratio(self) -> float | None:
        """The final points against the unit's weights, in % (capped at 100)."""
        return pace_ratio(self.final, self.unit.weight_total)

    @property
    def grade(self) -> str:
        return grade(self.ratio, self.bands)

    @property
    def on_result_scale(self) -> float | None:
        """The result on Nghị định 335's 70 points for task results."""
        return None if self.ratio is None else round2(self.ratio * RESULT_POINTS / 100)

    @property
    def pending(self) -> list[KpiResult]:
        return [r.result for r in self.rows if r.pending]

    @property
    def official(self) -> bool:
        """Every due date has passed."""
        return not self.pending


@dataclass
class YearEnd:
    """The year-end evaluation of every unit."""

    figures_on: dt.date  # the report date whose figures are evaluated
    evaluated_on: dt.date  # the rules' date: 1 January of the next year
    rate: float  # the deduction, in % of a KPI's points
    rate_from_config: bool
    units: list[YearEndUnit]


@dataclass
class Review:
    """Everything the review shows; the DataFrames are for the report and for analysts."""

    period: Period
    settings: Settings
    dates: list[dt.date]  # the report dates of the period
    trajectory: pd.DataFrame  # per unit and date: score, expected, ratio, grade, counts
    agency: pd.DataFrame  # per date: the agency's score, expected and ratio
    kpis: pd.DataFrame  # per KPI and report date of the year up to the period's end
    falls: pd.DataFrame
    stalls: pd.DataFrame
    became_late: pd.DataFrame
    latest: Evaluation  # at the period's last report date
    proposals: list[Proposal]
    people: list[PersonResult]
    year_end: YearEnd | None = None
    unit_names: dict[str, str] = field(default_factory=dict)

    @property
    def last(self) -> dt.date:
        return self.dates[-1]


def build_review(tracker: Tracker, quarter: int, year: int | None = None) -> Review:
    """The review of ``quarter`` (1–4) of ``year`` (default: the plan year) from the workbook's
    KPIs and "Lịch sử"; a quarter without a report date in "Lịch sử" is refused (UsageError)."""
    settings = tracker.settings
    period = _period(quarter, year, settings)
    history = history_long(tracker.history)
    history["day"] = history["date"].dt.date
    year_dates = sorted(d for d in set(history["day"]) if settings.start <= d <= period.end)
    dates = [d for d in year_dates if d >= period.start]
    if not dates:
        seen = ", ".join(format_due(d) for d in sorted(set(history["day"]))[-6:]) or "chưa có kỳ nào"
        raise UsageError(
            "no-report-in-period",
            f"'Lịch sử' chưa có kỳ báo cáo nào trong {period.label} (các kỳ đã có: {seen}). Hãy tính lại "
            f"(sheetkpi recalc --as-of NGÀY) các kỳ báo cáo của {period.label} trước khi sơ kết.",
        )
    figures = dict(zip(zip(history["unit"], history["code"], history["occurrence"], history["day"]),
                       history["progress"]))
    first = history.groupby(_KEY)["day"].min().to_dict()
    evaluations = {d: evaluate_on(tracker, figures, first, d, d) for d in year_dates}
    # Each KPI's dates in order, the KPIs in workbook order (lists read as the workbook does).
    order = {history_key(k): i for i, k in enumerate(k for u in tracker.units for k in u.kpis)}
    kpis = pd.concat([kpi_frame(ev).assign(date=d) for d, ev in evaluations.items()], ignore_index=True)
    kpis["order"] = [order[key] for key in zip(kpis["unit"], kpis["code"], kpis["occurrence"])]
    kpis = kpis.sort_values(["order", "date"], kind="stable", ignore_index=True)
    latest = evaluations[dates[-1]]
    in_period = kpis["date"].isin(dates)
    review = Review(
        period=period, settings=settings, dates=dates,
        trajectory=_trajectory(evaluations, dates), agency=_agency(evaluations, dates), kpis=kpis,
        falls=_by_date(_falls(kpis)[lambda f: f["date"].isin(dates)]), stalls=_stalls(kpis, period),
        became_late=_by_date(kpis[in_period & (kpis["status"] == LATE)
                                  & (kpis.groupby(_KEY)["status"].shift() != LATE)]),
        latest=latest,
        proposals=[_proposal(r, figures, year_dates, period, dates[-1]) for r in latest.kpis
                   if r.status == LATE or r.at_risk],
        people=people(latest.units),
        unit_names={u.code: u.name for u in tracker.units},
    )
    if period.is_year:
        review.year_end = _year_end(tracker, figures, first, dates[-1], kpis, dt.date(period.year + 1, 1, 1))
    return review


def _period(quarter: int, year: int | None, settings: Settings) -> Period:
    if quarter not in ROMAN:
        raise UsageError("bad-quarter", f"Quý phải là 1, 2, 3 hoặc 4 (nhận được {quarter}).")
    year = year or settings.plan_year
    if year != settings.plan_year:
        raise UsageError(
            "bad-year",
            f"Bảng giao KPI này là của năm {settings.plan_year} ('Năm kế hoạch' trong 'Cấu hình'): sơ kết năm "
            f"{year} cần Bảng giao KPI của năm đó (trọng số, thời hạn của năm ấy), ví dụ bản lưu trong 'sao-luu'.",
        )
    return Period(year, quarter)


def evaluate_on(tracker: Tracker, figures: dict, first: dict, figures_on: dt.date, as_of: dt.date) -> Evaluation:
    """Every unit with the figures "Lịch sử" holds at ``figures_on`` (today's weights, due dates and
    texts), under the rules at ``as_of``. A KPI whose first figure comes later is left out; a KPI
    without a figure at that date scores 0."""
    units = []
    for unit in tracker.units:
        kpis = []
        for k in unit.kpis:
            key = history_key(k)
            if key in first and first[key] <= figures_on:
                figure = figures.get((*key, figures_on))
                kpis.append(replace(k, progress=figure, indicator_progress=None, issues=()))
        units.append(replace(unit, kpis=kpis, issues=[]))
    return evaluate(Tracker(settings=tracker.settings, units=units), as_of)


def _trajectory(evaluations: dict[dt.date, Evaluation], dates: list[dt.date]) -> pd.DataFrame:
    rows = [(d, u.unit.code, u.unit.name, u.kpi_count, u.weight_total, u.score_total, u.expected_score, u.ratio,
             u.grade, u.status_counts[DONE], u.status_counts[LATE], u.at_risk_count)
            for d in dates for u in evaluations[d].units]
    return pd.DataFrame.from_records(rows, columns=[
        "date", "unit", "unit_name", "kpi_count", "weight_total", "score", "expected", "ratio", "grade", "done",
        "late", "at_risk"])


def _agency(evaluations: dict[dt.date, Evaluation], dates: list[dt.date]) -> pd.DataFrame:
    rows = []
    for d in dates:
        t = evaluations[d].totals
        rows.append((d, t["kpi_count"], t["score_total"], t["expected_score"],
                     pace_ratio(t["score_total"], t["expected_score"]), t["status_counts"][DONE],
                     t["status_counts"][LATE], t["at_risk_count"]))
    return pd.DataFrame.from_records(rows, columns=["date", "kpi_count", "score", "expected", "ratio", "done", "late",
                                                    "at_risk"])


def _by_date(events: pd.DataFrame) -> pd.DataFrame:
    """Events of KPIs by report date, then in workbook order."""
    return events.sort_values(["date", "order"], kind="stable", ignore_index=True)


def _falls(kpis: pd.DataFrame) -> pd.DataFrame:
    """Each figure below the KPI's previous figure, with that figure and its date."""
    figures = kpis.dropna(subset=["recorded"]).copy()
    grouped = figures.groupby(_KEY)
    figures["before"] = grouped["recorded"].shift()
    figures["before_date"] = grouped["date"].shift()
    return figures[figures["recorded"] < figures["before"]]


def _stalls(kpis: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Runs of one figure below 100 over three report dates or more, ending in the period: a row
    per run, its first and last date and the number of reports without a change."""
    same = (kpis["recorded"] == kpis.groupby(_KEY)["recorded"].shift()) & kpis["recorded"].notna()
    runs = kpis.assign(run=(~same).cumsum()).groupby("run").agg(
        unit=("unit", "first"), code=("code", "first"), occurrence=("occurrence", "first"),
        title=("title", "first"), figure=("recorded", "first"), since=("date", "min"), until=("date", "max"),
        dates=("date", "size"), order=("order", "first"),
    )
    runs["unchanged"] = runs["dates"] - 1
    kept = runs[(runs["unchanged"] >= 2) & (runs["figure"] < 100) & (runs["until"] >= period.start)]
    return kept.sort_values(["order", "since"], kind="stable", ignore_index=True)


def _proposal(r: KpiResult, figures: dict, year_dates: list[dt.date], period: Period, last: dt.date) -> Proposal:
    key = history_key(r.kpi)
    now = figures.get((*key, last))
    before = [d for d in year_dates if d < period.quarter_start]
    candidates = before[-1:] + [d for d in year_dates if period.quarter_start <= d < last]
    since = next((d for d in candidates if figures.get((*key, d)) is not None), None)
    pace = projected = None
    if now is not None and since is not None:
        pace = (now - figures[(*key, since)]) / (last - since).days
        if pace > 0:
            projected = last + dt.timedelta(days=math.ceil((100 - min(now, 100)) / pace))
    due = r.kpi.deadline.due
    if projected is not None and r.status != LATE and due is not None and projected <= due:
        kind = "keep"
    elif projected is not None and projected <= dt.date(period.year, 12, 31):
        kind = "move"
    else:
        kind = "unblock"
    return Proposal(r, kind, pace, since, projected, department_measure(r.kpi.obstacles))


def department_measure(obstacles: str) -> str:
    """What a department proposes in its "Khó khăn, vướng mắc, đề xuất" cell: the sentences that
    propose ("Đề xuất …", "Đề nghị …", "Kiến nghị …"), else the whole text (the obstacle to remove)."""
    text = clean_text(obstacles)
    proposing = [s.strip() for s in _SENTENCE.split(text) if _PROPOSING.search(fold(s))]
    return " ".join(proposing) if proposing else text


def _year_end(tracker: Tracker, figures: dict, first: dict, last: dt.date, kpis: pd.DataFrame,
              closing: dt.date) -> YearEnd:
    """The year's last figures (``last``) under the rules on ``closing``, the day after the year."""
    settings = tracker.settings
    evaluation = evaluate_on(tracker, figures, first, last, closing)
    was_late = set(map(tuple, kpis.loc[kpis["status"] == LATE, _KEY].itertuples(index=False)))
    rate = settings.late_deduction if settings.late_deduction is not None else DEFAULT_DEDUCTION
    units = []
    for u in evaluation.units:
        rows = []
        for r in u.kpis:
            due = r.kpi.deadline.due
            late = r.status == LATE or (r.status == DONE and (r.completed_late or history_key(r.kpi) in was_late))
            rows.append(YearEndKpi(r, late, due is not None and due >= closing,
                                   round2(r.score * rate / 100) if late else 0.0))
        units.append(YearEndUnit(u, rows, settings.bands))
    return YearEnd(last, closing, rate, settings.late_deduction is not None, units)
