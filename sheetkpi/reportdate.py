"""Which report date a run uses, and when a date must not be used without asking (docs/rules.md).

The report date labels the figures ("số liệu đến ngày …") and names the "Lịch sử" column a
recalculation writes. A date taken silently from a "Ngày báo cáo" that the Office forgot to change
would overwrite last month's history with this month's figures, so a recalculation refuses a
date from "Cấu hình" that is older than the latest report in "Lịch sử", or that already has a
column there and is long past; an explicit ``--as-of`` is always taken. Commands that only read
(check, memo, mail) describe the workbook as last recalculated.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from .errors import UsageError
from .model import Settings
from .parsing.text import format_date

AS_OF = "as-of"  # given by the person running sheetkpi
CONFIG = "config"  # "Ngày báo cáo" in "Cấu hình"
LAST_RUN = "last-run"  # the date of the last recalculation, as "Tổng hợp" shows it
TODAY = "today"

# A "Ngày báo cáo" whose history column is this many days old is taken for a date nobody changed:
# a month's cycle is about 30 days, and a second run for the same report comes within days.
STALE_AFTER_DAYS = 20
# A "Ngày báo cáo" more than a year ahead is a typing slip ("2062" for "2026", "31/12/9999").
FUTURE_DAYS = 366

_SOURCES = {
    AS_OF: "theo --as-of",
    CONFIG: "theo 'Ngày báo cáo' trong 'Cấu hình'",
    LAST_RUN: "ngày của lần tính lại gần nhất, theo trang 'Tổng hợp'",
    TODAY: "ngày hôm nay, vì 'Ngày báo cáo' trong 'Cấu hình' để trống",
}


@dataclass(frozen=True)
class ReportDate:
    """A report date and where it came from (one of AS_OF, CONFIG, LAST_RUN, TODAY)."""

    date: dt.date
    source: str

    def describe(self) -> str:
        """"Ngày báo cáo 25/06/2026 (theo 'Ngày báo cáo' trong 'Cấu hình')"."""
        return f"Ngày báo cáo {format_date(self.date)} ({_SOURCES[self.source]})"


class StaleReportDate(UsageError):
    """The report date would overwrite or reorder history without anyone having asked for it."""


def for_recalc(
    as_of: dt.date | None, settings: Settings, history_dates: Iterable[dt.date], today: dt.date,
) -> ReportDate:
    """The date a recalculation writes: ``as_of``; else "Ngày báo cáo", unless it is older than the
    latest report in "Lịch sử" or its column there is more than :data:`STALE_AFTER_DAYS` old; else
    today, unless "Lịch sử" already has a later report. A refused date raises
    :class:`StaleReportDate` with what to do."""
    if as_of is not None:
        return ReportDate(as_of, AS_OF)
    dates = set(history_dates)
    latest = max(dates, default=None)
    if settings.report_date is not None:
        d = settings.report_date
        if latest is not None and d < latest:
            raise StaleReportDate("report-date-stale", (
                f"'Ngày báo cáo' trong 'Cấu hình' là {format_date(d)}, trước kỳ báo cáo mới nhất đã có trong "
                f"'Lịch sử' ({format_date(latest)}): có thể đã quên đổi ngày. {_how_to_proceed(d)}"
            ))
        age = (today - d).days
        if -age > FUTURE_DAYS:
            raise StaleReportDate("report-date-far", (
                f"'Ngày báo cáo' trong 'Cấu hình' là {format_date(d)}, còn hơn một năm nữa mới đến: có thể gõ nhầm. "
                f"{_how_to_proceed(d)}"
            ))
        if d in dates and age > STALE_AFTER_DAYS:
            raise StaleReportDate("report-date-stale", (
                f"'Ngày báo cáo' trong 'Cấu hình' là {format_date(d)}: kỳ này đã được tính (có cột trong "
                f"'Lịch sử') và đã qua {age} ngày, có thể đã quên đổi ngày cho kỳ mới. Tính lại bây giờ sẽ ghi "
                f"đè số liệu của kỳ {format_date(d)}. {_how_to_proceed(d)}"
            ))
        return ReportDate(d, CONFIG)
    if latest is not None and today < latest:
        raise StaleReportDate("report-date-stale", (
            f"'Ngày báo cáo' trong 'Cấu hình' để trống nên sheetkpi lấy ngày hôm nay ({format_date(today)}), "
            f"nhưng 'Lịch sử' đã có kỳ báo cáo sau đó ({format_date(latest)}). {_how_to_proceed(today)}"
        ))
    return ReportDate(today, TODAY)


def _how_to_proceed(d: dt.date) -> str:
    return (
        "Hãy sửa 'Ngày báo cáo' thành ngày của kỳ cần tính (hoặc để trống để lấy ngày hôm nay); nếu thật sự "
        f"muốn tính lại kỳ {format_date(d)}, chạy lại với --as-of {format_date(d)}."
    )


def next_cutoff(cutoff_day: int, day: dt.date) -> dt.date:
    """The first monthly cut-off ("Ngày chốt số liệu hằng tháng") on or after ``day``: that day of
    the month, or the month's last day in a shorter month."""
    import calendar

    def in_month(year: int, month: int) -> dt.date:
        return dt.date(year, month, max(1, min(cutoff_day, calendar.monthrange(year, month)[1])))

    cutoff = in_month(day.year, day.month)
    if cutoff >= day:
        return cutoff
    return in_month(day.year + day.month // 12, day.month % 12 + 1)


def for_reading(
    as_of: dt.date | None, settings: Settings, last_run: dt.date | None, today: dt.date,
) -> ReportDate:
    """The date a read-only command (check, memo, mail) describes: ``as_of``; else the last
    recalculation's, unless "Ngày báo cáo" names a later one (the Office has moved on to the next
    report and checks it before recalculating); else "Ngày báo cáo"; else today."""
    if as_of is not None:
        return ReportDate(as_of, AS_OF)
    if last_run is not None and (settings.report_date is None or settings.report_date <= last_run):
        return ReportDate(last_run, LAST_RUN)
    if settings.report_date is not None:
        return ReportDate(settings.report_date, CONFIG)
    return ReportDate(today, TODAY)
