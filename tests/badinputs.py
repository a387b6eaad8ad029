"""A corpus of bad inputs, built by code from the Nghệ An example (no committed binaries).

Each ``make_*`` function writes one broken workbook (or non-workbook) into a folder and returns its
path. Workbook-level cases start from a copy of ``examples/nghe-an-2026/BangGiaoKPI.xlsx`` and change
it either with openpyxl (fine for a test fixture) or by rewriting XML parts directly, where openpyxl
cannot express the damage (a 200-character sheet name, a formula without a cached value, a DTD).
The expected outcome of every case is asserted in ``tests/test_bad_inputs.py``.
"""

from __future__ import annotations

import os
import posixpath
import re
import shutil
import struct
import unicodedata
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

from lxml import etree
from openpyxl import load_workbook

from support import EXAMPLE

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
NAME = "BangGiaoKPI.xlsx"
CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
UNIT_SHEETS = ("KHĐT", "XDMT", "DNLĐ", "VP", "BQLDA")
# A Vietnamese title typed with a TCVN3 (ABC) font, and an obstacle typed with a VNI font, both
# as they read once the workbook is opened without those fonts.
TCVN3_TITLE = "NghÞ quyÕt cña H§ND tØnh vÒ chÝnh s¸ch hç trî tiÕp cËn ®Êt ®ai"
VNI_OBSTACLE = "Moät soá nhaø ñaàu tö chaäm cung caáp soá lieäu giaûi ngaân"


# ---------------------------------------------------------------------------------------------
# Building blocks


def copy_example(folder: Path, name: str = NAME) -> Path:
    """A fresh copy of the example workbook."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    shutil.copyfile(EXAMPLE, path)
    return path


def read_part(path: Path, part: str) -> bytes:
    with zipfile.ZipFile(path) as zf:
        return zf.read(part)


def rewrite_parts(path: Path, changes: dict[str, bytes | None], target: Path | None = None) -> Path:
    """Rewrite the zip at ``path`` (into ``target``, default in place): a part mapped to bytes gets
    them, to None is dropped; names not in the zip are added at the end. Other parts keep their
    order and compression."""
    target = target or path
    with zipfile.ZipFile(path) as zin:
        members = [(info, zin.read(info)) for info in zin.infolist()]
    known = {info.filename for info, _ in members}
    tmp = target.with_name(target.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in members:
            if info.filename in changes:
                if changes[info.filename] is None:
                    continue
                data = changes[info.filename]
            zout.writestr(info, data)
        for name, data in changes.items():
            if name not in known and data is not None:
                zout.writestr(name, data)
    os.replace(tmp, target)
    return target


def sheet_part(path: Path, sheet: str) -> str:
    """The zip part holding worksheet ``sheet``."""
    wb = etree.fromstring(read_part(path, "xl/workbook.xml"))
    rels = etree.fromstring(read_part(path, "xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target") for r in rels.iter(f"{{{PKG_REL}}}Relationship")}
    for el in wb.iter(f"{{{MAIN}}}sheet"):
        if el.get("name") == sheet:
            target = targets[el.get(f"{{{REL}}}id")]
            return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
    raise KeyError(sheet)


def edit_sheet(path: Path, sheet: str, edit: Callable[[etree._Element], None]) -> Path:
    """Parse a worksheet's XML, let ``edit`` change the tree, write it back."""
    part = sheet_part(path, sheet)
    root = etree.fromstring(read_part(path, part))
    edit(root)
    return rewrite_parts(path, {part: etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)})


def set_cell_xml(path: Path, sheet: str, cells: dict[str, tuple[str | None, str]]) -> Path:
    """Replace the content of existing cells: ref -> (t attribute or None, inner XML)."""

    def edit(root):
        for ref, (cell_type, inner) in cells.items():
            c = root.find(f".//{{{MAIN}}}c[@r='{ref}']")
            for child in list(c):
                c.remove(child)
            c.attrib.pop("t", None)
            if cell_type:
                c.set("t", cell_type)
            for child in etree.fromstring(f'<x xmlns="{MAIN}">{inner}</x>'):
                c.append(child)

    return edit_sheet(path, sheet, edit)


def text_cell(text: str) -> tuple[str, str]:
    """An inline-string cell content for :func:`set_cell_xml`."""
    from xml.sax.saxutils import escape

    return "inlineStr", f"<is><t xml:space=\"preserve\">{escape(text)}</t></is>"


