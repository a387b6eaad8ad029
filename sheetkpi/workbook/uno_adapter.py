"""A document open in LibreOffice Calc, offered to the Excel button's code as xlwings offers Excel.

The "SheetKPI" menu of the LibreOffice extension (``macros/SheetKPI.oxt``) runs the Excel button's
own path — :func:`sheetkpi.excel.recalculate` over :class:`~sheetkpi.workbook.xlwings_adapter.ExcelBook`
— on the current Calc document. Nothing of that path knows LibreOffice: this module answers the
few xlwings calls it makes (the list is in docs/excel.md and in ``tests/test_excel_adapter.py``'s
stand-in) with the UNO API, block for block:

- a block read is one ``getDataArray`` of the used area plus one ``queryContentCells(DATETIME)``
  (Calc holds dates as numbers; xlwings answers datetimes), a block write one ``setDataArray``;
- number formats, fonts, fills, alignment and borders are one property call per rectangle;
- what xlwings cannot do and the adapter asks of Excel's object model through ``sheet.api``
  (``ProtectContents``, ``PageSetup``) is answered by :class:`_SheetApi` with LibreOffice's own.

Excel's rules the adapter relies on hold here too: text arrives with the apostrophe that keeps Excel
from parsing it, and is stored as that text without it; a date written into a cell whose format
shows no date gets one (dd/mm/yyyy, as the file writer's).

Nothing here imports ``uno`` at import time, so ``import sheetkpi`` stays cheap and this module
imports anywhere; the UNO calls run in LibreOffice's own Python, where the extension's macro calls
:func:`recalculate` and :func:`write_memo`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..cells import parse_range
from ..layout import DATE_FORMAT  # what the file writer gives a date written into a General cell

TITLE = "SheetKPI"
MEMO_TIMEOUT_S = 300
XLSX_STORE = (("FilterName", "Calc MS Excel 2007 XML"), ("Overwrite", True))  # storeToURL's options for a copy

_VALUE, _DATETIME = 1, 2  # com.sun.star.sheet.CellFlags: numbers shown as numbers, as dates or times
_FORMULA = 16  # com.sun.star.sheet.CellFlags.FORMULA
_CLEAR_CONTENTS = _VALUE | _DATETIME | 4 | _FORMULA  # and STRING: what Excel's ClearContents empties
_CLEAR_ALL = 1023 & ~128  # every CellFlags but OBJECTS: what Excel's Clear empties (drawings stay)
_BOLD, _NORMAL = 150.0, 100.0  # com.sun.star.awt.FontWeight
_HALIGN = {"general": "STANDARD", "left": "LEFT", "center": "CENTER", "right": "RIGHT", "justify": "BLOCK",
           "fill": "REPEAT"}
_VALIGN = {"top": 1, "center": 2, "bottom": 3, "justify": 4}  # com.sun.star.table.CellVertJustify2
_THIN = 26  # 1/100 mm: LibreOffice's "thin" line, what Excel's thin continuous border becomes
_A4 = (21000, 29700)  # 1/100 mm
_MM100_PER_POINT = 2540 / 72
_MM100_PER_TWIP = 2540 / 1440
_DIGIT_TWIPS = 140  # the widest digit of Calibri 11, Excel's default font: when it cannot be measured


def _uno():
    import uno  # type: ignore[import-not-found]  (LibreOffice's Python only)

    return uno


# -- the entry points the extension's menu calls ----------------------------------------------------

def recalculate(doc: Any) -> str:
    """"Tính lại KPI" on the Calc document ``doc``: :func:`sheetkpi.excel.recalculate` over it, the
    whole run one undo step; returns the message it showed."""
    from .. import excel

    book = UnoBook(doc)
    with book.undo_step("Tính lại KPI (SheetKPI)"):
        return excel.recalculate(book, memo=False)


def validate(doc: Any) -> str:
    """"Kiểm tra" on the Calc document ``doc``: :func:`sheetkpi.excel.validate` over it (reads only)."""
    from .. import excel

    return excel.validate(UnoBook(doc))


def write_memo(doc: Any, python: str | None = None, sheetkpi_root: str | None = None) -> str:
    """"Tạo báo cáo": the memo (Word, HTML, text) of the document as it is now, beside its file.

    The memo needs packages LibreOffice's own Python seldom has (jinja2, docxtpl, matplotlib), so it
    is made by ``python`` (a Python where ``sheetkpi[memo]`` is installed) from a copy of the
    document stored in a temporary folder, with ``sheetkpi_root`` first on its path so that it runs
    the same sheetkpi as the macro. Returns the message it showed."""
    from .. import excel

    return excel.run_action(lambda book: _memo(book, python, sheetkpi_root), UnoBook(doc))


def _memo(book: UnoBook, python: str | None, sheetkpi_root: str | None) -> tuple[str, str]:
    folder = Path(book.fullname).parent
    if not book.doc.hasLocation() or not folder.is_dir():
        return "Chưa tạo báo cáo: sổ tính chưa được lưu vào một thư mục trên máy (hãy lưu rồi bấm lại).", "critical"
    python = python or _default_python()
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    if sheetkpi_root:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [sheetkpi_root, env.get("PYTHONPATH")]))
    with tempfile.TemporaryDirectory(prefix="sheetkpi-memo-") as tmp:
        copy = Path(tmp) / Path(book.fullname).with_suffix(".xlsx").name
        uno = _uno()
        direct = uno.Enum("com.sun.star.beans.PropertyState", "DIRECT_VALUE")
        options = tuple(uno.createUnoStruct("com.sun.star.beans.PropertyValue", name, 0, value, direct)
                        for name, value in XLSX_STORE)
        book.doc.storeToURL(uno.systemPathToFileUrl(str(copy)), options)
        try:
            run = subprocess.run([python, "-m", "sheetkpi", "memo", str(copy), "-o", str(folder)],
                                 capture_output=True, text=True, timeout=MEMO_TIMEOUT_S, env=env,
                                 encoding="utf-8", errors="replace",
                                 # no console window flashing over LibreOffice on Windows
                                 creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0))
        except OSError as exc:
            return (f"Không chạy được Python '{python}' để tạo báo cáo ({exc.strerror or exc}). Hãy cài Python và "
                    "sheetkpi[memo], rồi ghi đường dẫn python vào tệp cấu hình (xem macros/README.md)."), "critical"
        except subprocess.TimeoutExpired:
            return f"Tạo báo cáo quá {MEMO_TIMEOUT_S} giây nên đã dừng; hãy thử lại.", "critical"
    said = (run.stdout + run.stderr).strip()
    if run.returncode != 0:
        return f"Chưa tạo được báo cáo:\n{said[-1500:]}", "critical"
    return said or f"Đã tạo báo cáo trong thư mục {folder}.", "info"


def _default_python() -> str:
    """A Python on PATH: LibreOffice's own Python has no pip packages to make a memo with."""
    import shutil

    names = ("python", "py") if sys.platform == "win32" else ("python3", "python")
    return next((found for found in map(shutil.which, names) if found), names[0])


