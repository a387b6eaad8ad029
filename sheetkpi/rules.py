"""The scoring rules of SPEC §2: score, status, pace, at-risk, grade. Pure functions over the model."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from .model import (
    DONE,
    GRADES,
    IN_PROGRESS,
    KPI,
    LATE,
    NO_GRADE,
    NOT_STARTED,
    STATUSES,
    Evaluation,
    History,
    Key,
    KpiResult,
    Settings,
    Tracker,
    Unit,
    UnitResult,
)
from .parsing.deadlines import format_due
from .parsing.numbers import format_vn
from .report import AtRisk, CompletedLate, Issue, NotUpdated, Overdue, ProgressDecreased, WeightSumMismatch

WEIGHT_SUM = 100.0
_CENT = Decimal("0.01")


def clip(value: float, low: float = 0.0, high: float = 100.0) -> float:
    return max(low, min(high, value))


def round2(x: float) -> float:
    """Round half up to 2 decimals, as Excel's ROUND does (5,625 → 5,63), on the shortest decimal
    form of ``x`` (so 16.649999… printed as 16.65 rounds as 16.65)."""
    if not abs(x) < 1e15:  # cents mean nothing there (and inf/nan stay as they are)
        return x
    if round(x, 2) == x:
        # Already the float nearest a number of cents (most scores: weights × whole percents), whose
        # shortest form has two decimals at most: quantizing it would give x back, at 6 times the cost.
        return x
    return float(Decimal(repr(x)).quantize(_CENT, ROUND_HALF_UP))


def score(weight: float | None, progress: float) -> float:
    """"Điểm quy đổi" = weight × progress / 100, progress capped at 0..100, rounded to 2 decimals."""
    if weight is None:
        return 0.0
    if not weight:  # (0.0 and -0.0, equal as keys of the cache, give scores of either sign)
        return round2(weight * clip(progress) / 100.0)
    # (As plain floats: a number of another type equal to one cached, a NumPy float, must not be
    # handed that one's result, nor leave its own type in the cache.)
    return _score(float(weight), float(progress))


@lru_cache(maxsize=1 << 14)
def _score(weight: float, progress: float) -> float:
    # A tab repeats its weights and whole percents: 100,000 KPIs have a few thousand pairs, and
    # rounding half up costs a Decimal when the product is not a whole number of cents.
    return round2(weight * clip(progress) / 100.0)


def status(progress: float, due: dt.date | None, as_of: dt.date) -> str:
    """Exactly one status at the report date; the due day itself is not late."""
    if progress >= 100:
        return DONE
    if due is not None and due < as_of:
        return LATE
    if progress <= 0:
        return NOT_STARTED
    return IN_PROGRESS


def expected_progress(start: dt.date, due: dt.date, as_of: dt.date) -> float:
    """Linear pace E = 100 × (D − s) / (d − s), clipped to 0..100."""
    span = (due - start).days
    if span <= 0:
        return 100.0 if as_of >= due else 0.0
    return clip(100.0 * (as_of - start).days / span)


def pace_ratio(score_total: float, expected_score: float) -> float | None:
    """"Tỷ lệ so với kỳ vọng" R = 100 × total / expected score, capped at 100; None without expectation."""
    return min(100.0, round2(100.0 * score_total / expected_score)) if expected_score > 0 else None


def grade(ratio: float | None, bands: tuple[float, float, float]) -> str:
    """Provisional grade from the pace-adjusted ratio; no grade without an expected score."""
    if ratio is None:
        return NO_GRADE
    for threshold, label in zip(bands, GRADES):
        if ratio >= threshold:
            return label
    return GRADES[-1]


def effective_progress(kpi: KPI) -> float:
    """The progress used for scoring: a numeric indicator's computed figure, else what was typed, clipped."""
    if kpi.indicator_progress is not None:
        return max(0.0, round2(kpi.indicator_progress))
    return clip(kpi.progress) if kpi.progress is not None else 0.0


