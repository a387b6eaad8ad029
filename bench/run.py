"""Benchmark: sheetkpi recalc and check, as whole processes, against the ways it is done without
sheetkpi, from 32 to 100,000 KPI rows.

    python bench/run.py [--quick] [--sizes 32,1000] [--runs N] [--warmup N] [--json FILE]

Every figure is a fresh process started by this script: wall time (median of ``--runs`` after
``--warmup`` unmeasured runs) and peak resident memory (the largest process of the job's tree, from
``wait4``). Per size it runs:

- ``sheetkpi check`` and ``sheetkpi recalc --no-memo`` (in place, with its backup, on a fresh copy
  each run); the same recalc again on a copy of its own output (the monthly case: "Tổng hợp" and
  "Lịch sử" already full); ``sheetkpi recalc`` with the memo;
- LibreOffice headless opening the same workbook with Excel formulas in the engine columns,
  recalculating every formula (a private profile set to "recalculate on load: always") and saving
  it as .xlsx;
- openpyxl loading the KPI workbook and saving it, the naive way to write it from Python.

Once per run: ``python -c "import sheetkpi"``, ``sheetkpi --help`` and a bare ``python -c pass``.
Inputs are generated once (bench/generate.py) and cached in ``$TMPDIR/sheetkpi-bench``, keyed by
the generator's and the builder's source, so a change to either makes new inputs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

EXAMPLE = ROOT / "examples" / "nghe-an-2026" / "BangGiaoKPI.xlsx"
# (KPI rows, unit tabs); 32 rows in 5 tabs is the Nghệ An example itself.
SIZES = {32: 5, 1_000: 5, 10_000: 50, 100_000: 500}
QUICK_SIZES = (32, 1_000)
MEMO_SIZES = (32, 1_000, 10_000)  # the memo lists every late KPI; beyond this it is not a monthly memo
LO_RECALC_ALWAYS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse">\
<value>0</value></prop></item>
</oor:items>
"""
OPENPYXL_LOAD_SAVE = "import sys, openpyxl; openpyxl.load_workbook(sys.argv[1]).save(sys.argv[2])"

# Targets of issue #8 on the 2-core CI machine.
TARGET_BIG_ROWS = 100_000
TARGET_BIG_SECONDS = 10.0
TARGET_BIG_MIB = 600.0
TARGET_BIG_VS_OPENPYXL = 3.0
TARGET_IMPORT_SECONDS = 0.15


@dataclass
class Row:
    """One measured job: the report's unit of output."""

    rows: int | None  # KPI rows of the input; None for start-up jobs
    tabs: int | None
    job: str
    median_s: float
    min_s: float
    max_s: float
    runs: int
    peak_mib: float | None  # largest peak RSS over the measured runs; None where wait4 is missing


# ---------------------------------------------------------------------------------------------
# Running a job


def run_once(cmd: list[str], log: Path, cwd: Path, env: dict) -> tuple[float, float | None]:
    """Run ``cmd`` to the end: (wall seconds, peak RSS in MiB of the largest process of its tree)."""
    with open(log, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=cwd, env=env)
        if hasattr(os, "wait4"):
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - start
            proc.returncode = os.waitstatus_to_exitcode(status)
            # ru_maxrss is KiB on Linux and bytes on macOS.
            peak = usage.ru_maxrss / (1 << 20 if sys.platform == "darwin" else 1 << 10)
        else:
            proc.wait()
            wall, peak = time.perf_counter() - start, None
    if proc.returncode not in (0, 1):  # 1: `check` found data errors, a result
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}:\n{log.read_text(errors='replace')[-2000:]}")
    return wall, peak


def measure(job: str, cmd: list[str], *, rows, tabs, runs: int, warmup: int, work: Path, env: dict,
            prepare=None) -> Row:
    """``warmup`` unmeasured runs, then ``runs`` measured ones; ``prepare`` runs untimed before each."""
    walls, peaks = [], []
    for i in range(warmup + runs):
        if prepare:
            prepare()
        wall, peak = run_once(cmd, work / "job.log", work, env)
        if i >= warmup:
            walls.append(wall)
            peaks.append(peak)
    print(f"  {job:34s} {statistics.median(walls):8.3f} s  "
          + (f"{max(peaks):7.0f} MiB" if peaks[0] is not None else "    n/a"), flush=True)
    return Row(rows, tabs, job, statistics.median(walls), min(walls), max(walls), runs,
               max(peaks) if peaks[0] is not None else None)


# ---------------------------------------------------------------------------------------------
# Inputs