# -- the book ---------------------------------------------------------------------------------------

class UnoBook:
    """xlwings.Book over a Calc document: ``sheets``, ``fullname``, ``app``."""

    def __init__(self, doc: Any) -> None:
        self.doc = doc
        self.app = _App(doc)
        self.sheets = _Sheets(self)
        self._formats: dict[str, int] = {}  # format code -> key in this document
        self.null_date = dt.datetime(doc.NullDate.Year, doc.NullDate.Month, doc.NullDate.Day)
        self._char_width: float | None = None

    @property
    def char_width(self) -> float:
        """Excel's column width unit (the widest digit of the default font) in 1/100 mm, measured as
        LibreOffice's xlsx filter measures it when it reads or writes <col width> (the document's
        reference device, the font's size in twips given as its height), so that a width set here
        is stored as the file writer stores it."""
        if self._char_width is None:
            uno = _uno()
            twips = _DIGIT_TWIPS
            with contextlib.suppress(Exception):  # no reference device: Calibri 11's
                default = self.doc.StyleFamilies.getByName("CellStyles").getByName("Default")
                font = uno.createUnoStruct("com.sun.star.awt.FontDescriptor")
                font.Name, font.Height = default.CharFontName, round(default.CharHeight * 20)
                measured = self.doc.ReferenceDevice.getFont(font)
                twips = max(measured.getCharWidth(digit) for digit in "0123456789") or _DIGIT_TWIPS
            self._char_width = twips * _MM100_PER_TWIP
        return self._char_width

    @property
    def fullname(self) -> str:
        """The file's path, or its title while it has never been saved (as Excel answers)."""
        if self.doc.hasLocation():
            return _uno().fileUrlToSystemPath(self.doc.getLocation())
        return self.doc.Title

    @contextlib.contextmanager
    def undo_step(self, title: str) -> Iterator[None]:
        """Everything done inside is one entry of Calc's undo list (Ctrl+Z takes the whole run back)."""
        undo = self.doc.UndoManager
        undo.enterUndoContext(title)
        try:
            yield
        finally:
            undo.leaveUndoContext()

    def format_key(self, code: str) -> int:
        """The key of a number format code written as Excel writes it (en-US), added when new."""
        if code not in self._formats:
            uno = _uno()
            locale = uno.createUnoStruct("com.sun.star.lang.Locale", "en", "US", "")
            formats = self.doc.NumberFormats
            key = formats.queryKey(code, locale, False)
            self._formats[code] = key if key != -1 else formats.addNew(code, locale)
        return self._formats[code]

    def format_code(self, key: int) -> str:
        return self.doc.NumberFormats.getByKey(key).FormatString


