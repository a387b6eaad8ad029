"""Cell values as the writer keeps them until a sheet is rendered (the values of a run, see
``_sheetxml.RowRun``): None, int, finite float and clean str as given, checked; booleans,
dates and other numbers as :class:`~._sheetxml.Typed`."""

from __future__ import annotations

import datetime as dt
import math
import numbers
from decimal import Decimal
from typing import Any

from ._sheetxml import Typed
from ._xml import ILLEGAL_XML
from .xmlsafe import PackageError

MAX_TEXT = 32_767  # Excel's limit for the text of one cell


class Values:
    """Encodes the values written into one workbook (dates depend on its date system)."""

    def __init__(self, date1904: bool):
        self.date1904 = date1904
        self._dates: dict[tuple, Typed] = {}  # a run writes the same deadlines again and again

    def encode(self, value: Any) -> Any:
        """``value`` as a run keeps it; raises ``value-invalid`` for what a cell cannot hold."""
        kind = type(value)  # the common cases first: a run writes a million values
        if kind is float:
            if value - value == 0:  # finite: infinities and NaN give NaN
                return value
        elif value is None or kind is int:
            return value
        if isinstance(value, str):
            # Text is always stored as text (an inline string), so "=..." can never become a formula.
            # Printable text holds none of the characters XML cannot carry (a faster test).
            text = str(value) if value.isprintable() or not ILLEGAL_XML.search(value) else ILLEGAL_XML.sub("", value)
            if len(text) > MAX_TEXT:
                raise PackageError("value-invalid",
                                   f"Nội dung dài {len(text)} ký tự, vượt giới hạn {MAX_TEXT} của Excel.")
            return text
        if isinstance(value, bool):
            return Typed("b", "1" if value else "0")
        if isinstance(value, dt.date):
            key = (type(value), value)
            typed = self._dates.get(key)
            if typed is None:
                if isinstance(value, dt.datetime):
                    typed = Typed(None, repr(self.serial(value)), "datetime")
                else:
                    typed = Typed(None, str(self.serial(value)), "date")
                self._dates[key] = typed
            return typed
        if isinstance(value, (Decimal, numbers.Real)):
            if not math.isfinite(float(value)):
                raise PackageError("value-invalid", f"Giá trị số không hợp lệ: {value!r}.")
            if isinstance(value, numbers.Integral):
                return Typed(None, str(int(value)))
            return Typed(None, str(value) if isinstance(value, Decimal) else repr(float(value)))
        raise TypeError(f"cannot write a {type(value).__name__} into a cell")

    def serial(self, value: dt.date) -> int | float:
        """Excel serial number of a date/datetime in this workbook's date system."""
        if isinstance(value, dt.datetime):
            if value.tzinfo is not None:
                raise PackageError("value-invalid", f"Thời điểm có múi giờ không ghi được vào ô: {value}.")
            day = value.date()
            fraction = (value - dt.datetime.combine(day, dt.time())).total_seconds() / 86400
        else:
            day, fraction = value, 0
        if self.date1904:
            serial = (day - dt.date(1904, 1, 1)).days
        else:
            # Excel counts 29/02/1900, which never existed (Lotus 1-2-3 compatibility), so serials
            # from 01/03/1900 on are one more than the day count from 30/12/1899.
            serial = (day - dt.date(1899, 12, 30)).days - (day < dt.date(1900, 3, 1))
        if serial < (0 if self.date1904 else 1):
            raise PackageError("value-invalid", f"Ngày {value} nằm trước ngày đầu tiên Excel biểu diễn được.")
        return serial + fraction if fraction else serial


def decoded(value: Any) -> Any:
    """The Python value a cell holds once a run's ``value`` is written (dates as serial numbers)."""
    if type(value) is not Typed:
        return value
    if value.cell_type == "b":
        return value.text == "1"
    number = float(value.text)
    return int(number) if number.is_integer() and "." not in value.text and "e" not in value.text.lower() else number
