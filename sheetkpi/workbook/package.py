"""Lossless writer for .xlsx/.xlsm workbooks: edits the OOXML zip package in place of openpyxl.

Loading a workbook into openpyxl and saving it drops what openpyxl does not model (data bars, x14
extensions, sparklines, shapes, threaded comments, VBA, cached values). :class:`Package` instead
changes only the parts it must: written worksheets (streamed, see :mod:`._sheetxml`), styles when a
style is added, the workbook, its relationships and content types when a sheet is added, and the
calculation chain when a formula is overwritten. Every other part is copied as its raw compressed
bytes, in its original order; new parts go at the end. See docs/writer.md.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import numbers
import os
import posixpath
import re
import struct
import tempfile
import unicodedata
import zipfile
import zlib
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterable

from lxml import etree

from . import _chart, _sheetxml
from ._sheetxml import (MAX_COL, MAX_ROW, REL_NS, CellWrite, ClearRange, RowRun, SheetEditor, cell_ref, parse_range,
                        row_writes, split_sheet)
from .xmlsafe import InvalidPackageError, PackageError, PackageLimitError, open_zip, parse_xml

__all__ = ["Package", "PackageError", "InvalidPackageError", "PackageLimitError", "CellStyle"]

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
RT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
STRICT_MAIN_NS = "http://purl.oclc.org/ooxml/spreadsheetml/main"
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
CT_DRAWING = "application/vnd.openxmlformats-officedocument.drawing+xml"
CT_CHART = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
CT_RELS = "application/vnd.openxmlformats-package.relationships+xml"
CONTENT_TYPES = "[Content_Types].xml"

MAX_TEXT = 32_767  # Excel's limit for the text of one cell
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
# Characters XML 1.0 cannot carry (control characters, lone surrogates, U+FFFE/U+FFFF).
_ILLEGAL_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_HEX_COLOR = re.compile(r"#?([0-9A-Fa-f]{6}|[0-9A-Fa-f]{8})")
_FALLBACK_FORMATS = {"date": "dd/mm/yyyy", "datetime": "dd/mm/yyyy hh:mm"}
# Built-in number formats (ECMA-376 18.8.30) that need no <numFmt> entry.
_BUILTIN_FORMATS = {
    "General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "0%": 9, "0.00%": 10, "0.00E+00": 11,
    "# ?/?": 12, "# ??/??": 13, "mm-dd-yy": 14, "d-mmm-yy": 15, "d-mmm": 16, "mmm-yy": 17,
    "h:mm AM/PM": 18, "h:mm:ss AM/PM": 19, "h:mm": 20, "h:mm:ss": 21, "m/d/yy h:mm": 22, "@": 49,
}
_HALIGN = {"general", "left", "center", "right", "fill", "justify", "centerContinuous", "distributed"}
_VALIGN = {"top", "center", "bottom", "justify", "distributed"}
# Schema order of children (ECMA-376), to insert new ones where Excel expects them.
_STYLESHEET_ORDER = ["numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs",
                     "tableStyles", "colors", "extLst"]
_WORKBOOK_ORDER = ["fileVersion", "fileSharing", "workbookPr", "workbookProtection", "bookViews", "sheets",
                   "functionGroups", "externalReferences", "definedNames", "calcPr", "oleSize",
                   "customWorkbookViews", "pivotCaches", "smartTagPr", "smartTagTypes", "webPublishing",
                   "fileRecoveryPr", "webPublishObjects", "extLst"]
_FONT_ORDER = ["b", "i", "strike", "condense", "extend", "outline", "shadow", "u", "vertAlign", "sz", "color",
               "name", "family", "charset", "scheme"]


@dataclass(frozen=True)
class CellStyle:
    """A cell format request, as accepted by :meth:`Package.add_style`."""

    bold: bool = False
    italic: bool = False
    size: float | None = None
    color: str | None = None  # "RRGGBB", "#RRGGBB" or "AARRGGBB"
    fill: str | None = None  # solid background colour, same forms
    num_fmt: str | int | None = None  # a format code ("dd/mm/yyyy") or a built-in id
    wrap: bool = False
    halign: str | None = None
    valign: str | None = None
    border: bool = False  # thin border on all four sides


@dataclass
class _Sheet:
    name: str
    sheet_id: int
    part: str
    is_worksheet: bool


@dataclass
class _Layout:
    """What sheetkpi controls in a sheet it created: columns, frozen panes, merges, drawing."""

    widths: dict[int, float] = field(default_factory=dict)
    freeze: tuple[int, int] | None = None
    merges: list[str] = field(default_factory=list)
    drawing_rid: str | None = None
    landscape_a4: bool = False  # A4 landscape, one page wide

    def render(self, dimension: str, body: bytes) -> bytes:
        """The worksheet XML of a sheet sheetkpi owns, around an existing sheetData body."""
        views = ""
        if self.freeze and self.freeze != (1, 1):
            row, col = self.freeze
            pane = "bottomRight" if row > 1 and col > 1 else ("bottomLeft" if row > 1 else "topRight")
            split = (f' xSplit="{col - 1}"' if col > 1 else "") + (f' ySplit="{row - 1}"' if row > 1 else "")
            top_left = cell_ref(row, col)
            views = (f'<pane{split} topLeftCell="{top_left}" activePane="{pane}" state="frozen"/>'
                     f'<selection pane="{pane}" activeCell="{top_left}" sqref="{top_left}"/>')
        cols = "".join(f'<col min="{c}" max="{c}" width="{w:g}" customWidth="1"/>' for c, w in sorted(self.widths.items()))
        merges = "".join(f'<mergeCell ref="{ref}"/>' for ref in self.merges)
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
            + ('<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>' if self.landscape_a4 else "")
            + f'<dimension ref="{dimension}"/><sheetViews><sheetView workbookViewId="0">{views}</sheetView></sheetViews>'
            '<sheetFormatPr defaultRowHeight="15"/>'
            + (f"<cols>{cols}</cols>" if cols else "")
        ).encode() + b"<sheetData>" + body + b"</sheetData>" + (
            (f'<mergeCells count="{len(self.merges)}">{merges}</mergeCells>' if merges else "")
            + '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
            + ('<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>'
               if self.landscape_a4 else "")
            + (f'<drawing r:id="{self.drawing_rid}"/>' if self.drawing_rid else "")
            + "</worksheet>"
        ).encode()



# ---------------------------------------------------------------------------------------------
# Zip output


_CHUNK = 1 << 20  # a part's rendered bytes are deflated in chunks of about this size
_JOB = 2 << 20  # bytes handed to the deflating thread at a time
_IN_FLIGHT = 2  # jobs waiting for it at most: bounds what a fast renderer piles up


@dataclass(frozen=True)
class _Packed:
    """A part's new content, compressed as it will be stored."""

    payload: bytes
    crc: int
    size: int  # uncompressed
    method: int

    @classmethod
    def of(cls, data: bytes, compress_type: int) -> "_Packed":
        """``data`` deflated, or stored when the part it replaces was stored."""
        stream = _PackStream(None, compress_type)
        stream.write(data)
        return stream.close().packed()

    def content(self) -> bytes:
        """The part's bytes, uncompressed."""
        return self.payload if self.method == zipfile.ZIP_STORED else zlib.decompress(self.payload, -15)


