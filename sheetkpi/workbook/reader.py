"""Read a "Bảng giao KPI" workbook into the model, and note where each engine-owned cell lives.

Reading only: cell values (cached results for formulas) come from python-calamine, which parses a
100,000-row workbook in a fraction of a second; the one number format the rules need (is a number a
percentage?) comes from the package's styles and the ``s`` attributes of the cells that use a
percentage format. Columns and settings are found by folded header text, so a user's workbook may
order or spell its headers differently (SPEC §3).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping

from ..errors import FileUnusable, NoUnitTab
from ..model import KPI, CellAddresses, Settings, Tracker, Unit
from ..parsing.deadlines import parse_deadline
from ..parsing.numbers import is_percent_format, parse_progress, parse_vn_number, parse_weight, parse_target, indicator_progress
from ..parsing.text import clean_text, fold, looks_like_legacy_vn
from ..report import Issue, make_issue
from . import layout
from .cells import address, col_letter

if TYPE_CHECKING:  # the package writer (lxml) is imported only when a file is read
    from .package import Package

# folded header text -> field name
_HEADER_KEYS: dict[str, str] = {}
for _field, _label in layout.COLUMNS.items():
    _HEADER_KEYS[fold(_label)] = _field
for _field, _aliases in layout.COLUMN_ALIASES.items():
    for _alias in _aliases:
        _HEADER_KEYS.setdefault(fold(_alias), _field)
_SETTING_KEYS = {fold(label): key for key, label in layout.SETTINGS_LABELS.items()}
_TOTAL_KEY = fold(layout.TOTAL_LABEL)
# Folding keeps every letter, digit and "_" of a text and drops only spaces, punctuation, marks and
# invisible characters, so a text folds to a key only if it has as many of them as the key: a
# cheap test that spares folding the 100,000 titles and codes that cannot be a header or "Tổng cộng".
_NOT_WORD = re.compile(r"\W+")
NON_UNIT_KEYS = {fold(name) for name in layout.NON_UNIT_SHEETS}  # folded names of sheets that are never unit tabs


@dataclass(slots=True)
class Cell:
    """A cell value as read, with whether its number format is a percentage.

    Cells are never changed once read (a 100,000-row workbook has millions of them: empty ones
    share one instance).
    """

    value: Any
    percent: bool = False


Grid = list[list[Cell]]  # rows of cells, 0-based; row index + 1 = sheet row


@dataclass
class UnitLayout:
    """Where a unit tab keeps things, for writing the engine-owned cells back."""

    sheet: str
    header_row: int
    columns: dict[str, int]  # field -> 1-based column
    kpi_rows: list[int]
    total_row: int | None  # existing "Tổng cộng" row
    free_row_after: int | None  # an empty row where a missing total row may be added
    missing_engine_columns: list[str] = field(default_factory=list)
    last_used_col: int = 0  # the rightmost column holding anything, on any row

    def column(self, name: str) -> int:
        return self.columns[name]


@dataclass
class HistoryLayout:
    """The "Lịch sử" sheet as found: its key rows and its report-date columns."""

    header_row: int
    rows: dict[tuple[str, str], int]  # (unit code, KPI key) -> row
    dates: dict[dt.date, int]  # report date -> column
    last_row: int
    last_col: int


@dataclass
class WorkbookData:
    """Everything :func:`read_workbook` learnt: the model plus the layout needed to write back."""

    path: Path
    tracker: Tracker
    sheet_names: list[str]
    units: dict[str, UnitLayout]  # by sheet name
    history: HistoryLayout | None
    summary_sheet: str | None  # the workbook's own names of "Tổng hợp" and "Lịch sử", if it has them
    history_sheet: str | None


def read_workbook(path: str | Path, package: Package | None = None) -> WorkbookData:
    """Read every unit tab, the settings and the history of the workbook at ``path`` (``package``:
    the same file already opened, so that it is not opened again)."""
    path = Path(path)
    with load_grids(path, package) as sheets:
        # "Tổng hợp" is sheetkpi's own output, rewritten whole by every run: nothing in it is read,
        # and parsing it (80,000 rows after a run over 100,000 KPIs) only to look for damage would
        # cost as much as reading 10,000 KPIs.
        owned = _find_name(sheets, layout.SHEET_SUMMARY)
        try:
            data = read_grids(sheets, path)
        except Exception:
            # The first damaged sheet in workbook order is what is reported, whatever else went
            # wrong: as when every sheet was parsed before reading. (Not a finally: an interrupt
            # must stop at once, not parse the sheets left.)
            sheets.parse_unread(skip=owned)
            raise
        sheets.parse_unread(skip=owned)  # a damaged sheet stops the run even when nothing reads it
    return data


def read_grids(sheets: Mapping[str, Grid], path: Path) -> WorkbookData:
    """The model and layouts from every sheet's grid, in workbook order, however the grids were read
    (from the file here, from the open workbook by the Excel adapter). Each grid is asked for once,
    so a :class:`Grids` holds one sheet's cells at a time."""
    names = list(sheets)
    issues: list[Issue] = []
    config = _find_name(sheets, layout.SHEET_CONFIG)
    settings, declared = read_settings(sheets[config] if config else None, issues)
    by_sheet = {fold(d["sheet"]): d for d in declared}
    units: list[Unit] = []
    layouts: dict[str, UnitLayout] = {}
    problems: list[str] = []
    shared: dict[str, str] = {}  # the texts read, each kept once (see read_unit)
    # The history first: its grid, a row per KPI, is dropped before the KPIs are made, and the
    # memory it took is reused for them instead of staying scattered among them.
    history_sheet = _find_name(sheets, layout.SHEET_HISTORY)
    history, history_layout = read_history(sheets[history_sheet], shared) if history_sheet else ({}, None)
    for name in names:
        if fold(name) in NON_UNIT_KEYS:
            continue
        grid = sheets[name]
        found = find_header(grid)
        decl = by_sheet.get(fold(name))
        if found is None:
            if decl:
                problems.append(f"'{name}': không có dòng tiêu đề với các cột {_required_labels()}")
            continue
        header_row, columns = found
        missing = _missing_required(columns)
        if missing:
            if decl:
                problems.append(f"'{name}': thiếu cột {', '.join(repr(m) for m in missing)}")
            continue
        code = decl["code"] if decl else name
        unit_name = decl["name"] if decl and decl["name"] else _unit_name_from_title(grid, header_row) or name
        unit, unit_layout = read_unit(grid, name, code, unit_name, header_row, columns, settings.plan_year, shared)
        if not decl and declared:
            unit.issues.append(make_issue("unit-not-in-config", sheet=name, unit=code))
        units.append(unit)
        layouts[name] = unit_layout
    present = {fold(n) for n in names}
    for d in declared:
        if fold(d["sheet"]) not in present:
            issues.append(make_issue("unit-sheet-missing", code=d["code"], missing=d["sheet"], sheet=layout.SHEET_CONFIG))
    if problems:
        raise NoUnitTab("missing-columns", "Trang tính đơn vị thiếu cột bắt buộc: " + "; ".join(problems))
    if not units:
        raise NoUnitTab(
            "no-unit-tab",
            "Không tìm thấy trang tính đơn vị nào: cần một dòng tiêu đề có các cột "
            f"{_required_labels()}.",
        )
    _flag_duplicates(units)
    tracker = Tracker(settings=settings, units=units, history=history, issues=issues)
    return WorkbookData(
        path=path,
        tracker=tracker,
        sheet_names=names,
        units=layouts,
        history=history_layout,
        summary_sheet=_find_name(sheets, layout.SHEET_SUMMARY),
        history_sheet=history_sheet,
    )


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

        package = package or Package.open(path)
        self._path = path
        # The package is opened first: its checks (size limits, DTDs) run before anything is parsed.
        # It also tells what calamine does not: percentage formats, and error values (calamine reads
        # "#REF!" as an empty cell).
        self._marks = package.format_and_error_cells(is_percent_format)
        try:
            self._book = CalamineWorkbook.from_path(str(path))
        except Exception as exc:  # calamine raises several kinds for a broken package
            raise FileUnusable("corrupt", f"Không đọc được tệp '{path.name}': tệp hỏng hoặc không phải bảng tính Excel ({exc.__class__.__name__}).") from exc
        try:
            # chart and dialog sheets hold no cells
            names = [meta.name for meta in self._book.sheets_metadata if meta.typ == SheetTypeEnum.WorkSheet]
        except Exception as exc:
            self._book.close()
            raise self._damaged("", exc) from exc
        self._names = dict.fromkeys(names)  # in workbook order
        self._unread = dict.fromkeys(names)  # a sheet leaves once parsed whole

    def __getitem__(self, name: str) -> Grid:
        if name not in self._names:
            raise KeyError(name)
        percent, errors = self._marks.get(name, ((), {}))
        try:
            rows = self._book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            for (r, c), text in errors.items():
                rows.extend([] for _ in range(r - len(rows)))
                rows[r - 1].extend("" for _ in range(c - len(rows[r - 1])))
                rows[r - 1][c - 1] = text
            grid = _grid(rows, percent)
        except Exception as exc:  # sheets are parsed on demand: a damaged one fails only here
            raise self._damaged(name, exc) from exc
        self._unread.pop(name, None)
        return grid

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, name: object) -> bool:
        # Mapping's own would read the sheet to answer.
        return name in self._names

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
        return FileUnusable(
            "corrupt", f"Không đọc được trang tính '{name}' của tệp '{self._path.name}': dữ liệu bị hỏng "
            f"({exc.__class__.__name__}). Hãy mở tệp bằng Excel, kiểm tra rồi lưu lại.",
        )


