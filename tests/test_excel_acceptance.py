"""The Excel button on a real Excel (issue #15): one run on a Windows PC with Excel proves the whole path.

Skipped wherever Microsoft Excel cannot be started through COM (Linux, CI, a PC without Office). Run
it with ``tests/excel_acceptance.ps1`` (or ``python -m pytest -m excel tests/test_excel_acceptance.py``).

What it does, with nothing mocked:
1. points the add-in's xlwings at this Python and this checkout: ``%USERPROFILE%\\.sheetkpi\\sheetkpi.conf``
   gets ``INTERPRETER_WIN`` and ``PYTHONPATH`` for the run (the file the Office's installer writes; an
   existing one is put back afterwards);
2. starts its own Excel, loads ``macros/SheetKPI.xlam`` into it (as Excel loads an installed add-in:
   the VBA project is compiled from source when a macro of it first runs), opens a copy of the example;
3. runs the "Tính lại KPI" button's macro with ``Application.Run`` — the VBA callback, xlwings'
   RunPython, Python, ``sheetkpi.excel.recalculate`` through COM — and reads the message box it shows
   (closing it, as the clerk clicks OK);
4. saves the workbook with Excel, quits the Excel it started, recalculates a second copy with
   ``sheetkpi recalc`` at the same report date, and compares every engine-owned cell (and every cell
   of "Tổng hợp" and "Lịch sử", the run time aside) with the CLI's, and every other cell with the
   original.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import threading
import time
from pathlib import Path

import pytest

from support import EXAMPLE, ROOT, assert_button_wrote_what_the_cli_writes, run_cli

pytestmark = pytest.mark.excel

REPORT_DATE = "2026-06-25"  # the example's "Ngày báo cáo", the date the button recalculates at
ADDIN = ROOT / "macros" / "SheetKPI.xlam"
MACRO = "'SheetKPI.xlam'!RibbonMyAddin.Recalculate"


def excel_app():
    """A new, invisible Excel started through COM, or skip."""
    if sys.platform != "win32":
        pytest.skip("Microsoft Excel runs on Windows only")
    xlwings = pytest.importorskip("xlwings", reason="pip install sheetkpi[excel]")
    try:
        return xlwings.App(visible=False, add_book=False)
    except Exception as exc:  # no Office, or COM refused
        pytest.skip(f"Microsoft Excel cannot be started here: {exc}")


@contextlib.contextmanager
def settings_for_this_checkout():
    """The add-in's settings file naming this Python and this checkout, the Office's own put back after."""
    conf = Path(os.environ["USERPROFILE"]) / ".sheetkpi" / "sheetkpi.conf"
    saved = conf.read_bytes() if conf.exists() else None
    conf.parent.mkdir(parents=True, exist_ok=True)
    # xlwings reads this file in the ANSI code page ("mbcs" in Python).
    conf.write_bytes(f'"INTERPRETER_WIN","{sys.executable}"\r\n"PYTHONPATH","{ROOT}"\r\n'.encode("mbcs"))
    try:
        yield
    finally:
        if saved is None:
            conf.unlink()
        else:
            conf.write_bytes(saved)


class MessageBoxes(threading.Thread):
    """Reads and closes the "SheetKPI" message boxes the run shows (the clerk reading and clicking OK)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.texts: list[str] = []
        self.done = threading.Event()

    def run(self) -> None:
        import win32con
        import win32gui

        while not self.done.is_set():
            box = win32gui.FindWindow("#32770", "SheetKPI")  # a dialog titled SheetKPI
            if box:
                texts: list[str] = []
                win32gui.EnumChildWindows(box, _collect, texts)
                self.texts.append("\n".join(t for t in texts if t and t != "OK"))
                win32gui.PostMessage(box, win32con.WM_CLOSE, 0, 0)
            time.sleep(0.2)


def _collect(child: int, texts: list[str]) -> bool:
    import win32gui

    texts.append(win32gui.GetWindowText(child))
    return True


def test_the_ribbon_button_in_excel_writes_what_the_cli_writes(tmp_path):
    app = excel_app()
    excel_copy, cli_copy = tmp_path / "excel" / "BangGiaoKPI.xlsx", tmp_path / "cli" / "BangGiaoKPI.xlsx"
    for copy in (excel_copy, cli_copy):
        copy.parent.mkdir()
        shutil.copyfile(EXAMPLE, copy)
    boxes = MessageBoxes()
    try:
        with settings_for_this_checkout():
            app.display_alerts = False
            app.api.Workbooks.Open(str(ADDIN))  # loaded as Excel loads an installed add-in
            book = app.books.open(str(excel_copy))
            book.activate()
            boxes.start()
            app.api.Run(MACRO)  # returns when the run (and so its message box) has ended
            book.save()
    finally:
        boxes.done.set()
        app.quit()  # the Excel this test started, and only it
    assert any(text.startswith("Đã tính lại 32 KPI của 5 phòng, đơn vị") for text in boxes.texts), boxes.texts

    run = run_cli("recalc", str(cli_copy), "--as-of", REPORT_DATE, "--no-memo")
    assert run.returncode == 0, run.stderr
    assert_button_wrote_what_the_cli_writes(excel_copy, cli_copy, EXAMPLE, REPORT_DATE)
    # the memo the button writes beside the workbook
    assert sorted(p.suffix for p in excel_copy.parent.glob("BaoCaoKPI-*")) == [".docx", ".html", ".txt"]