class _App:
    """xlwings.App: ``properties()`` around a run and ``alert()``."""

    def __init__(self, doc: Any) -> None:
        self._doc = doc

    @contextlib.contextmanager
    def properties(self, screen_updating: bool = True, calculation: str = "automatic",
                   enable_events: bool = True) -> Iterator[_App]:
        """Screen updates and automatic calculation off for the run, as xlwings sets Excel's; both are
        restored (and the formulas recalculated) when it ends, also on failure. Calc has no switch for
        document events: ``enable_events`` is accepted and has nothing to turn off."""
        doc = self._doc
        automatic, heights = doc.isAutomaticCalculationEnabled(), doc.IsAdjustHeightEnabled
        if not screen_updating:
            doc.lockControllers()
            doc.addActionLock()
            # Calc fits row heights after every formatting call, over the whole range (a tenth of a
            # second a call on 10,000 rows); Excel's macros do not, nor does the file writer.
            doc.IsAdjustHeightEnabled = False
        if calculation == "manual":
            doc.enableAutomaticCalculation(False)
        try:
            yield self
        finally:
            doc.enableAutomaticCalculation(automatic)
            if automatic:
                doc.calculate()
            if not screen_updating:
                doc.IsAdjustHeightEnabled = heights
                doc.removeActionLock()
                doc.unlockControllers()

    def alert(self, prompt: str, title: str | None = None, buttons: str = "ok", mode: str | None = None,
              callback=None) -> str:
        """A message box over the document's window (headless LibreOffice shows none and goes on)."""
        uno = _uno()
        ctx = uno.getComponentContext()
        toolkit = ctx.ServiceManager.createInstanceWithContext("com.sun.star.awt.Toolkit", ctx)
        kind = uno.Enum("com.sun.star.awt.MessageBoxType", "ERRORBOX" if mode == "critical" else "INFOBOX")
        parent = self._doc.CurrentController.Frame.ContainerWindow
        box = toolkit.createMessageBox(parent, kind, 1, title or TITLE, prompt)  # 1: MessageBoxButtons.BUTTONS_OK
        box.execute()
        box.dispose()
        return "ok"