class _PackStream:
    """A part packed as it is rendered, so that a big sheet is never held whole: its pieces are
    gathered into chunks of about a MiB, deflated by a :class:`_Deflater` while the caller renders
    the next ones, or at once without one.

    A part is deflated chunk by chunk either way; the chunks depend only on the content, so the
    output is deterministic, and the same bytes as deflating the whole part in one call (chunks
    are far larger than deflate's window; tests/test_package_writer.py checks it).
    """

    def __init__(self, deflater: "_Deflater | None", compress_type: int):
        self._deflater = deflater
        self.method = zipfile.ZIP_STORED if compress_type == zipfile.ZIP_STORED else zipfile.ZIP_DEFLATED
        self._packer = None  # made by the first chunk, in the thread that deflates
        self._pieces: list[bytes] = []
        self._gathered = 0  # bytes in _pieces
        self._done: list[bytes] = []  # packed chunks
        self._crc = 0
        self._size = 0
        self._result: _Packed | None = None

    def write(self, piece: bytes) -> None:
        self._pieces.append(piece)
        self._gathered += len(piece)
        if self._gathered >= _CHUNK:
            self._send(final=False)

    def close(self) -> "_PackStream":
        """No more pieces; the packing may still be going on (see :meth:`packed`)."""
        self._send(final=True)
        return self

    def packed(self) -> _Packed:
        """The packed part, once the deflater is done with it."""
        if self._result is None:
            if self._deflater is not None:
                self._deflater.finish()
            self._result = _Packed(b"".join(self._done), self._crc, self._size, self.method)
            self._done.clear()
        return self._result

    def _send(self, final: bool) -> None:
        chunk = b"".join(self._pieces)
        self._pieces.clear()
        self._gathered = 0
        if self._deflater is None:
            self.pack(chunk, final)
        else:
            self._deflater.add(self, chunk, final)

    def pack(self, chunk: bytes, final: bool) -> None:
        """Pack the next chunk (in the deflating thread when there is one, chunks in order)."""
        self._crc = zlib.crc32(chunk, self._crc)
        self._size += len(chunk)
        if self.method == zipfile.ZIP_STORED:
            self._done.append(chunk)
            return
        if self._packer is None:
            self._packer = zlib.compressobj(6, zlib.DEFLATED, -15)
        self._done.append(self._packer.compress(chunk))
        if final:
            self._done.append(self._packer.flush())


class _Deflater:
    """A thread that deflates rendered parts while the next ones render (zlib releases the GIL).

    Chunks are handed over in jobs of a few MiB, from one part or several: every job costs hand-
    overs of the GIL between the threads, which a job per 250 KiB unit tab would multiply.
    """

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sheetkpi-deflate")
        self._batch: list[tuple[_PackStream, bytes, bool]] = []
        self._gathered = 0
        self._jobs: deque[Future] = deque()
        self._failed: BaseException | None = None

    def add(self, stream: _PackStream, chunk: bytes, final: bool) -> None:
        self._refuse_if_failed()
        self._batch.append((stream, chunk, final))
        self._gathered += len(chunk)
        if self._gathered >= _JOB:
            self._submit()

    def finish(self) -> None:
        """Wait until every chunk handed over is packed."""
        self._refuse_if_failed()
        if self._batch:
            self._submit()
        while self._jobs:
            self._wait_oldest()

    def close(self) -> None:
        try:
            self.finish()
        finally:
            self._pool.shutdown()

    def _submit(self) -> None:
        batch, self._batch, self._gathered = self._batch, [], 0
        self._jobs.append(self._pool.submit(_pack_all, batch))
        while len(self._jobs) > _IN_FLIGHT:
            self._wait_oldest()

    def _wait_oldest(self) -> None:
        job = self._jobs[0]
        try:
            job.result()
        except BaseException:
            # A job that failed lost chunks of its parts: they would be saved short but with
            # consistent sizes. An interrupt of the wait itself leaves the job queued, waited for again.
            if job.done() and not job.cancelled() and job.exception() is not None:
                self._failed = job.exception()
            raise
        self._jobs.popleft()

    def _refuse_if_failed(self) -> None:
        if self._failed is not None:
            raise PackageError(
                "save-failed", f"Không nén được dữ liệu để ghi ({self._failed.__class__.__name__}); "
                "sổ tính chưa được ghi. Hãy chạy lại.",
            ) from self._failed


def _pack_all(batch: list[tuple[_PackStream, bytes, bool]]) -> None:
    """One job of the deflating thread."""
    for stream, chunk, final in batch:
        stream.pack(chunk, final)


def _data_offset(src, info: zipfile.ZipInfo) -> int:
    """Where the data of member ``info`` starts in the open archive ``src`` (its local header checked)."""
    src.seek(info.header_offset)
    header = src.read(30)
    if len(header) != 30 or header[:4] != b"PK\x03\x04":
        raise InvalidPackageError("zip-corrupt", f"Phần '{info.filename}' của tệp bị hỏng (zip).")
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    return info.header_offset + 30 + name_len + extra_len


def _read_member(path: Path, info: zipfile.ZipInfo) -> bytes:
    """The content of one member, reading only its own bytes: opening the archive with zipfile
    reads the whole central directory, a cost per part that adds up to seconds over 500 sheets."""
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        with zipfile.ZipFile(path) as zf:  # not written by Office programs; zipfile knows how
            return zf.read(info)
    with open(path, "rb") as src:
        src.seek(_data_offset(src, info))
        raw = src.read(info.compress_size)
    data = raw if info.compress_type == zipfile.ZIP_STORED else _inflate(raw, info.file_size)
    if len(data) != info.file_size or zlib.crc32(data) != info.CRC:
        raise InvalidPackageError("zip-corrupt", f"Phần '{info.filename}' của tệp bị hỏng (sai kích thước hoặc CRC).")
    return data


_BIG_PART = 4 << 20  # parts inflated into a buffer of their final size (see _inflate)


def _inflate(raw: bytes, size: int) -> bytes:
    """Raw deflate data the directory says holds ``size`` bytes; never more than ``size + 1``, so a
    part that lies about its size cannot inflate without limit (the caller finds it broken)."""
    if size <= _BIG_PART:
        return zlib.decompressobj(-15).decompress(raw, size + 1)
    # Bounded inflating gathers blocks, then joins them: twice a big part's size at once (a
    # 40 MB "Lịch sử"). Inflated into a buffer of exactly its size it is held once; a first pass
    # that keeps nothing checks the size, at a few hundredths of a second.
    check, pending, total = zlib.decompressobj(-15), raw, 0
    while not check.eof and total <= size:
        chunk = check.decompress(pending, 1 << 20)
        pending = check.unconsumed_tail
        if not chunk and not pending:
            break  # the data ends before the stream does
        total += len(chunk)
    if total != size or not check.eof:
        return b""
    return zlib.decompress(raw, -15, size)


