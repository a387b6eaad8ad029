"""Workbooks as people print them: LibreOffice turns a recalculated workbook into a PDF, each page is
read back as text (``pdftotext -layout``) and as word boxes (``-bbox``) for the size the text prints
at. Shared by tests/test_pages.py and scripts/render_pages.py (the page images in docs/)."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from support import convert

# Times New Roman's box (ascent + descent) is 1.107 em: a word box 11.07 pt high is 10 pt text.
TIMES_BOX = 1.107


@dataclass
class Page:
    number: int
    text: str  # as laid out
    sizes: list[float]  # the printed size (pt) of each word

    @property
    def title(self) -> str:
        return next((line.strip() for line in self.text.splitlines() if line.strip()), "")

    @property
    def body_size(self) -> float:
        """The size most words print at."""
        rounded = [round(s, 1) for s in self.sizes]
        return max(set(rounded), key=rounded.count) if rounded else 0.0


def pdf_pages(workbook: Path, outdir: Path) -> tuple[Path, list[Page]]:
    """The workbook printed to PDF by LibreOffice, and its pages."""
    outdir.mkdir(parents=True, exist_ok=True)
    convert([workbook], "pdf", outdir)
    pdf = outdir / (workbook.stem + ".pdf")
    layout = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                            check=True).stdout.split("\f")
    boxes = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True,
                           check=True).stdout.split("<page ")[1:]
    pages = []
    for n, (text, box) in enumerate(zip(layout, boxes), start=1):
        found = re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)"', box)
        heights = [float(y2) - float(y1) for y1, y2 in found]
        pages.append(Page(n, text, [h / TIMES_BOX for h in heights]))
    return pdf, pages


def summary_pages(pages: list[Page]) -> list[Page]:
    """"Tổng hợp": its title block repeats on each of its pages."""
    return [p for p in pages if p.title.startswith("TỔNG HỢP KẾT QUẢ")]


def history_pages(pages: list[Page]) -> list[Page]:
    """"Lịch sử", the last sheet: from its title to the end."""
    first = next(p.number for p in pages if p.title.startswith("LỊCH SỬ"))
    return [p for p in pages[first - 1:] if p.text.strip()]


def unit_pages(pages: list[Page], name: str) -> list[Page]:
    """A unit tab: from the page naming the unit to the next unit's or "Tổng hợp"."""
    first = next(p.number for p in pages if f"Phòng/đơn vị: {name}" in p.text)
    out = [pages[first - 1]]
    for p in pages[first:]:
        if "Phòng/đơn vị: " in p.text or p.title.startswith("TỔNG HỢP KẾT QUẢ"):
            break
        out.append(p)
    return out


def two_months(folder: Path) -> Path:
    """The example recalculated for June, then for July after departments typed: KHĐT-01 90 → 95,
    XDMT-06 45 → 30 (a fall)."""
    import sheetkpi

    from badinputs import copy_example, set_cell_xml

    book = copy_example(folder)
    sheetkpi.recalc(book, as_of=dt.date(2026, 6, 25))
    set_cell_xml(book, "KHĐT", {"H5": (None, "<v>95</v>")})
    set_cell_xml(book, "XDMT", {"H10": (None, "<v>30</v>")})
    sheetkpi.recalc(book, as_of=dt.date(2026, 7, 25))
    return book


def first_run_of_a_year(folder: Path) -> Path:
    """The example with "Lịch sử" emptied below its header (bench/empty_history.py), recalculated
    for June: a row added there for each of its 32 KPIs."""
    import sys

    import sheetkpi

    from badinputs import copy_example

    source = copy_example(folder)
    book = folder / "dau-nam.xlsx"
    root = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, str(root / "bench" / "empty_history.py"), str(source), str(book)],
                   check=True, capture_output=True)
    sheetkpi.recalc(book, as_of=dt.date(2026, 6, 25))
    return book


def forty_units(folder: Path) -> Path:
    """A Board of 40 units with 4 KPIs each, recalculated: some late with long obstacles."""
    import sheetkpi
    from sheetkpi.workbook.builder import KpiSpec, UnitSpec, build_workbook, default_settings

    units = []
    for u in range(1, 41):
        kpis = [KpiSpec(code=f"P{u:02d}-{k}", title=f"Nhiệm vụ {k} của phòng chuyên môn số {u}", weight=25,
                        deadline=("30/4/2026" if k == 1 else "31/12/2026"), progress=(40 if k == 1 else 20 * k),
                        obstacles=("Chờ ý kiến thẩm định của Sở Tài chính và Sở Xây dựng về hồ sơ điều chỉnh "
                                   "dự án; đề xuất Lãnh đạo Ban có văn bản đôn đốc." if k == 1 else ""))
                for k in range(1, 5)]
        units.append(UnitSpec(f"P{u:02d}", f"Phòng chuyên môn số {u}", kpis))
    book = folder / "BangGiaoKPI-40.xlsx"
    settings = {**default_settings(2026), "agency": "BAN QUẢN LÝ KHU KINH TẾ", "report_date": dt.date(2026, 6, 25)}
    build_workbook(book, settings=settings, units=units)
    sheetkpi.recalc(book, as_of=dt.date(2026, 6, 25), keep_backup=False)
    return book


def page_images(pdf: Path, pages: list[Page], target: Path, stem: str) -> list[Path]:
    """PNG images (100 dpi) of ``pages`` of ``pdf`` as ``target/stem-N.png``."""
    target.mkdir(parents=True, exist_ok=True)
    out = []
    for i, page in enumerate(pages, start=1):
        prefix = target / f"{stem}-tmp"
        subprocess.run(["pdftoppm", "-r", "100", "-png", "-f", str(page.number), "-l", str(page.number),
                        "-singlefile", str(pdf), str(prefix)], check=True)
        final = target / f"{stem}-{i}.png"
        shutil.move(str(prefix) + ".png", final)
        out.append(final)
    return out
