"""Write the empty template templates/BangGiaoKPI.xlsx (or the path given as the only argument)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

from sheetkpi.workbook.builder import UnitSpec, build_workbook, default_settings  # noqa: E402

PLAN_YEAR = 2026
OUTPUT = ROOT / "templates" / "BangGiaoKPI.xlsx"


def main(output: Path = OUTPUT) -> None:
    """Build the template: default settings, one placeholder unit with 10 blank rows."""
    output.parent.mkdir(parents=True, exist_ok=True)
    build_workbook(
        output,
        settings=default_settings(PLAN_YEAR),
        units=[UnitSpec(code="ĐV1", name="Phòng/đơn vị 1", kpis=[])],
        blank_rows=10,
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUTPUT)
