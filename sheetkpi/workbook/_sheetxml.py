"""Streaming edits of worksheet XML.

A worksheet part is split into head (everything up to ``<sheetData>``), the rows, and tail. Rows are
found by searching the bytes; a row that holds no written cell is copied as it is, byte for byte. A
write has one shape: the runs of a row (``RowRun``: cells side by side, their values as given).
A row that changes takes one of two paths (:class:`SheetEditor`):

- **bytes**: the cells of each run are *simple* (``r`` first, then ``s`` and ``t``, empty or holding a
  value or a plain inline string) and side by side; one regular-expression match per run finds
  them, and the run is rendered over them, missing cells created in their place. A new row is
  rendered straight from its runs.
- **lxml**: anything else (a formula or an extension in a written cell, a cell written otherwise,
  a cell without ``r`` where a cell must be placed, a namespace prefix, comments, a pending
  shared-formula promotion). The row is parsed as a small fragment inside a wrapper that
  re-declares the worksheet's namespaces, edited and serialized. It is also the oracle the byte path
  is tested against (``tests/test_sheet_editor.py``).

A 100,000-row sheet is never built as one tree, nor held whole: it is read and edited in windows of
rows as it is inflated (:func:`sheet_windows`), the same bytes whatever the windows.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from heapq import merge
from itertools import chain, repeat
from operator import itemgetter
from typing import Any, NamedTuple

from lxml import etree

from .. import cells
from ..cells import col_index, col_letter, row_index
from ._xml import MAIN_NS, REL_NS, XML_SPACE, escape_attr, inline_string, unescape_xstring, xstring_pieces
from .xmlsafe import PackageError, parse_xml, safe_parser, xml_invalid

_NAME = rb"(?:[A-Za-z_][\w.\-]*:)?"  # an optional namespace prefix
_SHEETDATA = re.compile(rb"<(" + _NAME + rb")sheetData(?=[\s/>])[^>]*?(/?)>")
# A row: self-closing, or up to its end tag (scanning only at "<", much faster than a lazy ".*?").
_ROW = re.compile(
    rb"<" + _NAME + rb"row(?=[\s/>])([^>]*?)(?:/>|>[^<]*(?:<(?!/" + _NAME + rb"row\s*>)[^<]*)*</" + _NAME + rb"row\s*>)"
)
_CELL_TAG = re.compile(rb"<" + _NAME + rb"c(?=[\s/>])([^>]*?)(/?)>")
_ATTR_R = re.compile(rb"""\sr\s*=\s*["']([^"']*)["']""")
_ATTR_S = re.compile(rb"""\ss\s*=\s*["']([^"']*)["']""")
_ATTR_SI = re.compile(rb"""\ssi\s*=\s*["']([^"']*)["']""")
_ATTR_SPANS = re.compile(rb"""\sspans\s*=\s*["']([^"']*)["']""")
_DIMENSION = re.compile(rb"""(<""" + _NAME + rb"""dimension(?=[\s/>])[^>]*?\sref\s*=\s*["'])([^"']*)(["'])""")
_ROOT = re.compile(rb"<([A-Za-z_][\w.\-:]*)")
_CELL_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]+)")
# Markup among rows that sends a row holding it to lxml: comments and CDATA, processing instructions.
_MARKS = (b"<!", b"<?")


def _has_marks(xml: bytes, start: int, end: int) -> bool:
    """Whether ``xml[start:end]`` holds a comment, CDATA or a processing instruction. (A search for
    one byte, "!" or "?", is many times faster than for two, and mostly finds none.)"""
    return any(xml.find(mark[1:], start, end) >= 0 and xml.find(mark, start, end) >= 0 for mark in _MARKS)

# Children of <worksheet> that must come after <drawing> (ECMA-376 CT_Worksheet order).
_AFTER_DRAWING = {
    "legacyDrawing", "legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls",
    "webPublishItems", "tableParts", "extLst",
}


# ---------------------------------------------------------------------------------------------
# Cell references


def cell_ref(row: int, col: int, absolute: bool = False) -> str:
    """(5, 2) -> "B5" (or "$B$5")."""
    return f"${col_letter(col)}${row}" if absolute else f"{col_letter(col)}{row}"


def parse_cell(ref: str) -> tuple[int, int]:
    """"B5" or "$B$5" -> (5, 2); anything else raises ``ref-invalid``."""
    m = _CELL_REF.fullmatch(ref.strip())
    if not m or int(m.group(2)) < 1:
        raise PackageError("ref-invalid", f"Địa chỉ ô không hợp lệ: '{ref}'.")
    return int(m.group(2)), col_index(m.group(1))


@lru_cache(maxsize=16384)
def _letters_col(letters: str) -> int:
    if not (1 <= len(letters) <= 3 and letters.isascii() and letters.isalpha()):
        raise PackageError("ref-invalid", f"Địa chỉ ô không hợp lệ: '{letters}'.")
    return col_index(letters)


def ref_col(ref: str) -> int:
    """Column of a cell reference as stored in r="B12" (the hot path of row editing)."""
    return _letters_col(ref.rstrip("0123456789"))


def parse_range(ref: str) -> tuple[int, int, int, int]:
    """:func:`sheetkpi.cells.parse_range`, refusing a bad reference as the package's ``ref-invalid``."""
    try:
        return cells.parse_range(ref)
    except ValueError:
        raise PackageError("ref-invalid", f"Vùng ô không hợp lệ: '{ref}'.") from None


def range_ref(r1: int, c1: int, r2: int, c2: int) -> str:
    """(5, 1, 9, 4) -> "A5:D9"; a single cell collapses to "A5"."""
    return cell_ref(r1, c1) if (r1, c1) == (r2, c2) else f"{cell_ref(r1, c1)}:{cell_ref(r2, c2)}"


# ---------------------------------------------------------------------------------------------
# What to write


class Typed(NamedTuple):
    """A value a run does not keep as given: written as ``<v>text</v>`` with ``t="cell_type"``
    (None: a number, "b": a boolean). ``fallback`` names the number format ("date", "datetime") the
    cell gets when it would otherwise carry the default style, so that a date reads as one."""

    cell_type: str | None
    text: str
    fallback: str | None = None


# A run: cells of one row written together, as (first column, values, styles): column col + i
# gets values[i] and the xf index styles[i] (None: an existing cell keeps its style, a new one
# takes the style of the cell above). A value is None (empty the cell), an int, a finite float,
# a clean str or a Typed. The rows of a block share one styles tuple. A plain tuple, not a
# NamedTuple: a run is made for every row written, and a plain tuple of plain values is made in
# half the time and left alone by the garbage collector.
RowRun = tuple[int, tuple, tuple]
Runs = tuple[RowRun, ...]  # the runs of a row, in column order, never overlapping


def run_values(values, width: int, encode: Callable[[Any], Any]) -> tuple:
    """A block's row as its run keeps it: each value encoded (``encode``, which checks it; None,
    the most frequent value of a table, needs none), padded with None to ``width``."""
    cells = [v if v is None else encode(v) for v in values]
    if len(cells) < width:
        cells += [None] * (width - len(cells))
    return tuple(cells)


class MadeRuns(Mapping[int, Runs]):
    """The runs of a block of rows, each made when its row is asked for (``encode``: a value as a
    run keeps it), from rows that are themselves made when asked for: "Tổng hợp"'s tens of
    thousands of list rows are never held whole, neither as values nor as runs, only while they
    are rendered. ``styles``: per row, the styles of the row's run (checked by the writer). Every
    cell with a value must have a style, so that the editor's survey is the styles'
    (:meth:`survey`): a row that breaks this raises ValueError when it is made.
    """

    __slots__ = ("_first", "_col", "_rows", "_styles", "_width", "_encode", "_start", "_shapes")

    def __init__(self, first: int, col: int, rows, styles: list[tuple], width: int,
                 encode: Callable[[Any], Any], start: int = 0) -> None:
        self._first, self._col, self._rows, self._styles = first, col, rows, styles
        self._width, self._encode = width, encode
        self._start = start  # the first of ``rows`` these are (see :meth:`after`)
        self._shapes: dict[int, tuple] = {}  # id of a styles tuple -> _shape(it)

    def __getitem__(self, row: int) -> Runs:
        if row not in self:
            raise KeyError(row)
        i = row - self._first
        styles = self._styles[i]
        cells = run_values(self._rows[i], self._width, self._encode)
        unstyled = self._shape(styles)[0]
        if unstyled and any(cells[j] is not None for j in unstyled):
            # (A value without a style would have its column's style tracked: not so in a block made
            # when asked for, whose survey is its styles'.)
            raise ValueError(f"row {row} writes a value without a style")
        return ((self._col, cells, styles),)

    def __contains__(self, row: object) -> bool:
        return type(row) is int and self._start <= row - self._first < len(self._styles)

    def __iter__(self) -> Iterator[int]:
        return iter(range(self._first + self._start, self._first + len(self._styles)))

    def __len__(self) -> int:
        return len(self._styles) - self._start

    def after(self, kept: int) -> MadeRuns:
        """These runs but the first ``kept`` rows."""
        return MadeRuns(self._first, self._col, self._rows, self._styles, self._width, self._encode,
                        self._start + kept)

    def survey(self) -> tuple[set[int], tuple[int, int, int, int] | None]:
        """What :meth:`SheetEditor._survey` finds, from the styles alone: no column tracked, and the
        extent of the styled cells."""
        r1 = r2 = 0
        c1, c2 = MAX_COL + 1, 0
        for i in range(self._start, len(self._styles)):
            span = self._shape(self._styles[i])[1]
            if span is None:
                continue
            r1 = r1 or self._first + i
            r2 = self._first + i
            c1, c2 = min(c1, self._col + span[0]), max(c2, self._col + span[1])
        return set(), ((r1, c1, r2, c2) if r2 else None)

    def _shape(self, styles: tuple) -> tuple[tuple[int, ...], tuple[int, int] | None]:
        """The columns of a run's ``styles`` without a style, and the first and last with one (None:
        none has), found once per styles tuple (the rows of a list share theirs)."""
        shape = self._shapes.get(id(styles))
        if shape is None:
            styled = [j for j, st in enumerate(styles) if st is not None]
            shape = self._shapes[id(styles)] = (tuple(j for j, st in enumerate(styles) if st is None),
                                                (styled[0], styled[-1]) if styled else None)
        return shape


