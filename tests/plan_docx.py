"""Turn a seed plan (.txt, as exported from Word) back into a real Word document with python-docx.

Each text line becomes a paragraph: "#" lines a heading, "- "/"• "/"* " lines a "List Bullet"
paragraph and "+ " lines a "List Bullet 2" paragraph without the typed marker (as Word keeps list
bullets in numbering, not in the text), "**bold**", "*italic*" and <i>…</i> become formatted runs.
With ``list_bullets`` the bullets are instead lists of their own, as an author makes them with the
Bullets button and a chosen symbol: "-" lines a list whose bullet is "-", "+" lines a list whose
bullet is "+", both at the first level of the list (the level does not tell a sub-item; the glyph does).
Each block of tab- or pipe-separated lines becomes a real Word table (a blank line starts a new
table, as a page break does in documents converted from PDF); a row with text only in its first
cell is merged across the row, as unit and section rows are in real plans.
"""

from __future__ import annotations

import re
from pathlib import Path

import docx
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn

_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_BULLET = re.compile(r"^(?P<bold>\*\*)?(?P<marker>\\\*|•|-|\+)\s+(?P<rest>.*)$")
_TOKEN = re.compile(r"(\\\*|\*\*\*|\*\*|\*|<i>|</i>)")
_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")


def _cells(line: str) -> list[str] | None:
    if "\t" in line:
        return line.split("\t")
    s = line.strip()
    if len(s) > 1 and s.startswith("|") and s.endswith("|"):
        return [c.strip() for c in s[1:-1].split("|")]
    return None


def _runs(paragraph, text: str) -> None:
    """Add ``text`` to ``paragraph`` as runs, bold and italic where the Markdown marks say so."""
    bold = italic = False
    for part in _TOKEN.split(text):
        if part == "\\*":
            paragraph.add_run("*").bold = bold
        elif part in ("***", "**", "*", "<i>", "</i>"):
            bold = not bold if part in ("***", "**") else bold
            italic = not italic if part in ("***", "*") else (part == "<i>") if part in ("<i>", "</i>") else italic
        elif part:
            run = paragraph.add_run(part)
            run.bold, run.italic = bold, italic


def _table(document, rows: list[list[str]]) -> None:
    width = max(len(r) for r in rows)
    table = document.add_table(rows=len(rows), cols=width)
    table.style = "Table Grid"
    for r, cells in enumerate(rows):
        cells = cells + [""] * (width - len(cells))
        row = table.rows[r]
        if width > 1 and cells[0].strip() and not any(c.strip() for c in cells[1:]):
            merged = row.cells[0].merge(row.cells[width - 1])
            _runs(merged.paragraphs[0], cells[0].strip())
            continue
        for c, text in enumerate(cells):
            _runs(row.cells[c].paragraphs[0], text.strip())


def add_list(document, levels: list[tuple[str, str]]) -> str:
    """Add a list to the document's numbering, one (format, text) per level ("bullet", "+") or
    ("decimal", "%1."), ("lowerLetter", "%2)"); return its numId."""
    numbering = document.part.numbering_part.element
    n = str(90 + len(numbering.findall(qn("w:num"))))
    lvls = "".join(
        f'<w:lvl w:ilvl="{ilvl}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/><w:lvlText w:val="{text}"/>'
        f'<w:lvlJc w:val="left"/><w:pPr><w:ind w:left="{720 * (ilvl + 1)}" w:hanging="360"/></w:pPr></w:lvl>'
        for ilvl, (fmt, text) in enumerate(levels)
    )
    numbering.insert(0, parse_xml(
        f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{n}"><w:multiLevelType w:val="hybridMultilevel"/>'
        f"{lvls}</w:abstractNum>"
    ))
    numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="{n}"><w:abstractNumId w:val="{n}"/></w:num>'))
    return n


def list_paragraph(document, num_id: str, ilvl: int = 0):
    """A new paragraph in the list ``num_id`` at level ``ilvl``: Word shows its number or bullet, the
    text does not hold it."""
    paragraph = document.add_paragraph(style="List Paragraph")
    paragraph._p.get_or_add_pPr().append(parse_xml(
        f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{ilvl}"/><w:numId w:val="{num_id}"/></w:numPr>'
    ))
    return paragraph


def text_to_docx(source: Path, target: Path, *, list_bullets: bool = False) -> Path:
    """Write ``target`` (.docx) with the content of the seed ``source``; ``list_bullets``: bullets as
    Word lists with their own glyph rather than the "List Bullet" styles."""
    document = docx.Document()
    lists = {glyph: add_list(document, [("bullet", glyph)]) for glyph in "-+"} if list_bullets else {}
    block: list[list[str]] = []
    for line in source.read_text(encoding="utf-8").splitlines():
        cells = _cells(line)
        if cells is not None:
            if not _SEPARATOR.match(line):
                block.append(cells)
            continue
        if block:
            _table(document, block)
            block = []
        if not line.strip():
            continue
        heading = _HEADING.match(line)
        bullet = _BULLET.match(line.strip())
        if heading:
            paragraph = document.add_heading(level=len(heading.group(1)))
            _runs(paragraph, heading.group(2))
        elif bullet:
            plus = bullet.group("marker") == "+"
            if lists:
                paragraph = list_paragraph(document, lists["+" if plus else "-"])
            else:
                paragraph = document.add_paragraph(style="List Bullet 2" if plus else "List Bullet")
            _runs(paragraph, (bullet.group("bold") or "") + bullet.group("rest"))
        else:
            _runs(document.add_paragraph(), line.strip())
    if block:
        _table(document, block)
    document.save(str(target))
    return target
