"""Guards around writing the canonical workbook: lock files and backups.

Edits saved by someone else between reading and writing are refused by the package writer itself
(:meth:`sheetkpi.workbook.package.Package.save`)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from ..errors import FileUnusable

BACKUP_DIR = "sao-luu"
BACKUPS_KEPT = 20


def lock_files(path: Path) -> list[Path]:
    """Lock files that Excel ("~$NAME") and LibreOffice (".~lock.NAME#") leave while a file is open."""
    candidates = [path.with_name("~$" + path.name), path.with_name(f".~lock.{path.name}#")]
    # Excel shortens the owner-file name of long names to "~$" + the last characters.
    if len(path.stem) > 7:
        candidates.append(path.with_name("~$" + path.name[2:]))
    return [p for p in candidates if p.exists()]


def refuse_if_open(path: Path) -> None:
    """Raise when the workbook is open in Excel or LibreOffice: writing now would fight with it."""
    found = lock_files(path)
    if found:
        raise FileUnusable(
            "locked",
            f"Tệp '{path.name}' đang được mở trong Excel/LibreOffice (có tệp khóa '{found[0].name}'). "
            "Hãy đóng tệp rồi chạy lại, hoặc dùng nút \"Tính lại KPI\" ngay trong Excel. "
            "Nếu tệp đã đóng mà vẫn báo, hãy xóa tệp khóa này.",
        )


def backup(path: Path, now: dt.datetime | None = None) -> Path:
    """Copy the workbook into "sao-luu" beside it with a timestamp; keep the newest 20 copies."""
    folder = path.parent / BACKUP_DIR
    try:
        folder.mkdir(exist_ok=True)
        stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S-%f")
        target = folder / f"{path.stem}-{stamp}{path.suffix}"
        shutil.copy2(path, target)
    except OSError as exc:
        raise FileUnusable(
            "backup-failed",
            f"Không tạo được bản sao lưu trong thư mục '{folder}': {exc.strerror or exc}. Chưa ghi gì vào tệp.",
        ) from exc
    copies = sorted(folder.glob(f"{path.stem}-*{path.suffix}"))
    for old in copies[:-BACKUPS_KEPT]:
        old.unlink(missing_ok=True)
    return target