EMPTY_CELL = Cell(None)  # empty cells share one instance


def _grid(rows: list[list[Any]], percent: set[tuple[int, int]] | tuple) -> Grid:
    """Calamine's rows (empty cells as "") as cells; ``percent``: (row, column) with a percentage format.

    A NaN (the only value unequal to itself) means a damaged sheet: no spreadsheet program writes one.
    """
    grid: Grid = []
    for r, values in enumerate(rows, start=1):
        while values and values[-1] == "":
            values.pop()
        if percent:
            cells = [
                EMPTY_CELL if v == "" else Cell(v, (r, c) in percent and isinstance(v, (int, float))) if v == v else _nan(r)
                for c, v in enumerate(values, start=1)
            ]
        else:
            cells = [EMPTY_CELL if v == "" else Cell(v) if v == v else _nan(r) for v in values]
        grid.append(cells)
    while grid and not grid[-1]:
        grid.pop()
    return grid


def _nan(row: int):
    raise ValueError(f"NaN on row {row}")


def _find_name(sheets: Mapping[str, Grid], name: str) -> str | None:
    """The workbook's own spelling of a sheet matched by folded name ("Tong hop" for "Tổng hợp")."""
    key = fold(name)
    return next((sheet_name for sheet_name in sheets if fold(sheet_name) == key), None)


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _word_count(text: str) -> int:
    return len(_NOT_WORD.sub("", text))


