"""Recalculate a workbook open in Excel, through xlwings: the Excel side of the "Tính lại KPI" button.

The same engine core serves the button and the CLI. This module only moves cells:

- reading: each sheet is read in one block (its used range, ``options(ndim=2).value``) into the same
  grids of :class:`~sheetkpi.structure.Cell` that the file reader builds, when the same
  grid → model code (:func:`~sheetkpi.workbook.reader.read_grids`) asks for it: one sheet's cells are
  held at a time, and a sheet it never reads ("Hướng dẫn") is not fetched. Number formats are read only for
  the "% tiến độ" and "Trọng số" blocks of each unit tab (a percent-formatted 0.8 is 80), one call per column block;
  only a block that mixes formats is split, so calls grow with format changes, never with rows;
- writing: the same :class:`~sheetkpi.writes.WritePlan` the file writer applies. Each
  :class:`~sheetkpi.writes.Block` is one ``range.value = rows`` call; loose cells are grouped
  into rectangles (contiguous runs of rows sharing the same columns), one call each; styles go on in a
  few property calls per rectangle. The calls therefore stay constant as KPI rows grow.

Nothing here imports xlwings: the functions take an ``xlwings.Book`` (or anything offering the same
calls: the tests' stand-in, a LibreOffice document through :mod:`.uno_adapter`), so that importing
this module costs nothing and the contract is visible in one place. It needs only the standard
library (no lxml), so that it also runs in LibreOffice's own Python.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from .. import layout
from ..cells import parse_range
from ..errors import FileUnusable
from ..model import Evaluation
from ..parsing.numbers import is_percent_format
from ..parsing.text import fold
from ..reading import NON_UNIT_KEYS, WorkbookData, read_grids, summary_date
from ..structure import EMPTY_CELL, Cell, Grid, find_header
from ..writes import STYLE_SPECS, Block, Chart, SheetWrites, WritePlan

# Excel's defaults, applied where a style leaves an attribute unset: a styled cell gets exactly its
# style, as the file writer gives it a fresh cell format.
_DEFAULT_NUMBER_FORMAT = "General"
_DEFAULT_HALIGN = "general"
_DEFAULT_VALIGN = "bottom"
# Excel parses what is written into a cell as if typed ("=…" a formula, "1/2" a date, "0012" a number);
# a leading apostrophe keeps the text exactly as it is and is not part of the value.
_TEXT_PREFIX = "'"

Rect = tuple[int, int, int, int]  # first row, first column, last row, last column (1-based, inclusive)


# -- reading --------------------------------------------------------------------------------------

def read_book(book: Any) -> WorkbookData:
    """Read the open ``book`` into the model, as :func:`~sheetkpi.workbook.reader.read_workbook` does a file."""
    summary = next((s.name for s in book.sheets if fold(s.name) == fold(layout.SHEET_SUMMARY)), None)
    line = book.sheets[summary].range((layout.SUMMARY_AS_OF_ROW, 1)).value if summary else None
    return read_grids(_BookGrids(book), Path(book.fullname), last_run=summary_date(line))


class _BookGrids(Mapping[str, Grid]):
    """The sheets of an open book by name, each read from Excel when asked for and not kept."""

    def __init__(self, book: Any) -> None:
        self._sheets = {sheet.name: sheet for sheet in book.sheets}

    def __getitem__(self, name: str) -> Grid:
        sheet = self._sheets[name]
        grid = _read_sheet(sheet)
        if fold(name) not in NON_UNIT_KEYS:
            _mark_percent(sheet, grid)
        return grid

    def __iter__(self) -> Iterator[str]:
        return iter(self._sheets)

    def __len__(self) -> int:
        return len(self._sheets)

    def __contains__(self, name: object) -> bool:
        # Mapping's own would read the sheet to answer.
        return name in self._sheets


def _read_sheet(sheet: Any) -> Grid:
    """The sheet's used range in one call, as rows from row 1 and column 1, trailing empties trimmed."""
    used = sheet.used_range
    values = used.options(ndim=2).value
    top, left = used.row, used.column
    grid: Grid = [[] for _ in range(top - 1)]
    for row in values:
        cells = [EMPTY_CELL] * (left - 1) + [EMPTY_CELL if v is None else Cell(v) for v in row]
        while cells and cells[-1].value is None:
            cells.pop()
        grid.append(cells)
    while grid and not grid[-1]:
        grid.pop()
    return grid


