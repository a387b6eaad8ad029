"""Benchmark: sheetkpi recalc and check, as whole processes, against the floor of the work and the
ways it is done without sheetkpi, from 32 to 100,000 KPI rows.

    python bench/run.py [--quick] [--sizes 32,1000] [--runs N] [--warmup N] [--no-libreoffice] [--json FILE]

Every figure is a fresh process started by this script. Per size the jobs run in rounds: a round
runs each job once (floor, recalc, recalc again, openpyxl, check, memo, LibreOffice), so the jobs
compared with each other run seconds apart under the same load; ``--warmup`` unmeasured rounds come
first (default 1, none from 10,000 rows), then ``--runs`` measured ones. Reported per job: the
median wall time and its range, the median CPU time, and the peak resident memory of the job's own
process tree (see "Peak memory" below); per compared pair, the ratio of wall times in each round,
its median and range; per size, the load average at the start and the end. The jobs:

- the floor (bench/floor.py): python-calamine reading every sheet and the zip rewritten, every
  member inflated and deflated again at the level sheetkpi's writer uses — the least any engine
  must do for a recalc; every size reports sheetkpi / floor;
- ``sheetkpi check`` and ``sheetkpi recalc --no-memo`` (in place, with its backup, on a fresh copy
  each run); the same recalc again on a copy of its own output (the monthly case: "Tổng hợp" and
  "Lịch sử" already full); ``sheetkpi recalc`` with the memo;
- LibreOffice headless opening the same workbook with Excel formulas in the engine columns,
  recalculating every formula (a private profile set to "recalculate on load: always") and saving
  it as .xlsx;
- openpyxl loading the KPI workbook and saving it, the naive way to write it from Python.

Once per run, also in rounds: ``python -c pass``, ``python -c "import sheetkpi"``, ``sheetkpi --help``.
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
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
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
# Targets of issue #20, ratios measured in one run.
TARGET_VS_FLOOR = 2.0
TARGET_AGAIN_VS_FLOOR = 2.2
TARGET_BIG_MIB_20 = 300.0
TARGET_VS_LIBREOFFICE = 0.2
# From this size a run lasts seconds and the untimed recalc that makes the "again" input has
# already read the input and imported everything: a warm-up round would only add minutes.
NO_WARMUP_FROM = 10_000


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
    peak_mib: float | None  # largest peak RSS of the job's own process tree over the runs; None if unmeasurable
    cpu_s: float | None = None  # median CPU time (user + system, every thread and child of the job)
    walls: list[float] = field(default_factory=list)  # wall seconds of each round, in the order run
    sum_mib: float | None = None  # largest sum of the RSS of the job's processes alive at once (sampled)


@dataclass
class Job:
    """A command measured in rounds; ``prepare`` runs untimed before each run."""

    name: str
    cmd: list[str]
    prepare: Callable[[], None] | None = None


@dataclass
class Sample:
    wall: float
    cpu: float | None
    peak_mib: float | None
    sum_mib: float | None = None


# ---------------------------------------------------------------------------------------------
# Running a job
#
# Peak memory. ru_maxrss of a child is not the child's alone on Linux: exec records the hiwater RSS
# of the memory it replaces, and a child forked (or vforked, or posix_spawned) by this harness
# replaces a copy of the harness, 50-70 MiB once sheetkpi and lxml are imported here. So every job
# starts under a tiny intermediary that forks it: GNU time (%M, from its own wait4 of the job), or
# else a bare ``python -I -S`` that posix_spawns it (which puts a floor of its own ~8 MiB under
# every figure). The job's tree is still measured whole: wait4 reports the largest of a process and
# the descendants it waited for. Wall and CPU time come from this harness's wait4 of the intermediary.

SPAWN = ("import os, sys\n"
         "pid = os.posix_spawnp(sys.argv[2], sys.argv[2:], os.environ)\n"
         "_, status, usage = os.wait4(pid, 0)\n"
         "open(sys.argv[1], 'w').write(str(usage.ru_maxrss))\n"
         "code = os.waitstatus_to_exitcode(status)\n"
         "sys.exit(code if code >= 0 else 128 - code)\n")
# ru_maxrss is KiB on Linux and bytes on macOS; GNU time's %M is KiB.
MAXRSS_UNIT = 1 << 20 if sys.platform == "darwin" else 1 << 10


def peak_method() -> str | None:
    """How each child's own peak is measured: "time" (GNU time), "spawn" (SPAWN) or None."""
    if not hasattr(os, "wait4"):
        return None
    time_bin = "/usr/bin/time"
    if os.access(time_bin, os.X_OK):
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "peak"
            done = subprocess.run([time_bin, "-f", "%M", "-o", str(out), "true"], capture_output=True)
            if done.returncode == 0 and out.exists() and out.read_text().strip().isdigit():
                return "time"
    return "spawn" if hasattr(os, "posix_spawnp") else None