def with_openpyxl(path: Path, edit: Callable) -> Path:
    """Load with openpyxl, let ``edit(wb)`` change it, save (acceptable for a test input only)."""
    wb = load_workbook(path)
    edit(wb)
    wb.save(path)
    return path


def _zip_raw(path: Path, members: list[tuple[str, bytes, int, int]]) -> Path:
    """A zip whose members are given already deflated: (name, raw deflate bytes, crc, size)."""
    out = bytearray()
    central = bytearray()
    for name, raw, crc, size in members:
        encoded = name.encode()
        offset = len(out)
        out += struct.pack("<4sHHHHHLLLHH", b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc, len(raw), size, len(encoded), 0)
        out += encoded + raw
        central += struct.pack("<4sBBHHHHHLLLHHHHHLL", b"PK\x01\x02", 20, 3, 20, 0, 8, 0, 0x21, crc, len(raw), size,
                               len(encoded), 0, 0, 0, 0, 0o100644 << 16, offset)
        central += encoded
    end = struct.pack("<4sHHHHLLH", b"PK\x05\x06", 0, 0, len(members), len(members), len(central), len(out), 0)
    path.write_bytes(bytes(out + central + end))
    return path


def _deflate(data: bytes) -> tuple[bytes, int, int]:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush(), zlib.crc32(data), len(data)


def bomb_stream(head: bytes, filler: bytes, repeats: int, tail: bytes) -> tuple[bytes, int, int]:
    """A raw deflate stream of ``head + filler * repeats + tail`` built without deflating all of it.

    After a full flush a deflate compressor starts afresh, so the compressed form of ``filler``
    is the same block every time and can simply be repeated. Returns (raw, crc, size).
    """

    def flushed(data: bytes, mode: int) -> bytes:
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        return c.compress(data) + c.flush(mode)

    block = flushed(filler, zlib.Z_FULL_FLUSH)
    raw = flushed(head, zlib.Z_FULL_FLUSH) + block * repeats + flushed(tail, zlib.Z_FINISH)
    crc = zlib.crc32(head)
    for _ in range(repeats):
        crc = zlib.crc32(filler, crc)
    return raw, zlib.crc32(tail, crc), len(head) + len(filler) * repeats + len(tail)


# ---------------------------------------------------------------------------------------------
# Not a usable file


def make_empty(folder: Path) -> Path:
    path = folder / NAME
    path.write_bytes(b"")
    return path


def make_text_renamed(folder: Path) -> Path:
    path = folder / NAME
    path.write_text("Danh sách KPI gửi Văn phòng, xem tệp đính kèm.\n", encoding="utf-8")
    return path


