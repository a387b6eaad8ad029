"""The "Lịch sử" sheet: one row per KPI, one column per report date (SPEC §3 item 5).

Re-running a report date overwrites its column; the figures of other dates are never changed. Date
columns are kept in date order: a report date earlier than one already there moves the later
columns one to the right, figures and all. A KPI whose progress is empty or invalid gets an empty
cell, never a 0 that a later run would read as a fall; a figure below the previous report's is
marked in red.
"""

from __future__ import annotations

import datetime as dt
import math
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import chain
from typing import Any

from .. import layout
from ..cells import row_index
from ..model import KPI, History, HistoryKeys, Key
from ..reading import HistoryLayout
from ..rules import effective_progress, history_key, recorded_progress
from . import Block, Rows, SheetWrites, fit_text

# A report date's figures are written with these styles, whatever the cells had: a figure that fell
# since the previous report is marked, and one that no longer has is not.
FIGURE_STYLES = ("history", "history_fall")


class HistoryFigures:
    """Each KPI's row of "Lịch sử" and its progress at the report date (see :meth:`add`): what
    :func:`history_writes` writes. It holds a row number and a figure per KPI, and the texts of the
    rows to add, not the KPIs: a recalculation that adds "Lịch sử" after "Tổng hợp" gathers each
    unit's figures once its tab is written, and drops most of its KPIs then.

    ``where``: what was found in the tab (None: no history table yet); ``history``: the figures read
    from it, and ``previous`` the previous report's date: a figure below that report's is marked."""

    def __init__(self, where: HistoryLayout | None, history: History | None, previous: dt.date | None) -> None:
        self.where, self.history = where, history
        self.rows: Mapping[Key, int] = where.rows if where else {}  # the rows the tab has
        self.last_row = where.last_row if where else layout.HISTORY_HEADER_ROW
        self.added = HistoryKeys()  # the keys the tab has no row for, and the rows added
        self.texts = AddedRows()  # each row added: unit, code and title
        self._compared = history if previous is not None and history else None
        self._previous = previous
        self.figures = array("d")  # by row: the figure (NaN: none)
        self.present = bytearray()  # by row: 1 when a KPI has that row
        self.fell = bytearray()  # by row: 1 when its figure is below the previous report's

    def add(self, kpis: Iterable[KPI]) -> None:
        """Gather the figures of ``kpis`` (every unit's, in workbook order)."""
        rows, added = self.rows, self.added
        before_of = self._compared.figures_on(self._previous) if self._compared is not None else None
        for kpi in kpis:
            key = history_key(kpi)
            row = rows.get(key) or added.get(key)
            if row is None:
                self.last_row += 1
                row = self.last_row
                added.put(key, row)
                self.texts.append(row, kpi.unit, kpi.code, kpi.title)
            if row >= len(self.present):
                more = row + 1 - len(self.present) + 1024
                self.figures.extend(array("d", [math.nan]) * more)
                self.present.extend(bytes(more))
                self.fell.extend(bytes(more))
            figure = recorded_progress(kpi, effective_progress(kpi))
            self.figures[row] = math.nan if figure is None else figure
            self.present[row] = 1
            before = before_of(key) if before_of is not None else None
            if before is not None and (figure or 0) < before:
                self.fell[row] = 1

    def figure(self, row: int) -> float | None:
        """The figure gathered for ``row`` (None: none, or no KPI has that row)."""
        return _figure(self.figures[row] if row < len(self.figures) else math.nan)

    def has(self, row: int) -> bool:
        """Whether a KPI has ``row``."""
        return row < len(self.present) and self.present[row] == 1

    def style(self, row: int) -> str:
        """The style of ``row``'s figure: marked when it fell since the previous report."""
        return _style(row < len(self.fell) and self.fell[row])


class AddedRows(Sequence[tuple[int, str, str, str]]):
    """The rows "Lịch sử" adds, each (row, unit, code, title), held as an array and three lists, not
    a tuple each (a first run into an emptied "Lịch sử" adds a row per KPI: 300,000 tuples and
    their row numbers took 23 MiB)."""

    __slots__ = ("rows", "_units", "_codes", "_titles")

    def __init__(self) -> None:
        self.rows = array("I")
        self._units: list[str] = []
        self._codes: list[str] = []
        self._titles: list[str] = []

    def append(self, row: int, unit: str, code: str, title: str) -> None:
        self.rows.append(row)
        self._units.append(unit)
        self._codes.append(code)
        self._titles.append(title)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> tuple[int, str, str, str]:  # type: ignore[override]
        return self.rows[i], self._units[i], self._codes[i], self._titles[i]

    def __iter__(self) -> Iterator[tuple[int, str, str, str]]:
        return zip(self.rows, self._units, self._codes, self._titles)


