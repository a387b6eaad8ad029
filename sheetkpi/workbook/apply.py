"""Apply a :class:`~sheetkpi.writes.WritePlan` to a workbook file through the lossless
package writer: only the cells in the plan change, every other part stays byte-identical."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import chain
from typing import Protocol

from ..cells import Areas
from ..writes import STYLE_SPECS, Rows, SheetWrites, WritePlan, fitted_heights
from ..writes.history import FigureCells
from ._sheetxml import ANY_STYLE
from ._zip import Packed
from .package import Package


class _Styles:
    """Semantic style name -> xf index of this package, appended once per run (``given``: the
    indices another process resolved; a name not among them is an error, never appended here)."""

    def __init__(self, pkg: Package, given: dict[str, int] | None = None):
        self.pkg = pkg
        self.cache: dict[str, int] = {}
        self.rows: dict[tuple, tuple[int | None, ...]] = {}
        self.given = given

    def __call__(self, name: str | None) -> int | None:
        if name is None:
            return None
        if name not in self.cache:
            if self.given is not None:
                self.cache[name] = self.given[name]
            else:
                self.cache[name] = self.pkg.add_style(**STYLE_SPECS[name])
        return self.cache[name]

    def resolve(self, sheet: SheetWrites) -> dict[str, int]:
        """Every style name the sheet uses, with its xf index, added in the order applying the sheet
        here would add them."""
        names: dict[str, int] = {}
        head, column = _head_and_column(sheet)
        blocks = (name for block in sheet.blocks for given in block.styles or ()
                  for name in (given if isinstance(given, list) else [given]))
        for name in chain((name for _, name in head.values()), blocks, column[3] if column else ()):
            if name is not None and name not in names:
                names[name] = self(name)
        return names

    def row(self, name: str | list[str | None] | None) -> int | tuple[int | None, ...] | None:
        """The style of a block's row: one xf, or a tuple per column shared by the rows that have
        the same names (the package checks each shared tuple once)."""
        if not isinstance(name, list):
            return self(name)
        key = tuple(name)
        if key not in self.rows:
            self.rows[key] = tuple(self(n) for n in name)
        return self.rows[key]


def apply_plan(pkg: Package, plan: WritePlan | Iterable[SheetWrites], *, helper: SheetHelper | None = None) -> int:
    """Write every sheet of ``plan`` into ``pkg`` (not saved yet); returns the number of cells
    written (as :meth:`WritePlan.cell_count` counts them).

    ``plan`` may be a generator (any iterable but a :class:`WritePlan`) of :class:`SheetWrites`:
    each sheet is applied and committed (rendered and packed, its writes freed) before the next is
    asked for, so a run holds one sheet's writes at a time. Such a sheet's writes are emptied once
    they are in the package, before it renders, and its blocks' rows dropped as they are written
    (its values, texts and styles are not held twice while it does).

    ``helper``: another process that renders the sheets it takes (see
    :class:`sheetkpi.workbook.parallel.SheetRenderer`), with the styles they use added here first,
    in the order this process would add them; a sheet it could not render is rendered here. A sheet
    it holds back (one before the tabs it takes, which it would wait for) is rendered here once it
    has been given tabs to render meanwhile (:meth:`SheetHelper.busy_for`): the same styles, in the
    same order, and the same file.
    """
    style = _Styles(pkg)
    if helper is not None:
        pkg.segments = helper.segments
    try:
        return _apply_all(pkg, plan, style, helper)
    finally:
        pkg.segments = None


def _apply_all(pkg: Package, plan: WritePlan | Iterable[SheetWrites], style: _Styles,
               helper: SheetHelper | None) -> int:
    count = 0
    streamed = not isinstance(plan, WritePlan)
    waiting = None  # a sheet held back until the helper has tabs to render while it is rendered here
    for sheet in plan if streamed else plan.sheets:
        if helper is not None and helper.takes(sheet):
            helper.submit(sheet, style.resolve(sheet), pkg)
            count += sheet.cell_count()
            if waiting is not None and helper.busy_for():
                count += apply_sheet(pkg, waiting, style, empty=streamed)
                waiting = None
            continue
        if waiting is not None:
            count += apply_sheet(pkg, waiting, style, empty=streamed)
            waiting = None
        if helper is not None and helper.holds_back(sheet):
            style.resolve(sheet)  # its styles added now, in the order applying it now would add them
            waiting = sheet
            continue
        count += apply_sheet(pkg, sheet, style, empty=streamed)
        del sheet  # not held while the next sheet's writes are made
    if waiting is not None:
        count += apply_sheet(pkg, waiting, style, empty=streamed)
        del waiting
    if helper is not None:
        for name, sheet, rendered in helper.finish():
            if rendered is not None:
                if rendered:  # (empty: the sheet stays as it is)
                    pkg.adopt_rendered(name, *rendered)
            else:
                apply_sheet(pkg, sheet, style)
    return count


class _OfStyle:
    """The cells of ``styled`` ({(row, col): (value, style name)}) in the style ``name``, as
    :meth:`Package.set_cells` takes them."""

    __slots__ = ("_styled", "_name")

    def __init__(self, styled: Mapping[tuple[int, int], tuple], name: str) -> None:
        self._styled, self._name = styled, name

    def items(self) -> Iterator[tuple[tuple[int, int], object]]:
        name = self._name
        return ((key, value) for key, (value, given) in self._styled.items() if given == name)


def apply_sheet(pkg: Package, sheet: SheetWrites, style, *, empty: bool = False) -> int:
    """Apply one sheet's writes (``style``: semantic style name -> xf index, see :class:`_Styles`),
    size its rows and commit it; returns the cells written. ``empty``: empty the writes once they
    are in the package, before the sheet renders.

    A sheet whose cells already hold every value written, each written as this writer writes it
    (:attr:`SheetWrites.unchanged`: clicked again before anyone typed anything), and whose rows
    are tall enough is left as it is, byte for byte: nothing is rendered."""
    # Sized before the writes when they may be kept: no column is added then, the widths are the same.
    heights = _heights(pkg, sheet) if sheet.unchanged else None
    if heights is not None and pkg.would_keep(sheet.sheet, {
        **{at: (value, ANY_STYLE) for at, value in sheet.cells.items()},
        **{at: (value, style(name)) for at, (value, name) in sheet.styled_cells.items()},
    }, heights):
        return sheet.cell_count()
    count = sheet.cell_count()
    _apply_sheet(pkg, sheet, style, consume=empty)
    if heights is None:
        heights = _heights(pkg, sheet)
    if heights:
        pkg.set_row_heights(sheet.sheet, heights)
    del heights  # (the package has them: not held twice while the sheet renders)
    if empty:
        sheet.cells, sheet.styled_cells, sheet.blocks, sheet.merges, sheet.fit_rows = {}, {}, [], Areas(), {}
        sheet.fit_bold = set()
        sheet.row_heights = {}
    pkg.commit(sheet.sheet)
    return count


def _heights(pkg: Package, sheet: SheetWrites) -> Mapping[int, float]:
    """The least height of each row the writes size: given, or fitted to the texts of
    :attr:`SheetWrites.fit_rows` with the widths the sheet will have (columns sheetkpi adds
    included: call after the writes are in the package)."""
    if not sheet.fit_rows:
        return sheet.row_heights  # (not copied: "Tổng hợp"'s, 160,000 rows at 300,000 KPIs)
    fitted = fitted_heights(sheet.fit_rows, pkg.column_widths(sheet.sheet), sheet.fit_bold)
    if not sheet.row_heights:
        return fitted
    heights = dict(sheet.row_heights)
    for row, height in fitted.items():
        heights[row] = max(height, heights.get(row, 0.0))
    return heights


def _head_and_column(sheet: SheetWrites) -> tuple[Mapping[tuple[int, int], tuple], tuple | None]:
    """The styled cells of ``sheet``, and "Lịch sử"'s figures, one per KPI, as a column whose cells
    are made when it renders (see :meth:`FigureCells.column`), if it has them."""
    styled = sheet.styled_cells
    return (styled, None) if not isinstance(styled, FigureCells) else styled.column()


class SheetHelper(Protocol):
    """What :func:`apply_plan` asks of a process that renders sheets beside it."""

    def takes(self, sheet: SheetWrites) -> bool: ...

    def holds_back(self, sheet: SheetWrites) -> bool: ...

    def busy_for(self) -> bool: ...

    def submit(self, sheet: SheetWrites, styles: dict[str, int], pkg: Package) -> None: ...

    def finish(self) -> Iterable[tuple[str, SheetWrites | None, tuple | None]]: ...

    def segments(self, part: str, rows: Mapping, heights: Mapping) -> Callable[[], Packed | None] | None: ...


def _apply_sheet(pkg: Package, sheet: SheetWrites, style: _Styles, *, consume: bool = False) -> None:
    """Write one sheet's writes into ``pkg`` (``consume``: the rows of its blocks dropped as they
    are written, its styled cells once they are)."""
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
        pkg.merge_cells(sheet.sheet, sheet.merges)
        if sheet.page_breaks:
            pkg.set_page_breaks(sheet.sheet, sheet.page_breaks)
    head, column = _head_and_column(sheet)
    if consume:
        sheet.styled_cells = {}
    # The styles the styled cells use are added first, then the blocks', then the column's (as
    # _Styles.resolve adds them); the blocks are written first, the cells over them.
    head_styles = list(dict.fromkeys(name for _, name in head.values()))
    for name in head_styles:
        style(name)
    for block in sheet.blocks:
        # (Before its rows are consumed; a sheet created or laid out whole has nothing below to clear.)
        width = block.width if block.clear_below and not (sheet.create or sheet.whole) else 0
        pkg.write_rows(sheet.sheet, block.row, block.col, block.rows, clear_until_row=block.row + len(block.rows) - 1,
                       row_styles=[style.row(name) for name in block.styles] if block.styles else None,
                       consume=consume, width=block.width, deferred=isinstance(block.rows, Rows))
        if width:
            after = block.row + len(block.rows)
            pkg.write_rows(sheet.sheet, after, block.col, [[None] * width], clear_until_row=None)
    if sheet.cells:
        pkg.set_cells(sheet.sheet, sheet.cells)
    for name in head_styles:  # each style's cells in turn, as the writes list them (not copied)
        pkg.set_cells(sheet.sheet, _OfStyle(head, name), style=style(name))
    if column is not None:
        col, rows, values, names = column
        pkg.set_column(sheet.sheet, col, rows, values, [style(name) for name in names])
    if sheet.chart:
        c = sheet.chart
        pkg.add_bar_chart(sheet.sheet, anchor=c.anchor, title=c.title, categories=c.categories, series=c.series,
                          labels=c.labels)
