"""`sheetkpi demo / recalc / check` end to end on the Nghệ An 2026 example (issue #3)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

import sheetkpi
from sheetkpi import layout as L

from support import AS_OF, EXAMPLE, ROOT, run_cli, sheets_as_csv

UNITS = ["KHĐT", "XDMT", "DNLĐ", "VP", "BQLDA"]


@pytest.fixture
def book(tmp_path) -> Path:
    path = tmp_path / "BangGiaoKPI.xlsx"
    shutil.copyfile(EXAMPLE, path)
    return path


def edit(path: Path, sheet: str, changes: dict[str, object], number_format: dict[str, str] | None = None) -> None:
    """Prepare a test input as a department would type it (openpyxl is fine for a test fixture)."""
    wb = load_workbook(path)
    for ref, value in changes.items():
        wb[sheet][ref] = value
    for ref, fmt in (number_format or {}).items():
        wb[sheet][ref].number_format = fmt
    wb.save(path)


def header_columns(ws) -> dict[str, int]:
    return {c.value: c.column for c in ws[L.UNIT_HEADER_ROW] if c.value}


def column_letter(ws, header: str) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(header_columns(ws)[header])


def test_demo_prints_the_unit_table_and_leaves_matching_workbook(tmp_path):
    proc = run_cli("demo", "--dir", str(tmp_path / "demo"))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for code in UNITS:
        assert code in out
    assert "Toàn cơ quan" in out and "Xếp loại" in out and "Quá hạn" not in proc.stderr

    result = sheetkpi.check(tmp_path / "demo" / "BangGiaoKPI.xlsx", as_of=AS_OF)
    wb = load_workbook(tmp_path / "demo" / "BangGiaoKPI.xlsx", data_only=True)
    summary = wb[L.SHEET_SUMMARY]
    header = [c.value for c in summary[L.SUMMARY_HEADER_ROW]][: len(L.SUMMARY_UNIT_HEADERS)]
    assert header == list(L.SUMMARY_UNIT_HEADERS)
    for offset, unit in enumerate(result.units, start=1):
        row = [c.value for c in summary[L.SUMMARY_HEADER_ROW + offset]]
        assert row[0] == unit.unit.name
        assert row[1:5] == [len(unit.kpis), unit.weight_total, unit.score_total, unit.expected_score]
        # The example's "Lịch sử" has 25/05: the score then and the change since.
        assert row[5:7] == [unit.previous_score, round(unit.score_total - unit.previous_score, 2)]
        statuses = ("Hoàn thành", "Đang thực hiện", "Chưa triển khai", "Quá hạn")
        assert row[7:11] == [unit.status_counts[s] for s in statuses]
        assert row[13] == unit.grade
        # The printed table shows the same figures, Vietnamese style.
        line = next(text for text in out.splitlines() if text.startswith(unit.unit.code + " "))
        assert sheetkpi_format(unit.score_total) in line and unit.grade in line
        # The unit tab's total row shows the same total.
        ws = wb[unit.unit.sheet]
        total_row = next(r for r in range(5, ws.max_row + 1) if ws[f"B{r}"].value == L.TOTAL_LABEL)
        assert ws[f"{column_letter(ws, 'Điểm quy đổi')}{total_row}"].value == unit.score_total


def sheetkpi_format(x: float) -> str:
    from sheetkpi.parsing.numbers import format_vn

    return format_vn(x)


def test_recalc_fills_engine_columns_per_spec(book):
    before = sheetkpi.check(book, as_of=AS_OF)
    proc = run_cli("recalc", str(book), "--as-of", "25/06/2026", "--no-memo")
    assert proc.returncode == 0, proc.stderr
    wb = load_workbook(book, data_only=True)
    for k in before.kpis:
        ws = wb[k.kpi.sheet]

        def get(header, ws=ws, row=k.kpi.row):
            return ws[f"{column_letter(ws, header)}{row}"].value

        assert get("Điểm quy đổi") == k.score
        assert get("Trạng thái") == k.status
        assert get("Tiến độ tính điểm (%)") == k.effective_progress
        due = get("Hạn xác định")
        assert (due.date() if due else None) == k.kpi.deadline.due
    # KHĐT-04 is late and KHĐT-05 at risk in the example.
    ws = wb["KHĐT"]
    rows = {ws[f"B{r}"].value: r for r in range(5, 12)}
    assert ws[f"{column_letter(ws, 'Trạng thái')}{rows['KHĐT-04']}"].value == "Quá hạn"
    assert "Nguy cơ chậm tiến độ" in ws[f"{column_letter(ws, 'Cảnh báo')}{rows['KHĐT-05']}"].value
    assert (book.parent / "sao-luu").is_dir() and len(list((book.parent / "sao-luu").iterdir())) == 1


def test_weight_sum_95_is_flagged_by_check_and_in_summary(book):
    edit(book, "VP", {"E5": 10})  # VP-01 15 → 10: the unit sums to 95
    proc = run_cli("check", str(book), "--as-of", AS_OF, "--json")
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    mismatch = [i for i in data["issues"] if i["code"] == "weight-sum-mismatch"]
    assert len(mismatch) == 1 and mismatch[0]["sheet"] == "VP" and mismatch[0]["severity"] == "error"
    assert "Tổng trọng số 95 ≠ 100" in mismatch[0]["message"]
    assert not data["valid"]
    vp = next(u for u in data["units"] if u["code"] == "VP")
    assert vp["weight_total"] == 95 and vp["flags"] == ["Tổng trọng số 95 ≠ 100"]

    assert run_cli("recalc", str(book), "--as-of", AS_OF, "--no-memo").returncode == 0
    summary = load_workbook(book)[L.SHEET_SUMMARY]
    vp_row = next(r for r in summary.iter_rows(values_only=True) if r[0] == "Văn phòng")
    assert vp_row[14] == "Tổng trọng số 95 ≠ 100"


@pytest.mark.parametrize("typed,fmt,progress,code", [
    ("80%", None, 80.0, None),
    (" 80 % ", None, 80.0, None),
    (0.8, "0%", 80.0, None),
    ("80,5", None, 80.5, None),
    ("Hoàn thành", None, 100.0, None),
    (None, None, 0.0, "progress-missing"),
    ("khoảng một nửa", None, 0.0, "progress-invalid"),
    (130, None, 100.0, "progress-out-of-range"),
    (-5, None, 0.0, "progress-out-of-range"),
])
def test_progress_as_typed(book, typed, fmt, progress, code):
    edit(book, "XDMT", {"H6": typed}, {"H6": fmt} if fmt else None)
    result = sheetkpi.check(book, as_of=AS_OF)
    kpi = next(k for k in result.kpis if k.kpi.sheet == "XDMT" and k.kpi.row == 6)
    assert kpi.effective_progress == progress
    found = [i for i in kpi.issues if i.code in {"progress-missing", "progress-invalid", "progress-out-of-range"}]
    if code is None:
        assert found == []
    else:
        assert [i.code for i in found] == [code]
        assert found[0].cell == "H6" and found[0].message.startswith("'XDMT'!H6: ")


def test_lock_file_refuses_and_leaves_the_file_unchanged(book):
    original = book.read_bytes()
    (book.parent / f"~${book.name}").write_bytes(b"owner")
    proc = run_cli("recalc", str(book), "--no-memo")
    assert proc.returncode == 3
    assert "đang được mở" in proc.stderr and "Traceback" not in proc.stderr
    assert book.read_bytes() == original
    assert not (book.parent / "sao-luu").exists()


def test_libreoffice_finds_scores_and_statuses(book, tmp_path):
    result = sheetkpi.recalc(book, as_of=AS_OF)
    grids = sheets_as_csv(book, tmp_path / "csv")
    for k in result.evaluation.kpis:
        grid = grids[k.kpi.sheet]
        header = grid[L.UNIT_HEADER_ROW - 1]
        row = grid[k.kpi.row - 1]
        assert row[header.index("Trạng thái")] == k.status
        shown = row[header.index("Điểm quy đổi")].replace(",", "")
        assert float(shown) == pytest.approx(k.score, abs=0.005)
    summary = grids[L.SHEET_SUMMARY]
    assert summary[0][0].startswith("TỔNG HỢP KẾT QUẢ")
    assert any(r and r[0] == "Toàn cơ quan" for r in summary)


def _department_cells(path: Path) -> dict:
    """Every cell of the unit tabs that departments own: value and style, keyed by position."""
    wb = load_workbook(path)
    out = {}
    owned_headers = set(L.ENGINE_COLUMNS.values())
    for name in UNITS:
        ws = wb[name]
        owned_cols = {c for h, c in header_columns(ws).items() if h in owned_headers}
        total = next(r for r in range(5, ws.max_row + 1) if ws[f"B{r}"].value == L.TOTAL_LABEL)
        for row in ws.iter_rows():
            for c in row:
                if c.column in owned_cols and c.row > L.UNIT_HEADER_ROW or c.row == total:
                    continue
                style = (c.number_format, repr(c.font), repr(c.fill), repr(c.border), repr(c.alignment))
                out[(name, c.coordinate)] = (c.value, style)
    return out


def test_department_cells_and_other_parts_unchanged(book):
    before_cells = _department_cells(book)
    with zipfile.ZipFile(book) as z:
        before = {n: z.read(n) for n in z.namelist()}
    sheetkpi.recalc(book, as_of=AS_OF)
    assert _department_cells(book) == before_cells
    with zipfile.ZipFile(book) as z:
        after = {n: z.read(n) for n in z.namelist()}
    changed = {n for n in before if before[n] != after.get(n)}
    # Only unit tabs, "Tổng hợp", "Lịch sử", styles (appended) and the chart wiring may change.
    allowed = {f"xl/worksheets/sheet{i}.xml" for i in range(3, 10)}
    allowed |= {"xl/styles.xml", "[Content_Types].xml", "xl/worksheets/_rels/sheet8.xml.rels"}
    assert changed <= allowed, changed - allowed
    assert "xl/worksheets/sheet1.xml" not in changed and "xl/worksheets/sheet2.xml" not in changed


def test_rerun_is_stable(book):
    sheetkpi.recalc(book, as_of=AS_OF)
    first = {n: zipfile.ZipFile(book).read(n) for n in zipfile.ZipFile(book).namelist()}
    sheetkpi.recalc(book, as_of=AS_OF)
    second = {n: zipfile.ZipFile(book).read(n) for n in zipfile.ZipFile(book).namelist()}
    assert set(first) == set(second)
    # Same figures, same styles (no style appended twice); only the run time on "Tổng hợp" differs.
    assert first["xl/styles.xml"] == second["xl/styles.xml"]
    for name in first:
        if name != "xl/worksheets/sheet8.xml":
            assert first[name] == second[name], name


def test_history_column_for_the_report_date(book):
    sheetkpi.recalc(book, as_of=AS_OF)
    ws = load_workbook(book)[L.SHEET_HISTORY]
    header = [c.value for c in ws[L.HISTORY_HEADER_ROW]]
    dates = [v.date() for v in header if isinstance(v, dt.datetime)]
    assert dates == [dt.date(2026, 4, 25), dt.date(2026, 5, 25), dt.date(2026, 6, 25)]
    sheetkpi.recalc(book, as_of=AS_OF)  # same date again: same column, overwritten
    ws = load_workbook(book)[L.SHEET_HISTORY]
    assert [c.value for c in ws[L.HISTORY_HEADER_ROW]] == header


def test_missing_engine_columns_are_added_right_of_the_header(book):
    wb = load_workbook(book)
    ws = wb["VP"]
    last = max(header_columns(ws).values())
    ws.delete_cols(last - 4, 5)  # drop the five engine columns
    wb.save(book)
    result = sheetkpi.recalc(book, as_of=AS_OF)
    ws = load_workbook(book)["VP"]
    cols = header_columns(ws)
    assert [h for h in L.ENGINE_COLUMNS.values()] == [h for h in cols if h in L.ENGINE_COLUMNS.values()]
    vp = next(u for u in result.evaluation.units if u.unit.code == "VP")
    assert ws.cell(vp.kpis[0].kpi.row, cols["Điểm quy đổi"]).value == vp.kpis[0].score


def test_check_json_shape(book):
    proc = run_cli("check", str(book), "--as-of", "25/06/2026", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["valid"] is True and data["as_of"] == AS_OF
    assert {"code", "name", "sheet", "kpi_count", "weight_total", "score_total", "expected_score", "grade",
            "status_counts", "flags"} <= set(data["units"][0])
    assert len(data["kpis"]) == 32
    k = next(k for k in data["kpis"] if k["code"] == "KHĐT-04")
    assert k["status"] == "Quá hạn" and k["due"] == "2026-04-30" and k["due_kind"] == "date"
    assert "overdue" in k["warnings"]
    fields = {"unit", "code", "sheet", "row", "weight", "progress", "score", "status", "due", "due_kind", "warnings"}
    assert fields <= set(k)


@pytest.mark.parametrize("args,code", [
    (["check"], 2),
    (["check", "x.xlsx", "--as-of", "31/02/2026"], 2),
    (["check", "khong-co.xlsx"], 3),
    (["frobnicate"], 2),
])
def test_usage_and_missing_files(tmp_path, args, code):
    if len(args) > 2 and args[1] == "x.xlsx":
        shutil.copyfile(EXAMPLE, tmp_path / "x.xlsx")
    proc = run_cli(*args, cwd=tmp_path)
    assert proc.returncode == code
    assert "Traceback" not in proc.stderr and proc.stderr.strip()


def test_no_unit_tab_exits_4(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active["A1"] = "Không phải bảng KPI"
    wb.save(tmp_path / "x.xlsx")
    proc = run_cli("check", str(tmp_path / "x.xlsx"))
    assert proc.returncode == 4 and "Không tìm thấy trang tính đơn vị" in proc.stderr


def test_new_from_template(tmp_path):
    proc = run_cli("new", "-o", str(tmp_path / "moi.xlsx"))
    assert proc.returncode == 0, proc.stderr
    assert load_workbook(tmp_path / "moi.xlsx").sheetnames[:2] == [L.SHEET_GUIDE, L.SHEET_CONFIG]
    assert run_cli("new", "-o", str(tmp_path / "moi.xlsx")).returncode == 2  # never overwrites


def test_import_stays_light():
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", "import sheetkpi, sheetkpi.api"],
                          capture_output=True, text=True, cwd=ROOT)
    imported = {line.split("|")[-1].strip().split(".")[0] for line in proc.stderr.splitlines() if "|" in line}
    assert "sheetkpi" in imported
    assert not imported & {"pandas", "docxtpl", "matplotlib", "docx", "xlwings"}


def test_installed_package_ships_templates_and_example(tmp_path):
    """A non-editable install (here: into a target folder) runs `demo` away from the source tree."""
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                    "--target", str(target), str(ROOT)], check=True, capture_output=True)
    assert (target / "sheetkpi" / "templates" / "BangGiaoKPI.xlsx").is_file()
    assert (target / "sheetkpi" / "examples" / "nghe-an-2026" / "BangGiaoKPI.xlsx").is_file()
    env = {"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin", "PYTHONIOENCODING": "utf-8"}
    work = tmp_path / "elsewhere"
    work.mkdir()
    proc = subprocess.run([sys.executable, "-m", "sheetkpi", "demo", "--dir", "d"], cwd=work, env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert (work / "d" / "BangGiaoKPI.xlsx").is_file()


def test_duplicate_code_and_declared_sheet_missing(book):
    wb = load_workbook(book)
    wb["VP"]["B6"] = "VP-01"  # VP-02 retyped as VP-01
    config = wb[L.SHEET_CONFIG]
    row = next(r for r in range(1, config.max_row + 1) if config.cell(r, 1).value == "BQLDA")
    config.cell(row, 3).value = "BQLDA-cu"  # the units table names a sheet that is not there
    wb.save(book)
    proc = run_cli("check", str(book), "--as-of", AS_OF, "--json")
    assert proc.returncode == 1, proc.stderr
    issues = {i["code"]: i for i in json.loads(proc.stdout)["issues"]}
    assert issues["duplicate-code"]["sheet"] == "VP" and issues["duplicate-code"]["cell"] == "B6"
    assert "'VP-01'" in issues["duplicate-code"]["message"]
    assert "BQLDA-cu" in issues["unit-sheet-missing"]["message"]


def test_added_columns_go_right_of_an_unlabelled_notes_column(book):
    """A column of leaders' notes without a header must not be written over when columns are added."""
    wb = load_workbook(book)
    ws = wb["VP"]
    last = max(header_columns(ws).values())
    ws.delete_cols(last - 4, 5)
    notes_col = last - 4  # now the first empty column right of the header
    ws.cell(6, notes_col).value = "ý kiến LĐ 1"
    wb.save(book)
    result = sheetkpi.recalc(book, as_of=AS_OF)
    ws = load_workbook(book)["VP"]
    assert ws.cell(6, notes_col).value == "ý kiến LĐ 1"
    assert ws.cell(L.UNIT_HEADER_ROW, notes_col + 1).value == "Hạn xác định"
    added = [i for i in result.evaluation.issues if i.code == "columns-added"]
    assert len(added) == 1 and added[0].sheet == "VP" and "'Cảnh báo'" in added[0].message


