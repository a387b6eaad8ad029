"""A workbook's grids read into the model, with where each engine-owned cell lives (pure: the
grids come from a file, an open Excel book or an open LibreOffice document).

How a unit tab is laid out — its header block, which rows are KPIs, where the total is — is
decided by :mod:`sheetkpi.structure`; settings are found by their labels wherever their values sit;
"Lịch sử" gives each KPI's figures by report date.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any

from . import layout
from .cells import address, col_letter
from .errors import FileUnusable, NoUnitTab
from .model import KPI, CellAddresses, History, HistoryKeys, Key, Settings, Tracker, Unit
from .parsing.dates import parse_date
from .parsing.deadlines import parse_deadline
from .parsing.numbers import (
    format_vn,
    indicator_progress,
    parse_progress,
    parse_target,
    parse_vn_number,
    parse_weight,
)
from .parsing.text import clean_text, first_legacy_vn, fold
from .report import (
    ColumnsAdded,
    CompletedOnInvalid,
    ConfigMissing,
    DeadlineMissing,
    DeadlineUnknown,
    DuplicateCode,
    DuplicateTitle,
    IndicatorInvalid,
    Issue,
    KpiBelowTotal,
    LegacyEncoding,
    PlanYearInferred,
    ProgressInvalid,
    ProgressMissing,
    ProgressOutOfRange,
    SettingInvalid,
    SettingMissing,
    SheetWithoutKpi,
    UnitNotInConfig,
    UnitSheetMissing,
    UnitWithoutKpi,
    WeightInvalid,
)
from .structure import EMPTY_CELL, Cell, Grid, Header, cell_at, find_header, is_blank, once_per_cell, read_structure

NON_UNIT_KEYS = {fold(name) for name in layout.NON_UNIT_SHEETS}  # folded names of sheets that are never unit tabs
_SETTING_KEYS: dict[str, str] = {fold(label): key for key, label in layout.SETTINGS_LABELS.items()}
for _key, _aliases in layout.SETTINGS_ALIASES.items():
    for _alias in _aliases:
        _SETTING_KEYS.setdefault(fold(_alias), _key)
_VALUE_HEADER = fold("Giá trị")
_UNIT_HEADER_KEYS = {fold(h): k for k, h in layout.UNITS_TABLE_HEADERS.items()}
for _key, _aliases in layout.UNITS_TABLE_ALIASES.items():
    for _alias in _aliases:
        _UNIT_HEADER_KEYS.setdefault(fold(_alias), _key)
# What a missing setting falls back to, as people read it.
_DEFAULTS = {
    "parent_agency": "để trống", "agency": "để trống", "office": "'Văn phòng'", "plan_start": "ngày 01/01",
    "cutoff_day": "ngày 25", "report_date": "ngày chạy", "place": "để trống", "doc_symbol": "'BC-VP'",
    "signer": "để trống", "signer_title": "để trống", "signer_authority": "'TL. TRƯỞNG BAN'",
    "risk_threshold": "25", "band_excellent": "90",
    "band_good": "70", "band_pass": "50", "sender": "để trống", "late_deduction": "25",
}
_AS_OF_LINE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_TITLE_YEAR = re.compile(r"\bNĂM\s+(\d{4})\b", re.IGNORECASE)
_YEAR = re.compile(r"(?<!\d)(20\d\d)(?!\d)")


@dataclass
class UnitLayout:
    """Where a unit tab keeps things, for writing the engine-owned cells back."""

    sheet: str
    header_row: int  # the first row of the header block
    columns: dict[str, int]  # field -> 1-based column
    kpi_rows: list[int]
    total_row: int | None  # the unit's total row, as found
    free_row_after: int | None  # an empty row where a missing total row may be added
    missing_engine_columns: list[str] = field(default_factory=list)
    last_used_col: int = 0  # the rightmost column holding anything, on any row
    # The engine cells' values as read (layout.engine_digest); None when engine columns are missing
    # or a KPI row's status is empty (the tab cannot be as a run leaves it).
    engine_digest: bytes | None = None

    def column(self, name: str) -> int:
        return self.columns[name]


@dataclass
class HistoryLayout:
    """The "Lịch sử" sheet as found: its key rows and its report-date columns."""

    header_row: int
    rows: Mapping[Key, int]  # history key (see rules.history_key) -> row (the history's own)
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
    last_run: dt.date | None = None  # the report date "Tổng hợp" shows: the last recalculation's


def summary_date(line: Any) -> dt.date | None:
    """The date of the "Số liệu đến ngày dd/mm/yyyy" line that every run writes into "Tổng hợp"."""
    m = _AS_OF_LINE.search(line) if isinstance(line, str) else None
    if not m:
        return None
    try:
        return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    except ValueError:
        return None


@dataclass
class TabRead:
    """What reading one tab found: a unit (with its layout), or why the tab is not one."""

    sheet: str
    unit: Unit | None = None
    layout: UnitLayout | None = None
    missing: str = ""  # a declared tab, or an undeclared one with a header, lacks required columns
    declared: bool = False  # whether "Cấu hình" lists the tab
    issue: Issue | None = None  # a tab left out of the totals, reported
    title_years: list[int] = field(default_factory=list)  # years in its title rows, when the year is unknown
    deadlines: list[tuple[KPI, Any]] = field(default_factory=list)  # raw deadlines, when the year is unknown


@dataclass(frozen=True)
class TabJob:
    """What reading a unit tab needs from the rest of the workbook: the units table of "Cấu hình"
    and the plan year. Plain data, so that tabs can be read in another process
    (:mod:`sheetkpi.workbook.parallel`)."""

    declared: dict[str, dict]  # folded sheet name -> its row of the units table
    plan_year: int
    year_known: bool  # False: raw deadlines and title years are kept, to infer the year

    def read(self, name: str, grid: Grid, shared: dict[str, str]) -> TabRead:
        """Read the tab ``name`` (``shared``: see :func:`read_unit`)."""
        header = find_header(grid)
        decl = self.declared.get(fold(name))
        found = TabRead(name, declared=decl is not None)
        if header is None or not header.is_unit_tab:
            if decl or header is not None:
                found.missing = _missing_message(name, header)
            return found
        if self.declared and not decl:
            # Only the tabs "Cấu hình" lists count (last year's copy, a blank form): this one is reported.
            found.issue = UnitNotInConfig(sheet=name, unit=name)
            return found
        code = decl["code"] if decl else name
        unit_name = decl["name"] if decl and decl["name"] else _unit_name_from_title(grid, header.first_row) or name
        deadlines = None if self.year_known else found.deadlines
        unit, unit_layout = read_unit(grid, name, code, unit_name, header, self.plan_year, shared, deadlines)
        unit.email = decl["email"] if decl else ""
        unit.head = decl["head"] if decl else ""
        if not unit.kpis:
            if not decl:
                found.issue = SheetWithoutKpi(sheet=name, unit=code)
                return found
            unit.issues.append(UnitWithoutKpi(sheet=name, unit=code))
        if not self.year_known:
            found.title_years = _title_years(grid, header.first_row)
        found.unit, found.layout = unit, unit_layout
        return found


# read_tabs(names, job, sheets, shared): each tab's TabRead, in the order of ``names`` (``shared``:
# see read_unit). A file reader may read some in another process, from the call on (before the
# first is asked for); by default, one after the other as they are asked for.
TabReader = Callable[[list[str], TabJob, Mapping[str, Grid], dict[str, str]], Iterable[TabRead]]


def read_in_turn(
    names: list[str], job: TabJob, sheets: Mapping[str, Grid], shared: dict[str, str],
) -> Iterator[TabRead]:
    """Each tab read here, one after the other, each grid dropped before the next is asked for."""
    for name in names:
        yield job.read(name, sheets[name], shared)


def taking_shared(found: TabRead, shared: dict[str, str]) -> TabRead:
    """``found``, read in another process, with the text each KPI is known by in "Lịch sử" (its
    code, else its title: :func:`sheetkpi.rules.history_key`) taken from ``shared`` (see
    :func:`read_unit`) where this process has read it already, in the history's keys: otherwise
    held twice (300,000 codes: 25 MiB)."""
    if found.unit is not None:
        get = shared.get
        for kpi in found.unit.kpis:
            if kpi.code:
                kpi.code = get(kpi.code, kpi.code)
            else:
                kpi.title = get(kpi.title, kpi.title)
    return found


def read_grids(
    sheets: Mapping[str, Grid], path: Path, *, last_run: dt.date | None = None,
    progress: Callable[[str, int, int], None] | None = None, read_tabs: TabReader = read_in_turn,
    rows: Callable[[str], Iterable[list[Cell]]] | None = None,
) -> WorkbookData:
    """The model and layouts from every sheet's grid, in workbook order, however the grids were read
    (from a file, from a workbook open in a spreadsheet program). Each grid is asked for once, so a
    lazy mapping holds one sheet's cells at a time. ``last_run``: the date "Tổng hợp" shows;
    ``progress("Đọc trang tính", done, total)`` is called after each sheet; ``read_tabs``: how the
    tabs that may be unit tabs are read (see :data:`TabReader`); ``rows``: a sheet's rows made as
    they are read once, in order, for "Lịch sử" (by default its grid)."""
    names = list(sheets)
    issues: list[Issue] = []
    config = find_sheet(sheets, layout.SHEET_CONFIG)
    if config is None:
        issues.append(ConfigMissing())
    raw, declared = read_settings(sheets[config] if config else None, issues)
    settings, year_known = _settings(raw, issues)
    units: list[Unit] = []
    layouts: dict[str, UnitLayout] = {}
    problems: list[str] = []
    near_misses: list[str] = []
    # Deadlines written without a year ("30/4", "Quý IV") need the plan year: when "Cấu hình" does
    # not give it, the raw deadlines are kept to be read again once the year is inferred.
    deadlines: list[tuple[KPI, Any]] | None = None if year_known else []
    title_years: Counter[int] = Counter()
    tabs = [name for name in names if fold(name) not in NON_UNIT_KEYS]
    job = TabJob({fold(d["sheet"]): d for d in declared}, settings.plan_year, year_known)
    shared: dict[str, str] = {}  # the texts read, each kept once (see read_unit)
    # Called before the history is read: a reader that shares the tabs with another process starts
    # it on them now. Here the history comes first, a row per KPI, read a row at a time from a file
    # (``rows``): what it took is not left scattered among the KPIs made after.
    found_tabs = read_tabs(tabs, job, sheets, shared)
    history_sheet = find_sheet(sheets, layout.SHEET_HISTORY)
    if history_sheet:
        history, history_layout = read_history((rows or sheets.__getitem__)(history_sheet), shared, history_sheet)
    else:
        history, history_layout = History.of({}), None
    others = len(names) - len(tabs)
    for done, found in enumerate(found_tabs, start=others + 1):
        if progress:
            progress("Đọc trang tính", done, len(names))
        if found.missing:
            (problems if found.declared else near_misses).append(found.missing)
        if found.issue:
            issues.append(found.issue)
        if found.unit is None:
            continue
        if deadlines is not None:
            deadlines.extend(found.deadlines)
        title_years.update(found.title_years)
        units.append(found.unit)
        layouts[found.sheet] = found.layout
    present = {fold(n) for n in names}
    for d in declared:
        if fold(d["sheet"]) not in present:
            issues.append(UnitSheetMissing(
                sheet=layout.SHEET_CONFIG, params={"code": d["code"], "missing": d["sheet"]},
            ))
    if problems:
        raise NoUnitTab("missing-columns", "Trang tính đơn vị thiếu cột bắt buộc: " + "; ".join(problems) + ".")
    if not units:
        hint = f" Đã thấy: {'; '.join(near_misses)}." if near_misses else ""
        raise NoUnitTab(
            "no-unit-tab",
            "Không tìm thấy trang tính đơn vị nào: cần một dòng tiêu đề có cột 'Mã KPI' hoặc 'Nhiệm vụ / KPI', "
            f"cột 'Trọng số (điểm)' và cột '% tiến độ'.{hint}",
        )
    if deadlines is not None:
        _infer_plan_year(settings, raw, deadlines, title_years, issues, config)
    _flag_duplicates(units)
    tracker = Tracker(settings=settings, units=units, history=history, issues=issues)
    return WorkbookData(
        path=path,
        tracker=tracker,
        sheet_names=names,
        units=layouts,
        history=history_layout,
        summary_sheet=find_sheet(sheets, layout.SHEET_SUMMARY),
        history_sheet=history_sheet,
        last_run=last_run,
    )


def _missing_message(sheet: str, header: Header | None) -> str:
    """Which columns a tab lacks, with the header texts it has, so that people can rename one."""
    if header is None:
        return (f"'{sheet}': không có dòng tiêu đề với cột 'Mã KPI' hoặc 'Nhiệm vụ / KPI', "
                "'Trọng số (điểm)' và '% tiến độ'")
    rows = str(header.first_row) if header.first_row == header.last_row else f"{header.first_row}–{header.last_row}"
    found = ", ".join(f"'{t[:40]}'" for t in header.texts[:20])
    return f"'{sheet}': thiếu cột {', '.join(repr(m) for m in header.missing)} (dòng tiêu đề {rows} có: {found})"


def find_sheet(sheets: Mapping[str, Grid], name: str) -> str | None:
    """The workbook's own spelling of a sheet matched by folded name ("Tong hop" for "Tổng hợp")."""
    key = fold(name)
    return next((sheet_name for sheet_name in sheets if fold(sheet_name) == key), None)