_HEADER_WORD_COUNTS = frozenset(map(_word_count, _HEADER_KEYS))
_TOTAL_WORD_COUNT = _word_count(_TOTAL_KEY)


# _word_count(text) == _TOTAL_WORD_COUNT, giving up after a few letters: it runs on every title.
_TOTAL_WORDS = re.compile(r"\W*(?:\w\W*){%d}" % _TOTAL_WORD_COUNT)


def _is_total_label(value: Any) -> bool:
    """Whether a cell reads "Tổng cộng" (folded)."""
    return isinstance(value, str) and _TOTAL_WORDS.fullmatch(value) is not None and fold(value) == _TOTAL_KEY


@lru_cache(maxsize=4096)  # every unit tab repeats its headers
def _header_field(text: str) -> str | None:
    """The field a header text names, if it names one."""
    return _HEADER_KEYS.get(fold(text)) if _word_count(text) in _HEADER_WORD_COUNTS else None


def find_header(grid: Grid) -> tuple[int, dict[str, int]] | None:
    """The first row among the top rows that names a unit tab's columns."""
    best = None
    for r, row in enumerate(grid[: layout.HEADER_SEARCH_ROWS], start=1):
        columns: dict[str, int] = {}
        for c, cell in enumerate(row, start=1):
            if isinstance(cell.value, str):
                key = _header_field(cell.value)
                if key and key not in columns:
                    columns[key] = c
        if any(f in columns for f in layout.IDENTITY_FIELDS) and len(columns) >= 2:
            if best is None or len(columns) > len(best[1]):
                best = (r, columns)
    return best


