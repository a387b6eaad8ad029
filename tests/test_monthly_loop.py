"""The month without a shared drive (issue #17): the Office splits the workbook, departments fill their
copies the way they do (text typed in cells, LibreOffice, a weight changed and rows sorted, a copy
sent twice, a copy saved as .ods), the Office collects them; the canonical workbook is checked cell
by cell and part by part. Reminders and each unit's copy go through a real SMTP server on loopback.

Every expected figure is written here from what the departments typed, not read from sheetkpi.
"""

from __future__ import annotations

import datetime as dt
import email
import re
import shutil
import zipfile
from dataclasses import dataclass
from email.policy import default
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils.cell import coordinate_to_tuple

from sheetkpi import api
from sheetkpi.workbook.builder import KpiSpec, UnitSpec, build_workbook, default_settings

import loop_edits
import realedits
from badinputs import make_encrypted, read_part, rewrite_parts, sheet_part
from lo_uno import require_uno
from support import EXAMPLE, cells, convert, run_cli, smtp_server, soffice

UNITS = ("KHĐT", "XDMT", "DNLĐ", "VP", "BQLDA")
MONTH = "2026-07"  # split on 26/06/2026: the copies are for the cut-off of 25/07/2026
KHDT_RESULT = "Đã gửi Sở Tài chính 29 báo cáo tuần và 06 báo cáo tháng."
VP_RESULT = "Ban hành đúng hạn 100% báo cáo tháng 7."
# What the canonical workbook must hold after collecting, cell by cell; every other cell as before.
TAKEN = {
    "KHĐT": {"H5": 95, "I6": KHDT_RESULT, "H7": 50.5, "H9": 100, "K9": dt.datetime(2026, 7, 15)},
    "XDMT": {"H6": 55, "J6": loop_edits.XDMT_OBSTACLES, "H8": 45},
    "DNLĐ": {"H6": 48, "H9": 15},
    "VP": {"H5": 65, "I7": VP_RESULT},
    "BQLDA": {"H9": 20},
}
# Rows per unit: updated, unchanged, not taken, missing; and the proposals listed.
RECONCILIATION = {
    "KHĐT": ("4", "3", "1", "0", "1"),
    "XDMT": ("2", "4", "0", "1", "1"),
    "DNLĐ": ("2", "4", "0", "0", "1"),
    "VP": ("2", "4", "0", "0", "0"),
    "BQLDA": ("1", "5", "0", "0", "0"),
}


def set_saved_at(path: Path, when: str) -> None:
    """Make the copy say it was saved at ``when`` (ISO, UTC), as Excel records it."""
    core = read_part(path, "docProps/core.xml").decode()
    core = re.sub(r"(<dcterms:modified[^>]*>)[^<]*(<)", rf"\g<1>{when}\g<2>", core)
    rewrite_parts(path, {"docProps/core.xml": core.encode()})


def typed(path: Path, sheet: str, values: dict[str, object], insert_before: int | None = None) -> None:
    """A department's typing, saved (openpyxl is fine to prepare a test input)."""
    wb = load_workbook(path)
    ws = wb[sheet]
    if insert_before:
        ws.insert_rows(insert_before)
    for ref, value in values.items():
        ws[ref] = value
    wb.save(path)


@dataclass
class Loop:
    book: Path  # the canonical workbook, recalculated at 25/06/2026, never collected into
    sent: Path  # the copies as split made them
    returned: Path  # the copies as the departments sent them back


