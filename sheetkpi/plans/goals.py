"""Plans that state numeric targets and lettered tasks without naming units (Ninh Bình 2026):

    2. Mục tiêu cụ thể
    - Doanh thu từ 508.619 tỷ đồng trở lên (tổng giai đoạn khoảng 3.424.670 tỷ đồng).
    III. NHIỆM VỤ, GIẢI PHÁP TRỌNG TÂM
    1. Quy hoạch, tổ chức lại không gian phát triển
    a) Triển khai đồng bộ, hiệu quả …

Each target is an indicator row, each lettered item a task; a numbered group without lettered
items is itself a task. With no unit named, everything goes to the common tab.
"""

from __future__ import annotations

import re

from ..parsing.text import fold
from .base import Recogniser, is_note, roman_section
from .document import Document
from .fields import LETTERED, NUMBERED, labelled, numeric_target, tidy
from .model import Draft, PlanItem
from .naming import heading_text

GOALS_HEADING = "muc tieu cu the"
# "Dự kiến lao động đến năm 2030: …": a target for a later year than the plan's.
_HORIZON = re.compile(r"\b(đến|trong|cuối)\s+năm\s+(\d{4})\b", re.IGNORECASE)


class GoalsAndTasks(Recogniser):
    name = 'Mục tiêu cụ thể có số liệu và nhiệm vụ a), b) … (không ghi phòng, đơn vị)'

    def read(self, doc: Document, year: int) -> Draft:
        draft = Draft()
        items = draft.common().items
        mode = section_mode = None
        group: PlanItem | None = None  # a numbered task group, a task itself until it has lettered items
        for p in doc.paragraphs:
            section = roman_section(p)
            numbered = NUMBERED.match(p.text) if p.level == 0 else None
            if section is not None or numbered or (p.heading and p.level == 0):
                group = None
                if section is not None:
                    mode = section_mode = "tasks" if "nhiem vu" in section else None
                elif fold(heading_text(p.text)).startswith(GOALS_HEADING):
                    mode = "goals"
                else:
                    mode = section_mode
                    if mode == "tasks" and numbered:
                        group = PlanItem(title=tidy(numbered.group(2)))
                        items.append(group)
                continue
            if mode == "goals" and p.level:
                items.append(_indicator(p.text))
            elif mode == "tasks" and p.level == 0 and not is_note(p):
                lettered = LETTERED.match(p.text)
                if lettered and not labelled(p.text):
                    if group in items:
                        items.remove(group)  # the group is a heading over its lettered tasks
                    items.append(PlanItem(title=tidy(lettered.group(2))))
                elif group in items and not lettered:
                    group.add("output", p.text)
        return draft


def _indicator(text: str) -> PlanItem:
    target, measure_unit = numeric_target(text)
    horizon = _HORIZON.search(text)
    deadline = f"{horizon.group(1).capitalize()} năm {horizon.group(2)}" if horizon else ""
    return PlanItem(title=tidy(text), target=target, measure_unit=measure_unit, deadline=deadline)