def _missing_required(columns: dict[str, int]) -> list[str]:
    return [layout.COLUMNS[f] for f in layout.REQUIRED_FIELDS if f not in columns]


def _required_labels() -> str:
    return ", ".join(f"'{layout.COLUMNS[f]}'" for f in ("code", "title", *layout.REQUIRED_FIELDS))


def _unit_name_from_title(grid: Grid, header_row: int) -> str:
    """"Phòng/đơn vị: …" written above the header of a template unit tab."""
    for r in range(1, header_row):
        for cell in grid[r - 1] if r - 1 < len(grid) else []:
            if isinstance(cell.value, str) and ":" in cell.value:
                label, _, rest = cell.value.partition(":")
                if fold(label) in (fold("Phòng/đơn vị"), fold("Đơn vị")) and rest.strip():
                    return clean_text(rest)
    return ""


def read_unit(
    grid: Grid, sheet: str, code: str, name: str, header_row: int, columns: dict[str, int], plan_year: int,
    shared: dict[str, str],
) -> tuple[Unit, UnitLayout]:
    """The KPI rows below the header; rows below the "Tổng cộng" row are read too, and flagged.

    ``shared``: the texts read so far, each kept once; an equal text read again is taken from it
    (departments repeat outputs, partners, results and obstacles from row to row).
    """
    unit = Unit(code=code, name=name, sheet=sheet)
    kpi_rows: list[int] = []
    total_row = None
    last_content = header_row
    label_cols = sorted({columns.get("seq", 1), columns.get("code", 1), columns.get("title", 1), 1, 2})
    fields = [(f, c) for f, c in columns.items() if f in layout.DEPARTMENT_COLUMNS]  # what a KPI is read from
    progress_col = columns["progress"]
    letters = {f: col_letter(c) for f, c in columns.items()}  # shared by the KPIs' cell addresses
    for r in range(header_row + 1, len(grid) + 1):
        row = grid[r - 1]
        width = len(row)
        if total_row is None and any(_is_total_label(row[c - 1].value) for c in label_cols if c <= width):
            total_row = r
            continue
        if _is_filler(row):
            continue
        if total_row is None:
            last_content = r
        values = {f: row[c - 1].value if c <= width else None for f, c in fields}
        if not _is_kpi_row(values, below_total=total_row is not None):
            continue  # a note, a sub-heading or a signature line, not a KPI
        kpi_rows.append(r)
        percent = progress_col <= width and row[progress_col - 1].percent
        kpi = _read_kpi(values, percent, unit, sheet, r, letters, plan_year, shared)
        if total_row is not None:
            # A KPI added under the total row still counts: nothing typed is silently dropped.
            kpi.issues.append(make_issue(
                "kpi-below-total", label=layout.TOTAL_LABEL, sheet=sheet,
                cell=kpi.cells.get("code") or address(r, 1), unit=code, kpi=kpi.code,
            ))
        unit.kpis.append(kpi)
    free_row = None
    if total_row is None:
        candidate = last_content + 1
        if all(_is_blank(c.value) for c in (grid[candidate - 1] if candidate - 1 < len(grid) else [])):
            free_row = candidate
        else:
            unit.issues.append(make_issue("total-row-missing", label=layout.TOTAL_LABEL, sheet=sheet, unit=code))
    missing_engine = [f for f in layout.ENGINE_COLUMNS if f not in columns]
    # Added columns go right of everything the sheet uses, not just right of the header: a column of
    # notes without a header must not be written over.
    last_used_col = max((len(row) for row in grid), default=0)
    if missing_engine:
        unit.issues.append(make_issue(
            "columns-added", columns=", ".join(f"'{layout.ENGINE_COLUMNS[f]}'" for f in missing_engine),
            sheet=sheet, unit=code, cell=address(header_row, last_used_col + 1),
        ))
    return unit, UnitLayout(
        sheet=sheet,
        header_row=header_row,
        columns=dict(columns),
        kpi_rows=kpi_rows,
        total_row=total_row,
        free_row_after=free_row,
        missing_engine_columns=missing_engine,
        last_used_col=last_used_col,
    )


