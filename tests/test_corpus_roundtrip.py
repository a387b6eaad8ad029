"""Round-trip every real-world workbook of the corpus through the package writer.

For each workbook: write a few cells into its first worksheet (number, text, text starting with
"=", date, bool, empty), write a block of rows, add a sheet with a bar chart, save. Then check, on
the real files: untouched parts are byte-identical; the changed sheet differs only in the written
cells; the Open XML validator reports nothing new; LibreOffice opens the result and shows the
values; openpyxl and python-calamine read them back.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from lxml import etree

from sheetkpi.libreoffice import find_soffice
from sheetkpi.workbook.package import Package

import ooxml_validator
import support
from support import CORPUS

REPO = Path(__file__).resolve().parents[1]

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
NEW_SHEET = "Tổng hợp (SheetKPI)"
DATE = dt.date(2026, 6, 25)


def _sources() -> list:
    params = [pytest.param(p, id=p.name) for p in sorted(CORPUS.glob("*.xls[xm]"))]
    for rel in ("templates/BangGiaoKPI.xlsx", "examples/nghe-an-2026/BangGiaoKPI.xlsx"):
        path = REPO / rel
        marks = () if path.exists() else pytest.mark.skip(reason=f"{rel} is not built yet")
        params.append(pytest.param(path, id=rel, marks=marks))
    return params


SOURCES = _sources()
pytestmark = pytest.mark.parametrize("src", SOURCES)  # every test runs once per workbook


# ---------------------------------------------------------------------------------------------
# Independent readers of the package (not the writer's own code)


def _xml(zf: zipfile.ZipFile, name: str) -> etree._Element:
    return etree.fromstring(zf.read(name), etree.XMLParser(resolve_entities=False, no_network=True))


def sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet name -> part name, in workbook order."""
    root_rels = _xml(zf, "_rels/.rels")
    wb_part = next(_resolve("", r.get("Target")) for r in root_rels if r.get("Type").endswith("/officeDocument"))
    wb = _xml(zf, wb_part)
    rels_part = posixpath.join(posixpath.dirname(wb_part), "_rels", posixpath.basename(wb_part) + ".rels")
    targets = {
        r.get("Id"): _resolve(wb_part, r.get("Target"))
        for r in _xml(zf, rels_part) if r.get("Type").endswith("/worksheet")
    }
    return {s.get("name"): targets[s.get(R_ID)] for s in wb.iter(f"{{{MAIN}}}sheet") if s.get(R_ID) in targets}


def _resolve(source: str, target: str) -> str:
    if target.startswith("/"):
        return target[1:]
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))


def _positions(sheet: etree._Element) -> None:
    """Give every row and cell its explicit r (the spec lets producers omit it)."""
    row_no = 0
    for row in sheet.iter(f"{{{MAIN}}}row"):
        row_no = int(row.get("r")) if row.get("r") else row_no + 1
        row.set("r", str(row_no))
        col = 0
        for c in row.iter(f"{{{MAIN}}}c"):
            ref = c.get("r")
            col = _col(ref) if ref else col + 1
            c.set("r", f"{_letters(col)}{row_no}")


def _col(ref: str) -> int:
    n = 0
    for ch in ref:
        if ch.isalpha():
            n = n * 26 + ord(ch.upper()) - 64
    return n


def _letters(col: int) -> str:
    s = ""
    while col:
        col, rem = divmod(col - 1, 26)
        s = chr(65 + rem) + s
    return s


def max_extent(xml: bytes) -> tuple[int, int]:
    """(last row, last column) that holds a cell element."""
    root = etree.fromstring(xml)
    _positions(root)
    refs = [c.get("r") for c in root.iter(f"{{{MAIN}}}c")]
    rows = [int(row.get("r")) for row in root.iter(f"{{{MAIN}}}row")]
    return max(rows, default=0), max((_col(r) for r in refs), default=0)


# ---------------------------------------------------------------------------------------------
# The edits


@dataclass
class Case:
    src: Path
    out: Path
    sheet: str = ""
    part: str = ""
    cells: dict = field(default_factory=dict)  # (row, col) -> value written into the first sheet
    new_cells: dict = field(default_factory=dict)  # (row, col) -> value written into NEW_SHEET
    error: BaseException | None = None


