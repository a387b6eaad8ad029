"""Plans that list each unit's tasks as bullets under its heading (Hải Phòng 2023, section III),
with an appendix table of numeric indicators:

    1. Văn phòng Ban Quản lý
    - Tập trung đẩy mạnh công tác cải cách hành chính; …
    PHỤ LỤC: TT | Chỉ tiêu | Đơn vị tính | Kế hoạch năm 2022 | Kế hoạch năm 2023 | …

Indicators go to the unit of their "Cơ quan phụ trách" column, else to the common tab.
"""

from __future__ import annotations

from .base import Recogniser, roman_section, unit_heading
from .document import Document, Paragraph
from .fields import NUMBERED, split_labelled, tidy
from .model import Draft, PlanItem, PlanUnit, Unplaced, excerpt
from .tables import read_table, row_item


class UnitTaskLists(Recogniser):
    name = "Danh sách nhiệm vụ dưới tên từng phòng, đơn vị; bảng chỉ tiêu"

    def read(self, doc: Document, year: int) -> Draft:
        draft = Draft()
        for section in _sections(doc.paragraphs):
            if any(unit_heading(p) for p in section):
                _read_section(section, draft)
        for table in doc.tables:
            plan_table = read_table(table, year)
            if plan_table is None or not plan_table.is_indicator_table:
                continue
            for row in plan_table.rows:
                lead = tidy(row.cells.get("lead", ""))
                (draft.unit(lead) if lead else draft.common()).items.append(row_item(row))
        return draft


def _sections(paragraphs: list[Paragraph]) -> list[list[Paragraph]]:
    """Paragraphs split at the top-level ("I.", "II.", …) headings."""
    sections: list[list[Paragraph]] = [[]]
    for p in paragraphs:
        if roman_section(p) is not None:
            sections.append([])
        else:
            sections[-1].append(p)
    return sections


def _read_section(paragraphs: list[Paragraph], draft: Draft) -> None:
    unit: PlanUnit | None = None
    item: PlanItem | None = None
    for p in paragraphs:
        name = unit_heading(p)
        if name:
            unit, item = draft.unit(name), None
        elif p.level == 0 and (p.heading or NUMBERED.match(p.text)):
            unit = item = None  # another numbered heading: the unit's list is over
        elif p.level == 2 and item is not None:
            item.add("output", f"+ {p.text}")
        elif p.level == 1:
            lead, fields = split_labelled(p.text)
            if fields and not lead and item is not None:
                for field_name, value in fields.items():
                    item.add(field_name, value)
            elif unit is not None:
                item = PlanItem(title=tidy(p.text))
                unit.items.append(item)
            else:
                draft.unplaced.append(Unplaced(excerpt(p.text), "nằm trước tên phòng, đơn vị đầu tiên"))
