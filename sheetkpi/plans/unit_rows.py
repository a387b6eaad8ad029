"""Plans whose task table names each unit on a row in capitals (Hà Tĩnh 2023 appendix):

    TT | Nội dung công việc/nhiệm vụ | Thời gian hoàn thành | Cấp trình | Ghi chú
    VĂN PHÒNG
    1  | Chủ trì tham mưu Quyết định …   | Quý II/2023         | UBND tỉnh |

Columns the workbook has no place for ("Cấp trình", "Ghi chú") are kept in "Sản phẩm đầu ra".
"""

from __future__ import annotations

from .base import Recogniser
from .document import Document
from .model import Draft, Unplaced, excerpt
from .naming import heading_text, is_unit_name, mixed_case_name
from .tables import read_table, row_item


class UnitRowTable(Recogniser):
    name = "Bảng nhiệm vụ có dòng tên phòng, đơn vị viết hoa"

    def read(self, doc: Document, year: int) -> Draft:
        draft = Draft()
        lines = list(doc.lines())
        for table in doc.tables:
            plan_table = read_table(table, year)
            if plan_table is None or "lead" in plan_table.columns:
                continue  # a lead-unit column groups by that column instead (criteria tables)
            if not any(is_unit_name(heading_text(r.group)) for r in plan_table.rows):
                continue
            for row in plan_table.rows:
                item = row_item(row)
                name = heading_text(row.group)
                if is_unit_name(name):
                    draft.unit(mixed_case_name(name, lines)).items.append(item)
                else:
                    draft.unplaced.append(Unplaced(excerpt(item.title), "không nằm dưới dòng tên phòng, đơn vị nào"))
        return draft