def _unit_name_from_title(grid: Grid, header_row: int) -> str:
    """"Phòng/đơn vị: …" written above the header of a template unit tab."""
    for r in range(1, header_row):
        for cell in grid[r - 1] if r - 1 < len(grid) else []:
            if isinstance(cell.value, str) and ":" in cell.value:
                label, _, rest = cell.value.partition(":")
                if fold(label) in (fold("Phòng/đơn vị"), fold("Đơn vị")) and rest.strip():
                    return clean_text(rest)
    return ""


def _title_years(grid: Grid, header_row: int) -> list[int]:
    """Years named in the title rows above a unit tab's header ("… NĂM 2026")."""
    return [int(m.group(1)) for row in grid[: header_row - 1] for cell in row
            if isinstance(cell.value, str) for m in _TITLE_YEAR.finditer(cell.value)]


def read_unit(
    grid: Grid, sheet: str, code: str, name: str, header: Header, plan_year: int, shared: dict[str, str],
    deadlines: list[tuple[KPI, Any]] | None = None,
) -> tuple[Unit, UnitLayout]:
    """The unit and its KPIs: the KPI rows :func:`~sheetkpi.structure.read_structure` finds, those
    under the total row included and flagged.

    ``shared``: the texts read so far, each kept once, by their clean form and as typed; an equal
    text read again is taken from it (departments repeat outputs, partners, results and obstacles
    from row to row). ``deadlines``:
    when given, each KPI's raw deadline is appended (to be read again once the plan year is known).
    """
    unit = Unit(code=code, name=name, sheet=sheet)
    columns = header.columns
    structure = read_structure(grid, header, sheet, code)
    unit.issues.extend(structure.issues)
    read_kpi = _KpiReader(columns, code, sheet, plan_year, shared)
    deadline_col = columns.get("deadline")
    for r in structure.kpi_rows:
        row = grid[r - 1]
        kpi = read_kpi(row, r)
        if deadlines is not None:
            deadlines.append((kpi, cell_at(row, deadline_col).value))
        if r in structure.below_total:
            # A KPI added under the total row still counts: nothing typed is silently dropped.
            kpi.issues += (KpiBelowTotal(
                sheet=sheet, cell=kpi.cells.get("code") or address(r, 1), unit=code, kpi=kpi.code,
                params={"label": layout.TOTAL_LABEL},
            ),)
        unit.kpis.append(kpi)
    missing_engine = [f for f in layout.ENGINE_COLUMNS if f not in columns]
    # Added columns go right of everything the sheet uses, not just right of the header: a column of
    # notes without a header must not be written over.
    last_used_col = max((len(row) for row in grid), default=0)
    if missing_engine:
        unit.issues.append(ColumnsAdded(
            sheet=sheet, unit=code, cell=address(header.first_row, last_used_col + 1),
            params={"columns": ", ".join(f"'{layout.ENGINE_COLUMNS[f]}'" for f in missing_engine)},
        ))
    return unit, UnitLayout(
        sheet=sheet,
        header_row=header.first_row,
        columns=dict(columns),
        kpi_rows=list(structure.kpi_rows),
        total_row=structure.total_row,
        free_row_after=structure.free_row_after,
        missing_engine_columns=missing_engine,
        last_used_col=last_used_col,
        engine_digest=None if missing_engine else _engine_digest(grid, columns, structure),
    )


