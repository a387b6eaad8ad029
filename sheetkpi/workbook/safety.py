"""Guards around writing the canonical workbook: lock files, read-only files and backups.

Edits saved by someone else between reading and writing are refused by the package writer itself
(:meth:`sheetkpi.workbook.package.Package.save`)."""

from __future__ import annotations

import datetime as dt
import errno
import os
import re
import shutil
import socket
import stat
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import FileUnusable, os_error_message

BACKUP_DIR = "sao-luu"
BACKUPS_KEPT = 20
LOCK_WAIT_S = 5.0  # how long a second run waits for the first to finish writing
LOCK_POLL_S = 0.1
LOCK_STALE_S = 15 * 60  # a lock this old is left over whoever holds it (a run takes seconds)
LOCK_EMPTY_STALE_S = 2.0  # a lock still without its owner's pid after this was left by a crash
SAVE_TEMP_GLOB = ".~sheetkpi-*.tmp"  # temporary files of Package.save, beside the file it writes


def lock_files(path: Path) -> list[Path]:
    """Lock files that Excel ("~$NAME") and LibreOffice (".~lock.NAME#") leave while a file is open."""
    candidates = [path.with_name("~$" + path.name), path.with_name(f".~lock.{path.name}#")]
    # Excel shortens the owner-file name of long names to "~$" + the last characters.
    if len(path.stem) > 7:
        candidates.append(path.with_name("~$" + path.name[2:]))
    return [p for p in candidates if _exists(p)]


def _exists(path: Path) -> bool:
    """Whether ``path`` exists; a name the file system cannot even hold (too long) does not."""
    try:
        return path.exists()
    except OSError:
        return False


def refuse_if_open(path: Path) -> None:
    """Raise when the workbook is open in Excel or LibreOffice: writing now would fight with it."""
    found = lock_files(path)
    if found:
        raise FileUnusable(
            "locked",
            f"Tệp '{path.name}' đang được mở trong Excel/LibreOffice (có tệp khóa '{found[0].name}'). "
            "Hãy đóng tệp rồi chạy lại, hoặc dùng nút \"Tính lại KPI\" ngay trong Excel. "
            "Nếu chắc chắn không ai mở tệp (chẳng hạn Excel đã bị tắt đột ngột), hãy xóa tệp khóa "
            f"'{found[0].resolve()}' rồi chạy lại.",
        )


