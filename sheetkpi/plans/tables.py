"""Task, criterion and indicator tables of plans, read by their header texts.

Plans put their tables in appendices ("Phụ lục") with a "TT" column (sometimes two: "TT" and "Chi
tiết"), headers on two rows, rows in capitals that name a unit or a section, group rows that carry
the lead of the tasks under them, rows numbered "-" under an indicator, and rows broken across pages
(the rest of a cell on a row of its own, the header repeated, a row of column numbers "1 2 3 …" or
"(1) (2) (3) …"). This module turns such a table into numbered rows with their group and their cells
by field, and says who leads each row.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..parsing.numbers import parse_vn_number, parse_weight
from ..parsing.text import fold
from .document import Document, Table
from .fields import NUMBER, ROMAN, SUB_ROW, numeric_target, tidy
from .model import PlanItem
from .naming import heading_text, is_upper, mixed_case_name
from .outline import TITLE_LINES, is_form_title
from .units import Lead, is_unit_name, read_lead

HEADER_SEARCH_ROWS = 5
_YEAR = re.compile(r"\b(\d{4})\b")
_GROUP_LETTER = re.compile(r"^[A-ZĐ]$")
_SUB_LETTER = re.compile(r"^[a-zđ][.)]?$")
# "TC 1.1 - Thực hiện kế hoạch CCHC", "TCTP 1.3.1 - …": a criterion code written before its title.
_CODE_PREFIX = re.compile(r"^([A-ZĐ]{1,6}\s?\d+(?:\.\d+)*)\s*[-–—:]\s+(.+)$")
_TITLE_WORDS = ("noi dung", "nhiem vu", "tieu chi", "chi tieu", "kpi", "cong viec", "ten ")


def column_field(header: str, year: int) -> str | None:
    """The field a plan table's column holds, from its header text; None for other columns.

    "Kế hoạch năm 2023" is the target in a 2023 plan and the baseline in a 2024 one; a ratio
    column ("… so với …") is derived and holds no field.
    """
    h = fold(header)
    if not h or "so voi" in h:
        return None
    if h in ("tt", "stt", "so tt", "so thu tu", "stt tt"):
        return "seq"
    if h in ("chi tiet", "tt chi tiet"):
        return "detail"
    if h == "ma" or h.startswith("ma "):
        return "code"
    if "trong so" in h or h in ("diem", "so diem"):
        return "weight"
    if "don vi tinh" in h or h == "dvt":
        return "measure_unit"
    # "Cơ quan chủ trì, phối hợp": its first body leads, the others are partners.
    if "phu trach" in h or "chu tri" in h or h.startswith(("don vi thuc hien", "co quan thuc hien")):
        return "lead"
    if "phoi hop" in h:
        return "partners"
    if h.startswith(("thoi gian", "thoi han", "han hoan thanh")):
        return "deadline"
    if h.startswith(("so kpi", "so nhiem vu", "so chi tieu", "so luong")):
        return "count"
    years = _YEAR.findall(h)
    if years:
        named = int(years[-1])
        return "target" if named == year else "baseline" if named == year - 1 else None
    if h.startswith(("chi tieu ke hoach", "ke hoach")):
        return "target"
    if h.startswith(("san pham", "dau ra")):
        return "output"
    if h.startswith(("muc tieu", "yeu cau")):
        return "goal"
    if any(word in h for word in _TITLE_WORDS):
        return "title"
    return None


@dataclass
class TableRow:
    """A numbered row of a plan table, after the rows that continue it were merged into it."""

    number: str
    cells: dict[str, str]
    extras: list[tuple[str, str]]  # (header, text) of the columns no field takes
    group: str = ""  # the capitalised row above it: a unit or a section
    parent: TableRow | None = None  # the indicator a "-" row details
    index: int = 0  # rank among its parent's sub-rows
    group_cells: dict[str, str] = field(default_factory=dict)  # lead, partners written on its group row


@dataclass
class PlanTable:
    """A plan table with a header row naming at least the task column."""

    columns: dict[str, int]
    headers: list[str]
    rows: list[TableRow] = field(default_factory=list)

    @property
    def is_indicator_table(self) -> bool:
        """A table of numeric indicators (unit of measure, target), not of tasks."""
        return "measure_unit" in self.columns or "target" in self.columns


def read_table(table: Table, year: int) -> PlanTable | None:
    """The rows of ``table`` by field, or None when it has no header with a task column."""
    for at, row in enumerate(table.rows[:HEADER_SEARCH_ROWS]):
        row = list(row)
        rest = table.rows[at + 1:]
        # A header on two rows: "Stt" over "TT" and "Chi tiết"; Word repeats a cell merged down.
        while rest and _header_continues(rest[0], row):
            row = [a if b == a else " ".join(t for t in (a, b) if t) for a, b in zip(row, rest[0])]
            rest = rest[1:]
        columns: dict[str, int] = {}
        for col, header in enumerate(row):
            name = column_field(header, year)
            if name and name not in columns:
                columns[name] = col
        if "title" in columns and len(columns) >= 2:
            return _rows(PlanTable(columns, row), rest)
    return None


def _header_continues(cells: list[str], above: list[str]) -> bool:
    """Whether ``cells`` is the second row of the header ``above``: a few short words under some of
    its columns ("TT", "Chi tiết"), the other cells empty or repeating the cell above."""
    filled = [c for c, a in zip(cells, above) if c and c != a]
    named = [column_field(c, 0) in ("seq", "detail") for c in filled]
    return bool(filled) and len(filled) < len(cells) and any(named) and all(
        len(c.split()) <= 3 and not NUMBER.match(c) and not c.startswith("(") and (not is_upper(c) or seq)
        for c, seq in zip(filled, named))


def _rows(plan_table: PlanTable, rows: list[list[str]]) -> PlanTable:
    header = [fold(h) for h in plan_table.headers]
    seq = plan_table.columns.get("seq")
    detail = plan_table.columns.get("detail")
    title = plan_table.columns["title"]
    # Without numbers (no "TT" column, or an empty one) every row with a task is a task; with them,
    # an unnumbered row is the rest of the row above, carried over a page break.
    numbered = seq is not None and any(NUMBER.match(cells[seq]) for cells in rows)
    merged: list[tuple[str, list[str], str, int, dict[str, str]]] = []  # (kind, cells, group, parent, group cells)
    group, group_cells, parent = "", {}, -1
    for cells in rows:
        if not any(cells) or [fold(c) for c in cells] == header or _column_numbers(cells):
            continue
        number = cells[seq] if seq is not None else ""
        others = [c for i, c in enumerate(cells) if c and i not in (seq, title, detail)]
        if detail is not None and not number and NUMBER.match(cells[detail]) and cells[title]:
            # "| | 12 | Giải quyết dứt điểm … | Các Sở, ban, ngành; UBND các xã |": a group of the
            # rows under it, which take its lead and partners when they write none.
            group = f"{cells[detail].rstrip('.')}. {cells[title]}"
            group_cells = {f: cells[c] for f, c in plan_table.columns.items() if f in ("lead", "partners") and cells[c]}
            continue
        if _is_group(number, cells[title], others):
            group = f"{number}. {cells[title]}" if ROMAN.match(number) and cells[title] else cells[title] or number
            group_cells = {}
            continue
        if NUMBER.match(number) or (cells[title] and (not numbered or not merged)):
            merged.append(("item", list(cells), group, -1, group_cells))
            parent = len(merged) - 1
        elif (number in SUB_ROW or _SUB_LETTER.match(number)) and parent >= 0:
            merged.append(("sub", list(cells), group, parent, group_cells))
        elif merged:
            last = merged[-1][1]
            for i, text in enumerate(cells):
                if text and i != seq:
                    last[i] = _join(last[i], text)
    built: list[TableRow] = []
    for kind, cells, row_group, parent_at, cells_of_group in merged:
        row = _row(plan_table, cells, row_group)
        row.group_cells = cells_of_group
        if kind == "sub":
            row.parent = built[parent_at]
            row.index = sum(1 for r in built if r.parent is row.parent) + 1
        built.append(row)
    plan_table.rows = built
    return plan_table


def _is_group(number: str, title: str, others: list[str]) -> bool:
    """A row in capitals with nothing else: a unit ("VĂN PHÒNG") or a section ("I | CẢI CÁCH …")."""
    if others:
        return False
    if not number:
        return is_upper(title)
    if ROMAN.match(number) or _GROUP_LETTER.match(number):
        return is_upper(title) if title else False
    return not title and is_upper(number) and not NUMBER.match(number)


def _column_numbers(cells: list[str]) -> bool:
    """The row "1 | 2 | 3 | …" or "(1) | (2) | (3) | …" some plans put under the header."""
    filled = [c.strip("() ") for c in cells if c]
    return len(filled) >= 3 and filled == [str(i) for i in range(1, len(filled) + 1)]


def _join(before: str, after: str) -> str:
    if not before:
        return after
    return before + after if before.endswith("-") else f"{before} {after}"


def _row(plan_table: PlanTable, cells: list[str], group: str) -> TableRow:
    by_field = {f: cells[c] for f, c in plan_table.columns.items() if f != "detail"}
    taken = set(plan_table.columns.values())
    extras = [(plan_table.headers[i], c) for i, c in enumerate(cells) if i not in taken and c]
    return TableRow(by_field.get("seq", ""), by_field, extras, group)


def split_code(title: str) -> tuple[str, str]:
    """("TC 1.1", "Thực hiện kế hoạch CCHC") for "TC 1.1 - Thực hiện kế hoạch CCHC"; ("", title) else."""
    m = _CODE_PREFIX.match(title)
    return (m.group(1), m.group(2)) if m else ("", title)


def row_number(row: TableRow) -> str:
    """The row's number for a code: "03" for TT 3, "07.1" for the first "-" row under TT 7."""
    if row.parent is not None:
        return f"{row_number(row.parent)}.{row.index}"
    head = row.number.rstrip(".").split(".")[0]
    return f"{int(head):02d}" if head.isdigit() else ""