class ColumnRuns(Mapping[int, Runs]):
    """One cell per row of ``rows`` (rising) in the column ``col``, ``values[i]`` (NaN: emptied) in
    the styles ``styles[i]`` (a run's styles tuple), each row's run made when the row is asked for:
    "Lịch sử"'s 300,000 figures are never held as runs (a tuple of tuples a row) before its render
    (written over the writes before them: :class:`StackedRuns`)."""

    __slots__ = ("_col", "_rows", "_values", "_styles", "_encode")

    def __init__(self, col: int, rows, values, styles, encode: Callable[[Any], Any]) -> None:
        self._col, self._rows, self._values, self._styles = col, rows, values, styles
        self._encode = encode

    def __getitem__(self, row: int) -> Runs:
        i = row_index(self._rows, row)
        if i < 0:
            raise KeyError(row)
        value = self._values[i]
        return ((self._col, (self._encode(None if value != value else value),), self._styles[i]),)  # (NaN is not)

    def __contains__(self, row: object) -> bool:
        return row_index(self._rows, row) >= 0

    def items(self) -> Iterator[tuple[int, Runs]]:  # type: ignore[override]
        # (In one pass, not a search a row: the editor's survey asks for every row in turn.)
        col, encode = self._col, self._encode
        for row, value, styles in zip(self._rows, self._values, self._styles):
            yield row, ((col, (encode(None if value != value else value),), styles),)

    def __iter__(self) -> Iterator[int]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)


class StackedRuns(Mapping[int, Runs]):
    """The runs pending in a sheet: those of ``base`` (by row) and, written after them (winning
    where they overlap), those of ``top``; either may be made when a row is asked for
    (:class:`ColumnRuns`, :class:`MadeRuns`) and is then not held as runs before the sheet renders.
    Each is a dict or gives its rows rising."""

    __slots__ = ("_base", "_top")

    def __init__(self, base: Mapping[int, Runs], top: Mapping[int, Runs]) -> None:
        self._base, self._top = base, top

    @property
    def top(self) -> Mapping[int, Runs]:
        """The runs written last (a dict: the writes that came after rows made when asked for)."""
        return self._top

    def __getitem__(self, row: int) -> Runs:
        made = self._top.get(row)
        if made is None:
            return self._base[row]
        runs = self._base.get(row)
        for run in made:
            runs = add_run(runs, run)
        return runs

    def __contains__(self, row: object) -> bool:
        return row in self._top or row in self._base

    def items(self) -> Iterator[tuple[int, Runs]]:  # type: ignore[override]
        """Each row's runs, rows rising, in one pass over both (the editor's survey asks for every row)."""
        lower, upper = (iter(sorted(runs.items()) if type(runs) is dict else runs.items())
                        for runs in (self._base, self._top))
        below, above = next(lower, None), next(upper, None)
        while below is not None or above is not None:
            if above is None or (below is not None and below[0] < above[0]):
                yield below
                below = next(lower, None)
                continue
            if below is None or above[0] < below[0]:
                yield above
            else:
                runs = below[1]
                for run in above[1]:
                    runs = add_run(runs, run)
                yield above[0], runs
                below = next(lower, None)
            above = next(upper, None)

    def __iter__(self) -> Iterator[int]:
        last = None
        for row in merge(*(sorted(runs) if type(runs) is dict else runs for runs in (self._base, self._top))):
            if row != last:
                last = row
                yield row

    def __len__(self) -> int:
        return len(self._top) + sum(1 for row in self._base if row not in self._top)


class _InTurn:
    """The runs of ``rows`` (a mapping whose ``items()`` give its rows rising) by row, taken from one
    pass over its items as long as rows are asked for rising; a row asked for out of turn is looked
    up."""

    __slots__ = ("_rows", "_items", "_at")

    def __init__(self, rows: Mapping[int, Runs]) -> None:
        self._rows, self._items = rows, iter(rows.items())
        self._at: tuple[int, Runs | None] = (0, None)  # the last row taken, and its runs

    def __getitem__(self, row: int) -> Runs:
        at = self._at
        while at[0] < row:
            at = self._at = next(self._items, (MAX_ROW + 2, None))  # (past every row once all are taken)
        return at[1] if at[0] == row else self._rows[row]


def add_run(runs: Runs | None, run: RowRun) -> Runs:
    """A row's runs with ``run`` written over them (it wins where they overlap)."""
    if runs is None:
        return (run,)
    col, values, _ = run
    return tuple(sorted([*without(runs, col, col + len(values) - 1), run], key=itemgetter(0)))


def without(runs: Iterable[RowRun], c1: int, c2: int) -> list[RowRun]:
    """The runs with columns c1..c2 taken out (a run across them leaves a part on each side)."""
    kept = []
    for run in runs:
        col, values, styles = run
        if c2 < col or c1 >= col + len(values):
            kept.append(run)
            continue
        left, right = c1 - col, c2 + 1 - col
        if left > 0:
            kept.append((col, values[:left], styles[:left]))
        if right < len(values):
            kept.append((c2 + 1, values[right:], styles[right:]))
    return kept


@dataclass(frozen=True, slots=True)
class ClearRange:
    """Empty every existing cell in columns c1..c2 from row r1 to r2 (None: to the end)."""

    r1: int
    r2: int | None
    c1: int
    c2: int

    def covers_row(self, row: int) -> bool:
        return row >= self.r1 and (self.r2 is None or row <= self.r2)


MAX_ROW, MAX_COL = 1_048_576, 16_384  # Excel's sheet size
_BATCH_ROWS = 2000  # rows parsed together by lxml at most: fewer parser calls, bounded memory
_PIECES = 512  # pieces of output joined before they are handed on
WINDOW = 1 << 20  # bytes of rows a pass over a sheet read in pieces holds at once (see sheet_windows)


class _RunShape(NamedTuple):
    """What the runs of one shape (first column, styles) share."""

    heads: list[tuple[int, str, str | None, str, bool]]  # per cell: column, how it starts (<c r="P),
    # its given style, that style as it follows the row number (" s="12"), whether the column is tracked
    outside: bool  # a tracked column lies outside the run
    first: bytes  # how the run's first cell starts: b'<c r="P'
    cells: re.Pattern  # the run's simple cells side by side, some possibly missing (see _simple_run)
    # When every cell has its style given and no column is tracked, what they render to does not
    # depend on the cells there: the run's cells with {0} for the row number and {1}… for the bodies.
    template: str | None


@dataclass(slots=True)
class _Promotion:
    """A shared formula whose master cell was overwritten: the next dependant becomes master."""

    formula: str
    origin: tuple[int, int]
    last_row: int
    first_col: int
    last_col: int


# ---------------------------------------------------------------------------------------------
# Splitting


@dataclass(slots=True)
class SheetParts:
    """A worksheet split around its rows: ``head`` ends with the <sheetData> start tag, the rows
    are ``xml[start:end]`` (not copied: a big sheet's body is most of its bytes)."""

    head: bytes
    xml: bytes
    start: int
    end: int
    tail: bytes  # starts with </sheetData>
    ns: str  # namespace of sheetData (the main namespace, whatever its prefix)
    nsmap: dict  # namespaces in scope at sheetData
    root_tag: bytes  # qualified name of the root element, as written
    _wrapper: bytes | None = None

    @property
    def body(self) -> bytes:
        return self.xml[self.start: self.end]

    def join(self) -> bytes:
        return b"".join((self.head, self.body, self.tail))

    def fragment(self, inner: bytes, part: str, parser: etree.XMLParser | None = None) -> etree._Element:
        """Parse ``inner`` (rows, or the tail's elements) inside a wrapper element that declares
        every namespace in scope at sheetData, so prefixes resolve as in the whole document."""
        if self._wrapper is None:
            self._wrapper = b"<w" + b"".join(
                (b' xmlns="%s"' % escape_attr(uri).encode() if prefix is None
                 else b' xmlns:%s="%s"' % (prefix.encode(), escape_attr(uri).encode()))
                for prefix, uri in self.nsmap.items()
            ) + b">"
        try:
            return etree.fromstring(self._wrapper + inner + b"</w>", parser or safe_parser())
        except etree.XMLSyntaxError as exc:
            raise xml_invalid(part, str(exc)) from exc


def split_sheet(xml: bytes, part: str) -> SheetParts:
    """Split worksheet XML into head, rows and tail; an empty ``<sheetData/>`` becomes an empty body."""
    return next(sheet_windows([xml], part, None))


def sheet_windows(pieces: Iterable[bytes], part: str, size: int | None) -> Iterator[SheetParts]:
    """A worksheet whose XML comes in ``pieces`` (see :meth:`Parts.pieces`) as windows of about
    ``size`` bytes of whole rows: each a :class:`SheetParts` whose rows are ``xml[start:end]``, all
    with the sheet's head, the last with its tail (the others with none). An edit of a big sheet
    holds a window of it, never the whole (``size`` None: one window, the whole sheet).

    A window ends after a row's end tag ("</row>"). From a comment, CDATA or processing instruction
    among the rows on (which may hold that text without ending a row), or when no "</row>" ends a
    window (prefixed rows), the rest is one window.
    """
    pieces = iter(pieces)
    data, m = b"", None
    for piece in pieces:
        data += piece
        if m := _SHEETDATA.search(data):
            break
    root = _ROOT.search(data)
    if not m or not root:
        raise xml_invalid(part, "thiếu sheetData")
    prefix, selfclosing = m.group(1), m.group(2)
    end_tag = b"</" + prefix + b"sheetData>"
    # Parsing the head (closed right after sheetData) checks it is well-formed, rejects a DTD, and
    # tells which namespaces the rows live in.
    head_doc = parse_xml(data[: m.start()] + b"<" + prefix + b"sheetData/></" + root.group(1) + b">", part)
    sheet_data = head_doc[-1]
    ns, nsmap, root_tag = etree.QName(sheet_data).namespace or "", sheet_data.nsmap, root.group(1)
    if selfclosing:
        xml = b"".join([data, *pieces])
        open_tag = m.group(0)[:-2].rstrip() + b">"
        yield SheetParts(xml[: m.start()] + open_tag, xml, m.end(), m.end(), end_tag + xml[m.end():], ns, nsmap,
                         root_tag)
        return
    head, body, cut_from = data[: m.end()], data, m.end()
    windowed = size is not None
    while True:
        # As many windows as the bytes at hand hold, each ending at the first row's end past its size.
        while windowed and len(body) - cut_from >= size:
            cut = body.find(b"</row>", cut_from + max(size - 6, 0))
            if cut < 0:
                # No row ends past the size (prefixed rows, "</row >"): past a few MiB, the rest is
                # gathered at once rather than copied again at each piece.
                windowed = len(body) - cut_from < max(4 * size, 4 << 20)
                break
            cut += 6
            if _has_marks(body, cut_from, cut) or body.find(end_tag[:-1], cut_from, cut) >= 0:
                windowed = False  # the rest in one window
                break
            yield SheetParts(head, body, cut_from, cut, b"", ns, nsmap, root_tag)
            cut_from = cut
        if not windowed:  # the rest gathered at once (not copied again at each piece)
            rest = list(pieces)
            if rest:
                body, cut_from = b"".join([body[cut_from:], *rest]), 0
            del rest  # (not held beside what it was joined into)
            break
        piece = next(pieces, None)
        if piece is None:
            break
        body, cut_from = body[cut_from:] + piece, 0
    # Found by its name (a search for a literal is many times faster than for a pattern starting with
    # "<"), then checked to end the tag and not to stand in a comment, CDATA or instruction.
    name = end_tag[:-1]
    close = body.find(name, cut_from)
    while close >= 0:
        inside = _markup_around(body, cut_from, close)
        if inside < 0 and _TAG_CLOSE.match(body, close + len(name)):
            break
        close = body.find(name, max(close + 1, inside))
    if close < 0:
        raise xml_invalid(part, "sheetData không được đóng")
    yield SheetParts(head, body, cut_from, close, body[close:], ns, nsmap, root_tag)


