"""Helpers shared by tests: paths of the shipped files, running the CLI, LibreOffice headless."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "nghe-an-2026" / "BangGiaoKPI.xlsx"
TEMPLATE = ROOT / "templates" / "BangGiaoKPI.xlsx"
AS_OF = "2026-06-25"


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m sheetkpi ARGS`` as a user would, capturing its output as text."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8"}
    env.pop("SHEETKPI_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "sheetkpi", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def soffice() -> str:
    """The LibreOffice binary, or skip (CI installs it)."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if not found:
        pytest.skip("LibreOffice (soffice) is not installed")
    return found


def convert(files: list[Path], target: str, outdir: Path) -> None:
    """Convert files with LibreOffice headless, with a private profile so parallel runs do not clash."""
    profile = Path("/tmp") / f"sheetkpi-lo-{uuid.uuid4().hex}"
    try:
        subprocess.run(
            [soffice(), f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", target,
             "--outdir", str(outdir), *map(str, files)],
            check=True, capture_output=True, timeout=240,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def sheets_as_csv(workbook: Path, outdir: Path) -> dict[str, list[list[str]]]:
    """Every sheet of ``workbook`` as LibreOffice computes and shows it (formatted text), by sheet name."""
    from openpyxl import load_workbook

    names = load_workbook(workbook, read_only=True).sheetnames
    # Filter options: comma, quote, UTF-8, first line 1, …, formatted text as shown, sheet -1 = all sheets.
    convert([workbook], "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1", outdir)
    out = {}
    for i, name in enumerate(names, start=1):
        path = outdir / f"{workbook.stem}-{name}.csv"
        if not path.exists():
            path = outdir / f"{workbook.stem}-Sheet{i}.csv"
        with open(path, encoding="utf-8", newline="") as fh:
            out[name] = list(csv.reader(fh))
    return out