def _engine_digest(grid: Grid, columns: dict[str, int], structure) -> bytes | None:
    """The fingerprint of the engine cells a run writes on this tab, as they are now (see
    :func:`sheetkpi.layout.engine_digest`); None when a KPI row's status is empty: a run writes one
    on every KPI row, so the tab is not as a run leaves it (a tab never recalculated, a row added
    since), and neither the reader nor the writer hashes it (100,000 KPIs on a first run: 0.3 s)."""
    status = columns["status"]
    for r in structure.kpi_rows:
        row = grid[r - 1] if r <= len(grid) else []
        if status > len(row) or row[status - 1].value in (None, ""):
            return None
    rows = [*((r, layout.ENGINE_ROW_FIELDS) for r in structure.kpi_rows),
            *([(structure.total_row, layout.ENGINE_TOTAL_FIELDS)] if structure.total_row else [])]
    values = []
    for r, fields in rows:
        row = grid[r - 1] if r <= len(grid) else []
        width = len(row)
        values.extend(row[c - 1].value if c <= width else None for c in (columns[f] for f in fields))
    return layout.engine_digest(values)


# The cells a KPI is read from, by field: the department's columns, with the optional ones.
_KPI_FIELDS = ("code", "title", "output", "partners", "result", "obstacles", "measure_unit", "target", "owners",
               "weight", "progress", "deadline", "completed_on", "actual", "baseline")
