"""Whether two checkouts of sheetkpi write the same workbooks: each input recalculated by both (the
CLI, `recalc --no-memo`, a first run at 2026-06-25 and a next month at 2026-07-25 after it), every
member compared as read (decompressed), the run time printed on "Tổng hợp" left out. A change that
only makes sheetkpi faster must print SAME.

    python bench/same.py BASE_CHECKOUT INPUT.xlsx [INPUT.xlsx ...]

BASE_CHECKOUT is a folder holding the other sheetkpi package (e.g. made by
``git worktree add /tmp/base <commit>`` or ``git archive <commit> sheetkpi | tar -x -C /tmp/base``);
the checkout this file is in is the other side. Exit status 0 when every output is the same.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUN_TIME = re.compile(r"Tổng hợp lúc \d\d:\d\d".encode())  # (minutes apart between the two runs)
DATES = ("2026-06-25", "2026-07-25")


def recalc_command(tree: Path, workbook: Path, as_of: str) -> tuple[list[str], dict[str, str]]:
    """The command and environment of `recalc --no-memo` of ``workbook`` by the sheetkpi of ``tree``
    (run with ``tree`` as its folder)."""
    return ([sys.executable, "-m", "sheetkpi", "recalc", str(workbook), "--no-memo", "--as-of", as_of],
            {**os.environ, "PYTHONPATH": str(tree)})


def recalc(tree: Path, workbook: Path, as_of: str) -> tuple[int, dict[str, bytes]]:
    """Exit status and members of ``workbook`` recalculated by the sheetkpi of ``tree``."""
    command, env = recalc_command(tree, workbook, as_of)
    done = subprocess.run(command, cwd=tree, env=env, capture_output=True)
    with zipfile.ZipFile(workbook) as zf:
        return done.returncode, {name: RUN_TIME.sub(b"", zf.read(name)) for name in zf.namelist()}


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__)
        return 2
    base, inputs = Path(argv[0]).resolve(), [Path(a) for a in argv[1:]]
    same = True
    with tempfile.TemporaryDirectory() as scratch:
        for source in inputs:
            books = {}
            for label in ("base", "new"):
                books[label] = Path(scratch) / f"{label}.xlsx"
                shutil.copyfile(source, books[label])
            for as_of in DATES:  # (the second date on the workbook the first one wrote)
                (code_a, a), (code_b, b) = (recalc(tree, books[label], as_of)
                                            for label, tree in (("base", base), ("new", ROOT)))
                differing = sorted(name for name in a.keys() | b.keys() if a.get(name) != b.get(name))
                print(f"{source.name} {as_of}: exit {code_a}/{code_b}, differing members: {differing[:8]} "
                      f"({len(differing)})")
                same = same and not differing and code_a == code_b
    print("SAME" if same else "DIFFERENT")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
