"""What two departments do to the copies ``sheetkpi split`` sent them, inside a real LibreOffice
(through UNO), saved by it as xlsx — for tests/test_monthly_loop.py.

- XDMT types its figures into the open cells of the protected sheet, then lifts the protection
  (no password) and deletes the row of a KPI it considers finished (XDMT-07).
- DNLĐ lifts the protection, raises the weight of DNLĐ-01 from 20 to 25, updates two progress
  figures and sorts its KPI rows by weight, largest first.

Run by the tests' Python through :func:`edit_copies`; the edits themselves run under the UNO Python
(see :mod:`lo_uno`), so this module imports only the standard library, :mod:`lo_uno` and the UNO
helpers of :mod:`realedits` at import time.
"""

from __future__ import annotations

import sys
from pathlib import Path

import lo_uno
from realedits import delete_rows, put, sheet, sort_rows

XDMT_OBSTACLES = "Chờ ý kiến cộng đồng dân cư về QHPK KCN Diễn Quỳnh 1."


def xdmt(doc) -> None:
    sh = sheet(doc, "XDMT")
    put(sh, "H6", 55)  # XDMT-02: 40 -> 55
    put(sh, "J6", XDMT_OBSTACLES)
    put(sh, "H8", 45)  # XDMT-04: 35 -> 45
    sh.unprotect("")
    delete_rows(sh, 11)  # XDMT-07


def dnld(doc) -> None:
    sh = sheet(doc, "DNLĐ")
    sh.unprotect("")
    put(sh, "E5", 25)  # DNLĐ-01's weight: 20 -> 25
    put(sh, "H6", 48)  # DNLD-02: 40 -> 48
    put(sh, "H9", 15)  # DNLĐ-05: 10 -> 15
    sort_rows(sh, "A5:T10", 4, ascending=False)


EDITS = {"XDMT": xdmt, "DNLĐ": dnld}


def _edit(folder: Path, month: str) -> None:
    """Under the UNO Python: each department's copy opened, edited and saved in place."""
    with lo_uno.Office() as office:
        for code, edit in EDITS.items():
            path = folder / f"{code}-{month}.xlsx"
            with office.document(path) as doc:
                edit(doc)
                office.store(doc, path)


def edit_copies(folder: Path, month: str) -> None:
    """The edits above made in LibreOffice on ``folder/<code>-<month>.xlsx``. Runs in the tests' Python."""
    lo_uno.run_uno_script(__file__, str(folder), month)


if __name__ == "__main__":
    _edit(Path(sys.argv[1]), sys.argv[2])
