"""A plan as a document: paragraphs and tables in reading order, from .docx, .txt or .md.

Plans reach the Office as Word files, as text pasted from PDFs or as Markdown exported from Word.
Whatever the source, the reader sees the same model: plain paragraphs (with their list level) and
tables of plain cell texts. Word's automatic numbers and bullets are written out as a typist would
type them ("1.", "a)", "-", "+"), so that a plan reads the same whether its numbers are typed or not.
Page breaks of the source are undone here: a paragraph that starts in lower case continues the one
before it, and a table that directly follows a table with the same number of columns is the rest of
that table.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import FileUnusable
from ..parsing.text import clean_text, nfc

WORD_SUFFIX = ".docx"
FOREIGN = {
    ".pdf": "PDF",
    ".doc": "Word 97-2003 (.doc)",
    ".rtf": "RTF",
    ".odt": "OpenDocument (.odt)",
    ".xlsx": "bảng tính Excel",
    ".xls": "bảng tính Excel",
}
_SAVE_AS_DOCX = "Hãy mở tệp trong Word hoặc LibreOffice và chọn Lưu thành (Save As) → Word Document (.docx)."

# Markdown and HTML left over from converting Word files to text.
_HEADING_HASHES = re.compile(r"^\s{0,3}#{1,6}\s+")
_STRONG = re.compile(r"\*\*|__")
_EMPHASIS = re.compile(r"(?<!\\)\*")
_ESCAPED = re.compile(r"\\([\\*_#+\-.()\[\]!`>|])")
_HTML_TAG = re.compile(r"</?(?:i|b|u|em|strong|span|sup|sub)\b[^>]*>", re.IGNORECASE)
_HTML_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
# A typed list marker at the start of a paragraph: "- ", "• ", "* ", "+ " (nested), "– ".
_MARKER = re.compile(r"^([-•*+–·▪●○◦])\s+")
_NESTED_MARKERS = "+○◦"
_PIPE_SEPARATOR = re.compile(r"^:?-{3,}:?$")
# "a) …" starts in lower case but is a lettered item, not the rest of the paragraph before it.
_LETTERED = re.compile(r"^[a-zđ]\)\s")


@dataclass
class Paragraph:
    """One paragraph of text; ``level`` 0 is body text, 1 a list item, 2 a nested list item."""

    text: str
    level: int = 0
    heading: bool = False  # a heading style in Word, "#" in Markdown


@dataclass
class Table:
    """A table as rows of plain cell texts, all rows padded to the same width."""

    rows: list[list[str]] = field(default_factory=list)

    @property
    def width(self) -> int:
        """The number of columns."""
        return len(self.rows[0]) if self.rows else 0


Block = Paragraph | Table


@dataclass
class Document:
    """The blocks of a plan in reading order."""

    path: Path
    blocks: list[Block]

    @property
    def paragraphs(self) -> list[Paragraph]:
        """The paragraphs, without the tables."""
        return [b for b in self.blocks if isinstance(b, Paragraph)]

    @property
    def tables(self) -> list[Table]:
        """The tables, without the paragraphs."""
        return [b for b in self.blocks if isinstance(b, Table)]

    def lines(self) -> Iterator[str]:
        """Every text line in reading order, table cells included (header blocks and signatures are
        often laid out in tables)."""
        for block in self.blocks:
            if isinstance(block, Paragraph):
                yield block.text
            else:
                for row in block.rows:
                    for cell in row:
                        yield from (line for line in cell.split("\n") if line.strip())

    def text(self) -> str:
        """All :meth:`lines`, one per line."""
        return "\n".join(self.lines())


def plain(text: str) -> str:
    """Text without the Markdown and HTML marks of a converted document, spaces collapsed, NFC."""
    text = _HEADING_HASHES.sub("", text)
    text = _HTML_TAG.sub("", _HTML_BREAK.sub(" ", text))
    text = _EMPHASIS.sub("", _STRONG.sub("", text))
    text = _ESCAPED.sub(r"\1", text)
    return " ".join(clean_text(text).split())


def paragraph(text: str, *, level: int = 0, heading: bool = False) -> Paragraph | None:
    """A paragraph from one line of plain text, its typed list marker turned into a level."""
    text = " ".join(text.split())
    marker = _MARKER.match(text)
    if marker:
        text = text[marker.end():]
        level = max(level, 2 if marker.group(1) in _NESTED_MARKERS else 1)
    return Paragraph(text, level, heading) if text else None


def load_document(path: str | Path) -> Document:
    """Read a plan; :class:`FileUnusable` when the file is missing, binary or of a foreign format."""
    path = Path(path)
    if not path.exists():
        raise FileUnusable("plan-missing", f"Không tìm thấy tệp kế hoạch '{path}'.")
    if path.is_dir():
        raise FileUnusable("plan-not-a-file", f"'{path}' là một thư mục, không phải tệp kế hoạch.")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FileUnusable("plan-unreadable", f"Không đọc được tệp '{path}': {exc.strerror or exc}.") from exc
    suffix = path.suffix.lower()
    if data.startswith(b"%PDF") or suffix in FOREIGN:
        kind = "PDF" if data.startswith(b"%PDF") else FOREIGN[suffix]
        raise FileUnusable(
            "plan-format",
            f"Tệp '{path.name}' là {kind}; sheetkpi đọc kế hoạch dạng Word (.docx) hoặc văn bản (.txt, .md). "
            + _SAVE_AS_DOCX,
        )
    if suffix == WORD_SUFFIX or data.startswith(b"PK\x03\x04"):
        blocks = _word_blocks(path)
    else:
        blocks = _text_blocks(_decode(data, path))
    return Document(path, _undo_page_breaks(blocks))


def _decode(data: bytes, path: Path) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise FileUnusable(
                "plan-encoding",
                f"Tệp '{path.name}' không phải văn bản UTF-8 (có thể là tệp nhị phân hoặc bảng mã cũ). "
                "Hãy dùng bản Word (.docx) của kế hoạch, hoặc lưu lại văn bản với bảng mã UTF-8.",
            ) from None
    if "\x00" in text:
        raise FileUnusable("plan-binary", f"Tệp '{path.name}' là tệp nhị phân, không phải văn bản kế hoạch.")
    return nfc(text)


def _text_blocks(text: str) -> list[Block]:
    """Lines of a text or Markdown file: tab- or pipe-separated lines are table rows, a blank line
    ends a table, every other line is a paragraph."""
    blocks: list[Block] = []
    table: Table | None = None
    for raw in text.splitlines():
        cells = _table_cells(raw)
        if cells is None:
            table = None
            p = paragraph(plain(raw), heading=bool(_HEADING_HASHES.match(raw)))
            if p:
                blocks.append(p)
            continue
        if all(_PIPE_SEPARATOR.match(c) for c in cells if c):
            continue
        if table is None:
            table = Table()
            blocks.append(table)
        table.rows.append([plain(c) for c in cells])
    return [_padded(b) if isinstance(b, Table) else b for b in blocks]


def _table_cells(line: str) -> list[str] | None:
    if "\t" in line:
        return line.split("\t")
    stripped = line.strip()
    if len(stripped) > 1 and stripped.startswith("|") and stripped.endswith("|"):
        return [c.strip() for c in stripped[1:-1].split("|")]
    return None


def _padded(table: Table) -> Table:
    width = max(len(r) for r in table.rows)
    table.rows = [r + [""] * (width - len(r)) for r in table.rows]
    return table


def _word_blocks(path: Path) -> list[Block]:
    """Paragraphs and tables of the document body in order, via python-docx."""
    try:
        import docx
        from docx.opc.exceptions import PackageNotFoundError
    except ImportError as exc:  # the optional "plans" extra
        raise FileUnusable(
            "plan-docx-unavailable",
            "Cần cài python-docx để đọc kế hoạch dạng Word: pip install \"sheetkpi[plans]\".",
        ) from exc
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise FileUnusable(
            "plan-not-docx",
            f"Tệp '{path.name}' không phải tệp Word (.docx) hợp lệ (hỏng, được bảo vệ bằng mật khẩu hoặc là "
            "định dạng khác). " + _SAVE_AS_DOCX,
        ) from exc
    from docx.table import Table as WordTable
    from docx.text.paragraph import Paragraph as WordParagraph

    blocks: list[Block] = []
    body = document.element.body
    numbering = _Numbering(document)
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            blocks.extend(_word_paragraphs(WordParagraph(child, document), numbering))
        elif tag == "tbl":
            rows = [_word_row(row) for row in WordTable(child, document).rows]
            if rows:
                blocks.append(_padded(Table(rows)))
    return blocks


def _word_paragraphs(p, numbering: _Numbering) -> list[Paragraph]:
    """A Word paragraph as paragraphs: a line break (Shift+Enter) starts a new one, as in text files;
    its automatic number or bullet is written before its text."""
    style = (p.style.name if p.style is not None else "") or ""
    heading = style.startswith(("Heading", "Title"))
    marker, level = numbering.marker(p._p)
    if marker is None:
        level = _style_list_level(style)
    lines = [line for line in p.text.split("\n") if line.strip()]
    if marker and lines:
        lines[0] = f"{marker} {lines[0]}"
    made = (paragraph(plain(line), level=level if at == 0 else 0, heading=heading) for at, line in enumerate(lines))
    return [m for m in made if m]


def _style_list_level(style: str) -> int:
    """1 for a paragraph in a list style ("List Bullet"), 2 when nested ("List Bullet 2"); else 0."""
    if style.startswith("List"):
        return 2 if style.rstrip().endswith(("2", "3", "4", "5")) else 1
    return 0


# Bullet characters of Word lists that mark a nested item, as "+" does when typed; Word writes
# "o" in Courier New and private-use Symbol/Wingdings characters for its usual bullets.
_NESTED_GLYPHS = frozenset("+o◦○\uf06f")


class _Numbering:
    """Word's automatic numbers and bullets, counted as Word counts them: per list, each level
    restarting when a level above it goes on."""

    def __init__(self, document):
        from docx.oxml.ns import qn

        self._qn = qn
        self.levels: dict[tuple[str, int], tuple[str, str, int]] = {}  # (numId, ilvl) → (format, text, start)
        self.counts: dict[str, list[int]] = {}
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError):
            return
        abstracts = {a.get(qn("w:abstractNumId")): a for a in root.findall(qn("w:abstractNum"))}
        for num in root.findall(qn("w:num")):
            ref = num.find(qn("w:abstractNumId"))
            abstract = abstracts.get(ref.get(qn("w:val"))) if ref is not None else None
            if abstract is None:
                continue
            for lvl in abstract.findall(qn("w:lvl")):
                fmt, text, start = (lvl.find(qn(f"w:{name}")) for name in ("numFmt", "lvlText", "start"))
                self.levels[num.get(qn("w:numId")), int(lvl.get(qn("w:ilvl")))] = (
                    fmt.get(qn("w:val")) if fmt is not None else "decimal",
                    text.get(qn("w:val")) if text is not None else "",
                    int(start.get(qn("w:val"))) if start is not None else 1,
                )

    def marker(self, p) -> tuple[str | None, int]:
        """The typed form of a paragraph's number or bullet ("2.", "a)", "-", "+") and its list
        level (1 for a bullet, 2 for a nested one, 0 for a number); (None, 0) when it has none."""
        num = p.pPr.numPr if p.pPr is not None else None
        if num is None or num.numId is None:
            return None, 0
        num_id = str(num.numId.val)
        ilvl = num.ilvl.val if num.ilvl is not None else 0
        fmt, text, start = self.levels.get((num_id, ilvl), ("bullet", "", 1))
        if fmt == "bullet" or fmt == "none":
            nested = ilvl > 0 or (text[:1] in _NESTED_GLYPHS)
            return ("+" if nested else "-"), (2 if nested else 1)
        counts = self.counts.setdefault(num_id, [])
        counts[ilvl + 1:] = []
        counts.extend(0 for _ in range(ilvl + 1 - len(counts)))
        counts[ilvl] = counts[ilvl] + 1 if counts[ilvl] else start
        marker = re.sub(r"%(\d)", lambda m: self._format(num_id, int(m.group(1)) - 1, counts), text)
        return (marker.strip() or None), 0

    def _format(self, num_id: str, ilvl: int, counts: list[int]) -> str:
        n = counts[ilvl] if ilvl < len(counts) and counts[ilvl] else self.levels.get((num_id, ilvl), ("", "", 1))[2]
        fmt = self.levels.get((num_id, ilvl), ("decimal", "", 1))[0]
        if fmt in ("lowerLetter", "upperLetter"):
            letter = "abcdefghijklmnopqrstuvwxyz"[(n - 1) % 26]
            return letter.upper() if fmt == "upperLetter" else letter
        if fmt in ("lowerRoman", "upperRoman"):
            roman = _roman(n)
            return roman if fmt == "upperRoman" else roman.lower()
        if fmt == "decimalZero":
            return f"{n:02d}"
        return str(n)


def _roman(n: int) -> str:
    out = ""
    for value, letters in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"),
                           (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out, n = out + letters, n - value
    return out


def _word_row(row) -> list[str]:
    """Cell texts of a row; a merged cell spanning several columns counts once, in its first column."""
    cells, previous = [], None
    for cell in row.cells:
        same = previous is not None and cell._tc is previous
        lines = (plain(line) for p in cell.paragraphs for line in p.text.split("\n"))
        cells.append("" if same else "\n".join(line for line in lines if line))
        previous = cell._tc
    return cells


def _undo_page_breaks(blocks: list[Block]) -> list[Block]:
    out: list[Block] = []
    for block in blocks:
        last = out[-1] if out else None
        if isinstance(block, Paragraph) and isinstance(last, Paragraph) and _continues(block):
            last.text = f"{last.text} {block.text}"
        elif isinstance(block, Table) and isinstance(last, Table) and block.width == last.width:
            last.rows.extend(block.rows)
        else:
            out.append(block)
    return out


def _continues(p: Paragraph) -> bool:
    return p.level == 0 and not p.heading and p.text[0].islower() and not _LETTERED.match(p.text)
