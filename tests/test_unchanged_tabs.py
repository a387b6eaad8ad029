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
    return first, again, edited, book


def test_a_second_click_leaves_every_unit_tab_and_the_history_as_they_were(runs):
    first, again, _, _ = runs
    assert members(again) == members(first)


def test_tabs_nobody_changed_keep_libreoffices_bytes(runs):
    _, _, edited, after = runs
    before, now = members(edited), members(after)
    # KHĐT's shorter text changes nothing sheetkpi writes, and its row is tall enough.
    assert now["KHĐT"] == before["KHĐT"]
    assert load_workbook(after)["KHĐT"]["I5"].value == keep_edits.KHDT_RESULT


def test_what_must_change_is_written(runs):
    _, _, edited, after = runs
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


ROWS = (b'<row r="1" ht="30" customHeight="1"><c r="A1"><v>1</v></c><c r="B1"><f>A1*2</f><v>2</v></c></row>'
        b'<row r="2"><c r="A2" t="inlineStr"><is><t>f&gt; of</t></is></c></row>')
SHEET = (b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
         b"<sheetData>%s</sheetData><conditionalFormatting sqref=\"A1\"><cfRule type=\"expression\" priority=\"1\">"
         b"<formula>A1&gt;0</formula></cfRule></conditionalFormatting></worksheet>")


@pytest.mark.parametrize(("cells", "heights", "xml", "kept"), [
    ({(1, 1), (2, 1)}, {1: 30.0}, SHEET % ROWS, True),  # B1's formula is not written; 30 pt is enough
    ({(1, 2)}, {}, SHEET % ROWS, False),  # a value over B1 would remove its formula
    ({(1, 1)}, {1: 45.0}, SHEET % ROWS, False),  # row 1 must grow
    ({(2, 1)}, {2: 15.5}, SHEET % ROWS, False),  # row 2 has no height of its own
    ({(1, 1)}, {}, SHEET % ROWS.replace(b"<v>1</v>", b"<!-- <f> --><v>1</v>"), False),  # a comment: not sure
    # a formula written with a prefix
    ({(1, 2)}, {}, SHEET % ROWS.replace(b"<f>A1*2</f>", b'<x:f xmlns:x="http://schemas.openxmlformats.org/'
                                                       b'spreadsheetml/2006/main">A1*2</x:f>'), False),
    ({(1, 1)}, {}, SHEET % ROWS.replace(b"<f>A1*2</f>", b'<x:f xmlns:x="http://schemas.openxmlformats.org/'
                                                       b'spreadsheetml/2006/main">A1*2</x:f>'), True),
])
def test_keeps_only_when_nothing_would_change(cells, heights, xml, kept):
    assert _sheetxml.keeps(xml, "xl/worksheets/sheet1.xml", cells, heights) is kept


FIGURES = (b'<row r="5"><c r="A5" t="inlineStr"><is><t>x</t></is></c><c r="H5" s="3"><v>80.0</v></c></row>'
           b'<row r="6"><c r="H6" s="4"/></row><row r="7"><c r="H7" s="3" t="n"><v>80</v></c></row>')
HELD = {(5, 8): (80.0, 3), (6, 8): (None, 4), (7, 8): (80, 3)}


@pytest.mark.parametrize(("styled", "xml", "kept"), [
    (HELD, FIGURES, True),  # "80.0" and LibreOffice's "80" with t="n" are the same figure
    ({**HELD, (5, 8): (75.0, 3)}, FIGURES, False),  # another figure
    ({**HELD, (5, 8): (80.0, 4)}, FIGURES, False),  # another style
    ({**HELD, (6, 8): (80.0, 4)}, FIGURES, False),  # a figure where the cell is empty
    ({**HELD, (8, 8): (None, 3)}, FIGURES, False),  # a cell to create
    (HELD, FIGURES.replace(b'<c r="H5" s="3"><v>', b'<c r="H5" s="3"><f>G5</f><v>'), False),  # a formula
    (HELD, FIGURES.replace(b'<c r="H5" s="3">', b'<c r="H5" s="3" t="s">'), False),  # a shared text
    (HELD, FIGURES.replace(b'<c r="H5" s="3">', b'<c s="3" r="H5">'), False),  # not written plainly: not sure
])
def test_keeps_styled_cells_only_when_each_holds_its_figure_in_its_style(styled, xml, kept):
    assert _sheetxml.keeps(SHEET % xml, "xl/worksheets/sheet1.xml", set(), {}, styled) is kept
