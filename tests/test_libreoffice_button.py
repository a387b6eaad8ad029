"""The button on a real spreadsheet engine (issue #15): SheetKPI.oxt's macro run inside LibreOffice.

One headless LibreOffice (tests/lo_button.py, under a Python with ``uno``) gets the extension installed
into its private profile, opens each workbook variant, runs the macro through the script provider with
the URL the menu uses, and stores the result. The macro finds sheetkpi as an Office's PC does: through
``~/.sheetkpi/sheetkpi.conf`` (a HOME of the test's own), whose ``SHEETKPI_PATH`` is this checkout.

Then, for each variant, with openpyxl:
- every engine-owned cell (the cells the recalculation's plan writes on the unit tabs, and every cell
  of "Tổng hợp" and "Lịch sử") equals what ``sheetkpi recalc`` writes on the same input (the
  variant as LibreOffice stored it before the click) at the same report date;
- every other cell of every sheet equals the input: value, formula, and what the sheet carries
  besides (merged areas, validations, conditional formats, hidden columns and rows, protection);
- sheets the button adds print as the CLI's do; the chart's series are the CLI's;
- a protected unit tab is refused before anything is written (the stored file equals the input).

Nothing is mocked: LibreOffice reads, computes and writes.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import sys
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from sheetkpi import layout as L

import lo_uno
from support import (
    EXAMPLE,
    OWNED_SHEETS,
    ROOT,
    RUN_LINE,
    assert_button_wrote_what_the_cli_writes,
    cells,
    engine_owned,
    run_cli,
)

REPORT_DATE = "2026-06-25"  # not yet in the example's "Lịch sử" (25/04, 25/05): never refused as stale
RECALCULATED = ("example", "merged_cells", "formulas", "validations", "conditional_formats",
                "hidden_rows_and_column", "protected_other_sheets", "no_summary")
REFUSED = "protected_unit"


@pytest.fixture(scope="session")
def clicked(tmp_path_factory):
    """Every variant clicked in one LibreOffice: {name: folder with baseline.xlsx and after.xlsx}, and
    the macro's messages."""
    lo_uno.require_uno()
    work = tmp_path_factory.mktemp("lo-button")
    home = work / "home"
    (home / ".sheetkpi").mkdir(parents=True)
    (home / ".sheetkpi" / "sheetkpi.conf").write_text(
        f'"SHEETKPI_PATH","{ROOT}"\n"INTERPRETER","{sys.executable}"\n', encoding="utf-8")
    cases = [{"name": name, "folder": str(work / name),
              "actions": ["recalculate", "validate", "write_memo"] if name == "example" else ["recalculate"]}
             for name in (*RECALCULATED, REFUSED)]
    job = {"extension": str(ROOT / "macros" / "SheetKPI.oxt"), "source": str(EXAMPLE), "report_date": REPORT_DATE,
           "env": {"HOME": str(home)}, "cases": cases, "answer": str(work / "answer.json")}
    (work / "job.json").write_text(json.dumps(job), encoding="utf-8")
    started = dt.datetime.now().replace(second=0, microsecond=0)
    lo_uno.run_uno_script(Path(__file__).with_name("lo_button.py"), str(work / "job.json"), timeout=600)
    answer = json.loads((work / "answer.json").read_text(encoding="utf-8"))
    answer["window"] = (started, dt.datetime.now())
    return work, answer


def cli_result(folder: Path) -> Path:
    out = folder / "cli.xlsx"
    if not out.exists():
        run = run_cli("recalc", str(folder / "baseline.xlsx"), "--as-of", REPORT_DATE, "-o", str(out), "--no-memo")
        assert run.returncode == 0, run.stderr
    return out


def sheet_extras(path: Path) -> dict[str, dict]:
    """What a sheet carries besides its cells, as openpyxl reads it."""
    wb = load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        out[ws.title] = {
            "merged": sorted(str(m) for m in ws.merged_cells.ranges),
            "validations": sorted((str(v.sqref), v.type, v.formula1) for v in ws.data_validations.dataValidation),
            "conditional": sorted((str(rng.sqref), tuple(sorted((r.type, tuple(r.formula or ())) for r in rules)))
                                  for rng, rules in ws.conditional_formatting._cf_rules.items()),
            "hidden_columns": sorted(k for k, d in ws.column_dimensions.items() if d.hidden),
            "hidden_rows": sorted(k for k, d in ws.row_dimensions.items() if d.hidden),
            "protected": bool(ws.protection.sheet),
        }
    return out


