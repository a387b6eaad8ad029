"""What the reading finds in a plan, and how it is completed into units ready for a workbook.

The reading (reading.py) returns a :class:`Draft`: units with the items the plan gives them, the
items it could not place and what it noticed. :func:`complete` then does, the same way for every
plan, what the plan leaves out: unit codes, KPI codes, equal weights, "Trong năm Y" deadlines, and
one row for a task the plan writes twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import EXIT_NO_UNITS, SheetkpiError
from ..parsing.text import excerpt, fold
from .fields import tidy
from .naming import unique_code, unit_code

WEIGHT_TOTAL = 100
# When a plan does not assign a task or an indicator to a department, it goes to this tab so that
# nothing is lost; the Office moves the rows to the departments responsible.
COMMON_UNIT_NAME = "Nhiệm vụ, chỉ tiêu chung của Ban"
COMMON_UNIT_CODE = "CHUNG"


class NoTasksFound(SheetkpiError):
    """A readable document in which no department and no task or indicator was found."""

    exit_code = EXIT_NO_UNITS


@dataclass
class PlanItem:
    """A task, criterion or indicator as the plan writes it."""

    title: str
    code: str = ""  # the plan's own code ("KHĐT-01", "TC 1.1"), "" when it has none
    number: str = ""  # the plan's numbering of a code-less row ("3", "07.1"), used for its code
    weight: float | None = None
    deadline: str = ""
    output: str = ""
    partners: str = ""
    measure_unit: str = ""
    target: str = ""
    baseline: float | None = None
    weight_assigned: bool = False

    def add(self, field_name: str, value: str) -> None:
        """Record a labelled field ("Thời hạn hoàn thành: …"); output lines accumulate as written
        ("+ …;" lines keep their ";", only the last one loses it, in :func:`complete`)."""
        if field_name in ("output", "goal"):
            self.output = "\n".join(t for t in (self.output, " ".join(value.split())) if t)
        elif field_name == "deadline":
            self.deadline = tidy(value, ".;")
        elif field_name == "partners":
            self.partners = tidy(value, ".;")


@dataclass
class PlanUnit:
    """A department and the items the plan gives it."""

    name: str
    code: str = ""  # from the plan's KPI codes; derived from the name when empty
    items: list[PlanItem] = field(default_factory=list)


@dataclass
class Unplaced:
    """Something that reads as a task but that no department could be found for."""

    text: str
    reason: str

    def __str__(self) -> str:
        return f"{self.text} — {self.reason}"


@dataclass
class Draft:
    """What the reading found: units and their items, what it could not place, what it noticed."""

    units: list[PlanUnit] = field(default_factory=list)
    unplaced: list[Unplaced] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what was checked and found right

    def unit(self, name: str, code: str = "") -> PlanUnit:
        """The unit of that name (compared folded), added at the end the first time."""
        key = fold(name)
        for unit in self.units:
            if fold(unit.name) == key:
                return unit
        self.units.append(PlanUnit(name, code))
        return self.units[-1]

    def common(self) -> PlanUnit:
        """The tab for what the plan assigns to no department."""
        return self.unit(COMMON_UNIT_NAME, COMMON_UNIT_CODE)

    @property
    def placed(self) -> int:
        """How many items the units hold."""
        return sum(len(u.items) for u in self.units)


def equal_weights(total: float, count: int) -> list[float]:
    """``count`` weights as equal as hundredths of a point allow, summing to exactly ``total``
    (largest remainder: the first rows take the leftover hundredths)."""
    hundredths = round(total * 100)
    base, extra = divmod(hundredths, count)
    return [(base + (1 if i < extra else 0)) / 100 for i in range(count)]


def complete(draft: Draft, year: int) -> list[str]:
    """Fill what the plan leaves out, in place; returns the warnings it gives."""
    warnings: list[str] = []
    draft.units = [u for u in draft.units if u.items]
    taken_units: set[str] = set()
    taken_kpis = {fold(i.code) for u in draft.units for i in u.items if i.code}
    for unit in draft.units:
        warnings += _drop_repeats(unit)
        if unit.name == COMMON_UNIT_NAME:
            warnings.append(
                f"{len(unit.items)} nhiệm vụ, chỉ tiêu không ghi phòng, đơn vị thực hiện được đặt ở trang "
                f"'{COMMON_UNIT_CODE}'; Văn phòng chuyển về trang của phòng, đơn vị phụ trách."
            )
        unit.code = unique_code(unit.code or unit_code(unit.name), taken_units)
        taken_units.add(fold(unit.code))
        _codes(unit, taken_kpis)
        warnings += _weights(unit)
        for item in unit.items:
            item.output = item.output.rstrip("; ")
            item.deadline = item.deadline or f"Trong năm {year}"
    return warnings


def _drop_repeats(unit: PlanUnit) -> list[str]:
    """A task the plan writes twice for the same unit is one row (it is one task, not two)."""
    seen: set[tuple[str, str, str]] = set()
    kept, warnings = [], []
    for item in unit.items:
        key = (fold(item.code), fold(item.title), fold(item.target))
        if key in seen:
            warnings.append(
                f"{unit.name}: nhiệm vụ '{excerpt(item.title)}' được ghi hai lần trong kế hoạch; chỉ giữ một dòng."
            )
            continue
        seen.add(key)
        kept.append(item)
    unit.items = kept
    return warnings


def _codes(unit: PlanUnit, taken: set[str]) -> None:
    """Code-less items: the unit code and the plan's numbering ("VP-03"), else their rank in the unit."""
    seq = 0
    for item in unit.items:
        if item.code:
            continue
        seq += 1
        candidate = f"{unit.code}-{item.number or f'{seq:02d}'}"
        while fold(candidate) in taken:
            seq += 1
            candidate = f"{unit.code}-{seq:02d}"
        item.code = candidate
        taken.add(fold(candidate))


def _weights(unit: PlanUnit) -> list[str]:
    """Rows without a weight share what is left of 100 points equally; a plan's own weights stay."""
    missing = [i for i in unit.items if i.weight is None]
    given = sum(i.weight for i in unit.items if i.weight is not None)
    if missing:
        for item, weight in zip(missing, equal_weights(max(0.0, WEIGHT_TOTAL - given), len(missing))):
            item.weight, item.weight_assigned = weight, True
    total = round(sum(i.weight for i in unit.items), 2)
    if total != WEIGHT_TOTAL:
        return [f"{unit.name}: tổng trọng số theo kế hoạch là {total:g}, không phải {WEIGHT_TOTAL}."]
    return []