PEAK = peak_method()


class TreeSampler:
    """The largest sum of the resident memory of a process and its descendants alive at the same
    moment, sampled every 20 ms from /proc (Linux; None elsewhere). A job that reads with two
    processes (sheetkpi.workbook.parallel) peaks in each at different moments: %M gives the larger
    of the two peaks, this the most they held together — an upper bound, since pages the two
    share (the interpreter, libraries) count twice, as does the intermediary (GNU time, ~2 MiB); a
    lower one by up to 20 ms of growth. Descendants are found through /proc/PID/task/TID/children
    (no scan of every process: the sampler must not take the CPU the job is timed on). A child
    that has not started its own program yet is not counted: Python starts one with vfork, and
    until then it is its parent's memory, which /proc shows twice (a run read 390 MiB together
    for 293 in the larger process; its command line, also its parent's until then, tells it)."""

    def __init__(self, pid: int, *, record: bool = False) -> None:
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        # record: every sample kept, (seconds since the start, bytes together) (bench/timeline.py)
        self.timeline: list[tuple[float, int]] | None = [] if record else None
        self._start = time.perf_counter()
        ok = Path(f"/proc/{pid}/task/{pid}/children").exists()
        self._thread = threading.Thread(target=self._run, daemon=True) if ok else None
        if self._thread:
            self._thread.start()

    def _run(self) -> None:
        page = os.sysconf("SC_PAGE_SIZE")
        while not self._stop.wait(0.02):
            total, todo = 0, [(self.pid, None)]
            while todo:
                pid, parent_command = todo.pop()
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as fh:
                        command = fh.read()
                    if command == parent_command:
                        continue  # not started yet: its parent's memory
                    with open(f"/proc/{pid}/statm", "rb") as fh:
                        total += int(fh.read().split()[1]) * page
                    for task in os.scandir(f"/proc/{pid}/task"):
                        with open(f"{task.path}/children", "rb") as fh:
                            todo += [(int(child), command) for child in fh.read().split()]
                except (OSError, ValueError, IndexError):
                    continue  # it ended meanwhile
            self.peak = max(self.peak, total)
            if self.timeline is not None:
                self.timeline.append((time.perf_counter() - self._start, total))

    def stop(self) -> float | None:
        """The largest sum seen, in MiB."""
        if self._thread is None:
            return None
        self._stop.set()
        self._thread.join()
        return self.peak / (1 << 20) if self.peak else None


def compiled(tree: Path) -> None:
    """Byte-compile the sheetkpi package of ``tree`` first, as installing it does: with
    PYTHONDONTWRITEBYTECODE (set on some machines, this one among them) or an unwritable folder,
    every process of every run would otherwise compile what it imports (the example's recalc: 0.06 s
    of its 0.18, in each of a run's processes), and two checkouts would differ by what each holds."""
    import compileall

    compileall.compile_dir(str(tree / "sheetkpi"), quiet=1)


def run_once(cmd: list[str], log: Path, cwd: Path, env: dict) -> Sample:
    """Run ``cmd`` to the end: wall and CPU seconds, and the peak RSS (MiB) of its own process tree."""
    peak_file = log.with_suffix(".peak")
    peak_file.unlink(missing_ok=True)
    if PEAK == "time":
        wrapped = ["/usr/bin/time", "-f", "%M", "-o", str(peak_file), *cmd]
    elif PEAK == "spawn":
        wrapped = [sys.executable, "-I", "-S", "-c", SPAWN, str(peak_file), *cmd]
    else:
        wrapped = cmd
    with open(log, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(wrapped, stdout=out, stderr=subprocess.STDOUT, cwd=cwd, env=env)
        sampler = TreeSampler(proc.pid)
        try:
            if hasattr(os, "wait4"):
                _, status, usage = os.wait4(proc.pid, 0)
                wall = time.perf_counter() - start
                proc.returncode = os.waitstatus_to_exitcode(status)
                cpu = usage.ru_utime + usage.ru_stime
            else:
                proc.wait()
                wall, cpu = time.perf_counter() - start, None
        finally:
            together = sampler.stop()
    if proc.returncode not in (0, 1):  # 1: `check` found data errors, a result
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}:\n{log.read_text(errors='replace')[-2000:]}")
    peak = None
    if PEAK and peak_file.exists():
        # GNU time writes "Command exited with non-zero status 1" first when it does.
        last = peak_file.read_text().split()[-1:]
        peak = int(last[0]) * MAXRSS_UNIT / (1 << 20) if last and last[0].isdigit() else None
    return Sample(wall, cpu, peak, together)


