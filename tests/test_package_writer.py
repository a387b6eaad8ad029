"""Unit tests of the lossless package writer, on real files built on disk (no mocks of the writer).

Where a behaviour depends on what a spreadsheet program makes of the file (shared formulas), the
file is opened and recalculated by LibreOffice headless.
"""

from __future__ import annotations

import datetime as dt
import os
import zipfile
from pathlib import Path

import openpyxl
import pytest
from lxml import etree
from openpyxl import load_workbook

from sheetkpi.cells import Areas
from sheetkpi.libreoffice import find_soffice
from sheetkpi.workbook import _zip as zip_module
from sheetkpi.workbook import xmlsafe
from sheetkpi.workbook.package import InvalidPackageError, Package, PackageError
from sheetkpi.writes import Rows

import ooxml_validator
import support
from support import CORPUS

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CT_SHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


# ---------------------------------------------------------------------------------------------
# Building packages by hand, so each test controls the exact XML a producer might write


def sheet_xml(rows: str, prefix: str = "", tail: str = "", dimension: str = "A1") -> str:
    p = f"{prefix}:" if prefix else ""
    decl = f'xmlns:{prefix}="{MAIN}"' if prefix else f'xmlns="{MAIN}"'
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<{p}worksheet {decl} xmlns:r="{REL}">'
            f'<{p}dimension ref="{dimension}"/><{p}sheetData>{rows}</{p}sheetData>{tail}</{p}worksheet>')


def build_xlsx(path: Path, sheets: dict[str, str], *, workbook_pr: str = "", styles: str | None = None,
               calc_chain: str | None = None, extra: dict[str, bytes] | None = None) -> Path:
    """A minimal package: workbook, the given sheets, optional styles and calcChain."""
    overrides = [("/xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml")]
    wb_rels, sheet_els, parts = [], [], {}
    for i, (name, xml) in enumerate(sheets.items(), 1):
        parts[f"xl/worksheets/sheet{i}.xml"] = xml
        overrides.append((f"/xl/worksheets/sheet{i}.xml", CT_SHEET))
        wb_rels.append((f"rId{i}", "worksheet", f"worksheets/sheet{i}.xml"))
        sheet_els.append(f'<sheet name="{name}" sheetId="{i}" r:id="rId{i}"/>')
    if styles is not None:
        parts["xl/styles.xml"] = styles
        overrides.append(("/xl/styles.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"))
        wb_rels.append(("rIdS", "styles", "styles.xml"))
    if calc_chain is not None:
        parts["xl/calcChain.xml"] = calc_chain
        overrides.append(("/xl/calcChain.xml",
                          "application/vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml"))
        wb_rels.append(("rIdC", "calcChain", "calcChain.xml"))
    ct = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
          '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
          '<Default Extension="xml" ContentType="application/xml"/>'
          + "".join(f'<Override PartName="{p}" ContentType="{t}"/>' for p, t in overrides) + "</Types>")
    rels = lambda items: ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'  # noqa: E731
                          + "".join(f'<Relationship Id="{i}" Type="{REL}/{t}" Target="{g}"/>' for i, t, g in items)
                          + "</Relationships>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", ct)
        zf.writestr("_rels/.rels", rels([("rId1", "officeDocument", "xl/workbook.xml")]))
        zf.writestr("xl/workbook.xml", '<?xml version="1.0" encoding="UTF-8"?>'
                                       f'<workbook xmlns="{MAIN}" xmlns:r="{REL}">'
                                       f'{workbook_pr}<sheets>{"".join(sheet_els)}</sheets></workbook>')
        zf.writestr("xl/_rels/workbook.xml.rels", rels(wb_rels))
        for name, data in {**parts, **(extra or {})}.items():
            zf.writestr(name, data)
    return path


STYLES = (f'<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="{MAIN}">'
          '<numFmts count="1"><numFmt numFmtId="164" formatCode="0.0"/></numFmts>'
          '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
          '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
          '<fills count="2"><fill><patternFill patternType="none"/></fill>'
          '<fill><patternFill patternType="gray125"/></fill></fills>'
          '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
          '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
          '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
          '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
          '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
          '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')


