"""A1-style cell addresses."""

from __future__ import annotations

import re

_A1 = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")


def column_letter(col: int) -> str:
    """1 -> "A", 27 -> "AA"."""
    letters = ""
    while col > 0:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_index(letters: str) -> int:
    """"A" -> 1, "AA" -> 27."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def address(row: int, col: int) -> str:
    """(7, 5) -> "E7"."""
    return f"{column_letter(col)}{row}"


def parse_address(ref: str) -> tuple[int, int]:
    """"E7" -> (7, 5)."""
    m = _A1.match(ref.strip())
    if not m:
        raise ValueError(f"not a cell address: {ref!r}")
    return int(m.group(2)), column_index(m.group(1))
