"""Build a new "Bảng giao KPI" workbook with openpyxl: the template, the example, `sheetkpi new`.

Only new files are built here; the Office's existing workbook is never saved through openpyxl.
The output is deterministic (fixed document properties and zip timestamps), so a committed file can
be compared byte for byte with a rebuild.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule, FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.dimensions import ColumnDimension
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from .. import layout as L
from ..model import DONE, IN_PROGRESS, LATE, NOT_STARTED
from ..writes import row_height
from .safety import write_atomically

FIXED_TIME = dt.datetime(2026, 1, 1)
WEIGHT_ASSIGNED_NOTE = "Trọng số do sheetkpi chia đều, Văn phòng có thể điều chỉnh"
PROGRESS_CHOICES = ",".join(str(p) for p in range(0, 101, 10))
VALIDATION_MARGIN = 200  # rows below the KPIs still covered by drop-downs and colours
MAX_SHEET_NAME = 31

FONT_NAME = "Times New Roman"
THIN = Side(style="thin", color="808080")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", start_color="DDEBF7", end_color="DDEBF7")
ENGINE_HEADER_FILL = PatternFill("solid", start_color="D9D9D9", end_color="D9D9D9")
ENGINE_FILL = PatternFill("solid", start_color="F2F2F2", end_color="F2F2F2")
WRAP_TOP = Alignment(wrap_text=True, vertical="top")
CENTRE_TOP = Alignment(horizontal="center", vertical="top", wrap_text=True)
HEADER_ALIGN = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _dxf_fill(colour: str) -> PatternFill:
    return PatternFill("solid", start_color=colour, end_color=colour)


RED, GREEN, AMBER, GREY = (_dxf_fill(c) for c in ("FFC7CE", "C6EFCE", "FFEB9C", "D0CECE"))

# Unit tab column widths (characters). A4 landscape holds about 185 characters at 9 pt once fitted
# to the page width, so the free texts wrap in narrow columns and the rows grow instead; the four
# indicator columns are grouped and folded away on tabs whose KPIs have no indicator.
UNIT_WIDTHS = {
    "seq": 4, "code": 9, "title": 26, "output": 18, "weight": 6, "deadline": 10, "partners": 11,
    "progress": 6, "result": 20, "obstacles": 17, "completed_on": 10, "measure_unit": 7,
    "target": 9, "baseline": 7, "actual": 8, "due": 10, "effective_progress": 7, "score": 7,
    "status": 11, "alerts": 14,
}
INDICATOR_FIELDS = ("measure_unit", "target", "baseline", "actual")
CENTRED_FIELDS = {"seq", "code", "weight", "progress", "completed_on", "measure_unit", "target",
                  "baseline", "actual", "due", "effective_progress", "score", "status"}
DATE_FIELDS = {"completed_on", "due"}
DATE_SETTINGS = {"plan_start", "report_date"}

CONFIG_NOTES = {
    "parent_agency": "Dòng trên của khối tên cơ quan trong báo cáo",
    "plan_start": "Mốc tính tiến độ kỳ vọng",
    "cutoff_day": "Các phòng, đơn vị cập nhật trước ngày này hằng tháng",
    "report_date": "Để trống: lấy ngày chạy",
    "signer_authority": "TM., KT., TL. hoặc Q. kèm chức danh người đứng đầu (Nghị định 30/2020/NĐ-CP); "
                        "để trống khi ký bằng chức vụ của mình",
    "doc_symbol": "Số: …/BC-VP",
    "risk_threshold": "Cảnh báo khi tiến độ thấp hơn tiến độ kỳ vọng quá số điểm % này",
    "band_excellent": "Áp dụng cho tỷ lệ so với kỳ vọng (Nghị định 335/2025/NĐ-CP)",
    "sender": "Địa chỉ thư của Văn phòng: người gửi của sheetkpi mail, sheetkpi remind",
    "late_deduction": "Đánh giá cuối năm (sheetkpi review --quarter 4): KPI hoàn thành sau thời hạn hoặc chưa hoàn "
                      "thành bị trừ tỷ lệ này của số điểm đạt (Nghị định 335/2025/NĐ-CP: 25); ghi 0 để không trừ",
}
UNITS_EMAIL_WIDTH = 34
UNITS_HEAD_WIDTH = 26


@dataclass
class KpiSpec:
    """One KPI row as it should appear on a unit tab (department columns only)."""

    code: str
    title: str
    weight: float | None
    deadline: str | dt.date | None = None
    output: str = ""
    partners: str = ""
    progress: float | str | None = None
    result: str = ""
    obstacles: str = ""
    completed_on: dt.date | None = None
    measure_unit: str = ""
    target: str | float | None = None
    baseline: float | None = None
    actual: float | str | None = None
    weight_assigned: bool = False  # the plan had no weight: sheetkpi split it evenly


@dataclass
class UnitSpec:
    """A department, its KPIs and its tab (``sheet`` defaults to the code)."""

    code: str
    name: str
    kpis: list[KpiSpec]
    sheet: str | None = None
    email: str = ""  # the unit's address in the units table of "Cấu hình"
    head: str = ""  # "Người đứng đầu" in the units table


def default_settings(year: int) -> dict[str, object]:
    """Settings of a fresh workbook for plan year ``year`` (keys of ``layout.SETTINGS_LABELS``)."""
    return {
        "parent_agency": "TÊN CƠ QUAN CHỦ QUẢN",
        "agency": "TÊN CƠ QUAN",
        "office": "Văn phòng",
        "plan_year": year,
        "plan_start": dt.date(year, 1, 1),
        "cutoff_day": 25,
        "report_date": None,
        "place": "",
        "doc_symbol": "BC-VP",
        "signer": "",
        "signer_title": "CHÁNH VĂN PHÒNG",
        "signer_authority": "TL. TRƯỞNG BAN",
        "risk_threshold": 25,
        "band_excellent": 90,
        "band_good": 70,
        "band_pass": 50,
        "sender": "",
        "late_deduction": 25,
    }


def sheet_name(name: str, taken: set[str]) -> str:
    """``name`` made a valid Excel sheet name (≤31 chars, no []:*?/\\) not in ``taken`` (any case)."""
    base = re.sub(r"[\[\]:*?/\\]", "-", name).strip().strip("'")[:MAX_SHEET_NAME] or "Đơn vị"
    folded = {t.casefold() for t in taken}
    candidate, n = base, 1
    while candidate.casefold() in folded:
        n += 1
        suffix = f" ({n})"
        candidate = base[: MAX_SHEET_NAME - len(suffix)] + suffix
    return candidate


def build_workbook(
    path: str | Path,
    *,
    settings: dict,
    units: list[UnitSpec],
    history: dict[dt.date, dict[tuple[str, str], float]] | None = None,
    blank_rows: int = 0,
) -> None:
    """Write a new workbook to ``path``: guide, settings, one tab per unit, summary and history.

    ``history`` maps a report date to {(unit code, KPI code): progress}; ``blank_rows`` adds empty
    styled KPI rows to every unit tab (for the empty template).
    """
    unknown = set(settings) - set(L.SETTINGS_LABELS)
    if unknown:
        raise ValueError(f"unknown settings: {sorted(unknown)}")
    wb = Workbook()
    # The workbook's own font is Times New Roman, as official documents are: what sheetkpi adds to it
    # later takes the default font (the first one), and so does anything typed in a new cell.
    wb._fonts = IndexedList([Font(name=FONT_NAME, sz=11, family=1)])
    wb._named_styles["Normal"].font = wb._fonts[0]
    wb.remove(wb.active)
    _guide(wb.create_sheet(L.SHEET_GUIDE))
    config = wb.create_sheet(L.SHEET_CONFIG)
    taken = set(L.NON_UNIT_SHEETS)
    sheets = []
    for unit in units:
        sheets.append(sheet_name(unit.sheet or unit.code, taken))
        taken.add(sheets[-1])
    _config(config, settings, units, sheets)
    year = settings.get("plan_year")
    for unit, name in zip(units, sheets):
        _unit(wb.create_sheet(name), unit, year, blank_rows)
    _summary(wb.create_sheet(L.SHEET_SUMMARY), settings)
    _history(wb.create_sheet(L.SHEET_HISTORY), units, history or {})
    props = wb.properties
    props.creator = props.lastModifiedBy = "sheetkpi"
    props.title = "Bảng giao KPI"
    props.created = props.modified = FIXED_TIME
    data = _package(wb)
    write_atomically(Path(path), lambda tmp: tmp.write_bytes(data))


def _package(wb: Workbook) -> bytes:
    """The .xlsx bytes, with fixed zip timestamps so that equal content gives equal files."""
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w") as archive:
        ExcelWriter(wb, archive).write_data()
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            data = src.read(item)
            if item.filename == "xl/styles.xml":
                data = _FONT.sub(_order_font, data.decode("utf-8")).encode("utf-8")
            dst.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


_FONT = re.compile(r"<font>((?:<[A-Za-z]+ [^>]*/>)+)</font>")
_FONT_CHILD = re.compile(r"<([A-Za-z]+) [^>]*/>")
_FONT_ORDER = ("b", "i", "strike", "condense", "extend", "outline", "shadow", "u", "vertAlign", "sz", "color",
               "name", "family", "charset", "scheme")


def _order_font(match: re.Match) -> str:
    """A <font> with its children in schema order (openpyxl writes <name> first; validators object)."""
    children = sorted(_FONT_CHILD.finditer(match.group(1)), key=lambda c: _FONT_ORDER.index(c.group(1)))
    return "<font>" + "".join(c.group(0) for c in children) + "</font>"


def _put(ws: Worksheet, row: int, col: int, value, *, bold=False, italic=False, size=11,
         align: Alignment | None = WRAP_TOP, fill: PatternFill | None = None, border=True,
         number_format: str | None = None):
    """Write one styled cell; text starting with "=" stays text, never a formula."""
    cell = ws.cell(row=row, column=col)
    if value is not None and value != "":
        cell.value = value
        if isinstance(value, str) and value.startswith("="):
            cell.data_type = "s"
    cell.font = Font(name=FONT_NAME, size=size, bold=bold, italic=italic)
    if align is not None:
        cell.alignment = align
    if fill is not None:
        cell.fill = fill
    if border:
        cell.border = BORDER
    if isinstance(value, dt.date) or number_format:
        cell.number_format = number_format or L.DATE_FORMAT
    return cell


def _fit_height(ws: Worksheet, row: int, values: dict[int, object], size: int = 11, *, bold: bool = False) -> None:
    """Set the row height to show wrapped text in full, as every run computes it (writes.row_height)."""
    height = row_height([(v, ws.column_dimensions[get_column_letter(c)].width or 9, size)
                         for c, v in values.items() if isinstance(v, str) and v], bold=bold)
    if height:
        ws.row_dimensions[row].height = height


def _banner(ws: Worksheet, row: int, text: str, width: int, *, size=11, bold=True, italic=False,
            horizontal="center") -> None:
    """A text line merged across ``width`` columns."""
    _put(ws, row, 1, text, bold=bold, italic=italic, size=size, border=False,
         align=Alignment(horizontal=horizontal, vertical="center", wrap_text=True))
    if width > 1:
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)


def _print_setup(ws: Worksheet, title_rows: str, *, landscape=True) -> None:
    """A4, fit to one page wide, repeated title rows, page numbers in the footer."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.5, bottom=0.6, header=0.3, footer=0.3)
    ws.print_options.horizontalCentered = True
    ws.print_title_rows = title_rows
    ws.oddFooter.center.text = "Trang &P/&N"