def run_rounds(jobs: list[Job], *, rows, tabs, runs: int, warmup: int, work: Path, env: dict) -> list[Row]:
    """``warmup`` unmeasured rounds, then ``runs`` measured ones; a round runs every job once, in
    order, so that jobs compared with each other run seconds apart, under the same load."""
    samples: dict[str, list[Sample]] = {job.name: [] for job in jobs}
    for i in range(warmup + runs):
        measured = i >= warmup
        line = []
        for job in jobs:
            if job.prepare:
                job.prepare()
            sample = run_once(job.cmd, work / "job.log", work, env)
            if measured:
                samples[job.name].append(sample)
            line.append(f"{short(job.name)} {sample.wall:.2f}")
        label = f"round {i - warmup + 1}/{runs}" if measured else f"warm-up {i + 1}/{warmup}"
        print(f"  {label}: " + ", ".join(line) + f" s; load {load():.2f}", flush=True)
    out = []
    for job in jobs:
        got = samples[job.name]
        walls = [s.wall for s in got]
        peaks = [s.peak_mib for s in got if s.peak_mib is not None]
        cpus = [s.cpu for s in got if s.cpu is not None]
        sums = [s.sum_mib for s in got if s.sum_mib is not None]
        out.append(Row(rows, tabs, job.name, statistics.median(walls), min(walls), max(walls), runs,
                       max(peaks) if peaks else None, statistics.median(cpus) if cpus else None, walls,
                       max(sums) if sums else None))
    for r in out:
        print(f"  {r.job:34s} {r.median_s:8.3f} s  "
              + (f"{r.peak_mib:7.0f} MiB" if r.peak_mib is not None else "    n/a"), flush=True)
    return out


def load() -> float:
    """The 1-minute load average (0 where the system has none)."""
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0


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
        tmp = kpi.with_suffix(f".{os.getpid()}.tmp")  # another bench generating the same size at once
        if rows == 32:
            shutil.copyfile(EXAMPLE, tmp)
        else:
            generate.kpi_workbook(tmp, rows, tabs)
        tmp.replace(kpi)
    if not formulas.exists():
        tmp = formulas.with_suffix(f".{os.getpid()}.tmp")
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


def writer_level() -> int:
    """The zlib level sheetkpi's writer deflates at, found from what it writes, so that the floor
    follows a change of level: a sheet-like probe packed by the writer, compared with each level."""
    import zlib

    from sheetkpi.workbook._zip import Packed

    probe = b"".join(b'<row r="%d"><c r="A%d" t="s"><v>%d</v></c><c r="B%d" s="3"><v>%d.25</v></c></row>'
                     % (i, i, i * 7919 % 3001, i, i * 31 % 977) for i in range(1, 8001))
    written = Packed.of(probe, zipfile.ZIP_DEFLATED).payload
    for level in range(10):
        packer = zlib.compressobj(level, zlib.DEFLATED, -15)
        if packer.compress(probe) + packer.flush() == written:
            return level
    raise RuntimeError("no zlib level deflates as sheetkpi's writer does: give the floor's with --floor-level")


def check_floor_output(source: Path, output: Path) -> None:
    """The floor wrote every member of the workbook again, with the same content."""
    with zipfile.ZipFile(source) as a, zipfile.ZipFile(output) as b:
        want = [(i.filename, i.CRC, i.file_size) for i in a.infolist()]
        got = [(i.filename, i.CRC, i.file_size) for i in b.infolist()]
        if want != got or any(i.compress_type != zipfile.ZIP_DEFLATED for i in b.infolist()):
            raise RuntimeError(f"the floor's output {output} is not {source} deflated again")


