"""The files around the workbook, and the messages, under attack and on a failing disk (issue #14).

Each test states the exit code, the message, and the state of every file beside the workbook: the
workbook itself, its backups in "sao-luu", the memo and the lock files. The kill-anywhere test at
the end kills a whole run (workbook, backup, memo) at every point where a file is made or put in
place, and at random moments.
"""

from __future__ import annotations

import errno
import io
import os
import random
import re
import resource
import shutil
import signal
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook

from sheetkpi import layout as L
from sheetkpi.workbook import safety

import badinputs as B
from support import AS_OF, ROOT, run_cli

NAME = "BangGiaoKPI.xlsx"
MEMO = "BaoCaoKPI-2026-06"
OLD_AS_OF = "2026-06-20"  # the memo already there was made at this date
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@pytest.fixture
def book(tmp_path) -> Path:
    return B.copy_example(tmp_path / "kpi")


def listing(folder: Path) -> dict[str, bytes | None]:
    """Every file under ``folder`` with its bytes (None for what is not a regular file)."""
    return {str(p.relative_to(folder)): p.read_bytes() if p.is_file() and not p.is_symlink() else None
            for p in sorted(folder.rglob("*"))}


def no_crash(proc: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in proc.stderr + proc.stdout and "Exception ignored" not in proc.stderr
    assert "Lỗi không lường trước" not in proc.stderr


def summary_values(path: Path) -> list[tuple]:
    """The values of "Tổng hợp" without the line that says when the run happened."""
    rows = [tuple(r) for r in load_workbook(path, read_only=True)[L.SHEET_SUMMARY].iter_rows(values_only=True)]
    rows.pop(L.SUMMARY_RUN_ROW - 1)
    return rows


def opens(path: Path) -> bool:
    """Whether a workbook or a Word document is whole: every part's CRC holds and it loads."""
    try:
        with zipfile.ZipFile(path) as z:
            if z.testzip() is not None:
                return False
        if path.suffix == ".docx":
            Document(str(path))
        else:
            load_workbook(path, read_only=True).close()
    except Exception:
        return False
    return True


# ---------------------------------------------------------------------------------------------
# What is not a regular file, or is reached through a link


def test_a_pipe_named_like_a_workbook_is_refused_at_once(tmp_path):
    fifo = tmp_path / NAME
    os.mkfifo(fifo)
    for command in ("check", "recalc"):
        proc = run_cli(command, str(fifo), "--as-of", AS_OF)  # a hang would end in run_cli's timeout
        no_crash(proc)
        assert proc.returncode == 3
        assert proc.stderr == (f"Lỗi: '{fifo}' không phải một tệp thông thường (có thể là đường ống hoặc thiết bị): "
                               "sheetkpi chỉ đọc tệp bảng tính .xlsx.\n")
    assert listing(tmp_path) == {NAME: None}


def test_a_folder_named_like_a_workbook_is_refused(tmp_path):
    (tmp_path / NAME).mkdir()
    proc = run_cli("recalc", str(tmp_path / NAME), "--as-of", AS_OF)
    assert proc.returncode == 3 and "là một thư mục, không phải tệp bảng tính" in proc.stderr
    assert listing(tmp_path) == {NAME: None}


def test_a_symlinked_workbook_is_written_through_the_link(tmp_path):
    real = B.copy_example(tmp_path / "o-chung")  # the shared drive
    original = real.read_bytes()
    desk = tmp_path / "ban-lam-viec"
    desk.mkdir()
    link = desk / NAME
    link.symlink_to(real)

    plain = B.copy_example(tmp_path / "ban-thuong")  # the same workbook, reached without a link
    assert run_cli("recalc", str(plain), "--as-of", AS_OF).returncode == 0

    proc = run_cli("recalc", str(link), "--as-of", AS_OF)
    no_crash(proc)
    assert proc.returncode == 0, proc.stderr
    assert re.search(rf"Đã ghi \d+ ô vào '{re.escape(str(real))}'", proc.stdout)
    # The link is still a link, and the workbook it points to holds the results.
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_bytes() != original and summary_values(real) == summary_values(plain)
    # The backup and the memo are beside the workbook, not beside the link.
    backups = list((real.parent / safety.BACKUP_DIR).iterdir())
    assert [b.read_bytes() for b in backups] == [original]
    assert (real.parent / f"{MEMO}.docx").is_file()
    assert sorted(listing(desk)) == [NAME]


def test_a_file_saved_again_while_it_is_read_is_not_called_damaged(book, tmp_path):
    """Excel (or a synchronised folder) rewrites the file in place between two sheets being read."""
    from sheetkpi.errors import FileUnusable
    from sheetkpi.workbook.reader import load_grids

    other = B.make_blank_rows(tmp_path / "khac")  # another version of the workbook, of another size
    with load_grids(book) as grids:
        grids[L.SHEET_CONFIG]
        with open(book, "r+b") as fh:  # in place: the same file, truncated and written again
            fh.truncate(0)
            fh.write(other.read_bytes())
        with pytest.raises(FileUnusable) as err:
            grids["KHĐT"]
    assert err.value.code == "file-changed"
    assert err.value.message == (f"Tệp '{NAME}' vừa được lưu lại trong lúc sheetkpi đang đọc. Hãy đợi việc lưu "
                                 "xong rồi chạy lại.")


# ---------------------------------------------------------------------------------------------
# Permissions, names, locks


def test_a_file_without_any_permission_is_told_as_such(book):
    before = listing(book.parent)
    book.chmod(0)
    try:
        proc = run_cli("recalc", str(book), "--as-of", AS_OF)
    finally:
        book.chmod(0o644)
    no_crash(proc)
    assert proc.returncode == 3
    assert "Không có quyền đọc tệp" in proc.stderr and "-o TỆP" not in proc.stderr  # writing elsewhere would not help
    assert listing(book.parent) == before


def test_a_name_starting_with_a_dash_gets_a_hint(tmp_path):
    dashed = B.copy_example(tmp_path, "-KPI.xlsx")
    proc = run_cli("check", "-KPI.xlsx", "--as-of", AS_OF, cwd=tmp_path)
    assert proc.returncode == 2
    assert "Nếu '-KPI.xlsx' là tên tệp, hãy viết './-KPI.xlsx' hoặc đặt '--' trước tên tệp" in proc.stderr
    proc = run_cli("check", "--as-of", AS_OF, "--", "-KPI.xlsx", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert dashed.read_bytes() == B.EXAMPLE.read_bytes()


@pytest.mark.parametrize("stem", [
    ("BangGiaoKPI-Ban-Quan-ly-KKT-" * 10)[:250],  # 255 bytes with ".xlsx"
    ("Bảng giao KPI Ban Quản lý KKT Đông Nam Nghệ An " * 10).encode()[:249].decode("utf-8", "ignore"),
])
def test_names_of_the_longest_legal_length(tmp_path, stem):
    name = f"{stem}.xlsx"
    assert 245 < len(name.encode()) <= 255
    book = B.copy_example(tmp_path, name)
    original = book.read_bytes()
    assert run_cli("check", str(book), "--as-of", AS_OF).returncode == 0
    for _ in range(2):
        proc = run_cli("recalc", str(book), "--as-of", AS_OF)
        no_crash(proc)
        assert proc.returncode == 0, proc.stderr
    # Two backups under a shortened name of at most 255 bytes, the first the original; no lock left.
    backups = sorted((tmp_path / safety.BACKUP_DIR).glob("*.xlsx"))
    assert len(backups) == 2 and backups[0].read_bytes() == original
    assert all(len(b.name.encode()) <= 255 and opens(b) for b in backups)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".~")]


