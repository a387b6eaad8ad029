"""Read a "Bảng giao KPI" workbook file: its sheets as grids, one at a time, for :mod:`sheetkpi.reading`.

Cell values (cached results for formulas) come from python-calamine, which parses a 100,000-row
workbook in a fraction of a second; what calamine does not report (is a number a percentage? an
error value? a =SUM()?) comes from one pass over the package.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from .. import layout
from ..errors import FileUnusable
from ..parsing.numbers import is_percent_format
from ..reading import WorkbookData, find_sheet, read_grids, read_in_turn, summary_date
from ..structure import EMPTY_CELL, Cell, Grid

if TYPE_CHECKING:  # the package writer (lxml) is imported only when a file is read
    from .package import Package


def read_workbook(path: str | Path, package: Package | None = None, *, progress=None,
                  two_processes: bool | None = None) -> WorkbookData:
    """Read every unit tab, the settings and the history of the workbook at ``path`` (``package``:
    the same file already opened, so that it is not opened again; ``progress``: see
    :func:`sheetkpi.reading.read_grids`; ``two_processes``: read the unit tabs in two processes,
    by default when the workbook is large enough, see :mod:`sheetkpi.workbook.parallel`)."""
    from . import parallel
    from .package import Package

    path = Path(path)
    package = package or Package.open(path)
    if two_processes is None:
        two_processes = parallel.worth_it(package)
    with load_grids(path, package) as sheets, (
            parallel.TwoProcessReader(path, sheets) if two_processes else contextlib.nullcontext(read_in_turn)
    ) as read_tabs:
        # "Tổng hợp" is sheetkpi's own output, rewritten whole by every run: only the report date
        # on its third row is read, and parsing it all (80,000 rows after a run over 100,000 KPIs)
        # only to look for damage would cost as much as reading 10,000 KPIs.
        owned = find_sheet(sheets, layout.SHEET_SUMMARY)
        last_run = None
        if owned:
            line = package.read_cell_values(owned, [(layout.SUMMARY_AS_OF_ROW, 1)]).get((layout.SUMMARY_AS_OF_ROW, 1))
            last_run = summary_date(line)
        try:
            data = read_grids(sheets, path, last_run=last_run, progress=progress, read_tabs=read_tabs,
                              rows=sheets.rows)
        except Exception:
            # The first damaged sheet in workbook order is what is reported, whatever else went
            # wrong: as when every sheet was parsed before reading. (Not a finally: an interrupt
            # must stop at once, not parse the sheets left.)
            sheets.parse_unread(skip=owned)
            raise
        sheets.parse_unread(skip=owned)  # a damaged sheet stops the run even when nothing reads it
    return data


def load_grids(path: Path, package: Package | None = None) -> Grids:
    """All worksheets of the file as grids of :class:`Cell`, rows from 1 and columns from A,
    trailing empties trimmed; a formula reads as its cached result, empty text as an empty cell."""
    return Grids(path, package)


class Grids(Mapping[str, Grid]):
    """The worksheets of a workbook file by name, in workbook order, each parsed when it is asked for
    and not kept: a 100,000-row workbook read sheet by sheet holds one sheet's cells at a time.

    A damaged sheet raises :class:`~sheetkpi.errors.FileUnusable` when it is asked for. Close it, or
    use it in a ``with`` block, to release the file.
    """

    def __init__(self, path: Path, package: Package | None = None) -> None:
        from python_calamine import CalamineWorkbook, SheetTypeEnum  # deferred: keeps `import sheetkpi` light

        from .package import Package

        # The package is opened first: its checks (size limits, DTDs) run before anything is parsed.
        # It also tells what calamine does not: percentage formats, error values (calamine reads
        # "#REF!" as an empty cell) and =SUM() formulas.
        self._package = package or Package.open(path)
        self._path = path
        self._stamp = _stamp(path)
        try:
            self._book = CalamineWorkbook.from_path(str(path))
        except Exception as exc:  # calamine raises several kinds for a broken package
            raise FileUnusable("corrupt", (
                f"Không đọc được tệp '{path.name}': tệp hỏng hoặc không phải bảng tính Excel "
                f"({exc.__class__.__name__})."
            )) from exc
        try:
            # chart and dialog sheets hold no cells
            names = [meta.name for meta in self._book.sheets_metadata if meta.typ == SheetTypeEnum.WorkSheet]
        except Exception as exc:
            self._book.close()
            raise self._damaged("", exc) from exc
        self._names = dict.fromkeys(names)  # in workbook order
        self._unread = dict.fromkeys(names)  # a sheet leaves once parsed whole

    def __getitem__(self, name: str) -> Grid:
        return list(self.rows(name))

    def rows(self, name: str) -> Iterator[list[Cell]]:
        """The rows of the sheet ``name`` as :meth:`__getitem__` gives them, each made as it is asked
        for: a sheet read row by row is never held whole in Python ("Lịch sử" at 300,000 KPIs: its
        values as lists, then as cells, took 220 MiB besides calamine's own copy)."""
        if name not in self._names:
            raise KeyError(name)
        try:
            far, marks = self._package.sheet_marks(name, is_percent_format)
        except Exception as exc:
            if _stamp(self._path) != self._stamp:
                raise self._damaged(name, exc) from exc  # saved again meanwhile
            raise  # the package's own refusal (a part too large…), as it tells it
        if far:
            # Refused before calamine lays the sheet out as a grid: billions of cells would take the
            # machine's memory, and the process with it.
            raise FileUnusable("far-cell", (
                f"Trang tính '{name}' có ô ở {far}, quá xa vùng dữ liệu: đọc trang tính này cần hàng "
                f"tỷ ô. Hãy mở tệp, nhấn Ctrl+End để đến ô đó, xóa các dòng và cột thừa rồi lưu lại."
            ))
        return self._parsed(name, marks)

    def _parsed(self, name: str, marks) -> Iterator[list[Cell]]:
        try:
            sheet = self._book.get_sheet_by_name(name)
            start = sheet.start  # (None: no cell)
            # calamine's rows from the first, each from the first column with a cell: the columns
            # before it are put back, as read from A.
            values = sheet.iter_rows() if start is not None else iter(())
            yield from _cells(values, start[1] if start else 0, marks.errors, marks.styled, marks.totals)
        except Exception as exc:  # sheets are parsed on demand: a damaged one fails only here
            raise self._damaged(name, exc) from exc
        self._unread.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, name: object) -> bool:
        # Mapping's own would read the sheet to answer.
        return name in self._names

    def read_elsewhere(self, names: list[str]) -> None:
        """Note that the sheets ``names`` were parsed whole by another reader of the same file."""
        for name in names:
            self._unread.pop(name, None)

    def parse_unread(self, skip: str | None = None) -> None:
        """Parse, in workbook order, the sheets not yet read whole (but ``skip``), and drop them: the
        first damaged one raises, as when every sheet was loaded up front."""
        for name in list(self._unread):
            if name != skip:
                self[name]

    def close(self) -> None:
        """Release the file."""
        self._book.close()

    def __enter__(self) -> Grids:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _damaged(self, name: str, exc: Exception) -> FileUnusable:
        if _stamp(self._path) != self._stamp:
            # Not damaged: saved again (by Excel, a synchronised folder) while it was being read.
            return FileUnusable("file-changed", (
                f"Tệp '{self._path.name}' vừa được lưu lại trong lúc sheetkpi đang đọc. Hãy đợi việc lưu xong "
                "rồi chạy lại."
            ))
        return FileUnusable(
            "corrupt", f"Không đọc được trang tính '{name}' của tệp '{self._path.name}': dữ liệu bị hỏng "
            f"({exc.__class__.__name__}). Hãy mở tệp bằng Excel, kiểm tra rồi lưu lại.",
        )


