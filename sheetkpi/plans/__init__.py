"""A new "Bảng giao KPI" from the plan that assigns the year's tasks (`sheetkpi new --from-plan`).

    reconciliation = build_from_plan("ke-hoach.docx", "BangGiaoKPI.xlsx")
    print(reconciliation.text())

Plans are written in several ways; each is read by a recogniser (see docs/plans.md) and the one
that places the most tasks, criteria and indicators wins.
"""

from __future__ import annotations

from .build import build_from_plan
from .model import NoTasksFound, PlanItem, PlanUnit, Unplaced
from .reading import Plan, read_plan
from .reconciliation import Reconciliation, UnitSummary, reconcile

__all__ = [
    "build_from_plan", "read_plan", "reconcile", "Plan", "PlanUnit", "PlanItem", "Reconciliation",
    "UnitSummary", "Unplaced", "NoTasksFound",
]
