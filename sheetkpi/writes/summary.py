"""The leadership tab "Tổng hợp": the page the head of the Board reads and signs off, owned by sheetkpi
and rewritten whole at every run (SPEC §3 item 4).

Laid out from the one description in :mod:`sheetkpi.layout` (``SUMMARY_COLUMNS`` and the list
spans), which the template builder renders too: the title block, the table by unit with the change
since the previous report, the chart on rows kept free for it, then the late KPIs, the KPIs at risk
and the data problems, each long text merged across columns so that it wraps inside its cell, with
row heights computed so that it shows whole in Excel and in LibreOffice; when unit tabs name a
"Người phụ trách", a last list gives each person's KPIs, achieved and expected score and late KPIs
(:mod:`sheetkpi.people`). A4 landscape, one page wide, the title and the table's header repeated on
every page.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from .. import layout
from ..cells import Areas
from ..model import LATE, STATUSES, Evaluation
from ..parsing.deadlines import format_due
from ..parsing.numbers import format_vn
from ..people import people
from . import (
    STYLE_SPECS,
    Block,
    Chart,
    Line,
    LineCounts,
    RowHeights,
    Rows,
    SheetWrites,
    fit_text,
    line_of,
    row_height,
)

SEVERITY_LABELS = {"error": "Lỗi", "warning": "Cảnh báo"}
# The style of a figure of each kind (layout.SUMMARY_COLUMNS), in a unit's row and in the agency's.
_STYLES = {"text": "text", "count": "integer", "points": "number", "change": "change", "ratio": "ratio"}
_TOTAL_STYLES = {"text": "total", "count": "total_int", "points": "total", "change": "total_change",
                 "ratio": "total"}
WIDTH = len(layout.SUMMARY_COLUMNS)


def title(evaluation: Evaluation) -> str:
    return f"TỔNG HỢP KẾT QUẢ THỰC HIỆN KPI, NHIỆM VỤ TRỌNG TÂM NĂM {evaluation.settings.plan_year}"


class _Page:
    """Rows of the sheet as they are added, with their styles, merges and heights."""

    def __init__(self) -> None:
        self.rows = Rows(WIDTH)  # the lists' rows made when asked for (see items)
        self.styles: list[str | list[str | None] | None] = []
        self.merges = Areas()
        self.heights = RowHeights()
        self._shared_styles: dict[tuple, list[str | None]] = {}

    @property
    def next_row(self) -> int:
        return len(self.rows) + 1

    def line(self, text, style: str) -> None:
        """One text across the page's width (merged), measured in its style's size and weight."""
        row = self.next_row
        self.rows.add([text] + [None] * (WIDTH - 1))
        self.styles.append(style)
        if text is not None:
            self.merges.append((row, 1, row, WIDTH))
            spec = STYLE_SPECS[style]
            self._fit(row, [(text, self._width(1, WIDTH), spec.get("size", 11))], bold=spec.get("bold", False))

    def blank(self) -> None:
        self.rows.add([None] * WIDTH)
        self.styles.append(None)

    def row(self, values: list, styles: list[str | None], *, bold: bool = False) -> None:
        """One row of the unit table: a value per column."""
        self.rows.add(values)
        self.styles.append(styles)
        self._fit(self.next_row - 1, [(v, layout.SUMMARY_WIDTHS[c], 11) for c, v in enumerate(values, start=1)
                                      if isinstance(v, str)], bold=bold)

    def spans(self, values: list, spans, styles: list[str], *, bold: bool = False) -> None:
        """One row of a list: each value in its span of columns, merged when wider than one."""
        self._shape([values], spans, styles, bold)
        self.rows.add(_placed(self._list_shape(spans, bold)[0], values))

    def items(self, items: Sequence, values: Callable[[Any], list], spans, styles: list[str]) -> None:
        """A row of a list for each of ``items``, its values ``values(item)``, each in its span of
        columns: the row is made again when it is asked for (the sheet's rows are not held whole),
        its merges, style and height are found now."""
        self._shape(map(values, items), spans, styles, False)
        # (Nothing of the page: its heights and merges go to the package before the rows are made.)
        firsts = self._list_shape(spans, False)[0]
        self.rows.add_made(items, lambda item: _placed(firsts, values(item)))

    def _shape(self, rows: Iterable[list], spans, styles: list[str], bold: bool) -> None:
        """The merges, styles and heights of the list rows from the next on, each of ``rows`` the
        values of one: kept as one run for the lot (a list has tens of thousands of rows)."""
        _, merged, lines_of = self._list_shape(spans, bold)
        first = self.next_row
        counted = [LineCounts(line) for line in lines_of]  # (a list's rows repeat their units' names)
        lines = [max((counts[v] for v, counts in zip(values, counted) if type(v) is str), default=1)
                 for values in rows]
        self.merges.add_rows(first, first + len(lines) - 1, merged)
        self.heights.add_lines(first, lines)
        self.styles += [self._span_styles(spans, tuple(styles))] * len(lines)

    @staticmethod
    @functools.cache
    def _list_shape(spans: tuple, bold: bool) -> tuple[tuple[int, ...], tuple[tuple[int, int], ...], tuple[Line, ...]]:
        """What the rows of a list share: each value's first column, the spans merged, and the
        line of each span (a list has tens of thousands of rows)."""
        return (tuple(first for _, first, _ in spans),
                tuple((first, last) for _, first, last in spans if last > first),
                tuple(line_of(_Page._width(first, last), bold) for _, first, last in spans))

    def _span_styles(self, spans: tuple, styles: tuple) -> list[str | None]:
        """The style of each cell of a list's row; the rows of a list share one list (and the
        package checks a shared list once)."""
        found = self._shared_styles.get((spans, styles))
        if found is None:
            found = self._shared_styles[(spans, styles)] = [None] * WIDTH
            for (_, first, last), style in zip(spans, styles):
                for c in range(first, last + 1):
                    found[c - 1] = style  # the merged area's borders show on every cell of it
        return found

    @staticmethod
    @functools.cache
    def _width(first: int, last: int) -> float:
        return sum(layout.SUMMARY_WIDTHS[c] for c in range(first, last + 1))

    def _fit(self, row: int, texts, *, bold: bool = False) -> None:
        height = row_height(texts, bold=bold)
        if height:
            self.heights[row] = height


def _placed(firsts: tuple[int, ...], values: list) -> list:
    """A list's row: ``values`` at the first columns of their spans (``firsts``)."""
    cells: list = [None] * WIDTH
    for value, first in zip(values, firsts):
        cells[first - 1] = value
    return cells


