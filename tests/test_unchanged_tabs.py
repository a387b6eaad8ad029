"""A unit tab whose engine cells already hold what a recalculation would write is left as it is;
so is "Lịch sử" when the report date's figures are all there already.

The Office clicks "Tính lại" several times on a report day, between departments' updates; a tab
nobody touched since the last click is not rendered again (at 100,000 KPIs that was most of a
rerun's writing). Kept means byte for byte: the zip member's compressed bytes are the input's.
What must still be written is: a row that has to grow for a longer text, a formula typed over an
engine cell (a value written over it removes it), an engine cell changed by hand, a progress
updated (and its figure in "Lịch sử"). The edits are made in LibreOffice (tests/keep_edits.py);
the expected figures are written by hand from the example.
"""

from __future__ import annotations

import datetime as dt
import shutil
import struct
import zipfile
from pathlib import Path

import keep_edits
import pytest
from openpyxl import load_workbook

from sheetkpi.layout import engine_digest
from sheetkpi.workbook import _sheetxml
from sheetkpi.workbook._values import Values

from badinputs import sheet_part
from lo_uno import require_uno
from support import AS_OF, EXAMPLE, run_cli, soffice

UNITS = ("KHĐT", "XDMT", "DNLĐ", "VP", "BQLDA")


def raw_member(path: Path, part: str) -> bytes:
    """A zip member's bytes as stored (compressed), not inflated."""
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(part)
    with open(path, "rb") as fh:
        fh.seek(info.header_offset)
        head = fh.read(30)
        name_len, extra_len = struct.unpack("<HH", head[26:30])
        fh.seek(info.header_offset + 30 + name_len + extra_len)
        return fh.read(info.compress_size)


def members(path: Path) -> dict[str, bytes]:
    return {name: raw_member(path, sheet_part(path, name)) for name in (*UNITS, "Lịch sử")}


def recalc(book: Path) -> None:
    proc = run_cli("recalc", str(book), "--as-of", AS_OF, "--no-memo")
    assert proc.returncode == 0, proc.stderr


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    require_uno()
    soffice()
    root = tmp_path_factory.mktemp("keep")
    book = root / "BangGiaoKPI.xlsx"
    shutil.copyfile(EXAMPLE, book)
    recalc(book)
    first = shutil.copyfile(book, root / "first.xlsx")
    recalc(book)  # clicked again, nothing typed
    again = shutil.copyfile(book, root / "again.xlsx")
    keep_edits.edit(book)
    edited = shutil.copyfile(book, root / "edited.xlsx")
    recalc(book)
    after = shutil.copyfile(book, root / "after.xlsx")
    recalc(book)  # and clicked again
    return first, again, edited, after, book


def test_a_second_click_leaves_every_unit_tab_and_the_history_as_they_were(runs):
    first, again, *_ = runs
    assert members(again) == members(first)


def test_a_tab_libreoffice_saved_is_written_once_then_kept(runs):
    _, _, edited, after, last = runs
    # LibreOffice keeps texts as shared strings: the status of every row is written again once,
    # as sheetkpi writes it (an inline string), the same words; the click after changes nothing.
    assert members(after)["KHĐT"] != members(edited)["KHĐT"]
    assert members(last) == members(after)
    khdt = load_workbook(after)["KHĐT"]
    # KHĐT-01: its result as typed; 20 × 90 % = 18 points, due 30/06/2026, in progress.
    assert khdt["I5"].value == keep_edits.KHDT_RESULT
    assert (khdt["R5"].value, khdt["S5"].value) == (18, "Đang thực hiện")


def test_what_must_change_is_written(runs):
    _, _, edited, after, _ = runs
    before, now = members(edited), members(after)
    assert all(now[name] != before[name] for name in ("XDMT", "DNLĐ", "VP", "BQLDA", "Lịch sử"))
    wb = load_workbook(after)
    # XDMT-04's long result: its row grows to the most a row can be (409 pt); its figures stay
    # (weight 20 × 35 % = 7 points, in progress).
    xdmt = wb["XDMT"]
    assert xdmt.row_dimensions[8].height == 409
    assert xdmt["I8"].value == keep_edits.XDMT_RESULT
    assert (xdmt["Q8"].value, xdmt["R8"].value, xdmt["S8"].value) == (35, 7, "Đang thực hiện")
    # DNLĐ-01: the formula over its score is replaced by the figure (weight 20 × 55 % = 11 points).
    assert wb["DNLĐ"]["R5"].value == 11
    # VP-01 (50 %, due 31/12/2026) is not done: its status is written back.
    assert wb["VP"]["S5"].value == "Đang thực hiện"
    # BQLDA-01 at 45 %: 25 × 45 % = 11.25 points, and 45 in "Lịch sử" for 25/06/2026 (F31; 22 on 25/05).
    assert wb["BQLDA"]["R5"].value == 11.25
    history = wb["Lịch sử"]
    assert [history[f"{c}31"].value for c in "BEF"] == ["BQLDA-01", 22, 45]


