"""Text normalisation for cells typed by people: NFC, matching keys, legacy-encoding detection."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

# Word and web pages paste these invisible characters into cells; they break matching.
_INVISIBLE_CHARS = "\u200b\u200c\u200d\u2060\ufeff"
_INVISIBLE = dict.fromkeys(map(ord, _INVISIBLE_CHARS))
_HAS_INVISIBLE = re.compile(f"[{_INVISIBLE_CHARS}]")
_OPEN_PAREN = re.compile(r"\s*\(\s*")
_CLOSE_PAREN = re.compile(r"\s*\)")


# Characters no output may carry: C0 controls but tab and line breaks (XML 1.0 cannot hold them, a
# terminal or mail client would act on ESC), and the two non-characters.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def without_controls(text: str) -> str:
    """``text`` as every output shows it: control characters removed, line breaks as "\\n"."""
    if text.isprintable():
        return text
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def nfc(s: str) -> str:
    """Return ``s`` in Unicode normal form C (composed), the form Vietnamese text is compared in."""
    return unicodedata.normalize("NFC", s)


@lru_cache(maxsize=4096)  # the findings of 100,000 KPIs name a few hundred dates: one text each, not a million
def format_date(d: dt.date) -> str:
    """Format a date the Vietnamese way, day first with leading zeros: ``30/06/2026``."""
    return f"{d.day:02d}/{d.month:02d}/{d.year:04d}"


def clean_text(value: object) -> str:
    """Render a cell value as the text people see: ``None`` → "", ``12.0`` → "12", NFC, stripped.

    Dates come out as dd/mm/yyyy (a time of day is kept only when it is not midnight) and
    booleans as Excel shows them, TRUE/FALSE.
    """
    if type(value) is str:  # most cells: tested first
        return _clean_str(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        day = format_date(value)
        return day if value.time() == dt.time() else f"{day} {value:%H:%M}"
    if isinstance(value, dt.date):
        return format_date(value)
    return _clean_str(str(value))


def _clean_str(s: str) -> str:
    # A new string only when the text changes (str.translate always makes one): ASCII text is NFC
    # and has no invisible character; normalize() and strip() return the text itself when it is
    # NFC and has nothing to strip. Invisible characters are not printable: isprintable() is the
    # quicker test, the search runs only when it fails (line breaks, for one, are not printable).
    # They go before NFC composes: "i\u200b\u0323" is "ị" once the space between is gone, and a
    # cleaned text cleaned again must not change (readers cache texts by both forms).
    if not s.isascii():
        if not s.isprintable() and _HAS_INVISIBLE.search(s):
            s = s.translate(_INVISIBLE)
        s = unicodedata.normalize("NFC", s)
    return s.strip()


class _CharFold(dict):
    """str.translate table built as characters are met: each one to its lowercase base letter."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        base = "".join(c for c in unicodedata.normalize("NFD", ch.lower()) if not unicodedata.combining(c))
        base = base.replace("đ", "d")
        # Exactly one character out for one in, so positions line up with the original text.
        self[code] = folded = base if len(base) == 1 else ch
        return folded


_CHAR_FOLD = _CharFold()


def strip_marks(s: str) -> str:
    """Lowercase ``s`` and drop Vietnamese diacritics (đ → d) character by character.

    The result has exactly the length of ``s``, so a match found in it is at the same place in
    ``s`` (used to read units and labels back with their diacritics). Pass NFC text: a combining
    mark that is not part of a composed character is kept as it is.
    """
    return s.translate(_CHAR_FOLD)


def fold(value: object) -> str:
    """Key for matching headers and labels regardless of case, diacritics and spacing.

    NFC, lowercase, no diacritics, every run of whitespace (line breaks, NBSP) becomes one space,
    one space before "(" and none inside the parentheses, trailing ":" removed:
    ``fold("Trọng số\\n(điểm)") == fold("trong so (diem)") == "trong so (diem)"``.
    """
    plain = strip_marks(clean_text(value))
    if not plain.isascii():  # Vietnamese letters are ASCII once their marks are stripped
        plain = "".join(c for c in plain if not unicodedata.category(c).startswith("M"))
    spaced = " ".join(plain.split())
    if "(" in spaced:  # the substitutions only when they can apply: fold runs on every code
        spaced = _OPEN_PAREN.sub(" (", spaced)
    if ")" in spaced:
        spaced = _CLOSE_PAREN.sub(")", spaced)
    return spaced.strip().rstrip(": ")