class _Sheets:
    """xlwings.main.Sheets: iteration, ``len``, by position or name, ``add``."""

    def __init__(self, book: UnoBook) -> None:
        self._book = book

    def _all(self):
        return self._book.doc.Sheets

    def __iter__(self) -> Iterator[_Sheet]:
        sheets = self._all()
        return iter([_Sheet(self._book, sheets.getByIndex(i)) for i in range(sheets.Count)])

    def __len__(self) -> int:
        return self._all().Count

    def __getitem__(self, key: int | str) -> _Sheet:
        sheets = self._all()
        if isinstance(key, int):
            return _Sheet(self._book, sheets.getByIndex(key))
        if sheets.hasByName(key):
            return _Sheet(self._book, sheets.getByName(key))
        folded = key.casefold()  # Excel finds sheets regardless of case
        name = next((n for n in sheets.ElementNames if n.casefold() == folded), None)
        if name is None:
            raise KeyError(key)
        return _Sheet(self._book, sheets.getByName(name))

    def add(self, name: str | None = None, before: _Sheet | None = None, after: _Sheet | None = None) -> _Sheet:
        sheets = self._all()
        if before is not None:
            position = before.index
        elif after is not None:
            position = after.index + 1
        else:
            position = 0
        sheets.insertNewByName(name, position)
        return self[name]


class _Sheet:
    """xlwings.Sheet: ``name``, ``used_range``, ``range``, ``charts``, ``api``."""

    def __init__(self, book: UnoBook, uno_sheet: Any) -> None:
        self.book = book
        self.uno = uno_sheet
        self.name = uno_sheet.Name
        self.charts = _Charts(self)

    @property
    def index(self) -> int:
        return self.uno.RangeAddress.Sheet

    @property
    def api(self) -> _SheetApi:
        return _SheetApi(self)

    @property
    def used_range(self) -> _Range:
        cursor = self.uno.createCursor()
        cursor.gotoStartOfUsedArea(False)
        cursor.gotoEndOfUsedArea(True)
        a = cursor.RangeAddress
        return _Range(self, a.StartRow + 1, a.StartColumn + 1, a.EndRow + 1, a.EndColumn + 1)

    def clear(self) -> None:
        """xlwings' Sheet.clear: values, formats and merges go; charts and pictures stay."""
        cursor = self.uno.createCursor()
        cursor.gotoEndOfUsedArea(False)
        whole = self.uno.getCellRangeByPosition(0, 0, cursor.RangeAddress.EndColumn, cursor.RangeAddress.EndRow)
        whole.merge(False)
        whole.clearContents(_CLEAR_ALL)

    def range(self, cell1: tuple[int, int] | str, cell2: tuple[int, int] | None = None) -> _Range:
        if isinstance(cell1, str):
            return _Range(self, *parse_range(cell1))
        r1, c1 = cell1
        r2, c2 = cell2 or cell1
        return _Range(self, min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2))


