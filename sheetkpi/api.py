"""The library: every command is a few lines here, shared by the CLI and the spreadsheet buttons.

One check and one recalculation, over a *book*: anything that gives the workbook's grids
(``read() -> WorkbookData``) and takes the writes of a run (``apply(writes) -> cells written``) —
a file (:class:`sheetkpi.workbook.book.FileBook`), a workbook open in Excel
(:class:`sheetkpi.workbook.xlwings_adapter.ExcelBook`). Around it, for files: the locks, the
backup, the atomic save, the memo, the mail, a new workbook.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from .convert import FORMATS, foreign_format, legacy_message
from .errors import FileUnusable, SheetkpiError, UsageError
from .model import LATE, Evaluation, History, Unit, UnitResult
from .parsing.dates import parse_date
from .parsing.deadlines import parse_deadline  # noqa: F401  (public API)
from .people import unit_people
from .reading import UnitLayout, WorkbookData
from .rules import evaluate, evaluate_by_unit
from .writes import SheetWrites, WritePlan
from .writes.history import HistoryFigures, history_writes
from .writes.summary import summary_writes
from .writes.unit_tabs import unit_writes

# progress(what, done, total): called as a long run advances ("Đọc trang tính", 3, 500).
Progress = Callable[[str, int, int], None]


class Book(Protocol):
    """A workbook one run reads and, for a recalculation, writes."""

    def read(self) -> WorkbookData: ...

    def apply(self, writes: Iterable[SheetWrites]) -> int: ...


@dataclass
class Recalculation:
    """What :func:`recalculate` did to a book (``data`` and ``evaluation`` keep, of each unit's
    KPIs, those a report lists: see :class:`RecalcResult`; ``data`` keeps no figures or rows of
    "Lịch sử" and is not to be evaluated again)."""

    data: WorkbookData
    evaluation: Evaluation
    cells_written: int


@dataclass
class RecalcResult:
    """What :func:`recalc` did to a file. ``evaluation`` keeps, of each unit's KPIs, those its
    reports list (late, at risk, completed late, done since the previous report): its figures and
    counts are every KPI's (``UnitResult.kpi_count``); for every KPI's result, :func:`check` the
    file written."""

    evaluation: Evaluation
    output: Path
    backup: Path | None
    cells_written: int
    memo_files: list[Path] = field(default_factory=list)
    memo_error: str | None = None  # the workbook is saved even when its memo could not be written


def as_date(value: dt.date | str | None) -> dt.date | None:
    """A report date given as a date or as text people type ("25/06/2026", "2026-06-25")."""
    if value is None or isinstance(value, dt.date):
        return value
    found = parse_date(value)
    if found is None:
        raise UsageError("bad-date", f"Ngày không hợp lệ: '{value}' (dùng dạng 25/06/2026 hoặc 2026-06-25).")
    return found


# -- the one check and the one recalculation, over any book ----------------------------------------

def evaluate_for_recalc(data: WorkbookData, as_of=None) -> Evaluation:
    """Every figure at the date a recalculation writes (see :func:`sheetkpi.reportdate.for_recalc`:
    a forgotten "Ngày báo cáo" is refused rather than overwriting history)."""
    chosen = _recalc_date(data, as_of)
    return evaluate(data.tracker, chosen.date, source=chosen.source)


def _recalc_date(data: WorkbookData, as_of=None):
    """The report date a recalculation writes, and where it came from (or the refusal)."""
    from .reportdate import for_recalc

    dates = data.history.dates if data.history else ()
    return for_recalc(as_date(as_of), data.tracker.settings, dates, dt.date.today())


def evaluate_for_reading(data: WorkbookData, as_of=None) -> Evaluation:
    """Every figure at the date a read-only command describes: the last recalculation's unless
    given (see :func:`sheetkpi.reportdate.for_reading`)."""
    from .reportdate import for_reading

    chosen = for_reading(as_date(as_of), data.tracker.settings, data.last_run, dt.date.today())
    return evaluate(data.tracker, chosen.date, source=chosen.source)


def inspect(book: Book, as_of=None) -> Evaluation:
    """Read-only: the book's figures and issues at the report date."""
    return evaluate_for_reading(book.read(), as_of)