@pytest.fixture(scope="module")
def loop(tmp_path_factory) -> Loop:
    require_uno()
    soffice()
    root = tmp_path_factory.mktemp("loop")
    book = root / "BangGiaoKPI.xlsx"
    shutil.copyfile(EXAMPLE, book)
    assert run_cli("recalc", str(book), "--as-of", "2026-06-25", "--no-memo").returncode == 0
    sent, returned = root / "gui-di", root / "gui-ve"
    proc = run_cli("split", str(book), "-o", str(sent), "--as-of", "2026-06-26")
    assert proc.returncode == 0, proc.stderr
    shutil.copytree(sent, returned)
    # KHĐT types its figures as text, and adds a KPI of its own above the total row.
    typed(returned / f"KHĐT-{MONTH}.xlsx", "KHĐT", {
        "H5": "95%", "I6": KHDT_RESULT, "H7": "50,5", "H9": "Hoàn thành", "K9": "15/7/2026",
        "B12": "KHĐT-08", "C12": "Hội nghị xúc tiến đầu tư tại chỗ năm 2026", "E12": 10, "H12": 20,
    }, insert_before=12)
    # XDMT and DNLĐ work in LibreOffice (tests/loop_edits.py).
    loop_edits.edit_copies(returned, MONTH)
    # VP sends its copy on 20/07, then another on 22/07 made from the copy it was sent.
    first, second = returned / f"VP-{MONTH}.xlsx", returned / f"VP-{MONTH} (gửi lại).xlsx"
    typed(first, "VP", {"H5": 60, "H6": 45})
    shutil.copyfile(sent / f"VP-{MONTH}.xlsx", second)
    typed(second, "VP", {"H5": 65, "I7": VP_RESULT})
    set_saved_at(first, "2026-07-20T02:00:00Z")
    set_saved_at(second, "2026-07-22T03:30:00Z")
    # BQLDA saves its copy as OpenDocument.
    bqlda = returned / f"BQLDA-{MONTH}.xlsx"
    typed(bqlda, "BQLDA", {"H9": 20})
    convert([bqlda], "ods", returned)
    bqlda.unlink()
    return Loop(book, sent, returned)


# -- split ------------------------------------------------------------------------------------------

def test_split_writes_one_locked_copy_per_unit(loop):
    assert sorted(p.name for p in loop.sent.iterdir()) == sorted(f"{u}-{MONTH}.xlsx" for u in UNITS)
    for unit in UNITS:
        copy = loop.sent / f"{unit}-{MONTH}.xlsx"
        wb = load_workbook(copy)
        assert wb.sheetnames == ["Hướng dẫn", unit] and wb.active.title == unit
        ws = wb[unit]
        assert ws.protection.sheet and not ws.protection.password and wb["Hướng dẫn"].protection.sheet
        open_cells = {c.coordinate for row in ws.iter_rows() for c in row if not c.protection.locked}
        last = {"KHĐT": 11, "XDMT": 11, "DNLĐ": 10, "VP": 10, "BQLDA": 10}[unit]
        # "% tiến độ", "Kết quả thực hiện", "Khó khăn…", "Ngày hoàn thành", "Thực hiện" of the KPI rows.
        assert open_cells == {f"{col}{row}" for col in "HIJKO" for row in range(5, last + 1)}
        # The engine's columns show the results of the last recalculation (25/06/2026).
        assert ws["S8" if unit == "KHĐT" else "S5"].value in ("Quá hạn", "Đang thực hiện", "Hoàn thành")
        # Nothing of another unit travels in the file.
        with zipfile.ZipFile(copy) as z:
            content = b"".join(z.read(n) for n in z.namelist()).decode("utf-8", "replace")
        assert not [u for u in UNITS if u != unit and f"{u}-01" in content]


def test_split_copies_open_in_libreoffice(loop, tmp_path):
    from support import sheets_as_csv

    shown = sheets_as_csv(loop.sent / f"XDMT-{MONTH}.xlsx", tmp_path)
    assert list(shown) == ["Hướng dẫn", "XDMT"]
    rows = shown["XDMT"]
    assert rows[4][1] == "XDMT-01" and rows[4][7] == "80%" and rows[10][1] == "XDMT-07"


