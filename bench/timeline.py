"""When a `sheetkpi recalc --no-memo` holds its memory: the resident memory of its processes
together (bench/run.py's TreeSampler, every 20 ms), printed for each second of the run and at its
highest, with the run's own progress lines interleaved where they fell. Where bench/run.py gives a
run's peak, this shows which stage it is in ("Lịch sử" read, the first tabs written, "Tổng hợp").

    python bench/timeline.py INPUT.xlsx [--as-of 2026-06-25] [--every 1.0]

The run is on a copy of INPUT, in a fresh process, as the Office runs it (its progress goes to
stderr, read here as it comes). Figures to compare two checkouts come from bench/ab.py.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from run import TreeSampler  # bench/run.py: the sampler of a process tree


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workbook", type=Path)
    parser.add_argument("--as-of", default="2026-06-25")
    parser.add_argument("--every", type=float, default=1.0, help="seconds between the lines printed")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / args.workbook.name
        shutil.copyfile(args.workbook, copy)
        command = [sys.executable, "-m", "sheetkpi", "recalc", str(copy), "--no-memo", "--as-of", args.as_of]
        start = time.perf_counter()
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tmp,
                                env={**os.environ, "PYTHONIOENCODING": "utf-8"})
        sampler = TreeSampler(proc.pid, record=True)
        said: list[tuple[float, str]] = []  # (seconds, a progress line of the run)

        def read_progress() -> None:
            for line in iter(proc.stderr.readline, b""):
                for piece in line.decode("utf-8", "replace").replace("\r", "\n").splitlines():
                    if piece.strip():
                        said.append((time.perf_counter() - start, piece.strip()))

        reader = threading.Thread(target=read_progress, daemon=True)
        reader.start()
        proc.wait()
        reader.join()
        sampler.stop()
    if proc.returncode not in (0, 1):
        print("\n".join(text for _, text in said[-20:]))
        return proc.returncode
    samples = sampler.timeline or []
    if not samples:
        print("no sample (the sampler reads Linux's /proc)")
        return 0
    peak_at, peak = max(samples, key=lambda s: s[1])
    last_said = 0
    next_line = 0.0
    for at, total in samples:
        while last_said < len(said) and said[last_said][0] <= at:
            print(f"{said[last_said][0]:7.2f} s                {said[last_said][1][:70]}")
            last_said += 1
        if at >= next_line or (at, total) == (peak_at, peak):
            mark = "   ← the highest" if (at, total) == (peak_at, peak) else ""
            print(f"{at:7.2f} s  {total / 2**20:7.0f} MiB{mark}")
            next_line = at + args.every
    print(f"peak: {peak / 2**20:.0f} MiB together at {peak_at:.2f} s of {samples[-1][0]:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