def test_a_stale_excel_lock_names_the_file_to_delete(book):
    lock = book.with_name("~$" + book.name)
    lock.write_bytes(b"\x0bNguyen Van A" + b"\x00" * 40)  # what Excel leaves after a crash
    before = listing(book.parent)
    proc = run_cli("recalc", str(book), "--as-of", AS_OF)
    no_crash(proc)
    assert proc.returncode == 3
    assert f"hãy xóa tệp khóa '{lock}' rồi chạy lại" in proc.stderr
    assert listing(book.parent) == before
    lock.unlink()  # as the message says
    assert run_cli("recalc", str(book), "--as-of", AS_OF).returncode == 0


# ---------------------------------------------------------------------------------------------
# Dates that are no report date


def test_report_date_in_year_9999_is_refused_before_anything_is_written(book):
    B.set_cell_xml(book, L.SHEET_CONFIG, {"B9": (None, "<v>2958465</v>")})  # 31/12/9999
    before = listing(book.parent)
    proc = run_cli("recalc", str(book))  # the memo is on
    no_crash(proc)
    assert proc.returncode == 2
    assert "'Ngày báo cáo' trong 'Cấu hình' là 31/12/9999" in proc.stderr
    assert listing(book.parent) == before  # no workbook change, no backup, no memo

    proc = run_cli("recalc", str(book), "--as-of", "31/12/9999")
    no_crash(proc)
    assert proc.returncode == 2 and "31/12/9999" in proc.stderr
    assert listing(book.parent) == before


# ---------------------------------------------------------------------------------------------
# A file system that refuses to sync a folder, or is full


