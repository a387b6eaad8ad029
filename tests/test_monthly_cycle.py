"""The monthly cycle as the Office lives it (issue #12): recalculations month after month, with and
without --as-of, a "Ngày báo cáo" nobody changed, an earlier date after a later one. Whatever
happens, no "Lịch sử" column changes except the one being recalculated, and the memo the Office
signed is kept.

Departments' edits are made on the file's XML cell by cell (tests/badinputs.py), as typing would;
the expected history is written down here from the values typed, not read from sheetkpi.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from openpyxl import load_workbook

from sheetkpi import layout as L

from badinputs import copy_example, set_cell_xml
from support import run_cli

EXCEL_EPOCH = dt.date(1899, 12, 30)
REPORT_DATE_CELL = "B9"  # "Ngày báo cáo" in the example's "Cấu hình"
D = dt.date


def set_report_date(path: Path, day: dt.date | None) -> None:
    set_cell_xml(path, L.SHEET_CONFIG, {REPORT_DATE_CELL: (None, f"<v>{(day - EXCEL_EPOCH).days}</v>" if day else "")})


def type_progress(path: Path, sheet: str, cell: str, value: float) -> None:
    set_cell_xml(path, sheet, {cell: (None, f"<v>{value:g}</v>")})


def history(path: Path) -> dict[dt.date, dict[tuple[str, str], float | None]]:
    """"Lịch sử" as {report date: {(unit, code): figure}}, and the dates in column order."""
    ws = load_workbook(path, read_only=True)[L.SHEET_HISTORY]
    rows = list(ws.iter_rows(values_only=True))
    header = rows[L.HISTORY_HEADER_ROW - 1]
    columns = [(c, v.date()) for c, v in enumerate(header) if isinstance(v, dt.datetime)]
    out = {}
    for c, day in columns:
        out[day] = {(r[0], r[1]): r[c] if c < len(r) else None for r in rows[L.HISTORY_HEADER_ROW:] if r and r[0]}
    return out


def dates_in_order(path: Path) -> list[dt.date]:
    return list(history(path))


def recalc(path: Path, *args: str):
    return run_cli("recalc", str(path), "--no-memo", *args)


def assert_only_changed(before: dict, after: dict, day: dt.date) -> None:
    """Every report date of ``before`` but ``day`` has the same figures in ``after``."""
    for d, figures in before.items():
        if d != day:
            assert after[d] == figures, d


def test_three_months_without_losing_a_column(tmp_path):
    book = copy_example(tmp_path)
    # The example's history: 25/04 and 25/05; "Ngày báo cáo" 25/06/2026.
    start = history(book)
    assert list(start) == [D(2026, 4, 25), D(2026, 5, 25)]

    # June: recalculated with the date "Cấu hình" gives.
    proc = recalc(book)
    assert proc.returncode == 0, proc.stderr
    assert "Ngày báo cáo 25/06/2026 (theo 'Ngày báo cáo' trong 'Cấu hình')" in proc.stdout
    june = history(book)
    assert_only_changed(start, june, D(2026, 6, 25))
    assert june[D(2026, 6, 25)][("KHĐT", "KHĐT-01")] == 90  # typed in H5
    assert june[D(2026, 6, 25)][("BQLDA", "BQLDA-05")] is None  # nothing typed in BQLDA!H9: no figure

    # July: departments type, the Office sets the new date.
    type_progress(book, "KHĐT", "H5", 95)
    set_report_date(book, D(2026, 7, 25))
    proc = recalc(book)
    assert proc.returncode == 0, proc.stderr
    july = history(book)
    assert_only_changed(june, july, D(2026, 7, 25))
    assert july[D(2026, 7, 25)][("KHĐT", "KHĐT-01")] == 95
    assert list(july) == [D(2026, 4, 25), D(2026, 5, 25), D(2026, 6, 25), D(2026, 7, 25)]

    # August: departments type again, the Office forgets to change "Ngày báo cáo": refused, untouched.
    type_progress(book, "KHĐT", "H5", 99)
    before, backups = book.read_bytes(), sorted((book.parent / "sao-luu").iterdir())
    proc = recalc(book)
    assert proc.returncode == 2
    assert "'Ngày báo cáo' trong 'Cấu hình' là 25/07/2026" in proc.stderr and "--as-of 25/07/2026" in proc.stderr
    assert book.read_bytes() == before and sorted((book.parent / "sao-luu").iterdir()) == backups

    # The Office names August explicitly: a new column, July untouched.
    proc = recalc(book, "--as-of", "25/08/2026")
    assert proc.returncode == 0, proc.stderr
    assert "Ngày báo cáo 25/08/2026 (theo --as-of)" in proc.stdout
    august = history(book)
    assert_only_changed(july, august, D(2026, 8, 25))
    assert august[D(2026, 8, 25)][("KHĐT", "KHĐT-01")] == 99

    # A report for 10/07 recalculated afterwards goes between 25/06 and 25/07, every figure kept.
    proc = recalc(book, "--as-of", "2026-07-10")
    assert proc.returncode == 0, proc.stderr
    mid = history(book)
    assert list(mid) == [D(2026, 4, 25), D(2026, 5, 25), D(2026, 6, 25), D(2026, 7, 10), D(2026, 7, 25),
                         D(2026, 8, 25)]
    assert_only_changed(august, mid, D(2026, 7, 10))
    assert mid[D(2026, 7, 10)][("KHĐT", "KHĐT-01")] == 99

    # "Ngày báo cáo" set back to June (older than August in "Lịch sử"): refused.
    set_report_date(book, D(2026, 6, 25))
    before = book.read_bytes()
    proc = recalc(book)
    assert proc.returncode == 2 and "trước kỳ báo cáo mới nhất đã có trong 'Lịch sử' (25/08/2026)" in proc.stderr
    assert book.read_bytes() == before

    # Re-running a date rewrites that column only.
    type_progress(book, "KHĐT", "H5", 100)
    proc = recalc(book, "--as-of", "25/07/2026")
    assert proc.returncode == 0, proc.stderr
    again = history(book)
    assert_only_changed(mid, again, D(2026, 7, 25))
    assert again[D(2026, 7, 25)][("KHĐT", "KHĐT-01")] == 100


def test_read_only_commands_describe_the_last_recalculation(tmp_path):
    book = copy_example(tmp_path)
    assert recalc(book, "--as-of", "25/07/2026").returncode == 0
    # "Cấu hình" still says 25/06; the workbook was last recalculated for 25/07.
    data = json.loads(run_cli("check", str(book), "--json").stdout)
    assert data["as_of"] == "2026-07-25" and data["as_of_source"] == "last-run"
    text = run_cli("check", str(book)).stdout
    assert "Ngày báo cáo 25/07/2026 (ngày của lần tính lại gần nhất, theo trang 'Tổng hợp')" in text
    # The Office moves on to August and checks before recalculating: the new date is used, and said.
    set_report_date(book, D(2026, 8, 25))
    data = json.loads(run_cli("check", str(book), "--json").stdout)
    assert data["as_of"] == "2026-08-25" and data["as_of_source"] == "config"
    # The memo without --as-of is the last recalculation's month when "Cấu hình" is not ahead of it.
    set_report_date(book, None)
    proc = run_cli("memo", str(book), "-o", str(tmp_path / "memo"))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "memo" / "BaoCaoKPI-2026-07.docx").is_file()


def test_a_new_year_reads_no_trend_from_last_year(tmp_path):
    # The workbook copied for 2027: the same KPI codes, "Lịch sử" ending in 2026, plan year 2027.
    book = copy_example(tmp_path)
    start = (D(2027, 1, 1) - EXCEL_EPOCH).days
    set_cell_xml(book, L.SHEET_CONFIG, {"B6": (None, "<v>2027</v>"), "B7": (None, f"<v>{start}</v>")})
    for sheet, rows in (("KHĐT", range(5, 12)), ("XDMT", range(5, 12))):
        for r in rows:
            type_progress(book, sheet, f"H{r}", 5)
    data = json.loads(run_cli("check", str(book), "--as-of", "25/01/2027", "--json").stdout)
    codes = {i["code"] for i in data["issues"]}
    assert "progress-decreased" not in codes and "not-updated" not in codes


def test_the_memo_the_office_edited_is_kept(tmp_path):
    book = copy_example(tmp_path)
    assert run_cli("recalc", str(book), "--as-of", "25/06/2026").returncode == 0
    memo = tmp_path / "BaoCaoKPI-2026-06.docx"
    from docx import Document

    doc = Document(str(memo))  # the Office numbers and signs it
    doc.add_paragraph("Số: 125/BC-VP — đã ký")
    doc.save(str(memo))
    signed = memo.read_bytes()
    assert run_cli("recalc", str(book), "--as-of", "25/06/2026").returncode == 0
    kept = [p for p in (tmp_path / "sao-luu").iterdir()
            if p.name.startswith("BaoCaoKPI-2026-06-") and p.suffix == ".docx"]
    assert len(kept) == 1 and kept[0].read_bytes() == signed
    assert memo.read_bytes() != signed  # the new memo is there; the signed one is in "sao-luu"


def test_a_kpi_removed_before_a_rerun_of_the_same_date_loses_that_dates_figure(tmp_path):
    book = copy_example(tmp_path)
    assert recalc(book, "--as-of", "25/06/2026").returncode == 0
    assert history(book)[D(2026, 6, 25)][("KHĐT", "KHĐT-07")] == 0
    # The Office deletes KHĐT-07 (row 11) and reruns June: its June figure goes, its earlier ones stay.
    set_cell_xml(book, "KHĐT", {f"{col}11": (None, "") for col in "ABCDEFH"})
    before = history(book)
    assert recalc(book, "--as-of", "25/06/2026").returncode == 0
    after = history(book)
    assert after[D(2026, 6, 25)][("KHĐT", "KHĐT-07")] is None
    assert_only_changed(before, after, D(2026, 6, 25))
    assert after[D(2026, 5, 25)][("KHĐT", "KHĐT-07")] == 0
