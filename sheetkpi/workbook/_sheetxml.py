"""Streaming edits of worksheet XML.

A worksheet part is split into head (everything up to ``<sheetData>``), the rows, and tail. Rows are
found with a regular expression over the bytes; a row that holds no written cell is copied as it
is, byte for byte. Only rows that change are parsed, each as a small lxml fragment inside a wrapper
that re-declares the worksheet's namespaces, so prefixes (``x:row``) and extension attributes
(``x14ac:dyDescent``) survive. A 100,000-row sheet is never built as one tree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import repeat
from typing import Callable, Iterable, Iterator, NamedTuple

from lxml import etree

from .xmlsafe import PackageError, parse_xml, safe_parser, xml_invalid
from ..cells import col_index, col_letter

XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

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
_DIMENSION = re.compile(rb"""(<""" + _NAME + rb"""dimension(?=[\s/>])[^>]*?\sref\s*=\s*["'])([^"']*)(["'])""")
_ROOT = re.compile(rb"<([A-Za-z_][\w.\-:]*)")
_CELL_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]+)")

# What rows and cells look like when they can be rewritten as bytes (see SheetEditor._fast_row).
_PLAIN_ROW = re.compile(rb"<row((?:\s[^>]*?)?)\s*(?:/>|>(.*)</row\s*>)", re.S)
_PLAIN_CELL = re.compile(rb"<c(\s[^>]*?)?\s*(?:/>|>(.*?)</c\s*>)", re.S)
_PLAIN_CONTENT = re.compile(rb"\s*(?:<v>[^<]*</v>|<v\s*/>|<is>(?:(?!</is>).)*</is>)?\s*", re.S)
_PLAIN_ATTR = re.compile(rb"""([A-Za-z_][\w.\-:]*)\s*=\s*("[^"<&]*"|'[^'<&]*')""")
_PLAIN_ATTRS = re.compile(rb"""(?:\s+[A-Za-z_][\w.\-:]*\s*=\s*(?:"[^"<&]*"|'[^'<&]*'))*\s*""")
_ATTR_SPANS = re.compile(rb"""(\sspans\s*=\s*["'])([^"']*)(["'])""")
_DROPPED_ATTRS = {b"t", b"cm", b"vm"}  # they describe the old content (see SheetEditor._write)
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_NEEDS_ESCAPE = re.compile("[&<>\r]")


def _escape(text: str) -> str:
    """Text content as lxml serializes it."""
    return text.translate(_ESCAPES) if _NEEDS_ESCAPE.search(text) else text


def _inline(text: str) -> str:
    """The <t> of an inline string, as lxml serializes it."""
    return f'<t xml:space="preserve">{_escape(text)}</t>' if text != text.strip() else f"<t>{_escape(text)}</t>"


def _content(write: "CellWrite", lead: str) -> str:
    """What follows a written cell's attributes: its t, then its new content after ``lead`` (the
    whitespace the old content started with)."""
    t = f' t="{write.cell_type}"' if write.cell_type else ""
    if write.value is not None:
        return f"{t}>{lead}<v>{_escape(write.value)}</v></c>"
    if write.inline is not None:
        return f"{t}>{lead}<is>{_inline(write.inline)}</is></c>"
    return f"{t}>{lead}</c>" if lead else f"{t}/>"


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
    """"A5:D9" -> (5, 1, 9, 4); a single cell "B2" -> (2, 2, 2, 2). Corners are normalised."""
    first, _, last = ref.partition(":")
    r1, c1 = parse_cell(first)
    r2, c2 = parse_cell(last) if last else (r1, c1)
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


def range_ref(r1: int, c1: int, r2: int, c2: int) -> str:
    """(5, 1, 9, 4) -> "A5:D9"; a single cell collapses to "A5"."""
    return cell_ref(r1, c1) if (r1, c1) == (r2, c2) else f"{cell_ref(r1, c1)}:{cell_ref(r2, c2)}"


# ---------------------------------------------------------------------------------------------
# What to write


class CellWrite(NamedTuple):
    """The new content of one cell. Neither ``value`` nor ``inline`` means: empty the cell.

    ``style`` is an explicit xf index; ``fallback`` names a style to use only when the cell would
    otherwise carry the default style (dates need a date format to read as dates). Immutable; a
    tuple rather than a frozen dataclass because a run makes a million of them and a tuple is
    made in half the time.
    """

    cell_type: str | None = None  # the t attribute: None (number), "b" or "inlineStr"
    value: str | None = None  # text of <v>
    inline: str | None = None  # text of <is><t>
    style: int | None = None
    fallback: str | None = None

    @property
    def has_content(self) -> bool:
        return self.value is not None or self.inline is not None


_EMPTY = CellWrite()
_EMPTY_WRITES: dict[int | None, CellWrite] = {None: _EMPTY}  # by style: tables write many empty cells


def plain_write(value: "int | float | str | None", style: int | None) -> CellWrite:
    """The CellWrite of a value a :class:`RowRun` keeps as it is (None, int, float, str)."""
    kind = type(value)
    if kind is str:
        return CellWrite("inlineStr", None, value, style)
    if kind is int:
        return CellWrite(None, str(value), None, style)
    if kind is float:
        return CellWrite(None, repr(value), None, style)
    if value is None:
        return _EMPTY_WRITES.get(style) or _EMPTY_WRITES.setdefault(style, CellWrite(style=style))
    raise TypeError(f"not a plain cell value: {value!r}")