_TAG_CLOSE = re.compile(rb"\s*>")
_MARKUP_ENDS = ((b"<!--", b"-->"), (b"<![CDATA[", b"]]>"), (b"<?", b"?>"))


def _markup_around(xml: bytes, start: int, at: int) -> int:
    """Where the comment, CDATA section or processing instruction holding ``xml[at]`` ends (those
    from ``start`` on), or -1 when none holds it."""
    if not _has_marks(xml, start, at):
        return -1
    pos = start
    while True:
        found = [i for i in (xml.find(b"<!", pos, at), xml.find(b"<?", pos, at)) if i >= 0]
        if not found:
            return -1
        begin = min(found)
        for opening, closing in _MARKUP_ENDS:
            if xml.startswith(opening, begin):
                end = xml.find(closing, begin + len(opening))
                end = len(xml) if end < 0 else end + len(closing)
                break
        else:
            end = begin + 2  # ("<!" of nothing rows may hold: stepped over)
        if end > at:
            return end
        pos = end


def unwrap(wrapper: etree._Element) -> bytes:
    """Serialize what :meth:`SheetParts.fragment` parsed, without the wrapper element."""
    if not len(wrapper) and not wrapper.text:
        return b""
    data = etree.tostring(wrapper, encoding="utf-8", xml_declaration=False)
    return data[data.index(b">") + 1: -len(b"</w>")]


def iter_rows(parts: SheetParts, part: str, prev: int = 0) -> Iterator[tuple[int, int, int]]:
    """(start, end, row number) of each ``<row>`` of the sheet: its span in ``parts.xml``, and its
    number (implicit when ``r`` is absent). ``prev``: the number of the row before the first (a
    window's rows follow the previous window's)."""
    xml = parts.xml
    for start, end, attrs, attrs_end in _row_spans(parts):
        if xml.startswith(b' r="', attrs):  # as nearly every producer writes it
            number = xml[attrs + 4: xml.find(b'"', attrs + 4, attrs_end)]
        else:
            rm = _ATTR_R.search(xml, attrs, attrs_end)
            number = rm.group(1) if rm else None
        try:
            row = int(number) if number is not None else prev + 1
        except ValueError:
            raise xml_invalid(part, f"số hàng không hợp lệ {number!r}") from None
        if row <= prev:
            # Rows must ascend; guessing where to insert into a disordered sheet could corrupt it.
            raise xml_invalid(part, f"hàng {row} đứng sau hàng {prev}")
        yield start, end, row
        prev = row


_SPACE = frozenset(b" \t\r\n")
_TAG_END = _SPACE | frozenset(b"/>")


def _row_spans(parts: SheetParts) -> Iterator[tuple[int, int, int, int]]:
    """(start, end, attributes start, attributes end) of each row element. Rows written plainly,
    side by side, are found by plain searches (a fraction of the regular expression's time); from
    anything else on (a prefix, a comment between rows), by the regular expression."""
    xml, pos, end = parts.xml, parts.start, parts.end
    find = xml.find
    while True:
        start = find(b"<row", pos, end)
        if start != pos and xml[pos: start if start >= 0 else end].strip():
            break  # something else comes first
        if start < 0:
            return
        close = find(b">", start, end)
        if close < 0 or xml[start + 4] not in _TAG_END:
            break
        if xml[close - 1] == 0x2F:  # "/>": an empty row
            pos = close + 1
            yield start, pos, start + 4, close - 1
            continue
        stop = find(b"</row", close, end)
        if stop < 0 or xml[stop + 5] != 0x3E:  # not "</row>"
            break
        pos = stop + 6
        yield start, pos, start + 4, close
    for m in _ROW.finditer(xml, pos, end):
        yield m.start(), m.end(), m.start(1), m.end(1)


def _col_at(xml: bytes, at: int) -> int:
    """The column of the cell whose start tag ``<c r="`` is at ``at``."""
    return ref_col(xml[at + 6: xml.find(b'"', at + 6)].decode())


def widen_spans(spans: str, cols: Iterable[int]) -> str:
    """A row's ``spans`` ("2:5", or several: "1:3 5:9") widened to cover the columns ``cols``, as one
    span; an unreadable value is replaced by the span of ``cols``."""
    try:
        bounds = [int(x) for span in spans.split() for x in span.split(":")]
    except ValueError:
        bounds = []
    bounds.extend(cols)
    return f"{min(bounds)}:{max(bounds)}"


def _cells_in(xml: bytes, start: int = 0, end: int | None = None) -> Iterator[tuple[int, bytes, bool]]:
    """(column, attribute bytes, is self-closing) of each cell start tag of a row (``xml[start:end]``),
    without parsing."""
    col = 0
    for m in _CELL_TAG.finditer(xml, start, len(xml) if end is None else end):
        rm = _ATTR_R.search(m.group(1))
        col = ref_col(rm.group(1).decode()) if rm else col + 1
        yield col, m.group(1), bool(m.group(2))


# A simple cell, as sheetkpi, Excel, LibreOffice and openpyxl write one: r first, then s and t, no
# whitespace, empty or holding a value or a plain inline string (the rest of it after its column).
_SIMPLE_REST = (rb'"(?: s="([0-9]+)")?(?: t="[A-Za-z]+")?'
                rb'(/>|>(?:<v>[^<]*</v>|<is><t(?: xml:space="preserve")?>[^<]*</t></is>)?</c>)')


@lru_cache(maxsize=256)
def _simple_run(col: int, count: int) -> re.Pattern:
    """Simple cells of the ``count`` columns from ``col`` side by side in one row, the first one
    required, any other one possibly missing: groups are the row number, then, per column, the s
    of its cell and its end (None when there is no such cell)."""
    return re.compile(b"".join(
        b'<c r="' + col_letter(col).encode() + rb"([0-9]+)" + _SIMPLE_REST if i == 0
        else b'(?:<c r="' + col_letter(col + i).encode() + rb"\1" + _SIMPLE_REST + b")?"
        for i in range(count)
    ))


def new_rows(rows: Mapping[int, Runs], heights: Mapping[int, float], part: str) -> Iterator[bytes]:
    """The XML of ``rows`` created below every row of a sheet, as the sheet editor writes them
    when no column's style is tracked (see :meth:`SheetEditor.leave`; a value written without a
    style, which tracks its column, is refused: ValueError)."""
    editor = SheetEditor(replace(_rows_alone()), part, rows, [], _no_fallback, heights=heights)
    if editor.tracked:
        raise ValueError("a row to render alone writes a value without a style")
    return editor.run()


@lru_cache(maxsize=1)
def _rows_alone() -> SheetParts:
    """A sheet with no rows, and neither head nor tail: what the editor makes of it is the rows."""
    empty = split_sheet(f'<worksheet xmlns="{MAIN_NS}"><sheetData/></worksheet>'.encode(), "xl/worksheets/rows.xml")
    return replace(empty, head=b"", tail=b"")


def _no_fallback(kind: str) -> int:
    raise ValueError(f"a {kind} format would be needed")


def _body(value: object) -> str:
    """What follows a cell's attributes (r, s) for ``value``, as lxml's :meth:`SheetEditor._write`
    leaves it: a text as an inline string, a number in its <v>, nothing as an empty cell."""
    kind = type(value)
    if kind is str:
        body = _TEXT_BODIES.get(value)
        if body is None:
            body = f' t="inlineStr"><is>{inline_string(value)}</is></c>'
            if len(value) <= _KEPT_TEXT:
                _keep(_TEXT_BODIES, value, body)
        return body
    if kind is float:
        body = _NUMBER_BODIES.get(value)
        if body is None:
            body = f"><v>{value!r}</v></c>"  # repr of a float is its str
            if value:  # (0.0 and -0.0 are one key, not one body: neither is kept)
                _keep(_NUMBER_BODIES, value, body)
        return body
    if kind is int:
        return f"><v>{value!r}</v></c>"
    if value is None:
        return "/>"
    return f' t="{value.cell_type}"><v>{value.text}</v></c>' if value.cell_type else f"><v>{value.text}</v></c>"


# Bodies of the texts and numbers a run writes again and again (statuses, units, scores, progress
# figures down a tab and "Tổng hợp"'s lists), made once: a few thousand, then afresh; texts up to a
# line long (a sheet of long unique texts does not keep them).
_TEXT_BODIES: dict[str, str] = {}
_NUMBER_BODIES: dict[float, str] = {}
_KEPT_BODIES = 1 << 11
_KEPT_TEXT = 120


def _keep(bodies: dict, value: object, body: str) -> None:
    if len(bodies) >= _KEPT_BODIES:
        bodies.clear()
    bodies[value] = body


