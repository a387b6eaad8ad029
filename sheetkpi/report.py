"""Issues and the validation report.

Every problem sheetkpi finds is a small :class:`Issue` subclass with a stable kebab-case ``code``, a
``severity`` and a Vietnamese message template, placed at a sheet and a cell. Errors make
``sheetkpi check`` exit 1; warnings are results (late or at-risk rows, cells to tidy up). An
evaluation (:class:`sheetkpi.model.Evaluation`) is the report: ``valid``, ``errors``, ``issues``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

ERROR = "error"
WARNING = "warning"


@dataclass(slots=True)
class Issue:
    """One finding, at an optional sheet and cell ("E7")."""

    code: ClassVar[str] = "issue"
    severity: ClassVar[str] = WARNING
    template: ClassVar[str] = ""

    sheet: str | None = None
    cell: str | None = None
    params: dict = field(default_factory=dict)
    unit: str | None = None
    kpi: str | None = None  # KPI code, when the issue is about one row

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
            "sheet": self.sheet,
            "cell": self.cell,
            "message": self.message,
        }


def _issue(code: str, severity: str, template: str) -> type[Issue]:
    """Declare an issue class; the registry below keeps them addressable by code."""
    name = "".join(part.capitalize() for part in code.split("-"))
    # Empty __slots__: a 100,000-row workbook can have as many findings, each without a __dict__.
    attrs = {"code": code, "severity": severity, "template": template, "__module__": __name__, "__slots__": ()}
    return type(name, (Issue,), attrs)


WeightSumMismatch = _issue("weight-sum-mismatch", ERROR, "Tổng trọng số {total} ≠ 100")
WeightInvalid = _issue("weight-invalid", ERROR, "Trọng số không hợp lệ: '{value}' (KPI được tính 0 điểm)")
ProgressInvalid = _issue("progress-invalid", ERROR, "% tiến độ không hợp lệ: '{value}' (tính là 0)")
ProgressOutOfRange = _issue(
    "progress-out-of-range", ERROR, "% tiến độ {value} nằm ngoài khoảng 0–100 (tính là {clipped})"
)
ProgressMissing = _issue("progress-missing", WARNING, "Chưa cập nhật % tiến độ")
DeadlineUnknown = _issue("deadline-unknown", WARNING, "Không xác định được thời hạn: '{text}'")
DeadlineMissing = _issue("deadline-missing", WARNING, "Chưa ghi thời hạn hoàn thành")
CompletedOnInvalid = _issue("completed-on-invalid", WARNING, "Ngày hoàn thành không hợp lệ: '{value}'")
DuplicateCode = _issue("duplicate-code", ERROR, "Mã KPI '{code}' bị trùng (đã có ở {first})")
Overdue = _issue("overdue", WARNING, "Quá hạn ({due}), tiến độ {progress}%")
AtRisk = _issue(
    "at-risk", WARNING, "Nguy cơ chậm tiến độ: đạt {progress}%, kỳ vọng {expected}% đến hạn {due}"
)
CompletedLate = _issue("completed-late", WARNING, "Hoàn thành chậm so với thời hạn ({done} > {due})")
ProgressDecreased = _issue(
    "progress-decreased", WARNING, "% tiến độ giảm so với kỳ trước ({before}% → {after}%)"
)
NotUpdated = _issue(
    "not-updated", WARNING, "% tiến độ không thay đổi so với kỳ báo cáo trước ({date})"
)
IndicatorInvalid = _issue(
    "indicator-invalid", WARNING, "Không tính được tiến độ từ chỉ tiêu '{target}' và thực hiện '{actual}'"
)
LegacyEncoding = _issue(
    "legacy-encoding", WARNING, "Văn bản có vẻ gõ bằng bảng mã cũ (TCVN3/VNI), cần chuyển sang Unicode: '{text}'"
)
ColumnsAdded = _issue(
    "columns-added", WARNING, "Trang tính thiếu cột {columns}; sheetkpi thêm vào bên phải dòng tiêu đề"
)
KpiBelowTotal = _issue(
    "kpi-below-total", WARNING, "KPI nằm dưới dòng '{label}': vẫn được tính, nhưng hãy chuyển lên trên dòng tổng"
)
TotalRowMissing = _issue(
    "total-row-missing", WARNING, "Không có dòng '{label}' và dòng ngay dưới KPI cuối không trống: sheetkpi không thêm dòng tổng"
)
UnitNotInConfig = _issue(
    "unit-not-in-config", WARNING,
    "Trang tính có dạng bảng giao KPI nhưng không có trong bảng đơn vị của 'Cấu hình': không được tính vào tổng hợp",
)
SheetWithoutKpi = _issue(
    "sheet-without-kpi", WARNING, "Trang tính có dòng tiêu đề bảng giao KPI nhưng chưa có KPI nào: không được tính"
)
UnitWithoutKpi = _issue("unit-without-kpi", WARNING, "Đơn vị chưa có KPI nào trên trang tính")
StructureAmbiguous = _issue("structure-ambiguous", WARNING, "{text}")
DuplicateTitle = _issue(
    "duplicate-title", WARNING,
    "KPI không có mã, trùng tên với KPI ở {first}: 'Lịch sử' phân biệt hai KPI theo thứ tự dòng — hãy đặt mã KPI",
)
SettingMissing = _issue("setting-missing", WARNING, "Không thấy thông số '{label}' trong 'Cấu hình' (dùng {default})")
ConfigMissing = _issue("config-missing", WARNING, "Sổ tính không có trang 'Cấu hình': dùng các giá trị mặc định")
PlanYearInferred = _issue(
    "plan-year-inferred", WARNING, "Chưa có 'Năm kế hoạch' hợp lệ trong 'Cấu hình': dùng năm {year} ({source})"
)
UnitSheetMissing = _issue(
    "unit-sheet-missing", ERROR, "Bảng đơn vị khai báo '{code}' ở trang tính '{missing}' nhưng không tìm thấy trang này"
)
SettingInvalid = _issue("setting-invalid", ERROR, "Giá trị '{label}' không hợp lệ: '{value}'")

REGISTRY: dict[str, type[Issue]] = {
    cls.code: cls
    for cls in (
        WeightSumMismatch, WeightInvalid, ProgressInvalid, ProgressOutOfRange, ProgressMissing,
        DeadlineUnknown, DeadlineMissing, CompletedOnInvalid, DuplicateCode, Overdue, AtRisk,
        CompletedLate, ProgressDecreased, NotUpdated, IndicatorInvalid, LegacyEncoding,
        ColumnsAdded, KpiBelowTotal, TotalRowMissing, UnitNotInConfig, UnitSheetMissing, SettingInvalid,
        SheetWithoutKpi, UnitWithoutKpi, StructureAmbiguous, DuplicateTitle, SettingMissing, ConfigMissing,
        PlanYearInferred,
    )
}


def make_issue(code: str, /, **kwargs) -> Issue:
    """Build the issue registered under ``code``; extra keyword arguments fill its message."""
    cls = REGISTRY[code]
    position = {k: kwargs.pop(k) for k in ("sheet", "cell", "unit", "kpi") if k in kwargs}
    return cls(params=kwargs, **position)
