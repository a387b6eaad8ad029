"""The KPI model: settings, units, KPIs as read, and their evaluation. Pure data, no file I/O."""

from __future__ import annotations

import datetime as dt
import math
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from operator import attrgetter, itemgetter

from .parsing.deadlines import Deadline
from .report import ERROR, Issue

# Statuses, exactly one per KPI (SPEC §2).
DONE = "Hoàn thành"
LATE = "Quá hạn"
NOT_STARTED = "Chưa triển khai"
IN_PROGRESS = "Đang thực hiện"
STATUSES = (DONE, IN_PROGRESS, NOT_STARTED, LATE)

NO_GRADE = "Chưa đủ căn cứ"
GRADES = ("Hoàn thành xuất sắc", "Hoàn thành tốt", "Hoàn thành", "Không hoàn thành")


@dataclass
class Settings:
    """What "Cấu hình" says (with the SPEC defaults)."""

    plan_year: int
    parent_agency: str = ""
    agency: str = ""
    office: str = "Văn phòng"
    plan_start: dt.date | None = None  # default 1 January of plan_year
    cutoff_day: int = 25
    report_date: dt.date | None = None
    place: str = ""
    doc_symbol: str = "BC-VP"
    signer: str = ""
    signer_title: str = ""
    signer_authority: str = "TL. TRƯỞNG BAN"  # NĐ 30: TM./KT./TL./Q. over the signer's title; "" for none
    risk_threshold: float = 25.0
    bands: tuple[float, float, float] = (90.0, 70.0, 50.0)  # excellent, good, pass
    sender: str = ""  # "Email gửi": the Office's own address, the sender of the mail commands
    # "Tỷ lệ trừ điểm KPI chậm hạn (%)": Nghị định 335's 25 % of a KPI's points, lost at the year's end
    # when it was completed after its deadline or is still open; None when "Cấu hình" does not say
    late_deduction: float | None = None

    @property
    def start(self) -> dt.date:
        return self.plan_start or dt.date(self.plan_year, 1, 1)


@lru_cache(maxsize=1 << 14)
def _address(letter: str, row: int) -> str:
    # One string for equal addresses: every tab's findings name the same few hundred rows of the
    # same columns (300,000 KPIs: 210,000 findings' cells, 10 MiB as a string each).
    return letter + str(row)


class CellAddresses(Mapping[str, str]):
    """A KPI row's cell address by field name ("H7"), from its unit's column letters.

    Made when asked for (:attr:`KPI.cells`): a 100,000-row workbook's KPIs hold the unit's letters,
    not a dict of 20 address strings each.
    """

    __slots__ = ("_letters", "_row")

    def __init__(self, letters: Mapping[str, str], row: int) -> None:
        self._letters = letters  # field -> column letter, shared by the unit's rows
        self._row = row

    def __getitem__(self, name: str) -> str:
        return _address(self._letters[name], self._row)

    def get(self, name: str, default: str | None = None) -> str | None:
        letter = self._letters.get(name)
        return default if letter is None else _address(letter, self._row)

    def __iter__(self) -> Iterator[str]:
        return iter(self._letters)

    def __len__(self) -> int:
        return len(self._letters)

    def __repr__(self) -> str:
        return repr(dict(self))


@dataclass(slots=True)
class KPI:
    """One KPI row of a unit tab, as the department typed it (already parsed)."""

    unit: str
    sheet: str
    row: int
    code: str
    title: str
    weight: float | None  # None: missing or invalid, scores 0
    progress: float | None  # as typed (may be out of range); None: nothing typed, or invalid text
    deadline: Deadline
    completed_on: dt.date | None = None
    output: str = ""
    partners: str = ""
    result: str = ""
    obstacles: str = ""
    measure_unit: str = ""
    target: str = ""
    baseline: float | None = None
    actual: float | None = None
    indicator_progress: float | None = None  # computed from target/actual for numeric indicators
    letters: Mapping[str, str] = field(default_factory=dict)  # field name -> column letter ("H"), the unit's
    # Problems found while reading the row (a tuple: most rows have none, and () is shared).
    issues: tuple[Issue, ...] = ()
    occurrence: int = 0  # rank among the unit's KPIs with the same code (or title, without code)
    owners: str = ""  # "Người phụ trách" as typed (optional column): one name or several

    @property
    def cells(self) -> CellAddresses:
        """Field name -> the row's cell address ("H7")."""
        return CellAddresses(self.letters, self.row)

    def __reduce__(self):
        # Pickled as its fields in order, made again by one call (the second reading process sends
        # 50,000 KPIs): half the time of the default, which goes through a dict of its slots.
        return KPI, _kpi_fields(self)


