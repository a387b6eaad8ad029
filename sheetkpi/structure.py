"""How a person reads a unit tab: where its header is, which rows are KPIs and which are not.

A workbook the Office has kept for a year is not the template any more: headers span two rows
under a merged group ("Kết quả thực hiện tháng"), columns are worded the department's way
("Tiến độ thực hiện (%)"), totals are labelled "Cộng" or "Tổng số" or are only a =SUM(), group rows
("I", "A.", "1" above "1.1") carry the weight of the KPIs under them, a second part repeats the
header, and a signature block sits under the table. Only KPI rows are scored and get engine cells.

This module is pure (grids of :class:`Cell` in, a :class:`TabStructure` out), so the file reader
and the open-book adapters share it; where the structure is ambiguous it says so with an issue
naming the rows instead of guessing silently.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, TypeVar

from . import layout
from .cells import address
from .parsing.numbers import parse_progress, parse_weight
from .parsing.text import clean_text, fold
from .report import Issue, StructureAmbiguous, TotalRowMissing


@dataclass(slots=True)
class Cell:
    """A cell value as read, with what its value alone does not tell.

    ``percent``: its number format is a percentage (Excel stores 0.8 for 80 %); ``total``: it holds
    a formula adding up a column (=SUM, =SUBTOTAL). Cells are never changed once read (a
    100,000-row workbook has millions: empty ones share one instance).
    """

    value: Any
    percent: bool = False
    total: bool = False


EMPTY_CELL = Cell(None)
Grid = list[list[Cell]]  # rows of cells, 0-based; row index + 1 = sheet row
T = TypeVar("T")


def is_blank(value: Any) -> bool:
    """An empty cell, or one holding only spaces."""
    return value is None or (isinstance(value, str) and not value.strip())


def once_per_cell(read: Callable[[Cell], T]) -> Callable[[Cell], T]:
    """``read``, called once per cell object: a file's grid makes equal cells one object (a tab
    repeats its weights and deadlines), so each is read once.

    Only for the cells of grids that outlive the function returned: cells are told apart by ``id``,
    which a freed cell would hand on.
    """
    memo: dict[int, T] = {}

    def once(cell: Cell) -> T:
        key = id(cell)
        if key in memo:
            return memo[key]
        memo[key] = found = read(cell)
        return found

    return once


def cell_at(row: list[Cell], col: int | None) -> Cell:
    """The cell of ``row`` in the 1-based column ``col``; an empty one past the row's end or without a column."""
    return row[col - 1] if col and col <= len(row) else EMPTY_CELL


# -- header -------------------------------------------------------------------------------------

# folded header text -> field name: the template's texts and the spellings seen in real workbooks.
_HEADER_KEYS: dict[str, str] = {}
for _field, _label in {**layout.COLUMNS, **layout.OPTIONAL_COLUMNS}.items():
    _HEADER_KEYS[fold(_label)] = _field
for _field, _aliases in layout.COLUMN_ALIASES.items():
    for _alias in _aliases:
        _HEADER_KEYS.setdefault(fold(_alias), _field)

# Wordings beyond the exact ones, by their leading words (folded), most specific first. Engine
# columns are matched exactly only: a department's "Tiến độ …" must never become one of them.
_HEADER_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), name) for pattern, name in (
        (r"^(?:ngay|thoi diem) hoan thanh\b", "completed_on"),
        (r"^(?:thoi han|han hoan thanh|han chot|thoi gian hoan thanh|moc thoi gian)\b", "deadline"),
        (r"^trong so\b", "weight"),
        (r"^(?:% ?|ty le |ti le |muc do )?(?:tien do|hoan thanh)\b.*%|^(?:ty le|ti le|muc do) hoan thanh\b"
         r"|^tien do(?: thuc hien)?(?: \(%\))?$", "progress"),
        (r"^ma (?:so )?(?:kpi|chi tieu|nhiem vu|cong viec)\b", "code"),
        (r"^(?:ten |noi dung )?(?:nhiem vu|cong viec|chi tieu|kpi)\b|^noi dung\b", "title"),
        (r"^san pham\b", "output"),
        (r"\bphoi hop\b", "partners"),
        (r"\b(?:kho khan|vuong mac|kien nghi)\b", "obstacles"),
        (r"^ket qua\b", "result"),
    )
)
_HAS_DIGIT = re.compile(r"\d")


