"""Print the quarterly review to PNG images in docs/review/: the year workbook of the tests
(tests/yearbook.py, twelve monthly reports of the Nghệ An example) reviewed for quarter 2 and for
the year (quarter 4, with the year-end evaluation and its appendix), each page as LibreOffice
prints the Word file; and the pages of that workbook's "Tổng hợp" holding the list by person.

    python scripts/render_review.py        (needs LibreOffice and poppler's pdftoppm)
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import yearbook  # noqa: E402  (tests/ holds the year workbook)
from pages import page_images, pdf_pages, summary_pages  # noqa: E402

from sheetkpi.api import review  # noqa: E402

RESOLUTION = 50  # dots per inch: a page is readable, the folder stays small


def main() -> int:
    target = ROOT / "docs" / "review"
    target.mkdir(exist_ok=True)
    for old in target.glob("*.png"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        book = yearbook.year(Path(tmp) / "nam")
        for quarter, name in ((2, "so-ket-quy-2"), (4, "tong-ket-nam")):
            pdf = review(book, quarter, folder=Path(tmp) / "bc", pdf=True).files[-1]
            subprocess.run(["pdftoppm", "-png", "-r", str(RESOLUTION), str(pdf), str(target / name)], check=True)
        pdf, pages = pdf_pages(book, Path(tmp) / "pdf")
        people = [p for p in summary_pages(pages) if "NGƯỜI PHỤ TRÁCH" in p.text]
        page_images(pdf, people, target, "tong-hop-nguoi-phu-trach")
    for image in sorted(target.glob("*.png")):
        print(image.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
