"""Plans that give every KPI a code and a weight under unit headings (Nghệ An 2026):

    1. Phòng Kế hoạch và Đầu tư
    • KHĐT-01 (20 điểm): Nghị quyết của HĐND tỉnh về …
    - Sản phẩm đầu ra: Nghị quyết của HĐND tỉnh;
    - Thời hạn hoàn thành: Kỳ họp HĐND tỉnh giữa năm 2026. Phối hợp: …

Fields may also follow the title on the same line ("… Đầu ra: … Hạn hoàn thành: 31/12/2026."), and
a summary table ("Phòng/đơn vị | Số KPI | Tổng trọng số") is checked against what the units hold.
"""

from __future__ import annotations

import re
from collections import Counter

from ..parsing.deadlines import parse_deadline
from ..parsing.numbers import parse_vn_number
from ..parsing.text import fold
from .base import Recogniser, roman_section, unit_heading
from .document import Document
from .fields import split_labelled, tidy
from .model import Draft, PlanItem, PlanUnit, Unplaced, excerpt
from .naming import unit_code

CODED = re.compile(
    r"^(?P<code>[A-ZĐ]{1,10}-\d{1,3})\s*\(\s*(?P<weight>\d+(?:[.,]\d+)?)\s*(?:điểm|đ)\s*\)\s*:?\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
_DATED_KINDS = frozenset({"date", "month", "quarter", "period", "year"})


class CodedKpis(Recogniser):
    name = 'KPI có mã và trọng số theo từng phòng ("KHĐT-01 (20 điểm): …")'

    def read(self, doc: Document, year: int) -> Draft:
        draft = Draft()
        unit: PlanUnit | None = None
        item: PlanItem | None = None
        last_field = "output"
        for p in doc.paragraphs:
            if roman_section(p) is not None:
                unit = item = None
                continue
            name = unit_heading(p)
            if name:
                unit, item = draft.unit(name), None
                continue
            m = CODED.match(p.text)
            if m:
                item = _item(m)
                last_field = "output"
                if unit is None:
                    draft.unplaced.append(Unplaced(f"{item.code}: {excerpt(item.title)}", "không nằm dưới tên phòng, đơn vị nào"))
                else:
                    unit.items.append(item)
                continue
            if item is None:
                continue
            lead, fields = split_labelled(p.text)
            if p.level == 2:
                item.add(last_field, f"+ {p.text}")
            elif fields and not lead:
                for field_name, value in fields.items():
                    item.add(field_name, value)
                last_field = field_name
            else:
                item.add(last_field, p.text)
        for unit in draft.units:
            draft.warnings += _unit_code(unit)
            for kpi in unit.items:
                kpi.deadline = kpi.deadline or _deadline_in_output(kpi.output, year)
        _cross_check(doc, draft)
        return draft


def _item(m: re.Match[str]) -> PlanItem:
    lead, fields = split_labelled(m.group("rest"))
    item = PlanItem(title=tidy(lead), code=m.group("code"), weight=parse_vn_number(m.group("weight")))
    if "output" not in fields and ": " in lead:
        # "Bàn giao đưa vào sử dụng 05 dự án: (…)." — the title, then what it consists of.
        item.title, item.output = tidy(lead.partition(": ")[0]), tidy(lead, ";")
    for field_name, value in fields.items():
        item.add(field_name, value)
    return item


def _deadline_in_output(output: str, year: int) -> str:
    """"Đầu ra: Hoàn thành trước 30/6/2026." with no "Hạn hoàn thành": the output names the deadline."""
    return tidy(output, ".;") if "\n" not in output and parse_deadline(output, year).kind in _DATED_KINDS else ""


def _unit_code(unit: PlanUnit) -> list[str]:
    """The unit's code is the prefix of its KPI codes; a code spelt differently ("DNLD-02" under
    "DNLĐ") stays as the plan writes it, with a warning."""
    prefixes = [i.code.rsplit("-", 1)[0] for i in unit.items]
    if not prefixes:
        return []
    key, _ = Counter(fold(p) for p in prefixes).most_common(1)[0]
    spellings = [p for p in prefixes if fold(p) == key]
    derived = unit_code(unit.name)
    unit.code = derived if derived in spellings else Counter(spellings).most_common(1)[0][0]
    return [
        f"{unit.name}: mã '{i.code}' viết khác mã đơn vị '{unit.code}'; giữ nguyên mã như kế hoạch, xếp vào {unit.code}."
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
                draft.warnings.append(f"Bảng tổng hợp có '{row[0]}' nhưng phần giao nhiệm vụ không có KPI nào của đơn vị này.")
                continue
            kpis, weight = len(unit.items), sum(i.weight or 0 for i in unit.items)
            if parse_vn_number(row[count]) == kpis and parse_vn_number(row[total]) == weight:
                matched += 1
            else:
                draft.warnings.append(
                    f"{unit.name}: bảng tổng hợp ghi {row[count]} KPI, tổng trọng số {row[total]}; "
                    f"phần giao nhiệm vụ có {kpis} KPI, tổng trọng số {weight:g}."
                )
        draft.warnings += [f"{u.name}: có trong phần giao nhiệm vụ nhưng không có trong bảng tổng hợp." for u in units.values()]
        draft.notes.append(f"Đối chiếu bảng tổng hợp của kế hoạch: khớp số KPI và tổng trọng số của {matched}/{len(table.rows) - 1} đơn vị.")
        return