def cache_dir() -> Path:
    """Generated inputs, reused while the generator and the builder are unchanged."""
    digest = hashlib.sha256()
    for source in (ROOT / "bench" / "generate.py", ROOT / "sheetkpi" / "workbook" / "builder.py", EXAMPLE):
        digest.update(source.read_bytes())
    return Path(tempfile.gettempdir()) / "sheetkpi-bench" / digest.hexdigest()[:12]


def inputs(rows: int, tabs: int) -> tuple[Path, Path]:
    """(KPI workbook, formula workbook) of a size, generated on first use."""
    import generate  # bench/generate.py, beside this script

    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    kpi, formulas = folder / f"kpi-{rows}.xlsx", folder / f"formulas-{rows}.xlsx"
    if not kpi.exists():
        print(f"  generating {rows:,} KPI rows in {tabs} tabs…", flush=True)
        tmp = kpi.with_suffix(".tmp")
        if rows == 32:
            shutil.copyfile(EXAMPLE, tmp)
        else:
            generate.kpi_workbook(tmp, rows, tabs)
        tmp.replace(kpi)
    if not formulas.exists():
        tmp = formulas.with_suffix(".tmp")
        generate.formula_workbook(kpi, tmp)
        tmp.replace(formulas)
    return kpi, formulas


def lo_profile(work: Path) -> Path | None:
    """A private LibreOffice profile that recalculates every formula of an .xlsx on load (the
    default, "never recalculate", would keep the cached results and measure no calculation)."""
    if not (shutil.which("soffice") or shutil.which("libreoffice")):
        return None
    profile = work / "lo-profile"
    (profile / "user").mkdir(parents=True, exist_ok=True)
    (profile / "user" / "registrymodifications.xcu").write_text(LO_RECALC_ALWAYS, encoding="utf-8")
    return profile


def check_lo_output(path: Path) -> None:
    """LibreOffice's saved copy holds computed scores: the formulas were calculated, not skipped."""
    from sheetkpi.structure import find_header
    from sheetkpi.workbook.reader import load_grids

    for name, grid in load_grids(path).items():
        found = find_header(grid)
        if found and "score" in found.columns:
            header, cols = found.last_row, found.columns
            scores = [row[cols["score"] - 1].value for row in grid[header:-1] if len(row) >= cols["score"]]
            if not scores or not all(isinstance(s, (int, float)) for s in scores):
                raise RuntimeError(f"LibreOffice left formulas of '{name}' uncalculated in {path}")
            return
    raise RuntimeError(f"no unit tab in LibreOffice's output {path}")


# ---------------------------------------------------------------------------------------------
# The run


def machine() -> dict:
    model = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    lo = shutil.which("soffice") or shutil.which("libreoffice")
    lo_version = subprocess.run([lo, "--version"], capture_output=True, text=True).stdout.strip() if lo else None
    import lxml.etree
    import openpyxl
    try:
        from importlib.metadata import version

        calamine = version("python-calamine")
    except Exception:
        calamine = None
    return {
        "cpus": os.cpu_count(), "cpu_model": model, "python": platform.python_version(),
        "platform": platform.platform(), "openpyxl": openpyxl.__version__,
        "lxml": ".".join(map(str, lxml.etree.LXML_VERSION)), "python_calamine": calamine, "libreoffice": lo_version,
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }


def bench_size(rows: int, tabs: int, runs: int, warmup: int, work: Path, env: dict, profile: Path | None) -> list[Row]:
    kpi, formulas = inputs(rows, tabs)
    print(f"{rows:,} KPI rows in {tabs} tabs ({kpi.stat().st_size / (1 << 20):.1f} MiB):", flush=True)
    py = [sys.executable, "-m", "sheetkpi"]
    # The report date the generated "Cấu hình" gives, named: a run without it on a date whose
    # "Lịch sử" column is months old would be refused as a forgotten date (docs/rules.md).
    import generate  # bench/generate.py, beside this script

    as_of = ["--as-of", generate.REPORT_DATE.isoformat()]
    target = work / "BangGiaoKPI.xlsx"

    def fresh_copy():
        shutil.copyfile(kpi, target)
        shutil.rmtree(work / "sao-luu", ignore_errors=True)
        for old in work.glob("BaoCaoKPI-*"):
            old.unlink()

    # The Office's monthly case: the workbook a previous run wrote ("Tổng hợp" and "Lịch sử" full),
    # made once, untimed, by the code under test.
    recalculated = work / f"recalculated-{rows}.xlsx"
    shutil.copyfile(kpi, recalculated)
    subprocess.run(py + ["recalc", str(recalculated), "--no-memo", *as_of], cwd=work, env=env,
                   stdout=subprocess.DEVNULL, check=True)

    def recalculated_copy():
        fresh_copy()
        shutil.copyfile(recalculated, target)

    common = dict(rows=rows, tabs=tabs, runs=runs, warmup=warmup, work=work, env=env)
    out = [
        measure("sheetkpi check", py + ["check", str(kpi)], **common),
        measure("sheetkpi recalc --no-memo", py + ["recalc", str(target), "--no-memo", *as_of], prepare=fresh_copy,
                **common),
        measure("sheetkpi recalc --no-memo, again", py + ["recalc", str(target), "--no-memo", *as_of],
                prepare=recalculated_copy, **common),
    ]
    if rows in MEMO_SIZES:
        out.append(measure("sheetkpi recalc (with memo)", py + ["recalc", str(target), *as_of], prepare=fresh_copy,
                           **common))
    if profile is not None:
        lo_out = work / "lo-out"
        lo = shutil.which("soffice") or shutil.which("libreoffice")
        cmd = [lo, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore", "--convert-to", "xlsx",
               "--outdir", str(lo_out), str(formulas)]
        out.append(measure("LibreOffice open+recalc+save", cmd, **common))
        check_lo_output(lo_out / formulas.name)
    openpyxl_cmd = [sys.executable, "-c", OPENPYXL_LOAD_SAVE, str(kpi), str(work / "openpyxl.xlsx")]
    out.append(measure("openpyxl load+save", openpyxl_cmd,
                       **common))
    return out


def startup(runs: int, warmup: int, work: Path, env: dict) -> list[Row]:
    print("start-up:", flush=True)
    common = dict(rows=None, tabs=None, runs=runs, warmup=warmup, work=work, env=env)
    return [
        measure("python -c pass", [sys.executable, "-c", "pass"], **common),
        measure('python -c "import sheetkpi"', [sys.executable, "-c", "import sheetkpi"], **common),
        measure("sheetkpi --help", [sys.executable, "-m", "sheetkpi", "--help"], **common),
    ]


def find(rows_: list[Row], job: str, rows: int | None) -> Row | None:
    return next((r for r in rows_ if r.job == job and r.rows == rows), None)


def ratios(results: list[Row]) -> list[str]:
    """Ratios between jobs measured in this same run, per size."""
    lines = []
    for rows in sorted({r.rows for r in results if r.rows}):
        base = find(results, "sheetkpi recalc --no-memo", rows)
        parts = []
        for job in ("LibreOffice open+recalc+save", "openpyxl load+save"):
            other = find(results, job, rows)
            if base and other:
                parts.append(f"{job} / recalc --no-memo = {other.median_s / base.median_s:.1f}×")
        memo = find(results, "sheetkpi recalc (with memo)", rows)
        lo = find(results, "LibreOffice open+recalc+save", rows)
        if memo and lo:
            parts.append(f"LibreOffice / recalc with memo = {lo.median_s / memo.median_s:.2f}×")
        if parts:
            lines.append(f"{rows:>7,} rows: " + "; ".join(parts))
    return lines


def growth(results: list[Row]) -> list[str]:
    """How time and memory grow with rows: per 10× rows, and the cost of a thousand rows."""
    lines = []
    for job in ("sheetkpi check", "sheetkpi recalc --no-memo", "sheetkpi recalc --no-memo, again",
                "LibreOffice open+recalc+save", "openpyxl load+save"):
        points = sorted((r.rows, r) for r in results if r.job == job and r.rows and r.rows >= 1_000)
        for (n1, a), (n2, b) in zip(points, points[1:]):
            text = (f"{job}: {n1:,} → {n2:,} rows (×{n2 / n1:g}): time ×{b.median_s / a.median_s:.1f}, "
                    f"{(b.median_s - a.median_s) / (n2 - n1) * 1000:.3f} s per 1,000 rows")
            if a.peak_mib and b.peak_mib:
                per_1000 = (b.peak_mib - a.peak_mib) / (n2 - n1) * 1000
                text += f"; peak memory ×{b.peak_mib / a.peak_mib:.1f}, {per_1000:.1f} MiB per 1,000 rows"
            lines.append(text)
    return lines


