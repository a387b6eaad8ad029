"""Pure parsing core: what people type in the workbook, read into numbers, dates and keys.

Standard library only, no I/O, cheap to import.
"""

from .deadlines import Deadline, format_due, parse_deadline
from .numbers import (
    ParsedNumber,
    Target,
    format_vn,
    indicator_progress,
    parse_progress,
    parse_target,
    parse_vn_number,
    parse_vn_range,
    parse_weight,
)
from .text import clean_text, fold, format_date, looks_like_legacy_vn, nfc, strip_marks

__all__ = [
    "Deadline",
    "ParsedNumber",
    "Target",
    "clean_text",
    "fold",
    "format_date",
    "format_due",
    "format_vn",
    "indicator_progress",
    "looks_like_legacy_vn",
    "nfc",
    "parse_deadline",
    "parse_progress",
    "parse_target",
    "parse_vn_number",
    "parse_vn_range",
    "parse_weight",
    "strip_marks",
]
