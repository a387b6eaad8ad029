"""Faults around saving the canonical workbook (issue #7): a full disk or a killed process during
the save, two runs at once, a file changed underneath, read-only files and folders, a backup
folder that cannot be written. Each time the workbook stays intact and readable.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook

import sheetkpi
from sheetkpi import layout as L
from sheetkpi.errors import SheetkpiError
from sheetkpi.workbook import _zip as zip_module
from sheetkpi.workbook import package as package_module
from sheetkpi.workbook import safety
from sheetkpi.workbook.safety import BACKUP_DIR

import badinputs as B
from support import AS_OF, ROOT, run_cli

LOCK = ".~sheetkpi.BangGiaoKPI.xlsx.lock"
BUSY = "đang được một lượt sheetkpi khác tính và ghi"


@pytest.fixture
def book(tmp_path) -> Path:
    return B.copy_example(tmp_path / "kpi")


def snapshot(book: Path) -> dict:
    """What must not change: the bytes, and the figures they give."""
    return {"bytes": book.read_bytes(), "json": check_json(book)}


def check_json(book: Path) -> dict:
    proc = run_cli("check", str(book), "--as-of", AS_OF, "--json")
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def backups(book: Path) -> list[Path]:
    folder = book.parent / safety.BACKUP_DIR
    return sorted(folder.iterdir()) if folder.is_dir() else []


def leftovers(book: Path) -> list[str]:
    return sorted(p.name for p in book.parent.iterdir() if p.name.startswith(".~"))


def sheet_values(book: Path) -> dict[str, list[tuple]]:
    """Every sheet's values, without the line that says when the run happened."""
    wb = load_workbook(book, read_only=True)
    out = {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
    out[L.SHEET_SUMMARY].pop(L.SUMMARY_RUN_ROW - 1)
    return out


# ---------------------------------------------------------------------------------------------
# Faults inside Package.save: the disk fills (an exception) or the process is killed (SIGKILL)


def _fail_at(point: str, monkeypatch, action) -> None:
    """Make the writer run ``action()`` at ``point`` of Package.save (a seam per point, in
    safety.write_atomically, the one way files are written). The backup, made with the same calls,
    is let through: its faults are tested apart."""
    if point == "before-write":  # no byte of the new file exists yet
        real_mkstemp = safety.tempfile.mkstemp

        def mkstemp(*args, **kwargs):
            if Path(kwargs.get("dir", "")).name != BACKUP_DIR:
                action()
            return real_mkstemp(*args, **kwargs)

        monkeypatch.setattr(safety.tempfile, "mkstemp", mkstemp)
    elif point == "mid-write":  # some parts are in the temporary file, others not
        real_copy = zip_module.ZipWriter.copy_raw
        calls = []

        def copy_raw(self, info, src):
            calls.append(info.filename)
            if len(calls) == 4:
                action()
            return real_copy(self, info, src)

        monkeypatch.setattr(zip_module.ZipWriter, "copy_raw", copy_raw)
    else:  # "before-replace": the new file is complete and synced, not yet in place
        real_replace = safety.os.replace

        def replace(src, dst, *args, **kwargs):
            if Path(dst).parent.name != BACKUP_DIR:
                action()
            return real_replace(src, dst, *args, **kwargs)

        monkeypatch.setattr(safety.os, "replace", replace)


POINTS = ["before-write", "mid-write", "before-replace"]


def _disk_full():
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("point", POINTS)
def test_disk_full_during_save_leaves_the_workbook_intact(book, point, monkeypatch, capsys):
    before = snapshot(book)
    _fail_at(point, monkeypatch, _disk_full)
    from sheetkpi.cli import main

    assert main(["recalc", str(book), "--as-of", AS_OF, "--no-memo"]) == 3
    err = capsys.readouterr().err
    assert err.startswith("Lỗi: Không ") and "Ổ đĩa đã đầy" in err and "Tệp gốc không thay đổi." in err
    assert book.read_bytes() == before["bytes"] and check_json(book) == before["json"]
    # The backup is made once the new file is complete, just before it replaces the workbook: a run
    # that fails before leaves none (and no empty "sao-luu").
    made = backups(book)
    assert [b.read_bytes() for b in made] == ([before["bytes"]] if point == "before-replace" else [])
    assert leftovers(book) == []  # no temporary file, no lock

    monkeypatch.undo()  # space is freed: the next run saves
    result = sheetkpi.recalc(book, as_of=AS_OF)
    assert result.output == book and len(backups(book)) == len(made) + 1 and leftovers(book) == []


@pytest.mark.parametrize("point", POINTS)
def test_killed_during_save_leaves_the_workbook_intact(book, point, monkeypatch):
    before = snapshot(book)
    pid = os.fork()
    if pid == 0:  # the child: a recalculation killed at `point`
        try:
            _fail_at(point, monkeypatch, lambda: os.kill(os.getpid(), signal.SIGKILL))
            sheetkpi.recalc(book, as_of=AS_OF)
        finally:
            os._exit(1)  # reached only if the kill did not happen
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL

    assert book.read_bytes() == before["bytes"] and check_json(book) == before["json"]
    made = backups(book)
    assert [b.read_bytes() for b in made] == ([before["bytes"]] if point == "before-replace" else [])
    temps = [n for n in leftovers(book) if n.endswith(".tmp")]
    assert leftovers(book) == sorted([LOCK, *temps]) and len(temps) == (point != "before-write")
    assert (book.parent / LOCK).read_text().split()[0] == str(pid)

    # The next run finds the dead run's lock and removes it at once; an old temporary file goes too.
    for name in temps:
        old = time.time() - safety.LOCK_STALE_S - 60
        os.utime(book.parent / name, (old, old))
    started = time.monotonic()
    proc = run_cli("recalc", str(book), "--as-of", AS_OF, "--no-memo")
    assert proc.returncode == 0, proc.stderr
    assert time.monotonic() - started < safety.LOCK_WAIT_S
    assert leftovers(book) == [] and len(backups(book)) == len(made) + 1


# ---------------------------------------------------------------------------------------------
# Two runs at once


def test_two_recalcs_at_once_equal_one(tmp_path):
    single = B.copy_example(tmp_path / "single")
    assert run_cli("recalc", str(single), "--as-of", AS_OF, "--no-memo").returncode == 0

    book = B.copy_example(tmp_path / "double")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8"}
    cmd = [sys.executable, "-m", "sheetkpi", "recalc", str(book), "--as-of", AS_OF, "--no-memo"]
    runs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in runs]
    for p in runs:
        p.stdout.close()
        p.stderr.close()

    done = [code for code, _ in results if code == 0]
    refused = [err for code, err in results if code != 0]
    assert done and all(BUSY in err for err in refused), results  # one finishes; the other waits or refuses
    assert "Traceback" not in "".join(err for _, err in results)
    assert sheet_values(book) == sheet_values(single)
    assert check_json(book) == check_json(single)
    assert len(backups(book)) == len(done) and leftovers(book) == []


