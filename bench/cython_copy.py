"""A copy of this checkout's sheetkpi with most of its per-row code compiled by Cython as it is (no
types added), for bench/ab.py to compare with: what compiling the Python that runs per row would
give, the question docs/performance.md leaves to a decision on how sheetkpi is built and shipped.

    pip install cython==3.3.1               # not a dependency of sheetkpi; what was measured
    python bench/cython_copy.py OUT_FOLDER
    python bench/ab.py OUT_FOLDER INPUT.xlsx --pairs 8   # "base" is the compiled copy
    python bench/same.py OUT_FOLDER INPUT.xlsx           # and it writes the same bytes

Compiled with ``annotation_typing=False``: an annotation stays a hint, as in Python (a mapping
annotated ``dict`` may be any mapping). :data:`MODULES` leaves ``sheetkpi/writes/summary.py`` out:
compiled, its static methods over :func:`functools.cache` (``_Page._width``, ``_Page._list_shape``)
are given the instance as a third argument when called through ``self``. Cython also refuses a
starred item in a list given straight to ``max`` (``max([a, *b])``): :data:`SPELLED` writes those
two lines in the copy as ``max(a, max(b, default=a))``, the same value.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The modules whose code runs per row or per cell in a run, but "Tổng hợp"'s (py-spy: 89 % of the
# samples in sheetkpi's own code; docs/performance.md).
MODULES = (
    "cells.py", "model.py", "reading.py", "rules.py", "structure.py",
    "parsing/deadlines.py", "parsing/numbers.py", "parsing/text.py",
    "workbook/_sheetxml.py", "workbook/_segments.py", "workbook/_values.py", "workbook/_zip.py",
    "workbook/apply.py", "workbook/parallel.py", "workbook/reader.py",
    "writes/__init__.py", "writes/history.py", "writes/unit_tabs.py",
)

# Lines Cython 3.3 does not compile, and how the copy writes them: (module, line, in the copy).
SPELLED = (
    ("reading.py", "max([len(row), *(dates.values())])", "max(len(row), max(dates.values(), default=len(row)))"),
    ("structure.py", "max([last_table_row, *kpi_rows])", "max(last_table_row, max(kpi_rows, default=last_table_row))"),
)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__)
        return 2
    out = Path(argv[0]).resolve()
    package = out / "sheetkpi"
    if package == ROOT / "sheetkpi":
        print("OUT_FOLDER is this checkout: give another folder (its sheetkpi is replaced)")
        return 2
    if package.exists():
        shutil.rmtree(package)
    shutil.copytree(ROOT / "sheetkpi", package, ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.c"))
    for module, line, spelled in SPELLED:
        source = package / module
        text = source.read_text(encoding="utf-8")
        if text.count(line) != 1:
            print(f"{module}: '{line}' is no longer there once: update SPELLED")
            return 1
        source.write_text(text.replace(line, spelled), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "Cython.Build.Cythonize", "-i", "-3", "-j", "2", "-q",
         "-X", "annotation_typing=False", *(str(package / m) for m in MODULES)],
        cwd=out, capture_output=True, text=True,
    )
    if done.returncode:
        print(done.stdout[-3000:] + done.stderr[-3000:])
        return done.returncode
    built = [path for path in package.rglob("*") if path.suffix in (".so", ".pyd")]
    print(f"{len(built)} of {len(MODULES)} modules compiled in {package}")
    return 0 if len(built) == len(MODULES) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
