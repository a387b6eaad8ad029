"""Read a plan: load the document, try every recogniser, keep the one that places the most items."""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UsageError
from ..parsing.text import fold, looks_like_legacy_vn
from ..workbook.builder import default_settings
from .base import Recogniser, is_note
from .coded import CodedKpis
from .criteria import CriteriaByLead
from .document import Document, Paragraph, Table, load_document
from .goals import GoalsAndTasks
from .header import read_header
from .model import NoTasksFound, PlanUnit, Unplaced, complete
from .unit_lists import UnitTaskLists
from .unit_rows import UnitRowTable

# Most specific first: on a tie the earlier one reads the plan.
RECOGNISERS: tuple[Recogniser, ...] = (CodedKpis(), UnitRowTable(), CriteriaByLead(), UnitTaskLists(), GoalsAndTasks())
FIRST_YEAR, LAST_YEAR = 2000, 2100
_ANNEX_NOTE = re.compile(r"\b(?:phu luc|kem theo)\b")


@dataclass
class Plan:
    """A plan read and completed: its units with their KPIs, and what the reconciliation reports."""

    source: Path
    year: int
    way: str  # the recogniser that read it
    settings: dict[str, object]  # every setting of the new workbook
    found: list[str]  # the settings the plan itself gave
    units: list[PlanUnit]
    unplaced: list[Unplaced] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def read_plan(path: str | os.PathLike, *, year: int | None = None) -> Plan:
    """Read the plan at ``path`` (.docx, .txt, .md) into units and KPIs; ``year`` overrides the
    year the plan names. :class:`~sheetkpi.errors.FileUnusable` for a file that cannot be read,
    :class:`NoTasksFound` when no unit and no task is found."""
    if year is not None and not FIRST_YEAR <= year <= LAST_YEAR:
        raise UsageError("bad-year", f"Năm kế hoạch không hợp lệ: {year}.")
    doc = load_document(path)
    name = doc.path.name
    if not doc.blocks:
        raise NoTasksFound("plan-empty", f"Tệp kế hoạch '{name}' trống, không có nội dung nào để đọc.")
    header = read_header(doc)
    plan_year = year or header.year
    # Which way the plan is written does not depend on its year; only table columns named by year
    # ("Kế hoạch năm 2023") do, so an unknown year is reported after knowing that this is a plan.
    candidates = [(r, r.read(doc, plan_year or dt.date.today().year)) for r in RECOGNISERS]
    recogniser, draft = max(candidates, key=lambda c: c[1].placed)  # max keeps the first on ties
    if not draft.placed:
        hint = (" Văn bản có vẻ được gõ bằng bảng mã cũ (TCVN3/VNI); hãy chuyển sang Unicode rồi thử lại."
                if looks_like_legacy_vn(doc.text()) else "")
        raise NoTasksFound(
            "plan-no-tasks",
            f"Không tìm thấy phòng, đơn vị hay nhiệm vụ nào trong '{name}'. sheetkpi đọc được kế hoạch có "
            "nhiệm vụ ghi dưới tên từng phòng, đơn vị, bảng nhiệm vụ, bảng chỉ tiêu hoặc mục tiêu, nhiệm vụ "
            "đánh số; xem docs/plans.md." + hint,
        )
    if plan_year is None:
        raise UsageError("plan-year", f"Không xác định được năm kế hoạch trong '{name}'; hãy ghi rõ bằng --year.")
    warnings = draft.warnings + complete(draft, plan_year) + _missing_annexes(doc)
    settings = {**default_settings(plan_year), **header.settings}
    return Plan(
        source=doc.path, year=plan_year, way=recogniser.name, settings=settings, found=list(header.settings),
        units=draft.units, unplaced=draft.unplaced, warnings=warnings, notes=draft.notes,
    )


def _missing_annexes(doc: Document) -> list[str]:
    """"(Phụ lục nhiệm vụ cụ thể kèm theo)" with no table after it: part of the plan is not in the file."""
    warnings = []
    for at, block in enumerate(doc.blocks):
        if isinstance(block, Paragraph) and is_note(block) and _ANNEX_NOTE.search(fold(block.text)):
            if not any(isinstance(b, Table) for b in doc.blocks[at + 1:]):
                warnings.append(
                    f"Kế hoạch ghi '{block.text}' nhưng tệp không có bảng phụ lục: các nhiệm vụ trong phụ lục "
                    "đó chưa có trong bảng KPI."
                )
    return warnings
