"""Tasks written in the body of a plan, each with the lead its outline gives it.

A task is an item of the outline that is not a heading over other items: a bullet under a unit
heading, a lettered item under "Nội dung, biện pháp", a criterion with its labelled fields, a
sentence that opens with its unit. Its lead is found, nearest first:

1. a "Đơn vị chủ trì: …" / "Đơn vị phụ trách: …" field of the task itself;
2. its own words when they give it to someone ("UBND Thành phố yêu cầu các cơ quan, đơn vị …"),
   except under a heading naming many bodies, where a unit it names is each body's own;
3. the heading above it that names a unit ("1. Công an tỉnh", "2.1. Sở Xây dựng:", "b) Giao Sở
   Tài chính") or the lead line that introduces it ("Giao Trung tâm … chủ trì, phối hợp với …:",
   whose partners the tasks take);
4. its own opening words ("Sở Y tế tham mưu …", "Trên cơ sở …, Sở Tài chính thẩm định …");
5. the lead written once for its group ("2. Cơ quan chủ trì, phối hợp" after "1. Nội dung, biện
   pháp", or "Đơn vị chủ trì: …; Đơn vị phối hợp: …" after the last of the group's items).

Sections about purposes and principles, and annexes that are forms or outlines of a report, are not
read. "Tổ chức thực hiện" is read only under unit headings: elsewhere it holds the plan's closing
instructions (implement, monitor, report), not tasks. Items that no one is given are kept apart as
general directions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from ..parsing.deadlines import find_deadline
from ..parsing.numbers import parse_vn_number
from ..parsing.text import fold
from .fields import labelled, numeric_target, split_labelled, tidy
from .model import PlanItem
from .outline import (
    ADDRESSEE,
    ANNEX,
    BULLET,
    DOCTYPE,
    SECTIONS,
    SIGNATURE,
    SUB,
    TEXT,
    TITLE_LINES,
    Node,
    is_form_title,
)
from .units import Lead, heading, opening, read_lead

# "KHĐT-01 (20 điểm): title": a KPI code and its weight in points.
CODED = re.compile(
    r"^(?P<code>[A-ZĐ]{1,10}-\d{1,3})\s*\(\s*(?P<weight>\d+(?:[.,]\d+)?)\s*(?:điểm|đ)\s*\)\s*:?\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
SKIP, NORMAL, ORGANIZATION, GOALS, INDICATORS = "skip", "normal", "organization", "goals", "indicators"
# Section titles, folded, by what the section holds.
_SECTION_KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (INDICATORS, ("muc tieu cu the", "chi tieu cu the", "cac chi tieu")),
    (GOALS, ("muc tieu",)),
    (ORGANIZATION, ("to chuc thuc hien", "trach nhiem thi hanh", "dieu khoan thi hanh")),
    (SKIP, (
        "muc dich", "yeu cau", "nguyen tac", "can cu", "quan diem", "danh gia", "ket qua thuc hien", "tinh hinh",
        "thuc trang", "kinh phi", "hieu luc", "doi tuong", "pham vi", "giai thich",
    )),
)
TITLE_WORDS = 12  # a numbered item is a section title only if it is this short
# Sentences that organise the document, never tasks.
_BOILERPLATE = re.compile(
    r"chiu trach nhiem thi hanh|co hieu luc|ban hanh kem theo|biet,? (?:va )?(?:trien khai )?thuc hien\b|tran trong|"
    r"xin thong bao|thong bao de|de cac .{0,60}\bbiet\b|"
    # The opening of a reply: "Ủy ban nhân dân tỉnh nhận được Công văn số … của Bộ Công an …".
    r"^[^,;:]{0,80}\bnhan duoc (?:cong van|van ban|to trinh|thu|bao cao)\b"
)
_NOTE = re.compile(r"^\(.*\)\.?$")
_ANNEX = re.compile(r"\b(?:phu luc|kem theo)\b")
_ASSIGNING_NOTE = re.compile(r"\((?P<inner>(?:[Gg]iao|[Đđ]ề nghị|[Yy]êu cầu)\s[^()]*)\)")
_SENTENCE_END = re.compile(r"(?<=[.;])\s+(?=[A-ZĐÀ-Ỹ])")


@dataclass
class Found:
    """A task as the body writes it, before it is placed under a unit."""

    item: PlanItem
    lead: Lead | None
    origin: str  # where the lead was read: "heading", "line", "label", "opening", "group", ""
    node: Node
    names: list[str] = field(default_factory=list)  # quoted names of a criterion ("Tiêu chí “…”")
    lead_field: bool = False  # the lead came from the task's own "Đơn vị chủ trì" field
    in_section: bool = False  # inside a numbered section of the plan (its general tasks may be read)
    unplace: bool = False  # no lead, but among assigned items: not placed, rather than left out


@dataclass(frozen=True)
class _Ctx:
    mode: str = NORMAL
    scope: Lead | None = None
    origin: str = ""
    under_unit: bool = False  # under a heading that names a unit (or a collective)
    in_section: bool = False  # inside a numbered section of the plan (not its preamble)


def section_kind(text: str) -> str | None:
    """What a section with this title holds: purposes or a form to fill in (skip), organisation,
    goals, indicators."""
    if is_form_title(text):
        return SKIP
    folded = fold(text)
    for kind, starts in _SECTION_KINDS:
        if folded.startswith(starts):
            return kind
    return None


def is_note(text: str) -> bool:
    """A remark in brackets ("(Có phụ lục kèm theo)"), not content."""
    return bool(_NOTE.match(text.strip()))


class BodyReader:
    """Read the tasks of the outline; ``known`` are the unit names the plan writes in headings and
    tables (to tell where a name ends in running text), ``addressee`` the unit a letter is sent to."""

    def __init__(self, known: list[str], addressee: Lead | None):
        self.known = known
        self.addressee = addressee
        self.found: list[Found] = []
        self.indicators: list[PlanItem] = []
        self.group_fields: dict[int, dict[str, str]] = {}  # id(node) → fields written for its group
        self.headed: set[int] = set()  # id of each node that names a lead for the items under it
        self._current: Found | None = None

    def read(self, root: Node) -> None:
        """Read the outline under ``root`` into :attr:`found` (tasks) and :attr:`indicators`."""
        self._children(root, _Ctx())
        for found in self.found:
            self._group_defaults(found)

    # The outline, node by node.

    def _children(self, node: Node, ctx: _Ctx) -> None:
        children = node.children
        first_section = next(
            (i for i, c in enumerate(children) if c.kind in SECTIONS or c.kind in (DOCTYPE, ANNEX)), None
        )
        line: Lead | None = None  # a text lead line ("… giao X:") leads the items after it
        coded = any(CODED.match(c.text) for c in children)
        for at, child in enumerate(children):
            if first_section is not None and at < first_section and child.kind in (TEXT, "heading"):
                continue  # the preamble of a document or annex: bases, the sentence issuing it
            here = ctx if line is None else replace(ctx, scope=line, origin="line")
            if first_section is not None and at >= first_section:
                here = replace(here, in_section=True)
            if (coded and child.kind in (TEXT, BULLET, SUB) and not CODED.match(child.text)
                    and self._current is not None and not labelled(child.text)):
                self._content(self._current, child)  # in a list of coded KPIs, other lines detail the KPI
                continue
            found = self._node(child, here)
            if isinstance(found, Lead):
                line = found

    def _node(self, node: Node, ctx: _Ctx) -> Lead | None:
        text = node.text.strip()
        if node.kind in (SIGNATURE, ADDRESSEE) or not text:
            return None
        if node.kind in (DOCTYPE, ANNEX):
            if not any(is_form_title(t) for t in [node.text, *(c.text for c in node.children[:TITLE_LINES])]):
                self._children(node, _Ctx())
            return None
        kind = self._title_kind(node)
        if kind is not None:
            if kind in (SKIP,) or (ctx.mode == GOALS and kind != INDICATORS):
                return None
            self._children(node, replace(ctx, mode=kind))
            return None
        if node.kind in SECTIONS:
            self._children(node, ctx)
            return None
        if ctx.mode in (SKIP, GOALS):
            return None
        if ctx.mode == INDICATORS:
            if node.marked:
                self.indicators.append(_indicator(text))
            return None
        if _BOILERPLATE.search(fold(text)) and not node.children:
            return None
        if is_note(text):
            return None
        # A heading that names a unit: its items are that unit's tasks.
        named = heading(text, self.known) if (node.marked or node.paragraph and node.paragraph.heading or
                                                text.rstrip().endswith(":")) else None
        if named is not None and (node.kind != TEXT or not named[1]):
            lead, inline = named
            self.headed.add(id(node))
            inner = replace(ctx, scope=lead, origin="heading", under_unit=True)
            if inline:
                self._task(node, inner, inline)
            self._children(node, inner)
            return None
        pair = labelled(text)
        if pair is not None:
            if pair[0] == "content":  # "1. Nội dung, biện pháp": the tasks of the group follow
                self._children(node, ctx)
            else:
                self._field(node, *pair)
            return None
        said = self._statement(text) if not self._organizing(ctx) else None
        if self._is_group(node):
            if said is not None and ctx.scope is None:
                # "Giao Trung tâm … chủ trì, phối hợp …:" over the items it assigns.
                self.headed.add(id(node))
                ctx = replace(ctx, scope=_with_partners(said[0], said[1]), origin="line")
            self._children(node, ctx)
            return None
        if text.endswith(":") and not node.children:
            if said is not None:
                self.headed.add(id(node))
                return _with_partners(said[0], said[1])  # a lead line in running text: it leads the items after it
            return None  # an introduction: "… cụ thể như sau:"
        if self._organizing(ctx):
            return None  # the plan's closing instructions: implement, monitor, report
        if node.kind.startswith("num") and node.children and all(
                is_note(c.text) and _ANNEX.search(fold(c.text)) for c in node.children):
            return None  # "2. Tiếp tục duy trì … (Có phụ lục kèm theo)": the tasks are in the annex
        self._task(node, ctx, text)
        return None

    def _title_kind(self, node: Node) -> str | None:
        if node.kind in SECTIONS or node.kind == "heading" or (node.marked and len(node.text.split()) <= TITLE_WORDS):
            return section_kind(node.text)
        return None

    @staticmethod
    def _organizing(ctx: _Ctx) -> bool:
        return ctx.mode == ORGANIZATION and not ctx.under_unit

    @staticmethod
    def _is_group(node: Node) -> bool:
        """Whether the node heads other items (which are the tasks) rather than being one."""
        for child in node.children:
            if child.kind in (TEXT, SUB) or is_note(child.text):
                continue
            pair = labelled(child.text)
            if pair is None or pair[0] == "content":
                return True
        return False

    # Tasks and their fields.

    def _task(self, node: Node, ctx: _Ctx, text: str) -> None:
        item, lead_text, names = _item(text)
        lead: Lead | None = None
        origin = ""
        own = None
        if lead_text:
            own_field = read_lead(lead_text, self.known)
            if own_field is not None:
                lead, origin = own_field, "label"
        if lead is None and ctx.scope is not None:
            lead, origin = ctx.scope, ctx.origin
            item.partners = item.partners or lead.partners  # "12. Đài Truyền hình …, Đài Tiếng nói …:"
        if not names:
            own = self._statement(item.title)
        if own is not None:
            said, title, context, assigned = own
            if lead is None or (assigned and origin != "label" and lead.is_unit):
                # "UBND Thành phố yêu cầu các cơ quan, đơn vị …" under a unit heading: the task
                # says itself whom it is given to. Under a collective ("Trách nhiệm của UBND các
                # tỉnh": "Giao Sở Xây dựng …") the unit it names is each one's own.
                lead, origin = said, "opening"
            if lead is said or ctx.scope is None or fold(said.name) == fold(lead.name):
                item.title = _capital(tidy(title))
                item.output = "\n".join(t for t in (context, item.output) if t)
        found = Found(item, lead, origin, node, names, lead_field=origin == "label", in_section=ctx.in_section)
        for child in node.children:
            self._content(found, child)
        if lead is None:
            for child in node.children:
                if child.kind == TEXT and not _BOILERPLATE.search(fold(child.text)) and (
                        said := self._statement(child.text)) is not None:
                    found.lead, found.origin = said[0], "opening"
                    break
        self.found.append(found)
        self._current = found

    def _statement(self, text: str) -> tuple[Lead, str, str, bool] | None:
        """The assignment a task's own words make: (lead, the task without it, context before it,
        whether a verb of assignment names the lead)."""
        note = _ASSIGNING_NOTE.search(text)
        if note is not None:
            said = opening(note.group("inner"), self.known, self.addressee)
            if said is not None:
                title = (text[: note.start()] + text[note.end():]).strip()
                return said.lead, title, note.group("inner"), said.assigned
        sentences = _SENTENCE_END.split(text)
        for at, sentence in enumerate(sentences):
            said = opening(sentence, self.known, self.addressee)
            if said is None:
                continue
            if at and not re.match(r"^\W*(?:giao|yeu cau|de nghi)\b", fold(sentence)):
                continue  # later sentences count only when they assign: "… Giao Sở X chủ trì …"
            rest = " ".join([said.rest, *sentences[at + 1:]])
            return said.lead, rest, " ".join(sentences[:at]), said.assigned
        return None

    def _content(self, found: Found, node: Node) -> None:
        """A line under a task: a labelled field, or more of its output."""
        text = node.text.strip()
        if not text or is_note(text) or _BOILERPLATE.search(fold(text)):
            return
        pair = labelled(text)
        if pair is not None:
            if pair[0] == "lead" and _closes_group(found.node, node):
                # "a) … b) … Đơn vị chủ trì: Phòng …; Đơn vị phối hợp: …": the lead of the group.
                self._field(node, *pair, group=found.node.parent)
            else:
                self._field(node, *pair, target=found)
            return
        prefix = "+ " if node.kind == SUB else ""
        found.item.add("output", prefix + text)
        for child in node.children:
            self._content(found, child)

    def _field(self, node: Node, name: str, value: str, target: Found | None = None, group: Node | None = None) -> None:
        """A labelled line: a field of the current task, or of the group it closes (``group``, by
        default the node above the line)."""
        if target is None and group is None:
            current = self._current
            near = current is not None and (
                node.parent is current.node or node.parent is current.node.parent or current.node in node.ancestors())
            target = current if near else None
        group = group if group is not None else node.parent
        if name in ("assignment", "content"):
            for child in node.children:
                pair = labelled(child.text)
                if pair is not None:
                    self._field(child, *pair, target=target, group=group)
            return
        if name == "solutions":
            return
        value, more = split_labelled(value)  # "30/3/2026. Phối hợp: Bộ Tài chính, …": two fields on one line
        for other, written in more.items():
            self._field(node, other, written, target=target, group=group) if other != name else None
        lines = [value] if value else []
        for child in node.children:
            pair = labelled(child.text)
            text = child.text.strip()
            if pair is not None and pair[0] != name:
                self._field(child, *pair, target=target, group=group)
            elif text and not is_note(text):
                lines.append(("+ " + text) if child.kind == SUB and name == "output" else tidy(text, ".;"))
        if target is None:
            fields = self.group_fields.setdefault(id(group), {})
            value = "; ".join(tidy(line, ".;") for line in lines)
            fields[name] = f"{fields[name]}; {value}" if name in fields else value
            return
        if name == "lead":
            lead = read_lead("; ".join(tidy(line, ".;") for line in lines), self.known)
            if lead is not None:
                target.lead, target.origin, target.lead_field = lead, "label", True
                if lead.partners:
                    target.item.partners = "; ".join(t for t in (lead.partners, target.item.partners) if t)
            return
        if name in ("output", "goal"):
            for line in lines:
                target.item.add(name, line)
            if name == "goal" and not target.item.target:
                target.item.target, target.item.measure_unit = numeric_target(value)
            return
        target.item.add(name, "; ".join(tidy(line, ".;") for line in lines))

    def _group_defaults(self, found: Found) -> None:
        """Fields written once for a group apply to its tasks that do not write their own."""
        for ancestor in found.node.ancestors():
            fields = self.group_fields.get(id(ancestor))
            if not fields:
                continue
            if found.lead is None and "lead" in fields:
                lead = read_lead(fields["lead"], self.known)
                if lead is not None:
                    found.lead, found.origin = lead, "group"
                    if lead.partners and not found.item.partners:
                        found.item.partners = lead.partners
            if "partners" in fields and not found.item.partners.endswith(tidy(fields["partners"], ".;")):
                found.item.partners = "; ".join(t for t in (found.item.partners, tidy(fields["partners"], ".;")) if t)
            if "deadline" in fields and not found.item.deadline:
                found.item.deadline = tidy(fields["deadline"], ".;")


_LINE_PARTNERS = re.compile(r"\bphối hợp(?: chặt chẽ)?(?: với)?\s+(?P<who>[^:;]+?)\s*:?\s*$", re.IGNORECASE)


def _with_partners(lead: Lead, rest: str) -> Lead:
    """The lead of a lead line with the partners it names: "Giao Sở Tài chính chủ trì, phối hợp với
    Sở Xây dựng và các đơn vị liên quan:" → Sở Tài chính, partners "Sở Xây dựng và …"."""
    m = _LINE_PARTNERS.search(rest)
    if m is None:
        return lead
    return replace(lead, partners="; ".join(t for t in (lead.partners, tidy(m.group("who"), ".;")) if t))


