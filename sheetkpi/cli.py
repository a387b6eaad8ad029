"""The ``sheetkpi`` command: parses arguments, calls the library, turns errors into messages and exit codes."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from pathlib import Path

from .errors import EXIT_INVALID, EXIT_OK, EXIT_UNUSABLE, EXIT_USAGE, SheetkpiError

DEMO_DATE = "2026-06-25"

# argparse's own messages, in Vietnamese.
_ARGPARSE_VI = {
    "usage: ": "Cách dùng: ",
    "the following arguments are required: %s": "thiếu tham số bắt buộc: %s",
    "unrecognized arguments: %s": "tham số không hiểu được: %s",
    "invalid choice: %(value)r (choose from %(choices)s)": "lựa chọn không hợp lệ: %(value)r (chọn một trong %(choices)s)",
    "expected one argument": "cần một giá trị",
    "positional arguments": "tham số",
    "options": "tùy chọn",
    "show this help message and exit": "hiện hướng dẫn này rồi thoát",
    "%(prog)s: error: %(message)s\n": "%(prog)s: lỗi: %(message)s\n",
}
argparse._ = lambda text: _ARGPARSE_VI.get(text, text)  # argparse looks its messages up through `_`


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # exit code 2 = wrong usage (SPEC §4)
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: lỗi: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="sheetkpi",
        description="Tính điểm, trạng thái và tổng hợp Bảng giao KPI (Ban Quản lý Khu kinh tế).",
        epilog="Mã thoát: 0 xong; 1 'check' thấy lỗi dữ liệu; 2 sai cú pháp lệnh; 3 không dùng được tệp; "
        "4 không có trang tính đơn vị hoặc thiếu cột bắt buộc.",
    )
    p.add_argument("--version", action="version", version=f"sheetkpi {_version()}", help="in phiên bản rồi thoát")
    sub = p.add_subparsers(dest="command", metavar="LỆNH", parser_class=_Parser)
    sub.required = True

    demo = sub.add_parser("demo", help="chạy thử trên bảng mẫu Nghệ An 2026 (số liệu đến 25/06/2026)")
    demo.add_argument("--dir", default="sheetkpi-demo", help="thư mục đặt bản sao (mặc định ./sheetkpi-demo)")

    recalc = sub.add_parser("recalc", help="kiểm tra, tính điểm và ghi kết quả vào bảng tính")
    recalc.add_argument("workbook", help="tệp Bảng giao KPI (.xlsx)")
    recalc.add_argument("--as-of", metavar="NGÀY", help="ngày báo cáo (25/06/2026 hoặc 2026-06-25)")
    recalc.add_argument("-o", "--output", metavar="TỆP", help="ghi ra tệp khác thay vì ghi đè")
    recalc.add_argument("--no-memo", action="store_true", help="không tạo báo cáo kèm theo")
    recalc.add_argument("--memo-dir", metavar="THƯ_MỤC", help="thư mục đặt báo cáo (mặc định: cạnh bảng tính)")
    recalc.add_argument("--template", metavar="TỆP", help="mẫu Word riêng của Văn phòng cho báo cáo (.docx)")
    recalc.add_argument("--pdf", action="store_true", help="xuất thêm báo cáo PDF (cần LibreOffice)")

    check = sub.add_parser("check", help="chỉ kiểm tra và tính, không ghi gì")
    check.add_argument("workbook", help="tệp Bảng giao KPI (.xlsx)")
    check.add_argument("--as-of", metavar="NGÀY", help="ngày báo cáo (25/06/2026 hoặc 2026-06-25)")
    check.add_argument("--json", action="store_true", help="in kết quả dạng JSON")

    memo = sub.add_parser("memo", help="chỉ tạo báo cáo (Word, HTML, văn bản) từ bảng tính, không ghi vào bảng")
    memo.add_argument("workbook", help="tệp Bảng giao KPI (.xlsx)")
    memo.add_argument("--as-of", metavar="NGÀY", help="ngày báo cáo (25/06/2026 hoặc 2026-06-25)")
    memo.add_argument("-o", "--output-dir", metavar="THƯ_MỤC", help="thư mục đặt báo cáo (mặc định: cạnh bảng tính)")
    memo.add_argument("--template", metavar="TỆP", help="mẫu Word riêng của Văn phòng (.docx)")
    memo.add_argument("--pdf", action="store_true", help="xuất thêm PDF (cần LibreOffice)")

    mail = sub.add_parser("mail", help="gửi (hoặc soạn thư nháp) bảng tính kèm báo cáo")
    mail.add_argument("workbook", help="tệp Bảng giao KPI (.xlsx)")
    mail.add_argument("--to", nargs="+", required=True, metavar="ĐỊA_CHỈ", help="người nhận")
    mail.add_argument("--cc", nargs="+", default=[], metavar="ĐỊA_CHỈ", help="đồng gửi")
    mail.add_argument("--from", dest="sender", metavar="ĐỊA_CHỈ", help="người gửi")
    mail.add_argument("--as-of", metavar="NGÀY", help="ngày báo cáo (25/06/2026 hoặc 2026-06-25)")
    how = mail.add_mutually_exclusive_group(required=True)
    how.add_argument("--eml", metavar="TỆP", help="ghi thư nháp .eml (Outlook mở ở dạng chưa gửi)")
    how.add_argument("--smtp", metavar="MÁY:CỔNG", help="gửi qua máy chủ SMTP, ví dụ mail.gov.vn:587")
    mail.add_argument("--starttls", action="store_true", help="mã hóa kết nối bằng STARTTLS")
    mail.add_argument("--user", metavar="TÀI_KHOẢN", help="tài khoản SMTP (mật khẩu lấy từ biến SHEETKPI_SMTP_PASSWORD hoặc hỏi khi chạy)")

    new = sub.add_parser("new", help="tạo Bảng giao KPI mới từ mẫu")
    new.add_argument("-o", "--output", required=True, metavar="TỆP", help="tệp cần tạo (.xlsx)")
    new.add_argument("--from-plan", metavar="KẾ_HOẠCH", help="điền từ văn bản kế hoạch (.docx, .txt, .md)")
    new.add_argument("--year", type=int, metavar="NĂM", help="năm kế hoạch (mặc định: năm ghi trong kế hoạch)")

    convert = sub.add_parser("convert", help="chuyển tệp .xls, .xlsb, .ods sang một tệp .xlsx mới (cần LibreOffice)")
    convert.add_argument("input", help="tệp cần chuyển")
    convert.add_argument("-o", "--output", metavar="TỆP", help="tệp .xlsx cần tạo (mặc định: cùng tên, đuôi .xlsx)")
    return p


def _version() -> str:
    from . import __version__

    return __version__


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``sheetkpi`` command; returns the exit code."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="replace")
    args = build_parser().parse_args(argv)
    # A run builds millions of acyclic objects (cells, findings, writes) that the cycle collector
    # would walk again and again: a quarter of a 100,000-row recalc. Reference counting frees them;
    # the collector is back on when the command returns (main is also called in-process).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _COMMANDS[args.command](args)
    except SheetkpiError as exc:
        print(f"Lỗi: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        # The reader of the output went away (`sheetkpi check … | head`): nothing more to say.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - Python flushes stdout again at exit
        return EXIT_OK
    except KeyboardInterrupt:
        print("Đã dừng theo yêu cầu; tệp gốc không thay đổi.", file=sys.stderr)
        return EXIT_UNUSABLE
    except Exception as exc:  # never a traceback for a user's file (SPEC §4)
        if os.environ.get("SHEETKPI_DEBUG"):
            raise
        print(
            f"Lỗi không lường trước ({exc.__class__.__name__}: {exc}). Tệp gốc không thay đổi. "
            "Đặt biến môi trường SHEETKPI_DEBUG=1 để xem chi tiết và gửi cho người phát triển.",
            file=sys.stderr,
        )
        return EXIT_UNUSABLE
    finally:
        if collecting:
            gc.enable()


def _cmd_check(args) -> int:
    from .api import check

    evaluation = check(args.workbook, as_of=args.as_of)
    if args.json:
        import json

        from .outputs.jsonout import evaluation_dict

        print(json.dumps(evaluation_dict(evaluation), ensure_ascii=False, indent=2))
    else:
        from .outputs.console import print_evaluation

        print_evaluation(evaluation, sys.stdout)
    return EXIT_OK if evaluation.valid else EXIT_INVALID


def _cmd_recalc(args) -> int:
    from .api import recalc
    from .outputs.console import print_evaluation, print_recalc

    result = recalc(
        args.workbook, as_of=args.as_of, output=args.output, memo=not args.no_memo, memo_dir=args.memo_dir,
        memo_template=args.template, memo_pdf=args.pdf,
    )
    print_evaluation(result.evaluation, sys.stdout)
    print_recalc(result, sys.stdout)
    return EXIT_OK


def _cmd_demo(args) -> int:
    import shutil

    from .api import recalc
    from .outputs.console import print_evaluation, print_recalc
    from .resources import example_path

    folder = Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "BangGiaoKPI.xlsx"
    shutil.copyfile(example_path(), target)
    print(f"Đã chép bảng mẫu Nghệ An 2026 vào '{target}'. Tính lại với số liệu đến 25/06/2026…\n")
    result = recalc(target, as_of=DEMO_DATE, memo=True, keep_backup=False)
    print_evaluation(result.evaluation, sys.stdout)
    print_recalc(result, sys.stdout)
    return EXIT_OK


def _cmd_new(args) -> int:
    if args.from_plan:
        from .plans import build_from_plan

        print(build_from_plan(args.from_plan, args.output, year=args.year).text())
        return EXIT_OK
    from .api import new_workbook

    path = new_workbook(args.output)
    print(f"Đã tạo '{path}' từ mẫu Bảng giao KPI.")
    return EXIT_OK


def _cmd_memo(args) -> int:
    from .api import check
    from .outputs.memo import write_memo

    evaluation = check(args.workbook, as_of=args.as_of)
    print(_date_line(evaluation))
    folder = Path(args.output_dir) if args.output_dir else Path(args.workbook).resolve().parent
    for path in write_memo(evaluation, folder, template=Path(args.template) if args.template else None, pdf=args.pdf):
        print(f"Báo cáo: '{path}'.")
    return EXIT_OK


def _cmd_mail(args) -> int:
    import tempfile

    from .api import check
    from .errors import UsageError
    from .outputs.mail import build_message, send_smtp, write_eml
    from .outputs.memo import write_memo

    evaluation = check(args.workbook, as_of=args.as_of)
    print(_date_line(evaluation))
    with tempfile.TemporaryDirectory(prefix="sheetkpi-mail-") as tmp:
        memo_files = write_memo(evaluation, Path(tmp))
        msg = build_message(evaluation, Path(args.workbook), memo_files, to=args.to, cc=args.cc, sender=args.sender)
        if args.eml:
            print(f"Đã ghi thư nháp '{write_eml(msg, Path(args.eml))}'.")
            return EXIT_OK
        host, _, port = args.smtp.rpartition(":")
        if not host or not port.isdigit():
            raise UsageError("bad-smtp", f"--smtp cần dạng MÁY:CỔNG, ví dụ mail.gov.vn:587 (nhận được '{args.smtp}').")
        password = None
        if args.user:
            password = os.environ.get("SHEETKPI_SMTP_PASSWORD")
            if password is None:
                import getpass

                password = getpass.getpass(f"Mật khẩu SMTP của {args.user}: ")
        refused = send_smtp(msg, host, int(port), starttls=args.starttls, user=args.user, password=password)
    for address, reason in refused.items():
        print(f"Máy chủ từ chối người nhận {address}: {reason}", file=sys.stderr)
    print(f"Đã gửi: {msg['Subject']}")
    return EXIT_OK


def _date_line(evaluation) -> str:
    """Which report date a command used, and where it came from."""
    from .reportdate import ReportDate

    return ReportDate(evaluation.as_of, evaluation.as_of_source).describe() + "."


def _cmd_convert(args) -> int:
    from .convert import convert_to_xlsx

    print(f"Đã chuyển sang '{convert_to_xlsx(args.input, args.output)}'; tệp gốc giữ nguyên.")
    return EXIT_OK


_COMMANDS = {
    "check": _cmd_check, "recalc": _cmd_recalc, "demo": _cmd_demo, "new": _cmd_new,
    "memo": _cmd_memo, "mail": _cmd_mail, "convert": _cmd_convert,
}