class _Range:
    """xlwings.Range over a rectangle (1-based, inclusive) of a Calc sheet."""

    def __init__(self, sheet: _Sheet, r1: int, c1: int, r2: int, c2: int, ndim: int | None = None) -> None:
        self._sheet, self._box, self._ndim = sheet, (r1, c1, r2, c2), ndim

    def _cells(self, box: tuple[int, int, int, int] | None = None):
        r1, c1, r2, c2 = box or self._box
        return self._sheet.uno.getCellRangeByPosition(c1 - 1, r1 - 1, c2 - 1, r2 - 1)

    @property
    def row(self) -> int:
        return self._box[0]

    @property
    def column(self) -> int:
        return self._box[1]

    @property
    def last_cell(self) -> _Range:
        r2, c2 = self._box[2:]
        return _Range(self._sheet, r2, c2, r2, c2)

    def options(self, ndim: int | None = None, **kwargs) -> _Range:
        if kwargs:
            raise NotImplementedError(f"options {sorted(kwargs)}")
        return _Range(self._sheet, *self._box, ndim=ndim)

    # values

    @property
    def value(self) -> Any:
        """The block as xlwings answers it: rows of values, empty cells None, dates datetimes, every
        number a float; a single cell alone as its value unless ``options(ndim=2)``."""
        cells = self._cells()
        rows = [[None if v == "" else v for v in row] for row in cells.getDataArray()]
        r1, c1 = self._box[:2]
        null = self._sheet.book.null_date
        for a in cells.queryContentCells(_DATETIME).RangeAddresses:
            for r in range(a.StartRow + 1 - r1, a.EndRow + 2 - r1):
                row = rows[r]
                for c in range(a.StartColumn + 1 - c1, a.EndColumn + 2 - c1):
                    row[c] = null + dt.timedelta(days=row[c])
        if self._ndim == 2 or len(rows) > 1 or len(rows[0]) > 1:
            if self._ndim != 2:
                raise NotImplementedError("a block is read with options(ndim=2)")
            return rows
        return rows[0][0]

    @value.setter
    def value(self, rows: list[list[Any]]) -> None:
        """Write a 2-D list from this range's top-left cell in one call."""
        r1, c1 = self._box[:2]
        width = max(len(row) for row in rows)
        null = self._sheet.book.null_date
        dates: list[tuple[int, int]] = []
        data = []
        for i, row in enumerate(rows):
            out = []
            for j, v in enumerate([*row, *[None] * (width - len(row))]):
                if isinstance(v, dt.date):
                    dates.append((r1 + i, c1 + j))
                    day = v if isinstance(v, dt.datetime) else dt.datetime.combine(v, dt.time())
                    v = (day - null) / dt.timedelta(days=1)
                elif isinstance(v, str):
                    v = v[1:] if v.startswith("'") else v  # Excel's "this is text" mark is not part of the value
                elif v is None:
                    v = ""  # an empty cell (setDataArray has no "nothing")
                elif isinstance(v, (bool, int)):
                    v = float(v)
                out.append(v)
            data.append(tuple(out))
        self._cells((r1, c1, r1 + len(rows) - 1, c1 + width - 1)).setDataArray(tuple(data))
        if dates:
            self._date_formats(dates)

    def _date_formats(self, cells: list[tuple[int, int]]) -> None:
        """As Excel does when a date is typed into a General cell, and the file writer when it writes
        one into an unstyled cell: a date written where the format shows no date gets dd/mm/yyyy.
        Three calls however many cells: the cells gathered in one range list, Calc asked which of
        them hold numbers not shown as dates, the format set on those."""
        from .xlwings_adapter import rectangles

        uno, book, index = _uno(), self._sheet.book, self._sheet.index
        targets = book.doc.createInstance("com.sun.star.sheet.SheetCellRanges")
        targets.addRangeAddresses(tuple(
            uno.createUnoStruct("com.sun.star.table.CellRangeAddress", index, c1 - 1, r1 - 1, c2 - 1, r2 - 1)
            for r1, c1, r2, c2 in rectangles(cells)), False)
        plain = targets.queryContentCells(_VALUE)
        if plain.Count:
            plain.NumberFormat = book.format_key(DATE_FORMAT)

    def clear_contents(self) -> None:
        self._cells().clearContents(_CLEAR_CONTENTS)

    # formats

    @property
    def number_format(self) -> str | None:
        """The format code, or None when the cells' formats differ (as Excel answers)."""
        cells = self._cells()
        if cells.getPropertyState("NumberFormat").value == "AMBIGUOUS_VALUE":
            return None
        return self._sheet.book.format_code(cells.NumberFormat)

    @number_format.setter
    def number_format(self, code: str) -> None:
        self._cells().NumberFormat = self._sheet.book.format_key(code)

    @property
    def font(self) -> _Font:
        return _Font(self)

    @property
    def borders(self) -> _Borders:
        return _Borders(self)

    def _set(self, name: str, value: Any) -> None:
        self._cells().setPropertyValue(name, value)

    @property
    def color(self) -> None:
        raise NotImplementedError("not read by the adapter")

    @color.setter
    def color(self, value: str | None) -> None:
        cells = self._cells()
        if value is None:
            cells.IsCellBackgroundTransparent = True
            cells.CellBackColor = -1
        else:
            cells.CellBackColor = int(value.lstrip("#"), 16)

    wrap_text = property(None, lambda self, v: self._set("IsTextWrapped", bool(v)))
    horizontal_alignment = property(
        None, lambda self, v: self._set("HoriJustify", _uno().Enum("com.sun.star.table.CellHoriJustify", _HALIGN[v])))
    vertical_alignment = property(None, lambda self, v: self._set("VertJustify", _VALIGN[v]))

    def merge(self, across: bool = False) -> None:
        """Merge the range, or each of its rows (``across``), as Excel does."""
        r1, c1, r2, c2 = self._box
        for box in [(r, c1, r, c2) for r in range(r1, r2 + 1)] if across else [self._box]:
            self._cells(box).merge(True)

    @property
    def rows(self) -> _Rows:
        return _Rows(self)

    @property
    def row_height(self) -> None:
        raise NotImplementedError("not read by the adapter")

    @row_height.setter
    def row_height(self, points: float) -> None:
        rows = self._cells().Rows
        rows.OptimalHeight = False
        rows.Height = round(points * _MM100_PER_POINT)

    @property
    def column_width(self) -> None:
        raise NotImplementedError("not read by the adapter")

    @column_width.setter
    def column_width(self, chars: float) -> None:
        """Widths in Excel's unit (characters of the default font), as the file writer's <col width>."""
        self._cells().Columns.Width = round(chars * self._sheet.book.char_width)

    # geometry, in points as xlwings answers (Calc answers 1/100 mm)

    def _geometry(self) -> tuple[float, float, float, float]:
        cells = self._cells()
        p, s = cells.Position, cells.Size
        return tuple(v / _MM100_PER_POINT for v in (p.X, p.Y, s.Width, s.Height))

    left = property(lambda self: self._geometry()[0])
    top = property(lambda self: self._geometry()[1])
    width = property(lambda self: self._geometry()[2])
    height = property(lambda self: self._geometry()[3])