def row_item(row: TableRow, *, notes: tuple[str, ...] = ()) -> PlanItem:
    """A plan item from a table row. A goal or target with a number makes it a numeric indicator;
    columns no field takes, and ``notes`` (the section), are kept as lines of "Sản phẩm đầu ra"."""
    cells = row.cells
    code = cells.get("code", "")
    title = cells.get("title", "")
    if not code:
        code, title = split_code(title)
    if row.parent is not None:
        title = f"{tidy(row.parent.cells.get('title', ''))}: {title}"
    written_target, goal = cells.get("target", ""), cells.get("goal", "")
    target, measure_unit = numeric_target(written_target or goal)
    weight = parse_weight(cells["weight"]) if cells.get("weight") else None
    output = [cells.get("output", ""), goal, *(f"{h}: {v}" for h, v in row.extras), *notes]
    return PlanItem(
        title=tidy(title),
        code=code,
        number="" if code else row_number(row),
        weight=weight.value if weight and not weight.problem else None,
        deadline=tidy(cells.get("deadline", ""), ".;"),
        output="\n".join(tidy(line, ";") for line in output if line),
        partners=tidy(cells.get("partners", ""), ".;"),
        measure_unit=cells.get("measure_unit", "") or measure_unit,
        target=target or written_target,
        baseline=parse_vn_number(cells["baseline"]) if cells.get("baseline") else None,
    )


