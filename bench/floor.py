"""The floor of a recalc: the least any engine must do to recalculate a workbook and save it, timed
by bench/run.py beside sheetkpi so that every size reports sheetkpi / floor.

    python bench/floor.py INPUT OUTPUT [--level N]

1. Read the values of every sheet: python-calamine's ``to_python`` of each sheet (what sheetkpi's
   reader calls, with the same ``skip_empty_area=False``), one sheet at a time, none kept.
2. Rewrite the zip into OUTPUT: every member inflated and deflated again, as raw deflate at level
   ``--level`` (bench/run.py passes the level sheetkpi's writer uses), streamed in chunks.

Nothing is computed or changed. It is single-threaded: the read, then the rewrite, on one core
(sheetkpi deflates in a second thread while it renders, which this floor does not try to match).
It also rewrites every member, where sheetkpi copies unchanged ones as raw bytes: both make it a
slightly generous floor.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import zipfile

CHUNK = 1 << 20


def read_every_sheet(path: str) -> tuple[int, int]:
    """(sheets, rows) read by python-calamine."""
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(path)
    sheets = rows = 0
    for name in book.sheet_names:
        rows += len(book.get_sheet_by_name(name).to_python(skip_empty_area=False))
        sheets += 1
    return sheets, rows


def rewrite_zip(src: str, dst: str, level: int) -> int:
    """Every member of ``src`` inflated and deflated again into ``dst``: members written."""
    # zipfile deflates with zlib.compressobj(level, DEFLATED, -15), as sheetkpi/workbook/_zip.py does.
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zout:
        for info in zin.infolist():
            # Opened by name: a ZipInfo of our own would be deflated at zlib's default level, not ``level``.
            with zin.open(info) as r, zout.open(info.filename, "w") as w:
                shutil.copyfileobj(r, w, CHUNK)
        return len(zin.infolist())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--level", type=int, default=6, help="zlib level of the rewrite (default 6)")
    args = parser.parse_args(argv)
    sheets, rows = read_every_sheet(args.input)
    members = rewrite_zip(args.input, args.output, args.level)
    print(f"floor: {sheets} sheets, {rows:,} rows read; {members} members rewritten at level {args.level}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