def recalculate(book: Book, as_of=None, *, run_at: dt.datetime | None = None,
                progress: Progress | None = None) -> Recalculation:
    """Read the book, compute every figure at the recalculation's date and hand the engine-owned
    cells to the book, one sheet at a time (not saved: the caller saves)."""
    data = book.read()
    # Each unit is evaluated just before its tab is written: a second process that renders tabs
    # starts on the first ones while the others are evaluated here.
    chosen = _recalc_date(data, as_of)
    evaluation, units = evaluate_by_unit(data.tracker, chosen.date, source=chosen.source)
    writes = iter_sheet_writes(data, evaluation, run_at or dt.datetime.now().replace(microsecond=0), units, drop=True)
    total = len(data.tracker.units) + 2
    if progress:
        writes = _counted(writes, progress, "Ghi trang tính", total)
    return Recalculation(data, evaluation, book.apply(writes))


def iter_sheet_writes(data: WorkbookData, evaluation: Evaluation, run_at: dt.datetime,
                      units: Iterable[UnitResult] | None = None, *, drop: bool = False) -> Iterator[SheetWrites]:
    """Every engine-owned cell a recalculation writes, one sheet at a time: the file writer applies
    each sheet's writes before the next are made, so a run never holds all of them. ``units``: the
    units' results as they are evaluated (see :func:`sheetkpi.rules.evaluate_by_unit`), by default
    those of ``evaluation``, which is complete once they are. ``drop``: once a unit's tab is
    written, its KPIs are dropped but those a report lists (:func:`_drop_unlisted`); once every
    unit is evaluated, the history read is let go (:func:`_drop_history`)."""
    gathered: HistoryFigures | None = HistoryFigures(data.history, data.tracker.history, evaluation.previous)
    figures: dict[float, float] = {}  # the listed KPIs' figures, one float for equal ones (see _drop_unlisted)

    def history() -> SheetWrites:
        return history_writes(gathered, evaluation.as_of, data.history_sheet)

    # "Lịch sử" needs no unit evaluated: when it is there, it is planned first, while this process
    # holds the least, and written then (a file book with a second process holds it back until that
    # process has the first unit tabs to render meanwhile: SheetRenderer.holds_back). A sheet to add
    # is added after "Tổng hợp", as the template orders them, from the figures gathered as each
    # unit's tab is written. (Styles a first run appends to the workbook come in the order the
    # sheets use them: the same formats, in another order.)
    if data.history_sheet:
        gathered.add(k for u in data.tracker.units for k in u.kpis)
        yield history()
        gathered = None  # (its rows added and their texts: not held while the tabs are written)
    for unit in evaluation.units if units is None else units:
        yield unit_writes(unit, data.units[unit.unit.sheet])
        if gathered is not None:
            gathered.add(unit.unit.kpis)
        if drop:
            _drop_unlisted(unit, evaluation.previous is not None, figures, copy_texts=gathered is None)
    if drop and gathered is None:
        _drop_history(data)
    yield summary_writes(evaluation, data.summary_sheet, run_at=run_at)
    if gathered is not None:
        yield history()


def _drop_unlisted(result: UnitResult, compared: bool, figures: dict[float, float], *, copy_texts: bool) -> None:
    """Keep, of a unit whose tab is written, the KPIs "Tổng hợp" and the memo list: late, at risk,
    completed late, and (``compared``: with a previous report) done since then; its people's rows
    are made now. (At 300,000 KPIs, half of them listed, the others took about 100 MiB while
    "Tổng hợp" was written.) Their figures are shared with equal ones kept before (``figures``)."""
    result.people = unit_people(result)
    result.kpis = [r for r in result.kpis
                   if r.status == LATE or r.at_risk or r.completed_late or (compared and r.became_done)]
    result.unit.kpis = [r.kpi for r in result.kpis]
    # Each figure a float of its own, five a KPI, took 21 MiB at 300,000 KPIs (190,000 listed next
    # month) for a few thousand values: people type whole percents and weights.
    for r in result.kpis:
        kpi = r.kpi
        r.effective_progress, r.expected_progress, r.previous_progress, kpi.progress, kpi.weight = (
            _shared_figure(x, figures)
            for x in (r.effective_progress, r.expected_progress, r.previous_progress, kpi.progress, kpi.weight))
    # The texts the reports show, without the UTF-8 copy CPython keeps in a text once pickled (a
    # tab's texts go to the second process that sizes its rows): a third more for Vietnamese text,
    # 17 MiB of titles at 300,000 KPIs. A text the unit's rows share stays shared. Not while "Lịch
    # sử" is still to be written (``copy_texts`` false): it holds the titles of the rows it adds.
    if not copy_texts:
        return
    copies: dict[str, str] = {}
    for kpi in result.unit.kpis:
        kpi.title, kpi.result, kpi.obstacles = (_unpickled(t, copies) for t in (kpi.title, kpi.result, kpi.obstacles))