class _ZipWriter:
    """Writes a zip archive whose unchanged members are copied as raw compressed bytes.

    zipfile cannot emit a member without recompressing it, and recompressing would be slower and
    would not keep the stored bytes; this writer copies the member's data untouched and writes a
    fresh local header (sizes and CRC taken from the source's central directory).
    """

    _LOCAL = struct.Struct("<4sHHHHHLLLHH")
    _CENTRAL = struct.Struct("<4sBBBBHHHHLLLHHHHHLL")
    _END = struct.Struct("<4sHHHHLLH")

    def __init__(self, fh):
        self.fh = fh
        self.central: list[bytes] = []

    def copy_raw(self, info: zipfile.ZipInfo, src) -> None:
        """Copy member ``info`` of the open source archive ``src`` without inflating it."""
        src.seek(_data_offset(src, info))
        # Bit 3 (sizes in a trailing data descriptor) is cleared: the new local header has them.
        self._header(info, info.compress_type, info.flag_bits & ~0x8, info.CRC, info.compress_size, info.file_size)
        left = info.compress_size
        while left:
            chunk = src.read(min(left, 1 << 20))
            if not chunk:
                raise InvalidPackageError("zip-corrupt", f"Phần '{info.filename}' của tệp bị cắt cụt.")
            self.fh.write(chunk)
            left -= len(chunk)

    def write(self, info: zipfile.ZipInfo, data: "bytes | _Packed") -> None:
        """Write member ``info`` with new content ``data`` (stored stays stored, else deflated)."""
        packed = data if isinstance(data, _Packed) else _Packed.of(data, info.compress_type)
        self._header(info, packed.method, 0, packed.crc, len(packed.payload), packed.size)
        self.fh.write(packed.payload)

    def _header(self, info: zipfile.ZipInfo, method: int, flags: int, crc: int, csize: int, usize: int) -> None:
        offset = self.fh.tell()
        if max(offset, csize, usize) >= 0xFFFFFFFF or len(self.central) >= 0xFFFF:
            raise PackageLimitError("zip-too-large", "Tệp kết quả vượt giới hạn của định dạng zip (4 GiB).")
        try:
            name = info.filename.encode("ascii")
            flags &= ~0x800
        except UnicodeEncodeError:
            name = info.filename.encode("utf-8")
            flags |= 0x800
        flags &= 0x80E  # keep deflate options and UTF-8; nothing else applies to what we write
        year, month, day, hour, minute, second = info.date_time
        dos_date = (max(year, 1980) - 1980) << 9 | month << 5 | day
        dos_time = hour << 11 | minute << 5 | second // 2
        version = 20 if method in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) else info.extract_version
        self.fh.write(self._LOCAL.pack(b"PK\x03\x04", version, flags, method, dos_time, dos_date, crc, csize,
                                       usize, len(name), 0) + name)
        comment = info.comment or b""
        self.central.append(self._CENTRAL.pack(
            b"PK\x01\x02", info.create_version, info.create_system, version, 0, flags, method, dos_time,
            dos_date, crc, csize, usize, len(name), 0, len(comment), 0, info.internal_attr,
            info.external_attr & 0xFFFFFFFF, offset) + name + comment)

    def close(self, comment: bytes) -> None:
        """Write the central directory and the end record."""
        start = self.fh.tell()
        for record in self.central:
            self.fh.write(record)
        size = self.fh.tell() - start
        if start >= 0xFFFFFFFF:
            raise PackageLimitError("zip-too-large", "Tệp kết quả vượt giới hạn của định dạng zip (4 GiB).")
        self.fh.write(self._END.pack(b"PK\x05\x06", 0, 0, len(self.central), len(self.central), size, start,
                                     len(comment)) + comment)


def _new_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=dt.datetime.now().timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 0  # as Excel writes it; no Unix permission bits for a document part
    info.create_version = 20
    return info


# ---------------------------------------------------------------------------------------------
# Helpers


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _insert_ordered(parent: etree._Element, el: etree._Element, order: list[str]) -> etree._Element:
    """Insert ``el`` before the first child that the schema puts after it."""
    later = set(order[order.index(_local(el)) + 1:])
    for index, child in enumerate(parent):
        if _local(child) in later:
            parent.insert(index, el)
            return el
    parent.append(el)
    return el


def _rels_part(part: str) -> str:
    """"xl/workbook.xml" -> "xl/_rels/workbook.xml.rels"; the package itself ("") -> "_rels/.rels"."""
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def _argb(color: str) -> str:
    m = _HEX_COLOR.fullmatch(color.strip())
    if not m:
        raise PackageError("style-invalid", f"Màu không hợp lệ: '{color}' (cần dạng RRGGBB).")
    return m.group(1).upper().rjust(8, "F")


def _normal_name(name: str) -> str:
    return unicodedata.normalize("NFC", name).casefold()


# ---------------------------------------------------------------------------------------------
# The package


