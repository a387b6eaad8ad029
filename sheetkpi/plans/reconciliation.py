"""The reconciliation of a plan with the workbook built from it: what was found, what was not."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .. import layout
from ..parsing.numbers import format_vn
from .model import Unplaced
from .reading import Plan

# Settings sheetkpi looks for in a plan; the others are the Office's own choices.
PLAN_SETTINGS = ("parent_agency", "agency", "place", "signer", "signer_title")


@dataclass
class UnitSummary:
    """A unit of the new workbook: its code and name, how many KPIs, their weight total."""

    code: str
    name: str
    kpi_count: int
    weight_total: float
    weights_assigned: bool  # sheetkpi split the weights equally


@dataclass
class Reconciliation:
    """Units and KPIs found in a plan, weight totals, and the rows that could not be placed."""

    source: Path
    output: Path | None
    way: str
    year: int
    settings: dict[str, object]  # settings read from the plan, by key of layout.SETTINGS_LABELS
    missing_settings: list[str]
    units: list[UnitSummary]
    unplaced: list[Unplaced] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def kpi_count(self) -> int:
        """How many KPIs the workbook holds, over every unit."""
        return sum(u.kpi_count for u in self.units)

    def text(self) -> str:
        """The reconciliation as the CLI prints it, in Vietnamese."""
        labels = layout.SETTINGS_LABELS
        out = [f"Kế hoạch: {self.source.name}", f"Cách kế hoạch giao việc: {self.way}", f"Năm kế hoạch: {self.year}"]
        for key, value in self.settings.items():
            out.append(f"{labels[key]}: {str(value).replace(chr(10), ' / ')}")
        if self.missing_settings:
            out.append("Kế hoạch không ghi, cần điền ở trang \"Cấu hình\": "
                       + ", ".join(labels[k] for k in self.missing_settings))
        out += ["", f"{len(self.units)} phòng, đơn vị; {self.kpi_count} KPI:"]
        width = max((len(u.code) for u in self.units), default=2)
        out.append(f"  {'Mã':<{width}}  {'Số KPI':>6}  {'Tổng trọng số':>13}  Phòng/đơn vị")
        for u in self.units:
            total = format_vn(u.weight_total) + ("*" if u.weights_assigned else "")
            out.append(f"  {u.code:<{width}}  {u.kpi_count:>6}  {total:>13}  {u.name}")
        if any(u.weights_assigned for u in self.units):
            out.append("  * kế hoạch không ghi trọng số: sheetkpi chia đều 100 điểm, Văn phòng có thể điều chỉnh.")
        out += ["", f"Không xếp được vào phòng, đơn vị nào: {len(self.unplaced)}"]
        out += [f"  - {u}" for u in self.unplaced]
        if self.warnings:
            out += ["", f"Cảnh báo ({len(self.warnings)}):", *(f"  - {w}" for w in self.warnings)]
        if self.notes:
            out += ["", "Đã đối chiếu:", *(f"  - {n}" for n in self.notes)]
        if self.output is not None:
            out += ["", f"Đã tạo Bảng giao KPI: {self.output}"]
        return "\n".join(out)


def reconcile(plan: Plan, output: Path | None = None) -> Reconciliation:
    """The reconciliation of ``plan`` (and of the workbook written to ``output``)."""
    return Reconciliation(
        source=plan.source,
        output=output,
        way=plan.way,
        year=plan.year,
        settings={k: plan.settings[k] for k in PLAN_SETTINGS if k in plan.found},
        missing_settings=[k for k in PLAN_SETTINGS if k not in plan.found],
        units=[
            UnitSummary(u.code, u.name, len(u.items), round(sum(i.weight or 0 for i in u.items), 2),
                        any(i.weight_assigned for i in u.items))
            for u in plan.units
        ],
        unplaced=plan.unplaced,
        warnings=plan.warnings,
        notes=plan.notes,
    )