def make_truncated_zip(folder: Path) -> Path:
    path = folder / NAME
    path.write_bytes(EXAMPLE.read_bytes()[: EXAMPLE.stat().st_size // 2])
    return path


def make_missing_part(folder: Path) -> Path:
    """The zip lost the worksheet of "KHĐT" (still listed in workbook.xml)."""
    path = copy_example(folder)
    return rewrite_parts(path, {sheet_part(path, "KHĐT"): None})


def make_zip_bomb(folder: Path, repeats: int = 2048) -> Path:
    """About 2 MB on disk; the "KHĐT" worksheet inflates to ``repeats`` MiB (2 GiB by default)."""
    path = copy_example(folder)
    bomb = sheet_part(path, "KHĐT")
    members = []
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            if info.filename == bomb:
                head = f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><sheetData>'.encode()
                stream = bomb_stream(head, b" " * (1 << 20), repeats, b"</sheetData></worksheet>")
                members.append((info.filename, *stream))
            else:
                members.append((info.filename, *_deflate(zf.read(info))))
    path.unlink()
    return _zip_raw(path, members)


def make_ratio_bomb(folder: Path) -> Path:
    """A workbook carrying a 64 MiB part of zeros that compresses to about 64 KB."""
    path = copy_example(folder)
    return rewrite_parts(path, {"xl/media/image1.bin": bytes(64 << 20)})


def make_too_many_parts(folder: Path, count: int = 10_001) -> Path:
    path = copy_example(folder)
    return rewrite_parts(path, {f"customXml/item{i}.xml": b"<a/>" for i in range(count)})


def billion_laughs(root_tag: str, body: str) -> bytes:
    """An XML document whose entity ``&lol9;`` expands to 10^9 "lol"s (3 GB) if anyone expands it."""
    entities = ['<!ENTITY lol "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    ]
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE {root_tag} [{"".join(entities)}]>\n'
            + body).encode()


def make_billion_laughs(folder: Path) -> Path:
    """The "KHĐT" worksheet declares nested entities and uses the outermost in a cell."""
    path = copy_example(folder)
    body = (f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c>'
            "</row></sheetData></worksheet>")
    return rewrite_parts(path, {sheet_part(path, "KHĐT"): billion_laughs("worksheet", body)})


def make_external_entity(folder: Path, url: str = "file:///etc/passwd") -> Path:
    """The document properties (read by openpyxl, never by sheetkpi's writer) pull in ``url``."""
    path = copy_example(folder)
    core = read_part(path, "docProps/core.xml").decode()
    start = core.index("<cp:coreProperties")
    evil = (core[:start] + f'<!DOCTYPE cp:coreProperties [<!ENTITY xxe SYSTEM "{url}">]>'
            + core[start:].replace("</cp:coreProperties>", "<dc:title>&xxe;</dc:title></cp:coreProperties>"))
    return rewrite_parts(path, {"docProps/core.xml": evil.encode()})


def make_encrypted(folder: Path, source: Path | None = None, name: str = NAME) -> Path:
    """The example (or ``source``) protected with a password ("Tệp > Thông tin > Mã hóa bằng mật khẩu")."""
    from msoffcrypto.format.ooxml import OOXMLFile

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    with open(source or EXAMPLE, "rb") as fin, open(path, "wb") as fout:
        OOXMLFile(fin).encrypt("Ban@2026", fout)
    return path


def cfb_bytes(stream: str) -> bytes:
    """A compound-file header followed by a directory entry named ``stream`` (enough to sniff)."""
    return CFB_MAGIC + b"\0" * 504 + stream.encode("utf-16-le") + b"\0" * 2000


def make_legacy_xls(folder: Path, name: str = "BangGiaoKPI.xls") -> Path:
    path = folder / name
    path.write_bytes(cfb_bytes("Workbook"))
    return path


def xlsb_bytes() -> bytes:
    """The skeleton of an Excel binary workbook: an OPC zip whose main part is xl/workbook.bin."""
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="bin" ContentType="application/vnd.ms-excel.sheet.binary.'
            'macroEnabled.main"/><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/></Types>'))
        zf.writestr("_rels/.rels", (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_REL}"><Relationship Id="rId1" '
            f'Type="{REL}/officeDocument" Target="xl/workbook.bin"/></Relationships>'))
        zf.writestr("xl/workbook.bin", b"\x83\x01\x00\x80\x01\x00")
    return buf.getvalue()


def make_xlsb(folder: Path, name: str = "BangGiaoKPI.xlsb") -> Path:
    path = folder / name
    path.write_bytes(xlsb_bytes())
    return path


def ods_bytes() -> bytes:
    """A minimal OpenDocument spreadsheet (LibreOffice opens it)."""
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("META-INF/manifest.xml", (
            '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:'
            'opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
            'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry '
            'manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'))
        zf.writestr("content.xml", (
            '<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:'
            'opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
            'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body>'
            '<office:spreadsheet><table:table table:name="KHĐT"><table:table-row><table:table-cell '
            'office:value-type="string"><text:p>Mã KPI</text:p></table:table-cell></table:table-row>'
            '</table:table></office:spreadsheet></office:body></office:document-content>'))
    return buf.getvalue()


def make_ods(folder: Path, name: str = "BangGiaoKPI.ods") -> Path:
    path = folder / name
    path.write_bytes(ods_bytes())
    return path


def make_broken_sheet_xml(folder: Path) -> Path:
    """The "KHĐT" worksheet is cut off in the middle of a row (a half-written file)."""
    path = copy_example(folder)
    part = sheet_part(path, "KHĐT")
    xml = read_part(path, part)
    return rewrite_parts(path, {part: xml[: xml.index(b'<row r="8"') + 20]})


# ---------------------------------------------------------------------------------------------
# A workbook, but not laid out as sheetkpi expects


def make_no_unit_tab(folder: Path) -> Path:
    def edit(wb):
        for name in UNIT_SHEETS:
            del wb[name]

    return with_openpyxl(copy_example(folder), edit)


def make_missing_column(folder: Path) -> Path:
    """"% tiến độ" was deleted from the header of "KHĐT"."""
    return set_cell_xml(copy_example(folder), "KHĐT", {"H4": (None, "")})


def make_unknown_column_name(folder: Path) -> Path:
    """"% tiến độ" of "VP" renamed to a wording sheetkpi does not know."""
    return set_cell_xml(copy_example(folder), "VP", {"H4": text_cell("Tự đánh giá")})