def _shared_figure(value, figures: dict[float, float]):
    """``value``, or the float equal to it in ``figures`` (put there when it is not, up to a bound:
    a workbook of figures all different would hold more in the dict than it saves). Only non-zero
    floats are shared: 0.0 and -0.0 are equal keys, and an int equal to a float is not the same value."""
    if type(value) is not float or not value:
        return value
    found = figures.get(value)
    if found is None:
        if len(figures) >= 1 << 14:
            return value
        found = figures[value] = value
    return found


def _unpickled(text: str, copies: dict[str, str]) -> str:
    """``text`` as a new string, without the UTF-8 form pickling left in it (an ASCII text has none),
    made once for equal texts (``copies``)."""
    if text.isascii():
        return text
    copy = copies.get(text)
    if copy is None:
        # (surrogatepass: a lone surrogate typed as _xD800_ comes back as it was)
        copy = copies[text] = text.encode("utf-8", "surrogatepass").decode("utf-8", "surrogatepass")
    return copy


def _drop_history(data: WorkbookData) -> None:
    """Let go, once every unit is evaluated and "Lịch sử" written, of the figures and the rows read
    from it: nothing after needs them (300,000 KPIs: about 25 MiB less while "Tổng hợp" is written)."""
    data.tracker.history = History.of({})
    if data.history:
        data.history = replace(data.history, rows={})


def plan_writes(data: WorkbookData, evaluation: Evaluation, run_at: dt.datetime) -> WritePlan:
    """Every engine-owned cell a recalculation writes, as one backend-neutral plan."""
    return WritePlan(list(iter_sheet_writes(data, evaluation, run_at)))


def _counted(items: Iterable[SheetWrites], progress: Progress, what: str, total: int) -> Iterator[SheetWrites]:
    for i, item in enumerate(items, start=1):
        yield item
        del item  # not held while the next is made
        progress(what, i, total)


# -- files ------------------------------------------------------------------------------------------

def require_workbook_file(path: str | os.PathLike) -> Path:
    """The workbook file ``path`` names — the target of a symbolic link, so that a run writes the
    real workbook, not a copy beside it — after refusing what is missing, not a regular file (a
    folder, a pipe, a device: opening one could hang), unreadable, or in a format sheetkpi does not read."""
    given = Path(path)
    try:
        info = given.stat()
    except FileNotFoundError:
        raise FileUnusable("file-missing", f"Không tìm thấy tệp '{given}'.") from None
    except OSError as exc:
        raise FileUnusable("file-unreadable", f"Không mở được tệp '{given}': {exc.strerror or exc}.") from exc
    if stat.S_ISDIR(info.st_mode):
        raise FileUnusable("not-a-file", f"'{given}' là một thư mục, không phải tệp bảng tính.")
    if not stat.S_ISREG(info.st_mode):
        raise FileUnusable(
            "not-a-file", f"'{given}' không phải một tệp thông thường (có thể là đường ống hoặc thiết bị): "
            "sheetkpi chỉ đọc tệp bảng tính .xlsx.",
        )
    real = Path(os.path.realpath(given))
    # Mode bits as well as access(): an administrator may read a file whose owner shut every door.
    if not os.access(real, os.R_OK) or not info.st_mode & 0o444:
        raise FileUnusable(
            "no-permission", f"Không có quyền đọc tệp '{given}'. Hãy cấp quyền đọc (và ghi, để tính lại) cho tài "
            "khoản đang chạy sheetkpi.",
        )
    suffix = real.suffix.lower()
    if suffix in FORMATS:
        raise FileUnusable("legacy-format", legacy_message(real, suffix))
    return real


def open_checked(path: str | os.PathLike):
    """Open the workbook package, refusing what sheetkpi cannot use (missing, legacy, encrypted, corrupt).

    The package writer raises its own errors (exit code 3) for a broken, encrypted or oversized file;
    a file that is really .xls, .xlsb or .ods under another name is told how to convert.
    """
    from .workbook.package import InvalidPackageError, Package

    path = require_workbook_file(path)
    try:
        return Package.open(path)
    except InvalidPackageError as exc:
        kind = foreign_format(path) if exc.code in ("legacy-format", "part-missing", "xml-invalid") else None
        if kind:
            raise FileUnusable("legacy-format", legacy_message(path, kind)) from exc
        raise


def _file_book(path: Path, progress: Progress | None = None):
    from .workbook.book import FileBook

    return FileBook(path, open_checked(path), progress)


