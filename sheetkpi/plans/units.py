"""Who a plan gives work to: the one vocabulary of unit names and collective leads.

Plans name the bodies they assign work to in headings ("1. Công an tỉnh", "2.1. Sở Xây dựng:"), in
lead lines ("Giao Sở Tài chính chủ trì, phối hợp …:"), in table columns ("Đơn vị chủ trì") and in
the opening words of an item ("Sở Y tế tham mưu …"). Every reader asks this module what such words
name:

- a **unit**: a department of the Board ("Phòng Quản lý Đầu tư", "Văn phòng") or a body of the
  state ("Sở Nội vụ", "Công an tỉnh", "Thuế tỉnh", "Bộ Chỉ huy quân sự tỉnh", "Văn phòng UBND
  tỉnh", "Báo và Phát thanh, Truyền hình tỉnh");
- a **collective** lead: many bodies at once ("Các sở, ban, ngành", "UBND các xã, phường", "Trưởng
  các phòng, đơn vị", "Ban Chỉ đạo cấp quân khu"), which no single tab can hold;
- a **reference** to another document ("Theo phân công tại Quyết định số …").

A list ("Sở Công Thương; Sở Xây dựng", "Trung tâm Phục vụ hành chính công, các Sở, ban, ngành")
is led by its first member; the others are partners.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from ..parsing.text import fold, strip_marks

UNIT, COLLECTIVE, REFERENCE = "unit", "collective", "reference"
MAX_NAME_WORDS = 16
MAX_LIST_WORDS = 30  # a heading that lists leads: "Ban Chỉ đạo cấp quân khu, Ban Chỉ đạo các tỉnh, …"
# First words of a unit's name, folded. The word after them must be capitalised or name a place
# ("Phòng Quản lý …", "Công an tỉnh"), which keeps apart "Ban hành …", "Tổ chức …", "Phòng chống …",
# "Báo cáo …", "Hội nghị …", "Đoàn kiểm tra …"; "Văn phòng" may stand alone.
_HEADS: tuple[tuple[str, ...], ...] = tuple(sorted((tuple(h.split()) for h in (
    "van phong", "phong", "ban", "trung tam", "truong", "cong ty", "tong cong ty", "chi cuc", "cuc",
    "tong cuc", "vu", "doi", "bo phan", "to", "vien", "tram", "so", "bo", "cong an", "bo chi huy",
    "bo doi", "thanh tra", "thue", "kho bac", "bao hiem xa hoi", "ngan hang", "dai", "bao",
    "thong tan xa", "uy ban nhan dan", "ubnd", "uy ban", "hoi dong nhan dan", "hdnd", "hoi",
    "lien doan", "tinh doan", "thanh doan", "doan", "mat tran", "hai quan", "benh vien", "buu dien",
    "tap doan", "toa an", "vien kiem sat", "kiem toan", "chi nhanh", "bql", "bch", "trung uong",
)), key=len, reverse=True))
_ALONE = {("van", "phong")}
# Heads whose name goes on in lower case: "Bộ Chỉ huy quân sự tỉnh", "Bộ phận một cửa", "Kho bạc nhà
# nước", "Công ty cổ phần …".
_OPEN = frozenset(tuple(h.split()) for h in ("bo chi huy", "bo phan", "kho bac", "cong ty", "tong cong ty"))
# Head words followed by a word that makes them ordinary words, not names ("TỔ CHỨC THỰC HIỆN" in
# capitals, "Hội đồng thẩm định" in running text is fine but "Hội nghị" is not a body).
_NOT_NAMES = frozenset(tuple(w.split()) for w in (
    "to chuc", "to quoc", "ban hanh", "ban dau", "phong chong", "phong ngua", "bao cao", "bao dam", "bao ve",
    "hoi nghi", "doi moi", "doi ngu", "doi voi", "doi tuong", "vien chuc", "truong hop", "cong tac", "so lieu",
    "so luong", "dai hoi", "bo may", "vu viec", "cuc bo", "thue dat", "doan ket", "dai dien",
))
_PLACES = {"tinh", "thanh", "huyen", "xa", "phuong", "quan", "thi", "dac", "khu", "tp", "cap"}
# The level of government that closes a name: "Công an tỉnh nghiên cứu …", "UBND tỉnh trân trọng …",
# "Ủy ban nhân dân thành phố nhận được …"; only a proper name goes on after it.
# Compared with their diacritics: "quận" ends a name, "quân" ("Bộ Chỉ huy quân sự") does not.
_LAST_PLACES = frozenset(tuple(p.split()) for p in (
    "tỉnh", "huyện", "xã", "phường", "quận", "thành phố", "thị xã", "thị trấn", "đặc khu"))
# Titles of the person who heads a unit: "Giám đốc Công an tỉnh" is Công an tỉnh.
_TITLES = tuple(sorted((tuple(t.split()) for t in (
    "giam doc", "pho giam doc", "chu tich", "pho chu tich", "thu truong", "truong", "pho truong",
    "chanh", "pho chanh", "nguoi dung dau", "lanh dao", "tong bien tap", "hieu truong", "cuc truong",
    "bo truong", "tong giam doc", "chi cuc truong",
)), key=len, reverse=True))
# Words that introduce the unit of a heading or an assignment: "Giao Sở Tài chính", "Trách nhiệm
# của các Bộ", "Đối với Ủy ban nhân dân các cấp", "Đề nghị Ủy ban Mặt trận Tổ quốc …".
LEAD_INS = ("trach nhiem cua", "nhiem vu cua", "doi voi", "de nghi", "yeu cau", "giao")
# Nouns that make "các …" a collective lead ("các sở, ban, ngành", "các đơn vị liên quan").
_COLLECTIVE_NOUNS = {
    "so", "ban", "nganh", "bo", "co", "don", "phong", "dia", "xa", "phuong", "huyen", "tinh", "quan",
    "thanh", "thi", "to", "doan", "hoi", "truong", "trung", "cap", "cong", "chi", "luc", "cum",
    "thon", "ap", "khu", "vu", "cuc", "uy", "ubnd", "tong", "doanh", "nha",
}
_COLLECTIVE_WORDS = ("cac", "moi", "toan the", "tat ca", "nhung")
# Many places at one level: "UBND xã, phường", "Ủy ban nhân dân quận, huyện", "UBND xã/phường".
_LEVEL_LIST = re.compile(r"^(?:xa|phuong|quan|huyen|thi xa|thi tran|tinh|thanh pho)\s*[,/]\s*"
                         r"(?:xa|phuong|quan|huyen|thi xa|thi tran|tinh|thanh pho)\b")
# Words that end a name in running text: what follows a unit is what it does. Only lowercase words
# are compared, so "Phòng Quản lý …", "Ban Tổ chức …" stay whole. In a heading or a table cell only
# the verbs that never occur in names end it ("Dịch vụ việc làm", "Phòng Kế hoạch tổng hợp" stay).
_STRONG_VERBS = tuple(v.split() for v in (
    "chu tri", "phoi hop", "tham muu", "trien khai", "thuc hien", "nghien cuu", "ra soat", "khan truong",
    "chiu trach nhiem", "chi trach nhiem", "co trach nhiem", "chu dong", "hoan thanh", "don doc", "theo doi",
    "de xuat", "tham dinh", "tang cuong", "tiep tuc", "phat dong", "thuong xuyen", "kip thoi", "nghiem tuc",
    "de nghi", "yeu cau", "chi dao", "day manh", "dam bao", "bao dam",
))
_VERBS = _STRONG_VERBS + tuple(v.split() for v in (
    "bao cao", "huong dan", "kiem tra", "to chuc", "lap", "trinh", "bo tri", "can doi", "ban hanh", "cap nhat",
    "cung cap", "bo sung", "xu ly", "la", "duoc", "se", "can", "phai", "co", "tuyen truyen", "ho tro",
    "dieu hanh", "lam", "giup", "tap trung", "xac dinh", "thong bao", "tich cuc", "da", "dang", "doi moi",
    "truc tiep", "giao", "ban giao", "nam bat", "van dong", "chuan bi", "phan cong", "giai quyet",
    "tong hop", "xay dung", "quan ly", "cap phep", "thu",
))
# The addressee of a letter, named without its name: "đề nghị quý Bộ khẩn trương …".
ADDRESSEE_WORDS = re.compile(r"^qu[yý]\s+(?:bộ|sở|ban|cơ quan|đơn vị|uỷ ban|ủy ban|phòng|trung tâm)\b", re.IGNORECASE)
_ASSIGNING = (("giao",), ("yeu", "cau"), ("de", "nghi"))
ASSIGNER_WORDS = 12  # who assigns comes first: "Chủ tịch Ủy ban nhân dân tỉnh giao …"
# Clauses that may open a sentence before its subject; the subject follows one of their first commas.
INTRO_WORDS, INTRO_COMMAS = 60, 6
_INTRO = tuple(tuple(w.split()) for w in (
    "tren co so", "can cu", "sau khi", "truoc khi", "dinh ky", "hang", "hang nam", "trong", "dong thoi",
    "theo do", "ngoai ra", "khi", "de", "ve",
))
_TOKEN = re.compile(r"[^\s/;,()]+[,;:.]*|[/;,()]")
_TRAIL = ".,;:"


@dataclass(frozen=True)
class Lead:
    """Who leads a task: a unit, a collective, or a reference to another document; and the
    partners written with it ("Sở Công Thương; Sở Xây dựng": Sở Xây dựng is a partner)."""

    name: str
    kind: str = UNIT
    partners: str = ""

    @property
    def is_unit(self) -> bool:
        """Whether the lead is one unit (a tab can hold its tasks)."""
        return self.kind == UNIT


class Opening(NamedTuple):
    """The lead a sentence names in its opening words, the rest of the sentence, and whether a verb
    of assignment named it ("Giao Sở …", "UBND tỉnh yêu cầu các cơ quan …") rather than it being
    the subject ("Sở Y tế tham mưu …")."""

    lead: Lead
    rest: str
    assigned: bool = False


@dataclass
class _Tok:
    start: int
    end: int
    text: str  # without trailing punctuation
    key: str  # folded
    sep: str  # the punctuation that closed it: "," ";" ":" "." "/" "(" ")" or ""


def _tokens(text: str) -> list[_Tok]:
    out: list[_Tok] = []
    for m in _TOKEN.finditer(text):
        raw = m.group()
        if raw in "/;,()":
            if out and (not out[-1].sep or (out[-1].sep == ")" and raw == ",")):
                out[-1].sep = raw  # "(VCCI), giao …": the comma ends the clause
            elif not out:
                out.append(_Tok(m.start(), m.end(), "", "", raw))
            continue
        core = raw.rstrip(_TRAIL)
        sep = raw[len(core):][:1]
        out.append(_Tok(m.start(), m.start() + len(core), core, strip_marks(core).strip("“”\"'"), sep))
    return out


def _capitalised(tok: _Tok) -> bool:
    word = tok.text.strip("“”\"'")
    return bool(word) and (word[0].isupper() or word[0].isdigit() or "&" in word)


def _match(tokens: list[_Tok], i: int, phrases) -> int:
    """Length of the first phrase of ``phrases`` (tuples of folded words) at token ``i``; 0 if none.
    Only the last word of the phrase may carry punctuation."""
    for phrase in phrases:
        n = len(phrase)
        if (i + n <= len(tokens) and all(tokens[i + k].key == phrase[k] for k in range(n))
                and all(not tokens[i + k].sep for k in range(n - 1))):
            return n
    return 0


def _head(tokens: list[_Tok], i: int) -> int:
    """Length of a unit head at ``i`` that really starts a name, else 0."""
    if i >= len(tokens) or not _capitalised(tokens[i]):
        return 0
    n = _match(tokens, i, _HEADS)
    if not n:
        return 0
    nxt = tokens[i + n] if i + n < len(tokens) else None
    if nxt is not None and n == 1 and (tokens[i].key, nxt.key) in _NOT_NAMES:
        return 0
    if tokens[i + n - 1].sep in {",", ";", ":", "."} or nxt is None:
        return n if tuple(t.key for t in tokens[i:i + n]) in _ALONE else 0
    if _capitalised(nxt) or nxt.key in _PLACES or tuple(t.key for t in tokens[i:i + n]) in _OPEN:
        return n
    if nxt.key == "va" and i + n + 1 < len(tokens) and _capitalised(tokens[i + n + 1]):
        return n  # "Báo và Phát thanh, Truyền hình tỉnh"
    return n if tuple(t.key for t in tokens[i:i + n]) in _ALONE and nxt.key not in ("cac",) else 0


def _skip_title(tokens: list[_Tok], i: int) -> int:
    n = _match(tokens, i, _TITLES)
    if n and i + n < len(tokens) and (tokens[i + n].key in ("cac",) or _match(tokens, i + n, _HEADS)):
        return i + n
    return i


def _collective_at(tokens: list[_Tok], i: int) -> bool:
    t = tokens[i]
    if t.key in _COLLECTIVE_WORDS and i + 1 < len(tokens) and tokens[i + 1].key in _COLLECTIVE_NOUNS:
        return True
    if t.key == "toan" and i + 1 < len(tokens) and tokens[i + 1].key == "the":
        return True
    n = _match(tokens, i, _HEADS)
    if n and i + n < len(tokens):
        rest = strip_marks(" ".join(tok.text + tok.sep for tok in tokens[i + n:i + n + 4]))
        if tokens[i + n].key in ("cac", "cap") or _LEVEL_LIST.match(rest):
            return True
        if tokens[i + n - 1].sep == "," and tokens[i + n].key in _COLLECTIVE_NOUNS and not _capitalised(tokens[i + n]):
            return True  # "Sở, ban, ngành", "Bộ, ngành"
    return False


def _collective_end(tokens: list[_Tok], j: int, running: bool) -> int:
    """Index after a collective lead that goes on at ``j``: up to ";", ":", "(", a verb, or a comma
    followed by the name of a single unit ("UBND các xã, phường, Sở Xây dựng")."""
    verbs = _VERBS if running else _STRONG_VERBS
    start = j
    while j < len(tokens) and j - start < MAX_LIST_WORDS:
        prev, tok = tokens[j - 1], tokens[j]
        if prev.sep in {";", ":", "(", ".", ")"} or (prev.sep in {",", "/"} and _head(tokens, j)):
            break
        noun = prev.sep or prev.key in _COLLECTIVE_WORDS or prev.key == "va"  # "các tổ chức", ", tổ chức xã hội"
        if not _capitalised(tok) and not noun and _match(tokens, j, verbs):
            break
        j += 1
    return j


def _name_end(tokens: list[_Tok], i: int, head: int, running: bool) -> int:
    """Index after the last token of the name whose head (``head`` tokens) is at ``i``."""
    verbs = _VERBS if running else _STRONG_VERBS
    j = i + head
    while j < len(tokens) and j - i < MAX_NAME_WORDS:
        prev, tok = tokens[j - 1], tokens[j]
        nxt = tokens[j + 1] if j + 1 < len(tokens) else None
        if prev.sep in {";", ":", "(", ".", ")"}:
            break
        if prev.sep in {",", "/"}:
            # The name goes on after a comma only with a capitalised word that starts no other
            # unit: "Trung tâm Xúc tiến Đầu tư, Thương mại và Du lịch", "Sở Văn hóa, Thể thao …".
            if prev.sep == "," and _capitalised(tok) and not _head(tokens, j) and not _collective_at(tokens, j):
                j += 1
                continue
            break
        if tok.key in ("-", "–"):  # "Sở Lao động - Thương binh và Xã hội", "Sở Quy hoạch - Kiến trúc"
            if nxt is not None and not tok.sep and _capitalised(nxt):
                j += 2
                continue
            break
        if tok.key in ("va", "cac", "cap") and not tok.sep and nxt is not None:
            if _capitalised(nxt) and not _head(tokens, j + 1):
                j += 2  # "Sở Nông nghiệp và Môi trường", "Ban Quản lý các Khu công nghệ cao"
                continue
            if (tok.key == "va" and not running and not _capitalised(nxt) and nxt.key != "cac"
                    and not _match(tokens, j + 1, verbs)):
                j += 2  # in a heading: "Phòng Quản lý tài nguyên và môi trường"
                continue
            break
        if not _capitalised(tok) and (_match(tokens, j, verbs) or _after_place(tokens, j)):
            break
        j += 1
    return j


def _after_place(tokens: list[_Tok], j: int) -> bool:
    """Whether token ``j`` follows the level of government that ends a name: "tỉnh", "thành phố" (also
    "Thành phố", which names the city). Capitalised, the others are part of a name ("Xã hội")."""
    if tokens[j].key == "hoi":
        return False  # "xã hội"
    for place in _LAST_PLACES:
        words = tokens[j - len(place):j] if j >= len(place) else []
        if [w.text.lower() for w in words] == list(place) and (place == ("thành", "phố") or not _capitalised(words[0])):
            return True
    return False


def _mention(tokens: list[_Tok], i: int, known: Iterable[str], running: bool) -> tuple[str, int] | None:
    """(kind, end index) of the lead mentioned at token ``i``: a unit or a collective."""
    i = _skip_title(tokens, i)
    if i >= len(tokens):
        return None
    keys = tuple(t.key for t in tokens[i:i + MAX_NAME_WORDS])
    for name in sorted(known, key=len, reverse=True):
        words = tuple(t.key for t in _tokens(name))
        if words and keys[:len(words)] == words:
            return UNIT, i + len(words)
    if _collective_at(tokens, i):
        return COLLECTIVE, _collective_end(tokens, i + 1, running)
    head = _head(tokens, i)
    if not head:
        return None
    end = _name_end(tokens, i, head, running)
    # "Ban Chỉ đạo các tỉnh", "Sở … các địa phương", "phòng … cấp huyện": one per place.
    if end < len(tokens) and tokens[end - 1].sep == "" and tokens[end].key in ("cac", "cap"):
        return COLLECTIVE, _collective_end(tokens, end + 1, running)
    return UNIT, end


def _text(text: str, tokens: list[_Tok], i: int, j: int) -> str:
    return text[tokens[i].start:tokens[j - 1].end].strip(" -–") if j > i else ""


def _lead_list(text: str, tokens: list[_Tok], i: int, known, running: bool) -> tuple[Lead, int] | None:
    """The lead at token ``i`` and the partners listed after it; the index where the list ends."""
    first = _mention(tokens, i, known, running)
    if first is None:
        return None
    kind, end = first
    start = _skip_title(tokens, i)
    name = _text(text, tokens, start, end)
    j = end
    # Further members: after "," ";" "/" or "và", each a unit or a collective.
    while j < len(tokens) and (tokens[j - 1].sep in {",", ";", "/"} or tokens[j].key == "va"):
        k = j + 1 if tokens[j].key == "va" and not tokens[j - 1].sep else j
        more = _mention(tokens, k, known, running)
        if more is None:
            break
        j = more[1]
    partners = text[tokens[end].start:tokens[j - 1].end].strip(" ,;/") if j > end else ""
    partners = re.sub(r"^(?:và|;|,)\s*", "", partners)
    return Lead(name.rstrip(_TRAIL + " "), kind, partners.rstrip(_TRAIL + " ")), j


def _lead_in(tokens: list[_Tok]) -> int:
    return _match(tokens, 0, tuple(tuple(w.split()) for w in LEAD_INS))


def read_lead(text: str, known: Iterable[str] = ()) -> Lead | None:
    """The lead a table cell or a "Đơn vị chủ trì: …" value names, with its partners; a collective
    ("Các sở, ban, ngành; UBND các xã") or a reference ("Theo phân công tại Quyết định số …") when
    that is what it names; None when it names no one."""
    text = " ".join(text.split())
    folded = fold(text)
    if not folded:
        return None
    if folded.startswith(("theo ", "nhu tren", "xem ")):
        return Lead(text.rstrip(_TRAIL), REFERENCE)
    tokens = _tokens(text)
    found = _lead_list(text, tokens, _lead_in(tokens), known, running=False)
    return found[0] if found else None


def heading(text: str, known: Iterable[str] = ()) -> tuple[Lead, str] | None:
    """The lead a heading names and the task written after its colon: "2. Văn phòng UBND tỉnh:
    Phối hợp …" → (Văn phòng UBND tỉnh, "Phối hợp …"); "b) Giao Sở Tài chính" → (Sở Tài chính, "").
    None when the text is not only a name (a sentence, a topic)."""
    head, colon, inline = text.partition(":")
    if not colon and len(text.split()) > MAX_LIST_WORDS:
        return None
    head = head.strip().rstrip(_TRAIL + " ")
    tokens = _tokens(head)
    if not tokens:
        return None
    found = _lead_list(head, tokens, _lead_in(tokens), known, running=False)
    if found is None or found[1] < len(tokens):
        return None
    return found[0], inline.strip()


def _assigned(text: str, tokens: list[_Tok], at: int, known, addressee: Lead | None) -> Opening | None | bool:
    """The lead named after "giao", "yêu cầu" or "đề nghị" among the first words from ``at``;
    False when such a verb is there but names no one (the subject before it is who assigns)."""
    for k in range(at, min(len(tokens), at + ASSIGNER_WORDS)):
        n = _match(tokens, k, _ASSIGNING)
        if not n or (k and tokens[k - 1].key in ("da", "duoc")) or k + n >= len(tokens):
            continue
        if tokens[k + n - 1].sep or tokens[k + n].key == "cua":  # "đề nghị của …" is a noun
            continue
        n += 1 if tokens[k + n].key == "cho" else 0  # "giao cho Sở …"
        rest = text[tokens[k + n].start:] if k + n < len(tokens) else ""
        words = ADDRESSEE_WORDS.match(rest)
        if addressee is not None and words:
            return Opening(addressee, rest[words.end():].strip(), True)
        found = _lead_list(text, tokens, k + n, known, running=True)
        if found is not None:
            return Opening(found[0], text[tokens[found[1]].start:].strip() if found[1] < len(tokens) else "", True)
        return False
    return None


def opening(text: str, known: Iterable[str] = (), addressee: Lead | None = None) -> Opening | None:
    """The lead in the opening words of a sentence and what follows it: "Sở Y tế tham mưu …" →
    (Sở Y tế, "tham mưu …"); "Giao Công an tỉnh nghiên cứu …", "Chủ tịch UBND tỉnh giao Công an tỉnh
    …", "Văn phòng Chính phủ đề nghị quý Bộ …" (the addressee of the letter), "Trên cơ sở …, Sở Tài
    chính thẩm định …". "đã giao" tells what was assigned before, not what this text assigns. None
    when the sentence names no lead."""
    tokens = _tokens(text)
    if not tokens or text.isupper():
        return None  # a line in capitals is a title ("CHỦ TỊCH ỦY BAN NHÂN DÂN …"), not a sentence
    starts = [0]
    if _match(tokens, 0, _INTRO):
        # "Trên cơ sở đề nghị của …, Sở Tài chính thẩm định …": the subject after a comma.
        starts += [k + 1 for k in range(min(len(tokens) - 1, INTRO_WORDS)) if tokens[k].sep == ","][:INTRO_COMMAS]
    for start in starts:
        assigned = _assigned(text, tokens, start, known, addressee)
        if assigned is False:
            return None
        if assigned:
            return assigned
        found = _lead_list(text, tokens, start, known, running=True)
        if found is None:
            continue
        if start and not (found[1] < len(tokens) and _match(tokens, found[1], _VERBS)):
            continue  # after an opening clause only a subject that acts: "Sau khi …, Sở Tài chính lập …"
        if found[1] < len(tokens):
            return Opening(found[0], text[tokens[found[1]].start:].strip())
        if tokens[-1].sep == ":":
            return Opening(found[0], "")
    return None


def is_unit_name(text: str, known: Iterable[str] = ()) -> bool:
    """Whether ``text`` (without numbering) is only the name of a unit: "Phòng Quản lý đầu tư",
    "Văn phòng", "Công an tỉnh", "PHÒNG KẾ HOẠCH TỔNG HỢP"."""
    found = heading(text, known)
    return found is not None and found[0].is_unit and not found[1] and not fold(text).startswith(LEAD_INS)
