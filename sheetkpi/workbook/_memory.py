"""Memory freed by the allocator given back to the system.

After a large sheet is rendered, glibc's allocator keeps the pages of the buffers it freed (the
sheet's XML, its rows) for later use: the process holds them while the next sheet, "Tổng hợp",
builds its own. ``malloc_trim`` returns the free pages at once (100,000 KPIs: 15–25 MiB at each
large sheet). Elsewhere (macOS, Windows, musl) nothing is done.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from functools import cache


@cache
def _trim():
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None


def give_back() -> None:
    """Return the memory the allocator holds free to the system, where it can."""
    trim = _trim()
    if trim is not None:
        trim(0)
