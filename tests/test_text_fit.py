"""Row heights for wrapped text (sheetkpi.writes): the lines sheetkpi counts for a text in a cell are
the lines LibreOffice wraps it to.

Neither Excel nor LibreOffice fits a row to the text of a merged cell, so "Tổng hợp" and the other
sheets sheetkpi writes carry the heights it computes; a row one line short prints its last words
below the row, over the next one ("KCN Hoàng Mai II" on "Tổng hợp" after two months did). Here
LibreOffice itself says how many lines each text takes: every text of the real plans in
tests/plans and every text of the example workbook's unit tabs, in six column widths, regular and
bold, Times New Roman 11 pt as the template has it, each row fitted by LibreOffice (Format ▸ Rows ▸
Optimal Height, through UNO), and its height read back.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font

from sheetkpi import layout
from sheetkpi.writes import text_lines, text_width, wrapped_lines

from lo_uno import require_uno, run_uno_script
from support import EXAMPLE

HERE = Path(__file__).resolve().parent
WIDTHS = (12, 18, 25, 33, 43, 55)  # units of column width: a narrow column to "Tổng hợp"'s widest span
# One line, two and three, to read LibreOffice's heights as lines.
REFERENCES = ("x", "x\ny", "x\ny\nz")


# What the plans' lines, their spaces made single, do not have: no-break spaces (Word's Ctrl+Shift+
# Space, kept in a pasted text; LibreOffice does not break there) and words wider than a narrow
# column (document numbers, runs of years, web addresses: broken after a hyphen or a slash).
TYPED = (
    "Ban Quản lý\xa0KKT Đông\xa0Nam Nghệ\xa0An và các đơn vị trực thuộc",
    "Hoàn thành trước ngày 30/6/2026;\xa0báo cáo UBND\xa0tỉnh kết quả thực hiện",
    "Giai đoạn 2026-2030-2035-2040-2045-2050 của tỉnh Nghệ An",
    "Kế hoạch số 125/KH-UBND-KTTH-BQLKKT ngày 12/3/2026 đã ban hành",
    "Xem https://dichvucong.nghean.gov.vn/thu-tuc-hanh-chinh để biết thủ tục",
    "Triển khai Quyết định số 1237/QĐ-TTg và Kế hoạch 252/KH-BCĐQG1237 trong năm 2026",
)


def _texts() -> list[str]:
    """The texts: lines of the real plans (15 to 260 characters, as a task's title or obstacle is),
    every text of 15 characters or more in the example's unit tabs, and :data:`TYPED`."""
    texts = []
    for plan in sorted(p for p in (HERE / "plans").glob("*.md") if p.name != "SOURCES.md"):  # (not a plan)
        for line in plan.read_text(encoding="utf-8").splitlines():
            line = " ".join(line.split())
            if 15 <= len(line) <= 260:
                texts.append(line)
    book = load_workbook(EXAMPLE, read_only=True)
    for sheet in book.worksheets:
        if sheet.title not in (layout.SHEET_SUMMARY, layout.SHEET_HISTORY, layout.SHEET_CONFIG):
            texts += [v for row in sheet.iter_rows(values_only=True) for v in row
                      if isinstance(v, str) and len(v) >= 15]
    book.close()
    return list(dict.fromkeys([*texts, *TYPED]))


def _workbook(path: Path, texts: list[str], bold: bool) -> None:
    """Each text alone on its row, in each width's column; wrapped, top-aligned, Times New Roman 11."""
    book = Workbook()
    sheet = book.active
    font, wrap = Font(name="Times New Roman", size=11, bold=bold), Alignment(wrap_text=True, vertical="top")
    for col, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[chr(64 + col)].width = width
    for row, value in enumerate(REFERENCES, start=1):
        cell = sheet.cell(row, 1, value)
        cell.font, cell.alignment = font, wrap
    for i, text in enumerate(texts):
        for col in range(1, len(WIDTHS) + 1):
            cell = sheet.cell(len(REFERENCES) + 1 + i * len(WIDTHS) + col - 1, col, text)
            cell.font, cell.alignment = font, wrap
    book._fonts[0] = Font(name="Times New Roman", size=11)  # the default font: the width unit is its "0"
    book.save(path)


@pytest.fixture(scope="module")
def wrapped(tmp_path_factory):
    """{bold: [(text, width, lines in LibreOffice)]}."""
    require_uno()
    folder = tmp_path_factory.mktemp("wrap")
    texts = _texts()
    paths = {bold: folder / f"wrap-{'bold' if bold else 'regular'}.xlsx" for bold in (False, True)}
    for bold, path in paths.items():
        _workbook(path, texts, bold)
    heights = json.loads(run_uno_script(HERE / "lo_heights.py", *map(str, paths.values())).stdout)
    found = {}
    for bold, path in paths.items():
        rows = heights[str(path)]
        _, two, three = rows[:3]
        per_line = three - two
        lines = [2 + round((h - two) / per_line) for h in rows[len(REFERENCES):]]
        found[bold] = [(text, width, lines[i * len(WIDTHS) + j])
                       for i, text in enumerate(texts) for j, width in enumerate(WIDTHS)]
    return found


@pytest.mark.parametrize("bold", [False, True], ids=["regular", "bold"])
def test_the_lines_counted_are_the_lines_libreoffice_wraps_to(wrapped, bold):
    cells = wrapped[bold]
    assert len(cells) > 3000  # about 600 texts, in six widths
    fewer = [(t, w, lo) for t, w, lo in cells if text_lines(t, w, bold=bold) < lo]
    more = [(t, w, lo) for t, w, lo in cells if text_lines(t, w, bold=bold) > lo]
    # A line short leaves words below the row: at most one cell in 1,000 (none here), never two lines.
    assert len(fewer) <= len(cells) // 1000, fewer
    assert all(text_lines(t, w, bold=bold) == lo - 1 for t, w, lo in fewer), fewer
    # A line too many is white space (where LibreOffice breaks after a hyphen inside a word that
    # would fit on the next line, which is not counted): at most one cell in 50, never two lines.
    assert len(more) <= len(cells) // 50, more[:10]
    assert all(text_lines(t, w, bold=bold) == lo + 1 for t, w, lo in more), more[:10]


TITLE = "Dự án Hệ thống thoát nước quanh KCN Hoàng Mai II"  # the example's BQLDA-05


def test_a_title_of_capitals_that_fills_its_span_takes_two_lines():
    """"Tổng hợp" after two months printed "II" of this at-risk KPI below its row: its title span
    (columns D to H, 43 units) holds 48 characters by the old count, and it has 48; its capitals
    are wider than that count allowed."""
    assert text_lines(TITLE, 43) == 2


def test_libreoffice_wraps_that_title_to_two_lines_too(wrapped):
    assert (TITLE, 43, 2) in wrapped[False]


def test_the_committed_widths_equal_a_rebuild_from_the_font(tmp_path):
    fonts = Path("/usr/share/fonts/truetype/liberation2")
    if not (fonts / "LiberationSerif-Regular.ttf").exists():
        pytest.skip("fonts-liberation2 is not installed (CI installs it)")
    pytest.importorskip("fontTools")
    rebuilt = tmp_path / "_widths.py"
    subprocess.run([sys.executable, str(HERE.parent / "scripts" / "build_font_widths.py"), "--fonts", str(fonts),
                    "--output", str(rebuilt)], check=True, capture_output=True)
    assert rebuilt.read_text(encoding="utf-8") == (HERE.parent / "sheetkpi" / "writes" / "_widths.py").read_text(
        encoding="utf-8")


def test_widths_are_times_new_romans():
    """By hand, from Times New Roman's advance widths (of 2,048 a em) at 15 pixels a em, rounded:
    "a" 909 → 6.66 → 7, "H" 1479 → 10.83 → 11, " " 512 → 3.75 → 4, "0" 1024 → 7.5 → 8; a
    combining accent takes no room, and a character the font lacks an em (15)."""
    assert (text_width("a"), text_width("H"), text_width(" "), text_width("0")) == (7, 11, 4, 8)
    assert text_width("a\u0301") == text_width("a") and text_width("\u4e00") == 15
    assert text_width("Ơ") == text_width("O") == text_width("H")  # 1479 each


# By hand: width 10 holds (6.97 × 10 − 4) × 15 / 14.67 = 67.2 pixels; "a" is 7, " " 4, "H" 11.
@pytest.mark.parametrize(("text", "lines"), [
    ("aaa aaa aaa", 2),  # "aaa aaa" (46) / "aaa": 71 would not fit
    ("aaa aaa aa", 1),  # 64
    ("HHH HHH", 2),  # 70: capitals are wider than the letters counted alike before
    ("aaa  aaa\taaa", 2),  # spaces between words count once
    ("a" * 10, 2),  # 70: a word longer than a line is broken anywhere
    ("aa " + "a" * 14 + " aa", 3),  # "aa" / nine "a" (63) / five "a" and "aa"
    ("aaa\n\naaa", 3),  # an empty paragraph is a line
    ("", 1),
    ("  aaa aaa aaa ", 2),  # spaces at either end take no room
    ("aaa\xa0aaa\u3000aaa", 2),  # "aaa aaa" held by a no-break space (46) / "aaa": an ideographic space breaks
    ("a aaaaaaaa\xa0aa", 3),  # "a" / eight "a", the no-break space and "a" (67) / "a"
    ("a" * 7 + "-" + "a" * 7, 2),  # after the hyphen: seven "a" and "-" (54) / seven "a"
    ("aa " + "a" * 7 + "/" + "a" * 7, 3),  # "aa" / seven "a" and "/" (53) / seven "a"
])
def test_text_lines_wraps_at_word_boundaries(text, lines):
    assert text_lines(text, 10) == lines


def test_every_white_space_character_but_the_no_break_ones_breaks_words_as_a_space_does():
    """Each character str.split() takes for white space breaks words ("aa" 14, "bb" 16, "cc" 14
    pixels: one a line of 30), but a no-break space: "aa bb cc" joined by them is one word of 52
    pixels, broken at a character ("aa b" / "b cc")."""
    no_break = ["\xa0", "\u2007", "\u202f"]
    spaces = [chr(c) for c in range(0x110000) if chr(c).isspace() and chr(c) not in no_break]
    assert len(spaces) > 20 and " " in spaces and "\u3000" in spaces
    assert {c: wrapped_lines(f"aa{c}bb{c}cc", 30) for c in spaces} == dict.fromkeys(spaces, 3)
    assert wrapped_lines("aa\xa0bb\xa0cc", 30) == 2


def test_a_room_a_hair_under_a_pixel_lets_no_word_in_by_rounding():
    """A line's room plus a space, added to what comes before the line in that order (a review
    found a word let in when the room and the space were added first): the counts of a room
    just under 32 and 16 pixels, as wrapped word by word."""
    assert wrapped_lines("ab 2026 abc W 2026", 31.999999999999982) == 7
    assert wrapped_lines("UBND W ab KH KH l a rất", 15.999999999999984) == 13
