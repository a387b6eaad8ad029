"""Print the pages leadership reads to PNG images in docs/pages/: "Tổng hợp" after two monthly runs
of the example (June, then July), its "Lịch sử", a unit tab, "Lịch sử" after the first run of a year
(a row added for every KPI), and "Tổng hợp" of a Board of 40 units.

    python scripts/render_pages.py        (needs LibreOffice and poppler's pdftoppm)
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from pages import (  # noqa: E402  (tests/ holds the shared helpers)
    first_run_of_a_year,
    forty_units,
    history_pages,
    page_images,
    pdf_pages,
    summary_pages,
    two_months,
    unit_pages,
)


def main() -> int:
    target = ROOT / "docs" / "pages"
    for old in target.glob("*.png"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        book = two_months(folder / "july")
        pdf, pages = pdf_pages(book, folder / "july" / "pdf")
        page_images(pdf, summary_pages(pages), target, "tong-hop-thang-7")
        page_images(pdf, history_pages(pages), target, "lich-su-thang-7")
        page_images(pdf, unit_pages(pages, "Phòng Kế hoạch và Đầu tư"), target, "don-vi-KHDT-thang-7")
        (folder / "first").mkdir()
        first = first_run_of_a_year(folder / "first")
        pdf, pages = pdf_pages(first, folder / "first" / "pdf")
        page_images(pdf, history_pages(pages), target, "lich-su-dau-nam")
        (folder / "forty").mkdir()
        big = forty_units(folder / "forty")
        pdf, pages = pdf_pages(big, folder / "forty" / "pdf")
        page_images(pdf, summary_pages(pages), target, "tong-hop-40-don-vi")
    for image in sorted(target.glob("*.png")):
        print(image.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
