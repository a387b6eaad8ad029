"""A1-style cell addresses (shared by the reader and the package writer)."""

from __future__ import annotations

from functools import lru_cache


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
