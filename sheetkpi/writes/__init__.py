"""What a run writes, independent of how: the file writer and the Excel (xlwings) adapter both apply
the same :class:`WritePlan`, so a workbook ends up identical whichever way it was recalculated."""

from __future__ import annotations

import codecs
import math
import re
from bisect import bisect_right
from collections.abc import Callable, Container, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from itertools import accumulate
from typing import Any, NamedTuple

from ..cells import Areas
from ._widths import BOLD, PIXELS_PER_EM, REGULAR

MAX_CELL_TEXT = 32_767  # the most characters a cell holds (Excel's limit)
_ELLIPSIS = "…"


def fit_text(text: str | None) -> str | None:
    """``text`` cut to what a cell holds, ending with "…" when cut: sheetkpi copies people's texts
    (obstacles, titles) into cells with a prefix, and a department's full cell must not stop a run."""
    if text is None or len(text) <= MAX_CELL_TEXT:
        return text
    return text[: MAX_CELL_TEXT - len(_ELLIPSIS)] + _ELLIPSIS


# Row heights for wrapped text, which neither Excel nor LibreOffice fits to merged cells by itself.
LINE_POINTS = 1.3  # a line of text takes 1.3 × its font size (15 pt for 11 pt)
MAX_ROW_POINTS = 409
# A line's room in a cell: 6.97 pixels of a 96-dpi screen a unit of column width (near the 7 of
# Excel's rule, the "0" of the workbook's font), less 4 for the cell's margins, in the pixels of
# the widths (15 a em where the screen has 14.67 at 11 pt). Fitted, with the widths of ._widths,
# to LibreOffice's optimal heights of 403 lines of ../shared/seeds in six widths (2,418 cells, none
# a line short, 11 regular and 27 bold a line tall), where counting characters at 1.15 a unit left
# one in four a line short ("KCN Hoàng Mai II" on "Tổng hợp" among them). tests/test_text_fit.py
# checks it against LibreOffice on other texts.
PIXELS_PER_UNIT = 6.97
CELL_MARGIN_PIXELS = 4
_SCREEN_PER_EM = 11 * 96 / 72  # 11 pt on a 96-dpi screen: the widths are at PIXELS_PER_EM, 15
# Spaces LibreOffice does not break a line at, though str.split() takes them for white space: the
# no-break space Word types with Ctrl+Shift+Space, the figure space, the narrow no-break space.
_NO_BREAK = ("\xa0", "\u2007", "\u202f")
_BREAKS = re.compile(f"[^\\S{''.join(_NO_BREAK)}]+")  # white space but those


_EM = chr(PIXELS_PER_EM)
_TABLE_END = max(first + len(run) for first, run in REGULAR.items())


def _table(runs: dict[int, str]) -> str:
    """str.translate's table: at each code point below the last the font widths go to, the
    character's width in pixels as a character (an em for one the font lacks: a row a little tall
    reads, a clipped one does not). A str, not a dict: a third faster to translate with."""
    widths = [_EM] * _TABLE_END
    for first, run in runs.items():
        widths[first:first + len(run)] = run.translate(_DIGITS)
    return "".join(widths)


_DIGITS = {c: chr(c - 48) for c in range(48, 128)} | {32: _EM}  # ._widths' characters -> widths
_TABLES = (_table(REGULAR), _table(BOLD))
_WIDEST = ord(max(max(t) for t in _TABLES))
# What translate leaves as it is, past the table's end (CJK, emoji…), is an em wide too.
codecs.register_error("sheetkpi-em", lambda e: (_EM * (e.end - e.start), e.end))


def _widths(text: str, bold: bool) -> bytes:
    """Each character's width in pixels (see :func:`text_width`)."""
    return text.translate(_TABLES[bold]).encode("latin-1", "sheetkpi-em")


class Line(NamedTuple):
    """The room of a line of text in a cell, in pixels (see :func:`text_width`), and whether the
    text is bold."""

    room: float
    bold: bool = False


def text_width(text: str, bold: bool = False) -> int:
    """How wide ``text`` prints on one line in Times New Roman at 11 pt, in pixels at 15 per em."""
    return sum(_widths(text, bold))


def line_of(width: float, bold: bool = False, size: float = 11) -> Line:
    """The line of a cell ``width`` units of column width wide, for text of ``size`` points."""
    pixels = max(1.0, PIXELS_PER_UNIT * width - CELL_MARGIN_PIXELS)
    # (Whole pixels: every width is one, and a room a hair under one would count a line more.)
    return Line(float(math.floor(pixels * PIXELS_PER_EM / _SCREEN_PER_EM * 11 / size)), bold)