def evaluate_kpi(kpi: KPI, as_of: dt.date, settings: Settings, history=None) -> KpiResult:
    """Score, status and warnings of one KPI at ``as_of`` (``history``: its figures in "Lịch sử",
    (report date, progress) pairs in date order)."""
    progress = effective_progress(kpi)
    due = kpi.deadline.due
    state = status(progress, due, as_of)
    expected = expected_progress(settings.start, due, as_of) if due else None
    at_risk = (
        state in (IN_PROGRESS, NOT_STARTED)
        and expected is not None
        and expected - progress > settings.risk_threshold
    )
    completed_late = state == DONE and due is not None and kpi.completed_on is not None and kpi.completed_on > due
    found = []  # (kind, params): most KPIs have none, and their place is made only for those that do
    if state == LATE:
        found.append((Overdue, _params(due=format_due(due), progress=format_vn(progress))))
    if at_risk:
        found.append((AtRisk, _params(
            progress=format_vn(progress), expected=format_vn(expected, 0), due=format_due(due))))
    if completed_late:
        found.append((CompletedLate, _params(done=format_due(kpi.completed_on), due=format_due(due))))
    if history and state != DONE and recorded_progress(kpi, progress) is not None:
        trend = _trend(progress, as_of, settings.start, history)
        if trend:
            found.append(trend)
    issues = kpi.issues
    if found:
        # Pace and trend findings point at the cell the department must update.
        cells = kpi.cells
        issues += tuple(kind(params=params, cell=cells.get("completed_on" if kind is CompletedLate else "progress"),
                             sheet=kpi.sheet, unit=kpi.unit, kpi=kpi.code) for kind, params in found)
    return KpiResult(
        kpi=kpi,
        effective_progress=progress,
        score=score(kpi.weight, progress),
        status=state,
        expected_progress=expected,
        at_risk=at_risk,
        completed_late=completed_late,
        issues=issues,
    )


def _params(**values: str) -> dict[str, str]:
    """A finding's parameters, one dict for equal ones (never changed once made): 100,000 KPIs'
    findings repeat a few thousand ("30/06/2026", "37"), each dict 180 bytes."""
    return _shared_params(tuple(values.items()))


@lru_cache(maxsize=1 << 14)
def _shared_params(items: tuple[tuple[str, str], ...]) -> dict[str, str]:
    return dict(items)


def recorded_progress(kpi: KPI, effective: float) -> float | None:
    """The progress "Lịch sử" records for a KPI: None when nothing valid was typed (an empty or
    invalid cell scores 0, but is not a figure a trend may be read from)."""
    return effective if kpi.progress is not None or kpi.indicator_progress is not None else None


def _trend(progress: float, as_of: dt.date, start: dt.date, history) -> tuple[type[Issue], dict[str, str]] | None:
    """Compare with the last figure recorded in "Lịch sử" before ``as_of`` within this plan period
    (a workbook copied for a new year keeps last year's history, which is not this year's trend):
    the finding's kind and parameters, if any."""
    earlier = [(d, p) for d, p in history if start <= d < as_of]
    if not earlier:
        return None
    when, before = earlier[-1]
    if progress < before:
        return ProgressDecreased, _params(before=format_vn(before), after=format_vn(progress))
    if progress == before and progress > 0:
        return NotUpdated, _params(date=format_due(when))
    return None