_LEGACY_CHECKED = ("code", "title", "result", "obstacles")  # the texts looked at for a legacy encoding, in order


class _KpiReader:
    """The KPIs of one unit tab's rows (``shared``: see :func:`read_unit`). A tab repeats its weights,
    deadlines and completion dates from row to row: each distinct cell of them is read once (see
    :func:`~sheetkpi.structure.once_per_cell`)."""

    def __init__(self, columns: dict[str, int], unit: str, sheet: str, plan_year: int, shared: dict[str, str]) -> None:
        self.unit, self.sheet = unit, sheet
        self.letters = {f: col_letter(c) for f, c in columns.items()}  # shared by the KPIs' cell addresses
        # A row's cells in _KPI_FIELDS order, taken from the row with empty cells after it: a
        # column past the row's end, and a field the tab lacks (the last), read an empty cell.
        at = [columns[f] - 1 if f in columns else -1 for f in _KPI_FIELDS]
        self.cells_of = itemgetter(*at)
        self.empties = [EMPTY_CELL] * (max(at) + 1)

        def text(cell: Cell) -> str:
            # A text typed again is cleaned once: ``shared`` maps it, as typed, to its clean form (a
            # clean text maps to itself, so the two kinds of key never disagree).
            raw = cell.value
            if raw is None:
                return ""  # an empty cell, the commonest of all
            found = shared.get(raw) if type(raw) is str else None
            if found is None:
                value = clean_text(raw)
                found = shared.setdefault(value, value)
                if type(raw) is str:
                    shared[raw] = found
            return found

        self.text = text
        self.weight = once_per_cell(lambda cell: parse_weight(cell.value, cell.percent))
        self.deadline = once_per_cell(lambda cell: parse_deadline(cell.value, plan_year))  # it cleans a text itself
        self.completed_on = once_per_cell(lambda cell: parse_date(cell.value, plan_year))

    def __call__(self, row: list[Cell], r: int) -> KPI:
        """The KPI of ``row``, the sheet's row ``r``."""
        (code_cell, title_cell, output, partners, result_cell, obstacles_cell, measure_unit, target_cell, owners,
         weight_cell, progress_cell, deadline_cell, completed_cell, actual_cell, baseline_cell,
         ) = self.cells_of(row + self.empties)
        text = self.text
        code, title, result, obstacles = text(code_cell), text(title_cell), text(result_cell), text(obstacles_cell)
        cells = CellAddresses(self.letters, r)
        issues: list[Issue] = []
        where = {"sheet": self.sheet, "unit": self.unit, "kpi": code or title[:30]}

        weight = self.weight(weight_cell)
        if weight.problem:
            issues.append(WeightInvalid(
                cell=cells.get("weight"), params={"value": clean_text(weight_cell.value)}, **where,
            ))
        weight_value = None if weight.problem else weight.value

        progress = parse_progress(progress_cell.value, progress_cell.percent)
        if progress.problem == "progress-out-of-range":
            issues.append(ProgressOutOfRange(cell=cells.get("progress"), params={
                "value": format_vn(progress.value), "clipped": format_vn(max(0.0, min(100.0, progress.value))),
            }, **where))
        elif progress.problem == "progress-invalid":
            issues.append(ProgressInvalid(
                cell=cells.get("progress"), params={"value": clean_text(progress_cell.value)}, **where,
            ))
        elif progress.problem:
            issues.append(ProgressMissing(cell=cells.get("progress"), **where))
        # Nothing typed reads as None, as invalid text does: scored as 0, but never recorded as a figure.
        progress_value = None if progress.problem == "progress-missing" else progress.value

        deadline = self.deadline(deadline_cell)
        if deadline.kind == "unknown":
            issues.append(DeadlineUnknown(cell=cells.get("deadline"), params={"text": deadline.text}, **where))
        elif deadline.kind == "missing":
            issues.append(DeadlineMissing(cell=cells.get("deadline"), **where))

        completed_on = self.completed_on(completed_cell)
        if completed_on is None and not is_blank(completed_cell.value):
            issues.append(CompletedOnInvalid(
                cell=cells.get("completed_on"), params={"value": clean_text(completed_cell.value)}, **where,
            ))

        legacy = first_legacy_vn((code, title, result, obstacles))
        if legacy is not None:
            f, found = _LEGACY_CHECKED[legacy], (code, title, result, obstacles)[legacy]
            issues.append(LegacyEncoding(cell=cells.get(f), params={"text": found[:40]}, **where))

        actual = _number(actual_cell.value)
        baseline = _number(baseline_cell.value)
        computed = None
        target_text = text(target_cell)
        if target_text and actual is not None:
            target = parse_target(target_text)
            computed = indicator_progress(target, actual, baseline) if target else None
            if computed is None:
                issues.append(IndicatorInvalid(cell=cells.get("actual"), params={
                    "target": target_text, "actual": clean_text(actual_cell.value),
                }, **where))

        return KPI(
            unit=self.unit,
            sheet=self.sheet,
            row=r,
            code=code,
            title=title,
            weight=weight_value,
            progress=progress_value,
            deadline=deadline,
            completed_on=completed_on,
            output=text(output),
            partners=text(partners),
            result=result,
            obstacles=obstacles,
            owners=text(owners),
            measure_unit=text(measure_unit),
            target=target_text,
            baseline=baseline,
            actual=actual,
            indicator_progress=computed,
            letters=self.letters,
            issues=tuple(issues),
        )