class Package:
    """An open .xlsx/.xlsm package. Edits are kept in memory and applied by :meth:`save`."""

    def __init__(self, path: Path, infos: list[zipfile.ZipInfo], comment: bytes):
        """Use :meth:`Package.open`."""
        self._path = path
        self._adopt(infos, comment)
        self._trees: dict[str, etree._Element] = {}
        self._dirty: dict[str, None] = {}  # parts to re-serialize, in the order first changed (new parts are written so)
        self._new: dict[str, bytes] = {}  # parts added this session and not saved yet
        self._removed: set[str] = set()
        self._layouts: dict[str, _Layout] = {}  # sheets created by add_sheet, by part
        self._rows: dict[str, dict[int, dict[int, CellWrite] | RowRun]] = {}  # pending writes by sheet part and row
        self._clears: dict[str, list[ClearRange]] = {}
        self._drawing_refs: dict[str, str] = {}  # existing sheet part -> rId of a <drawing> to insert
        self._pending: set[str] = set()  # sheet parts to render (at save, or by commit)
        self._committed: dict[str, _PackStream] = {}  # sheet parts rendered by commit, packed
        self._removed_formulas: dict[int, set[tuple[int, int]]] = {}  # by sheetId, for calcChain at save
        self._charts: dict[str, _chart.ChartSpec] = {}  # chart part -> what it shows
        self._chart_xml: dict[str, bytes] = {}  # chart parts rendered when their sheet was
        self._deflater: _Deflater | None = None  # deflates rendered sheets as the next ones render
        self._chart_count: dict[str, int] = {}
        self._style_cache: dict[CellStyle, int] = {}
        self._dates: dict[tuple, CellWrite] = {}  # see _plain
        self._signatures: dict[str, dict[tuple, int]] = {}  # styles collection -> entry -> index
        self._shared: list[str] | None = None
        self._found: dict[str, _Sheet] = {}  # sheet lookups by the name asked for

    def _adopt(self, infos: list[zipfile.ZipInfo], comment: bytes) -> None:
        self._infos = infos
        self._comment = comment
        self._names = {info.filename.lower(): info.filename for info in infos}
        self._info = {info.filename: info for info in infos}
        st = os.stat(self._path)
        self._stamp = (st.st_size, st.st_mtime_ns)

    # -- opening ----------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike) -> "Package":
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
        self._tree(CONTENT_TYPES)
        office = [t for t in self._rels("") if t[1] == RT + "officeDocument"]
        if not office:
            raise InvalidPackageError("part-missing", "Tệp không chứa sổ tính (thiếu quan hệ officeDocument).")
        self._wb_part = office[0][2]
        wb = self._tree(self._wb_part)
        ns = etree.QName(wb).namespace
        if ns == STRICT_MAIN_NS:
            raise InvalidPackageError(
                "strict-format",
                "Tệp lưu ở định dạng 'Strict Open XML' chưa được hỗ trợ. Hãy mở bằng Excel và lưu lại "
                "dưới dạng 'Sổ làm việc Excel (.xlsx)'.",
            )
        if ns != MAIN_NS or _local(wb) != "workbook":
            raise InvalidPackageError("part-missing", "Tệp không chứa sổ tính Excel hợp lệ (workbook.xml).")
        targets = {rid: (rtype, part) for rid, rtype, part in self._rels(self._wb_part)}
        self._sheets: list[_Sheet] = []
        for el in wb.iterfind(f"{{{MAIN_NS}}}sheets/{{{MAIN_NS}}}sheet"):
            rtype, part = targets.get(el.get(f"{{{REL_NS}}}id"), ("", None))
            sheet_id = el.get("sheetId", "")
            if part is None or not self._exists(part) or not sheet_id.isdigit():
                raise InvalidPackageError("part-missing", f"Thiếu phần dữ liệu của trang tính '{el.get('name')}'.")
            self._sheets.append(_Sheet(el.get("name", ""), int(sheet_id), part, rtype == RT + "worksheet"))
        pr = wb.find(f"{{{MAIN_NS}}}workbookPr")
        self.date1904 = pr is not None and pr.get("date1904", "false").lower() in ("1", "true")
        styles = [part for _, rtype, part in self._rels(self._wb_part) if rtype == RT + "styles"]
        self._styles_part = styles[0] if styles else None
        if self._styles_part:
            self._tree(self._styles_part)

    # -- parts ------------------------------------------------------------------------------

    def _exists(self, part: str) -> bool:
        return part in self._new or part in self._trees or part in self._charts or (
            part.lower() in self._names and part not in self._removed)

    def _read(self, part: str) -> bytes:
        """Current bytes of ``part``: committed or unsaved content first, else the file. The source
        is opened for each read and closed again, so that it can be replaced at save (Windows
        refuses to replace an open file)."""
        if part in self._committed:
            return self._committed[part].packed().content()
        if part in self._new:
            return self._new[part]
        name = self._names.get(part.lower())
        if name is None or part in self._removed:
            raise InvalidPackageError("part-missing", f"Tệp thiếu phần '{part}'.")
        try:
            return _read_member(self._path, self._info[name])
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, InvalidPackageError) as exc:
            self._check_source()  # a file replaced since it was opened is not a broken one
            if isinstance(exc, InvalidPackageError):
                raise
            raise InvalidPackageError("zip-corrupt", f"Không đọc được phần '{part}' của tệp: {exc}") from exc

    def _tree(self, part: str) -> etree._Element:
        """The parsed XML of a small part we may change (cached; call :meth:`_touch` after edits)."""
        if part not in self._trees:
            self._trees[part] = parse_xml(self._read(part), part)
        return self._trees[part]

    def _touch(self, part: str) -> None:
        self._dirty.setdefault(part)

    def _create(self, part: str, root: etree._Element, content_type: str | None) -> None:
        self._trees[part] = root
        self._touch(part)
        if content_type:
            self._override(part, content_type)

    def _free_name(self, pattern: str) -> str:
        """The first part name ``pattern % n`` not taken, n = 1, 2, ..."""
        n = 1
        while self._exists(pattern % n):
            n += 1
        return pattern % n

    def _override(self, part: str, content_type: str | None) -> None:
        """Set (or, with None, remove) the content-type override of ``part``."""
        types = self._tree(CONTENT_TYPES)
        for el in types.iterfind(f"{{{CT_NS}}}Override"):
            if el.get("PartName", "").lower() == "/" + part.lower():
                types.remove(el)
        if content_type:
            etree.SubElement(types, f"{{{CT_NS}}}Override", PartName="/" + part, ContentType=content_type)
        self._touch(CONTENT_TYPES)

    # -- relationships ----------------------------------------------------------------------

    def _rels_tree(self, source: str, create: bool = False) -> etree._Element | None:
        part = _rels_part(source)
        if self._exists(part):
            return self._tree(part)
        if not create:
            return None
        self._create(part, etree.Element(f"{{{PKG_REL_NS}}}Relationships", nsmap={None: PKG_REL_NS}), None)
        types = self._tree(CONTENT_TYPES)
        if not any(el.get("Extension", "").lower() == "rels" for el in types.iterfind(f"{{{CT_NS}}}Default")):
            _insert_default(types, "rels", CT_RELS)
            self._touch(CONTENT_TYPES)
        return self._trees[part]

    def _rels(self, source: str) -> list[tuple[str, str, str]]:
        """(rId, type, target part) of the internal relationships of ``source``."""
        tree = self._rels_tree(source)
        if tree is None:
            return []
        base = posixpath.dirname(source)
        out = []
        for el in tree.iterfind(f"{{{PKG_REL_NS}}}Relationship"):
            if el.get("TargetMode") == "External":
                continue
            target = el.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(base, target))
            out.append((el.get("Id", ""), el.get("Type", ""), self._names.get(path.lower(), path)))
        return out

    def _add_rel(self, source: str, rtype: str, target: str) -> str:
        tree = self._rels_tree(source, create=True)
        taken = {el.get("Id") for el in tree}
        n = len(taken) + 1
        while f"rId{n}" in taken:
            n += 1
        rel_target = posixpath.relpath(target, posixpath.dirname(source) or ".")
        etree.SubElement(tree, f"{{{PKG_REL_NS}}}Relationship", Id=f"rId{n}", Type=rtype, Target=rel_target)
        self._touch(_rels_part(source))
        return f"rId{n}"

    def _rel_target(self, source: str, rid: str) -> str:
        for r, _, part in self._rels(source):
            if r == rid:
                return part
        raise InvalidPackageError("part-missing", f"Thiếu quan hệ '{rid}' của phần '{source}'.")

    # -- sheets -----------------------------------------------------------------------------

    @property
    def sheet_names(self) -> list[str]:
        """Sheet names in workbook order."""
        return [s.name for s in self._sheets]

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
            raise PackageError("not-a-worksheet", f"'{name}' không phải là trang tính dữ liệu (có thể là trang biểu đồ).")
        return sheet

    def _owned(self, name: str) -> tuple[_Sheet, _Layout]:
        sheet = self._worksheet(name)
        layout = self._layouts.get(sheet.part)
        if layout is None:
            raise PackageError("sheet-not-owned", f"Trang tính '{name}' không do sheetkpi tạo nên không được đổi bố cục.")
        self._pending.add(sheet.part)
        return sheet, layout

    def add_sheet(self, name: str) -> None:
        """Append a new empty worksheet at the end of the workbook.

        Names follow Excel's rules: 1-31 characters, none of ``[]:*?/\\``, not starting or ending
        with an apostrophe, unique regardless of case. Anything else raises ``sheet-name-invalid``.
        """
        self._check_sheet_name(name)
        wb = self._tree(self._wb_part)
        folder = posixpath.dirname(self._wb_part)
        part = self._free_name(posixpath.join(folder, "worksheets", "sheet%d.xml"))
        rid = self._add_rel(self._wb_part, RT + "worksheet", part)
        sheet_id = max((s.sheet_id for s in self._sheets), default=0) + 1
        sheets = wb.find(f"{{{MAIN_NS}}}sheets")
        el = etree.SubElement(sheets, f"{{{MAIN_NS}}}sheet", name=name, sheetId=str(sheet_id))
        el.set(f"{{{REL_NS}}}id", rid)
        self._touch(self._wb_part)
        self._override(part, CT_WORKSHEET)
        self._new[part] = _Layout().render("A1", b"")
        self._layouts[part] = _Layout()
        self._pending.add(part)
        self._sheets.append(_Sheet(name, sheet_id, part, True))

    def _check_sheet_name(self, name: Any) -> None:
        problem = None
        if not isinstance(name, str) or not name.strip():
            problem = "tên trống"
        elif len(name) > 31:
            problem = "dài quá 31 ký tự"
        elif _BAD_SHEET_CHARS.search(name) or _ILLEGAL_XML.search(name):
            problem = "chứa ký tự không được dùng ([ ] : * ? / \\)"
        elif name.startswith("'") or name.endswith("'"):
            problem = "bắt đầu hoặc kết thúc bằng dấu nháy đơn"
        elif name.casefold() == "history":
            problem = "'History' là tên Excel dành riêng"
        elif self._find(name) is not None:
            problem = "đã có trang tính cùng tên"
        if problem:
            raise PackageError("sheet-name-invalid", f"Tên trang tính '{name}' không hợp lệ: {problem}.")

    def set_column_widths(self, sheet_name: str, widths: dict[int, float]) -> None:
        """Column widths (in characters) of a sheet created by :meth:`add_sheet`."""
        _, layout = self._owned(sheet_name)
        for col, width in widths.items():
            self._check_cell(1, col)
            layout.widths[col] = float(width)

    def set_freeze(self, sheet_name: str, row: int, col: int) -> None:
        """Freeze the rows above ``row`` and the columns left of ``col`` (a sheet created by add_sheet)."""
        _, layout = self._owned(sheet_name)
        self._check_cell(row, col)
        layout.freeze = (row, col)

    def set_print(self, sheet_name: str, *, repeat_rows: tuple[int, int] | None = None) -> None:
        """Print a sheet created by add_sheet on A4 landscape, one page wide, repeating ``repeat_rows``
        (first, last) at the top of every page (a sheet-local ``_xlnm.Print_Titles`` name)."""
        sheet, layout = self._owned(sheet_name)
        layout.landscape_a4 = True
        if repeat_rows is None:
            return
        first, last = repeat_rows
        self._check_cell(last, 1)
        wb = self._tree(self._wb_part)
        names = wb.find(f"{{{MAIN_NS}}}definedNames")
        if names is None:
            names = _insert_ordered(wb, etree.Element(f"{{{MAIN_NS}}}definedNames"), _WORKBOOK_ORDER)
        index = [s.part for s in self._sheets].index(sheet.part)
        quoted = "'" + sheet.name.replace("'", "''") + "'"
        el = etree.SubElement(names, f"{{{MAIN_NS}}}definedName", name="_xlnm.Print_Titles", localSheetId=str(index))
        el.text = f"{quoted}!${first}:${last}"
        self._touch(self._wb_part)

    def merge_cells(self, sheet_name: str, ref: str) -> None:
        """Merge a range such as "A1:F1" (a sheet created by add_sheet)."""
        _, layout = self._owned(sheet_name)
        r1, c1, r2, c2 = parse_range(ref)
        self._check_cell(r2, c2)
        layout.merges.append(_sheetxml.range_ref(r1, c1, r2, c2))

    # -- cells ------------------------------------------------------------------------------

    @staticmethod
    def _check_cell(row: int, col: int) -> None:
        if not (isinstance(row, int) and isinstance(col, int) and 1 <= row <= MAX_ROW and 1 <= col <= MAX_COL):
            raise PackageError("ref-invalid", f"Ô ({row}, {col}) nằm ngoài giới hạn của trang tính.")

    def _check_style(self, style: int | None) -> None:
        if style is None:
            return
        xfs = self._styles_root().find(f"{{{MAIN_NS}}}cellXfs") if self._styles_part else None
        count = len(xfs) if xfs is not None else 1
        if not isinstance(style, int) or isinstance(style, bool) or not 0 <= style < count:
            raise PackageError("style-invalid", f"Chỉ số định dạng {style!r} không tồn tại trong sổ tính.")

    def _plain(self, value: Any, style: int | None) -> Any:
        """A value as a RowRun keeps it: None, int, finite float and clean str as they are (checked);
        anything else encoded as a CellWrite with ``style``."""
        kind = type(value)  # the common cases first: a run writes a million values
        if kind is float:
            if value - value == 0:  # finite: infinities and NaN give NaN
                return value
        elif value is None or kind is int:
            return value
        if isinstance(value, str):
            # Text is always stored as text (an inline string), so "=..." can never become a formula.
            # Printable text holds none of the characters XML cannot carry (a faster test).
            text = str(value) if value.isprintable() or not _ILLEGAL_XML.search(value) else _ILLEGAL_XML.sub("", value)
            if len(text) > MAX_TEXT:
                raise PackageError("value-invalid", f"Nội dung dài {len(text)} ký tự, vượt giới hạn {MAX_TEXT} của Excel.")
            return text
        if isinstance(value, bool):
            return CellWrite("b", "1" if value else "0", style=style)
        if isinstance(value, dt.date):
            # A date is written once per style: a run writes the same deadlines again and again.
            key = (type(value), value, style)
            write = self._dates.get(key)
            if write is None:
                if isinstance(value, dt.datetime):
                    write = CellWrite(value=repr(self._serial(value)), style=style, fallback="datetime")
                else:
                    write = CellWrite(value=str(self._serial(value)), style=style, fallback="date")
                self._dates[key] = write
            return write
        if isinstance(value, (Decimal, numbers.Real)):
            if not math.isfinite(float(value)):
                raise PackageError("value-invalid", f"Giá trị số không hợp lệ: {value!r}.")
            if isinstance(value, numbers.Integral):
                return CellWrite(value=str(int(value)), style=style)
            return CellWrite(value=str(value) if isinstance(value, Decimal) else repr(float(value)), style=style)
        raise TypeError(f"cannot write a {type(value).__name__} into a cell")

    def _serial(self, value: dt.date) -> int | float:
        """Excel serial number of a date/datetime in this workbook's date system."""
        if isinstance(value, dt.datetime):
            if value.tzinfo is not None:
                raise PackageError("value-invalid", f"Thời điểm có múi giờ không ghi được vào ô: {value}.")
            day = value.date()
            fraction = (value - dt.datetime.combine(day, dt.time())).total_seconds() / 86400
        else:
            day, fraction = value, 0
        if self.date1904:
            serial = (day - dt.date(1904, 1, 1)).days
        else:
            # Excel counts 29/02/1900, which never existed (Lotus 1-2-3 compatibility), so serials
            # from 01/03/1900 on are one more than the day count from 30/12/1899.
            serial = (day - dt.date(1899, 12, 30)).days - (day < dt.date(1900, 3, 1))
        if serial < (0 if self.date1904 else 1):
            raise PackageError("value-invalid", f"Ngày {value} nằm trước ngày đầu tiên Excel biểu diễn được.")
        return serial + fraction if fraction else serial

    def set_cells(self, sheet_name: str, cells: dict[tuple[int, int], Any], style: int | None = None) -> None:
        """Write values into cells ``{(row, col): value}`` (1-based).

        Values: numbers, str (always text, also "=..."), bool, date/datetime (serial numbers; a cell
        left with the default style gets a dd/mm/yyyy format), None (empties the cell: value and
        formula removed, style kept). A written cell keeps its style; a new cell takes the style of
        the nearest cell above in its column. ``style`` (an index from :meth:`add_style`), when
        given, is applied to every written cell instead.
        """
        sheet = self._worksheet(sheet_name)
        self._check_style(style)
        pending = self._rows.setdefault(sheet.part, {})
        # Cells side by side in a row (as a plan lists them) become one RowRun.
        run_row, run_col, values = 0, 0, []
        for (row, col), value in cells.items():
            if type(row) is not int or type(col) is not int or not (0 < row <= MAX_ROW and 0 < col <= MAX_COL):
                self._check_cell(row, col)  # raises, unless an int subclass
            if row == run_row and col == run_col + len(values):
                values.append(self._plain(value, style))
                continue
            if values:
                _add_run(pending, run_row, RowRun(run_col, tuple(values), style))
            run_row, run_col, values = row, col, [self._plain(value, style)]
        if values:
            _add_run(pending, run_row, RowRun(run_col, tuple(values), style))
        self._pending.add(sheet.part)

    def write_rows(self, sheet_name: str, start_row: int, start_col: int, rows: list[list[Any]],
                   clear_until_row: int | None = None, style: int | list[int | None] | None = None,
                   row_styles: list[int | list[int | None] | None] | None = None) -> None:
        """Write a block of rows from (start_row, start_col), then empty the same columns below it.

        Short rows are padded with empty cells. Below the block, cells of those columns are emptied
        down to ``clear_until_row``, or, when None, to the end of the sheet, so that a list that got
        shorter leaves nothing stale. ``style``: one xf index for all cells, or one per column;
        ``row_styles``, instead: one such style per row (rows sharing a list share its check).
        """
        sheet = self._worksheet(sheet_name)
        width = max((len(r) for r in rows), default=0)
        if row_styles is not None and len(row_styles) != len(rows):
            raise ValueError("row_styles needs one style per row")
        self._check_cell(start_row + max(len(rows) - 1, 0), start_col + max(width - 1, 0))
        shared: dict[int, int | None | tuple] = {}  # id of a style given -> as runs keep it
        for given in row_styles if row_styles is not None else [style]:
            if id(given) not in shared:
                shared[id(given)] = self._run_styles(given, width)
        pending = self._rows.setdefault(sheet.part, {})
        plain = self._plain
        for i, values in enumerate(rows if width else ()):
            styles = shared[id(row_styles[i] if row_styles is not None else style)]
            # (None, the most frequent value of a table, needs no check.)
            if type(styles) is tuple:
                cells = [v if v is None else plain(v, st) for v, st in zip(values, styles)]
            else:
                cells = [v if v is None else plain(v, styles) for v in values]
            if len(cells) < width:
                cells += [None] * (width - len(cells))
            _add_run(pending, start_row + i, RowRun(start_col, tuple(cells), styles))
        first = start_row + len(rows)
        if width and (clear_until_row is None or clear_until_row >= first):
            clear = ClearRange(first, clear_until_row, start_col, start_col + width - 1)
            # An earlier write inside the cleared area is superseded by this clear.
            for row in [r for r in pending if clear.covers_row(r)]:
                kept = {c: w for c, w in row_writes(pending[row]).items() if not clear.c1 <= c <= clear.c2}
                if kept:
                    pending[row] = kept
                else:
                    del pending[row]
            self._clears.setdefault(sheet.part, []).append(clear)
        self._pending.add(sheet.part)

    def _run_styles(self, style: int | list[int | None] | None, width: int) -> int | None | tuple:
        """A style as given to write_rows, checked, as a RowRun keeps it (a list padded to ``width``)."""
        if not isinstance(style, (list, tuple)):
            self._check_style(style)
            return style
        for st in set(style):
            self._check_style(st)
        return tuple(style[:width]) + (None,) * (width - len(style))

    def read_cell_values(self, sheet_name: str, cells: Iterable[tuple[int, int]]) -> dict[tuple[int, int], Any]:
        """Values the cells will hold once saved (pending writes included); empty cells are None.

        Numbers come back as int/float (dates as serial numbers), text as str, booleans as bool.
        """
        sheet = self._worksheet(sheet_name)
        wanted = set(cells)
        pending = self._rows.get(sheet.part, {})
        clears = self._clears.get(sheet.part, [])
        written: dict[int, dict[int, CellWrite]] = {}
        out: dict[tuple[int, int], Any] = {}
        from_file = set()
        for pos in wanted:
            row, col = pos
            if row in pending and row not in written:
                written[row] = row_writes(pending[row])
            if col in written.get(row, ()):
                out[pos] = _written_value(written[row][col])
            elif any(c.covers_row(row) and c.c1 <= col <= c.c2 for c in clears):
                out[pos] = None
            else:
                from_file.add(pos)
        if from_file:
            found = _sheetxml.read_cells(self._sheet_xml(sheet.part), sheet.part, from_file, self._shared_string)
            out.update({pos: found.get(pos) for pos in from_file})
        return out

    def cell_marks(self, number_format: Callable[[str], bool]) -> dict[str, _sheetxml.CellMarks]:
        """Per worksheet name, what its cells carry that their values do not tell: the cells whose
        number format code passes ``number_format`` (a percentage:
        :func:`sheetkpi.parsing.numbers.is_percent_format`), error values (``t="e"``, "#REF!") and
        formulas adding up a column (=SUM, =SUBTOTAL). Sheets with none of them are left out."""
        root = self._styles_root() if self._styles_part else None
        styles: set[int] = set()
        if root is not None:
            codes = {str(i): code for code, i in _BUILTIN_FORMATS.items()}
            for el in root.iterfind(f"{{{MAIN_NS}}}numFmts/{{{MAIN_NS}}}numFmt"):
                codes[el.get("numFmtId", "")] = el.get("formatCode", "")
            xfs = root.find(f"{{{MAIN_NS}}}cellXfs")
            styles = {i for i, xf in enumerate(xfs.iterfind(f"{{{MAIN_NS}}}xf") if xfs is not None else ())
                      if number_format(codes.get(xf.get("numFmtId", "0"), ""))}
        found = {}
        for sheet in self._sheets:
            if sheet.is_worksheet:
                marks = _sheetxml.marked_cells(self._read(sheet.part), sheet.part, styles)
                if marks.styled or marks.errors or marks.totals:
                    found[sheet.name] = marks
        return found

    def _shared_string(self, index: int) -> str:
        if self._shared is None:
            parts = [p for _, rtype, p in self._rels(self._wb_part) if rtype == RT + "sharedStrings"]
            self._shared = []
            if parts and self._exists(parts[0]):
                data = self._read(parts[0])
                try:
                    for _, si in etree.iterparse(io.BytesIO(data), tag=f"{{{MAIN_NS}}}si", resolve_entities=False,
                                                 no_network=True, huge_tree=False, load_dtd=False):
                        self._shared.append(_sheetxml.rich_text(si, MAIN_NS))
                        si.clear()
                except etree.XMLSyntaxError as exc:
                    raise InvalidPackageError("xml-invalid", f"Phần '{parts[0]}' bị hỏng: {exc}") from exc
        return self._shared[index] if 0 <= index < len(self._shared) else ""

    def _sheet_xml(self, part: str) -> bytes:
        """Current worksheet XML; for a sheet we own, re-rendered from its layout."""
        xml = self._read(part)
        layout = self._layouts.get(part)
        if layout is None:
            return xml
        parts = split_sheet(xml, part)
        dim = re.search(rb'<dimension ref="([^"]*)"', parts.head)
        return layout.render(dim.group(1).decode() if dim else "A1", parts.body)

    # -- styles -----------------------------------------------------------------------------

    def _styles_root(self) -> etree._Element:
        if self._styles_part is None:
            part = posixpath.join(posixpath.dirname(self._wb_part), "styles.xml")
            root = etree.fromstring(
                f'<styleSheet xmlns="{MAIN_NS}"><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
                '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/>'
                '</fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
                '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
                '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
                '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
            )
            self._create(part, root, CT_STYLES)
            self._add_rel(self._wb_part, RT + "styles", part)
            self._styles_part = part
        return self._tree(self._styles_part)

    def add_style(self, *, bold: bool = False, italic: bool = False, size: float | None = None,
                  color: str | None = None, fill: str | None = None, num_fmt: str | int | None = None,
                  wrap: bool = False, halign: str | None = None, valign: str | None = None,
                  border: bool = False) -> int:
        """The xf index of a cell format, appended to xl/styles.xml when the workbook lacks it.

        Fonts, fills, borders and number formats are appended as needed (custom number format ids
        from 164, never colliding); existing indices never change. An entry equal to the one asked
        for is reused, so a run that asks for the formats an earlier run added changes nothing.
        """
        request = CellStyle(bold, italic, size, color, fill, num_fmt, wrap, halign, valign, border)
        if request in self._style_cache:
            return self._style_cache[request]
        if halign is not None and halign not in _HALIGN or valign is not None and valign not in _VALIGN:
            raise PackageError("style-invalid", f"Căn lề không hợp lệ: {halign!r}/{valign!r}.")
        root = self._styles_root()
        attrs = {
            "numFmtId": str(self._num_fmt_id(root, num_fmt)),
            "fontId": str(self._intern(root, "fonts", self._font(root, request)) if bold or italic or size or color else 0),
            "fillId": str(self._intern(root, "fills", _fill(fill)) if fill else 0),
            "borderId": str(self._intern(root, "borders", _border()) if border else 0),
            "xfId": "0",
        }
        for flag, on in (("applyNumberFormat", num_fmt is not None), ("applyFont", attrs["fontId"] != "0"),
                         ("applyFill", bool(fill)), ("applyBorder", border),
                         ("applyAlignment", bool(wrap or halign or valign))):
            if on:
                attrs[flag] = "1"
        xf = etree.Element(f"{{{MAIN_NS}}}xf", attrs)
        if wrap or halign or valign:
            align = etree.SubElement(xf, f"{{{MAIN_NS}}}alignment")
            for key, value in (("horizontal", halign), ("vertical", valign), ("wrapText", "1" if wrap else None)):
                if value:
                    align.set(key, value)
        index = self._intern(root, "cellXfs", xf)
        self._style_cache[request] = index
        return index

    @staticmethod
    def _collection(root: etree._Element, name: str) -> etree._Element:
        el = root.find(f"{{{MAIN_NS}}}{name}")
        if el is None:
            el = _insert_ordered(root, etree.Element(f"{{{MAIN_NS}}}{name}"), _STYLESHEET_ORDER)
        return el

    def _intern(self, root: etree._Element, collection: str, el: etree._Element) -> int:
        """Index of the entry of ``collection`` equal to ``el``; ``el`` is appended when none is."""
        parent = self._collection(root, collection)
        index = self._signatures.get(collection)
        if index is None:
            index = self._signatures[collection] = {}
            for i, child in enumerate(c for c in parent if isinstance(c.tag, str)):
                index.setdefault(_signature(child), i)
        key = _signature(el)
        if key not in index:
            index[key] = sum(1 for c in parent if isinstance(c.tag, str))
            parent.append(el)
            parent.set("count", str(index[key] + 1))
            self._touch(self._styles_part)
        return index[key]

    def _num_fmt_id(self, root: etree._Element, num_fmt: str | int | None) -> int:
        if num_fmt is None:
            return 0
        if isinstance(num_fmt, int):
            return num_fmt
        if num_fmt in _BUILTIN_FORMATS:
            return _BUILTIN_FORMATS[num_fmt]
        formats = root.find(f"{{{MAIN_NS}}}numFmts")
        ids = [163]
        for el in formats if formats is not None else []:
            if el.get("formatCode") == num_fmt:
                return int(el.get("numFmtId"))
            ids.append(int(el.get("numFmtId", "0")))
        new_id = max(ids) + 1
        self._intern(root, "numFmts", etree.Element(f"{{{MAIN_NS}}}numFmt", numFmtId=str(new_id), formatCode=num_fmt))
        return new_id

    @staticmethod
    def _font(root: etree._Element, style: CellStyle) -> etree._Element:
        """The workbook's default font with the requested changes, children in schema order."""
        base = root.find(f"{{{MAIN_NS}}}fonts/{{{MAIN_NS}}}font")
        children = {_local(c): c for c in (etree.fromstring(etree.tostring(base)) if base is not None else [])}
        for name in ("b", "i"):
            children.pop(name, None)
        q = lambda name, **attrs: etree.Element(f"{{{MAIN_NS}}}{name}", attrs)  # noqa: E731
        if style.bold:
            children["b"] = q("b")
        if style.italic:
            children["i"] = q("i")
        if style.size:
            children["sz"] = q("sz", val=f"{style.size:g}")
        if style.color:
            children["color"] = q("color", rgb=_argb(style.color))
        font = q("font")
        for name in sorted(children, key=lambda n: _FONT_ORDER.index(n) if n in _FONT_ORDER else len(_FONT_ORDER)):
            font.append(children[name])
        return font

    # -- charts -----------------------------------------------------------------------------

    def add_bar_chart(self, sheet_name: str, *, anchor: tuple[int, int, int, int], title: str, categories: str,
                      series: list[tuple[str, str]]) -> None:
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
                                [(name, parse_range(ref)) for name, ref in series])
        self._chart_count[sheet.part] = n = self._chart_count.get(sheet.part, 0) + 1
        name = f"{_chart.CHART_NAME} {n}"
        drawing_part = self._drawing_of(sheet)
        drawing = self._tree(drawing_part)
        found = _chart.find_chart_anchor(drawing, name)
        if found:
            chart_part = self._rel_target(drawing_part, found[1])
            _chart.place_chart(drawing, name, None, (min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)))
        else:
            chart_part = self._free_name("xl/charts/chart%d.xml")
            self._override(chart_part, CT_CHART)
            rid = self._add_rel(drawing_part, RT + "chart", chart_part)
            _chart.place_chart(drawing, name, rid, (min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)))
        self._touch(drawing_part)
        self._charts[chart_part] = spec
        self._chart_xml.pop(chart_part, None)

    def _drawing_of(self, sheet: _Sheet) -> str:
        """The drawing part of a worksheet, created (with its relationship) when it has none."""
        layout = self._layouts.get(sheet.part)
        rid = layout.drawing_rid if layout else self._drawing_refs.get(sheet.part)
        if rid is None and layout is None:
            rid = _sheetxml.drawing_rid(split_sheet(self._read(sheet.part), sheet.part), sheet.part)
        if rid is not None:
            return self._rel_target(sheet.part, rid)
        part = self._free_name("xl/drawings/drawing%d.xml")
        self._create(part, _chart.new_drawing(), CT_DRAWING)
        rid = self._add_rel(sheet.part, RT + "drawing", part)
        if layout:
            layout.drawing_rid = rid
        else:
            self._drawing_refs[sheet.part] = rid
        self._pending.add(sheet.part)
        return part

    # -- saving -----------------------------------------------------------------------------

    def save(self, path: str | os.PathLike) -> None:
        """Write the workbook to ``path`` atomically (temp file beside it, fsync, rename).

        On any failure the temp file is removed and ``path`` is left as it was. Saving over the
        file the package was opened from is fine. Afterwards the package represents the saved file.
        """
        path = Path(path)
        self._check_source()
        parts = self._render()
        folder = path.parent
        try:
            fd, tmp = tempfile.mkstemp(prefix=".~sheetkpi-", suffix=".tmp", dir=folder)
        except OSError as exc:
            raise PackageError("save-failed", f"Không tạo được tệp tạm trong '{folder}': {exc.strerror or exc}") from exc
        try:
            with os.fdopen(fd, "wb") as fh:
                self._write_zip(fh, parts)
                fh.flush()
                os.fsync(fh.fileno())
            try:
                mode = os.stat(path).st_mode & 0o7777
            except FileNotFoundError:
                umask = os.umask(0)
                os.umask(umask)
                mode = 0o666 & ~umask
            os.chmod(tmp, mode)
            os.replace(tmp, path)
        except BaseException as exc:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            if isinstance(exc, OSError) and not isinstance(exc, PackageError):
                raise PackageError("save-failed", f"Không ghi được tệp '{path.name}': {exc.strerror or exc}. "
                                   "Nếu tệp đang mở trong Excel, hãy đóng rồi chạy lại.") from exc
            raise
        _fsync_dir(folder)
        self._after_save(path)

    def commit(self, sheet_name: str) -> None:
        """Render the pending edits of one sheet now, pack them and free them, so that a run over
        many sheets holds one sheet's writes at a time instead of all of them until :meth:`save`.

        Charts on the sheet get the values its cells hold now. The sheet can still be written
        afterwards: those writes are applied over the committed content (at the next commit of
        the sheet, or at save). Nothing reaches the file before :meth:`save`.
        """
        sheet = self._worksheet(sheet_name)
        if sheet.part in self._pending:
            self._render_sheet(sheet)

    def _check_source(self) -> None:
        """Unchanged parts are copied from the source at save: refuse to mix in a changed file.
        (What was read from it before is checked by the same test at save.)"""
        try:
            st = os.stat(self._path)
            changed = (st.st_size, st.st_mtime_ns) != self._stamp
        except FileNotFoundError:
            changed = True
        if changed:
            raise PackageError("file-changed", f"Tệp '{self._path.name}' đã bị thay đổi sau khi mở; hãy chạy lại.")

    def _render_sheet(self, sheet: _Sheet) -> None:
        """Render one pending sheet (and the charts on it, whose caches read its cells) into
        :attr:`_committed`; its pending writes are freed."""
        part = sheet.part
        for chart_part, spec in self._charts.items():
            if self._worksheet(spec.sheet).part == part:
                self._chart_xml[chart_part] = self._chart_bytes(spec)
        cells, clears = self._rows.get(part, {}), self._clears.get(part, [])
        parts = split_sheet(self._sheet_xml(part), part)
        if part in self._drawing_refs:
            parts = _sheetxml.add_drawing(parts, part, self._drawing_refs[part])
        editor = SheetEditor(parts, part, cells, clears,
                             lambda kind: self.add_style(num_fmt=_FALLBACK_FORMATS[kind]))
        if self._deflater is None:
            self._deflater = _Deflater()
        info = self._info.get(self._names.get(part.lower(), ""))
        stream = _PackStream(self._deflater, info.compress_type if info else zipfile.ZIP_DEFLATED)
        for piece in editor.run():
            stream.write(piece)
        self._committed[part] = stream.close()
        if editor.removed_formulas:
            self._removed_formulas.setdefault(sheet.sheet_id, set()).update(editor.removed_formulas)
        if cells or clears:
            self._recalculate_on_load()
        self._rows.pop(part, None)
        self._clears.pop(part, None)
        self._drawing_refs.pop(part, None)
        self._pending.discard(part)

    def _chart_bytes(self, spec: _chart.ChartSpec) -> bytes:
        cells = {c for box in [spec.categories] + [b for _, b in spec.series] for c in _chart.box_cells(box)}
        return _chart.bar_chart_xml(spec, self.read_cell_values(spec.sheet, cells))

    def _render(self) -> dict[str, "bytes | _Packed | None"]:
        """New content of every changed part (None: the part is removed)."""
        for sheet in self._sheets:
            if sheet.part in self._pending:
                self._render_sheet(sheet)
        out: dict[str, bytes | _Packed | None] = {}
        for chart_part, spec in self._charts.items():
            out[chart_part] = self._chart_xml.get(chart_part) or self._chart_bytes(spec)
        for part, stream in self._committed.items():
            out[part] = stream.packed()
        if self._removed_formulas:
            self._drop_calc_chain_entries(self._removed_formulas)
            self._removed_formulas = {}
        for part in self._removed:
            out[part] = None
        for part in self._dirty:
            if part not in self._removed:
                tree = self._trees[part].getroottree()
                standalone = tree.docinfo.standalone
                out[part] = etree.tostring(tree, xml_declaration=True, encoding="UTF-8",
                                           standalone=True if standalone is None else standalone)
        for part, data in self._new.items():
            out.setdefault(part, data)
        return out

    def _recalculate_on_load(self) -> None:
        """Ask Excel and LibreOffice to recalculate when opening: formulas that depend on the
        written cells still hold their old cached results."""
        wb = self._tree(self._wb_part)
        calc = wb.find(f"{{{MAIN_NS}}}calcPr")
        if calc is None:
            calc = _insert_ordered(wb, etree.Element(f"{{{MAIN_NS}}}calcPr"), _WORKBOOK_ORDER)
        if calc.get("fullCalcOnLoad") not in ("1", "true"):
            calc.set("fullCalcOnLoad", "1")
            self._touch(self._wb_part)

    def _drop_calc_chain_entries(self, removed: dict[int, set[tuple[int, int]]]) -> None:
        """Remove calcChain entries of cells that no longer hold a formula; drop an empty chain."""
        chains = [(rid, p) for rid, rtype, p in self._rels(self._wb_part) if rtype == RT + "calcChain"]
        if not chains or not self._exists(chains[0][1]):
            return
        rid, part = chains[0]
        root = self._tree(part)
        refs = {sid: {cell_ref(r, c) for r, c in cells} for sid, cells in removed.items()}
        sheet_id = None
        for el in list(root):
            if el.get("i") is not None:
                sheet_id = int(el.get("i"))
            if el.get("r") in refs.get(sheet_id, ()):
                following = el.getnext()
                # "i" may be omitted when equal to the previous entry's; keep it for the next one.
                if el.get("i") is not None and following is not None and following.get("i") is None:
                    following.set("i", el.get("i"))
                root.remove(el)
        self._touch(part)
        if len(root) == 0:
            self._removed.add(part)
            self._override(part, None)
            rels = self._rels_tree(self._wb_part)
            for el in rels.iterfind(f"{{{PKG_REL_NS}}}Relationship"):
                if el.get("Id") == rid:
                    rels.remove(el)
            self._touch(_rels_part(self._wb_part))

    def _write_zip(self, fh, parts: dict[str, "bytes | _Packed | None"]) -> None:
        writer = _ZipWriter(fh)
        with open(self._path, "rb") as src:
            for info in self._infos:
                if info.filename not in parts:
                    writer.copy_raw(info, src)
                elif parts[info.filename] is not None:
                    writer.write(info, parts[info.filename])
        known = {info.filename for info in self._infos}
        for name, data in parts.items():
            if name not in known and data is not None:
                writer.write(_new_info(name), data)
        writer.close(self._comment)

    def _after_save(self, path: Path) -> None:
        """The saved file becomes the source: pending edits are in it now."""
        self._path = path
        with zipfile.ZipFile(path) as zf:
            self._adopt(zf.infolist(), zf.comment)
        for part in self._removed:
            self._trees.pop(part, None)
        self._new.clear()
        self._removed.clear()
        self._dirty.clear()
        self._rows.clear()
        self._clears.clear()
        self._drawing_refs.clear()
        self._pending.clear()
        self._committed.clear()
        self._charts.clear()
        self._chart_xml.clear()
        self._chart_count.clear()
        if self._deflater is not None:
            self._deflater.close()
            self._deflater = None