FLOOR = "floor: calamine + zip rewrite"
RECALC = "sheetkpi recalc --no-memo"
AGAIN = "sheetkpi recalc --no-memo, again"
MEMO = "sheetkpi recalc (with memo)"
LIBREOFFICE = "LibreOffice open+recalc+save"
OPENPYXL = "openpyxl load+save"
# The ratios reported per round: (numerator, denominator).
PAIRS = ((RECALC, FLOOR), (AGAIN, FLOOR), (RECALC, OPENPYXL), (AGAIN, OPENPYXL), (RECALC, LIBREOFFICE),
         (MEMO, LIBREOFFICE))


def bench_size(rows: int, tabs: int, runs: int, warmup: int, work: Path, env: dict, profile: Path | None,
               floor_level: int) -> tuple[list[Row], dict]:
    """The jobs of one size, in rounds: (their rows, the size's conditions)."""
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

    # Pairs compared run next to each other: the floor, then the recalcs, then openpyxl.
    floor_out = work / "floor.xlsx"
    jobs = [
        Job(FLOOR, [sys.executable, str(ROOT / "bench" / "floor.py"), str(kpi), str(floor_out),
                    "--level", str(floor_level)]),
        Job(RECALC, py + ["recalc", str(target), "--no-memo", *as_of], fresh_copy),
        Job(AGAIN, py + ["recalc", str(target), "--no-memo", *as_of], recalculated_copy),
        Job(OPENPYXL, [sys.executable, "-c", OPENPYXL_LOAD_SAVE, str(kpi), str(work / "openpyxl.xlsx")]),
        Job("sheetkpi check", py + ["check", str(kpi)]),
    ]
    if rows in MEMO_SIZES:
        jobs.append(Job(MEMO, py + ["recalc", str(target), *as_of], fresh_copy))
    lo_out = work / "lo-out"
    if profile is not None:
        lo = shutil.which("soffice") or shutil.which("libreoffice")
        jobs.append(Job(LIBREOFFICE, [lo, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                                      "--convert-to", "xlsx", "--outdir", str(lo_out), str(formulas)]))
    conditions = {"rows": rows, "tabs": tabs, "input_mib": kpi.stat().st_size / (1 << 20), "rounds": runs,
                  "warmup_rounds": warmup, "load_start": load_averages()}
    out = run_rounds(jobs, rows=rows, tabs=tabs, runs=runs, warmup=warmup, work=work, env=env)
    conditions["load_end"] = load_averages()
    print(f"  load average (1, 5, 15 min) {fmt_load(conditions['load_start'])} at the start, "
          f"{fmt_load(conditions['load_end'])} at the end", flush=True)
    check_floor_output(kpi, floor_out)
    if profile is not None:
        check_lo_output(lo_out / formulas.name)
    return out, conditions


def startup(runs: int, warmup: int, work: Path, env: dict) -> list[Row]:
    print("start-up:", flush=True)
    jobs = [
        Job("python -c pass", [sys.executable, "-c", "pass"]),
        Job('python -c "import sheetkpi"', [sys.executable, "-c", "import sheetkpi"]),
        Job("sheetkpi --help", [sys.executable, "-m", "sheetkpi", "--help"]),
    ]
    return run_rounds(jobs, rows=None, tabs=None, runs=runs, warmup=warmup, work=work, env=env)