def make_case(original: Path, out_dir: Path) -> Case:
    # A snapshot: other tools may rebuild the template while the tests run.
    src = out_dir / "in" / original.name
    src.parent.mkdir(exist_ok=True)
    shutil.copyfile(original, src)
    case = Case(src, out_dir / original.name)
    try:
        with zipfile.ZipFile(src) as zf:
            parts = sheet_parts(zf)
            case.sheet, case.part = next(iter(parts.items()))
            last_row, last_col = max_extent(zf.read(case.part))
        pkg = Package.open(src)
        row = last_row + 2
        case.cells = {
            (1, 1): 12345.5,
            (2, 2): None,
            (2, last_col + 2): "ô mới trong hàng có sẵn",
            (row, 1): "  Xin chào <Ban> & \"KKT\"  ",
            (row, 2): "=SUM(1,2)",
            (row, 3): DATE,
            (row, 4): True,
            (row, 5): 4242.75,
        }
        pkg.set_cells(case.sheet, case.cells)
        block = [[101, "một", 1001.5], [102, "hai", None], [103, "ba", 3003.25]]
        pkg.write_rows(case.sheet, row + 2, 1, block)
        for i, values in enumerate(block):
            for j, value in enumerate(values):
                case.cells[(row + 2 + i, 1 + j)] = value
        pkg.add_sheet(NEW_SHEET)
        header = pkg.add_style(bold=True, fill="DDEBF7", border=True, halign="center", wrap=True)
        number = pkg.add_style(num_fmt="#,##0.00", border=True)
        rows = [["Phòng/đơn vị", "Điểm đạt", "Điểm kỳ vọng"], ["KHĐT", 42.5, 50], ["VP", 61, 55.25], ["XDMT", 30, 40]]
        pkg.write_rows(NEW_SHEET, 4, 1, rows[:1], style=header)
        pkg.write_rows(NEW_SHEET, 5, 1, rows[1:], style=[None, number, number])
        pkg.set_column_widths(NEW_SHEET, {1: 24, 2: 12, 3: 12})
        pkg.set_freeze(NEW_SHEET, 5, 1)
        pkg.set_print(NEW_SHEET, repeat_rows=(1, 4))
        pkg.merge_cells(NEW_SHEET, [(1, 1, 1, 3)])
        pkg.set_cells(NEW_SHEET, {(1, 1): "Tổng hợp kết quả"}, style=header)
        pkg.add_bar_chart(NEW_SHEET, anchor=(10, 1, 25, 8), title="Điểm đạt và kỳ vọng", categories="A5:A7",
                          series=[("Điểm đạt", "B5:B7"), ("Điểm kỳ vọng", "C5:C7")])
        case.new_cells = {(4 + i, 1 + j): v for i, r in enumerate(rows) for j, v in enumerate(r)}
        case.new_cells[(1, 1)] = "Tổng hợp kết quả"
        pkg.save(case.out)
    except Exception as exc:  # reported by every test of this workbook
        case.error = exc
    return case


@pytest.fixture(scope="session")
def cases(tmp_path_factory) -> dict[Path, Case]:
    out_dir = tmp_path_factory.mktemp("roundtrip")
    return {p.values[0]: make_case(p.values[0], out_dir) for p in SOURCES if p.values[0].exists()}


@pytest.fixture
def case(cases, src) -> Case:
    c = cases[src]
    if c.error:
        raise c.error
    return c


@pytest.fixture(scope="session")
def libreoffice_csv(cases, tmp_path_factory) -> Path:
    """All outputs exported to CSV (every sheet) in one soffice run; the folder holding them."""
    if not find_soffice():
        pytest.skip("LibreOffice (soffice) is not installed")
    base = tmp_path_factory.mktemp("lo")
    support.convert([c.out for c in cases.values() if not c.error], support.CSV_RAW, base)
    return base


# ---------------------------------------------------------------------------------------------
# (a) untouched parts


def test_untouched_parts_byte_identical(case: Case):
    with zipfile.ZipFile(case.src) as a, zipfile.ZipFile(case.out) as b:
        before, after = a.namelist(), b.namelist()
        may_change = {case.part, "[Content_Types].xml"} | {n for n in before if n.startswith("xl/") and (
            n.endswith(("workbook.xml", "workbook.xml.rels", "styles.xml", "calcChain.xml")))}
        for name in before:
            if name not in may_change:
                assert name in after, f"{name} lost"
                assert a.read(name) == b.read(name), f"{name} changed"
        kept = [n for n in before if n in after]
        assert after[: len(kept)] == kept, "original parts must keep their order, new parts come last"
        assert set(before) - set(after) <= {n for n in before if n.endswith("calcChain.xml")}


def _c14n(el: etree._Element) -> bytes:
    return etree.tostring(el, method="c14n")