def text_lines(text: str, width: float, *, bold: bool = False) -> int:
    """How many lines ``text`` takes wrapped at word boundaries in a cell ``width`` units of column
    width wide (see :func:`wrapped_lines`)."""
    return line_count(str(text), line_of(width, bold))


def line_count(text: str, line: Line) -> int:
    """How many lines ``text`` takes in ``line`` (see :func:`wrapped_lines`)."""
    if len(text) * _WIDEST <= line.room and "\n" not in text:
        return 1  # a short text on one line, whatever its characters
    return wrapped_lines(text, line.room, line.bold)


_KEPT_COUNTS = 1 << 12  # texts a column's LineCounts keeps


class LineCounts(dict):
    """How many lines each text takes in one cell's ``line`` (:func:`line_count`), each text measured
    once: a column repeats its texts down the rows (outputs, statuses, deadlines), and a run measures
    every row's. Emptied when full (a column of titles is mostly texts met once)."""

    __slots__ = ("line",)

    def __init__(self, line: Line) -> None:
        super().__init__()
        self.line = line

    def __missing__(self, text: str) -> int:
        count = line_count(text, self.line)
        if len(self) >= _KEPT_COUNTS:
            self.clear()
        self[text] = count
        return count


def wrapped_lines(text: str, room: float, bold: bool = False) -> int:
    """How many lines ``text`` takes wrapped in lines ``room`` pixels wide, as LibreOffice wraps it:
    its words one space apart, each line ending before the first word that does not fit; a word
    longer than a line is broken as :func:`_broken` says. (LibreOffice also breaks after the hyphen
    inside some words that would fit on the next line, "2026-" / "2030": not counting those errs
    towards a line more.) Measured afresh each call: :class:`LineCounts` keeps a column's counts."""
    spaced = _SPACED_WORDS[bold]
    space = _SPACES[bold]
    lines = 0
    for paragraph in text.split("\n") if "\n" in text else (text,):
        lines += 1
        # Any white space between words is one space, none at the ends; a no-break space joins.
        # (Three searches for a character are a fifth of one for any of them.)
        joined = _NO_BREAK[0] in paragraph or _NO_BREAK[1] in paragraph or _NO_BREAK[2] in paragraph
        words = _BREAKS.split(paragraph.strip()) if joined else paragraph.split()
        if not words:
            continue  # an empty paragraph is a line
        # ends[i]: the width of words[:i + 1], a space after each; the words from a line's first to
        # words[i] take ends[i] - base - space, base being what comes before the line
        ends = list(accumulate(map(spaced.__getitem__, words)))
        last = len(words) - 1
        start, base = 0, 0
        while True:
            fits = bisect_right(ends, base + space + room) - 1  # the last word the line holds
            if fits < start:  # a word wider than a line: its last piece starts the line
                more, rest = _broken(words[start], room, bold)
                lines += more
                base = ends[start] - rest - space
            elif fits >= last:
                break
            else:
                lines += 1
                start, base = fits + 1, ends[fits]
    return lines


def _broken(word: str, room: float, bold: bool) -> tuple[int, int]:
    """A word wider than a line, broken as LibreOffice breaks it, again and again: after the last
    hyphen or slash that fits ("125/KH-" / "UBND-"), else at the first character that does not fit
    (a character wider than the line alone on one): the lines it takes after its first, and the
    width of its last piece."""
    ends = list(accumulate(_widths(word, bold), initial=0))
    pos, more = 0, 0
    while ends[-1] - ends[pos] > room:
        fit = bisect_right(ends, ends[pos] + room) - 1  # word[pos:fit] fits, one more does not
        cut = max(word.rfind("-", pos, fit), word.rfind("/", pos, fit))
        pos = cut + 1 if cut >= pos else max(fit, pos + 1)
        if pos == len(word):
            break
        more += 1
    return more, ends[-1] - ends[pos]


class _SpacedWords(dict):
    """Each word's width in pixels with a space after it, measured once: departments write with a few
    thousand words (Vietnamese words are syllables), and wrapping a text word by word from here costs
    a third of measuring it character by character. Emptied when full, which a run's codes and
    figures fill."""

    def __init__(self, bold: bool) -> None:
        super().__init__()
        self._bold = bold

    def __missing__(self, word: str) -> int:
        width = text_width(word, self._bold) + _SPACES[self._bold]
        if len(word) <= 64:  # (a cell of one long word is not kept)
            if len(self) >= 1 << 15:
                self.clear()
            self[word] = width
        return width