# TCVN3 (ABC) fonts put Vietnamese letters at the Latin-1 punctuation code points: "Hoµn thµnh",
# "§iÒu", "B¸o c¸o". Quotes and the degree sign are left out: they occur in ordinary text.
_TCVN3_SIGNS = frozenset(map(chr, range(0xA1, 0xC0))) - frozenset("«»°")
# Latin-1 letters that Vietnamese never uses; VNI text read as Unicode is full of them
# ("Hoaøn thaønh", "Ñoàng", "Vieät"). Foreign names have a few, hence the weaker weight.
_FOREIGN_LETTERS = frozenset("ÄÅÆÇËÎÏÐÑÖØÛÜÞßäåæçëîïñöøûüþÿ")
# VNI writes the sắc and ngã tones as "ù" and "õ" after the vowel ("yù", "xaõ"); in Unicode
# Vietnamese those letters never follow a vowel.
_VNI_TONES = frozenset("ùõÙÕ")
_VOWELS = frozenset("aeiouyAEIOUY")
# A text holding none of the characters looks_like_legacy_vn counts cannot look legacy-encoded, and
# most Unicode text holds none: the per-character count is then skipped. The pattern starts with one
# set of characters, which the regex engine scans for quickly (an alternation of two sets is tried
# at every position, 3-4 times slower): a sign, or a VNI tone right after a vowel.
_SIGNS = re.escape("".join(sorted(_TCVN3_SIGNS | _FOREIGN_LETTERS)))
_TONES = re.escape("".join(sorted(_VNI_TONES)))
_VOWEL_SET = re.escape("".join(sorted(_VOWELS)))
_LEGACY_HINT = re.compile(f"[{_SIGNS}{_TONES}](?:(?<=[{_SIGNS}])|(?<=[{_VOWEL_SET}][{_TONES}]))")


def _is_vietnamese_only(ch: str) -> bool:
    # Letters beyond Latin-1 (ă đ ĩ ũ ơ ư and the U+1EA0-U+1EF9 block) only occur in real Unicode text.
    return ch in "ăĂđĐĩĨũŨơƠưƯ" or "\u1ea0" <= ch <= "\u1ef9"


def looks_like_legacy_vn(s: str) -> bool:
    """Guess whether ``s`` is TCVN3 (ABC) or VNI-encoded Vietnamese that was read as Unicode.

    A heuristic used to warn people, never to convert: one TCVN3 sign next to a letter, or two
    VNI signs (Latin-1 letters Vietnamese does not use, "ù"/"õ" right after a vowel), more
    numerous than the letters only real Unicode Vietnamese has (ă, đ, ơ, ư, ạ, ế …).
    """
    s = nfc(s)
    if not _LEGACY_HINT.search(s):
        return False
    strong = weak = genuine = 0
    for i, ch in enumerate(s):
        if ch in _TCVN3_SIGNS:
            before = s[i - 1] if i else ""
            after = s[i + 1] if i + 1 < len(s) else ""
            strong += before.isalpha() or after.isalpha()
        elif ch in _FOREIGN_LETTERS or (ch in _VNI_TONES and i and s[i - 1] in _VOWELS):
            weak += 1
        elif _is_vietnamese_only(ch):
            genuine += 1
    return (strong >= 1 or weak >= 2) and strong + weak > genuine


def first_legacy_vn(texts: Sequence[str]) -> int | None:
    """The index of the first of ``texts`` that :func:`looks_like_legacy_vn`, or None.

    Most text shows no sign of a legacy encoding: one search over the texts joined by line breaks
    tells, and each text is looked at only when it finds one. (A line break composes with no mark
    and is no vowel: the joined text has a sign exactly where one of the texts has it.)
    """
    if not _LEGACY_HINT.search(nfc("\n".join(texts))):
        return None
    return next((i for i, text in enumerate(texts) if looks_like_legacy_vn(text)), None)


def excerpt(text: str, size: int = 70) -> str:
    """The start of a long text, on one line, for messages."""
    text = " ".join(text.split())
    return text if len(text) <= size else text[: size - 1].rstrip() + "…"