def load(path: str | os.PathLike) -> WorkbookData:
    """Validate the file and read it into the model."""
    return _file_book(Path(path)).read()


def check(path: str | os.PathLike, as_of=None, *, progress: Progress | None = None) -> Evaluation:
    """Read-only: validate the workbook and compute every figure at the report date (``as_of``, else
    the date of the last recalculation, see :func:`evaluate_for_reading`)."""
    return inspect(_file_book(Path(path), progress), as_of)


def recalc(
    path: str | os.PathLike,
    as_of=None,
    output: str | os.PathLike | None = None,
    *,
    memo: bool = False,
    memo_dir: str | os.PathLike | None = None,
    memo_template: str | os.PathLike | None = None,
    memo_pdf: bool = False,
    keep_backup: bool = True,
    progress: Progress | None = None,
) -> RecalcResult:
    """Validate, compute and write the engine-owned cells back (in place unless ``output``), then
    write the memo when asked."""
    from .workbook.safety import backup, workbook_lock

    source = require_workbook_file(path)
    target = _output_path(source, output)
    _refuse_to_write(Path(path), source, target)
    # One run at a time writes a workbook: a second one waits briefly, then refuses.
    with workbook_lock(target):
        # Opened before reading: the package refuses to save if the file changes on disk meanwhile.
        book = _file_book(source, progress)
        done = recalculate(book, as_of, progress=progress)
        backups: list[Path] = []
        # The file about to be replaced is copied into "sao-luu" once the new one is complete.
        keep = (lambda: backups.append(backup(target))) if keep_backup and target.exists() else None
        _save(book.package, source, target, keep)
        result = RecalcResult(done.evaluation, target, backups[0] if backups else None, done.cells_written)
        if memo:
            from .errors import SheetkpiError

            if progress:
                progress("Tạo báo cáo", 0, 1)
            try:
                result.memo_files = _write_memo(done.evaluation, Path(memo_dir) if memo_dir else target.parent,
                                                memo_template, memo_pdf)
            except SheetkpiError as exc:
                result.memo_error = exc.message
            except Exception as exc:  # the workbook is saved already: say so, whatever the memo met
                result.memo_error = f"lỗi không lường trước ({exc.__class__.__name__}: {exc})"
        return result


def _refuse_to_write(given: Path, source: Path, target: Path) -> None:
    """Refuse, before any work, to write a workbook open in a spreadsheet program or read-only."""
    from .workbook.safety import refuse_if_open, refuse_if_read_only

    refuse_if_open(given)  # Excel's lock file is beside the name it opened, the link's or the target's
    refuse_if_open(source)
    if target != source:
        refuse_if_open(target)
    refuse_if_read_only(target)


def _save(package, source: Path, target: Path, before_replace=None) -> None:
    """Save the package to ``target`` in one step; a failure says that the original is unchanged.
    ``before_replace``: see :meth:`sheetkpi.workbook.package.Package.save` (the backup)."""
    from .workbook.package import PackageError

    try:
        package.save(target, before_replace=before_replace)
    except PackageError as exc:
        if exc.code == "save-failed":
            raise FileUnusable("write-failed", f"{exc.message} Tệp gốc không thay đổi.") from exc
        if exc.code != "file-changed":
            raise
        raise FileUnusable(
            "file-changed",
            f"Tệp '{source.name}' vừa được lưu lại (trong Excel hoặc bởi người khác) trong lúc sheetkpi đang "
            "tính; sheetkpi không ghi đè để giữ nguyên những thay đổi đó. Hãy chạy lại.",
        ) from exc
    except OSError as exc:
        from .errors import os_error_message

        raise FileUnusable(
            "write-failed", f"Không ghi được tệp '{target}': {os_error_message(exc)} Tệp gốc không thay đổi."
        ) from exc


def _output_path(source: Path, output: str | os.PathLike | None) -> Path:
    """Where a recalculation writes: the source, or ``output`` — a workbook of the same kind, in a
    folder made when missing."""
    if output is None:
        return source
    target = Path(output)
    if target.suffix.lower() != source.suffix.lower():
        raise UsageError(
            "bad-output", f"Tệp ghi ra '{target.name}' phải có đuôi {source.suffix.lower()} như tệp gốc."
        )
    if target.is_dir():
        raise UsageError(
            "bad-output", f"'{target}' là một thư mục: hãy ghi cả tên tệp, ví dụ -o {target / source.name}."
        )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FileUnusable(
            "folder-not-writable", f"Không tạo được thư mục '{target.parent}': {exc.strerror or exc}."
        ) from exc
    return target


