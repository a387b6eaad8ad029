"""Numbers as Vietnamese people type them: progress and weight cells, indicator targets.

Vietnamese writes "2.500" for two thousand five hundred and "1,4" for one point four; Excel may
hand us a float, an int or that text, depending on how the cell was typed and formatted.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal
from functools import lru_cache
from typing import NamedTuple

from .text import clean_text, fold, strip_marks

PROGRESS_MISSING = "progress-missing"
PROGRESS_OUT_OF_RANGE = "progress-out-of-range"
PROGRESS_INVALID = "progress-invalid"
WEIGHT_INVALID = "weight-invalid"

_SIGNED = re.compile(r"([+-]?)(\d+(?:[.,]\d+)*)")
# "35 000": some people group thousands with (non-breaking) spaces.
_SPACE_GROUPED = re.compile(r"[+-]?\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:[.,]\d+)?")
_NUM = r"\d+(?:[.,]\d+)*"
_RANGE_SEP = r"\s*(?:÷|-|–|—|~|\bden\b|\btoi\b)\s*"
_RANGE = re.compile(rf"(?:tu\s+)?({_NUM})\s*%?{_RANGE_SEP}({_NUM})\s*%?")
_DONE_WORDS = frozenset({"hoan thanh", "da hoan thanh"})
_WEIGHT_UNIT = re.compile(r"\s*(?:diem|d)\.?$")
# Wide enough for any float with its decimals, so quantize never runs out of digits.
_DECIMAL_CONTEXT = Context(prec=400, rounding=ROUND_HALF_UP)


def _is_grouped(parts: list[str]) -> bool:
    return 1 <= len(parts[0]) <= 3 and all(len(p) == 3 for p in parts[1:])


def _unsigned(body: str) -> float | None:
    """Value of digits with "." and "," separators, or None when the grouping is impossible."""
    if "." in body and "," in body:
        decimal_sep = "," if body.rfind(",") > body.rfind(".") else "."
        group_sep = "." if decimal_sep == "," else ","
        whole, _, frac = body.rpartition(decimal_sep)
        if decimal_sep in whole or not _is_grouped(whole.split(group_sep)):
            return None
        return float(whole.replace(group_sep, "") + "." + frac)
    sep = "." if "." in body else "," if "," in body else None
    if sep is None:
        return float(body)
    parts = body.split(sep)
    if len(parts) > 2:
        return float("".join(parts)) if _is_grouped(parts) else None
    whole, frac = parts
    # A single dot before exactly three digits is a thousands group ("2.500", "508.619") unless
    # the whole part is 0 ("0.125"); a single comma is always the decimal comma ("1,4").
    if sep == "." and len(frac) == 3 and _is_grouped(parts) and not whole.startswith("0"):
        return float(whole + frac)
    return float(whole + "." + frac)


def _finite(value: int | float) -> float | None:
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def parse_vn_number(text: object) -> float | None:
    """Read a number written the Vietnamese way; None when ``text`` is not a plain number.

    "2.500" → 2500, "508.619" → 508619, "1,4" → 1.4, "1.234,5" → 1234.5, "12.5" → 12.5,
    " -5 " → -5. Ints and floats are returned as floats (None for NaN and infinities).
    """
    if isinstance(text, bool):
        return None
    if isinstance(text, (int, float)):
        return _finite(text)
    if not isinstance(text, str):
        return None
    s = clean_text(text).replace("\u2212", "-")
    if _SPACE_GROUPED.fullmatch(s):
        s = "".join(s.split())
    m = _SIGNED.fullmatch(s)
    if not m:
        return None
    value = _unsigned(m.group(2))
    if value is None or math.isinf(value):  # hundreds of digits overflow to infinity
        return None
    return -value if m.group(1) == "-" else value


def parse_vn_range(text: str) -> tuple[float, float] | None:
    """Read a range such as "35.000 ÷ 40.000", "20 – 25", "1,4 ÷ 1,6", "20-25", "từ 1 đến 2".

    Returns (low, high) with low <= high, or None when ``text`` is not exactly a range.
    """
    m = _RANGE.fullmatch(fold(text))
    if not m:
        return None
    a, b = parse_vn_number(m.group(1)), parse_vn_number(m.group(2))
    if a is None or b is None:
        return None
    return (min(a, b), max(a, b))


class ParsedNumber(NamedTuple):
    """A number read from a cell, with the issue code of what was wrong with it (None if nothing).

    (A named tuple: made for every weight and progress cell, several times quicker than a frozen dataclass.)"""

    value: float | None
    problem: str | None


def parse_progress(value: object, percent_format: bool = False) -> ParsedNumber:
    """Read a "% tiến độ" cell (SPEC §2.1) as a percentage on the 0–100 scale.

    A number is taken as is, ×100 when the cell has a percentage format (Excel stores 0.8 for
    80%). Text "80%", " 80 % ", "80,5" → 80 / 80.5, "Hoàn thành" → 100. Empty → 0 with
    ``progress-missing``; below 0 or above 100 → the value read with ``progress-out-of-range``
    (the caller clips it); anything else (other text, booleans, Excel errors such as "#REF!",
    dates) → None with ``progress-invalid``.
    """
    if value is None:
        return ParsedNumber(0.0, PROGRESS_MISSING)
    if isinstance(value, bool):
        return ParsedNumber(None, PROGRESS_INVALID)
    if isinstance(value, (int, float)):
        number = _finite(value)
        if number is not None and percent_format:
            # 0.07 * 100 is 7.000000000000001 in binary floating point; people typed 7%.
            number = _finite(round(number * 100, 9))
    elif isinstance(value, str):
        text = clean_text(value)
        if not text:
            return ParsedNumber(0.0, PROGRESS_MISSING)
        if fold(text) in _DONE_WORDS:
            return ParsedNumber(100.0, None)
        compact = "".join(text.split())
        number = parse_vn_number(compact.removesuffix("%"))
    else:
        number = None
    if number is None:
        return ParsedNumber(None, PROGRESS_INVALID)
    if not 0 <= number <= 100:
        return ParsedNumber(number, PROGRESS_OUT_OF_RANGE)
    return ParsedNumber(number, None)


def parse_weight(value: object, percent_format: bool = False) -> ParsedNumber:
    """Read a "Trọng số (điểm)" cell: a number, "20", "20 điểm", "20đ", "20,5", "20%".

    A number whose cell has a percentage format reads as people see it: 15 % (stored 0.15) is 15
    points. Empty cells, other text and booleans → None with ``weight-invalid`` (the SPEC makes no
    difference between empty and wrong); a number below 0 or above 100 (a unit's weights sum to
    100, so no single one can exceed it) → that number with ``weight-invalid``.
    """
    if isinstance(value, bool):
        number = None
    elif isinstance(value, (int, float)):
        number = _finite(value)
        if number is not None and percent_format:
            number = _finite(round(number * 100, 9))  # as parse_progress: 0.07 × 100 is not 7 in binary
    elif isinstance(value, str):
        number = parse_vn_number(_WEIGHT_UNIT.sub("", fold(value)).removesuffix("%").strip())
    else:
        number = None
    if number is None:
        return ParsedNumber(None, WEIGHT_INVALID)
    return ParsedNumber(number, WEIGHT_INVALID if not 0 <= number <= 100 else None)


@lru_cache(maxsize=1 << 16)  # a run formats the same few thousand figures again and again
def format_vn(x: float, decimals: int = 2, *, fixed: bool = False) -> str:
    """Format a number for people: "." groups thousands, "," marks decimals, no trailing zeros
    unless ``fixed`` (a column of figures shows the same decimals on every line).

    Rounds half up to ``decimals`` places, as Excel's ROUND does: 87.5 → "87,5",
    35000 → "35.000", 100.0 → "100", 12.245 → "12,25"; fixed: 53.1 → "53,10", 65 → "65,00".
    """
    exact = Decimal(x) if isinstance(x, int) else Decimal(repr(float(x)))
    if not exact.is_finite():
        raise ValueError(f"cannot format {x!r} for people")
    rounded = exact.quantize(Decimal(1).scaleb(-decimals), context=_DECIMAL_CONTEXT)
    whole, _, frac = f"{abs(rounded):f}".partition(".")
    if not fixed:
        frac = frac.rstrip("0")
    text = f"{int(whole):,}".replace(",", ".") + ("," + frac if frac else "")
    return "-" + text if rounded < 0 else text


TARGET_KINDS = ("at_least", "at_most", "range", "exact", "increase_pct", "decrease_pct")


@dataclass(frozen=True)
class Target:
    """A numeric indicator target read from a plan.

    ``kind`` is one of TARGET_KINDS. at_least has ``low``, at_most has ``high``, exact has both
    equal, range has both; increase_pct/decrease_pct hold the percentage change in ``low`` (and
    ``high`` for "tăng 2–3%"). ``unit`` is "%" or the words after the number ("tỷ đồng");
    ``text`` is what the plan says, which also keeps any baseline ("so với năm 2021").
    """

    kind: str
    low: float | None
    high: float | None
    unit: str
    text: str


# Numbers that are not quantities: dates, years and periods, document numbers, ISO standards,
# list markers. They are blanked out (same length, so positions still line up).
_NOT_QUANTITIES = re.compile(
    r"\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b"
    r"|\b(?:nam|giai doan|nhiem ky|thoi ky)\s+\d{4}(?:\s*[-–]\s*\d{4})?"
    r"|\b\d+(?:/\d+)*/[a-z]\S*"
    r"|\biso\s*\d+(?:[-:]\d+)?"
    r"|^\W*(?:\d+(?:\.\d+)*|[a-z])[.)]\s"
)
_PARENTHESIS = re.compile(r"\([^()]*\)|\([^()]*$")
_QUANTITY = re.compile(rf"(?<![\d.,])({_NUM})\s*(%)?(?:{_RANGE_SEP}({_NUM})\s*(%)?)?")
_BOUNDARY = re.compile(r"[;:()\n]|[,.](?!\d)")
# Leftmost match wins, so "không hơn" is read as a whole before "hơn" alone. "từ" folds like the
# "tư" of "đầu tư" ("vốn đầu tư 500 tỷ" is not "at least 500").
_QUALIFIER = re.compile(
    r"(?:\b(?:(?P<least>khong duoi|khong it hon|toi thieu|it nhat|(?<!dau )tu|tren|hon|vuot)"
    r"|(?P<most>khong qua|khong vuot qua|khong vuot|khong hon|khong tren|toi da|duoi|it hon))"
    r"|(?P<least_sign>≥|>=?)|(?P<most_sign>≤|<=?))\s*$"
)
_CHANGE = re.compile(r"\b(?P<change>tang|giam)(?:\s+them)?\s*$")
# Matched from the quantity to the end of its clause: "… tỷ đồng trở lên".
_AFTER = re.compile(r".*?\btro\s+(?:(?P<least>len)|(?P<most>xuong))\b")
_UNIT_STOP = frozenset(
    "tro so tren duoi trong tai cua dat vao va den tu khoang nam co duoc dang theo de cho voi hoac thanh o la".split()
)
_UNIT_WORDS = 4


def _blank(text: str, pattern: re.Pattern[str]) -> str:
    return pattern.sub(lambda m: " " * len(m.group()), text)


def _unit(original: str) -> str:
    words = []
    for word in original.split():
        if fold(word) in _UNIT_STOP or len(words) == _UNIT_WORDS:
            break
        words.append(word)
    return " ".join(words)


def _first_target(text: str, folded: str) -> Target | None:
    for m in _QUANTITY.finditer(folded):
        a = parse_vn_number(m.group(1))
        b = parse_vn_number(m.group(3)) if m.group(3) else None
        if a is None or (m.group(3) and b is None):
            continue
        starts = [0, *(bm.end() for bm in _BOUNDARY.finditer(folded, 0, m.start()))]
        before = folded[starts[-1]:m.start()]
        end_m = _BOUNDARY.search(folded, m.end())
        end = end_m.start() if end_m else len(folded)
        percent = bool(m.group(2) or m.group(4))
        unit = "%" if percent else _unit(text[m.end():end])

        qualifier = _QUALIFIER.search(before)
        change = _CHANGE.search(before[: qualifier.start()] if qualifier else before)
        after = _AFTER.match(folded, m.end(), end)
        least = (bool(qualifier and (qualifier.group("least") or qualifier.group("least_sign")))
                 or bool(after and after.group("least")))
        most = (bool(qualifier and (qualifier.group("most") or qualifier.group("most_sign")))
                or bool(after and after.group("most")))
        if change and percent:
            kind = "increase_pct" if change.group("change") == "tang" else "decrease_pct"
            return Target(kind, a, b, unit, text)
        if b is not None:
            return Target("range", min(a, b), max(a, b), unit, text)
        if least:
            return Target("at_least", a, None, unit, text)
        if most:
            return Target("at_most", None, a, unit, text)
        return Target("exact", a, a, unit, text)
    return None


def parse_target(text: str) -> Target | None:
    """Read the numeric target of an indicator as plans write it; None when there is no number.

    "Doanh thu từ 508.619 tỷ đồng trở lên" → at_least 508619 "tỷ đồng"; "khoảng 275.000 lao
    động" → exact; "20 – 25 dự án" → range; "tối thiểu 80%", "trên 95%", "không quá 5%" →
    at_least / at_most; "Tăng ít nhất 02% so với năm 2021" → increase_pct 2. The first quantity
    outside parentheses wins (a bracketed "(tổng giai đoạn khoảng …)" is commentary), then the
    first inside them; years, dates and document numbers are not quantities.
    """
    original = " ".join(clean_text(text).split())
    folded = _blank(strip_marks(original), _NOT_QUANTITIES)
    outside = folded
    while (bare := _blank(outside, _PARENTHESIS)) != outside:
        outside = bare
    return _first_target(original, outside) or _first_target(original, folded)


def indicator_progress(target: Target, actual: float, baseline: float | None = None) -> float | None:
    """Percentage progress of an indicator towards its target; above 100 means over-achieved.

    at_least / exact / range: 100 × actual / low. at_most: 100 while actual ≤ high, then
    100 × high / actual. increase_pct / decrease_pct: the change achieved since ``baseline``,
    as a share of the change targeted. None when it cannot be computed (no positive target,
    no baseline for a change). Never below 0: going backwards is no progress.
    """
    actual_value = _finite(actual)
    if actual_value is None:
        return None
    if target.kind in ("at_least", "exact", "range"):
        progress = _share(actual_value, target.low)
    elif target.kind == "at_most":
        if target.high is None or target.high < 0:
            return None
        progress = 100.0 if actual_value <= target.high else 100 * target.high / actual_value
    elif target.kind in ("increase_pct", "decrease_pct"):
        base = None if baseline is None else _finite(baseline)
        if not base:
            return None
        change = 100 * (actual_value - base) / abs(base)
        progress = _share(change if target.kind == "increase_pct" else -change, target.low)
    else:
        return None
    return None if progress is None else max(0.0, progress)


def _share(achieved: float, goal: float | None) -> float | None:
    if goal is None or goal <= 0:
        return None
    return 100 * achieved / goal


_FORMAT_LITERALS = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]|_.|\*.')


def is_percent_format(code: str | None) -> bool:
    """Whether an Excel number format shows the value × 100 with "%" (``0%``, ``0.0%``).

    A "%" that is only quoted or escaped text (``0"%"``, ``0\\%``) shows the stored number as it is.
    """
    return bool(code) and "%" in _FORMAT_LITERALS.sub("", code)


def is_date_format(code: str | None) -> bool:
    """Whether an Excel number format shows a date (``dd/mm/yyyy``, ``d-mmm-yy``, ``mm-dd-yy h:mm``):
    a day or a year outside quoted text and brackets. "General", numbers, "@" and times are not."""
    return bool(code) and re.search(r"[dDyY]", _FORMAT_LITERALS.sub("", code)) is not None