def _guide(ws: Worksheet) -> None:
    c, e = L.COLUMNS, L.ENGINE_COLUMNS
    engine = ", ".join(f'"{h}"' for h in e.values())
    lines = [
        ("HƯỚNG DẪN SỬ DỤNG BẢNG GIAO KPI", "title"),
        ("Đối với các phòng, đơn vị", "head"),
        ("1. Chỉ cập nhật trang tính mang mã của phòng, đơn vị mình; không sửa trang tính khác.", ""),
        (f'2. Trước ngày 25 hằng tháng, cập nhật "{c["progress"]}" (số từ 0 đến 100, ví dụ 45 hoặc 45,5), '
         f'"{c["result"]}" và "{c["obstacles"]}".', ""),
        (f'3. Khi hoàn thành nhiệm vụ: ghi 100 ở "{c["progress"]}" và ghi "{c["completed_on"]}" (dd/mm/yyyy).', ""),
        (f"4. Không nhập vào các cột nền xám ({engine}): sheetkpi tự điền và ghi đè các cột này.", ""),
        (f'5. Thêm KPI bằng cách chèn dòng phía trên dòng "{L.TOTAL_LABEL}", ghi đủ "{c["code"]}", '
         f'"{c["title"]}", "{c["weight"]}", "{c["deadline"]}". Tổng trọng số của mỗi phòng, đơn vị là 100 điểm.', ""),
        (f'6. "{c["deadline"]}" ghi như trong kế hoạch (ví dụ "30/6/2026", "Quý IV/2026", "6 tháng đầu năm 2026"); '
         f'cách sheetkpi hiểu thời hạn hiện ở cột "{e["due"]}".', ""),
        ("Đối với Văn phòng (đơn vị tổng hợp)", "head"),
        ("1. Khai báo thông tin cơ quan, ngày báo cáo, các ngưỡng và danh sách phòng, đơn vị ở trang "
         f'"{L.SHEET_CONFIG}".', ""),
        ('2. Sau ngày chốt số liệu, bấm "Tính lại KPI" trên thẻ SheetKPI của Excel, hoặc chạy lệnh '
         '"sheetkpi recalc BangGiaoKPI.xlsx" (kiểm tra trước, không ghi: "sheetkpi check BangGiaoKPI.xlsx").', ""),
        (f'3. sheetkpi tính điểm, trạng thái, cảnh báo trên từng trang đơn vị, ghi trang "{L.SHEET_SUMMARY}", '
         f'"{L.SHEET_HISTORY}" và soạn báo cáo kèm theo; bản cũ được lưu trong thư mục "sao-luu".', ""),
        ('4. Mỗi quý, sau kỳ báo cáo cuối quý: "sheetkpi review BangGiaoKPI.xlsx --quarter 2" soạn báo cáo sơ kết '
         "quý (quý 4: tổng kết năm, kèm đánh giá cuối năm từng phòng, đơn vị).", ""),
        (f'5. Giao KPI cho từng người: thêm cột "{L.OPTIONAL_COLUMNS["owners"]}" vào trang tính đơn vị (nhiều người '
         'ghi cách nhau bằng dấu phẩy hoặc chấm phẩy) và ghi "Người đứng đầu" của từng phòng, đơn vị ở '
         f'"{L.SHEET_CONFIG}": "{L.SHEET_SUMMARY}" có thêm bảng kết quả theo người phụ trách.', ""),
        ("Cách tính", "head"),
        (f'- "{e["score"]}" = "{c["weight"]}" × "{c["progress"]}" / 100 (tiến độ tối đa 100).', ""),
        (f'- "{e["status"]}": {DONE}; {LATE} (chưa xong và đã qua hạn); {NOT_STARTED}; {IN_PROGRESS}.', ""),
        ("- Nguy cơ chậm tiến độ: tiến độ thấp hơn tiến độ kỳ vọng theo thời gian quá ngưỡng đặt ở "
         f'"{L.SHEET_CONFIG}".', ""),
    ]
    ws.column_dimensions["A"].width = 80
    for row, (text, kind) in enumerate(lines, start=1):
        if kind == "title":
            _put(ws, row, 1, text, bold=True, size=14, border=False,
                 align=Alignment(horizontal="center", vertical="center"))
        else:
            _put(ws, row, 1, text, bold=kind == "head", border=False, align=WRAP_TOP)
            _fit_height(ws, row, {1: text}, bold=kind == "head")
    _print_setup(ws, "1:1", landscape=False)