@pytest.mark.parametrize("name", RECALCULATED)
def test_engine_cells_equal_the_cli_and_every_other_cell_is_unchanged(clicked, name):
    work, answer = clicked
    folder = work / name
    assert answer["messages"][name]["recalculate"].startswith("Đã tính lại 32 KPI của 5 phòng, đơn vị"), answer
    assert_button_wrote_what_the_cli_writes(folder / "after.xlsx", cli_result(folder), folder / "baseline.xlsx",
                                            REPORT_DATE)
    owned = engine_owned(folder / "baseline.xlsx", REPORT_DATE)
    # formulas outside the engine's cells are kept as written
    before_f, after_f = cells(folder / "baseline.xlsx", formulas=True), cells(folder / "after.xlsx", formulas=True)
    for sheet in before_f:
        if sheet in OWNED_SHEETS:
            continue
        mine = owned.get(sheet, set())
        assert {k: v for k, v in after_f[sheet].items() if k not in mine} == \
               {k: v for k, v in before_f[sheet].items() if k not in mine}, sheet
    extras_before, extras_after = sheet_extras(folder / "baseline.xlsx"), sheet_extras(folder / "after.xlsx")
    for sheet in extras_before:
        if sheet not in OWNED_SHEETS:
            assert extras_after[sheet] == extras_before[sheet], sheet


def test_the_run_time_printed_is_the_clicks(clicked):
    work, answer = clicked
    line = cells(work / "example" / "after.xlsx")[L.SHEET_SUMMARY][(4, 1)]
    clock, day = RUN_LINE.search(line).groups()
    printed = dt.datetime.strptime(f"{day} {clock}", "%d/%m/%Y %H:%M")
    started, ended = answer["window"]
    assert started <= printed <= ended


def test_the_variants_carry_what_they_claim(clicked):
    """The edits really are in the inputs (else the comparison above would prove less)."""
    work, _ = clicked
    extras = {name: sheet_extras(work / name / "baseline.xlsx") for name in RECALCULATED}
    assert "I5:I6" in extras["merged_cells"]["KHĐT"]["merged"]
    assert any(kind == "list" for _, kind, _ in extras["validations"]["XDMT"]["validations"])
    assert len(extras["conditional_formats"]["DNLĐ"]["conditional"]) > len(extras["example"]["DNLĐ"]["conditional"])
    assert "G" in extras["hidden_rows_and_column"]["XDMT"]["hidden_columns"]
    assert extras["hidden_rows_and_column"]["XDMT"]["hidden_rows"]
    assert extras["protected_other_sheets"]["Cấu hình"]["protected"]
    assert cells(work / "formulas" / "baseline.xlsx", formulas=True)["VP"][(5, 4)].startswith("=")
    assert L.SHEET_SUMMARY not in extras["no_summary"]


def test_sheets_the_button_adds_print_and_chart_as_the_clis(clicked):
    work, _ = clicked
    folder = work / "no_summary"
    ours, theirs = load_workbook(folder / "after.xlsx"), load_workbook(cli_result(folder))
    for name in OWNED_SHEETS:
        a, b = ours[name], theirs[name]
        assert column_widths(a) == pytest.approx(column_widths(b), abs=0.1), name
        if not b.print_title_rows:
            continue  # the CLI sets up the printing of "Tổng hợp" only
        assert (a.page_setup.orientation, a.page_setup.paperSize) == (b.page_setup.orientation, b.page_setup.paperSize)
        assert (a.page_setup.fitToWidth, a.page_setup.fitToHeight) == \
               (b.page_setup.fitToWidth, b.page_setup.fitToHeight)
        assert a.print_title_rows == b.print_title_rows, name
        fit = [bool(s.sheet_properties.pageSetUpPr and s.sheet_properties.pageSetUpPr.fitToPage) for s in (a, b)]
        assert fit[0] == fit[1], name
    assert ours[L.SHEET_SUMMARY].page_setup.orientation == "landscape"
    assert ours[L.SHEET_SUMMARY].print_title_rows == f"$1:${L.SUMMARY_HEADER_ROW}"
    assert chart_series(folder / "after.xlsx") == chart_series(cli_result(folder))


