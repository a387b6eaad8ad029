"""The benchmark runs (so that it cannot rot), and what was made fast for it reads and writes the
same as the slower general code it replaced or bypasses.

No timing is asserted here: figures come from ``python bench/run.py`` (docs/performance.md).
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from sheetkpi.structure import Cell
from sheetkpi.workbook.reader import load_grids

from support import CORPUS, EXAMPLE, ROOT, TEMPLATE

WORKBOOKS = sorted(CORPUS.glob("*.xls[xm]")) + [EXAMPLE, TEMPLATE]


def _bench_modules(*names: str) -> list:
    """Scripts of bench/ imported as modules (they import each other by name, as when run there)."""
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        return [importlib.import_module(name) for name in names]
    finally:
        sys.path.pop(0)


def test_benchmark_runs_on_the_smallest_size(tmp_path):
    report = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--sizes", "32", "--runs", "2", "--warmup", "0",
         "--json", str(report)],
        capture_output=True, text=True, timeout=600,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    found = json.loads(report.read_text(encoding="utf-8"))
    results = found["results"]
    jobs = {(r["rows"], r["job"]) for r in results}
    assert {(None, "python -c pass"), (None, 'python -c "import sheetkpi"'), (None, "sheetkpi --help"),
            (32, "floor: calamine + zip rewrite"), (32, "sheetkpi check"), (32, "sheetkpi recalc --no-memo"),
            (32, "sheetkpi recalc --no-memo, again"), (32, "sheetkpi recalc (with memo)"),
            (32, "openpyxl load+save")} <= jobs
    assert all(r["median_s"] > 0 and r["runs"] == 2 and len(r["walls"]) == 2 for r in results)
    # Each round's ratio of the pair, with its median and range, for the pairs that matter.
    pairs = {(r["numerator"], r["denominator"]): r for r in found["ratios"] if r["rows"] == 32}
    for pair in (("sheetkpi recalc --no-memo", "floor: calamine + zip rewrite"),
                 ("sheetkpi recalc --no-memo, again", "floor: calamine + zip rewrite"),
                 ("sheetkpi recalc --no-memo", "openpyxl load+save")):
        ratio = pairs[pair]
        assert len(ratio["per_round"]) == 2 and ratio["min"] <= ratio["median"] <= ratio["max"]
    if (32, "LibreOffice open+recalc+save") in jobs:  # when LibreOffice is installed
        assert ("sheetkpi recalc --no-memo", "LibreOffice open+recalc+save") in pairs
    assert [s["rows"] for s in found["sizes"]] == [32] and "load_end" in found["sizes"][0]
    assert found["machine"]["floor_zlib_level"] in range(10)
    # A child's peak is its own, not the harness's (50 MiB and more) inherited through fork and exec.
    bare = next(r for r in results if r["job"] == "python -c pass")
    if bare["peak_mib"] is not None:
        assert bare["peak_mib"] < 32, bare
    # The most the job's processes held together, sampled from /proc where there is one.
    recalc = next(r for r in results if r["job"] == "sheetkpi recalc --no-memo")
    if Path("/proc/self/statm").exists():
        assert recalc["sum_mib"] is not None and 10 < recalc["sum_mib"] < 300, recalc
    assert "| KPI rows | tabs | job |" in done.stdout and "ratios, per round" in done.stdout


def test_two_checkouts_compared_and_their_outputs_compared(tmp_path):
    """bench/ab.py (times, side by side) and bench/same.py (bytes) run; this checkout against itself
    gives one pair per round, the one going first alternating, and the same bytes."""
    book = tmp_path / "in.xlsx"
    book.write_bytes(EXAMPLE.read_bytes())
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "ab.py"), str(ROOT), str(book), "--pairs", "2"],
                          capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    lines = done.stdout.splitlines()
    pairs = [line.split(":")[0] for line in lines if line.startswith("pair ")]
    assert pairs == ["pair 1/2 base", "pair 1/2 new", "pair 2/2 new", "pair 2/2 base"]
    assert lines[-2].startswith("new/base wall: [") and lines[-1].startswith("new/base CPU: [")
    same = subprocess.run([sys.executable, str(ROOT / "bench" / "same.py"), str(ROOT), str(book)],
                          capture_output=True, text=True, timeout=300, env=env)
    assert same.returncode == 0 and same.stdout.splitlines()[-1] == "SAME", same.stdout[-3000:] + same.stderr


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="they read Linux's /proc")
def test_the_stages_and_the_cores_of_a_run_are_shown(tmp_path):
    """bench/stages.py --as-run --trace and bench/cores.py run on the example (one process there:
    the command's own column, every window)."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    stages = subprocess.run([sys.executable, str(ROOT / "bench" / "stages.py"), str(EXAMPLE), "--as-run", "--trace"],
                            capture_output=True, text=True, timeout=300, env=env)
    assert stages.returncode == 0, stages.stdout[-3000:] + stages.stderr[-3000:]
    lines = stages.stdout.splitlines()
    marks = [line.split()[0] for line in lines]
    assert marks[-1] == "saved" and "Ghi" in marks and "Đọc" in marks, stages.stdout
    assert all("held" in line and "at most" in line for line in lines), stages.stdout
    cores = subprocess.run([sys.executable, str(ROOT / "bench" / "cores.py"), str(EXAMPLE), "--window", "0.05"],
                           capture_output=True, text=True, timeout=300, env=env)
    assert cores.returncode == 0, cores.stdout[-3000:] + cores.stderr[-3000:]
    lines = cores.stdout.splitlines()
    assert lines[0].split() == ["window", "s", "recalc", "all"] and lines[-1].startswith("wall "), cores.stdout
    assert len(lines) >= 3 and all(len(line.split()) == 3 for line in lines[1:-1]), cores.stdout