def _config(ws: Worksheet, settings: dict, units: list[UnitSpec], sheets: list[str]) -> None:
    for col, width in zip("ABCDE", (40, 42, 60, UNITS_EMAIL_WIDTH, UNITS_HEAD_WIDTH)):
        ws.column_dimensions[col].width = width
    _banner(ws, 1, "CẤU HÌNH BẢNG GIAO KPI", 3, size=14)
    for col, text in enumerate(("Thông số", "Giá trị", "Ghi chú"), start=1):
        _put(ws, L.CONFIG_FIRST_ROW - 1, col, text, bold=True, align=HEADER_ALIGN, fill=HEADER_FILL)
    for row, (key, label) in enumerate(L.SETTINGS_LABELS.items(), start=L.CONFIG_FIRST_ROW):
        _put(ws, row, 1, label)
        _put(ws, row, 2, settings.get(key), align=Alignment(horizontal="left", vertical="top", wrap_text=True),
             number_format=L.DATE_FORMAT if key in DATE_SETTINGS else None)
        _put(ws, row, 3, CONFIG_NOTES.get(key), italic=True)
        _fit_height(ws, row, {2: settings.get(key), 3: CONFIG_NOTES.get(key)})
    _banner(ws, L.CONFIG_UNITS_HEADER_ROW - 1, "DANH SÁCH PHÒNG, ĐƠN VỊ", 3, horizontal="left")
    for col, text in enumerate(L.UNITS_TABLE_HEADERS.values(), start=1):
        _put(ws, L.CONFIG_UNITS_HEADER_ROW, col, text, bold=True, align=HEADER_ALIGN, fill=HEADER_FILL)
    for row, (unit, name) in enumerate(zip(units, sheets), start=L.CONFIG_UNITS_FIRST_ROW):
        for col, value in enumerate((unit.code, unit.name, name, unit.email, unit.head), start=1):
            _put(ws, row, col, value)
    _print_setup(ws, "1:1", landscape=False)


