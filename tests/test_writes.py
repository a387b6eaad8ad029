"""What a run writes, before any writer: rows of a block made when asked for (writes.Rows), as
"Tổng hợp" gives its lists, and the plan of "Tổng hợp" itself."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sheetkpi import api
from sheetkpi import layout as L
from sheetkpi.cells import Areas
from sheetkpi.writes import Block, RowHeights, Rows, height_of_lines
from sheetkpi.writes.summary import summary_writes

import badinputs as B
import support


def test_rows_made_when_asked_for_read_as_a_list_of_them():
    made: list[str] = []

    def row(item: str) -> list:
        made.append(item)
        return [item, item.upper(), None]

    rows = Rows(3)
    rows.add(["tiêu đề", None, None])
    rows.add_made(["a", "b"], row)
    rows.add_made([], row)  # (nothing)
    rows.add([None, None, None])
    rows.add_made(["c"], row)
    assert made == []
    assert len(rows) == 5
    assert rows[1] == ["a", "A", None] and rows[-1] == ["c", "C", None] and rows[3] == [None, None, None]
    assert list(rows) == [["tiêu đề", None, None], ["a", "A", None], ["b", "B", None], [None, None, None],
                          ["c", "C", None]]
    assert made == ["a", "c", "a", "b", "c"]  # made again each time: never kept
    with pytest.raises(IndexError):
        rows[5]
    with pytest.raises(ValueError):
        rows.add(["hai", "ô"])  # every row is as wide: a block's width and cells are counted so
    block = Block(row=1, col=1, rows=rows)
    assert (block.width, block.cell_count()) == (3, 15)
    assert made == ["a", "c", "a", "b", "c"]  # (not made to count them)


_SPANS = st.lists(st.tuples(st.integers(1, 6), st.integers(1, 6)).map(sorted).map(tuple), max_size=3)


@given(st.lists(st.one_of(st.tuples(st.integers(0, 9), st.integers(0, 9), st.integers(0, 9), st.integers(0, 9)),
                          st.tuples(st.integers(0, 3), _SPANS)), max_size=12), st.integers(1, 40), st.integers(1, 7))
def test_areas_merged_row_by_row_hold_what_the_areas_one_by_one_hold(steps, max_row, max_col):
    # "Tổng hợp"'s lists merge the same columns on each of their rows (Areas.add_rows: one band for
    # a list); against the areas appended one by one, in any order among single areas: the same
    # areas in the same order, the same count, the same check, and the same when one extends another.
    areas, expected, row = Areas(), [], 1
    for step in steps:
        if len(step) == 4:
            areas.append(step)
            expected.append(step)
        else:
            count, spans = step
            areas.add_rows(row, row + count - 1, spans)
            expected += [(r, c1, r, c2) for r in range(row, row + count) for c1, c2 in spans]
            row += count
    assert list(areas) == expected and len(areas) == len(expected) and bool(areas) == bool(expected)
    assert areas.all_within(max_row, max_col) == Areas(expected).all_within(max_row, max_col)
    both = Areas([(1, 1, 1, 2)])
    both.extend(areas)
    both.extend(areas)
    assert list(both) == [(1, 1, 1, 2), *expected, *expected] and areas == expected


@given(st.dictionaries(st.integers(1, 60), st.floats(1, 409)), st.lists(st.lists(st.integers(0, 300), max_size=8),
                                                                        max_size=4))
def test_row_heights_by_lines_hold_what_a_dict_of_heights_holds(given_heights, runs):
    # "Tổng hợp" sizes a list's rows by their lines, a byte each (RowHeights.add_lines), beside rows
    # given a height one by one: against the dict of heights it replaced, where a row given a
    # height keeps it (a row of one line has none; 255 lines or more are as high as a row can be).
    heights, expected, row = RowHeights(), {}, 1
    for r, h in given_heights.items():
        heights[r] = h
    for lines in runs:
        heights.add_lines(row, lines)
        expected.update({row + i: height_of_lines(n) for i, n in enumerate(lines) if n > 1})
        row += len(lines)
    expected.update(given_heights)
    assert dict(heights) == expected and len(heights) == len(expected) and sorted(heights) == sorted(expected)
    for r in range(0, row + 3):
        assert (r in heights, heights.get(r), heights.get(r, -1.0)) == (r in expected, expected.get(r),
                                                                       expected.get(r, -1.0))
        if r not in expected:
            with pytest.raises(KeyError):
                heights[r]
    assert height_of_lines(300) == height_of_lines(255)
    if row > 1:
        with pytest.raises(ValueError):
            heights.add_lines(row - 1, [2])  # (rows added in order)


@given(st.lists(st.tuples(st.integers(1, 40), st.integers(0, 90), st.integers(0, 300), st.booleans()), max_size=30))
def test_fitted_heights_are_each_rows_own_in_any_order(rows):
    # fit_rows in any order, with gaps, bold or not, texts of many lines or not text: the heights
    # fitted_heights gives (runs of rows one after the other, a byte each, rows out of order one by
    # one) are each row's own height.
    from sheetkpi.writes import fitted_heights, line_count, line_of

    fit_rows = {row: {2: "Nhiệm vụ " * words, 3: "\n" * breaks, 4: words * 1.5}
                for row, words, breaks, _ in rows}
    bold = {row for row, _, _, heavy in rows if heavy}
    widths = {2: 18.0, 3: 10.0, 4: 2.0}
    heights = fitted_heights(fit_rows, widths, bold)
    expected = {}
    for row, texts in fit_rows.items():
        lines = max(line_count(str(text), line_of(widths[col], row in bold)) for col, text in texts.items())
        if lines > 1:
            expected[row] = height_of_lines(lines)
    assert dict(heights) == expected and len(heights) == len(expected)


def test_line_counts_are_line_counts_past_their_bound():
    # A column's counts, kept for the texts met (emptied when full), are line_count's: texts met once
    # past the bound, then those met since it emptied (served as kept) and earlier ones (measured
    # again), in a narrow column and a bold one.
    from sheetkpi.writes import _KEPT_COUNTS, LineCounts, line_count, line_of

    texts = [f"Nhiệm vụ số {i} của phòng " + "rất dài " * (i % 7) for i in range(_KEPT_COUNTS + 300)]
    for line in (line_of(9.0), line_of(26.0, bold=True)):
        counts = LineCounts(line)
        assert [counts[t] for t in texts] == [line_count(t, line) for t in texts]
        assert len(counts) == 300 and all(t in counts for t in texts[-300:])
        again = texts[-300:] + texts[:500]
        assert [counts[t] for t in again] == [line_count(t, line) for t in again]
        assert 0 < len(counts) <= _KEPT_COUNTS
        assert len({counts[t] for t in texts}) >= 3  # (texts of many lengths: counts that differ)


def test_the_late_list_of_tong_hop_is_made_from_the_late_kpis(tmp_path):
    """The example in June: the rows of the late KPIs' list in "Tổng hợp", made when asked for, are
    theirs, in order."""
    data = api.load(B.copy_example(tmp_path))
    evaluation = api.evaluate_for_recalc(data, "2026-06-25")
    writes = summary_writes(evaluation, data.summary_sheet, run_at=dt.datetime(2026, 6, 25, 9, 0))
    rows = writes.blocks[0].rows
    assert isinstance(rows, Rows) and len(rows) == len(writes.blocks[0].styles)
    late = [k for k in evaluation.kpis if k.status == "Quá hạn"]
    assert late
    heading = next(i for i, row in enumerate(rows)
                   if isinstance(row[0], str) and row[0].startswith("DANH SÁCH KPI QUÁ"))
    assert rows[heading][0] == f"DANH SÁCH KPI QUÁ HẠN ({len(late)})"
    listed = [rows[heading + 2 + i] for i in range(len(late))]
    assert [(row[0], row[1]) for row in listed] == [
        (next(u.unit.name for u in evaluation.units if u.unit.code == k.kpi.unit), k.kpi.code) for k in late]


@pytest.mark.parametrize("as_of", ["2026-06-25", "2026-12-25"])
def test_tong_hop_from_rows_made_when_asked_for_is_the_sheet_from_a_list(tmp_path, monkeypatch, as_of):
    """The example's "Tổng hợp" applied by the file writer twice: its lists as rows made when
    asked for, then made first into a list; its lower rows packed apart (the threshold lowered to
    20 rows, slices of 7): the same parts, every one."""
    import zipfile

    from sheetkpi.workbook.apply import _Styles, apply_sheet
    from sheetkpi.workbook.package import Package

    left = support.split_rows(monkeypatch)
    path = B.copy_example(tmp_path)
    data = api.load(path)
    evaluation = api.evaluate_for_recalc(data, as_of)
    parts = []
    for as_list in (False, True):
        pkg = Package.open(path)
        writes = summary_writes(evaluation, data.summary_sheet, run_at=dt.datetime(2026, 6, 25, 9, 0))
        if as_list:
            writes.blocks[0].rows = list(writes.blocks[0].rows)
        apply_sheet(pkg, writes, _Styles(pkg), empty=True)
        out = tmp_path / f"out-{as_list}.xlsx"
        pkg.save(out)
        with zipfile.ZipFile(out) as zf:
            parts.append({name: zf.read(name) for name in zf.namelist()})
    assert len(left) == 2 and left[0] == left[1] > 7  # packed in two, both times alike
    assert parts[0] == parts[1]
    assert any(b"DANH S\xc3\x81CH KPI QU\xc3\x81 H\xe1\xba\xa0N" in xml for xml in parts[0].values())


def test_rows_added_to_the_history_are_made_from_what_was_gathered():
    """A KPI "Lịch sử" has no row for gets the next row (HistoryFigures.added, .texts: an array and
    lists, not a tuple each): a first run into an emptied tab adds every KPI, in workbook order,
    its title to show whole; written there, each row is its unit, code and title, by hand for the
    first and the last."""
    from sheetkpi.writes.history import HistoryFigures, history_writes

    data = api.load(support.EXAMPLE)
    kpis = [k for u in data.tracker.units for k in u.kpis]
    gathered = HistoryFigures(None, None, None)
    gathered.add(kpis)
    first = L.HISTORY_HEADER_ROW + 1
    assert list(gathered.texts) == [(first + i, k.unit, k.code, k.title) for i, k in enumerate(kpis)]
    assert gathered.texts[0] == (first, "KHĐT", "KHĐT-01", kpis[0].title) and len(gathered.texts) == 32
    assert dict(gathered.added) == {(k.unit, k.code, 0): first + i for i, k in enumerate(kpis)}
    out = history_writes(gathered, dt.date(2026, 6, 25), None)
    block = out.blocks[0]
    assert block.row == first and list(block.rows)[-1][:3] == ["BQLDA", "BQLDA-06", kpis[-1].title]
    assert dict(out.fit_rows.items())[first + 31] == {3: kpis[-1].title}


def test_history_figures_are_cells_made_when_asked_for():
    """"Lịch sử"'s figures of the report date come as a mapping made from a row, a figure and a mark
    each (FigureCells), the same cells every way it is read: KHĐT-01's 90 % on its row."""
    from sheetkpi.writes.history import FigureCells, HistoryFigures, history_writes

    data = api.load(support.EXAMPLE)
    evaluation = api.evaluate_for_recalc(data, "2026-06-25")
    gathered = HistoryFigures(data.history, data.tracker.history, evaluation.previous)
    gathered.add(k for u in data.tracker.units for k in u.kpis)
    cells = history_writes(gathered, evaluation.as_of, data.history_sheet).styled_cells
    assert isinstance(cells, FigureCells)
    items = list(cells.items())
    assert len(cells) == len(items) == len(dict(items))  # (no cell twice)
    assert all(cells[key] == value for key, value in items)
    column = data.history.last_col + 1  # 25/06/2026: a new column, right of the last date's
    assert cells[(data.history.header_row, column)] == (dt.date(2026, 6, 25), "header_date")
    row = data.history.rows[("KHĐT", "KHĐT-01", 0)]
    assert cells[(row, column)] == (90.0, "history")
    assert sum(1 for (r, c), _ in items if c == column and r > data.history.header_row) == 32  # every KPI's row
    with pytest.raises(KeyError):
        cells[(row, column + 1)]
