"""Which process works when: the CPU each process of one `sheetkpi recalc --no-memo` uses, in
windows of time, to find the stretches where one of the two cores waits.

    python bench/cores.py INPUT.xlsx [--as-of 2026-06-25] [--from 0] [--to 99] [--window 0.2]

The run is on a copy. Every 20 ms the CPU time (user + system) of the command and of each process
it started is read from /proc; per window, each process's share of a core (1.0: a core busy the
whole window) and their sum, with the process's role (the command; `serve`: the second process
reading tabs; `serve_renders`: rendering tabs; `serve_segments`: packing "Tổng hợp"'s lower rows).
Linux only. For figures to report use bench/run.py; this shows where a run's time goes.
"""

from __future__ import annotations

import argparse
import bisect
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROLES = ("serve_segments", "serve_renders", "serve")  # (the longest first: each name holds the next)


def _role(pid: str) -> str:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return "?"
    return next((role for role in ROLES if role in command), "recalc")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workbook", type=Path)
    parser.add_argument("--as-of", default="2026-06-25")
    parser.add_argument("--from", dest="start", type=float, default=0.0, help="seconds into the run")
    parser.add_argument("--to", dest="end", type=float, default=float("inf"))
    parser.add_argument("--window", type=float, default=0.2, help="seconds")
    args = parser.parse_args(argv)
    tick = os.sysconf("SC_CLK_TCK")
    with tempfile.TemporaryDirectory() as tmp:
        book = Path(tmp) / args.workbook.name
        shutil.copyfile(args.workbook, book)
        child = subprocess.Popen([sys.executable, "-m", "sheetkpi", "recalc", str(book), "--no-memo", "--as-of",
                                  args.as_of], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        used: dict[str, int] = {}  # pid -> CPU ticks, last read (a process that has ended keeps its last)
        roles: dict[str, str] = {}
        samples: list[tuple[float, dict[str, int]]] = []
        start = time.perf_counter()
        while child.poll() is None:
            for pid in filter(str.isdigit, os.listdir("/proc")):
                try:
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue  # (ended meanwhile)
                if int(pid) == child.pid or int(fields[1]) == child.pid:
                    used[pid] = int(fields[11]) + int(fields[12])
                    roles.setdefault(pid, _role(pid))
            samples.append((time.perf_counter() - start, dict(used)))
            time.sleep(0.02)
    pids = list(roles)
    print("window s  " + " ".join(f"{roles[pid]:>14s}" for pid in pids) + "       all")
    times = [t for t, _ in samples]
    t = args.start
    while t < min(args.end, times[-1]):
        a = bisect.bisect_left(times, t)
        b = min(bisect.bisect_left(times, t + args.window), len(times) - 1)
        span = times[b] - times[a]
        if span <= 0:
            break
        shares = [(samples[b][1].get(pid, 0) - samples[a][1].get(pid, 0)) / tick / span for pid in pids]
        print(f"{t:8.1f}  " + " ".join(f"{share:14.1f}" for share in shares) + f"  {sum(shares):8.1f}")
        t += args.window
    total = sum(samples[-1][1].values()) / tick
    print(f"wall {times[-1]:.2f} s, CPU {total:.2f} s: {total / times[-1]:.2f} cores on average")
    return 0


if __name__ == "__main__":
    sys.exit(main())
