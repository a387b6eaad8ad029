"""Helpers shared by tests: paths of the shipped files, running the CLI, LibreOffice headless."""

from __future__ import annotations

import contextlib
import csv
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "nghe-an-2026" / "BangGiaoKPI.xlsx"
TEMPLATE = ROOT / "templates" / "BangGiaoKPI.xlsx"
AS_OF = "2026-06-25"
# The project's shared material (real workbooks, seed plans) sits beside the repository.
SHARED = Path(os.environ.get("SHEETKPI_SHARED") or ROOT.parent / "shared")
CORPUS = Path(os.environ.get("SHEETKPI_CORPUS") or SHARED / "corpus")
SEEDS = SHARED / "seeds"


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m sheetkpi ARGS`` as a user would, capturing its output as text."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8"}
    env.pop("SHEETKPI_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "sheetkpi", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


class Inbox:
    """An aiosmtpd handler that keeps every envelope it accepts."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def smtp_server(**options) -> Iterator[tuple[object, Inbox]]:
    """A real SMTP server (aiosmtpd) on loopback for the block: its controller (``hostname``,
    ``port``) and the inbox of what it accepted. ``options``: aiosmtpd's (an authenticator…)."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), **options)
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


# CSV export filters: comma, double quote, UTF-8, from line 1, …, all sheets (-1).
CSV_SHOWN = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1"  # formatted text
CSV_RAW = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"  # raw values


def soffice() -> str:
    """The LibreOffice binary, or skip (CI installs it)."""
    from sheetkpi.libreoffice import find_soffice

    found = find_soffice()
    if not found:
        pytest.skip("LibreOffice (soffice) is not installed")
    return found


def convert(files: list[Path], target: str, outdir: Path) -> None:
    """Convert files with LibreOffice headless (sheetkpi's own runner, private profile)."""
    from sheetkpi.libreoffice import convert as lo_convert

    soffice()
    lo_convert(list(files), target, outdir, timeout=600)


def read_csv(outdir: Path, workbook: Path, sheet: str) -> list[list[str]]:
    """The grid LibreOffice exported for ``sheet`` of ``workbook``."""
    with open(outdir / f"{workbook.stem}-{sheet}.csv", encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def sheets_as_csv(workbook: Path, outdir: Path) -> dict[str, list[list[str]]]:
    """Every sheet of ``workbook`` as LibreOffice computes and shows it (formatted text), by sheet name."""
    from openpyxl import load_workbook

    names = load_workbook(workbook, read_only=True).sheetnames
    convert([workbook], CSV_SHOWN, outdir)
    return {name: read_csv(outdir, workbook, name) for name in names}


# --- comparing a workbook recalculated by a button (LibreOffice, Excel) with the CLI's result --------------------

OWNED_SHEETS = ("Tổng hợp", "Lịch sử")  # rewritten whole by every recalculation
RUN_LINE = re.compile(r"lúc (\d\d:\d\d) ngày (\d\d/\d\d/\d{4})")  # the run time "Tổng hợp" prints


def normal(value):
    """A value as both paths must agree on it: numbers as rounded floats, "" as empty."""
    if value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return round(float(value), 9)
    return value


def cells(path: Path, *, formulas: bool = False) -> dict[str, dict[tuple[int, int], object]]:
    """Every non-empty cell of every sheet (values as last computed, or formulas), by sheet."""
    from openpyxl import load_workbook

    wb = load_workbook(path, data_only=not formulas)
    return {ws.title: {(c.row, c.column): normal(c.value) for row in ws.iter_rows() for c in row
                       if normal(c.value) is not None} for ws in wb.worksheets}


def engine_owned(workbook: Path, as_of: str) -> dict[str, set[tuple[int, int]]]:
    """The cells a recalculation of ``workbook`` at ``as_of`` writes on its unit tabs (the plan the CLI
    applies); "Tổng hợp" and "Lịch sử", rewritten whole, are compared whole instead."""
    import datetime as dt

    import sheetkpi.api as api

    data = api.load(workbook)
    evaluation = api.evaluate_for_recalc(data, as_of)
    owned: dict[str, set] = {}
    for writes in api.iter_sheet_writes(data, evaluation, dt.datetime(2026, 6, 25)):
        if writes.sheet in OWNED_SHEETS:
            continue
        mine = owned.setdefault(writes.sheet, set())
        mine.update(writes.cells, writes.styled_cells)
        for b in writes.blocks:
            mine.update((b.row + i, b.col + j) for i in range(len(b.rows)) for j in range(b.width))
    return owned


def without_run_time(values: dict) -> dict:
    """A sheet's cells with the run time taken out (two runs are not made in the same minute)."""
    return {k: RUN_LINE.sub("lúc …", v) if isinstance(v, str) else v for k, v in values.items()}


def assert_button_wrote_what_the_cli_writes(button: Path, cli: Path, original: Path, as_of: str) -> None:
    """``button`` (a workbook recalculated by a button and saved) against ``cli`` (the same input
    recalculated by ``sheetkpi recalc`` at ``as_of``) and ``original`` (that input): the same sheets in
    the same order; every engine-owned cell as the CLI's ("Tổng hợp" and "Lịch sử" whole, but the run
    time); every other cell as in the input."""
    ours, theirs, before = cells(button), cells(cli), cells(original)
    owned = engine_owned(original, as_of)
    assert sum(len(c) for c in owned.values()) >= 5 * 32, owned.keys()
    assert list(ours) == list(theirs)  # "Tổng hợp", "Lịch sử" added at the end when missing
    for sheet in ours:
        if sheet in OWNED_SHEETS:
            assert without_run_time(ours[sheet]) == without_run_time(theirs[sheet]), sheet
            continue
        mine = owned.get(sheet, set())
        assert {k: v for k, v in ours[sheet].items() if k in mine} == \
               {k: v for k, v in theirs[sheet].items() if k in mine}, sheet
        assert {k: v for k, v in ours[sheet].items() if k not in mine} == \
               {k: v for k, v in before[sheet].items() if k not in mine}, sheet


def split_rows(monkeypatch) -> list[int]:
    """_segments.MIN_ROWS lowered to 20, slices of 7 rows: a laid-out sheet of 20 rows or more is
    packed in two. Returns how many rows each render left to a segment, as they are left."""
    from sheetkpi.workbook import _segments
    from sheetkpi.workbook.package import Package

    monkeypatch.setattr(_segments, "MIN_ROWS", 20)
    monkeypatch.setattr(_segments, "CHUNK_ROWS", 7)
    left: list[int] = []
    lower = Package._lower_rows
    monkeypatch.setattr(Package, "_lower_rows", lambda self, part, rows, heights: (
        left.append(len(rows)), lower(self, part, rows, heights))[1])
    return left
