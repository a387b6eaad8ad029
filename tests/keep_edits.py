"""What the Office and the departments do to the example between two recalculations of the same
date, inside a real LibreOffice (through UNO), saved by it as xlsx — for tests/test_unchanged_tabs.py.

- KHĐT shortens the result of KHĐT-01 (a text, no figure): nothing sheetkpi writes changes.
- XDMT pastes a long result for XDMT-04 (a text, no figure): its row must grow to show it.
- DNLĐ types a formula giving the score of DNLĐ-01 over its "Điểm quy đổi": the same value, but a
  formula in a cell sheetkpi owns.
- VP types "Hoàn thành" over the status of VP-01, which is not done.
- BQLDA updates the progress of BQLDA-01 from 30 to 45 %: its tab and "Lịch sử" change.

Run by the tests' Python through :func:`edit`; the edits themselves run under the UNO Python (see
:mod:`lo_uno`), so this module imports only the standard library, :mod:`lo_uno` and the UNO helpers
of :mod:`realedits` at import time.
"""

from __future__ import annotations

import sys
from pathlib import Path

import lo_uno
from realedits import long_text, put, sheet

KHDT_RESULT = "Đã xong."
XDMT_RESULT = long_text()


def _edit(path: Path) -> None:
    """Under the UNO Python: the workbook opened, edited and saved in place."""
    with lo_uno.Office() as office, office.document(path) as doc:
        put(sheet(doc, "KHĐT"), "I5", KHDT_RESULT)
        put(sheet(doc, "XDMT"), "I8", XDMT_RESULT)
        put(sheet(doc, "DNLĐ"), "R5", "=E5*H5/100")
        put(sheet(doc, "VP"), "S5", "Hoàn thành")
        put(sheet(doc, "BQLDA"), "H5", 45)
        office.store(doc, path)


def edit(path: Path) -> None:
    """The edits above made in LibreOffice on the workbook at ``path``. Runs in the tests' Python."""
    lo_uno.run_uno_script(__file__, str(path))


if __name__ == "__main__":
    _edit(Path(sys.argv[1]))
