"""A workbook file as the book one run reads and writes (see :class:`sheetkpi.api.Book`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from ..reading import WorkbookData
from ..writes import SheetWrites
from .apply import apply_plan
from .reader import read_workbook

if TYPE_CHECKING:
    from .package import Package


class FileBook:
    """A workbook file opened for one run: its grids read through python-calamine, its writes
    applied to the lossless package (saved by the caller, with its backup and lock)."""

    def __init__(self, path: Path, package: Package, progress: Callable[[str, int, int], None] | None = None):
        self.path = path
        self.package = package
        self.progress = progress

    def read(self) -> WorkbookData:
        return read_workbook(self.path, self.package, progress=self.progress)

    def apply(self, writes: Iterable[SheetWrites]) -> int:
        return apply_plan(self.package, writes)
