"""Run under a Python with uno: open each workbook in LibreOffice, let it fit every row of the first
sheet to its wrapped text (Format ▸ Rows ▸ Optimal Height), and print each row's height in 1/100 mm
as JSON ({path: [height of row 1, row 2, …]}). Used by tests/test_text_fit.py."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lo_uno import Office  # noqa: E402 (after the path above)


def main(paths: list[str]) -> None:
    heights = {}
    with Office() as office:
        for path in paths:
            with office.document(path) as doc:
                sheet = doc.Sheets.getByIndex(0)
                cursor = sheet.createCursor()
                cursor.gotoEndOfUsedArea(False)
                end = cursor.RangeAddress
                sheet.getCellRangeByPosition(0, 0, end.EndColumn, end.EndRow).Rows.OptimalHeight = True
                heights[path] = [sheet.Rows.getByIndex(r).Height for r in range(end.EndRow + 1)]
    print(json.dumps(heights))


if __name__ == "__main__":
    main(sys.argv[1:])