def _write_memo(evaluation: Evaluation, folder: Path, template, pdf: bool) -> list[Path]:
    from .outputs.memo import write_memo

    return write_memo(evaluation, folder, template=Path(template) if template else None, pdf=pdf)


def memo(
    path: str | os.PathLike, as_of=None, *, folder: str | os.PathLike | None = None,
    template: str | os.PathLike | None = None, pdf: bool = False,
) -> tuple[Evaluation, list[Path]]:
    """Write the memo (Word, HTML, text; PDF when asked) of the workbook at the report date, into
    ``folder`` (default: beside the workbook). Nothing is written into the workbook."""
    evaluation = check(path, as_of)
    target = Path(folder) if folder else Path(path).resolve().parent
    return evaluation, _write_memo(evaluation, target, template, pdf)


@dataclass
class ReviewResult:
    """What :func:`review` wrote: the review (figures, DataFrames) and its files."""

    review: object  # sheetkpi.review.Review (its module loads pandas, this one does not)
    files: list[Path]


def review(
    path: str | os.PathLike, quarter: int, year: int | None = None, *, folder: str | os.PathLike | None = None,
    template: str | os.PathLike | None = None, pdf: bool = False,
) -> ReviewResult:
    """The quarterly review of the workbook as a Word report (quarter 4: the year's review with the
    year-end evaluation), from "Lịch sử" and today's KPIs, into ``folder`` (default: beside the
    workbook). Nothing is written into the workbook. See docs/review.md."""
    from .outputs.review_doc import write_review
    from .review import build_review

    built = build_review(load(path).tracker, quarter, year)
    target = Path(folder) if folder else Path(path).resolve().parent
    return ReviewResult(built, write_review(built, target, template=Path(template) if template else None, pdf=pdf))


@dataclass
class MailResult:
    """What :func:`mail` did: the message, the draft written or the recipients a server refused."""

    evaluation: Evaluation
    subject: str
    draft: Path | None = None
    refused: dict[str, str] = field(default_factory=dict)


# Where the recipients of a message to the units come from, as messages about them say it.
UNITS_EMAIL = "cột 'Email' của bảng đơn vị trong 'Cấu hình'"


def _sender(given: str | None, settings) -> str | None:
    """The sender of a mail command: ``--from``, else "Email gửi" of "Cấu hình" (checked here, so
    that a wrong one is named where it is written); None leaves it to the login (see send_smtp)."""
    from .outputs.mail import addresses

    if given or not settings.sender:
        return given
    return addresses([settings.sender], "'Email gửi' trong 'Cấu hình'")[0]


def mail(
    path: str | os.PathLike, *, to: list[str] | None = None, cc: list[str] = (), sender: str | None = None,
    as_of=None, eml: str | os.PathLike | None = None, smtp: tuple[str, int] | None = None, starttls: bool = False,
    user: str | None = None, password: str | None = None,
) -> MailResult:
    """Email the workbook with its memo: as an .eml draft (``eml``) or through an SMTP server
    (``smtp`` = (host, port)). Without ``to``, to every unit's address in "Cấu hình"; without
    ``sender``, from "Email gửi"."""
    import tempfile

    from .outputs.mail import build_message, send_smtp, unit_addresses, write_eml

    evaluation = check(path, as_of)
    where = "--to"
    if to is None:
        to, where = [a for u in evaluation.units for a in unit_addresses(u.unit.email)], f"--to, hoặc {UNITS_EMAIL}"
    sender = _sender(sender, evaluation.settings)
    with tempfile.TemporaryDirectory(prefix="sheetkpi-mail-") as tmp:
        memo_files = _write_memo(evaluation, Path(tmp), None, False)
        msg = build_message(evaluation, Path(path), memo_files, to=to, cc=cc, sender=sender, to_option=where)
        result = MailResult(evaluation, str(msg["Subject"]))
        if eml:
            result.draft = write_eml(msg, Path(eml))
        else:
            host, port = smtp
            result.refused = send_smtp(msg, host, port, starttls=starttls, user=user, password=password)
    return result


# -- the month without a shared drive: a copy per unit, the copies collected, the late reminded ---------

@dataclass
class SplitResult:
    """What :func:`split` wrote: a copy per unit for the month ending at ``cutoff``."""

    cutoff: dt.date
    copies: list[tuple[Unit, Path]]
    replaced: list[Path] = field(default_factory=list)  # copies found there before, kept in "sao-luu"


