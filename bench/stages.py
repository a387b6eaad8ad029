"""Where one `sheetkpi recalc` spends its time and memory, stage by stage, in one process.

    python bench/stages.py [--rows 100000]      # a generated input (bench/run.py's cache)
    python bench/stages.py path/to/workbook.xlsx [--as-of 2026-07-25]
    python bench/stages.py FILE --as-run         # as the CLI runs it: the other processes too
    python bench/stages.py FILE --as-run --trace # and the memory Python holds (tracemalloc)
    python bench/stages.py FILE --as-run --arenas # and what the resident memory is made of

Prints, after each stage of `api.recalc` (open, read, evaluate, plan and apply sheet by sheet, save), the elapsed
wall time, the resident memory and the peak so far. The run is on a copy, as the Office runs it;
the cycle collector is off, as in the CLI. With ``--as-run``, `api.recalc` itself, with the
processes it starts, and the same figures of this process as its progress goes: every eighth of
the sheets read, each sheet written among the first and last three and every eighth between
("Lịch sử" comes first when the workbook has one, "Tổng hợp" last), and once saved. With
``--trace``, also the memory Python's objects take in this process (tracemalloc), now and at
most since the mark before: what the run holds, without what the allocator keeps (the run is
slower, its times mean nothing). With ``--arenas`` (Linux), also what the resident memory of
this process is made of: Python's small-object arenas (1 MiB each), what live objects take in
them, what is free in the pools they use and the most arenas held at once
(``sys._debugmallocstats``), and the C library's heap (/proc/self/smaps): whether what a run
holds at a stage is live objects or room they left. For the profile of a stage use pyinstrument
(docs/performance.md); for figures to report use bench/run.py, which times whole processes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import re
import resource
import shutil
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def _rss_mib() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize() / 2**20


_STAT = re.compile(rb"^#? ?([a-z][a-z ]*?)\s*=\s*([\d,]+)\s*$", re.MULTILINE)
_ARENAS = re.compile(rb"^(\d+) arenas \* (\d+) bytes/arena\s*=", re.MULTILINE)


def _arenas() -> str:
    """Python's small-object allocator and the C heap, in MiB: what ``--arenas`` adds to a mark."""
    read, write = os.pipe()
    chunks: list[bytes] = []
    # (Read while it writes: its report, written by the C library to fd 2, is larger than a pipe holds.)
    drain = threading.Thread(target=lambda: chunks.extend(iter(lambda: os.read(read, 1 << 16), b"")))
    drain.start()
    saved = os.dup(2)
    try:
        sys.stderr.flush()
        os.dup2(write, 2)
        sys._debugmallocstats()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(write)
    drain.join()
    os.close(read)
    text = b"".join(chunks)
    stats = {name.decode(): int(value.replace(b",", b"")) for name, value in _STAT.findall(text)}
    arenas = _ARENAS.search(text)
    heap, region = 0, ""
    with open("/proc/self/smaps", "rb") as smaps:
        for line in smaps:
            if re.match(rb"[0-9a-f]+-[0-9a-f]+ ", line):
                region = line.split()[5].decode() if len(line.split()) > 5 else ""
            elif line.startswith(b"Rss:") and region == "[heap]":
                heap += int(line.split()[1]) * 1024
    mib = 1 << 20
    return (f"   arenas {int(arenas.group(1)) * int(arenas.group(2)) / mib if arenas else 0:4.0f} MiB"
            f" (live {stats.get('bytes in allocated blocks', 0) / mib:4.0f},"
            f" free in pools in use {stats.get('bytes in available blocks', 0) / mib:3.0f},"
            f" most {stats.get('arenas highwater mark', 0)})   heap {heap / mib:4.0f} MiB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workbook", nargs="?", help="an .xlsx (default: the generated input of --rows)")
    parser.add_argument("--rows", type=int, default=100_000, help="KPI rows of the generated input")
    parser.add_argument("--as-of", default=None, help="the report date (default: the workbook's)")
    parser.add_argument("--as-run", action="store_true", help="api.recalc as the CLI runs it, other processes too")
    parser.add_argument("--trace", action="store_true", help="also the memory Python holds (tracemalloc)")
    parser.add_argument("--arenas", action="store_true",
                        help="also Python's arenas, what lives in them, and the C heap (Linux)")
    args = parser.parse_args(argv)
    if args.workbook:
        source = Path(args.workbook)
    else:
        import run

        source = run.inputs(args.rows, run.SIZES[args.rows])[0]

    gc.disable()
    from sheetkpi import api
    from sheetkpi.workbook.apply import apply_plan
    from sheetkpi.workbook.reader import read_workbook

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / source.name
        shutil.copyfile(source, path)
        start = time.perf_counter()

        def mark(stage: str) -> None:
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            elapsed = time.perf_counter() - start
            traced = ""
            if args.trace:
                live, most = tracemalloc.get_traced_memory()
                tracemalloc.reset_peak()
                traced = f"   held {live / 2**20:6.0f} MiB   at most {most / 2**20:6.0f} MiB"
            arenas = _arenas() if args.arenas else ""
            print(f"{stage:18s} {elapsed:7.2f} s   rss {_rss_mib():6.0f} MiB   peak {peak:6.0f} MiB{traced}{arenas}",
                  flush=True)

        if args.trace:
            tracemalloc.start()

        if args.as_run:
            _as_run(api, path, args.as_of, mark)
            return 0
        pkg = api.open_checked(path)
        mark("open")
        data = read_workbook(path, pkg)  # as recalc does: the opened package is read
        mark("read")
        evaluation = api.evaluate_for_recalc(data, args.as_of)
        mark("evaluate")
        # As recalc does: each sheet's writes are planned, applied and rendered before the next, and
        # a unit's KPIs dropped once its tab is (but those a report lists).
        apply_plan(pkg, api.iter_sheet_writes(data, evaluation, dt.datetime.now().replace(microsecond=0), drop=True))
        mark("plan + apply")
        pkg.save(path)
        mark("save")
    return 0


def _as_run(api, path: Path, as_of: str | None, mark) -> None:
    """`api.recalc` of ``path``, marked as its progress goes and once saved."""
    def progress(what: str, done: int, total: int) -> None:
        if what.startswith("Đọc") and (done == total or done % max(1, total // 8) == 0) \
                or what.startswith("Ghi") and (done <= 3 or done > total - 3 or done % max(1, total // 8) == 0):
            mark(f"{what[:4]} {done}/{total}")

    api.recalc(path, as_of, keep_backup=False, progress=progress)
    mark("saved")


if __name__ == "__main__":
    sys.exit(main())
