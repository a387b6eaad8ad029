"""What the Office does to "Lịch sử" that moves its table, inside a real LibreOffice (through UNO),
saved by it as xlsx — for tests/test_reader.py: the title and its note deleted, two rows inserted
above the header, a column inserted before the unit codes. The table then starts at B6, and calamine
gives its rows from the first row, each from column B.

Run by the tests' Python through :func:`edit`; the edits run under the UNO Python (see :mod:`lo_uno`).
"""

from __future__ import annotations

import sys
from pathlib import Path

import lo_uno
from realedits import sheet

_CONTENTS = 1 | 2 | 4 | 16  # values, dates, texts, formulas (com.sun.star.sheet.CellFlags)


def _edit(path: Path) -> None:
    with lo_uno.Office() as office, office.document(path) as doc:
        history = sheet(doc, "Lịch sử")
        history.getCellRangeByName("A1:A2").clearContents(_CONTENTS)
        history.Rows.insertByIndex(2, 2)
        history.Columns.insertByIndex(0, 1)
        office.store(doc, path)


def edit(path: Path) -> None:
    """The edits above made in LibreOffice on the workbook at ``path``. Runs in the tests' Python."""
    lo_uno.run_uno_script(__file__, str(path))


if __name__ == "__main__":
    _edit(Path(sys.argv[1]))