_SPACES = (text_width(" "), text_width(" ", True))
_SPACED_WORDS = (_SpacedWords(False), _SpacedWords(True))


DEFAULT_WIDTH = 8.43  # Excel's width of a column nobody sized


def fitted_heights(fit_rows: Mapping[int, Mapping[int, str]], widths: dict[int, float],
                   bold_rows: Container[int] = ()) -> RowHeights:
    """The heights the rows of :attr:`SheetWrites.fit_rows` need in columns this wide (the rows of
    ``bold_rows`` in bold): rows one after the other as a byte of lines each ("Lịch sử"'s rows
    added, 300,000 at 300,000 KPIs into an emptied sheet, took 18 MiB as a dict of floats)."""
    columns: tuple[dict[int, LineCounts], ...] = ({}, {})  # regular, bold: column -> its texts' counts
    heights = RowHeights()
    first, run = 0, []  # the counts of lines of the rows one after the other being gathered, from ``first``
    for row, texts in fit_rows.items():
        lines = 1
        bold = row in bold_rows
        counted = columns[bold]
        for col, text in texts.items():
            counts = counted.get(col)
            if counts is None:
                counts = counted[col] = LineCounts(line_of(widths.get(col, DEFAULT_WIDTH), bold))
            n = counts[text if type(text) is str else str(text)]
            if n > lines:
                lines = n
        if run and row == first + len(run):
            run.append(lines)
            continue
        if row >= first + len(run):  # (rows out of order are given their height one by one)
            heights.add_lines(first, run)
            first, run = row, [lines]
        elif lines > 1:  # (one line of 11 pt needs no height)
            heights[row] = height_of_lines(lines)
    heights.add_lines(first, run)
    return heights


@cache
def height_of_lines(lines: int) -> float | None:
    """The height (points) ``lines`` lines of 11-point text need; None for one line. (One float for
    each count of lines: "Tổng hợp" at 300,000 KPIs sized 158,000 rows, each with a float of its own.)"""
    return _height(lines * 11 * LINE_POINTS)


class RowHeights(Mapping[int, float]):
    """Row heights (points) by row: rows given a height one at a time, and runs of rows sized by
    their count of lines (:meth:`add_lines`), a byte a row. "Tổng hợp" sizes a row per KPI it lists
    (300,000 KPIs: 160,000 rows, which as a dict of floats took 15 MiB)."""

    __slots__ = ("_given", "_firsts", "_lines", "_count", "_last")

    def __init__(self, given: Mapping[int, float] = ()) -> None:
        self._given: dict[int, float] = dict(given)
        self._firsts: list[int] = []  # each run's first row, rising
        self._lines: list[bytes] = []  # each run's count of lines per row (1: no height of its own)
        self._count = 0  # the rows of the runs with a height
        self._last = 0  # the run of the row asked for last (rows are asked for in order)

    def __setitem__(self, row: int, height: float) -> None:
        self._given[row] = height

    def add_lines(self, first: int, lines: Sequence[int]) -> None:
        """The rows from ``first`` on, each ``lines[i]`` lines of 11-point text high (see
        :func:`height_of_lines`), after every row added before."""
        if not lines:
            return
        if self._firsts and first < self._firsts[-1] + len(self._lines[-1]):
            raise ValueError(f"rows from {first} added after row {self._firsts[-1] + len(self._lines[-1]) - 1}")
        runs = bytes(min(n, 255) for n in lines)  # (past 30 lines a row is as high as a row can be)
        self._firsts.append(first)
        self._lines.append(runs)
        self._count += len(runs) - runs.count(1) - runs.count(0)

    def _lines_of(self, row: int) -> int:
        k = self._last
        firsts = self._firsts
        if not (k < len(firsts) and 0 <= row - firsts[k] < len(self._lines[k])):
            k = bisect_right(firsts, row) - 1
            if k < 0 or row - firsts[k] >= len(self._lines[k]):
                return 0
            self._last = k
        return self._lines[k][row - firsts[k]]

    def get(self, row: int, default: float | None = None) -> float | None:
        found = self._given.get(row)
        if found is not None:
            return found
        lines = self._lines_of(row) if self._firsts and type(row) is int else 0
        return height_of_lines(lines) if lines > 1 else default

    def __getitem__(self, row: int) -> float:
        found = self.get(row)
        if found is None:
            raise KeyError(row)
        return found

    def __contains__(self, row: object) -> bool:
        return self.get(row) is not None

    def __iter__(self) -> Iterator[int]:
        yield from self._given
        for first, lines in zip(self._firsts, self._lines):
            yield from (first + i for i, n in enumerate(lines) if n > 1 and first + i not in self._given)

    def __len__(self) -> int:
        return len(self._given) + self._count - sum(1 for row in self._given if self._lines_of(row) > 1)