class SheetEditor:
    """Applies runs and clear ranges to one worksheet's XML in a single streaming pass.

    ``rows`` maps a row number to its runs. After :meth:`run`, ``removed_formulas`` holds the
    cells whose formula was removed (their calcChain entries must go); ``byte_rows`` counts the
    rows written by the byte path and ``lxml_rows`` lists those edited by lxml, so that tests see
    which path wrote what. ``lxml_only`` sends every row through lxml: the tests' oracle.
    ``heights``: the least height (points, custom) of rows: a row the pass creates gets it, an
    existing row grows to it when it is shorter by a pixel or more (a height the Office chose
    that is enough stays), in the same pass.
    """

    def __init__(self, parts: SheetParts, part: str, rows: Mapping[int, Runs], clears: list[ClearRange],
                 resolve_fallback: Callable[[str], int], lxml_only: bool = False,
                 heights: Mapping[int, float] | None = None, more: Iterable[SheetParts] = ()):
        self.parts = parts  # the window of the sheet being edited (see sheet_windows), first the first
        self.more = more  # the windows after ``parts``: the head is the first's, the tail the last's
        self.heights = heights or {}
        self.part = part
        self.rows = rows
        self.keys = sorted(rows)  # written rows in sheet order, consumed as the pass goes
        # The pass asks for each row's runs in rising order: runs made as they are asked for over
        # layers ("Lịch sử"'s figures over its other writes) are taken in one pass, not looked up
        # row by row in each layer.
        self._runs = _InTurn(rows) if isinstance(rows, (StackedRuns, ColumnRuns)) else rows
        self.clears = clears
        self.clear_from = min((c.r1 for c in clears), default=MAX_ROW + 1)  # rows above are not cleared
        self.resolve_fallback = resolve_fallback
        self.promotions: dict[str, _Promotion] = {}
        self.removed_formulas: set[tuple[int, int]] = set()
        self.byte_rows = 0
        self.lxml_rows: list[int] = []
        # The one style tracker: down each column where a value is written without a style
        # (tracked), the s of the nearest cell (None: it has none), which a new cell takes. (The extent: of the cells
        # that will exist after the edit, which <dimension> grows to.)
        self.tracked, self.extent = rows.survey() if isinstance(rows, MadeRuns) else self._survey()
        self.last_style: dict[int, str | None] = {}
        ns = parts.ns
        self.t_row, self.t_c, self.t_f, self.t_v, self.t_is, self.t_r, self.t_t = (
            f"{{{ns}}}{name}" for name in ("row", "c", "f", "v", "is", "r", "t")
        )
        self.content_tags = {self.t_f, self.t_v, self.t_is}
        self.parser = safe_parser()
        # Rows are written as bytes only where unprefixed names are in the sheet's namespace.
        self.byte_path = not lxml_only and parts.nsmap.get(None) == ns
        # Comments, CDATA, processing instructions among the window's rows: rows holding one go to lxml.
        self.marked_up = False
        self._shapes: dict[tuple, _RunShape] = {}
        self._blanks: dict[int, tuple] = {}  # (None,) * width: the values and styles of a clear

    def _survey(self) -> tuple[set[int], tuple[int, int, int, int] | None]:
        """The columns where a value is written without a style, and the extent of the cells written that will
        exist afterwards (with a value or a style): (first row, first column, last row, last column)."""
        tracked: set[int] = set()
        settled: set[tuple] = set()  # shapes whose unstyled columns are all tracked (a block's rows share theirs)
        r1, c1, r2, c2 = MAX_ROW + 1, MAX_COL + 1, 0, 0
        for row, runs in self.rows.items():
            lo = hi = 0
            for run in runs:
                col, values, styles = run
                if (col, styles) not in settled:
                    # A column is tracked where a cell may be made without a style: a value written
                    # there with none given (an empty value makes no cell; an existing one keeps its s).
                    tracked.update(col + i for i, (value, style) in enumerate(zip(values, styles))
                                   if style is None and value is not None)
                    if all(col + i in tracked for i, style in enumerate(styles) if style is None):
                        settled.add((col, styles))
                # Cells without a style exist afterwards only when they get a value.
                i, j = 0, len(values) - 1
                while i <= j and values[i] is None and styles[i] is None:
                    i += 1
                while j > i and values[j] is None and styles[j] is None:
                    j -= 1
                if i <= j:
                    lo, hi = lo or col + i, col + j  # runs are in column order
            if not hi:
                continue
            # (Comparisons rather than min and max: this runs for each of 100,000 rows.)
            if row < r1:
                r1 = row
            if row > r2:
                r2 = row
            if lo < c1:
                c1 = lo
            if hi > c2:
                c2 = hi
        return tracked, ((r1, c1, r2, c2) if r2 else None)

    def can_leave(self) -> bool:
        """Whether rows may be left to another render (:meth:`leave`): a sheet with no rows yet,
        read as one window, written by bytes, where no column's style is tracked (each row's bytes
        then depend on its runs and height alone)."""
        # (``more``: a sheet read in windows has a generator of them, never empty to this test.)
        return not self.tracked and not self.more and self.parts.start == self.parts.end and self.byte_path

    def leave(self, kept: int) -> Mapping[int, Runs]:
        """Leave the rows to write after the first ``kept`` of them to another render
        (:func:`new_rows`, the same bytes; see :meth:`can_leave`) and return their runs. (The
        extent of the written cells, which <dimension> covers, stays the whole sheet's.)"""
        if not self.can_leave():
            raise ValueError("rows may be left to another render only in a sheet with none yet")
        left = self.rows.after(kept) if isinstance(self.rows, MadeRuns) else \
            {row: self.rows[row] for row in self.keys[kept:]}
        del self.keys[kept:]
        return left

    # -- the pass ---------------------------------------------------------------------------

    def run(self) -> Iterator[bytes]:
        """The edited worksheet XML, in pieces as the pass goes (a big sheet is never held whole)."""
        self._k, self._prev = 0, 0  # the next written row to place; the number of the last row passed
        out: list[bytes] = [self._head()]
        window = self.parts
        self._carried: list[tuple[int, Runs, tuple[int, int] | None]] = []
        for following in chain(self.more, [None]):
            self.parts = window
            self.marked_up = _has_marks(window.xml, window.start, window.end)
            carry = yield from self._window(window, out, last=following is None)
            if carry:
                # Rows of a batch held while a shared formula's promotion is pending go on with the
                # next window's, as when the sheet is one window (see _window).
                rows = carry + following.xml[following.start: following.end]
                following = replace(following, xml=rows, start=len(carry), end=len(rows), _wrapper=None)
            window = following
        yield b"".join(out)
        yield self.parts.tail  # on its own: a laid-out sheet's merges can make it megabytes

    def _window(self, parts: SheetParts, out: list[bytes], last: bool) -> Generator[bytes, None, bytes]:
        """The pass over one window's rows, into ``out`` (handed on whenever it has grown); the
        rows to create after every existing one come with the last. Returns the bytes of rows
        waiting in a batch for a promotion, which start the next window (else b"")."""
        xml, runs_of, keys, k = parts.xml, self._runs, self.keys, self._k
        n = len(keys)
        last_target = keys[-1] if keys else 0
        # Consecutive rows for lxml: those carried from the window before, which are its start.
        batch, self._carried = self._carried, []
        begin = 0 if batch else parts.start  # the source before pos is in out or in the batch, which starts at begin
        pos = last_end = parts.start
        byte_path, clear_from, promotions, heights = self.byte_path, self.clear_from, self.promotions, self.heights
        # After the last window's last row, a row that is never written: where the rows to create
        # after every existing one go.
        ending = [(None, None, MAX_ROW + 1)] if last else ()
        for start, end, row in chain(iter_rows(parts, self.part, self._prev), ending):
            if start is None:
                start = end = last_end
            else:
                self._prev = row
            last_end = end
            if len(out) >= _PIECES:
                yield b"".join(out)
                out.clear()
            first = k
            while k < n and keys[k] < row:
                k += 1
            news = keys[first:k] if k > first else ()  # rows to create before this one
            runs = None
            if k < n and keys[k] == row:
                runs = runs_of[row]
                k += 1
            if row >= clear_from:
                runs = self._with_clears(row, runs, start, end)
            # A batch is applied before the next row is looked at, as it may start a shared-formula
            # promotion the row takes part in; rows go on joining it while promotions are pending.
            if batch and (runs is None or news and byte_path or not promotions or len(batch) >= _BATCH_ROWS):
                out.append(self._lxml(batch, begin))
                batch = []
            if runs is None and promotions and self._takes_promotion(xml, start, end, row):
                runs = ()
            if news:
                if not batch:
                    out.append(xml[pos: start])
                    begin = pos = start
                if byte_path:
                    yield from self._new_rows(news, out)
                else:
                    batch.extend((r, runs_of[r], None) for r in news)
            if runs is None:
                if batch:
                    out.append(self._lxml(batch, begin))
                    batch = []
                if self.tracked and row < last_target:
                    self._track(xml, start, end)
                if (want := heights.get(row)) is not None and start < end and (grown := _grown(xml, start, want)):
                    out.append(xml[pos: grown[0]])
                    out.append(grown[2])
                    pos = grown[1]
                continue
            if not batch and byte_path:
                splices = self._byte_row(row, runs, start, end)
                if splices is not None:
                    for cut, resume, data in splices:
                        out.append(xml[pos: cut])  # what is kept since the last change
                        out.append(data)
                        pos = resume
                    continue
            if not batch:
                out.append(xml[pos: start])
                begin = start
            batch.append((row, runs, (start, end)))
            pos = end
        self._k = k
        if batch and promotions and not last:
            # Held for a promotion: in one window, the next rows would join it (their bytes as lxml
            # writes them), so they do in the next window.
            self._carried = [(row, runs, span and (span[0] - begin, span[1] - begin)) for row, runs, span in batch]
            return xml[begin: parts.end]
        if batch:  # a window's last rows (up to pos): the next window starts a batch of its own
            out.append(self._lxml(batch, begin))
        out.append(xml[pos: parts.end])
        return b""

    def _with_clears(self, row: int, runs: Runs | None, start: int, end: int) -> Runs | None:
        """The runs of a row with the clear ranges over it added as runs of None (which empty the
        existing cells and create none), when a cell they cover holds something; the row's own
        runs win where they overlap (they were written after the clear)."""
        clears = [c for c in self.clears if c.covers_row(row)]
        if not clears:
            return runs
        filled = [col for col, _, empty in _cells_in(self.parts.xml, start, end) if not empty]
        cleared = None
        for c in clears:
            if any(c.c1 <= col <= c.c2 for col in filled):
                blank = self._blanks.get(c.c2 - c.c1)
                if blank is None:
                    blank = self._blanks[c.c2 - c.c1] = (None,) * (c.c2 - c.c1 + 1)
                cleared = add_run(cleared, (c.c1, blank, blank))
        for run in runs if cleared is not None and runs else ():
            cleared = add_run(cleared, run)
        return runs if cleared is None else cleared

    def _takes_promotion(self, xml: bytes, start: int, end: int, row: int) -> bool:
        """Whether this row may hold the next master of a shared formula whose master was overwritten."""
        if any(p.origin[0] <= row <= p.last_row for p in self.promotions.values()):
            return any(si.decode() in self.promotions for si in _ATTR_SI.findall(xml, start, end))
        return False

    def _track(self, xml: bytes, start: int, end: int) -> None:
        """Follow the styles of the tracked columns through a row whose cells keep theirs."""
        for col, attrs, _ in _cells_in(xml, start, end):
            if col in self.tracked:
                sm = _ATTR_S.search(attrs)
                self.last_style[col] = sm.group(1).decode() if sm else None

    def _head(self) -> bytes:
        """The head with <dimension ref> grown to cover the written cells."""
        m = _DIMENSION.search(self.parts.head)
        if not m or not self.extent:
            return self.parts.head
        r1, c1, r2, c2 = self.extent
        try:
            d1, e1, d2, e2 = parse_range(m.group(2).decode())
            r1, c1, r2, c2 = min(r1, d1), min(c1, e1), max(r2, d2), max(c2, e2)
        except PackageError:
            pass  # an unreadable dimension is replaced by one that is right for what we wrote
        new = range_ref(r1, c1, r2, c2).encode()
        return self.parts.head[: m.start(2)] + new + self.parts.head[m.end(2):]

    # -- the byte path ----------------------------------------------------------------------

    def _byte_row(self, row: int, runs: Runs, start: int, end: int) -> list[tuple[int, int, bytes]] | None:
        """The row ``xml[start:end]`` with its runs written, as the spans of the sheet to replace,
        in order: (from, to, new bytes). None when the row needs lxml (see the module's docstring).

        Everything that may send the row to lxml is checked before a cell is rendered: rendering
        follows the styles of the tracked columns."""
        xml = self.parts.xml
        if self.promotions or self.marked_up and self._marked(xml, start, end):
            return None
        shapes = self._shapes
        spots = []
        created = False
        for run in runs:
            spot = self._locate(xml, row, run, shapes.get((run[0], run[2])) or self._shape(run), start, end)
            if spot is None:
                return None
            spots.append(spot)
            if None in spot[5]:
                created = True
        widened = None
        if created:
            widened = self._widened(start, end, spots)
            if widened is False:
                return None
        want = self.heights.get(row)
        grown = _grown(xml, start, want) if want else None
        if grown:
            if widened:  # the spans widened within the attributes that get the height
                (a, b, _), (c, d, spans) = grown, widened
                grown = a, b, _height_attrs(xml[a:c] + spans + xml[d:b], want)
            widened = grown
        if self.tracked and (spots[0][1].outside if len(spots) == 1 else not self.tracked.issubset(
                col for c, values, _ in runs for col in range(c, c + len(values)))):
            self._track(xml, start, end)  # a tracked column not written here keeps its cell's style
        self.byte_rows += 1
        splices = []
        for run, shape, cut, resume, olds, present in spots:
            splices.append((cut, resume, self._cells(row, run, olds, present, shape).encode()))
        if xml[end - 2] == 0x2F:  # "<row .../>", which gets cells: "<row ...>cells</row>"
            cells = b"".join(data for _, _, data in splices)
            splices = [(end - 2, end, b">" + cells + b"</row>")] if cells else []
        if widened:
            splices.insert(0, widened)
        return splices

    @staticmethod
    def _marked(xml: bytes, start: int, end: int) -> bool:
        """Whether the row ``xml[start:end]`` holds a comment, CDATA or a processing instruction."""
        return _has_marks(xml, start, end)

    def _locate(self, xml: bytes, row: int, run: RowRun, shape: _RunShape, start: int, end: int) -> tuple | None:
        """Where the run's cells are in the row ``xml[start:end]``: (run, shape, then the span they
        take, to be replaced by the rendered run, and per column of the run, the s of its cell and
        whether it exists (None: it does not)). None unless every existing cell in the run's
        columns is simple and they are side by side."""
        col, values, _ = run
        last = col + len(values) - 1
        # Searched from the end: the columns a run writes are mostly the last ones (engine columns).
        first = xml.rfind(shape.first + b'%d"' % row, start, end)
        cells = shape.cells
        if first < 0:
            # The first cell right of the run's first column, walking back from the row's end.
            first, at = -1, xml.rfind(b"<c", start, end)
            while at >= 0:
                if not xml.startswith(b'<c r="', at):
                    return None  # a cell whose r is missing or not first: only lxml knows its column
                at_col = _col_at(xml, at)
                if at_col < run[0]:
                    break
                first, col = at, at_col
                at = xml.rfind(b"<c", start, at)
            if first < 0:  # every cell lies left of the run: its cells go at the end of the row
                if xml.find(b"<extLst", start, end) >= 0:
                    return None  # (before the row's extensions: lxml places them)
                first = end - 2 if xml[end - 2] == 0x2F else xml.rfind(b"</", start, end)
                col = last + 1
            if col > last:  # no cell in the run's columns: its cells go here
                return run, shape, first, first, (None,) * len(values), (None,) * len(values)
            cells = _simple_run(col, last - col + 1)
        m = cells.match(xml, first, end)
        if m is None:
            return None
        groups = m.groups()
        olds, present = groups[1::2], groups[2::2]
        resume = m.end()
        # When the run's last cells are missing, what follows the match must be the row's end or a
        # cell right of the run: a cell that is not simple may be in its columns.
        if present[-1] is None and not (xml.startswith(b"</", resume) or xml.startswith(b'<c r="', resume)
                                        and _col_at(xml, resume) > last):
            return None
        if col > run[0]:
            missing = (None,) * (col - run[0])
            olds, present = missing + olds, missing + present
        return run, shape, first, resume, olds, present

    def _widened(self, start: int, end: int, spots: list) -> tuple[int, int, bytes] | None | bool:
        """The row's spans, grown over the cells its runs create: the splice that writes them, None
        when the row has no spans or nothing is created, False when only lxml knows the row's
        bounds (a cell without r starts or ends it)."""
        xml = self.parts.xml
        tag_end = xml.find(b">", start, end)  # the row's start tag
        spans = _ATTR_SPANS.search(xml, start, tag_end) if xml.find(b"spans", start, tag_end) >= 0 else None
        if spans is None:
            return None
        cols = [col for run, shape, _, _, _, present in spots
                for (col, _, given, _, _), value, exists in zip(shape.heads, run[1], present)
                if exists is None and (value is not None or given is not None)]
        if not cols:
            return None
        for at in {xml.find(b"<c", start, end), xml.rfind(b"<c", start, end)} - {-1}:
            if not xml.startswith(b'<c r="', at):
                return False
            cols.append(_col_at(xml, at))  # cells are in column order: these two bound the row's
        return spans.start(1), spans.end(1), widen_spans(spans.group(1).decode(), cols).encode()

    def _shape(self, run: RowRun) -> _RunShape:
        """What the runs of one shape share (a block's rows share theirs)."""
        first, _, styles = run
        shape = self._shapes.get((first, styles))
        if shape is None:
            heads = []
            for col, given in enumerate(styles, first):
                style = None if given is None else str(given)
                heads.append((col, f'<c r="{col_letter(col)}', style, f'" s="{style}"', col in self.tracked))
            fixed = all(given is not None and not tracked for _, _, given, _, tracked in heads)
            template = "".join(f"{start}{{0}}{styled}{{{i}}}" for i, (_, start, _, styled, _) in enumerate(heads, 1))
            shape = self._shapes[(first, styles)] = _RunShape(
                heads, not self.tracked.issubset(range(first, first + len(styles))),
                b'<c r="' + col_letter(first).encode(), _simple_run(first, len(styles)), template if fixed else None)
        return shape

    def _new_rows(self, numbers: Iterable[int], out: list[bytes]) -> Iterator[bytes]:
        """Rows to create, added to ``out``, which is handed on whenever it has grown (a block
        of new rows can be most of a sheet)."""
        rows = self._runs
        for row in numbers:
            cells = "".join([self._cells(row, run, repeat(None), repeat(None), self._shape(run)) for run in rows[row]])
            self.byte_rows += 1
            if cells:
                height = self.heights.get(row)
                tall = f' ht="{height:g}" customHeight="1"' if height else ""
                out.append(f'<row r="{row}"{tall}>{cells}</row>'.encode())
                if len(out) >= _PIECES:
                    yield b"".join(out)
                    out.clear()

    def _cells(self, row: int, run: RowRun, olds: Iterable, present: Iterable, shape: _RunShape) -> str:
        """The one cell renderer: the cells of a run, as lxml's :meth:`_write` leaves them. Per
        cell, ``present`` tells whether it exists (anything but None) and ``olds`` the s of that
        simple cell (None: it has none). A written cell keeps its style unless the run gives one;
        a new cell takes the style from above; nothing is made for an empty value without a style."""
        number = str(row)
        if shape.template is not None:  # (most rows of a block: "Tổng hợp" has tens of thousands)
            return shape.template.format(number, *["/>" if v is None else _body(v) for v in run[1]])
        last_style = self.last_style
        out: list[str] = []
        # (olds and present repeat None without end for a new row)
        for value, (col, start, given, styled, tracked), old, exists in zip(run[1], shape.heads, olds, present):
            if value is None and exists is None and given is None:
                continue  # nothing to empty in a new cell
            body = _body(value)
            kind = type(value)
            if given is not None:
                if not tracked:
                    out.append(f"{start}{number}{styled}{body}")  # most cells of a block
                    continue
                style = given
            else:
                style = last_style.get(col) if exists is None else old.decode() if old else None
                if kind is Typed and value.fallback and style in (None, "0"):
                    style = str(self.resolve_fallback(value.fallback))
            if tracked:
                last_style[col] = style
            out.append(f'{start}{number}" s="{style}"{body}' if style is not None else f'{start}{number}"{body}')
        return "".join(out)

    # -- the lxml path ----------------------------------------------------------------------

    def _lxml(self, batch: list[tuple[int, Runs, tuple[int, int] | None]], begin: int) -> bytes:
        """Rows parsed once from ``begin`` (existing rows, consecutive, with new rows among them),
        each edited in row order, serialized once."""
        spans = [span for _, _, span in batch if span]
        chunk = self.parts.xml[begin: spans[-1][1]] if spans else b""
        wrapper = self.parts.fragment(chunk, self.part, self.parser)
        existing = list(wrapper.iterchildren(self.t_row))
        k = 0
        for row, runs, span in batch:
            self.lxml_rows.append(row)
            if span:
                el = existing[k]
                k += 1
                want = self.heights.get(row)
                if want and not _tall_enough((el.get("ht") or "").encode(), want):
                    # (removed first: set again, they come last, as in the byte path)
                    el.attrib.pop("ht", None)
                    el.attrib.pop("customHeight", None)
                    el.set("ht", f"{want:g}")
                    el.set("customHeight", "1")
            elif any(value is not None or style is not None
                     for _, values, styles in runs for value, style in zip(values, styles)):
                el = etree.Element(self.t_row, r=str(row))
                if self.heights.get(row):
                    el.set("ht", f"{self.heights[row]:g}")
                    el.set("customHeight", "1")
                if k < len(existing):
                    existing[k].addprevious(el)
                else:
                    wrapper.append(el)
            else:
                continue  # it would have no cell
            self._apply(el, row, runs)
        return unwrap(wrapper)

    def _apply(self, row_el: etree._Element, row: int, runs: Runs) -> None:
        cells: list[tuple[int, etree._Element]] = []
        col = 0
        for el in row_el.iterchildren(self.t_c):
            ref = el.get("r")
            col = ref_col(ref) if ref else col + 1
            cells.append((col, el))
        by_col = dict(cells)
        created = False
        for first, values, styles in runs:
            for col, value, style in zip(range(first, first + len(values)), values, styles):
                el = by_col.get(col)
                if el is None:
                    if value is None and style is None:
                        continue
                    el = by_col[col] = self._insert_cell(row_el, cells, row, col)
                    created = True
                self._write(el, (row, col), value, style)
        if self.promotions:
            self._promote(row, cells, runs)
        for col in self.tracked:
            el = by_col.get(col)
            if el is not None:
                self.last_style[col] = el.get("s")
        if created and row_el.get("spans"):
            row_el.set("spans", widen_spans(row_el.get("spans"), [c for c, _ in cells]))

    def _insert_cell(self, row_el: etree._Element, cells: list, row: int, col: int) -> etree._Element:
        """A new <c> at its column's place; it takes the style of the nearest cell above."""
        el = etree.Element(self.t_c, r=cell_ref(row, col))
        style = self.last_style.get(col)
        if style is not None:
            el.set("s", style)
        index = next((k for k, (c, _) in enumerate(cells) if c > col), len(cells))
        if index < len(cells):
            row_el.insert(row_el.index(cells[index][1]), el)
        elif cells:
            row_el.insert(row_el.index(cells[-1][1]) + 1, el)
        else:
            row_el.insert(0, el)
        cells.insert(index, (col, el))
        return el

    def _write(self, el: etree._Element, pos: tuple[int, int], value: object, style: int | None) -> None:
        for child in [c for c in el if c.tag in self.content_tags]:
            if child.tag == self.t_f:
                self.removed_formulas.add(pos)
                if child.get("t") == "shared" and child.get("ref") and child.text and child.get("si") is not None:
                    _, c1, r2, c2 = parse_range(child.get("ref"))
                    self.promotions[child.get("si")] = _Promotion(child.text, pos, r2, c1, c2)
            el.remove(child)
        # cm/vm point at formula and value metadata (dynamic arrays, rich values) of the old content.
        for attr in ("t", "cm", "vm"):
            el.attrib.pop(attr, None)
        kind = type(value)
        if style is not None:
            el.set("s", str(style))
        elif kind is Typed and value.fallback and el.get("s", "0") == "0":
            el.set("s", str(self.resolve_fallback(value.fallback)))
        if value is None:
            return
        # Content goes first: a kept <extLst> must stay last (schema order f, v, is, extLst).
        if kind is str:
            el.set("t", "inlineStr")
            content = etree.Element(self.t_is)
            pieces = xstring_pieces(value)
            for piece in pieces:
                t = etree.SubElement(content if len(pieces) == 1 else etree.SubElement(content, self.t_r), self.t_t)
                t.text = piece
                if len(pieces) > 1 or piece != piece.strip():
                    t.set(XML_SPACE, "preserve")
        else:
            if kind is Typed and value.cell_type:
                el.set("t", value.cell_type)
            content = etree.Element(self.t_v)
            content.text = value.text if kind is Typed else repr(value)
        el.insert(0, content)

    def _promote(self, row: int, cells: list, runs: Runs) -> None:
        """Make the first surviving dependant of an overwritten shared-formula master the new master."""
        for col, el in cells:
            f = el.find(self.t_f)
            if f is None or f.get("t") != "shared" or any(c <= col < c + len(values) for c, values, _ in runs):
                continue
            p = self.promotions.get(f.get("si"))
            if p is None or (row, col) <= p.origin or not (p.first_col <= col <= p.last_col and row <= p.last_row):
                continue
            from openpyxl.formula.translate import Translator  # only needed here; keeps import light

            try:
                text = Translator("=" + p.formula, origin=cell_ref(*p.origin)).translate_formula(cell_ref(row, col))
            except Exception as exc:  # the tokenizer raises several kinds on formulas it cannot read
                raise PackageError(
                    "formula-invalid",
                    f"Không chuyển được công thức dùng chung '{p.formula}' sang ô {cell_ref(row, col)}: {exc}",
                ) from exc
            f.text = text[1:]
            f.set("ref", range_ref(row, p.first_col, p.last_row, p.last_col))
            del self.promotions[f.get("si")]


