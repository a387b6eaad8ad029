"""What a plan says about itself, for "Cấu hình": agency, year, place, signer.

Vietnamese administrative documents (Nghị định 30/2020/NĐ-CP) open with the issuing body and the
line "Hà Tĩnh, ngày 20 tháng 02 năm 2023", and close with "Nơi nhận" beside the signature block
("KT. TRƯỞNG BAN / PHÓ TRƯỞNG BAN", then the name). Text exports often lose the header block; then
the agency is read from the sentence in which it issues the plan ("Ban Quản lý … ban hành …").
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from ..parsing.text import fold
from .document import Document
from .naming import is_upper

HEAD_LINES = 40  # the header block is within the first lines
# "Hà Tĩnh, ngày 20 tháng 02 năm 2023"; a PDF's text may lose the spaces ("ngày14 tháng7 năm 2026").
_DATE_LINE = re.compile(r"^(?P<place>[^\W\d][\w .'-]{1,40}?),\s*ngày(?![^\W\d])[^,]*?\bnăm\s+(?P<year>\d{4})\b",
                        re.IGNORECASE)
# The document number written on the same line when the two header columns run together:
# "Số: /UBND-NC Lâm Đồng, ngày    tháng 12 năm 2025" (a draft leaves the day blank).
_NUMBER = re.compile(r"^Số\s*:?\s*[\w/.-]*(?:\s+-\s+[\w/.-]+)?\s+", re.IGNORECASE)
_DOC_TYPES = ("ke hoach", "chuong trinh", "quyet dinh", "phuong an", "de an", "bang giao kpi")
# Years a title names: "năm 2026", the first of "giai đoạn 2026-2030"; not the horizon it looks to
# ("đến năm 2030", "tầm nhìn đến năm 2045", "định hướng đến năm 2050").
_YEAR = re.compile(r"\b(?:năm|giai đoạn|thời kỳ)\s+(\d{4})\b", re.IGNORECASE)
_HORIZON = re.compile(r"\b(?:đến|tới|tầm nhìn|định hướng)(?:\s+(?:hết|đến|tới))?\s+năm\s+\d{4}", re.IGNORECASE)
# The board named where it issues the plan or introduces its short name:
# "Trưởng Ban Quản lý KKT Đông Nam Nghệ An ban hành …", "Ban Quản lý Khu kinh tế (Ban Quản lý) xây dựng …".
_AGENCY = re.compile(
    r"\b(Ban [Qq]uản lý(?: [\w&]+){1,8}?)\s*(?:\((?:\W*sau đây gọi tắt|Ban [Qq]uản lý\))|ban hành\b)"
)
_PARENT = re.compile(r"^(?:UBND|ỦY BAN NHÂN DÂN|UỶ BAN NHÂN DÂN)\s+\S", re.IGNORECASE)
_SUPERIOR = re.compile(r"\b(?:UBND|Ủy ban nhân dân|Uỷ ban nhân dân)\s+(tỉnh|thành phố)\b")
_RECIPIENTS = "noi nhan"
_SIGN_TITLE = re.compile(r"\b(?:TRƯỞNG|GIÁM ĐỐC|CHÁNH|CHỦ TỊCH|THỦ TRƯỞNG|KT\.|TM\.|Q\.)")
_PERSON = re.compile(r"^(?:[^\W\d_][^\W\d_]*)(?:\s+[^\W\d_]+){1,5}$")


@dataclass
class Header:
    """Settings read from the plan (keys of ``layout.SETTINGS_LABELS``) and the plan year."""

    settings: dict[str, str] = field(default_factory=dict)
    year: int | None = None


def read_header(doc: Document) -> Header:
    """The settings and the year the plan gives about itself."""
    lines = [line.strip() for line in doc.lines() if line.strip()]
    header = Header()
    head = lines[:HEAD_LINES]
    date_year = None
    for line in head:
        m = _DATE_LINE.match(line) or _DATE_LINE.match(_NUMBER.sub("", line))
        if m:
            header.settings["place"] = m.group("place").strip()
            date_year = int(m.group("year"))
            break
    header.year = _plan_year(head, date_year)
    agency = _agency(head, doc.text())
    if agency:
        header.settings["agency"] = agency
    parent = next((line for line in head if _PARENT.match(line) and is_upper(line)), None)
    if parent is None and header.settings.get("place"):
        parent = _superior(doc.text(), header.settings["place"])
    if parent:
        header.settings["parent_agency"] = parent
    header.settings.update(_signature(lines))
    return header


def _plan_year(head: list[str], date_year: int | None) -> int | None:
    """The year of the line after the document type ("KẾ HOẠCH" / "Giao KPI … năm 2026"); a plan
    signed in December for the next year names that year. Else the year it was signed. A horizon
    in the title ("… đến năm 2030") is where the plan looks, not its year."""
    title_years: list[int] = []
    for at, line in enumerate(head):
        if fold(line) in _DOC_TYPES and at + 1 < len(head):
            title_years = [int(y) for y in _YEAR.findall(_HORIZON.sub("", head[at + 1]))]
            break
    if date_year is not None:
        return date_year + 1 if date_year + 1 in title_years else date_year
    return title_years[0] if title_years else None


def _agency(head: list[str], text: str) -> str:
    """The issuing board in capitals, from the header block or from the sentence issuing the plan."""
    for line in head:
        if is_upper(line) and fold(line).startswith("ban quan ly"):
            return line
    m = _AGENCY.search(text)
    return m.group(1).upper() if m else ""


def _superior(text: str, place: str) -> str:
    """"UBND TỈNH HÀ TĨNH" when the plan reports to "UBND tỉnh" and is signed in Hà Tĩnh."""
    levels = Counter(fold(m.group(1)) for m in _SUPERIOR.finditer(text))
    if not levels:
        return ""
    level = "THÀNH PHỐ" if levels.most_common(1)[0][0] == "thanh pho" else "TỈNH"
    return f"UBND {level} {place.upper()}"


def _signature(lines: list[str]) -> dict[str, str]:
    """Title and name of the signatory, after "Nơi nhận"."""
    start = next((i for i, line in enumerate(lines) if fold(line).startswith(_RECIPIENTS)), None)
    if start is None:
        return {}
    title: list[str] = []
    for line in lines[start + 1:]:
        if is_upper(line) and (title or _SIGN_TITLE.search(line)):
            title.append(line)
        elif title:
            return {"signer_title": "\n".join(title), "signer": line} if _PERSON.match(line) else {}
    return {}