def test_a_folder_that_cannot_be_synced_is_no_failure(book, monkeypatch, capsys):
    """As on network and FUSE file systems: fsync on a folder fails after the rename is done."""
    original = book.read_bytes()
    real_fsync = os.fsync

    def fsync(fd):
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    from sheetkpi.cli import main

    assert main(["recalc", str(book), "--as-of", AS_OF]) == 0
    out, err = capsys.readouterr()
    assert err == "" and "Tệp gốc không thay đổi" not in out
    assert book.read_bytes() != original and opens(book)
    assert [b.read_bytes() for b in (book.parent / safety.BACKUP_DIR).glob("*.xlsx")] == [original]
    assert opens(book.with_name(f"{MEMO}.docx"))


def _run_with_file_size_limit(limit: int, *args: str) -> subprocess.CompletedProcess:
    """The CLI with RLIMIT_FSIZE: no file it writes may grow past ``limit`` bytes (a full disk as a
    single process meets it: the write fails with EFBIG)."""
    def limited():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-m", "sheetkpi", *args], env=env, capture_output=True, text=True,
                          timeout=300, preexec_fn=limited)


def test_no_room_for_the_workbook(book):
    before = listing(book.parent)
    proc = _run_with_file_size_limit(20_000, "recalc", str(book), "--as-of", AS_OF)
    no_crash(proc)
    assert proc.returncode == 3
    assert proc.stderr.startswith(f"Lỗi: Không ghi được tệp '{NAME}': Tệp lớn hơn mức hệ thống cho phép ghi")
    assert proc.stderr.rstrip().endswith("Tệp gốc không thay đổi.")
    assert listing(book.parent) == before  # no backup, no memo, no temporary file, no lock


def test_no_room_for_the_memo_after_the_workbook_is_saved(book):
    """The workbook (about 42 kB) fits, the Word memo (about 68 kB) does not."""
    original = book.read_bytes()
    proc = _run_with_file_size_limit(50_000, "recalc", str(book), "--as-of", AS_OF)
    no_crash(proc)
    assert proc.returncode == 3
    assert f"Lỗi: bảng tính '{book}' ĐÃ được ghi, nhưng chưa tạo được báo cáo" in proc.stderr
    assert "Tệp lớn hơn mức hệ thống cho phép ghi" in proc.stderr and "không thay đổi" not in proc.stderr
    assert opens(book) and book.read_bytes() != original
    assert [b.read_bytes() for b in (book.parent / safety.BACKUP_DIR).iterdir()] == [original]
    assert sorted(listing(book.parent)) == sorted([NAME, safety.BACKUP_DIR, *(
        f"{safety.BACKUP_DIR}/{b.name}" for b in (book.parent / safety.BACKUP_DIR).iterdir())])


@pytest.fixture
def small_disk(tmp_path):
    """A real file system of 160 kB (tmpfs), where the system allows mounting one."""
    mount = tmp_path / "dia-nho"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=160k", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip("mounting a small file system needs root (RLIMIT_FSIZE tests cover the rest)")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_a_full_disk(small_disk):
    book = B.copy_example(small_disk)
    filler = small_disk / "filler.bin"
    with open(filler, "wb") as fh:  # leave about 20 kB: not enough for a new workbook
        fh.write(b"\0" * (shutil.disk_usage(small_disk).free - 20_000))
    before = listing(small_disk)
    proc = run_cli("recalc", str(book), "--as-of", AS_OF)
    no_crash(proc)
    assert proc.returncode == 3
    assert "Ổ đĩa đã đầy" in proc.stderr and proc.stderr.rstrip().endswith("Tệp gốc không thay đổi.")
    assert listing(small_disk) == before


# ---------------------------------------------------------------------------------------------
# Control characters typed (or pasted) into department text


def test_control_characters_reach_no_output(book):
    text = "Vướng_x001B_[31m mặt_x0000_ bằng_x0007_"  # ESC, NUL and BEL, escaped as Excel writes them
    B.set_cell_xml(book, "KHĐT", {"J8": B.text_cell(text)})
    proc = run_cli("recalc", str(book), "--as-of", AS_OF)
    assert proc.returncode == 0, proc.stderr
    shown = "Vướng[31m mặt bằng"
    for suffix in (".txt", ".html"):
        body = book.with_name(MEMO + suffix).read_text(encoding="utf-8")
        assert shown in body and not CONTROL.search(body), suffix
    with zipfile.ZipFile(book.with_name(MEMO + ".docx")) as z:
        body = z.read("word/document.xml").decode()
    assert shown in body and not CONTROL.search(body) and "_x001B_" not in body
    # "Tổng hợp" shows the text without them; the department's own cell is theirs, untouched.
    assert any(shown in str(v) for row in summary_values(book) for v in row)
    assert text in B.read_part(book, B.sheet_part(book, "KHĐT")).decode()


