"""Build macros/SheetKPI.xlam from xlwings' ribbon add-in template and the sources beside this script.

The add-in is xlwings' own ribbon add-in template (``quickstart_addin_ribbon.xlam`` of the installed
xlwings, the file ``xlwings quickstart NAME --addin --ribbon`` copies), patched in place the way
xlwings' own CI makes it (it opens the Excel-made add-ins and replaces a module's code, never
building a VBA project from nothing; docs/excel.md says why this is the least risky way):

- in ``xl/vbaProject.bin``, only the source of two modules changes: ``xlwings`` (``xlwings.bas``: the
  template's module, renamed to the project "sheetkpi") and ``RibbonMyAddin`` (``RibbonMyAddin.bas``:
  the buttons' callbacks). Every other stream Excel and xlwings wrote stays byte for byte: ``PROJECT``,
  ``PROJECTwm``, ``VBA/dir`` (module names, text offsets), ``VBA/_VBA_PROJECT`` (version 0xFFFF: Excel
  compiles from source), the document modules and their ignored performance caches. A module's new
  source is written at its text offset, after the bytes that precede it, so ``dir`` needs no change;
  the compound file around the streams is rewritten with the template's own directory entries (names,
  class ids, times, tree), only their sectors and sizes new;
- its ribbon replaced by ``customUI.xml`` (the "SheetKPI" tab and its three buttons), under the
  relationship type of its namespace: customUI 2006 pairs with the 2006 relationship, as xlwings.xlam
  has it (the template pairs it with the 2007 one, meant for the 2009 customUI namespace);
- its settings sheet renamed "_sheetkpi.conf" and the template author's local path dropped.

Module streams are compressed by :func:`compress` (MS-OVBA 2.4.1) and checked by decompressing them
with oletools. The output is deterministic, so a rebuild can be compared byte for byte with the
committed file. Usage::

    python macros/build_addin.py [-o macros/SheetKPI.xlam]
"""

from __future__ import annotations

import argparse
import io
import re
import struct
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "SheetKPI.xlam"
PATCHED_MODULES = ("xlwings", "RibbonMyAddin")  # module name = source file stem in macros/
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
TEMPLATE_CONF_SHEET, CONF_SHEET = "_myaddin.conf", "_sheetkpi.conf"
RIBBON_2006 = "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility"
RIBBON_2007 = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"


def xlwings_version_of_module() -> str:
    """The xlwings version the VBA module was taken from: it names that version's DLL."""
    return re.search(r"^'Version: (\S+)", (HERE / "xlwings.bas").read_text(encoding="ascii"), re.M).group(1)


def template_path() -> Path:
    """xlwings' ribbon add-in template, from the installed xlwings of the module's version."""
    import xlwings

    if xlwings.__version__ != xlwings_version_of_module():
        raise SystemExit(
            f"xlwings {xlwings.__version__} is installed but macros/xlwings.bas is from {xlwings_version_of_module()}: "
            "the add-in's VBA must match the xlwings package (it loads that version's DLL). Install that version, "
            "or refresh xlwings.bas from the new template (keeping PROJECT_NAME = \"sheetkpi\")."
        )
    return Path(xlwings.__file__).parent / "quickstart_addin_ribbon.xlam"


# -- MS-OVBA compression ---------------------------------------------------------------------------

def compress(data: bytes) -> bytes:
    """MS-OVBA 2.4.1 compression: a signature byte, then per 4096 bytes a chunk of token sequences
    (a flag byte, then eight literals or copy tokens pointing back into the same chunk)."""
    from oletools.olevba import decompress_stream

    out = bytearray(b"\x01")
    for start in range(0, len(data), 4096):
        chunk = data[start:start + 4096]
        body = _compress_chunk(chunk)
        if len(body) > 4096:
            raise ValueError("a chunk that does not compress is not expected in VBA source")
        out += (0xB000 | (len(body) - 1)).to_bytes(2, "little") + body  # flag 1, signature 0b011, size - 3
    if bytes(decompress_stream(bytearray(out))) != data:
        raise ValueError("compressed stream does not decompress to its source")
    return bytes(out)


