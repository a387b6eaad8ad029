"""Unit tabs read by a second process (sheetkpi.workbook.parallel): the same model as one process
reads, the same refusals in the same workbook order, and every tab read here when the second
process cannot help. Nothing is mocked: the second process is a real `python -m` child.

This process is slowed on its unit tabs (a wrapper that sleeps before handing a grid over) so that
the second process, which starts in about 0.1 s, reads the last tabs of the five-tab example; the
tests check which tabs it read.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from openpyxl import load_workbook

from sheetkpi.errors import FileUnusable
from sheetkpi.reading import read_grids
from sheetkpi.workbook import _segments, parallel
from sheetkpi.workbook.package import Package
from sheetkpi.workbook.reader import load_grids, read_workbook

import badinputs as B
from support import EXAMPLE

UNITS = B.UNIT_SHEETS


class _Slow(Mapping):
    """The grids, each unit tab handed over after ``seconds``."""

    def __init__(self, grids, seconds: float, asked: list[str] | None = None) -> None:
        self._grids, self._seconds, self._asked = grids, seconds, asked

    def __getitem__(self, name):
        if self._asked is not None:
            self._asked.append(name)
        if name in UNITS:
            time.sleep(self._seconds)
        return self._grids[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._grids)

    def __len__(self) -> int:
        return len(self._grids)

    def __contains__(self, name) -> bool:
        return name in self._grids


def _read_shared(path: Path, seconds: float = 0.6, asked: list[str] | None = None):
    """The workbook read with the second process, this one slowed (``asked``: the sheets this
    process was asked for, in order)."""
    with load_grids(path) as grids:
        slow = _Slow(grids, seconds, asked)
        return read_grids(slow, path, read_tabs=parallel.TwoProcessReader(path, grids))


def _same(a, b) -> None:
    assert repr(a.tracker) == repr(b.tracker)
    assert repr(a.units) == repr(b.units)
    assert repr(a.history) == repr(b.history)
    assert [u.sheet for u in a.tracker.units] == [u.sheet for u in b.tracker.units]


def test_the_second_process_reads_the_last_tabs_and_the_model_is_the_same(tmp_path):
    path = B.copy_example(tmp_path)
    alone = read_workbook(path, two_processes=False)
    asked: list[str] = []
    _same(_read_shared(path, asked=asked), alone)
    read_here = [name for name in asked if name in UNITS]
    assert read_here and UNITS[-1] not in read_here, read_here  # the last tab: the other process's
    assert read_here == list(UNITS[: len(read_here)])  # this one from the first tab on


def test_a_year_of_history_and_a_changed_layout_read_the_same(tmp_path):
    """A workbook after a recalc (a "Lịch sử", a "Tổng hợp") with KPIs under the total row and a
    percentage-formatted progress column, read both ways."""
    from sheetkpi import api

    path = B.copy_example(tmp_path)
    api.recalc(path, as_of="2026-05-25", memo=False)
    api.recalc(path, as_of="2026-06-25", memo=False)
    _same(_read_shared(path), read_workbook(path, two_processes=False))


def test_keys_read_by_the_second_process_are_held_once_with_the_history(tmp_path):
    """"Lịch sử" keys its rows by the KPI codes (by the title, for a KPI without one): such a text
    read by the second process is the history's own once it is here, not a second copy."""
    from sheetkpi import api

    path = B.set_cell_xml(B.copy_example(tmp_path), UNITS[-1], {"B5": (None, "")})  # its first KPI: no code
    api.recalc(path, as_of="2026-05-25", memo=False)
    asked: list[str] = []
    data = _read_shared(path, asked=asked)
    assert UNITS[-1] not in asked  # read by the second process
    keys = {(unit, text): text for unit, text, _ in data.tracker.history}
    theirs = next(u for u in data.tracker.units if u.sheet == UNITS[-1]).kpis
    assert len(theirs) > 1 and not theirs[0].code and all(k.code for k in theirs[1:])
    for kpi in theirs:
        text = kpi.code or kpi.title
        assert text is keys[(kpi.unit, text)], text


