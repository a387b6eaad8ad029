"""The short codes that name the tabs of units, and unit names as the plan spells them.

The tab of a unit is named by a short code: the prefix of the plan's own KPI codes when it has them
("KHĐT-01" → "KHĐT"), else the initials of the name, the way Vietnamese offices abbreviate ("Kế
hoạch và Đầu tư" → "KHĐT"). What is a unit's name at all is told by units.py.
"""

from __future__ import annotations

import re

from ..parsing.text import fold, strip_marks

MAX_CODE = 10
# Words left out of initials: "Phòng" before a name, conjunctions and prepositions.
_SKIPPED = frozenset({"va", "cac", "cua", "voi"})
# What follows these describes where the unit is, not what it is ("Văn phòng đại diện tại KKT …").
_QUALIFIER = re.compile(r"\s+(?:tại|thuộc)\s+|\s*[,(;:]")
_NUMBERING = re.compile(r"^(?:\d+(?:\.\d+)*|[IVXLC]+|[A-ZĐ])[.)]\s+")
# A Vietnamese syllable: initial consonant, vowels, final consonant. A capitalised word that is not
# one ("KKT", "XTĐT", "CƯDV", "PTHT") is an abbreviation and is kept whole in a code.
_SYLLABLE = re.compile(r"(?:ngh|ng|gh|gi|kh|nh|ph|qu|th|tr|ch|[bcdghklmnpqrstvx])?[aeiouy]{1,3}(?:ng|nh|ch|[cmnpt])?")


def heading_text(text: str) -> str:
    """A heading without its numbering and closing colon: "4. Văn phòng:" → "Văn phòng"."""
    return _NUMBERING.sub("", text).strip().rstrip(":").strip()


def is_upper(text: str) -> bool:
    """Written in capitals, as unit and section rows of plan tables are."""
    return any(c.isalpha() for c in text) and text == text.upper()


def letter(c: str) -> str:
    """A letter as it appears in a code: capital, without diacritics, except "Đ" which is a letter."""
    return "Đ" if c in "đĐ" else strip_marks(c).upper()


def _is_abbreviation(word: str) -> bool:
    letters = "".join(c for c in word if c.isalpha())
    return len(letters) >= 2 and word == word.upper() and not _SYLLABLE.fullmatch(fold(letters))


def unit_code(name: str) -> str:
    """Initials of a unit's name, abbreviations kept whole when that fits in MAX_CODE letters:
    "Phòng Kế hoạch và Đầu tư" → "KHĐT", "Công ty PTHT Khu kinh tế" → "CTPTHTKKT",
    "VĂN PHÒNG ĐẠI DIỆN TẠI KKT CKQT CẦU TREO" → "VPĐD"."""
    cut = _QUALIFIER.search(name.lower())
    words = (name[: cut.start()] if cut else name).split()
    if len(words) > 1 and fold(words[0]) == "phong":
        words = words[1:]
    words = [w for w in words if fold(w) not in _SKIPPED and any(c.isalnum() for c in w)]
    initials = ["".join(letter(c) for c in w if c.isalnum())[:1] for w in words]
    whole = "".join(
        "".join(letter(c) for c in w if c.isalnum()) if _is_abbreviation(w) else i
        for w, i in zip(words, initials)
    )
    return (whole if len(whole) <= MAX_CODE else "".join(initials))[:MAX_CODE] or "DV"


def unique_code(code: str, taken: set[str]) -> str:
    """``code``, or ``code`` with a number appended, not in ``taken`` (compared folded)."""
    candidate, n = code, 1
    while fold(candidate) in taken:
        n += 1
        candidate = code[: MAX_CODE - len(str(n))] + str(n)
    return candidate


def mixed_case_name(name: str, lines: list[str]) -> str:
    """A name written in capitals in a table, as the plan spells it elsewhere in ordinary case
    ("PHÒNG QUẢN LÝ ĐẦU TƯ" → "Phòng Quản lý Đầu tư"); unchanged when the plan never does."""
    if not is_upper(name):
        return name
    key = strip_marks(" ".join(name.split()))
    for line in lines:
        plain = strip_marks(line)
        start = plain.find(key)
        while start >= 0:
            end = start + len(key)
            found = line[start:end]
            bounded = (start == 0 or not plain[start - 1].isalnum()) and (end == len(line) or not plain[end].isalnum())
            if bounded and not is_upper(found):
                return found
            start = plain.find(key, start + 1)
    return name
