"""Files shipped with sheetkpi: the workbook and memo templates."""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent


def _shipped(folder: str, name: str) -> Path:
    # Installed: the folder is mapped inside the package; source checkout: it sits beside the package.
    for base in (_HERE / folder, _HERE.parent / folder):
        candidate = base / name
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"Không tìm thấy tệp '{folder}/{name}' trong gói sheetkpi")


def template_path(name: str) -> Path:
    """Path of a shipped template (``templates/`` of the repository)."""
    return _shipped("templates", name)


def example_path() -> Path:
    """The Nghệ An 2026 example workbook used by ``sheetkpi demo``."""
    return _shipped("examples", "nghe-an-2026/BangGiaoKPI.xlsx")
