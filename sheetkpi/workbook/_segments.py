"""The process that packs the lower rows of a big laid-out sheet ("Tổng hợp") while the first one
renders the upper rows (:meth:`sheetkpi.workbook.parallel.SheetRenderer.segments`). It imports the
sheet editor and the zip writer, no more: it lives beside the first process at its fullest."""

from __future__ import annotations

import sys
import zipfile

from ._pipes import answers, receive, send
from ._sheetxml import new_rows
from ._zip import Deflater, PackStream


def serve_segments() -> None:
    """The process of :meth:`SheetRenderer.segments`: pack the rows it is sent, chunk by chunk (a
    tuple each, then the part's name), as :func:`_zip.pack_segment` packs what the sheet editor
    writes for them, until told to stop."""
    asks, out = sys.stdin.buffer, answers()
    deflater = Deflater()  # (deflating while the next rows render)
    try:
        while (message := receive(asks)) is not None:
            stream: PackStream | None = PackStream(deflater, zipfile.ZIP_DEFLATED, segment=True)
            while isinstance(message, tuple):
                part, rows, heights = message
                del message
                try:
                    for piece in new_rows(rows, heights, part) if stream is not None else ():
                        stream.write(piece)
                except Exception:
                    stream = None  # packed by the first process instead; the rest of its rows read
                del rows, heights
                message = receive(asks)
            try:
                packed = stream.close().packed() if stream is not None else None
            except Exception:
                packed = None
            send(out, packed)
    except (EOFError, OSError):
        return  # the first process has gone
