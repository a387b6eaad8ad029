"""The short letters the Office writes to one unit: the month's copy to fill (``mail --per-unit``)
and the reminder before the cut-off day (``remind``). Plain Vietnamese text, as the Office writes it;
:mod:`sheetkpi.outputs.mail` makes the message.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from .. import layout
from ..model import KpiResult, Settings, Unit, UnitResult
from ..parsing.text import excerpt, format_date
from ..report import Issue
from ..workbook.safety import file_stem

# What a reminder asks of a row, by issue code: the fields whose cells the department should fix,
# and how. Only what the department itself fills; weights and deadlines are the Office's.
_TO_FIX: dict[str, tuple[tuple[str, ...], str]] = {
    "progress-missing": (("progress",), "đề nghị ghi {progress} (số từ 0 đến 100)"),
    "progress-invalid": (("progress",), "đề nghị ghi {progress} là số từ 0 đến 100"),
    "progress-out-of-range": (("progress",), "đề nghị ghi {progress} là số từ 0 đến 100"),
    "completed-on-invalid": (("completed_on",), "đề nghị ghi {completed_on} dạng dd/mm/yyyy"),
    "indicator-invalid": (("actual",), "đề nghị ghi {actual} là một số"),
    "not-updated": (("progress", "result"), "đề nghị cập nhật {progress} và {result}"),
    "overdue": (("progress", "obstacles"), "đề nghị cập nhật {progress} và nêu rõ {obstacles}"),
    "at-risk": (("progress", "obstacles"), "đề nghị cập nhật {progress} và nêu rõ {obstacles}"),
}
TITLE_SHOWN = 150  # characters of a KPI's title in a letter


@dataclass
class Letter:
    """A message to one unit, to send or to write as a draft named ``draft_name``."""

    unit: Unit
    subject: str
    text: str
    draft_name: str
    attachments: list[Path] = field(default_factory=list)


@dataclass
class RowToFix:
    """A KPI row a reminder lists, with one line per thing to fix."""

    kpi: KpiResult
    lines: list[str]


def rows_to_fix(unit: UnitResult) -> list[RowToFix]:
    """The unit's rows that are late, at risk, not updated since the last report or with a cell
    the department must fix, each with what to do and where."""
    rows = []
    for k in unit.kpis:
        lines = [_line(k, issue) for issue in k.issues if issue.code in _TO_FIX]
        if lines:
            rows.append(RowToFix(k, lines))
    return rows


def _line(k: KpiResult, issue: Issue) -> str:
    fields, action = _TO_FIX[issue.code]
    names = {}
    for f in fields:
        cell = k.kpi.cells.get(f)
        names[f] = f'"{layout.COLUMNS[f]}"' + (f" (ô {cell})" if cell else "")
    return f"{issue.text}: {action.format(**names)}."


def _kpi_heading(k: KpiResult) -> str:
    title = excerpt(k.kpi.title, TITLE_SHOWN)
    code = f"{k.kpi.code} — " if k.kpi.code else ""
    return f"{code}{title} (dòng {k.kpi.row})"


def _signature(settings: Settings) -> list[str]:
    return ["Trân trọng cảm ơn./.", "", settings.office, *([settings.agency] if settings.agency else [])]


def reminder(unit: UnitResult, rows: list[RowToFix], settings: Settings, *, as_of: dt.date,
             cutoff: dt.date) -> Letter:
    """The reminder to one unit."""
    name = unit.unit.name
    subject = f"Đề nghị cập nhật KPI trước ngày {format_date(cutoff)} — {name}"
    lines = [
        f"Kính gửi: {name}",
        "",
        f"Để kịp tổng hợp kết quả thực hiện KPI, nhiệm vụ trọng tâm tháng {cutoff.month}/{cutoff.year}, "
        f"{settings.office} trân trọng đề nghị Quý đơn vị rà soát, cập nhật các nội dung dưới đây trên trang "
        f'tính "{unit.unit.sheet}" của Bảng giao KPI trước ngày {format_date(cutoff)}:',
        "",
    ]
    for n, row in enumerate(rows, start=1):
        lines.append(f"{n}. {_kpi_heading(row.kpi)}")
        lines += [f"   - {line}" for line in row.lines]
    lines += ["", f"(Theo số liệu trên Bảng giao KPI đến ngày {format_date(as_of)}.)", "", *_signature(settings)]
    return Letter(unit.unit, subject, "\n".join(lines) + "\n", f"{file_stem(unit.unit.code)}-nhac-{as_of:%Y-%m-%d}.eml")


def copy_letter(unit: Unit, copy: Path, settings: Settings, *, cutoff: dt.date) -> Letter:
    """The letter that carries a unit its copy for the month (``mail --per-unit``), attached."""
    month = f"{cutoff.month}/{cutoff.year}"
    owned = ", ".join(f'"{layout.COLUMNS[f]}"' for f in ("progress", "result", "obstacles", "completed_on"))
    subject = f"Bảng giao KPI tháng {month} — {unit.name}: đề nghị cập nhật trước ngày {format_date(cutoff)}"
    lines = [
        f"Kính gửi: {unit.name}",
        "",
        f"{settings.office} gửi Quý đơn vị Bảng giao KPI tháng {month} của đơn vị (tệp đính kèm {copy.name}).",
        f'Đề nghị Quý đơn vị cập nhật {owned} (và "{layout.COLUMNS["actual"]}" đối với chỉ tiêu định lượng) '
        f'trên trang tính "{unit.sheet}", lưu tệp và gửi lại {settings.office} trước ngày {format_date(cutoff)}.',
        "",
        "Các ô khác đã được khóa (không đặt mật khẩu). Nếu cần điều chỉnh tên nhiệm vụ, trọng số, thời hạn hoặc "
        f"thêm, bớt nhiệm vụ, đề nghị Quý đơn vị nêu trong cột \"{layout.COLUMNS['obstacles']}\": "
        f"{settings.office} sẽ xem xét, không tự động cập nhật các thay đổi đó.",
        "",
        *_signature(settings),
    ]
    return Letter(unit, subject, "\n".join(lines) + "\n", f"{file_stem(unit.code)}-{cutoff:%Y-%m}.eml", [copy])
