"""The workbook layout: sheet names, header texts, settings labels, and which cells sheetkpi owns.

Everything a user reads here is Vietnamese and appears verbatim in the template; the reader finds
columns and settings by *folded* text (see :func:`sheetkpi.parsing.text.fold`), so a user's workbook
may order, space or capitalise them differently.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

# Sheet names.
SHEET_GUIDE = "Hướng dẫn"
SHEET_CONFIG = "Cấu hình"
SHEET_SUMMARY = "Tổng hợp"
SHEET_HISTORY = "Lịch sử"
NON_UNIT_SHEETS = (SHEET_GUIDE, SHEET_CONFIG, SHEET_SUMMARY, SHEET_HISTORY)
# The chart on "Tổng hợp" is found again by the name of its shape ("SheetKPI chart 1"), whichever
# backend drew it (the file writer, Excel, LibreOffice), so that a run updates it instead of adding one.
CHART_NAME = "SheetKPI chart"

# Unit tab columns: field name -> header text (template order).
DEPARTMENT_COLUMNS: dict[str, str] = {
    "seq": "STT",
    "code": "Mã KPI",
    "title": "Nhiệm vụ / KPI",
    "output": "Sản phẩm đầu ra",
    "weight": "Trọng số (điểm)",
    "deadline": "Thời hạn hoàn thành",
    "partners": "Đơn vị phối hợp",
    "progress": "% tiến độ",
    "result": "Kết quả thực hiện",
    "obstacles": "Khó khăn, vướng mắc, đề xuất",
    "completed_on": "Ngày hoàn thành",
    "measure_unit": "Đơn vị tính",
    "target": "Chỉ tiêu kế hoạch",
    "baseline": "Giá trị gốc",
    "actual": "Thực hiện",
}
# Columns written by sheetkpi only; added at the right of the header row when a workbook lacks them.
ENGINE_COLUMNS: dict[str, str] = {
    "due": "Hạn xác định",
    "effective_progress": "Tiến độ tính điểm (%)",
    "score": "Điểm quy đổi",
    "status": "Trạng thái",
    "alerts": "Cảnh báo",
}
COLUMNS: dict[str, str] = {**DEPARTMENT_COLUMNS, **ENGINE_COLUMNS}
# What a run writes on each KPI row and on the total row, in this order (see engine_digest).
ENGINE_ROW_FIELDS = ("due", "effective_progress", "score", "status", "alerts")
ENGINE_TOTAL_FIELDS = ("score", "status", "alerts")


def engine_digest(values: Iterable[Any]) -> bytes:
    """A fingerprint of a unit tab's engine cells, their values in :data:`ENGINE_ROW_FIELDS` order
    row by row, then :data:`ENGINE_TOTAL_FIELDS`: the same for the values read from a tab and for
    the values a run would write there exactly when every cell already holds what it would get (a
    number read as 5.0 is the 5 written; a date is a date, never its serial number; TRUE is no 1).
    Made by each process alike (``repr``, not ``hash``, which differs between processes)."""
    canonical = [float(v) if type(v) is int or type(v) is float else v for v in values]
    return hashlib.blake2b(repr(canonical).encode("utf-8", "surrogatepass"), digest_size=16).digest()


# Department columns a unit tab may have and the template does not: recognised by their header
# when a department adds them, never added by sheetkpi. "Người phụ trách": who answers for the KPI
# (several names allowed, see sheetkpi.people), for the per-person summary.
OPTIONAL_COLUMNS: dict[str, str] = {"owners": "Người phụ trách"}
# What a department reports each month: the only cells its copy leaves open (`split`) and the only
# cells `collect` takes back; the other department columns (titles, weights, deadlines) are the Office's.
MONTHLY_COLUMNS = ("progress", "result", "obstacles", "completed_on", "actual")

# Extra header spellings seen in real workbooks (matched after folding).
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "seq": ("TT", "Số TT"),
    "code": ("Mã", "Mã chỉ tiêu", "Mã nhiệm vụ"),
    "title": ("Nhiệm vụ", "KPI", "Nội dung công việc/nhiệm vụ", "Nội dung", "Tên chỉ tiêu", "Chỉ tiêu"),
    "output": ("Sản phẩm", "Đầu ra"),
    "weight": ("Trọng số", "Điểm", "Trọng số điểm", "Trọng số (%)"),
    "deadline": ("Thời hạn", "Thời gian hoàn thành", "Hạn hoàn thành"),
    "partners": ("Phối hợp", "Đơn vị phối hợp thực hiện"),
    "progress": ("Tiến độ", "% hoàn thành", "Tiến độ (%)", "Tiến độ thực hiện (%)", "Tỷ lệ hoàn thành (%)"),
    "result": ("Kết quả",),
    "obstacles": ("Khó khăn, vướng mắc", "Khó khăn vướng mắc, đề xuất", "Đề xuất"),
    "completed_on": ("Ngày hoàn thành thực tế",),
    "target": ("Kế hoạch", "Chỉ tiêu"),
    "baseline": ("Giá trị cơ sở", "Năm gốc"),
    "actual": ("Kết quả thực hiện (số)",),
    "owners": ("Cán bộ phụ trách", "Công chức phụ trách", "Người thực hiện", "Cán bộ thực hiện",
               "Người chịu trách nhiệm", "Phụ trách"),
}

# A sheet is a unit tab when its header row has one of these, and all of REQUIRED_FIELDS.
IDENTITY_FIELDS = ("code", "title")
REQUIRED_FIELDS = ("weight", "progress")

TOTAL_LABEL = "Tổng cộng"
HEADER_SEARCH_ROWS = 15  # the header row is looked for among the first rows only

# Template geometry of a unit tab (a user's workbook may differ; the reader does not rely on it).
UNIT_TITLE_ROW = 1
UNIT_NAME_ROW = 2
UNIT_HEADER_ROW = 4
UNIT_FIRST_KPI_ROW = 5

# "Cấu hình": label/value rows, field name -> label.
SETTINGS_LABELS: dict[str, str] = {
    "parent_agency": "Cơ quan chủ quản",
    "agency": "Tên cơ quan",
    "office": "Đơn vị tổng hợp",
    "plan_year": "Năm kế hoạch",
    "plan_start": "Ngày bắt đầu kỳ kế hoạch",
    "cutoff_day": "Ngày chốt số liệu hằng tháng",
    "report_date": "Ngày báo cáo",
    "place": "Địa danh",
    "doc_symbol": "Ký hiệu văn bản",
    "signer": "Người ký",
    "signer_title": "Chức vụ người ký",
    "signer_authority": "Thẩm quyền ký",
    "risk_threshold": "Ngưỡng cảnh báo nguy cơ chậm (điểm %)",
    "band_excellent": "Ngưỡng Hoàn thành xuất sắc",
    "band_good": "Ngưỡng Hoàn thành tốt",
    "band_pass": "Ngưỡng Hoàn thành",
    "sender": "Email gửi",  # the Office's address: the sender of `mail` and `remind`
    # Nghị định 335/2025/NĐ-CP: the share of a KPI's points lost when it was completed after its
    # deadline or is still open at the year's end (`review`, quarter 4); 0 for none.
    "late_deduction": "Tỷ lệ trừ điểm KPI chậm hạn (%)",
}
# Other labels seen in real "Cấu hình" sheets (matched after folding).
SETTINGS_ALIASES: dict[str, tuple[str, ...]] = {
    "parent_agency": ("Cơ quan cấp trên",),
    "agency": ("Cơ quan", "Tên đơn vị"),
    "plan_year": ("Năm KH", "Năm", "Năm đánh giá", "Năm giao KPI", "Năm thực hiện"),
    "plan_start": ("Ngày bắt đầu", "Ngày bắt đầu kỳ", "Ngày bắt đầu năm kế hoạch"),
    "cutoff_day": ("Ngày chốt số liệu", "Ngày chốt"),
    "report_date": ("Ngày số liệu", "Số liệu đến ngày", "Ngày lập báo cáo"),
    "place": ("Địa điểm", "Nơi ban hành"),
    "signer": ("Người ký báo cáo", "Họ tên người ký"),
    "signer_title": ("Chức vụ", "Chức danh người ký"),
    "signer_authority": ("Thẩm quyền", "Quyền ký", "Ký thay"),
    "risk_threshold": ("Ngưỡng cảnh báo", "Ngưỡng cảnh báo nguy cơ chậm", "Ngưỡng nguy cơ chậm"),
    "sender": ("Email Văn phòng", "Email người gửi", "Địa chỉ email gửi", "Thư điện tử gửi"),
    "late_deduction": ("Tỷ lệ trừ điểm chậm hạn", "Trừ điểm KPI chậm hạn (%)", "Tỷ lệ trừ điểm sản phẩm chậm"),
}
# Settings whose absence is not reported: only one command uses each (the mail commands, the
# year-end evaluation of `review`), and it says what it used.
OPTIONAL_SETTINGS = ("sender", "late_deduction")
UNITS_TABLE_HEADERS: dict[str, str] = {
    "code": "Mã đơn vị",
    "name": "Tên phòng/đơn vị",
    "sheet": "Trang tính",
    "email": "Email",  # one address or several ("a@b.vn; c@b.vn"): where `mail` and `remind` write to the unit
    "head": "Người đứng đầu",  # the head of the unit, who carries the unit's result (per-person summary, review)
}
UNITS_TABLE_ALIASES: dict[str, tuple[str, ...]] = {
    "email": ("E-mail", "Địa chỉ email", "Thư điện tử"),
    "head": ("Trưởng phòng/đơn vị", "Trưởng đơn vị", "Trưởng phòng", "Thủ trưởng đơn vị", "Lãnh đạo đơn vị"),
}

# Template geometry of "Cấu hình".
CONFIG_FIRST_ROW = 3  # first label/value row
CONFIG_UNITS_HEADER_ROW = 22  # header of the units table (the settings rows and a title row end above it)

# "Lịch sử": fixed key columns, then one column per report date on the header row.
HISTORY_HEADER_ROW = 4
HISTORY_FIRST_ROW = 5
HISTORY_KEY_HEADERS = ("Mã đơn vị", "Mã KPI", "Nhiệm vụ / KPI")
HISTORY_KEY_WIDTHS = (8, 10, 40)  # with 12 date columns, A4 landscape at 9 pt
HISTORY_DATE_WIDTH = 10.7  # "25/06/2026" in bold
HISTORY_DATE_COLUMNS = 120

# "Tổng hợp", the page the head of the Board reads: one description that the template builder and
# every run render. Its unit table, left to right: header, width (characters), kind of figure.
# A4 landscape holds about 170 characters at 11 pt fitted to the page width down to 9 pt.
SUMMARY_COLUMNS: tuple[tuple[str, float, str], ...] = (
    ("Phòng/đơn vị", 28, "text"),
    ("Số KPI", 7, "count"),
    ("Tổng trọng số", 8, "points"),
    ("Điểm đạt", 9, "points"),
    ("Điểm kỳ vọng", 9, "points"),  # beside "Điểm đạt": the chart's two series are one block
    ("Điểm đạt kỳ trước", 9, "points"),
    ("Tăng/ giảm", 8, "change"),
    ("Hoàn thành", 8, "count"),
    ("Đang thực hiện", 9, "count"),
    ("Chưa triển khai", 9, "count"),
    ("Quá hạn", 8, "count"),
    ("Nguy cơ chậm", 8, "count"),
    ("Tỷ lệ so với kỳ vọng (%)", 9, "ratio"),
    ("Xếp loại (tạm tính)", 14, "text"),
    ("Ghi chú", 26, "text"),
)
SUMMARY_UNIT_HEADERS = tuple(h for h, _, _ in SUMMARY_COLUMNS)
SUMMARY_WIDTHS = {i: w for i, (_, w, _) in enumerate(SUMMARY_COLUMNS, start=1)}
# The lists below the table on the same columns: (header, first column, last column) — merged
# across, so that long texts wrap inside their cell.
SUMMARY_LATE_SPANS = (
    ("Phòng/đơn vị", 1, 1), ("Mã KPI", 2, 3), ("Nhiệm vụ / KPI", 4, 8), ("Hạn xác định", 9, 10),
    ("% tiến độ", 11, 11), ("Khó khăn, vướng mắc, đề xuất", 12, 15),
)
SUMMARY_RISK_SPANS = (
    ("Phòng/đơn vị", 1, 1), ("Mã KPI", 2, 3), ("Nhiệm vụ / KPI", 4, 8), ("Hạn xác định", 9, 10),
    ("% tiến độ", 11, 11), ("Kỳ vọng (%)", 12, 12), ("Khó khăn, vướng mắc, đề xuất", 13, 15),
)
SUMMARY_PROBLEM_SPANS = (("Loại vấn đề", 1, 1), ("Trang tính", 2, 3), ("Ô", 4, 4), ("Nội dung", 5, 15))
# Shown when a unit tab has "Người phụ trách" (sheetkpi.people): a row per person, the head of unit
# first with the unit's result.
SUMMARY_PERSON_SPANS = (
    ("Phòng/đơn vị", 1, 1), ("Người phụ trách", 2, 4), ("Số KPI", 5, 5), ("Tổng trọng số", 6, 6),
    ("Điểm đạt", 7, 7), ("Điểm kỳ vọng", 8, 8), ("Tỷ lệ so với kỳ vọng (%)", 9, 10), ("Quá hạn", 11, 11),
    ("Nguy cơ chậm", 12, 12), ("KPI phụ trách", 13, 15),
)
SUMMARY_CHART_ROWS = 16  # rows kept free under the unit table for the chart
SUMMARY_CHART_COLUMNS = 8  # the chart spans columns A to H
SUMMARY_CHART_FEW_UNITS = 12  # more units: a larger chart, across the page, on a page of its own
SUMMARY_HEADER_ROW = 6

# Template texts and geometry used by the builder (sheetkpi.workbook.builder).
DATE_FORMAT = "dd/mm/yyyy"
UNIT_TITLE = "BẢNG GIAO KPI, NHIỆM VỤ TRỌNG TÂM NĂM {year}"
UNIT_NAME_PREFIX = "Phòng/đơn vị: "
UNIT_HINT_ROW = 3
CONFIG_UNITS_FIRST_ROW = CONFIG_UNITS_HEADER_ROW + 1
SUMMARY_TITLE = "TỔNG HỢP KẾT QUẢ THỰC HIỆN KPI"
SUMMARY_TITLE_ROW = 1
SUMMARY_AGENCY_ROW = 2
SUMMARY_AS_OF_ROW = 3  # "Số liệu đến ngày dd/mm/yyyy"
SUMMARY_RUN_ROW = 4  # time of the run
HISTORY_TITLE = "LỊCH SỬ % TIẾN ĐỘ THEO KỲ BÁO CÁO"