def header_field(text: str) -> str | None:
    """The field a header text names ("Tỷ lệ hoàn thành (%)" → "progress"), or None."""
    if len(text) > 80 or _HAS_DIGIT.search(text):
        return None  # no header has a digit; codes and titles of KPI rows often do (and stay out of the cache)
    return _header_field(text)


@lru_cache(maxsize=4096)  # every unit tab repeats its headers
def _header_field(text: str) -> str | None:
    key = fold(text)
    found = _HEADER_KEYS.get(key)
    if found is None and key:
        found = next((name for pattern, name in _HEADER_PATTERNS if pattern.search(key)), None)
    return found


@dataclass(frozen=True)
class Header:
    """The header block of a unit tab: one row, or two under merged group headers."""

    first_row: int
    last_row: int
    columns: dict[str, int]  # field -> 1-based column
    texts: tuple[str, ...]  # the header texts as written, left to right (for messages)

    @property
    def is_unit_tab(self) -> bool:
        """Whether it names what SPEC §3 asks of a unit tab: code or title, weight and progress."""
        return not self.missing

    @property
    def missing(self) -> list[str]:
        """The template texts of the columns a unit tab needs and this header lacks."""
        wanted = [f for f in layout.REQUIRED_FIELDS if f not in self.columns]
        if not any(f in self.columns for f in layout.IDENTITY_FIELDS):
            wanted.insert(0, "title")
        return [layout.COLUMNS[f] for f in wanted]


def _row_fields(row: list[Cell]) -> dict[int, str]:
    """column -> field for each cell of ``row`` that is a header text."""
    found = {}
    for c, cell in enumerate(row, start=1):
        if isinstance(cell.value, str):
            name = header_field(cell.value)
            if name:
                found[c] = name
    return found