_COLUMN_NUMBER = re.compile(r"^\(?\d{1,3}\)?$")


def _is_filler(row: list[Cell]) -> bool:
    """An empty row, or the "(1) (2) (3) …" row Vietnamese forms put under their header (three
    values or more, each a column number)."""
    count = 0
    for cell in row:
        value = cell.value
        if _is_blank(value):
            continue
        if not _COLUMN_NUMBER.match(str(value).strip()):
            return False  # decided at the first other value: a KPI row's code, its second cell
        count += 1
    return count == 0 or count >= 3


def _is_kpi_row(values: dict[str, Any], *, below_total: bool) -> bool:
    """A KPI has a weight or a progress typed, or (above the total row) both a code and a title.

    Below the total only figures count: signature blocks there fill two text columns too.
    """
    return (not _is_blank(values.get("weight")) or not _is_blank(values.get("progress"))
            or (not below_total and not _is_blank(values.get("code")) and not _is_blank(values.get("title"))))


# The department's columns a KPI keeps as text (others are read as numbers and dates).
_KPI_TEXTS = ("code", "title", "output", "partners", "result", "obstacles", "measure_unit", "target")


def _read_kpi(
    values: dict[str, Any], percent: bool, unit: Unit, sheet: str, row: int, letters: dict[str, str], plan_year: int,
    shared: dict[str, str],
) -> KPI:
    """The KPI of a row (``values``: the value of each department column; ``percent``: whether its
    progress is formatted as a percentage)."""
    cells = CellAddresses(letters, row)
    text = {}
    for f in _KPI_TEXTS:
        value = clean_text(values.get(f))
        text[f] = shared.setdefault(value, value)
    issues: list[Issue] = []
    where = {"sheet": sheet, "unit": unit.code, "kpi": text["code"] or text["title"][:30]}

    weight = parse_weight(values.get("weight"))
    if weight.problem:
        issues.append(make_issue(weight.problem, value=clean_text(values.get("weight")), cell=cells.get("weight"), **where))
    weight_value = None if weight.problem else weight.value

    progress = parse_progress(values.get("progress"), percent)
    if progress.problem == "progress-out-of-range":
        issues.append(make_issue(
            progress.problem, value=_num(progress.value), clipped=_num(max(0.0, min(100.0, progress.value))),
            cell=cells.get("progress"), **where,
        ))
    elif progress.problem:
        issues.append(make_issue(progress.problem, value=clean_text(values.get("progress")), cell=cells.get("progress"), **where))

    deadline = parse_deadline(values.get("deadline"), plan_year)  # it cleans a text itself
    if deadline.kind == "unknown":
        issues.append(make_issue("deadline-unknown", text=deadline.text, cell=cells.get("deadline"), **where))
    elif deadline.kind == "missing":
        issues.append(make_issue("deadline-missing", cell=cells.get("deadline"), **where))

    completed_on = _as_date(values.get("completed_on"))
    if completed_on is None and not _is_blank(values.get("completed_on")):
        issues.append(make_issue(
            "completed-on-invalid", value=clean_text(values["completed_on"]), cell=cells.get("completed_on"), **where,
        ))

    for f in ("code", "title", "result", "obstacles"):
        if text[f] and looks_like_legacy_vn(text[f]):
            issues.append(make_issue("legacy-encoding", text=text[f][:40], cell=cells.get(f), **where))
            break

    actual = _number(values.get("actual"))
    baseline = _number(values.get("baseline"))
    computed = None
    target_text = text["target"]
    if target_text and actual is not None:
        target = parse_target(target_text)
        computed = indicator_progress(target, actual, baseline) if target else None
        if computed is None:
            issues.append(make_issue(
                "indicator-invalid", target=target_text, actual=clean_text(values["actual"]), cell=cells.get("actual"), **where,
            ))

    return KPI(
        unit=unit.code,
        sheet=sheet,
        row=row,
        code=text["code"],
        title=text["title"],
        weight=weight_value,
        progress=progress.value,
        deadline=deadline,
        completed_on=completed_on,
        output=text["output"],
        partners=text["partners"],
        result=text["result"],
        obstacles=text["obstacles"],
        measure_unit=text["measure_unit"],
        target=target_text,
        baseline=baseline,
        actual=actual,
        indicator_progress=computed,
        cells=cells,
        issues=issues,
    )