def _add_run(pending: dict[int, dict[int, CellWrite] | RowRun], row: int, run: RowRun) -> None:
    """Add a run to the pending writes of ``row``, over what is there (as a dict then)."""
    writes = pending.get(row)
    if writes is None:
        pending[row] = run
        return
    if type(writes) is not dict:
        writes = pending[row] = writes.writes()
    writes.update(run.writes())


def _written_value(write: CellWrite) -> Any:
    """The Python value a pending write puts in its cell."""
    if write.inline is not None:
        return write.inline
    if write.value is None:
        return None
    if write.cell_type == "b":
        return write.value == "1"
    number = float(write.value)
    return int(number) if number.is_integer() and "." not in write.value and "e" not in write.value.lower() else number


def _signature(el: etree._Element) -> tuple:
    """What makes two style entries equal: names, attributes, text and children, not formatting."""
    return (el.tag, tuple(sorted(el.attrib.items())), (el.text or "").strip(),
            tuple(_signature(c) for c in el if isinstance(c.tag, str)))


def _fill(color: str) -> etree._Element:
    fill = etree.Element(f"{{{MAIN_NS}}}fill")
    pattern = etree.SubElement(fill, f"{{{MAIN_NS}}}patternFill", patternType="solid")
    etree.SubElement(pattern, f"{{{MAIN_NS}}}fgColor", rgb=_argb(color))
    etree.SubElement(pattern, f"{{{MAIN_NS}}}bgColor", indexed="64")
    return fill


def _border() -> etree._Element:
    border = etree.Element(f"{{{MAIN_NS}}}border")
    for side in ("left", "right", "top", "bottom"):
        etree.SubElement(etree.SubElement(border, f"{{{MAIN_NS}}}{side}", style="thin"), f"{{{MAIN_NS}}}color",
                         indexed="64")
    etree.SubElement(border, f"{{{MAIN_NS}}}diagonal")
    return border


def _insert_default(types: etree._Element, extension: str, content_type: str) -> None:
    el = etree.Element(f"{{{CT_NS}}}Default", Extension=extension, ContentType=content_type)
    defaults = types.findall(f"{{{CT_NS}}}Default")
    types.insert(types.index(defaults[-1]) + 1 if defaults else 0, el)


def _fsync_dir(folder: Path) -> None:
    """Make the rename durable (POSIX); directories cannot be opened this way on Windows."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