def split(path: str | os.PathLike, output_dir: str | os.PathLike, as_of=None, *,
          progress: Progress | None = None) -> SplitResult:
    """One workbook per unit in ``output_dir``: its tab and "Hướng dẫn", all but the department's
    cells locked, named "<code>-<YYYY-MM>.xlsx" after the month of the coming cut-off (the first
    "Ngày chốt số liệu hằng tháng" on or after ``as_of``, else today). A copy of the same name
    already there is first kept in "sao-luu" (it may be one a department sent back)."""
    from .workbook.safety import backup

    data, cutoff = _for_the_month(path, as_of)
    folder = _folder(output_dir)
    targets = _copy_targets(data, folder, cutoff)
    replaced = [backup(target) for _, _, target in targets if target.exists()]
    _write_copies(data, targets, cutoff, progress)
    return SplitResult(cutoff, [(unit, target) for unit, _, target in targets], replaced)


def _for_the_month(path: str | os.PathLike, as_of) -> tuple[WorkbookData, dt.date]:
    """The workbook read, and the cut-off day the month's copies are for."""
    from .reportdate import next_cutoff

    data = load(path)
    return data, next_cutoff(data.tracker.settings.cutoff_day, as_date(as_of) or dt.date.today())


def _copy_targets(data: WorkbookData, folder: Path, cutoff: dt.date) -> list[tuple[Unit, UnitLayout, Path]]:
    """Each unit, its tab's layout and the path of its copy for the month ending at ``cutoff``."""
    from .workbook.safety import file_stem

    return [(u, data.units[u.sheet], folder / f"{file_stem(u.code)}-{cutoff:%Y-%m}.xlsx") for u in data.tracker.units]


def _write_copies(data: WorkbookData, targets, cutoff: dt.date, progress: Progress | None) -> None:
    from .parsing.text import format_date
    from .workbook.split import write_unit_copies

    shown = f" Các cột nền xám: kết quả tính đến ngày {format_date(data.last_run)}." if data.last_run else ""
    write_unit_copies(
        Path(data.path), targets, title=f"Bảng giao KPI tháng {cutoff.month}/{cutoff.year} — {{unit}}",
        description=f"Bản của đơn vị; cập nhật và gửi lại trước ngày {format_date(cutoff)}.{shown}",
        progress=progress,
    )


def _folder(path: str | os.PathLike) -> Path:
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise UsageError("bad-output", f"'{folder}' là một tệp, không phải thư mục.")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FileUnusable("folder-not-writable", f"Không tạo được thư mục '{folder}': {exc.strerror or exc}.") from exc
    return folder


@dataclass
class UnitMail:
    """One unit's message: sent, written as a draft, or why not (``problem``)."""

    unit: Unit
    subject: str = ""
    draft: Path | None = None
    refused: dict[str, str] = field(default_factory=dict)  # recipients the server refused
    problem: str | None = None

    @property
    def sent(self) -> bool:
        return self.problem is None and self.draft is None


@dataclass
class Outbox:
    """The messages a command addresses to the units: to send, or to write as drafts."""

    cc: list[str] = field(default_factory=list)
    sender: str | None = None
    eml: str | os.PathLike | None = None  # a folder for the drafts
    smtp: tuple[str, int] | None = None
    starttls: bool = False
    user: str | None = None
    password: str | None = None

    def deliver(self, letters: list) -> list[UnitMail]:
        """Send (or draft) each :class:`~sheetkpi.outputs.letters.Letter` to its unit's addresses
        in "Cấu hình"; a unit without a valid address is reported, the others still go."""
        from .outputs.mail import addresses, send_all, text_message, unit_addresses, write_eml

        addresses(self.cc, "--cc")  # wrong for every unit: stop before any is sent
        mails, messages = [], []
        for letter in letters:
            mail_ = UnitMail(letter.unit, letter.subject)
            mails.append(mail_)
            to = unit_addresses(letter.unit.email)
            if not to:
                mail_.problem = f"chưa có địa chỉ thư ở {UNITS_EMAIL}"
                continue
            try:
                msg = text_message(letter.subject, letter.text, to=to, cc=self.cc, sender=self.sender,
                                   to_option=f"{UNITS_EMAIL} (đơn vị {letter.unit.code})",
                                   attachments=letter.attachments)
            except UsageError as exc:  # the sender and the copies are checked already: the unit's address
                mail_.problem = exc.message
                continue
            if self.eml:
                mail_.draft = write_eml(msg, _folder(self.eml) / letter.draft_name)
            else:
                messages.append((mail_, msg))
        if messages:
            host, port = self.smtp
            deliveries = send_all([m for _, m in messages], host, port, starttls=self.starttls, user=self.user,
                                  password=self.password)
            for (mail_, _), delivery in zip(messages, deliveries):
                mail_.refused = delivery.refused
                mail_.problem = delivery.failure
        return mails