def test_kpi_typed_below_the_total_row_still_counts(book):
    wb = load_workbook(book)
    ws = wb["KHĐT"]
    total = next(r for r in range(5, ws.max_row + 1) if ws[f"B{r}"].value == L.TOTAL_LABEL)
    ws[f"B{total + 1}"], ws[f"C{total + 1}"], ws[f"E{total + 1}"] = "KHĐT-08", "Nhiệm vụ thêm", 5
    ws[f"F{total + 1}"], ws[f"H{total + 1}"] = "30/3/2026", 10
    ws[f"B{total + 3}"], ws[f"C{total + 3}"] = "Người lập biểu", "Trưởng phòng"  # a signature line
    wb.save(book)
    proc = run_cli("check", str(book), "--as-of", AS_OF, "--json")
    data = json.loads(proc.stdout)
    khdt = next(u for u in data["units"] if u["code"] == "KHĐT")
    assert khdt["kpi_count"] == 8 and khdt["weight_total"] == 105 and proc.returncode == 1
    added = next(k for k in data["kpis"] if k["code"] == "KHĐT-08")
    assert added["status"] == "Quá hạn" and "kpi-below-total" in added["warnings"]


def test_column_numbering_row_is_not_a_kpi(book):
    wb = load_workbook(book)
    ws = wb["VP"]
    ws.insert_rows(L.UNIT_FIRST_KPI_ROW)
    for c in range(1, 12):
        ws.cell(L.UNIT_FIRST_KPI_ROW, c).value = f"({c})"
    wb.save(book)
    result = sheetkpi.check(book, as_of=AS_OF)
    vp = next(u for u in result.units if u.unit.code == "VP")
    assert len(vp.kpis) == 6 and vp.kpis[0].kpi.code == "VP-01" and result.valid


