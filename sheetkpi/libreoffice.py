"""LibreOffice headless as a converter (memo PDF, legacy formats): one place that knows how to run it."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from .errors import FileUnusable

TIMEOUT_S = 180


class LibreOfficeError(FileUnusable):
    """LibreOffice is missing, failed or took too long."""


def find_soffice() -> str | None:
    """The LibreOffice executable, if installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert(files: list[Path], target: str, outdir: Path, *, timeout: int = TIMEOUT_S) -> None:
    """Convert ``files`` into ``outdir`` with ``--convert-to target`` in one LibreOffice process.

    A private, throw-away profile keeps parallel runs (and a LibreOffice the user has open) apart.
    """
    soffice = find_soffice()
    if soffice is None:
        raise LibreOfficeError(
            "libreoffice-missing",
            "Chưa cài LibreOffice (không tìm thấy lệnh 'soffice'); hãy cài LibreOffice rồi chạy lại.",
        )
    with tempfile.TemporaryDirectory(prefix="sheetkpi-lo-") as profile:
        cmd = [
            soffice, "--headless", "--norestore", f"-env:UserInstallation={Path(profile).as_uri()}",
            "--convert-to", target, "--outdir", str(outdir), *map(str, files),
        ]
        try:
            run = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise LibreOfficeError("libreoffice-timeout", f"LibreOffice không chuyển xong sau {timeout} giây.") from exc
    if run.returncode != 0:
        detail = (run.stderr or run.stdout).strip().splitlines()
        raise LibreOfficeError("libreoffice-failed", "LibreOffice báo lỗi" + (f": {detail[-1]}" if detail else "."))