def _columns(fields_by_col: dict[int, str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for c in sorted(fields_by_col):
        columns.setdefault(fields_by_col[c], c)  # the leftmost column of a field wins
    return columns


def _texts(rows: list[list[Cell]]) -> tuple[str, ...]:
    width = max((len(r) for r in rows), default=0)
    texts = []
    for c in range(width):
        parts = [clean_text(r[c].value) for r in rows if c < len(r) and not is_blank(r[c].value)]
        if parts:
            texts.append(" / ".join(dict.fromkeys(parts)))
    return tuple(texts)


def find_header(grid: Grid) -> Header | None:
    """The header block among the top rows that names the most of a unit tab's columns.

    A row names a header when it has the code or the title column and at least one other. The
    row below belongs to it when it holds header texts and no figures: the sub-headers under a
    merged group ("Kết quả thực hiện tháng" over "% tiến độ", "Kết quả", …); a column's lower
    text, when it is a header, wins over the group text above it.
    """
    best: Header | None = None
    top = grid[: layout.HEADER_SEARCH_ROWS + 1]
    fields = [_row_fields(row) for row in top]
    for i in range(min(len(top), layout.HEADER_SEARCH_ROWS)):
        candidates = [(i, fields[i])]
        lower = fields[i + 1] if i + 1 < len(top) else {}
        # Two rows only when both name columns and the lower one adds some: a hint line above a
        # one-row header names none.
        if fields[i] and set(lower.values()) - set(fields[i].values()) and not _has_figures(top[i + 1]):
            candidates.append((i + 1, {**fields[i], **lower}))
        for last, by_col in candidates:
            columns = _columns(by_col)
            if not any(f in columns for f in layout.IDENTITY_FIELDS) or len(columns) < 2:
                continue
            header = Header(i + 1, last + 1, columns, _texts(top[i:last + 1]))
            if best is None or _rank(header) > _rank(best):
                best = header
    return best


def _rank(header: Header) -> tuple[int, int]:
    # More required columns first, then more columns; on a tie the earlier (single) row.
    return (len(layout.REQUIRED_FIELDS) - len(header.missing), len(header.columns))


def _has_figures(row: list[Cell]) -> bool:
    return any(isinstance(c.value, (int, float)) and not isinstance(c.value, bool) for c in row)


# -- rows ---------------------------------------------------------------------------------------

KPI = "kpi"
TOTAL = "total"  # the unit's total row, where the engine writes the unit's figures
SUBTOTAL = "subtotal"  # a total of part of the table ("Cộng phần A")
GROUP = "group"  # a group or section row ("I", "A.", "1" above "1.1"), with or without a subtotal weight
HEADER_AGAIN = "header"  # the header repeated above a second part of the table
NOTE = "note"  # notes and signature blocks under the table
OTHER = "other"  # any other text row (a sub-heading, a remark): not a KPI

# Total labels, folded: "Tổng cộng", "Tổng", "Cộng", "Tổng số", "Tổng điểm", "Cộng phần A" …
_TOTAL_LABEL = re.compile(
    r"^(?:tong cong|tong so|tong|cong)(?: (?:diem|trong so|so diem|toan (?:phong|don vi|ban)|chung))*"
    r"(?P<part> (?:phan|muc|nhom) \S+| \(?(?:[ivx]+|[a-d])\)?)?$"
)
# The numbering that opens a row: "I", "II.", "A", "B)", "1", "1.2". Letters and roman numerals
# number groups and sections; "1" directly above "1.1" is a group too.
_NUMBERING = re.compile(r"^(?:[IVX]+|[A-Z]|\d+(?:\.\d+)*)[.)]?(?=\s|$)")
_ROMAN = re.compile(r"^[IVX]+$")
# Signature blocks and notes under a table (folded text).
_NOTE_TEXT = re.compile(
    r"^(?:[^,]{2,40}, )?ngay\b.{0,30}\bthang\b"  # "Nghệ An, ngày 25 tháng 6 năm 2026"
    r"|^(?:(?:kt|tl|tm|q|tuq)\. ?)?(?:pho )?(?:truong phong|truong ban|truong don vi|giam doc|chanh van phong"
    r"|thu truong(?: don vi| co quan)?|nguoi lap(?: bieu)?|nguoi tong hop|lanh dao(?: phong| don vi| ban)?"
    r"|can bo (?:theo doi|tong hop)|xac nhan\b.*)$"
    r"|^\(?(?:ky|da ky)\b.*(?:ho ten|ten|dau)\)?$|^ghi ro ho ten"
    r"|^(?:ghi chu|luu y|chu thich|chu y|noi nhan)\b"
)


@dataclass
class TabStructure:
    """What each row of a unit tab is, as :func:`read_structure` found it."""

    header: Header
    kinds: dict[int, str]  # row -> kind, for every row below the header that holds anything
    kpi_rows: list[int]
    total_row: int | None  # the unit's total row
    free_row_after: int | None  # an empty row right under the table, where a total row may be added
    below_total: set[int] = field(default_factory=set)  # KPI rows found under the total row
    issues: list[Issue] = field(default_factory=list)  # ambiguities, a missing total row


def _label(row: list[Cell], cols: tuple[int, ...]) -> str:
    """The first text in the label columns (number, code, title), cleaned."""
    for c in cols:
        if c <= len(row) and not is_blank(row[c - 1].value):
            return clean_text(row[c - 1].value)
    return ""


def _is_total_label(text: str) -> re.Match[str] | None:
    return _TOTAL_LABEL.match(fold(text)) if text and len(text) <= 40 and text.lstrip()[:1] in "TtCc" else None


def _value(row: list[Cell], col: int | None) -> Any:
    return cell_at(row, col).value


def _repeats_header(row: list[Cell], cols: tuple[int, ...]) -> bool:
    """Whether two of the identity columns hold header texts (a header repeated on a new page)."""
    texts = [v for c in cols if isinstance(v := _value(row, c), str)]
    found, left = 0, len(texts)
    for text in texts:  # a KPI row: a code with digits first, no header; its title alone cannot make two
        left -= 1
        if header_field(text):
            found += 1
        if found == 2:
            return True
        if found + left < 2:
            return False
    return False


def _numbering(label: str) -> str:
    """The numbering a row's label opens with ("II" of "II. NHIỆM VỤ"), or ""."""
    m = _NUMBERING.match(label)
    return m.group().rstrip(".)") if m else ""


def _is_group_numbering(token: str) -> bool:
    return bool(token) and not token[0].isdigit()


def _is_note(row: list[Cell]) -> bool:
    return any(
        isinstance(c.value, str) and len(c.value) <= 120 and _NOTE_TEXT.search(fold(c.value)) for c in row
    )


def _is_filler(row: list[Cell]) -> bool:
    """An empty row, or the "(1) (2) (3) …" row Vietnamese forms put under their header (three
    values or more, each a column number)."""
    count = 0
    for cell in row:
        if is_blank(cell.value):
            continue
        if not _COLUMN_NUMBER.match(str(cell.value).strip()):
            return False  # decided at the first other value: a KPI row's code, its second cell
        count += 1
    return count == 0 or count >= 3


_COLUMN_NUMBER = re.compile(r"^\(?\d{1,3}\)?$")


def _weight_number(cell: Cell) -> float | None:
    return None if is_blank(cell.value) else parse_weight(cell.value, cell.percent).value


def _progress_number(cell: Cell) -> float | None:
    return None if is_blank(cell.value) else parse_progress(cell.value, cell.percent).value


def read_structure(grid: Grid, header: Header, sheet: str, unit: str) -> TabStructure:
    """Classify every row under ``header`` (see the module's docstring) and find the total row."""
    cols = header.columns
    weight_col, progress_col = cols["weight"], cols["progress"]
    code_col, title_col, seq_col = cols.get("code"), cols.get("title"), cols.get("seq")
    label_cols = tuple(dict.fromkeys(c for c in (seq_col, code_col, title_col, 1, 2) if c))
    identity_cols = tuple(c for c in (code_col, title_col, weight_col, progress_col) if c)
    weight_of = once_per_cell(_weight_number)
    kinds: dict[int, str] = {}
    issues: list[Issue] = []
    totals: list[tuple[int, bool]] = []  # (row, labelled as a part's total)
    tokens: dict[int, str] = {}  # the numbering of each KPI and group row
    notes = False  # inside a signature or notes block
    last_table_row = header.last_row
    for r in range(header.last_row + 1, len(grid) + 1):
        row = grid[r - 1]
        if _is_filler(row):
            continue
        label = _label(row, label_cols)
        token = _numbering(label)
        total = _is_total_label(label)
        weight_cell = cell_at(row, weight_col)
        code = _value(row, code_col)
        group_like = is_blank(code) and _is_group_numbering(token)
        # A =SUM() in the weight column makes a total row, unless the row is numbered as a group
        # (a group row often adds up the weights under it).
        if total or (weight_cell.total and not group_like):
            kinds[r] = TOTAL
            totals.append((r, bool(total and total.group("part"))))
            last_table_row = r
            continue
        if _repeats_header(row, identity_cols):
            kinds[r] = HEADER_AGAIN
            last_table_row = r
            continue
        figures = weight_of(weight_cell) is not None or _progress_number(cell_at(row, progress_col)) is not None
        if not figures and (notes or _is_note(row)):
            kinds[r] = NOTE
            notes = True
            continue
        if group_like:
            kinds[r] = GROUP
        elif (not is_blank(weight_cell.value) or not is_blank(_value(row, progress_col))
              or (not is_blank(code) and not is_blank(_value(row, title_col)))):
            kinds[r] = KPI
        else:
            kinds[r] = OTHER
            continue
        tokens[r] = token
        last_table_row = r
    _resolve_groups(grid, kinds, tokens, weight_col, weight_of, sheet, unit, issues)

    total_row = None
    for r, part in reversed(totals):
        if not part:
            total_row = r
            break
    if total_row is None and totals:
        total_row = totals[-1][0]
    for r, _ in totals:
        if r != total_row:
            kinds[r] = SUBTOTAL
    kpi_rows = [r for r, kind in kinds.items() if kind == KPI]
    below = {r for r in kpi_rows if total_row is not None and r > total_row}
    # Under the total, only rows with figures are KPIs: texts there belong to notes and signatures.
    for r in sorted(below):
        row = grid[r - 1]
        if weight_of(cell_at(row, weight_col)) is None and _progress_number(cell_at(row, progress_col)) is None:
            kinds[r] = OTHER
            below.discard(r)
            kpi_rows.remove(r)

    free_row = None
    if total_row is None:
        candidate = max([last_table_row, *kpi_rows]) + 1
        if candidate > len(grid) or all(is_blank(c.value) for c in grid[candidate - 1]):
            free_row = candidate
        else:
            issues.append(TotalRowMissing(sheet=sheet, unit=unit, params={"label": layout.TOTAL_LABEL}))
    return TabStructure(header, kinds, kpi_rows, total_row, free_row, below, issues)


def _level(token: str) -> tuple[int, int]:
    """How deep a numbering sits: letters above roman numerals above "1" above "1.1"."""
    if not token:
        return (0, 0)
    if token[0].isdigit():
        return (2, token.count("."))
    return (1, 0) if _ROMAN.match(token) else (0, 0)


def _resolve_groups(
    grid: Grid, kinds: dict[int, str], tokens: dict[int, str], weight_col: int,
    weight_of: Callable[[Cell], float | None], sheet: str, unit: str, issues: list[Issue],
) -> None:
    """Decide the group rows: "1" directly above "1.1" is a group; a group with no KPI under it
    is a KPI after all (roman or lettered numbering of the KPIs themselves); a group's weight
    must be the sum of the weights under it, else the row is reported and not counted."""
    rows = list(tokens)
    for r, nxt in zip(rows, rows[1:]):
        token = tokens[r]
        if kinds[r] == KPI and token[:1].isdigit() and tokens[nxt].startswith(token + "."):
            kinds[r] = GROUP
    last = max(rows, default=0)
    for r in rows:
        if kinds[r] != GROUP:
            continue
        level = _level(tokens[r])
        children = []
        for below in range(r + 1, last + 1):
            kind = kinds.get(below)
            if kind in (TOTAL, HEADER_AGAIN) or (kind == GROUP and _level(tokens[below]) <= level):
                break
            if kind == KPI:
                children.append(below)
        weight = weight_of(cell_at(grid[r - 1], weight_col))
        if not children:
            if not is_blank(_value(grid[r - 1], weight_col)):
                kinds[r] = KPI  # numbered like a group, but nothing is under it: a KPI
            continue
        if weight is None:
            continue
        total = sum(weight_of(cell_at(grid[c - 1], weight_col)) or 0.0 for c in children)
        if abs(total - weight) > 0.005:
            issues.append(StructureAmbiguous(sheet=sheet, unit=unit, cell=address(r, weight_col), params={
                "text": f"Dòng {r} đánh số '{tokens[r] or '…'}' như dòng nhóm nhưng trọng số {_num(weight)} khác tổng "
                f"trọng số các KPI bên dưới ({_num(total)}, dòng {children[0]}–{children[-1]}): không tính là KPI. "
                "Nếu đây là một KPI, hãy đổi số thứ tự của dòng",
            }))


def _num(x: float) -> str:
    from .parsing.numbers import format_vn

    return format_vn(x)
