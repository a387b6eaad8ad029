"""A1-style cell addresses (shared by the reader and the package writer)."""

from __future__ import annotations

import re
from functools import lru_cache

_CELL = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]+)")


@lru_cache(maxsize=4096)
def col_letter(col: int) -> str:
    """1 -> "A", 28 -> "AB"."""
    letters = ""
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@lru_cache(maxsize=4096)
def col_index(letters: str) -> int:
    """"A" -> 1, "ab" -> 28."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def address(row: int, col: int) -> str:
    """(7, 5) -> "E7"."""
    return f"{col_letter(col)}{row}"


_RANGE = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]+)(?::\$?([A-Za-z]{1,3})\$?([0-9]+))?")


def parse_range(ref: str) -> tuple[int, int, int, int]:
    """"A5:D9" -> (5, 1, 9, 4); a single cell "B2" -> (2, 2, 2, 2); "$A$5" too. Corners are normalised."""
    m = _RANGE.fullmatch(ref.strip())
    r1 = int(m.group(2)) if m else 0
    r2 = int(m.group(4)) if m and m.group(4) else r1
    if r1 < 1 or r2 < 1:
        raise ValueError(f"not an A1 reference: {ref!r}")
    c1 = col_index(m.group(1))
    c2 = col_index(m.group(3)) if m.group(3) else c1
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)