def test_a_copy_with_lich_su_emptied_gets_a_row_for_every_kpi(tmp_path):
    """bench/empty_history.py keeps "Lịch sử" down to its header (the example's two report dates),
    and every other member as it was; a recalculation of the copy adds the example's 32 KPIs there,
    with the earlier dates' cells empty."""
    from openpyxl import load_workbook

    from sheetkpi import layout

    copy = tmp_path / "empty.xlsx"
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "empty_history.py"), str(EXAMPLE), str(copy)],
                          capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(EXAMPLE) as a, zipfile.ZipFile(copy) as b:
        changed = [n for n in a.namelist() if a.read(n) != b.read(n)]
        assert a.namelist() == b.namelist() and len(changed) == 1
    history = load_workbook(copy)[layout.SHEET_HISTORY]
    assert history.max_row == layout.HISTORY_HEADER_ROW
    header = [c.value for c in history[layout.HISTORY_HEADER_ROW]]
    assert header[:5] == [*layout.HISTORY_KEY_HEADERS, dt.datetime(2026, 4, 25), dt.datetime(2026, 5, 25)]
    run = subprocess.run([sys.executable, "-m", "sheetkpi", "recalc", str(copy), "--as-of", "2026-06-25", "--no-memo"],
                         capture_output=True, text=True, timeout=300, cwd=tmp_path,
                         env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    history = load_workbook(copy)[layout.SHEET_HISTORY]
    rows = list(history.iter_rows(min_row=layout.HISTORY_HEADER_ROW + 1, values_only=True))
    assert len(rows) == 32 and all(r[0] and r[1] and r[2] for r in rows)
    assert all(r[3] is None and r[4] is None for r in rows) and sum(r[5] is not None for r in rows) >= 28


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="the sampler reads Linux's /proc")
def test_the_memory_of_a_run_is_shown_second_by_second():
    """bench/timeline.py on the example: a line per sample asked for, the highest marked, and the
    peak it names is the largest figure shown."""
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "timeline.py"), str(EXAMPLE), "--every", "0"],
                          capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    lines = done.stdout.splitlines()
    figures = [float(line.split()[2]) for line in lines[:-1] if line.split()[3:4] == ["MiB"]]
    assert len(figures) >= 3 and sum("← the highest" in line for line in lines) == 1, done.stdout
    peak = float(lines[-1].split()[1])
    assert lines[-1].startswith("peak: ") and peak == max(figures) and peak > 15, done.stdout


