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
        self._units: set[str] = set()  # the unit tabs read

    def read(self) -> WorkbookData:
        data = read_workbook(self.path, self.package, progress=self.progress)
        self._units = set(data.units)
        return data

    def apply(self, writes: Iterable[SheetWrites]) -> int:
        from . import parallel

        helper = None
        if self._units and self.package.has_styles and parallel.worth_it(self.package):
            # Unit tabs rendered by a second process too, while this one writes the others.
            helper = parallel.SheetRenderer(self.path, self._units)
        try:
            return apply_plan(self.package, writes, helper=helper)
        finally:
            if helper is not None:
                helper.close()