def _number(value: Any) -> float | None:
    if is_blank(value) or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    return parse_vn_number(str(value))


def _flag_duplicates(units: Iterable[Unit]) -> None:
    """Codes must be unique across the workbook; KPIs without a code should not share a title within
    their unit (their history rows are then told apart by order only). Sets each KPI's occurrence."""
    seen: dict[str, KPI] = {}  # folded code -> its first KPI
    for unit in units:
        titles: dict[str, KPI] = {}  # folded title -> its first KPI without code
        counts: dict[str, int] = {}
        for kpi in unit.kpis:
            key = kpi.code or kpi.title
            kpi.occurrence = counts.get(key, 0)
            counts[key] = kpi.occurrence + 1
            if not kpi.code:
                first = titles.setdefault(fold(kpi.title), kpi)
                if first is not kpi and kpi.title:
                    kpi.issues += (DuplicateTitle(
                        sheet=kpi.sheet, cell=kpi.cells.get("title"), unit=kpi.unit, kpi=kpi.title[:30],
                        params={"first": f"'{first.sheet}'!{first.cells.get('title', '')}"},
                    ),)
                continue
            first = seen.setdefault(fold(kpi.code), kpi)
            if first is not kpi:
                kpi.issues += (DuplicateCode(
                    sheet=kpi.sheet, cell=kpi.cells.get("code"), unit=kpi.unit, kpi=kpi.code,
                    params={"code": kpi.code, "first": f"'{first.sheet}'!{first.cells.get('code', '')}"},
                ),)