def test_texts_typed_with_invisible_characters_read_the_same_everywhere(tmp_path):
    """A text with a zero-width space between a letter and its accent, then the same text typed
    decomposed (a Mac) on a tab the second process reads: each reads as its clean form, "Nghị"."""
    path = B.copy_example(tmp_path)
    B.set_cell_xml(path, UNITS[0], {"D5": B.text_cell("Nghi\u200b\u0323 quyết")})
    B.set_cell_xml(path, UNITS[-1], {"D5": B.text_cell("Nghi\u0323 quyết")})
    asked: list[str] = []
    shared = _read_shared(path, asked=asked)
    assert UNITS[-1] not in asked  # read by the second process
    alone = read_workbook(path, two_processes=False)
    _same(shared, alone)
    for data in (shared, alone):
        outputs = {u.sheet: u.kpis[0].output for u in data.tracker.units}
        assert outputs[UNITS[0]] == outputs[UNITS[-1]] == "Nghị quyết"


def test_the_second_process_runs_this_sheetkpi_whatever_folder_it_starts_in(tmp_path, monkeypatch):
    """Run from a folder holding another "sheetkpi" (a checkout of another version): the second
    process imports this one, not that one (which fails on import here)."""
    path = B.copy_example(tmp_path)
    alone = read_workbook(path, two_processes=False)
    other = tmp_path / "checkout" / "sheetkpi"
    (other / "workbook").mkdir(parents=True)
    (other / "__init__.py").write_text("raise ImportError('another sheetkpi')\n")
    (other / "workbook" / "__init__.py").write_text("")
    monkeypatch.chdir(other.parent)
    asked: list[str] = []
    _same(_read_shared(path, asked=asked), alone)
    assert UNITS[-1] not in asked  # the second process read it: it started, with this sheetkpi


def test_a_second_process_that_would_import_another_sheetkpi_ends_at_once(tmp_path, monkeypatch):
    """This process's path leads the child to another sheetkpi first (one that imports fine): the
    child ends before reading (its tabs are then read here) instead of running other code."""
    other = tmp_path / "elsewhere" / "sheetkpi"
    (other / "workbook").mkdir(parents=True)
    (other / "__init__.py").write_text("")
    (other / "workbook" / "__init__.py").write_text("")
    (other / "workbook" / "parallel.py").write_text("def serve():\n    raise SystemExit(5)\n")
    monkeypatch.setattr(sys, "path", [str(other.parent), *sys.path])
    done = subprocess.run(parallel._child_command(), input=b"", capture_output=True, timeout=60)
    assert done.returncode == 3, done.stderr
    monkeypatch.undo()
    done = subprocess.run(parallel._child_command(), input=b"", capture_output=True, timeout=60)
    assert done.returncode != 3  # this sheetkpi: it starts serving (and stops at the end of its input)


@pytest.mark.parametrize("make, code", [
    (lambda folder: _broken(folder, UNITS[-1]), "corrupt"),
    (lambda folder: _far(folder, UNITS[-1]), "far-cell"),
])
def test_a_damaged_tab_read_by_the_second_process_is_refused_as_when_read_here(tmp_path, make, code):
    path = make(tmp_path)
    with pytest.raises(FileUnusable) as alone:
        read_workbook(path, two_processes=False)
    with pytest.raises(FileUnusable) as shared:
        _read_shared(path)
    assert alone.value.code == shared.value.code == code
    assert shared.value.message == alone.value.message and UNITS[-1] in shared.value.message


def test_the_first_damaged_tab_in_workbook_order_is_told(tmp_path):
    """The first tab is damaged (read here) and the last too (read by the other): the first is told."""
    path = _broken(tmp_path, UNITS[0])
    path = _broken_in_place(path, UNITS[-1])
    with pytest.raises(FileUnusable) as shared:
        _read_shared(path)
    assert f"'{UNITS[0]}'" in shared.value.message


@pytest.mark.parametrize("executable", ["/bin/false", "/nonexistent/python3"])
def test_without_a_second_process_every_tab_is_read_here(tmp_path, monkeypatch, executable):
    """The second process ends at once (or cannot start): nothing is lost, nothing read twice."""
    path = B.copy_example(tmp_path)
    alone = read_workbook(path, two_processes=False)
    monkeypatch.setattr(parallel.sys, "executable", executable)
    _same(_read_shared(path, seconds=0.05), alone)


