"""Other spreadsheet formats: recognising them, and ``sheetkpi convert`` to a new .xlsx via LibreOffice.

sheetkpi reads and writes only .xlsx/.xlsm. A workbook that arrives as Excel 97-2003 (.xls), Excel
binary (.xlsb) or OpenDocument (.ods), whatever its file name says, gets a message that tells how
to convert it; :func:`convert_to_xlsx` does the conversion with LibreOffice headless into a new
file, never over the original or an existing file.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from pathlib import Path

from .errors import FileUnusable, UsageError

FORMATS = {
    ".xls": "định dạng Excel 97-2003 (.xls)",
    ".xlsb": "định dạng nhị phân Excel (.xlsb)",
    ".ods": "định dạng OpenDocument (.ods)",
}
_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_XLS_STREAMS = ("Workbook".encode("utf-16-le"), "Book".encode("utf-16-le"))
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"


def foreign_format(path: Path) -> str | None:
    """".xls", ".xlsb" or ".ods" when the file's content is in that format, else None."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(1 << 16)
    except OSError:
        return None
    if head.startswith(_CFB_MAGIC):
        return ".xls" if any(name in head for name in _XLS_STREAMS) else None
    if not head.startswith(b"PK"):
        return None
    try:
        with zipfile.ZipFile(path) as zf:
            names = {n.lower() for n in zf.namelist()}
            if "mimetype" in names and zf.getinfo("mimetype").file_size < 200:
                if zf.read("mimetype").strip() == _ODS_MIMETYPE:
                    return ".ods"
            if "xl/workbook.bin" in names:
                return ".xlsb"
    except (zipfile.BadZipFile, OSError, KeyError, ValueError):
        return None
    return None


def legacy_message(path: Path, kind: str) -> str:
    """How to turn ``path``, found to be in format ``kind`` (a key of :data:`FORMATS`), into .xlsx."""
    return (
        f"Tệp '{path.name}' ở {FORMATS[kind]}; sheetkpi chỉ đọc .xlsx. Hãy chuyển sang .xlsx: chạy "
        f"sheetkpi convert \"{path}\" (cần LibreOffice), hoặc mở tệp trong Excel/LibreOffice và chọn "
        "Lưu thành (Save As) → Excel Workbook (.xlsx)."
    )


def default_output(source: Path) -> Path:
    """Beside the source, same name, ending .xlsx (a suffix is added when that is the source itself)."""
    output = source.with_suffix(".xlsx")
    return output if output != source else source.with_name(f"{source.stem}-xlsx.xlsx")


def convert_to_xlsx(source: str | os.PathLike, output: str | os.PathLike | None = None) -> Path:
    """Convert ``source`` (.xls, .xlsb, .ods) into a new .xlsx with LibreOffice headless.

    Raises :class:`UsageError` when ``output`` exists (nothing is ever overwritten) or is not .xlsx,
    :class:`FileUnusable` when the source is missing or already .xlsx, or LibreOffice is missing
    or fails. The result is checked to open as a workbook before it is put in place.
    """
    from .libreoffice import LibreOfficeError, convert
    from .workbook.package import Package

    source = Path(source)
    if not source.is_file():
        raise FileUnusable("file-missing", f"Không tìm thấy tệp '{source}'.")
    kind = foreign_format(source) or (source.suffix.lower() if source.suffix.lower() in FORMATS else None)
    if kind is None:
        raise FileUnusable(
            "not-convertible",
            f"Tệp '{source.name}' không phải .xls, .xlsb hay .ods nên không cần (hoặc không thể) chuyển đổi.",
        )
    output = Path(output) if output else default_output(source)
    if output.suffix.lower() != ".xlsx":
        raise UsageError("bad-output", "Tệp kết quả phải có đuôi .xlsx.")
    if output.exists() or output.resolve() == source.resolve():
        raise UsageError(
            "output-exists", f"Tệp '{output}' đã có; sheetkpi không ghi đè. Hãy chọn tên khác bằng -o TỆP."
        )
    with tempfile.TemporaryDirectory(prefix="sheetkpi-convert-") as tmp:
        work = Path(tmp) / f"in{kind}"  # a plain name: LibreOffice names its output after its input
        shutil.copyfile(source, work)
        try:
            convert([work], "xlsx:Calc MS Excel 2007 XML", Path(tmp))
        except LibreOfficeError as exc:
            if exc.code == "libreoffice-missing":
                raise LibreOfficeError(
                    exc.code,
                    "Chưa cài LibreOffice (không tìm thấy lệnh 'soffice') nên không chuyển được tệp. Hãy cài "
                    "LibreOffice, hoặc mở tệp trong Excel và chọn Lưu thành (Save As) → Excel Workbook (.xlsx).",
                ) from exc
            raise
        produced = Path(tmp) / "in.xlsx"
        if not produced.exists():
            raise LibreOfficeError(
                "libreoffice-failed",
                f"LibreOffice không chuyển được tệp '{source.name}' (tệp hỏng hoặc được đặt mật khẩu?).",
            )
        Package.open(produced)
        _copy_new(produced, output)
    return output


def _copy_new(src: Path, dst: Path) -> None:
    """Copy ``src`` to ``dst``, which must not exist (exclusive create); no partial file is left."""
    try:
        with open(src, "rb") as fin, open(dst, "xb") as fout:
            try:
                shutil.copyfileobj(fin, fout)
            except BaseException:
                fout.close()
                dst.unlink(missing_ok=True)
                raise
    except FileExistsError as exc:
        raise UsageError(
            "output-exists", f"Tệp '{dst}' đã có; sheetkpi không ghi đè. Hãy chọn tên khác bằng -o TỆP."
        ) from exc
    except OSError as exc:
        raise FileUnusable("write-failed", f"Không ghi được tệp '{dst}': {exc.strerror or exc}.") from exc