def test_a_second_run_waits_for_the_first(book):
    with safety.workbook_lock(book):
        proc = subprocess.Popen([sys.executable, "-m", "sheetkpi", "recalc", str(book), "--as-of", AS_OF, "--no-memo"],
                                env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        time.sleep(1.5)
        assert proc.poll() is None  # still waiting
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert leftovers(book) == []


def test_a_run_that_cannot_get_the_lock_refuses_clearly(book):
    before = book.read_bytes()
    with safety.workbook_lock(book):
        started = time.monotonic()
        proc = run_cli("recalc", str(book), "--as-of", AS_OF)
        waited = time.monotonic() - started
        assert (book.parent / LOCK).exists()
    assert proc.returncode == 3 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"Lỗi: Tệp 'BangGiaoKPI.xlsx' {BUSY} (tệp khóa '{LOCK}')")
    assert "Nếu chắc chắn không còn ai chạy sheetkpi, hãy xóa tệp khóa này." in proc.stderr
    assert safety.LOCK_WAIT_S <= waited < safety.LOCK_WAIT_S + 10
    assert book.read_bytes() == before and backups(book) == [] and leftovers(book) == []


@pytest.mark.parametrize("content, age", [
    ("{dead} {host}\n", 0),  # the process that made it has gone
    ("", 10),  # made by a run killed before it could write its pid
    ("4194303 another-machine\n", safety.LOCK_STALE_S + 60),  # too old, whoever made it
])
def test_stale_locks_are_removed(book, content, age):
    dead = subprocess.Popen(["true"])
    dead.wait()
    lock = book.parent / LOCK
    lock.write_text(content.format(dead=dead.pid, host=__import__("socket").gethostname()))
    if age:
        os.utime(lock, (time.time() - age,) * 2)
    started = time.monotonic()
    with safety.workbook_lock(book):
        assert lock.read_text().split()[0] == str(os.getpid())
    assert time.monotonic() - started < 1 and not lock.exists()