def test_when_two_processes_are_worth_it(tmp_path, monkeypatch):
    package = Package.open(EXAMPLE)
    sizes = package.sheet_sizes()
    units = sum(sizes[name] for name in UNITS)
    assert 0 < units < parallel.MIN_SHEET_BYTES  # the example: one process
    monkeypatch.delenv(parallel.ENV, raising=False)
    monkeypatch.setattr(parallel, "MIN_SHEET_BYTES", units)  # "Cấu hình", "Hướng dẫn"… do not count
    monkeypatch.setattr(parallel.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    assert parallel.worth_it(package)
    monkeypatch.setattr(parallel, "MIN_SHEET_BYTES", units + 1)
    assert not parallel.worth_it(package)
    monkeypatch.setenv(parallel.ENV, "2")
    assert parallel.worth_it(package)
    monkeypatch.setattr(parallel.sys, "executable", "/opt/libreoffice/program/soffice.bin")  # embedded
    assert not parallel.worth_it(package)
    monkeypatch.setattr(parallel.sys, "executable", sys.executable)
    monkeypatch.setenv(parallel.ENV, "1")
    monkeypatch.setattr(parallel, "MIN_SHEET_BYTES", 0)
    assert not parallel.worth_it(package)
    monkeypatch.delenv(parallel.ENV)
    monkeypatch.setattr(parallel.os, "sched_getaffinity", lambda pid: {0}, raising=False)
    assert not parallel.worth_it(package)


def test_the_command_gives_the_same_workbook_with_two_processes(tmp_path):
    """`sheetkpi check --json` and `recalc` through the CLI, with SHEETKPI_PROCESSES=2 and =1."""
    results = {}
    for processes in ("1", "2"):
        folder = tmp_path / processes
        folder.mkdir()
        path = B.copy_example(folder)
        env = {**os.environ, parallel.ENV: processes}
        check = subprocess.run([sys.executable, "-m", "sheetkpi", "check", str(path), "--as-of", "2026-06-25",
                                "--json"], capture_output=True, text=True, env=env)
        recalc = subprocess.run([sys.executable, "-m", "sheetkpi", "recalc", str(path), "--as-of", "2026-06-25",
                                 "--no-memo"], capture_output=True, text=True, env=env)
        assert recalc.returncode == 0, recalc.stderr
        book = load_workbook(path)
        cells = {(ws.title, c.coordinate): c.value for ws in book for row in ws.iter_rows() for c in row
                 if c.value is not None and not (isinstance(c.value, str) and " lúc " in c.value)}
        results[processes] = (json.loads(check.stdout), cells)
    assert results["1"][0] == results["2"][0]
    assert results["1"][1] == results["2"][1]
    assert len(results["2"][1]) > 500


def _broken(folder: Path, sheet: str) -> Path:
    return _broken_in_place(B.copy_example(folder), sheet)


def _broken_in_place(path: Path, sheet: str) -> Path:
    """``sheet`` cut off in the middle of a row (a half-written file)."""
    part = B.sheet_part(path, sheet)
    xml = B.read_part(path, part)
    cut = xml.index(b"<row ", xml.index(b"<sheetData") + 200)
    return B.rewrite_parts(path, {part: xml[: cut + 12]})


def _far(folder: Path, sheet: str) -> Path:
    from lxml import etree

    def edit(root):
        data = root.find(f"{{{B.MAIN}}}sheetData")
        row = etree.SubElement(data, f"{{{B.MAIN}}}row", r="1048576")
        cell = etree.SubElement(row, f"{{{B.MAIN}}}c", r="XFD1048576", t="inlineStr")
        etree.SubElement(etree.SubElement(cell, f"{{{B.MAIN}}}is"), f"{{{B.MAIN}}}t").text = "x"

    return B.edit_sheet(B.copy_example(folder), sheet, edit)


# ---------------------------------------------------------------------------------------------
# Unit tabs rendered by a second process (parallel.SheetRenderer): the same workbook


RUN_AT = dt.datetime(2026, 7, 26, 8, 30)


def _recalc(path: Path, as_of: str) -> dict[str, bytes]:
    """``path`` recalculated through the file book (the run's time fixed), saved; its parts."""
    from sheetkpi import api
    from sheetkpi.workbook.book import FileBook

    package = Package.open(path)
    api.recalculate(FileBook(path, package), as_of, run_at=RUN_AT)
    package.save(path)
    with zipfile.ZipFile(path) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


@pytest.fixture
def renders(monkeypatch):
    """What each SheetRenderer gave back: [(sheet, rendered there?)] per run."""
    seen: list[list[tuple[str, bool]]] = []
    finish = parallel.SheetRenderer.finish

    def spy(self):
        out = finish(self)
        seen.append([(name, rendered is not None) for name, _, rendered in out])
        return out

    monkeypatch.setattr(parallel.SheetRenderer, "finish", spy)
    return seen


def test_unit_tabs_rendered_by_the_second_process_give_the_same_workbook(tmp_path, monkeypatch, renders):
    """Two monthly runs of the example, with SHEETKPI_PROCESSES=2 and =1: every part the same bytes."""
    parts = {}
    for processes in ("1", "2"):
        monkeypatch.setenv(parallel.ENV, processes)
        path = B.copy_example(tmp_path / processes)
        _recalc(path, "2026-06-25")
        parts[processes] = _recalc(path, "2026-07-25")
    assert list(parts["1"]) == list(parts["2"])
    assert [name for name in parts["1"] if parts["1"][name] != parts["2"][name]] == []
    # The example's five tabs are fewer than the second process may have in hand (parallel.AHEAD):
    # each went there, and it rendered each of them.
    assert renders == [[(unit, True) for unit in ("KHĐT", "XDMT", "DNLĐ", "VP", "BQLDA")]] * 2


def test_tabs_rendered_there_wait_with_the_packages_parts_and_give_the_same_workbook(tmp_path, monkeypatch):
    """The tabs the second process sends back wait where the package keeps its own packed parts
    until they are adopted (Package.keep_rendered), not in this process's memory: here, with no
    room in memory, every one in the spool's temporary file. The same bytes as rendered here."""
    from sheetkpi.workbook import _zip

    kept = []
    keep = Package.keep_rendered
    monkeypatch.setattr(Package, "keep_rendered", lambda self, packed: kept.append(keep(self, packed)) or kept[-1])
    parts = {}
    for processes, memory in (("1", _zip.SPOOL_MEMORY), ("2", 0)):
        monkeypatch.setenv(parallel.ENV, processes)
        monkeypatch.setattr(_zip, "SPOOL_MEMORY", memory)
        path = B.copy_example(tmp_path / processes)
        _recalc(path, "2026-06-25")
        parts[processes] = _recalc(path, "2026-07-25")
    assert list(parts["1"]) == list(parts["2"])
    assert [name for name in parts["1"] if parts["1"][name] != parts["2"][name]] == []
    assert len(kept) == 10 and all(isinstance(k, _zip.Kept) for k in kept)  # five tabs, two runs


def test_history_is_written_here_while_the_second_process_renders_the_first_tabs(tmp_path, monkeypatch):
    """"Lịch sử", planned before the units, is held back until parallel.LEAD of the unit tabs are
    sent, then written here (the second process is not idle meanwhile), and "Tổng hợp" after the
    last tab; the same bytes as one process writes (see the test above)."""
    from sheetkpi.workbook import apply

    events: list[tuple[str, str]] = []
    submit, apply_sheet = parallel.SheetRenderer.submit, apply.apply_sheet
    monkeypatch.setattr(parallel.SheetRenderer, "submit", lambda self, sheet, *a: (
        events.append(("there", sheet.sheet)), submit(self, sheet, *a))[1])
    monkeypatch.setattr(apply, "apply_sheet", lambda pkg, sheet, *a, **k: (
        events.append(("here", sheet.sheet)), apply_sheet(pkg, sheet, *a, **k))[1])
    monkeypatch.setenv(parallel.ENV, "2")
    _recalc(B.copy_example(tmp_path), "2026-06-25")
    # Five unit tabs: "Lịch sử" after the second (0.3 × 5 = 1.5 tabs), no later.
    assert 0 < parallel.LEAD * 5 <= 2
    assert events == [("there", "KHĐT"), ("there", "XDMT"), ("here", "Lịch sử"), ("there", "DNLĐ"), ("there", "VP"),
                     ("there", "BQLDA"), ("here", "Tổng hợp")]


def test_a_sheet_held_back_is_written_here_as_soon_as_anything_else_is(tmp_path):
    """Held back only when nothing it writes may add a date format at its render (a date without a
    style); released by a unit tab the second process does not take, or by a sheet after the
    units, which also ends the second process as ever (never alive while "Tổng hợp" is written:
    only the lean one that packs its lower rows is, see the tests below)."""
    from sheetkpi.writes import Block, SheetWrites

    path = B.copy_example(tmp_path)
    for after, ended in ((SheetWrites(sheet="KHĐT", create=True), False), (SheetWrites(sheet="Tổng hợp"), True)):
        renderer = parallel.SheetRenderer(path, {"KHĐT", "XDMT"})
        try:
            dated = SheetWrites(sheet="Lịch sử", cells={(3, 5): dt.date(2026, 6, 25)})
            in_block = SheetWrites(sheet="Lịch sử", blocks=[Block(3, 2, [[dt.date(2026, 6, 25)]], [None])])
            assert not renderer.holds_back(dated) and not renderer.holds_back(in_block)
            assert renderer.holds_back(SheetWrites(sheet="Lịch sử", styled_cells={(3, 5): (50.0, "history")}))
            if ended:
                renderer._seen = 1  # (as after the unit tabs)
            assert not renderer.takes(after)
            assert not renderer._holding and renderer._ended is ended
        finally:
            renderer.close()


def test_a_tab_needing_a_format_the_first_process_lacks_is_rendered_there(tmp_path, monkeypatch, renders):
    """XDMT's "Hạn xác định" cells lost their date format: the date written there needs one the
    workbook does not have yet. The second process hands the tab back; the workbook reads the same
    (the added format comes later in styles.xml than when one process renders every tab)."""
    def unstyled(root):
        for c in root.iter(f"{{{B.MAIN}}}c"):
            if c.get("r", "").startswith("P") and c.get("r") != "P4":
                c.attrib.pop("s", None)

    books = {}
    for processes in ("1", "2"):
        monkeypatch.setenv(parallel.ENV, processes)
        path = B.edit_sheet(B.copy_example(tmp_path / processes), "XDMT", unstyled)
        _recalc(path, "2026-06-25")
        books[processes] = load_workbook(path)
    assert ("XDMT", False) in renders[0] and ("VP", True) in renders[0]
    for ws in books["1"]:
        other = books["2"][ws.title]
        for row in ws.iter_rows():
            for cell in row:
                twin = other[cell.coordinate]
                assert (cell.value, cell.number_format) == (twin.value, twin.number_format), (ws.title, cell.coordinate)
    assert books["2"]["XDMT"]["P5"].number_format == "dd/mm/yyyy"


def test_without_a_second_process_every_tab_is_rendered_here(tmp_path, monkeypatch):
    """The second process ends at once: every tab sent to it is rendered here, the same bytes."""
    command = parallel._child_command
    monkeypatch.setattr(parallel, "_child_command", lambda serving="serve": (
        [sys.executable, "-c", "pass"] if serving == "serve_renders" else command(serving)))
    parts = {}
    for processes in ("1", "2"):
        monkeypatch.setenv(parallel.ENV, processes)
        parts[processes] = _recalc(B.copy_example(tmp_path / processes), "2026-06-25")
    assert parts["1"] == parts["2"]


def test_a_damaged_history_read_here_while_the_second_process_reads_tabs_is_told_and_it_ends(tmp_path, monkeypatch):
    """"Lịch sử" is read here once the second process has started on the tabs: its damage is told as
    when everything is read here, and the second process is ended."""
    path = _broken(tmp_path, "Lịch sử")
    with pytest.raises(FileUnusable) as alone:
        read_workbook(path, two_processes=False)
    started = []
    start = parallel._start
    monkeypatch.setattr(parallel, "_start", lambda *args: started.append(start(*args)) or started[-1])
    with pytest.raises(FileUnusable) as shared:
        read_workbook(path, two_processes=True)
    assert shared.value.code == alone.value.code and shared.value.message == alone.value.message
    assert "Lịch sử" in shared.value.message
    assert started and all(child is not None and child.poll() is not None for child in started)


# ---------------------------------------------------------------------------------------------
# "Tổng hợp"'s lower rows packed by a process of their own (SheetRenderer.segments)


def _raw(path: Path) -> dict[str, bytes]:
    """Each member's bytes as stored (compressed), with its CRC and sizes."""
    from sheetkpi.workbook._zip import data_offset

    with zipfile.ZipFile(path) as zf, open(path, "rb") as fh:
        out = {}
        for info in zf.infolist():
            fh.seek(data_offset(fh, info))
            out[info.filename] = (info.CRC, info.file_size, fh.read(info.compress_size))
        return out


@pytest.fixture
def split_summary(monkeypatch):
    """"Tổng hợp" of the example (60-odd rows) packed in two, its lower rows sent three at a time;
    returns the processes started, how often the second process asked for the rows to be packed
    elsewhere, and how often the rows were packed here while there were two processes."""

    monkeypatch.setattr(_segments, "MIN_ROWS", 20)
    monkeypatch.setattr(_segments, "CHUNK_ROWS", 3)
    seen = {"started": [], "here": 0, "asked": 0}
    start, pack, segments = parallel._start, _segments.pack_rows, parallel.SheetRenderer.segments
    monkeypatch.setattr(parallel, "_start", lambda serving, *a: seen["started"].append(serving) or start(serving, *a))

    def packed_here(*args):
        seen["here"] += os.environ.get(parallel.ENV) == "2"
        return pack(*args)
    monkeypatch.setattr(_segments, "pack_rows", packed_here)

    def asked(self, *args):
        seen["asked"] += 1
        return segments(self, *args)
    monkeypatch.setattr(parallel.SheetRenderer, "segments", asked)
    return seen


def test_summary_rows_packed_by_a_process_of_their_own_give_the_same_bytes(tmp_path, monkeypatch, split_summary):
    """Two months of the example with one process and with two: every member the same bytes as
    stored, "Tổng hợp" packed in two by both (it differs from a whole one), its lower rows by the
    third process in the second case; LibreOffice reads the sheet whole."""

    import support

    books = {}
    for processes in ("1", "2"):
        monkeypatch.setenv(parallel.ENV, processes)
        books[processes] = path = B.copy_example(tmp_path / processes)
        _recalc(path, "2026-06-25")
        _recalc(path, "2026-07-25")
    # Asked twice (the two months with two processes), packed there each time.
    assert split_summary["started"].count("serve_segments") == 2
    assert (split_summary["asked"], split_summary["here"]) == (2, 0)
    assert _raw(books["1"]) == _raw(books["2"])
    monkeypatch.setattr(_segments, "MIN_ROWS", 10**9)
    whole = B.copy_example(tmp_path / "whole")
    _recalc(whole, "2026-06-25")
    _recalc(whole, "2026-07-25")
    with zipfile.ZipFile(whole) as a, zipfile.ZipFile(books["2"]) as b:
        assert a.namelist() == b.namelist() and all(a.read(n) == b.read(n) for n in a.namelist())  # the same XML
        summary = next(n for n in a.namelist() if "DANH SÁCH KPI".encode() in a.read(n))
    assert _raw(whole)[summary] != _raw(books["2"])[summary]  # packed in two, not whole
    shown = support.sheets_as_csv(books["2"], tmp_path / "csv")["Tổng hợp"]
    sheet = load_workbook(books["2"])["Tổng hợp"]
    assert sheet.max_row > 20 and len(shown) >= sheet.max_row
    last = [c.value for c in sheet[sheet.max_row] if c.value is not None]
    assert last and [v for v in shown[sheet.max_row - 1] if v][: 1] == [str(last[0])]


def _stored_by_one_and_two(tmp_path: Path, monkeypatch) -> dict[str, dict]:
    """The example recalculated with one process and with two: each file's members as stored."""
    raw = {}
    for processes in ("1", "2"):
        monkeypatch.setenv(parallel.ENV, processes)
        path = B.copy_example(tmp_path / processes)
        _recalc(path, "2026-06-25")
        raw[processes] = _raw(path)
    return raw


@pytest.mark.parametrize("packer", ["pass", "answers-none", "cut-off", "stuck", "deaf"])
def test_rows_a_process_could_not_pack_are_packed_here(tmp_path, monkeypatch, split_summary, packer):
    """The process that packs the lower rows ends at once, answers that it could not, stops getting
    them midway (its pipe failing while it waits for the rest), takes them all and never answers,
    or never reads them: they are packed here, the same bytes as one process writes, and nothing
    waits for ever (a stuck one is given up parallel.SEGMENT_WAIT after the ask, and killed)."""
    reads = ("import sys, time\nfrom sheetkpi.workbook._pipes import answers, receive, send\n"
             "asks, out = sys.stdin.buffer, answers()\n"
             "while (message := receive(asks)) is not None:\n")
    script = {"pass": "pass", "answers-none": reads + "    if message[0] == 'end': send(out, None)\n",
              "stuck": reads + "    if message[0] == 'end': time.sleep(600)\n",
              "deaf": "import time\ntime.sleep(600)", "cut-off": None}[packer]
    monkeypatch.setattr(parallel, "SEGMENT_WAIT", 2.0)
    started = []
    start = parallel._start
    monkeypatch.setattr(parallel, "_start", lambda serving, *a: started.append(child := start(serving, *a)) or child)
    command = parallel._child_command
    monkeypatch.setattr(parallel, "_child_command", lambda serving="serve": (
        [sys.executable, "-c", script] if serving == "serve_segments" and packer != "cut-off" else command(serving)))
    if packer == "deaf":  # (more than its pipe holds comes first: the sending itself is stuck)
        tell = parallel._tell
        monkeypatch.setattr(parallel, "_tell", lambda child, message: (
            message[:1] != ("start",) or tell(child, ("pad", b"x" * (4 << 20)))) and tell(child, message))
    if packer == "cut-off":
        tell, told = parallel._tell, []

        def cut(child, message):
            if isinstance(message, tuple) and message[:1] == ("rows",):
                told.append(message)
                if len(told) >= 2:
                    return False  # its pipe fails at the second slice: it waits for the rest
            return tell(child, message)
        monkeypatch.setattr(parallel, "_tell", cut)
    raw = _stored_by_one_and_two(tmp_path, monkeypatch)
    assert split_summary["started"].count("serve_segments") == 1 and split_summary["here"] == 1
    assert raw["1"] == raw["2"]
    assert started and all(child is None or child.poll() is not None for child in started)
    if packer == "cut-off":
        assert len(told) == 2


def test_a_run_failing_while_rows_are_packed_elsewhere_leaves_no_process(tmp_path, monkeypatch, split_summary):
    """The upper rows' render fails after the lower rows were asked of the third process: the run
    fails as it would with one, the file is untouched, and every process it started has ended."""
    started = []
    start = parallel._start
    monkeypatch.setattr(parallel, "_start", lambda serving, *a: started.append(child := start(serving, *a)) or child)
    lower = Package._lower_rows

    def fails(self, *args):
        lower(self, *args)  # asked: its rows are on their way there
        raise RuntimeError("the upper rows failed")
    monkeypatch.setattr(Package, "_lower_rows", fails)
    monkeypatch.setenv(parallel.ENV, "2")
    path = B.copy_example(tmp_path)
    before = path.read_bytes()
    with pytest.raises(RuntimeError):
        _recalc(path, "2026-06-25")
    assert split_summary["asked"] == 1 and "serve_segments" in split_summary["started"]
    assert started and all(child is None or child.poll() is not None for child in started)
    assert path.read_bytes() == before


def test_without_a_thread_to_send_them_the_rows_are_packed_here(tmp_path, monkeypatch, split_summary):
    """No thread to be had for sending the lower rows: they are packed here, the same bytes, and the
    process started for them has ended."""
    import threading

    started = []
    start, thread_start = parallel._start, threading.Thread.start
    monkeypatch.setattr(parallel, "_start", lambda serving, *a: started.append(child := start(serving, *a)) or child)

    def refuse(self):
        if self.name == "sheetkpi-segment-send":
            raise RuntimeError("can't start new thread")
        return thread_start(self)
    monkeypatch.setattr(threading.Thread, "start", refuse)
    raw = _stored_by_one_and_two(tmp_path, monkeypatch)
    assert (split_summary["asked"], split_summary["here"]) == (1, 1) and raw["1"] == raw["2"]
    assert "serve_segments" in split_summary["started"] and all(c is None or c.poll() is not None for c in started)


def test_the_last_unit_tabs_all_go_to_the_second_process(tmp_path):
    """Once parallel.TAIL of the unit tabs is left, each goes to the second process however many it
    has in hand (it renders them while "Tổng hợp" is planned here); before, only while it has fewer
    than parallel.AHEAD."""
    from sheetkpi.writes import SheetWrites

    names = [f"ĐV{i:03}" for i in range(25)]
    renderer = parallel.SheetRenderer(B.copy_example(tmp_path), set(names))
    try:
        renderer._sent = {f"đang vẽ {i}": b"" for i in range(parallel.AHEAD)}  # as many as it may have in hand
        taken = [renderer.takes(SheetWrites(sheet=name)) for name in names]
    finally:
        renderer.close()
    last = sum(1 for seen in range(1, 26) if seen > (1 - parallel.TAIL) * 25)
    assert last == 3 and taken == [False] * 22 + [True] * 3
