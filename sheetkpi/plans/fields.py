"""How plans label and number what they say: "Thời hạn hoàn thành: …", "a) …", "III. …", targets.

Shared by the body and table readers, so that a label, a numbering or a target reads the same
wherever it is.
"""

from __future__ import annotations

import re

from ..parsing.numbers import Target, format_vn, parse_target
from ..parsing.text import strip_marks

# Labels of a task's fields, without diacritics, longest first so that "Sản phẩm đầu ra" is not
# read as "Đầu ra". "goal" is a criterion's "Mục tiêu, yêu cầu"; "solutions" is read and left out
# (the how of a task, not the what); "assignment" groups lead and partners ("Phân công trách nhiệm",
# "Cơ quan chủ trì, phối hợp"); "content" introduces the tasks of a group ("Nội dung, biện pháp").
LABELS: dict[str, tuple[str, ...]] = {
    "output": ("san pham dau ra", "dau ra", "ket qua/san pham", "san pham/ket qua", "san pham"),
    "goal": ("muc tieu, yeu cau", "muc tieu"),
    "deadline": (
        "thoi gian thuc hien/hoan thanh", "thoi gian hoan thanh", "thoi gian hoan tat", "thoi gian thuc hien",
        "thoi han hoan thanh", "han hoan thanh", "thoi han", "tien do thuc hien", "tien do hoan thanh",
    ),
    "partners": (
        "phoi hop/thuc hien", "don vi phoi hop thuc hien", "co quan phoi hop thuc hien", "don vi phoi hop",
        "co quan phoi hop", "phoi hop", "don vi thuc hien",
    ),
    "lead": (
        "don vi chu tri thuc hien", "co quan chu tri thuc hien", "don vi phu trach", "co quan phu trach",
        "don vi chu tri", "co quan chu tri", "chu tri thuc hien", "chu tri",
    ),
    "assignment": (
        "co quan chu tri, phoi hop", "don vi chu tri, phoi hop", "co quan chu tri, thuc hien",
        "phan cong trach nhiem", "phan cong thuc hien",
    ),
    "solutions": ("nhiem vu, giai phap",),
    "content": ("noi dung, bien phap", "noi dung thuc hien"),
}
_FIELD_OF = {label: f for f, labels in LABELS.items() for label in labels}
_ALTERNATIVES = "|".join(re.escape(label) for label in sorted(_FIELD_OF, key=len, reverse=True))
_AT_START = re.compile(rf"^(?:[a-zđ]\)\s*)?({_ALTERNATIVES})\s*:\s*")
_ALONE = re.compile(rf"^(?:[a-zđ]\)\s*)?({_ALTERNATIVES})\s*[:.]?$")
# Inside a sentence a label follows the end of a clause and starts with a capital.
_INLINE = re.compile(rf"(?:^|(?<=[.;:)]\s))({_ALTERNATIVES})\s*:\s*")

ROMAN = re.compile(r"^[IVXLC]+$")
NUMBER = re.compile(r"^\d{1,3}(?:\.\d{1,3})*\.?$")
SUB_ROW = frozenset("-–+*•")


def tidy(text: str, trailing: str = ".;:,") -> str:
    """Spaces collapsed and the given trailing punctuation removed."""
    return " ".join(text.split()).rstrip(trailing + " ").strip()


def labelled(text: str) -> tuple[str, str] | None:
    """("deadline", "Trong năm 2022.") for "d) Thời gian thực hiện/hoàn thành: Trong năm 2022.";
    ("lead", "") for a label alone ("a) Cơ quan chủ trì"), whose value is the lines under it."""
    folded = strip_marks(text)
    m = _AT_START.match(folded)
    if m:
        return _FIELD_OF[m.group(1)], text[m.end():].strip()
    m = _ALONE.match(folded.strip())
    return (_FIELD_OF[m.group(1)], "") if m else None


def split_labelled(text: str) -> tuple[str, dict[str, str]]:
    """Text before the first label, and each labelled field after it:
    "Giải ngân …: Đầu ra: Phần đầu … Hạn hoàn thành: 31/01/2027." →
    ("Giải ngân …:", {"output": "Phần đầu …", "deadline": "31/01/2027."})."""
    folded = strip_marks(text)
    found = [m for m in _INLINE.finditer(folded) if m.start() == 0 or text[m.start()].isupper()]
    if not found:
        return text, {}
    fields: dict[str, str] = {}
    for m, following in zip(found, [*found[1:], None]):
        value = text[m.end(): following.start() if following else len(text)].strip()
        field = _FIELD_OF[m.group(1)]
        fields[field] = f"{fields[field]} {value}".strip() if field in fields else value
    return text[: found[0].start()].strip(), fields


def target_text(target: Target) -> str:
    """A target as the "Chỉ tiêu kế hoạch" cell shows it, in a form the engine reads back the same:
    "≥ 508.619", "Không quá 5", "20 ÷ 25", "275.000"; a change against a baseline keeps the plan's
    words ("Tăng ít nhất 02% so với năm 2021")."""
    if target.kind == "at_least":
        return f"≥ {format_vn(target.low)}"
    if target.kind == "at_most":
        return f"Không quá {format_vn(target.high)}"
    if target.kind == "range":
        return f"{format_vn(target.low)} ÷ {format_vn(target.high)}"
    if target.kind == "exact":
        return format_vn(target.low)
    return tidy(target.text)


def numeric_target(text: str) -> tuple[str, str]:
    """(target, unit of measure) when ``text`` states a number to reach, else ("", "")."""
    target = parse_target(text) if text else None
    return (target_text(target), target.unit) if target else ("", "")