def test_engine_digest_tells_what_a_reader_would_see():
    day = dt.date(2026, 6, 30)
    assert engine_digest([day, 80, 16, "Quá hạn", None]) == engine_digest([day, 80.0, 16.0, "Quá hạn", None])
    assert engine_digest([True]) != engine_digest([1.0])  # TRUE typed is no 1
    assert engine_digest([46203.0]) != engine_digest([day])  # a serial number is no date
    assert engine_digest(["5"]) != engine_digest([5.0])
    assert engine_digest([None, "a"]) != engine_digest(["a", None])


def test_a_tab_with_an_empty_status_is_written_without_its_cells_hashed(tmp_path):
    # A run writes a status on every KPI row: a tab with one empty (never recalculated, a row added
    # since) cannot be as a run leaves it, and is read without a fingerprint; the others keep
    # theirs, and the run writes the status back (the example at 25/06: KHĐT-01 is "Đang thực hiện").
    from sheetkpi import api

    book = tmp_path / "b.xlsx"
    shutil.copyfile(EXAMPLE, book)
    recalc(book)
    where = api.load(book).units["KHĐT"]
    row, col = where.kpi_rows[0], where.columns["status"]
    wb = load_workbook(book)
    assert wb["KHĐT"].cell(row, col).value == "Đang thực hiện" and wb["KHĐT"].cell(row, 2).value == "KHĐT-01"
    wb["KHĐT"].cell(row, col).value = None
    wb.save(book)
    layouts = api.load(book).units
    assert layouts["KHĐT"].engine_digest is None and all(layouts[u].engine_digest for u in UNITS[1:])
    recalc(book)
    assert load_workbook(book)["KHĐT"].cell(row, col).value == "Đang thực hiện"
    assert api.load(book).units["KHĐT"].engine_digest is not None


ROWS = (b'<row r="1" ht="30" customHeight="1"><c r="A1"><v>1</v></c><c r="B1"><f>A1*2</f><v>2</v></c></row>'
        b'<row r="2"><c r="A2" t="inlineStr"><is><t>f&gt; of</t></is></c><c r="B2" s="3"/></row>')
SHEET = (b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
         b"<sheetData>%s</sheetData><conditionalFormatting sqref=\"A1\"><cfRule type=\"expression\" priority=\"1\">"
         b"<formula>A1&gt;0</formula></cfRule></conditionalFormatting></worksheet>")
ANY = _sheetxml.ANY_STYLE
ONE, TEXT = {(1, 1): (1.0, ANY)}, {(2, 1): ("f> of", ANY)}
PREFIXED = b'<x:f xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">A1*2</x:f>'


@pytest.mark.parametrize(("cells", "heights", "xml", "kept"), [
    ({**ONE, **TEXT}, {1: 30.0}, ROWS, True),  # B1's formula is not written; 30 pt is enough
    ({(1, 2): (2.0, ANY)}, {}, ROWS, False),  # a value over B1 would remove its formula
    (ONE, {1: 45.0}, ROWS, False),  # row 1 must grow
    (TEXT, {2: 15.5}, ROWS, False),  # row 2 has no height of its own
    (ONE, {}, ROWS.replace(b"<v>1</v>", b"<!-- <f> --><v>1</v>"), False),  # a comment: not sure
    ({(1, 2): (2.0, ANY)}, {}, ROWS.replace(b"<f>A1*2</f>", PREFIXED), False),  # a formula with a prefix
    (ONE, {}, ROWS.replace(b"<f>A1*2</f>", PREFIXED), True),
    ({(2, 2): (None, ANY), (2, 3): (None, ANY)}, {}, ROWS, True),  # nothing to empty, C2 is not there
    ({(2, 3): (5.0, ANY)}, {}, ROWS, False),  # a cell to create
    # Read as empty, but not empty: a text "" (inline or shared), an error type without a value
    ({(2, 2): (None, ANY)}, {}, ROWS.replace(b'<c r="B2" s="3"/>', b'<c r="B2" s="3" t="inlineStr"><is><t/></is></c>'),
     False),
    ({(2, 2): (None, ANY)}, {}, ROWS.replace(b'<c r="B2" s="3"/>', b'<c r="B2" s="3" t="s"><v>0</v></c>'), False),
    ({(2, 2): (None, ANY)}, {}, ROWS.replace(b'<c r="B2" s="3"/>', b'<c r="B2" s="3" t="e"/>'), False),
    ({(2, 2): (None, ANY)}, {}, ROWS.replace(b'<c r="B2" s="3"/>', b'<c s="3" r="B2" t="s"><v>0</v></c>'), False),
    # A text as a shared string, or as rich text: written again as sheetkpi writes it
    (TEXT, {}, ROWS.replace(b'<c r="A2" t="inlineStr"><is><t>f&gt; of</t></is></c>', b'<c r="A2" t="s"><v>0</v></c>'),
     False),
    (TEXT, {}, ROWS.replace(b"<is><t>f&gt; of</t></is>", b"<is><r><rPr><b/></rPr><t>f&gt; of</t></r></is>"), False),
    # Rows out of order, no height asked: the cells decide, as before the keep check read in windows
    ({(1, 1): (1.0, ANY)}, {}, ROWS.replace(b'<row r="1" ', b'<row r="5" '), True),
    # A date as its serial number (30/06/2026), not as an ISO date (t="d")
    ({(1, 1): (dt.date(2026, 6, 30), ANY)}, {}, ROWS.replace(b"<v>1</v>", b"<v>46203</v>"), True),
    ({(1, 1): (dt.date(2026, 6, 30), ANY)}, {},
     ROWS.replace(b'<c r="A1"><v>1</v>', b'<c r="A1" t="d"><v>2026-06-30</v>'), False),
])
def test_keeps_only_when_nothing_would_change(cells, heights, xml, kept, monkeypatch):
    assert _kept(SHEET % xml, cells, heights, monkeypatch) is kept