def part(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as zf:
        return zf.read(name)


def cells_of(path: Path, sheet_part: str = "xl/worksheets/sheet1.xml") -> dict[str, etree._Element]:
    root = etree.fromstring(part(path, sheet_part))
    return {c.get("r"): c for c in root.iter(f"{{{MAIN}}}c")}


def saved(pkg: Package, tmp_path: Path, name: str = "out.xlsx") -> Path:
    out = tmp_path / name
    pkg.save(out)
    return out


# ---------------------------------------------------------------------------------------------
# Values


def test_dates_use_1900_serials_with_the_leap_year_bug(tmp_path):
    src = build_xlsx(tmp_path / "in.xlsx", {"S": sheet_xml("")})
    pkg = Package.open(src)
    assert pkg.date1904 is False
    days = {(1, 1): dt.date(1900, 1, 1), (2, 1): dt.date(1900, 2, 28), (3, 1): dt.date(1900, 3, 1),
            (4, 1): dt.date(2026, 6, 25), (5, 1): dt.datetime(2026, 6, 25, 18, 0)}
    pkg.set_cells("S", days)
    out = saved(pkg, tmp_path)
    values = {ref: c.findtext(f"{{{MAIN}}}v") for ref, c in cells_of(out).items()}
    assert values == {"A1": "1", "A2": "59", "A3": "61", "A4": "46198", "A5": "46198.75"}
    ws = openpyxl.load_workbook(out)["S"]
    assert ws["A4"].value == dt.datetime(2026, 6, 25) and ws["A4"].number_format == "dd/mm/yyyy"
    assert ws["A5"].value == dt.datetime(2026, 6, 25, 18, 0)


def test_dates_in_a_1904_workbook(tmp_path):
    src = build_xlsx(tmp_path / "in.xlsx", {"S": sheet_xml("")}, workbook_pr='<workbookPr date1904="true"/>')
    pkg = Package.open(src)
    assert pkg.date1904 is True
    pkg.set_cells("S", {(1, 1): dt.date(1904, 1, 1), (2, 1): dt.date(2026, 6, 25)})
    out = saved(pkg, tmp_path)
    assert {r: c.findtext(f"{{{MAIN}}}v") for r, c in cells_of(out).items()} == {"A1": "0", "A2": "44736"}
    assert openpyxl.load_workbook(out)["S"]["A2"].value == dt.datetime(2026, 6, 25)
    with pytest.raises(PackageError) as err:
        pkg.set_cells("S", {(3, 1): dt.date(1903, 12, 31)})
    assert err.value.code == "value-invalid"


@pytest.mark.parametrize("pr, held", [("", "46198"), ('<workbookPr date1904="true"/>', "44736")])
def test_a_date_is_kept_only_as_its_serial_in_the_workbooks_date_system(tmp_path, pr, held):
    # 25/06/2026 is 46198 from 1900 and 44736 from 1904: a cell holding the other system's serial
    # shows another day (four years off), so it is written again, not kept.
    other = "44736" if held == "46198" else "46198"
    for serial, kept in ((held, True), (other, False)):
        rows = f'<row r="1"><c r="A1" s="0"><v>{serial}</v></c></row>'
        pkg = Package.open(build_xlsx(tmp_path / f"{serial}{bool(pr)}.xlsx", {"S": sheet_xml(rows)}, workbook_pr=pr))
        assert pkg.would_keep("S", {(1, 1): (dt.date(2026, 6, 25), 0)}, {}) is kept


def test_text_starting_with_equals_stays_text(tmp_path):
    src = build_xlsx(tmp_path / "in.xlsx", {"S": sheet_xml('<row r="1"><c r="A1"><f>1+1</f><v>2</v></c></row>')})
    pkg = Package.open(src)
    pkg.set_cells("S", {(1, 1): "=1+1", (2, 1): "=HYPERLINK(\"http://x\")"})
    out = saved(pkg, tmp_path)
    ws = openpyxl.load_workbook(out)["S"]
    for ref, text in (("A1", "=1+1"), ("A2", '=HYPERLINK("http://x")')):
        assert ws[ref].value == text and ws[ref].data_type == "s"
        assert cells_of(out)[ref].find(f"{{{MAIN}}}f") is None


def test_text_is_escaped_cleaned_and_keeps_its_spaces(tmp_path):
    src = build_xlsx(tmp_path / "in.xlsx", {"S": sheet_xml("")})
    pkg = Package.open(src)
    pkg.set_cells("S", {(1, 1): "  a < b & c > \"d\"  ", (2, 1): "bell\x07 and\x00 nul", (3, 1): "dòng 1\ndòng 2"})
    out = saved(pkg, tmp_path)
    ws = openpyxl.load_workbook(out)["S"]
    assert ws["A1"].value == "  a < b & c > \"d\"  "
    assert ws["A2"].value == "bell and nul"
    assert ws["A3"].value == "dòng 1\ndòng 2"
    with pytest.raises(PackageError):
        pkg.set_cells("S", {(4, 1): "x" * 32_768})
    with pytest.raises(PackageError):
        pkg.set_cells("S", {(4, 1): float("nan")})


XSTRINGS = ["Mã _x0041_ cũ", "_x005F_x0041_", " _x000D_ lề ", "a_x0041__x0042_b", "_x12345_ _X0041_ _x41_",
            "_x0041_"]


def test_text_that_looks_like_excels_escape_reads_back_as_written(tmp_path):
    """Excel reads "_x0041_" in cell text as "A" (its escape for characters XML cannot carry), and
    so do python-calamine and, for "_x005F_", LibreOffice; openpyxl decodes nothing in inline
    strings. Text written by sheetkpi reads back as written in each of them."""
    from python_calamine import CalamineWorkbook

    rows = "".join(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>x</t></is></c></row>' for r in range(1, 4))
    src = build_xlsx(tmp_path / "in.xlsx", {"S": sheet_xml(rows)})
    pkg = Package.open(src)
    pkg.write_rows("S", 1, 1, [[text] for text in XSTRINGS[:3]])  # over existing cells (the byte path)
    pkg.set_cells("S", {(r, 2): text for r, text in enumerate(XSTRINGS, 1)})  # new cells
    out = saved(pkg, tmp_path)
    expected = [[text, text] if r < 3 else [None, text] for r, text in enumerate(XSTRINGS)]
    ws = openpyxl.load_workbook(out)["S"]
    assert [[c.value for c in row] for row in ws.iter_rows(max_col=2)] == expected
    grid = CalamineWorkbook.from_path(out).get_sheet_by_name("S").to_python()
    assert [[v if v != "" else None for v in row] for row in grid] == expected
    assert Package.open(out).read_cell_values("S", [(1, 1), (6, 2)]) == {(1, 1): XSTRINGS[0], (6, 2): XSTRINGS[5]}
    support.convert([out], support.CSV_RAW, tmp_path)
    assert support.read_csv(tmp_path, out, "S") == [[v or "" for v in row] for row in expected]


def test_none_empties_value_and_formula_but_keeps_style(tmp_path):
    rows = '<row r="1"><c r="A1" s="2"><f>1+1</f><v>2</v></c><c r="B1" s="1" t="s"><v>0</v></c></row>'
    src = build_xlsx(tmp_path / "in.xlsx", {"S": sheet_xml(rows)}, styles=STYLES)
    pkg = Package.open(src)
    pkg.set_cells("S", {(1, 1): None, (1, 2): None, (9, 9): None})
    out = saved(pkg, tmp_path)
    cells = cells_of(out)
    assert set(cells) == {"A1", "B1"}, "emptying a cell that does not exist creates nothing"
    assert [(c.get("s"), c.get("t"), len(c)) for c in cells.values()] == [("2", None, 0), ("1", None, 0)]


# ---------------------------------------------------------------------------------------------
# Formulas


SHARED = (
    '<row r="1"><c r="A1"><v>1</v></c><c r="B1"><f t="shared" ref="B1:B5" si="0">A1*2</f><v>2</v></c></row>'
    '<row r="2"><c r="A2"><v>2</v></c><c r="B2"><f t="shared" si="0"/><v>4</v></c></row>'
    '<row r="3"><c r="A3"><v>3</v></c><c r="B3"><f t="shared" si="0"/><v>6</v></c></row>'
    '<row r="4"><c r="A4"><v>4</v></c><c r="B4"><f t="shared" si="0"/><v>8</v></c></row>'
    '<row r="5"><c r="A5"><v>5</v></c><c r="B5"><f t="shared" si="0"/><v>10</v></c></row>'
)


def test_overwriting_a_shared_formula_master_keeps_the_formula_in_its_dependants(tmp_path):
    src = build_xlsx(tmp_path / "in.xlsx", {"S": sheet_xml(SHARED, dimension="A1:B5")})
    pkg = Package.open(src)
    pkg.set_cells("S", {(1, 2): 100, (3, 1): 30, (5, 1): 50})
    out = saved(pkg, tmp_path)
    cells = cells_of(out)
    assert cells["B1"].find(f"{{{MAIN}}}f") is None
    master = cells["B2"].find(f"{{{MAIN}}}f")
    assert (master.text, master.get("ref"), master.get("si"), master.get("t")) == ("A2*2", "B2:B5", "0", "shared")
    assert [cells[r].find(f"{{{MAIN}}}f").get("si") for r in ("B3", "B4", "B5")] == ["0", "0", "0"]
    if not find_soffice():
        pytest.skip("LibreOffice (soffice) is not installed")
    support.convert([out], support.CSV_RAW, tmp_path)
    grid = support.read_csv(tmp_path, out, "S")
    assert [row[:2] for row in grid] == [["1", "100"], ["2", "4"], ["30", "60"], ["4", "8"], ["50", "100"]]


def test_overwriting_master_and_next_dependant_promotes_the_one_after(tmp_path):
    src = build_xlsx(tmp_path / "in.xlsx", {"S": sheet_xml(SHARED)})
    pkg = Package.open(src)
    pkg.write_rows("S", 1, 2, [[7], [8]], clear_until_row=2)
    cells = cells_of(saved(pkg, tmp_path))
    master = cells["B3"].find(f"{{{MAIN}}}f")
    assert (master.text, master.get("ref")) == ("A3*2", "B3:B5")


CALC_CHAIN = (f'<?xml version="1.0" encoding="UTF-8"?><calcChain xmlns="{MAIN}">'
              '<c r="B1" i="1"/><c r="B2"/><c r="A1" i="2"/></calcChain>')


def test_calc_chain_entry_of_an_overwritten_formula_is_removed(tmp_path):
    rows = '<row r="1"><c r="B1"><f>1+1</f><v>2</v></c></row><row r="2"><c r="B2"><f>2+2</f><v>4</v></c></row>'
    other = '<row r="1"><c r="A1"><f>3+3</f><v>6</v></c></row>'
    src = build_xlsx(tmp_path / "in.xlsx", {"S": sheet_xml(rows), "T": sheet_xml(other)}, calc_chain=CALC_CHAIN)
    pkg = Package.open(src)
    pkg.set_cells("S", {(1, 2): "x"})
    out = saved(pkg, tmp_path)
    chain = etree.fromstring(part(out, "xl/calcChain.xml"))
    # B2 inherited i="1" from the removed B1 entry: it must now carry it itself.
    assert [(c.get("r"), c.get("i")) for c in chain] == [("B2", "1"), ("A1", "2")]

    pkg = Package.open(out)
    pkg.set_cells("S", {(2, 2): 1})
    pkg.set_cells("T", {(1, 1): None})
    out2 = saved(pkg, tmp_path, "out2.xlsx")
    with zipfile.ZipFile(out2) as zf:
        assert "xl/calcChain.xml" not in zf.namelist()
        assert b"calcChain" not in zf.read("[Content_Types].xml")
        assert b"calcChain" not in zf.read("xl/_rels/workbook.xml.rels")
    assert openpyxl.load_workbook(out2)["S"]["B2"].value == 1


def test_writing_cells_requests_full_recalculation_on_load(tmp_path):
    src = build_xlsx(tmp_path / "in.xlsx", {"S": sheet_xml("")})
    pkg = Package.open(src)
    pkg.set_cells("S", {(1, 1): 1})
    wb = etree.fromstring(part(saved(pkg, tmp_path), "xl/workbook.xml"))
    assert wb.find(f"{{{MAIN}}}calcPr").get("fullCalcOnLoad") == "1"


# ---------------------------------------------------------------------------------------------
# Styles


def test_new_cells_take_the_style_of_the_nearest_cell_above(tmp_path):
    rows = ('<row r="1"><c r="A1" s="1"><v>1</v></c><c r="B1" s="2"/></row>'
            '<row r="3"><c r="A3" s="2"><v>3</v></c></row><row r="4"><c r="C4"><v>4</v></c></row>')
    src = build_xlsx(tmp_path / "in.xlsx", {"S": sheet_xml(rows)}, styles=STYLES)
    pkg = Package.open(src)
    pkg.set_cells("S", {(6, 1): 6, (6, 2): 6, (6, 3): 6, (6, 4): 6, (4, 1): "kept?"})
    pkg.set_cells("S", {(7, 4): 7}, style=1)
    cells = cells_of(saved(pkg, tmp_path))
    assert {r: cells[r].get("s") for r in ("A4", "A6", "B6", "C6", "D6", "D7")} == {
        "A4": "2", "A6": "2", "B6": "2", "C6": None, "D6": None, "D7": "1"}


def test_written_cells_keep_their_style_unless_one_is_given(tmp_path):
    rows = '<row r="1"><c r="A1" s="1"><v>1</v></c><c r="B1" s="1"><v>1</v></c></row>'
    src = build_xlsx(tmp_path / "in.xlsx", {"S": sheet_xml(rows)}, styles=STYLES)
    pkg = Package.open(src)
    pkg.set_cells("S", {(1, 1): 5})
    pkg.set_cells("S", {(1, 2): 5}, style=2)
    cells = cells_of(saved(pkg, tmp_path))
    assert (cells["A1"].get("s"), cells["B1"].get("s")) == ("1", "2")
    with pytest.raises(PackageError):
        pkg.set_cells("S", {(1, 1): 1}, style=99)


def test_add_style_appends_and_never_renumbers(tmp_path):
    src = build_xlsx(tmp_path / "in.xlsx", {"S": sheet_xml("")}, styles=STYLES)
    pkg = Package.open(src)
    header = pkg.add_style(bold=True, fill="#DDEBF7", border=True, wrap=True, halign="center", valign="center")
    assert header == 3
    assert pkg.add_style(bold=True, fill="#DDEBF7", border=True, wrap=True, halign="center", valign="center") == 3
    date = pkg.add_style(num_fmt="dd/mm/yyyy")
    same_code = pkg.add_style(num_fmt="0.0", italic=True, size=13, color="C00000")
    assert (date, same_code) == (4, 5)
    pkg.set_cells("S", {(1, 1): "x"}, style=header)
    out = saved(pkg, tmp_path)
    old, new = etree.fromstring(STYLES.encode()), etree.fromstring(part(out, "xl/styles.xml"))
    for coll in old:
        grown = new.find(coll.tag)
        assert [etree.tostring(c) for c in coll] == [etree.tostring(c) for c in grown][: len(coll)]
        assert grown.get("count") == str(len(grown))
    fmts = {f.get("formatCode"): f.get("numFmtId") for f in new.iter(f"{{{MAIN}}}numFmt")}
    assert fmts == {"0.0": "164", "dd/mm/yyyy": "165"}
    xfs = new.find(f"{{{MAIN}}}cellXfs")
    assert xfs[5].get("numFmtId") == "164"
    font = new.find(f"{{{MAIN}}}fonts")[int(xfs[5].get("fontId"))]
    assert [etree.QName(c).localname for c in font] == ["i", "sz", "color", "name"]
    ws = openpyxl.load_workbook(out)["S"]
    assert ws["A1"].font.b and ws["A1"].fill.fgColor.rgb == "FFDDEBF7" and ws["A1"].alignment.wrap_text
    with pytest.raises(PackageError):
        pkg.add_style(color="red")

    # The next run asks for the same formats: it finds them and styles.xml stays as it is.
    again = Package.open(out)
    assert [again.add_style(bold=True, fill="#DDEBF7", border=True, wrap=True, halign="center", valign="center"),
            again.add_style(num_fmt="dd/mm/yyyy"), again.add_style(num_fmt="0.0", italic=True, size=13,
                                                                   color="C00000")] == [3, 4, 5]
    again.set_cells("S", {(1, 1): "y"})
    rerun = saved(again, tmp_path, "rerun.xlsx")
    assert part(rerun, "xl/styles.xml") == part(out, "xl/styles.xml")


def test_add_style_creates_a_styles_part_when_there_is_none(tmp_path):
    src = build_xlsx(tmp_path / "in.xlsx", {"S": sheet_xml("")})
    pkg = Package.open(src)
    style = pkg.add_style(bold=True)
    pkg.set_cells("S", {(1, 1): "x"}, style=style)
    out = saved(pkg, tmp_path)
    assert openpyxl.load_workbook(out)["S"]["A1"].font.b
    if ooxml_validator.available():
        assert ooxml_validator.validate(out) == []


# ---------------------------------------------------------------------------------------------
# Rows


def test_write_rows_clears_what_a_longer_previous_run_left(tmp_path):
    src = build_xlsx(tmp_path / "in.xlsx", {"S": sheet_xml('<row r="9"><c r="D9"><v>9</v></c></row>')})
    pkg = Package.open(src)
    pkg.write_rows("S", 2, 1, [["a", 1, "x"], ["b", 2, "y"], ["c", 3, "z"], ["d", 4, "w"]])
    first = saved(pkg, tmp_path, "first.xlsx")
    pkg = Package.open(first)
    pkg.write_rows("S", 2, 1, [["A", 10], ["B"]])
    second = saved(pkg, tmp_path, "second.xlsx")
    ws = openpyxl.load_workbook(second)["S"]
    grid = [[ws.cell(r, c).value for c in range(1, 5)] for r in range(2, 10)]
    assert grid == [["A", 10, "x", None], ["B", None, "y", None]] + [[None, None, c, None] for c in ("z", "w")] + \
        [[None] * 4] * 3 + [[None, None, None, 9]]


def test_write_rows_clear_until_row_and_later_writes_win(tmp_path):
    src = build_xlsx(tmp_path / "in.xlsx", {"S": sheet_xml("")})
    pkg = Package.open(src)
    pkg.write_rows("S", 1, 1, [[1], [2], [3], [4], [5]])
    pkg.write_rows("S", 1, 1, [[10]], clear_until_row=3)
    pkg.set_cells("S", {(3, 1): 30})
    assert pkg.read_cell_values("S", [(r, 1) for r in range(1, 6)]) == {
        (1, 1): 10, (2, 1): None, (3, 1): 30, (4, 1): 4, (5, 1): 5}
    ws = openpyxl.load_workbook(saved(pkg, tmp_path))["S"]
    assert [ws.cell(r, 1).value for r in range(1, 6)] == [10, None, 30, 4, 5]


def test_rows_and_cells_without_r_attributes(tmp_path):
    rows = ('<row><c><v>1</v></c><c><v>2</v></c></row>'  # row 1: A1, B1
            '<row r="4"><c r="B4"><v>3</v></c><c><v>4</v></c></row>'  # C4 implicit
            '<row><c r="C5"><v>5</v></c></row>')  # row 5
    src = build_xlsx(tmp_path / "in.xlsx", {"S": sheet_xml(rows)})
    pkg = Package.open(src)
    assert pkg.read_cell_values("S", [(1, 2), (4, 3), (5, 3)]) == {(1, 2): 2, (4, 3): 4, (5, 3): 5}
    pkg.set_cells("S", {(1, 2): 20, (1, 4): 40, (4, 1): 31, (4, 3): 41, (2, 1): "new row", (6, 1): 6})
    out = saved(pkg, tmp_path)
    expected = {(1, 1): 1, (1, 2): 20, (1, 4): 40, (2, 1): "new row", (4, 1): 31, (4, 2): 3, (4, 3): 41,
                (5, 3): 5, (6, 1): 6}
    ws = openpyxl.load_workbook(out)["S"]
    assert {k: ws.cell(*k).value for k in expected} == expected
    from python_calamine import CalamineWorkbook

    data = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("S").to_python(skip_empty_area=False)
    assert {k: data[k[0] - 1][k[1] - 1] for k in expected} == {k: float(v) if isinstance(v, int) else v
                                                                for k, v in expected.items()}


def test_prefixed_main_namespace_is_kept(tmp_path):
    rows = '<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>old</x:t></x:is></x:c></x:row><x:row r="3"/>'
    src = build_xlsx(tmp_path / "in.xlsx", {"S": sheet_xml(rows, prefix="x", dimension="A1:A3")})
    pkg = Package.open(src)
    pkg.set_cells("S", {(1, 1): "new", (2, 2): 2, (4, 3): dt.date(2026, 1, 31)})
    out = saved(pkg, tmp_path)
    xml = part(out, "xl/worksheets/sheet1.xml")
    assert b"<x:row r=\"2\"><x:c r=\"B2\"><x:v>2</x:v></x:c></x:row>" in xml
    assert b'<x:dimension ref="A1:C4"/>' in xml and b"xmlns=" not in xml.split(b"<x:sheetData>")[1]
    ws = openpyxl.load_workbook(out)["S"]
    assert (ws["A1"].value, ws["B2"].value, ws["C4"].value) == ("new", 2, dt.datetime(2026, 1, 31))
    if ooxml_validator.available():
        assert ooxml_validator.validate(out) == []


def test_inline_strings_workbook_gets_no_shared_strings_part(tmp_path):
    src = CORPUS / "closedxml-inline-strings.xlsx"
    if not src.exists():
        pytest.skip("corpus not available")
    pkg = Package.open(src)
    assert pkg.read_cell_values("Sheet1", [(2, 1), (3, 2)]) == {(2, 1): "BF_STD_STATE", (3, 2): "64"}
    pkg.set_cells("Sheet1", {(3, 2): "65", (100, 1): "thêm"})
    out = saved(pkg, tmp_path)
    assert not [n for n in zipfile.ZipFile(out).namelist() if "sharedStrings" in n]
    ws = openpyxl.load_workbook(out)["Sheet1"]
    assert (ws["B3"].value, ws["A100"].value, ws["A2"].value) == ("65", "thêm", "BF_STD_STATE")


def test_spans_and_dimension_grow_with_written_cells(tmp_path):
    rows = '<row r="2" spans="2:3"><c r="B2"><v>1</v></c><c r="C2"><v>1</v></c></row>'
    src = build_xlsx(tmp_path / "in.xlsx", {"S": sheet_xml(rows, dimension="B2:C2")})
    pkg = Package.open(src)
    pkg.set_cells("S", {(2, 6): 6, (5, 1): 1})
    root = etree.fromstring(part(saved(pkg, tmp_path), "xl/worksheets/sheet1.xml"))
    assert root.find(f"{{{MAIN}}}dimension").get("ref") == "A2:F5"
    assert root.find(f".//{{{MAIN}}}row").get("spans") == "2:6"


# ---------------------------------------------------------------------------------------------
# Sheets and charts


@pytest.mark.parametrize("name", ["", "   ", "x" * 32, "a/b", "a\\b", "[x]", "a:b", "a*", "a?", "'x", "x'",
                                  "History", "s", "S"])
def test_illegal_sheet_names_are_rejected(tmp_path, name):
    pkg = Package.open(build_xlsx(tmp_path / "in.xlsx", {"S": sheet_xml("")}))
    with pytest.raises(PackageError) as err:
        pkg.add_sheet(name)
    assert err.value.code == "sheet-name-invalid" and err.value.message


def test_layout_calls_only_for_sheets_we_created(tmp_path):
    pkg = Package.open(build_xlsx(tmp_path / "in.xlsx", {"S": sheet_xml("")}))
    for call in (lambda: pkg.set_freeze("S", 2, 1), lambda: pkg.merge_cells("S", [(1, 1, 1, 2)]),
                 lambda: pkg.set_page_breaks("S", [5])):
        with pytest.raises(PackageError) as err:
            call()
        assert err.value.code == "sheet-not-owned"
    with pytest.raises(PackageError) as err:
        pkg.set_cells("Không có", {(1, 1): 1})
    assert err.value.code == "sheet-missing"


def test_merged_areas_of_a_created_sheet_open_merged_and_bad_areas_are_refused(tmp_path):
    pkg = Package.open(build_xlsx(tmp_path / "in.xlsx", {"S": sheet_xml("")}))
    pkg.add_sheet("Mới")
    pkg.merge_cells("Mới", [(1, 1, 1, 15), (70000, 2, 70001, 28)])
    for bad in [(1, 1, 1, 1), (2, 3, 2, 2), (0, 1, 1, 2), (1, 1, 1, 16385), (1.0, 1, 1, 2)]:
        with pytest.raises(PackageError) as err:
            pkg.merge_cells("Mới", [(1, 1, 1, 3), bad])
        assert err.value.code == "ref-invalid", bad
    # The same areas as "Tổng hợp"'s plan gives them (Areas, checked column by column): the same refusals.
    for bad in [(1, 1, 1, 1), (2, 3, 2, 2), (0, 1, 1, 2), (1, 1, 1, 16385), (3, 1, 2, 2), (1048577, 1, 1048577, 2)]:
        with pytest.raises(PackageError) as err:
            pkg.merge_cells("Mới", Areas([(1, 1, 1, 3), bad, (5, 1, 5, 2)]))
        assert err.value.code == "ref-invalid", bad
    assert Areas([(1, 1, 2, 1), (1048576, 16383, 1048576, 16384)]).all_within(1048576, 16384)
    assert not Areas([(1, 1, 2, 1), (1048576, 16383, 1048576, 16385)]).all_within(1048576, 16384)
    assert Areas().all_within(1, 1)
    out = tmp_path / "out.xlsx"
    pkg.save(out)
    assert sorted(str(r) for r in openpyxl.load_workbook(out)["Mới"].merged_cells.ranges) == ["A1:O1", "B70000:AB70001"]


def test_widths_and_heights_of_a_sheet_people_keep_only_add_or_grow(tmp_path):
    # "Lịch sử" gets a width for a new date column; a column someone sized keeps its width. A unit
    # tab's row grows to its text; a row already taller stays.
    cols = '<cols><col min="2" max="2" width="30" customWidth="1"/></cols>'
    rows = '<row r="1"><c r="A1"><v>1</v></c></row><row r="2" ht="60" customHeight="1"><c r="A2"><v>2</v></c></row>'
    path = build_xlsx(tmp_path / "in.xlsx", {"S": sheet_xml(rows).replace("<sheetData>", cols + "<sheetData>")})
    pkg = Package.open(path)
    pkg.set_column_widths("S", {2: 12, 3: 11.5})
    pkg.set_row_heights("S", {1: 45, 2: 30})
    pkg.save(tmp_path / "out.xlsx")
    ws = load_workbook(tmp_path / "out.xlsx")["S"]
    assert ws.column_dimensions["B"].width == 30 and ws.column_dimensions["C"].width == 11.5
    assert ws.row_dimensions[1].height == 45 and ws.row_dimensions[2].height == 60
    assert Package.open(tmp_path / "out.xlsx").column_widths("S") == {2: 30.0, 3: 11.5}


def test_heights_given_to_a_created_sheet_are_its_own(tmp_path):
    # The heights of a sheet sheetkpi lays out are kept by the package: a dict changed after it was
    # given changes nothing (a RowHeights, which "Tổng hợp" makes for the package alone, is taken).
    from sheetkpi.writes import RowHeights, height_of_lines

    pkg = Package.open(build_xlsx(tmp_path / "in.xlsx", {"S": sheet_xml("")}))
    for name in "AB":
        pkg.add_sheet(name)
        pkg.write_rows(name, 1, 1, [["x"], ["y"], ["z"]])
    given = {1: 30.0}
    pkg.set_row_heights("A", given)
    given.update({1: 60.0, 2: 45.0, 3: 1000.0})
    lines = RowHeights({1: 20.0})
    lines.add_lines(2, [3, 1])
    pkg.set_row_heights("B", lines)
    pkg.save(tmp_path / "out.xlsx")
    wb = load_workbook(tmp_path / "out.xlsx")
    assert [wb["A"].row_dimensions[r].height for r in (1, 2, 3)] == [30, None, None]
    assert [wb["B"].row_dimensions[r].height for r in (1, 2, 3)] == [20, height_of_lines(3), None]


def test_a_sheet_edited_in_windows_of_rows_is_the_sheet_edited_whole(tmp_path, monkeypatch):
    # A big sheet is read and edited a window of rows at a time (_sheetxml.WINDOW, a MiB): here
    # windows of a few rows, with a width for a new column (in the head, written before the rows),
    # cells written, a row to create after the last, heights: the same part as one window gives.
    from sheetkpi.workbook import _sheetxml

    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c><c r="B{r}" t="inlineStr"><is><t>t{r}</t></is></c></row>'
                   for r in range(1, 301))
    path = build_xlsx(tmp_path / "in.xlsx", {"S": sheet_xml(rows)})
    saved = {}
    for window in (_sheetxml.WINDOW, 100):
        monkeypatch.setattr(_sheetxml, "WINDOW", window)
        pkg = Package.open(path)
        pkg.set_column_widths("S", {3: 11.5})
        pkg.set_cells("S", {**{(r, 3): r * 1.5 for r in range(1, 300, 7)}, (302, 3): 453.0})
        pkg.set_row_heights("S", {5: 30, 150: 45, 301: 20})
        pkg.save(tmp_path / f"out{window}.xlsx")
        with zipfile.ZipFile(tmp_path / f"out{window}.xlsx") as zf:
            saved[window] = zf.read("xl/worksheets/sheet1.xml")
    assert len(set(saved.values())) == 1
    ws = load_workbook(tmp_path / "out100.xlsx")["S"]
    assert ws.column_dimensions["C"].width == 11.5 and ws["C8"].value == 12 and ws["C302"].value == 453
    assert ws.row_dimensions[150].height == 45 and ws["B300"].value == "t300"


def test_a_row_less_than_a_pixel_short_of_its_height_stays(tmp_path):
    # Excel and LibreOffice keep heights in whole pixels (0.75 pt): LibreOffice saves 173.6 pt as
    # 173.25, which is enough; a row a whole pixel short grows.
    rows = ('<row r="1" ht="173.25" customHeight="1"><c r="A1"><v>1</v></c></row>'
            '<row r="2" ht="60" customHeight="1"><c r="A2"><v>2</v></c></row>')
    path = build_xlsx(tmp_path / "in.xlsx", {"S": sheet_xml(rows)})
    pkg = Package.open(path)
    pkg.set_row_heights("S", {1: 173.6, 2: 60.75})
    pkg.save(tmp_path / "out.xlsx")
    ws = load_workbook(tmp_path / "out.xlsx")["S"]
    assert (ws.row_dimensions[1].height, ws.row_dimensions[2].height) == (173.25, 60.75)


def _chart_parts(path: Path) -> list[str]:
    return sorted(n for n in zipfile.ZipFile(path).namelist() if n.startswith("xl/charts/"))


def test_chart_on_an_existing_sheet_is_updated_not_duplicated(tmp_path):
    rows = "".join(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>ĐV{r}</t></is></c><c r="B{r}"><v>{r}</v></c></row>'
                   for r in range(5, 8))
    tail = '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
    src = build_xlsx(tmp_path / "in.xlsx", {"Tổng hợp": sheet_xml(rows, tail=tail)})
    pkg = Package.open(src)
    pkg.add_bar_chart("Tổng hợp", anchor=(10, 1, 20, 6), title="Điểm", categories="A5:A7",
                      series=[("Điểm đạt", "B5:B7")])
    first = saved(pkg, tmp_path, "first.xlsx")
    assert _chart_parts(first) == ["xl/charts/chart1.xml"]
    sheet = part(first, "xl/worksheets/sheet1.xml")
    assert sheet.index(b"<pageMargins") < sheet.index(b"<drawing")

    pkg = Package.open(first)
    pkg.write_rows("Tổng hợp", 5, 1, [["KHĐT", 42.5], ["VP", 61]])
    pkg.add_bar_chart("Tổng hợp", anchor=(12, 1, 22, 6), title="Điểm mới", categories="A5:A6",
                      series=[("Điểm đạt", "B5:B6")])
    second = saved(pkg, tmp_path, "second.xlsx")
    assert _chart_parts(second) == ["xl/charts/chart1.xml"]
    assert part(second, "xl/worksheets/sheet1.xml").count(b"<drawing") == 1
    chart = etree.fromstring(part(second, "xl/charts/chart1.xml"))
    c = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
    assert chart.findtext(f".//{c}cat//{c}f") == "'Tổng hợp'!$A$5:$A$6"
    assert [v.text for v in chart.iterfind(f".//{c}strCache//{c}v")] == ["KHĐT", "VP"]
    assert [v.text for v in chart.iterfind(f".//{c}numCache/{c}pt/{c}v")] == ["42.5", "61"]
    drawing = etree.fromstring(part(second, "xl/drawings/drawing1.xml"))
    xdr = "{http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing}"
    assert len(drawing) == 1 and drawing.findtext(f".//{xdr}from/{xdr}row") == "11"
    if ooxml_validator.available():
        assert ooxml_validator.validate(second) == []


def test_chart_joins_an_existing_drawing_with_pictures(tmp_path):
    src = CORPUS / "phpspreadsheet-merged-cells.xlsx"
    if not src.exists():
        pytest.skip("corpus not available")
    pkg = Package.open(src)
    sheet = pkg.sheet_names[0]
    pkg.add_bar_chart(sheet, anchor=(30, 1, 45, 8), title="T", categories="A1:A3", series=[("S", "B1:B3")])
    out = saved(pkg, tmp_path)
    old = etree.fromstring(part(src, "xl/drawings/drawing1.xml"))
    new = etree.fromstring(part(out, "xl/drawings/drawing1.xml"))
    assert [etree.tostring(a, method="c14n") for a in old] == [etree.tostring(a, method="c14n") for a in new][:-1]
    assert part(src, "xl/worksheets/sheet1.xml") == part(out, "xl/worksheets/sheet1.xml")
    if ooxml_validator.available():
        assert ooxml_validator.new_errors(ooxml_validator.validate(src), ooxml_validator.validate(out)) == []


def test_drawing_goes_before_legacy_drawing_and_controls(tmp_path):
    src = CORPUS / "closedxml-comment-and-button.xlsx"
    if not src.exists():
        pytest.skip("corpus not available")
    pkg = Package.open(src)
    sheet = pkg.sheet_names[0]
    pkg.add_sheet("Khác")
    pkg.add_bar_chart(sheet, anchor=(10, 1, 20, 5), title="T", categories="A1:A2", series=[("S", "B1:B2")])
    out = saved(pkg, tmp_path)
    xml = part(out, "xl/worksheets/sheet1.xml")
    assert xml.count(b"<drawing ") == 1 and xml.index(b"<drawing ") < xml.index(b"<legacyDrawing ")
    if ooxml_validator.available():
        assert ooxml_validator.new_errors(ooxml_validator.validate(src), ooxml_validator.validate(out)) == []


# ---------------------------------------------------------------------------------------------
# Refused inputs


def _cfb(tmp_path: Path, name: str, stream: str) -> Path:
    """Bytes that look like a CFB container with one directory entry named ``stream``."""
    path = tmp_path / name
    path.write_bytes(xmlsafe.CFB_MAGIC + b"\0" * 504 + stream.encode("utf-16-le") + b"\0" * 2000)
    return path


@pytest.mark.parametrize("maker, code", [
    (lambda d: _cfb(d, "secret.xlsx", "EncryptionInfo"), "encrypted"),
    (lambda d: _cfb(d, "old.xls", "Workbook"), "legacy-format"),
    (lambda d: (d / "notes.xlsx").write_text("không phải sổ tính") and d / "notes.xlsx", "not-a-zip"),
    (lambda d: d / "missing.xlsx", "file-missing"),
    (lambda d: d, "file-missing"),
])
def test_refused_inputs_have_clear_messages(tmp_path, maker, code):
    path = maker(tmp_path)
    before = path.read_bytes() if path.is_file() else None
    with pytest.raises(InvalidPackageError) as err:
        Package.open(path)
    assert err.value.code == code
    assert err.value.message and err.value.exit_code == 3
    assert (path.read_bytes() if path.is_file() else None) == before


def test_really_encrypted_workbook_is_refused(tmp_path):
    ooxml = pytest.importorskip("msoffcrypto.format.ooxml")
    plain = build_xlsx(tmp_path / "plain.xlsx", {"S": sheet_xml("")})
    secret = tmp_path / "secret.xlsx"
    with open(plain, "rb") as fin, open(secret, "wb") as fout:
        ooxml.OOXMLFile(fin).encrypt("mật khẩu", fout)
    with pytest.raises(InvalidPackageError) as err:
        Package.open(secret)
    assert err.value.code == "encrypted"


def test_zip_without_workbook_is_refused(tmp_path):
    path = tmp_path / "other.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
    with pytest.raises(InvalidPackageError) as err:
        Package.open(path)
    assert err.value.code == "xml-invalid" or err.value.code == "part-missing"


def test_zip_bomb_is_refused_before_inflating(tmp_path):
    path = build_xlsx(tmp_path / "bomb.xlsx", {"S": sheet_xml("")}, extra={"xl/media/zeros.bin": b"\0" * (8 << 20)})
    with pytest.raises(InvalidPackageError) as err:
        Package.open(path)
    assert err.value.code == "zip-too-large" and "tỉ lệ" in err.value.message


def test_part_count_limit(tmp_path, monkeypatch):
    path = build_xlsx(tmp_path / "many.xlsx", {"S": sheet_xml("")},
                      extra={f"customXml/item{i}.xml": b"<a/>" for i in range(20)})
    monkeypatch.setattr(xmlsafe, "MAX_PARTS", 10)
    with pytest.raises(InvalidPackageError) as err:
        Package.open(path)
    assert err.value.code == "zip-too-large"


def _replace_part(src: Path, dst: Path, name: str, data: str) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info, data if info.filename == name else zin.read(info))
    return dst


