"""One workbook per unit for the month (``sheetkpi split``): the unit's tab and "Hướng dẫn", every
cell the department does not fill locked.

The copies are NEW files built with openpyxl from the canonical workbook, which is read here and
never saved. What openpyxl does not carry (data bars, sparklines, shapes) is missing from a copy;
the canonical workbook keeps it, and ``collect`` takes back only the department's cells, by KPI code.

Locking is sheet protection without a password: nothing is hidden from anyone, and a department
that must change something the Office owns can lift it (Review › Unprotect Sheet); ``collect``
then lists that change as a proposal instead of taking it.
"""

from __future__ import annotations

import contextlib
import copy
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.styles import Protection
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.protection import SheetProtection
from openpyxl.worksheet.worksheet import Worksheet

from .. import layout
from ..model import Unit
from ..parsing.text import fold
from ..reading import UnitLayout
from ..structure import Grid, is_blank
from .reader import load_grids
from .safety import write_atomically

_OPEN = Protection(locked=False)
_LOCKED = Protection(locked=True)
# A sheet reference in a formula: 'Tên có dấu cách'!A1 or KHĐT!A1.
_SHEET_REF = re.compile(r"(?:'((?:[^']|'')+)'|([^\s'!=,;:()+\-*/&^<>\"]+))!")


def referenced_sheets(formula: str) -> set[str]:
    """The names of the sheets a formula (or a defined name's text) refers to."""
    return {(quoted or plain).replace("''", "'") for quoted, plain in _SHEET_REF.findall(formula)}


def write_unit_copies(
    source: Path, units: list[tuple[Unit, UnitLayout, Path]], *, title: str, description: str,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[Path]:
    """Write, for each ``(unit, its tab's layout, target path)``, a copy holding "Hướng dẫn" and that
    tab, locked but for the department's cells of its KPI rows; each file is written atomically.
    ``title`` (with "{unit}" for the unit's name) and ``description`` go into the document's properties."""
    wb = load_workbook(source)  # read only: each copy is a new file
    cached: Workbook | None = None  # cached values, loaded once a formula needs one
    guide = next((ws for ws in wb.worksheets if fold(ws.title) == fold(layout.SHEET_GUIDE)), None)
    if guide is not None:
        guide.protection = _protection()
    written = []
    with load_grids(source) as grids:
        for done, (unit, unit_layout, target) in enumerate(units, start=1):
            ws = wb[unit.sheet]
            if ws.merged_cells.ranges:
                _restore_covered(ws, grids[unit.sheet])
            if _needs_values(ws, {unit.sheet}):
                cached = cached or load_workbook(source, data_only=True)
                _freeze_outside_refs(ws, cached[unit.sheet], {unit.sheet})
            _lock(ws, unit_layout)
            kept = [s for s in (guide, ws) if s is not None]
            with _only(wb, kept):
                wb.properties.title = title.format(unit=unit.name)
                wb.properties.description = description
                written.append(write_atomically(target, wb.save))
            if progress:
                progress("Ghi bản của đơn vị", done, len(units))
    return written


def _restore_covered(ws: Worksheet, grid: Grid) -> None:
    """openpyxl keeps only the first cell of a merged range, while a file may hold values in the
    others (LibreOffice keeps them when cells are merged). A range hiding such values is unmerged in
    the copy, the values back in their cells (in the first cell's style): else ``collect`` would read
    them as emptied by the department."""
    for merged in list(ws.merged_cells.ranges):
        first = (merged.min_row, merged.min_col)
        hidden = {(r, c): value for r, c in merged.cells
                  if (r, c) != first and not is_blank(value := _value(grid, r, c))}
        if not hidden:
            continue
        style = ws.cell(*first)._style
        ws.unmerge_cells(merged.coord)
        for (r, c), value in hidden.items():
            cell = ws.cell(r, c)
            cell._style = copy.copy(style)
            cell.value = value


def _protection() -> SheetProtection:
    """Protected without a password; rows and columns may still be resized (long texts wrap)."""
    return SheetProtection(sheet=True, formatRows=False, formatColumns=False)


def _lock(ws: Worksheet, unit_layout: UnitLayout) -> None:
    """Every cell locked but the department's columns on the KPI rows; the sheet protected."""
    owned = {unit_layout.columns[f] for f in layout.MONTHLY_COLUMNS if f in unit_layout.columns}
    for row in unit_layout.kpi_rows:
        for col in owned:
            ws.cell(row, col).protection = _OPEN
    rows = set(unit_layout.kpi_rows)
    # The Office may have left cells of its own unlocked in the canonical workbook: not in a copy.
    for line in ws.iter_rows():
        for cell in line:
            if not cell.protection.locked and not (cell.row in rows and cell.column in owned):
                cell.protection = _LOCKED
    # A validation list read from another sheet ("Cấu hình") would point at nothing in the copy.
    validations = ws.data_validations.dataValidation
    validations[:] = [v for v in validations
                      if not referenced_sheets(f"{v.formula1 or ''} {v.formula2 or ''}") - {ws.title}]
    ws.protection = _protection()


def _value(grid: Grid, row: int, col: int):
    line = grid[row - 1] if row <= len(grid) else ()
    return line[col - 1].value if col <= len(line) else None


def _needs_values(ws: Worksheet, kept: set[str]) -> bool:
    return any(isinstance(c.value, str) and c.data_type == "f" and referenced_sheets(c.value) - kept
               for line in ws.iter_rows() for c in line)


def _freeze_outside_refs(ws: Worksheet, values: Worksheet, kept: set[str]) -> None:
    """A formula reading another sheet becomes the value it last showed: that sheet is not in the copy."""
    for line in ws.iter_rows():
        for cell in line:
            if isinstance(cell.value, str) and cell.data_type == "f" and referenced_sheets(cell.value) - kept:
                cell.value = values.cell(cell.row, cell.column).value


@contextlib.contextmanager
def _only(wb: Workbook, sheets: list[Worksheet]) -> Iterator[None]:
    """The workbook seen as holding only ``sheets`` (the last one active), and only the defined
    names over them, while it is saved; as it was afterwards."""
    kept = {ws.title for ws in sheets}
    all_sheets, names = wb._sheets, dict(wb.defined_names)
    views = {ws.title: ws.sheet_view.tabSelected for ws in sheets}
    wb._sheets = list(sheets)
    for name, defined in names.items():
        if referenced_sheets(defined.attr_text or "") - kept:
            del wb.defined_names[name]
    for ws in sheets:
        ws.sheet_view.tabSelected = ws is sheets[-1]
    wb.active = len(sheets) - 1
    try:
        yield
    finally:
        wb._sheets = all_sheets
        wb.defined_names.clear()
        wb.defined_names.update(names)
        for ws in sheets:
            ws.sheet_view.tabSelected = views[ws.title]
