"""What the memory of a `recalc` is made of, in the process that writes the workbook: at each stage
("Lịch sử" read and the writing started, "Lịch sử" about to render, "Tổng hợp" about to render, the
end), its resident memory (MiB), Python's small-object arenas (1 MiB each; within them, what live
objects take and what is free in the pools they use; the most arenas it ever held), the C
library's heap, and the mappings of no file (the arenas among them, and large blocks mapped on
their own). Where bench/timeline.py shows when a run is at its highest, this shows whether
what it holds then is live objects or room they left.

    python bench/heap.py INPUT.xlsx [--as-of 2026-06-25]

The run is `sheetkpi.api.recalc` on a copy of INPUT, in this process (its stages are found by
wrapping the package's commit and the evaluation's start), with the second processes as a run
starts them; what they hold is not counted here (bench/timeline.py counts them). Linux only: it
reads /proc/self/smaps and CPython's allocator statistics (``sys._debugmallocstats``, which writes
to the standard error of the C library, read here through a pipe).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import re
import shutil
import sys
import tempfile
import threading
from pathlib import Path

_STAT = re.compile(rb"^(#? ?[a-z# ].*?)\s*=\s*([\d,]+)\s*$", re.MULTILINE)
_ARENAS = re.compile(rb"^(\d+) arenas \* (\d+) bytes/arena\s*=", re.MULTILINE)


def allocator() -> dict[str, int]:
    """CPython's small-object allocator, in bytes: ``arenas`` (all it holds from the system),
    ``used`` (in blocks live objects take), ``free`` (blocks free in pools in use), and
    ``most_arenas`` (arenas at its highest, as a count)."""
    read, write = os.pipe()
    chunks: list[bytes] = []
    drain = threading.Thread(target=lambda: chunks.extend(iter(lambda: os.read(read, 1 << 16), b"")))
    drain.start()  # (read while it writes: its report is larger than a pipe holds)
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
    stats = {name.strip(b"# ").decode(): int(value.replace(b",", b"")) for name, value in _STAT.findall(text)}
    arenas = _ARENAS.search(text)
    return {
        "arenas": int(arenas.group(1)) * int(arenas.group(2)) if arenas else 0,
        "used": stats.get("bytes in allocated blocks", 0),
        "free": stats.get("bytes in available blocks", 0),
        "most_arenas": stats.get("arenas highwater mark", 0),
    }


def resident() -> dict[str, int]:
    """The process's resident memory, in bytes: ``all``, ``heap`` (the C library's [heap]) and
    ``anonymous`` (mappings of no file: the arenas, and large blocks mapped on their own)."""
    found = {"all": 0, "heap": 0, "anonymous": 0}
    name = ""
    with open("/proc/self/smaps", "rb") as smaps:
        for line in smaps:
            if re.match(rb"^[0-9a-f]+-[0-9a-f]+ ", line):
                fields = line.split()
                name = fields[5].decode() if len(fields) > 5 else ""
            elif line.startswith(b"Rss:"):
                size = int(line.split()[1]) * 1024
                found["all"] += size
                if name == "[heap]":
                    found["heap"] += size
                elif not name:
                    found["anonymous"] += size
    return found


def line(stage: str) -> str:
    """One stage's figures, in MiB."""
    mib = 1 << 20
    memory, small = resident(), allocator()
    return (f"{stage:28s} resident {memory['all'] / mib:6.0f}   arenas {small['arenas'] / mib:5.0f} "
            f"(live {small['used'] / mib:4.0f}, free in pools in use {small['free'] / mib:4.0f}, "
            f"most {small['most_arenas']})   heap {memory['heap'] / mib:4.0f}   "
            f"anonymous {memory['anonymous'] / mib:4.0f}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workbook", type=Path)
    parser.add_argument("--as-of", default="2026-06-25")
    args = parser.parse_args(argv)
    if not Path("/proc/self/smaps").exists():
        print("Linux only: /proc/self/smaps is read")
        return 0
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from sheetkpi import api, layout
    from sheetkpi.workbook.package import Package

    gc.disable()  # as the CLI runs
    commit = Package.commit

    def reported(self: Package, name: str) -> None:
        if name in (layout.SHEET_HISTORY, layout.SHEET_SUMMARY):
            print(line(f'before "{name}" renders'), flush=True)
        commit(self, name)

    evaluate_by_unit = api.evaluate_by_unit

    def evaluating(*args, **kwargs):
        print(line("read, writing starts"), flush=True)
        return evaluate_by_unit(*args, **kwargs)

    Package.commit, api.evaluate_by_unit = reported, evaluating
    try:
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / args.workbook.name
            shutil.copyfile(args.workbook, copy)
            print(line("start"), flush=True)
            api.recalc(copy, dt.date.fromisoformat(args.as_of), keep_backup=False)
            print(line("end"), flush=True)
    finally:
        Package.commit, api.evaluate_by_unit = commit, evaluate_by_unit
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