# ---------------------------------------------------------------------------------------------
# Kill anywhere: a whole run (workbook, backup, memo) killed at each point a file is made or
# put in place, then at random moments


@pytest.fixture(scope="module")
def kill_scene(tmp_path_factory):
    """The folder before a run (the workbook, last run's memo made at an earlier date, a backup of
    an earlier version) and the state after a complete run."""
    root = tmp_path_factory.mktemp("kill")
    scene = root / "truoc"
    book = B.copy_example(scene)
    assert run_cli("recalc", str(book), "--as-of", OLD_AS_OF).returncode == 0
    shutil.copyfile(B.EXAMPLE, book)  # the departments typed again since
    before = listing(scene)
    done = root / "sau"
    shutil.copytree(scene, done)
    assert run_cli("recalc", str(done / NAME), "--as-of", AS_OF).returncode == 0
    after = listing(done)
    return scene, before, after, summary_values(done / NAME)


def _reset(scene: Path, work: Path) -> Path:
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(scene, work)
    return work / NAME


def _assert_whole(work: Path, before: dict, after: dict, summary: list) -> None:
    """After a kill: the workbook is the original or the complete result; every backup opens; each
    memo file is last run's or the new one, whole."""
    book = work / NAME
    if book.read_bytes() != before[NAME]:
        assert opens(book) and summary_values(book) == summary
    for path in (work / safety.BACKUP_DIR).iterdir():
        name = f"{safety.BACKUP_DIR}/{path.name}"
        if path.name.startswith(".~"):
            continue  # a temporary file of the killed run: no backup, and never counted as one
        assert opens(path), name
        if name not in before:  # a copy this run made: of the workbook or the memo it replaced
            assert path.read_bytes() in (before[NAME], before[f"{MEMO}.docx"]), name
    docx = work / f"{MEMO}.docx"
    if docx.read_bytes() != before[docx.name]:  # the new one: its zip carries the time it was made
        assert opens(docx) and _body(docx.read_bytes()) == _body(after[docx.name])
    for suffix in (".html", ".txt"):
        name = MEMO + suffix
        assert (work / name).read_bytes() in (before[name], after[name]), name


def _outside_backups(files: dict) -> set[str]:
    return {name for name in files if not name.startswith(f"{safety.BACKUP_DIR}/")}


def _body(docx: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(docx)) as z:
        return z.read("word/document.xml")


def _run_killed_at(point: int, book: Path) -> None:
    """In a forked child: a whole run that kills itself just before or just after its ``point``-th
    call of the file-system functions below (two points per call); exits if it has fewer."""
    from sheetkpi.cli import main

    code = 99
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
        os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
        calls = iter(range(1, 10_000))

        def killing(real):
            def call(*args, **kwargs):
                if next(calls) == point:
                    os.kill(os.getpid(), signal.SIGKILL)
                result = real(*args, **kwargs)
                if next(calls) == point:
                    os.kill(os.getpid(), signal.SIGKILL)
                return result
            return call

        for name in ("fsync", "replace", "unlink", "mkdir", "chmod"):
            setattr(os, name, killing(getattr(os, name)))
        code = main(["recalc", str(book), "--as-of", AS_OF])
    finally:
        os._exit(code)


def test_kill_anywhere_in_a_whole_run(kill_scene, tmp_path):
    scene, before, after, summary = kill_scene
    work = tmp_path / "lan-chay"
    points_seen = 0
    for point in range(1, 200):
        book = _reset(scene, work)
        pid = os.fork()
        if pid == 0:
            _run_killed_at(point, book)
        _, status = os.waitpid(pid, 0)
        if os.WIFEXITED(status):  # the run had fewer points: it ended normally
            assert os.WEXITSTATUS(status) == 0 and _outside_backups(listing(work)) == _outside_backups(after)
            break
        assert os.WTERMSIG(status) == signal.SIGKILL
        points_seen += 1
        _assert_whole(work, before, after, summary)
    assert points_seen > 20  # the backup, the workbook and three memo files, each made and put in place

    # The next run after a kill (here halfway) recovers: the dead run's lock goes, the result is complete.
    book = _reset(scene, work)
    pid = os.fork()
    if pid == 0:
        _run_killed_at(points_seen // 2, book)
    os.waitpid(pid, 0)
    proc = run_cli("recalc", str(book), "--as-of", AS_OF)
    assert proc.returncode == 0, proc.stderr
    assert summary_values(book) == summary and not [n for n in listing(work) if n.endswith(".lock")]

    # Kills at random moments of a real process, with nothing patched.
    rng = random.Random(14)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8"}
    for _ in range(6):
        book = _reset(scene, work)
        started = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", "sheetkpi", "recalc", str(book), "--as-of", AS_OF],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, 1.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert time.monotonic() - started < 60
        _assert_whole(work, before, after, summary)