def test_split_keeps_an_earlier_copy_in_sao_luu(loop, tmp_path):
    folder = tmp_path / "gui-di"
    shutil.copytree(loop.sent, folder)
    (folder / f"VP-{MONTH}.xlsx").write_bytes(b"a copy a department sent back")
    proc = run_cli("split", str(loop.book), "-o", str(folder), "--as-of", "2026-06-26")
    assert proc.returncode == 0, proc.stderr
    kept = list((folder / "sao-luu").iterdir())
    assert len(kept) == 5 and any(p.read_bytes() == b"a copy a department sent back" for p in kept)
    assert load_workbook(folder / f"VP-{MONTH}.xlsx").sheetnames == ["Hướng dẫn", "VP"]


# Workbooks as Offices keep them (tests/realedits.py): merged cells hiding a department's text, sorted
# rows, a repeated header, weights as percentages, group rows, values typed every way, a two-row
# header, an Excel table.
ROUND_TRIP = ("merged_cells", "sort_by_weight", "repeated_header", "weights_percent", "group_rows", "typed_values",
              "openpyxl_two_row_header", "xlsxwriter_table")


@pytest.fixture(scope="module")
def edited(tmp_path_factory) -> dict[str, Path]:
    require_uno()
    return realedits.build_all(tmp_path_factory.mktemp("edited"), list(ROUND_TRIP))


@pytest.mark.parametrize("case", ROUND_TRIP)
def test_copies_sent_back_untouched_change_nothing(edited, case, tmp_path):
    book = tmp_path / "BangGiaoKPI.xlsx"
    shutil.copyfile(edited[case], book)
    split = api.split(book, tmp_path / "gui-di", as_of="2026-06-26")
    result = api.collect(book, [tmp_path / "gui-di"], dry_run=True)
    assert [c.unit for c in result.copies] == [unit for unit, _ in split.copies] and not result.failures
    for copy in result.copies:
        assert copy.comparison.changes == [] and copy.comparison.proposals == [], (copy.unit.code, case)
        assert copy.comparison.rejected == copy.comparison.missing == 0


# -- collect ----------------------------------------------------------------------------------------

def _styles(path: Path, sheet: str) -> dict[str, str]:
    """The style index of every cell of a sheet, from its XML."""
    xml = read_part(path, sheet_part(path, sheet)).decode()
    return dict(re.findall(r'<c r="([A-Z]+\d+)"[^>]*?\bs="(\d+)"', xml))


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def _table(stdout: str) -> dict[str, tuple[str, ...]]:
    """The reconciliation table collect prints: unit -> (updated, unchanged, not taken, missing, proposals)."""
    rows = {}
    for line in stdout.splitlines():
        parts = re.split(r"\s{2,}", line.strip())
        if parts[0] in UNITS and len(parts) == 8:
            rows[parts[0]] = tuple(parts[3:])
    return rows


@pytest.fixture(scope="module")
def collected(loop, tmp_path_factory):
    """The canonical workbook after `collect --no-recalc` of every returned copy, and what it printed."""
    book = tmp_path_factory.mktemp("collected") / "BangGiaoKPI.xlsx"
    shutil.copyfile(loop.book, book)
    proc = run_cli("collect", str(book), str(loop.returned), "--no-recalc", "-v")
    return book, proc


def test_collect_takes_exactly_the_department_cells(loop, collected):
    book, proc = collected
    assert proc.returncode == 0, proc.stderr
    before, after = cells(loop.book, formulas=True), cells(book, formulas=True)
    assert list(after) == list(before)
    for sheet in before:
        expected = dict(before[sheet])
        expected.update({coordinate_to_tuple(ref): value for ref, value in TAKEN.get(sheet, {}).items()})
        assert after[sheet] == expected, sheet
    # Byte for byte: only the five unit tabs' XML changed, and a written cell kept its style.
    old, new = _parts(loop.book), _parts(book)
    assert list(new) == list(old)
    assert {n for n in old if old[n] != new[n]} == {sheet_part(book, u) for u in UNITS}
    for unit, taken in TAKEN.items():
        styles_before, styles_after = _styles(loop.book, unit), _styles(book, unit)
        assert styles_after == styles_before, unit
        assert all(ref in styles_after for ref in taken)
    assert "Đã ghi 13 ô của các đơn vị" in proc.stdout
    assert len(list((book.parent / "sao-luu").iterdir())) == 1