class _Rows:
    """xlwings' RangeRows: ``autofit``, Calc's optimal row height."""

    def __init__(self, rng: _Range) -> None:
        self._rng = rng

    def autofit(self) -> None:
        # Calc shows a hidden row again when its height is fitted; Excel does not: only visible rows.
        visible = self._rng._cells().queryVisibleCells()
        for block in visible.getRangeAddresses():
            sheet = self._rng._sheet.uno
            sheet.getCellRangeByPosition(block.StartColumn, block.StartRow, block.EndColumn,
                                         block.EndRow).Rows.OptimalHeight = True


class _Font:
    """xlwings.main.Font: bold, italic, size, color (set only)."""

    def __init__(self, rng: _Range) -> None:
        self._rng = rng

    bold = property(None, lambda self, v: self._rng._set("CharWeight", _BOLD if v else _NORMAL))
    italic = property(None, lambda self, v: self._rng._set(
        "CharPosture", _uno().Enum("com.sun.star.awt.FontSlant", "ITALIC" if v else "NONE")))
    size = property(None, lambda self, v: self._rng._set("CharHeight", float(v)))
    color = property(None, lambda self, v: self._rng._set("CharColor", int(v.lstrip("#"), 16)))


class _Borders:
    """xlwings.main.Borders: ``line_style`` of the edges and the inside lines ("All Borders")."""

    def __init__(self, rng: _Range) -> None:
        self._rng = rng

    @property
    def line_style(self) -> None:
        raise NotImplementedError("not read by the adapter")

    @line_style.setter
    def line_style(self, style: str | None) -> None:
        uno = _uno()
        line = uno.createUnoStruct("com.sun.star.table.BorderLine2")
        if style == "continuous":
            line.LineWidth = line.OuterLineWidth = _THIN
        elif style is not None:
            raise NotImplementedError(f"line style {style!r}")
        border = uno.createUnoStruct("com.sun.star.table.TableBorder2")
        for side in ("Top", "Bottom", "Left", "Right", "Horizontal", "Vertical"):
            setattr(border, f"{side}Line", line)
            setattr(border, f"Is{side}LineValid", True)
        self._rng._set("TableBorder2", border)


# -- charts -----------------------------------------------------------------------------------------