def targets(results: list[Row]) -> list[str]:
    """The issue's targets, each with the figures it was judged on."""
    lines = []

    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    imp = find(results, 'python -c "import sheetkpi"', None)
    bare = find(results, "python -c pass", None)
    if imp:
        lines.append(f"import sheetkpi < {TARGET_IMPORT_SECONDS} s: {imp.median_s:.3f} s whole process "
                     f"({bare.median_s:.3f} s of it a bare interpreter) — "
                     f"{verdict(imp.median_s < TARGET_IMPORT_SECONDS)}")
    lo, nomemo, memo = (find(results, j, 32) for j in
                        ("LibreOffice open+recalc+save", "sheetkpi recalc --no-memo", "sheetkpi recalc (with memo)"))
    if lo and nomemo:
        lines.append(f"example recalc --no-memo ≤ ½ LibreOffice: {nomemo.median_s:.2f} s vs {lo.median_s:.2f} s "
                     f"(×{nomemo.median_s / lo.median_s:.2f}) — {verdict(nomemo.median_s <= lo.median_s / 2)}")
    if lo and memo:
        lines.append(f"example recalc with memo ≤ LibreOffice: {memo.median_s:.2f} s vs {lo.median_s:.2f} s "
                     f"(×{memo.median_s / lo.median_s:.2f}) — {verdict(memo.median_s <= lo.median_s)}")
    naive = find(results, "openpyxl load+save", TARGET_BIG_ROWS)
    for job in ("sheetkpi recalc --no-memo", "sheetkpi recalc --no-memo, again"):
        big = find(results, job, TARGET_BIG_ROWS)
        if big:
            name = job.removeprefix("sheetkpi ")
            lines.append(f"100,000 rows {name} < {TARGET_BIG_SECONDS:g} s: {big.median_s:.2f} s — "
                         f"{verdict(big.median_s < TARGET_BIG_SECONDS)}")
            if big.peak_mib:
                lines.append(f"100,000 rows {name} < {TARGET_BIG_MIB:g} MiB: {big.peak_mib:.0f} MiB — "
                             f"{verdict(big.peak_mib < TARGET_BIG_MIB)}")
            if naive:
                lines.append(f"100,000 rows {name} ≥ {TARGET_BIG_VS_OPENPYXL:g}× faster than openpyxl load+save: "
                             f"×{naive.median_s / big.median_s:.1f} — "
                             f"{verdict(naive.median_s >= TARGET_BIG_VS_OPENPYXL * big.median_s)}")
    return lines


def table(results: list[Row]) -> str:
    lines = ["| KPI rows | tabs | job | median s | min–max s | runs | peak MiB |",
             "|---:|---:|---|---:|---:|---:|---:|"]
    for r in results:
        size = f"{r.rows:,}" if r.rows else "–"
        tabs = str(r.tabs) if r.tabs else "–"
        peak = f"{r.peak_mib:.0f}" if r.peak_mib is not None else "n/a"
        lines.append(f"| {size} | {tabs} | {r.job} | {r.median_s:.3f} | {r.min_s:.3f}–{r.max_s:.3f} | {r.runs} "
                     f"| {peak} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"only {', '.join(map(str, QUICK_SIZES))} KPI rows")
    parser.add_argument("--sizes", help="comma-separated KPI row counts among " + ", ".join(map(str, SIZES)))
    parser.add_argument("--runs", type=int, help="measured runs per job (default 5, 3 from 10,000 rows)")
    parser.add_argument("--warmup", type=int, default=1, help="unmeasured runs before measuring (default 1)")
    parser.add_argument("--no-libreoffice", action="store_true", help="skip the LibreOffice comparison")
    parser.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else list(QUICK_SIZES if args.quick else SIZES)
    unknown = [s for s in sizes if s not in SIZES]
    if unknown:
        parser.error(f"unknown size(s) {unknown}; choose among {list(SIZES)}")

    info = machine()
    print(f"machine: {info['cpus']} CPUs, {info['cpu_model']}, Python {info['python']}, load {info['load_average']}")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8"}
    env.pop("SHEETKPI_DEBUG", None)
    results: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="sheetkpi-bench-") as tmp:
        work = Path(tmp)
        profile = None if args.no_libreoffice else lo_profile(work)
        if profile is None and not args.no_libreoffice:
            print("LibreOffice (soffice) not found: its comparison is skipped.")
        startup_runs = args.runs or 10
        results += startup(startup_runs, args.warmup, work, env)
        for rows in sizes:
            runs = args.runs or (5 if rows < 10_000 else 3)
            results += bench_size(rows, SIZES[rows], runs, args.warmup, work, env, profile)

    report = {"machine": info, "results": [asdict(r) for r in results], "ratios": ratios(results),
              "growth": growth(results), "targets": targets(results)}
    print("\n" + table(results))
    for title in ("ratios", "growth", "targets"):
        if report[title]:
            print(f"\n{title}:")
            for line in report[title]:
                print(f"  {line}")
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