def test_collect_prints_the_reconciliation_and_every_change_not_taken(collected):
    _, proc = collected
    out = proc.stdout
    assert _table(out) == RECONCILIATION
    assert f"VP-{MONTH} (gửi lại).xlsx" in out and "Chưa nhận bản của" not in out
    proposals = [line for line in out.splitlines() if line.startswith("  • ")]
    assert any("KHĐT-08" in p and "chưa có trong bảng chính" in p for p in proposals)
    assert any(p.startswith("  • 'XDMT'!B11: XDMT-07") and "không có trong bản gửi về" in p for p in proposals)
    assert any(p.startswith("  • 'DNLĐ'!E5: DNLĐ-01") and "Trọng số (điểm): 20 → 25" in p for p in proposals)
    # VP's first copy said H5 60 and H6 45; the second, saved later, says 65 and leaves H6 at 40.
    assert f"Bản cũ hơn của cùng đơn vị, không lấy: 'VP-{MONTH}.xlsx' (VP" in out
    conflicts = [p for p in proposals if "lấy bản lưu sau" in p]
    assert len(conflicts) == 2
    assert conflicts[0].startswith("  • 'VP'!H5: VP-01") and "ghi 60" in conflicts[0] and "ghi 65" in conflicts[0]
    assert conflicts[1].startswith("  • 'VP'!H6: VP-02") and "ghi 45" in conflicts[1] and "ghi 40" in conflicts[1]
    # -v lists every cell taken, as the department's value reads.
    assert "'KHĐT'!H9 KHĐT-05" in out and ": 40 → 100" in out and "'KHĐT'!K9" in out and "→ 15/07/2026" in out


def test_collect_recalculates_with_what_departments_sent(loop, tmp_path):
    book = tmp_path / "BangGiaoKPI.xlsx"
    shutil.copyfile(loop.book, book)
    proc = run_cli("collect", str(book), str(loop.returned), "--as-of", "2026-07-25")
    assert proc.returncode == 0, proc.stderr
    assert "Ngày báo cáo 25/07/2026 (theo --as-of)" in proc.stdout
    wb = load_workbook(book, data_only=True)
    khdt = wb["KHĐT"]
    # KHĐT-01: 20 × 95 / 100; KHĐT-05 done on 15/07, after its deadline 30/06.
    assert khdt["R5"].value == 19 and khdt["S9"].value == "Hoàn thành"
    assert "Hoàn thành chậm" in khdt["T9"].value
    assert wb["DNLĐ"]["E5"].value == 20 and wb["DNLĐ"]["H6"].value == 48
    history = wb["Lịch sử"]
    header = [c.value for c in history[4]]
    column = header.index(dt.datetime(2026, 7, 25)) + 1
    rows = {history.cell(r, 2).value: r for r in range(5, history.max_row + 1)}
    assert history.cell(rows["KHĐT-01"], column).value == 95
    assert history.cell(rows["VP-01"], column).value == 65
    # Two copies in "sao-luu": before the department cells, before the recalculation.
    assert len(list((book.parent / "sao-luu").iterdir())) == 2