def _mark_percent(sheet: Any, grid: Grid) -> None:
    """Flag the numbers of a unit tab's "% tiến độ" and "Trọng số" columns whose cell format is a
    percentage (people see 80 %, Excel holds 0.8)."""
    found = find_header(grid)
    if found is None:
        return
    last = len(grid)
    if last <= found.last_row:
        return
    for name in ("progress", "weight"):
        col = found.columns.get(name)
        if col is None:
            continue
        for first, end, fmt in _formats(sheet, found.last_row + 1, last, col):
            if not is_percent_format(fmt):
                continue
            for r in range(first, end + 1):
                row = grid[r - 1]
                if col - 1 < len(row) and isinstance(row[col - 1].value, (int, float)):  # as the file reader
                    row[col - 1] = Cell(row[col - 1].value, True)


def _formats(sheet: Any, first: int, last: int, col: int) -> Iterable[tuple[int, int, str]]:
    """(first row, last row, number format) runs of one column: one call for a uniform block; Excel
    answers None for a mixed block, which is halved until each part is uniform."""
    pending = [(first, last)]
    while pending:
        r1, r2 = pending.pop()
        fmt = sheet.range((r1, col), (r2, col)).number_format
        if fmt is not None or r1 == r2:
            yield r1, r2, fmt or ""
        else:
            mid = (r1 + r2) // 2
            pending += [(mid + 1, r2), (r1, mid)]


# -- writing --------------------------------------------------------------------------------------

def apply_plan(book: Any, plan: WritePlan) -> None:
    """Write every sheet of ``plan`` into the open ``book`` (not saved: the user saves)."""
    for writes in plan.sheets:
        if writes.create:
            sheet = book.sheets.add(writes.sheet, after=book.sheets[len(book.sheets) - 1])
        else:
            sheet = book.sheets[writes.sheet]
            if writes.whole:
                sheet.clear()  # values, formats and merges of an earlier run; charts stay
        _column_widths(sheet, writes.column_widths)
        if writes.print_titles:
            _print_setup(sheet, writes.print_titles)
        _apply_sheet(sheet, writes)
        _merge(sheet, writes.merges)
        for (r1, r2), height in _row_runs(writes.row_heights).items():
            sheet.range((r1, 1), (r2, 1)).row_height = height
        for r1, r2 in _row_runs(dict.fromkeys(writes.fit_rows, 0)):
            sheet.range((r1, 1), (r2, 1)).rows.autofit()  # Excel fits rows of unmerged text itself


def _apply_sheet(sheet: Any, writes: SheetWrites) -> None:
    for block in writes.blocks:
        _write_block(sheet, block)
    values = {**writes.cells, **{key: value for key, (value, _) in writes.styled_cells.items()}}
    for rect in rectangles(values):
        r1, c1, r2, c2 = rect
        sheet.range((r1, c1)).value = [
            [_excel_value(values[(r, c)]) for c in range(c1, c2 + 1)] for r in range(r1, r2 + 1)
        ]
    by_style: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for key, (_, name) in writes.styled_cells.items():
        by_style[name].append(key)
    _apply_styles(sheet, by_style)
    if writes.chart:
        _chart(sheet, writes.chart)


def _write_block(sheet: Any, block: Block) -> None:
    """The block in one call, its styles, then the same columns emptied below it."""
    width = block.width
    if not width:
        return
    rows = [[_excel_value(v) for v in values] + [None] * (width - len(values)) for values in block.rows]
    sheet.range((block.row, block.col)).value = rows
    by_style: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for offset, name in enumerate(block.styles or []):
        names = name if isinstance(name, list) else [name] * width
        for j, style in enumerate(names):
            if style is not None:
                by_style[style].append((block.row + offset, block.col + j))
    _apply_styles(sheet, by_style)
    if block.clear_below:
        after = block.row + len(block.rows)
        last = sheet.used_range.last_cell.row
        if last >= after:
            sheet.range((after, block.col), (last, block.col + width - 1)).clear_contents()


def _excel_value(value: Any) -> Any:
    """A plan value as Excel must receive it so that it stores exactly that value."""
    if isinstance(value, str):
        return _TEXT_PREFIX + value if value else None
    return value


