"""The files departments send back, as ``collect`` reads them: which files a folder holds, a copy
saved as .xls or .ods converted through ``sheetkpi convert``'s code, when each was saved.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path

from ..convert import FORMATS, convert_to_xlsx, foreign_format
from ..errors import FileUnusable
from .safety import lock_files

SPREADSHEETS = (".xlsx", ".xlsm", *FORMATS)  # what a folder of returned copies is searched for
# Files spreadsheet programs and sheetkpi leave beside a workbook: never a returned copy.
_NOT_COPIES = ("~$", ".~lock.", ".~sheetkpi")
_MODIFIED = re.compile(rb"<(?:\w+:)?modified\b[^>]*>\s*([^<\s]+)\s*<")


def returned_files(given: Iterable[str | os.PathLike], canonical: Path) -> tuple[list[Path], list[tuple[str, str]]]:
    """The files named, a folder standing for the spreadsheets in it (not its sub-folders), each once
    and never the canonical workbook itself; and the names that are no file, with why."""
    found: dict[str, Path] = {}
    missing = []
    for item in given:
        path = Path(item)
        if path.is_dir():
            found.update((os.path.realpath(p), p) for p in sorted(path.iterdir())
                         if p.is_file() and p.suffix.lower() in SPREADSHEETS and not p.name.startswith(_NOT_COPIES))
        elif path.is_file():
            found[os.path.realpath(path)] = path
        else:
            missing.append((path.name, f"Không tìm thấy tệp '{path}'."))
    found.pop(os.path.realpath(canonical), None)
    return list(found.values()), missing


def readable_copy(path: Path, converted: Path) -> Path:
    """The .xlsx to read for ``path``: itself, or its conversion into the new file ``converted`` when
    it is .xls, .xlsb or .ods (LibreOffice, as ``sheetkpi convert``). Refused while it is open in a spreadsheet program:
    what is on disk may not be what the department sees."""
    found = lock_files(path)
    if found:
        raise FileUnusable("locked", (
            f"Tệp '{path.name}' đang được mở trong Excel/LibreOffice (có tệp khóa '{found[0].name}'): hãy lưu, đóng "
            "tệp rồi chạy lại."
        ))
    kind = foreign_format(path) or (path.suffix.lower() if path.suffix.lower() in FORMATS else None)
    if kind is None:
        return path
    return convert_to_xlsx(path, converted)


def saved_at(path: Path, original: Path) -> dt.datetime:
    """When a copy was last saved: the time its program wrote into it (docProps/core.xml), which an
    email attachment keeps; else the file's own time (``original``'s, before any conversion).
    Local time, without a time zone."""
    try:
        with zipfile.ZipFile(path) as zf:
            found = _MODIFIED.search(zf.read("docProps/core.xml")[:65536])
        if found:
            stamp = dt.datetime.fromisoformat(found.group(1).decode("ascii").replace("Z", "+00:00"))
            return stamp.astimezone().replace(tzinfo=None) if stamp.tzinfo else stamp
    except (KeyError, OSError, ValueError, zipfile.BadZipFile):
        pass
    return dt.datetime.fromtimestamp(original.stat().st_mtime)
