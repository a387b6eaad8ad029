"""Two checkouts of sheetkpi side by side on one workbook: `recalc --no-memo` by each, in pairs of
fresh processes seconds apart (so that both meet the same load; the machine's speed drifts by
±15 % over minutes), the one that goes first alternating from pair to pair (a machine growing
faster or slower within a pair favours neither), each on its own copy of the input, measured as
bench/run.py measures a job (wall and CPU time, the peak of the largest process, the processes
together), both byte-compiled first (run.compiled). Prints each pair's ratio of wall times and of
CPU times, new/base, and their medians: how docs/performance.md compares a round with its start.
Exit status 0.

    python bench/ab.py BASE_CHECKOUT INPUT.xlsx [--pairs N] [--as-of YYYY-MM-DD]

BASE_CHECKOUT as for bench/same.py (a folder holding the other sheetkpi package); the checkout this
file is in is "new". For a next-month run, give a workbook recalculated once and a later --as-of.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from run import compiled, run_once  # bench/run.py: the harness's measuring of one job
from same import ROOT, recalc_command


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", type=Path)
    parser.add_argument("workbook", type=Path)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--as-of", default="2026-06-25")
    args = parser.parse_args(argv)
    trees = {"base": args.base.resolve(), "new": ROOT}
    for tree in trees.values():
        compiled(tree)
    samples: dict[str, list] = {"base": [], "new": []}
    with tempfile.TemporaryDirectory() as scratch:
        for pair in range(args.pairs):
            for label, tree in (trees.items() if pair % 2 == 0 else reversed(trees.items())):
                book = Path(scratch) / f"{label}.xlsx"
                shutil.copyfile(args.workbook, book)
                command, env = recalc_command(tree, book, args.as_of)
                samples[label].append(sample := run_once(command, Path(scratch) / f"{label}.log", tree, env))
                print(f"pair {pair + 1}/{args.pairs} {label}: {sample.wall:.2f} s, CPU {_shown(sample.cpu, 's')}, "
                      f"{_shown(sample.peak_mib, 'MiB', 0)}, together {sample.sum_mib or 0:.0f} MiB", flush=True)
    for label, runs in samples.items():
        together = sorted(round(s.sum_mib or 0) for s in runs)
        cpus = [s.cpu for s in runs if s.cpu is not None]
        print(f"{label}: wall {sorted(round(s.wall, 2) for s in runs)}, CPU median "
              f"{_shown(statistics.median(cpus) if cpus else None, 's')}, together {together} MiB")
    pairs = list(zip(samples["base"], samples["new"]))
    for what, ratios in (("wall", [new.wall / base.wall for base, new in pairs]),
                         ("CPU", [new.cpu / base.cpu for base, new in pairs if base.cpu and new.cpu is not None])):
        if len(ratios) < len(pairs):
            print(f"new/base {what}: not measured on this system")  # (CPU: where os.wait4 is missing)
        else:
            print(f"new/base {what}: {[round(r, 3) for r in ratios]}, median {statistics.median(ratios):.3f}")
    return 0


def _shown(value: float | None, unit: str, digits: int = 2) -> str:
    """A measured figure with its unit, or a dash where this system does not measure it."""
    return "–" if value is None else f"{value:.{digits}f} {unit}"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
