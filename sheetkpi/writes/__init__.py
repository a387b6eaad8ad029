"""What a run writes, independent of how: the file writer and the Excel (xlwings) adapter both apply
the same :class:`WritePlan`, so a workbook ends up identical whichever way it was recalculated."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

from ..cells import Areas

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
CHARS_PER_UNIT = 1.15  # characters of Vietnamese text in Times New Roman per unit of column width
BOLD_CHARS_PER_UNIT = 1.0


def text_lines(text: str, width: float, *, bold: bool = False) -> int:
    """How many lines ``text`` takes wrapped at word boundaries in a cell ``width`` characters wide
    (an estimate that errs towards one line more: a row a little tall reads, a clipped one does not)."""
    return line_count(str(text), line_chars(width, bold))


def line_chars(width: float, bold: bool = False) -> int:
    """How many characters a line holds in a cell ``width`` characters wide."""
    return max(1, int(width * (BOLD_CHARS_PER_UNIT if bold else CHARS_PER_UNIT)) - 1)


def line_count(text: str, per_line: int) -> int:
    """How many lines ``text`` takes in lines of ``per_line`` characters (see :func:`wrapped_lines`)."""
    if len(text) <= per_line and "\n" not in text:
        return 1  # most cells: a short text on one line
    return wrapped_lines(text, per_line)


@lru_cache(maxsize=1 << 12)
def wrapped_lines(text: str, per_line: int) -> int:
    """How many lines ``text`` takes wrapped in lines of ``per_line`` characters: its words one space
    apart (as wrapped), each line ending at the last space that fits, or, in a word longer than a
    line, at the line's end (the word is broken anywhere). Cached: departments repeat their texts
    from row to row, and a run measures every row's texts."""
    lines = 0
    for paragraph in text.split("\n") if "\n" in text else (text,):
        # Printable text has no white space but the plain space: with no two together and none at
        # either end, it is already as wrapped (most texts; a split and join cost a third of a run's
        # "Tổng hợp" plan).
        if paragraph.isprintable() and "  " not in paragraph and paragraph[:1] != " " and paragraph[-1:] != " ":
            words = paragraph
        else:
            words = " ".join(paragraph.split())
        lines += 1
        pos, end = 0, len(words)
        while end - pos > per_line:
            space = words.rfind(" ", pos, pos + per_line + 1)
            pos = space + 1 if space > pos else pos + per_line
            lines += 1
    return lines


DEFAULT_WIDTH = 8.43  # Excel's width of a column nobody sized


def fitted_heights(fit_rows: dict[int, dict[int, str]], widths: dict[int, float]) -> dict[int, float]:
    """The heights the rows of :attr:`SheetWrites.fit_rows` need in columns this wide."""
    per_line: dict[int, int] = {}  # column -> characters a line holds, found once per sheet
    heights = {}
    for row, texts in fit_rows.items():
        lines = 1
        for col, text in texts.items():
            n = per_line.get(col)
            if n is None:
                n = per_line[col] = line_chars(widths.get(col, DEFAULT_WIDTH))
            lines = max(lines, line_count(text if type(text) is str else str(text), n))
        if lines > 1:  # (one line of 11 pt needs no height)
            heights[row] = height_of_lines(lines)
    return heights


def height_of_lines(lines: int) -> float | None:
    """The height (points) ``lines`` lines of 11-point text need; None for one line."""
    return _height(lines * 11 * LINE_POINTS)


def row_height(texts, *, bold: bool = False) -> float | None:
    """The height (points) a row needs to show each of ``texts`` — (text, width in characters, font
    size) — whole; None when one line is enough."""
    need = 0.0
    for text, width, size in texts:
        if text:
            need = max(need, line_count(str(text), line_chars(width, bold)) * size * LINE_POINTS)
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
    row_heights: dict[int, float] = field(default_factory=dict)  # points, rows whose text wraps
    # On any sheet: rows whose texts (column -> text) must show whole; each book sizes them with the
    # sheet's own column widths (a file) or lets the spreadsheet program fit them (Excel, Calc).
    fit_rows: dict[int, dict[int, str]] = field(default_factory=dict)
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
