"""The scoring rules of SPEC §2 on hand-made KPIs (pure core, no files)."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sheetkpi.model import DONE, IN_PROGRESS, KPI, LATE, NOT_STARTED, STATUSES, Settings, Tracker, Unit
from sheetkpi.parsing.deadlines import Deadline
from sheetkpi.rules import evaluate, evaluate_kpi, expected_progress, grade, score, status

D = dt.date
AS_OF = D(2026, 6, 25)
SETTINGS = Settings(plan_year=2026)


def kpi(progress, due=None, weight=10.0, code="X-01", completed_on=None, kind=None):
    deadline = Deadline(due, kind or ("date" if due else "event"), "")
    return KPI(unit="X", sheet="X", row=5, code=code, title="t", weight=weight, progress=progress,
               deadline=deadline, completed_on=completed_on, letters={"progress": "H", "completed_on": "K"})


@pytest.mark.parametrize("weight,progress,expected", [
    (20, 50, 10.0), (20, 100, 20.0), (20, 130, 20.0), (15, 33.333, 5.0), (10, -5, 0.0), (None, 80, 0.0),
    (25, 45.5, 11.38), (5, 12.5, 0.63), (15, 37.5, 5.63), (1.875, 100, 1.88),  # half up, like Excel's ROUND
])
def test_score_is_weight_times_capped_progress(weight, progress, expected):
    assert score(weight, progress) == expected


@pytest.mark.parametrize("progress,due,expected", [
    (100, D(2026, 4, 30), DONE),
    (100, None, DONE),
    (70, D(2026, 4, 30), LATE),
    (0, D(2026, 4, 30), LATE),
    (50, AS_OF, IN_PROGRESS),  # the due day itself is not late
    (0, AS_OF, NOT_STARTED),
    (0, None, NOT_STARTED),
    (30, D(2026, 12, 31), IN_PROGRESS),
])
def test_status_exactly_one(progress, due, expected):
    assert status(progress, due, AS_OF) == expected


def test_expected_progress_is_linear_pace_clipped():
    start = D(2026, 1, 1)
    assert expected_progress(start, D(2026, 12, 31), D(2026, 7, 2)) == pytest.approx(100 * 182 / 364)
    assert expected_progress(start, D(2026, 6, 30), D(2026, 12, 1)) == 100.0
    assert expected_progress(start, D(2026, 6, 30), D(2025, 12, 1)) == 0.0
    assert expected_progress(start, start, start) == 100.0


def test_at_risk_uses_threshold():
    # 30/6 due, 25/6 report date: E ≈ 97.2 %; 40 % typed → gap 57 > 25.
    r = evaluate_kpi(kpi(40, D(2026, 6, 30)), AS_OF, SETTINGS)
    assert r.at_risk and r.status == IN_PROGRESS
    assert [i.code for i in r.issues] == ["at-risk"]
    assert r.issues[0].cell == "H5"
    near = evaluate_kpi(kpi(80, D(2026, 6, 30)), AS_OF, SETTINGS)
    assert not near.at_risk and near.issues == ()


def test_late_and_done_rows_are_never_at_risk():
    assert not evaluate_kpi(kpi(10, D(2026, 3, 30)), AS_OF, SETTINGS).at_risk
    assert not evaluate_kpi(kpi(100, D(2026, 6, 30)), AS_OF, SETTINGS).at_risk


def test_completed_late_keeps_status_and_warns():
    r = evaluate_kpi(kpi(100, D(2026, 3, 30), completed_on=D(2026, 4, 15)), AS_OF, SETTINGS)
    assert r.status == DONE and r.completed_late
    assert r.issues[0].code == "completed-late" and r.issues[0].cell == "K5"
    on_time = evaluate_kpi(kpi(100, D(2026, 3, 30), completed_on=D(2026, 3, 30)), AS_OF, SETTINGS)
    assert not on_time.completed_late


@pytest.mark.parametrize("ratio,expected", [
    (None, "Chưa đủ căn cứ"), (95, "Hoàn thành xuất sắc"), (90, "Hoàn thành xuất sắc"),
    (89.99, "Hoàn thành tốt"), (70, "Hoàn thành tốt"), (50, "Hoàn thành"), (49.9, "Không hoàn thành"),
])
def test_grade_bands(ratio, expected):
    assert grade(ratio, (90, 70, 50)) == expected


def test_unit_totals_expected_score_and_weight_flag():
    unit = Unit("X", "Phòng X", "X", kpis=[
        kpi(100, D(2026, 3, 31), weight=40, code="X-01"),   # E = 100 → expects 40
        kpi(50, D(2026, 12, 31), weight=30, code="X-02"),   # E = 175/364
        kpi(20, None, weight=25, code="X-03"),              # event: contributes its own score 5
    ])
    ev = evaluate(Tracker(SETTINGS, [unit]), AS_OF)
    u = ev.units[0]
    assert u.weight_total == 95
    assert u.score_total == 40 + 15 + 5
    e2 = 100 * (AS_OF - D(2026, 1, 1)).days / (D(2026, 12, 31) - D(2026, 1, 1)).days
    assert u.expected_score == pytest.approx(round(40 + 30 * e2 / 100 + 5, 2))
    assert u.ratio == min(100.0, round(100 * 60 / u.expected_score, 2))
    assert u.flags == ["Tổng trọng số 95 ≠ 100"]
    assert [i.code for i in ev.errors] == ["weight-sum-mismatch"]
    assert not ev.valid


def test_no_grade_at_the_start_of_the_year():
    unit = Unit("X", "Phòng X", "X", kpis=[kpi(0, D(2026, 12, 31), weight=100)])
    u = evaluate(Tracker(SETTINGS, [unit]), D(2026, 1, 1)).units[0]
    assert u.expected_score == 0 and u.ratio is None and u.grade == "Chưa đủ căn cứ"


def test_history_trend_warnings():
    k = kpi(30, D(2026, 12, 31))
    down = evaluate_kpi(k, AS_OF, SETTINGS, [(D(2026, 4, 25), 20.0), (D(2026, 5, 25), 40.0)])
    assert "progress-decreased" in [i.code for i in down.issues]
    same = evaluate_kpi(k, AS_OF, SETTINGS, [(D(2026, 5, 25), 30.0), (AS_OF, 10.0)])
    assert [i.code for i in same.issues] == ["not-updated"]  # the report date's own column is ignored


def test_equal_findings_of_two_rows_share_their_parameters():
    # Two rows late since the same day at the same figure: one dict (a workbook has thousands).
    first, second, other = (evaluate_kpi(kpi(p, D(2026, 3, 31), code=c), AS_OF, SETTINGS).issues[0]
                            for p, c in ((40, "X-01"), (40, "X-02"), (45, "X-03")))
    assert first.code == second.code == other.code == "overdue"
    assert first.params == second.params == {"due": "31/03/2026", "progress": "40"}
    assert first.params is second.params and other.params == {"due": "31/03/2026", "progress": "45"}
    assert (first.cell, first.kpi, second.kpi) == ("H5", "X-01", "X-02")


def test_trends_are_read_only_from_figures_of_this_plan_period():
    zero = kpi(0, D(2026, 12, 31))
    # Still 0 since last month: nothing was started, which "Chưa triển khai" says; not "not updated".
    assert "not-updated" not in [i.code for i in evaluate_kpi(zero, AS_OF, SETTINGS, [(D(2026, 5, 25), 0.0)]).issues]
    # Nothing typed now (None) or last year's figure: no trend is read.
    empty = kpi(None, D(2026, 12, 31))
    found = evaluate_kpi(empty, AS_OF, SETTINGS, [(D(2026, 5, 25), 40.0)])
    assert "progress-decreased" not in [i.code for i in found.issues]
    last_year = evaluate_kpi(kpi(10, D(2026, 12, 31)), AS_OF, SETTINGS, [(D(2025, 12, 25), 90.0)])
    assert "progress-decreased" not in [i.code for i in last_year.issues]


def test_each_issue_kind_shows_where_it_belongs():
    from sheetkpi.report import ALERT, RESULT, AtRisk, Overdue, ProgressMissing, WeightInvalid
    from sheetkpi.writes.unit_tabs import alert_text

    late = evaluate_kpi(kpi(10, D(2026, 4, 30)), AS_OF, SETTINGS)
    assert [type(i) for i in late.issues] == [Overdue] and Overdue.kind == RESULT
    assert alert_text(late) is None or "Quá hạn" not in alert_text(late)  # the status says it already
    risky = evaluate_kpi(kpi(5, D(2026, 7, 31)), AS_OF, SETTINGS)
    assert AtRisk.kind == ALERT and "Nguy cơ chậm tiến độ" in alert_text(risky)
    assert WeightInvalid(params={"value": "x"}).severity == "error" and ProgressMissing().severity == "warning"
    assert ProgressMissing().is_data_problem and not AtRisk().is_data_problem


@given(
    weight=st.one_of(st.none(), st.floats(0, 100, allow_nan=False)),
    progress=st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False)),
    due_offset=st.one_of(st.none(), st.integers(-800, 800)),
    day=st.integers(0, 364),
)
def test_invariants(weight, progress, due_offset, day):
    as_of = D(2026, 1, 1) + dt.timedelta(days=day)
    due = None if due_offset is None else as_of + dt.timedelta(days=due_offset)
    unit = Unit("X", "X", "X", kpis=[kpi(progress, due, weight=weight)])
    ev = evaluate(Tracker(SETTINGS, [unit]), as_of)
    r = ev.kpis[0]
    assert 0 <= r.score <= (weight or 0) + 0.005  # rounded to 2 decimals
    assert r.status in STATUSES
    assert sum(ev.units[0].status_counts.values()) == 1
    assert ev.units[0].score_total == r.score
    assert r.expected_progress is None or 0 <= r.expected_progress <= 100


@given(st.floats(allow_nan=False, allow_infinity=False) | st.integers(-10**7, 10**7).map(lambda c: c / 100)
       | st.integers(-10**8, 10**8).map(lambda m: m / 1000))
def test_round2_is_half_up_on_the_shortest_form(x):
    # The quantization spelt out (what round2 did before its shortcut for a number of cents): same bits.
    from decimal import ROUND_HALF_UP, Decimal

    from sheetkpi.rules import round2

    expected = x if not abs(x) < 1e15 else float(Decimal(repr(x)).quantize(Decimal("0.01"), ROUND_HALF_UP))
    assert repr(round2(x)) == repr(expected)


def test_previous_report_of_a_history_table_skips_a_date_without_figures():
    # The table "Lịch sử" is read into, and the same figures made into one from each KPI's pairs: one
    # answer. The column of 25/05 is empty throughout (a report date whose figures were deleted): no
    # previous report.
    from array import array

    from sheetkpi.model import History, HistoryKeys
    from sheetkpi.rules import previous_report

    nan = float("nan")
    dates = (D(2026, 4, 25), D(2026, 5, 25), D(2026, 6, 25))
    keys = [("X", "X-01", 0), ("X", "X-02", 0)]
    index = HistoryKeys()
    for i, k in enumerate(keys):
        index.put(k, i)
    table = History(dates, index, array("l", [5, 6]),
                    array("d", [40.0, nan, 55.0, nan, nan, 60.0]))
    plain = History.of({k: table[k] for k in keys})
    assert table.figure_dates() == plain.figure_dates() == {D(2026, 4, 25), D(2026, 6, 25)}
    # Each key's row in the sheet, and the rows alone in the keys' order (HistoryFigures writes by row).
    assert list(table.rows.items()) == [(keys[0], 5), (keys[1], 6)] and list(table.rows.values()) == [5, 6]
    assert dict(plain) == dict(table)
    for as_of, expected in ((D(2026, 6, 25), D(2026, 4, 25)), (D(2026, 7, 25), D(2026, 6, 25)),
                            (D(2026, 4, 25), None)):
        assert previous_report(table, as_of, D(2026, 1, 1)) == expected
        assert previous_report(plain, as_of, D(2026, 1, 1)) == expected
    assert previous_report(table, D(2026, 7, 25), D(2026, 5, 1)) == D(2026, 6, 25)
    assert previous_report(table, D(2026, 6, 25), D(2026, 5, 1)) is None
    # A KPI's figure on a day, from the table without making its pairs: as from the pairs, by hand.
    figures = {(k, d): table.figures_on(d)(k) for k in [*keys, ("X", "X-09", 0)] for d in (*dates, D(2026, 7, 25))}
    assert figures == {(k, d): plain.figures_on(d)(k) for k, d in figures}
    assert [figures[keys[0], d] for d in dates] == [40.0, None, 55.0]
    assert [figures[keys[1], d] for d in dates] == [None, None, 60.0] and figures[keys[1], D(2026, 7, 25)] is None


@given(st.lists(st.tuples(st.sampled_from(["A", "B", "Đ"]), st.sampled_from(["", "A-01", "A-02", "Lập quy hoạch"]),
                          st.integers(0, 3)), max_size=40), st.booleans())
def test_history_keys_hold_what_a_dict_of_the_keys_holds(steps, reading):
    # The history's keys by unit (HistoryKeys), against the dict of (unit, code, rank) tuples they
    # replaced: any key put at the next row (as History.of puts them; a key put again moves), or, as
    # "Lịch sử" is read (``reading``), each row's unit and code appended, ranked as the reader
    # counted them. Same rows, same order of rows, same answers, for what is no key too.
    from collections import Counter

    from sheetkpi.model import HistoryKeys

    keys, expected, counts = HistoryKeys(), {}, Counter()
    for row, (unit, code, rank) in enumerate(steps):
        if reading:
            keys.append(unit, code, row)
            rank = counts[unit, code]
            counts[unit, code] += 1
        else:
            keys.put((unit, code, rank), row)
        expected[unit, code, rank] = row
    assert dict(keys) == expected
    assert list(keys) == sorted(expected, key=expected.__getitem__) and len(keys) == len(expected)
    for key in [(u, c, r) for u in ("A", "Đ", "C") for c in ("", "A-01", "X") for r in range(3)]:
        assert (key in keys, keys.get(key), keys.get(key, -1)) == (key in expected, expected.get(key),
                                                                   expected.get(key, -1))
        if key not in expected:
            with pytest.raises(KeyError):
                keys[key]
    for odd in [("A", "A-01"), "A", ("A", "A-01", None), ("A", "A-01", ""), ("A", "A-01", 0, 0), ["A", "A-01", 0]]:
        assert odd not in keys and keys.get(odd, -1) == -1
        with pytest.raises(KeyError):
            keys[odd]
    if ("A", "A-01", 0) in expected:
        assert keys.get(("A", "A-01", False)) == keys.get(("A", "A-01", 0.0)) == expected["A", "A-01", 0]


@given(st.lists(st.one_of(st.none(), st.sampled_from([0.0, 10.0, 40.0, 55.5])), min_size=4, max_size=4),
       st.integers(0, 5), st.integers(0, 5))
def test_a_unit_reads_the_history_as_each_kpi_does(figures, start_at, end_at):
    # evaluate_unit looks up a KPI's last figure and the previous report's in the history's table
    # (History.last_figures, History.figures_on); evaluate_kpi given the KPI's pairs and status()
    # of the pairs spelt out must find the same trends and previous figures.
    from sheetkpi.model import History
    from sheetkpi.rules import evaluate_unit, history_key

    days = [D(2025, 12, 25), D(2026, 4, 25), D(2026, 5, 25), D(2026, 6, 25)]
    bounds = [D(2025, 11, 1), *days, D(2026, 12, 1)]
    start, as_of = bounds[min(start_at, end_at)], bounds[max(start_at, end_at)]
    k = kpi(40.0, D(2026, 12, 31))
    pairs = [(d, f) for d, f in zip(days, figures) if f is not None]
    history = History.of({history_key(k): pairs})
    settings = Settings(plan_year=2026, plan_start=start)
    previous = max((d for d, _ in pairs if start <= d < as_of), default=None)
    unit = evaluate_unit(Unit("X", "X", "X", kpis=[k]), as_of, settings, history, previous)
    alone = evaluate_kpi(k, as_of, settings, pairs)
    assert [(type(i), i.params, i.cell) for i in unit.kpis[0].issues] == [(type(i), i.params, i.cell)
                                                                          for i in alone.issues]
    expected = dict(pairs).get(previous)
    assert unit.kpis[0].previous_progress == expected
    assert unit.previous_score == (None if expected is None else score(10.0, expected))
    assert unit.kpis[0].previous_status == (None if expected is None else status(expected, k.deadline.due, previous))


@given(st.lists(st.tuples(st.sampled_from([0, 0.0, -0.0, 0.5, 1.875, 7, 7.0, 20.0, None]),
                          st.one_of(st.floats(-10.0, 130.0, allow_nan=False), st.integers(-10, 130))), max_size=12))
def test_score_cached_by_weight_and_progress_is_the_formula(calls):
    # Calls in any order with keys the cache finds equal (0.0 and -0.0, 7 and 7.0, 50 and 50.0): each
    # gives the formula's result for its own arguments, sign included.
    from sheetkpi.rules import clip, round2

    as_floats = [(w, float(p) if type(p) is int else p) for w, p in calls]
    for weight, progress in calls + as_floats + [(-0.0, 50), (0.0, 50)]:
        expected = 0.0 if weight is None else round2(weight * clip(progress) / 100.0)
        assert repr(score(weight, progress)) == repr(expected)


def test_a_score_is_a_plain_float_whatever_number_it_was_asked_for_first():
    # The cache is keyed by value: a NumPy float asked for first (the review's frames hold them)
    # must not be handed back for a plain float equal to it.
    np = pytest.importorskip("numpy")
    assert type(score(12.5, np.float64(40))) is float and type(score(12.5, 40.0)) is float
    assert type(score(np.float64(7.5), 40)) is float and repr(score(7.5, 40)) == "3.0"
