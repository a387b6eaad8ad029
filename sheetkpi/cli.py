"""The ``sheetkpi`` command: parses arguments, calls :mod:`sheetkpi.api`, prints the outcome and turns
errors into Vietnamese messages and exit codes. Nothing else happens here."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from .errors import EXIT_INVALID, EXIT_OK, EXIT_UNUSABLE, EXIT_USAGE, SheetkpiError

DEMO_DATE = dt.date(2026, 6, 25)
PROGRESS_AFTER_S = 1.0  # work shorter than this prints no progress

# argparse's own messages, in Vietnamese (argparse looks each up through its module's `_`).
_ARGPARSE_VI = {
    "usage: ": "Cách dùng: ",
    "%(prog)s: error: %(message)s\n": "%(prog)s: lỗi: %(message)s\n",
    "argument %(argument_name)s: %(message)s": "tham số %(argument_name)s: %(message)s",
    "the following arguments are required: %s": "thiếu tham số bắt buộc: %s",
    "unrecognized arguments: %s": "tham số không hiểu được: %s",
    "invalid choice: %(value)r (choose from %(choices)s)":
        "lựa chọn không hợp lệ: %(value)r (chọn một trong %(choices)s)",
    "invalid %(type)s value: %(value)r": "giá trị %(type)s không hợp lệ: %(value)r",
    "expected one argument": "cần một giá trị",
    "expected at least one argument": "cần ít nhất một giá trị",
    "expected at most one argument": "cần nhiều nhất một giá trị",
    "ambiguous option: %(option)s could match %(matches)s": "tùy chọn chưa rõ: %(option)s có thể là %(matches)s",
    "not allowed with argument %s": "không dùng cùng với %s",
    "one of the arguments %s is required": "cần một trong các tham số %s",
    "ignored explicit argument %r": "bỏ qua giá trị %r",
    "positional arguments": "tham số",
    "options": "tùy chọn",
    "show this help message and exit": "hiện hướng dẫn này rồi thoát",
}


@contextlib.contextmanager
def _vietnamese_argparse() -> Iterator[None]:
    """argparse speaks Vietnamese while it builds, parses and prints; the process's own gettext is
    left as it was afterwards (sheetkpi may run inside another program, an Excel add-in's Python)."""
    original = argparse._
    argparse._ = lambda text: _ARGPARSE_VI.get(text, text)
    try:
        yield
    finally:
        argparse._ = original


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # exit code 2 = wrong usage (SPEC §4)
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: lỗi: {message}\n{_suggestion(self)}{_dash_hint(message)}")


def _suggestion(parser: argparse.ArgumentParser) -> str:
    """"Có phải là 'check'?" for a misspelt command."""
    import difflib

    commands = getattr(parser, "subcommands", None)
    typed = [a for a in _argv if not a.startswith("-")][:1]
    if not commands or not typed or typed[0] in commands:
        return ""
    close = difflib.get_close_matches(typed[0], list(commands), n=1)
    return f"Có phải là 'sheetkpi {close[0]}'?\n" if close else ""


_argv: list[str] = []  # the arguments being parsed, for the hint below


def _dash_hint(message: str) -> str:
    """A file name starting with "-" reads as an option: say how to give it."""
    dashed = [a for a in _argv if a.startswith("-") and not a.startswith("--") and "." in a]
    if not dashed or "--" in _argv:
        return ""
    return (f"Nếu '{dashed[0]}' là tên tệp, hãy viết './{dashed[0]}' hoặc đặt '--' trước tên tệp "
            f"(sheetkpi check -- {dashed[0]}).\n")


def _date(text: str) -> dt.date:
    """A report date on the command line: "25/06/2026" or "2026-06-25"."""
    from .parsing.dates import parse_date

    found = parse_date(text)
    if found is None:
        raise argparse.ArgumentTypeError(f"ngày không hợp lệ: '{text}' (dùng dạng 25/06/2026 hoặc 2026-06-25)")
    return found


def _host_port(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"cần dạng MÁY:CỔNG, ví dụ mail.gov.vn:587 (nhận được '{text}')")
    return host, int(port)


def _options() -> dict[str, argparse.ArgumentParser]:
    """Options several commands share, each declared once."""
    book = argparse.ArgumentParser(add_help=False)
    book.add_argument("workbook", metavar="BẢNG_TÍNH", help="tệp Bảng giao KPI (.xlsx)")
    as_of = argparse.ArgumentParser(add_help=False)
    as_of.add_argument("--as-of", metavar="NGÀY", type=_date,
                       help="ngày báo cáo (25/06/2026 hoặc 2026-06-25); mặc định: xem README")
    memo = argparse.ArgumentParser(add_help=False)
    memo.add_argument("--template", metavar="TỆP", help="mẫu Word riêng của Văn phòng cho báo cáo (.docx)")
    memo.add_argument("--pdf", action="store_true", help="xuất thêm báo cáo PDF (cần LibreOffice)")
    verbose = argparse.ArgumentParser(add_help=False)
    verbose.add_argument("-v", "--verbose", action="store_true", help="in từng lỗi, cảnh báo thay vì bản tóm tắt")
    return {
        "book": book, "as_of": as_of, "memo": memo, "verbose": verbose,
        "delivery": _delivery("TỆP", "ghi thư nháp .eml (Outlook mở ở dạng chưa gửi); với --per-unit: thư mục đặt "
                                     "thư nháp của từng đơn vị"),
        "delivery_units": _delivery("THƯ_MỤC", "ghi thư nháp .eml của từng đơn vị vào thư mục này (Outlook mở ở "
                                              "dạng chưa gửi)"),
    }


def _delivery(eml_metavar: str, eml_help: str) -> argparse.ArgumentParser:
    """How a mail command delivers (drafts or a server), its copies and its sender: one declaration
    for every mail command, which differ only in what --eml names."""
    delivery = argparse.ArgumentParser(add_help=False)
    how = delivery.add_mutually_exclusive_group(required=True)
    how.add_argument("--eml", metavar=eml_metavar, help=eml_help)
    how.add_argument("--smtp", metavar="MÁY:CỔNG", type=_host_port, help="gửi qua máy chủ SMTP, ví dụ mail.gov.vn:587")
    delivery.add_argument("--starttls", action="store_true", help="mã hóa kết nối bằng STARTTLS")
    delivery.add_argument("--user", metavar="TÀI_KHOẢN",
                          help="tài khoản SMTP (mật khẩu lấy từ biến SHEETKPI_SMTP_PASSWORD hoặc hỏi khi chạy)")
    delivery.add_argument("--cc", nargs="+", default=[], metavar="ĐỊA_CHỈ", help="đồng gửi")
    delivery.add_argument("--from", dest="sender", metavar="ĐỊA_CHỈ",
                          help="người gửi (mặc định: 'Email gửi' trong 'Cấu hình')")
    return delivery


def build_parser() -> argparse.ArgumentParser:
    """The command line: one subcommand per entry of SPEC §4 and §8."""
    with _vietnamese_argparse():
        return _build_parser()


def _build_parser() -> argparse.ArgumentParser:
    o = _options()
    p = _Parser(
        prog="sheetkpi",
        description="Tính điểm, trạng thái và tổng hợp Bảng giao KPI (Ban Quản lý Khu kinh tế).",
        epilog="Mã thoát: 0 xong; 1 'check' thấy lỗi dữ liệu; 2 sai cú pháp lệnh hoặc ngày báo cáo cần xác nhận; "
        "3 không dùng được tệp; 4 không có trang tính đơn vị hoặc thiếu cột bắt buộc. "
        "Bảng lớn (từ khoảng 5.000 KPI) được đọc và ghi bằng hai tiến trình; biến môi trường "
        "SHEETKPI_PROCESSES=1: chỉ dùng một (máy ít bộ nhớ).",
    )
    p.add_argument("--version", action="version", version=f"sheetkpi {_version()}", help="in phiên bản rồi thoát")
    sub = p.add_subparsers(dest="command", metavar="LỆNH", parser_class=_Parser,
                           title="lệnh", description="sheetkpi LỆNH --help cho biết cách dùng từng lệnh")
    sub.required = True

    demo = sub.add_parser("demo", help="chạy thử trên bảng mẫu Nghệ An 2026 (số liệu đến 25/06/2026)")
    demo.add_argument("--dir", default="sheetkpi-demo", metavar="THƯ_MỤC",
                      help="thư mục đặt bản sao (mặc định ./sheetkpi-demo)")

    recalc = sub.add_parser("recalc", parents=[o["book"], o["as_of"], o["memo"], o["verbose"]],
                            help="kiểm tra, tính điểm và ghi kết quả vào bảng tính")
    recalc.add_argument("-o", "--output", metavar="TỆP", help="ghi ra tệp khác thay vì ghi đè")
    recalc.add_argument("--no-memo", action="store_true", help="không tạo báo cáo kèm theo")
    recalc.add_argument("--memo-dir", metavar="THƯ_MỤC", help="thư mục đặt báo cáo (mặc định: cạnh bảng tính)")

    check = sub.add_parser("check", parents=[o["book"], o["as_of"]], help="chỉ kiểm tra và tính, không ghi gì")
    check.add_argument("--json", action="store_true", help="in kết quả dạng JSON")

    memo = sub.add_parser("memo", parents=[o["book"], o["as_of"], o["memo"]],
                          help="chỉ tạo báo cáo (Word, HTML, văn bản) từ bảng tính, không ghi vào bảng")
    memo.add_argument("-o", "--output-dir", metavar="THƯ_MỤC", help="thư mục đặt báo cáo (mặc định: cạnh bảng tính)")

    mail = sub.add_parser("mail", parents=[o["book"], o["as_of"], o["delivery"]],
                          help="gửi (hoặc soạn thư nháp) bảng tính kèm báo cáo; --per-unit: gửi mỗi đơn vị bản "
                               "của mình")
    whom = mail.add_mutually_exclusive_group()
    whom.add_argument("--to", nargs="+", metavar="ĐỊA_CHỈ",
                      help="người nhận (mặc định: địa chỉ của các đơn vị ở cột 'Email' trong 'Cấu hình')")
    whom.add_argument("--per-unit", action="store_true",
                      help="gửi mỗi đơn vị bản của mình cho tháng này (như sheetkpi split), đến địa chỉ của đơn "
                           "vị trong 'Cấu hình'")

    split = sub.add_parser("split", parents=[o["book"], o["as_of"]],
                           help="tạo bản riêng cho từng đơn vị: trang tính của đơn vị, các ô khác được khóa")
    split.add_argument("-o", "--output-dir", required=True, metavar="THƯ_MỤC", help="thư mục đặt các bản")

    collect = sub.add_parser("collect", parents=[o["book"], o["as_of"], o["verbose"]],
                             help="lấy số liệu các đơn vị gửi về (chỉ các ô của đơn vị, khớp theo mã KPI)")
    collect.add_argument("returned", nargs="+", metavar="BẢN_GỬI_VỀ",
                         help="các tệp các đơn vị gửi về (.xlsx, .xls, .ods), hoặc thư mục chứa chúng")
    collect.add_argument("--dry-run", action="store_true", help="chỉ cho biết sẽ thay đổi gì, không ghi")
    collect.add_argument("--no-recalc", action="store_true", help="không tính lại sau khi lấy số liệu")

    sub.add_parser("remind", parents=[o["book"], o["as_of"], o["delivery_units"]],
                   help="nhắc từng đơn vị các dòng cần cập nhật trước ngày chốt số liệu (đơn vị không có gì "
                        "cần nhắc thì không nhận thư)")

    review = sub.add_parser("review", parents=[o["book"], o["memo"]],
                            help="báo cáo sơ kết quý từ 'Lịch sử' (quý 4: tổng kết năm, kèm đánh giá cuối năm)")
    review.add_argument("--quarter", type=int, choices=(1, 2, 3, 4), required=True, metavar="QUÝ",
                        help="quý cần sơ kết: 1, 2, 3 hoặc 4 (quý 4 là tổng kết năm)")
    review.add_argument("--year", type=int, metavar="NĂM", help="năm (mặc định: 'Năm kế hoạch' trong 'Cấu hình')")
    review.add_argument("-o", "--output-dir", metavar="THƯ_MỤC",
                        help="thư mục đặt báo cáo (mặc định: cạnh bảng tính)")

    new = sub.add_parser("new", help="tạo Bảng giao KPI mới từ mẫu")
    new.add_argument("-o", "--output", required=True, metavar="TỆP", help="tệp cần tạo (.xlsx)")
    new.add_argument("--from-plan", metavar="KẾ_HOẠCH", help="điền từ văn bản kế hoạch (.docx, .txt, .md)")
    new.add_argument("--year", type=int, metavar="NĂM", help="năm kế hoạch (mặc định: năm ghi trong kế hoạch)")

    convert = sub.add_parser("convert", help="chuyển tệp .xls, .xlsb, .ods sang một tệp .xlsx mới (cần LibreOffice)")
    convert.add_argument("input", help="tệp cần chuyển")
    convert.add_argument("-o", "--output", metavar="TỆP", help="tệp .xlsx cần tạo (mặc định: cùng tên, đuôi .xlsx)")
    p.subcommands = sub.choices  # for the usage of a misspelt option, and the documentation test
    return p


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The arguments, or exit 2 with the command's own usage when an option is not one of its own."""
    _argv[:] = sys.argv[1:] if argv is None else argv
    with _vietnamese_argparse():
        parser = _build_parser()
        args, extra = parser.parse_known_args(argv)
        if extra:
            parser.subcommands[args.command].error(_ARGPARSE_VI["unrecognized arguments: %s"] % " ".join(extra))
    return args


def _version() -> str:
    from . import __version__

    return __version__


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``sheetkpi`` command; returns the exit code."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="replace")
    args = parse_args(argv)
    # A run builds millions of acyclic objects (cells, findings, writes) that the cycle collector
    # would walk again and again: a quarter of a 100,000-row recalc. Reference counting frees them;
    # the collector is back on when the command returns (main is also called in-process).
    collecting = gc.isenabled()
    gc.disable()
    progress = _Progress(sys.stderr)
    try:
        code = _COMMANDS[args.command](args, progress)
        sys.stdout.flush()  # here, where a closed pipe is caught, rather than at exit
        return code
    except SheetkpiError as exc:
        progress.clear()
        print(f"Lỗi: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        # The reader of the output went away (`sheetkpi check … | head`): nothing more to say. What
        # is still buffered goes nowhere, so that the flush at exit does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except OSError as exc:  # after the run's own checks: the disk, the file system
        from .errors import os_error_message

        progress.clear()
        print(f"Lỗi: {os_error_message(exc)} Tệp gốc không thay đổi.", file=sys.stderr)
        return EXIT_UNUSABLE
    except KeyboardInterrupt:
        progress.clear()
        print("Đã dừng theo yêu cầu; tệp gốc không thay đổi.", file=sys.stderr)
        return EXIT_UNUSABLE
    except Exception as exc:  # never a traceback for a user's file (SPEC §4)
        if os.environ.get("SHEETKPI_DEBUG"):
            raise
        progress.clear()
        print(
            f"Lỗi không lường trước ({exc.__class__.__name__}: {exc}). Tệp gốc không thay đổi. "
            "Đặt biến môi trường SHEETKPI_DEBUG=1 để xem chi tiết và gửi cho người phát triển.",
            file=sys.stderr,
        )
        return EXIT_UNUSABLE
    finally:
        if collecting:
            gc.enable()


class _Progress:
    """"Đọc trang tính 120/500" on stderr once a run has taken longer than a second: on one line
    rewritten in a terminal, a line per step and kind of work otherwise (a log keeps it short)."""

    def __init__(self, out) -> None:
        self.out = out
        self.start = time.monotonic()
        self.tty = hasattr(out, "isatty") and out.isatty()
        self.shown = ""  # the last line printed in a terminal
        self.last = 0.0
        self.stages: set[str] = set()

    def __call__(self, what: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.start < PROGRESS_AFTER_S:
            return
        if self.tty:
            if now - self.last >= 0.2 or done == total:
                self._show(f"{what}: {done}/{total}" if total > 1 else f"{what}…")
                self.last = now
        elif what not in self.stages:
            self.stages.add(what)
            print(f"{what}…", file=self.out, flush=True)

    def _show(self, line: str) -> None:
        self.out.write("\r" + line.ljust(len(self.shown)))
        self.out.flush()
        self.shown = line

    def clear(self) -> None:
        """Take the progress line away before the outcome is printed."""
        if self.shown:
            self.out.write("\r" + " " * len(self.shown) + "\r")
            self.out.flush()
            self.shown = ""


def _cmd_check(args, progress) -> int:
    from .api import check

    evaluation = check(args.workbook, as_of=args.as_of, progress=progress)
    progress.clear()
    if args.json:
        import json

        from .outputs.jsonout import evaluation_dict

        print(json.dumps(evaluation_dict(evaluation), ensure_ascii=False, indent=2))
    else:
        from .outputs.console import print_evaluation

        print_evaluation(evaluation, sys.stdout, details=True)
    return EXIT_OK if evaluation.valid else EXIT_INVALID


def _cmd_recalc(args, progress) -> int:
    from .api import recalc

    result = recalc(
        args.workbook, as_of=args.as_of, output=args.output, memo=not args.no_memo, memo_dir=args.memo_dir,
        memo_template=args.template, memo_pdf=args.pdf, progress=progress,
    )
    return _print_recalc(result, progress, details=args.verbose, workbook=args.workbook)


def _print_recalc(result, progress, *, details: bool, workbook) -> int:
    """Print what a recalculation did; its exit code: a memo that failed after the save is an error
    that says the workbook *was* saved."""
    from .outputs.console import print_evaluation, print_recalc

    progress.clear()
    print_evaluation(result.evaluation, sys.stdout, details=details, workbook=workbook)
    print_recalc(result, sys.stdout)
    if result.memo_error:
        print(f"Lỗi: bảng tính '{result.output}' ĐÃ được ghi, nhưng chưa tạo được báo cáo: {result.memo_error} "
              f"Sửa xong, chạy lại sheetkpi recalc để tạo báo cáo.", file=sys.stderr)
        return EXIT_UNUSABLE
    return EXIT_OK


def _cmd_demo(args, progress) -> int:
    import shutil

    from .api import recalc
    from .resources import example_path

    folder = Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "BangGiaoKPI.xlsx"
    shutil.copyfile(example_path(), target)
    print(f"Đã chép bảng mẫu Nghệ An 2026 vào '{target}'. Tính lại với số liệu đến 25/06/2026…\n")
    result = recalc(target, as_of=DEMO_DATE, memo=True, keep_backup=False, progress=progress)
    return _print_recalc(result, progress, details=False, workbook=target)


def _cmd_new(args, progress) -> int:
    from . import api

    if args.from_plan:
        print(api.new_from_plan(args.from_plan, args.output, year=args.year).text())
    else:
        print(f"Đã tạo '{api.new_workbook(args.output)}' từ mẫu Bảng giao KPI.")
    return EXIT_OK


def _cmd_memo(args, progress) -> int:
    from .api import memo

    evaluation, files = memo(args.workbook, args.as_of, folder=args.output_dir, template=args.template, pdf=args.pdf)
    print(_date_line(evaluation))
    for path in files:
        print(f"Báo cáo: '{path}'.")
    return EXIT_OK


def _cmd_review(args, progress) -> int:
    from .api import review
    from .outputs.console import print_review

    result = review(args.workbook, args.quarter, args.year, folder=args.output_dir, template=args.template,
                    pdf=args.pdf)
    print_review(result, sys.stdout)
    return EXIT_OK


def _password(args) -> str | None:
    """The SMTP password: from SHEETKPI_SMTP_PASSWORD, else asked (never on the command line)."""
    if not (args.smtp and args.user):
        return None
    password = os.environ.get("SHEETKPI_SMTP_PASSWORD")
    if password is None:
        import getpass

        password = getpass.getpass(f"Mật khẩu SMTP của {args.user}: ")
    return password


def _outbox(args):
    from .api import Outbox

    return Outbox(cc=args.cc, sender=args.sender, eml=args.eml, smtp=args.smtp, starttls=args.starttls,
                  user=args.user, password=_password(args))


def _cmd_mail(args, progress) -> int:
    from .api import mail, mail_units

    if args.per_unit:
        return _print_unit_mails(mail_units(args.workbook, _outbox(args), args.as_of, progress=progress), progress,
                                 reminder=False)
    result = mail(
        args.workbook, to=args.to, cc=args.cc, sender=args.sender, as_of=args.as_of, eml=args.eml,
        smtp=args.smtp, starttls=args.starttls, user=args.user, password=_password(args),
    )
    print(_date_line(result.evaluation))
    if result.draft:
        print(f"Đã ghi thư nháp '{result.draft}'.")
        return EXIT_OK
    for address, reason in result.refused.items():
        print(f"Máy chủ từ chối người nhận {address}: {reason}", file=sys.stderr)
    print(f"Đã gửi: {result.subject}")
    return EXIT_OK


def _print_unit_mails(result, progress, *, reminder: bool) -> int:
    """Unit by unit what a mail command did; exit 3 when letters were due and none went."""
    from .outputs.console import print_unit_mails

    progress.clear()
    print_unit_mails(result, sys.stdout, reminder=reminder)
    return EXIT_UNUSABLE if result.mails and all(m.problem for m in result.mails) else EXIT_OK


def _cmd_split(args, progress) -> int:
    from .api import split
    from .outputs.console import print_split

    result = split(args.workbook, args.output_dir, args.as_of, progress=progress)
    progress.clear()
    print_split(result, sys.stdout)
    return EXIT_OK


def _cmd_collect(args, progress) -> int:
    from .api import collect
    from .outputs.console import print_collect

    result = collect(args.workbook, args.returned, dry_run=args.dry_run, recalc_after=not args.no_recalc,
                     as_of=args.as_of, progress=progress)
    progress.clear()
    print_collect(result, sys.stdout, details=args.verbose)
    recalc_code = EXIT_OK
    if result.recalc:
        print()
        recalc_code = _print_recalc(result.recalc, progress, details=args.verbose, workbook=args.workbook)
    elif result.cells_written and args.no_recalc and not args.dry_run:
        print(f"Chưa tính lại (--no-recalc): chạy sheetkpi recalc \"{args.workbook}\" khi đã sẵn sàng.")
    if result.recalc_error:
        print(f"Lỗi: đã ghi số liệu các đơn vị nhưng chưa tính lại được: {result.recalc_error.message} "
              f"Sửa xong, chạy: sheetkpi recalc \"{args.workbook}\"", file=sys.stderr)
        return result.recalc_error.exit_code
    return EXIT_UNUSABLE if result.failures and not result.copies else recalc_code


def _cmd_remind(args, progress) -> int:
    from .api import remind

    return _print_unit_mails(remind(args.workbook, _outbox(args), args.as_of), progress, reminder=True)


def _date_line(evaluation) -> str:
    """Which report date a command used, and where it came from."""
    from .reportdate import ReportDate

    return ReportDate(evaluation.as_of, evaluation.as_of_source).describe() + "."


def _cmd_convert(args, progress) -> int:
    from .convert import convert_to_xlsx

    print(f"Đã chuyển sang '{convert_to_xlsx(args.input, args.output)}'; tệp gốc giữ nguyên.")
    return EXIT_OK


_COMMANDS = {
    "check": _cmd_check, "recalc": _cmd_recalc, "demo": _cmd_demo, "new": _cmd_new,
    "memo": _cmd_memo, "mail": _cmd_mail, "convert": _cmd_convert, "split": _cmd_split, "collect": _cmd_collect,
    "remind": _cmd_remind, "review": _cmd_review,
}