def make_renamed_columns(folder: Path) -> Path:
    """Headers re-typed with other known wordings, case, spacing and line breaks."""
    return set_cell_xml(copy_example(folder), "KHĐT", {
        "B4": text_cell("MÃ  KPI"),
        "E4": text_cell("Trọng số\n(điểm)"),
        "F4": text_cell("Hạn hoàn thành"),
        "H4": text_cell("Tiến độ (%)"),
    })


def make_merged_cells(folder: Path) -> Path:
    """"KHĐT": the weight of KPIs 01–02 (E5:E6) and the deadline of 05–07 (F9:F11) merged."""

    def edit(wb):
        ws = wb["KHĐT"]
        ws.merge_cells("E5:E6")
        ws.merge_cells("F9:F11")

    return with_openpyxl(copy_example(folder), edit)


def make_hidden_rows(folder: Path) -> Path:
    def edit(wb):
        for r in (6, 7):
            wb["KHĐT"].row_dimensions[r].hidden = True

    return with_openpyxl(copy_example(folder), edit)


def make_formula_cached(folder: Path) -> Path:
    """Progress and weight computed by formulas, saved by Excel with their results."""
    return set_cell_xml(copy_example(folder), "KHĐT", {
        "H5": (None, "<f>40+50</f><v>90</v>"),
        "E6": (None, "<f>10*2</f><v>20</v>"),
    })


def make_formula_uncached(folder: Path) -> Path:
    """A progress formula written by a program that does not calculate (no cached result)."""
    return set_cell_xml(copy_example(folder), "KHĐT", {"H5": (None, "<f>40+50</f>")})


def make_formula_errors(folder: Path) -> Path:
    return set_cell_xml(copy_example(folder), "KHĐT", {
        "H6": ("e", "<f>#REF!*100</f><v>#REF!</v>"),
        "E7": ("e", "<f>20/0</f><v>#DIV/0!</v>"),
    })


def make_huge_numbers(folder: Path) -> Path:
    """Numbers too large for a float (a crafted file): they read as infinity."""
    return set_cell_xml(copy_example(folder), "KHĐT", {"H5": (None, "<v>1E999</v>"), "E6": (None, "<v>-1E999</v>")})


def make_nan_number(folder: Path) -> Path:
    """"NaN" where a number belongs: no spreadsheet writes it, the sheet is damaged."""
    return set_cell_xml(copy_example(folder), "KHĐT", {"H5": (None, "<v>NaN</v>")})


def make_month_first_dates(folder: Path) -> Path:
    """Dates typed as text the American way, month first."""
    return set_cell_xml(copy_example(folder), "KHĐT", {
        "F8": text_cell("04/30/2026"),  # 30 April: no 30th month, so not understood
        "F9": text_cell("05/06/2026"),  # meant 6 May; read day first: 5 June 2026
        "K5": text_cell("12/31/2026"),
    })


def make_numbers_as_text(folder: Path) -> Path:
    return set_cell_xml(copy_example(folder), "KHĐT", {
        "E5": text_cell("20 điểm"),
        "E6": text_cell("20"),
        "E7": text_cell("20,0"),
        "H5": text_cell(" 90 % "),
        "H6": text_cell("50"),
        "H8": text_cell("70%"),
    })


def make_blank_rows(folder: Path, count: int = 10_000) -> Path:
    """10,000 formatted but empty rows after the "KHĐT" table (a whole column given a border)."""

    def edit(root):
        data = root.find(f"{{{MAIN}}}sheetData")
        last = int(data[-1].get("r"))
        for r in range(last + 1, last + 1 + count):
            row = etree.SubElement(data, f"{{{MAIN}}}row", r=str(r))
            for col in "ABCDEFGHIJKLMNOPQRST":
                etree.SubElement(row, f"{{{MAIN}}}c", r=f"{col}{r}", s="6")
        dim = root.find(f"{{{MAIN}}}dimension")
        dim.set("ref", f"A1:T{last + count}")

    return edit_sheet(copy_example(folder), "KHĐT", edit)


def far_cell(folder: Path, ref: str) -> Path:
    """One cell typed far from the table of "KHĐT" (a stray key press after Ctrl+End), at ``ref``."""
    row_number = int(re.sub(r"^[A-Z]+", "", ref))

    def edit(root):
        data = root.find(f"{{{MAIN}}}sheetData")
        row = etree.SubElement(data, f"{{{MAIN}}}row", r=str(row_number))
        cell = etree.SubElement(row, f"{{{MAIN}}}c", r=ref, t="inlineStr")
        etree.SubElement(etree.SubElement(cell, f"{{{MAIN}}}is"), f"{{{MAIN}}}t").text = "x"

    return edit_sheet(copy_example(folder), "KHĐT", edit)


