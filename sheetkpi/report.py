"""Issues and the validation report.

Every finding is a small :class:`Issue` subclass with a stable kebab-case ``code``, a ``kind`` that
says what it is, a short Vietnamese ``title`` and a Vietnamese message template, placed at a sheet
and a cell. The four kinds, and where each shows:

- ``error`` — a data problem that makes ``sheetkpi check`` exit 1 (a weight sum other than 100, an
  invalid cell); in "Cảnh báo", in the data problems of "Tổng hợp" and the memo;
- ``data`` — a data problem to tidy (progress not updated, a deadline not understood, a setting
  missing); shown where errors are, without failing ``check``;
- ``alert`` — a finding about how the work goes (at risk, completed late, progress went down, not
  updated since the last report); in "Cảnh báo", the lists and the memo, never a data problem;
- ``result`` — a finding the row's status already shows (late: "Quá hạn"); not repeated in
  "Cảnh báo".

An evaluation (:class:`sheetkpi.model.Evaluation`) is the report: ``valid``, ``errors``,
``data_problems``, ``findings``, ``issues``. Callers construct the classes
(``Overdue(sheet=…, cell=…, params={…})``); the code is what JSON and people filtering output see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

ERROR = "error"
DATA = "data"
ALERT = "alert"
RESULT = "result"
KINDS = (ERROR, DATA, ALERT, RESULT)
# The severity `check --json` reports (SPEC §4): errors, and warnings for every other kind.
WARNING = "warning"


@dataclass(slots=True)
class Issue:
    """One finding, at an optional sheet and cell ("E7")."""

    code: ClassVar[str] = "issue"
    kind: ClassVar[str] = DATA
    title: ClassVar[str] = ""  # a few Vietnamese words naming the kind of finding ("Thiếu % tiến độ")
    template: ClassVar[str] = ""

    sheet: str | None = None
    cell: str | None = None
    params: dict = field(default_factory=dict)
    unit: str | None = None
    kpi: str | None = None  # KPI code, when the issue is about one row

    def __reduce__(self):
        return type(self), (self.sheet, self.cell, self.params, self.unit, self.kpi)  # (see KPI.__reduce__)

    @property
    def severity(self) -> str:
        """"error" for errors, "warning" for every other kind (the JSON field of SPEC §4)."""
        return ERROR if self.kind == ERROR else WARNING

    @property
    def is_data_problem(self) -> bool:
        """Something the departments or the Office must fix in the workbook."""
        return self.kind in (ERROR, DATA)

    @property
    def text(self) -> str:
        """The Vietnamese message alone (for a cell or a list that already shows the position)."""
        return self.template.format(**self.params)

    @property
    def message(self) -> str:
        """The Vietnamese message, with the position it refers to."""
        where = self.position
        return f"{where}: {self.text}" if where else self.text

    @property
    def position(self) -> str:
        if self.sheet and self.cell:
            return f"'{self.sheet}'!{self.cell}"
        return f"'{self.sheet}'" if self.sheet else ""

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "severity": self.severity,
            "kind": self.kind,
            "sheet": self.sheet,
            "cell": self.cell,
            "message": self.message,
        }


def _issue(code: str, kind: str, title: str, template: str) -> type[Issue]:
    """Declare an issue class; the registry below keeps them addressable by code."""
    name = "".join(part.capitalize() for part in code.split("-"))
    # Empty __slots__: a 100,000-row workbook can have as many findings, each without a __dict__.
    attrs = {"code": code, "kind": kind, "title": title, "template": template, "__module__": __name__,
             "__slots__": ()}
    return type(name, (Issue,), attrs)


# Errors: `check` exits 1.
WeightSumMismatch = _issue("weight-sum-mismatch", ERROR, "Tổng trọng số khác 100", "Tổng trọng số {total} ≠ 100")
WeightInvalid = _issue(
    "weight-invalid", ERROR, "Trọng số không hợp lệ", "Trọng số không hợp lệ: '{value}' (KPI được tính 0 điểm)"
)
ProgressInvalid = _issue(
    "progress-invalid", ERROR, "% tiến độ không hợp lệ", "% tiến độ không hợp lệ: '{value}' (tính là 0)"
)
ProgressOutOfRange = _issue(
    "progress-out-of-range", ERROR, "% tiến độ ngoài 0–100",
    "% tiến độ {value} nằm ngoài khoảng 0–100 (tính là {clipped})",
)
DuplicateCode = _issue("duplicate-code", ERROR, "Trùng mã KPI", "Mã KPI '{code}' bị trùng (đã có ở {first})")
UnitSheetMissing = _issue(
    "unit-sheet-missing", ERROR, "Thiếu trang tính đơn vị",
    "Bảng đơn vị khai báo '{code}' ở trang tính '{missing}' nhưng không tìm thấy trang này",
)
SettingInvalid = _issue("setting-invalid", ERROR, "Thông số không hợp lệ", "Giá trị '{label}' không hợp lệ: '{value}'")

# Data problems to tidy.
ProgressMissing = _issue("progress-missing", DATA, "Thiếu % tiến độ", "Chưa cập nhật % tiến độ")
DeadlineUnknown = _issue(
    "deadline-unknown", DATA, "Thời hạn không đọc được", "Không xác định được thời hạn: '{text}'"
)
DeadlineMissing = _issue("deadline-missing", DATA, "Thiếu thời hạn", "Chưa ghi thời hạn hoàn thành")
CompletedOnInvalid = _issue(
    "completed-on-invalid", DATA, "Ngày hoàn thành không hợp lệ", "Ngày hoàn thành không hợp lệ: '{value}'"
)
IndicatorInvalid = _issue(
    "indicator-invalid", DATA, "Chỉ tiêu không tính được",
    "Không tính được tiến độ từ chỉ tiêu '{target}' và thực hiện '{actual}'",
)
LegacyEncoding = _issue(
    "legacy-encoding", DATA, "Văn bản bảng mã cũ",
    "Văn bản có vẻ gõ bằng bảng mã cũ (TCVN3/VNI), cần chuyển sang Unicode: '{text}'",
)
ColumnsAdded = _issue(
    "columns-added", DATA, "Thêm cột tính toán",
    "Trang tính thiếu cột {columns}; sheetkpi thêm vào bên phải dòng tiêu đề",
)
KpiBelowTotal = _issue(
    "kpi-below-total", DATA, "KPI dưới dòng tổng",
    "KPI nằm dưới dòng '{label}': vẫn được tính, nhưng hãy chuyển lên trên dòng tổng",
)
TotalRowMissing = _issue(
    "total-row-missing", DATA, "Thiếu dòng tổng",
    "Không có dòng '{label}' và dòng ngay dưới KPI cuối không trống: sheetkpi không thêm dòng tổng",
)
UnitNotInConfig = _issue(
    "unit-not-in-config", DATA, "Trang tính không có trong bảng đơn vị",
    "Trang tính có dạng bảng giao KPI nhưng không có trong bảng đơn vị của 'Cấu hình': không được tính vào tổng hợp",
)
SheetWithoutKpi = _issue(
    "sheet-without-kpi", DATA, "Trang tính chưa có KPI",
    "Trang tính có dòng tiêu đề bảng giao KPI nhưng chưa có KPI nào: không được tính",
)
UnitWithoutKpi = _issue("unit-without-kpi", DATA, "Đơn vị chưa có KPI", "Đơn vị chưa có KPI nào trên trang tính")
StructureAmbiguous = _issue("structure-ambiguous", DATA, "Bố cục bảng chưa rõ", "{text}")
DuplicateTitle = _issue(
    "duplicate-title", DATA, "KPI trùng tên, không có mã",
    "KPI không có mã, trùng tên với KPI ở {first}: 'Lịch sử' phân biệt hai KPI theo thứ tự dòng — hãy đặt mã KPI",
)
SettingMissing = _issue(
    "setting-missing", DATA, "Thiếu thông số", "Không thấy thông số '{label}' trong 'Cấu hình' (dùng {default})"
)
ConfigMissing = _issue(
    "config-missing", DATA, "Thiếu trang Cấu hình", "Sổ tính không có trang 'Cấu hình': dùng các giá trị mặc định"
)
PlanYearInferred = _issue(
    "plan-year-inferred", DATA, "Thiếu năm kế hoạch",
    "Chưa có 'Năm kế hoạch' hợp lệ trong 'Cấu hình': dùng năm {year} ({source})",
)

# How the work goes.
AtRisk = _issue(
    "at-risk", ALERT, "Nguy cơ chậm tiến độ",
    "Nguy cơ chậm tiến độ: đạt {progress}%, kỳ vọng {expected}% đến hạn {due}",
)
CompletedLate = _issue(
    "completed-late", ALERT, "Hoàn thành chậm", "Hoàn thành chậm so với thời hạn ({done} > {due})"
)
ProgressDecreased = _issue(
    "progress-decreased", ALERT, "% tiến độ giảm", "% tiến độ giảm so với kỳ trước ({before}% → {after}%)"
)
NotUpdated = _issue(
    "not-updated", ALERT, "Không cập nhật so với kỳ trước",
    "% tiến độ không thay đổi so với kỳ báo cáo trước ({date})",
)
Overdue = _issue("overdue", RESULT, "Quá hạn", "Quá hạn ({due}), tiến độ {progress}%")

# What `collect` did not take from a returned copy: for the Office to decide (docs/collect.md).
ChangeNotTaken = _issue(
    "change-not-taken", DATA, "Đề xuất thay đổi",
    "{kpi} — {field}: {before} → {after} (trong bản gửi về, không lấy vào bảng chính)",
)
RowAdded = _issue(
    "row-added", DATA, "Dòng thêm trong bản gửi về",
    "Dòng {row} của bản gửi về có KPI chưa có trong bảng chính: {kpi} — không thêm",
)
RowMissing = _issue(
    "row-missing", DATA, "KPI không có trong bản gửi về",
    "{kpi} không có trong bản gửi về (bị xóa, hoặc bị đổi cả mã lẫn tên): giữ nguyên trong bảng chính",
)
OtherUnitTab = _issue(
    "other-unit-tab", DATA, "Trang của đơn vị khác",
    "Tệp '{file}' có trang '{tab}' của đơn vị {unit}, khác bảng chính ở {count} ô: không lấy (đơn vị {unit} cần "
    "gửi bản của mình)",
)
CopyConflict = _issue(
    "copy-conflict", DATA, "Hai bản khác nhau",
    "{kpi}: bản '{older}' (lưu {older_at}) ghi {older_value}, bản '{newer}' (lưu {newer_at}) ghi {newer_value}: "
    "lấy bản lưu sau",
)

REGISTRY: dict[str, type[Issue]] = {cls.code: cls for cls in Issue.__subclasses__()}