def test_a_live_lock_from_another_machine_is_respected(book, monkeypatch):
    monkeypatch.setattr(safety, "LOCK_WAIT_S", 0.3)
    (book.parent / LOCK).write_text("1 may-chu-khac\n")
    with pytest.raises(SheetkpiError) as err:
        sheetkpi.recalc(book, as_of=AS_OF)
    assert err.value.code == "busy" and err.value.exit_code == 3


# ---------------------------------------------------------------------------------------------
# The workbook changes on disk between reading and writing


def test_workbook_saved_by_someone_else_meanwhile_is_not_overwritten(book, monkeypatch, capsys):
    from sheetkpi.cli import main
    from sheetkpi.workbook import book as file_book

    real_apply = file_book.apply_plan

    def apply_then_someone_saves(pkg, plan, **options):
        count = real_apply(pkg, plan, **options)
        B.set_cell_xml(book, "VP", {"H5": (None, "<v>95</v>")})  # a department saves its progress in Excel
        return count

    monkeypatch.setattr(file_book, "apply_plan", apply_then_someone_saves)
    assert main(["recalc", str(book), "--as-of", AS_OF, "--no-memo"]) == 3
    err = capsys.readouterr().err
    assert "vừa được lưu lại (trong Excel hoặc bởi người khác) trong lúc sheetkpi đang tính" in err
    assert "không ghi đè để giữ nguyên những thay đổi đó. Hãy chạy lại." in err
    theirs = book.read_bytes()
    vp = [k for k in check_json(book)["kpis"] if k["code"] == "VP-01"]
    assert vp[0]["progress"] == 95  # their edit is there, untouched
    assert leftovers(book) == []

    monkeypatch.undo()
    assert main(["recalc", str(book), "--as-of", AS_OF, "--no-memo"]) == 0  # running again includes it
    assert book.read_bytes() != theirs and [b.read_bytes() for b in backups(book)][-1] == theirs


# ---------------------------------------------------------------------------------------------
# Read-only file, read-only folder, backup folder that cannot be written


def run_cli_unprivileged(*args: str) -> subprocess.CompletedProcess:
    """``run_cli`` without the power to ignore file permissions (root drops every capability)."""
    prefix = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if not setpriv:
            pytest.skip("running as root without setpriv: permissions cannot be tested")
        prefix = [setpriv, "--bounding-set", "-all", "--inh-caps", "-all", "--"]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8"}
    env.pop("SHEETKPI_DEBUG", None)
    return subprocess.run([*prefix, sys.executable, "-m", "sheetkpi", *args], env=env, capture_output=True,
                          text=True, timeout=120)


def test_read_only_file_is_not_overwritten(book, tmp_path):
    before = book.read_bytes()
    book.chmod(0o444)
    proc = run_cli("recalc", str(book), "--as-of", AS_OF)
    assert proc.returncode == 3 and "Traceback" not in proc.stderr
    assert "Tệp 'BangGiaoKPI.xlsx' chỉ cho phép đọc (read-only) nên sheetkpi không ghi vào." in proc.stderr
    assert "ghi kết quả ra tệp khác bằng -o TỆP" in proc.stderr
    assert book.read_bytes() == before and backups(book) == [] and leftovers(book) == []
    out = tmp_path / "KetQua.xlsx"
    assert run_cli("recalc", str(book), "--as-of", AS_OF, "-o", str(out), "--no-memo").returncode == 0
    assert book.read_bytes() == before and out.exists()


