"""The library entry points shared by the CLI and the Excel button: check, recalc, new."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from .convert import FORMATS, foreign_format, legacy_message
from .errors import FileUnusable, UsageError
from .model import Evaluation
from .writes.history import history_writes
from .writes.summary import summary_writes
from .writes.unit_tabs import unit_writes
from .writes import SheetWrites, WritePlan
from .parsing.deadlines import parse_deadline  # noqa: F401  (public API)
from .rules import evaluate
from . import layout
from .workbook.reader import WorkbookData, read_workbook



@dataclass
class RecalcResult:
    """What :func:`recalc` did."""

    evaluation: Evaluation
    output: Path
    backup: Path | None
    cells_written: int
    memo_files: list[Path] = field(default_factory=list)
    memo_error: str | None = None  # the workbook is saved even when its memo could not be written


def parse_date(text: str) -> dt.date:
    """A report date given by a person: "2026-06-25" or "25/06/2026"."""
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    raise UsageError("bad-date", f"Ngày không hợp lệ: '{text}' (dùng dạng 25/06/2026 hoặc 2026-06-25).")


def _as_date(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return parse_date(str(value))


def require_workbook_file(path: str | os.PathLike) -> Path:
    """The path, after refusing what is missing or in a format sheetkpi does not read."""
    path = Path(path)
    if not path.exists():
        raise FileUnusable("file-missing", f"Không tìm thấy tệp '{path}'.")
    if path.is_dir():
        raise FileUnusable("not-a-file", f"'{path}' là một thư mục, không phải tệp bảng tính.")
    suffix = path.suffix.lower()
    if suffix in FORMATS:
        raise FileUnusable("legacy-format", legacy_message(path, suffix))
    return path


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


def load(path: str | os.PathLike) -> WorkbookData:
    """Validate the file and read it into the model."""
    return read_workbook(Path(path), open_checked(path))


def evaluate_for_recalc(data: WorkbookData, as_of=None) -> Evaluation:
    """Every figure at the date a recalculation writes (see :func:`sheetkpi.reportdate.for_recalc`:
    a forgotten "Ngày báo cáo" is refused rather than overwriting history)."""
    from .reportdate import for_recalc

    dates = data.history.dates if data.history else ()
    chosen = for_recalc(_as_date(as_of), data.tracker.settings, dates, dt.date.today())
    return evaluate(data.tracker, chosen.date, source=chosen.source)


def evaluate_for_reading(data: WorkbookData, as_of=None) -> Evaluation:
    """Every figure at the date a read-only command describes: the last recalculation's unless
    given (see :func:`sheetkpi.reportdate.for_reading`)."""
    from .reportdate import for_reading

    chosen = for_reading(_as_date(as_of), data.tracker.settings, data.last_run, dt.date.today())
    return evaluate(data.tracker, chosen.date, source=chosen.source)


def check(path: str | os.PathLike, as_of=None) -> Evaluation:
    """Read-only: validate the workbook and compute every figure at the report date (``as_of``, else
    the date of the last recalculation, see :func:`evaluate_for_reading`)."""
    return evaluate_for_reading(load(path), as_of)


def iter_sheet_writes(data: WorkbookData, evaluation: Evaluation, run_at: dt.datetime) -> Iterator[SheetWrites]:
    """Every engine-owned cell a recalculation writes, one sheet at a time: the file writer applies
    each sheet's writes before the next are made, so a run never holds all of them."""
    for unit in evaluation.units:
        yield unit_writes(unit, data.units[unit.unit.sheet])
    yield summary_writes(evaluation, data.summary_sheet, run_at=run_at)
    yield history_writes(evaluation, data.history_sheet, data.history, data.tracker.history)


def plan_writes(data: WorkbookData, evaluation: Evaluation, run_at: dt.datetime) -> WritePlan:
    """Every engine-owned cell a recalculation writes, as a backend-neutral plan."""
    return WritePlan(list(iter_sheet_writes(data, evaluation, run_at)))


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
) -> RecalcResult:
    """Validate, compute and write the engine-owned cells back (in place unless ``output``)."""
    from .workbook.apply import apply_plan
    from .workbook.package import PackageError
    from .workbook.safety import backup, refuse_if_open, refuse_if_read_only, workbook_lock

    source = require_workbook_file(path)
    target = Path(output) if output else source
    refuse_if_open(source)
    if target != source:
        refuse_if_open(target)
    refuse_if_read_only(target)
    # One run at a time writes a workbook: a second one waits briefly, then refuses.
    with workbook_lock(target):
        # Opened before reading: the package refuses to save if the file changes on disk meanwhile.
        pkg = open_checked(source)
        data = read_workbook(source, pkg)
        evaluation = evaluate_for_recalc(data, as_of)
        run_at = dt.datetime.now().replace(microsecond=0)
        cells_written = apply_plan(pkg, iter_sheet_writes(data, evaluation, run_at))
        saved_backup = backup(source) if keep_backup and target == source else None
        if target.exists() and target != source and keep_backup:
            saved_backup = backup(target)
        try:
            pkg.save(target)
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
            raise FileUnusable(
                "write-failed", f"Không ghi được tệp '{target}': {exc.strerror or exc}. Tệp gốc không thay đổi."
            ) from exc
        result = RecalcResult(evaluation, target, saved_backup, cells_written)
        if memo:
            from .errors import SheetkpiError
            from .outputs.memo import write_memo

            try:
                result.memo_files = write_memo(
                    evaluation, Path(memo_dir) if memo_dir else target.parent,
                    template=Path(memo_template) if memo_template else None, pdf=memo_pdf,
                )
            except SheetkpiError as exc:
                result.memo_error = exc.message
        return result


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


__all__ = ["check", "recalc", "new_workbook", "parse_deadline", "parse_date", "RecalcResult", "layout"]