def _figure(value: float) -> float | None:
    """A gathered figure as written: NaN (none) is an empty cell."""
    return None if value != value else value  # (NaN is not)


def _style(fell) -> str:
    """The style of a figure: marked when it fell since the previous report."""
    return FIGURE_STYLES[1] if fell else FIGURE_STYLES[0]


class AddedTitles(Mapping[int, dict[int, str]]):
    """The text each row added must show whole (:attr:`SheetWrites.fit_rows`): its title, from
    ``texts`` ((row, unit, code, title) in rising rows), made as it is asked for."""

    __slots__ = ("_texts",)

    def __init__(self, texts: AddedRows) -> None:
        self._texts = texts

    def items(self) -> Iterator[tuple[int, dict[int, str]]]:  # type: ignore[override]
        return ((row, {_TITLE_COLUMN: title}) for row, _, _, title in self._texts)

    def __iter__(self) -> Iterator[int]:
        return iter(self._texts.rows)

    def __len__(self) -> int:
        return len(self._texts)

    def __getitem__(self, row: int) -> dict[int, str]:
        at = row_index(self._texts.rows, row)
        if at < 0:
            raise KeyError(row)
        return {_TITLE_COLUMN: self._texts[at][3]}


_TITLE_COLUMN = layout.HISTORY_KEY_HEADERS.index("Nhiệm vụ / KPI") + 1


def _key_cells(text: tuple[int, str, str, str]) -> list:
    """A row added: its unit, code and title (cut to what a cell holds)."""
    _, unit, code, title = text
    return [unit, code, fit_text(title)]


class FigureCells(Mapping[tuple[int, int], tuple[Any, str]]):
    """The styled cells of "Lịch sử"'s writes: ``head``'s (title, header, the date's header), then the
    report date's figure on each row a KPI has (all rows with ``rewrite``), made as they are asked
    for from a row number, a figure and a mark each (as a dict, three tuples and a float a cell).
    The file writer takes the figures as a column (:meth:`column`), made only as the sheet
    renders."""

    __slots__ = ("_head", "_rows", "_values", "_fell", "_column")

    def __init__(self, head: dict[tuple[int, int], tuple[Any, str]], figures: HistoryFigures, column: int,
                 rewrite: bool) -> None:
        self._head, self._column = head, column
        self._rows = array("I", (row for row in chain(figures.rows.values(), figures.texts.rows)
                                 if rewrite or figures.has(row)))  # the rows written, in the sheet's order
        self._values = array("d", (figures.figures[row] if row < len(figures.figures) else math.nan
                                   for row in self._rows))  # NaN: none
        self._fell = bytes(figures.fell[row] if row < len(figures.fell) else 0 for row in self._rows)

    def items(self) -> Iterator[tuple[tuple[int, int], tuple[Any, str]]]:  # type: ignore[override]
        yield from self._head.items()
        column = self._column
        for row, value, fell in zip(self._rows, self._values, self._fell):
            yield (row, column), (_figure(value), _style(fell))

    def values(self) -> Iterator[tuple[Any, str]]:  # type: ignore[override]
        return (value for _, value in self.items())

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return (key for key, _ in self.items())

    def __len__(self) -> int:
        return len(self._head) + len(self._rows)

    def column(self) -> tuple[dict[tuple[int, int], tuple[Any, str]], tuple[int, array, array, list[str]]]:
        """The cells but the figures (``head``), and the figures as a column: its column, rows
        (rising), values (NaN: none) and style names, for a writer that writes it at once."""
        return self._head, (self._column, self._rows, self._values, [_style(fell) for fell in self._fell])

    def __getitem__(self, key: tuple[int, int]) -> tuple[Any, str]:
        if key in self._head:
            return self._head[key]
        row, column = key if type(key) is tuple and len(key) == 2 else (None, None)
        at = row_index(self._rows, row)  # (rows in the sheet's order)
        if column != self._column or at < 0:
            raise KeyError(key)
        return _figure(self._values[at]), _style(self._fell[at])


