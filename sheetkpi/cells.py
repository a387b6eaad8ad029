"""A1-style cell addresses (shared by the reader and the package writer)."""

from __future__ import annotations

import re
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from itertools import islice
from operator import and_, eq, le

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


def row_index(rows: Sequence[int], row: object) -> int:
    """Where ``row`` is in ``rows`` (row numbers, rising), or -1."""
    at = bisect_left(rows, row) if type(row) is int else len(rows)
    return at if at < len(rows) and rows[at] == row else -1


def parse_range(ref: str) -> tuple[int, int, int, int]:
    """"A5:D9" -> (5, 1, 9, 4); a single cell "B2" -> (2, 2, 2, 2); "$A$5" too. Corners are normalised."""
    m = _RANGE.fullmatch(ref)  # as written nearly always: one match
    if m:
        corners = [(int(m.group(2)), col_index(m.group(1)))]
        if m.group(3):
            corners.append((int(m.group(4)), col_index(m.group(3))))
    else:  # spaces around the parts, more than two parts: each part read alone, first and last kept
        corners = []
        for part in ref.split(":"):
            c = _CELL.fullmatch(part.strip())
            if not c:
                raise ValueError(f"not an A1 reference: {ref!r}")
            corners.append((int(c.group(2)), col_index(c.group(1))))
    if any(r < 1 for r, _ in corners):
        raise ValueError(f"not an A1 reference: {ref!r}")
    (r1, c1), (r2, c2) = corners[0], corners[-1]
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


Area = tuple[int, int, int, int]  # (first row, first column, last row, last column), 1-based


class Areas:
    """A list of areas, 16 bytes each: "Tổng hợp" merges the cells of 200,000 areas at 100,000
    KPIs, which as tuples took 80 bytes each. Rows that merge the same columns one after the other
    (a list's rows: :meth:`add_rows`) are kept as one band, a few bytes for the lot."""

    __slots__ = ("_corners", "_bands")

    def __init__(self, areas: Iterable[Area] = ()) -> None:
        self._corners = array("I")  # rows and columns fit 32 bits
        # (areas of _corners before it, first row, last row, ((first column, last column), ...))
        self._bands: list[tuple[int, int, int, tuple[tuple[int, int], ...]]] = []
        self.extend(areas)

    def append(self, area: Area) -> None:
        self._corners.extend(area)

    def add_rows(self, first: int, last: int, spans: Sequence[tuple[int, int]]) -> None:
        """Each of ``spans`` (first column, last column) merged on each row from ``first`` to
        ``last``: as many areas, row by row, as appending them one by one would give."""
        spans = tuple(spans)
        array("I", (first, last, *(c for span in spans for c in span)))  # (refused as append refuses them)
        if first <= last and spans:
            self._bands.append((len(self._corners) // 4, first, last, spans))

    def extend(self, areas: Iterable[Area]) -> None:
        if isinstance(areas, Areas):
            before = len(self._corners) // 4
            self._corners.extend(areas._corners)
            self._bands += [(at + before, *band) for at, *band in areas._bands]
            return
        for area in areas:
            self._corners.extend(area)

    def all_within(self, max_row: int, max_col: int) -> bool:
        """Whether every area has its corners in order, in 1..``max_row`` × 1..``max_col``, and two
        cells or more: checked column by column, not area by area ("Tổng hợp"'s 200,000 merges at
        100,000 KPIs took a third of a second one by one)."""
        corners = self._corners
        for _, first, last, spans in self._bands:
            if not (1 <= first <= last <= max_row and all(1 <= c1 < c2 <= max_col for c1, c2 in spans)):
                return False
        if not corners:
            return True
        r1, c1, r2, c2 = corners[0::4], corners[1::4], corners[2::4], corners[3::4]
        return (min(r1) >= 1 and min(c1) >= 1 and max(r2) <= max_row and max(c2) <= max_col
                and all(map(le, r1, r2)) and all(map(le, c1, c2))
                and not any(map(and_, map(eq, r1, r2), map(eq, c1, c2))))

    def __iter__(self) -> Iterator[Area]:
        corners = iter(self._corners)
        alone = zip(corners, corners, corners, corners)
        done = 0
        for at, first, last, spans in self._bands:
            yield from islice(alone, at - done)
            done = at
            for row in range(first, last + 1):
                for c1, c2 in spans:
                    yield row, c1, row, c2
        yield from alone

    def __len__(self) -> int:
        return len(self._corners) // 4 + sum((last - first + 1) * len(spans) for _, first, last, spans in self._bands)

    def __bool__(self) -> bool:
        return bool(self._corners) or bool(self._bands)

    def __eq__(self, other: object) -> bool:
        return list(self) == list(other) if isinstance(other, (Areas, list, tuple)) else NotImplemented

    def __repr__(self) -> str:
        return f"Areas({list(self)!r})"
