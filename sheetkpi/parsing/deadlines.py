"""Deadlines as plans and departments write them ("Quý II/2026", "Hoàn thành trước 30/6/2026")
resolved to a due date and a kind (SPEC §2.2).

Matching runs on lowercased text without diacritics ("tháng" → "thang", "hằng"/"hàng" → "hang").
Dates are always day first.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from .text import clean_text, format_date, strip_marks

KINDS = ("date", "month", "quarter", "period", "year", "recurring", "event", "unknown", "missing")
# Kinds that name a time of their own; across clauses the first of these wins over recurring
# and event clauses ("Quý I/2023; báo cáo hàng tháng").
_SPECIFIC_KINDS = frozenset({"date", "month", "quarter", "period", "year"})
_FIRST_YEAR, _LAST_YEAR = 1900, 2100
# Excel serial numbers of 01/01/2000 and 31/12/2099: a date cell that lost its date format.
_FIRST_SERIAL, _LAST_SERIAL = 36526, 73050
_EXCEL_EPOCH = dt.date(1899, 12, 30)


@dataclass(frozen=True, slots=True)
class Deadline:
    """A deadline as written (``text``) and as understood: ``due`` date and ``kind``.

    ``kind`` is one of KINDS; ``due`` is None exactly when the kind is event, unknown or missing.
    """

    due: dt.date | None
    kind: str
    text: str

    def __reduce__(self):
        return Deadline, (self.due, self.kind, self.text)  # (see KPI.__reduce__)


def format_due(d: dt.date) -> str:
    """Format a due date for people: ``30/06/2026``."""
    return format_date(d)


class _Found(NamedTuple):
    start: int
    kind: str
    due: dt.date | None  # None: shaped like a date but impossible, such as 31/2/2026


_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_YEAR_SUFFIX = r"(?:\s*(?:[/.-]|\bnam\b)\s*(?P<y>\d{4}))"
_RANGE = r"\s*(?:-|–|den|toi|,|va)\s*"
_QUARTER = r"(?:iv|iii|ii|i|[1-4])"
# Most precise first: each match is blanked out before the next pattern runs, so "tháng 10 năm
# 2026" inside "ngày 20 tháng 10 năm 2026" is not read again as a month.
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("dmy", re.compile(
        r"(?<!\d)(?<!\d[/.-])(?P<d>\d{1,2})\s*(?P<s>[/.-])\s*(?P<m>\d{1,2})\s*(?P=s)\s*(?P<y>\d{4}|\d{2})(?![\d/]|[.-]\d)"
    )),
    ("dm_words", re.compile(
        r"\bngay\s+(?P<d>\d{1,2})\s+thang\s+(?P<m>\d{1,2})(?:\s*(?:[/.-]|\bnam\b)\s*(?P<y>\d{4}))?(?!\d)"
    )),
    # Ranges end at their last month, quarter or year: "Tháng 6-8/2026", "từ tháng 3 đến tháng 6 năm
    # 2026", "Quý II - III/2026", "giai đoạn 2026-2030", "từ năm 2013 đến năm 2020".
    ("year_range", re.compile(rf"(?<![\d/.])\d{{4}}{_RANGE}(?:nam\s*)?(?P<y>\d{{4}})(?![\d/])")),
    ("quarter", re.compile(rf"\bquy\s*{_QUARTER}{_RANGE}(?:quy\s*)?(?P<q>{_QUARTER})\b{_YEAR_SUFFIX}?(?!\d)")),
    ("month", re.compile(rf"\bthang\s*\d{{1,2}}{_RANGE}(?:thang\s*)?(?P<m>\d{{1,2}})(?!\d){_YEAR_SUFFIX}?(?![\d/])")),
    ("quarter", re.compile(rf"\bquy\s*(?P<q>iv|iii|ii|i|[1-4])\b{_YEAR_SUFFIX}?(?!\d)")),
    ("month", re.compile(rf"\bthang\s*(?P<m>\d{{1,2}}){_YEAR_SUFFIX}?(?!\d)")),
    ("month", re.compile(r"(?<![\d/.])(?P<m>\d{1,2})\s*/\s*(?P<y>\d{4})(?![\d/])")),
    # "30/9" and "30/9 năm 2026": without a year only "/" is a date ("15.7" may be a number).
    ("dm", re.compile(r"(?<![\d/.])(?P<d>\d{1,2})\s*/\s*(?P<m>\d{1,2})(?:\s+nam\s+(?P<y>\d{4}))?(?![\d/]|[.,]\d)")),
    ("first_months", re.compile(r"\b(?P<n>\d{1,2})\s+thang\s+(?P<part>dau|cuoi)\s+nam(?:\s+(?P<y>\d{4}))?")),
    ("half", re.compile(r"\b(?P<part>giua|nua dau|nua cuoi)\s+nam(?:\s+(?P<y>\d{4}))?")),
    ("year", re.compile(r"\b(?P<before>truoc\s+)?nam\s+(?P<y>\d{4})(?!\d)")),
    ("this_year", re.compile(r"\b(?:trong|cuoi|het|ket thuc|ca)\s+nam\b|\bnam danh gia\b|\bnam ke hoach\b")),
    ("year", re.compile(r"^\s*(?P<y>\d{4})\s*$")),
)

# Document references ("Kế hoạch số 30/KH-UBND ngày 29/01/2026", "Nghị quyết 06/NQ-TU") carry
# the date the document was signed, not a deadline. Matched on the original text: the code after
# the "/" starts with two capitals, which keeps "Tháng 6/2026/Theo kế hoạch" apart.
_DATE_WRITTEN = r"\d{1,2}\s*[/.-]\s*\d{1,2}\s*[/.-]\s*\d{2,4}|\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+\d{4}"
_DOCUMENT = re.compile(
    rf"\b\d+[\w&.\-/]*/[A-ZĐ]{{2}}[\w&.\-/]*(?:\s+[Nn]g[àa]y\s+(?:{_DATE_WRITTEN}))?"
    # A document named without its number, or a date said to be "of" someone: the date it was signed.
    rf"|\b(?:[Qq]uyết định|[Kk]ế hoạch|[Tt]hông báo(?: kết luận)?|[Cc]ông văn|[Vv]ăn bản|[Nn]ghị quyết|[Cc]hỉ thị|"
    rf"[Hh]ướng dẫn|[Kk]ết luận|[Cc]hương trình|[Tt]ờ trình|[Bb]áo cáo|[Tt]hông tư|[Nn]ghị định)"
    rf"\s+[Nn]gày\s+(?:{_DATE_WRITTEN})"
    rf"|\b[Nn]gày\s+(?:{_DATE_WRITTEN})\s+(?=của\b)"
)
# Years named relative to the plan year: "năm liền kề" (the next), "năm trước liền kề" (the last).
_RELATIVE_YEAR = re.compile(r"\bnam\s+(?P<rel>truoc lien ke|lien truoc|lien ke|lien sau|ke tiep|tiep theo|sau)\b")
# Clauses: ";", line breaks, and "/" between words ("Thường xuyên trong năm/theo kế hoạch"),
# never the "/" of "30/4/2026" or "Quý II/2023".
_CLAUSE_SPLIT = re.compile(r"[;\n]|(?<=[^\d\s])\s*/\s*(?=[^\d\s])")
_RECURRING = re.compile(
    r"\b(?:thuong xuyen|dinh ky|thuong ky|lien tuc|(?:hang|moi)\s+(?:ngay|tuan|thang|quy|nam))\b"
    # "trước ngày 05 của tháng liền kề", "ngày 15 của tháng tiếp theo", "ngày 20 tháng cuối quý"
    r"|\bngay\s+\d{1,2}\s+(?:cua\s+)?(?:thang|quy)\s+(?:lien ke|tiep theo|sau|ke tiep|cuoi quy|dau quy)\b"
    r"|\bthang\s+(?:cuoi|dau)\s+quy\b"
)
# "Từ tháng 11/2013 trở đi", "Từ ngày ban hành Kế hoạch trở đi": from then on, every period.
_ONGOING = re.compile(r"\btro di\b")
# "Khi …", "Sau khi …", "Trước khi …": the clause names a trigger; dates in it are not deadlines.
_TRIGGER = re.compile(r"^\W*(?:ngay\s+)?(?:sau\s+|truoc\s+)?khi\b")
_EVENT = re.compile(
    r"\b(?:sau khi|khi co|khi phat sinh|tuy theo"
    r"|theo (?:yeu cau|yc|quy dinh|ke hoach|chi dao|thoi gian quy dinh|tien do|quyet dinh|van ban|thong bao))\b"
    # "Theo …" opening a clause refers to another document or decision: what it says, when it says.
    r"|^\W*theo\b"
)


def _year(found: re.Match[str], plan_year: int) -> int:
    text = found.groupdict().get("y")
    if text is None:
        return plan_year
    return int(text) + (2000 if len(text) == 2 else 0)


def _day(year: int, month: int, day: int | None = None) -> dt.date | None:
    """The given day, or the last day of the month; None when there is no such day."""
    if not _FIRST_YEAR <= year <= _LAST_YEAR or not 1 <= month <= 12:
        return None
    last = calendar.monthrange(year, month)[1]
    if day is None:
        return dt.date(year, month, last)
    return dt.date(year, month, day) if 1 <= day <= last else None


def _resolve(name: str, m: re.Match[str], plan_year: int) -> _Found:
    year = _year(m, plan_year)
    if name in ("dmy", "dm_words", "dm"):
        return _Found(m.start(), "date", _day(year, int(m["m"]), int(m["d"])))
    if name == "quarter":
        q = _ROMAN.get(m["q"]) or int(m["q"])
        return _Found(m.start(), "quarter", _day(year, 3 * q))
    if name == "month":
        return _Found(m.start(), "month", _day(year, int(m["m"])))
    if name == "year_range":
        return _Found(m.start(), "year", _day(year, 12))
    if name == "first_months":
        months = int(m["n"]) if m["part"] == "dau" else 12
        return _Found(m.start(), "period", _day(year, months))
    if name == "half":
        return _Found(m.start(), "period", _day(year, 12 if m["part"] == "nua cuoi" else 6))
    if name == "year" and m.groupdict().get("before"):
        # "trước năm 2027": by the end of 2026.
        year -= 1
    return _Found(m.start(), "year", _day(year, 12))


def _blank(text: str, m: re.Match[str]) -> str:
    """``text`` with the span of ``m`` replaced by spaces, so other positions do not move."""
    return text[: m.start()] + " " * (m.end() - m.start()) + text[m.end():]


def _dated(clause: str, plan_year: int) -> list[_Found]:
    """Every dated expression in a folded clause, in reading order."""
    found = []
    for name, pattern in _PATTERNS:
        matches = list(pattern.finditer(clause))
        for m in matches:
            found.append(_resolve(name, m, plan_year))
            clause = _blank(clause, m)
    return sorted(found, key=lambda f: f.start)


def _clause_deadline(clause: str, plan_year: int) -> tuple[str, dt.date | None] | None:
    """Kind and due date of one clause; None when it says nothing about time."""
    if _TRIGGER.match(clause):
        return ("event", None)
    found = _dated(clause, plan_year)
    if any(f.due is None for f in found):
        return ("unknown", None)
    if _ONGOING.search(clause):
        due = found[0].due if found else _day(plan_year, 12)
        return ("recurring", _day(due.year, 12) if due else None)
    # Within a clause a year is context for a more precise expression ("trong năm 2026, trước
    # 30/6"); across clauses the first one wins.
    precise = [f for f in found if f.kind != "year"]
    if precise:
        return (precise[0].kind, precise[0].due)
    if _RECURRING.search(clause):
        # "Báo cáo hàng quý năm 2027": recurring until the end of the year named.
        due = found[0].due if found else _day(plan_year, 12)
        return ("recurring", due) if due else ("unknown", None)
    if found:
        return ("year", found[0].due)
    if _EVENT.search(clause):
        return ("event", None)
    return None


def _without_documents(text: str) -> str:
    """``text`` folded, the references to documents blanked (their dates are when they were signed)."""
    folded = strip_marks(text)
    # Blank document references using the original capitals; positions line up with ``folded``.
    for m in _DOCUMENT.finditer(text):
        folded = _blank(folded, m)
    return folded


def _relative_years(folded: str, plan_year: int) -> str:
    """"năm liền kề" as the year after the plan year, "năm trước liền kề" as the year before."""
    def year(m: re.Match[str]) -> str:
        back = m["rel"] in ("truoc lien ke", "lien truoc")
        return f"nam {plan_year - 1 if back else plan_year + 1}"
    return _RELATIVE_YEAR.sub(year, folded)


def _parse_text(text: str, plan_year: int) -> tuple[str, dt.date | None]:
    folded = _relative_years(_without_documents(text), plan_year)
    results = [r for c in _CLAUSE_SPLIT.split(folded) if (r := _clause_deadline(c, plan_year))]
    kinds = [kind for kind, _ in results]
    # An impossible date ("31/2/2026") is a typo to fix, whatever else the text says.
    if "unknown" in kinds:
        return ("unknown", None)
    for wanted in (_SPECIFIC_KINDS, {"recurring"}, {"event"}):
        for kind, due in results:
            if kind in wanted:
                return (kind, due)
    return ("unknown", None)


def parse_deadline(value: object, plan_year: int) -> Deadline:
    """Resolve a "Thời hạn hoàn thành" cell to a due date and a kind (SPEC §2.2).

    ``value`` is the cell: text, a date or datetime (kind "date", that day), empty ("missing").
    Text is read day first ("5-2-2026" is 5 February); a missing year is ``plan_year``:
    "30/4/2026" → date; "Tháng 11/2023" → month end; "Quý IV/2026" → quarter end;
    "6 tháng đầu năm", "giữa năm 2026" → 30/6 (period); "Trong năm 2022", "cuối năm" → 31/12
    (year); "Nhiệm vụ thường xuyên", "Báo cáo hàng quý năm 2027" → 31/12 (recurring);
    "Theo yêu cầu …", "Khi …", "Sau khi …" → no date (event); anything else, including
    impossible dates such as "31/2/2026", → unknown. With several expressions the first dated
    one wins ("Quý I/2023; báo cáo hàng tháng" → quarter). Dates of cited documents
    ("số 30/KH-UBND ngày 29/01/2026") are ignored.
    """
    if isinstance(value, dt.datetime):
        return Deadline(value.date(), "date", clean_text(value))
    if isinstance(value, dt.date):
        return Deadline(value, "date", clean_text(value))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _number_deadline(value)
    return _text_deadline(clean_text(value), plan_year)


@lru_cache(maxsize=4096)  # departments repeat deadlines ("Quý IV/2026"): one Deadline per text
def _text_deadline(text: str, plan_year: int) -> Deadline:
    text = " ".join(text.split())
    if not text:
        return Deadline(None, "missing", "")
    kind, due = _parse_text(text, plan_year)
    return Deadline(due, kind, text)


def _number_deadline(value: float) -> Deadline:
    """A number in a deadline cell: a year ("2026"), or a date cell that lost its date format."""
    text = clean_text(value)
    if _FIRST_YEAR <= value <= _LAST_YEAR and value == int(value):
        return Deadline(dt.date(int(value), 12, 31), "year", text)
    if _FIRST_SERIAL <= value < _LAST_SERIAL + 1:
        # The fraction of a serial number is the time of day.
        return Deadline(_EXCEL_EPOCH + dt.timedelta(days=int(value)), "date", text)
    return Deadline(None, "unknown", text)


# Words that put a deadline inside a sentence: "… báo cáo UBND tỉnh trước ngày 10/5/2026", "trong
# tháng 5 năm 2026", "chậm nhất ngày 15/11/2026".
_DEADLINE_WORDS = re.compile(
    r"\b(?:truoc|cham nhat(?: la)?|han chot|hoan thanh trong|xong truoc|trong|den het|den)\s+(?:ngay|thang|quy|nua)\b"
)
_CLAUSE_END = re.compile(r"[;,:]|\.(?:\s|$)|\s[-–]\s")
# Kinds that name a time within the plan year: a whole year is the plan's own span.
DATED_KINDS = frozenset({"date", "month", "quarter", "period"})


def find_deadline(text: str, plan_year: int) -> str:
    """The deadline a sentence states in passing, as written ("Trước ngày 10/5/2026", "Trước ngày
    05 của tháng liền kề"), or "".

    Only a day, month, quarter or half-year, or a recurring day, counts ("trong năm 2026" is the
    plan's own span), and never the date of a document the sentence cites.
    """
    text = clean_text(text)
    folded = _without_documents(text)
    if "lien" in strip_marks(text):
        folded = _relative_years(folded, plan_year)
    if len(folded) != len(text):
        return ""
    for m in _DEADLINE_WORDS.finditer(folded):
        end = _CLAUSE_END.search(folded, m.end())
        clause = folded[m.start(): end.start() if end else len(folded)]
        found = _clause_deadline(clause, plan_year)
        if found is not None and (found[0] in DATED_KINDS or found[0] == "recurring"):
            phrase = text[m.start(): m.start() + len(clause)].strip()
            return phrase[:1].upper() + phrase[1:]
    return ""