def _unit_values(u, previous_known: bool) -> list:
    change = None if u.previous_score is None else round(u.score_total - u.previous_score, 2)
    return [
        u.unit.name, u.kpi_count, u.weight_total, u.score_total, u.expected_score,
        u.previous_score if previous_known else None, change if previous_known else None,
        *(u.status_counts[st] for st in STATUSES), u.at_risk_count, u.ratio, u.grade, "; ".join(u.flags) or None,
    ]


def summary_writes(evaluation: Evaluation, sheet: str | None, *, run_at: dt.datetime) -> SheetWrites:
    """The whole "Tổng hợp" sheet; ``sheet`` is the workbook's own name of that tab, or None to add one."""
    s = evaluation.settings
    page = _Page()
    page.line(title(evaluation), "title")
    page.line(s.agency or None, "subtitle_bold")
    previous = (f"; so sánh với kỳ báo cáo trước ngày {format_due(evaluation.previous)}"
                if evaluation.previous else "")
    page.line(f"Số liệu đến ngày {format_due(evaluation.as_of)}{previous}", "subtitle")
    page.line(f"Tổng hợp lúc {run_at:%H:%M} ngày {run_at:%d/%m/%Y} bằng sheetkpi", "subtitle")
    while page.next_row < layout.SUMMARY_HEADER_ROW:
        page.blank()
    page.row(list(layout.SUMMARY_UNIT_HEADERS), ["header"] * WIDTH, bold=True)
    kinds = [kind for _, _, kind in layout.SUMMARY_COLUMNS]
    known = evaluation.previous is not None
    first_unit_row = page.next_row
    for u in evaluation.units:
        page.row(_unit_values(u, known), [_STYLES[k] for k in kinds])
    last_unit_row = page.next_row - 1
    t = evaluation.totals
    before = evaluation.previous_total if known else None
    page.row(
        ["Toàn cơ quan", t["kpi_count"], t["weight_total"], t["score_total"], t["expected_score"], before,
         None if before is None else round(t["score_total"] - before, 2),
         *(t["status_counts"][st] for st in STATUSES), t["at_risk_count"], None, None, None],
        [_TOTAL_STYLES[k] for k in kinds], bold=True,
    )

    chart = None
    breaks = []
    if evaluation.units:
        page.blank()
        top = page.next_row
        many = len(evaluation.units) > layout.SUMMARY_CHART_FEW_UNITS
        if many:
            breaks.append(top)  # a long table: the chart gets a page of its own, never cut in two
        rows = layout.SUMMARY_CHART_ROWS * 3 // 2 if many else layout.SUMMARY_CHART_ROWS  # a page under the title
        for _ in range(rows):
            page.blank()
        chart = Chart(
            anchor=(top, 1, top + rows - 1, WIDTH if many else layout.SUMMARY_CHART_COLUMNS),
            labels=not many,
            title="Điểm đạt và điểm kỳ vọng theo phòng, đơn vị",
            categories=f"A{first_unit_row}:A{last_unit_row}",
            series=[("Điểm đạt", f"D{first_unit_row}:D{last_unit_row}"),
                    ("Điểm kỳ vọng", f"E{first_unit_row}:E{last_unit_row}")],
        )

    names = {u.unit.code: u.unit.name for u in reversed(evaluation.units)}  # the first unit of a code wins
    late = [k for k in evaluation.kpis if k.status == LATE]
    _list(page, f"DANH SÁCH KPI QUÁ HẠN ({len(late)})", layout.SUMMARY_LATE_SPANS, "Không có KPI quá hạn.", late,
          lambda k: [names.get(k.kpi.unit, k.kpi.unit), k.kpi.code, fit_text(k.kpi.title), k.kpi.deadline.due,
                     k.effective_progress, fit_text(k.kpi.obstacles) or None],
          ["text", "text", "text", "date", "number", "text"])
    risky = [k for k in evaluation.kpis if k.at_risk]
    _list(page, f"DANH SÁCH KPI CÓ NGUY CƠ CHẬM TIẾN ĐỘ ({len(risky)})", layout.SUMMARY_RISK_SPANS,
          "Không có KPI có nguy cơ chậm tiến độ.", risky,
          lambda k: [names.get(k.kpi.unit, k.kpi.unit), k.kpi.code, fit_text(k.kpi.title), k.kpi.deadline.due,
                     k.effective_progress, round(k.expected_progress, 1), fit_text(k.kpi.obstacles) or None],
          ["text", "text", "text", "date", "number", "ratio", "text"])
    problems = evaluation.data_problems
    _list(page, f"VẤN ĐỀ DỮ LIỆU CẦN XỬ LÝ ({format_vn(len(problems))})", layout.SUMMARY_PROBLEM_SPANS,
          "Không có vấn đề dữ liệu.", problems,
          lambda i: [f"{SEVERITY_LABELS[i.severity]} — {i.title}", i.sheet, i.cell, fit_text(i.text)],
          ["text", "text", "text", "text"])
    persons = people(evaluation.units)
    if persons:
        _list(page, f"KẾT QUẢ THEO NGƯỜI PHỤ TRÁCH ({format_vn(len(persons))})", layout.SUMMARY_PERSON_SPANS, "",
              persons,
              lambda p: [names.get(p.unit.unit.code, p.unit.unit.code), p.label, p.kpi_count, p.weight_total,
                         p.score_total, p.expected_score, p.ratio, p.late_count, p.at_risk_count, fit_text(p.codes)],
              ["text", "text", "integer", "number", "number", "number", "ratio", "integer", "integer", "text"])
    return SheetWrites(
        sheet=sheet or layout.SHEET_SUMMARY,
        create=sheet is None,
        whole=True,
        blocks=[Block(row=1, col=1, rows=page.rows, styles=page.styles)],
        chart=chart,
        column_widths=dict(layout.SUMMARY_WIDTHS),
        print_titles=(1, layout.SUMMARY_HEADER_ROW),
        freeze=(layout.SUMMARY_HEADER_ROW + 1, 1),
        merges=page.merges,
        row_heights=page.heights,
        page_breaks=breaks,
    )


def _list(page: _Page, heading: str, spans, empty: str, items: Sequence, values: Callable[[Any], list],
          styles: list[str]) -> None:
    """A titled list under the table: its header row, then a row per item, ``values(item)`` in
    ``styles`` (or the line ``empty``)."""
    page.blank()
    page.line(heading, "section")
    page.spans([h for h, _, _ in spans], spans, ["header"] * len(spans), bold=True)
    page.items(items, values, spans, styles)
    if not items:
        page.line(empty, "plain")