# ---------------------------------------------------------------------------------------------
# Reading values


def read_cells(
    xml: bytes, part: str, wanted: set[tuple[int, int]], shared: Callable[[int], str]
) -> dict[tuple[int, int], object]:
    """Cached values of ``wanted`` cells: numbers, str, bool, error text; absent cells are omitted."""
    parts = split_sheet(xml, part)
    rows = {r for r, _ in wanted}
    ns = parts.ns
    found: dict[tuple[int, int], object] = {}
    for start, end, row in iter_rows(parts, part):
        if row not in rows:
            continue
        wrapper = parts.fragment(xml[start:end], part)
        col = 0
        for el in wrapper[0].iterchildren(f"{{{ns}}}c"):
            ref = el.get("r")
            col = ref_col(ref) if ref else col + 1
            if (row, col) in wanted:
                value = _cell_value(el, ns, shared)
                if value is not None:
                    found[(row, col)] = value
    return found


_ERROR_TYPE = re.compile(rb"""t\s*=\s*["']e["']""")
# A formula that adds up a column: what a total row holds in its weight cell, whatever its label.
_TOTAL_FORMULA = re.compile(rb"<" + _NAME + rb"f(?:\s[^>]*)?>\s*=?\s*(?:_xlfn\.)?(?:SUM|SUBTOTAL|AGGREGATE)\s*\(",
                            re.IGNORECASE)


