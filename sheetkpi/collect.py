"""What departments send back (``sheetkpi collect``): which unit a returned copy belongs to, which of
its rows is which KPI, which cells the canonical workbook takes. Pure: grids in, decisions out; the
files are opened and the workbook written by :func:`sheetkpi.api.collect`. Rules: docs/collect.md.

- Rows are matched by KPI code (by title when a row has no code), never by row number: departments
  sort and insert rows. A row whose code changed is still found by its title.
- Only the cells a department reports each month (``layout.MONTHLY_COLUMNS``) are taken. Every other
  change — titles, weights, deadlines, rows added or deleted, another unit's tab — is a proposal for
  the Office, never written.
- Values are taken as the engine reads them: "80%", "80,5", "Hoàn thành" and a percentage cell
  holding 0,8 are the numbers 80, 80,5, 100, 80; a date typed as text is a date. Text that reads as
  nothing ("đang làm") is taken as typed, so that the recalculation flags the canonical cell.
- Two copies of one unit: the one saved last wins; every cell where the other said something else
  is listed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import layout
from .cells import address
from .model import Unit
from .parsing.dates import parse_date
from .parsing.numbers import format_vn, parse_progress, parse_vn_number, parse_weight
from .parsing.text import clean_text, excerpt, fold, format_date, nfc
from .reading import UnitLayout
from .report import ChangeNotTaken, CopyConflict, Issue, OtherUnitTab, RowAdded, RowMissing
from .structure import Grid, find_header, is_blank, read_structure

# The department columns a copy may change only as a proposal (the Office's); "STT" is left out:
# sorting renumbers nothing that matters.
OFFICE_COLUMNS = ("code", "title", "output", "weight", "deadline", "partners", "measure_unit", "target", "baseline")
_TEXT_FIELDS = {"code", "title", "output", "partners", "result", "obstacles", "measure_unit", "target"}
_NUMBER_FIELDS = {"actual", "baseline"}
SHOWN = 60  # characters of a text shown in a message


@dataclass
class Row:
    """A KPI row of a unit tab: its key (folded code, else folded title; and the rank among the
    tab's rows with that key) and its values as the engine reads them."""

    row: int
    key: tuple[str, int]
    values: dict[str, Any]  # field -> value as the engine reads it (see read_value)
    typed: dict[str, Any]  # field -> the cell's value as it is

    @property
    def label(self) -> str:
        """"KHĐT-03 'Thu hút đầu tư…'" for messages."""
        code, title = self.values.get("code") or "", self.values.get("title") or ""
        return " ".join(p for p in (code, f"'{excerpt(title, SHOWN)}'" if title else "") if p) or f"dòng {self.row}"


def read_value(name: str, value: Any, percent: bool, year: int) -> Any:
    """A cell of column ``name`` as the engine reads it, None when empty; what does not read is kept
    as typed (see the module's docstring)."""
    if is_blank(value):
        return None
    if name == "progress":
        p = parse_progress(value, percent)
        return _number(p.value) if p.problem in (None, "progress-out-of-range") else _typed(value)
    if name == "weight":
        w = parse_weight(value, percent)
        return _number(w.value) if w.value is not None else _typed(value)
    if isinstance(value, dt.date) and name in ("completed_on", "deadline"):
        return parse_date(value)  # a datetime's day
    if name == "completed_on":
        return parse_date(value, year) or _typed(value)
    if name in _NUMBER_FIELDS:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return _number(value)
        found = parse_vn_number(clean_text(value))
        return _number(found) if found is not None else _typed(value)
    return clean_text(value)


def _number(x: float) -> int | float:
    return int(x) if float(x).is_integer() else round(float(x), 9)


def _typed(value: Any) -> Any:
    return nfc(value) if isinstance(value, str) else value


def read_rows(grid: Grid, columns: Mapping[str, int], kpi_rows: list[int], year: int) -> list[Row]:
    """The KPI rows ``kpi_rows`` of a unit tab whose columns are ``columns``."""
    wanted = [f for f in (*OFFICE_COLUMNS, *layout.MONTHLY_COLUMNS) if f in columns]
    rows, ranks = [], Counter()
    for r in kpi_rows:
        line = grid[r - 1]
        typed, values = {}, {}
        for f in wanted:
            c = columns[f]
            cell = line[c - 1] if c <= len(line) else None
            typed[f] = cell.value if cell else None
            values[f] = read_value(f, typed[f], bool(cell and cell.percent), year)
        name = fold(values.get("code") or values.get("title") or "")
        rows.append(Row(r, (name, ranks[name]), values, typed))
        ranks[name] += 1
    return rows


@dataclass
class Tab:
    """A unit tab as ``collect`` compares it: where its columns are, and its KPI rows."""

    sheet: str
    columns: dict[str, int]
    rows: list[Row]


def canonical_tab(grid: Grid, unit_layout: UnitLayout, year: int) -> Tab:
    """The canonical workbook's tab of a unit, as reading found it."""
    return Tab(unit_layout.sheet, unit_layout.columns, read_rows(grid, unit_layout.columns, unit_layout.kpi_rows, year))


def returned_tab(grid: Grid, sheet: str, unit: str, year: int) -> Tab | None:
    """A tab of a returned copy read as a unit tab, or None when it is not one."""
    header = find_header(grid)
    if header is None or not header.is_unit_tab:
        return None
    structure = read_structure(grid, header, sheet, unit)
    return Tab(sheet, header.columns, read_rows(grid, header.columns, structure.kpi_rows, year))


def missing_columns(grid: Grid) -> list[str]:
    """The template texts of the columns a tab lacks to be a unit tab (for the message about a copy)."""
    header = find_header(grid)
    return header.missing if header else [layout.COLUMNS[f] for f in ("title", *layout.REQUIRED_FIELDS)]


# -- one returned tab against the canonical one ------------------------------------------------------

@dataclass(frozen=True)
class Formats:
    """The canonical tab's cells whose number format changes what is written into them: percentages
    (80 is written 0,8) and dates (a date elsewhere is written as the text "15/07/2026", which
    people and the engine read as the day it is, where a date's serial number would show as 46218)."""

    percent: frozenset[tuple[int, int]] | set[tuple[int, int]] = frozenset()
    date: frozenset[tuple[int, int]] | set[tuple[int, int]] = frozenset()


@dataclass
class CellChange:
    """A department cell the canonical workbook takes."""

    row: int
    col: int
    field: str
    kpi: str  # the row's label
    before: Any  # as the engine reads it
    after: Any
    write: Any  # the value written (see _to_write)


@dataclass
class Comparison:
    """A returned tab against the canonical tab of its unit."""

    changes: list[CellChange] = field(default_factory=list)
    updated: int = 0  # matched rows with at least one department cell taken
    unchanged: int = 0  # matched rows without
    rejected: int = 0  # rows of the copy not matched to a KPI: nothing of them taken
    missing: int = 0  # KPIs of the canonical tab not in the copy
    proposals: list[Issue] = field(default_factory=list)
    taken: dict[tuple[int, int], Any] = field(default_factory=dict)  # (row, col) -> value the copy has

    @property
    def differences(self) -> int:
        """How many things differ from the canonical tab: cells taken, proposals."""
        return len(self.changes) + len(self.proposals)


def compare(canonical: Tab, returned: Tab, unit: Unit, formats: Formats = Formats()) -> Comparison:
    """What a returned tab changes in the canonical tab of ``unit``: the department's cells to write
    (as ``formats``, the canonical cells' number formats, want them), the proposals for the Office,
    and the reconciliation counts."""
    out = Comparison()
    pairs, added, missing = _match(canonical.rows, returned.rows)
    where = {"sheet": canonical.sheet, "unit": unit.code}
    for row in added:
        out.proposals.append(RowAdded(params={"row": row.row, "kpi": row.label}, **where))
    for row in missing:
        out.proposals.append(RowMissing(cell=_cell(canonical, row, "code") or _cell(canonical, row, "title"),
                                        kpi=row.label, params={"kpi": row.label}, **where))
    out.rejected, out.missing = len(added), len(missing)
    for mine, theirs in pairs:
        for f in OFFICE_COLUMNS:
            if f in canonical.columns and f in returned.columns and not _same(mine.values[f], theirs.values[f]):
                out.proposals.append(ChangeNotTaken(cell=_cell(canonical, mine, f), kpi=mine.label, params={
                    "kpi": mine.label, "field": layout.COLUMNS[f], "before": shown(mine.values[f]),
                    "after": shown(theirs.values[f]),
                }, **where))
        taken = False
        for f in layout.MONTHLY_COLUMNS:
            if f not in canonical.columns or f not in returned.columns:
                continue  # a column the copy lost, or one the Office does not keep: nothing to take
            col = canonical.columns[f]
            out.taken[(mine.row, col)] = theirs.values[f]
            if _same(mine.values[f], theirs.values[f]):
                continue
            value = _to_write(f, theirs, (mine.row, col), formats)
            out.changes.append(CellChange(mine.row, col, f, mine.label, mine.values[f], theirs.values[f], value))
            taken = True
        out.updated += taken
        out.unchanged += not taken
    return out


def _match(canonical: list[Row], returned: list[Row]) -> tuple[list[tuple[Row, Row]], list[Row], list[Row]]:
    """(canonical row, returned row) pairs by key; a returned row whose code matches nothing is
    matched by title to a KPI left over (its code changed: a proposal); the rows left on each side."""
    by_key = {r.key: r for r in canonical}
    pairs, added, used = [], [], set()
    for row in returned:
        mine = by_key.get(row.key)
        if mine is None or mine.key in used:
            added.append(row)
            continue
        pairs.append((mine, row))
        used.add(mine.key)
    by_title: dict[str, Row] = {}
    for mine in canonical:
        if mine.key not in used and mine.values.get("title"):
            by_title.setdefault(fold(mine.values["title"]), mine)
    for row in list(added):
        mine = by_title.pop(fold(row.values.get("title") or ""), None)
        if mine is not None:
            pairs.append((mine, row))
            used.add(mine.key)
            added.remove(row)
    return pairs, added, [r for r in canonical if r.key not in used]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return abs(a - b) < 1e-9
    if isinstance(a, str) and isinstance(b, str):
        return clean_text(a) == clean_text(b)
    return a == b


def _to_write(name: str, row: Row, cell: tuple[int, int], formats: Formats) -> Any:
    """The value written into the canonical ``cell``: the engine's reading of a number or a date (a
    progress into a percentage cell divided by 100, a date into a cell without a date format as
    text); a text as typed, line breaks kept."""
    value = row.values[name]
    if name in _TEXT_FIELDS:
        return _typed(row.typed[name]) if value is not None else None
    if name == "progress" and cell in formats.percent and isinstance(value, (int, float)):
        return _number(value / 100)
    if isinstance(value, dt.date) and cell not in formats.date:
        return format_date(value)
    return value


def _cell(tab: Tab, row: Row, name: str) -> str | None:
    col = tab.columns.get(name)
    return address(row.row, col) if col else None


def shown(value: Any) -> str:
    """A value in a message: "20", "45,5", "30/06/2026", "'Quý IV'", "(trống)"."""
    if value is None or value == "":
        return "(trống)"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return format_vn(value)
    if isinstance(value, dt.date):
        return format_date(value)
    return f"'{excerpt(str(value), SHOWN)}'"




# -- a returned file: whose it is, and what it says ---------------------------------------------------

_TOKEN = re.compile(r"[a-z0-9]+")


def named_units(file_name: str, units: list[Unit]) -> list[Unit]:
    """The units a file name names by code or tab ("KHĐT-2026-06.xlsx", "bang kpi VP thang 6.xlsx")."""
    stem = file_name.rsplit(".", 1)[0]
    tokens = set(_TOKEN.findall(fold(stem)))
    return [u for u in units if fold(u.code) in tokens or fold(u.sheet) in tokens]


class NotAUnitsCopy(Exception):
    """A returned file whose unit cannot be told; the message says why, in Vietnamese."""


@dataclass
class ReturnedCopy:
    """One returned file read against the canonical workbook: its unit's comparison, and what else
    it holds that differs (another unit's tab)."""

    name: str  # the file's name, for messages
    saved_at: dt.datetime  # when it was last saved (its own properties, else the file's time)
    unit: Unit
    comparison: Comparison
    others: list[Issue] = field(default_factory=list)


def read_copy(
    name: str, saved_at: dt.datetime, sheets: Mapping[str, Grid], units: list[Unit],
    canonical: Callable[[Unit], Tab], formats: Callable[[Unit], Formats], year: int,
) -> ReturnedCopy:
    """Whose copy ``sheets`` (a returned file named ``name``) is, and what it changes.

    Its unit: the one whose tab it holds; among several, the one its name names, else the only one
    whose tab it changed. A copy whose tab was renamed is taken when it holds one unit tab and its
    name names one unit. ``canonical(unit)``: that unit's canonical tab.
    """
    by_sheet = {fold(u.sheet): u for u in units}
    tabs: dict[str, tuple[Unit, Tab]] = {}
    for sheet in sheets:
        unit = by_sheet.get(fold(sheet))
        if unit is None:
            continue
        grid = sheets[sheet]
        tab = returned_tab(grid, sheet, unit.code, year)
        if tab is None:
            raise NotAUnitsCopy(f"trang '{sheet}' thiếu cột {', '.join(repr(m) for m in missing_columns(grid))}")
        tabs[unit.code] = (unit, tab)
    named = named_units(name, units)
    if not tabs:
        tabs = _renamed_tab(sheets, named, year)
    comparisons = {code: compare(canonical(unit), tab, unit, formats(unit)) for code, (unit, tab) in tabs.items()}
    own = _own(tabs, comparisons, named)
    others = [
        OtherUnitTab(sheet=unit.sheet, unit=unit.code, params={
            "file": name, "tab": tab.sheet, "unit": unit.code, "count": comparisons[code].differences,
        })
        for code, (unit, tab) in tabs.items() if code != own.code and comparisons[code].differences
    ]
    return ReturnedCopy(name, saved_at, own, comparisons[own.code], others)


def _renamed_tab(sheets: Mapping[str, Grid], named: list[Unit], year: int) -> dict[str, tuple[Unit, Tab]]:
    """The one unit tab of a copy whose tab no longer has its unit's name, when the file name names
    one unit."""
    found = [(s, t) for s in sheets if (t := returned_tab(sheets[s], s, "", year)) is not None]
    if len(found) == 1 and len(named) == 1:
        return {named[0].code: (named[0], found[0][1])}
    if not found:
        raise NotAUnitsCopy("không có trang tính nào có dạng bảng giao KPI (cột 'Mã KPI' hoặc 'Nhiệm vụ / KPI', "
                            "'Trọng số (điểm)', '% tiến độ')")
    tabs = ", ".join(f"'{s}'" for s, _ in found)
    raise NotAUnitsCopy(f"không có trang tính mang tên đơn vị nào trong 'Cấu hình' (có {tabs}); hãy đặt tên tệp "
                        "có mã đơn vị, ví dụ KHĐT-2026-06.xlsx, hoặc đổi tên trang tính về đúng mã đơn vị")


def _own(tabs: dict[str, tuple[Unit, Tab]], comparisons: dict[str, Comparison], named: list[Unit]) -> Unit:
    if len(tabs) == 1:
        return next(iter(tabs.values()))[0]
    by_name = [u for u in named if u.code in tabs]
    if len(by_name) == 1:
        return by_name[0]
    changed = [tabs[code][0] for code, c in comparisons.items() if c.changes]
    if len(changed) == 1:
        return changed[0]
    listed = ", ".join(tabs)
    raise NotAUnitsCopy(f"tệp có trang của nhiều đơn vị ({listed}) và không rõ là bản của đơn vị nào; hãy đặt tên "
                        "tệp có mã đơn vị, ví dụ KHĐT-2026-06.xlsx")


def saved_text(when: dt.datetime) -> str:
    """"20/06/2026 09:15"."""
    return f"{format_date(when)} {when:%H:%M}"


def conflicts(newer: ReturnedCopy, older: ReturnedCopy) -> list[Issue]:
    """The cells where ``older`` (a copy of the same unit saved before ``newer``) changed the
    canonical workbook to something ``newer`` does not say."""
    found = []
    mine = {(c.row, c.col): c for c in older.comparison.changes}
    for (row, col), change in mine.items():
        theirs = newer.comparison.taken.get((row, col), change.before)
        if _same(theirs, change.after):
            continue
        found.append(CopyConflict(
            sheet=newer.unit.sheet, cell=address(row, col), unit=newer.unit.code, kpi=change.kpi, params={
                "kpi": change.kpi, "older": older.name, "older_at": saved_text(older.saved_at),
                "older_value": shown(change.after), "newer": newer.name, "newer_at": saved_text(newer.saved_at),
                "newer_value": shown(theirs),
            }))
    return found


@dataclass
class Choice:
    """Which copy each unit's figures come from."""

    copies: list[ReturnedCopy]  # one per unit that sent one, in the units' order
    superseded: list[ReturnedCopy]  # older copies of a unit: not taken
    conflicts: list[Issue]  # cells where an older copy said something the newer one does not
    not_returned: list[Unit]


def choose(copies: list[ReturnedCopy], units: list[Unit]) -> Choice:
    """Per unit, the copy saved last (of two saved at the same time, the one given last); the others
    set aside with the cells where they disagree with it."""
    by_unit: dict[str, list[ReturnedCopy]] = {}
    for _, copy in sorted(enumerate(copies), key=lambda ic: (ic[1].saved_at, ic[0]), reverse=True):
        by_unit.setdefault(copy.unit.code, []).append(copy)
    chosen = Choice([], [], [], [])
    for unit in units:
        found = by_unit.get(unit.code)
        if not found:
            chosen.not_returned.append(unit)
            continue
        newest, *older = found
        chosen.copies.append(newest)
        chosen.superseded += older
        chosen.conflicts += [issue for copy in older for issue in conflicts(newest, copy)]
    return chosen