def test_read_only_folder(book, tmp_path):
    before = book.read_bytes()
    book.parent.chmod(0o555)
    try:
        proc = run_cli_unprivileged("recalc", str(book), "--as-of", AS_OF)
        assert proc.returncode == 3 and "Traceback" not in proc.stderr
        assert f"Không ghi được vào thư mục '{book.parent}' (Permission denied)" in proc.stderr
        assert "Tệp gốc không thay đổi." in proc.stderr
        assert book.read_bytes() == before and sorted(os.listdir(book.parent)) == [book.name]
        checked = run_cli_unprivileged("check", str(book), "--as-of", AS_OF)
        assert checked.returncode == 0, checked.stderr  # reading needs no writing
    finally:
        book.parent.chmod(0o755)


@pytest.mark.parametrize("blocker", ["file", "read-only folder"])
def test_backup_folder_that_cannot_be_written(book, blocker):
    before = book.read_bytes()
    folder = book.parent / safety.BACKUP_DIR
    if blocker == "file":
        folder.write_text("không phải thư mục")
        proc = run_cli("recalc", str(book), "--as-of", AS_OF)
    else:
        folder.mkdir()
        folder.chmod(0o555)
        proc = run_cli_unprivileged("recalc", str(book), "--as-of", AS_OF)
    try:
        assert proc.returncode == 3 and "Traceback" not in proc.stderr
        assert f"Không tạo được bản sao lưu trong thư mục '{folder}'" in proc.stderr
        assert "Chưa ghi gì vào tệp." in proc.stderr
        assert book.read_bytes() == before and leftovers(book) == []
    finally:
        if folder.is_dir():
            folder.chmod(0o755)


def test_backups_keep_twenty_and_spare_other_workbooks(tmp_path):
    """Rotation prunes this workbook's oldest copies only, never those of a similarly named one."""
    import datetime as dt

    from sheetkpi.workbook.safety import BACKUP_DIR, BACKUPS_KEPT, backup

    book = tmp_path / "BangGiaoKPI.xlsx"
    other = tmp_path / "BangGiaoKPI-2025.xlsx"
    book.write_bytes(b"this year")
    other.write_bytes(b"last year")
    for i in range(3):
        backup(other, dt.datetime(2025, 12, 1, 8, 0, i))
    for i in range(BACKUPS_KEPT + 5):
        backup(book, dt.datetime(2026, 6, 25, 9, 0, i))
    names = sorted(p.name for p in (tmp_path / BACKUP_DIR).iterdir())
    mine = [n for n in names if n.startswith("BangGiaoKPI-2026")]
    assert len(mine) == BACKUPS_KEPT and mine[0] == "BangGiaoKPI-20260625-090005-000000.xlsx"
    assert len([n for n in names if n.startswith("BangGiaoKPI-2025-")]) == 3


def test_a_failed_deflating_job_is_never_saved_as_a_short_sheet(book, tmp_path, monkeypatch):
    # Library code may catch the first error and save again: the package must refuse, not write
    # the sheets whose chunks the failed job lost (their sizes would still look consistent).
    before = book.read_bytes()
    pack_all, calls = zip_module.pack_all, []

    def failing(batch):
        calls.append(len(batch))
        if len(calls) == 2:
            raise MemoryError("simulated")
        pack_all(batch)

    monkeypatch.setattr(zip_module, "JOB", 1)  # a job per chunk: the second job fails
    monkeypatch.setattr(zip_module, "pack_all", failing)
    pkg = package_module.Package.open(book)
    units = [name for name in pkg.sheet_names if name not in (L.SHEET_GUIDE, L.SHEET_CONFIG)]
    with pytest.raises(MemoryError):
        for name in units:
            pkg.set_cells(name, {(1, 30): "x"})
            pkg.commit(name)
    with pytest.raises(SheetkpiError) as raised:
        pkg.save(tmp_path / "out.xlsx")
    assert raised.value.code == "save-failed" and "chưa được ghi" in raised.value.message
    assert not (tmp_path / "out.xlsx").exists() and book.read_bytes() == before