def _any_case(word: bytes) -> bytes:
    """A pattern matching ``word`` in any case, without IGNORECASE."""
    return b"".join(b"[%c%c]" % (c, c + 32) if 65 <= c <= 90 else re.escape(bytes([c])) for c in word)


# The same, found from the f of its tag: a search starting with a literal (no IGNORECASE, which
# turns that off) is many times faster than one starting with "<"; each find is checked at its "<".
_TOTAL_HINT = re.compile(rb"f(?:\s[^>]*)?>\s*=?\s*(?:" + _any_case(b"_XLFN.") + rb")?(?:" + b"|".join(
    _any_case(w) for w in (b"SUM", b"SUBTOTAL", b"AGGREGATE")) + rb")\s*\(")
_TOTAL_FORMULA_TEXT = re.compile(r"\s*=?\s*(?:_xlfn\.)?(?:SUM|SUBTOTAL|AGGREGATE)\s*\(", re.IGNORECASE)


class CellMarks(NamedTuple):
    """What a sheet's cells carry that their values do not tell, each as (row, column)."""

    styled: set[tuple[int, int]]  # cells with one of the styles asked for (a percentage format)
    errors: dict[tuple[int, int], str]  # error values ("#REF!"), which calamine reads as empty
    totals: set[tuple[int, int]]  # formulas adding up a column: =SUM(…), =SUBTOTAL(…)


def marked_cells(xml: bytes, part: str, styles: set[int]) -> CellMarks:
    """The cells whose style index ``s`` is one of ``styles``, the error values (``t="e"``) with
    their text, and the cells whose formula adds up a column.

    Each kind is searched for over the whole sheet by a pattern starting with a literal (a sheet
    without any costs three fast searches), and only the rows holding one are looked at. A sheet
    whose rows hold comments, CDATA or processing instructions, or whose marked cells lack their
    ``r`` or name another row than theirs, is walked row by row instead.
    """
    style_hint = _style_hint(styles)
    hits = [m.start() for m in style_hint.finditer(xml)] if style_hint else []
    # (An error value's type is looked for only in a sheet that has the bytes "e" quoted at all. A
    # search for one byte is many times faster than for three: most sheets have no "'" at all.)
    quoted_e = b'"e"' in xml or (b"'" in xml and b"'e'" in xml)
    found = [m.start() for m in _ERROR_TYPE.finditer(xml)] if quoted_e else []
    for m in _TOTAL_HINT.finditer(xml):
        tag = _TOTAL_FORMULA.match(xml, xml.rfind(b"<", 0, m.start()))
        if tag and tag.end() == m.end():
            found.append(tag.start())
    marks = CellMarks(set(), {}, set())
    if not hits and not found:
        return marks
    parts = split_sheet(xml, part)
    if _has_marks(xml, parts.start, parts.end):
        return _marked_by_walk(xml, part, styles, style_hint)  # a "<row" in a comment is no row
    try:
        for at in hits:
            cell = _CELL_TAG.match(xml, xml.rfind(b"<", 0, at))
            if not parts.start <= at < parts.end or cell is None or cell.end() <= at \
                    or xml[at - 1] not in _SPACE:
                continue  # not a cell's s attribute
            ref = _ATTR_R.search(cell.group(1))
            row = _row_around(xml, at)
            try:
                place = parse_cell(ref.group(1).decode()) if ref else None
            except PackageError:
                place = None
            if place is None or row is None or place[0] != row[2]:
                raise _Unnumbered  # the walk places it as the old reader did: by its row's number
            marks.styled.add(place)
        rows: list[tuple[int, int, int]] = []
        last_end = -1
        for at in sorted(found):
            if parts.start <= at < parts.end and at >= last_end:
                row = _row_around(xml, at)
                if row is not None:
                    rows.append(row)
                    last_end = row[1]
        for start, end, row in rows:
            _mark_row(parts, part, start, end, row, marks)
    except _Unnumbered:
        return _marked_by_walk(xml, part, styles, style_hint)
    return marks


def _style_hint(styles: set[int]) -> re.Pattern | None:
    """An s attribute naming one of ``styles`` (a search starting with a literal, checked after)."""
    return re.compile(rb"""s\s*=\s*["']0*(?:""" + b"|".join(str(s).encode() for s in sorted(styles))
                      + rb""")["']""") if styles else None


def _marked_by_walk(xml: bytes, part: str, styles: set[int], style_hint: re.Pattern | None = None) -> CellMarks:
    """:func:`marked_cells` by walking every row: cells without ``r`` get their implicit position."""
    marks = CellMarks(set(), {}, set())
    style_hint = style_hint or _style_hint(styles)
    parts = split_sheet(xml, part)
    for start, end, row in iter_rows(parts, part):
        if style_hint is not None and style_hint.search(xml, start, end):
            for col, attrs, _ in _cells_in(xml, start, end):
                sm = _ATTR_S.search(attrs)
                if sm and sm.group(1).isdigit() and int(sm.group(1)) in styles:
                    marks.styled.add((row, col))
        if _ERROR_TYPE.search(xml, start, end) or _TOTAL_FORMULA.search(xml, start, end):
            _mark_row(parts, part, start, end, row, marks)
    return marks