def test_workbook_styles_rels_only_appended(case: Case):
    with zipfile.ZipFile(case.src) as a, zipfile.ZipFile(case.out) as b:
        for name in a.namelist():
            if name not in b.namelist() or a.read(name) == b.read(name) or name == case.part:
                continue
            old, new = _xml(a, name), _xml(b, name)
            old_children = [_c14n(c) for c in old]
            new_children = [_c14n(c) for c in new]
            if name.endswith("styles.xml"):
                # Each collection keeps its entries in place; new ones are appended.
                for coll in old:
                    match = new.find(coll.tag)
                    assert [_c14n(c) for c in coll] == [_c14n(c) for c in match][: len(coll)], name
            elif name.endswith("workbook.xml"):
                sheets_old = old.find(f"{{{MAIN}}}sheets")
                sheets_new = new.find(f"{{{MAIN}}}sheets")
                assert [_c14n(s) for s in sheets_old] == [_c14n(s) for s in sheets_new][:-1]
                sheets_new.remove(sheets_new[-1])
                # The added sheet's print titles: one sheet-local name, appended.
                names_new = new.find(f"{{{MAIN}}}definedNames")
                titles = [d for d in names_new if d.get("name") == "_xlnm.Print_Titles"
                          and d.get("localSheetId") == str(len(sheets_old))]
                assert len(titles) == 1 and titles[0].text == f"'{NEW_SHEET}'!$1:$4"
                names_new.remove(titles[0])
                if old.find(f"{{{MAIN}}}definedNames") is None:
                    assert len(names_new) == 0
                    new.remove(names_new)
                # Written cells make the writer ask for a full recalculation on load.
                calc_old, calc_new = old.find(f"{{{MAIN}}}calcPr"), new.find(f"{{{MAIN}}}calcPr")
                assert calc_new.attrib.pop("fullCalcOnLoad") in ("1", "true")
                if calc_old is None:
                    new.remove(calc_new)
                else:
                    calc_old.attrib.pop("fullCalcOnLoad", None)
                assert _c14n(old) == _c14n(new)
            else:  # content types and relationships: every original entry stays, except calcChain
                lost = [c for c in old_children if c not in new_children and b"calcChain" not in c]
                assert not lost, f"{name} lost {lost}"


# ---------------------------------------------------------------------------------------------
# (b) the changed sheet


def _normalised(xml: bytes, written: set[tuple[int, int]], drop_new_rows: set[int] | None) -> bytes:
    root = etree.fromstring(xml)
    _positions(root)
    for el in root.iter():
        el.attrib.pop("spans", None)
        if el.tail is not None and not el.tail.strip():
            el.tail = None
        if el.text is not None and not el.text.strip() and len(el):
            el.text = None
    for el in root.iter(f"{{{MAIN}}}dimension"):
        el.getparent().remove(el)
    refs = {f"{_letters(c)}{r}" for r, c in written}
    for c in list(root.iter(f"{{{MAIN}}}c")):
        if c.get("r") in refs:
            c.getparent().remove(c)
    if drop_new_rows is not None:
        for row in list(root.iter(f"{{{MAIN}}}row")):
            if int(row.get("r")) not in drop_new_rows and not len(row):
                row.getparent().remove(row)
    return _c14n(root)


def _cells(xml: bytes) -> dict[str, etree._Element]:
    root = etree.fromstring(xml)
    _positions(root)
    return {c.get("r"): c for c in root.iter(f"{{{MAIN}}}c")}


def test_changed_sheet_differs_only_in_written_cells(case: Case):
    with zipfile.ZipFile(case.src) as a, zipfile.ZipFile(case.out) as b:
        old, new = a.read(case.part), b.read(case.part)
    old_rows = {int(r.get("r")) for r in _rows(old)}
    written = set(case.cells)
    assert _normalised(old, written, None) == _normalised(new, written, old_rows)
    # Written cells that existed keep their style.
    old_cells, new_cells = _cells(old), _cells(new)
    for r, c in written:
        ref = f"{_letters(c)}{r}"
        if ref in old_cells and ref in new_cells and not isinstance(case.cells[(r, c)], dt.date):
            assert old_cells[ref].get("s") == new_cells[ref].get("s"), ref
        if case.cells[(r, c)] is not None:
            assert new_cells[ref].find(f"{{{MAIN}}}f") is None, f"{ref} must not hold a formula"


def _rows(xml: bytes) -> list:
    root = etree.fromstring(xml)
    _positions(root)
    return list(root.iter(f"{{{MAIN}}}row"))


# ---------------------------------------------------------------------------------------------
# (c) Open XML validator


