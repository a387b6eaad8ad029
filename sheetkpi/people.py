"""Results per person: who answers for which KPI ("Người phụ trách", an optional column of a unit
tab) and the head of each unit ("Người đứng đầu" in "Cấu hình"), as Nghị định 335/2025/NĐ-CP asks
a head of unit to evaluate staff on the products assigned to them. Pure: evaluated units in,
a row per person out; "Tổng hợp" and the quarterly review both show these rows.

- A cell may name several people: "Nguyễn Văn A, Trần Thị B", "A; B", one per line, "A + B".
  "Đ/c", "đồng chí", "ông", "bà" before a name are not part of it. Each person named answers
  for the whole KPI: its full weight and score count for each (a shared product is each one's
  product), so the rows of a unit do not add up to the unit's total.
- The same person is recognised however the name is spaced or capitalised; the first spelling is shown.
- The head of a unit carries the unit's result: their row is the unit's totals, over every KPI,
  whether or not the head is also named on some of them.
- KPIs of a unit that names people on some rows and not on others are gathered under
  "(chưa phân công)", so that nothing assigned to nobody goes unseen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .model import LATE, KpiResult, UnitResult
from .parsing.text import clean_text
from .rules import expected_points, pace_ratio, round2

UNASSIGNED = "(chưa phân công)"
HEAD_MARK = "người đứng đầu"
_SEPARATORS = re.compile(r"[,;\n+&]")
_HONORIFIC = re.compile(r"^(?:đ/c|đ/ c|đồng chí|ông|bà)\.?\s+", re.IGNORECASE)


def names(text: str) -> list[str]:
    """The people a "Người phụ trách" cell names, each once, in the order written."""
    if not text or text.isspace():
        return []  # (most cells: "Tổng hợp" asks for each of 100,000 KPIs)
    found: dict[str, str] = {}
    for part in _SEPARATORS.split(text or ""):
        name = _HONORIFIC.sub("", " ".join(clean_text(part).split())).strip(" .-–")
        if name:
            found.setdefault(person_key(name), name)
    return list(found.values())


def person_key(name: str) -> str:
    """How two spellings of one name are matched: spaces and capitals aside, diacritics kept
    ("Nguyễn Văn An" and "Nguyễn Văn Ân" are two people)."""
    return " ".join(clean_text(name).split()).casefold()


@dataclass(frozen=True)
class PersonResult:
    """One person's KPIs in one unit, at the report date: their figures, made from the KPIs'
    results by :meth:`of` (the results are not kept: a recalculation drops most of them once their
    tab is written)."""

    unit: UnitResult = field(compare=False, repr=False)  # (its ``people`` holds this row)
    name: str
    is_head: bool
    kpi_count: int
    weight_total: float
    score_total: float
    expected_score: float
    late_count: int
    at_risk_count: int
    codes: str  # the KPIs the person answers for ("KHĐT-01, KHĐT-03"); the head's are the unit's

    @classmethod
    def of(cls, unit: UnitResult, name: str, kpis: list[KpiResult], is_head: bool = False) -> PersonResult:
        """The figures of ``name``'s ``kpis`` in ``unit``; the head's are the unit's."""
        return cls(
            unit=unit, name=name, is_head=is_head, kpi_count=len(kpis),
            weight_total=round2(sum(r.kpi.weight or 0.0 for r in kpis)),
            score_total=unit.score_total if is_head else round2(sum(r.score for r in kpis)),
            expected_score=unit.expected_score if is_head else round2(sum(expected_points(r) for r in kpis)),
            late_count=sum(1 for r in kpis if r.status == LATE),
            at_risk_count=sum(1 for r in kpis if r.at_risk),
            codes=f"Kết quả chung của đơn vị ({len(kpis)} KPI)" if is_head
            else ", ".join(r.kpi.code or r.kpi.title for r in kpis),
        )

    @property
    def ratio(self) -> float | None:
        """"Tỷ lệ so với kỳ vọng", as a unit's (capped at 100; None without an expected score)."""
        return self.unit.ratio if self.is_head else pace_ratio(self.score_total, self.expected_score)

    @property
    def label(self) -> str:
        """The name as lists show it: the head marked, "(chưa phân công)" as it is."""
        return f"{self.name} ({HEAD_MARK})" if self.is_head else self.name


def people(units: list[UnitResult]) -> list[PersonResult]:
    """A row per person and unit, units in workbook order: the head first, then the people named
    on the unit's KPIs in the order they first appear, then the KPIs assigned to nobody. Empty when
    no KPI of the workbook names anyone (the column is not used). A unit whose KPIs were dropped
    has its rows already (:attr:`UnitResult.people`)."""
    found = [u.people if u.people is not None else unit_people(u) for u in units]
    if not any(named for named, _ in found):
        return []
    return [row for _, rows in found for row in rows]


def unit_people(unit: UnitResult) -> tuple[bool, list[PersonResult]]:
    """Whether a KPI of ``unit`` names anyone, and the unit's rows of :func:`people` (as when a
    KPI of the workbook does)."""
    by_key: dict[str, list] = {}  # person key -> [name as first written, their KPIs]
    nobody: list[KpiResult] = []
    for r in unit.kpis:
        named = names(r.kpi.owners)
        for name in named:
            by_key.setdefault(person_key(name), [name, []])[1].append(r)
        if not named:
            nobody.append(r)
    rows: list[PersonResult] = []
    head = names(unit.unit.head)[:1]
    if head:
        by_key.pop(person_key(head[0]), None)  # the head's row is the unit's result
        rows.append(PersonResult.of(unit, head[0], unit.kpis, is_head=True))
    rows.extend(PersonResult.of(unit, name, kpis) for name, kpis in by_key.values())
    if by_key and nobody:
        rows.append(PersonResult.of(unit, UNASSIGNED, nobody))
    return len(nobody) < len(unit.kpis), rows