class RowRun(NamedTuple):
    """Cells of one row written together (a row of a block), kept as given instead of a CellWrite
    per cell: column ``col + i`` gets ``values[i]`` with the xf index ``styles[i]`` (or ``styles``
    itself for every cell, None keeping the cell's own style). A value is None (empty the cell),
    an int, a finite float, a clean str, or a CellWrite with content for anything else (dates,
    booleans)."""

    col: int
    values: tuple
    styles: "int | None | tuple[int | None, ...]"

    def style_of(self, i: int) -> int | None:
        return self.styles[i] if type(self.styles) is tuple else self.styles

    def writes(self) -> dict[int, CellWrite]:
        """{column: CellWrite} of the run."""
        return {self.col + i: v if type(v) is CellWrite else plain_write(v, self.style_of(i))
                for i, v in enumerate(self.values)}


def row_writes(entry: "dict[int, CellWrite] | RowRun") -> dict[int, CellWrite]:
    """The writes of a row as {column: CellWrite}."""
    return entry if type(entry) is dict else entry.writes()


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
_BATCH_ROWS = 2000  # rows parsed together: fewer parser calls, bounded memory
_PIECES = 512  # pieces of output joined before they are handed on


@dataclass(slots=True)
class _Batch:
    """Consecutive rows to edit: their byte span in the sheet, and (row, writes, span) in order;
    ``span`` is the (start, end) of a row that exists, None for a row to create."""

    start: int | None = None
    end: int = 0
    rows: list[tuple[int, dict, tuple[int, int] | None]] = field(default_factory=list)

    def add(self, start: int, end: int, row: int, writes: dict) -> None:
        if self.start is None:
            self.start = start
        self.end = end
        self.rows.append((row, writes, (start, end)))


class _RunShape(NamedTuple):
    """What the runs of one shape (first column, width, styles) share."""

    heads: list[tuple[int, str, str | None, str, bool]]  # per cell: column, how it starts (<c r="P),
    # its given style, that style as it follows the row number (" s="12"), whether the column is tracked
    outside: bool  # a tracked column lies outside the run
    first: bytes  # how the run's first cell starts: b'<c r="P'
    cells: re.Pattern  # the run's simple cells side by side, some possibly missing (see _simple_run)


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
                (b' xmlns="%s"' % _attr(uri) if prefix is None else b' xmlns:%s="%s"' % (prefix.encode(), _attr(uri)))
                for prefix, uri in self.nsmap.items()
            ) + b">"
        try:
            return etree.fromstring(self._wrapper + inner + b"</w>", parser or safe_parser())
        except etree.XMLSyntaxError as exc:
            raise xml_invalid(part, str(exc)) from exc


def _attr(text: str) -> bytes:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").encode()


def split_sheet(xml: bytes, part: str) -> SheetParts:
    """Split worksheet XML into head, rows and tail; an empty ``<sheetData/>`` becomes an empty body."""
    m = _SHEETDATA.search(xml)
    root = _ROOT.search(xml)
    if not m or not root:
        raise xml_invalid(part, "thiếu sheetData")
    prefix, selfclosing = m.group(1), m.group(2)
    end_tag = b"</" + prefix + b"sheetData>"
    # Parsing the head (closed right after sheetData) checks it is well-formed, rejects a DTD, and
    # tells which namespaces the rows live in.
    head_doc = parse_xml(xml[: m.start()] + b"<" + prefix + b"sheetData/></" + root.group(1) + b">", part)
    sheet_data = head_doc[-1]
    ns = etree.QName(sheet_data).namespace or ""
    if selfclosing:
        open_tag = m.group(0)[:-2].rstrip() + b">"
        return SheetParts(xml[: m.start()] + open_tag, xml, m.end(), m.end(), end_tag + xml[m.end():], ns,
                          sheet_data.nsmap, root.group(1))
    close = re.compile(rb"</" + re.escape(prefix) + rb"sheetData\s*>").search(xml, m.end())
    if not close:
        raise xml_invalid(part, "sheetData không được đóng")
    return SheetParts(xml[: m.end()], xml, m.end(), close.start(), xml[close.start():], ns, sheet_data.nsmap,
                      root.group(1))


def unwrap(wrapper: etree._Element) -> bytes:
    """Serialize what :meth:`SheetParts.fragment` parsed, without the wrapper element."""
    if not len(wrapper) and not wrapper.text:
        return b""
    data = etree.tostring(wrapper, encoding="utf-8", xml_declaration=False)
    return data[data.index(b">") + 1: -len(b"</w>")]


def iter_rows(parts: SheetParts, part: str) -> Iterator[tuple[int, int, int]]:
    """(start, end, row number) of each ``<row>`` of the sheet: its span in ``parts.xml``, and its
    number (implicit when ``r`` is absent)."""
    xml, prev = parts.xml, 0
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


_TAG_END = frozenset(b" \t\r\n/>")


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


def _widened_spans(xml: bytes, cols: list[int], start: int = 0, end: int | None = None) -> tuple[int, int, bytes]:
    """Where the spans value of the row ``xml[start:end]``, which has cells (all with r first), is,
    and what it becomes with cells added at ``cols`` (an empty value when the row has no spans)."""
    end = len(xml) if end is None else end
    first = xml.find(b'<c r="', start, end)
    spans = _ATTR_SPANS.search(xml, start, first) if xml.find(b"spans", start, first) >= 0 else None
    if spans is None:
        return 0, 0, b""
    try:
        bounds = [int(x) for span in spans.group(2).decode().split() for x in span.split(":")]
    except ValueError:
        bounds = []
    # Cells are in column order: the first and last one bound the row's own cells.
    bounds += cols
    bounds += (_col_at(xml, first), _col_at(xml, xml.rfind(b'<c r="', start, end)))
    return spans.start(2), spans.end(2), f"{min(bounds)}:{max(bounds)}".encode()