def refuse_if_read_only(path: Path) -> None:
    """Raise when ``path`` exists and is marked read-only: the user did not mean it to be changed."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return
    if not mode & 0o444:
        raise FileUnusable(
            "no-permission",
            f"Không có quyền đọc và ghi tệp '{path.name}' (quyền truy cập của tệp đã bị tắt hết). Hãy cấp lại "
            "quyền đọc và ghi cho tài khoản đang chạy sheetkpi.",
        )
    if not mode & stat.S_IWUSR or not os.access(path, os.W_OK):
        raise FileUnusable(
            "read-only",
            f"Tệp '{path.name}' chỉ cho phép đọc (read-only) nên sheetkpi không ghi vào. Hãy bỏ thuộc tính "
            "chỉ đọc của tệp (Thuộc tính > bỏ chọn 'Chỉ đọc'), hoặc ghi kết quả ra tệp khác bằng -o TỆP.",
        )


MAX_NAME_BYTES = 255  # the longest file name most file systems take


_NOT_IN_FILE_NAMES = re.compile(r'[<>:"/\\|?*\x00-\x1f]')


def file_stem(text: str) -> str:
    """``text`` (a unit's code) usable in a file name on every system: the characters Windows refuses
    replaced by "-", no dot or space at either end."""
    return _NOT_IN_FILE_NAMES.sub("-", text).strip(" .") or "-"


def own_lock_path(path: Path) -> Path:
    """sheetkpi's own lock file beside the workbook, held while a run writes it (a long name is
    shortened the same way every time, so that every run finds the same lock)."""
    prefix, suffix = ".~sheetkpi.", ".lock"
    return path.with_name(prefix + _fit_name(path.name, MAX_NAME_BYTES - len(prefix) - len(suffix)) + suffix)


def _fit_name(name: str, room: int) -> str:
    """``name`` itself when it takes at most ``room`` bytes; else cut (never inside a character) and
    told apart from other long names by a short hash of it."""
    if len(name.encode()) <= room:
        return name
    import hashlib

    tag = "~" + hashlib.sha1(name.encode()).hexdigest()[:10]
    return name.encode()[: room - len(tag)].decode("utf-8", "ignore") + tag


@contextmanager
def workbook_lock(path: Path) -> Iterator[Path]:
    """Hold sheetkpi's lock on ``path`` for the duration of the block.

    The lock file is created exclusively and holds "pid host". A run that finds it waits up to
    :data:`LOCK_WAIT_S` seconds for it to go, then refuses. A lock whose process is gone (killed,
    crashed) or that is older than :data:`LOCK_STALE_S` is removed.
    """
    lock = own_lock_path(path)
    deadline = time.monotonic() + LOCK_WAIT_S
    while True:
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            break
        except FileExistsError:
            if _remove_if_stale(lock):
                continue
            if time.monotonic() >= deadline:
                raise FileUnusable(
                    "busy",
                    f"Tệp '{path.name}' đang được một lượt sheetkpi khác tính và ghi (tệp khóa '{lock.name}'). "
                    "Hãy đợi lượt đó xong rồi chạy lại. Nếu chắc chắn không còn ai chạy sheetkpi, hãy xóa tệp khóa "
                    "này.",
                ) from None
            time.sleep(LOCK_POLL_S)
        except OSError as exc:
            if exc.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
                raise FileUnusable(
                    "lock-failed", f"Không tạo được tệp khóa '{lock}': {os_error_message(exc)} Tệp gốc không thay đổi."
                ) from exc
            raise FileUnusable(
                "folder-not-writable",
                f"Không ghi được vào thư mục '{path.parent}' ({exc.strerror or exc}). Hãy chép bảng tính vào "
                "một thư mục được phép ghi, hoặc ghi kết quả ra nơi khác bằng -o TỆP. Tệp gốc không thay đổi.",
            ) from exc
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(f"{os.getpid()} {socket.gethostname()}\n")
        _remove_orphan_temps(path.parent)
        yield lock
    finally:
        lock.unlink(missing_ok=True)


def _remove_orphan_temps(folder: Path) -> None:
    """Remove temporary files that a save killed midway left behind (they are never read; any
    save still running has made its own within the last seconds)."""
    cutoff = time.time() - LOCK_STALE_S
    for tmp in folder.glob(SAVE_TEMP_GLOB):
        try:
            if tmp.stat().st_mtime < cutoff:
                tmp.unlink()
        except OSError:
            pass


def _remove_if_stale(lock: Path) -> bool:
    """Remove ``lock`` if the run that made it is gone; True when the caller may try again."""
    try:
        st = lock.stat()
        owner = lock.read_text(encoding="ascii", errors="replace").split()
    except FileNotFoundError:
        return True
    except OSError:
        return False
    age = time.time() - st.st_mtime
    if not owner:
        stale = age > LOCK_EMPTY_STALE_S
    elif age > LOCK_STALE_S:
        stale = True
    else:
        pid, host = owner[0], owner[1] if len(owner) > 1 else ""
        stale = host == socket.gethostname() and pid.isdigit() and not _alive(int(pid))
    if not stale:
        return False
    try:
        if lock.stat().st_ino == st.st_ino:  # not a fresh lock taken by another waiting run meanwhile
            lock.unlink()
    except FileNotFoundError:
        pass
    return True


def _alive(pid: int) -> bool:
    """Whether process ``pid`` is still running on this machine."""
    if os.name == "nt":
        import ctypes

        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        handle = kernel32.OpenProcess(0x00101000, False, pid)  # SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return ctypes.get_last_error() == 5  # access denied: it exists
        try:
            return kernel32.WaitForSingleObject(handle, 0) == 0x102  # WAIT_TIMEOUT: still running
        finally:
            kernel32.CloseHandle(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def write_atomically(path: Path, write: Callable[[Path], None], *,
                     before_replace: Callable[[], object] | None = None) -> Path:
    """Make ``path`` by ``write(temporary path)`` beside it, sync it to disk, then put it in place in
    one rename: a kill or a full disk midway leaves the previous file (or none), never a half-written
    one. The new file keeps the permissions of the one it replaces (else the usual ones for a new
    file). ``before_replace`` runs once the new file is complete, just before the rename; whatever
    it raises leaves ``path`` as it was. The one way sheetkpi writes a file."""
    fd, tmp_name = tempfile.mkstemp(prefix=".~sheetkpi-", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, _mode_for(path))
        if before_replace is not None:
            before_replace()
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _sync_folder(path.parent)
    return path


def _mode_for(path: Path) -> int:
    """The permissions ``path`` has, or those a new file gets (mkstemp's are private to the owner)."""
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _sync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable where the system allows it. The rename is done already: a
    folder that cannot be synced (Windows, some network and FUSE file systems) is no failure."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _backup_stem(path: Path) -> str:
    """The stem of ``path``'s copies in "sao-luu": its own, shortened when a copy's name would be too long."""
    return _fit_name(path.stem, MAX_NAME_BYTES - len("-YYYYmmdd-HHMMSS-ffffff") - len(path.suffix.encode()))


def backup(path: Path, now: dt.datetime | None = None) -> Path:
    """Copy ``path`` (a workbook, a memo) into "sao-luu" beside it with a timestamp; keep the newest
    20 copies of that file. A copy appears under its final name only once complete."""
    folder = path.parent / BACKUP_DIR
    try:
        folder.mkdir(exist_ok=True)
        stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S-%f")
        stem = _backup_stem(path)
        target = folder / f"{stem}-{stamp}{path.suffix}"
        write_atomically(target, lambda tmp: shutil.copy2(path, tmp))
    except OSError as exc:
        raise FileUnusable(
            "backup-failed",
            f"Không tạo được bản sao lưu trong thư mục '{folder}': {os_error_message(exc)} Chưa ghi gì vào tệp.",
        ) from exc
    # Only this file's copies: "BangGiaoKPI-2025.xlsx" has backups of its own in the same folder.
    own = re.compile(re.escape(stem) + r"-\d{8}-\d{6}-\d{6}" + re.escape(path.suffix) + "$")
    copies = sorted(p for p in folder.iterdir() if own.match(p.name))
    for old in copies[:-BACKUPS_KEPT]:
        old.unlink(missing_ok=True)
    return target
