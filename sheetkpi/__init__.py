"""sheetkpi: scores, statuses and the leadership summary of a "Bảng giao KPI" workbook.

Public API (loaded on first use, so that ``import sheetkpi`` stays light)::

    sheetkpi.check(path, as_of=None)                 -> Evaluation
    sheetkpi.recalc(path, as_of=None, output=None)   -> RecalcResult
    sheetkpi.parse_deadline(text, plan_year)         -> Deadline
    sheetkpi.frame(path, as_of=None)                 -> pandas.DataFrame, one row per KPI
    sheetkpi.history_frame(path)                     -> pandas.DataFrame, "Lịch sử" in long form
    sheetkpi.review(path, quarter, year=None)        -> ReviewResult (the quarterly review, Word)
"""

from __future__ import annotations

__version__ = "0.1.0"

_LAZY = {
    "check": "sheetkpi.api",
    "recalc": "sheetkpi.api",
    "new_workbook": "sheetkpi.api",
    "review": "sheetkpi.api",
    "frame": "sheetkpi.frames",  # pandas is loaded with it, not with sheetkpi
    "history_frame": "sheetkpi.frames",
    "parse_deadline": "sheetkpi.parsing.deadlines",
    "Deadline": "sheetkpi.parsing.deadlines",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'sheetkpi' has no attribute {name!r}")