def _mark_row(parts: SheetParts, part: str, start: int, end: int, row: int, marks: CellMarks) -> None:
    """The error values and the column totals of one row."""
    col = 0
    for el in parts.fragment(parts.xml[start:end], part)[0].iterchildren(f"{{{parts.ns}}}c"):
        ref = el.get("r")
        col = ref_col(ref) if ref else col + 1
        text = el.findtext(f"{{{parts.ns}}}v") if el.get("t") == "e" else None
        if text:
            marks.errors[(row, col)] = text
        formula = el.findtext(f"{{{parts.ns}}}f")
        if formula and _TOTAL_FORMULA_TEXT.match(formula):
            marks.totals.add((row, col))


def _cell_value(el: etree._Element, ns: str, shared: Callable[[int], str]) -> object:
    kind = el.get("t", "n")
    if kind == "inlineStr":
        is_el = el.find(f"{{{ns}}}is")
        return None if is_el is None else rich_text(is_el, ns)
    v = el.findtext(f"{{{ns}}}v")
    if v is None:
        return None
    if kind == "s":
        return shared(int(v))
    if kind == "b":
        return v.strip() in ("1", "true")
    if kind in ("str", "e"):
        return v
    number = float(v)
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def shared_strings(data: bytes, part: str) -> list[str]:
    """The texts of a shared-strings part, in order."""
    out = []
    try:
        for _, si in etree.iterparse(io.BytesIO(data), tag=f"{{{MAIN_NS}}}si", resolve_entities=False,
                                     no_network=True, huge_tree=False, load_dtd=False):
            out.append(rich_text(si, MAIN_NS))
            si.clear()
    except etree.XMLSyntaxError as exc:
        raise xml_invalid(part, str(exc)) from exc
    return out


def rich_text(el: etree._Element, ns: str) -> str:
    """Text of an <si>/<is>: its <t>, or the <t> of each run, as Excel reads it (``_xHHHH_`` decoded
    in each); phonetic runs (<rPh>) excluded."""
    return "".join(unescape_xstring(t.text or "") for t in el.iterchildren(f"{{{ns}}}t", f"{{{ns}}}r") for t in (
        [t] if t.tag == f"{{{ns}}}t" else t.iterchildren(f"{{{ns}}}t")
    ))


# ---------------------------------------------------------------------------------------------
# The tail: <drawing> of a sheet


def _tail_fragment(parts: SheetParts, part: str) -> tuple[int, int, etree._Element]:
    """The children of <worksheet> after </sheetData>, parsed; with their byte span in the tail."""
    tail = parts.tail
    start = tail.index(b">") + 1
    end = tail.rindex(b"</" + parts.root_tag)
    return start, end, parts.fragment(tail[start:end], part)


def drawing_rid(parts: SheetParts, part: str) -> str | None:
    """The relationship id of the sheet's <drawing>, or None when it has none.

    Found in the tail's bytes when it is written plainly: a "Tổng hợp" of 100,000 KPIs has 219,000
    <mergeCell> there, which lxml would build a tree of (90 MiB, for one attribute). Anything less
    plain (comments, namespaces declared in the tail, markup-compatibility wrappers, several
    candidates) is parsed (:func:`_drawing_rid_parsed`, also the tests' oracle)."""
    tail = parts.tail
    if not any(mark in tail for mark in _UNPLAIN_TAIL):
        found = _DRAWING_TAG.findall(tail)
        if not found and b"drawing" not in tail:
            return None
        if len(found) == 1:
            prefix, attrs = found[0]
            if parts.nsmap.get(prefix.decode() or None) == parts.ns:
                ids = [value for p, value in _PREFIXED_ID.findall(attrs) if parts.nsmap.get(p.decode()) == REL_NS]
                if len(ids) == 1 and b"&" not in ids[0]:
                    return ids[0].decode()
    return _drawing_rid_parsed(parts, part)


def _drawing_rid_parsed(parts: SheetParts, part: str) -> str | None:
    _, _, wrapper = _tail_fragment(parts, part)
    el = wrapper.find(f"{{{parts.ns}}}drawing")
    return None if el is None else el.get(f"{{{REL_NS}}}id")


# What sends a tail to the parser: markup a search by bytes could misread.
_UNPLAIN_TAIL = (b"<!--", b"<![CDATA[", b"<?", b"xmlns", b"AlternateContent")
_DRAWING_TAG = re.compile(rb"<(?:([A-Za-z_][\w.-]*):)?drawing(\s[^>]*?)/?>")
_PREFIXED_ID = re.compile(rb'\s([A-Za-z_][\w.-]*):id\s*=\s*"([^"]*)"')


def add_drawing(parts: SheetParts, part: str, rid: str) -> SheetParts:
    """``parts`` with a <drawing r:id> inserted at its schema position in the tail."""
    start, end, wrapper = _tail_fragment(parts, part)
    mc_alt = "{http://schemas.openxmlformats.org/markup-compatibility/2006}AlternateContent"
    index = len(wrapper)
    for k, child in enumerate(wrapper):
        if not isinstance(child.tag, str):
            continue
        # Excel wraps <controls>/<oleObjects> in mc:AlternateContent; look at what is inside.
        inner = child[0][0] if child.tag == mc_alt and len(child) and len(child[0]) else child
        if etree.QName(inner).localname in _AFTER_DRAWING:
            index = k
            break
    nsmap = None if REL_NS in wrapper.nsmap.values() else {"r": REL_NS}
    el = etree.Element(f"{{{parts.ns}}}drawing", nsmap=nsmap)
    el.set(f"{{{REL_NS}}}id", rid)
    wrapper.insert(index, el)
    tail = parts.tail[:start] + unwrap(wrapper) + parts.tail[end:]
    return replace(parts, tail=tail)


_COLS_END = re.compile(rb"</(" + _NAME + rb")cols\s*>")
_COL = re.compile(rb"<" + _NAME + rb"col(?=[\s/>])[^>]*?/>")
_ATTR_MIN = re.compile(rb"""\smin\s*=\s*["'](\d+)["']""")
_ATTR_MAX = re.compile(rb"""\smax\s*=\s*["'](\d+)["']""")


_COLS_START = re.compile(rb"<" + _NAME + rb"cols(?=[\s>])")


def _col_elements(head: bytes) -> list[tuple[int, int, bytes]]:
    """(min, max, bytes) of each ``<col>`` in a sheet's head."""
    start, end = _COLS_START.search(head), _COLS_END.search(head)
    if not start or not end:
        return []
    found = []
    for m in _COL.finditer(head, start.end(), end.start()):
        lo, hi = _ATTR_MIN.search(m.group(0)), _ATTR_MAX.search(m.group(0))
        found.append((int(lo.group(1)) if lo else 0, int(hi.group(1)) if hi else 0, m.group(0)))
    return found


def uncovered(head: bytes, cols: Iterable[int]) -> list[int]:
    """The columns of ``cols`` that no ``<col>`` of the head covers (those
    :func:`add_column_widths` gives a width)."""
    existing = _col_elements(head)
    return [c for c in cols if not any(lo <= c <= hi for lo, hi, _ in existing)]


def add_column_widths(parts: SheetParts, part: str, widths: dict[int, float]) -> SheetParts:
    """``parts`` with a width for each column of ``widths`` that no ``<col>`` covers yet (one a
    person sized keeps its width); ``<col>`` elements stay in the ascending order Excel requires."""
    head = parts.head
    sheet_data = _SHEETDATA.search(head)
    prefix = sheet_data.group(1)
    cols_end = _COLS_END.search(head)
    existing = _col_elements(head)
    new = [(c, c, b'<%scol min="%d" max="%d" width="%s" customWidth="1"/>' % (prefix, c, c, f"{w:g}".encode()))
           for c, w in sorted(widths.items()) if not any(lo <= c <= hi for lo, hi, _ in existing)]
    if not new:
        return parts
    cols = b"".join(el for _, _, el in sorted(existing + new, key=lambda item: item[0]))
    if cols_end:
        start = head.rfind(b"<" + prefix + b"cols", 0, cols_end.start())
        opening = head[start: head.index(b">", start) + 1]
        head = head[:start] + opening + cols + head[cols_end.start():]
    else:  # <cols> comes right before <sheetData>
        head = head[: sheet_data.start()] + b"<" + prefix + b"cols>" + cols + b"</" + prefix + b"cols>" + \
            head[sheet_data.start():]
    # Still well-formed (a broken sheet is never written): the head, closed as the sheet is.
    parse_xml(head + b"</" + prefix + b"sheetData></" + parts.root_tag + b">", part)
    return replace(parts, head=head)


_WIDTH_ATTR = re.compile(rb"""\swidth\s*=\s*["']([\d.]+)["']""")
_ROW_TAG = re.compile(rb"<(" + _NAME + rb")row(?=[\s/>])([^>]*?)(/?)>")
_HT = re.compile(rb"""\sht\s*=\s*["']([^"']*)["']""")
_DECIMAL = re.compile(rb"[\d.]+")
_CUSTOM_HEIGHT = re.compile(rb"""\scustomHeight\s*=\s*["'][^"']*["']""")


def column_widths(head: bytes) -> dict[int, float]:
    """{column: width} of the ``<col>`` elements in a sheet's head."""
    widths = {}
    for m in _COL.finditer(head):
        lo, hi, width = _ATTR_MIN.search(m.group(0)), _ATTR_MAX.search(m.group(0)), _WIDTH_ATTR.search(m.group(0))
        if lo and width:
            for col in range(int(lo.group(1)), int(hi.group(1) if hi else lo.group(1)) + 1):
                widths[col] = float(width.group(1))
    return widths


# Excel and LibreOffice keep a row's height in whole pixels (0.75 pt at 96 dpi): a height asked for
# comes back from either up to a pixel less (LibreOffice: 173.6 pt saved as 173.25).
_PIXEL_POINTS = 0.75


def _grown(xml: bytes, start: int, want: float) -> tuple[int, int, bytes] | None:
    """The attributes of the row tag at ``start`` with the row ``want`` points tall: (from, to,
    new attributes), or None when it is tall enough already."""
    if xml.startswith(b"<row", start):  # (as the rows the byte path writes start: found by searches)
        close = xml.find(b">", start)
        first, last = start + 4, close - 1 if xml[close - 1] == 0x2F else close
    else:
        m = _ROW_TAG.match(xml, start)
        first, last = m.start(2), m.end(2)
    attrs = xml[first:last]
    current = _HT.search(attrs) if b"ht" in attrs else None  # (a row nobody sized: no pattern)
    if current is not None and _tall_enough(current.group(1), want):
        return None
    return first, last, _height_attrs(attrs, want)