@dataclass
class UnitMailResult:
    """What :func:`mail_units` or :func:`remind` did, unit by unit."""

    as_of: dt.date
    cutoff: dt.date
    mails: list[UnitMail]
    nothing_to_fix: list[Unit] = field(default_factory=list)  # units a reminder did not write to


def mail_units(path: str | os.PathLike, outbox: Outbox, as_of=None, *,
               progress: Progress | None = None) -> UnitMailResult:
    """Send each unit its copy for the month (as :func:`split` makes it) with a short letter, to its
    address in "Cấu hình" (from "Email gửi" unless ``outbox.sender``), or write the letters as drafts."""
    import tempfile

    from .outputs.letters import copy_letter

    data, cutoff = _for_the_month(path, as_of)
    outbox.sender = _sender(outbox.sender, data.tracker.settings)
    with tempfile.TemporaryDirectory(prefix="sheetkpi-split-") as tmp:
        targets = _copy_targets(data, Path(tmp), cutoff)
        _write_copies(data, targets, cutoff, progress)
        mails = outbox.deliver([copy_letter(unit, copy, data.tracker.settings, cutoff=cutoff)
                                for unit, _, copy in targets])
    return UnitMailResult(as_date(as_of) or dt.date.today(), cutoff, mails)


def remind(path: str | os.PathLike, outbox: Outbox, as_of=None) -> UnitMailResult:
    """Before the cut-off day, a letter to each unit that has rows late, at risk, not updated since
    the last report or with cells to fix, listing exactly those rows and cells; units with nothing
    to fix get nothing. The rows are as of ``as_of`` (else today)."""
    from .outputs.letters import reminder, rows_to_fix
    from .reportdate import AS_OF, TODAY

    data, cutoff = _for_the_month(path, as_of)
    day = as_date(as_of) or dt.date.today()
    evaluation = evaluate(data.tracker, day, source=AS_OF if as_of else TODAY)
    outbox.sender = _sender(outbox.sender, evaluation.settings)
    letters, quiet = [], []
    for unit in evaluation.units:
        rows = rows_to_fix(unit)
        if not rows:
            quiet.append(unit.unit)
            continue
        letters.append(reminder(unit, rows, evaluation.settings, as_of=day, cutoff=cutoff))
    return UnitMailResult(day, cutoff, outbox.deliver(letters), quiet)


@dataclass
class CollectResult:
    """What :func:`collect` took from the returned copies, unit by unit, and what it could not read."""

    copies: list  # sheetkpi.collect.ReturnedCopy: the copy taken for each unit that sent one, in units' order
    superseded: list  # older copies of a unit, not taken
    conflicts: list  # Issues: cells where an older copy said otherwise
    failures: list[tuple[str, str]]  # (file name, why it was not read)
    not_returned: list[Unit]
    dry_run: bool
    cells_written: int = 0
    backup: Path | None = None
    recalc: RecalcResult | None = None
    recalc_error: SheetkpiError | None = None  # the copies are saved even when the recalculation failed


