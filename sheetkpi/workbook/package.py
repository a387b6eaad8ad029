"""Lossless writer for .xlsx/.xlsm workbooks: edits the OOXML zip package in place of openpyxl.

Loading a workbook into openpyxl and saving it drops what openpyxl does not model (data bars, x14
extensions, sparklines, shapes, threaded comments, VBA, cached values). :class:`Package` instead
changes only the parts it must: written worksheets (streamed, see :mod:`._sheetxml`), styles when a
style is added (:mod:`._styles`), the workbook, its relationships and content types when a sheet is
added (:mod:`._parts`), charts (:mod:`._chart`), and the calculation chain when a formula is
overwritten (:mod:`._calcchain`). Every other part is copied as its raw compressed bytes, in its
original order (:mod:`._zip`); new parts go at the end. See docs/writer.md.

:class:`Package` keeps the sheets, the cells written into them, and commit and save.
"""

from __future__ import annotations

import os
import posixpath
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, Protocol

from lxml import etree

from ..cells import Area, Areas, col_letter
from ..errors import os_error_message
from ..writes import RowHeights
from . import _calcchain, _chart, _segments, _sheetxml
from ._memory import give_back
from ._parts import CONTENT_TYPES, Parts, insert_ordered, local_name
from ._sheetxml import (
    MAX_COL,
    MAX_ROW,
    ClearRange,
    ColumnRuns,
    MadeRuns,
    Runs,
    SheetEditor,
    StackedRuns,
    add_run,
    cell_ref,
    parse_range,
    run_values,
    split_sheet,
    without,
)
from ._styles import CellStyle, Styles
from ._values import MAX_TEXT, Values, decoded
from ._xml import ILLEGAL_XML, MAIN_NS, REL_NS, RT, escape_attr
from ._zip import Deflater, Kept, Packed, PackStream, write_zip
from .safety import write_atomically
from .xmlsafe import InvalidPackageError, PackageError, PackageLimitError, open_zip, parse_xml

__all__ = ["MAX_TEXT", "CellStyle", "InvalidPackageError", "Package", "PackageError", "PackageLimitError"]

STRICT_MAIN_NS = "http://purl.oclc.org/ooxml/spreadsheetml/main"
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
# Schema order of the children of <workbook> (ECMA-376), to insert new ones where Excel expects them.
_WORKBOOK_ORDER = ["fileVersion", "fileSharing", "workbookPr", "workbookProtection", "bookViews", "sheets",
                   "functionGroups", "externalReferences", "definedNames", "calcPr", "oleSize",
                   "customWorkbookViews", "pivotCaches", "smartTagPr", "smartTagTypes", "webPublishing",
                   "fileRecoveryPr", "webPublishObjects", "extLst"]


@dataclass
class _Sheet:
    name: str
    sheet_id: int
    part: str
    is_worksheet: bool


# A row's start tag in a sheet sheetkpi renders (r first, as its editor writes it).
_GIVE_BACK_EVERY = 8 << 20  # bytes of XML rendered: then the memory freed is given back
_ROW_START = re.compile(rb'<row r="(\d+)"([^>]*?)(/?)>')
_HEIGHT_ATTRS = re.compile(rb'\s(?:ht|customHeight)="[^"]*"')
_SHEET_DATA_START = re.compile(rb"<((?:[A-Za-z_][\w.\-]*:)?)sheetData[\s/>]")
_SHEET_DATA_END = re.compile(rb"</(?:[A-Za-z_][\w.\-]*:)?sheetData\s*>|<(?:[A-Za-z_][\w.\-]*:)?sheetData\s*/>")
_HEADER_FOOTER = ('<headerFooter><oddFooter>&amp;C&amp;"Times New Roman,Regular"Trang &amp;P/&amp;N</oddFooter>'
                  "</headerFooter>")


@dataclass
class _Layout:
    """What sheetkpi controls in a sheet it created or lays out whole: columns, frozen panes,
    merges, row heights, printing, drawing."""

    widths: dict[int, float] = field(default_factory=dict)
    freeze: tuple[int, int] | None = None
    merges: Areas = field(default_factory=Areas)
    heights: Mapping[int, float] = field(default_factory=dict)  # points, for rows whose text wraps
    breaks: list[int] = field(default_factory=list)  # a printed page starts at each of these rows
    drawing_rid: str | None = None
    landscape_a4: bool = False  # A4 landscape, one page wide, page numbers in the footer

    def render(self, dimension: str, body: bytes) -> tuple[bytes, bytes, Iterator[bytes]]:
        """The worksheet XML of a sheet sheetkpi owns around an existing sheetData body: the head
        (to the <sheetData> tag), the body, and the tail (from </sheetData>) in pieces, made as they
        are asked for ("Tổng hợp"'s merges: 200,000 at 100,000 KPIs, megabytes of XML)."""
        views = ""
        if self.freeze and self.freeze != (1, 1):
            row, col = self.freeze
            pane = "bottomRight" if row > 1 and col > 1 else ("bottomLeft" if row > 1 else "topRight")
            split = (f' xSplit="{col - 1}"' if col > 1 else "") + (f' ySplit="{row - 1}"' if row > 1 else "")
            top_left = cell_ref(row, col)
            views = (f'<pane{split} topLeftCell="{top_left}" activePane="{pane}" state="frozen"/>'
                     f'<selection pane="{pane}" activeCell="{top_left}" sqref="{top_left}"/>')
        cols = "".join(f'<col min="{c}" max="{c}" width="{w:g}" customWidth="1"/>'
                       for c, w in sorted(self.widths.items()))
        if self.heights:
            body = _ROW_START.sub(self._row_height, body)
        head = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
            + ('<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>' if self.landscape_a4 else "")
            + f'<dimension ref="{escape_attr(dimension)}"/><sheetViews><sheetView workbookViewId="0">{views}'
            '</sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>'
            + (f"<cols>{cols}</cols>" if cols else "")
        )
        tail = (
            ('<printOptions horizontalCentered="1"/>' if self.landscape_a4 else "")
            + ('<pageMargins left="0.4" right="0.4" top="0.5" bottom="0.6" header="0.3" footer="0.3"/>'
               if self.landscape_a4 else
               '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>')
            + ('<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>' + _HEADER_FOOTER
               if self.landscape_a4 else "")
            + (f'<rowBreaks count="{len(self.breaks)}" manualBreakCount="{len(self.breaks)}">'
               + "".join(f'<brk id="{row - 1}" max="16383" man="1"/>' for row in sorted(self.breaks))
               + "</rowBreaks>" if self.breaks else "")
            + (f'<drawing r:id="{escape_attr(self.drawing_rid)}"/>' if self.drawing_rid else "")
            + "</worksheet>"
        )
        return head.encode() + b"<sheetData>", body, self._tail(tail.encode())

    def xml(self, dimension: str, body: bytes) -> bytes:
        """The whole worksheet XML (see :meth:`render`)."""
        head, body, tail = self.render(dimension, body)
        return b"".join([head, body, *tail])

    def _tail(self, rest: bytes) -> Iterator[bytes]:
        yield b"</sheetData>"
        if self.merges:
            yield f'<mergeCells count="{len(self.merges)}">'.encode()
            yield from self._merge_xml()
            yield b"</mergeCells>"
        yield rest

    def _merge_xml(self) -> Iterator[bytes]:
        # In pieces of a few thousand: "Tổng hợp" has 200,000 merges at 100,000 KPIs, whose texts
        # made at once took 15 MB more than their bytes.
        areas = iter(self.merges)
        while batch := list(islice(areas, 4096)):
            yield "".join([f'<mergeCell ref="{col_letter(c1)}{r1}:{col_letter(c2)}{r2}"/>'
                           for r1, c1, r2, c2 in batch]).encode()

    def _row_height(self, m: re.Match) -> bytes:
        height = self.heights.get(int(m.group(1)))
        if height is None:
            return m.group(0)
        attrs = _HEIGHT_ATTRS.sub(b"", m.group(2))
        return b'<row r="%s"%s ht="%s" customHeight="1"%s>' % (m.group(1), attrs, f"{height:g}".encode(), m.group(3))