def _cells_in(xml: bytes, start: int = 0, end: int | None = None) -> Iterator[tuple[int, bytes, bool]]:
    """(column, attribute bytes, is self-closing) of each cell start tag of a row (``xml[start:end]``),
    without parsing."""
    col = 0
    for m in _CELL_TAG.finditer(xml, start, len(xml) if end is None else end):
        rm = _ATTR_R.search(m.group(1))
        col = ref_col(rm.group(1).decode()) if rm else col + 1
        yield col, m.group(1), bool(m.group(2))


# An existing cell as sheetkpi and most producers write it: r first, then s and t, no whitespace,
# empty or holding a value or a plain inline string. Written over without looking at it further.
_SIMPLE_REST = (rb'"(?: s="([0-9]+)")?(?: t="[A-Za-z]+")?'
                rb'(/>|>(?:<v>[^<]*</v>|<is><t(?: xml:space="preserve")?>[^<]*</t></is>)?</c>)')
_SIMPLE_CELL = re.compile(rb'<c r="[A-Z]{1,3}[0-9]+' + _SIMPLE_REST)


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


class SheetEditor:
    """Applies cell writes and clear ranges to one worksheet's XML in a single streaming pass.

    ``rows`` maps a row number to what is written into it ({column: CellWrite}, or a RowRun).
    After :meth:`run`, ``removed_formulas`` holds the cells whose formula was removed (their
    calcChain entries must go).
    """

    def __init__(
        self,
        parts: SheetParts,
        part: str,
        rows: dict[int, "dict[int, CellWrite] | RowRun"],
        clears: list[ClearRange],
        resolve_fallback: Callable[[str], int],
    ):
        self.parts = parts
        self.part = part
        self.clears = clears
        self.clear_from = min((c.r1 for c in clears), default=MAX_ROW + 1)  # rows above are not cleared
        self.resolve_fallback = resolve_fallback
        self.rows = rows
        self.keys = sorted(rows)  # written rows in sheet order, consumed as the pass goes
        self.last_style: dict[int, str | None] = {}
        self.promotions: dict[str, _Promotion] = {}
        self.removed_formulas: set[tuple[int, int]] = set()
        # Columns where a new cell may need the style of the nearest cell above, and the cells
        # that will exist after the edit (to grow <dimension>).
        self.tracked, self.extent = self._survey()
        ns = parts.ns
        self.t_row, self.t_c, self.t_f, self.t_v, self.t_is, self.t_t = (
            f"{{{ns}}}{name}" for name in ("row", "c", "f", "v", "is", "t")
        )
        self.content_tags = {self.t_f, self.t_v, self.t_is}
        self.parser = safe_parser()
        # Rows are written as bytes only where unprefixed names are in the sheet's namespace.
        self.default_ns = parts.nsmap.get(None) == ns
        # Comments, CDATA or processing instructions among the rows: rows holding one go to lxml.
        # (A search for one byte is many times faster than for two.)
        self.marked_up = any(parts.xml.find(mark[1:], parts.start, parts.end) >= 0
                             and parts.xml.find(mark, parts.start, parts.end) >= 0 for mark in (b"<!", b"<?"))
        self._letters: dict[int, str] = {}
        self._cell_starts: dict[int, bytes] = {}
        self._run_shapes: dict[tuple, _RunShape] = {}

    def _survey(self) -> tuple[set[int], tuple[int, int, int, int] | None]:
        """The columns written without a style, and the extent of the cells written that will
        exist afterwards (with a value or a style): (first row, first column, last row, last column)."""
        tracked: set[int] = set()
        r1, c1, r2, c2 = MAX_ROW + 1, MAX_COL + 1, 0, 0
        run_shapes: dict[tuple, frozenset] = {}  # a block's rows share their styles
        for row, entry in self.rows.items():
            if type(entry) is dict:
                # (value, inline, style) compared as one tuple, at C speed.
                cols = [col for col, w in entry.items() if w[1:4] != (None, None, None)]
                tracked.update(col for col, w in entry.items() if w.style is None)
                if not cols:
                    continue
                lo, hi = min(cols), max(cols)
            else:
                col, values, styles = entry
                key = (col, len(values), id(styles) if type(styles) is tuple else styles)
                unstyled = run_shapes.get(key)
                if unstyled is None:
                    unstyled = run_shapes[key] = frozenset(col + i for i in range(len(values)) if entry.style_of(i) is None)
                    tracked.update(unstyled)
                # Cells without a style exist afterwards only when they get a value.
                i, j = 0, len(values) - 1
                while i <= j and values[i] is None and col + i in unstyled:
                    i += 1
                while j > i and values[j] is None and col + j in unstyled:
                    j -= 1
                if i > j:
                    continue
                lo, hi = col + i, col + j
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

    # -- the pass ---------------------------------------------------------------------------

    def run(self) -> Iterator[bytes]:
        """The edited worksheet XML, in pieces as the pass goes (a big sheet is never held whole)."""
        xml, parts, rows, keys = self.parts.xml, self.parts, self.rows, self.keys
        n, k = len(keys), 0
        direct = self.default_ns
        last_target = keys[-1] if keys else 0
        out: list[bytes] = [self._head()]
        batch: _Batch | None = None
        pos = parts.start  # the source before pos is in out or in the open batch
        last_end = pos
        for start, end, row in iter_rows(parts, self.part):
            if len(out) >= _PIECES:
                yield b"".join(out)
                out.clear()
            first = k
            while k < n and keys[k] < row:
                k += 1
            news = keys[first:k] if k > first else ()  # rows to create before this one
            writes = None
            if k < n and keys[k] == row:
                writes = rows[row]
                k += 1
            last_end = end
            edit = writes is not None or bool(self.clears) and self._clears_content(xml, start, end, row)
            if batch and (not edit or len(batch.rows) >= _BATCH_ROWS):
                # Flushing applies the batch's edits, which may start a shared-formula promotion
                # that this row has to take part in.
                out.append(self._flush(batch))
                batch = None
            edit = edit or bool(self.promotions) and self._takes_promotion(xml, start, end, row)
            if batch is None and direct:
                # No lxml pending: rows go straight to bytes, no batch needed (the common case).
                if news:
                    out.append(xml[pos: start])
                    pos = start
                    yield from self._new_rows(news, out)
                    news = ()
                if not edit:
                    if self.tracked and row < last_target:
                        self._track(xml, start, end)
                    continue
                splices = self._fast_row(row, writes, start, end) if writes is not None else None
                if splices is not None:
                    for cut, resume, data in splices:
                        out.append(xml[pos: cut])  # what is kept since the last change
                        out.append(data)
                        pos = resume
                    continue
            if batch is None and (edit or news):
                out.append(xml[pos: start])  # inside an open batch the gap is part of its span
                pos = start
                batch = _Batch()
            if batch:
                batch.rows.extend((r, rows[r], None) for r in news)
                if edit:
                    batch.add(start, end, row, writes if writes is not None else {})
                    pos = end
                else:
                    out.append(self._flush(batch))
                    batch = None
            if not edit and self.tracked and row < last_target:
                self._track(xml, start, end)
        if k < n:
            if batch is None:
                out.append(xml[pos: last_end])
                pos = last_end
                if direct:
                    yield from self._new_rows(keys[k:], out)
                else:
                    batch = _Batch()
            if batch:
                batch.rows.extend((r, rows[r], None) for r in keys[k:])
        if batch:
            out.append(self._flush(batch))
        out.append(xml[pos: parts.end])
        out.append(parts.tail)
        yield b"".join(out)

    def _flush(self, batch: "_Batch") -> bytes:
        """The batch's rows edited, in order. A new row, and an existing row whose written cells
        hold only a value (the common case: no formula, no extension, no clear, no promotion
        pending), are written as bytes directly; runs of other rows are parsed together once
        with lxml, edited and serialized once."""
        xml = self.parts.xml
        out: list[bytes] = []
        pos = batch.start
        new_rows: list[bytes] = []  # written right before the next existing row, as lxml places them
        slow: list[tuple[int, dict, tuple[int, int] | None]] = []
        for row, entry, span in batch.rows:
            if span is None:
                if slow or not self.default_ns:
                    slow.append((row, row_writes(entry), span))
                else:
                    new_rows.append(self._new_row(row, entry))
                continue
            splices = None if slow else self._fast_row(row, entry, span[0], span[1])
            if splices is None:
                if not slow:
                    out.append(xml[pos: span[0]])
                    out.extend(new_rows)
                    new_rows.clear()
                    pos = span[0]
                slow.append((row, row_writes(entry), span))
                if len(slow) >= _BATCH_ROWS or self._fast_row_possible(row):
                    out.append(self._flush_slow(slow, pos))
                    pos = span[1]
                    slow = []
                continue
            out.append(xml[pos: span[0]])
            out.extend(new_rows)
            new_rows.clear()
            pos = span[0]
            for cut, resume, data in splices:
                out.append(xml[pos: cut])
                out.append(data)
                pos = resume
        if slow:
            out.append(self._flush_slow(slow, pos))
        elif batch.start is not None:
            out.append(xml[pos: batch.end])
        out.extend(new_rows)
        return b"".join(out)

    def _new_rows(self, numbers: list[int], out: list[bytes]) -> Iterator[bytes]:
        """Rows to create, added to ``out``, which is handed on whenever it has grown (a block
        of new rows can be most of a sheet)."""
        rows = self.rows
        for row in numbers:
            out.append(self._new_row(row, rows[row]))
            if len(out) >= _PIECES:
                yield b"".join(out)
                out.clear()

    def _new_row(self, row: int, entry: "dict[int, CellWrite] | RowRun") -> bytes:
        """A row to create, written directly (b"" when it would have no cell)."""
        if type(entry) is RowRun:
            return self._run_bytes(row, entry)
        if any(w.has_content or w.style is not None for w in entry.values()):
            return self._row_bytes(row, b"", b"", [], entry, None)
        return b""

    def _fast_row_possible(self, row: int) -> bool:
        """Whether rows after this one may take the direct path again (ends a run of lxml rows)."""
        return self.default_ns and not self.promotions and not any(c.covers_row(row) for c in self.clears)

    def _flush_slow(self, rows: list[tuple[int, dict, tuple[int, int] | None]], start: int) -> bytes:
        """Parse a run of rows once, apply every edit in row order, serialize once."""
        spans = [span for _, _, span in rows if span]
        chunk = self.parts.xml[start: spans[-1][1]] if spans else b""
        wrapper = self.parts.fragment(chunk, self.part, self.parser)
        existing = list(wrapper.iterchildren(self.t_row))
        k = 0
        for row, writes, span in rows:
            if span:
                el = existing[k]
                k += 1
            elif any(w.has_content or w.style is not None for w in writes.values()):
                el = etree.Element(self.t_row, r=str(row))
                if k < len(existing):
                    existing[k].addprevious(el)
                else:
                    wrapper.append(el)
            else:
                continue  # only clears of cells that do not exist: nothing to write
            self._apply(el, row, writes)
        return unwrap(wrapper)

    # -- rows written as bytes --------------------------------------------------------------

    def _fast_row(self, row: int, entry: "dict[int, CellWrite] | RowRun", start: int, end: int
                  ) -> list[tuple[int, int, bytes]] | None:
        """The row ``xml[start:end]`` with ``entry``'s writes applied, written directly: the spans of
        the sheet to replace, in order, as (from, to, new bytes). None when the row needs lxml: a
        formula or an extension in a written cell, a clear or a pending shared-formula promotion,
        cells without ``r``, namespace prefixes, comments, CDATA or processing instructions."""
        if self.promotions or not self.default_ns or row >= self.clear_from and any(c.covers_row(row) for c in self.clears):
            return None
        xml = self.parts.xml
        if self.marked_up and (xml.find(b"<!", start, end) >= 0 or xml.find(b"<?", start, end) >= 0):
            return None
        if type(entry) is RowRun:
            splices = self._splice_run(row, entry, start, end)
            if splices is not None:
                return splices
        writes = row_writes(entry)
        row_xml = xml[start: end]
        edited = self._splice_row(row, writes, row_xml)
        if edited is None:
            edited = self._walk_row(row, writes, row_xml)
        return None if edited is None else [(start, end, edited)]

    def _walk_row(self, row: int, writes: dict[int, CellWrite], row_xml: bytes) -> bytes | None:
        """The row with ``writes`` applied after a walk through all its cells; None when it is not
        plain enough (see :meth:`_fast_row`)."""
        m = _PLAIN_ROW.fullmatch(row_xml)
        if m is None or not _PLAIN_ATTRS.fullmatch(m.group(1)):
            return None
        attrs, inner = m.group(1), m.group(2) or b""
        cells: list[tuple[bytes, int, bytes, bytes | None, bytes]] = []  # gap, col, attrs, content, raw
        last = 0
        for cm in _PLAIN_CELL.finditer(inner):
            gap, cell_attrs = inner[last: cm.start()], cm.group(1) or b""
            rm = _ATTR_R.search(cell_attrs)
            if gap.strip() or rm is None:
                return None
            col = ref_col(rm.group(1).decode())
            if col in writes and (not _PLAIN_ATTRS.fullmatch(cell_attrs)
                                  or cm.group(2) is not None and not _PLAIN_CONTENT.fullmatch(cm.group(2))):
                return None  # a formula or an extension: lxml keeps the bookkeeping right
            cells.append((gap, col, cell_attrs, cm.group(2), cm.group()))
            last = cm.end()
        trailing = inner[last:]
        if trailing.strip():
            return None
        return self._row_bytes(row, attrs, trailing, cells, writes, m.group(0))

    def _cell_start(self, col: int) -> bytes:
        """b'<c r="P' for column 16: how a cell of that column starts, before its row number."""
        start = self._cell_starts.get(col)
        if start is None:
            start = self._cell_starts[col] = b'<c r="' + col_letter(col).encode()
        return start

    def _splice_row(self, row: int, writes: dict[int, CellWrite], row_xml: bytes) -> bytes | None:
        """The row with each written cell replaced in place, and new cells appended when they go
        right of every cell it has (a new "Lịch sử" column): the rest of the row is not even
        tokenized. None when a cell must be created between others."""
        number = b'%d"' % row
        found: list[tuple[int, int, bytes]] = []  # (start, column, how the cell starts)
        missing: list[int] = []
        tracked, starts = self.tracked, self._cell_starts
        hint = 0  # cells come in column order: each search starts where the last cell was found
        for col in writes if tracked <= writes.keys() else tracked.union(writes):
            head = (starts.get(col) or self._cell_start(col)) + number
            start = row_xml.find(head, hint)
            if start < 0 and hint:
                start = row_xml.find(head)
            if start < 0:
                missing.append(col)
            else:
                found.append((start, col, head))
                hint = start
        appended: list[int] = []
        if missing:
            if row_xml.count(b"<c") != row_xml.count(b'<c r="'):
                return None  # a cell whose r is missing or not first: only a walk through the row finds it
            appended = sorted(col for col in missing if (w := writes.get(col)) is not None
                              and (w.has_content or w.style is not None))
        spans = self._room_right(row_xml, appended) if appended else (0, 0, b"")
        if spans is None:
            return None
        styles: dict[int, str | None] = {}
        out: list[bytes] = []
        pos = 0
        for start, col, head in sorted(found) if len(found) > 1 else found:
            write = writes.get(col)
            simple = _SIMPLE_CELL.match(row_xml, start)
            if simple is None:
                cell = _PLAIN_CELL.match(row_xml, start)
                if cell is None:
                    return None
            if write is None:  # a tracked column this row does not write: only its style matters
                if simple:
                    styles[col] = simple.group(1).decode() if simple.group(1) else None
                else:
                    sm = _ATTR_S.search(cell.group(1) or b"")
                    styles[col] = sm.group(1).decode() if sm else None
                continue
            out.append(row_xml[pos: start])
            if simple:
                old = simple.group(1)
                if write.style is not None:
                    old = b"%d" % write.style
                elif write.fallback and (old is None or old == b"0"):
                    old = b"%d" % self.resolve_fallback(write.fallback)
                if col in tracked:
                    styles[col] = old.decode() if old else None
                out.append(head + b' s="' + old + b'"' if old else head)
                out.append(_content(write, "").encode())
                pos = simple.end()
                continue
            content = cell.group(2)
            attrs = cell.group(1) or b""
            if not _PLAIN_ATTRS.fullmatch(attrs) or content is not None and not _PLAIN_CONTENT.fullmatch(content):
                return None
            out.append(self._cell_text(row, col, attrs, write, styles, content).encode())
            pos = cell.end()
        end = row_xml.rfind(b"</row") if appended else len(row_xml)
        out.append(row_xml[pos: end])
        if appended:
            out.append("".join(self._cell_text(row, col, None, writes[col], styles) for col in appended).encode())
        out.append(row_xml[end:])
        self.last_style.update(styles)  # tracked columns only
        edited = b"".join(out)
        start, stop, widened = spans  # in the row's start tag, which is copied unchanged
        return edited[:start] + widened + edited[stop:] if widened else edited

    @staticmethod
    def _room_right(row_xml: bytes, cols: list[int]) -> tuple[int, int, bytes] | None:
        """The row's spans widened for cells at ``cols`` (see :func:`_widened_spans`), when ``cols``
        all lie right of its last cell; None otherwise, or when the row has no cell."""
        last = row_xml.rfind(b'<c r="')
        if last < 0 or cols[0] <= _col_at(row_xml, last):
            return None
        return _widened_spans(row_xml, cols)

    def _row_bytes(self, row: int, attrs: bytes, trailing: bytes, cells: list, writes: dict[int, CellWrite],
                   original: bytes | None) -> bytes:
        """A <row> from its existing cells and ``writes``, as :meth:`_apply` would make it."""
        present = {c[1] for c in cells}
        pending = sorted((col, w) for col, w in writes.items()
                         if col not in present and (w.has_content or w.style is not None))
        out: list[bytes] = []
        styles: dict[int, str | None] = {}  # the s of every cell of the row afterwards
        k = 0
        for gap, col, cell_attrs, content, raw in cells:
            out.append(gap)
            while k < len(pending) and pending[k][0] < col:
                out.append(self._cell_text(row, pending[k][0], None, pending[k][1], styles).encode())
                k += 1
            write = writes.get(col)
            if write is None:
                out.append(raw)
                sm = _ATTR_S.search(cell_attrs) if col in self.tracked else None
                styles[col] = sm.group(1).decode() if sm else None
            else:
                out.append(self._cell_text(row, col, cell_attrs, write, styles, content).encode())
        out.append(trailing)
        if k < len(pending):
            out.append("".join(self._cell_text(row, col, None, w, styles) for col, w in pending[k:]).encode())
        for col in self.tracked:
            if col in styles:
                self.last_style[col] = styles[col]
        if pending and original is not None:
            spans = _ATTR_SPANS.search(attrs)
            if spans:
                try:
                    bounds = [int(x) for span in spans.group(2).decode().split() for x in span.split(":")]
                except ValueError:
                    bounds = []
                cols = [c[1] for c in cells] + [col for col, _ in pending]
                attrs = attrs[: spans.start(2)] + f"{min(bounds + cols)}:{max(bounds + cols)}".encode() + attrs[spans.end(2):]
        if original is None:
            attrs = b' r="%d"' % row
        return b"<row" + attrs + b">" + b"".join(out) + b"</row>"

    def _run_bytes(self, row: int, run: RowRun) -> bytes:
        """A new row from a RowRun, as :meth:`_row_bytes` makes it from the run's CellWrites
        (b"" when no cell is created), without a CellWrite per plain value."""
        cells = self._run_cells(row, run, repeat(None), repeat(None), self._run_shape(run))
        return f'<row r="{row}">{cells}</row>'.encode() if cells else b""

    def _run_shape(self, run: RowRun) -> _RunShape:
        """What the runs of one shape share (a block's rows share theirs)."""
        key = (run.col, len(run.values), id(run.styles) if type(run.styles) is tuple else run.styles)
        shape = self._run_shapes.get(key)
        if shape is None:
            cols = range(run.col, run.col + len(run.values))
            heads = []
            for i, col in enumerate(cols):
                given = None if run.style_of(i) is None else str(run.style_of(i))
                heads.append((col, f'<c r="{self._letter(col)}', given, f'" s="{given}"', col in self.tracked))
            shape = self._run_shapes[key] = _RunShape(heads, not self.tracked.issubset(cols),
                                                      self._cell_start(run.col), _simple_run(run.col, len(cols)))
        return shape

    def _run_cells(self, row: int, run: RowRun, olds: Iterable, present: Iterable, shape: _RunShape) -> str:
        """The cells of a run, as :meth:`_cell_text` makes them from its CellWrites. Per cell,
        ``present`` tells whether it exists (anything but None), ``olds`` the s of the existing
        simple cell it is written over (None: it has none). A new cell takes its style from above;
        nothing is made for an empty value without a style."""
        number = str(row)
        last_style = self.last_style
        out: list[str] = []
        for value, (col, start, given, styled, tracked), old, exists in zip(run.values, shape.heads, olds, present):
            kind = type(value)
            if kind is CellWrite:
                old = last_style.get(col) if exists is None else old.decode() if old else None
                style = self._new_style(value, old) or old
                if tracked:
                    last_style[col] = style
                body = _content(value, "")
                out.append(f'{start}{number}" s="{style}"{body}' if style is not None else f'{start}{number}"{body}')
                continue
            # A plain value: its markup as _content makes it from the value's CellWrite (plain_write).
            if kind is str:
                body = f' t="inlineStr"><is>{_inline(value)}</is></c>'
            elif value is None:
                if exists is None and given is None:
                    continue  # nothing to empty in a new cell
                body = "/>"
            else:
                body = f"><v>{value!r}</v></c>"  # repr of an int or float is its str
            if given is not None and not tracked:
                out.append(f"{start}{number}{styled}{body}")  # most cells of a block
                continue
            if given is None:
                given = last_style.get(col) if exists is None else old.decode() if old else None
            if tracked:
                last_style[col] = given
            out.append(f'{start}{number}" s="{given}"{body}' if given is not None else f'{start}{number}"{body}')
        return "".join(out)

    def _splice_run(self, row: int, run: RowRun, start: int, end: int) -> list[tuple[int, int, bytes]] | None:
        """A run written over the cells of the row ``xml[start:end]`` in its columns, as splices (see
        :meth:`_fast_row`): the row's cells there must be simple and side by side with its first
        column's cell among them (a unit tab's engine columns, a "Tổng hợp" row whose empty cells
        were never made), or none at all when they all go right of its last cell (a new "Lịch sử"
        column). Cells the run creates take their place; cells of other columns stay bytes. None
        otherwise, or when a tracked column lies outside the run (its style must be followed)."""
        shape = self._run_shape(run)
        if shape.outside:
            return None
        xml = self.parts.xml
        # Searched from the end: the columns a run writes are mostly the last ones (engine columns).
        first = xml.rfind(shape.first + b'%d"' % row, start, end)
        if first >= 0:
            m = shape.cells.match(xml, first, end)
            if m is None:
                return None
            groups = m.groups()
            olds, present = groups[1::2], groups[2::2]
            if None not in present:  # every cell of the run exists: the common case
                return [(first, m.end(), self._run_cells(row, run, olds, present, shape).encode())]
            cut, at = first, m.end()
            # Next comes the end of the row or a cell right of the run: anything else (a cell in
            # the run's columns that is not simple, a cell without r) goes the general way.
            if not (xml.startswith(b"</row", at)
                    or xml.startswith(b'<c r="', at) and _col_at(xml, at) >= run.col + len(olds)):
                return None
        else:
            last = xml.rfind(b'<c r="', start, end)
            # Cells without r before the last cell lie left of it; after it, one might be in the run.
            if last < 0 or _col_at(xml, last) >= run.col or xml.find(b"<c", last + 2, end) >= 0:
                return None
            cut = at = xml.rfind(b"</row", start, end)
            olds = present = (None,) * len(run.values)
        widen = None
        if xml.find(b"spans", start, cut) >= 0:  # most rows have no spans to widen
            created = [col for (col, _, given, _, _), v, exists in zip(shape.heads, run.values, present)
                       if exists is None and (v is not None or given is not None)]
            if created:
                if xml.count(b"<c", start, end) != xml.count(b'<c r="', start, end):
                    return None  # a cell without r: only a walk through the row knows its bounds
                widen = _widened_spans(xml, created, start, end)  # in the row's start tag
        # Cells rendered last: _run_cells follows the styles of tracked columns, so nothing may
        # send the row down another path after it.
        cells = (cut, at, self._run_cells(row, run, olds, present, shape).encode())
        return [widen, cells] if widen and widen[2] else [cells]

    def _letter(self, col: int) -> str:
        letters = self._letters.get(col)
        if letters is None:
            letters = self._letters[col] = col_letter(col)
        return letters

    def _new_style(self, write: CellWrite, style: str | None) -> str | None:
        """The s a written cell is given instead of ``style``, the one it has (or would take from
        above); None when it keeps it."""
        if write.style is not None:
            return str(write.style)
        if write.fallback and style in (None, "0"):
            return str(self.resolve_fallback(write.fallback))
        return None

    def _cell_text(self, row: int, col: int, attrs: bytes | None, write: CellWrite, styles: dict,
                   content: bytes | None = None) -> str:
        """One written <c>, as :meth:`_write` leaves it: old content, t, cm and vm dropped, s set or
        kept, t and the new content added (after the whitespace the old content started with); a
        new cell starts with r and the style above it."""
        if attrs is None:  # a new cell: r, then s, then t
            above = self.last_style.get(col)
            style = self._new_style(write, above) or above
            head = f'<c r="{self._letter(col)}{row}"' + (f' s="{style}"' if style is not None else "")
        else:  # an existing cell keeps its other attributes, in their order
            pairs = [(name, value) for name, value in _PLAIN_ATTR.findall(attrs) if name not in _DROPPED_ATTRS]
            index = next((i for i, (name, _) in enumerate(pairs) if name == b"s"), None)
            style = pairs[index][1][1:-1].decode() if index is not None else None
            new = self._new_style(write, style)
            if new is not None:
                style = new
                if index is None:
                    pairs.append((b"s", f'"{new}"'.encode()))
                else:
                    pairs[index] = (b"s", f'"{new}"'.encode())
            head = "<c" + b"".join(b" " + name + b"=" + value for name, value in pairs).decode()
        if col in self.tracked:
            styles[col] = style
        lead = content[: len(content) - len(content.lstrip())].decode() if content else ""
        return head + _content(write, lead)

    def _clears_content(self, xml: bytes, start: int, end: int, row: int) -> bool:
        """Whether a clear range covers a cell of the row ``xml[start:end]`` that holds something."""
        clears = [c for c in self.clears if c.covers_row(row)]
        return bool(clears) and any(
            not empty and any(c.c1 <= col <= c.c2 for c in clears) for col, _, empty in _cells_in(xml, start, end)
        )

    def _takes_promotion(self, xml: bytes, start: int, end: int, row: int) -> bool:
        """Whether this row may hold the next master of a shared formula whose master was overwritten."""
        if any(p.origin[0] <= row <= p.last_row for p in self.promotions.values()):
            return any(si.decode() in self.promotions for si in _ATTR_SI.findall(xml, start, end))
        return False

    def _track(self, xml: bytes, start: int, end: int) -> None:
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

    # -- rows -------------------------------------------------------------------------------


    def _apply(self, row_el: etree._Element, row: int, writes: dict[int, CellWrite]) -> None:
        cells: list[tuple[int, etree._Element]] = []
        col = 0
        for el in row_el.iterchildren(self.t_c):
            ref = el.get("r")
            col = ref_col(ref) if ref else col + 1
            cells.append((col, el))
        by_col = dict(cells)
        created = False
        for col, write in sorted(writes.items()):
            el = by_col.get(col)
            if el is None:
                if not write.has_content and write.style is None:
                    continue
                el = by_col[col] = self._insert_cell(row_el, cells, row, col)
                created = True
            self._write(el, (row, col), write)
        clears = [c for c in self.clears if c.covers_row(row)]
        if clears:
            for col, el in cells:
                if col not in writes and len(el) and any(c.c1 <= col <= c.c2 for c in clears):
                    self._write(el, (row, col), _EMPTY)
        if self.promotions:
            self._promote(row, cells, writes)
        for col in self.tracked:
            el = by_col.get(col)
            if el is not None:
                self.last_style[col] = el.get("s")
        if created and row_el.get("spans"):
            self._widen_spans(row_el, cells)

    def _insert_cell(self, row_el, cells: list, row: int, col: int) -> etree._Element:
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

    def _write(self, el: etree._Element, pos: tuple[int, int], write: CellWrite) -> None:
        for child in [c for c in el if c.tag in self.content_tags]:
            if child.tag == self.t_f:
                self.removed_formulas.add(pos)
                if child.get("t") == "shared" and child.get("ref") and child.text and child.get("si") is not None:
                    r1, c1, r2, c2 = parse_range(child.get("ref"))
                    self.promotions[child.get("si")] = _Promotion(child.text, pos, r2, c1, c2)
            el.remove(child)
        # cm/vm point at formula and value metadata (dynamic arrays, rich values) of the old content.
        for attr in ("t", "cm", "vm"):
            el.attrib.pop(attr, None)
        if write.style is not None:
            el.set("s", str(write.style))
        elif write.fallback and el.get("s", "0") == "0":
            el.set("s", str(self.resolve_fallback(write.fallback)))
        if write.cell_type:
            el.set("t", write.cell_type)
        # Content goes first: a kept <extLst> must stay last (schema order f, v, is, extLst).
        if write.value is not None:
            el.insert(0, etree.Element(self.t_v))
            el[0].text = write.value
        elif write.inline is not None:
            el.insert(0, etree.Element(self.t_is))
            t = etree.SubElement(el[0], self.t_t)
            t.text = write.inline
            if write.inline != write.inline.strip():
                t.set(XML_SPACE, "preserve")

    def _promote(self, row: int, cells: list, writes: dict[int, CellWrite]) -> None:
        """Make the first surviving dependant of an overwritten shared-formula master the new master."""
        for col, el in cells:
            f = el.find(self.t_f)
            if col in writes or f is None or f.get("t") != "shared":
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

    @staticmethod
    def _widen_spans(row_el, cells: list) -> None:
        try:
            bounds = [int(x) for span in row_el.get("spans").split() for x in span.split(":")]
        except ValueError:
            bounds = []
        cols = [c for c, _ in cells]
        row_el.set("spans", f"{min(bounds + cols)}:{max(bounds + cols)}")


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
_TOTAL_FORMULA = re.compile(rb"<" + _NAME + rb"f(?:\s[^>]*)?>\s*=?\s*(?:_xlfn\.)?(?:SUM|SUBTOTAL|AGGREGATE)\s*\(", re.I)
_TOTAL_FORMULA_TEXT = re.compile(r"\s*=?\s*(?:_xlfn\.)?(?:SUM|SUBTOTAL|AGGREGATE)\s*\(", re.I)