class _Charts:
    """xlwings.main.Charts: by the name of the chart's shape (what Excel and the file writer name)."""

    def __init__(self, sheet: _Sheet) -> None:
        self._sheet = sheet

    def _shape(self, name: str):
        page = self._sheet.uno.DrawPage
        for i in range(page.Count):
            shape = page.getByIndex(i)
            if shape.ShapeType == "com.sun.star.drawing.OLE2Shape" and shape.Name == name:
                return shape
        return None

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._shape(name) is not None

    def __getitem__(self, name: str) -> _Chart:
        shape = self._shape(name)
        if shape is None:
            raise KeyError(name)
        return _Chart(self._sheet, shape)

    def add(self, left: float = 0, top: float = 0, width: float = 355, height: float = 211, chart_type=None,
            source=None, plot_by=None, name: str | None = None, anchor=None, style=227) -> _Chart:
        uno = _uno()
        rect = uno.createUnoStruct("com.sun.star.awt.Rectangle", *(round(v * _MM100_PER_POINT)
                                                                  for v in (left, top, width, height)))
        charts = self._sheet.uno.Charts
        persist = f"SheetKPI {len(charts.ElementNames) + 1}"
        while charts.hasByName(persist):
            persist += "+"
        first = self._sheet.range((1, 1))._cells().RangeAddress
        charts.addNewByName(persist, rect, (first,), False, False)
        page = self._sheet.uno.DrawPage
        shape = next(page.getByIndex(i) for i in range(page.Count)
                     if getattr(page.getByIndex(i), "PersistName", None) == persist)
        shape.Name = name or persist
        return _Chart(self._sheet, shape)


class _Chart:
    """xlwings.main.Chart: what the adapter sets (type, data, categories, series names, title, place)."""

    def __init__(self, sheet: _Sheet, shape: Any) -> None:
        self._sheet, self._shape = sheet, shape
        self.name = shape.Name

    @property
    def _doc(self):
        return self._shape.Model  # the chart2 document

    def _place(self, index: int, points: float) -> None:
        mm100 = round(points * _MM100_PER_POINT)
        if index < 2:
            p = self._shape.Position
            setattr(p, "XY"[index], mm100)
            self._shape.Position = p
        else:
            s = self._shape.Size
            setattr(s, ("Width", "Height")[index - 2], mm100)
            self._shape.Size = s

    left = property(None, lambda self, v: self._place(0, v))
    top = property(None, lambda self, v: self._place(1, v))
    width = property(None, lambda self, v: self._place(2, v))
    height = property(None, lambda self, v: self._place(3, v))

    @property
    def chart_type(self) -> None:
        raise NotImplementedError("not read by the adapter")

    @chart_type.setter
    def chart_type(self, kind: str) -> None:
        if kind != "column_clustered":
            raise NotImplementedError(kind)
        table = self._sheet.uno.Charts.getByName(self._shape.PersistName).EmbeddedObject
        diagram = table.createInstance("com.sun.star.chart.BarDiagram")
        table.setDiagram(diagram)
        diagram.Vertical = False  # bars standing up: columns
        diagram.Stacked = False

    def _chart_type(self):
        return self._doc.getFirstDiagram().getCoordinateSystems()[0].getChartTypes()[0]

    def set_source_data(self, source: _Range, plot_by: str | None = None) -> None:
        """One series per column of ``source`` (values only: names and categories are set apart)."""
        if plot_by != "columns":
            raise NotImplementedError(f"plot_by={plot_by!r}")
        provider = self._doc.getDataProvider()
        r1, c1, r2, c2 = source._box
        chart_type = self._chart_type()
        template = chart_type.getDataSeries()
        series = []
        for c in range(c1, c2 + 1):
            values = provider.createDataSequenceByRangeRepresentation(
                source._sheet.range((r1, c), (r2, c))._cells().AbsoluteName)
            values.Role = "values-y"
            labeled = self._labeled(values, None)
            one = template[c - c1] if c - c1 < len(template) else self._new_series()
            one.setData((labeled,))
            series.append(one)
        chart_type.setDataSeries(tuple(series))

    def _new_series(self):
        ctx = _uno().getComponentContext()
        return ctx.ServiceManager.createInstanceWithContext("com.sun.star.chart2.DataSeries", ctx)

    @staticmethod
    def _labeled(values, label):
        ctx = _uno().getComponentContext()
        labeled = ctx.ServiceManager.createInstanceWithContext("com.sun.star.chart2.data.LabeledDataSequence", ctx)
        labeled.setValues(values)
        if label is not None:
            labeled.setLabel(label)
        return labeled

    def set_x_axis_values(self, source: _Range) -> None:
        axis = self._doc.getFirstDiagram().getCoordinateSystems()[0].getAxisByDimension(0, 0)
        scale = axis.getScaleData()
        values = self._doc.getDataProvider().createDataSequenceByRangeRepresentation(source._cells().AbsoluteName)
        values.Role = "categories"
        scale.Categories = self._labeled(values, None)
        axis.setScaleData(scale)

    @property
    def series(self) -> list[_Series]:
        return [_Series(self, s) for s in self._chart_type().getDataSeries()]

    @property
    def title(self) -> None:
        raise NotImplementedError("not read by the adapter")

    @title.setter
    def title(self, text: str) -> None:
        table = self._sheet.uno.Charts.getByName(self._shape.PersistName).EmbeddedObject
        table.HasMainTitle = True
        table.Title.String = text