def test_sheets_named_without_diacritics_are_the_same_tabs(book):
    wb = load_workbook(book)
    wb[L.SHEET_SUMMARY].title = "Tong hop"
    wb[L.SHEET_HISTORY].title = "LICH SU"
    wb.save(book)
    proc = run_cli("recalc", str(book), "--as-of", AS_OF, "--no-memo")
    assert proc.returncode == 0, proc.stderr
    wb = load_workbook(book)
    assert L.SHEET_SUMMARY not in wb.sheetnames and L.SHEET_HISTORY not in wb.sheetnames
    assert wb["Tong hop"]["A1"].value.startswith("TỔNG HỢP")
    header = [c.value for c in wb["LICH SU"][L.HISTORY_HEADER_ROW] if c.value is not None]
    assert header[-1].date() == dt.date(2026, 6, 25)


def test_total_row_weight_formula_is_kept(book, tmp_path):
    """The template's =SUM() on the total row stays a formula; LibreOffice shows the unit's weight total."""
    sheetkpi.recalc(book, as_of=AS_OF)
    ws = load_workbook(book)["VP"]
    total = next(r for r in range(5, ws.max_row + 1) if ws[f"B{r}"].value == L.TOTAL_LABEL)
    weight = column_letter(ws, "Trọng số (điểm)")
    assert ws[f"{weight}{total}"].value == f"=SUM({weight}5:{weight}{total - 1})"
    grid = sheets_as_csv(book, tmp_path / "csv")["VP"]
    assert grid[total - 1][header_columns(ws)["Trọng số (điểm)"] - 1] == "100"
    assert grid[total - 1][header_columns(ws)["Cảnh báo"] - 1] == "Tạm tính: đạt 79% so với kỳ vọng"