_kpi_fields = attrgetter(*KPI.__slots__)


@dataclass
class Unit:
    """A department and its tab."""

    code: str
    name: str
    sheet: str
    kpis: list[KPI] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)  # sheet-level problems found while reading
    email: str = ""  # the "Email" of the units table: one address or several, as typed
    head: str = ""  # "Người đứng đầu" of the units table: who carries the unit's result


Key = tuple[str, str, int]  # a KPI's key in "Lịch sử": see rules.history_key


class HistoryKeys(Mapping[Key, int]):
    """Each key of "Lịch sử" (unit, code or title, rank) and its row of the history's table, in the
    order of their rows. Held by unit: a code's place among the unit's rows, and those rows; a key
    of rank 1 or more (a code's second row in a unit: rare) on its own. A dict of the keys took a
    tuple and an int for each: 26 MiB of Python's arenas at 300,000 KPIs while every KPI read is
    held (docs/performance.md). (A unit's places are small ints, which Python shares up to 256.)
    Anything but a (unit, code, rank) tuple is no key, as in a dict of them."""

    __slots__ = ("_units", "_more", "_ranks")

    def __init__(self) -> None:
        self._units: dict[str, tuple[dict[str, int], array]] = {}  # unit -> (code -> place, rows)
        self._more: dict[Key, int] = {}  # key of rank 1 or more -> row
        self._ranks: dict[tuple[str, str], int] = {}  # (unit, code) put again: the rank of the next

    def put(self, key: Key, row: int) -> None:
        """``key`` is at ``row`` (a key put again moves there)."""
        unit, code, rank = key
        if rank != 0:
            self._more[key] = row
            return
        found = self._units.get(unit)
        if found is None:
            found = self._units[unit] = ({}, array("I"))
        codes, rows = found
        place = codes.get(code)
        if place is None:
            codes[code] = len(rows)
            rows.append(row)
        else:
            rows[place] = row

    def append(self, unit: str, code: str, row: int) -> None:
        """The next key of ``unit`` and ``code`` (rank 0, then 1, …) is at ``row``."""
        found = self._units.get(unit)
        rank = 0
        if found is not None and code in found[0]:
            rank = self._ranks.get((unit, code), 1)
            self._ranks[unit, code] = rank + 1
        self.put((unit, code, rank), row)

    def get(self, key: Key, default=None):
        if type(key) is not tuple or len(key) != 3:
            return default
        unit, code, rank = key
        if rank != 0:  # (False and 0.0 are 0, as dict keys)
            return self._more.get(key, default)
        found = self._units.get(unit)
        if found is not None:
            place = found[0].get(code)
            if place is not None:
                return found[1][place]
        return default

    def __getitem__(self, key: Key) -> int:
        row = self.get(key)
        if row is None:
            raise KeyError(key)
        return row

    def __contains__(self, key: object) -> bool:
        return self.get(key) is not None  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[Key]:
        # In the order of their rows (the order a history's keys are put in), made when asked for:
        # only "Lịch sử" in long form and a report date before those there go through every key.
        found = [(rows[place], (unit, code, 0)) for unit, (codes, rows) in self._units.items()
                 for code, place in codes.items()]
        found.extend((row, key) for key, row in self._more.items())
        found.sort(key=itemgetter(0))
        return (key for _, key in found)

    def __len__(self) -> int:
        return sum(len(rows) for _, rows in self._units.values()) + len(self._more)