def history_writes(gathered: HistoryFigures, as_of: dt.date, sheet: str | None) -> SheetWrites:
    """Cells to write into "Lịch sử" for the report date ``as_of``: each KPI's progress, gathered
    (see :class:`HistoryFigures`), and marked when below its figure at the previous report.

    ``sheet`` is the workbook's own name of that tab (None: add it). When nothing was found in it
    (``gathered.where`` None: no history table yet), the title and header are written too; the
    figures read from it (``gathered.history``) are those of dates that move when a date goes
    between two others.
    """
    where, history = gathered.where, gathered.history
    out = SheetWrites(sheet=sheet or layout.SHEET_HISTORY, create=sheet is None)
    if where is None:
        header_row = layout.HISTORY_HEADER_ROW
        out.styled_cells[(1, 1)] = (layout.HISTORY_TITLE, "title")
        out.styled_cells[(2, 1)] = ("Do sheetkpi ghi ở mỗi lần tính lại; mỗi cột là một ngày báo cáo.", "subtitle")
        for c, text in enumerate(layout.HISTORY_KEY_HEADERS, start=1):
            out.styled_cells[(header_row, c)] = (text, "header")
        out.column_widths = dict(enumerate(layout.HISTORY_KEY_WIDTHS, start=1))
        columns = {as_of: len(layout.HISTORY_KEY_HEADERS) + 1}
    else:
        header_row = where.header_row
        columns = _date_columns(where, as_of)
    column = columns[as_of]
    new_column = where is None or as_of not in where.dates
    moved = {d: c for d, c in columns.items() if d != as_of and where is not None and where.dates[d] != c}
    last_existing = max(where.dates.values(), default=0) if where else 0

    def put(row: int, col: int, value, style: str) -> None:
        if col > (where.last_col if where else 0) or style in FIGURE_STYLES:
            out.styled_cells[(row, col)] = (value, style)
        else:
            out.cells[(row, col)] = value

    if new_column:
        put(header_row, column, as_of, "header_date")
        out.column_widths[column] = layout.HISTORY_DATE_WIDTH
    for d, c in moved.items():
        put(header_row, c, d, "header_date")
        if c > last_existing:
            out.column_widths[c] = layout.HISTORY_DATE_WIDTH

    if gathered.texts:
        # The rows added, below the last: made as they are written, and each grows to show its title
        # whole. (A first run into an empty "Lịch sử" adds a row per KPI: 300,000 rows' cells and
        # titles held as dicts took more than 200 MiB.) The report dates' columns beside the key
        # columns get empty cells in the figures' style: the table's grid goes on under the dates a
        # KPI added since has no figure for.
        keys = len(layout.HISTORY_KEY_HEADERS)
        dated = set(columns.values())
        width = keys
        while width + 1 in dated:
            width += 1
        added = Rows(width)
        added.add_made(gathered.texts, _key_cells)
        row_style = ["text"] * keys + [FIGURE_STYLES[0]] * (width - keys)  # (one list: checked once)
        out.blocks.append(Block(row=gathered.texts[0][0], col=1, rows=added, styles=[row_style] * len(added),
                                clear_below=False))
        out.fit_rows = AddedTitles(gathered.texts)
    # Cells that held a figure before (this date's, or another date's before the move) are all
    # rewritten: a KPI removed since an earlier run of this same date must not keep that figure.
    rewrite = not new_column or column <= last_existing
    if moved:  # (a date before those there: rare)
        for rows in (gathered.rows, gathered.added):
            for key, row in rows.items():
                if rewrite or gathered.has(row):
                    put(row, column, gathered.figure(row), gathered.style(row))
                points = dict(history.get(key, ())) if history else {}
                for d, c in moved.items():
                    put(row, c, points.get(d), "history")
    else:
        out.styled_cells = FigureCells(out.styled_cells, gathered, column, rewrite)
    # The same date again with no row to add: the writer checks whether every figure is already
    # there in its style, and leaves the sheet as it is when it is (see SheetWrites.unchanged).
    out.unchanged = not new_column and not moved and not out.fit_rows
    return out


def _date_columns(where: HistoryLayout, as_of: dt.date) -> dict[dt.date, int]:
    """Each report date's column once ``as_of`` has one: its own when it is there already; else the
    next column after the last date, or — when ``as_of`` goes before a later date (or the columns are
    out of order) and the date columns sit side by side — every date in date order, the later ones
    one column right."""
    if as_of in where.dates:
        return dict(where.dates)
    if not where.dates:
        return {as_of: where.last_col + 1}
    cols = sorted(where.dates.values())
    in_order = sorted(where.dates, key=where.dates.__getitem__) == sorted(where.dates)
    # The columns can be laid out again only where nothing but dates is: side by side, and the
    # last one the header's last cell.
    movable = cols == list(range(cols[0], cols[0] + len(cols))) and cols[-1] == where.last_col
    if (as_of > max(where.dates) and in_order) or not movable:
        return {**where.dates, as_of: where.last_col + 1}
    return {d: cols[0] + i for i, d in enumerate(sorted([*where.dates, as_of]))}
