"""The workbook as pandas DataFrames, for analysts and for the quarterly review.

``frame(path, as_of=None)``: one row per KPI with every figure a recalculation computes at the
report date. ``history_frame(path)``: "Lịch sử" in long form, one row per KPI and report date that
holds a figure. The two join on ``unit``, ``code`` and ``occurrence`` ("code" is the KPI's code,
else its title, as "Lịch sử" keys its rows).

This module imports pandas; ``import sheetkpi`` does not load it (``sheetkpi.frame`` loads this
module on first use).
"""

from __future__ import annotations

import os

import pandas as pd

from .model import Evaluation, History
from .rules import expected_points, history_key, recorded_progress

# Columns of frame(), left to right.
KPI_COLUMNS = (
    "unit",  # the unit's code ("KHĐT")
    "unit_name",
    "sheet",
    "row",  # the KPI's row on its tab
    "code",  # "Mã KPI", else the title: how "Lịch sử" names the KPI
    "occurrence",  # rank among the unit's KPIs with that code (0 but for repeated titles)
    "title",
    "owners",  # "Người phụ trách" as typed ("" without the column)
    "weight",  # NaN when missing or invalid
    "progress",  # "Tiến độ tính điểm (%)": what is scored (0 for an empty cell)
    "recorded",  # what "Lịch sử" records for the date: NaN for an empty or invalid cell
    "score",
    "status",
    "due",  # "Hạn xác định" (NaT without one)
    "due_kind",
    "expected_progress",  # NaN without a due date
    "expected_points",  # the KPI's share of the unit's "Điểm kỳ vọng"
    "at_risk",
    "completed_late",
    "completed_on",
    "previous_progress",  # the figure of the previous report in "Lịch sử" (NaN: none)
    "previous_status",
    "obstacles",  # "Khó khăn, vướng mắc, đề xuất"
    "warnings",  # the codes of every issue about the row, comma-separated
)
HISTORY_COLUMNS = ("unit", "code", "occurrence", "date", "progress")


def kpi_frame(evaluation: Evaluation) -> pd.DataFrame:
    """The KPIs of an evaluation, a row each (columns: :data:`KPI_COLUMNS`); ``attrs["as_of"]``
    holds the report date. (A check's has every KPI; a recalculation's, those its reports list.)"""
    names = {u.unit.code: u.unit.name for u in evaluation.units}
    rows = []
    for r in evaluation.kpis:
        k = r.kpi
        unit, code, occurrence = history_key(k)
        rows.append((
            unit, names.get(unit, unit), k.sheet, k.row, code, occurrence, k.title, k.owners, k.weight,
            r.effective_progress, recorded_progress(k, r.effective_progress), r.score, r.status, k.deadline.due,
            k.deadline.kind, r.expected_progress, expected_points(r), r.at_risk, r.completed_late, k.completed_on,
            r.previous_progress, r.previous_status, k.obstacles,
            ",".join(dict.fromkeys(i.code for i in r.issues)),
        ))
    df = pd.DataFrame.from_records(rows, columns=list(KPI_COLUMNS))
    for column in ("weight", "progress", "recorded", "score", "expected_progress", "expected_points",
                   "previous_progress"):
        df[column] = df[column].astype("float64")
    for column in ("due", "completed_on"):
        df[column] = pd.to_datetime(df[column])
    df.attrs["as_of"] = evaluation.as_of
    return df


def history_long(history: History) -> pd.DataFrame:
    """"Lịch sử" as read (:attr:`sheetkpi.model.Tracker.history`) in long form, sorted by KPI then date."""
    rows = [(unit, code, occurrence, day, figure)
            for (unit, code, occurrence), points in history.items() for day, figure in points]
    df = pd.DataFrame.from_records(rows, columns=list(HISTORY_COLUMNS))
    df["occurrence"] = df["occurrence"].astype("int64")
    df["date"] = pd.to_datetime(df["date"])
    df["progress"] = df["progress"].astype("float64")
    return df


def frame(path: str | os.PathLike, as_of=None) -> pd.DataFrame:
    """The KPI results of the workbook at ``path`` at the report date (``as_of``, else as
    :func:`sheetkpi.check` chooses it): one row per KPI, columns :data:`KPI_COLUMNS`. Read only."""
    from .api import check

    return kpi_frame(check(path, as_of))


def history_frame(path: str | os.PathLike) -> pd.DataFrame:
    """"Lịch sử" of the workbook at ``path``: one row per KPI and report date with a figure
    (columns ``unit``, ``code``, ``occurrence``, ``date``, ``progress``). Read only."""
    from .api import load

    return history_long(load(path).tracker.history)
