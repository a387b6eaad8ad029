"""What every recogniser shares: its interface and how plans mark out sections and unit headings."""

from __future__ import annotations

from typing import ClassVar

from ..parsing.text import fold
from .document import Document, Paragraph
from .fields import NUMBERED, ROMAN_HEADING
from .model import Draft
from .naming import heading_text, is_unit_name


class Recogniser:
    """One way of writing a plan. :meth:`read` returns what it places; the recogniser that places
    the most items reads the plan (on a tie, the one listed first, the more specific)."""

    name: ClassVar[str]  # how the reconciliation names this way of writing, in Vietnamese

    def read(self, doc: Document, year: int) -> Draft:
        raise NotImplementedError


def roman_section(p: Paragraph) -> str | None:
    """The folded title of a top-level section ("III. NHIỆM VỤ, GIẢI PHÁP" → "nhiem vu, giai phap")."""
    m = ROMAN_HEADING.match(p.text) if p.level == 0 else None
    return fold(m.group(2)) if m else None


def unit_heading(p: Paragraph) -> str | None:
    """The unit a heading names ("2. Phòng Xây dựng và Môi trường" → its name), else None."""
    if p.level or not (p.heading or NUMBERED.match(p.text)):
        return None
    name = heading_text(p.text)
    return name if is_unit_name(name) else None


def is_note(p: Paragraph) -> bool:
    """A remark in brackets ("(Có phụ lục kèm theo)"), not content."""
    return p.text.startswith("(") and p.text.endswith(")")
