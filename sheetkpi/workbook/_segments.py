"""The lower rows of a big sheet sheetkpi lays out whole ("Tổng hợp"), rendered and packed on
their own (:func:`splits`): here, or by a process of their own
while the first one renders the upper rows (:meth:`sheetkpi.workbook.parallel.SheetRenderer.segments`,
which runs :func:`serve_segments`). Whichever does it renders the rows in the same slices
(:func:`chunks`), so the pieces, hence the bytes, are the same. The module imports the sheet editor
and the zip writer, no more: the process lives beside the first one at its fullest."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Mapping
from itertools import chain

from ._pipes import answers, receive, send
from ._sheetxml import Runs, new_rows
from ._zip import Deflater, Packed, pack_segment

# A sheet sheetkpi lays out whole with this many rows or more ("Tổng hợp": 57,000 at 100,000 KPIs)
# has its lower rows rendered and packed on their own (see Package._render_sheet).
MIN_ROWS = 20_000
SHARE = 0.4  # of the rows, the lower ones (0.4 and 0.5 alike in time, 0.4 a few MiB less together)
CHUNK_ROWS = 500  # rows rendered by one editor, and sent to the other process at a time


def splits(row_count: int) -> bool:
    """Whether a laid-out sheet of ``row_count`` rows has its lower rows packed on their own."""
    return row_count >= MIN_ROWS


def chunks(rows: dict[int, Runs], heights: Mapping[int, float]) -> Iterator[tuple[dict[int, Runs], dict[int, float]]]:
    """``rows`` (in row order) and their heights (``heights``: of these rows and maybe others) in
    the slices every packer renders them in."""
    numbers = list(rows)
    for i in range(0, len(numbers), CHUNK_ROWS):
        chunk = {row: rows[row] for row in numbers[i:i + CHUNK_ROWS]}
        yield chunk, {row: heights[row] for row in chunk if row in heights}


def pack_rows(slices: Iterable[tuple[dict[int, Runs], dict[int, float]]], part: str,
              deflater: Deflater | None = None) -> Packed:
    """The rows of ``slices`` (see :func:`chunks`) as a segment of ``part``: each slice rendered
    alone (:func:`_sheetxml.new_rows`), the whole deflated apart (:func:`_zip.pack_segment`)."""
    return pack_segment(chain.from_iterable(new_rows(rows, heights, part) for rows, heights in slices), deflater)


def serve_segments() -> None:
    """The process of :meth:`SheetRenderer.segments`: for each segment it is sent — ("start",
    part), ("rows", rows, heights) per slice, ("end",) — the segment packed, or None when it could
    not (then it ends: the first process packs it); until its input ends, a None comes, or the
    first process ends it (as it does once it has its answer)."""
    asks, out = sys.stdin.buffer, answers()
    deflater = Deflater()  # (deflating while the next rows render)

    def sent() -> Iterator[tuple[dict[int, Runs], dict[int, float]]]:
        while (message := receive(asks))[0] == "rows":
            yield message[1], message[2]

    while True:
        try:
            if (message := receive(asks)) is None:
                return
            packed = pack_rows(sent(), message[1], deflater)
        except (EOFError, OSError):
            return  # the first process has gone
        except Exception:
            packed = None
        send(out, packed)
        if packed is None:
            return