def test_added_summary_prints_on_a4_landscape_with_repeated_header(book, tmp_path):
    wb = load_workbook(book)
    del wb[L.SHEET_SUMMARY]
    wb.save(book)
    sheetkpi.recalc(book, as_of=AS_OF)
    wb = load_workbook(book)
    ws = wb[L.SHEET_SUMMARY]
    assert wb.sheetnames[-1] == L.SHEET_SUMMARY
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize in (9, "9")
    assert ws.print_title_rows == f"$1:${L.SUMMARY_HEADER_ROW}"
    with zipfile.ZipFile(book) as z:
        assert any(n.startswith("xl/charts/chart") for n in z.namelist())
    grids = sheets_as_csv(book, tmp_path / "csv")  # LibreOffice opens it and shows the table
    assert grids[L.SHEET_SUMMARY][L.SUMMARY_HEADER_ROW - 1][0] == L.SUMMARY_UNIT_HEADERS[0]


def test_summary_damaged_below_its_date_is_laid_out_again(tmp_path):
    # "Tổng hợp" is sheetkpi's own, laid out whole by every recalculation: reading it takes only the
    # date on its third row (the rest is not inflated). A sheet damaged further down (two rows 10,
    # as no program writes) is then no reason to stop: check describes the last recalculation, and
    # the next one lays the sheet out again, whole and well formed.
    import re

    from lxml import etree

    from sheetkpi import api
    from sheetkpi.workbook.package import Package

    book = tmp_path / "BangGiaoKPI.xlsx"
    shutil.copyfile(EXAMPLE, book)
    api.recalc(book, as_of="2026-06-25", keep_backup=False)
    part = Package.open(book)._worksheet("Tổng hợp").part
    damaged = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(book) as src, zipfile.ZipFile(damaged, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == part:
                data = data.replace(b'<row r="10"', b'<row r="10"><c r="A10"><v>1</v></c></row><row r="10"', 1)
                assert data.count(b'<row r="10"') == 2
            out.writestr(info, data)
    assert api.check(damaged).as_of == dt.date(2026, 6, 25)
    api.recalc(damaged, as_of="2026-06-25", keep_backup=False)
    with zipfile.ZipFile(damaged) as z:
        rows = [int(r) for r in re.findall(rb'<row r="(\d+)"', z.read(part))]
        etree.fromstring(z.read(part))
    assert rows == sorted(set(rows)) and len(rows) > 10


def test_a_history_without_its_header_is_neither_read_nor_overwritten(book):
    """Someone emptied the header row of "Lịch sử": its dated columns are no longer known. Reading
    none would compare this month with nothing; writing a new table over it would overwrite April's
    figures. Both check and recalc refuse, naming the tab, and write nothing; renamed, the tab is
    kept as it is and a new "Lịch sử" is made."""
    assert run_cli("recalc", str(book), "--as-of", AS_OF, "--no-memo").returncode == 0
    wb = load_workbook(book)
    history = wb[L.SHEET_HISTORY]
    header = L.HISTORY_HEADER_ROW
    assert [c.value for c in history[header]][:3] == list(L.HISTORY_KEY_HEADERS)
    first = [c.value for c in history[header + 1]][:6]
    assert first[:2] == ["KHĐT", "KHĐT-01"] and first[3:] == [50, 70, 90]  # 25/04, 25/05, 25/06 (by hand)
    for cell in history[header]:
        cell.value = None
    wb.save(book)  # (preparing the input: openpyxl is fine for a test fixture)
    before = book.read_bytes()
    for command in (("check",), ("recalc", "--no-memo")):
        proc = run_cli(*command, str(book), "--as-of", "2026-07-25")
        assert proc.returncode == 3, proc.stderr
        assert proc.stderr.startswith(f"Lỗi: Trang '{L.SHEET_HISTORY}' có dữ liệu nhưng không có dòng tiêu đề")
        assert "không ghi đè lên trang này" in proc.stderr and "Traceback" not in proc.stderr
    assert book.read_bytes() == before
    wb = load_workbook(book)
    wb[L.SHEET_HISTORY].title = "Lịch sử cũ"
    wb.save(book)
    assert run_cli("recalc", str(book), "--as-of", "2026-07-25", "--no-memo").returncode == 0
    wb = load_workbook(book)
    assert [c.value for c in wb["Lịch sử cũ"][header + 1]][:6] == first
    made = wb[L.SHEET_HISTORY]
    assert [c.value for c in made[header]][:4] == [*L.HISTORY_KEY_HEADERS, dt.datetime(2026, 7, 25)]
    assert [c.value for c in made[header + 1]][:4] == ["KHĐT", "KHĐT-01", first[2], 90]


def test_an_emptied_history_gets_its_table_again(book):
    """A "Lịch sử" someone emptied (nothing below its title) is no one's figures: it gets its header
    and this month's column, as a workbook without the tab would."""
    wb = load_workbook(book)
    for row in wb[L.SHEET_HISTORY].iter_rows(min_row=L.HISTORY_HEADER_ROW):
        for cell in row:
            cell.value = None
    wb.save(book)
    assert run_cli("recalc", str(book), "--as-of", AS_OF, "--no-memo").returncode == 0
    history = load_workbook(book)[L.SHEET_HISTORY]
    assert [c.value for c in history[L.HISTORY_HEADER_ROW]][:4] == [*L.HISTORY_KEY_HEADERS, dt.datetime(2026, 6, 25)]
    assert [c.value for c in history[L.HISTORY_HEADER_ROW + 1]][:2] == ["KHĐT", "KHĐT-01"]


def test_a_recalculation_keeps_the_kpis_its_reports_list_and_the_same_figures(book):
    """Once a unit's tab is written, a recalculation keeps only the KPIs "Tổng hợp" and the memo
    list (late, at risk, completed late, done since the previous report): of the example's 32
    KPIs at 25/06/2026, the 7 late, at risk or completed late, and the 3 done since 25/05/2026
    (XDMT-03, BQLDA-04 and BQLDA-06: 85, 85 and 80 % then, 100 % now).
    Every figure is the one a check of the written workbook finds with all 32."""
    from sheetkpi import api
    from sheetkpi.model import LATE

    def listed(ev):
        return [(k.kpi.unit, k.kpi.code) for k in ev.kpis
                if k.status == LATE or k.at_risk or k.completed_late or k.became_done]

    for as_of in ("2026-06-25", "2026-07-25"):
        done = api.recalc(book, as_of=as_of, memo=False)
        whole = api.check(book, as_of=as_of)
        kept = done.evaluation
        assert whole.previous is not None and kept.previous == whole.previous
        _same_reports(kept, whole)
        assert (whole.totals["kpi_count"], kept.totals["kpi_count"]) == (32, 32)
        assert kept.totals == whole.totals
        assert [(k.kpi.unit, k.kpi.code) for k in kept.kpis] == listed(whole) != [
            (k.kpi.unit, k.kpi.code) for k in whole.kpis]
        assert [u.kpi_count for u in kept.units] == [len(u.kpis) for u in whole.units]
        assert [u.unit.kpis for u in kept.units] == [[k.kpi for k in u.kpis] for u in kept.units]
        assert [repr(i) for i in kept.issues] == [repr(i) for i in whole.issues]
    first = api.check(book, as_of="2026-06-25")
    assert ("XDMT", "XDMT-01") in listed(first)
    assert (sum(1 for k in first.kpis if k.status == LATE or k.at_risk or k.completed_late),
            [k.kpi.code for k in first.kpis if k.became_done], first.previous) == (
        7, ["XDMT-03", "BQLDA-04", "BQLDA-06"], dt.date(2026, 5, 25))


def test_a_recalculation_lets_go_of_what_it_no_longer_needs(book):
    """Once "Lịch sử" is written and every unit evaluated, the figures and rows read from it are let
    go before "Tổng hợp" is made; the KPIs kept are those a check finds, field for field, and their
    texts no longer carry the UTF-8 copy pickling leaves in a text (sent to a second process)."""
    import pickle
    import sys

    from sheetkpi import api
    from sheetkpi.model import LATE
    from sheetkpi.rules import evaluate_by_unit

    def texts_of(kpi):
        return kpi.title, kpi.result, kpi.obstacles

    data = api.load(book)
    assert data.history is not None and len(data.history.rows) == 32 and len(data.tracker.history) == 32
    evaluation, units = evaluate_by_unit(data.tracker, dt.date(2026, 6, 25))
    sizes = {}
    made = []
    for writes in api.iter_sheet_writes(data, evaluation, dt.datetime(2026, 6, 25, 8), units, drop=True):
        made.append(writes.sheet)
        for texts in writes.fit_rows.values():
            pickle.dumps(texts)  # as the file writer sends a unit tab to its second process
        if writes.sheet == L.SHEET_SUMMARY:
            assert len(data.tracker.history) == 0 and len(data.history.rows) == 0  # let go before
        for u in evaluation.units:
            for k in u.unit.kpis:
                sizes.setdefault((k.unit, k.code, k.occurrence), [sys.getsizeof(t) for t in texts_of(k)])
    assert made[0] == L.SHEET_HISTORY and made[-1] == L.SHEET_SUMMARY
    assert data.history.dates == {dt.date(2026, 4, 25): 4, dt.date(2026, 5, 25): 5}  # (the layout stays)
    whole = api.check(book, as_of="2026-06-25")
    kept = [k.kpi for u in evaluation.units for k in u.kpis]
    # The 7 late, at risk or completed late and the 3 done since 25/05 (see the test above), each
    # equal to the check's KPI field for field.
    assert kept == [k.kpi for k in whole.kpis if k.status == LATE or k.at_risk or k.completed_late or k.became_done]
    assert len(kept) == 10
    # Each text pickled above is smaller once kept ("Tổng hợp" and the memo show the same text).
    shrunk = [sys.getsizeof(t) < before for k in kept
              for t, before in zip(texts_of(k), sizes[(k.unit, k.code, k.occurrence)]) if not t.isascii()]
    assert len(shrunk) >= 10 and all(shrunk)
    assert api._unpickled("Đạt \ud800", {}) == "Đạt \ud800"  # (a lone surrogate, typed as _xD800_, stays)
    # Equal figures of the KPIs kept are one float, not one a KPI (equal to the check's, above).
    figures = [x for u in evaluation.units for r in u.kpis
               for x in (r.effective_progress, r.expected_progress, r.previous_progress, r.kpi.progress, r.kpi.weight)
               if type(x) is float and x]
    assert len(figures) > len(set(figures)) == len({id(x) for x in figures})
    shared: dict[float, float] = {}
    five, zero, minus = float("5"), float("0"), -0.0
    assert api._shared_figure(five, shared) is five and api._shared_figure(float("5"), shared) is five
    assert api._shared_figure(5, shared) == 5 and type(api._shared_figure(5, shared)) is int
    assert api._shared_figure(zero, shared) is zero and api._shared_figure(minus, shared) is minus
    assert api._shared_figure(None, shared) is None and api._shared_figure(True, shared) is True
    full = dict.fromkeys(map(float, range(1, (1 << 14) + 1)))
    assert api._shared_figure(float("99999"), full) == 99999.0 and len(full) == 1 << 14  # (bounded)


def _same_reports(kept, whole) -> None:
    """What the memo and the console say from a recalculation's evaluation (its KPIs dropped but
    those listed) is what they say from a check's (every KPI)."""
    import io

    from sheetkpi.outputs.console import print_evaluation
    from sheetkpi.outputs.memo import memo_context

    assert memo_context(kept) == memo_context(whole)
    for details in (True, False):
        said = [io.StringIO(), io.StringIO()]
        print_evaluation(kept, said[0], details=details)
        print_evaluation(whole, said[1], details=details)
        assert said[0].getvalue() == said[1].getvalue()


def test_a_first_report_keeps_no_kpi_for_being_done(book):
    """With no previous report (no "Lịch sử" yet), a KPI done is not "done since": of the
    example's 32 KPIs at 25/06/2026 the 7 late, at risk or completed late are kept."""
    from sheetkpi import api
    from sheetkpi.model import LATE

    wb = load_workbook(book)
    del wb[L.SHEET_HISTORY]
    wb.save(book)
    done = api.recalc(book, as_of="2026-06-25", memo=False)
    whole = api.check(book, as_of="2026-06-25")
    # (The check reads the "Lịch sử" the run added: the first report, no previous one.)
    assert done.evaluation.previous is None and whole.previous is None
    kept = [(k.kpi.unit, k.kpi.code) for k in done.evaluation.kpis]
    assert kept == [(k.kpi.unit, k.kpi.code) for k in whole.kpis if k.status == LATE or k.at_risk or k.completed_late]
    assert len(kept) == 7 and any(k.status == "Hoàn thành" for k in whole.kpis)
    _same_reports(done.evaluation, whole)
