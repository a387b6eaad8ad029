"""The outline of a plan: its paragraphs as a tree, by the way each one is numbered.

Vietnamese administrative documents number their parts "A.", "I.", "Điều 1.", "1.", "1.1.", "a)",
"(1)", then bullets "-" and "+" (Nghị định 30/2020/NĐ-CP). Plans differ in which of these they use
and in which order, so the tree is built from the order the document itself uses: a numbering
style met for the first time opens a level under the current one, a style met again closes the
levels opened after it. Unnumbered text belongs to the item above it. The document type ("KẾ
HOẠCH", "QUYẾT ĐỊNH"), "Phụ lục" and "Nơi nhận" start a new part at the top.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..parsing.text import fold
from .document import Paragraph

ROOT, TEXT, BULLET, SUB = "root", "text", "bullet", "sub"
DOCTYPE, ANNEX, SIGNATURE, ADDRESSEE = "doctype", "annex", "signature", "addressee"
ROMAN, UPPER, ARTICLE, HEADING = "roman", "upper", "article", "heading"
# Parts that open a section of the plan (its title says what the section holds).
SECTIONS = frozenset({ROMAN, UPPER, ARTICLE})
# Parts that start again at the top of the document.
TOP = frozenset({DOCTYPE, ANNEX, SIGNATURE})

_DOC_TYPES = frozenset({
    "ke hoach", "chuong trinh", "quyet dinh", "chi thi", "thong bao", "phuong an", "de an", "bang giao kpi",
    "cong van", "nghi quyet", "ket luan",
})
# Titles of an annex that shows how to report, not what to do: "Đề cương báo cáo", "Mẫu báo cáo".
_FORM = re.compile(r"^(?:phu luc(?:\s+[\w.]+)?\s*[:.\-–]?\s*)?(?:de cuong|mau bao cao|mau so|bieu mau|mau bieu)\b")
TITLE_LINES = 3  # the lines under "Phụ lục" (or above a table) that title it
_ROMAN_VALUE = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
_LETTER = re.compile(r"^([A-ZĐ])[.)]\s+(\S.*)$")
_ROMAN = re.compile(r"^([IVXLC]+)[.)]\s+(\S.*)$")
_ARTICLE = re.compile(r"^Điều\s+(\d+)\s*[.:]\s*(.*)$", re.IGNORECASE)
# "1.", "1)", "1.1.", "1.1", "2.1.a." — at most two digits a part, so "2026 là năm …" and
# "3 tháng đầu năm" are text.
_NUMBER = re.compile(r"^(\d{1,2}(?:\.\d{1,2})+)(?:\.([a-zđ]))?\.?\s+(\S.*)$|^(\d{1,2})[.)]\s*(\S.*)$")
_LOWER = re.compile(r"^([a-zđ])[).]\s+(\S.*)$")
_PAREN = re.compile(r"^\((\d{1,2}|[a-zđ])\)\s+(\S.*)$")


@dataclass
class Node:
    """One paragraph of the plan in its place in the outline."""

    kind: str  # how it is numbered: ROMAN, "num1", "num2", "num2a", "lower", "paren", BULLET, TEXT, …
    number: str  # its number as written ("III", "1.2", "a"), "" for text and bullets
    text: str  # without the number
    paragraph: Paragraph | None = None
    children: list[Node] = field(default_factory=list)
    parent: Node | None = field(default=None, repr=False)

    @property
    def marked(self) -> bool:
        """Numbered or bulleted: an item of a list, not running text."""
        return self.kind not in (TEXT, ROOT)

    def ancestors(self) -> Iterator[Node]:
        """The nodes above this one, nearest first."""
        node = self.parent
        while node is not None:
            yield node
            node = node.parent

    def walk(self) -> Iterator[Node]:
        """Every node below this one, in reading order."""
        for child in self.children:
            yield child
            yield from child.walk()


def _kind(p: Paragraph, last: dict[str, int]) -> tuple[str, str, str]:
    """(kind, number, text) of a paragraph; ``last`` remembers the last Roman number and capital
    letter, to tell "C. …" after "B." (a letter) from "V." after "IV." (a Roman number)."""
    text = p.text
    if p.level:
        return (SUB if p.level > 1 else BULLET), "", text
    folded = fold(text)
    if folded in _DOC_TYPES and text.rstrip(":").isupper():
        return DOCTYPE, "", text
    if folded.startswith("noi nhan"):
        return SIGNATURE, "", text
    if folded.startswith("kinh gui"):
        return ADDRESSEE, "", text
    if folded.startswith("phu luc") and (len(text.split()) <= 3 or text[:7].isupper()):
        return ANNEX, "", text
    m = _ARTICLE.match(text)
    if m:
        return ARTICLE, m.group(1), m.group(2)
    m = _ROMAN.match(text) or _LETTER.match(text)
    if m:
        mark = m.group(1)
        roman = set(mark) <= set(_ROMAN_VALUE) and (len(mark) > 1 or _roman(mark) in (1, last.get(ROMAN, 0) + 1))
        if roman:
            last[ROMAN] = _roman(mark)
            return ROMAN, mark, m.group(2)
        if len(mark) == 1 and (mark == "A" or ord(mark) == last.get(UPPER, 0) + 1):
            last[UPPER] = ord(mark)
            return UPPER, mark, m.group(2)
    m = _NUMBER.match(text)
    if m:
        number, letter, rest = (m.group(1), m.group(2), m.group(3)) if m.group(1) else (m.group(4), None, m.group(5))
        kind = f"num{number.count('.') + 1}{'a' if letter else ''}"
        return kind, number + (f".{letter}" if letter else ""), rest
    m = _LOWER.match(text)
    if m:
        return "lower", m.group(1), m.group(2)
    m = _PAREN.match(text)
    if m:
        return "paren", m.group(1), m.group(2)
    if p.heading:
        return HEADING, "", text
    return TEXT, "", text


def is_form_title(text: str) -> bool:
    """Whether ``text`` titles a form or the outline of a report ("ĐỀ CƯƠNG BÁO CÁO"), whose items
    are headings to fill in, not tasks."""
    return bool(_FORM.match(fold(text)))


def _roman(mark: str) -> int:
    total = 0
    for a, b in zip(mark, mark[1:] + " "):
        value = _ROMAN_VALUE[a]
        total += -value if b != " " and _ROMAN_VALUE.get(b, 0) > value else value
    return total


def build_outline(paragraphs: list[Paragraph]) -> Node:
    """The paragraphs as a tree under a root node."""
    root = Node(ROOT, "", "")
    stack: list[Node] = [root]
    last: dict[str, int] = {}
    for p in paragraphs:
        kind, number, text = _kind(p, last)
        node = Node(kind, number, text, p)
        if kind in (TEXT, ADDRESSEE):
            parent = stack[-1]
        else:
            if kind in TOP:
                del stack[1:]
                last.clear()
            elif any(n.kind == kind for n in stack):
                while stack[-1].kind != kind:
                    stack.pop()
                stack.pop()
            elif kind not in (BULLET, SUB):
                while stack[-1].kind in (BULLET, SUB):
                    stack.pop()  # a numbered item is never part of a bullet's text
            parent = stack[-1]
            stack.append(node)
        node.parent = parent
        parent.children.append(node)
    return root