def _compress_chunk(chunk: bytes) -> bytes:
    body = bytearray()
    seen: dict[bytes, list[int]] = {}  # 3-byte prefix -> earlier positions in the chunk
    pos = 0
    while pos < len(chunk):
        flag_at, flags = len(body), 0
        body.append(0)
        for bit in range(8):
            if pos >= len(chunk):
                break
            bit_count = max((pos - 1).bit_length(), 4)
            longest = min((0xFFFF >> bit_count) + 3, len(chunk) - pos)
            offset, length = 0, 0
            for candidate in reversed(seen.get(chunk[pos:pos + 3], [])[-64:]):
                n = 0
                while n < longest and chunk[candidate + n] == chunk[pos + n]:
                    n += 1
                if n > length:
                    offset, length = pos - candidate, n
            if length >= 3:
                body += (((offset - 1) << (16 - bit_count)) | (length - 3)).to_bytes(2, "little")
                flags |= 1 << bit
            else:
                length = 1
                body.append(chunk[pos])
            for p in range(pos, pos + length):
                seen.setdefault(chunk[p:p + 3], []).append(p)
            pos += length
        body[flag_at] = flags
    return bytes(body)


# -- the VBA project, patched ----------------------------------------------------------------------

def module_source(name: str) -> bytes:
    """A module's source as the VBA project stores it: CRLF line ends, the project's code page."""
    text = (HERE / f"{name}.bas").read_text(encoding="ascii")
    return "\r\n".join(text.rstrip("\n").split("\n")).encode("cp1252") + b"\r\n"


def vba_project(template: bytes) -> bytes:
    """The template's vbaProject.bin with the source of :data:`PATCHED_MODULES` replaced."""
    import olefile
    from oletools.olevba import VBA_Project

    ole = olefile.OleFileIO(io.BytesIO(template))
    project = VBA_Project(ole, "", "PROJECT", "VBA/dir", relaxed=False)
    list(project.parse_modules())
    offsets = {m.name: (m.streamname, m.textoffset) for m in project.modules}
    if project.codepage != 1252:
        raise ValueError(f"the template's VBA code page is {project.codepage}, not 1252")
    replaced = {}
    for name in PATCHED_MODULES:
        stream, offset = offsets[name]
        old = ole.openstream(f"VBA/{stream}").read()
        replaced[f"VBA/{stream}"] = old[:offset] + compress(module_source(name))
    return rewrite_compound_file(template, replaced)


# -- the compound file (MS-CFB, version 3), rewritten around new streams -----------------------------

SECTOR, MINI_SECTOR, MINI_CUTOFF = 512, 64, 4096
FREESECT, ENDOFCHAIN, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
_STREAM, _ROOT = 2, 5


