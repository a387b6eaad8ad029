"""The entry points the "SheetKPI" ribbon tab calls through xlwings' ``RunPython``.

``recalculate()`` ("Tính lại KPI"), ``validate()`` ("Kiểm tra") and ``help()`` ("Giúp đỡ") work on
the workbook the button was clicked in (``xlwings.Book.caller()``), or on the ``book`` given: the
LibreOffice extension passes a Calc document offered as xlwings offers Excel
(:mod:`sheetkpi.workbook.uno_adapter`). Every outcome, a failure included, ends in one Vietnamese
message box: the clerk never sees a Python traceback. Imports are deferred to the button that needs
them, so that a click answers quickly once Python has started.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

TITLE = "SheetKPI"
MAX_LISTED = 12  # problems listed in the "Kiểm tra" box; the rest are counted

HELP_TEXT = """Thẻ SheetKPI trên thanh công cụ có ba nút:

• Tính lại KPI: đọc mọi trang tính đơn vị của sổ tính đang mở, điền các cột "Hạn xác định", \
"Tiến độ tính điểm (%)", "Điểm quy đổi", "Trạng thái", "Cảnh báo", dòng "Tổng cộng", ghi lại trang \
"Tổng hợp" và "Lịch sử", rồi tạo báo cáo (Word, HTML, văn bản) trong thư mục chứa sổ tính. Chỉ các ô do \
sheetkpi quản lý thay đổi. Kết quả chưa được lưu: hãy bấm Lưu (Ctrl+S); muốn bỏ kết quả thì đóng sổ \
tính mà không lưu.

• Kiểm tra: chỉ đọc và báo các vấn đề dữ liệu (tổng trọng số khác 100, % tiến độ không hợp lệ, thời \
hạn không đọc được…), kèm trang tính và ô cần sửa. Không ghi gì vào sổ tính.

• Giúp đỡ: hộp thông báo này.

Các đơn vị cập nhật cột "% tiến độ" (0–100) trước ngày 25 hằng tháng; "Ngày báo cáo" trong trang \
"Cấu hình" (để trống là hôm nay) là ngày tính trạng thái quá hạn. Hướng dẫn cài đặt và xử lý lỗi: \
tệp README.md trong thư mục macros của sheetkpi."""


def recalculate(book: Any = None, *, memo: bool = True) -> str:
    """"Tính lại KPI": recalculate the workbook and (``memo``) write the memo beside it; returns the
    message shown."""
    return run_action(lambda b: _recalculate(b, memo), book)


def validate(book: Any = None) -> str:
    """"Kiểm tra": read and validate only; list the problems to fix."""
    return run_action(_validate, book)


def help(book: Any = None) -> str:  # noqa: A001 (the name the ribbon's VBA calls: sheetkpi.excel.help())
    """"Giúp đỡ": what each button does."""
    return run_action(lambda b: (HELP_TEXT, "info"), book)


def run_action(action: Callable[[Any], tuple[str, str]], book: Any = None) -> str:
    """Run ``action`` on ``book`` (default: the workbook whose button was clicked) and show its
    message, or the failure, in a message box; returns the message."""
    if book is None:
        import xlwings

        book = xlwings.Book.caller()
    from .errors import SheetkpiError

    try:
        message, mode = action(book)
    except SheetkpiError as exc:
        message, mode = f"{exc.message}\n\nSổ tính không thay đổi.", "critical"
    except Exception as exc:  # a click must end in a message, never in a traceback
        message = (
            f"SheetKPI gặp lỗi không lường trước ({exc.__class__.__name__}: {exc}).\n\n"
            "Có thể một phần kết quả đã được ghi: đóng sổ tính mà không lưu để bỏ, rồi thử lại. "
            "Nếu lỗi lặp lại, hãy chạy 'sheetkpi check' với tệp này và gửi kết quả cho người hỗ trợ."
        )
        mode = "critical"
    book.app.alert(message, title=TITLE, mode=mode)
    return message


def _recalculate(book: Any, memo: bool = True) -> tuple[str, str]:
    from .parsing.deadlines import format_due
    from .workbook.xlwings_adapter import recalc_book

    _, evaluation, plan = recalc_book(book)
    totals = evaluation.totals
    lines = [
        f"Đã tính lại {totals['kpi_count']} KPI của {len(evaluation.units)} phòng, đơn vị "
        f"(số liệu đến ngày {format_due(evaluation.as_of)}); {plan.cell_count()} ô được cập nhật.",
        *_counts(evaluation),
        f"Có {len(evaluation.errors)} lỗi dữ liệu cần sửa: xem trang \"Tổng hợp\" hoặc bấm \"Kiểm tra\"."
        if evaluation.errors else "",
        _memo(evaluation, book.fullname) if memo else "",
        "Kết quả chưa được lưu: bấm Lưu (Ctrl+S) để giữ.",
    ]
    return "\n\n".join(line for line in lines if line), "critical" if evaluation.errors else "info"


def _validate(book: Any) -> tuple[str, str]:
    from .api import inspect
    from .parsing.deadlines import format_due
    from .workbook.xlwings_adapter import ExcelBook

    evaluation = inspect(ExcelBook(book))
    problems = evaluation.data_problems
    errors = len(evaluation.errors)
    head = f"Kiểm tra {evaluation.totals['kpi_count']} KPI, số liệu đến ngày {format_due(evaluation.as_of)}."
    if not problems:
        return "\n\n".join([head, "Không có vấn đề dữ liệu.", *_counts(evaluation)]), "info"
    listed = [f"• {i.message}" for i in problems[:MAX_LISTED]]
    if len(problems) > MAX_LISTED:
        listed.append(f"… và {len(problems) - MAX_LISTED} vấn đề khác (xem trang \"Tổng hợp\" sau khi tính lại).")
    summary = f"{errors} lỗi, {len(problems) - errors} cảnh báo cần xử lý:"
    message = "\n\n".join([head, summary + "\n" + "\n".join(listed), *_counts(evaluation)])
    return message, "critical" if errors else "info"


def _counts(evaluation) -> list[str]:
    from .model import LATE

    totals = evaluation.totals
    late, at_risk = totals["status_counts"][LATE], totals["at_risk_count"]
    return [f"Quá hạn: {late} KPI; có nguy cơ chậm tiến độ: {at_risk} KPI."] if late or at_risk else []


def _memo(evaluation, fullname: str) -> str:
    """Write the memo beside the workbook; a line saying what happened (never a failure of the run)."""
    folder = Path(fullname).parent
    if not Path(fullname).is_absolute() or not folder.is_dir():
        return "Chưa tạo báo cáo: sổ tính chưa được lưu vào một thư mục trên máy (hãy lưu rồi bấm lại)."
    try:
        from .outputs.memo import write_memo
    except ImportError:
        return ""  # this installation has no memo renderer
    try:
        files = write_memo(evaluation, folder)
    except ImportError as exc:
        return f"Chưa tạo báo cáo: thiếu gói {exc.name or exc} (cài bằng: pip install --force-reinstall sheetkpi)."
    except OSError as exc:
        return f"Không ghi được báo cáo vào '{folder}': {exc.strerror or exc}."
    return f"Báo cáo: {', '.join(f.name for f in files)} (trong thư mục {folder})."
