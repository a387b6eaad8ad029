"""Safe reading of OOXML packages: a hardened XML parser and zip limits checked before any parsing.

A workbook comes from email, so it is untrusted input. Nothing here resolves entities, loads a DTD,
touches the network or builds huge trees; and the zip's central directory is checked (part count,
sizes, compression ratio) before a single part is inflated, so a zip bomb is refused cheaply.
"""

from __future__ import annotations

import codecs
import zipfile
import zlib
from pathlib import Path

from lxml import etree

from ..errors import FileUnusable, SheetkpiError

MAX_PARTS = 10_000
# Uncompressed bytes, all parts together. Parts are inflated one at a time, so this bounds time
# (about a second per 300 MiB), not memory: what sheetkpi itself writes for 300,000 KPIs in 1,500
# tabs inflates to 673 MiB, and must be read again the next month.
MAX_TOTAL_SIZE = 2048 * 1024 * 1024
MAX_PART_SIZE = 256 * 1024 * 1024  # uncompressed bytes of one part
MAX_RATIO = 250  # uncompressed / compressed, for parts big enough to matter
RATIO_MIN_SIZE = 4 * 1024 * 1024  # small parts may compress extremely well and harm nobody
MAX_PROLOG = 64 * 1024  # characters before the root element of an XML part; real ones are < 200
XML_SUFFIXES = (".xml", ".rels", ".vml")

CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# A password-protected xlsx is a CFB container holding an "EncryptionInfo" stream; a legacy .xls is
# a CFB container holding "Workbook"/"Book". Directory entry names are UTF-16LE.
_ENCRYPTION_INFO = "EncryptionInfo".encode("utf-16-le")


class PackageError(SheetkpiError):
    """Any failure of the package writer; ``code`` is stable kebab-case, ``message`` Vietnamese."""


class InvalidPackageError(PackageError, FileUnusable):
    """The file itself cannot be used (missing, not a workbook, encrypted, corrupt, too large)."""


class PackageLimitError(InvalidPackageError):
    """The package exceeds a safety limit (size, part count, compression ratio)."""


def safe_parser() -> etree.XMLParser:
    """An lxml parser that never expands entities, loads DTDs, uses the network or allows huge trees."""
    return etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False, dtd_validation=False
    )


def parse_xml(data: bytes, part: str) -> etree._Element:
    """Parse ``data`` (the bytes of ``part``) safely; a DOCTYPE or malformed XML raises ``xml-invalid``."""
    try:
        root = etree.fromstring(data, safe_parser())
    except etree.XMLSyntaxError as exc:
        raise xml_invalid(part, str(exc)) from exc
    if root.getroottree().docinfo.doctype:
        raise doctype_refused(part)
    return root


def doctype_refused(part: str) -> InvalidPackageError:
    """OOXML never carries a DTD: one is an attack (entity expansion, external entities) or a foreign file."""
    return InvalidPackageError(
        "xml-invalid",
        f"Phần '{part}' của tệp chứa khai báo DOCTYPE/ENTITY, điều sổ tính Excel không bao giờ có; "
        "tệp có thể đã bị sửa nhằm tấn công nên không được mở. Hãy xin lại tệp gốc.",
    )


def xml_invalid(part: str, detail: str) -> InvalidPackageError:
    """The error for a part whose XML cannot be used."""
    return InvalidPackageError("xml-invalid", f"Phần '{part}' của tệp bị hỏng (XML không hợp lệ: {detail}).")