def make_far_cell_corner(folder: Path) -> Path:
    return far_cell(folder, "XFD1048576")  # the last cell of Excel's grid


def make_far_cell_wide(folder: Path) -> Path:
    return far_cell(folder, "AAA100000")


def make_far_cell_xfd(folder: Path) -> Path:
    return far_cell(folder, "XFD20000")


def make_row_beyond_grid(folder: Path) -> Path:
    return far_cell(folder, "A1048577")  # one row more than Excel has


def make_self_closed_rows(folder: Path, count: int = 8_000) -> Path:
    """8,000 empty rows below the "KHĐT" table, each written as ``<row r="N" …/>`` without ``</row>``
    (a height set on a whole block of rows)."""

    def edit(root):
        data = root.find(f"{{{MAIN}}}sheetData")
        last = int(data[-1].get("r"))
        for r in range(last + 1, last + 1 + count):
            etree.SubElement(data, f"{{{MAIN}}}row", r=str(r), spans="1:20", ht="15", customHeight="1")
        root.find(f"{{{MAIN}}}dimension").set("ref", f"A1:T{last + count}")

    return edit_sheet(copy_example(folder), "KHĐT", edit)


def make_long_sheet_name(folder: Path, length: int = 200) -> tuple[Path, str]:
    """"KHĐT" renamed to ``length`` characters in workbook.xml (Excel stops at 31), and in the
    units table of "Cấu hình"."""
    name = ("KHĐT " + "Phòng Kế hoạch và Đầu tư " * 10)[:length]
    path = copy_example(folder)
    wb = read_part(path, "xl/workbook.xml").decode()
    rewrite_parts(path, {"xl/workbook.xml": wb.replace('name="KHĐT"', f'name="{name}"').encode()})
    config = load_workbook(path, read_only=True)["Cấu hình"]
    ref = next(c.coordinate for row in config.iter_rows() for c in row if c.value == "KHĐT" and c.column == 3)
    return set_cell_xml(path, "Cấu hình", {ref: text_cell(name)}), name


def make_duplicate_codes(folder: Path) -> Path:
    return set_cell_xml(copy_example(folder), "KHĐT", {"B6": text_cell("KHĐT-01")})


def make_duplicated_unit_tab(folder: Path) -> Path:
    """"KHĐT" copied to a second tab "KHĐT (2)" (Excel's "Move or Copy… Create a copy")."""

    def edit(wb):
        copy = wb.copy_worksheet(wb["KHĐT"])
        copy.title = "KHĐT (2)"

    return with_openpyxl(copy_example(folder), edit)


def make_nfd_text(folder: Path) -> Path:
    """Every text of the workbook, sheet names included, in decomposed Unicode (NFD), as macOS
    and some web forms produce it."""
    path = copy_example(folder)
    changes: dict[str, bytes] = {}
    wb = etree.fromstring(read_part(path, "xl/workbook.xml"))
    names = [el.get("name") for el in wb.iter(f"{{{MAIN}}}sheet")]
    for name in names:
        root = etree.fromstring(read_part(path, sheet_part(path, name)))
        for t in root.iter(f"{{{MAIN}}}t"):
            if t.text:
                t.text = unicodedata.normalize("NFD", t.text)
        changes[sheet_part(path, name)] = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    for el in wb.iter(f"{{{MAIN}}}sheet"):
        el.set("name", unicodedata.normalize("NFD", el.get("name")))
    changes["xl/workbook.xml"] = etree.tostring(wb, xml_declaration=True, encoding="UTF-8")
    return rewrite_parts(path, changes)


def make_legacy_text(folder: Path) -> Path:
    return set_cell_xml(copy_example(folder), "KHĐT", {"C5": text_cell(TCVN3_TITLE), "J6": text_cell(VNI_OBSTACLE)})


def make_formula_like_text(folder: Path) -> Path:
    """Department text that a spreadsheet would take for a formula if written carelessly."""
    return set_cell_xml(copy_example(folder), "KHĐT", {
        "J8": text_cell("=HYPERLINK(\"http://example.invalid\",\"Bấm vào đây\")"),
        "C8": text_cell("+84 238 3598 xxx gọi để báo cáo"),
        "J9": text_cell("-5 ngày so với kế hoạch"),
        "C9": text_cell("@SUM(A1:A9)"),
    })
