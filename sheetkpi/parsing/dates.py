"""A day as people give it: a date cell, "25/06/2026", "2026-06-25", "ngày 25 tháng 6 năm 2026".

The one reading of a day for every place people type one: a report date on the command line or in
"Cấu hình", a completion date, a "Lịch sử" column header. Day first, always.
"""

from __future__ import annotations

import datetime as dt
import re

from .deadlines import parse_deadline
from .text import clean_text

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def parse_date(value: object, year: int | None = None) -> dt.date | None:
    """The day ``value`` names, or None when it names no single day.

    A date or datetime cell is taken as it is; text is read day first ("25/06/2026", "25-6-2026",
    "25.06.2026", "ngày 25 tháng 6 năm 2026", "Hoàn thành ngày 12/6/2026") or as ISO
    ("2026-06-25"). A day without a year ("12/6") needs ``year``. Numbers are not dates here: a
    number in a date cell has lost its date format, and guessing which day it means could be wrong.
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        return None
    text = clean_text(value)
    iso = _ISO.match(text)
    if iso:
        try:
            return dt.date(*map(int, iso.groups()))
        except ValueError:
            return None
    if not text:
        return None
    # A year no plan has: a day written without one then resolves to it, and is refused.
    found = parse_deadline(text, year if year is not None else 1)
    if found.kind != "date" or found.due is None or found.due.year == 1:
        return None
    return found.due