# -- "Cấu hình" ----------------------------------------------------------------------------------

Raw = dict[str, tuple[Any, str]]  # setting -> (value as read, its cell address)


def read_settings(grid: Grid | None, issues: list[Issue]) -> tuple[Raw, list[dict]]:
    """The values of "Cấu hình"'s labelled settings, wherever they sit, and its table of units.

    A label may be merged over two columns, or followed by an empty column: its value is the first
    filled cell to its right up to the value column — the column under "Giá trị", else the column
    where most labels have their value. A note column further right is never read as a value.
    Every expected setting not found is reported.
    """
    raw: Raw = {}
    units: list[dict] = []
    if grid is None:
        return raw, units
    labels: list[tuple[int, int, str]] = []  # (row, label column, setting), 0-based columns
    value_col: int | None = None
    unit_cols = None
    for r, row in enumerate(grid, start=1):
        folded = [fold(c.value) if isinstance(c.value, str) else "" for c in row]
        if unit_cols is None:
            wanted = _UNIT_HEADER_KEYS
            found = {wanted[f]: i for i, f in enumerate(folded) if f in wanted}
            if "code" in found and "sheet" in found:
                unit_cols = found
                continue
            if value_col is None and _VALUE_HEADER in folded:
                value_col = folded.index(_VALUE_HEADER)
                continue
            for i, f in enumerate(folded):
                key = _SETTING_KEYS.get(f)
                if key:
                    if key not in {k for _, _, k in labels}:
                        labels.append((r, i, key))
                    break
        else:
            code, name, sheet, email, head = (_cell_text(row, unit_cols.get(k))
                                              for k in ("code", "name", "sheet", "email", "head"))
            if code or sheet:
                units.append({"code": code or sheet, "name": name, "sheet": sheet or code, "email": email,
                              "head": head})
    if value_col is None:
        # Where most labels have their first value (a label merged over two columns has it two
        # columns right); labels without a value do not vote.
        votes = Counter(c for r, i, _ in labels if (c := _first_filled(grid[r - 1], i + 1, i + 3)) is not None)
        value_col = votes.most_common(1)[0][0] if votes else None
    for r, i, key in labels:
        row = grid[r - 1]
        last = value_col if value_col is not None and value_col > i else i + 1
        c = _first_filled(row, i + 1, last)
        raw[key] = (row[c].value if c is not None else None, address(r, (c if c is not None else last) + 1))
    for key, label in layout.SETTINGS_LABELS.items():
        # A missing plan year has a message of its own; optional settings are asked for where used.
        if key not in raw and key != "plan_year" and key not in layout.OPTIONAL_SETTINGS:
            issues.append(SettingMissing(sheet=layout.SHEET_CONFIG, params={"label": label, "default": _DEFAULTS[key]}))
    return raw, units


