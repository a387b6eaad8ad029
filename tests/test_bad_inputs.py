"""Every broken input gets a clear Vietnamese answer and an exit code, and the original is untouched
(issue #7). The inputs are built by ``tests/badinputs.py``; the outcomes are in ``docs/reliability.md``.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import os
import re
import socket
import subprocess
import sys
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetkpi import layout as L
from sheetkpi.model import STATUSES
from sheetkpi.reading import read_grids
from sheetkpi.report import REGISTRY
from sheetkpi.structure import Cell
from sheetkpi.workbook import xmlsafe

import badinputs as B
from support import AS_OF, EXAMPLE, ROOT, run_cli, sheets_as_csv, soffice

BOMB_MESSAGE = "quá lớn (2048 MiB)"
NOT_A_WORKBOOK = "không phải là sổ tính Excel (.xlsx/.xlsm) hoặc đã bị hỏng"
DTD_MESSAGE = "chứa khai báo DOCTYPE/ENTITY"
CONVERT_HINT = "Hãy chuyển sang .xlsx: chạy sheetkpi convert"
FAR = "quá xa vùng dữ liệu"


@dataclass
class Expect:
    """The outcome of one bad input.

    ``message``: in stderr when the file is refused (exit 3 or 4), else in the message of one
    of the issues flagged. ``added``/``removed``: (code, sheet, cell) of the issues that differ
    from those the untouched example has.
    """

    exit: int
    message: str = ""
    added: set = field(default_factory=set)
    removed: set = field(default_factory=set)
    kpis: int = 32


K = "KHĐT"
CASES: dict[str, Expect] = {
    # Not a workbook at all
    "empty": Expect(3, NOT_A_WORKBOOK),
    "text_renamed": Expect(3, NOT_A_WORKBOOK),
    "truncated_zip": Expect(3, NOT_A_WORKBOOK),
    "missing_part": Expect(3, "Thiếu phần dữ liệu của trang tính 'KHĐT'"),
    "broken_sheet_xml": Expect(3, "Không đọc được trang tính 'KHĐT' của tệp 'BangGiaoKPI.xlsx': dữ liệu bị hỏng"),
    "nan_number": Expect(3, "Không đọc được trang tính 'KHĐT'"),
    # Attacks and limits, refused before anything is parsed
    "zip_bomb": Expect(3, f"Phần 'xl/worksheets/sheet3.xml' của tệp 'BangGiaoKPI.xlsx' {BOMB_MESSAGE}"),
    "ratio_bomb": Expect(3, "nén bất thường (tỉ lệ > 250:1); tệp có thể là bom nén"),
    "too_many_parts": Expect(3, "có 10018 phần, vượt giới hạn 10000"),
    "billion_laughs": Expect(3, f"Phần 'xl/worksheets/sheet3.xml' của tệp {DTD_MESSAGE}"),
    "external_entity": Expect(3, f"Phần 'docProps/core.xml' của tệp {DTD_MESSAGE}"),
    "encrypted": Expect(3, "được đặt mật khẩu. Hãy mở bằng Excel, bỏ mật khẩu"),
    # One cell far from the table: refused before a grid of billions of cells is laid out
    "far_cell_corner": Expect(3, f"Trang tính 'KHĐT' có ô ở XFD1048576, {FAR}"),
    "far_cell_wide": Expect(3, f"Trang tính 'KHĐT' có ô ở AAA100000, {FAR}"),
    "far_cell_xfd": Expect(3, f"Trang tính 'KHĐT' có ô ở XFD20000, {FAR}"),
    "row_beyond_grid": Expect(3, f"Trang tính 'KHĐT' có ô ở dòng 1048577, {FAR}"),
    # Other formats, by name or by content
    "legacy_xls": Expect(3, f"ở định dạng Excel 97-2003 (.xls); sheetkpi chỉ đọc .xlsx. {CONVERT_HINT}"),
    "xlsb": Expect(3, f"ở định dạng nhị phân Excel (.xlsb); sheetkpi chỉ đọc .xlsx. {CONVERT_HINT}"),
    "ods": Expect(3, f"ở định dạng OpenDocument (.ods); sheetkpi chỉ đọc .xlsx. {CONVERT_HINT}"),
    # A workbook without what sheetkpi needs
    "no_unit_tab": Expect(4, "Không tìm thấy trang tính đơn vị nào: cần một dòng tiêu đề có cột 'Mã KPI' hoặc"),
    "missing_column": Expect(4, "Trang tính đơn vị thiếu cột bắt buộc: 'KHĐT': thiếu cột '% tiến độ'"),
    "unknown_column_name": Expect(4, "Trang tính đơn vị thiếu cột bắt buộc: 'VP': thiếu cột '% tiến độ'"),
    # Workbooks that are read, with the problems flagged on their cells
    "renamed_columns": Expect(0),
    "hidden_rows": Expect(0),
    "formula_cached": Expect(0),
    "numbers_as_text": Expect(0),
    "blank_rows": Expect(0),
    "self_closed_rows": Expect(0),
    "long_sheet_name": Expect(0),
    "nfd_text": Expect(0),
    "formula_like_text": Expect(0),
    "merged_cells": Expect(
        1, "'KHĐT'!E6: Trọng số không hợp lệ: '' (KPI được tính 0 điểm)",
        added={("weight-invalid", K, "E6"), ("weight-sum-mismatch", K, None),
               ("deadline-missing", K, "F10"), ("deadline-missing", K, "F11")},
        removed={("at-risk", K, "H11")},
    ),
    "formula_uncached": Expect(
        0, "'KHĐT'!H5: Chưa cập nhật % tiến độ",
        # An empty cell is no figure: "Lịch sử" had 70 for H5, but no fall is read from nothing.
        added={("progress-missing", K, "H5"), ("at-risk", K, "H5")},
    ),
    "formula_errors": Expect(
        1, "'KHĐT'!H6: % tiến độ không hợp lệ: '#REF!' (tính là 0)",
        added={("progress-invalid", K, "H6"), ("weight-invalid", K, "E7"), ("weight-sum-mismatch", K, None),
               ("at-risk", K, "H6")},
    ),
    "huge_numbers": Expect(
        1, "'KHĐT'!E6: Trọng số không hợp lệ",
        added={("progress-invalid", K, "H5"), ("weight-invalid", K, "E6"), ("weight-sum-mismatch", K, None),
               ("at-risk", K, "H5")},
    ),
    "month_first_dates": Expect(
        0, "'KHĐT'!F8: Không xác định được thời hạn: '04/30/2026'",
        added={("deadline-unknown", K, "F8"), ("completed-on-invalid", K, "K5"), ("overdue", K, "H9")},
        removed={("overdue", K, "H8"), ("at-risk", K, "H9")},
    ),
    "duplicate_codes": Expect(
        1, "'KHĐT'!B6: Mã KPI 'KHĐT-01' bị trùng (đã có ở 'KHĐT'!B5)",
        # The second "KHĐT-01" has a "Lịch sử" row of its own (empty so far): no trend is read for it.
        added={("duplicate-code", K, "B6")},
    ),
    # A copy of a unit tab that "Cấu hình" does not list is reported, not totalled (SPEC §3).
    "duplicated_unit_tab": Expect(
        0, "'KHĐT (2)': Trang tính có dạng bảng giao KPI nhưng không có trong bảng đơn vị của 'Cấu hình'",
        added={("unit-not-in-config", "KHĐT (2)", None)},
    ),
    "legacy_text": Expect(
        0, "'KHĐT'!C5: Văn bản có vẻ gõ bằng bảng mã cũ (TCVN3/VNI), cần chuyển sang Unicode",
        added={("legacy-encoding", K, "C5"), ("legacy-encoding", K, "J6")},
    ),
}


def build(case: str, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    made = getattr(B, f"make_{case}")(folder)
    return made[0] if isinstance(made, tuple) else made


def flags(data: dict, rename: dict[str, str] | None = None) -> set:
    rename = rename or {}
    return {(i["code"], rename.get(i["sheet"], i["sheet"]), i["cell"]) for i in data["issues"]}


def no_crash(proc: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "Lỗi không lường trước" not in proc.stderr


@pytest.fixture(scope="module")
def example_flags() -> set:
    proc = run_cli("check", str(EXAMPLE), "--as-of", AS_OF, "--json")
    return flags(json.loads(proc.stdout))


def files_beside(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir())


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input(case, tmp_path, example_flags):
    expect = CASES[case]
    path = build(case, tmp_path / "in")
    original = path.read_bytes()
    around = files_beside(path)

    checked = run_cli("check", str(path), "--as-of", AS_OF, "--json")
    no_crash(checked)
    assert checked.returncode == expect.exit, checked.stderr
    assert path.read_bytes() == original

    if expect.exit >= 3:
        assert expect.message in checked.stderr and checked.stderr.startswith("Lỗi: ")
        assert checked.stdout == ""
        # recalc in place refuses the same way and writes nothing: no backup, no lock, no temp file.
        recalc = run_cli("recalc", str(path), "--as-of", AS_OF)
        no_crash(recalc)
        assert recalc.returncode == expect.exit and expect.message in recalc.stderr
        assert path.read_bytes() == original and files_beside(path) == around
        return

    data = json.loads(checked.stdout)
    rename = {}
    if case == "long_sheet_name":
        rename = {next(s for s in {k["sheet"] for k in data["kpis"]} if len(s) == 200): K}
    got = flags(data, rename)
    assert got - example_flags == expect.added
    assert example_flags - got == expect.removed
    assert len(data["kpis"]) == expect.kpis
    assert all(len(i["cell"] or "") <= 7 for i in data["issues"])
    if expect.message:
        assert any(expect.message in i["message"] for i in data["issues"]), [i["message"] for i in data["issues"]]

    out = tmp_path / "out" / "KetQua.xlsx"
    out.parent.mkdir()
    recalc = run_cli("recalc", str(path), "--as-of", AS_OF, "-o", str(out), "--no-memo")
    no_crash(recalc)
    assert recalc.returncode == 0, recalc.stderr
    assert path.read_bytes() == original and files_beside(path) == around
    # What was written reads back with the same findings.
    again = json.loads(run_cli("check", str(out), "--as-of", AS_OF, "--json").stdout)
    assert flags(again) == flags(data)


def test_hidden_rows_are_still_kpis(tmp_path):
    path = B.make_hidden_rows(tmp_path)
    data = json.loads(run_cli("check", str(path), "--as-of", AS_OF, "--json").stdout)
    assert [k["row"] for k in data["kpis"] if k["sheet"] == K] == [5, 6, 7, 8, 9, 10, 11]


def test_numbers_as_text_score_like_numbers(tmp_path):
    base = json.loads(run_cli("check", str(EXAMPLE), "--as-of", AS_OF, "--json").stdout)
    for make in (B.make_numbers_as_text, B.make_formula_cached, B.make_renamed_columns, B.make_nfd_text):
        data = json.loads(run_cli("check", str(make(tmp_path / make.__name__)), "--as-of", AS_OF, "--json").stdout)
        assert data["units"] == base["units"], make.__name__
        assert [(k["code"], k["score"], k["status"]) for k in data["kpis"]] == [
            (k["code"], k["score"], k["status"]) for k in base["kpis"]], make.__name__


def test_month_first_date_is_read_day_first(tmp_path):
    data = json.loads(run_cli("check", str(B.make_month_first_dates(tmp_path)), "--as-of", AS_OF, "--json").stdout)
    kpi = {k["code"]: k for k in data["kpis"]}
    assert kpi["KHĐT-05"]["due"] == "2026-06-05" and kpi["KHĐT-05"]["status"] == "Quá hạn"
    assert kpi["KHĐT-04"]["due"] is None and kpi["KHĐT-04"]["due_kind"] == "unknown"


def test_merged_weight_counts_once(tmp_path):
    data = json.loads(run_cli("check", str(B.make_merged_cells(tmp_path)), "--as-of", AS_OF, "--json").stdout)
    kpi = {k["code"]: k for k in data["kpis"]}
    assert (kpi["KHĐT-01"]["weight"], kpi["KHĐT-02"]["weight"], kpi["KHĐT-02"]["score"]) == (20, None, 0)
    assert kpi["KHĐT-05"]["due"] == "2026-06-30" and kpi["KHĐT-06"]["due_kind"] == "missing"


def test_nfd_workbook_is_rewritten_in_its_own_summary_sheet(tmp_path):
    path = B.make_nfd_text(tmp_path)
    proc = run_cli("recalc", str(path), "--as-of", AS_OF, "--no-memo")
    assert proc.returncode == 0, proc.stderr
    from openpyxl import load_workbook

    names = load_workbook(path, read_only=True).sheetnames
    assert len(names) == 9  # no second "Tổng hợp" or "Lịch sử" next to the decomposed ones


def test_long_sheet_name_is_written_back(tmp_path):
    path, name = B.make_long_sheet_name(tmp_path)
    proc = run_cli("recalc", str(path), "--as-of", AS_OF, "--no-memo")
    assert proc.returncode == 0, proc.stderr
    from openpyxl import load_workbook

    ws = load_workbook(path, read_only=True)[name]
    assert [r[18] for r in ws.iter_rows(min_row=5, max_row=8, values_only=True)] == [
        "Đang thực hiện", "Đang thực hiện", "Đang thực hiện", "Quá hạn"]


def test_blank_rows_do_not_slow_or_grow_the_run(tmp_path):
    path = B.make_blank_rows(tmp_path)
    size = path.stat().st_size
    proc = run_cli("recalc", str(path), "--as-of", AS_OF, "--no-memo")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(run_cli("check", str(path), "--as-of", AS_OF, "--json").stdout)
    assert len(data["kpis"]) == 32
    assert path.stat().st_size < size * 1.5  # the 10,000 empty rows were not filled in


# ---------------------------------------------------------------------------------------------
# Legacy and other formats, by content whatever the name


@pytest.mark.parametrize("make, kind", [
    (B.make_legacy_xls, "Excel 97-2003 (.xls)"),
    (B.make_xlsb, "nhị phân Excel (.xlsb)"),
    (B.make_ods, "OpenDocument (.ods)"),
])
def test_other_format_renamed_xlsx_says_how_to_convert(tmp_path, make, kind):
    path = make(tmp_path, "BangGiaoKPI.xlsx")
    original = path.read_bytes()
    proc = run_cli("check", str(path))
    no_crash(proc)
    assert proc.returncode == 3
    assert f"ở định dạng {kind}; sheetkpi chỉ đọc .xlsx. {CONVERT_HINT} \"{path}\"" in proc.stderr
    assert "Lưu thành (Save As) → Excel Workbook (.xlsx)" in proc.stderr
    assert path.read_bytes() == original


def _lo_copy(tmp_path: Path, target: str) -> Path:
    """The example saved by LibreOffice as .xls or .ods."""
    from sheetkpi.libreoffice import convert

    soffice()
    work = tmp_path / "lo"
    work.mkdir()
    B.copy_example(work)
    convert([work / B.NAME], target, work)
    return work / f"BangGiaoKPI.{target}"


@pytest.mark.parametrize("target", ["xls", "ods"])
def test_convert_makes_a_new_xlsx_that_reads_like_the_original(tmp_path, target):
    source = _lo_copy(tmp_path, target)
    original = source.read_bytes()
    (source.parent / B.NAME).unlink()
    proc = run_cli("convert", str(source))
    no_crash(proc)
    assert proc.returncode == 0, proc.stderr
    out = source.with_suffix(".xlsx")
    assert f"Đã chuyển sang '{out}'; tệp gốc giữ nguyên." in proc.stdout
    assert source.read_bytes() == original
    data = json.loads(run_cli("check", str(out), "--as-of", AS_OF, "--json").stdout)
    base = json.loads(run_cli("check", str(EXAMPLE), "--as-of", AS_OF, "--json").stdout)
    assert [(k["code"], k["score"], k["status"]) for k in data["kpis"]] == [
        (k["code"], k["score"], k["status"]) for k in base["kpis"]]

    # Never over an existing file, whether the default name or -o.
    written = out.read_bytes()
    again = run_cli("convert", str(source))
    assert again.returncode == 2 and f"Tệp '{out}' đã có; sheetkpi không ghi đè" in again.stderr
    assert out.read_bytes() == written and source.read_bytes() == original
    named = run_cli("convert", str(source), "-o", str(tmp_path / "moi.xlsx"))
    assert named.returncode == 0 and (tmp_path / "moi.xlsx").exists()


def test_convert_refuses_what_needs_no_conversion_and_bad_outputs(tmp_path):
    path = B.copy_example(tmp_path)
    proc = run_cli("convert", str(path))
    assert proc.returncode == 3 and "không phải .xls, .xlsb hay .ods" in proc.stderr
    ods = B.make_ods(tmp_path)
    proc = run_cli("convert", str(ods), "-o", str(tmp_path / "x.xls"))
    assert proc.returncode == 2 and "phải có đuôi .xlsx" in proc.stderr
    proc = run_cli("convert", str(tmp_path / "khong-co.xls"))
    assert proc.returncode == 3 and "Không tìm thấy tệp" in proc.stderr


def test_convert_without_libreoffice_says_what_to_do(tmp_path, monkeypatch, capsys):
    from sheetkpi import libreoffice
    from sheetkpi.cli import main

    ods = B.make_ods(tmp_path)
    monkeypatch.setattr(libreoffice, "find_soffice", lambda: None)
    assert main(["convert", str(ods)]) == 3
    err = capsys.readouterr().err
    assert "Chưa cài LibreOffice" in err and "Lưu thành (Save As) → Excel Workbook (.xlsx)" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["BangGiaoKPI.ods"]


# ---------------------------------------------------------------------------------------------
# Limits and XML safety


def _peak_rss_mib(*args: str) -> tuple[subprocess.CompletedProcess, float]:
    """Run the CLI in a child of a small wrapper that reports the child's peak memory."""
    wrapper = (
        "import resource, subprocess, sys\n"
        "p = subprocess.run([sys.executable, '-m', 'sheetkpi', *sys.argv[1:]], capture_output=True, text=True)\n"
        "sys.stdout.write(p.stdout); sys.stderr.write(p.stderr)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
        "sys.exit(p.returncode)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run([sys.executable, "-c", wrapper, *args], env=env, capture_output=True, text=True, timeout=60)
    *lines, peak = proc.stderr.rstrip("\n").split("\n")
    proc.stderr = "\n".join(lines)
    return proc, int(peak) / 1024


@pytest.mark.parametrize("case", ["zip_bomb", "billion_laughs", "far_cell_corner", "far_cell_wide", "far_cell_xfd"])
def test_attacks_are_refused_quickly_in_bounded_memory(tmp_path, case):
    path = build(case, tmp_path)
    started = time.monotonic()
    proc, peak = _peak_rss_mib("check", str(path))
    no_crash(proc)
    assert proc.returncode == 3 and CASES[case].message in proc.stderr
    assert time.monotonic() - started < 10 and peak < 150, f"{peak:.0f} MiB"


def test_zip_bomb_builder_makes_a_real_deflate_stream():
    raw, crc, size = B.bomb_stream(b"<a>", b" " * 1000, 50, b"</a>")
    data = zlib.decompress(raw, -15)
    assert data == b"<a>" + b" " * 50_000 + b"</a>" and (zlib.crc32(data), len(data)) == (crc, size)


def test_external_entity_never_touches_the_network(tmp_path):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.setblocking(False)
    try:
        path = B.make_external_entity(tmp_path, f"http://127.0.0.1:{server.getsockname()[1]}/kpi.dtd")
        proc = run_cli("check", str(path))
        assert proc.returncode == 3 and DTD_MESSAGE in proc.stderr
        with pytest.raises(BlockingIOError):
            server.accept()
    finally:
        server.close()


def test_total_size_limit_is_checked_before_parsing(tmp_path, monkeypatch, capsys):
    from sheetkpi.cli import main

    path = B.make_blank_rows(tmp_path)  # about 5 MiB of worksheet XML once inflated
    monkeypatch.setattr(xmlsafe, "MAX_TOTAL_SIZE", 2 << 20)
    assert main(["check", str(path)]) == 3
    err = capsys.readouterr().err
    assert re.search(r"Tệp 'BangGiaoKPI.xlsx' khi giải nén lớn \d+ MiB, vượt giới hạn 2 MiB", err), err


def test_part_size_limit_message(tmp_path, monkeypatch, capsys):
    from sheetkpi.cli import main

    path = B.make_blank_rows(tmp_path)
    monkeypatch.setattr(xmlsafe, "MAX_PART_SIZE", 1 << 20)
    assert main(["check", str(path)]) == 3
    assert "Phần 'xl/worksheets/sheet3.xml' của tệp 'BangGiaoKPI.xlsx' quá lớn" in capsys.readouterr().err


PROLOGS = {
    "plain": (b'<?xml version="1.0"?><a/>', "ok"),
    "dtd": (b'<?xml version="1.0"?>\n<!DOCTYPE a [<!ENTITY x "y">]><a/>', "doctype"),
    "bom-comment-dtd": (b'\xef\xbb\xbf<?xml version="1.0"?><!-- <b> --><!DOCTYPE a><a/>', "doctype"),
    "long-comment-dtd": (b"<!--" + b"x" * 20_000 + b"--><!DOCTYPE a><a/>", "doctype"),
    "too-long": (b"<!--" + b"x" * 70_000 + b"--><!DOCTYPE a><a/>", "too-long"),
    "utf16-dtd": ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE a><a/>'.encode("utf-16"), "doctype"),
    "utf16": ('<?xml version="1.0" encoding="UTF-16"?><a/>'.encode("utf-16"), "ok"),
    "empty": (b"", "ok"),
    "cut": (b"<a", "ok"),
    "binary": (b"\x89PNG\r\n", "ok"),
}


@pytest.mark.parametrize("data, verdict", list(PROLOGS.values()), ids=list(PROLOGS))
@pytest.mark.parametrize("chunk", [1, 3, 8192])
def test_prolog_scan_finds_a_dtd_however_the_bytes_arrive(data, verdict, chunk):
    class Trickle(io.BytesIO):
        def read(self, n=-1):
            return super().read(min(n, chunk) if n > 0 else chunk)

    assert xmlsafe._prolog(Trickle(data)) == verdict


# ---------------------------------------------------------------------------------------------
# Injection: department text stays text


INJECTED = {
    ("KHĐT", "C8"): '=HYPERLINK("http://example.invalid","Bấm vào đây")',  # a late KPI's title
    ("KHĐT", "C9"): "@SUM(A1:A9)",  # at risk
    ("KHĐT", "C11"): "+84 238 3598 xxx gọi để báo cáo",  # at risk
    ("XDMT", "C5"): "-5 ngày so với kế hoạch",  # late
}


def test_formula_like_text_is_written_as_text(tmp_path):
    path = B.copy_example(tmp_path)
    for sheet in {s for s, _ in INJECTED}:
        B.set_cell_xml(path, sheet, {ref: B.text_cell(text) for (s, ref), text in INJECTED.items() if s == sheet})
    proc = run_cli("recalc", str(path), "--as-of", AS_OF, "--no-memo")
    assert proc.returncode == 0, proc.stderr
    from lxml import etree

    root = etree.fromstring(B.read_part(path, B.sheet_part(path, L.SHEET_SUMMARY)))
    ns = {"m": B.MAIN}
    assert root.find(".//m:f", ns) is None
    for text in INJECTED.values():
        cells = [c for c in root.iterfind(".//m:c", ns) if "".join(c.itertext()) == text]
        assert len(cells) == 1, text
        assert cells[0].get("t") == "inlineStr"

    shown = sheets_as_csv(path, tmp_path / "csv")[L.SHEET_SUMMARY]
    values = {v for row in shown for v in row}
    assert set(INJECTED.values()) <= values  # LibreOffice shows the literal text, evaluates nothing


# ---------------------------------------------------------------------------------------------
# Property: whatever people type into progress, weight and deadline cells, the reader and the rules
# never crash and keep their invariants.


TYPED = st.sampled_from([
    "80%", " 80 % ", "80,5", "80.5", "Hoàn thành", "hoàn thành", "1.000", "20 điểm", "20đ", "-5", "150", "",
    "   ", "#REF!", "#DIV/0!", "#N/A", "=A1*2", "+84", "@SUM(A1)", "30/6/2026", "06/30/2026", "Quý II/2026",
    "Tháng 11/2026", "Thường xuyên", "Theo yêu cầu", "NaN", "inf", "1e999", "\u200b50\ufeff", "Hoa\u0300n tha\u0300nh",
])
CELL = st.one_of(
    st.none(), st.booleans(), TYPED, st.text(max_size=25),
    st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True),
    st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)),
    st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(2100, 12, 31)),
)
HEADER = ["STT", "Mã KPI", "Nhiệm vụ / KPI", "Trọng số (điểm)", "Thời hạn hoàn thành", "% tiến độ"]


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(st.tuples(CELL, st.booleans(), CELL, CELL), min_size=1, max_size=8),
    as_of=st.dates(dt.date(2025, 1, 1), dt.date(2027, 12, 31)),
)
def test_reader_and_rules_keep_their_invariants(rows, as_of):
    from sheetkpi.api import plan_writes
    from sheetkpi.outputs.jsonout import evaluation_dict
    from sheetkpi.rules import evaluate

    grid = [[Cell("BẢNG GIAO KPI")], [], [], [Cell(h) for h in HEADER]]
    for i, (progress, percent, weight, deadline) in enumerate(rows, start=1):
        grid.append([Cell(i), Cell(f"X-{i:02d}"), Cell(f"Nhiệm vụ {i}"), Cell(weight), Cell(deadline),
                     Cell(progress, percent and isinstance(progress, (int, float)))])
    grid.append([Cell(None), Cell(L.TOTAL_LABEL)])
    data = read_grids({"X": grid}, Path("x.xlsx"))
    ev = evaluate(data.tracker, as_of)

    assert len(ev.kpis) == len(rows)
    for k in ev.kpis:
        assert k.status in STATUSES
        assert 0 <= k.score <= max(k.kpi.weight or 0, 0) + 0.005  # rounded half up to 2 decimals
        assert math.isfinite(k.effective_progress)
    unit = ev.units[0]
    assert sum(unit.status_counts.values()) == len(rows)
    assert unit.score_total == pytest.approx(sum(k.score for k in unit.kpis), abs=0.01)
    totals = ev.totals
    assert totals["score_total"] == pytest.approx(sum(u.score_total for u in ev.units), abs=0.01)
    assert sum(totals["status_counts"].values()) == len(rows)
    for issue in ev.issues:
        assert issue.code in REGISTRY and issue.sheet in ("X", None) and issue.message
        assert issue.cell is None or re.fullmatch(r"[A-Z]{1,3}[0-9]+", issue.cell)
    json.dumps(evaluation_dict(ev), allow_nan=False)
    plan = plan_writes(data, ev, dt.datetime(2026, 6, 25, 9, 0))
    for sheet in plan.sheets:
        values = [*sheet.cells.values(), *(v for v, _ in sheet.styled_cells.values()),
                  *(v for b in sheet.blocks for r in b.rows for v in r)]
        assert not any(isinstance(v, float) and not math.isfinite(v) for v in values)