def _num(x: float) -> str:
    from ..parsing.numbers import format_vn

    return format_vn(x)


def _number(value: Any) -> float | None:
    if _is_blank(value) or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    return parse_vn_number(str(value))


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value.strip():
        d = parse_deadline(clean_text(value), 2000)
        return d.due if d.kind == "date" else None
    return None


def _flag_duplicates(units: Iterable[Unit]) -> None:
    seen: dict[str, KPI] = {}  # folded code -> its first KPI
    for unit in units:
        for kpi in unit.kpis:
            if not kpi.code:
                continue
            first = seen.setdefault(fold(kpi.code), kpi)
            if first is not kpi:
                kpi.issues.append(make_issue(
                    "duplicate-code", code=kpi.code, first=f"'{first.sheet}'!{first.cells.get('code', '')}",
                    sheet=kpi.sheet, cell=kpi.cells.get("code"), unit=kpi.unit, kpi=kpi.code,
                ))


def read_settings(grid: Grid | None, issues: list[Issue]) -> tuple[Settings, list[dict]]:
    """Settings from "Cấu hình" label/value rows, and its table of units."""
    raw: dict[str, Any] = {}
    units: list[dict] = []
    if grid is not None:
        unit_cols = None
        for r, row in enumerate(grid, start=1):
            folded = [fold(str(c.value)) if isinstance(c.value, str) else "" for c in row]
            if unit_cols is None:
                wanted = {fold(h): k for k, h in layout.UNITS_TABLE_HEADERS.items()}
                found = {wanted[f]: i for i, f in enumerate(folded) if f in wanted}
                if "code" in found and "sheet" in found:
                    unit_cols = found
                    continue
                for i, f in enumerate(folded):
                    key = _SETTING_KEYS.get(f.rstrip(":").strip())
                    if key and key not in raw:
                        raw[key] = (row[i + 1].value if i + 1 < len(row) else None, address(r, i + 2))
                        break
            else:
                get = lambda k: clean_text(row[unit_cols[k]].value) if k in unit_cols and unit_cols[k] < len(row) else ""
                code, sheet = get("code"), get("sheet")
                if code or sheet:
                    units.append({"code": code or sheet, "name": get("name"), "sheet": sheet or code})
    return _settings(raw, issues), units


