"""A new "Bảng giao KPI" from the plan that assigns the year's tasks (`sheetkpi new --from-plan`).

    reconciliation = build_from_plan("ke-hoach.docx", "BangGiaoKPI.xlsx")
    print(reconciliation.text())

One reading serves every plan: who leads each task is read wherever the plan writes it (headings,
lead lines, the opening words of an item, labelled fields, table columns), see docs/plans.md.
"""

from __future__ import annotations

from .build import build_from_plan
from .model import NoTasksFound, PlanItem, PlanUnit, Unplaced
from .reading import Plan, read_plan
from .reconciliation import Reconciliation, UnitSummary, reconcile

__all__ = [
    "NoTasksFound",
    "Plan",
    "PlanItem",
    "PlanUnit",
    "Reconciliation",
    "UnitSummary",
    "Unplaced",
    "build_from_plan",
    "read_plan",
    "reconcile",
]