def test_validator_reports_nothing_new(case: Case):
    if not ooxml_validator.available():
        pytest.skip("ooxml-validator not installed: run `npm ci` in tests/validator")
    fresh = ooxml_validator.new_errors(ooxml_validator.validate(case.src), ooxml_validator.validate(case.out))
    assert not fresh, fresh


# ---------------------------------------------------------------------------------------------
# (d) LibreOffice, (e) openpyxl and calamine


def _serial(moment) -> float:
    """Excel serial number of a date/datetime (exact for serials from 61, i.e. 01/03/1900, on)."""
    if not isinstance(moment, dt.datetime):
        moment = dt.datetime.combine(moment, dt.time())
    return (moment - dt.datetime(1899, 12, 30)).total_seconds() / 86400


def _parse_shown(text: str):
    """CSV text as LibreOffice shows it -> number, datetime or time (None when it is plain text)."""
    text = text.strip()
    try:
        return float(text.replace(",", ""))
    except ValueError:
        pass
    for fmt in ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%d/%m/%Y", "%m/%d/%y"):
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            pass
    try:
        return dt.datetime.strptime(text, "%H:%M:%S").time()
    except ValueError:
        return None


def shown_as(value, shown) -> bool:
    """Whether a reader's ``shown`` (CSV text or a Python value) stands for the written ``value``.

    A number written into a cell that inherited a date format reads back as a date; it is
    compared through its serial number. A time-only format shows the fraction of a day.
    """
    if value is None:
        return shown in (None, "")
    if isinstance(value, str):
        return shown == value
    if isinstance(shown, str):
        if shown.strip().upper() in ("TRUE", "FALSE"):
            shown = shown.strip().upper() == "TRUE"
        else:
            shown = _parse_shown(shown)
    if isinstance(shown, bool) or isinstance(value, bool):
        return shown is value if isinstance(shown, bool) else shown is not None and _number(shown) == float(value)
    target = _serial(value) if isinstance(value, dt.date) else float(value)
    if isinstance(shown, dt.time):
        return abs((shown.hour * 3600 + shown.minute * 60 + shown.second) / 86400 - target % 1) < 1e-6
    return shown is not None and abs(_number(shown) - target) < 1e-6


def _number(shown) -> float:
    return _serial(shown) if isinstance(shown, dt.date) else float(shown)


def _at(grid, row, col, empty=""):
    return grid[row - 1][col - 1] if row <= len(grid) and col <= len(grid[row - 1]) else empty


def test_libreoffice_shows_written_values(case: Case, libreoffice_csv: Path):
    grid = support.read_csv(libreoffice_csv, case.out, case.sheet)
    for (r, c), value in case.cells.items():
        assert shown_as(value, _at(grid, r, c)), (r, c, value, _at(grid, r, c))
    assert "=SUM(1,2)" in {_at(grid, r, c) for (r, c) in case.cells}, "text starting with '=' stays text"
    summary = support.read_csv(libreoffice_csv, case.out, NEW_SHEET)
    for (r, c), value in case.new_cells.items():
        assert shown_as(value, _at(summary, r, c)), (r, c, value)


def test_openpyxl_reads_written_values(case: Case):
    import openpyxl

    try:
        openpyxl.load_workbook(case.src).close()
    except Exception as exc:  # noqa: BLE001 - what openpyxl cannot read before, it cannot after
        pytest.skip(f"openpyxl cannot read the original either: {exc}")
    wb = openpyxl.load_workbook(case.out)
    ws = wb[case.sheet]
    for (r, c), value in case.cells.items():
        cell = ws.cell(r, c)
        assert shown_as(value, cell.value), (r, c, value, cell.value)
        if isinstance(value, str):
            assert cell.data_type == "s"
    for (r, c), value in case.new_cells.items():
        assert shown_as(value, wb[NEW_SHEET].cell(r, c).value)


def test_calamine_reads_written_values(case: Case):
    from python_calamine import CalamineWorkbook

    try:
        CalamineWorkbook.from_path(str(case.src))
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"calamine cannot read the original either: {exc}")
    wb = CalamineWorkbook.from_path(str(case.out))
    sheet = wb.get_sheet_by_name(case.sheet)
    data = sheet.to_python(skip_empty_area=False)
    for (r, c), value in case.cells.items():
        shown = data[r - 1][c - 1] if r <= len(data) and c <= len(data[r - 1]) else None
        assert shown_as(value, shown if shown != "" else None), (r, c, value, shown)
    summary = wb.get_sheet_by_name(NEW_SHEET).to_python(skip_empty_area=False)
    for (r, c), value in case.new_cells.items():
        assert shown_as(value, summary[r - 1][c - 1])