def sniff_file(path: Path) -> None:
    """Refuse files that are not zip packages, with a message that says what they are instead."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
            if head.startswith(CFB_MAGIC):
                _raise_cfb(path, fh)
    except FileNotFoundError as exc:
        raise InvalidPackageError("file-missing", f"Không tìm thấy tệp '{path}'.") from exc
    except IsADirectoryError as exc:
        raise InvalidPackageError("file-missing", f"'{path}' là một thư mục, không phải tệp.") from exc
    except PermissionError as exc:
        raise InvalidPackageError("file-unreadable", f"Không có quyền đọc tệp '{path}'.") from exc
    if not head.startswith(b"PK"):
        raise InvalidPackageError(
            "not-a-zip", f"Tệp '{path.name}' không phải là sổ tính Excel (.xlsx/.xlsm) hoặc đã bị hỏng."
        )


def _raise_cfb(path: Path, fh) -> None:
    fh.seek(0)
    tail = b""
    for chunk in iter(lambda: fh.read(1 << 20), b""):
        if _ENCRYPTION_INFO in tail + chunk:
            raise InvalidPackageError(
                "encrypted",
                f"Tệp '{path.name}' được đặt mật khẩu. Hãy mở bằng Excel, bỏ mật khẩu "
                "(Tệp > Thông tin > Bảo vệ sổ làm việc > Mã hóa bằng mật khẩu) rồi lưu lại.",
            )
        tail = chunk[-len(_ENCRYPTION_INFO):]
    raise InvalidPackageError(
        "legacy-format",
        f"Tệp '{path.name}' là định dạng Excel cũ (.xls). Hãy mở bằng Excel và lưu lại dưới dạng .xlsx.",
    )


def check_limits(infos: list[zipfile.ZipInfo], name: str) -> None:
    """Check the central directory of a package against the limits, before anything is inflated."""
    if len(infos) > MAX_PARTS:
        raise PackageLimitError(
            "zip-too-large", f"Tệp '{name}' có {len(infos)} phần, vượt giới hạn {MAX_PARTS}."
        )
    seen: set[str] = set()
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise InvalidPackageError("encrypted", f"Tệp '{name}' có phần được mã hóa, không đọc được.")
        # Part names are case-insensitive in OPC; two entries with one name make the package ambiguous.
        key = info.filename.lower()
        if key in seen:
            raise InvalidPackageError("zip-invalid", f"Tệp '{name}' có hai phần trùng tên '{info.filename}'.")
        seen.add(key)
        if info.file_size > MAX_PART_SIZE:
            raise PackageLimitError(
                "zip-too-large",
                f"Phần '{info.filename}' của tệp '{name}' quá lớn ({info.file_size // (1 << 20)} MiB).",
            )
        if info.file_size > RATIO_MIN_SIZE and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise PackageLimitError(
                "zip-too-large",
                f"Phần '{info.filename}' của tệp '{name}' nén bất thường (tỉ lệ > {MAX_RATIO}:1); "
                "tệp có thể là bom nén nên không được mở.",
            )
        total += info.file_size
    if total > MAX_TOTAL_SIZE:
        raise PackageLimitError(
            "zip-too-large",
            f"Tệp '{name}' khi giải nén lớn {total // (1 << 20)} MiB, vượt giới hạn {MAX_TOTAL_SIZE >> 20} MiB.",
        )


def check_prologs(zf: zipfile.ZipFile) -> None:
    """Refuse a package any of whose XML parts declares a DTD, before any of them is parsed.

    Entities (the "billion laughs", external entities that read files or the network) can only be
    declared in a DTD, which sits before the root element; so every XML part is read only up to
    its root element (a few bytes), whichever library parses it later (openpyxl, lxml, Excel's
    own adapter). A prolog longer than :data:`MAX_PROLOG` is refused as well.
    """
    for info in zf.infolist():
        if info.filename.lower().endswith(XML_SUFFIXES) and not info.is_dir():
            try:
                with zf.open(info) as fh:
                    verdict = _prolog(fh)
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
                raise InvalidPackageError(
                    "zip-corrupt", f"Không đọc được phần '{info.filename}' của tệp: {exc}"
                ) from exc
            if verdict == "doctype":
                raise doctype_refused(info.filename)
            if verdict == "too-long":
                raise xml_invalid(info.filename, f"phần mở đầu dài quá {MAX_PROLOG} ký tự")


def _prolog(fh) -> str:
    """"doctype", "too-long" or "ok": what stands before the root element of the XML in ``fh``."""
    head = b""
    while len(head) < 4 and (chunk := fh.read(4 - len(head))):
        head += chunk
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        decoder = codecs.getincrementaldecoder("utf-16")(errors="replace")
    else:  # UTF-8 or a byte-compatible encoding: the markup looked for is ASCII
        decoder = codecs.getincrementaldecoder("latin-1")()
    text = decoder.decode(head).lstrip("\ufeff\u00ef\u00bb\u00bf")
    pos, eof, resume = 0, False, 0  # resume: where to go on looking for a closer after more text
    while True:
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        if text.startswith("<!DOCTYPE", pos):
            return "doctype"
        for opener, closer in (("<?", "?>"), ("<!--", "-->")):
            if text.startswith(opener, pos):
                end = text.find(closer, max(pos + len(opener), resume))
                if end >= 0:
                    pos, resume = end + len(closer), 0
                    break
                resume = max(pos + len(opener), len(text) - len(closer) + 1)
                break
        else:
            if len(text) - pos >= len("<!DOCTYPE") or eof:
                return "ok"  # the root element, or data that is not XML at all (its parser will say)
        if resume:
            if eof:
                return "ok"
            if len(text) > MAX_PROLOG:
                return "too-long"
        if resume or len(text) - pos < len("<!DOCTYPE"):
            chunk = fh.read(8192)
            eof = not chunk
            text += decoder.decode(chunk, final=eof)


def open_zip(path: Path) -> zipfile.ZipFile:
    """Open ``path`` as a zip after sniffing its type and checking the limits and the XML prologs;
    caller closes it."""
    sniff_file(path)
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InvalidPackageError(
            "not-a-zip", f"Tệp '{path.name}' không phải là sổ tính Excel (.xlsx/.xlsm) hoặc đã bị hỏng."
        ) from exc
    try:
        check_limits(zf.infolist(), path.name)
        check_prologs(zf)
    except BaseException:
        zf.close()
        raise
    return zf