def _unit(ws: Worksheet, unit: UnitSpec, year, blank_rows: int) -> None:
    fields = list(L.COLUMNS)
    col = {f: i for i, f in enumerate(fields, start=1)}
    width = len(fields)
    _banner(ws, L.UNIT_TITLE_ROW, L.UNIT_TITLE.format(year=year or ""), width, size=14)
    _banner(ws, L.UNIT_NAME_ROW, L.UNIT_NAME_PREFIX + unit.name, width, size=12)
    _banner(ws, L.UNIT_HINT_ROW,
            f'Cập nhật trước ngày 25 hằng tháng; "{L.COLUMNS["progress"]}" là số từ 0 đến 100. '
            "Các cột nền xám do sheetkpi tự điền, không nhập tay.", width, bold=False, italic=True)
    for field, header in L.COLUMNS.items():
        engine = field in L.ENGINE_COLUMNS
        _put(ws, L.UNIT_HEADER_ROW, col[field], header, bold=True, align=HEADER_ALIGN,
             fill=ENGINE_HEADER_FILL if engine else HEADER_FILL)
        ws.column_dimensions[get_column_letter(col[field])].width = UNIT_WIDTHS[field]
    ws.row_dimensions[L.UNIT_HEADER_ROW].height = 64
    if not any(getattr(k, f) not in (None, "") for k in unit.kpis for f in INDICATOR_FIELDS):
        first_ind, last_ind = (get_column_letter(col[f]) for f in (INDICATOR_FIELDS[0], INDICATOR_FIELDS[-1]))
        ws.column_dimensions.group(first_ind, last_ind, hidden=True, outline_level=1)

    first = L.UNIT_FIRST_KPI_ROW
    rows = [_kpi_values(i, k) for i, k in enumerate(unit.kpis, start=1)] + [{}] * blank_rows
    for row, values in enumerate(rows, start=first):
        for field in fields:
            cell = _put(ws, row, col[field], values.get(field),
                        align=CENTRE_TOP if field in CENTRED_FIELDS else WRAP_TOP,
                        fill=ENGINE_FILL if field in L.ENGINE_COLUMNS else None,
                        number_format=L.DATE_FORMAT if field in DATE_FIELDS else None)
            if field == "weight" and values.get("weight_assigned"):
                cell.comment = Comment(WEIGHT_ASSIGNED_NOTE, "sheetkpi", width=220, height=60)
        _fit_height(ws, row, {col[f]: v for f, v in values.items() if f in col})
    total = first + len(rows)
    weight = get_column_letter(col["weight"])
    for field in fields:
        _put(ws, total, col[field], L.TOTAL_LABEL if field == "code" else None, bold=True,
             align=CENTRE_TOP, fill=ENGINE_FILL if field in L.ENGINE_COLUMNS else None)
    # The grade, the pace and the unit's flags that sheetkpi writes on this row take up to four lines.
    ws.row_dimensions[total].height = 60
    # The weight total is the workbook's own formula: rows inserted above the total row extend it in
    # Excel, and sheetkpi never writes over it.
    ws.cell(row=total, column=col["weight"]).value = f"=SUM({weight}{first}:{weight}{total - 1})"

    last = get_column_letter(width)
    letter = {f: get_column_letter(i) for f, i in col.items()}
    end = total + VALIDATION_MARGIN
    progress = DataValidation(
        type="list", formula1=f'"{PROGRESS_CHOICES}"', allow_blank=True, errorStyle="warning",
        showInputMessage=True, showErrorMessage=True,
        promptTitle=L.COLUMNS["progress"], prompt="Chọn hoặc nhập số từ 0 đến 100 (ví dụ 45 hoặc 45,5).",
        errorTitle="Kiểm tra % tiến độ",
        error="% tiến độ là số từ 0 đến 100. Chọn Yes để giữ giá trị đã nhập, No để nhập lại.")
    progress.add(f"{letter['progress']}{first}:{letter['progress']}{end}")
    completed = DataValidation(
        type="date", operator="between", formula1="DATE(2000,1,1)", formula2="DATE(2100,12,31)",
        allow_blank=True, errorStyle="warning", showInputMessage=True, showErrorMessage=True,
        promptTitle=L.COLUMNS["completed_on"], prompt="Ngày hoàn thành thực tế, dạng dd/mm/yyyy.",
        errorTitle="Kiểm tra ngày", error="Nhập ngày dạng dd/mm/yyyy, ví dụ 15/04/2026.")
    completed.add(f"{letter['completed_on']}{first}:{letter['completed_on']}{end}")
    ws.add_data_validation(progress)
    ws.add_data_validation(completed)

    status = f"{letter['status']}{first}:{letter['status']}{end}"
    flagged = f"{letter['status']}{first}:{letter['alerts']}{end}"
    cf = ws.conditional_formatting
    cf.add(status, CellIsRule(operator="equal", formula=[f'"{LATE}"'], fill=RED, font=Font(color="9C0006")))
    cf.add(status, CellIsRule(operator="equal", formula=[f'"{DONE}"'], fill=GREEN, font=Font(color="006100")))
    cf.add(flagged, FormulaRule(formula=[f"LEN(TRIM(${letter['alerts']}{first}))>0"], fill=AMBER))
    cf.add(status, CellIsRule(operator="equal", formula=[f'"{NOT_STARTED}"'], fill=GREY))

    ws.freeze_panes = f"{letter['output']}{first}"
    _print_setup(ws, f"{L.UNIT_HEADER_ROW}:{L.UNIT_HEADER_ROW}")
    ws.print_area = f"A1:{last}{total}"