@dataclass
class TableTask:
    """A row of a plan table as a task: its item, who leads it (None: the table does not say), and
    whether it is a numeric indicator (which goes to the common tab rather than being unplaced)."""

    item: PlanItem
    lead: Lead | None
    origin: str  # "column", "group row", ""
    indicator: bool
    text: str  # the row's code and title, for messages


def _task_tables(doc: Document) -> Iterator[Table]:
    """The tables of the plan, without those an annex titles as a form or an outline of a report."""
    above: list[str] = []
    for block in doc.blocks:
        if isinstance(block, Table):
            if not any(is_form_title(line) for line in above[-TITLE_LINES:]):
                yield block
            above = []
        else:
            above.append(block.text)


def table_tasks(doc: Document, year: int, known: list[str]) -> list[TableTask]:
    """Every row of every task, criterion or indicator table of the plan, with its lead: the lead
    column, else the lead of its group row, else the unit its capitalised group row names."""
    lines = list(doc.lines())
    tasks: list[TableTask] = []
    for table in _task_tables(doc):
        plan_table = read_table(table, year)
        if plan_table is None or "count" in plan_table.columns:
            continue  # no task column, or a summary ("Phòng/đơn vị | Số KPI | Tổng trọng số")
        has_lead = "lead" in plan_table.columns
        for row in plan_table.rows:
            notes = (f"Lĩnh vực: {row.group}",) if row.group and has_lead else ()
            item = row_item(row, notes=notes)
            lead, origin = None, ""
            written = row.cells.get("lead", "") or row.group_cells.get("lead", "")
            if written:
                lead, origin = read_lead(written, known), "column"
                if not item.partners and row.group_cells.get("partners"):
                    item.partners = tidy(row.group_cells["partners"], ".;")
            elif row.group and is_unit_name(heading_text(row.group), known):
                lead, origin = Lead(mixed_case_name(heading_text(row.group), lines)), "group row"
            if lead is not None and lead.partners:
                item.partners = "; ".join(t for t in (lead.partners, item.partners) if t)
            text = " ".join(t for t in (item.code, item.title) if t)
            tasks.append(TableTask(item, lead, origin, plan_table.is_indicator_table and lead is None, text))
    return tasks
