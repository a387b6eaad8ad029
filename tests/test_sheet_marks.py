"""What the reader learns from a sheet's XML beside calamine's values — percentage-styled cells,
error values, column totals, the last filled row and the widest cell — found by fast searches
(sheetkpi/workbook/_sheetxml.py), checked against lxml reading the whole sheet, on every sheet of
the corpus of real workbooks and on sheets written the unusual ways the format allows."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from sheetkpi.cells import col_index
from sheetkpi.workbook import _sheetxml

from support import EXAMPLE, ROOT, TEMPLATE

CORPUS = ROOT.parent / "shared" / "corpus"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
WORKBOOKS = [*sorted(CORPUS.glob("*.xls[xm]")), EXAMPLE, TEMPLATE]
TOTAL = re.compile(r"\s*=?\s*(?:_xlfn\.)?(?:SUM|SUBTOTAL|AGGREGATE)\s*\(", re.IGNORECASE)


def oracle(xml: bytes, styles: set[int]) -> tuple[set, dict, set, int]:
    """The marks and the last filled row, by lxml over the whole sheet (implicit positions counted)."""
    styled, errors, totals, last = set(), {}, set(), 0
    row_number = 0
    for row in etree.fromstring(xml).iter(f"{{{MAIN}}}row"):
        row_number = int(row.get("r")) if row.get("r") else row_number + 1
        col = 0
        for c in row.iterchildren(f"{{{MAIN}}}c"):
            ref = c.get("r")
            col = col_index(re.match(r"[A-Za-z]+", ref).group(0)) if ref else col + 1
            if c.get("s", "").isdigit() and int(c.get("s")) in styles:
                styled.add((row_number, col))
            if c.get("t") == "e" and c.findtext(f"{{{MAIN}}}v"):
                errors[(row_number, col)] = c.findtext(f"{{{MAIN}}}v")
            formula = c.findtext(f"{{{MAIN}}}f")
            if formula and TOTAL.match(formula):
                totals.add((row_number, col))
            if len(c) and row.get("r"):
                last = max(last, row_number)
    return styled, errors, totals, last


def sheets_of(path: Path) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(path) as zf:
        return [(f"{path.name}:{n}", zf.read(n)) for n in zf.namelist()
                if n.startswith("xl/worksheets/") and n.endswith(".xml")]


def sheet(rows: str, tail: str = "", prefix: str = "") -> bytes:
    p = f"{prefix}:" if prefix else ""
    decl = f'xmlns:{prefix}="{MAIN}"' if prefix else f'xmlns="{MAIN}"'
    return (f'<{p}worksheet {decl} xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
            f'<{p}sheetData>{rows}</{p}sheetData>{tail}</{p}worksheet>').encode()


HANDMADE = {
    "plain": sheet('<row r="2"><c r="A2" s="3"><v>0.5</v></c><c r="B2" t="e"><v>#REF!</v></c>'
                   '<c r="C2"><f>SUM(C3:C9)</f><v>4</v></c><c r="D2" s="4"/></row>'
                   '<row r="7" spans="1:3"><c r="C7" s="3"><f>subtotal(9,C1:C6)</f><v>1</v></c></row>'),
    # Cells without r: their column is their place in the row; a row without r follows the one above.
    "implicit": sheet('<row r="1"><c s="3"><v>1</v></c><c t="e"><v>#N/A</v></c></row>'
                      '<row><c/><c s="3"><f>SUM(A1)</f><v>1</v></c></row>'),
    "prefixed": sheet('<x:row r="4"><x:c r="AB4" s="3"><x:f>SUM(A1:A3)</x:f><x:v>1</x:v></x:c>'
                      '<x:c r="AC4" t="e"><x:v>#DIV/0!</x:v></x:c></x:row>', prefix="x"),
    # Look-alikes that are no marks: another attribute ending in "s", a formula in the tail (x14
    # conditional formatting), an error type in a comment-free tail, a text "row" in a cell.
    "look-alikes": sheet('<row r="3"><c r="A3" ss="3" t="inlineStr"><is><t>arrow s="3" t="e"</t></is></c>'
                         '<c r="B3" s="13"><v>2</v></c></row><row r="5" ht="20"/>',
                         tail='<extLst><ext><xm:f>SUM(A1:A9)</xm:f></ext></extLst>'),
    "wide": sheet('<row r="1"><c r="A1"><v>1</v></c><c r="AZ1"><v>2</v></c></row>'
                  '<row r="30"><c r="BA30"/><c r="AZ30" s="3"><v>3</v></c></row><row r="31"><c r="A31"/></row>'),
    "empty": sheet(""),
    # Markup among the cells: a "<row" in a comment or an instruction is no row.
    "comment-in-row": sheet('<row r="2"><!-- <row r="7"> --><c r="B2" t="e"><v>#N/A</v></c>'
                            '<c r="C2"><f>SUM(C3:C4)</f><v>1</v></c></row>'),
    "pi-and-cdata": sheet('<row r="2"><c r="A2" t="inlineStr"><is><t><![CDATA[<row r="9"> t="e"]]></t></is></c>'
                          '<?x <row r="8"?><c r="B2" t="e" s="3"><v>#REF!</v></c></row>'),
    "styled-outside-rows": sheet('<row r="1"><c r="A1"><v>1</v></c></row><!-- <c r="B1" s="3"/> -->',
                                 tail='<extLst><ext><x:c xmlns:x="urn:other" s="3"/></ext></extLst>'),
    # Attributes in single quotes (an error value's type found only where the sheet has a "'").
    "single-quotes": sheet("<row r='2'><c r='B2' t='e'><v>#REF!</v></c><c r='C2' s='3'><v>1</v></c></row>"),
    "upper-xlfn": sheet('<row r="4"><c r="A4"><f>_XLFN.SUM(A1:A3)</f><v>6</v></c></row>'),
    # A cell whose r names another row than its row's: placed by its row, as the walk does.
    "cell-of-another-row": sheet('<row r="5"><c r="A7" s="3"><v>1</v></c></row><row><c r="A0" s="4"/></row>'),
}


@pytest.mark.parametrize("name,xml", [*HANDMADE.items(), *(s for p in WORKBOOKS for s in sheets_of(p))])
def test_marks_found_by_search_are_those_lxml_reads(name, xml):
    styles = {3, 4}
    want_styled, want_errors, want_totals, want_last = oracle(xml, styles)
    marks = _sheetxml.marked_cells(xml, "sheet.xml", styles)
    assert (marks.styled, marks.errors, marks.totals) == (want_styled, want_errors, want_totals), name
    walked = _sheetxml._marked_by_walk(xml, "sheet.xml", styles)
    assert (walked.styled, walked.errors, walked.totals) == (want_styled, want_errors, want_totals), name
    if re.search(rb"<sheetData.*<[!?]", xml, re.S):
        # Markup among the rows may name a row: the far-cell bound is then only stricter, never looser.
        assert _sheetxml._last_filled_row(xml) >= want_last, name
    else:
        assert _sheetxml._last_filled_row(xml) == want_last, name


def test_the_widest_filled_cell_is_found_and_self_closed_ones_do_not_count():
    assert _sheetxml._widest_cell(HANDMADE["wide"]) == (52, 30, "AZ30")  # BA30 is formatting only
    assert _sheetxml._widest_cell(HANDMADE["prefixed"]) == (29, 4, "AC4")
    assert _sheetxml._widest_cell(HANDMADE["plain"]) is None
    far = sheet('<row r="1"><c r="A1"><v>1</v></c></row><row r="20000"><c r="ZZ20000"><v>1</v></c></row>')
    assert _sheetxml.far_cell(far) == "ZZ20000"  # 20,000 rows × 702 columns: over ten million cells
    assert _sheetxml.far_cell(HANDMADE["wide"]) is None


def test_many_marked_rows_are_each_looked_at_once():
    rows = "".join(f'<row r="{r}"><c r="A{r}"><f>SUM(B{r}:C{r})</f><v>1</v></c><c r="B{r}" t="e"><v>#N/A</v></c></row>'
                   for r in range(1, 3001))
    marks = _sheetxml.marked_cells(sheet(rows), "sheet.xml", set())
    assert len(marks.totals) == len(marks.errors) == 3000


def test_the_head_of_a_sheet_is_read_up_to_its_rows_whatever_their_prefix(tmp_path):
    from sheetkpi.workbook._parts import Parts

    xml = sheet('<x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c></x:row>' * 20000, prefix="x").replace(
        b"<x:sheetData>", b'<x:cols><x:col min="2" max="3" width="20" customWidth="1"/></x:cols><x:sheetData>')
    for method in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        path = tmp_path / f"{method}.zip"
        with zipfile.ZipFile(path, "w", method) as zf:
            zf.writestr("s.xml", xml)
        with zipfile.ZipFile(path) as zf:
            head = Parts(path, zf.infolist(), b"").read_head("s.xml", b"sheetData", step=7)
        assert head == xml[: xml.index(b"<x:sheetData")]
        assert _sheetxml.column_widths(head) == {2: 20.0, 3: 20.0} and _sheetxml.uncovered(head, [1, 2, 4]) == [1, 4]


# ---------------------------------------------------------------------------------------------
# The <drawing> of a sheet, found in the tail's bytes when it is written plainly


R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MERGES = "<mergeCells count=\"2\"><mergeCell ref=\"A1:C1\"/><mergeCell ref=\"A2:C2\"/></mergeCells>"
TAILS = {  # tail -> the rId lxml finds
    "none": ("", None),
    "merges only": (MERGES, None),
    "plain": (MERGES + '<pageMargins left="0.7"/><drawing r:id="rId3"/>', "rId3"),
    "spaces": ('<drawing  r:id = "rId9" />', "rId9"),
    "legacy only": ('<legacyDrawing r:id="rId2"/>', None),
    "both": ('<drawing r:id="rId1"/><legacyDrawing r:id="rId2"/>', "rId1"),
    "other prefix": ('<drawing rel:id="rId4"/>', "rId4"),
    "in a comment": ('<!-- <drawing r:id="rId5"/> -->', None),
    "commented and real": ('<!-- <drawing r:id="rId5"/> --><drawing r:id="rId6"/>', "rId6"),
    "ns declared in the tail": ('<drawing xmlns:q="' + R + '" q:id="rId7"/>', "rId7"),
    "inside extLst": ('<extLst><ext uri="{x}"><y:drawing xmlns:y="urn:y" r:id="rId8"/></ext></extLst>', None),
    "alternate content": ('<mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006">'
                          '<mc:Choice Requires="x14"><drawing r:id="rId1"/></mc:Choice></mc:AlternateContent>', None),
    "no r:id": ('<drawing/>', None),
    "entity in id": ('<drawing r:id="rId&amp;1"/>', "rId&1"),
}
MAIN_ELEMENTS = re.compile(r"<(/?)(drawing|mergeCells|mergeCell|pageMargins|legacyDrawing)\b")


@pytest.mark.parametrize("name", TAILS)
@pytest.mark.parametrize("prefix", ["", "x"])
def test_the_drawing_is_found_as_lxml_finds_it(name, prefix):
    tail, expected = TAILS[name]
    if prefix:  # the sheet's own elements with the sheet's prefix
        tail = MAIN_ELEMENTS.sub(lambda m: f"<{m.group(1)}{prefix}:{m.group(2)}", tail)
    xml = sheet('<row r="1"><c r="A1"><v>1</v></c></row>', tail=tail, prefix=prefix)
    xml = xml.replace(b"xmlns:xm=", f'xmlns:r="{R}" xmlns:rel="{R}" xmlns:xm='.encode(), 1)
    parts = _sheetxml.split_sheet(xml, "t.xml")
    assert _sheetxml.drawing_rid(parts, "t.xml") == _sheetxml._drawing_rid_parsed(parts, "t.xml") == expected


@pytest.mark.parametrize("path", WORKBOOKS, ids=lambda p: p.name)
def test_the_drawing_of_every_corpus_sheet_is_found_as_lxml_finds_it(path):
    for name, xml in sheets_of(path):
        parts = _sheetxml.split_sheet(xml, name)
        assert _sheetxml.drawing_rid(parts, name) == _sheetxml._drawing_rid_parsed(parts, name), name