class _Series:
    """xlwings.main.ChartSeries: ``name`` (a literal label, as Excel's Series.Name)."""

    def __init__(self, chart: _Chart, series: Any) -> None:
        self._chart, self._series = chart, series

    @property
    def name(self) -> None:
        raise NotImplementedError("not read by the adapter")

    @name.setter
    def name(self, text: str) -> None:
        provider = self._chart._doc.getDataProvider()
        label = provider.createDataSequenceByRangeRepresentation('"' + text.replace('"', '""') + '"')
        label.Role = "label"
        (labeled,) = self._series.getDataSequences()[:1]
        labeled.setLabel(label)


# -- what the adapter asks of Excel's object model (``sheet.api``) ----------------------------------

class _SheetApi:
    """The two parts of Excel's Worksheet the adapter uses: ``ProtectContents`` and ``PageSetup``."""

    def __init__(self, sheet: _Sheet) -> None:
        self._sheet = sheet

    @property
    def ProtectContents(self) -> bool:  # noqa: N802 (Excel's name)
        return bool(self._sheet.uno.isProtected())

    @property
    def PageSetup(self) -> _PageSetup:  # noqa: N802 (Excel's name)
        return _PageSetup(self._sheet)


class _PageSetup:
    """Excel's PageSetup as far as the adapter sets it, on a page style of the sheet's own (Calc's page
    styles are shared: the new sheet's "Default" would change every other sheet's printing)."""

    def __init__(self, sheet: _Sheet) -> None:
        self._sheet = sheet

    def _style(self):
        sheet = self._sheet.uno
        styles = self._sheet.book.doc.StyleFamilies.getByName("PageStyles")
        own = f"SheetKPI {sheet.Name}"
        if sheet.PageStyle != own:
            if not styles.hasByName(own):
                styles.insertByName(own, self._sheet.book.doc.createInstance("com.sun.star.style.PageStyle"))
            sheet.PageStyle = own
        return styles.getByName(own)

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_"):
            object.__setattr__(self, name, value)
            return
        style = self._style()
        if name == "PrintTitleRows":  # "$1:$6"
            first, last = (int(part.strip("$")) for part in value.split(":"))
            rows = self._sheet.range((first, 1), (last, 1))._cells().RangeAddress
            self._sheet.uno.setTitleRows(rows)
            self._sheet.uno.setPrintTitleRows(True)
        elif name == "Orientation":  # xlPortrait 1, xlLandscape 2
            landscape = value == 2
            short, long_ = sorted((style.Width, style.Height))
            style.IsLandscape = landscape
            style.Width, style.Height = (long_, short) if landscape else (short, long_)
        elif name == "PaperSize":  # xlPaperA4 9
            if value != 9:
                raise NotImplementedError(f"PaperSize {value}")
            style.Width, style.Height = (_A4[1], _A4[0]) if style.IsLandscape else _A4
        elif name == "Zoom":  # False: scale by FitToPages*
            if value is not False:
                style.PageScale = int(value)
        elif name == "FitToPagesWide":
            style.ScaleToPagesX = int(value or 0)
        elif name == "FitToPagesTall":
            style.ScaleToPagesY = int(value or 0)
        else:
            raise NotImplementedError(f"PageSetup.{name}")