def column_widths(ws) -> dict[int, float]:
    """Custom widths by column number (a <col> element may span several columns)."""
    return {c: d.width for d in ws.column_dimensions.values() if d.customWidth for c in range(d.min, d.max + 1)}


def chart_series(path: Path) -> tuple[list[str], list[str]]:
    """The chart's references (categories, values) and series names, as stored (a name is a literal
    <c:v> in the file writer's chart, a quoted "formula" in LibreOffice's)."""
    with zipfile.ZipFile(path) as z:
        xml = html.unescape("".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart")))
    formulas = [re.sub(r"[$']", "", f) for f in re.findall(r"<c:f>([^<]*)</c:f>", xml)]
    names = [t.strip('"') for t in re.findall(r"<c:tx>.*?<c:(?:v|f)>([^<]*)</c:(?:v|f)>", xml)]
    return [f for f in formulas if "!" in f], names


def test_a_protected_unit_tab_is_refused_before_anything_is_written(clicked):
    work, answer = clicked
    message = answer["messages"][REFUSED]["recalculate"]
    assert "'KHĐT' đang được bảo vệ" in message and "Sổ tính không thay đổi" in message
    folder = work / REFUSED
    assert cells(folder / "after.xlsx") == cells(folder / "baseline.xlsx")
    assert cells(folder / "after.xlsx", formulas=True) == cells(folder / "baseline.xlsx", formulas=True)


def test_kiem_tra_reads_the_document_and_lists_its_problems(clicked):
    _, answer = clicked
    message = answer["messages"]["example"]["validate"]
    assert message.startswith("Kiểm tra 32 KPI, số liệu đến ngày 25/06/2026.") and "Quá hạn: 2 KPI" in message


def test_the_memo_is_made_beside_the_document(clicked):
    work, answer = clicked
    message = answer["messages"]["example"]["write_memo"]
    made = sorted(p.suffix for p in (work / "example").glob("BaoCaoKPI-2026-06.*"))
    assert made == [".docx", ".html", ".txt"], message


def test_each_click_takes_seconds_not_minutes(clicked):
    _, answer = clicked
    assert max(answer["seconds"].values()) < 60, answer["seconds"]


def test_the_menu_and_toolbar_are_registered(clicked):
    """LibreOffice read the extension's Addons.xcu: a "SheetKPI" menu and a toolbar, each with the three
    items and the macro URLs."""
    _, answer = clicked
    url = "vnd.sun.star.script:SheetKPI.oxt|sheetkpi_lo.py${}?language=Python&location=user:uno_packages"
    items = [("Tính lại KPI", url.format("recalculate")), ("Kiểm tra", url.format("validate")),
             ("Tạo báo cáo", url.format("write_memo"))]
    ours = {k: [tuple(i) for i in v] for k, v in answer["menus"].items() if "sheetkpi" in k}
    assert ours == {"OfficeMenuBar/vn.sheetkpi.libreoffice.menu": items,
                    "OfficeToolBar/vn.sheetkpi.libreoffice.toolbar": items}


def test_the_extension_is_rebuilt_byte_for_byte(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_oxt", ROOT / "macros" / "build_oxt.py")
    build_oxt = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_oxt)
    assert build_oxt.build(tmp_path / "SheetKPI.oxt").read_bytes() == (ROOT / "macros" / "SheetKPI.oxt").read_bytes()
    with zipfile.ZipFile(ROOT / "macros" / "SheetKPI.oxt") as z:
        names = set(z.namelist())
        menu = z.read("Addons.xcu").decode()
    assert {"sheetkpi_lo.py", "Addons.xcu", "META-INF/manifest.xml", "description.xml"} <= names
    for label, action in (("Tính lại KPI", "recalculate"), ("Tạo báo cáo", "write_memo")):
        assert label in menu
        assert f"SheetKPI.oxt|sheetkpi_lo.py${action}?language=Python&amp;location=user:uno_packages" in menu



def test_the_benchmark_of_the_button_runs(tmp_path):
    """bench/lo_button.py once on the example (nothing timed is asserted): the script cannot rot."""
    import subprocess

    lo_uno.require_uno()
    out = tmp_path / "bench.json"
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "lo_button.py"), "--sizes", "32", "--runs", "1",
                          "--json", str(out)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    (result,) = json.loads(out.read_text(encoding="utf-8"))
    assert result["rows"] == 32 and result["message"].startswith("Đã tính lại 32 KPI")