def evaluate_unit(
    unit: Unit, as_of: dt.date, settings: Settings, history: History, previous: dt.date | None = None,
) -> UnitResult:
    """Totals, expected score, grade and flags of one unit; with ``previous`` (the previous report
    date), each KPI's figure and status then and the unit's score then."""
    keys = [history_key(k) for k in unit.kpis]
    last = history.last_figures(settings.start, as_of)  # (only the last before as_of is compared)
    results = [evaluate_kpi(k, as_of, settings, last(key)) for k, key in zip(unit.kpis, keys)]
    previous_score = _compare(results, keys, history, previous) if previous else None
    weight_total = round2(sum(k.weight or 0.0 for k in unit.kpis))
    score_total = round2(sum(r.score for r in results))
    expected = round2(sum(expected_points(r) for r in results))
    ratio = pace_ratio(score_total, expected)
    counts = {s: sum(1 for r in results if r.status == s) for s in STATUSES}
    issues: list[Issue] = list(unit.issues)
    flags: list[str] = []
    if unit.kpis and weight_total != WEIGHT_SUM:
        issue = WeightSumMismatch(params={"total": format_vn(weight_total)}, sheet=unit.sheet, unit=unit.code)
        issues.append(issue)
        flags.append(issue.text)
    return UnitResult(
        unit=unit,
        kpis=results,
        weight_total=weight_total,
        score_total=score_total,
        expected_score=expected,
        ratio=ratio,
        grade=grade(ratio, settings.bands),
        status_counts=counts,
        at_risk_count=sum(1 for r in results if r.at_risk),
        flags=flags,
        kpi_count=len(results),
        issues=issues,
        previous_score=previous_score,
    )


def expected_points(result: KpiResult) -> float:
    """A KPI's share of an expected score ("Điểm kỳ vọng"): weight × E / 100, or its own score
    when it has no due date (it cannot be behind a pace it does not have)."""
    if result.expected_progress is None:
        return result.score
    return (result.kpi.weight or 0.0) * result.expected_progress / 100.0


def _compare(results: list[KpiResult], keys: list[Key], history: History, previous: dt.date) -> float | None:
    """Fill each result's figure and status at the ``previous`` report (``history``: the figures in
    "Lịch sử" by key, ``keys``: the results' keys); the unit's score then, with today's weights
    (None when none of its KPIs had a figure then)."""
    total, any_figure = 0.0, False
    figure_of = history.figures_on(previous)
    for r, key in zip(results, keys):
        figure = figure_of(key)
        if figure is None:
            continue
        any_figure = True
        r.previous_progress = figure
        r.previous_status = status(figure, r.kpi.deadline.due, previous)
        total += score(r.kpi.weight, figure)
    return round2(total) if any_figure else None


def previous_report(history: History, as_of: dt.date, start: dt.date) -> dt.date | None:
    """The latest report date in "Lịch sử" before ``as_of`` and in this plan period."""
    return max((d for d in history.figure_dates() if start <= d < as_of), default=None)


def history_key(kpi: KPI) -> tuple[str, str, int]:
    """How a KPI is recognised across report dates in "Lịch sử": its unit, its code (else its
    title), and its rank among the unit's KPIs with that same code or title (two KPIs without code
    and with one title keep a row each)."""
    return (kpi.unit, kpi.code or kpi.title, kpi.occurrence)


def evaluate(tracker: Tracker, as_of: dt.date, source: str = "as-of") -> Evaluation:
    """Evaluate every unit of a workbook at ``as_of`` (``source``: where that date came from)."""
    evaluation, units = evaluate_by_unit(tracker, as_of, source)
    for _ in units:
        pass
    return evaluation


def evaluate_by_unit(
    tracker: Tracker, as_of: dt.date, source: str = "as-of",
) -> tuple[Evaluation, Iterator[UnitResult]]:
    """The evaluation of :func:`evaluate`, empty at first, and the iterator that evaluates its units
    one by one, adding each (and its issues) as it goes: complete once the iterator is exhausted.
    (A recalculation writes each unit's tab as it is evaluated.)"""
    previous = previous_report(tracker.history, as_of, tracker.settings.start)
    evaluation = Evaluation(as_of=as_of, settings=tracker.settings, units=[], issues=list(tracker.issues),
                            as_of_source=source, previous=previous)

    def units() -> Iterator[UnitResult]:
        for unit in tracker.units:
            result = evaluate_unit(unit, as_of, tracker.settings, tracker.history, previous)
            evaluation.units.append(result)
            evaluation.issues.extend(result.issues)
            for r in result.kpis:
                evaluation.issues.extend(r.issues)
            yield result

    return evaluation, units()
