"""Plans of criteria with a lead unit for each (Gia Lai 2022, administrative reform index):

- an appendix table "TT | Lĩnh vực/Tiêu chí | Mục tiêu, yêu cầu | Cơ quan phụ trách | Cơ quan phối
  hợp | Thời gian", its rows grouped under sections "I. CÔNG TÁC CHỈ ĐẠO …", each criterion written
  "TC 1.1 - Thực hiện kế hoạch CCHC";
- in the body, criteria to improve ("1.1. Tiêu chí “Thực hiện kế hoạch CCHC”:") with a) the goal,
  c) "Đơn vị phụ trách", "Phối hợp/Thực hiện", d) the time.

Rows are grouped by lead unit and keep the criterion code as KPI code; the section goes in "Sản phẩm
đầu ra" (the workbook has no section column). A body criterion that is also in the table is one
row: the table's, noting the body paragraph; the others become rows of their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..parsing.text import fold
from .base import Recogniser, roman_section
from .document import Document
from .fields import NUMBERED, SUBNUMBERED, labelled, numeric_target, tidy
from .model import Draft, PlanItem, Unplaced, excerpt
from .naming import is_unit_name
from .tables import read_table, row_item

_QUOTED = re.compile(r"[“\"]([^”\"]+)[”\"]")
_BRACKETS = re.compile(r"\([^)]*\)")
_WORD = re.compile(r"\w+")
MIN_WORDS = 3  # shorter names say too little to be matched by their words
NEAR = 0.5  # share of words above which two unmatched names are pointed out as possibly the same


@dataclass
class _BodyCriterion:
    number: str
    names: list[str]
    fields: dict[str, str] = field(default_factory=dict)


class CriteriaByLead(Recogniser):
    name = 'Tiêu chí theo đơn vị phụ trách ("TC 1.1 - …", cột "Cơ quan phụ trách")'

    def read(self, doc: Document, year: int) -> Draft:
        draft = Draft()
        rows: list[tuple[str, PlanItem]] = []  # (criterion name, item) of the table rows not yet matched
        for table in doc.tables:
            plan_table = read_table(table, year)
            if plan_table is None or "lead" not in plan_table.columns:
                continue
            for row in plan_table.rows:
                item = row_item(row, notes=(f"Lĩnh vực: {row.group}",) if row.group else ())
                lead = tidy(row.cells.get("lead", ""))
                if lead:
                    draft.unit(lead).items.append(item)
                    rows.append((item.title, item))
                else:
                    draft.unplaced.append(Unplaced(excerpt(f"{item.code} {item.title}"), "không ghi cơ quan phụ trách"))
        for criterion in _body_criteria(doc):
            for name in criterion.names:
                self._place(draft, rows, criterion, name)
        return draft

    def _place(self, draft: Draft, rows, criterion: _BodyCriterion, name: str) -> None:
        note = f"Khắc phục, cải thiện theo mục {criterion.number} của Kế hoạch"
        match, near = _best_match(name, rows)
        if match is not None:
            match.output = "\n".join(t for t in (match.output, note) if t)
            rows[:] = [(n, i) for n, i in rows if i is not match]
            return
        if near is not None:
            draft.warnings.append(
                f"Tiêu chí mục {criterion.number} '{excerpt(name, 50)}' gần giống {near.code} '{excerpt(near.title, 50)}' "
                "của phụ lục; đã để hai dòng riêng, Văn phòng xem lại."
            )
        goal = criterion.fields.get("goal", "")
        target, measure_unit = numeric_target(goal)
        item = PlanItem(
            title=tidy(name), output="\n".join(t for t in (tidy(goal, ";"), note) if t),
            deadline=tidy(criterion.fields.get("deadline", ""), ".;"),
            partners=tidy(criterion.fields.get("partners", ""), ".;"), target=target, measure_unit=measure_unit,
        )
        unit = _lead_unit(criterion.fields.get("lead", ""), draft)
        if unit:
            draft.unit(unit).items.append(item)
        else:
            draft.unplaced.append(Unplaced(f"Mục {criterion.number}: {excerpt(name)}", "không xác định được đơn vị phụ trách"))


def _body_criteria(doc: Document) -> list[_BodyCriterion]:
    """Criteria numbered "1.1." in a section about tasks, with their labelled fields."""
    found: list[_BodyCriterion] = []
    current: _BodyCriterion | None = None
    in_tasks = False
    for p in doc.paragraphs:
        section = roman_section(p)
        if section is not None:
            in_tasks, current = "nhiem vu" in section, None
            continue
        if not in_tasks:
            continue
        sub = SUBNUMBERED.match(p.text) if p.level == 0 else None
        if sub:
            names = _QUOTED.findall(sub.group(2)) or [tidy(sub.group(2))]
            current = _BodyCriterion(sub.group(1), [tidy(n) for n in names])
            found.append(current)
        elif p.level == 0 and NUMBERED.match(p.text):
            current = None
        elif current is not None and (pair := labelled(p.text)):
            current.fields.setdefault(*pair)
    return found


def _words(name: str) -> set[str]:
    return set(_WORD.findall(fold(_BRACKETS.sub(" ", name))))


def _best_match(name: str, rows: list[tuple[str, PlanItem]]) -> tuple[PlanItem | None, PlanItem | None]:
    """The table row naming the same criterion (the words of one name contain the other's), and
    else the closest row when it shares at least NEAR of the words."""
    words = _words(name)
    best, best_share, near, near_share = None, 0.0, None, NEAR
    for row_name, item in rows:
        other = _words(row_name)
        share = len(words & other) / len(words | other) if words | other else 0.0
        contained = min(len(words), len(other)) >= MIN_WORDS and (words <= other or other <= words)
        if contained and share > best_share:
            best, best_share = item, share
        elif not contained and share >= near_share:
            near, near_share = item, share
    return best, (None if best else near)


def _lead_unit(text: str, draft: Draft) -> str:
    """The unit a "Đơn vị phụ trách" sentence starts with: a unit already known from the table
    ("Văn phòng theo dõi, đôn đốc …" → "Văn phòng"), else its first clause if it names a unit."""
    folded = fold(text)
    known = sorted((u.name for u in draft.units), key=len, reverse=True)
    for name in known:
        key = fold(name)
        if folded.startswith(key) and (len(folded) == len(key) or not folded[len(key)].isalnum()):
            return name
    clause = tidy(re.split(r"[,.;]", text, maxsplit=1)[0])
    return clause if is_unit_name(clause) else ""