def rewrite_compound_file(original: bytes, replaced: dict[str, bytes]) -> bytes:
    """``original`` with the streams at the paths of ``replaced`` given new content: every directory
    entry is kept as it is (so names, class ids, times, colours and the tree do not change) but for
    where its stream starts and how long it is; sectors are laid out afresh."""
    import olefile

    ole = olefile.OleFileIO(io.BytesIO(original))
    if ole.sectorsize != SECTOR or ole.minisectorsize != MINI_SECTOR or ole.minisectorcutoff != MINI_CUTOFF:
        raise ValueError("only version 3 compound files (512-byte sectors) are expected")
    paths = _paths(ole)
    content = {sid: replaced.get(path, None) for sid, path in paths.items()}
    for sid, path in paths.items():
        if content[sid] is None:
            content[sid] = ole.openstream(path).read()
    unknown = set(replaced) - set(paths.values())
    if unknown:
        raise KeyError(f"no such streams: {sorted(unknown)}")
    entries = [bytearray(original_entry) for original_entry in _raw_directory(ole, original)]

    small = {sid: data for sid, data in sorted(content.items()) if len(data) < MINI_CUTOFF}
    large = {sid: data for sid, data in sorted(content.items()) if len(data) >= MINI_CUTOFF}
    mini = bytearray()
    mini_fat: list[int] = []
    for sid, data in small.items():
        first = len(mini_fat)
        count = -(-len(data) // MINI_SECTOR)
        mini_fat += [first + i + 1 for i in range(count - 1)] + [ENDOFCHAIN] if count else []
        mini += data.ljust(count * MINI_SECTOR, b"\0")
        _place(entries[sid], first if count else ENDOFCHAIN, len(data))

    sectors: list[bytes] = []
    fat: list[int] = []

    def add(data: bytes) -> int:
        """Append ``data`` as a chain of sectors; its first sector (ENDOFCHAIN when empty)."""
        count = -(-len(data) // SECTOR)
        if not count:
            return ENDOFCHAIN
        first = len(sectors)
        for i in range(count):
            sectors.append(data[i * SECTOR:(i + 1) * SECTOR].ljust(SECTOR, b"\0"))
            fat.append(first + i + 1 if i < count - 1 else ENDOFCHAIN)
        return first

    for sid, data in large.items():
        _place(entries[sid], add(data), len(data))
    _place(entries[0], add(bytes(mini)), len(mini) if mini else 0)
    mini_fat += [FREESECT] * (-len(mini_fat) % (SECTOR // 4))  # the last mini FAT sector filled with "free"
    mini_fat_bytes = b"".join(struct.pack("<I", v) for v in mini_fat)
    first_mini_fat = add(mini_fat_bytes)
    directory = b"".join(entries)
    directory = directory.ljust(-(-len(directory) // SECTOR) * SECTOR, b"\0")
    first_dir = add(directory)
    # FAT sectors: enough to map every sector, themselves included.
    n_fat = 1
    while len(sectors) + n_fat > n_fat * (SECTOR // 4):
        n_fat += 1
    if n_fat > 109:
        raise ValueError("a compound file this large needs DIFAT sectors")
    fat_start = len(sectors)
    fat += [FATSECT] * n_fat
    fat += [FREESECT] * (n_fat * (SECTOR // 4) - len(fat))
    fat_bytes = b"".join(struct.pack("<I", v) for v in fat)
    sectors += [fat_bytes[i * SECTOR:(i + 1) * SECTOR] for i in range(n_fat)]

    header = bytearray(original[:SECTOR])
    struct.pack_into("<I", header, 0x2C, n_fat)
    struct.pack_into("<I", header, 0x30, first_dir)
    struct.pack_into("<I", header, 0x3C, first_mini_fat)
    struct.pack_into("<I", header, 0x40, len(mini_fat_bytes) // SECTOR)
    struct.pack_into("<II", header, 0x44, ENDOFCHAIN, 0)  # no DIFAT sectors
    difat = [fat_start + i for i in range(n_fat)] + [FREESECT] * (109 - n_fat)
    struct.pack_into("<109I", header, 0x4C, *difat)
    return bytes(header) + b"".join(sectors)


def _paths(ole) -> dict[int, str]:
    """Stream directory ids -> their paths ("VBA/dir")."""
    out: dict[int, str] = {}

    def walk(entry, prefix: str) -> None:
        for kid in entry.kids:
            path = f"{prefix}{kid.name}"
            if kid.entry_type == _STREAM:
                out[kid.sid] = path
            else:
                walk(kid, path + "/")

    walk(ole.root, "")
    return out


def _raw_directory(ole, data: bytes) -> list[bytes]:
    """The 128-byte directory entries as stored, in id order (unused ones included)."""
    first = struct.unpack_from("<I", data, 0x30)[0]
    raw = b""
    sector = first
    while sector != ENDOFCHAIN:
        raw += data[SECTOR * (sector + 1):SECTOR * (sector + 2)]
        sector = ole.fat[sector]
    entries = [raw[i:i + 128] for i in range(0, len(raw), 128)]
    if entries[0][0x42] != _ROOT:
        raise ValueError("the first directory entry is not the root")
    return entries


def _place(entry: bytearray, start: int, size: int) -> None:
    struct.pack_into("<IQ", entry, 0x74, start, size)


# -- the package -----------------------------------------------------------------------------------

def workbook_xml(xml: bytes) -> bytes:
    """The template's workbook part with the settings sheet renamed and the author's path dropped."""
    text = xml.decode("utf-8")
    text = re.sub(r"<mc:AlternateContent\b.*?</mc:AlternateContent>", "", text, flags=re.S)
    return text.replace(f'name="{TEMPLATE_CONF_SHEET}"', f'name="{CONF_SHEET}"').encode("utf-8")


def package_rels(xml: bytes) -> bytes:
    """The package relationships with the ribbon's type matching the customUI 2006 namespace."""
    text = xml.decode("utf-8")
    if RIBBON_2007 not in text and RIBBON_2006 not in text:
        raise ValueError("the template has no ribbon relationship")
    return text.replace(RIBBON_2007, RIBBON_2006).encode("utf-8")


def build(output: Path = OUTPUT) -> Path:
    """Write the add-in to ``output`` and return it."""
    raw = io.BytesIO()
    with zipfile.ZipFile(template_path()) as template, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as out:
        changed = {
            "customUI/customUI.xml": (HERE / "customUI.xml").read_bytes(),
            "xl/vbaProject.bin": vba_project(template.read("xl/vbaProject.bin")),
            "xl/workbook.xml": workbook_xml(template.read("xl/workbook.xml")),
            "_rels/.rels": package_rels(template.read("_rels/.rels")),
        }
        for info in template.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            out.writestr(entry, changed.get(info.filename) or template.read(info.filename))
    output.write_bytes(raw.getvalue())
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build SheetKPI.xlam from macros/ sources.")
    parser.add_argument("-o", "--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    print(build(args.output))
    return 0


if __name__ == "__main__":
    sys.exit(main())