def collect(
    path: str | os.PathLike, returned: list[str | os.PathLike], *, dry_run: bool = False, recalc_after: bool = True,
    as_of=None, progress: Progress | None = None,
) -> CollectResult:
    """Take into the workbook the department cells of the copies departments sent back (files, or
    folders of them), matched by KPI code; everything else they changed is listed as a proposal
    (rules: :mod:`sheetkpi.collect`). Written through the lossless writer in one save, with the
    locks and the backup of :func:`recalc`; then recalculated (``recalc_after``) at ``as_of``.
    ``dry_run``: nothing written. A returned file that cannot be read is reported, the others taken."""
    import tempfile
    from contextlib import nullcontext

    from .collect import Formats, canonical_tab, choose
    from .parsing.numbers import is_date_format, is_percent_format
    from .reportdate import for_recalc
    from .workbook.reader import load_grids
    from .workbook.returned import returned_files
    from .workbook.safety import backup, workbook_lock

    source = require_workbook_file(path)
    files, failures = returned_files(returned, source)
    if not dry_run:
        _refuse_to_write(Path(path), source, source)
    with nullcontext() if dry_run else workbook_lock(source), tempfile.TemporaryDirectory(prefix="sheetkpi-") as tmp:
        book = _file_book(source, progress)
        data = book.read()
        settings = data.tracker.settings
        if recalc_after and not dry_run:
            # Refused now, before anything is written, rather than after the copies are saved.
            for_recalc(as_date(as_of), settings, data.history.dates if data.history else (), dt.date.today())
        with load_grids(source, book.package) as grids:
            tabs = {u.code: canonical_tab(grids[u.sheet], data.units[u.sheet], settings.plan_year)
                    for u in data.tracker.units}
        percent, dates = (book.package.cell_marks(f) for f in (is_percent_format, is_date_format))
        formats = {u.code: Formats(percent[u.sheet].styled if u.sheet in percent else frozenset(),
                                   dates[u.sheet].styled if u.sheet in dates else frozenset())
                   for u in data.tracker.units}
        copies = _read_copies(files, failures, data, tabs, formats, Path(tmp), progress)
        chosen = choose(copies, data.tracker.units)
        result = CollectResult(chosen.copies, chosen.superseded, chosen.conflicts, failures, chosen.not_returned,
                               dry_run)
        writes = [SheetWrites(c.unit.sheet, cells={(x.row, x.col): x.write for x in c.comparison.changes})
                  for c in result.copies if c.comparison.changes]
        if writes and not dry_run:
            result.cells_written = book.apply(writes)
            backups: list[Path] = []
            _save(book.package, source, source, lambda: backups.append(backup(source)))
            result.backup = backups[0]
        else:
            result.cells_written = sum(w.cell_count() for w in writes)
    if result.copies and recalc_after and not dry_run:
        try:
            result.recalc = recalc(source, as_of, progress=progress)
        except SheetkpiError as exc:
            result.recalc_error = exc
    return result


def _read_copies(files: list[Path], failures: list[tuple[str, str]], data: WorkbookData, tabs: dict,
                 formats: dict, workdir: Path, progress: Progress | None) -> list:
    """Each returned file read against the canonical tabs and their cells' formats (by unit code); a
    file that cannot be read is added to ``failures`` with why, and the others are still read."""
    from .collect import NotAUnitsCopy, read_copy
    from .workbook.reader import load_grids
    from .workbook.returned import readable_copy, saved_at

    copies = []
    for done, file in enumerate(files, start=1):
        if progress:
            progress("Đọc bản gửi về", done, len(files))
        try:
            readable = readable_copy(file, workdir / f"{done}.xlsx")
            with load_grids(readable) as sheets:
                copies.append(read_copy(
                    file.name, saved_at(readable, file), sheets, data.tracker.units, lambda u: tabs[u.code],
                    lambda u: formats[u.code], data.tracker.settings.plan_year,
                ))
        except SheetkpiError as exc:
            failures.append((file.name, exc.message))
        except NotAUnitsCopy as exc:
            failures.append((file.name, f"Tệp '{file.name}' không dùng được: {exc}."))
        except Exception as exc:  # one strange file must not stop the others: nothing is written yet
            if os.environ.get("SHEETKPI_DEBUG"):
                raise
            failures.append((file.name, f"Không đọc được tệp '{file.name}' ({exc.__class__.__name__}: {exc})."))
    return copies


def new_workbook(output: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """A new empty "Bảng giao KPI" copied from the shipped template."""
    from .resources import template_path

    output = Path(output)
    if output.exists() and not overwrite:
        raise UsageError("output-exists", f"Tệp '{output}' đã có; chọn tên khác để không ghi đè.")
    if output.suffix.lower() != ".xlsx":
        raise UsageError("bad-output", "Tệp mới phải có đuôi .xlsx.")
    shutil.copyfile(template_path("BangGiaoKPI.xlsx"), output)
    return output


def new_from_plan(plan: str | os.PathLike, output: str | os.PathLike, *, year: int | None = None):
    """A new workbook filled from the year's plan; returns the reconciliation of what was placed."""
    from .plans import build_from_plan

    return build_from_plan(plan, output, year=year)


__all__ = [
    "Book", "MailResult", "Outbox", "RecalcResult", "Recalculation", "ReviewResult", "SplitResult", "UnitMail",
    "UnitMailResult", "as_date", "check", "inspect", "mail", "mail_units", "memo", "new_from_plan", "new_workbook",
    "parse_deadline", "recalc", "recalculate", "remind", "review", "split",
]
