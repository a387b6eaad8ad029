"""Time and peak memory of the worst small files (issue #14): a cell far from the table, rows without
an end, zip and XML bombs, a pipe named like the workbook.

Each case is built by ``tests/badinputs.py`` from a copy of the Nghệ An example, then ``sheetkpi
check`` and ``sheetkpi recalc`` run on it in a fresh process each; the figures are that process's
wall time and peak RSS (getrusage of the children, so the measuring process does not count).

    python bench/hostile.py [--repeat 3] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import badinputs as B  # noqa: E402  (the test inputs, built by code)

AS_OF = "2026-06-25"
CASES = {
    "far_cell_corner": "one cell at XFD1048576",
    "far_cell_wide": "one cell at AAA100000",
    "far_cell_xfd": "one cell at XFD20000",
    "row_beyond_grid": "one cell at A1048577",
    "self_closed_rows": "8,000 empty rows written <row …/>",
    "self_closed_rows_80k": "80,000 empty rows written <row …/>",
    "blank_rows": "10,000 formatted empty rows",
    "zip_bomb": "2 GiB part in a small zip",
    "ratio_bomb": "part compressed above 250:1",
    "billion_laughs": "entity expansion (DTD)",
    "fifo": "a pipe named BangGiaoKPI.xlsx",
}


def build(case: str, folder: Path) -> Path:
    if case == "fifo":
        path = folder / B.NAME
        os.mkfifo(path)
        return path
    if case == "self_closed_rows_80k":
        return B.make_self_closed_rows(folder, 80_000)
    made = getattr(B, f"make_{case}")(folder)
    return made[0] if isinstance(made, tuple) else made


def measure(args: list[str]) -> tuple[float, float, int]:
    """Wall seconds, peak MiB and exit code of ``python -m sheetkpi ARGS`` in a child process."""
    probe = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "p = subprocess.run([sys.executable, '-m', 'sheetkpi', *sys.argv[1:]], capture_output=True, timeout=120)\n"
        "wall = time.perf_counter() - t\n"
        "print(wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, p.returncode)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8"}
    out = subprocess.run([sys.executable, "-c", probe, *args], env=env, capture_output=True, text=True, check=True)
    wall, rss, code = out.stdout.split()
    return float(wall), int(rss) / 1024, int(code)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path)
    opts = parser.parse_args()
    rows = []
    for case, what in CASES.items():
        for command in ("check", "recalc"):
            walls, peaks, codes = [], [], set()
            for _ in range(opts.repeat):
                with tempfile.TemporaryDirectory() as tmp:
                    path = build(case, Path(tmp))
                    extra = ["--no-memo"] if command == "recalc" else []
                    wall, peak, code = measure([command, str(path), "--as-of", AS_OF, *extra])
                walls.append(wall)
                peaks.append(peak)
                codes.add(code)
            rows.append({"case": case, "what": what, "command": command, "exit": sorted(codes),
                         "seconds": statistics.median(walls), "peak_mib": max(peaks)})
            print(f"| {what} | `{command}` | {','.join(map(str, sorted(codes)))} | "
                  f"{statistics.median(walls):.2f} | {max(peaks):.0f} |", flush=True)
    if opts.json:
        opts.json.write_text(json.dumps(rows, indent=1))
    print(f"\n{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
          f"{resource.getpagesize()}-byte pages, {time.strftime('%Y-%m-%d')}")


if __name__ == "__main__":
    main()