def load_averages() -> list[float] | None:
    return [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None


def fmt_load(values: list[float] | None) -> str:
    return " ".join(f"{v:.2f}" for v in values) if values else "n/a"


def find(rows_: list[Row], job: str, rows: int | None) -> Row | None:
    return next((r for r in rows_ if r.job == job and r.rows == rows), None)


def ratios(results: list[Row]) -> list[dict]:
    """Per size and compared pair, the ratio of the two jobs' wall times in each round (run seconds
    apart, under the same load), their median and spread; and the ratio of median CPU times."""
    out = []
    for rows in sorted({r.rows for r in results if r.rows}):
        for a_job, b_job in PAIRS:
            a, b = find(results, a_job, rows), find(results, b_job, rows)
            if not (a and b):
                continue
            per_round = [x / y for x, y in zip(a.walls, b.walls)]
            out.append({"rows": rows, "numerator": a_job, "denominator": b_job,
                        "per_round": [round(x, 3) for x in per_round], "median": statistics.median(per_round),
                        "min": min(per_round), "max": max(per_round),
                        "cpu_median": a.cpu_s / b.cpu_s if a.cpu_s and b.cpu_s else None})
    return out


def short(job: str) -> str:
    return "floor" if job == FLOOR else job.removeprefix("sheetkpi ")


def ratio_table(found: list[dict], conditions: list[dict]) -> str:
    loads = {c["rows"]: c for c in conditions}
    lines = ["| KPI rows | ratio of wall times | median | min–max | per round | CPU | 1-min load start → end |",
             "|---:|---|---:|---:|---|---:|---|"]
    for r in found:
        c = loads.get(r["rows"], {})
        cpu = f"{r['cpu_median']:.2f}×" if r["cpu_median"] else "n/a"
        name = f"{short(r['numerator'])} / {short(r['denominator'])}"
        start, end = c.get("load_start"), c.get("load_end")
        lines.append(f"| {r['rows']:,} | {name} | {r['median']:.2f}× | {r['min']:.2f}–{r['max']:.2f} "
                     f"| {' '.join(f'{x:.2f}' for x in r['per_round'])} | {cpu} "
                     f"| {fmt_load(start[:1] if start else None)} → {fmt_load(end[:1] if end else None)} |")
    return "\n".join(lines)


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


def targets(results: list[Row], found: list[dict]) -> list[str]:
    """The issues' targets, each with the figures it was judged on."""
    lines = []

    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    def ratio(a_job: str, b_job: str, rows: int) -> dict | None:
        return next((r for r in found if (r["numerator"], r["denominator"], r["rows"]) == (a_job, b_job, rows)), None)

    imp = find(results, 'python -c "import sheetkpi"', None)
    bare = find(results, "python -c pass", None)
    if imp:
        lines.append(f"#8 import sheetkpi < {TARGET_IMPORT_SECONDS} s: {imp.median_s:.3f} s whole process "
                     f"({bare.median_s:.3f} s of it a bare interpreter) — "
                     f"{verdict(imp.median_s < TARGET_IMPORT_SECONDS)}")
    lo, nomemo, memo = (find(results, j, 32) for j in (LIBREOFFICE, RECALC, MEMO))
    if lo and nomemo:
        lines.append(f"#8 example recalc --no-memo ≤ ½ LibreOffice: {nomemo.median_s:.2f} s vs {lo.median_s:.2f} s "
                     f"(×{nomemo.median_s / lo.median_s:.2f}) — {verdict(nomemo.median_s <= lo.median_s / 2)}")
    if lo and memo:
        lines.append(f"#8 example recalc with memo ≤ LibreOffice: {memo.median_s:.2f} s vs {lo.median_s:.2f} s "
                     f"(×{memo.median_s / lo.median_s:.2f}) — {verdict(memo.median_s <= lo.median_s)}")
    naive = find(results, OPENPYXL, TARGET_BIG_ROWS)
    for job in (RECALC, AGAIN):
        big = find(results, job, TARGET_BIG_ROWS)
        if big:
            name = job.removeprefix("sheetkpi ")
            lines.append(f"#8 100,000 rows {name} < {TARGET_BIG_SECONDS:g} s: {big.median_s:.2f} s — "
                         f"{verdict(big.median_s < TARGET_BIG_SECONDS)}")
            if big.peak_mib:
                lines.append(f"#8 100,000 rows {name} < {TARGET_BIG_MIB:g} MiB: {big.peak_mib:.0f} MiB — "
                             f"{verdict(big.peak_mib < TARGET_BIG_MIB)}")
            if naive:
                lines.append(f"#8 100,000 rows {name} ≥ {TARGET_BIG_VS_OPENPYXL:g}× faster than openpyxl load+save: "
                             f"×{naive.median_s / big.median_s:.1f} — "
                             f"{verdict(naive.median_s >= TARGET_BIG_VS_OPENPYXL * big.median_s)}")
    # Issue #20: ratios judged on their median over rounds.
    for job, most in ((RECALC, TARGET_VS_FLOOR), (AGAIN, TARGET_AGAIN_VS_FLOOR)):
        r = ratio(job, FLOOR, TARGET_BIG_ROWS)
        if r:
            lines.append(f"#20 100,000 rows {job.removeprefix('sheetkpi ')} ≤ {most:g}× the floor: "
                         f"×{r['median']:.2f} (rounds {r['min']:.2f}–{r['max']:.2f}) — {verdict(r['median'] <= most)}")
        big = find(results, job, TARGET_BIG_ROWS)
        if big and big.peak_mib:
            # Judged on the most the job's processes held at once when that is more than one's peak.
            held = max(big.peak_mib, big.sum_mib or 0)
            lines.append(f"#20 100,000 rows {job.removeprefix('sheetkpi ')} ≤ {TARGET_BIG_MIB_20:g} MiB: "
                         f"{held:.0f} MiB — {verdict(held <= TARGET_BIG_MIB_20)}")
    r = ratio(RECALC, LIBREOFFICE, 32)
    if r:
        lines.append(f"#20 example recalc --no-memo ≤ {TARGET_VS_LIBREOFFICE:g}× LibreOffice: ×{r['median']:.2f} "
                     f"(rounds {r['min']:.2f}–{r['max']:.2f}) — {verdict(r['median'] <= TARGET_VS_LIBREOFFICE)}")
    return lines


def table(results: list[Row]) -> str:
    lines = ["| KPI rows | tabs | job | median s | min–max s | CPU s | runs | peak MiB | processes together MiB |",
             "|---:|---:|---|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        size = f"{r.rows:,}" if r.rows else "–"
        tabs = str(r.tabs) if r.tabs else "–"
        peak = f"{r.peak_mib:.0f}" if r.peak_mib is not None else "n/a"
        cpu = f"{r.cpu_s:.3f}" if r.cpu_s is not None else "n/a"
        together = f"{r.sum_mib:.0f}" if r.sum_mib is not None else "n/a"
        lines.append(f"| {size} | {tabs} | {r.job} | {r.median_s:.3f} | {r.min_s:.3f}–{r.max_s:.3f} | {cpu} "
                     f"| {r.runs} | {peak} | {together} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"only {', '.join(map(str, QUICK_SIZES))} KPI rows")
    parser.add_argument("--sizes", help="comma-separated KPI row counts among " + ", ".join(map(str, SIZES)))
    parser.add_argument("--runs", type=int, help="measured rounds (default 5, 3 from 10,000 rows, 10 for start-up)")
    parser.add_argument("--warmup", type=int,
                        help=f"unmeasured rounds before measuring (default 1, 0 from {NO_WARMUP_FROM:,} rows)")
    parser.add_argument("--no-libreoffice", action="store_true", help="skip the LibreOffice comparison")
    parser.add_argument("--floor-level", type=int, help="zlib level of the floor (default: the one sheetkpi writes at)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else list(QUICK_SIZES if args.quick else SIZES)
    unknown = [s for s in sizes if s not in SIZES]
    if unknown:
        parser.error(f"unknown size(s) {unknown}; choose among {list(SIZES)}")

    info = machine()
    floor_level = writer_level() if args.floor_level is None else args.floor_level
    info["floor_zlib_level"] = floor_level
    info["peak_memory"] = {"time": "GNU time %M of each job (its own process tree)",
                           "spawn": "wait4 in a bare python -I -S that spawns each job (figures ≥ its ~8 MiB)",
                           None: "unmeasured"}[PEAK]
    print(f"machine: {info['cpus']} CPUs, {info['cpu_model']}, Python {info['python']}, load {info['load_average']}")
    print(f"peak memory: {info['peak_memory']}; floor deflates at zlib level {floor_level}"
          + (" (sheetkpi's writer's)" if args.floor_level is None else ""))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8"}
    env.pop("SHEETKPI_DEBUG", None)
    compiled(ROOT)
    results: list[Row] = []
    conditions: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="sheetkpi-bench-") as tmp:
        work = Path(tmp)
        profile = None if args.no_libreoffice else lo_profile(work)
        if profile is None and not args.no_libreoffice:
            print("LibreOffice (soffice) not found: its comparison is skipped.")
        results += startup(args.runs or 10, 1 if args.warmup is None else args.warmup, work, env)
        for rows in sizes:
            runs = args.runs or (5 if rows < 10_000 else 3)
            warmup = args.warmup if args.warmup is not None else (0 if rows >= NO_WARMUP_FROM else 1)
            got, size = bench_size(rows, SIZES[rows], runs, warmup, work, env, profile, floor_level)
            results += got
            conditions.append(size)

    found = ratios(results)
    report = {"machine": info, "sizes": conditions, "results": [asdict(r) for r in results], "ratios": found,
              "growth": growth(results), "targets": targets(results, found)}
    print("\n" + table(results))
    if found:
        print("\nratios, per round (compared jobs run seconds apart):\n" + ratio_table(found, conditions))
    for title in ("growth", "targets"):
        if report[title]:
            print(f"\n{title}:")
            for line in report[title]:
                print(f"  {line}")
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