def _closes_group(task: Node, line: Node) -> bool:
    """Whether the unmarked ``line`` after the last of several items, none of which names its own
    lead, is written for all of them rather than for the last."""
    siblings = [n for n in task.parent.children if n.marked] if task.parent is not None else []
    return (line.kind == TEXT and task.children[-1] is line and len(siblings) > 1 and siblings[-1] is task
            and not any(_names_lead(n) for n in siblings[:-1]))


def _names_lead(node: Node) -> bool:
    return any((pair := labelled(n.text)) is not None and pair[0] == "lead" for n in (node, *node.children))


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


_QUOTED = re.compile(r"[“\"]([^”\"]+)[”\"]")


def _item(text: str) -> tuple[PlanItem, str, list[str]]:
    """A task from its line: KPI code and weight, title, the fields written on the same line; the
    value of its "Đơn vị chủ trì" label if it has one; the quoted names of a criterion."""
    code, weight = "", None
    m = CODED.match(text)
    if m:
        code, weight, text = m.group("code"), parse_vn_number(m.group("weight")), m.group("rest")
    lead_part, fields = split_labelled(text)
    item = PlanItem(title=tidy(lead_part), code=code, weight=weight)
    if code and "output" not in fields and ": " in lead_part:
        # "Bàn giao đưa vào sử dụng 05 dự án: (…)." — the title, then what it consists of.
        item.title, item.output = tidy(lead_part.partition(": ")[0]), tidy(lead_part, ";")
    lead_text = fields.pop("lead", "")
    for name, value in fields.items():
        item.add(name, value)
    names = [tidy(n) for n in _QUOTED.findall(lead_part)] if re.match(r"^tieu chi", fold(lead_part)) else []
    return item, lead_text, names


def _indicator(text: str) -> PlanItem:
    """A numeric target of "Mục tiêu cụ thể"; a later year it aims at is its deadline."""
    target, measure_unit = numeric_target(text)
    horizon = re.search(r"\b(đến|trong|cuối)\s+năm\s+(\d{4})\b", text, re.IGNORECASE)
    deadline = f"{horizon.group(1).capitalize()} năm {horizon.group(2)}" if horizon else ""
    return PlanItem(title=tidy(text), target=target, measure_unit=measure_unit, deadline=deadline)


def deadline_in_text(item: PlanItem, year: int) -> None:
    """A task without a deadline field whose words name one ("… trước ngày 10/5/2026") takes it."""
    if not item.deadline:
        item.deadline = find_deadline(item.title, year)