def _kept(xml: bytes, cells: dict, heights: dict, monkeypatch) -> bool:
    """Whether the sheet ``xml`` keeps the cells, read whole, then in pieces of 5 bytes and windows
    of a row (as a big sheet is): the same answer each way."""
    serial = Values(date1904=False).serial
    whole = _sheetxml.keeps(lambda: [xml], "xl/worksheets/sheet1.xml", cells, heights, serial)
    monkeypatch.setattr(_sheetxml, "WINDOW", 1)
    pieces = lambda: [xml[i:i + 5] for i in range(0, len(xml), 5)]  # noqa: E731
    assert _sheetxml.keeps(pieces, "xl/worksheets/sheet1.xml", cells, heights, serial) is whole
    monkeypatch.undo()
    return whole


FIGURES = (b'<row r="5"><c r="A5" t="inlineStr"><is><t>x</t></is></c><c r="H5" s="3"><v>80.0</v></c></row>'
           b'<row r="6"><c r="H6" s="4"/></row><row r="7"><c r="H7" s="3" t="n"><v>80</v></c></row>')
HELD = {(5, 8): (80.0, 3), (6, 8): (None, 4), (7, 8): (80, 3)}


@pytest.mark.parametrize(("styled", "xml", "kept"), [
    (HELD, FIGURES, True),  # "80.0" and LibreOffice's "80" with t="n" are the same figure
    ({**HELD, (5, 8): (75.0, 3)}, FIGURES, False),  # another figure
    ({**HELD, (5, 8): (80.0, 4)}, FIGURES, False),  # another style
    ({**HELD, (6, 8): (80.0, 4)}, FIGURES, False),  # a figure where the cell is empty
    ({**HELD, (8, 8): (None, 3)}, FIGURES, True),  # no cell: a styled None is no cell either
    ({**HELD, (8, 8): (5.0, 3)}, FIGURES, False),  # a cell to create
    (HELD, FIGURES.replace(b'<c r="H5" s="3"><v>', b'<c r="H5" s="3"><f>G5</f><v>'), False),  # a formula
    (HELD, FIGURES.replace(b'<c r="H5" s="3">', b'<c r="H5" s="3" t="s">'), False),  # a shared text
    (HELD, FIGURES.replace(b'<c r="H5" s="3">', b'<c s="3" r="H5">'), False),  # not written plainly: not sure
])
def test_keeps_styled_cells_only_when_each_holds_its_figure_in_its_style(styled, xml, kept, monkeypatch):
    assert _kept(SHEET % xml, styled, {}, monkeypatch) is kept


def test_a_workbook_libreoffice_saved_reads_as_typed_in_one_process_or_two(runs, monkeypatch):
    # The reading changed for speed (a row's cells taken at once, repeated weights and deadlines
    # read once, the second process started before "Lịch sử" is read, the date of "Tổng hợp" read
    # from its first rows): on the workbook LibreOffice saved after a run and the edits, each way
    # reads the figures typed there and the date of the last run. By hand from the example.
    from sheetkpi.workbook import _parts
    from sheetkpi.workbook.reader import read_workbook

    _, _, edited, _, _ = runs
    whole = []
    read = _parts.Parts.read
    monkeypatch.setattr(_parts.Parts, "read", lambda self, part: whole.append(part) or read(self, part))
    alone = read_workbook(edited, two_processes=False)
    summary = sheet_part(edited, "Tổng hợp")
    assert summary not in whole  # LibreOffice writes '<row r="4" ...': the sheet's rows 1–3 only
    shared = read_workbook(edited, two_processes=True)
    assert alone.last_run == shared.last_run == dt.date(2026, 6, 25)
    assert repr(alone.tracker) == repr(shared.tracker) and repr(alone.units) == repr(shared.units)
    kpis = {k.code: k for u in shared.tracker.units for k in u.kpis}
    # BQLDA-01 updated to 45 %, weight 25; KHĐT-01 and XDMT-04's results as typed in LibreOffice.
    assert (kpis["BQLDA-01"].progress, kpis["BQLDA-01"].weight) == (45, 25)
    assert kpis["KHĐT-01"].result == keep_edits.KHDT_RESULT and kpis["XDMT-04"].result == keep_edits.XDMT_RESULT
    assert (kpis["KHĐT-01"].weight, kpis["KHĐT-01"].progress) == (20, 90)
    assert kpis["KHĐT-01"].deadline.due == dt.date(2026, 6, 30)
