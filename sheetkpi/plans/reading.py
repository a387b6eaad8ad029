"""Read a plan: who does what by when, wherever the plan writes it.

One reading for every plan: the body's outline (headings, lead lines, opening words, labelled
fields; see body.py) and its tables (lead column, group rows; see tables.py) give each task its
lead. Tasks led by a unit go to that unit's tab; tasks given to many bodies at once or to "what
another document says" are not placed, with the reason. A plan that names no one at all (a Board's
plan of general goals and tasks) has its tasks and targets on the common tab, for the Office to
share out.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UsageError
from ..parsing.deadlines import DATED_KINDS, parse_deadline
from ..parsing.numbers import parse_vn_number
from ..parsing.text import excerpt, fold, looks_like_legacy_vn
from ..workbook.builder import default_settings
from .body import CODED, BodyReader, Found, deadline_in_text, is_note
from .document import Document, Paragraph, Table, load_document
from .fields import tidy
from .header import read_header
from .model import Draft, NoTasksFound, PlanItem, PlanUnit, Unplaced, complete
from .naming import unit_code
from .outline import Node, build_outline
from .tables import TableTask, table_tasks
from .units import ADDRESSEE_WORDS, COLLECTIVE, Lead, heading, read_lead

FIRST_YEAR, LAST_YEAR = 2000, 2100
_ANNEX_NOTE = re.compile(r"\b(?:phu luc|kem theo)\b")
_QUOTED_WORDS = re.compile(r"\w+")
MIN_WORDS = 3  # shorter names say too little to be matched by their words
NEAR = 0.5  # share of words above which two unmatched names are pointed out as possibly the same
# How the reconciliation names where a lead was read.
ORIGINS = {
    "heading": "tên phòng, đơn vị ở đầu mục",
    "line": "dòng giao việc (\"Giao …:\")",
    "opening": "chữ mở đầu của nhiệm vụ",
    "label": "nhãn \"Đơn vị chủ trì\"",
    "group": "đơn vị chủ trì ghi chung cho nhóm",
    "column": "cột đơn vị chủ trì của bảng",
    "group row": "dòng tên đơn vị trong bảng",
    "common": "nhiệm vụ, chỉ tiêu chung",
}
UNPLACED_NO_LEAD = "không nằm dưới tên phòng, đơn vị nào"
UNPLACED_TABLE = "bảng không ghi đơn vị chủ trì"


@dataclass
class Plan:
    """A plan read and completed: its units with their KPIs, and what the reconciliation reports."""

    source: Path
    year: int
    way: str  # where the plan writes who leads, with how many tasks each, for the reconciliation
    settings: dict[str, object]  # every setting of the new workbook
    found: list[str]  # the settings the plan itself gave
    units: list[PlanUnit]
    unplaced: list[Unplaced] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class _Task:
    item: PlanItem
    lead: Lead | None
    origin: str
    text: str  # for messages
    number: str = ""  # where the body writes it ("1.2")
    names: list[str] = field(default_factory=list)
    table: bool = False
    indicator: bool = False
    unplace: bool = False  # without a lead but among assigned items: not placed rather than left out


def read_plan(path: str | os.PathLike, *, year: int | None = None) -> Plan:
    """Read the plan at ``path`` (.docx, .txt, .md) into units and KPIs; ``year`` overrides the
    year the plan names. :class:`~sheetkpi.errors.FileUnusable` for a file that cannot be read,
    :class:`NoTasksFound` when no task is found."""
    if year is not None and not FIRST_YEAR <= year <= LAST_YEAR:
        raise UsageError("bad-year", f"Năm kế hoạch không hợp lệ: {year}.")
    doc = load_document(path)
    name = doc.path.name
    if not doc.blocks:
        raise NoTasksFound("plan-empty", f"Tệp kế hoạch '{name}' trống, không có nội dung nào để đọc.")
    header = read_header(doc)
    plan_year = year or header.year
    # Who leads a task does not depend on the year; only table columns named by year ("Kế hoạch
    # năm 2023") do, so an unknown year is reported after knowing that this is a plan.
    draft, way = _read(doc, plan_year or dt.date.today().year)
    if not draft.placed and not draft.unplaced:
        hint = (" Văn bản có vẻ được gõ bằng bảng mã cũ (TCVN3/VNI); hãy chuyển sang Unicode rồi thử lại."
                if looks_like_legacy_vn(doc.text()) else "")
        raise NoTasksFound(
            "plan-no-tasks",
            f"Không tìm thấy nhiệm vụ nào được giao trong '{name}'. sheetkpi đọc nhiệm vụ ghi dưới tên phòng, "
            "đơn vị, sau dòng giao việc (\"Giao …\"), có nhãn \"Đơn vị chủ trì\", trong bảng có cột đơn vị chủ trì, "
            "hoặc mục tiêu, nhiệm vụ đánh số; xem docs/plans.md." + hint,
        )
    if plan_year is None:
        raise UsageError("plan-year", f"Không xác định được năm kế hoạch trong '{name}'; hãy ghi rõ bằng --year.")
    for unit in draft.units:
        for item in unit.items:
            deadline_in_text(item, plan_year)
            item.deadline = item.deadline or _deadline_in_output(item.output, plan_year)
    warnings = draft.warnings + complete(draft, plan_year) + _missing_annexes(doc)
    settings = {**default_settings(plan_year), **header.settings}
    return Plan(
        source=doc.path, year=plan_year, way=way, settings=settings, found=list(header.settings),
        units=draft.units, unplaced=draft.unplaced, warnings=warnings, notes=draft.notes,
    )


def _read(doc: Document, year: int) -> tuple[Draft, str]:
    root = build_outline(doc.paragraphs)
    known = _known_units(root, doc, year)
    body = BodyReader(known, _addressee(doc, known))
    body.read(root)
    tables = table_tasks(doc, year, known)
    tasks = [_from_table(t) for t in tables]
    _mark_unplaced(body.found, body.headed)
    body_tasks = [t for f in body.found for t in _from_body(f)]
    draft = Draft()
    if any(t.lead is not None for t in tasks):
        # The table is the plan's list of tasks; the body adds the tasks it does not list.
        body_tasks = _merge_into_table(body_tasks, tasks, draft)
        ordered = tasks + body_tasks
    else:
        ordered = body_tasks + tasks
    assigned = any(t.lead is not None for t in ordered)
    origins: Counter[str] = Counter()
    general = 0
    common_items = list(body.indicators)  # a plan's targets are the whole Board's
    for task in ordered:
        if task.lead is not None and task.lead.is_unit:
            _place(draft, task)
            origins[task.origin] += 1
        elif task.lead is not None:
            draft.unplaced.append(Unplaced(task.text, _reason(task.lead)))
        elif task.indicator:
            common_items.append(task.item)
        elif task.table or task.unplace:
            draft.unplaced.append(Unplaced(task.text, UNPLACED_TABLE if task.table else UNPLACED_NO_LEAD))
        elif not assigned and task.origin == "section":
            common_items.append(task.item)
        elif task.origin == "section":
            general += 1
    if common_items:
        draft.common().items.extend(common_items)
        origins["common"] += len(common_items)
    if assigned and general:
        draft.notes.append(
            f"{general} nội dung không ghi đơn vị thực hiện (định hướng chung, giao cho cả cơ quan) không đưa vào "
            "bảng: kế hoạch giao việc cho từng đơn vị ở các mục khác."
        )
    for unit in draft.units:
        draft.warnings += _unit_code(unit)
    _cross_check(doc, draft)
    way = "; ".join(f"{ORIGINS[o]} ({n})" for o, n in origins.most_common()) or "không giao cho đơn vị nào"
    return draft, way


def _from_body(found: Found) -> list[_Task]:
    """The tasks of a body item: one, or one per criterion it names ("Tiêu chí “A”; Tiêu chí “B”")."""
    item = found.item
    origin = found.origin if found.lead is not None else ("section" if found.in_section else "")
    items = [PlanItem(**{**item.__dict__, "title": name}) for name in found.names] or [item]
    return [
        _Task(i, found.lead, origin, f"{i.code}: {excerpt(i.title)}" if i.code else excerpt(i.title or found.node.text),
              found.node.number, unplace=found.unplace)
        for i in items
    ]


def _from_table(task: TableTask) -> _Task:
    return _Task(task.item, task.lead, task.origin, excerpt(task.text), table=True, indicator=task.indicator)


def _mark_unplaced(found: list[Found], headed: set[int]) -> None:
    """A numbered or coded item without a lead is not placed (rather than left out as a general
    direction) when it stands among items that are assigned: the plan assigns that list."""
    assigned_parents = {id(f.node.parent) for f in found if f.lead is not None}
    for f in found:
        if f.lead is not None or not (f.node.marked or f.item.code):
            continue
        parent = f.node.parent
        siblings_headed = parent is not None and any(id(c) in headed for c in parent.children)
        f.unplace = bool(f.item.code) or id(parent) in assigned_parents or siblings_headed


def _reason(lead: Lead) -> str:
    if lead.kind == COLLECTIVE:
        return f"giao chung cho nhiều cơ quan, đơn vị ('{lead.name}'), không riêng phòng, đơn vị nào"
    return f"đơn vị chủ trì ghi theo văn bản khác ('{lead.name}')"


def unit_key(name: str) -> str:
    """A unit's name compared without case, diacritics or a trailing number: one unit however the plan
    spells it ("Ban Chỉ đạo quốc gia 1237", "Ban Chỉ đạo Quốc gia")."""
    words = fold(name).split()
    while len(words) > 1 and words[-1].isdigit():
        words.pop()
    return " ".join(words)


def _place(draft: Draft, task: _Task) -> None:
    key = unit_key(task.lead.name)
    unit = next((u for u in draft.units if unit_key(u.name) == key), None)
    if unit is None:
        unit = draft.unit(task.lead.name)
    unit.items.append(task.item)


def _known_units(root: Node, doc: Document, year: int) -> list[str]:
    """Unit names the plan writes on their own (headings, table cells): the words that end a name
    in running text ("Phòng Kế hoạch tổng hợp chủ trì …")."""
    names: list[str] = []
    for node in root.walk():
        if node.marked or (node.paragraph is not None and node.paragraph.heading):
            named = heading(node.text)
            if named is not None and named[0].is_unit:
                names.append(named[0].name)
    for task in table_tasks(doc, year, ()):
        if task.lead is not None and task.lead.is_unit:
            names.append(task.lead.name)
    return sorted(set(names), key=len, reverse=True)


def _addressee(doc: Document, known: list[str]) -> Lead | None:
    """The one unit a letter is sent to ("Kính gửi: Công an tỉnh"), which "quý Bộ", "quý Sở" name."""
    lines = [line.strip() for line in doc.lines()]
    for at, line in enumerate(lines):
        if fold(line).startswith("kinh gui"):
            rest = line.partition(":")[2].strip() or (lines[at + 1] if at + 1 < len(lines) else "")
            lead = read_lead(rest.lstrip("- "), known)
            if lead is not None and lead.is_unit and not lead.partners and not ADDRESSEE_WORDS.match(rest):
                return lead
            return None
    return None


def _deadline_in_output(output: str, year: int) -> str:
    """"Đầu ra: Hoàn thành trước 30/6/2026." with no "Hạn hoàn thành": the output names the deadline."""
    return tidy(output, ".;") if "\n" not in output and parse_deadline(output, year).kind in DATED_KINDS else ""


# A task the body writes that the appendix table also lists.

def _words(name: str) -> set[str]:
    return set(_QUOTED_WORDS.findall(fold(re.sub(r"\([^)]*\)", " ", name))))


def _best_match(name: str, rows: list[_Task]) -> tuple[_Task | None, _Task | None]:
    """The table row naming the same task (the words of one name contain the other's), and else
    the closest row when it shares at least NEAR of the words."""
    words = _words(name)
    best, best_share, near, near_share = None, 0.0, None, NEAR
    for row in rows:
        other = _words(row.item.title)
        share = len(words & other) / len(words | other) if words | other else 0.0
        contained = min(len(words), len(other)) >= MIN_WORDS and (words <= other or other <= words)
        if contained and share > best_share:
            best, best_share = row, share
        elif not contained and share >= near_share:
            near, near_share = row, share
    return best, (None if best else near)


def _merge_into_table(body: list[_Task], table: list[_Task], draft: Draft) -> list[_Task]:
    """Body tasks also listed in the table are the table's rows, which note where the body states
    them; a body task close to a row but not the same is kept, with a warning."""
    rows = [t for t in table if t.lead is not None]
    kept: list[_Task] = []
    for task in body:
        if not task.number or task.lead is None:
            kept.append(task)
            continue
        note = f"Nêu tại mục {task.number} của kế hoạch"
        match, near = _best_match(task.item.title, rows)
        if match is not None:
            match.item.output = "\n".join(t for t in (match.item.output, note) if t)
            rows.remove(match)
            continue
        if near is not None:
            draft.warnings.append(
                f"Nhiệm vụ ở mục {task.number} '{excerpt(task.item.title, 50)}' gần giống {near.item.code} "
                f"'{excerpt(near.item.title, 50)}' trong bảng; đã để hai dòng riêng, Văn phòng xem lại."
            )
        task.item.output = "\n".join(t for t in (task.item.output, note) if t)
        kept.append(task)
    return kept


# Checks that concern the whole plan.

def _unit_code(unit: PlanUnit) -> list[str]:
    """The unit's code is the prefix of its KPI codes ("KHĐT-01" → KHĐT); a code spelt differently
    ("DNLD-02" under "DNLĐ") stays as the plan writes it, with a warning."""
    if not unit.items or not all(CODED.match(f"{i.code} (1 điểm)") for i in unit.items):
        return []
    prefixes = [i.code.rsplit("-", 1)[0] for i in unit.items]
    key, _ = Counter(fold(p) for p in prefixes).most_common(1)[0]
    spellings = [p for p in prefixes if fold(p) == key]
    derived = unit_code(unit.name)
    unit.code = derived if derived in spellings else Counter(spellings).most_common(1)[0][0]
    return [
        f"{unit.name}: mã '{i.code}' viết khác mã đơn vị '{unit.code}'; giữ nguyên mã như kế hoạch, "
        f"xếp vào {unit.code}."
        for i, prefix in zip(unit.items, prefixes) if prefix != unit.code
    ]


def _cross_check(doc: Document, draft: Draft) -> None:
    """Compare the plan's summary table (KPIs and weight per unit) with the KPIs read under each unit."""
    for table in doc.tables:
        header = [fold(c) for c in table.rows[0]]
        count = next((i for i, h in enumerate(header) if h.startswith(("so kpi", "so nhiem vu", "so chi tieu"))), None)
        total = next((i for i, h in enumerate(header) if "tong trong so" in h), None)
        if count is None or total is None:
            continue
        units = {fold(u.name): u for u in draft.units}
        matched = 0
        for row in table.rows[1:]:
            unit = units.pop(fold(row[0]), None)
            if unit is None:
                draft.warnings.append(
                    f"Bảng tổng hợp có '{row[0]}' nhưng phần giao nhiệm vụ không có KPI nào của đơn vị này."
                )
                continue
            kpis, weight = len(unit.items), sum(i.weight or 0 for i in unit.items)
            if parse_vn_number(row[count]) == kpis and parse_vn_number(row[total]) == weight:
                matched += 1
            else:
                draft.warnings.append(
                    f"{unit.name}: bảng tổng hợp ghi {row[count]} KPI, tổng trọng số {row[total]}; "
                    f"phần giao nhiệm vụ có {kpis} KPI, tổng trọng số {weight:g}."
                )
        draft.warnings += [f"{u.name}: có trong phần giao nhiệm vụ nhưng không có trong bảng tổng hợp."
                           for u in units.values()]
        draft.notes.append("Đối chiếu bảng tổng hợp của kế hoạch: khớp số KPI và tổng trọng số của "
                           f"{matched}/{len(table.rows) - 1} đơn vị.")
        return


def _missing_annexes(doc: Document) -> list[str]:
    """"(Phụ lục nhiệm vụ cụ thể kèm theo)" with no table after it: part of the plan is not in the file."""
    warnings = []
    for at, block in enumerate(doc.blocks):
        # "(Kèm theo Kế hoạch số 10/KH-BQL …)" under an annex's title names the plan it belongs to.
        own = isinstance(block, Paragraph) and re.match(r"^\W*kem theo (?:ke hoach|quyet dinh|cong van|van ban)\b",
                                                         fold(block.text))
        if (isinstance(block, Paragraph) and is_note(block.text) and _ANNEX_NOTE.search(fold(block.text)) and not own
                and not any(isinstance(b, Table) for b in doc.blocks[at + 1:])):
            warnings.append(
                f"Kế hoạch ghi '{block.text}' nhưng tệp không có bảng phụ lục: các nhiệm vụ trong phụ lục "
                "đó chưa có trong bảng KPI."
            )
    return warnings