def _tall_enough(height: bytes, want: float) -> bool:
    """Whether a row ``height`` (its attribute's text) is ``want`` points, or short by less than a pixel."""
    try:
        return _DECIMAL.fullmatch(height) is not None and float(height) > want - _PIXEL_POINTS
    except ValueError:
        return False  # an unreadable height is replaced


def _height_attrs(attrs: bytes, want: float) -> bytes:
    """A row's attributes with its height ``want`` points (a custom height, last)."""
    if b"ht" in attrs:  # ("customHeight" ends with it too)
        attrs = _CUSTOM_HEIGHT.sub(b"", _HT.sub(b"", attrs))
    return attrs + b' ht="%s" customHeight="1"' % f"{want:g}".encode()


ANY_STYLE = -1  # (in keeps: a cell whose style is not checked, the writer keeping it)


def keeps(pieces: Callable[[], Iterable[bytes]], part: str, cells: Mapping[tuple[int, int], tuple[Any, int]],
          heights: dict[int, float], serial: Callable[[dt.date], float]) -> bool:
    """Whether writing ``cells`` ((row, column) -> (value, xf index), :data:`ANY_STYLE` for a cell
    that keeps its own) and growing rows to ``heights`` leaves the sheet as it is: no row shorter
    than asked, no comment or processing instruction among the rows (only a parse would tell what
    they hide), and each cell already written as sheetkpi writes that value (see :func:`_hold`).
    ``pieces()`` gives the sheet's XML in pieces, read in windows of rows (see
    :func:`sheet_windows`; a second time only when a cell to write was not found); ``serial`` a
    date's number in the workbook's date system (see :meth:`Values.serial`)."""
    found: set[tuple[int, int]] = set()
    texts: dict[str, bytes] = {}  # each text's inline string, made once (statuses repeat down a tab)
    columns = frozenset(col for _, col in cells)
    letters = {col_letter(col).encode(): col for col in columns}
    prev = 0
    for window in sheet_windows(pieces(), part, WINDOW):
        # (The cells first: a tab that changed differs at its first row.)
        if _has_marks(window.xml, window.start, window.end) or not _hold(window, cells, letters, serial, found, texts):
            return False
        if not heights:
            continue
        row = prev
        for start, _, row in iter_rows(window, part, prev):
            want = heights.get(row)
            if want is not None and _grown(window.xml, start, want) is not None:
                return False
        prev = row
    if len(found) == len(cells):
        return True
    # Each cell not found plainly must be absent, and get nothing.
    missing = [at for at in cells if at not in found]
    if any(cells[at][0] is not None for at in missing):
        return False
    columns = {col for _, col in missing}
    anywhere: set[tuple[int, int]] = set()
    for window in sheet_windows(pieces(), part, WINDOW):
        anywhere.update((int(m.group(1)), col) for col in columns
                        for m in _cell_refs(col).finditer(window.xml, window.start, window.end))
    return not anywhere.intersection(missing)


def _hold(parts: SheetParts, cells: Mapping[tuple[int, int], tuple[Any, int]], letters: dict[bytes, int],
          serial: Callable[[dt.date], float], found: set[tuple[int, int]], texts: dict[str, bytes]) -> bool:
    """Whether each of ``cells`` found among the rows of ``parts`` is a plain cell (r first, then s
    and t, nothing else: no formula, no rich text, no other attribute) holding that value as
    sheetkpi writes it, in that xf (unless :data:`ANY_STYLE`): a number in its <v>, a date as its
    ``serial`` number (no t="d"), a text as an inline string, None as no value (or no cell); those
    found are added to ``found`` (``letters``: each column's letters, of the columns of ``cells``).
    Found by one pattern over the columns, starting with a literal; a cell there in any other form
    (prefixed, s before r, a shared text) is not found."""
    if not cells:
        return True
    for m in _plain_cells(frozenset(letters.values())).finditer(parts.xml, parts.start, parts.end):
        letter, row, s, t, v, text = m.groups()
        at = (int(row), letters[letter])
        want = cells.get(at)
        if want is None:
            continue
        value, style = want
        if style != ANY_STYLE and (int(s) if s else 0) != (style or 0):
            return False
        kind = type(value)
        if kind is str:
            held = t == b"inlineStr" and v is None and text == (
                texts.get(value) or texts.setdefault(value, inline_string(value).encode()))
        elif value is None:
            held = v is None and text is None and t in (None, b"n")
        elif kind is float or kind is int or isinstance(value, dt.date):
            number = serial(value) if isinstance(value, dt.date) else value
            held = t in (None, b"n") and text is None and v is not None and _number(v) == number
        else:
            held = False
        if not held:
            return False
        found.add(at)
    return True


def _number(text: bytes) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


@lru_cache(maxsize=64)
def _plain_cells(columns: frozenset[int]) -> re.Pattern:
    """Plain cells of ``columns``: groups are the column's letters, the row number, s, t, the value's
    text and the inline string's content. (One pattern for a tab's engine columns: one pass.)"""
    letters = b"|".join(col_letter(col).encode() for col in sorted(columns, reverse=True))
    return re.compile(b'<c r="(' + letters + rb')([0-9]+)"(?: s="([0-9]+)")?(?: t="([A-Za-z]+)")?'
                      rb"(?:/>|>(?:<v>([^<]*)</v>|<is>(.*?)</is>)?</c>)", re.DOTALL)


@lru_cache(maxsize=64)
def _cell_refs(col: int) -> re.Pattern:
    """The r of any cell of column ``col``, however written: groups are the row number."""
    return re.compile(rb"""\sr\s*=\s*["']""" + col_letter(col).encode() + rb"""([0-9]+)["']""")


# The largest grid a sheet may span (rows × columns): 300,000 rows of 30 columns fit; a single cell
# typed at XFD1048576 or AAA100000 would make a grid of billions of cells.
MAX_GRID_CELLS = 10_000_000
_PREFIX = re.compile(rb"[A-Za-z_][\w.\-]*:")
_ROW_NUMBER = re.compile(rb"<" + _NAME + rb"row(?=[\s/>])[^>]*?\sr\s*=\s*[\"'](\d+)")
# A cell that holds something: a self-closed <c …/> is formatting only, and grid readers skip it
# (LibreOffice writes an empty last row, r="1048576", into sheets it saves).
_FILLED_CELL = re.compile(rb"<" + _NAME + rb"c(?=[\s>])[^>]*(?<!/)>")
# Cell references beyond column Z: sheets of KPIs rarely have any. A search starting with a literal is
# many times faster than one starting with "<"; what it finds is checked against the cell's tag.
_WIDE_HINT = re.compile(rb"""r\s*=\s*["']([A-Za-z]{2,})\d""")
_WIDE_REF = re.compile(rb"<" + _NAME + rb"c(?=[\s/>])[^>]*?\sr\s*=\s*[\"']([A-Za-z]{2,})(\d+)[\"'][^>]*?(/?)>")


def far_cell(xml: bytes) -> str | None:
    """The reference of a filled cell that makes the sheet's grid larger than :data:`MAX_GRID_CELLS`,
    or lies beyond Excel's grid, or None. Linear in the sheet's size, by regular expressions only."""
    last_row = _last_filled_row(xml)
    if last_row > MAX_ROW:
        return f"dòng {last_row}"
    far = _widest_cell(xml) or (26, 0, "")
    if far[0] > MAX_COL:
        return far[2]
    if last_row * far[0] > MAX_GRID_CELLS:
        return far[2] if far[2] and far[1] * far[0] > MAX_GRID_CELLS else f"{col_letter(far[0])}{last_row}"
    return None


def _widest_cell(xml: bytes) -> tuple[int, int, str] | None:
    """(column, row, reference) of the filled cell beyond column Z farthest right (the lowest of
    them; beyond Excel's grid, the largest reference), or None."""
    hints: dict[int, list[int]] = {}  # column (past XFD: one past it) -> where its letters are
    for m in _WIDE_HINT.finditer(xml):
        letters = m.group(1)
        hints.setdefault(col_index(letters.decode()) if len(letters) <= 3 else MAX_COL + 1, []).append(m.start(1))
    for col in sorted(hints, reverse=True):
        found = []
        for at in hints[col]:
            m = _WIDE_REF.match(xml, xml.rfind(b"<", 0, at))
            if m and m.start(1) == at and not m.group(3):  # the r of a cell that holds something
                found.append((col, int(m.group(2)), (m.group(1) + m.group(2)).decode()))
        if found:
            return max(found)
    return None


def _last_filled_row(xml: bytes) -> int:
    """The number of the last row holding a filled cell: rows are walked back from the end of the
    sheet, so trailing empty rows (a height set on a block of rows) cost one search each."""
    end = len(xml)
    at = end
    while (start := _row_tag_before(xml, at)) is not None:
        m = _ROW_NUMBER.match(xml, start)
        if m and _FILLED_CELL.search(xml, start, end):
            return int(m.group(1))
        if m:  # (a row without a number belongs with the numbered one above, as it always did)
            end = start
        at = start
    return 0


def _row_tag_before(xml: bytes, at: int) -> int | None:
    """The start of the last row start tag beginning before ``at``: found by searching back for
    its name, which is many times faster than any pattern starting with "<"."""
    while True:
        at = xml.rfind(b"row", 0, at)
        lt = xml.rfind(b"<", 0, at) if at > 0 else -1
        if lt < 0:
            return None
        name = xml[lt + 1: at]
        if (not name or (name.endswith(b":") and _PREFIX.fullmatch(name))) and at + 3 < len(xml) \
                and xml[at + 3] in _TAG_END:
            return lt
        at = lt


def _row_around(xml: bytes, pos: int) -> tuple[int, int, int] | None:
    """(start, end, number) of the row holding the byte at ``pos``; None when ``pos`` is in no row.
    Raises :class:`_Unnumbered` for a row without ``r`` (its number depends on the rows before)."""
    start = _row_tag_before(xml, pos)
    m = _ROW.match(xml, start) if start is not None else None
    if m is None or m.end() <= pos:
        return None
    number = _ATTR_R.search(m.group(1))
    if number is None or not number.group(1).isdigit():
        raise _Unnumbered
    return start, m.end(), int(number.group(1))


class _Unnumbered(Exception):
    """A row without a number: its cells are found by walking every row."""