def test_dry_run_writes_nothing_and_shows_each_cell(loop, tmp_path):
    book = tmp_path / "BangGiaoKPI.xlsx"
    shutil.copyfile(loop.book, book)
    original = book.read_bytes()
    proc = run_cli("collect", str(book), str(loop.returned), "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert book.read_bytes() == original and not (tmp_path / "sao-luu").exists()
    assert "Chạy thử (--dry-run): sẽ ghi 13 ô" in proc.stdout
    assert "'XDMT'!J6 XDMT-02" in proc.stdout and "'DNLĐ'!H6 DNLD-02" in proc.stdout and ": 40 → 48" in proc.stdout


# -- bad returned files -----------------------------------------------------------------------------

def test_bad_returned_files_are_named_and_the_others_collected(loop, tmp_path):
    book = tmp_path / "BangGiaoKPI.xlsx"
    shutil.copyfile(loop.book, book)
    inbox = tmp_path / "thu-ve"
    inbox.mkdir()
    shutil.copyfile(loop.returned / f"KHĐT-{MONTH}.xlsx", inbox / f"KHĐT-{MONTH}.xlsx")
    (inbox / "BaoCao.xlsx").write_text("không phải bảng tính", encoding="utf-8")
    # A workbook of no unit: its only sheet is no unit's tab, and its name names none.
    wb = load_workbook(loop.sent / f"VP-{MONTH}.xlsx")
    wb["VP"].title = "Sheet1"
    wb.save(inbox / "bang-kpi-thang-7.xlsx")
    make_encrypted(inbox, loop.sent / f"XDMT-{MONTH}.xlsx", f"XDMT-{MONTH}.xlsx")
    shutil.copyfile(loop.returned / f"DNLĐ-{MONTH}.xlsx", inbox / f"DNLĐ-{MONTH}.xlsx")
    (inbox / f".~lock.DNLĐ-{MONTH}.xlsx#").write_text("Nguyễn Văn B,máy-dnld", encoding="utf-8")
    proc = run_cli("collect", str(book), str(inbox), "--no-recalc")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    failures = proc.stdout.split("Không đọc được (4), các tệp khác vẫn được thu:")[1]
    assert "Tệp 'BaoCao.xlsx' không phải là sổ tính" in failures
    assert "Tệp 'bang-kpi-thang-7.xlsx' không dùng được: không có trang tính mang tên đơn vị nào" in failures
    assert f"Tệp 'XDMT-{MONTH}.xlsx' được đặt mật khẩu" in failures
    assert f"Tệp 'DNLĐ-{MONTH}.xlsx' đang được mở trong Excel/LibreOffice" in failures
    assert "Chưa nhận bản của: XDMT – Phòng Xây dựng và Môi trường, DNLĐ" in proc.stdout
    after = cells(book)
    assert after["KHĐT"][(5, 8)] == 95 and after["DNLĐ"][(6, 8)] == 40 and after["XDMT"][(6, 8)] == 40


def test_nothing_usable_writes_nothing_and_exits_3(loop, tmp_path):
    book = tmp_path / "BangGiaoKPI.xlsx"
    shutil.copyfile(loop.book, book)
    original = book.read_bytes()
    note = tmp_path / "ghi-chu.pdf"
    note.write_bytes(b"%PDF-1.4 not a workbook")
    proc = run_cli("collect", str(book), str(note), str(tmp_path / "khong-co.xlsx"), "--no-recalc")
    assert proc.returncode == 3 and book.read_bytes() == original
    assert "Không tìm thấy tệp" in proc.stdout and "'ghi-chu.pdf'" in proc.stdout
    assert not (tmp_path / "sao-luu").exists()


def test_the_canonical_workbook_open_or_a_stale_report_date_stops_before_anything_is_written(loop, tmp_path):
    book = tmp_path / "BangGiaoKPI.xlsx"
    shutil.copyfile(loop.book, book)
    original = book.read_bytes()
    (tmp_path / f"~${book.name}").write_bytes(b"owner")
    proc = run_cli("collect", str(book), str(loop.returned))
    assert proc.returncode == 3 and "đang được mở" in proc.stderr and book.read_bytes() == original
    (tmp_path / f"~${book.name}").unlink()
    # "Ngày báo cáo" still says 25/06/2026, a report already in "Lịch sử" for a month: the
    # recalculation that follows the collection would overwrite it, so nothing is collected.
    proc = run_cli("collect", str(book), str(loop.returned))
    assert proc.returncode == 2 and "quên đổi ngày" in proc.stderr
    assert book.read_bytes() == original and not (tmp_path / "sao-luu").exists()


def test_a_whole_workbook_sent_back_is_the_unit_its_name_names(loop, tmp_path):
    book = tmp_path / "BangGiaoKPI.xlsx"
    shutil.copyfile(loop.book, book)
    returned = tmp_path / "Bang KPI - XDMT.xlsx"
    shutil.copyfile(loop.book, returned)
    typed(returned, "XDMT", {"H6": 60})
    typed(returned, "VP", {"H5": 99})  # another unit's tab: not taken
    proc = run_cli("collect", str(book), str(returned), "--no-recalc")
    assert proc.returncode == 0, proc.stderr
    assert "Tệp 'Bang KPI - XDMT.xlsx' có trang 'VP' của đơn vị VP, khác bảng chính ở 1 ô: không lấy" in proc.stdout
    after = cells(book)
    assert after["XDMT"][(6, 8)] == 60 and after["VP"][(5, 8)] == 50


# -- remind and the per-unit mail, through a real SMTP server on loopback ---------------------------

@pytest.fixture
def server():
    with smtp_server() as (controller, inbox):
        yield f"{controller.hostname}:{controller.port}", inbox


def _reminder_book(path: Path) -> Path:
    """Three units at 20/06/2026 (plan from 01/01/2026, threshold 25): A has nothing to fix; B has a
    late row, an invalid progress, a row not updated since 25/05 and one at risk, and a row in good
    order; C has a late row and no address."""
    def kpi(code, weight, deadline, progress):
        return KpiSpec(code, f"Nhiệm vụ {code}", weight, deadline, progress=progress)

    units = [
        # 50 % of a year due 31/12 (expected 46,6 %), 60 % of one due 30/09 (expected 62,4 %).
        UnitSpec("A", "Phòng A", [kpi("A-01", 50, "31/12/2026", 50), kpi("A-02", 50, "30/9/2026", 60)],
                 email="a@kkt.example.vn"),
        UnitSpec("B", "Phòng B", [
            kpi("B-01", 20, "30/4/2026", 70),  # late
            kpi("B-02", 20, "31/12/2026", "đang làm"),  # invalid, and so 0 % against 46,6 % expected
            kpi("B-03", 20, "31/12/2026", 30),  # 30 on 25/05 too
            kpi("B-04", 20, "30/6/2026", 20),  # expected 94,4 % by 30/06
            kpi("B-05", 20, "31/12/2026", 45),  # 40 on 25/05: moving, on pace
        ], email="Phòng B <b@kkt.example.vn>"),
        UnitSpec("C", "Phòng C", [kpi("C-01", 100, "31/5/2026", 90)]),
    ]
    history = {dt.date(2026, 5, 25): {("A", "A-01"): 40, ("A", "A-02"): 50, ("B", "B-03"): 30, ("B", "B-05"): 40}}
    settings = {**default_settings(2026), "agency": "BAN QUẢN LÝ KHU KINH TẾ", "sender": "vanphong@kkt.example.vn"}
    build_workbook(path, settings=settings, units=units, history=history)
    return path


def test_remind_mails_each_unit_exactly_its_rows(tmp_path, server):
    where, inbox = server
    book = _reminder_book(tmp_path / "BangGiaoKPI.xlsx")
    proc = run_cli("remind", str(book), "--as-of", "20/06/2026", "--smtp", where)
    assert proc.returncode == 0, proc.stderr
    (envelope,) = inbox.envelopes
    assert envelope.mail_from == "vanphong@kkt.example.vn" and envelope.rcpt_tos == ["b@kkt.example.vn"]
    msg = email.message_from_bytes(envelope.original_content, policy=default)
    assert msg["Subject"] == "Đề nghị cập nhật KPI trước ngày 25/06/2026 — Phòng B"
    text = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert text.startswith("Kính gửi: Phòng B\n")
    listed = re.findall(r"^\d+\. (\S+) — ", text, re.MULTILINE)
    assert listed == ["B-01", "B-02", "B-03", "B-04"]
    assert 'Quá hạn (30/04/2026), tiến độ 70%: đề nghị cập nhật "% tiến độ" (ô H5)' in text
    assert "% tiến độ không hợp lệ: 'đang làm' (tính là 0): đề nghị ghi \"% tiến độ\" (ô H6)" in text
    assert "không thay đổi so với kỳ báo cáo trước (25/05/2026): đề nghị cập nhật \"% tiến độ\" (ô H7) và " \
           "\"Kết quả thực hiện\" (ô I7)" in text
    assert "Nguy cơ chậm tiến độ: đạt 20%, kỳ vọng 94%" in text and "(ô J8)" in text
    assert "Trân trọng cảm ơn./." in text
    assert "✗ C – Phòng C: chưa gửi được — chưa có địa chỉ thư" in proc.stdout
    assert "Không có gì cần nhắc: A." in proc.stdout


def test_remind_writes_drafts(tmp_path):
    book = _reminder_book(tmp_path / "BangGiaoKPI.xlsx")
    proc = run_cli("remind", str(book), "--as-of", "20/06/2026", "--eml", str(tmp_path / "nhap"))
    assert proc.returncode == 0, proc.stderr
    (draft,) = (tmp_path / "nhap").iterdir()
    assert draft.name == "B-nhac-2026-06-20.eml"
    msg = email.message_from_bytes(draft.read_bytes(), policy=default)
    assert msg["X-Unsent"] == "1" and msg["To"] == "Phòng B <b@kkt.example.vn>"


def test_mail_per_unit_sends_each_unit_its_copy(tmp_path, server):
    where, inbox = server
    book = tmp_path / "BangGiaoKPI.xlsx"
    shutil.copyfile(EXAMPLE, book)
    proc = run_cli("mail", str(book), "--per-unit", "--as-of", "2026-06-26", "--smtp", where)
    assert proc.returncode == 0, proc.stderr
    got = {tuple(e.rcpt_tos): e for e in inbox.envelopes}
    assert set(got) == {("khdt@kkt.example.vn",), ("xdmt@kkt.example.vn",), ("dnld@kkt.example.vn",),
                        ("vp@kkt.example.vn",), ("bqlda@kkt.example.vn",)}
    msg = email.message_from_bytes(got[("xdmt@kkt.example.vn",)].original_content, policy=default)
    assert msg["From"] == "Văn phòng Ban <vanphong@kkt.example.vn>"
    assert msg["Subject"].startswith("Bảng giao KPI tháng 7/2026 — Phòng Xây dựng và Môi trường")
    assert "trước ngày 25/07/2026" in msg.get_body(("plain",)).get_content()
    (attachment,) = msg.iter_attachments()
    assert attachment.get_filename() == f"XDMT-{MONTH}.xlsx"
    copy = tmp_path / attachment.get_filename()
    copy.write_bytes(attachment.get_content())
    assert load_workbook(copy).sheetnames == ["Hướng dẫn", "XDMT"]


def test_mail_takes_its_addresses_from_cau_hinh(tmp_path, server):
    where, inbox = server
    book = tmp_path / "BangGiaoKPI.xlsx"
    shutil.copyfile(EXAMPLE, book)
    proc = run_cli("mail", str(book), "--as-of", "2026-06-25", "--smtp", where)
    assert proc.returncode == 0, proc.stderr
    (envelope,) = inbox.envelopes
    assert envelope.mail_from == "vanphong@kkt.example.vn"
    assert sorted(envelope.rcpt_tos) == ["bqlda@kkt.example.vn", "dnld@kkt.example.vn", "khdt@kkt.example.vn",
                                         "vp@kkt.example.vn", "xdmt@kkt.example.vn"]
    # An explicit --to and --from win.
    proc = run_cli("mail", str(book), "--as-of", "2026-06-25", "--smtp", where, "--to", "lanhdao@kkt.example.vn",
                   "--from", "chanhvanphong@kkt.example.vn")
    assert proc.returncode == 0, proc.stderr
    assert inbox.envelopes[1].rcpt_tos == ["lanhdao@kkt.example.vn"]
    assert inbox.envelopes[1].mail_from == "chanhvanphong@kkt.example.vn"
