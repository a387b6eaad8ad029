"""What the CLI prints: the table by unit and the findings, in Vietnamese."""

from __future__ import annotations

import unicodedata
from collections import Counter
from typing import TextIO

from ..model import DONE, IN_PROGRESS, LATE, NOT_STARTED, Evaluation
from ..parsing.deadlines import format_due
from ..parsing.numbers import format_vn
from ..report import ERROR
from ..reportdate import ReportDate

HEADERS = (
    "Phòng/đơn vị", "Số KPI", "Tổng TS", "Điểm đạt", "Kỳ vọng", "HT", "ĐTH", "CTK", "QH", "Nguy cơ",
    "Xếp loại (tạm tính)",
)
LEGEND = "HT: Hoàn thành; ĐTH: Đang thực hiện; CTK: Chưa triển khai; QH: Quá hạn; TS: trọng số"


def _width(text: str) -> int:
    return sum(0 if unicodedata.combining(ch) else 1 for ch in text)


def table(rows: list[list[str]], numeric_from: int = 1) -> str:
    """Rows of text as an aligned plain-text table (numbers right-aligned)."""
    widths = [max(_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        cells = []
        for i, text in enumerate(row):
            pad = " " * (widths[i] - _width(text))
            cells.append(pad + text if i >= numeric_from and n > 0 and i < len(row) - 1 else text + pad)
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


MAX_ERRORS_SHOWN = 20  # in a summary; `check` and --verbose list them all


def print_evaluation(evaluation: Evaluation, out: TextIO, *, details: bool = True, workbook=None) -> None:
    """The table by unit and the agency total, then the findings: every one with ``details``,
    else the first errors and a count of each kind of finding (a 20,000-row run would otherwise
    print 15,000 lines)."""
    s = evaluation.settings
    out.write(f"{s.agency or 'Bảng giao KPI'} — số liệu đến ngày {format_due(evaluation.as_of)}\n")
    out.write(ReportDate(evaluation.as_of, evaluation.as_of_source).describe() + ".\n\n")
    rows = [list(HEADERS)]
    for u in evaluation.units:
        c = u.status_counts
        rows.append([
            f"{u.unit.code} – {u.unit.name}", str(u.kpi_count), format_vn(u.weight_total),
            format_vn(u.score_total), format_vn(u.expected_score),
            *(str(c[st]) for st in (DONE, IN_PROGRESS, NOT_STARTED, LATE)), str(u.at_risk_count), u.grade,
        ])
    t = evaluation.totals
    c = t["status_counts"]
    rows.append([
        "Toàn cơ quan", str(t["kpi_count"]), format_vn(t["weight_total"]), format_vn(t["score_total"]),
        format_vn(t["expected_score"]), *(str(c[st]) for st in (DONE, IN_PROGRESS, NOT_STARTED, LATE)),
        str(t["at_risk_count"]), "",
    ])
    out.write(table(rows) + "\n" + LEGEND + "\n")
    for u in evaluation.units:
        for flag in u.flags:
            out.write(f"⚠ {u.unit.sheet}: {flag}\n")
    errors = evaluation.errors
    others = [i for i in evaluation.issues if i.kind != ERROR]
    shown = errors if details else errors[:MAX_ERRORS_SHOWN]
    if errors:
        out.write(f"\nLỗi dữ liệu cần sửa ({len(errors)}):\n")
        for i in shown:
            out.write(f"  ✗ [{i.code}] {i.message}\n")
        if len(shown) < len(errors):
            out.write(f"  … và {len(errors) - len(shown)} lỗi khác.\n")
    if others and details:
        out.write(f"\nCảnh báo ({len(others)}):\n")
        for i in others:
            out.write(f"  • [{i.code}] {i.message}\n")
    elif others:
        counts = Counter(i.title for i in others)
        out.write(f"\nCảnh báo ({len(others)}): " + "; ".join(f"{t} {n}" for t, n in counts.most_common()) + ".\n")
    if not details and (others or len(shown) < len(errors)):
        where = f" '{workbook}'" if workbook else ""
        out.write(f"Xem từng dòng: sheetkpi check{where}, hoặc thêm --verbose; danh sách cũng có trên trang "
                  "'Tổng hợp'.\n")
    if not errors:
        out.write("\nKhông có lỗi dữ liệu.\n")


def print_recalc(result, out: TextIO) -> None:
    """Where the results went."""
    out.write(f"\nĐã ghi {result.cells_written} ô vào '{result.output}'.\n")
    if result.backup:
        out.write(f"Bản sao lưu trước khi ghi: '{result.backup}'.\n")
    for path in result.memo_files:
        out.write(f"Báo cáo: '{path}'.\n")


def print_split(result, out: TextIO) -> None:
    """The copies written, one a line."""
    out.write(f"Bản của từng đơn vị cho kỳ chốt số liệu ngày {format_due(result.cutoff)}:\n")
    for unit, path in result.copies:
        out.write(f"  {unit.code} – {unit.name}: '{path}'\n")
    for path in result.replaced:
        out.write(f"Bản cũ cùng tên đã được lưu vào '{path}'.\n")


def print_unit_mails(result, out: TextIO, *, reminder: bool) -> None:
    """Unit by unit: sent, drafted, or why not; for a reminder, the units with nothing to fix."""
    what = "Nhắc cập nhật" if reminder else "Gửi bản của từng đơn vị"
    out.write(f"{what} — số liệu đến ngày {format_due(result.as_of)}, hạn chốt số liệu "
              f"{format_due(result.cutoff)}:\n")
    for m in result.mails:
        name = f"{m.unit.code} – {m.unit.name}"
        if m.problem:
            out.write(f"  ✗ {name}: chưa gửi được — {m.problem}\n")
        elif m.draft:
            out.write(f"  ✓ {name}: đã ghi thư nháp '{m.draft}'\n")
        else:
            out.write(f"  ✓ {name}: đã gửi đến {m.unit.email}\n")
        for address, reason in m.refused.items():
            out.write(f"    máy chủ từ chối người nhận {address}: {reason}\n")
    if reminder and result.nothing_to_fix:
        out.write("Không có gì cần nhắc: " + ", ".join(u.code for u in result.nothing_to_fix) + ".\n")
    if reminder and not result.mails:
        out.write("Không đơn vị nào cần nhắc: không gửi thư nào.\n")


COLLECT_HEADERS = ("Đơn vị", "Tệp", "Lưu lúc", "Cập nhật", "Không đổi", "Không lấy", "Thiếu", "Đề xuất")


def print_collect(result, out: TextIO, *, details: bool) -> None:
    """The reconciliation per unit, the proposals and conflicts for the Office, the files not read,
    and (with ``details``, always in a dry run) every cell taken."""
    from ..cells import address
    from ..collect import saved_text, shown

    rows = [list(COLLECT_HEADERS)]
    for c in result.copies:
        cmp = c.comparison
        rows.append([c.unit.code, c.name, saved_text(c.saved_at), str(cmp.updated), str(cmp.unchanged),
                     str(cmp.rejected), str(cmp.missing), str(len(cmp.proposals) + len(c.others))])
    if result.copies:
        out.write("Đối chiếu từng đơn vị (số dòng KPI):\n" + table(rows, numeric_from=3) + "\n")
    if result.not_returned:
        out.write("Chưa nhận bản của: " + ", ".join(f"{u.code} – {u.name}" for u in result.not_returned) + ".\n")
    proposals = [i for c in result.copies for i in (*c.comparison.proposals, *c.others)]
    if proposals:
        out.write(f"\nĐề xuất của các đơn vị, không lấy vào bảng chính — Văn phòng xem xét ({len(proposals)}):\n")
        out.writelines(f"  • {i.message}\n" for i in proposals)
    if result.superseded:
        out.write("\nBản cũ hơn của cùng đơn vị, không lấy: "
                  + ", ".join(f"'{c.name}' ({c.unit.code}, lưu {saved_text(c.saved_at)})" for c in result.superseded)
                  + ".\n")
    if result.conflicts:
        out.write(f"Hai bản ghi khác nhau ({len(result.conflicts)}):\n")
        out.writelines(f"  • {i.message}\n" for i in result.conflicts)
    if result.failures:
        out.write(f"\nKhông đọc được ({len(result.failures)}), các tệp khác vẫn được thu:\n")
        out.writelines(f"  ✗ {message}\n" for _, message in result.failures)
    changes = [(c, x) for c in result.copies for x in c.comparison.changes]
    if changes and (details or result.dry_run):
        out.write("\nÔ " + ("sẽ ghi" if result.dry_run else "đã ghi") + ":\n")
        for c, x in changes:
            out.write(f"  '{c.unit.sheet}'!{address(x.row, x.col)} {x.kpi}: {shown(x.before)} → {shown(x.after)}\n")
    if result.dry_run:
        out.write(f"\nChạy thử (--dry-run): sẽ ghi {result.cells_written} ô; chưa ghi gì vào bảng tính.\n")
    elif result.cells_written:
        out.write(f"\nĐã ghi {result.cells_written} ô của các đơn vị vào bảng tính.\n")
        if result.backup:
            out.write(f"Bản sao lưu trước khi ghi: '{result.backup}'.\n")
    elif result.copies:
        out.write("\nCác bản gửi về không thay đổi ô nào của các đơn vị.\n")


def print_review(result, out: TextIO) -> None:
    """Which report dates the review read, the year-end result of each unit (quarter 4), the files."""
    r = result.review
    kind = "Tổng kết" if r.period.is_year else "Sơ kết"
    dates = ", ".join(format_due(d) for d in r.dates)
    out.write(f"{kind} {r.period.label} theo {len(r.dates)} kỳ báo cáo trong 'Lịch sử': {dates}.\n")
    out.write(f"KPI quá hạn hoặc có nguy cơ chậm có đề xuất: {len(r.proposals)}; giảm % tiến độ: {len(r.falls)} lượt; "
              f"đứng yên từ hai kỳ: {len(r.stalls)}; mới quá hạn: {len(r.became_late)}.\n")
    if r.year_end:
        out.write(f"\nĐánh giá cuối năm (số liệu kỳ {format_due(r.year_end.figures_on)}, trừ "
                  f"{format_vn(r.year_end.rate)}% điểm KPI chậm hạn):\n")
        rows = [["Phòng/đơn vị", "Điểm đạt", "Điểm trừ", "Sau trừ", "Xếp loại"]]
        for u in r.year_end.units:
            rows.append([f"{u.unit.unit.code} – {u.unit.unit.name}", format_vn(u.points), format_vn(u.deduction),
                         format_vn(u.final), u.grade if u.official else f"{u.grade} (tạm tính: còn KPI chưa đến hạn)"])
        out.write(table(rows) + "\n")
    for path in result.files:
        out.write(f"Báo cáo: '{path}'.\n")
