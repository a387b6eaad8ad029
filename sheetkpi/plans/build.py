"""Build a new "Bảng giao KPI" from a plan: read it, then write the workbook only if that succeeded."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..errors import FileUnusable, UsageError
from ..workbook.builder import KpiSpec, UnitSpec, build_workbook
from .reading import Plan, read_plan
from .reconciliation import Reconciliation, reconcile


def build_from_plan(
    plan_path: str | os.PathLike, output: str | os.PathLike, *, year: int | None = None,
) -> Reconciliation:
    """Read the plan at ``plan_path`` and write a new workbook to ``output`` (which must not exist).

    Nothing is written when the plan cannot be read or holds no task: the workbook is built in a
    temporary file beside ``output`` and moved into place only once complete.
    """
    output = Path(output)
    if output.suffix.lower() != ".xlsx":
        raise UsageError("bad-output", "Tệp mới phải có đuôi .xlsx.")
    if output.exists():
        raise UsageError("output-exists", f"Tệp '{output}' đã có; chọn tên khác để không ghi đè.")
    if not output.parent.is_dir():
        raise UsageError("output-dir-missing", f"Không có thư mục '{output.parent}' để ghi tệp mới.")
    plan = read_plan(plan_path, year=year)
    _write(plan, output)
    return reconcile(plan, output)


UNPLACED_CODE = "CHUA-XEP"
UNPLACED_NAME = "Chưa xếp được phòng, đơn vị"


def unit_specs(plan: Plan) -> list[UnitSpec]:
    """The plan's units as the workbook builder takes them.

    What could not be placed goes on a tab of its own, without weights, so that nothing is dropped:
    `check` flags those rows and "Tổng hợp" lists them among the data problems until the Office moves
    them to the right unit.
    """
    unplaced = [
        UnitSpec(UNPLACED_CODE, UNPLACED_NAME, [
            KpiSpec(code=f"{UNPLACED_CODE}-{n:02d}", title=u.text, weight=None, output=f"Lý do: {u.reason}")
            for n, u in enumerate(plan.unplaced, start=1)
        ])
    ] if plan.unplaced else []
    return [
        UnitSpec(u.code, u.name, [
            KpiSpec(
                code=i.code, title=i.title, weight=i.weight, deadline=i.deadline, output=i.output,
                partners=i.partners, measure_unit=i.measure_unit, target=i.target or None, baseline=i.baseline,
                weight_assigned=i.weight_assigned,
            )
            for i in u.items
        ])
        for u in plan.units
    ] + unplaced


def _write(plan: Plan, output: Path) -> None:
    temporary = None
    try:
        handle, temporary = tempfile.mkstemp(prefix=".sheetkpi-tam-", suffix=".xlsx", dir=output.parent)
        os.close(handle)
        build_workbook(temporary, settings=plan.settings, units=unit_specs(plan))
        os.replace(temporary, output)
    except OSError as exc:
        raise FileUnusable("write-failed", f"Không ghi được tệp '{output}': {exc.strerror or exc}.") from exc
    finally:
        if temporary and os.path.exists(temporary):
            os.remove(temporary)