def _cell_text(row: list[Cell], index: int | None) -> str:
    return clean_text(row[index].value) if index is not None and index < len(row) else ""


def _first_filled(row: list[Cell], first: int, last: int) -> int | None:
    """The first column (0-based) from ``first`` to ``last`` holding something."""
    return next((c for c in range(first, min(last, len(row) - 1) + 1) if not is_blank(row[c].value)), None)


def _settings(raw: Raw, issues: list[Issue]) -> tuple[Settings, bool]:
    """Settings from the values read (SPEC defaults for the rest), and whether the plan year was given."""
    def value(key):
        return raw.get(key, (None, None))[0]

    def bad(key):
        v, cell = raw[key]
        issues.append(SettingInvalid(sheet=layout.SHEET_CONFIG, cell=cell, params={
            "label": layout.SETTINGS_LABELS[key], "value": clean_text(v),
        }))

    def number(key, default):
        v = value(key)
        if is_blank(v):
            return default
        n = _number(v)
        if n is None:
            bad(key)
            return default
        return n

    def share(key):
        """A percentage: 25, "25%", or a cell formatted as a percentage (Excel stores 0,25); 0 to 100."""
        v = value(key)
        if isinstance(v, str) and v.strip().endswith("%"):
            v = v.strip()[:-1]
        n = _number(v)
        if n is not None and 0 < n < 1:
            n *= 100  # nobody deducts less than 1 %: a percentage format
        if n is None or not 0 <= n <= 100:
            if not is_blank(v):
                bad(key)
            return None
        return n

    def date(key):
        v = value(key)
        if is_blank(v):
            return None
        d = parse_date(v)
        if d is None:
            bad(key)
        return d

    year = number("plan_year", None)
    if year is not None and not (year == int(year) and 1900 <= year <= 2100):
        bad("plan_year")
        year = None
    text = {k: clean_text(value(k))
            for k in ("parent_agency", "agency", "office", "place", "doc_symbol", "signer", "signer_title", "sender")}
    plan_start = date("plan_start")
    report_date = date("report_date")
    # Until the units are read, a missing plan year is taken from the dates "Cấu hình" gives.
    provisional = (plan_start or report_date or dt.date.today()).year
    settings = Settings(
        plan_year=int(year) if year is not None else provisional,
        parent_agency=text["parent_agency"],
        agency=text["agency"],
        office=text["office"] or "Văn phòng",
        plan_start=plan_start,
        cutoff_day=int(number("cutoff_day", 25)),
        report_date=report_date,
        place=text["place"],
        doc_symbol=text["doc_symbol"] or "BC-VP",
        signer=text["signer"],
        signer_title=text["signer_title"],
        # Only a missing line takes the default: an empty one means the signer signs in their own name.
        signer_authority=(clean_text(value("signer_authority")) if "signer_authority" in raw
                          else Settings.signer_authority),
        risk_threshold=number("risk_threshold", 25.0),
        bands=(number("band_excellent", 90.0), number("band_good", 70.0), number("band_pass", 50.0)),
        sender=text["sender"],
        late_deduction=share("late_deduction"),
    )
    return settings, year is not None


def _infer_plan_year(
    settings: Settings, raw: Raw, deadlines: list[tuple[KPI, Any]], title_years: Counter[int], issues: list[Issue],
    config: str | None,
) -> None:
    """The plan year when "Cấu hình" does not give one, from what the workbook says, in order: the
    plan start, the years the deadlines name, the unit tabs' titles, the report date; the
    computer's clock last. Always said, never silent: yearless deadlines ("30/4", "Quý IV") move
    with it. Deadlines are read again with the year found."""
    written = Counter(int(y) for _, v in deadlines for y in _YEAR.findall(clean_text(v)))
    if settings.plan_start:
        year, source = settings.plan_start.year, "theo 'Ngày bắt đầu kỳ kế hoạch'"
    elif written:
        year, source = written.most_common(1)[0][0], "theo năm ghi trong thời hạn hoàn thành của các KPI"
    elif title_years:
        year, source = title_years.most_common(1)[0][0], "theo tiêu đề các trang tính đơn vị"
    elif settings.report_date:
        year, source = settings.report_date.year, "theo 'Ngày báo cáo'"
    else:
        year, source = dt.date.today().year, "theo ngày trên máy tính — hãy ghi 'Năm kế hoạch' vào 'Cấu hình'"
    cell = raw.get("plan_year", (None, None))[1]
    issues.append(PlanYearInferred(sheet=config, cell=cell, params={"year": year, "source": source}))
    if year != settings.plan_year:
        settings.plan_year = year
        for kpi, value in deadlines:
            kpi.deadline = parse_deadline(value, year)


