"""Apply a :class:`~sheetkpi.writes.WritePlan` to a workbook file through the lossless
package writer: only the cells in the plan change, every other part stays byte-identical."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from ..writes import STYLE_SPECS, SheetWrites, WritePlan, fitted_heights
from .package import Package


class _Styles:
    """Semantic style name -> xf index of this package, appended once per run."""

    def __init__(self, pkg: Package):
        self.pkg = pkg
        self.cache: dict[str, int] = {}
        self.rows: dict[tuple, tuple[int | None, ...]] = {}

    def __call__(self, name: str | None) -> int | None:
        if name is None:
            return None
        if name not in self.cache:
            self.cache[name] = self.pkg.add_style(**STYLE_SPECS[name])
        return self.cache[name]

    def row(self, name: str | list[str | None] | None) -> int | tuple[int | None, ...] | None:
        """The style of a block's row: one xf, or a tuple per column shared by the rows that have
        the same names (the package checks each shared tuple once)."""
        if not isinstance(name, list):
            return self(name)
        key = tuple(name)
        if key not in self.rows:
            self.rows[key] = tuple(self(n) for n in name)
        return self.rows[key]


def apply_plan(pkg: Package, plan: WritePlan | Iterable[SheetWrites]) -> int:
    """Write every sheet of ``plan`` into ``pkg`` (not saved yet); returns the number of cells
    written (as :meth:`WritePlan.cell_count` counts them).

    ``plan`` may be a generator of :class:`SheetWrites`: each sheet is applied and committed
    (rendered and packed, its writes freed) before the next is asked for, so a run holds one
    sheet's writes at a time. Such a sheet's writes are emptied once they are in the package,
    before it renders (its values, texts and styles are not held twice while it does).
    """
    style = _Styles(pkg)
    count = 0
    streamed = not isinstance(plan, WritePlan)
    for sheet in plan if streamed else plan.sheets:
        _apply_sheet(pkg, sheet, style)
        heights = dict(sheet.row_heights)
        if sheet.fit_rows:
            # With the widths the sheet will have (columns sheetkpi adds included), before the one render.
            for row, height in fitted_heights(sheet.fit_rows, pkg.column_widths(sheet.sheet)).items():
                heights[row] = max(height, heights.get(row, 0.0))
        if heights:
            pkg.set_row_heights(sheet.sheet, heights)
        count += sheet.cell_count()
        if streamed:
            sheet.cells, sheet.styled_cells, sheet.blocks, sheet.merges, sheet.fit_rows = {}, {}, [], [], {}
        pkg.commit(sheet.sheet)
        del sheet  # not held while the next sheet's writes are made
    return count


def _apply_sheet(pkg: Package, sheet: SheetWrites, style: _Styles) -> None:
    """Write one sheet's writes into ``pkg``."""
    if sheet.create:
        pkg.add_sheet(sheet.sheet)
    elif sheet.whole:
        pkg.reset_sheet(sheet.sheet)
    if sheet.column_widths:
        pkg.set_column_widths(sheet.sheet, sheet.column_widths)  # on another sheet: new columns only
    if sheet.create or sheet.whole:
        if sheet.print_titles:
            pkg.set_print(sheet.sheet, repeat_rows=sheet.print_titles)
        if sheet.freeze:
            pkg.set_freeze(sheet.sheet, *sheet.freeze)
        pkg.merge_cells(sheet.sheet, *sheet.merges)
        if sheet.page_breaks:
            pkg.set_page_breaks(sheet.sheet, sheet.page_breaks)
    for block in sheet.blocks:
        pkg.write_rows(sheet.sheet, block.row, block.col, block.rows, clear_until_row=block.row + len(block.rows) - 1,
                       row_styles=[style.row(name) for name in block.styles] if block.styles else None)
        if block.clear_below and block.width:
            after = block.row + len(block.rows)
            pkg.write_rows(sheet.sheet, after, block.col, [[None] * block.width], clear_until_row=None)
    if sheet.cells:
        pkg.set_cells(sheet.sheet, sheet.cells)
    by_style: dict[str, dict] = defaultdict(dict)
    for key, (value, name) in sheet.styled_cells.items():
        by_style[name][key] = value
    for name, cells in by_style.items():
        pkg.set_cells(sheet.sheet, cells, style=style(name))
    if sheet.chart:
        c = sheet.chart
        pkg.add_bar_chart(sheet.sheet, anchor=c.anchor, title=c.title, categories=c.categories, series=c.series,
                          labels=c.labels)