def _kpi_values(seq: int, k: KpiSpec) -> dict:
    values = {f: getattr(k, f) for f in L.DEPARTMENT_COLUMNS if f != "seq"}
    values.update(seq=seq, weight_assigned=k.weight_assigned)
    return values


def _summary(ws: Worksheet, settings: dict) -> None:
    """"Tổng hợp" before any run, from the layout every run writes (layout.SUMMARY_COLUMNS)."""
    width = len(L.SUMMARY_COLUMNS)
    _banner(ws, L.SUMMARY_TITLE_ROW, L.SUMMARY_TITLE, width, size=14)
    _banner(ws, L.SUMMARY_AGENCY_ROW, settings.get("agency"), width, size=12)
    _banner(ws, L.SUMMARY_AS_OF_ROW, None, width, bold=False, italic=True)
    _banner(ws, L.SUMMARY_RUN_ROW, None, width, bold=False, italic=True)
    for col, (header, column_width, _) in enumerate(L.SUMMARY_COLUMNS, start=1):
        _put(ws, L.SUMMARY_HEADER_ROW, col, header, bold=True, align=HEADER_ALIGN, fill=HEADER_FILL)
        ws.column_dimensions[get_column_letter(col)].width = column_width
    ws.row_dimensions[L.SUMMARY_HEADER_ROW].height = 45
    ws.freeze_panes = f"A{L.SUMMARY_HEADER_ROW + 1}"
    _print_setup(ws, f"1:{L.SUMMARY_HEADER_ROW}")