def _stamp(path: Path) -> tuple[int, int] | None:
    """Size and modification time: what tells that a file was written since."""
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_size, info.st_mtime_ns


_SHARED = 1 << 14  # values of a kind a sheet's cells share at most (see _cells)


def _cells(rows: Iterator[list[Any]], lead: int, errors: Mapping[tuple[int, int], str],
           percent: set[tuple[int, int]] | tuple, totals: set[tuple[int, int]] | tuple) -> Iterator[list[Cell]]:
    """Calamine's rows (empty cells as "", the first ``lead`` columns left out) as rows of cells,
    trailing empties trimmed; ``errors``: (row, column) -> the error value it holds ("#REF!",
    which calamine reads as empty); ``percent``: (row, column) with a percentage format; ``totals``:
    (row, column) holding a =SUM() or =SUBTOTAL().

    A NaN (the only value unequal to itself) means a damaged sheet: no spreadsheet program writes one.

    Cells are never changed once read, so a text, a number or a date that comes again is the same
    cell (a unit tab repeats its statuses, dates, weights; "Lịch sử" its unit codes and figures):
    half the time on unit tabs, and less memory; up to :data:`_SHARED` values of a kind, then
    afresh (a sheet of unique texts does not keep them all for that). (Each kind has its own
    cells: 1 == 1.0 == True.)
    """
    marked_rows = {r for r, _ in percent} | {r for r, _ in totals}
    texts: dict[str, Cell] = {}
    numbers: dict[float, Cell] = {}
    dates: dict[dt.date, Cell] = {}
    blank = 0  # empty rows not given yet: given when a row with cells follows (none after the last)
    for r, values in enumerate(_values(rows, lead, errors), start=1):
        while values and values[-1] == "":
            values.pop()
        if r in marked_rows:
            cells = [
                EMPTY_CELL if v == "" else _marked(v, (r, c) in percent, (r, c) in totals) if v == v else _nan(r)
                for c, v in enumerate(values, start=1)
            ]
        else:
            cells = []
            add = cells.append
            for v in values:
                # (Each kind by its type, never by comparing across kinds: most cells are texts.)
                kind = type(v)
                if kind is str:
                    if not v:
                        add(EMPTY_CELL)
                        continue
                    same = texts
                elif kind is float:
                    if not v and math.copysign(1.0, v) < 0:
                        add(Cell(v))  # (-0.0 is no 0.0)
                        continue
                    same = numbers
                elif kind is dt.date:
                    same = dates
                else:
                    add(Cell(v))
                    continue
                cell = same.get(v)
                if cell is None:
                    if v != v:
                        _nan(r)
                    if len(same) >= _SHARED:
                        same.clear()
                    cell = same[v] = Cell(v)
                add(cell)
        if not cells:
            blank += 1
            continue
        for _ in range(blank):
            yield []
        blank = 0
        yield cells


def _values(rows: Iterator[list[Any]], lead: int, errors: Mapping[tuple[int, int], str]) -> Iterator[list[Any]]:
    """Calamine's rows as read from column A, with the error values put in (see :func:`_cells`),
    and the rows that hold only error values after calamine's last."""
    wrong: dict[int, list[tuple[int, str]]] = {}
    for (r, c), text in errors.items():
        wrong.setdefault(r, []).append((c, text))
    padding = [""] * lead
    last = 0
    for last, values in enumerate(rows, start=1):
        if lead:
            values = padding + values
        if last in wrong:
            _put(values, wrong[last])
        yield values
    for r in range(last + 1, max(wrong, default=0) + 1):
        values = []
        _put(values, wrong.get(r, ()))
        yield values


def _put(values: list[Any], errors: Iterable[tuple[int, str]]) -> None:
    for c, text in errors:
        values.extend("" for _ in range(c - len(values)))
        values[c - 1] = text


def _marked(value: Any, percent: bool, total: bool) -> Cell:
    return Cell(value, percent and isinstance(value, (int, float)), total)


def _nan(row: int) -> NoReturn:
    raise ValueError(f"NaN on row {row}")