class History(Mapping[Key, list[tuple[dt.date, float]]]):
    """What "Lịch sử" holds: for each KPI's key, [(report date, progress), ...] in date order, one
    pair per date whose cell holds a number (an empty cell is no figure).

    Held as one table of floats, a row per key and a column per date (NaN: empty), and each key's
    place in it: 100,000 KPIs over five dates as lists of pairs took 275 bytes a KPI; as a row of
    the table, 40. Each KPI's pairs are made when asked for.
    """

    __slots__ = ("_dates", "_index", "_sheet_rows", "_figures")

    def __init__(self, dates: tuple[dt.date, ...], index: HistoryKeys, sheet_rows: array, figures: array) -> None:
        self._dates = dates  # in date order
        self._index = index  # key -> its row of the table
        self._sheet_rows = sheet_rows  # the table's row -> the sheet's
        self._figures = figures  # table row * len(dates) + date's index -> progress, NaN: empty

    @classmethod
    def of(cls, pairs: Mapping[Key, Iterable[tuple[dt.date, float]]]) -> History:
        """The history of ``pairs`` (each key's (report date, progress) pairs), not read from a
        sheet (its keys have no row there: 0): none when "Lịch sử" is missing, a part of one."""
        figures = {key: dict(points) for key, points in pairs.items()}
        dates = tuple(sorted({d for points in figures.values() for d in points}))
        table = array("d", (points.get(d, math.nan) for points in figures.values() for d in dates))
        index = HistoryKeys()
        for i, key in enumerate(figures):
            index.put(key, i)
        return cls(dates, index, array("I", [0]) * len(figures), table)

    def __getitem__(self, key: Key) -> list[tuple[dt.date, float]]:
        n = len(self._dates)
        at = self._index[key] * n
        return [(d, v) for d, v in zip(self._dates, self._figures[at:at + n]) if v == v]  # (NaN is not)

    def get(self, key: Key, default=None):
        return self[key] if key in self._index else default

    def __iter__(self) -> Iterator[Key]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)

    def __repr__(self) -> str:
        return f"History({dict(self)!r})"

    def figures_on(self, day: dt.date) -> Callable[[Key], float | None]:
        """The figure of a key on ``day`` (None: no such key or date, or an empty cell), without
        making its pairs, for many keys: the date looked up once."""
        try:
            at, n = self._dates.index(day), len(self._dates)
        except ValueError:  # (no such date)
            return lambda key: None
        index, figures = self._index, self._figures

        def figure(key: Key) -> float | None:
            row = index.get(key)
            if row is None:
                return None
            value = figures[row * n + at]
            return value if value == value else None  # (NaN is not)
        return figure

    def last_figures(self, start: dt.date, end: dt.date) -> Callable[[Key], tuple[tuple[dt.date, float], ...]]:
        """For many keys: a key's last figure dated from ``start`` and before ``end``, as its only
        (report date, progress) pair; none when it has none."""
        dates, index, figures = self._dates, self._index, self._figures
        n = len(dates)
        within = range(bisect_left(dates, end) - 1, bisect_left(dates, start) - 1, -1)  # latest first

        def last(key: Key) -> tuple[tuple[dt.date, float], ...]:
            row = index.get(key)
            if row is not None:
                for i in within:
                    value = figures[row * n + i]
                    if value == value:  # (NaN is not)
                        return ((dates[i], value),)
            return ()
        return last

    def figure_dates(self) -> set[dt.date]:
        """The report dates whose column holds at least one figure."""
        n = len(self._dates)
        return {d for i, d in enumerate(self._dates) if any(v == v for v in self._figures[i::n])}  # (NaN is not)

    @property
    def rows(self) -> Mapping[Key, int]:
        """Each key's row in the sheet."""
        return _SheetRows(self._index, self._sheet_rows)


class _SheetRows(Mapping[Key, int]):
    """Each key's row in the sheet: the history's table row of the key (one key for each table row,
    in its order), and the table row's in the sheet."""

    __slots__ = ("_index", "_rows")

    def __init__(self, index: HistoryKeys, rows: array) -> None:
        self._index, self._rows = index, rows

    def __getitem__(self, key: Key) -> int:
        return self._rows[self._index[key]]

    def get(self, key: Key, default=None):
        at = self._index.get(key)  # (without the KeyError of Mapping.get: a KPI added has none)
        return default if at is None else self._rows[at]

    def __iter__(self) -> Iterator[Key]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)

    def values(self) -> Iterator[int]:  # type: ignore[override]
        # The rows in the keys' order, which is the table's (see HistoryKeys): without a key made
        # for each ("Lịch sử"'s figures are written by row).
        return iter(self._rows)

    def __repr__(self) -> str:
        return repr(dict(self))