@pytest.mark.skipif(not Path("/proc/self/smaps").exists(), reason="--arenas reads Linux's /proc")
def test_what_the_memory_of_a_run_is_made_of_is_shown_stage_by_stage():
    """bench/stages.py --as-run --arenas on the example: at every mark, the live objects within the
    arenas, the free room within them, the C heap within what is resident."""
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "stages.py"), str(EXAMPLE), "--as-run", "--arenas"],
                          capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert lines[-1].startswith("saved") and len(lines) >= 3, done.stdout
    for line in lines:
        found = re.search(r"rss +(\d+) MiB .*arenas +(\d+) MiB \(live +(\d+), free in pools in use +(\d+), most (\d+)\)"
                          r" +heap +(\d+) MiB$", line)
        assert found, line
        rss, arenas, live, free, most, heap = map(int, found.groups())
        assert 10 < rss < 200 and 0 < live <= arenas and free <= arenas and heap < rss and most >= 1, line


@pytest.mark.parametrize("cpu_measured", [True, False])
def test_pairs_alternate_which_checkout_goes_first_and_give_new_over_base(tmp_path, monkeypatch, capsys,
                                                                         cpu_measured):
    """bench/ab.py's bookkeeping, each run replaced by figures of its own (the runs themselves are
    the test above, which compares a checkout with itself and so cannot tell base from new): the
    checkout going first alternates, each printed label is the checkout that ran, each ratio is its
    pair's new over base; where CPU is not measured (no os.wait4, which Linux has: hence the
    stand-in), the wall ratios come and the CPU line says so."""
    ab, run = _bench_modules("ab", "run")
    base = (tmp_path / "base").resolve()
    base.mkdir()
    book = tmp_path / "in.xlsx"
    book.write_bytes(EXAMPLE.read_bytes())
    ran: list[tuple[str, run.Sample]] = []

    def run_once(command, log, tree, env):
        label = "base" if tree == base else "new"
        sample = run.Sample(10.0 + len(ran) if label == "base" else 9.0 + 2 * len(ran),
                            (20.0 + len(ran) if label == "base" else 15.0) if cpu_measured else None, 100.0, 150.0)
        ran.append((label, sample))
        return sample
    monkeypatch.setattr(ab, "compiled", lambda tree: None)
    monkeypatch.setattr(ab, "recalc_command", lambda tree, workbook, as_of: (["sheetkpi"], {}))
    monkeypatch.setattr(ab, "run_once", run_once)
    assert ab.main([str(base), str(book), "--pairs", "4"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [label for label, _ in ran] == ["base", "new", "new", "base", "base", "new", "new", "base"]
    assert [line.split(":")[0].split()[-1] for line in lines if line.startswith("pair ")] == \
        [label for label, _ in ran]
    # Base walls 10, 13, 14, 17 and new ones 11, 13, 19, 21, as the runs came (see run_once).
    assert lines[-2] == "new/base wall: [1.1, 1.0, 1.357, 1.235], median 1.168"
    if cpu_measured:  # base CPU 20, 23, 24, 27; new 15
        assert lines[-1] == "new/base CPU: [0.75, 0.652, 0.625, 0.556], median 0.639"
    else:
        assert lines[-1] == "new/base CPU: not measured on this system" and "CPU –" in lines[0]


def test_the_compiled_copy_names_modules_and_lines_that_are_there():
    """bench/cython_copy.py (Cython is no dependency, so it is not run here: docs/performance.md gives
    what it measured): every module it compiles exists, every line it writes otherwise for Cython
    is in its module once, and writes the same value as the line it replaces."""
    (cython_copy,) = _bench_modules("cython_copy")
    for module in cython_copy.MODULES:
        assert (ROOT / "sheetkpi" / module).is_file(), module
    for module, line, spelled in cython_copy.SPELLED:
        assert (ROOT / "sheetkpi" / module).read_text(encoding="utf-8").count(line) == 1, (module, line)
        for row, dates, last_table_row, kpi_rows in (([], {}, 7, []), ([1, 2, 3], {"a": 2}, 7, [5, 9]),
                                                     ([1], {"a": 4, "b": 6}, 12, [5, 9])):
            names = {"row": row, "dates": dates, "last_table_row": last_table_row, "kpi_rows": kpi_rows}
            assert eval(spelled, names) == eval(line, names), (line, names)


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="the sampler reads Linux's /proc")
def test_processes_together_count_a_started_child_once():
    (run,) = _bench_modules("run")
    # A parent holding 100 MiB starts a child that holds 10 MiB; before the child starts its program
    # it shows the parent's memory as its own (here for half a second; with Python's vfork, for less).
    child = "b = b'1' * (10 << 20); import time; time.sleep(0.6)"
    parent = (f"import subprocess, sys, time; a = b'1' * (100 << 20); "
              f"subprocess.run([sys.executable, '-c', {child!r}], preexec_fn=lambda: time.sleep(0.5))")
    proc = subprocess.Popen([sys.executable, "-c", parent])
    sampler = run.TreeSampler(proc.pid)
    proc.wait()
    together = sampler.stop()
    assert 110 < together < 110 + 40, together  # both, each once (and two interpreters' own memory)


# ---------------------------------------------------------------------------------------------
# The grid loader reads what openpyxl's read-only mode read


def _openpyxl_grids(path: Path) -> dict[str, list[list[Cell]]]:
    """The loader sheetkpi used before python-calamine, kept here as the reference."""
    from openpyxl import load_workbook

    from sheetkpi.parsing.numbers import is_percent_format

    wb = load_workbook(path, read_only=True, data_only=True)
    grids = {}
    for ws in wb.worksheets:
        ws.reset_dimensions()  # read every row, whatever <dimension> claims
        grid = []
        for row in ws.iter_rows():
            cells = [Cell(getattr(c, "value", None),
                          is_percent_format(getattr(c, "number_format", None)) and isinstance(c.value, (int, float)))
                     for c in row]
            while cells and cells[-1].value in (None, ""):
                cells.pop()
            grid.append(cells)
        while grid and not grid[-1]:
            grid.pop()
        grids[ws.title] = grid
    wb.close()
    return grids


def _same(a, b) -> bool:
    """Equal as the rules read them: integral floats are ints, midnight datetimes are dates, "" is empty."""
    def norm(v):
        if isinstance(v, dt.datetime) and v.time() == dt.time():
            return v.date()
        if isinstance(v, float) and v.is_integer():
            return int(v)
        return None if v == "" else v
    return norm(a.value) == norm(b.value) and a.percent == b.percent


@pytest.mark.parametrize("path", WORKBOOKS, ids=lambda p: p.name)
def test_loader_reads_what_openpyxl_reads(path):
    ours, reference = load_grids(path), _openpyxl_grids(path)
    assert list(ours) == list(reference)
    for name, grid in reference.items():
        mine = ours[name]
        for r in range(max(len(grid), len(mine))):
            row_a = grid[r] if r < len(grid) else []
            row_b = mine[r] if r < len(mine) else []
            for c in range(max(len(row_a), len(row_b))):
                a = row_a[c] if c < len(row_a) else Cell(None)
                b = row_b[c] if c < len(row_b) else Cell(None)
                assert _same(a, b), (name, r + 1, c + 1, a, b)


def test_loader_reads_errors_percentages_and_cells_without_r(tmp_path):
    styles = ('<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              '<numFmts count="1"><numFmt numFmtId="164" formatCode="0.0%"/></numFmts>'
              '<cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="9"/></cellXfs></styleSheet>')
    rows = ('<row r="1"><c r="A1" t="e"><v>#REF!</v></c><c r="B1" s="1"><v>0.8</v></c>'
            '<c r="C1" s="2"><v>1</v></c></row>'
            '<row><c s="2"><v>0.25</v></c><c><v>7</v></c><c t="e"><f>1/0</f><v>#DIV/0!</v></c></row>')
    path = _package(tmp_path / "kinds.xlsx", rows, styles)
    grid = load_grids(path)["S"]
    assert [(c.value, c.percent) for c in grid[0]] == [("#REF!", False), (0.8, True), (1.0, True)]
    assert [(c.value, c.percent) for c in grid[1]] == [(0.25, True), (7.0, False), ("#DIV/0!", False)]


def _package(path: Path, rows: str, styles: str) -> Path:
    main, rel = ("http://schemas.openxmlformats.org/spreadsheetml/2006/main",
                 "http://schemas.openxmlformats.org/officeDocument/2006/relationships")
    sml = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    parts = {
        "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{sml}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{sml}.worksheet+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{sml}.styles+xml"/></Types>',
        "_rels/.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets><sheet name="S" sheetId="1" r:id="rId1"/>'
        '</sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{rel}/styles" Target="styles.xml"/></Relationships>',
        "xl/styles.xml": styles,
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{main}"><sheetData>{rows}</sheetData></worksheet>',
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in parts.items():
            zf.writestr(name, text)
    return path
