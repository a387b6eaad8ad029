"""The Excel button's adapter (issue #5): the same engine core as the CLI, through xlwings.

No Excel runs here (Linux, no Office). The adapter's Excel side is a THIN in-memory stand-in below that
implements only the xlwings calls the adapter makes, with Excel's behaviour where it matters: numbers
come back as floats, text typed into a cell is parsed unless it starts with an apostrophe (so "=…"
would become a formula), a multi-cell number format reads None when the cells differ, and a write may
not cover part of a merged area. It is initialised from the same file the file path recalculates.
What it cannot prove (Excel's own behaviour) is checked by the contract test instead: every name the
stand-in implements exists on the real classes of the installed xlwings.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.cell.cell import MergedCell

import sheetkpi.api as api
from sheetkpi import layout as L
from sheetkpi.errors import SheetkpiError
from sheetkpi.workbook._sheetxml import parse_range
from sheetkpi.workbook.builder import KpiSpec, UnitSpec, build_workbook, default_settings
from sheetkpi.workbook.xlwings_adapter import apply_plan, read_book, recalc_book, rectangles

from support import AS_OF, EXAMPLE

AS_OF_DATE = dt.date.fromisoformat(AS_OF)
COL_POINTS, ROW_POINTS = 48.0, 15.0


# -- the stand-in -----------------------------------------------------------------------------------

class StandInApp:
    """xlwings.App: properties() and alert()."""

    def __init__(self):
        self.screen_updating, self.calculation, self.enable_events = True, "automatic", True
        self.during: list[dict] = []
        self.alerts: list[tuple] = []

    @contextmanager
    def properties(self, **kwargs):
        before = {k: getattr(self, k) for k in kwargs}
        for k, v in kwargs.items():
            setattr(self, k, v)
        self.during.append(dict(kwargs))
        try:
            yield self
        finally:
            for k, v in before.items():
                setattr(self, k, v)

    def alert(self, prompt, title=None, buttons="ok", mode=None, callback=None):
        self.alerts.append((prompt, title, mode))
        return "ok"


class StandInBook:
    """xlwings.Book: sheets, fullname, app."""

    def __init__(self, path: Path):
        self.fullname = str(path)
        self.app = StandInApp()
        self._calls: Counter = Counter()  # (sheet, "read" | "write") -> calls that would cross to Excel
        wb = load_workbook(path, data_only=True)
        self.sheets = StandInSheets([StandInSheet(self, ws) for ws in wb.worksheets], self)


class StandInSheets:
    """xlwings.main.Sheets: iteration, indexing by position or name, len, add."""

    def __init__(self, sheets, book):
        self._sheets, self._book = sheets, book

    def __iter__(self):
        return iter(list(self._sheets))

    def __len__(self):
        return len(self._sheets)

    def __getitem__(self, key):
        if isinstance(key, int):
            return self._sheets[key]
        return next(s for s in self._sheets if s.name.casefold() == key.casefold())

    def add(self, name=None, before=None, after=None):
        assert before is None and after is self._sheets[-1], "sheetkpi adds its sheets at the end"
        assert all(s.name.casefold() != name.casefold() for s in self._sheets)
        sheet = StandInSheet(self._book, None, name)
        self._sheets.append(sheet)
        self._book._calls[(name, "write")] += 1
        return sheet


class StandInSheet:
    """xlwings.Sheet: name, used_range, range, charts, api (Excel's own Worksheet object)."""

    def __init__(self, book, ws, name=None):
        self._book = book
        self.name = ws.title if ws is not None else name
        self._api = StandInWorksheetApi(bool(ws is not None and ws.protection.sheet))
        self._values: dict[tuple[int, int], object] = {}
        self._formats: dict[tuple[int, int], str] = {}
        self._styles: dict[tuple[int, int], dict] = {}
        self._merged: list[tuple[int, int, int, int]] = []
        self._extent = (1, 1, 1, 1)
        self._widths: dict[int, float] = {}
        self._heights: dict[int, float | str] = {}  # a row's height, or "autofit"
        if ws is not None:
            for row in ws.iter_rows():
                for c in row:
                    if c.value is not None:
                        self._values[(c.row, c.column)] = _as_excel(c.value)
                    self._formats[(c.row, c.column)] = c.number_format
            self._merged = [(m.min_row, m.min_col, m.max_row, m.max_col) for m in ws.merged_cells.ranges]
            self._extent = (ws.min_row, ws.min_column, ws.max_row, ws.max_column)
        self.charts = StandInCharts(self)

    def _count(self, kind):
        self._book._calls[(self.name, kind)] += 1

    def clear(self):
        """Excel's Sheet.Cells.Clear: values, formats and merges go; charts stay."""
        self._count("write")
        self._values.clear()
        self._formats.clear()
        self._styles.clear()
        self._merged.clear()
        self._heights = {}

    @property
    def api(self):
        return self._api

    @property
    def used_range(self):
        self._count("read")
        return StandInRange(self, *self._extent)

    def range(self, cell1, cell2=None):
        if isinstance(cell1, str):
            return StandInRange(self, *parse_range(cell1))
        r1, c1 = cell1
        r2, c2 = cell2 or cell1
        return StandInRange(self, r1, c1, r2, c2)

    def _grow(self, r2, c2):
        a, b, c, d = self._extent
        self._extent = (a, b, max(c, r2), max(d, c2))

    def _check_merged(self, r1, c1, r2, c2):
        for m1, n1, m2, n2 in self._merged:
            overlaps = not (m2 < r1 or m1 > r2 or n2 < c1 or n1 > c2)
            inside = r1 <= m1 and m2 <= r2 and c1 <= n1 and n2 <= c2
            if overlaps and not inside:
                raise RuntimeError("Excel: cannot change part of a merged cell")


class StandInRange:
    """xlwings.Range: the calls the adapter makes, nothing else."""

    def __init__(self, sheet, r1, c1, r2, c2):
        self._sheet, self._box = sheet, (r1, c1, r2, c2)

    def _cells(self):
        r1, c1, r2, c2 = self._box
        return [(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]

    @property
    def row(self):
        self._sheet._count("read")
        return self._box[0]

    @property
    def column(self):
        self._sheet._count("read")
        return self._box[1]

    @property
    def last_cell(self):
        return StandInRange(self._sheet, self._box[2], self._box[3], self._box[2], self._box[3])

    def options(self, ndim=None, **kwargs):
        assert ndim == 2 and not kwargs
        return self

    @property
    def value(self):
        self._sheet._count("read")
        r1, c1, r2, c2 = self._box
        return [[self._sheet._values.get((r, c)) for c in range(c1, c2 + 1)] for r in range(r1, r2 + 1)]

    @value.setter
    def value(self, rows):
        self._sheet._count("write")
        assert isinstance(rows, list) and all(isinstance(r, list) for r in rows), "the adapter writes 2-D lists"
        r1, c1 = self._box[:2]
        width = max(len(r) for r in rows)
        self._sheet._check_merged(r1, c1, r1 + len(rows) - 1, c1 + width - 1)
        for i, row in enumerate(rows):
            for j, v in enumerate(row):
                self._sheet._values.pop((r1 + i, c1 + j), None)
                typed = _typed_in(v)
                if typed is not None:
                    self._sheet._values[(r1 + i, c1 + j)] = typed
                    if isinstance(v, dt.date) and self._sheet._formats.get((r1 + i, c1 + j), "General") == "General":
                        self._sheet._formats[(r1 + i, c1 + j)] = "m/d/yyyy"  # Excel's short date
        self._sheet._grow(r1 + len(rows) - 1, c1 + width - 1)

    def clear_contents(self):
        self._sheet._count("write")
        self._sheet._check_merged(*self._box)
        for key in self._cells():
            self._sheet._values.pop(key, None)

    @property
    def number_format(self):
        self._sheet._count("read")
        formats = {self._sheet._formats.get(k, "General") for k in self._cells()}
        return formats.pop() if len(formats) == 1 else None

    @number_format.setter
    def number_format(self, fmt):
        self._set("number_format", fmt)
        for key in self._cells():
            self._sheet._formats[key] = fmt

    def _set(self, attribute, value):
        self._sheet._count("write")
        for key in self._cells():
            self._sheet._styles.setdefault(key, {})[attribute] = value

    @property
    def font(self):
        return StandInFont(self)

    @property
    def borders(self):
        return StandInBorders(self)

    color = property(None, lambda self, v: self._set("color", v))
    wrap_text = property(None, lambda self, v: self._set("wrap_text", v))
    horizontal_alignment = property(None, lambda self, v: self._set("horizontal_alignment", v))
    vertical_alignment = property(None, lambda self, v: self._set("vertical_alignment", v))

    def merge(self, across=False):
        self._sheet._count("write")
        r1, c1, r2, c2 = self._box
        boxes = [(r, c1, r, c2) for r in range(r1, r2 + 1)] if across else [self._box]
        self._sheet._merged.extend(boxes)

    @property
    def rows(self):
        return StandInRangeRows(self)

    @property
    def row_height(self):
        raise AssertionError("not read by the adapter")

    @row_height.setter
    def row_height(self, points):
        self._sheet._count("write")
        for r in range(self._box[0], self._box[2] + 1):
            self._sheet._heights[r] = points

    @property
    def column_width(self):
        raise AssertionError("not read by the adapter")

    @column_width.setter
    def column_width(self, width):
        self._sheet._count("write")
        for c in range(self._box[1], self._box[3] + 1):
            self._sheet._widths[c] = width

    def _measure(self, index):
        self._sheet._count("read")
        r1, c1, r2, c2 = self._box
        box = [(c1 - 1) * COL_POINTS, (r1 - 1) * ROW_POINTS, (c2 - c1 + 1) * COL_POINTS, (r2 - r1 + 1) * ROW_POINTS]
        return box[index]

    left = property(lambda self: self._measure(0))
    top = property(lambda self: self._measure(1))
    width = property(lambda self: self._measure(2))
    height = property(lambda self: self._measure(3))


class StandInWorksheetApi:
    """The two properties of Excel's COM Worksheet the adapter uses through ``sheet.api`` (xlwings has no
    call for them): ProtectContents, read; PageSetup, whose properties are recorded as set. Their names
    are Excel's object model (Worksheet.ProtectContents, PageSetup.PrintTitleRows…), not xlwings'."""

    def __init__(self, protected: bool):
        self.ProtectContents = protected
        self.PageSetup = StandInPageSetup()


class StandInPageSetup:
    """Excel's PageSetup: what is set is kept in ``settings``."""

    def __init__(self):
        object.__setattr__(self, "settings", {})

    def __setattr__(self, name, value):
        assert name in ("PrintTitleRows", "Orientation", "PaperSize", "Zoom", "FitToPagesWide", "FitToPagesTall")
        self.settings[name] = value


class StandInRangeRows:
    """xlwings.RangeRows: autofit (Excel fits the rows' heights to their unmerged text)."""

    def __init__(self, rng):
        self._rng = rng

    def autofit(self):
        self._rng._sheet._count("write")
        for r in range(self._rng._box[0], self._rng._box[2] + 1):
            self._rng._sheet._heights[r] = "autofit"


class StandInFont:
    """xlwings.main.Font: bold, italic, size, color (set only)."""

    def __init__(self, rng):
        self._rng = rng

    bold = property(None, lambda self, v: self._rng._set("bold", v))
    italic = property(None, lambda self, v: self._rng._set("italic", v))
    size = property(None, lambda self, v: self._rng._set("size", v))
    color = property(None, lambda self, v: self._rng._set("font_color", v))


class StandInBorders:
    """xlwings.main.Borders: line_style (set only)."""

    def __init__(self, rng):
        self._rng = rng

    line_style = property(None, lambda self, v: self._rng._set("border", v))


class StandInCharts:
    """xlwings.main.Charts: membership by name, lookup, add."""

    def __init__(self, sheet):
        self._sheet, self._charts = sheet, {}

    def __contains__(self, name):
        self._sheet._count("read")
        return name in self._charts

    def __getitem__(self, name):
        return self._charts[name]

    def add(self, left=0, top=0, width=355, height=211, chart_type=None, source=None, plot_by=None, name=None,
            anchor=None, style=227):
        self._sheet._count("write")
        chart = self._charts[name] = StandInChart(self._sheet, name)
        chart.left, chart.top, chart.width, chart.height = left, top, width, height
        return chart


class StandInChart:
    """xlwings.main.Chart: what the adapter sets."""

    def __init__(self, sheet, name):
        self._sheet, self.name = sheet, name
        self.chart_type = self.title = None
        self.source = self.categories = None
        self._series: list[StandInSeries] = []

    def set_source_data(self, source, plot_by=None):
        self._sheet._count("write")
        assert plot_by == "columns"
        self.source = source._box
        self._series = [StandInSeries() for _ in range(source._box[1], source._box[3] + 1)]

    def set_x_axis_values(self, source):
        self._sheet._count("write")
        self.categories = source._box

    @property
    def series(self):
        return list(self._series)


class StandInSeries:
    """xlwings.main.ChartSeries: name."""

    name = None


STAND_INS = {
    "App": StandInApp, "Book": StandInBook, "Sheets": StandInSheets, "Sheet": StandInSheet,
    "Range": StandInRange, "Font": StandInFont, "Borders": StandInBorders, "Charts": StandInCharts,
    "Chart": StandInChart, "ChartSeries": StandInSeries, "RangeRows": StandInRangeRows,
}
# Attributes the stand-ins set on their instances (so not found on their classes above).
INSTANCE_ATTRIBUTES = {
    "Book": ("fullname", "app", "sheets"),
    "App": ("screen_updating", "calculation", "enable_events"),
    "Sheet": ("name", "charts"),
    "Chart": ("name", "chart_type", "title", "left", "top", "width", "height"),
}


def _as_excel(value):
    """A value as Excel holds it: every number is a double."""
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def _typed_in(value):
    """What Excel stores when xlwings writes ``value``: text is parsed as if typed."""
    if isinstance(value, str):
        if value.startswith("'"):
            return value[1:] or None
        if value.startswith("="):
            raise AssertionError(f"Excel would make a formula of {value!r}")
        try:
            return float(value.replace(",", "."))
        except ValueError:
            return value or None
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    return _as_excel(value)


# -- helpers ----------------------------------------------------------------------------------------

def normal(value):
    """Values compared as Excel shows them: numbers as floats, dates as datetimes, "" as empty."""
    if value == "":
        return None
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return round(float(value), 9)
    return value


def file_values(path: Path) -> dict[str, dict[tuple[int, int], object]]:
    wb = load_workbook(path, data_only=True)
    return {
        ws.title: {(c.row, c.column): normal(c.value)
                   for row in ws.iter_rows() for c in row if normal(c.value) is not None}
        for ws in wb.worksheets
    }


def standin_values(book: StandInBook) -> dict[str, dict[tuple[int, int], object]]:
    return {
        s.name: {k: normal(v) for k, v in s._values.items() if normal(v) is not None} for s in book.sheets
    }


def run_time(path: Path) -> dt.datetime:
    """The run time the file path printed in "Tổng hợp", so that both paths print the same one."""
    ws = load_workbook(path, data_only=True)[L.SHEET_SUMMARY]
    text = next(c.value for row in ws.iter_rows(max_row=8) for c in row
                if isinstance(c.value, str) and "lúc" in c.value)
    hour, minute, day, month, year = map(int, re.search(r"(\d\d):(\d\d) ngày (\d\d)/(\d\d)/(\d{4})", text).groups())
    return dt.datetime(year, month, day, hour, minute)


def engine_cells(plan) -> dict[str, set[tuple[int, int]]]:
    owned: dict[str, set] = {}
    for s in plan.sheets:
        cells = owned.setdefault(s.sheet, set())
        cells.update(s.cells, s.styled_cells)
        for b in s.blocks:
            cells.update((b.row + i, b.col + j) for i in range(len(b.rows)) for j in range(b.width))
    return owned


# -- tests ------------------------------------------------------------------------------------------

def test_example_recalculated_through_excel_equals_the_file_path(tmp_path):
    """Every cell of every sheet, engine-owned or not, holds the same value whichever way it ran."""
    source = tmp_path / "BangGiaoKPI.xlsx"
    shutil.copyfile(EXAMPLE, source)
    book = StandInBook(source)  # the workbook as Excel would have it open, before the run

    filed = tmp_path / "file-path.xlsx"
    api.recalc(source, as_of=AS_OF, output=filed, keep_backup=False)
    _, evaluation, plan = recalc_book(book, as_of=AS_OF_DATE, run_at=run_time(filed))

    expected, got = file_values(filed), standin_values(book)
    assert list(got) == list(expected)  # same sheets, same order
    owned = engine_cells(plan)
    assert sum(len(c) for c in owned.values()) > 500
    for name in expected:
        assert got[name] == expected[name], name
    assert book.app.during == [{"screen_updating": False, "calculation": "manual", "enable_events": False}]
    assert (book.app.screen_updating, book.app.calculation, book.app.enable_events) == (True, "automatic", True)
    assert {u.unit.code for u in evaluation.units} == {"KHĐT", "XDMT", "DNLĐ", "VP", "BQLDA"}


def test_styles_and_number_formats_of_written_cells_match_the_file_path(tmp_path):
    source = tmp_path / "BangGiaoKPI.xlsx"
    shutil.copyfile(EXAMPLE, source)
    book = StandInBook(source)
    filed = tmp_path / "file-path.xlsx"
    api.recalc(source, as_of=AS_OF, output=filed, keep_backup=False)
    _, _, plan = recalc_book(book, as_of=AS_OF_DATE, run_at=run_time(filed))

    wb = load_workbook(filed)
    checked = 0
    for writes in plan.sheets:
        sheet, ws = book.sheets[writes.sheet], wb[writes.sheet]
        for (r, c) in engine_cells(plan)[writes.sheet]:
            style = sheet._styles.get((r, c))
            if style is None:
                continue  # the cell kept its own style in both paths
            cell = ws.cell(r, c)
            if isinstance(cell, MergedCell):
                continue  # openpyxl gives the covered cells of a merged area no style of their own
            assert sheet._formats[(r, c)] == cell.number_format, (writes.sheet, r, c)
            assert bool(style["bold"]) == bool(cell.font.b), (writes.sheet, r, c)
            fill = cell.fill.fgColor.rgb if cell.fill.fill_type == "solid" else None
            assert style["color"] == (f"#{fill[2:]}" if fill else None), (writes.sheet, r, c)
            checked += 1
    assert checked > 100


def test_read_book_builds_the_model_the_file_reader_builds(tmp_path):
    source = tmp_path / "BangGiaoKPI.xlsx"
    shutil.copyfile(EXAMPLE, source)
    # A percent-formatted progress cell (Excel stores 0.8 for 80%) must read as 80 both ways.
    wb = load_workbook(source)
    ws = wb["KHĐT"]
    col = next(c.column for c in ws[L.UNIT_HEADER_ROW] if c.value == L.COLUMNS["progress"])
    ws.cell(L.UNIT_FIRST_KPI_ROW, col).value = 0.8
    ws.cell(L.UNIT_FIRST_KPI_ROW, col).number_format = "0%"
    wb.save(source)

    from_file = api.load(source)
    book = StandInBook(source)
    from_excel = read_book(book)
    assert from_excel.tracker == from_file.tracker
    assert from_excel.units == from_file.units and from_excel.history == from_file.history
    assert from_excel.sheet_names == from_file.sheet_names and from_excel.summary_sheet == from_file.summary_sheet
    assert from_excel.tracker.units[0].kpis[0].progress == 80
    # one block per sheet, plus the progress and weight columns' formats: a mixed block is halved, not read
    # cell by cell
    reads = {name: n for (name, kind), n in book._calls.items() if kind == "read"}
    assert reads["KHĐT"] <= 4 + 1 + 2 * 4  # used range, values, row, column; then a few halvings around the odd cell
    assert all(n == 4 + 2 for name, n in reads.items() if name in ("XDMT", "DNLĐ", "VP", "BQLDA"))


def test_a_workbook_without_summary_and_history_gets_them_at_the_end(tmp_path):
    source = tmp_path / "BangGiaoKPI.xlsx"
    shutil.copyfile(EXAMPLE, source)
    wb = load_workbook(source)
    del wb[L.SHEET_SUMMARY], wb[L.SHEET_HISTORY]
    wb.save(source)
    book = StandInBook(source)
    filed = tmp_path / "file-path.xlsx"
    api.recalc(source, as_of=AS_OF, output=filed, keep_backup=False)
    recalc_book(book, as_of=AS_OF_DATE, run_at=run_time(filed))
    expected, got = file_values(filed), standin_values(book)
    assert list(got)[-2:] == [L.SHEET_SUMMARY, L.SHEET_HISTORY] and list(got) == list(expected)
    assert got == expected
    chart = book.sheets[L.SHEET_SUMMARY].charts["SheetKPI chart 1"]
    assert chart.chart_type == "column_clustered" and [s.name for s in chart.series] == ["Điểm đạt", "Điểm kỳ vọng"]
    assert book.sheets[L.SHEET_HISTORY]._widths[3] == L.HISTORY_KEY_WIDTHS[2]


def test_text_is_written_as_text_never_as_a_formula_or_number(tmp_path):
    source = tmp_path / "BangGiaoKPI.xlsx"
    shutil.copyfile(EXAMPLE, source)
    wb = load_workbook(source)
    ws = wb["VP"]
    cols = {c.value: c.column for c in ws[L.UNIT_HEADER_ROW] if c.value}
    ws.cell(L.UNIT_FIRST_KPI_ROW, cols[L.COLUMNS["code"]]).value = "0012"  # a new "Lịch sử" row
    ws.cell(L.UNIT_FIRST_KPI_ROW, cols[L.COLUMNS["title"]]).value = '=HYPERLINK("http://x")'
    ws.cell(L.UNIT_FIRST_KPI_ROW, cols[L.COLUMNS["title"]]).data_type = "s"
    wb.save(source)
    book = StandInBook(source)
    recalc_book(book, as_of=AS_OF_DATE)  # the stand-in refuses text Excel would turn into a formula
    history = standin_values(book)[L.SHEET_HISTORY]
    assert "0012" in history.values() and '=HYPERLINK("http://x")' in history.values()


def kpi_book(path: Path, n: int, obstacles: str) -> Path:
    """A workbook with one unit of ``n`` KPIs: done, late, at risk, not started, undated."""
    kinds = [
        dict(progress=100, deadline="30/4/2026"),
        dict(progress=40, deadline="31/5/2026", obstacles=obstacles),
        dict(progress=10, deadline="Quý III/2026"),
        dict(progress=None, deadline="Quý IV/2026"),
        dict(progress=50, deadline="Theo kế hoạch"),
    ]
    kpis = [KpiSpec(code=f"A{i:04d}", title=f"Nhiệm vụ {i}", weight=100 / n, **kinds[i % len(kinds)]) for i in range(n)]
    settings = {**default_settings(2026), "agency": "Ban Quản lý", "report_date": AS_OF_DATE}
    build_workbook(path, settings=settings, units=[UnitSpec("A", "Phòng A", kpis)])
    return path


def calls_for(tmp_path: Path, n: int, obstacles: str = "") -> Counter:
    book = StandInBook(kpi_book(tmp_path / f"kpi-{n}.xlsx", n, obstacles))
    recalc_book(book, as_of=AS_OF_DATE)
    recalc_book(book, as_of=AS_OF_DATE)  # a second run: updates "Lịch sử" in place and the chart it made
    return book._calls


def test_calls_per_sheet_stay_constant_as_kpi_rows_grow(tmp_path):
    small, large = calls_for(tmp_path, 10), calls_for(tmp_path, 1000)
    # The guide is neither read (nothing in it is read) nor written; "Cấu hình" is only read.
    sheets = (L.SHEET_CONFIG, "A", L.SHEET_SUMMARY, L.SHEET_HISTORY)
    expected = {(name, kind) for name in sheets for kind in ("read", "write")} - {(L.SHEET_CONFIG, "write")}
    assert set(small) == set(large) == expected
    assert small == large, {k: (small[k], large[k]) for k in small if small[k] != large[k]}
    # per run: the unit tab is read in one block (+ its progress and weight formats) and written in a few rectangles
    assert small[("A", "read")] == 2 * 6 and small[("A", "write")] <= 2 * 4


def test_calls_stay_constant_when_late_kpis_carry_obstacles(tmp_path):
    assert calls_for(tmp_path, 10, "Chờ ý kiến của Sở") == calls_for(tmp_path, 1000, "Chờ ý kiến của Sở")


def test_rectangles_cover_exactly_the_cells():
    cells = {(r, c) for r in range(5, 40) for c in range(12, 17)} | {(40, 5), (40, 14), (40, 15), (40, 16), (42, 12)}
    rects = rectangles(cells)
    covered = [(r, c) for r1, c1, r2, c2 in rects for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]
    assert sorted(covered) == sorted(cells)
    assert len(rects) == 4


def test_every_xlwings_name_the_stand_in_implements_exists_on_the_real_classes():
    """The contract: the adapter can only use what the stand-in offers, and that exists in xlwings."""
    import xlwings
    import xlwings.main as real

    missing = []
    for name, stand_in in STAND_INS.items():
        target = getattr(real, name)
        for attribute in vars(stand_in):
            if attribute.startswith("_") and attribute not in ("__iter__", "__len__", "__getitem__", "__contains__"):
                continue
            if not hasattr(target, attribute):
                missing.append(f"{name}.{attribute}")
    for name, attributes in INSTANCE_ATTRIBUTES.items():
        missing += [f"{name}.{a}" for a in attributes if not hasattr(getattr(real, name), a)]
    assert not missing, f"not in xlwings {xlwings.__version__}: {missing}"
    # What the adapter assigns must be settable on the real class too.
    settable = [(name, a) for name, stand_in in STAND_INS.items() for a, member in vars(stand_in).items()
                if isinstance(member, property) and member.fset is not None]
    settable += [("Chart", a) for a in ("chart_type", "title", "left", "top", "width", "height")]
    settable += [("App", a) for a in ("screen_updating", "calculation", "enable_events")]
    read_only = [f"{n}.{a}" for n, a in settable if getattr(getattr(real, n), a).fset is None]
    assert not read_only, read_only


def test_stand_in_methods_take_the_parameters_of_the_real_methods():
    """Same parameter names in the same order, so a call that works on the stand-in works on xlwings."""
    import inspect

    import xlwings.main as real

    for name, stand_in in STAND_INS.items():
        for attribute, member in vars(stand_in).items():
            if attribute.startswith("_") or not inspect.isfunction(member):
                continue
            ours = list(inspect.signature(member).parameters.values())[1:]
            theirs = inspect.signature(getattr(getattr(real, name), attribute)).parameters
            takes_any = any(p.kind is p.VAR_KEYWORD for p in theirs.values())
            named = list(theirs)[1:]
            for i, parameter in enumerate(ours):
                if parameter.kind is parameter.VAR_KEYWORD:
                    assert takes_any, f"{name}.{attribute}"
                else:
                    assert parameter.name in theirs or takes_any, f"{name}.{attribute}({parameter.name})"
                    if parameter.name in theirs:
                        assert named.index(parameter.name) == i, f"{name}.{attribute}({parameter.name}) position"


def test_apply_plan_needs_only_the_stand_in_calls(tmp_path):
    """apply_plan on a freshly read book, without recalc_book's wrapper, touches nothing else."""
    source = tmp_path / "BangGiaoKPI.xlsx"
    shutil.copyfile(EXAMPLE, source)
    book = StandInBook(source)
    data = read_book(book)
    from sheetkpi.rules import evaluate

    evaluation = evaluate(data.tracker, AS_OF_DATE)
    apply_plan(book, api.plan_writes(data, evaluation, dt.datetime(2026, 6, 25, 9, 0)))
    assert book.sheets[L.SHEET_SUMMARY]._values[(4, 1)] == "Tổng hợp lúc 09:00 ngày 25/06/2026 bằng sheetkpi"

# -- the ribbon's entry points ------------------------------------------------------------------------

@pytest.fixture
def clicked(tmp_path, monkeypatch):
    """The example open in the stand-in, as xlwings.Book.caller() returns it to a ribbon click."""
    import xlwings

    source = tmp_path / "BangGiaoKPI.xlsx"
    shutil.copyfile(EXAMPLE, source)
    book = StandInBook(source)
    monkeypatch.setattr(xlwings.Book, "caller", lambda: book)
    return book


def test_recalculate_button_writes_the_cells_and_the_memo_beside_the_workbook(clicked, tmp_path):
    from sheetkpi import excel

    excel.recalculate()
    (message, title, mode), = clicked.app.alerts
    assert title == "SheetKPI" and "Đã tính lại 32 KPI của 5 phòng, đơn vị" in message
    assert "Ctrl+S" in message and "Báo cáo:" in message
    assert sorted(p.suffix for p in tmp_path.glob("BaoCaoKPI-*")) == [".docx", ".html", ".txt"]
    assert any(kind == "write" for _, kind in clicked._calls)


def test_validate_button_lists_problems_and_writes_nothing(clicked):
    from sheetkpi import excel

    excel.validate()
    (message, _, _), = clicked.app.alerts
    assert message.startswith("Kiểm tra 32 KPI") and "Quá hạn:" in message
    assert not [key for key in clicked._calls if key[1] == "write"]


def test_help_button_explains_the_three_buttons(clicked):
    from sheetkpi import excel

    excel.help()
    (message, _, mode), = clicked.app.alerts
    assert mode == "info" and all(label in message for label in ("Tính lại KPI", "Kiểm tra", "Giúp đỡ"))


def test_problems_end_in_a_vietnamese_message_box_not_a_traceback(clicked, monkeypatch):
    from sheetkpi import excel
    from sheetkpi.workbook import xlwings_adapter

    unit = clicked.sheets["KHĐT"]
    header = next(k for k, v in unit._values.items() if k[0] == L.UNIT_HEADER_ROW and v == L.COLUMNS["progress"])
    unit._values[header] = "Ghi chú"
    excel.recalculate()
    (message, _, mode), = clicked.app.alerts
    assert mode == "critical" and "thiếu cột" in message and "Sổ tính không thay đổi" in message
    assert not [key for key in clicked._calls if key[1] == "write"]

    monkeypatch.setattr(xlwings_adapter, "apply_plan", lambda book, plan: 1 / 0)
    clicked.app.alerts.clear()
    clicked.sheets._sheets[:] = StandInBook(EXAMPLE).sheets._sheets
    excel.recalculate()
    (message, _, mode), = clicked.app.alerts
    assert mode == "critical" and "lỗi không lường trước (ZeroDivisionError" in message
    assert clicked.app.screen_updating and clicked.app.calculation == "automatic"  # restored after the failure


# -- what xlwings has no call for: Excel's own Worksheet through sheet.api ----------------------------

def test_the_summary_the_button_adds_prints_as_the_file_writers(tmp_path):
    """A4 landscape, one page wide, the header rows on every page, as the file writer's "Tổng hợp"."""
    source = tmp_path / "no-summary.xlsx"
    wb = load_workbook(EXAMPLE)
    del wb[L.SHEET_SUMMARY], wb[L.SHEET_HISTORY]
    wb.save(source)
    book = StandInBook(source)
    recalc_book(book, as_of=AS_OF_DATE)
    assert book.sheets[L.SHEET_SUMMARY].api.PageSetup.settings == {
        "PrintTitleRows": f"$1:${L.SUMMARY_HEADER_ROW}", "Orientation": 2, "PaperSize": 9, "Zoom": False,
        "FitToPagesWide": 1, "FitToPagesTall": False,
    }
    assert book.sheets[L.SHEET_HISTORY].api.PageSetup.settings == {}  # as the file writer: no print setup


def test_a_protected_unit_tab_is_refused_before_anything_is_written(tmp_path):
    source = tmp_path / "BangGiaoKPI.xlsx"
    shutil.copyfile(EXAMPLE, source)
    wb = load_workbook(source)
    wb["VP"].protection.sheet = True
    wb.save(source)
    book = StandInBook(source)
    with pytest.raises(SheetkpiError, match="'VP' đang được bảo vệ"):
        recalc_book(book, as_of=AS_OF_DATE)
    assert not [key for key in book._calls if key[1] == "write"]