def row_height(texts, *, bold: bool = False) -> float | None:
    """The height (points) a row needs to show each of ``texts`` — (text, width in units of column
    width, font size) — whole; None when one line is enough."""
    need = 0.0
    for text, width, size in texts:
        if text:
            need = max(need, line_count(str(text), line_of(width, bold, size)) * size * LINE_POINTS)
    return _height(need)


def _height(need: float) -> float | None:
    # 409 pt is the most a row can be in Excel; a longer text scrolls within its cell.
    return min(round(need + 2, 1), MAX_ROW_POINTS) if need > 15 * 1.01 else None


# Semantic styles; each backend maps them to its own formatting (see STYLE_SPECS). Fonts are the
# workbook's own (its default font), sizes only where they differ.
STYLE_SPECS: dict[str, dict] = {
    "title": {"bold": True, "size": 14, "halign": "center", "valign": "center", "wrap": True},
    "subtitle": {"italic": True, "halign": "center", "valign": "center", "wrap": True},
    "subtitle_bold": {"bold": True, "size": 12, "halign": "center", "valign": "center", "wrap": True},
    "section": {"bold": True, "size": 12, "valign": "center"},
    "header": {"bold": True, "fill": "DDEBF7", "wrap": True, "halign": "center", "valign": "center", "border": True},
    "header_date": {"bold": True, "fill": "DDEBF7", "halign": "center", "valign": "center", "border": True,
                    "num_fmt": "dd/mm/yyyy"},
    "text": {"wrap": True, "valign": "top", "border": True},
    "line": {"valign": "top"},  # unwrapped: long text runs on over the empty cells to its right
    "number": {"num_fmt": "#,##0.00", "valign": "top", "border": True},
    "integer": {"num_fmt": "0", "halign": "center", "valign": "top", "border": True},
    "date": {"num_fmt": "dd/mm/yyyy", "halign": "center", "valign": "top", "border": True},
    "change": {"num_fmt": "+#,##0.00;-#,##0.00;0.00", "valign": "top", "border": True},
    "ratio": {"num_fmt": "0.0", "halign": "center", "valign": "top", "border": True},
    "total": {"bold": True, "fill": "F2F2F2", "border": True, "num_fmt": "#,##0.00", "valign": "top", "wrap": True},
    "total_int": {"bold": True, "fill": "F2F2F2", "border": True, "num_fmt": "0", "halign": "center", "valign": "top"},
    "total_change": {"bold": True, "fill": "F2F2F2", "border": True, "num_fmt": "+#,##0.00;-#,##0.00;0.00",
                     "valign": "top"},
    # "Lịch sử": figures as the template shows them (General, centred); a fall since the last report in red.
    "history": {"halign": "center", "valign": "top", "border": True},
    "history_fall": {"halign": "center", "valign": "top", "border": True, "fill": "FFC7CE", "color": "9C0006"},
    "plain": {},
}


class Rows(Sequence[list]):
    """The rows of a block, ``width`` values each, made when asked for: pieces of rows
    given as they are (:meth:`add`) and pieces made from items (:meth:`add_made`: an item's row is
    made each time it is asked for). "Tổng hợp" lists tens of thousands of KPIs: its rows are made
    while the sheet renders, never all held (the file writer makes them a slice at a time)."""

    def __init__(self, width: int) -> None:
        self.width = width
        self._starts: list[int] = []  # the index of each piece's first row
        self._pieces: list[tuple[Sequence, Callable[[Any], list] | None]] = []  # (rows or items, make)
        self._count = 0
        self._last = 0  # the piece of the row asked for last

    def add(self, row: list) -> None:
        """One row, as it is."""
        if len(row) != self.width:
            raise ValueError(f"a row of {len(row)} values among rows of {self.width}")
        if not self._pieces or self._pieces[-1][1] is not None:
            self._starts.append(self._count)
            self._pieces.append(([], None))
        self._pieces[-1][0].append(row)
        self._count += 1

    def add_made(self, items: Sequence, make: Callable[[Any], list]) -> None:
        """A row for each of ``items``, ``make(item)``."""
        if items:
            self._starts.append(self._count)
            self._pieces.append((items, make))
            self._count += len(items)

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, i: int) -> list:
        if i < 0:
            i += self._count
        if not 0 <= i < self._count:
            raise IndexError(i)
        k = self._last  # (rows are mostly asked for in order: the piece of the last one first)
        if not self._starts[k] <= i < (self._starts[k + 1] if k + 1 < len(self._starts) else self._count):
            k = self._last = bisect_right(self._starts, i) - 1
        rows, make = self._pieces[k]
        found = rows[i - self._starts[k]]
        return found if make is None else make(found)

    def __iter__(self) -> Iterator[list]:
        for rows, make in self._pieces:
            yield from (rows if make is None else map(make, rows))