@dataclass
class Tracker:
    """Everything read from one workbook: settings, units and the progress history."""

    settings: Settings
    units: list[Unit]
    # history[rules.history_key(kpi)] = [(report date, progress), ...] sorted by date; no entry
    # for a date whose cell is empty
    history: History = field(default_factory=lambda: History.of({}))
    issues: list[Issue] = field(default_factory=list)  # workbook-level problems


@dataclass(slots=True)
class KpiResult:
    """A KPI evaluated at the report date."""

    kpi: KPI
    effective_progress: float  # "Tiến độ tính điểm (%)"; above 100 only for over-achieved indicators
    score: float
    status: str
    expected_progress: float | None  # None when the KPI has no due date
    at_risk: bool
    completed_late: bool
    issues: tuple[Issue, ...] = ()  # every issue about this row
    previous_progress: float | None = None  # the figure of the previous report in "Lịch sử", if any
    previous_status: str | None = None  # the status that figure gave at that report date

    @property
    def became_late(self) -> bool:
        """Late now, and not at the previous report."""
        return self.status == LATE and self.previous_status != LATE

    @property
    def became_done(self) -> bool:
        """Done now, and not at the previous report."""
        return self.status == DONE and self.previous_status != DONE


@dataclass
class UnitResult:
    """A unit's figures at the report date."""

    unit: Unit
    kpis: list[KpiResult]
    weight_total: float
    score_total: float
    expected_score: float
    ratio: float | None  # "Tỷ lệ so với kỳ vọng" (%), capped at 100; None without expected score
    grade: str
    status_counts: dict[str, int]
    at_risk_count: int
    flags: list[str]
    kpi_count: int  # every KPI of the unit, whatever ``kpis`` keeps (see below)
    issues: list[Issue] = field(default_factory=list)  # unit-level issues (weight sum…)
    previous_score: float | None = None  # the unit's score at the previous report; None: no figure then
    # A recalculation drops, once the unit's tab is written, the results nothing after needs (see
    # sheetkpi.api.recalculate): ``kpis`` then keeps those a report lists (late, at risk, completed
    # late, done since the previous report); ``kpi_count`` counts them all; ``people`` has the
    # unit's rows of sheetkpi.people.people, made before (see sheetkpi.people.unit_people: whether
    # any of its KPIs names someone, and the rows).
    people: tuple[bool, list] | None = None


@dataclass
class Evaluation:
    """The whole workbook evaluated at one report date."""

    as_of: dt.date
    settings: Settings
    units: list[UnitResult]
    issues: list[Issue]  # all issues, rows included, in sheet order
    as_of_source: str = "as-of"  # where the report date came from (see sheetkpi.reportdate)
    previous: dt.date | None = None  # the previous report date in "Lịch sử" (same plan period), if any

    @property
    def previous_total(self) -> float | None:
        """The agency's score at the previous report, over the units that had figures then."""
        scores = [u.previous_score for u in self.units if u.previous_score is not None]
        return round(sum(scores), 2) if scores else None

    @property
    def kpis(self) -> list[KpiResult]:
        """Every KPI's result (after a recalculation, those a report lists: see UnitResult)."""
        return [k for u in self.units for k in u.kpis]

    @property
    def errors(self) -> list[Issue]:
        """The data problems that make ``check`` fail."""
        return [i for i in self.issues if i.kind == ERROR]

    @property
    def data_problems(self) -> list[Issue]:
        """What the departments or the Office must fix in the workbook: errors and data problems."""
        return [i for i in self.issues if i.is_data_problem]

    @property
    def findings(self) -> list[Issue]:
        """How the work goes: late, at risk, completed late, progress down or not updated."""
        return [i for i in self.issues if not i.is_data_problem]

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def totals(self) -> dict:
        """Agency-wide totals over all units."""
        counts = {s: sum(u.status_counts[s] for u in self.units) for s in STATUSES}
        return {
            "kpi_count": sum(u.kpi_count for u in self.units),
            "weight_total": round(sum(u.weight_total for u in self.units), 2),
            "score_total": round(sum(u.score_total for u in self.units), 2),
            "expected_score": round(sum(u.expected_score for u in self.units), 2),
            "status_counts": counts,
            "at_risk_count": sum(u.at_risk_count for u in self.units),
        }
