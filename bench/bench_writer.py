"""Benchmark: write 100,000 cell values (one column) into a 100,000-row sheet.

Compares sheetkpi's package writer (open, write_rows, save) with openpyxl (load_workbook, assign,
save). Each measurement runs in a fresh subprocess so that wall time and peak memory belong to that
job alone: wall time, CPU time (both threads; other jobs on the machine disturb it far less than
wall time) and peak RSS (getrusage ru_maxrss) without tracing, then the Python heap peak
(tracemalloc) in a separate traced run, since tracing slows the job down. ``--against DIR`` also
runs the package job with the sheetkpi of another checkout (the code before a change), alternating
with this one's, run for run.

    python bench/bench_writer.py [--rows 100000] [--repeat 3] [--against DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADER = ["STT", "Mã KPI", "Nhiệm vụ / KPI", "Trọng số (điểm)", "Thời hạn hoàn thành", "% tiến độ",
          "Kết quả thực hiện", "Điểm quy đổi"]
SCORE_COL = 8  # "Điểm quy đổi": the column every run rewrites


def generate(path: Path, rows: int) -> None:
    """A unit tab with ``rows`` KPI rows, written by openpyxl in write-only mode."""
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("KHĐT")
    ws.append(HEADER)
    for i in range(1, rows + 1):
        ws.append([i, f"KHĐT-{i:06d}", f"Nhiệm vụ số {i}: hoàn thiện hồ sơ, báo cáo định kỳ", 2.5,
                   "Quý IV/2026", (i * 7) % 101, "Đang triển khai theo kế hoạch", 0])
    wb.save(path)


def job(mode: str, src: Path, dst: Path, rows: int) -> None:
    """The measured work: write one score per row into column SCORE_COL, save to ``dst``."""
    scores = [round(2.5 * ((i * 7) % 101) / 100, 2) for i in range(1, rows + 1)]
    if mode == "package":
        from sheetkpi.workbook.package import Package

        pkg = Package.open(src)
        pkg.write_rows("KHĐT", 2, SCORE_COL, [[s] for s in scores])
        pkg.save(dst)
    else:
        import openpyxl

        wb = openpyxl.load_workbook(src)
        ws = wb["KHĐT"]
        for i, s in enumerate(scores, start=2):
            ws.cell(i, SCORE_COL).value = s
        wb.save(dst)


def child(args: argparse.Namespace) -> None:
    import resource
    import tracemalloc

    if args.trace:
        tracemalloc.start()
    start, cpu = time.perf_counter(), time.process_time()
    job(args.child, Path(args.src), Path(args.dst), args.rows)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    traced = tracemalloc.get_traced_memory()[1] if args.trace else None
    maxrss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(json.dumps({"wall": wall, "cpu": cpu, "maxrss_mib": maxrss_kib / 1024,
                      "traced_mib": traced / (1 << 20) if traced is not None else None}))


def run(mode: str, src: Path, dst: Path, rows: int, trace: bool, tree: Path = ROOT) -> dict:
    """One measured job in a fresh process, with the sheetkpi of ``tree``."""
    cmd = [sys.executable, __file__, "--child", mode, "--src", str(src), "--dst", str(dst), "--rows", str(rows)]
    out = subprocess.run(cmd + (["--trace"] if trace else []), check=True, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(tree)})
    return json.loads(out.stdout)


def report(label: str, timed: list[dict], traced: dict, dst: Path) -> None:
    walls, cpus = [t["wall"] for t in timed], [t["cpu"] for t in timed]
    print(f"{label:9s} wall median {statistics.median(walls):6.2f} s (min {min(walls):.2f}, max {max(walls):.2f}, "
          f"n={len(walls)}); CPU median {statistics.median(cpus):6.2f} s (min {min(cpus):.2f}); "
          f"peak RSS {max(t['maxrss_mib'] for t in timed):6.0f} MiB; "
          f"Python heap peak (tracemalloc) {traced['traced_mib']:6.0f} MiB; "
          f"output {dst.stat().st_size / (1 << 20):.1f} MiB")


def check(dst: Path, rows: int) -> None:
    """The written file holds the scores (read back with calamine, independent of both writers)."""
    from python_calamine import CalamineWorkbook

    data = CalamineWorkbook.from_path(str(dst)).get_sheet_by_name("KHĐT").to_python()
    assert len(data) == rows + 1, len(data)
    for i in (1, rows // 2, rows):
        assert abs(data[i][SCORE_COL - 1] - round(2.5 * ((i * 7) % 101) / 100, 2)) < 1e-9, i


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child")
    parser.add_argument("--src")
    parser.add_argument("--dst")
    parser.add_argument("--trace", action="store_true")
    parser.add_argument("--against", type=Path, help="another checkout whose package writer runs alternately")
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "unit.xlsx"
        generate(src, args.rows)
        print(f"machine: {os.cpu_count()} CPUs, {cpu_model()}, Python {platform.python_version()}")
        print(f"input: {args.rows:,} rows x {len(HEADER)} columns, {src.stat().st_size / (1 << 20):.1f} MiB")
        if args.against:
            trees = {"package": ROOT, "against": args.against.resolve()}
            timed = {label: [] for label in trees}
            for _ in range(args.repeat):
                for label, tree in trees.items():
                    timed[label].append(run("package", src, Path(tmp) / f"{label}.xlsx", args.rows, False, tree))
            for label, tree in trees.items():
                dst = Path(tmp) / f"{label}.xlsx"
                traced = run("package", src, dst, args.rows, True, tree)
                check(dst, args.rows)
                report(label, timed[label], traced, dst)
            print(f"against: {args.against}")
            return
        for mode in ("package", "openpyxl"):
            dst = Path(tmp) / f"{mode}.xlsx"
            timed = [run(mode, src, dst, args.rows, trace=False) for _ in range(args.repeat)]
            traced = run(mode, src, dst, args.rows, trace=True)
            check(dst, args.rows)
            report(mode, timed, traced, dst)


if __name__ == "__main__":
    main()