@dataclass
class Block:
    """A rectangle of values from (row, col); stale values below it in the same columns are cleared.

    ``styles`` has, per row, one semantic style name for the whole row, a list with one per column,
    or None to keep the cells' own styles. ``rows``: a list, or :class:`Rows` made when asked for.
    """

    row: int
    col: int
    rows: list[list[Any]] | Rows
    styles: list[str | list[str | None] | None] | None = None
    clear_below: bool = True

    @cached_property
    def width(self) -> int:
        # Cached: writers ask for it once per row, and "Tổng hợp" can have tens of thousands of rows
        # (a block's rows are complete when it is made); rows made when asked for are not made for it.
        if isinstance(self.rows, Rows):
            return self.rows.width
        return max((len(r) for r in self.rows), default=0)

    def cell_count(self) -> int:
        """The cells of its rows as given, before padding."""
        if isinstance(self.rows, Rows):
            return len(self.rows) * self.rows.width  # (every row as wide: not made to count them)
        return sum(len(r) for r in self.rows)


@dataclass
class Chart:
    """A clustered column chart over ranges of the same sheet."""

    anchor: tuple[int, int, int, int]  # from row, from col, to row, to col (1-based)
    title: str
    categories: str  # "A7:A11"
    series: list[tuple[str, str]]  # (name, "D7:D11")
    labels: bool = True  # values written on the bars


@dataclass
class SheetWrites:
    """Everything written into one sheet."""

    sheet: str
    create: bool = False  # the sheet does not exist yet and must be added at the end
    cells: dict[tuple[int, int], Any] = field(default_factory=dict)  # existing cells: keep their style
    styled_cells: dict[tuple[int, int], tuple[Any, str]] = field(default_factory=dict)  # new cells: (value, style)
    blocks: list[Block] = field(default_factory=list)
    chart: Chart | None = None
    # A sheet sheetkpi lays out whole ("Tổng hợp"): what an earlier run left is gone, rows, styles and
    # merges alike, and the layout below is applied; pictures and charts on it are kept.
    whole: bool = False
    # Applied to a sheet created or laid out whole:
    column_widths: dict[int, float] = field(default_factory=dict)
    print_titles: tuple[int, int] | None = None  # A4 landscape, one page wide, repeating these rows
    merges: Areas = field(default_factory=Areas)  # (1, 1, 1, 15): A1:O1
    freeze: tuple[int, int] | None = None  # (row, column) of the first cell that scrolls
    page_breaks: list[int] = field(default_factory=list)  # rows a printed page starts at
    row_heights: Mapping[int, float] = field(default_factory=dict)  # points, rows whose text wraps (see RowHeights)
    # On any sheet: rows whose texts (column -> text) must show whole; each book sizes them with the
    # sheet's own column widths (a file) or lets the spreadsheet program fit them (Excel, Calc).
    fit_rows: dict[int, dict[int, str]] = field(default_factory=dict)
    fit_bold: set[int] = field(default_factory=set)  # the rows of fit_rows in bold (a total row)
    # The sheet may need no writing ("Lịch sử": no row or column to add; a unit tab: every value of
    # ``cells`` read there already, see layout.engine_digest, which knows a date by its format). A
    # writer that finds each cell already written as it would write it (``styled_cells``: in its
    # style too) and the rows tall enough leaves the sheet untouched.
    unchanged: bool = False

    def cell_count(self) -> int:
        """How many cells these writes set (a block's cells as given, before padding)."""
        return len(self.cells) + len(self.styled_cells) + sum(b.cell_count() for b in self.blocks)


@dataclass
class WritePlan:
    """All the sheets one run writes, in workbook order."""

    sheets: list[SheetWrites] = field(default_factory=list)

    def cell_count(self) -> int:
        return sum(s.cell_count() for s in self.sheets)