class CellItems(Protocol):
    """Cells as :meth:`Package.set_cells` takes them: ``{(row, col): value}``, or anything whose
    ``items()`` gives those pairs."""

    def items(self) -> Iterable[tuple[tuple[int, int], Any]]: ...


def _taken(held: Mapping[int, float] | None, given: Mapping[int, float]) -> Mapping[int, float]:
    """Row heights ``given`` after those ``held``: a :class:`RowHeights` as it is when nothing is
    held, else a dict of both (``given`` last)."""
    if not held and isinstance(given, RowHeights):
        return given
    return {**(held or {}), **given}


class Package:
    """An open .xlsx/.xlsm package. Edits are kept in memory and applied by :meth:`save`."""

    def __init__(self, path: Path, infos: list[zipfile.ZipInfo], comment: bytes):
        """Use :meth:`Package.open`."""
        self._parts = Parts(path, infos, comment)
        self._layouts: dict[str, _Layout] = {}  # sheets created by add_sheet, by part
        self._rows: dict[str, dict[int, Runs] | MadeRuns | StackedRuns] = {}  # pending writes by sheet part and row
        self._clears: dict[str, list[ClearRange]] = {}
        self._drawing_refs: dict[str, str] = {}  # existing sheet part -> rId of a <drawing> to insert
        self._new_widths: dict[str, dict[int, float]] = {}  # existing sheet part -> widths of columns without one
        self._new_heights: dict[str, Mapping[int, float]] = {}  # existing sheet part -> heights rows grow to
        self._pending: set[str] = set()  # sheet parts to render (at save, or by commit)
        # by sheetId, for calcChain at save; None: every formula of a sheet laid out anew
        self._removed_formulas: dict[int, set[tuple[int, int] | None]] = {}
        self._charts: dict[str, _chart.ChartSpec] = {}  # chart part -> what it shows
        self._filled: set[str] = set()  # charts whose caches hold the values of their sheet's last render
        self._chart_count: dict[str, int] = {}
        self._deflater: Deflater | None = None  # deflates rendered sheets as the next ones render
        self._rendered = 0  # bytes of XML rendered by commits since memory was last given back
        self._uniform: dict[tuple, tuple] = {}  # (style, width) -> the styles tuple of a run
        self._shared: list[str] | None = None
        self._found: dict[str, _Sheet] = {}  # sheet lookups by the name asked for
        self._matching: dict[Callable[[str], bool], set[int]] = {}  # number-format test -> xf indices
        # Another process that packs a laid-out sheet's lower rows (see _segments): given the part,
        # the rows' runs and heights, a function that waits for the segment (None: packed here), or
        # None when it cannot.
        self.segments: Callable[[str, Mapping, Mapping], Callable[[], Packed | None] | None] | None = None

    # -- opening ----------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike) -> Package:
        """Open a workbook package; checks its type and limits and reads the workbook structure.

        Raises :class:`InvalidPackageError` (a :class:`PackageError`) with a Vietnamese message when
        the file is missing, not a zip, encrypted, a legacy .xls, too large, or broken.
        """
        path = Path(path)
        with open_zip(path) as zf:
            infos, comment = zf.infolist(), zf.comment
        pkg = cls(path, infos, comment)
        pkg._load_structure()
        return pkg

    def _load_structure(self) -> None:
        parts = self._parts
        parts.tree(CONTENT_TYPES)
        office = [t for t in parts.rels("") if t[1] == RT + "officeDocument"]
        if not office:
            raise InvalidPackageError("part-missing", "Tệp không chứa sổ tính (thiếu quan hệ officeDocument).")
        self._wb_part = office[0][2]
        wb = parts.tree(self._wb_part)
        ns = etree.QName(wb).namespace
        if ns == STRICT_MAIN_NS:
            raise InvalidPackageError(
                "strict-format",
                "Tệp lưu ở định dạng 'Strict Open XML' chưa được hỗ trợ. Hãy mở bằng Excel và lưu lại "
                "dưới dạng 'Sổ làm việc Excel (.xlsx)'.",
            )
        if ns != MAIN_NS or local_name(wb) != "workbook":
            raise InvalidPackageError("part-missing", "Tệp không chứa sổ tính Excel hợp lệ (workbook.xml).")
        targets = {rid: (rtype, part) for rid, rtype, part in parts.rels(self._wb_part)}
        self._sheets: list[_Sheet] = []
        for el in wb.iterfind(f"{{{MAIN_NS}}}sheets/{{{MAIN_NS}}}sheet"):
            rtype, part = targets.get(el.get(f"{{{REL_NS}}}id"), ("", None))
            sheet_id = el.get("sheetId", "")
            if part is None or not parts.exists(part) or not sheet_id.isdigit():
                raise InvalidPackageError("part-missing", f"Thiếu phần dữ liệu của trang tính '{el.get('name')}'.")
            self._sheets.append(_Sheet(el.get("name", ""), int(sheet_id), part, rtype == RT + "worksheet"))
        pr = wb.find(f"{{{MAIN_NS}}}workbookPr")
        self.date1904 = pr is not None and pr.get("date1904", "false").lower() in ("1", "true")
        self._values = Values(self.date1904)
        self._styles = Styles(parts, self._wb_part)

    # -- sheets -----------------------------------------------------------------------------

    @property
    def sheet_names(self) -> list[str]:
        """Sheet names in workbook order."""
        return [s.name for s in self._sheets]

    def sheet_sizes(self) -> dict[str, int]:
        """The size of each worksheet's XML as the file holds it, inflated (bytes), by name."""
        return {s.name: info.file_size for s in self._sheets
                if s.is_worksheet and (info := self._parts.info(s.part)) is not None}

    def has_sheet(self, name: str) -> bool:
        """Whether a sheet of that name exists (Unicode-normalised, case-insensitive as Excel)."""
        return self._find(name) is not None

    def _find(self, name: str) -> _Sheet | None:
        # Remembered: a run looks a sheet up once per row it writes, among 500 sheets. Sheets are
        # never removed or renamed, so a sheet found stays right.
        found = self._found.get(name)
        if found is None:
            found = next((s for s in self._sheets if s.name == name), None)
            if found is None:
                key = _normal_name(name)
                found = next((s for s in self._sheets if _normal_name(s.name) == key), None)
            if found is not None:
                self._found[name] = found
        return found

    def _worksheet(self, name: str) -> _Sheet:
        sheet = self._find(name)
        if sheet is None:
            raise PackageError("sheet-missing", f"Không có trang tính '{name}' trong sổ tính.")
        if not sheet.is_worksheet:
            raise PackageError("not-a-worksheet",
                               f"'{name}' không phải là trang tính dữ liệu (có thể là trang biểu đồ).")
        return sheet

    def _owned(self, name: str) -> tuple[_Sheet, _Layout]:
        sheet = self._worksheet(name)
        layout = self._layouts.get(sheet.part)
        if layout is None:
            raise PackageError("sheet-not-owned",
                               f"Trang tính '{name}' không do sheetkpi tạo nên không được đổi bố cục.")
        self._pending.add(sheet.part)
        return sheet, layout

    def add_sheet(self, name: str) -> None:
        """Append a new empty worksheet at the end of the workbook.

        Names follow Excel's rules: 1-31 characters, none of ``[]:*?/\\``, not starting or ending
        with an apostrophe, unique regardless of case. Anything else raises ``sheet-name-invalid``.
        """
        self._check_sheet_name(name)
        parts = self._parts
        wb = parts.tree(self._wb_part)
        part = parts.free_name(posixpath.join(posixpath.dirname(self._wb_part), "worksheets", "sheet%d.xml"))
        rid = parts.add_rel(self._wb_part, RT + "worksheet", part)
        sheet_id = max((s.sheet_id for s in self._sheets), default=0) + 1
        el = etree.SubElement(wb.find(f"{{{MAIN_NS}}}sheets"), f"{{{MAIN_NS}}}sheet", name=name, sheetId=str(sheet_id))
        el.set(f"{{{REL_NS}}}id", rid)
        parts.touch(self._wb_part)
        parts.override(part, CT_WORKSHEET)
        parts.put(part, _Layout().xml("A1", b""))
        self._layouts[part] = _Layout()
        self._pending.add(part)
        self._sheets.append(_Sheet(name, sheet_id, part, True))

    def _check_sheet_name(self, name: Any) -> None:
        problem = None
        if not isinstance(name, str) or not name.strip():
            problem = "tên trống"
        elif len(name) > 31:
            problem = "dài quá 31 ký tự"
        elif _BAD_SHEET_CHARS.search(name) or ILLEGAL_XML.search(name):
            problem = "chứa ký tự không được dùng ([ ] : * ? / \\)"
        elif name.startswith("'") or name.endswith("'"):
            problem = "bắt đầu hoặc kết thúc bằng dấu nháy đơn"
        elif name.casefold() == "history":
            problem = "'History' là tên Excel dành riêng"
        elif self._find(name) is not None:
            problem = "đã có trang tính cùng tên"
        if problem:
            raise PackageError("sheet-name-invalid", f"Tên trang tính '{name}' không hợp lệ: {problem}.")

    def reset_sheet(self, name: str) -> None:
        """Make an existing worksheet one that sheetkpi lays out whole, as if it had just created
        it: its rows, merges and settings go (what a longer earlier run left, styles too), its
        drawing — charts and pictures — stays. For sheets that are sheetkpi's own ("Tổng hợp")."""
        sheet = self._worksheet(name)
        if sheet.part in self._layouts:
            self._layouts[sheet.part] = _Layout(drawing_rid=self._layouts[sheet.part].drawing_rid)
        else:
            outline, formulas = self._outline(sheet.part)
            rid = self._drawing_refs.pop(sheet.part, None) or _sheetxml.drawing_rid(outline, sheet.part)
            if formulas:
                self._recalculate_on_load()  # formulas gone: the calcChain must not name them
                self._removed_formulas.setdefault(sheet.sheet_id, set()).add(None)
            self._layouts[sheet.part] = _Layout(drawing_rid=rid)
            # The pass over the sheet an earlier run wrote ("Tổng hợp" at 300,000 KPIs: 146 MB, its
            # last window holding 800,000 merges) left its buffers free: given back before the sheet
            # is laid out again (54 MiB then).
            del outline
            give_back()
        self._parts.put(sheet.part, self._layouts[sheet.part].xml("A1", b""))
        self._rows.pop(sheet.part, None)
        self._clears.pop(sheet.part, None)
        self._pending.add(sheet.part)

    def _outline(self, part: str) -> tuple[_sheetxml.SheetParts, bool]:
        """A worksheet's head and tail (the last of its windows of rows, see
        :func:`_sheetxml.sheet_windows`), and whether it holds a formula: from one pass over the part
        that keeps no more than a window of rows (a "Tổng hợp" of 100,000 KPIs is 48 MB of rows)."""
        marks = (b"<f", b":f>")  # (a "<f" in the tail, <formula> of a rule, counts too: as it always did)
        formulas = False
        for window in _sheetxml.sheet_windows(self._parts.pieces(part), part, _sheetxml.WINDOW):
            formulas = formulas or any(window.xml.find(mark, window.start, window.end) >= 0 for mark in marks)
        return window, formulas or any(mark in window.head or mark in window.tail for mark in marks)

    def set_column_widths(self, sheet_name: str, widths: dict[int, float]) -> None:
        """Column widths (in characters): of every column asked for in a sheet sheetkpi lays out; in
        any other sheet, of the columns that have no width yet (a report-date column sheetkpi adds
        to "Lịch sử" must not print "###"; widths people chose stay)."""
        sheet = self._worksheet(sheet_name)
        for col in widths:
            self._check_cell(1, col)
        layout = self._layouts.get(sheet.part)
        if layout is None:
            self._new_widths.setdefault(sheet.part, {}).update({c: float(w) for c, w in widths.items()})
            self._pending.add(sheet.part)
            return
        self._pending.add(sheet.part)
        layout.widths.update({c: float(w) for c, w in widths.items()})

    def set_row_heights(self, sheet_name: str, heights: Mapping[int, float]) -> None:
        """Row heights (points), for rows whose text wraps: neither Excel nor LibreOffice fits a row
        to its text when a file is opened. In a sheet sheetkpi lays out, the heights given; in any
        other, a row only grows (a height the Office chose that is enough stays). Rows the pending
        writes create get their heights in the same render."""
        sheet = self._worksheet(sheet_name)
        for row, height in heights.items():
            self._check_cell(row, 1)
            if not 0 < height <= 409:
                raise PackageError("value-invalid", f"Chiều cao dòng {height} nằm ngoài 0–409 điểm.")
        layout = self._layouts.get(sheet.part)
        if layout is not None:
            # A RowHeights ("Tổng hợp"'s: 160,000 rows at 300,000 KPIs; "Lịch sử"'s rows added),
            # made for the package and let go by its maker, is taken as it is; any other mapping is
            # copied, as its caller may change it after.
            layout.heights = _taken(layout.heights, heights)
        else:
            self._new_heights[sheet.part] = _taken(self._new_heights.get(sheet.part), heights)
        self._pending.add(sheet.part)

    def set_page_breaks(self, sheet_name: str, rows: list[int]) -> None:
        """Start a printed page at each of ``rows`` (a sheet sheetkpi lays out)."""
        _, layout = self._owned(sheet_name)
        for row in rows:
            self._check_cell(row, 1)
        layout.breaks = sorted(set(rows))

    def column_widths(self, sheet_name: str) -> dict[int, float]:
        """The widths (characters) the sheet gives its columns, pending ones included; columns not
        listed have the default."""
        sheet = self._worksheet(sheet_name)
        layout = self._layouts.get(sheet.part)
        if layout is not None:
            return dict(layout.widths)
        # The head only: the rows of a big sheet are not inflated to learn its columns.
        head = self._parts.read_head(sheet.part, b"sheetData")
        widths = _sheetxml.column_widths(head)
        pending = self._new_widths.get(sheet.part, {})
        for col in _sheetxml.uncovered(head, pending):
            widths[col] = pending[col]  # a column sheetkpi adds gets its width at the render
        return widths

    def would_keep(self, sheet_name: str, cells: Mapping[tuple[int, int], tuple[Any, int]],
                   heights: dict[int, float]) -> bool:
        """Whether writing ``cells`` ((row, column) -> (value, xf index), or
        :data:`_sheetxml.ANY_STYLE` for a cell that keeps its own) with rows grown to ``heights``
        would leave the sheet as it is, each cell already written as this writer writes that value
        (see :func:`_sheetxml.keeps`): then nothing needs writing. False for a sheet with edits
        pending."""
        sheet = self._worksheet(sheet_name)
        part = sheet.part
        if any(part in held for held in (self._pending, self._layouts, self._new_widths, self._new_heights,
                                         self._drawing_refs)):
            return False
        return _sheetxml.keeps(lambda: self._parts.pieces(part), part, cells, heights, self._values.serial)

    def set_freeze(self, sheet_name: str, row: int, col: int) -> None:
        """Freeze the rows above ``row`` and the columns left of ``col`` (a sheet sheetkpi lays out)."""
        _, layout = self._owned(sheet_name)
        self._check_cell(row, col)
        layout.freeze = (row, col)

    def set_print(self, sheet_name: str, *, repeat_rows: tuple[int, int] | None = None) -> None:
        """Print a sheet sheetkpi lays out on A4 landscape, one page wide, repeating ``repeat_rows``
        (first, last) at the top of every page (a sheet-local ``_xlnm.Print_Titles`` name)."""
        sheet, layout = self._owned(sheet_name)
        layout.landscape_a4 = True
        if repeat_rows is None:
            return
        first, last = repeat_rows
        self._check_cell(last, 1)
        wb = self._parts.tree(self._wb_part)
        names = wb.find(f"{{{MAIN_NS}}}definedNames")
        if names is None:
            names = insert_ordered(wb, etree.Element(f"{{{MAIN_NS}}}definedNames"), _WORKBOOK_ORDER)
        index = [s.part for s in self._sheets].index(sheet.part)
        text = f"{_chart.quote_sheet(sheet.name)}!${first}:${last}"
        olds = names.findall(f"{{{MAIN_NS}}}definedName[@name='_xlnm.Print_Titles'][@localSheetId='{index}']")
        if [old.text for old in olds] == [text]:
            return  # a sheet laid out again as before: the workbook part stays as it is
        for old in olds:
            names.remove(old)
        el = etree.SubElement(names, f"{{{MAIN_NS}}}definedName", name="_xlnm.Print_Titles", localSheetId=str(index))
        el.text = text
        self._parts.touch(self._wb_part)

    def merge_cells(self, sheet_name: str, areas: Iterable[Area]) -> None:
        """Merge areas (first row, first column, last row, last column), (1, 1, 1, 6) for A1:F1, in a
        sheet sheetkpi lays out; none is merged if one is not an area of two cells or more."""
        _, layout = self._owned(sheet_name)
        if isinstance(areas, Areas) and areas.all_within(MAX_ROW, MAX_COL):
            layout.merges.extend(areas)
            return
        checked = Areas()
        for area in areas:
            r1, c1, r2, c2 = area
            if not (type(r1) is type(c1) is int and 1 <= r1 <= r2 and 1 <= c1 <= c2 and (r1, c1) != (r2, c2)):
                raise PackageError("ref-invalid", f"Vùng ô không hợp lệ: {area!r}.")
            self._check_cell(r2, c2)
            checked.append(area)
        layout.merges.extend(checked)

    def _sheet_xml(self, part: str) -> bytes:
        """Current worksheet XML; for a sheet we own, re-rendered from its layout."""
        layout = self._layouts.get(part)
        if layout is None:
            return self._parts.read(part)
        head, body, tail = self._laid_out(part, layout)
        return b"".join([head, body, *tail])

    def _laid_out(self, part: str, layout: _Layout) -> tuple[bytes, bytes, Iterator[bytes]]:
        """A sheet sheetkpi owns, re-rendered from its layout: head, rows, tail (see _Layout.render)."""
        parts = split_sheet(self._parts.read(part), part)
        dim = re.search(rb'<dimension ref="([^"]*)"', parts.head)
        return layout.render(dim.group(1).decode() if dim else "A1", parts.body)

    # -- cells ------------------------------------------------------------------------------

    @staticmethod
    def _check_cell(row: int, col: int) -> None:
        if not (isinstance(row, int) and isinstance(col, int) and 1 <= row <= MAX_ROW and 1 <= col <= MAX_COL):
            raise PackageError("ref-invalid", f"Ô ({row}, {col}) nằm ngoài giới hạn của trang tính.")

    def _check_style(self, style: int | None) -> None:
        if style is None:
            return
        if not isinstance(style, int) or isinstance(style, bool) or not 0 <= style < self._styles.count():
            raise PackageError("style-invalid", f"Chỉ số định dạng {style!r} không tồn tại trong sổ tính.")

    def _same_styles(self, style: int | None, width: int) -> tuple:
        """The styles of a run giving every cell ``style``: one tuple per shape, shared by the runs."""
        styles = self._uniform.get((style, width))
        if styles is None:
            styles = self._uniform[(style, width)] = (style,) * width
        return styles

    def set_cells(self, sheet_name: str, cells: CellItems, style: int | None = None) -> None:
        """Write values into cells ``{(row, col): value}`` (1-based; only its ``items()`` are asked for).

        Values: numbers, str (always text, also "=..."), bool, date/datetime (serial numbers; a cell
        left with the default style gets a dd/mm/yyyy format), None (empties the cell: value and
        formula removed, style kept). A written cell keeps its style; a new cell takes the style of
        the nearest cell above in its column. ``style`` (an index from :meth:`add_style`), when
        given, is applied to every written cell instead.
        """
        sheet = self._worksheet(sheet_name)
        self._check_style(style)
        encode = self._values.encode
        # Cells side by side in a row (as a plan lists them) become one run.
        found: list[tuple[int, int, list]] = []  # (row, first column, values) of each run
        run_row, run_col, values = 0, 0, []
        for (row, col), value in cells.items():
            if type(row) is not int or type(col) is not int or not (0 < row <= MAX_ROW and 0 < col <= MAX_COL):
                self._check_cell(row, col)  # raises, unless an int subclass
            if row != run_row or col != run_col + len(values):
                run_row, run_col, values = row, col, []
                found.append((row, col, values))
            values.append(encode(value))
        pending = self._pending_rows(sheet.part)
        for i, (row, col, values) in enumerate(found):
            found[i] = None  # (each run's list freed as its run is made: "Lịch sử" writes 100,000)
            run = (col, tuple(values), self._same_styles(style, len(values)))
            pending[row] = (run,) if row not in pending else add_run(pending[row], run)
        self._pending.add(sheet.part)

    def set_column(self, sheet_name: str, col: int, rows: Sequence[int], values: Sequence[float],
                   styles: Sequence[int | None]) -> None:
        """Write one cell on each of ``rows`` (rising) in column ``col``: ``values[i]`` (a number;
        NaN empties the cell, as None does for :meth:`set_cells`) in the style ``styles[i]``, after
        the writes before (it wins where they overlap). Each row's write is made only when the
        sheet renders ("Lịch sử"'s figures: one per KPI), unless a block that empties cells below
        it comes after this one (then all at once)."""
        sheet = self._worksheet(sheet_name)
        if not rows:
            return
        if any(b <= a for a, b in zip(rows, rows[1:])):
            raise ValueError("set_column needs rising rows")
        self._check_cell(rows[0], col)
        self._check_cell(rows[-1], col)
        shared: dict[int | None, tuple] = {}  # style -> the styles tuple of its runs
        for style in set(styles):
            self._check_style(style)
            shared[style] = self._same_styles(style, 1)
        self._rows[sheet.part] = StackedRuns(self._rows.get(sheet.part) or {}, ColumnRuns(
            col, rows, values, [shared[style] for style in styles], self._values.encode))
        self._pending.add(sheet.part)

    def write_rows(self, sheet_name: str, start_row: int, start_col: int, rows: Sequence[Sequence[Any]],
                   clear_until_row: int | None = None, style: int | list[int | None] | None = None,
                   row_styles: list[int | list[int | None] | None] | None = None, consume: bool = False,
                   width: int | None = None, deferred: bool = False) -> None:
        """Write a block of rows from (start_row, start_col), then empty the same columns below it.

        Short rows are padded with empty cells. Below the block, cells of those columns are emptied
        down to ``clear_until_row``, or, when None, to the end of the sheet, so that a list that got
        shorter leaves nothing stale. ``style``: one xf index for all cells, or one per column;
        ``row_styles``, instead: one such style per row (rows sharing a list share its check).
        ``consume``: each of ``rows`` is dropped from the list (None) once written, for a caller
        that will not read them again; if a value is refused midway, the list is left partly dropped.

        ``deferred``: ``rows`` are made when asked for (a sequence, ``width`` values wide at most,
        not made to find it). With a style per row, as the first write of a sheet sheetkpi lays out
        whole, or on any sheet when they empty nothing below, they are made, and their values
        checked, only when the sheet renders, a slice at a time ("Tổng hợp"'s 57,000 rows at
        100,000 KPIs, "Lịch sử"'s rows added are never held whole): a value refused then fails the
        render, and a value without a style there is a mistake (ValueError: its column's style is
        not tracked). Otherwise, or after a clear in the sheet, they are made now.
        """
        sheet = self._worksheet(sheet_name)
        if width is None:
            width = max((len(r) for r in rows), default=0)
        if row_styles is not None and len(row_styles) != len(rows):
            raise ValueError("row_styles needs one style per row")
        self._check_cell(start_row + max(len(rows) - 1, 0), start_col + max(width - 1, 0))
        shared: dict[int, tuple] = {}  # id of a style given -> the styles tuple of its runs
        for given in row_styles if row_styles is not None else [style]:
            if id(given) not in shared:
                shared[id(given)] = self._run_styles(given, width)
        encode = self._values.encode
        first = start_row + len(rows)  # (below the block)
        clears = bool(width) and (clear_until_row is None or clear_until_row >= first)
        if deferred and width and row_styles is not None and not self._clears.get(sheet.part) and (
                (sheet.part in self._layouts and not self._rows.get(sheet.part)) or not clears):
            made = MadeRuns(start_row, start_col, rows, [shared[id(given)] for given in row_styles], width, encode)
            before = self._rows.get(sheet.part)
            pending = self._rows[sheet.part] = StackedRuns(before, made) if before else made
            rows = ()  # (nothing to write now)
        else:
            pending = self._pending_rows(sheet.part, whole=clears)
            consume = consume and isinstance(rows, list)
        for i, values in enumerate(rows if width else ()):
            styles = shared[id(row_styles[i] if row_styles is not None else style)]
            row = start_row + i
            run = (start_col, run_values(values, width, encode), styles)
            pending[row] = (run,) if row not in pending else add_run(pending[row], run)
            if consume:
                rows[i] = None
        if clears:
            clear = ClearRange(first, clear_until_row, start_col, start_col + width - 1)
            # An earlier write inside the cleared area is superseded by this clear.
            for row in [r for r in pending if clear.covers_row(r)]:
                kept = without(pending[row], clear.c1, clear.c2)
                if kept:
                    pending[row] = tuple(kept)
                else:
                    del pending[row]
            self._clears.setdefault(sheet.part, []).append(clear)
        self._pending.add(sheet.part)

    def _pending_rows(self, part: str, *, whole: bool = False) -> dict[int, Runs]:
        """The writes pending in ``part``, by row, to add to. Rows made when asked for stay so, the
        writes after them kept over them (:class:`StackedRuns`), unless ``whole``: then all are
        made now (a clear takes the writes before it out of what it empties)."""
        pending = self._rows.setdefault(part, {})
        if isinstance(pending, StackedRuns) and type(pending.top) is dict and not whole:
            return pending.top
        if isinstance(pending, (MadeRuns, StackedRuns)):
            if whole:
                pending = self._rows[part] = dict(pending.items())
            else:
                stacked = self._rows[part] = StackedRuns(pending, {})
                pending = stacked.top
        return pending

    def _run_styles(self, style: int | list[int | None] | None, width: int) -> tuple:
        """A style as given to write_rows, checked, as the runs of the block keep it."""
        if not isinstance(style, (list, tuple)):
            self._check_style(style)
            return self._same_styles(style, width)
        for st in set(style):
            self._check_style(st)
        return tuple(style[:width]) + (None,) * (width - len(style))

    def read_cell_values(self, sheet_name: str, cells: Iterable[tuple[int, int]]) -> dict[tuple[int, int], Any]:
        """Values the cells will hold once saved (pending writes included); empty cells are None.

        Numbers come back as int/float (dates as serial numbers), text as str, booleans as bool.
        """
        sheet = self._worksheet(sheet_name)
        pending = self._rows.get(sheet.part, {})
        clears = self._clears.get(sheet.part, [])
        out: dict[tuple[int, int], Any] = {}
        from_file = set()
        for pos in set(cells):
            row, col = pos
            for first, values, _ in pending.get(row, ()):
                if 0 <= col - first < len(values):
                    out[pos] = decoded(values[col - first])
                    break
            else:
                if any(c.covers_row(row) and c.c1 <= col <= c.c2 for c in clears):
                    out[pos] = None
                else:
                    from_file.add(pos)
        if from_file:
            found = self._file_cells(sheet.part, from_file)
            out.update({pos: found.get(pos) for pos in from_file})
        return out

    def _file_cells(self, part: str, wanted: set[tuple[int, int]]) -> dict[tuple[int, int], Any]:
        """:func:`_sheetxml.read_cells` of the sheet as it is now; of its rows down to the last one
        wanted only, when the row after it starts plainly (``<row r="4"``, as every producer writes
        it): the date on the third row of "Tổng hợp" is read without inflating its 48 MB (nor
        looking at what its later rows hold: sheetkpi's own sheet, laid out whole by every
        recalculation). A "<" is never in a text or an attribute: those bytes are that row's tag,
        unless in a comment, CDATA or processing instruction among the rows — then, or when the
        sheet does not parse once closed there, it is read whole."""
        if part not in self._layouts:
            head = self._parts.read_head(part, b'<row r="%d"' % (max(row for row, _ in wanted) + 1), exact=True)
            data = _SHEET_DATA_START.search(head)
            # (Cut among the rows: else the row was not found there, and the sheet is read whole.)
            if data is not None and not _SHEET_DATA_END.search(head, data.end()) \
                    and b"<!" not in head[data.end():] and b"<?" not in head[data.end():]:
                prefix = data.group(1)
                xml = head + b"</%ssheetData></%sworksheet>" % (prefix, prefix)
                try:
                    parse_xml(xml, part)
                except PackageError:
                    pass
                else:
                    return _sheetxml.read_cells(xml, part, wanted, self._shared_string)
        return _sheetxml.read_cells(self._sheet_xml(part), part, wanted, self._shared_string)

    def cell_marks(self, number_format: Callable[[str], bool]) -> dict[str, _sheetxml.CellMarks]:
        """Per worksheet name, what its cells carry that their values do not tell (see
        :meth:`sheet_marks`); sheets with no mark are left out. Far cells are noted in
        :attr:`far_cells`."""
        found = {}
        self.far_cells: dict[str, str] = {}
        for sheet in self._sheets:
            if sheet.is_worksheet:
                far, marks = self.sheet_marks(sheet.name, number_format)
                if far:
                    self.far_cells[sheet.name] = far
                if marks.styled or marks.errors or marks.totals:
                    found[sheet.name] = marks
        return found

    def sheet_marks(self, name: str, number_format: Callable[[str], bool]) -> tuple[str | None, _sheetxml.CellMarks]:
        """What the cells of worksheet ``name`` carry that their values do not tell: the cells whose
        number format code passes ``number_format`` (a percentage:
        :func:`sheetkpi.parsing.numbers.is_percent_format`), error values (``t="e"``, "#REF!") and
        formulas adding up a column (=SUM, =SUBTOTAL); with, first, the far cell that would make a
        reader laying the sheet out as a grid need gigabytes (one cell typed at XFD1048576), if any."""
        styles = self._matching.get(number_format)
        if styles is None:
            styles = self._matching[number_format] = self._styles.matching(number_format)
        part = self._worksheet(name).part
        xml = self._parts.read(part)
        return _sheetxml.far_cell(xml), _sheetxml.marked_cells(xml, part, styles)

    def _shared_string(self, index: int) -> str:
        if self._shared is None:
            found = [p for _, rtype, p in self._parts.rels(self._wb_part) if rtype == RT + "sharedStrings"]
            exists = found and self._parts.exists(found[0])
            self._shared = _sheetxml.shared_strings(self._parts.read(found[0]), found[0]) if exists else []
        return self._shared[index] if 0 <= index < len(self._shared) else ""

    # -- styles and charts ------------------------------------------------------------------

    def add_style(self, *, bold: bool = False, italic: bool = False, size: float | None = None,
                  color: str | None = None, fill: str | None = None, num_fmt: str | int | None = None,
                  wrap: bool = False, halign: str | None = None, valign: str | None = None,
                  border: bool = False) -> int:
        """The xf index of a cell format, appended to xl/styles.xml when the workbook lacks it.

        Fonts, fills, borders and number formats are appended as needed (custom number format ids
        from 164, never colliding); existing indices never change. An entry equal to the one asked
        for is reused, so a run that asks for the formats an earlier run added changes nothing.
        """
        self._matching.clear()  # the new entry may match a test
        return self._styles.add(CellStyle(bold, italic, size, color, fill, num_fmt, wrap, halign, valign, border))

    def add_bar_chart(self, sheet_name: str, *, anchor: tuple[int, int, int, int], title: str, categories: str,
                      series: list[tuple[str, str]], labels: bool = True) -> None:
        """A native clustered column chart over ranges of ``sheet_name``, covering the cells
        ``anchor`` = (row, col, row2, col2), inclusive.

        On a sheet that already has a chart sheetkpi made earlier (the n-th call of a session
        matches the n-th such chart), that chart is updated instead of adding another. Caches are
        filled from the values the cells hold at save.
        """
        sheet = self._worksheet(sheet_name)
        r1, c1, r2, c2 = anchor
        self._check_cell(r1, c1)
        self._check_cell(r2, c2)
        if not series:
            raise PackageError("chart-invalid", "Biểu đồ cần ít nhất một chuỗi số liệu.")
        spec = _chart.ChartSpec(sheet.name, title, parse_range(categories),
                                [(name, parse_range(ref)) for name, ref in series], labels)
        self._chart_count[sheet.part] = n = self._chart_count.get(sheet.part, 0) + 1
        box = (min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2))
        chart_part = _chart.place(self._parts, self._drawing_of(sheet), f"{_chart.CHART_NAME} {n}", box, spec)
        self._charts[chart_part] = spec
        self._filled.discard(chart_part)

    def _drawing_of(self, sheet: _Sheet) -> str:
        """The drawing part of a worksheet, created (with its relationship) when it has none."""
        parts = self._parts
        layout = self._layouts.get(sheet.part)
        rid = layout.drawing_rid if layout else self._drawing_refs.get(sheet.part)
        if rid is None and layout is None:
            rid = _sheetxml.drawing_rid(split_sheet(parts.read(sheet.part), sheet.part), sheet.part)
        if rid is not None:
            return parts.rel_target(sheet.part, rid)
        part = parts.free_name("xl/drawings/drawing%d.xml")
        parts.create(part, _chart.new_drawing(), _chart.CT_DRAWING)
        rid = parts.add_rel(sheet.part, RT + "drawing", part)
        if layout:
            layout.drawing_rid = rid
        else:
            self._drawing_refs[sheet.part] = rid
        self._pending.add(sheet.part)
        return part

    def _fill_charts(self, sheet: _Sheet | None = None) -> None:
        """Give the charts over ``sheet`` the values its cells hold now; with None, the charts
        whose sheet was not rendered since they were added."""
        for chart_part, spec in self._charts.items():
            if sheet is None and chart_part in self._filled or sheet is not None and spec.sheet != sheet.name:
                continue
            cells = {c for box in [spec.categories] + [b for _, b in spec.series] for c in _chart.box_cells(box)}
            self._parts.put(chart_part, _chart.bar_chart_xml(spec, self.read_cell_values(spec.sheet, cells),
                                                             self._styles.font_name()))
            self._filled.add(chart_part)

    # -- sheets rendered by another process (sheetkpi.workbook.parallel) ---------------------

    def style_count(self) -> int:
        """How many cell formats the workbook has now."""
        return self._styles.count()

    @property
    def has_styles(self) -> bool:
        """Whether the workbook has a styles part."""
        return self._styles.part is not None

    def styles_xml(self) -> bytes | None:
        """The styles part as it is now (None: the workbook has none)."""
        part = self._styles.part
        return None if part is None else etree.tostring(self._parts.tree(part))

    def use_styles(self, xml: bytes) -> None:
        """Take the styles part another process has (the formats it added since both opened the file)."""
        part = self._styles.part
        self._parts.replace_tree(part, xml)
        self._styles = Styles(self._parts, self._wb_part)
        self._matching.clear()

    def committed(self, sheet_name: str) -> bool:
        """Whether the sheet has been rendered anew (by :meth:`commit`) since the file was opened."""
        return self._parts.is_packed(self._worksheet(sheet_name).part)

    def rendered(self, sheet_name: str) -> tuple[Packed, set]:
        """A committed sheet's packed part and the formulas its render removed (for calcChain),
        taken from this package (which holds the sheet as the file has it again)."""
        sheet = self._worksheet(sheet_name)
        return self._parts.take(sheet.part), self._removed_formulas.pop(sheet.sheet_id, set())

    def keep_rendered(self, packed: Packed) -> Packed | Kept:
        """A part another process rendered (see :meth:`adopt_rendered`), kept until it is adopted
        where this package keeps its own packed parts until the save (see :class:`._zip.Spool`):
        at 300,000 KPIs, the tabs that come back before "Tổng hợp" is written took 34 MiB."""
        return self._parts.keep(packed)

    def adopt_rendered(self, sheet_name: str, packed: Packed | Kept, removed: set, kept: bool = False) -> None:
        """A sheet rendered by another process from this workbook's file and styles: its part is
        ``packed`` (``kept``: by :meth:`keep_rendered`, as it returned it); ``removed``: the
        formulas the render removed."""
        sheet = self._worksheet(sheet_name)
        if sheet.part in self._pending or sheet.part in self._layouts:
            raise PackageError("adopt-pending", f"Trang tính '{sheet_name}' đã có thay đổi khác.")
        self._parts.pack(sheet.part, packed, kept=kept)
        if removed:
            self._removed_formulas.setdefault(sheet.sheet_id, set()).update(removed)
        self._recalculate_on_load()

    # -- commit and save --------------------------------------------------------------------

    def commit(self, sheet_name: str) -> None:
        """Render the pending edits of one sheet now, pack them and free them, so that a run over
        many sheets holds one sheet's writes at a time instead of all of them until :meth:`save`.

        Charts on the sheet get the values its cells hold now. The sheet can still be written
        afterwards: those writes are applied over the committed content (at the next commit of
        the sheet, or at save). Nothing reaches the file before :meth:`save`.
        """
        sheet = self._worksheet(sheet_name)
        if sheet.part in self._pending:
            self._rendered += self._render_sheet(sheet)
            if self._rendered >= _GIVE_BACK_EVERY:
                # The XML and rows of the sheets rendered are freed: not held while the next are built.
                give_back()
                self._rendered = 0

    def save(self, path: str | os.PathLike, *, before_replace: Callable[[], object] | None = None) -> None:
        """Write the workbook to ``path`` atomically (temp file beside it, fsync, rename).

        On any failure the temp file is removed and ``path`` is left as it was. Saving over the
        file the package was opened from is fine. Afterwards the package represents the saved file.
        ``before_replace`` runs once the new file is complete, just before it takes ``path``'s place
        (the backup of the file being replaced: a run that fails earlier makes none).
        """
        path = Path(path)
        self._parts.check_source()
        changed = self._render()

        def write(tmp: Path) -> None:
            with open(tmp, "wb") as fh:
                write_zip(fh, self._parts.path, self._parts.infos, changed, self._parts.comment)

        def last_checks() -> None:
            self._parts.check_source()  # saved by someone else while this one was written: refused
            if before_replace is not None:
                before_replace()

        try:
            write_atomically(path, write, before_replace=last_checks)
        except OSError as exc:
            raise PackageError("save-failed", f"Không ghi được tệp '{path.name}': {os_error_message(exc)} "
                               "Nếu tệp đang mở trong Excel, hãy đóng rồi chạy lại.") from exc
        self._after_save(path)

    def _render_sheet(self, sheet: _Sheet) -> int:
        """Render one pending sheet into its packed part (and fill the caches of the charts over
        it, which read its cells first); its pending writes are freed. Returns the bytes of XML it made."""
        part = sheet.part
        self._fill_charts(sheet)
        rows, clears = self._rows.get(part, {}), self._clears.get(part, [])
        layout = self._layouts.get(part)
        tail: Iterable[bytes] = ()  # a laid-out sheet's, written here after its rows (and its lower rows)
        if layout is not None:
            head, body, tail = self._laid_out(part, layout)
            sheet_parts = split_sheet(head + body + b"</sheetData></worksheet>", part)
            heights = layout.heights
            windows = ()
        else:
            heights = self._new_heights.pop(part, None)  # (rows grow in the editor's pass)
            # Read in windows of rows as the pass goes ("Lịch sử": 45 MB at 100,000 KPIs, never held
            # whole); in one when a drawing is added, as that goes in the tail.
            size = None if part in self._drawing_refs else _sheetxml.WINDOW
            windows = _sheetxml.sheet_windows(self._parts.pieces(part), part, size)
            sheet_parts = next(windows)
        if part in self._drawing_refs:
            sheet_parts = _sheetxml.add_drawing(sheet_parts, part, self._drawing_refs[part])
        if part in self._new_widths:
            sheet_parts = _sheetxml.add_column_widths(sheet_parts, part, self._new_widths.pop(part))
        # Rows get their heights in the pass: a row it creates as it is made, an existing row grows.
        editor = SheetEditor(sheet_parts, part, rows, clears, self._styles.fallback, heights=heights, more=windows)
        if self._deflater is None:
            self._deflater = Deflater()
        info = self._parts.info(part)
        stream = PackStream(self._deflater, info.compress_type if info else zipfile.ZIP_DEFLATED,
                            spool=self._parts.spool)
        lower = None
        if layout is not None:
            sheet_parts.tail = b""  # (its own, in pieces, goes after the rows: see below)
        if layout is not None and _segments.splits(len(rows)) and stream.method == zipfile.ZIP_DEFLATED \
                and editor.can_leave():
            # A laid-out sheet's lower rows packed on their own, by another process when there is
            # one, while this one renders the upper rows; the tail goes after them.
            lower = self._lower_rows(part, editor.leave(int(len(editor.keys) * (1 - _segments.SHARE))), heights)
        made = 0
        for piece in editor.run():
            stream.write(piece)
            made += len(piece)
        if lower is not None:
            segment = lower()
            del lower
            stream.insert(segment)
            made += segment.size
        for piece in tail:
            stream.write(piece)
            made += len(piece)
        self._parts.pack(part, stream.close())
        if editor.removed_formulas:
            self._removed_formulas.setdefault(sheet.sheet_id, set()).update(editor.removed_formulas)
        if rows or clears:
            self._recalculate_on_load()
        self._rows.pop(part, None)
        self._clears.pop(part, None)
        self._drawing_refs.pop(part, None)
        self._pending.discard(part)
        return made

    def _lower_rows(self, part: str, rows: Mapping[int, Runs], heights: Mapping[int, float]) -> Callable[[], Packed]:
        """The lower rows of a laid-out sheet (``heights``: of its rows, these among them), packed
        as a segment: by :attr:`segments` while this process renders the upper ones, or here, when
        there is none or it could not (the same bytes: :mod:`_segments`)."""
        waiting = self.segments(part, rows, heights) if self.segments is not None else None

        def segment() -> Packed:
            found = waiting() if waiting is not None else None
            return found if found is not None else _segments.pack_rows(_segments.chunks(rows, heights), part,
                                                                       self._deflater)
        return segment

    def _render(self) -> dict:
        """New content of every changed part (None: the part is removed)."""
        for sheet in self._sheets:
            if sheet.part in self._pending:
                self._render_sheet(sheet)
        self._fill_charts()
        if self._removed_formulas:
            _calcchain.drop_entries(self._parts, self._wb_part, self._removed_formulas)
            self._removed_formulas = {}
        return self._parts.changed()

    def _recalculate_on_load(self) -> None:
        """Ask Excel and LibreOffice to recalculate when opening: formulas that depend on the
        written cells still hold their old cached results."""
        wb = self._parts.tree(self._wb_part)
        calc = wb.find(f"{{{MAIN_NS}}}calcPr")
        if calc is None:
            calc = insert_ordered(wb, etree.Element(f"{{{MAIN_NS}}}calcPr"), _WORKBOOK_ORDER)
        if calc.get("fullCalcOnLoad") not in ("1", "true"):
            calc.set("fullCalcOnLoad", "1")
            self._parts.touch(self._wb_part)

    def _after_save(self, path: Path) -> None:
        """The saved file becomes the source: pending edits are in it now."""
        with zipfile.ZipFile(path) as zf:
            self._parts.saved(path, zf.infolist(), zf.comment)
        self._rows.clear()
        self._clears.clear()
        self._drawing_refs.clear()
        self._pending.clear()
        self._charts.clear()
        self._filled.clear()
        self._chart_count.clear()
        if self._deflater is not None:
            self._deflater.close()
            self._deflater = None


def _normal_name(name: str) -> str:
    return unicodedata.normalize("NFC", name).casefold()