def test_dtd_and_entities_are_refused(tmp_path):
    evil = ('<?xml version="1.0"?><!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets/><definedNames>&x;</definedNames></workbook>')
    path = _replace_part(build_xlsx(tmp_path / "in.xlsx", {}), tmp_path / "evil.xlsx", "xl/workbook.xml", evil)
    with pytest.raises(InvalidPackageError) as err:
        Package.open(path)
    assert err.value.code == "xml-invalid"


def test_duplicate_part_names_are_refused(tmp_path):
    path = build_xlsx(tmp_path / "dup.xlsx", {"S": sheet_xml("")})
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("XL/Workbook.xml", "<x/>")  # part names are case-insensitive in OPC
    with pytest.raises(InvalidPackageError) as err:
        Package.open(path)
    assert err.value.code == "zip-invalid"


def test_broken_sheet_xml_is_reported_not_raised_raw(tmp_path):
    src = build_xlsx(tmp_path / "in.xlsx", {"S": sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>')})
    path = _replace_part(src, tmp_path / "broken.xlsx", "xl/worksheets/sheet1.xml",
                         sheet_xml('<row r="1"><c r="A1"><v>1</v></row>'))
    pkg = Package.open(path)
    pkg.set_cells("S", {(1, 1): 2})
    with pytest.raises(InvalidPackageError) as err:
        pkg.save(tmp_path / "out.xlsx")
    assert err.value.code == "xml-invalid"
    assert not (tmp_path / "out.xlsx").exists()


# ---------------------------------------------------------------------------------------------
# Saving


def test_failure_mid_save_leaves_the_original_untouched(tmp_path, monkeypatch):
    src = CORPUS / "phpspreadsheet-form-pass-print.xlsm"
    if not src.exists():
        pytest.skip("corpus not available")
    work = tmp_path / "book.xlsm"
    work.write_bytes(src.read_bytes())
    before = work.read_bytes()
    pkg = Package.open(work)
    pkg.set_cells(pkg.sheet_names[0], {(1, 1): "mới"})
    pkg.add_sheet("Tổng hợp")
    calls = []
    real = zip_module.ZipWriter.copy_raw

    def failing(self, info, src_fh):
        calls.append(info.filename)
        if len(calls) == 4:
            raise OSError(28, "No space left on device")
        return real(self, info, src_fh)

    monkeypatch.setattr(zip_module.ZipWriter, "copy_raw", failing)
    with pytest.raises(PackageError) as err:
        pkg.save(work)
    assert err.value.code == "save-failed"
    assert len(calls) == 4
    assert work.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsm"]

    monkeypatch.setattr(zip_module.ZipWriter, "copy_raw", real)
    pkg.save(work)  # the same package saves once the fault is gone
    assert openpyxl.load_workbook(work, keep_vba=True)["Tổng hợp"] is not None


def test_save_over_the_opened_file_twice(tmp_path):
    work = build_xlsx(tmp_path / "book.xlsx", {"S": sheet_xml("")})
    os.chmod(work, 0o640)
    pkg = Package.open(work)
    pkg.set_cells("S", {(1, 1): 1})
    pkg.save(work)
    pkg.set_cells("S", {(2, 1): 2})
    pkg.add_sheet("Mới")
    pkg.save(work)
    ws = openpyxl.load_workbook(work)["S"]
    assert (ws["A1"].value, ws["A2"].value) == (1, 2)
    assert os.stat(work).st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["book.xlsx"]


def test_file_changed_after_open_is_not_overwritten(tmp_path):
    work = build_xlsx(tmp_path / "book.xlsx", {"S": sheet_xml("")})
    pkg = Package.open(work)
    pkg.set_cells("S", {(1, 1): 1})
    build_xlsx(work, {"S": sheet_xml('<row r="1"><c r="B1"><v>9</v></c></row>')})
    edited = work.read_bytes()
    with pytest.raises(PackageError) as err:
        pkg.save(work)
    assert err.value.code == "file-changed" and work.read_bytes() == edited


def test_unchanged_parts_are_copied_raw(tmp_path):
    src = CORPUS / "phpspreadsheet-merged-cells.xlsx"
    if not src.exists():
        pytest.skip("corpus not available")
    pkg = Package.open(src)
    pkg.set_cells(pkg.sheet_names[0], {(1, 1): 1})
    out = saved(pkg, tmp_path)
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(out) as b:
        for info in a.infolist():
            if info.filename != "xl/worksheets/sheet1.xml" and not info.filename.endswith("workbook.xml"):
                other = b.getinfo(info.filename)
                assert (other.compress_type, other.compress_size, other.CRC) == (
                    info.compress_type, info.compress_size, info.CRC), info.filename


# ---------------------------------------------------------------------------------------------
# Committing one sheet at a time


def test_a_committed_sheet_can_be_written_again(tmp_path):
    rows = '<row r="1"><c r="A1" s="1"><f>1+1</f><v>2</v></c><c r="B1"><v>1</v></c></row>'
    src = build_xlsx(tmp_path / "in.xlsx", {"S": sheet_xml(rows), "T": sheet_xml("")}, styles=STYLES,
                     calc_chain=CALC_CHAIN)
    pkg = Package.open(src)
    pkg.set_cells("S", {(1, 1): "x", (2, 1): 2})
    pkg.commit("S")
    pkg.commit("T")  # nothing pending: nothing to do
    assert pkg.read_cell_values("S", [(1, 1), (2, 1), (1, 2)]) == {(1, 1): "x", (2, 1): 2, (1, 2): 1}
    pkg.set_cells("S", {(2, 1): 3, (3, 1): 4})
    pkg.write_rows("S", 1, 2, [[5]], clear_until_row=None)
    out = saved(pkg, tmp_path)
    ws = openpyxl.load_workbook(out)["S"]
    assert [[c.value for c in row] for row in ws.iter_rows(max_col=2)] == [["x", 5], [3, None], [4, None]]
    assert cells_of(out)["A1"].get("s") == "1" and cells_of(out)["A1"].find(f"{{{MAIN}}}f") is None
    chain = etree.fromstring(part(out, "xl/calcChain.xml"))
    assert all(c.get("r") != "A1" or c.get("i") != "1" for c in chain)  # the overwritten formula's entry is gone
    assert etree.fromstring(part(out, "xl/workbook.xml")).find(f"{{{MAIN}}}calcPr").get("fullCalcOnLoad") == "1"
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(out) as b:
        assert a.getinfo("xl/worksheets/sheet2.xml").CRC == b.getinfo("xl/worksheets/sheet2.xml").CRC


def test_chart_caches_follow_writes_made_after_a_commit(tmp_path):
    rows = "".join(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>ĐV{r}</t></is></c><c r="B{r}"><v>{r}</v></c></row>'
                   for r in range(1, 4))
    src = build_xlsx(tmp_path / "in.xlsx", {"S": sheet_xml(rows), "T": sheet_xml(rows)})
    pkg = Package.open(src)
    pkg.set_cells("S", {(1, 2): 10})
    pkg.add_bar_chart("S", anchor=(5, 1, 15, 6), title="Điểm", categories="A1:A3", series=[("Điểm", "B1:B3")])
    pkg.commit("S")
    pkg.set_cells("S", {(2, 2): 20})  # the sheet changes after its chart was rendered
    pkg.commit("T")
    pkg.add_bar_chart("T", anchor=(5, 1, 15, 6), title="Điểm", categories="A1:A3", series=[("Điểm", "B1:B3")])
    out = saved(pkg, tmp_path)
    c = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
    caches = []
    for name in _chart_parts(out):
        chart = etree.fromstring(part(out, name))
        caches.append((chart.findtext(f".//{c}val//{c}f"),
                       [v.text for v in chart.iterfind(f".//{c}numCache/{c}pt/{c}v")]))
    assert sorted(caches) == [("'S'!$B$1:$B$3", ["10", "20", "3"]), ("'T'!$B$1:$B$3", ["1", "2", "3"])]
    for sheet_part in ("xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"):
        assert part(out, sheet_part).count(b"<drawing") == 1
    if ooxml_validator.available():
        assert ooxml_validator.validate(out) == []


def test_a_source_replaced_after_open_is_reported_as_changed(tmp_path):
    work = build_xlsx(tmp_path / "book.xlsx", {"S": sheet_xml(""), "T": sheet_xml("")})
    pkg = Package.open(work)
    pkg.set_cells("S", {(1, 1): 1})
    pkg.commit("S")
    build_xlsx(work, {"S": sheet_xml('<row r="1"><c r="B1"><v>9</v></c></row>'), "T": sheet_xml("<row/>" * 50)})
    pkg.set_cells("T", {(1, 1): 1})
    with pytest.raises(PackageError) as err:
        pkg.commit("T")  # its part is read from the file, which is no longer the one opened
    assert err.value.code == "file-changed"
    with pytest.raises(PackageError) as err:
        pkg.save(work)
    assert err.value.code == "file-changed"


def test_write_rows_with_a_style_per_row(tmp_path):
    src = build_xlsx(tmp_path / "in.xlsx", {"S": sheet_xml('<row r="3"><c r="A3" s="1"><v>0</v></c></row>')},
                     styles=STYLES)
    pkg = Package.open(src)
    per_column = [2, None]
    pkg.write_rows("S", 1, 1, [["a", 1], ["b"], [None, 3]], row_styles=[1, per_column, per_column])
    cells = cells_of(saved(pkg, tmp_path))
    # B2 gets nothing (no value, no style); B3, without a style, takes B1's from above.
    assert {r: (c.get("s"), c.get("t")) for r, c in cells.items()} == {
        "A1": ("1", "inlineStr"), "B1": ("1", None), "A2": ("2", "inlineStr"), "A3": ("2", None), "B3": ("1", None)}
    with pytest.raises(PackageError) as err:
        pkg.write_rows("S", 1, 1, [[1], [2]], row_styles=[1, [99]])
    assert err.value.code == "style-invalid"


def test_big_parts_inflate_only_to_the_size_the_directory_gives(monkeypatch):
    import zlib

    monkeypatch.setattr(zip_module, "BIG_PART", 0)
    data = b"<row/>" * 10_000
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    raw = packer.compress(data) + packer.flush()
    assert zip_module.inflate(raw, len(data)) == data
    assert len(zip_module.inflate(raw, len(data) - 1)) != len(data) - 1
    assert len(zip_module.inflate(raw, len(data) + 1)) != len(data) + 1
    assert len(zip_module.inflate(raw[:-10], len(data))) != len(data)


def test_apply_plan_takes_a_generator_and_counts_the_cells(tmp_path):
    from sheetkpi.workbook.apply import apply_plan
    from sheetkpi.writes import Block, Chart, SheetWrites, WritePlan

    rows = '<row r="1"><c r="A1"><v>1</v></c><c r="B1"><v>2</v></c></row>'
    src = build_xlsx(tmp_path / "in.xlsx", {"S": sheet_xml(rows), "T": sheet_xml(rows)}, styles=STYLES)

    def sheets():
        yield SheetWrites("S", cells={(1, 1): 5, (1, 2): "x"}, styled_cells={(2, 1): (dt.date(2026, 6, 25), "date")})
        yield SheetWrites("T", blocks=[Block(3, 1, [["Tên", 1.5], ["Khác"]], styles=["header", ["text", "number"]])],
                          chart=Chart((6, 1, 10, 4), "Điểm", "A3:A4", [("Điểm", "B3:B4")]))
        yield SheetWrites("Mới", create=True, cells={(1, 1): "a"}, column_widths={1: 20})

    plan = WritePlan(list(sheets()))
    outs = []
    for name, given in (("plan.xlsx", plan), ("generated.xlsx", sheets())):
        pkg = Package.open(src)
        assert apply_plan(pkg, given) == plan.cell_count() == 7
        outs.append(saved(pkg, tmp_path, name))
    with zipfile.ZipFile(outs[0]) as a, zipfile.ZipFile(outs[1]) as b:
        assert a.namelist() == b.namelist()
        assert all(a.read(n) == b.read(n) for n in a.namelist() if "docProps" not in n)
    wb = openpyxl.load_workbook(outs[1])
    assert (wb["S"]["A1"].value, wb["S"]["B1"].value, wb["S"]["A2"].value.date()) == (5, "x", dt.date(2026, 6, 25))
    assert [[c.value for c in r] for r in wb["T"].iter_rows(min_row=3, max_row=4)] == [["Tên", 1.5], ["Khác", None]]
    assert wb["Mới"]["A1"].value == "a"
    if ooxml_validator.available():
        assert ooxml_validator.validate(outs[1]) == []


def test_parts_deflated_in_chunks_are_the_bytes_of_one_call():
    import random
    import zlib

    rng = random.Random(8)
    rows = [f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>{rng.choice(["Quá hạn", "Hoàn thành"])} {rng.random()}'
            f'</t></is></c><c r="B{r}"><v>{rng.randint(0, 10**rng.randint(1, 9))}</v></c></row>'.encode()
            for r in range(1, 60_000)]
    data = b"".join(rows)
    assert len(data) > 3 * zip_module.CHUNK
    stream = zip_module.PackStream(None, zipfile.ZIP_DEFLATED)
    for row in rows:  # as a sheet is rendered: in pieces, packed a chunk at a time
        stream.write(row)
    packed = stream.close().packed()
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    assert packed.payload == packer.compress(data) + packer.flush()
    assert (packed.crc, packed.size, packed.content()) == (zlib.crc32(data), len(data), data)


def test_a_segment_packed_on_its_own_reads_in_the_middle_of_a_part():
    """A part's lower rows deflated apart (see _segments.splits) and put between the rows above
    and the tail: the part reads as the three one after the other, its
    CRC and size those of the whole; the segment is the same bytes with a deflating thread or not."""
    import random
    import zlib

    rng = random.Random(9)
    rows = [f'<row r="{r}"><c r="A{r}"><v>{rng.random()}</v></c></row>'.encode() for r in range(1, 40_000)]
    above, below, tail = b"<head>" + b"".join(rows[:15_000]), rows[15_000:], b"</sheetData>" * 3
    segment = zip_module.pack_segment(below)
    assert zip_module.pack_segment(iter(below), zip_module.Deflater()) == segment
    whole = above + b"".join(below) + tail
    for deflater in (None, zip_module.Deflater()):
        stream = zip_module.PackStream(deflater, zipfile.ZIP_DEFLATED)
        stream.write(above)
        stream.insert(segment)
        stream.write(tail)
        packed = stream.close().packed()
        assert (zlib.decompress(packed.payload, -15), packed.crc, packed.size) == (whole, zlib.crc32(whole), len(whole))
    first = zip_module.PackStream(None, zipfile.ZIP_DEFLATED)  # (a segment may start the part, or end it)
    first.insert(segment)
    assert first.close().packed().content() == b"".join(below)
    with pytest.raises(ValueError):
        zip_module.PackStream(None, zipfile.ZIP_STORED).insert(segment)


@pytest.mark.parametrize("sizes", [(0, 0), (1, 0), (0, 1), (7, 5), (zip_module.CHUNK - 1, zip_module.CHUNK + 1),
                                   (3, 3 * zip_module.CHUNK + 17)])
def test_the_crc_of_two_parts_joined_is_found_from_theirs(sizes):
    import zlib

    first, second = os.urandom(sizes[0]), os.urandom(sizes[1])
    assert zip_module.crc32_combine(zlib.crc32(first), zlib.crc32(second), len(second)) == zlib.crc32(first + second)


def _laid_out_book(tmp_path: Path, name: str, *, again: bool = False, made: list[int] | None = None) -> Path:
    """A sheet sheetkpi lays out whole, of 60 rows: texts, numbers, dates, empty cells with a
    style, heights and merges, as "Tổng hợp" has them. ``again``: its first 30 rows committed
    first, then all 60 written again (a render over rows already there). ``made``: the rows given
    as rows made when asked for (writes.Rows), each row's number appended as it is made."""
    pkg = Package.open(build_xlsx(tmp_path / f"{name}.xlsx", {"S": sheet_xml("")}))
    pkg.add_sheet("Tổng hợp")
    style, date = pkg.add_style(border=True, wrap=True), pkg.add_style(num_fmt="dd/mm/yyyy")
    if again:
        pkg.write_rows("Tổng hợp", 1, 1, [["cũ"] * 5] * 30, style=style)
        pkg.commit("Tổng hợp")

    def row(r: int) -> list:
        if made is not None:
            made.append(r)
        return [f"Phòng {r} & <Ban>", r * 1.5, dt.date(2026, 1 + r % 12, 1), None, "x" * (r % 70)]
    if made is None:
        rows = [row(r) for r in range(60)]
    else:
        rows = Rows(5)
        rows.add_made(range(60), row)
    pkg.write_rows("Tổng hợp", 1, 1, rows, row_styles=[[style, style, date, style, style]] * 60, width=5,
                   deferred=made is not None)
    if made is not None:
        assert made == []  # (made as the sheet renders)
    pkg.set_row_heights("Tổng hợp", {r: 30.6 for r in range(2, 61, 3)})
    pkg.merge_cells("Tổng hợp", [(r, 4, r, 5) for r in range(1, 61)])
    out = tmp_path / f"{name}-out.xlsx"
    pkg.save(out)
    return out


def test_a_big_laid_out_sheet_is_packed_in_two_and_reads_the_same(tmp_path, monkeypatch):
    """Above _segments.MIN_ROWS rows, a laid-out sheet's lower rows are rendered and packed on
    their own: the file holds the very XML it holds when it is packed whole; a sheet already
    holding rows is packed whole."""
    whole = _laid_out_book(tmp_path, "whole")
    left = support.split_rows(monkeypatch)
    split = _laid_out_book(tmp_path, "split")
    assert left == [24]  # 0.4 of 60
    with zipfile.ZipFile(whole) as a, zipfile.ZipFile(split) as b:
        assert a.namelist() == b.namelist()
        assert [a.read(n) for n in a.namelist()] == [b.read(n) for n in b.namelist()]  # (CRCs checked)
    sheet = load_workbook(split)["Tổng hợp"]
    row = [sheet["A60"].value, sheet["B60"].value, sheet["C60"].value]
    assert row == ["Phòng 59 & <Ban>", 88.5, dt.datetime(2026, 12, 1)]
    assert sheet.row_dimensions[59].height == 30.6 and "D60:E60" in sheet.merged_cells
    again = _laid_out_book(tmp_path, "again", again=True)
    assert left == [24, 12]  # the first 30 rows' render; the second one is over rows already there
    with zipfile.ZipFile(whole) as a, zipfile.ZipFile(again) as b:
        assert a.read("xl/worksheets/sheet2.xml") == b.read("xl/worksheets/sheet2.xml")


@pytest.mark.parametrize("split", [False, True])
def test_rows_made_as_the_sheet_renders_give_the_same_sheet(tmp_path, monkeypatch, split):
    """"Tổng hợp"'s list rows are made while it renders, a slice at a time, never held whole: the
    same file as from a list, packed whole or in two; each row made once."""
    left = support.split_rows(monkeypatch) if split else []
    listed = _laid_out_book(tmp_path, "listed")
    made: list[int] = []
    lazy = _laid_out_book(tmp_path, "made", made=made)
    assert sorted(made) == list(range(60))
    assert left == ([24, 24] if split else [])
    with zipfile.ZipFile(listed) as a, zipfile.ZipFile(lazy) as b:
        assert [a.read(n) for n in a.namelist()] == [b.read(n) for n in b.namelist()]


def test_rows_made_as_the_sheet_renders_are_checked_then_and_a_later_write_makes_them_now(tmp_path):
    """A value refused is refused when the sheet renders: the save fails, the file is not written.
    A value without a style is a writer's mistake there (its column's style would be tracked). A
    write into the same sheet after them makes them at once: the same cells."""
    def book(rows, *, second_unstyled: bool = False) -> tuple[Package, int]:
        pkg = Package.open(build_xlsx(tmp_path / "in.xlsx", {"S": sheet_xml("")}))
        pkg.add_sheet("Tổng hợp")
        style = pkg.add_style(border=True)
        made = Rows(2)
        made.add_made(rows, list)
        given = [style, None] if second_unstyled else style
        pkg.write_rows("Tổng hợp", 1, 1, made, row_styles=[given] * len(rows), width=2, deferred=True)
        return pkg, style

    pkg, _ = book([("ngắn", 1), ("x" * 40_000, 2)])
    with pytest.raises(PackageError) as err:
        pkg.save(tmp_path / "out.xlsx")
    assert err.value.code == "value-invalid" and not (tmp_path / "out.xlsx").exists()
    pkg, _ = book([("a", 1)], second_unstyled=True)
    with pytest.raises(ValueError):
        pkg.save(tmp_path / "out.xlsx")
    pkg, style = book([("a", 1), ("b", 2)])
    pkg.set_cells("Tổng hợp", {(2, 2): 20, (3, 1): "c"}, style=style)
    pkg.save(tmp_path / "out.xlsx")
    # Rows not a list, not deferred: written at once, as a list's (a value refused is refused now).
    pkg = Package.open(build_xlsx(tmp_path / "in.xlsx", {"S": sheet_xml("")}))
    pkg.add_sheet("Mới")
    with pytest.raises(PackageError):
        pkg.write_rows("Mới", 1, 1, (("a", 1), ("x" * 40_000, 2)), style=pkg.add_style(border=True))
    sheet = load_workbook(tmp_path / "out.xlsx")["Tổng hợp"]
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [["a", 1], ["b", 20], ["c", None]]


def test_a_save_that_failed_while_rows_were_packed_apart_loses_none_of_them(tmp_path, monkeypatch):
    """The segment fails (memory, a full disk…): the save fails; saved again, every row is there."""
    from sheetkpi.workbook import _segments

    support.split_rows(monkeypatch)
    pack_rows, failed = _segments.pack_rows, []

    def fails_once(*args):
        if not failed:
            failed.append(True)
            raise MemoryError
        return pack_rows(*args)
    monkeypatch.setattr(_segments, "pack_rows", fails_once)
    pkg = Package.open(build_xlsx(tmp_path / "book.xlsx", {"S": sheet_xml("")}))
    pkg.add_sheet("Tổng hợp")
    pkg.write_rows("Tổng hợp", 1, 1, [[f"dòng {r}", r] for r in range(1, 61)], style=pkg.add_style(border=True))
    with pytest.raises(MemoryError):
        pkg.save(tmp_path / "out.xlsx")
    pkg.save(tmp_path / "out.xlsx")
    sheet = load_workbook(tmp_path / "out.xlsx")["Tổng hợp"]
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [[f"dòng {r}", r] for r in range(1, 61)]


def test_a_source_removed_after_open_is_reported_as_changed(tmp_path):
    work = build_xlsx(tmp_path / "book.xlsx", {"S": sheet_xml("")})
    pkg = Package.open(work)
    pkg.set_cells("S", {(1, 1): 1})
    work.unlink()
    with pytest.raises(PackageError) as err:
        pkg.commit("S")
    assert err.value.code == "file-changed"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("rows, prefix, whole", [
    # Rows written plainly: only those down to the third are inflated and read.
    ('<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row><row r="3"><c r="A3"><v>7</v></c></row>'
     + "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(4, 4000)), "", False),
    ('<row/><row/><row><c><v>7</v></c></row><row r="4"><c r="A4"><v>4</v></c></row>', "", False),
    # A prefixed sheet: read whole, the same value.
    ('<x:row r="3"><x:c r="A3"><x:v>7</x:v></x:c></x:row><x:row r="4"><x:c r="A4"><x:v>4</x:v></x:c></x:row>', "x",
     True),
    # The words of the fourth row's tag in a text: its "<" is escaped there.
    ('<row r="1"><c r="A1" t="inlineStr"><is><t>&lt;row r="4" is next</t></is></c></row>'
     '<row r="3"><c r="A3"><v>7</v></c></row><row r="4"><c r="A4"><v>4</v></c></row>', "", False),
    # A comment or a processing instruction among the rows read, which may hold the fourth row's
    # tag: read whole.
    ('<row r="1"/><!-- row r="4" --><row r="3"><c r="A3"><v>7</v></c></row><row r="4"/>', "", True),
    ('<row r="1"/><row r="3"><c r="A3"><v>7</v></c></row><!-- <row r="4" -->', "", True),
    ('<row r="1"/><row r="3"><c r="A3"><v>7</v></c></row><?note <row r="4"?>', "", True),
    # No fourth row, or one whose r is not first: read whole, the same value.
    ('<row r="3"><c r="A3"><v>7</v></c></row>', "", True),
    ('<row r="3"><c r="A3"><v>7</v></c></row><row spans="1:1" r="4"><c r="A4"><v>4</v></c></row>', "", True),
])
def test_a_cell_of_the_first_rows_is_read_without_the_rest(tmp_path, monkeypatch, rows, prefix, whole):
    from sheetkpi.workbook import _parts
    from sheetkpi.workbook.package import MAIN_NS

    if prefix:
        xml = (f'<?xml version="1.0"?><{prefix}:worksheet xmlns:{prefix}="{MAIN_NS}"><{prefix}:sheetData>{rows}'
               f"</{prefix}:sheetData></{prefix}:worksheet>")
    else:
        xml = sheet_xml(rows)
    pkg = Package.open(build_xlsx(tmp_path / "in.xlsx", {"S": xml}))
    read_whole = []
    read = _parts.Parts.read
    monkeypatch.setattr(_parts.Parts, "read", lambda self, part: read_whole.append(part) or read(self, part))
    assert pkg.read_cell_values("S", [(3, 1)]) == {(3, 1): 7}
    assert bool(read_whole) == whole


@pytest.mark.parametrize("piece", [1, 2, 3, 5, 7, 64, 1 << 20])
@pytest.mark.parametrize("rows, tail, prefix", [
    ('<row r="1"><c r="A1"><f>SUM(B1:B2)</f><v>3</v></c></row>', '<drawing r:id="rId7"/>', ""),
    ('<row r="1"><c r="A1"><v>1</v></c></row>', '<mergeCells count="1"><mergeCell ref="A1:B1"/></mergeCells>', ""),
    ('<x:row r="1"><x:c r="A1"><x:f>1+1</x:f></x:c></x:row>', '<x:drawing r:id="rId2"/>', "x"),
    ("", "", ""),
])
def test_a_sheet_outlined_piece_by_piece_is_its_head_and_tail(tmp_path, monkeypatch, piece, rows, tail, prefix):
    # reset_sheet finds the drawing and any formula of a sheet laid out anew without holding its
    # rows: whatever the pieces the part comes in, the outline is the sheet without its rows.
    import re

    from sheetkpi.workbook import _parts

    xml = sheet_xml(rows, prefix=prefix, tail=tail).encode()
    pkg = Package.open(build_xlsx(tmp_path / "in.xlsx", {"S": xml.decode()}))
    monkeypatch.setattr(_parts.Parts, "pieces",
                        lambda self, part: (xml[i:i + piece] for i in range(0, len(xml), piece)))
    outline, formulas = pkg._outline(pkg._worksheet("S").part)
    p = f"{prefix}:" if prefix else ""
    without_rows = re.sub(rb"(<%ssheetData>).*(</%ssheetData>)" % (p.encode(), p.encode()), rb"\1\2", xml)
    assert outline.head + outline.tail == without_rows.replace(b"<sheetData/>", b"<sheetData></sheetData>")
    assert formulas == (b"<f" in xml or b":f>" in xml)


def test_a_part_in_pieces_is_checked_as_when_read_whole(tmp_path):
    from sheetkpi.workbook._zip import iter_member

    xml = sheet_xml("".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(1, 60000)))
    src = build_xlsx(tmp_path / "in.xlsx", {"S": xml})
    stored = tmp_path / "stored.xlsx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(stored, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info))
    for path in (src, stored):
        with zipfile.ZipFile(path) as z:
            info = z.getinfo("xl/worksheets/sheet1.xml")
            for step in (1, 3, 64, 1000, 1 << 20):  # (input that gives no output yet, output zlib still holds)
                pieces = list(iter_member(path, info, step))
                assert b"".join(pieces) == z.read(info) == xml.encode() and max(map(len, pieces)) <= step
            info.CRC ^= 1  # as a damaged file would say
            with pytest.raises(PackageError, match="CRC"):
                b"".join(iter_member(path, info))


def test_a_workbook_saved_again_while_its_summary_is_laid_out_is_told_as_changed(tmp_path):
    # Someone saves the workbook (Excel writes a new file over it) while a run goes on: when the
    # run lays out "Tổng hợp" anew, the part it reads in pieces no longer matches: "saved again",
    # not "damaged".
    import shutil

    from sheetkpi import api

    from support import EXAMPLE

    book = tmp_path / "in.xlsx"
    shutil.copyfile(EXAMPLE, book)
    api.recalc(book, as_of="2026-06-25", keep_backup=False)
    pkg = Package.open(book)
    part = pkg._worksheet("Tổng hợp").part
    again = tmp_path / "again.xlsx"
    with zipfile.ZipFile(book) as zin, zipfile.ZipFile(again, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == part:
                data = data.replace(b"</sheetData>", b"</sheetData><!-- x -->")
            zout.writestr(info.filename, data)
    os.replace(again, book)
    with pytest.raises(PackageError) as err:
        pkg.reset_sheet("Tổng hợp")
    assert err.value.code == "file-changed"


@pytest.mark.parametrize("empty", [True, False])
def test_a_streamed_sheets_rows_are_dropped_as_they_are_written(tmp_path, empty):
    """A sheet of a streamed plan (apply_sheet(empty=True)) gives up each row of its blocks once it
    is in the package; otherwise its rows stay as given. The cells written are the same either way."""
    from sheetkpi.workbook.apply import _Styles, apply_sheet
    from sheetkpi.writes import Block, SheetWrites

    pkg = Package.open(build_xlsx(tmp_path / "book.xlsx", {"S": sheet_xml("")}))
    given = [[1.5, "một"], [2.5, "hai"], [3.5]]
    rows = [list(row) for row in given]
    sheet = SheetWrites(sheet="S", blocks=[Block(row=2, col=1, rows=rows)])
    assert apply_sheet(pkg, sheet, _Styles(pkg), empty=empty) == 5
    assert rows == ([None] * 3 if empty else given)
    pkg.save(tmp_path / "out.xlsx")
    ws = load_workbook(tmp_path / "out.xlsx")["S"]
    written = [[c.value for c in row] for row in ws.iter_rows(min_row=2, max_row=4)]
    assert written == [[1.5, "một"], [2.5, "hai"], [3.5, None]]


def _many_rows(pkg: Package, sheet: str, count: int) -> None:
    pkg.write_rows(sheet, 1, 1, [[f"Hàng {r}", r, r / 7] for r in range(1, count + 1)])
    pkg.commit(sheet)


def _spooled(tmp_path: Path, monkeypatch, memory: int, folder: Path, rows: tuple = (3000, 20)) -> tuple[Package, Path]:
    """The example of the spool tests: a sheet of 3,000 rows (about 57 kB packed), then one of 20."""
    src = tmp_path / "book.xlsx"
    if not src.exists():
        build_xlsx(src, {"A": sheet_xml(""), "B": sheet_xml("")})
    monkeypatch.setattr(zip_module, "SPOOL_MEMORY", memory)
    monkeypatch.setattr("tempfile.tempdir", str(folder))
    pkg = Package.open(src)
    _many_rows(pkg, "A", rows[0])
    _many_rows(pkg, "B", rows[1])
    # (Read back once packed, from where the spool keeps them.)
    assert b"<v>%d</v>" % (rows[0] - 1) in pkg._parts.read("xl/worksheets/sheet1.xml")
    assert b"<v>%d</v>" % (rows[1] - 1) in pkg._parts.read("xl/worksheets/sheet2.xml")
    return pkg, src


def test_packed_parts_wait_for_the_save_in_a_temporary_file(tmp_path, monkeypatch):
    """Rendered sheets, packed, wait for the save in a spool: in memory while they come to
    SPOOL_MEMORY, the others in a temporary file (TMPDIR); the saved workbook is the same bytes either
    way, and a part read back from the file (charts read the cells they plot) is what was written."""
    folder = tmp_path / "tam"
    folder.mkdir()
    outs = []
    for memory, kind in ((zip_module.SPOOL_MEMORY, zip_module.Packed), (1, zip_module.Kept)):
        pkg, _ = _spooled(tmp_path, monkeypatch, memory, folder)
        assert {type(pkg._parts.packed(f"xl/worksheets/sheet{n}.xml")) for n in (1, 2)} == {kind}
        outs.append(saved(pkg, tmp_path, f"out{memory}.xlsx").read_bytes())
        assert pkg._parts.spool._file is None  # closed at the save
    assert outs[0] == outs[1]
    ws = openpyxl.load_workbook(tmp_path / "out1.xlsx")["A"]
    assert (ws["A3000"].value, ws["B3000"].value) == ("Hàng 3000", 3000)


def test_a_sheet_rendered_elsewhere_waits_in_the_spool_counted_once(tmp_path, monkeypatch):
    """A sheet another process rendered (Package.rendered there) waits in this package's spool
    (keep_rendered) and is adopted as kept: in memory it is counted once against SPOOL_MEMORY (not
    again when adopted), past it in the temporary file; the workbook is the same bytes as when the
    sheet is rendered here."""
    folder = tmp_path / "tam"
    folder.mkdir()
    here, src = _spooled(tmp_path, monkeypatch, zip_module.SPOOL_MEMORY, folder)
    expected = saved(here, tmp_path, "here.xlsx").read_bytes()
    there = Package.open(src)
    _many_rows(there, "A", 3000)
    packed, removed = there.rendered("A")
    for memory, kind in ((zip_module.SPOOL_MEMORY, zip_module.Packed), (0, zip_module.Kept)):
        monkeypatch.setattr(zip_module, "SPOOL_MEMORY", memory)
        pkg = Package.open(src)
        _many_rows(pkg, "B", 20)
        held = pkg._parts.spool._held
        kept = pkg.keep_rendered(packed)
        pkg.adopt_rendered("A", kept, removed, True)
        assert type(pkg._parts.packed("xl/worksheets/sheet1.xml")) is kind
        assert pkg._parts.spool._held - held == (len(packed.payload) if kind is zip_module.Packed else 0)
        assert saved(pkg, tmp_path, f"adopted{memory}.xlsx").read_bytes() == expected


def test_a_temporary_folder_that_cannot_be_written_keeps_parts_in_memory(tmp_path, monkeypatch):
    """TMPDIR naming a folder that is gone: the spool keeps the parts in memory, the run is saved,
    the same bytes."""
    folder = tmp_path / "tam"
    folder.mkdir()
    pkg, _ = _spooled(tmp_path, monkeypatch, zip_module.SPOOL_MEMORY, folder)
    expected = saved(pkg, tmp_path, "memory.xlsx").read_bytes()
    pkg, _ = _spooled(tmp_path, monkeypatch, 1, tmp_path / "khong-co")
    assert {type(pkg._parts.packed(f"xl/worksheets/sheet{n}.xml")) for n in (1, 2)} == {zip_module.Packed}
    assert saved(pkg, tmp_path, "gone.xlsx").read_bytes() == expected


def test_a_temporary_file_that_fills_up_midway_keeps_the_rest_in_memory(tmp_path, monkeypatch):
    """The temporary folder's disk fills up while a part is written there (RLIMIT_FSIZE: the write
    fails with EFBIG midway through the part): that part and those after it are kept in memory, the
    parts written before are read back from the file, and the workbook saved is the same bytes."""
    import resource

    folder = tmp_path / "tam"
    folder.mkdir()
    # About 20 kB packed, then 6 kB: the second stops at 25 kB (a buffered file would take it whole
    # into its buffer, and fail only when the first is read back at the save).
    rows = (1000, 300)
    pkg, _ = _spooled(tmp_path, monkeypatch, zip_module.SPOOL_MEMORY, folder, rows)
    expected = saved(pkg, tmp_path, "memory.xlsx").read_bytes()
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (25_000, hard))
    try:
        pkg, _ = _spooled(tmp_path, monkeypatch, 1, folder, rows)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    kinds = [type(pkg._parts.packed(f"xl/worksheets/sheet{n}.xml")) for n in (1, 2)]
    assert kinds == [zip_module.Kept, zip_module.Packed] and pkg._parts.spool._refused
    assert saved(pkg, tmp_path, "full.xlsx").read_bytes() == expected


def test_a_temporary_file_cut_short_fails_the_save_and_says_so(tmp_path, monkeypatch):
    folder = tmp_path / "tam"
    folder.mkdir()
    pkg, src = _spooled(tmp_path, monkeypatch, 1, folder)
    before = src.read_bytes()
    spool = pkg._parts.spool._file
    spool.flush()
    os.ftruncate(spool.fileno(), 10)  # (another program, a failing disk)
    with pytest.raises(PackageError) as err:
        pkg.save(src)
    assert err.value.code == "save-failed"
    assert err.value.message == "Tệp tạm của sheetkpi bị cắt cụt. Sổ tính chưa được ghi."
    assert src.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsx", "tam"]


def _saved(pkg: Package, path: Path) -> list[bytes]:
    """``pkg`` saved to ``path``: its members, each as read."""
    pkg.save(path)
    with zipfile.ZipFile(path) as zf:
        return [zf.read(n) for n in zf.namelist()]


def test_a_column_made_as_the_sheet_renders_gives_the_same_file_as_its_cells(tmp_path):
    """set_column ("Lịch sử"'s figures): one cell per row, each made when the sheet renders, after
    the writes before it (and winning where they overlap); the same file as set_cells with the same
    values and styles (NaN: the cell emptied, as None). A write after it goes over them."""
    from array import array

    from sheetkpi.workbook._sheetxml import StackedRuns

    rows_xml = "".join(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>KPI {r}</t></is></c>'
                       f'<c r="C{r}"><v>{r}</v></c></row>' for r in range(2, 9))
    source = build_xlsx(tmp_path / "in.xlsx", {"S": sheet_xml(rows_xml, dimension="A2:C8")})
    rows, values = array("I", [2, 3, 5, 8, 9]), array("d", [10.0, float("nan"), 55.5, 0.0, 70.0])

    def book(name: str, column: bool, after: bool = False) -> list[bytes]:
        pkg = Package.open(source)
        plain, fell = pkg.add_style(border=True), pkg.add_style(border=True, color="FF0000")
        styles = [plain, plain, fell, plain, plain]
        pkg.set_cells("S", {(3, 1): "đã sửa", (5, 3): 99})  # before: kept, C5 written over by the column
        if column:
            pkg.set_column("S", 3, rows, values, styles)
            pending = pkg._rows[pkg._worksheet("S").part]
            assert isinstance(pending, StackedRuns) and list(pending) == [2, 3, 5, 8, 9] and len(pending) == 5
            assert 4 not in pending and 3 in pending
        else:
            for row, value, style in zip(rows, values, styles):
                pkg.set_cells("S", {(row, 3): None if value != value else value}, style=style)
        if after:
            pkg.set_cells("S", {(8, 3): 1.5})
        return _saved(pkg, tmp_path / f"{name}.xlsx")

    assert book("cells", False) == book("column", True)
    sheet = load_workbook(tmp_path / "column.xlsx")["S"]
    assert [sheet.cell(r, 3).value for r in range(2, 10)] == [10, None, 4, 55.5, 6, 7, 0, 70]
    assert (sheet["A3"].value, sheet["C4"].value) == ("đã sửa", 4)
    assert sheet["C5"].font.color.rgb == "FFFF0000" and sheet["C2"].border.left.style == "thin"
    assert book("cells-after", False, after=True) == book("column-after", True, after=True)
    assert load_workbook(tmp_path / "column-after.xlsx")["S"]["C8"].value == 1.5
    with pytest.raises(ValueError):
        Package.open(source).set_column("S", 3, [3, 2], [1.0, 2.0], [None, None])


def test_rows_made_as_an_edited_sheet_renders_give_the_same_file_as_rows_made_at_once(tmp_path):
    """A block of rows made when asked for, written below an existing sheet's rows with nothing to
    clear ("Lịch sử"'s rows added): made only when the sheet renders, over the cells written before
    and under a column written after (each winning where they overlap), and the same file as the
    same rows made at once. After a clear in the sheet they are made at once."""
    from array import array

    from sheetkpi.workbook._sheetxml import MadeRuns, StackedRuns

    rows_xml = "".join(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>KPI {r}</t></is></c>'
                       f'<c r="D{r}"><v>{r}</v></c></row>' for r in range(2, 6))
    source = build_xlsx(tmp_path / "in.xlsx", {"S": sheet_xml(rows_xml, dimension="A2:D5")})
    added = [["KHĐT", "KHĐT-01", "Tham mưu ban hành kế hoạch"], ["KHĐT", "", "Rà soát & cập nhật <quy hoạch>"],
             ["VP", "VP-02", None]]
    made: list[int] = []

    def book(name: str, deferred: bool, clear_first: bool = False) -> list[bytes]:
        pkg = Package.open(source)
        text = pkg.add_style(border=True)
        if clear_first:
            pkg.write_rows("S", 9, 6, [["x"]], clear_until_row=10)  # a clear in F10
        pkg.set_cells("S", {(2, 1): "đã sửa", (7, 2): "ghi trước"})  # B7 written over by the block
        rows = Rows(3)
        rows.add_made(added, lambda values: made.append(1) or list(values))
        pkg.write_rows("S", 6, 1, rows if deferred else [list(v) for v in added], clear_until_row=8,
                       row_styles=[text] * 3, width=3, deferred=deferred)
        pending = pkg._rows[pkg._worksheet("S").part]
        if deferred and not clear_first:
            assert isinstance(pending, StackedRuns) and not made  # nothing made yet
            assert list(pending) == [2, 6, 7, 8] and len(pending) == 4 and 7 in pending and 5 not in pending
        if clear_first:
            assert len(made) == 3 and not isinstance(pending, (StackedRuns, MadeRuns))  # made at once
        pkg.set_column("S", 4, array("I", [5, 6, 8]), array("d", [50.0, 60.0, float("nan")]), [None, None, None])
        pkg.set_column("S", 3, array("I", [7]), array("d", [77.0]), [None])  # C7 written over the block
        return _saved(pkg, tmp_path / f"{name}.xlsx")

    assert book("at-once", False) == book("later", True)
    assert made  # (made as the sheet rendered)
    sheet = load_workbook(tmp_path / "later.xlsx")["S"]
    assert [[c.value for c in row] for row in sheet.iter_rows(min_row=2, max_row=8, max_col=4)] == [
        ["đã sửa", None, None, 2], ["KPI 3", None, None, 3], ["KPI 4", None, None, 4], ["KPI 5", None, None, 50],
        ["KHĐT", "KHĐT-01", "Tham mưu ban hành kế hoạch", 60],
        ["KHĐT", "", 77, None], ["VP", "VP-02", None, None]]
    assert sheet["C7"].border.left.style == "thin"
    made.clear()
    book("after-a-clear", True, clear_first=True)
    assert load_workbook(tmp_path / "after-a-clear.xlsx")["S"]["C6"].value == "Tham mưu ban hành kế hoạch"


def test_rows_made_when_asked_for_that_clear_below_earlier_writes_are_made_at_once(tmp_path):
    """On a sheet sheetkpi lays out, a block of rows made when asked for that comes after other
    writes and empties the columns below it is made at once: the writes it clears are gone, the
    others kept, as with the same rows given as a list."""
    source = build_xlsx(tmp_path / "in.xlsx", {"S": sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>')})

    def book(name: str, deferred: bool) -> list[bytes]:
        pkg = Package.open(source)
        pkg.add_sheet("Mới")
        text = pkg.add_style(border=True)
        pkg.set_cells("Mới", {(10, 1): "xóa", (10, 3): "giữ"})
        rows = Rows(2)
        rows.add_made([["a", 1], ["b", 2]], list)
        pkg.write_rows("Mới", 1, 1, rows if deferred else [["a", 1], ["b", 2]], clear_until_row=None,
                       row_styles=[text, text], width=2, deferred=deferred)
        return _saved(pkg, tmp_path / f"{name}.xlsx")

    assert book("at-once", False) == book("later", True)
    sheet = load_workbook(tmp_path / "later.xlsx")["Mới"]
    assert (sheet["A1"].value, sheet["B2"].value, sheet["A10"].value, sheet["C10"].value) == ("a", 2, None, "giữ")


def test_stacked_runs_are_the_runs_written_one_after_the_other():
    """StackedRuns (a sheet's pending runs with runs made when asked for written over them, in any
    nesting, either a dict or made rows) gives each row the runs that writing them in turn gives
    (add_run), rows rising and each once, by row, by iteration and by items (400 random stacks)."""
    import random
    from array import array

    from sheetkpi.workbook._sheetxml import ColumnRuns, MadeRuns, StackedRuns, add_run

    rng = random.Random(20)
    for _ in range(400):
        cells = {r: ((rng.randint(1, 3), ("b",), (1,)),) for r in rng.sample(range(1, 40), rng.randint(0, 15))}
        rows = sorted(rng.sample(range(1, 40), rng.randint(0, 15)))
        column = ColumnRuns(rng.randint(1, 4), array("I", rows), array("d", map(float, rows)), [(2,)] * len(rows), str)
        first, n = rng.randint(1, 30), rng.randint(0, 8)
        made = MadeRuns(first, 1, [[f"x{i}", str(i)] for i in range(n)], [(3, 3)] * n, 2, str)
        unsorted = dict(reversed(cells.items()))  # (a dict written after made rows: rows in any order)
        for layers in ([cells, column], [cells, made], [cells, made, column], [made, unsorted, column]):
            expected: dict[int, tuple] = {}
            for layer in layers:  # written in turn
                for row in layer:
                    runs = expected.get(row)
                    for run in layer[row]:
                        runs = add_run(runs, run)
                    expected[row] = runs
            stacked = layers[0]
            for layer in layers[1:]:
                stacked = StackedRuns(stacked, layer)
            assert list(stacked) == sorted(expected) and len(stacked) == len(expected)
            assert list(stacked.items()) == sorted(expected.items())
            assert {row: stacked[row] for row in expected} == expected and 0 not in stacked and 41 not in stacked


def test_writes_after_rows_made_when_asked_for_are_the_writes_made_in_turn(tmp_path):
    """Cells written twice over rows made when asked for (into the same dict stacked over them),
    then a block that empties cells below it (made at once, to take out what it empties): the same
    file as every write made at once."""
    rows_xml = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c><c r="D{r}"><v>{r}</v></c></row>' for r in range(2, 12))
    source = build_xlsx(tmp_path / "in.xlsx", {"S": sheet_xml(rows_xml, dimension="A2:D11")})
    data = [["a", "b", "c"], ["d", "e", "f"], ["g", "h", "i"]]

    def book(name: str, deferred: bool) -> list[bytes]:
        pkg = Package.open(source)
        text = pkg.add_style(border=True)
        rows = Rows(3)
        rows.add_made(data, list)
        pkg.write_rows("S", 5, 1, rows if deferred else [list(r) for r in data], clear_until_row=7,
                       row_styles=[text] * 3, width=3, deferred=deferred)
        pkg.set_cells("S", {(6, 2): "x", (6, 4): "k", (9, 1): "y"})
        pkg.set_cells("S", {(6, 3): "z", (9, 1): "w"})
        pkg.write_rows("S", 4, 2, [["p", "q"]], clear_until_row=None)  # empties B5:C11, the block's too
        return _saved(pkg, tmp_path / f"{name}.xlsx")

    assert book("at-once", False) == book("later", True)
    sheet = load_workbook(tmp_path / "later.xlsx")["S"]
    assert [[c.value for c in row] for row in sheet.iter_rows(min_row=4, max_row=9, max_col=4)] == [
        [4, "p", "q", 4], ["a", None, None, 5], ["d", None, None, "k"], ["g", None, None, 7], [8, None, None, 8],
        ["w", None, None, 9]]


def _spilling(tmp_path: Path, monkeypatch) -> tuple[bytes, list[bytes]]:
    """A part of 1.7 MB in pieces of 100 kB, packed in chunks of 200 kB: what the spill tests pack."""
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    monkeypatch.setattr(zip_module, "CHUNK", 200_000)
    monkeypatch.setattr(zip_module, "SPILL", 1_000)
    monkeypatch.setattr(zip_module, "SPOOL_MEMORY", 0)
    data = b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (i, i, i * 7919 % 10007) for i in range(40_000))
    return data, [data[i:i + 100_000] for i in range(0, len(data), 100_000)]


def test_a_big_part_goes_to_the_temporary_file_as_it_is_packed(tmp_path, monkeypatch):
    """A part packed with a spool goes to its temporary file as its chunks are packed (SPILL), not
    held until it is finished ("Lịch sử" and "Tổng hợp" at 300,000 KPIs: 10 and 12 MiB packed),
    while other parts are kept there between its pieces: read back, copied and saved, it is the
    part packed in memory, byte for byte."""
    data, pieces = _spilling(tmp_path, monkeypatch)
    spool = zip_module.Spool()
    stream = zip_module.PackStream(None, zipfile.ZIP_DEFLATED, spool=spool)
    others = []
    for i, piece in enumerate(pieces):
        stream.write(piece)
        if i % 5 == 4:
            others.append(spool.keep([b"x" * 3000], zipfile.crc32(b"x" * 3000), 3000, zipfile.ZIP_STORED))
    kept = stream.close().packed()
    assert isinstance(kept, zip_module.Kept) and len(kept.extents) > 3
    assert any(a + n != b for (a, n), (b, _) in zip(kept.extents, kept.extents[1:]))  # others in between
    whole = zip_module.Packed.of(data, zipfile.ZIP_DEFLATED)
    assert (kept.packed(), kept.content(), kept.compressed_size) == (whole, data, len(whole.payload))
    copied = tmp_path / "copied"
    with open(copied, "wb") as fh:
        kept.write_to(fh)
    assert copied.read_bytes() == whole.payload
    assert [other.content() for other in others] == [b"x" * 3000] * len(others)


def test_a_temporary_file_that_fills_up_while_a_part_spills_keeps_it_whole_in_memory(tmp_path, monkeypatch):
    """The temporary folder's disk fills up (RLIMIT_FSIZE) after a part's first chunks went there:
    the part is kept in memory, those chunks read back, and it is the part packed in memory."""
    import resource

    data, pieces = _spilling(tmp_path, monkeypatch)
    spool = zip_module.Spool()
    stream = zip_module.PackStream(None, zipfile.ZIP_DEFLATED, spool=spool)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (25_000, hard))
    try:
        for piece in pieces:
            stream.write(piece)
        packed = stream.close().packed()
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    assert spool._refused and stream._spilled  # (some went to the file before it was full)
    assert packed == zip_module.Packed.of(data, zipfile.ZIP_DEFLATED)