def _settings(raw: dict[str, tuple[Any, str]], issues: list[Issue]) -> Settings:
    def value(key):
        return raw.get(key, (None, None))[0]

    def bad(key):
        v, cell = raw[key]
        issues.append(make_issue("setting-invalid", label=layout.SETTINGS_LABELS[key], value=clean_text(v), sheet=layout.SHEET_CONFIG, cell=cell))

    def number(key, default):
        v = value(key)
        if _is_blank(v):
            return default
        n = float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else parse_vn_number(str(v))
        if n is None:
            bad(key)
            return default
        return n

    def date(key):
        v = value(key)
        if _is_blank(v):
            return None
        d = _as_date(v)
        if d is None:
            bad(key)
        return d

    year = int(number("plan_year", dt.date.today().year))
    text = {k: clean_text(value(k)) for k in ("parent_agency", "agency", "office", "place", "doc_symbol", "signer", "signer_title")}
    return Settings(
        plan_year=year,
        parent_agency=text["parent_agency"],
        agency=text["agency"],
        office=text["office"] or "Văn phòng",
        plan_start=date("plan_start"),
        cutoff_day=int(number("cutoff_day", 25)),
        report_date=date("report_date"),
        place=text["place"],
        doc_symbol=text["doc_symbol"] or "BC-VP",
        signer=text["signer"],
        signer_title=text["signer_title"],
        risk_threshold=number("risk_threshold", 25.0),
        bands=(number("band_excellent", 90.0), number("band_good", 70.0), number("band_pass", 50.0)),
    )


def read_history(grid: Grid, shared: dict[str, str]) -> tuple[dict, HistoryLayout | None]:
    """Progress per KPI and report date from "Lịch sử" (``shared``: as for :func:`read_unit`; the
    history repeats unit codes on every row and the codes of the unit tabs)."""
    keys = [fold(h) for h in layout.HISTORY_KEY_HEADERS]
    for r, row in enumerate(grid[: layout.HEADER_SEARCH_ROWS], start=1):
        folded = [fold(c.value) if isinstance(c.value, str) else "" for c in row]
        if keys[0] in folded and keys[1] in folded:
            unit_col, code_col = folded.index(keys[0]), folded.index(keys[1])
            title_col = folded.index(keys[2]) if keys[2] in folded else None
            dates = {}
            for c, cell in enumerate(row):
                d = _as_date(cell.value) if not isinstance(cell.value, (int, float)) else None
                if d and c not in (unit_col, code_col, title_col):
                    dates[d] = c + 1
            by_date = sorted(dates.items())
            history: dict[tuple[str, str], list[tuple[dt.date, float]]] = {}
            rows: dict[tuple[str, str], int] = {}
            last_row = r
            for rr in range(r + 1, len(grid) + 1):
                line = grid[rr - 1]
                unit = clean_text(_value(line, unit_col))
                key = clean_text(_value(line, code_col)) or clean_text(_value(line, title_col))
                if not unit and not key:
                    continue
                last_row = rr
                pair = (shared.setdefault(unit, unit), shared.setdefault(key, key))
                rows[pair] = rr
                points = []
                for d, c in by_date:
                    v = _value(line, c - 1)
                    if isinstance(v, (int, float)) and not isinstance(v, bool):
                        points.append((d, float(v)))
                history[pair] = points
            last_col = max([len(row), *(dates.values())])
            return history, HistoryLayout(header_row=r, rows=rows, dates=dates, last_row=last_row, last_col=last_col)
    return {}, None


def _value(line: list[Cell], index: int | None) -> Any:
    return line[index].value if index is not None and index < len(line) else None