def rectangles(cells: Iterable[tuple[int, int]]) -> list[Rect]:
    """Cover the cells with rectangles: per row, runs of adjacent columns; a run repeated on the next
    row extends the rectangle above. Engine columns sit side by side on consecutive KPI rows, so a
    unit tab needs a handful of rectangles however many KPIs it has."""
    by_row: dict[int, list[int]] = defaultdict(list)
    for r, c in cells:
        by_row[r].append(c)
    done: list[Rect] = []
    open_: dict[tuple[int, int], list[int]] = {}  # (c1, c2) -> [first row, last row]
    for r in sorted(by_row):
        runs = _runs(sorted(set(by_row[r])))
        for span in list(open_):
            if span not in runs or open_[span][1] != r - 1:
                first, last = open_.pop(span)
                done.append((first, span[0], last, span[1]))
        for span in runs:
            if span in open_:
                open_[span][1] = r
            else:
                open_[span] = [r, r]
    done += [(first, c1, last, c2) for (c1, c2), (first, last) in open_.items()]
    return sorted(done)


def _runs(columns: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for c in columns:
        if runs and runs[-1][1] == c - 1:
            runs[-1] = (runs[-1][0], c)
        else:
            runs.append((c, c))
    return runs


def _apply_styles(sheet: Any, by_style: dict[str, list[tuple[int, int]]]) -> None:
    """Each semantic style of :data:`STYLE_SPECS`, in full, on the rectangles covering its cells."""
    for name, cells in by_style.items():
        spec = STYLE_SPECS[name]
        for r1, c1, r2, c2 in rectangles(cells):
            rng = sheet.range((r1, c1), (r2, c2))
            rng.number_format = spec.get("num_fmt") or _DEFAULT_NUMBER_FORMAT
            font = rng.font
            font.bold = bool(spec.get("bold"))
            font.italic = bool(spec.get("italic"))
            if spec.get("size"):
                font.size = spec["size"]
            font.color = f"#{spec.get('color') or '000000'}"  # back to black where a fall was marked red
            rng.color = f"#{spec['fill']}" if spec.get("fill") else None
            rng.wrap_text = bool(spec.get("wrap"))
            rng.horizontal_alignment = spec.get("halign") or _DEFAULT_HALIGN
            rng.vertical_alignment = spec.get("valign") or _DEFAULT_VALIGN
            rng.borders.line_style = "continuous" if spec.get("border") else None


def _merge(sheet: Any, areas: list[tuple[int, int, int, int]]) -> None:
    """The merges, one call for the same columns on adjacent rows (``merge(across=True)`` merges
    each row of a range on its own)."""
    by_cols: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    for r1, c1, r2, c2 in areas:
        if r1 == r2:
            by_cols[(c1, c2)].append((r1, c1))
        else:
            sheet.range((r1, c1), (r2, c2)).merge()
    for (c1, c2), cells in by_cols.items():
        for r1, _, r2, _ in rectangles(cells):
            sheet.range((r1, c1), (r2, c2)).merge(across=True)


def _row_runs(values: dict[int, Any]) -> dict[tuple[int, int], Any]:
    """Adjacent rows with equal values as (first, last) -> value: one call each."""
    runs: dict[tuple[int, int], Any] = {}
    start = prev = None
    for row in sorted(values):
        if prev is not None and row == prev + 1 and values[row] == values[prev]:
            prev = row
            continue
        if start is not None:
            runs[(start, prev)] = values[start]
        start = prev = row
    if start is not None:
        runs[(start, prev)] = values[start]
    return runs


def _column_widths(sheet: Any, widths: dict[int, float]) -> None:
    """Widths of a sheet sheetkpi created, one call per run of adjacent columns of the same width."""
    by_width: dict[float, list[tuple[int, int]]] = defaultdict(list)
    for col, width in widths.items():
        by_width[width].append((1, col))
    for width, cells in by_width.items():
        for _, c1, _, c2 in rectangles(cells):
            sheet.range((1, c1), (1, c2)).column_width = width


def _print_setup(sheet: Any, rows: tuple[int, int]) -> None:
    """The file writer's print setup of a sheet whose writes give print titles ("Tổng hợp"): A4
    landscape, one page wide, ``rows`` repeated at the top of every page. xlwings has no call for
    it: Excel's PageSetup through ``.api``."""
    setup = sheet.api.PageSetup
    setup.PrintTitleRows = f"${rows[0]}:${rows[1]}"
    setup.Orientation = 2  # xlLandscape
    setup.PaperSize = 9  # xlPaperA4
    setup.Zoom = False  # scale by the two below
    setup.FitToPagesWide = 1
    setup.FitToPagesTall = False  # as many pages tall as it takes


def refuse_protected(book: Any, plan: WritePlan) -> None:
    """Refuse, before any write, a plan that writes into a protected sheet: Excel would stop at its
    first cell and leave the run half done. xlwings has no call for it: Excel's ProtectContents."""
    protected = [w.sheet for w in plan.sheets if not w.create and book.sheets[w.sheet].api.ProtectContents]
    if protected:
        names = ", ".join(f"'{name}'" for name in protected)
        raise FileUnusable("sheet-protected", (
            f"Trang tính {names} đang được bảo vệ (khóa chỉnh sửa) nên sheetkpi không ghi được kết quả vào đó. "
            "Hãy bỏ bảo vệ trang tính (Excel: Review → Unprotect Sheet; LibreOffice: Công cụ → Bảo vệ trang tính) "
            "rồi bấm lại; có thể bảo vệ lại sau khi tính."
        ))


def _chart(sheet: Any, chart: Chart) -> None:
    """The clustered column chart, made once and updated by later runs (found by the name the file
    writer gives it too, so either path updates the other's chart)."""
    r1, c1, r2, c2 = chart.anchor
    area = sheet.range((min(r1, r2), min(c1, c2)), (max(r1, r2), max(c1, c2)))
    name = f"{layout.CHART_NAME} 1"
    place = {"left": area.left, "top": area.top, "width": area.width, "height": area.height}
    if name in sheet.charts:
        target = sheet.charts[name]
        for key, value in place.items():
            setattr(target, key, value)
    else:
        target = sheet.charts.add(**place, name=name)
    target.chart_type = "column_clustered"
    target.set_source_data(sheet.range(_series_block(chart.series)), plot_by="columns")
    target.set_x_axis_values(sheet.range(chart.categories))
    for series, (label, _) in zip(target.series, chart.series):
        series.name = label
    target.title = chart.title


def _series_block(series: list[tuple[str, str]]) -> str:
    """The one range holding every series, side by side in the plan's order."""
    boxes = [parse_range(ref) for _, ref in series]
    r1, c1, r2, _ = boxes[0]
    for i, (b1, bc1, b2, bc2) in enumerate(boxes):
        if (b1, b2, bc1, bc2) != (r1, r2, c1 + i, c1 + i):
            raise ValueError(f"chart series must be adjacent single columns: {series}")
    return f"{series[0][1].split(':')[0]}:{series[-1][1].split(':')[-1]}"


# -- the run --------------------------------------------------------------------------------------

class ExcelBook:
    """A workbook open in Excel as the book one run reads and writes (:class:`sheetkpi.api.Book`).

    Its writes are gathered into one plan before any call to Excel, so that cells are written in
    rectangles across the whole sheet, and a plan that would write into a protected sheet is refused
    before anything is written; ``plan`` is the last plan applied."""

    def __init__(self, book: Any) -> None:
        self.book = book
        self.plan: WritePlan | None = None

    def read(self) -> WorkbookData:
        return read_book(self.book)

    def apply(self, writes: Iterable[SheetWrites]) -> int:
        self.plan = WritePlan(list(writes))
        refuse_protected(self.book, self.plan)
        apply_plan(self.book, self.plan)
        return self.plan.cell_count()


def recalc_book(
    book: Any, as_of: dt.date | None = None, run_at: dt.datetime | None = None,
) -> tuple[WorkbookData, Evaluation, WritePlan]:
    """The one recalculation (:func:`sheetkpi.api.recalculate`) on the open ``book``, with screen
    updating, automatic calculation and events off for the run (restored afterwards, also on failure)."""
    from ..api import recalculate

    excel = ExcelBook(book)
    with book.app.properties(screen_updating=False, calculation="manual", enable_events=False):
        done = recalculate(excel, as_of, run_at=run_at)
    return done.data, done.evaluation, excel.plan