def _history(ws: Worksheet, units: list[UnitSpec], history: dict) -> None:
    dates = sorted(history)
    keys = [(u.code, k.code or k.title) for u in units for k in u.kpis]
    titles = {(u.code, k.code or k.title): k.title for u in units for k in u.kpis}
    seen = {key for values in history.values() for key in values}
    rows = [key for key in keys if key in seen] + sorted(seen - set(keys))
    width = len(L.HISTORY_KEY_HEADERS) + 12  # a year of monthly reports, the page it prints on
    _banner(ws, 1, L.HISTORY_TITLE, width, size=14)
    _banner(ws, 2, "Do sheetkpi ghi sau mỗi lần tính: mỗi cột ngày là % tiến độ đọc được tại kỳ báo cáo đó; "
            "ô nền đỏ: % tiến độ giảm so với kỳ trước. Không sửa tay.", width,
            bold=False, italic=True, horizontal="left")
    headers = [*L.HISTORY_KEY_HEADERS, *dates]
    for col, w in zip("ABC", L.HISTORY_KEY_WIDTHS):
        ws.column_dimensions[col].width = w
    # Every report-date column to come, ten years of months, already has its width: a date that
    # sheetkpi adds next month prints as a date, not "###".
    first = len(L.HISTORY_KEY_HEADERS) + 1
    ws.column_dimensions[get_column_letter(first)] = ColumnDimension(
        ws, min=first, max=first + L.HISTORY_DATE_COLUMNS - 1, width=L.HISTORY_DATE_WIDTH, customWidth=True)
    for col, header in enumerate(headers, start=1):
        _put(ws, L.HISTORY_HEADER_ROW, col, header, bold=True, align=HEADER_ALIGN, fill=HEADER_FILL)
    ws.row_dimensions[L.HISTORY_HEADER_ROW].height = 30  # "Mã đơn vị" on two lines
    for row, key in enumerate(rows, start=L.HISTORY_FIRST_ROW):
        values = [*key, titles.get(key, ""), *(history[d].get(key) for d in dates)]
        for col, value in enumerate(values, start=1):
            _put(ws, row, col, value, align=WRAP_TOP if col == 3 else CENTRE_TOP)
        _fit_height(ws, row, {3: values[2]})
    ws.freeze_panes = f"D{L.HISTORY_FIRST_ROW}"
    _print_setup(ws, f"{L.HISTORY_HEADER_ROW}:{L.HISTORY_HEADER_ROW}")