class CellMarks(NamedTuple):
    """What a sheet's cells carry that their values do not tell, each as (row, column)."""

    styled: set[tuple[int, int]]  # cells with one of the styles asked for (a percentage format)
    errors: dict[tuple[int, int], str]  # error values ("#REF!"), which calamine reads as empty
    totals: set[tuple[int, int]]  # formulas adding up a column: =SUM(…), =SUBTOTAL(…)


def marked_cells(xml: bytes, part: str, styles: set[int]) -> CellMarks:
    """The cells whose style index ``s`` is one of ``styles``, the error values (``t="e"``) with
    their text, and the cells whose formula adds up a column.

    Regular expressions find whether the sheet, then each row, holds such a cell at all, so a
    sheet without one costs three searches; the walk through a row's cells gives cells without
    ``r`` their implicit position.
    """
    marks = CellMarks(set(), {}, set())
    style_tag = re.compile(rb"<" + _NAME + rb"c(?=[\s/>])[^>]*?\ss\s*=\s*[\"']0*(?:"
                           + b"|".join(str(s).encode() for s in sorted(styles)) + rb")[\"']") if styles else None
    has_styled = style_tag is not None and style_tag.search(xml) is not None
    has_errors = _ERROR_TYPE.search(xml) is not None
    has_totals = _TOTAL_FORMULA.search(xml) is not None
    if not (has_styled or has_errors or has_totals):
        return marks
    parts = split_sheet(xml, part)
    for start, end, row in iter_rows(parts, part):
        if has_styled and style_tag.search(xml, start, end):
            for col, attrs, _ in _cells_in(xml, start, end):
                sm = _ATTR_S.search(attrs)
                if sm and sm.group(1).isdigit() and int(sm.group(1)) in styles:
                    marks.styled.add((row, col))
        errors_here = has_errors and _ERROR_TYPE.search(xml, start, end)
        if errors_here or (has_totals and _TOTAL_FORMULA.search(xml, start, end)):
            col = 0
            for el in parts.fragment(xml[start:end], part)[0].iterchildren(f"{{{parts.ns}}}c"):
                ref = el.get("r")
                col = ref_col(ref) if ref else col + 1
                text = el.findtext(f"{{{parts.ns}}}v") if el.get("t") == "e" else None
                if text:
                    marks.errors[(row, col)] = text
                formula = el.findtext(f"{{{parts.ns}}}f")
                if formula and _TOTAL_FORMULA_TEXT.match(formula):
                    marks.totals.add((row, col))
    return marks


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


def rich_text(el: etree._Element, ns: str) -> str:
    """Text of an <si>/<is>: its <t>, or the <t> of each run; phonetic runs (<rPh>) excluded."""
    return "".join(t.text or "" for t in el.iterchildren(f"{{{ns}}}t", f"{{{ns}}}r") for t in (
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
    """The relationship id of the sheet's <drawing>, or None when it has none."""
    _, _, wrapper = _tail_fragment(parts, part)
    el = wrapper.find(f"{{{parts.ns}}}drawing")
    return None if el is None else el.get(f"{{{REL_NS}}}id")


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
