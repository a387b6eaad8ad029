"""Write sheetkpi/writes/_widths.py: how wide each character a department types prints in Times New
Roman, the font of the workbook (the template's and Nghị định 30's), regular and bold.

    python scripts/build_font_widths.py [--fonts /usr/share/fonts/truetype/liberation2] [--output FILE]

(needs fontTools, which matplotlib brings, and Debian's fonts-liberation2)

The widths are read from Liberation Serif (Debian's fonts-liberation2), whose advance widths are
Times New Roman's (it was drawn metric-compatible), at 15 pixels per em: how LibreOffice lays out
11-point text on a 96-dpi screen (11 × 96 / 72 = 14.67, rounded), each glyph's advance rounded to
a whole pixel (that rounding is what matched LibreOffice's own row heights best, against the exact
widths and other sizes, for 403 lines of the seed plans in six column widths, 2,418 cells: see
sheetkpi.writes for the line's room fitted with them; tests/test_text_fit.py checks both against
LibreOffice on other texts).
"""

from __future__ import annotations

import argparse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "sheetkpi" / "writes" / "_widths.py"
FONTS = Path("/usr/share/fonts/truetype/liberation2")
PPEM = 15
# What Vietnamese text is typed with: ASCII, Latin-1 and Latin Extended-A/B (ơ, ư, đ), the combining
# accents (text typed decomposed), Latin Extended Additional (ạ … ỹ), and the punctuation of Word
# and of the plans (– — ‘ ’ “ ” … • ₫).
RANGES = ((0x20, 0x7F), (0xA0, 0x250), (0x300, 0x370), (0x1E00, 0x1F00), (0x2000, 0x2070), (0x20A0, 0x20C0),
          (0x2100, 0x2200))


def widths(font_path: Path) -> dict[int, int]:
    """Each character's advance in whole pixels at :data:`PPEM`, of those the font has."""
    from fontTools.ttLib import TTFont

    font = TTFont(str(font_path))
    cmap, metrics, per_em = font.getBestCmap(), font["hmtx"], font["head"].unitsPerEm
    return {c: round(metrics[cmap[c]][0] * PPEM / per_em)
            for first, last in RANGES for c in range(first, last) if c in cmap}


def module(regular: dict[int, int], bold: dict[int, int]) -> str:
    def table(name: str, found: dict[int, int]) -> str:
        lines = [f"{name} = {{"]
        for first, last in RANGES:
            for start in range(first, last, 64):  # (lines short enough to read)
                run = "".join(chr(48 + found[c]) if c in found else " " for c in range(start, min(start + 64, last)))
                if run.strip():
                    lines.append(f"    0x{start:04X}: {run!r},")
        lines.append("}")
        return "\n".join(lines)

    return "\n".join([
        '"""Each character\'s width in Times New Roman at 11 pt, in pixels of a 96-dpi screen (15 per em).',
        "",
        "Written by scripts/build_font_widths.py from Liberation Serif (Times New Roman's widths): do not",
        "edit. Each string starts at the code point of its key; a character's width is its ordinal less 48",
        "(' ': the font has no such character).",
        '"""',
        "",
        f"PIXELS_PER_EM = {PPEM}",
        "",
        table("REGULAR", regular),
        "",
        table("BOLD", bold),
        "",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fonts", default=str(FONTS), help="Liberation Serif's folder")
    parser.add_argument("--output", default=str(TARGET), help="the module to write")
    args = parser.parse_args(argv)
    folder, output = Path(args.fonts), Path(args.output)
    output.write_text(module(widths(folder / "LiberationSerif-Regular.ttf"),
                             widths(folder / "LiberationSerif-Bold.ttf")), encoding="utf-8")
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