# -- "Lịch sử" -----------------------------------------------------------------------------------

def read_history(grid: Iterable[list[Cell]], shared: dict[str, str], sheet: str = layout.SHEET_HISTORY,
                 ) -> tuple[History, HistoryLayout | None]:
    """Progress per KPI and report date from "Lịch sử", its rows read once in order (a grid, or
    rows made as they are read: :meth:`sheetkpi.workbook.reader.Grids.rows`); ``shared``: as for
    :func:`read_unit` (the history repeats unit codes on every row and the codes of the unit tabs).

    Rows are keyed as :func:`sheetkpi.rules.history_key` keys KPIs: unit, code (or title when there
    is no code), and the rank among the unit's rows with that same code or title. Empty cells are
    no figure (a KPI not updated, or whose progress was invalid), not 0.
    """
    keys = [fold(h) for h in layout.HISTORY_KEY_HEADERS]
    lines = iter(grid)
    filled = False  # a row from HISTORY_HEADER_ROW on holds something (see below)
    for r, row in enumerate(lines, start=1):
        folded = [fold(c.value) if isinstance(c.value, str) else "" for c in row]
        if keys[0] in folded and keys[1] in folded:
            unit_col, code_col = folded.index(keys[0]), folded.index(keys[1])
            title_col = folded.index(keys[2]) if keys[2] in folded else None
            dates = {}
            for c, cell in enumerate(row):
                d = parse_date(cell.value)
                if d and c not in (unit_col, code_col, title_col):
                    dates[d] = c + 1
            by_date = sorted(dates.items())
            index = HistoryKeys()
            sheet_rows = array("I")
            figures = array("d")
            nan = math.nan
            last_row = r
            for rr, line in enumerate(lines, start=r + 1):
                unit = clean_text(_value(line, unit_col))
                key = clean_text(_value(line, code_col)) or clean_text(_value(line, title_col))
                if not unit and not key:
                    continue
                last_row = rr
                index.append(shared.setdefault(unit, unit), shared.setdefault(key, key), len(sheet_rows))
                sheet_rows.append(rr)
                for _, c in by_date:
                    v = _value(line, c - 1)
                    figures.append(v if isinstance(v, (int, float)) and not isinstance(v, bool) else nan)
            history = History(tuple(d for d, _ in by_date), index, sheet_rows, figures)
            last_col = max([len(row), *(dates.values())])
            return history, HistoryLayout(header_row=r, rows=history.rows, dates=dates, last_row=last_row,
                                          last_col=last_col)
        filled = filled or (r >= layout.HISTORY_HEADER_ROW and any(not is_blank(cell.value) for cell in row))
        if r == layout.HEADER_SEARCH_ROWS:
            break
    # No header: a new or emptied tab gets one (with the title above it). A tab with rows below its
    # title is someone's history whose header was lost: writing a new table over it would overwrite
    # their figures, and reading none would change the figures compared with.
    if filled or any(not is_blank(cell.value) for row in lines for cell in row):
        unit, code = layout.HISTORY_KEY_HEADERS[:2]
        raise FileUnusable("history-header-missing", (
            f"Trang '{sheet}' có dữ liệu nhưng không có dòng tiêu đề (một dòng có cột '{unit}' và cột '{code}', "
            f"trong {layout.HEADER_SEARCH_ROWS} dòng đầu): sheetkpi không "
            "đọc được lịch sử và không ghi đè lên trang này. Hãy khôi phục dòng tiêu đề (Ctrl+Z nếu vừa xóa; bản "
            "sao lưu trước mỗi lần tính bằng lệnh nằm trong thư mục 'sao-luu'), hoặc đổi tên trang để sheetkpi "
            f"tạo trang '{layout.SHEET_HISTORY}' mới."
        ))
    return History.of({}), None


def _value(line: list[Cell], index: int | None) -> Any:
    return line[index].value if index is not None and index < len(line) else None
