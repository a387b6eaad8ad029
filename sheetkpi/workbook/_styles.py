"""The workbook's styles part (``xl/styles.xml``): cell formats appended, never renumbered.

A format asked for is made of a font (a copy of the workbook's default font), a solid fill, a thin
border, a number format and a ``cellXfs`` entry; each is appended only when no equal entry exists,
so a monthly run that asks for the formats the previous run added leaves the part byte-identical.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from ._parts import Parts, insert_ordered, local_name
from ._xml import MAIN_NS, RT
from .xmlsafe import PackageError

CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
# Number formats of the cells a date is written into that would otherwise have the default style.
FALLBACK_FORMATS = {"date": "dd/mm/yyyy", "datetime": "dd/mm/yyyy hh:mm"}
# Built-in number formats (ECMA-376 18.8.30) that need no <numFmt> entry.
BUILTIN_FORMATS = {
    "General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "0%": 9, "0.00%": 10, "0.00E+00": 11,
    "# ?/?": 12, "# ??/??": 13, "mm-dd-yy": 14, "d-mmm-yy": 15, "d-mmm": 16, "mmm-yy": 17,
    "h:mm AM/PM": 18, "h:mm:ss AM/PM": 19, "h:mm": 20, "h:mm:ss": 21, "m/d/yy h:mm": 22, "@": 49,
}
_HALIGN = {"general", "left", "center", "right", "fill", "justify", "centerContinuous", "distributed"}
_VALIGN = {"top", "center", "bottom", "justify", "distributed"}
_HEX_COLOR = re.compile(r"#?([0-9A-Fa-f]{6}|[0-9A-Fa-f]{8})")
# Schema order of children (ECMA-376), to insert new ones where Excel expects them.
_STYLESHEET_ORDER = ["numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs",
                     "tableStyles", "colors", "extLst"]
_FONT_ORDER = ["b", "i", "strike", "condense", "extend", "outline", "shadow", "u", "vertAlign", "sz", "color",
               "name", "family", "charset", "scheme"]
_MINIMAL = (
    f'<styleSheet xmlns="{MAIN_NS}"><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/>'
    '</fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
)


@dataclass(frozen=True)
class CellStyle:
    """A cell format request, as accepted by :meth:`sheetkpi.workbook.package.Package.add_style`."""

    bold: bool = False
    italic: bool = False
    size: float | None = None
    color: str | None = None  # "RRGGBB", "#RRGGBB" or "AARRGGBB"
    fill: str | None = None  # solid background colour, same forms
    num_fmt: str | int | None = None  # a format code ("dd/mm/yyyy") or a built-in id
    wrap: bool = False
    halign: str | None = None
    valign: str | None = None
    border: bool = False  # thin border on all four sides


class Styles:
    """The styles part of a workbook (created when the workbook has none and a format is added)."""

    def __init__(self, parts: Parts, wb_part: str):
        self._parts = parts
        self._wb_part = wb_part
        found = [part for _, rtype, part in parts.rels(wb_part) if rtype == RT + "styles"]
        self._part = found[0] if found else None
        if self._part:
            parts.tree(self._part)  # a broken styles part is refused when the package is opened
        self._cache: dict[CellStyle, int] = {}
        self._signatures: dict[str, dict[tuple, int]] = {}  # collection -> entry -> index

    @property
    def part(self) -> str | None:
        """The styles part's name (None: the workbook has none yet)."""
        return self._part

    def count(self) -> int:
        """How many cell formats (xf indices) the workbook has."""
        xfs = self._root().find(f"{{{MAIN_NS}}}cellXfs") if self._part else None
        return len(xfs) if xfs is not None else 1

    def matching(self, number_format: Callable[[str], bool]) -> set[int]:
        """The xf indices whose number format code passes ``number_format``."""
        if self._part is None:
            return set()
        root = self._root()
        codes = {str(i): code for code, i in BUILTIN_FORMATS.items()}
        for el in root.iterfind(f"{{{MAIN_NS}}}numFmts/{{{MAIN_NS}}}numFmt"):
            codes[el.get("numFmtId", "")] = el.get("formatCode", "")
        xfs = root.find(f"{{{MAIN_NS}}}cellXfs")
        return {i for i, xf in enumerate(xfs.iterfind(f"{{{MAIN_NS}}}xf") if xfs is not None else ())
                if number_format(codes.get(xf.get("numFmtId", "0"), ""))}

    def font_name(self) -> str:
        """The workbook's default font (its first one), which charts sheetkpi makes use too."""
        if self._part is None:
            return "Calibri"
        name = self._root().find(f"{{{MAIN_NS}}}fonts/{{{MAIN_NS}}}font/{{{MAIN_NS}}}name")
        return name.get("val") if name is not None and name.get("val") else "Calibri"

    def fallback(self, kind: str) -> int:
        """The xf index of the number format a date gets in a cell without a style ("date", "datetime")."""
        return self.add(CellStyle(num_fmt=FALLBACK_FORMATS[kind]))

    def add(self, request: CellStyle) -> int:
        """The xf index of ``request``, appended unless an equal entry exists."""
        if request in self._cache:
            return self._cache[request]
        if (request.halign is not None and request.halign not in _HALIGN
                or request.valign is not None and request.valign not in _VALIGN):
            raise PackageError("style-invalid", f"Căn lề không hợp lệ: {request.halign!r}/{request.valign!r}.")
        root = self._root()
        aligned = bool(request.wrap or request.halign or request.valign)
        font = request.bold or request.italic or request.size or request.color
        attrs = {
            "numFmtId": str(self._num_fmt_id(root, request.num_fmt)),
            "fontId": str(self._intern(root, "fonts", _font(root, request)) if font else 0),
            "fillId": str(self._intern(root, "fills", _fill(request.fill)) if request.fill else 0),
            "borderId": str(self._intern(root, "borders", _border()) if request.border else 0),
            "xfId": "0",
        }
        for flag, on in (("applyNumberFormat", request.num_fmt is not None), ("applyFont", attrs["fontId"] != "0"),
                         ("applyFill", bool(request.fill)), ("applyBorder", request.border),
                         ("applyAlignment", aligned)):
            if on:
                attrs[flag] = "1"
        xf = etree.Element(f"{{{MAIN_NS}}}xf", attrs)
        if aligned:
            align = etree.SubElement(xf, f"{{{MAIN_NS}}}alignment")
            for key, value in (("horizontal", request.halign), ("vertical", request.valign),
                               ("wrapText", "1" if request.wrap else None)):
                if value:
                    align.set(key, value)
        index = self._cache[request] = self._intern(root, "cellXfs", xf)
        return index

    def _root(self) -> etree._Element:
        if self._part is None:
            part = posixpath.join(posixpath.dirname(self._wb_part), "styles.xml")
            self._parts.create(part, etree.fromstring(_MINIMAL), CT_STYLES)
            self._parts.add_rel(self._wb_part, RT + "styles", part)
            self._part = part
        return self._parts.tree(self._part)

    def _intern(self, root: etree._Element, collection: str, el: etree._Element) -> int:
        """Index of the entry of ``collection`` equal to ``el``; ``el`` is appended when none is."""
        parent = root.find(f"{{{MAIN_NS}}}{collection}")
        if parent is None:
            parent = insert_ordered(root, etree.Element(f"{{{MAIN_NS}}}{collection}"), _STYLESHEET_ORDER)
        index = self._signatures.get(collection)
        if index is None:
            index = self._signatures[collection] = {}
            for i, child in enumerate(c for c in parent if isinstance(c.tag, str)):
                index.setdefault(_signature(child), i)
        key = _signature(el)
        if key not in index:
            index[key] = sum(1 for c in parent if isinstance(c.tag, str))
            parent.append(el)
            parent.set("count", str(index[key] + 1))
            self._parts.touch(self._part)
        return index[key]

    def _num_fmt_id(self, root: etree._Element, num_fmt: str | int | None) -> int:
        if num_fmt is None:
            return 0
        if isinstance(num_fmt, int):
            return num_fmt
        if num_fmt in BUILTIN_FORMATS:
            return BUILTIN_FORMATS[num_fmt]
        formats = root.find(f"{{{MAIN_NS}}}numFmts")
        ids = [163]
        for el in formats if formats is not None else []:
            if el.get("formatCode") == num_fmt:
                return int(el.get("numFmtId"))
            ids.append(int(el.get("numFmtId", "0")))
        new_id = max(ids) + 1
        self._intern(root, "numFmts", etree.Element(f"{{{MAIN_NS}}}numFmt", numFmtId=str(new_id), formatCode=num_fmt))
        return new_id


def _font(root: etree._Element, style: CellStyle) -> etree._Element:
    """The workbook's default font with the requested changes, children in schema order."""
    base = root.find(f"{{{MAIN_NS}}}fonts/{{{MAIN_NS}}}font")
    children = {local_name(c): c for c in (etree.fromstring(etree.tostring(base)) if base is not None else [])}
    for name in ("b", "i"):
        children.pop(name, None)
    if style.bold:
        children["b"] = _el("b")
    if style.italic:
        children["i"] = _el("i")
    if style.size:
        children["sz"] = _el("sz", val=f"{style.size:g}")
    if style.color:
        children["color"] = _el("color", rgb=_argb(style.color))
    font = _el("font")
    for name in sorted(children, key=lambda n: _FONT_ORDER.index(n) if n in _FONT_ORDER else len(_FONT_ORDER)):
        font.append(children[name])
    return font


def _fill(color: str) -> etree._Element:
    fill = _el("fill")
    pattern = etree.SubElement(fill, f"{{{MAIN_NS}}}patternFill", patternType="solid")
    etree.SubElement(pattern, f"{{{MAIN_NS}}}fgColor", rgb=_argb(color))
    etree.SubElement(pattern, f"{{{MAIN_NS}}}bgColor", indexed="64")
    return fill


def _border() -> etree._Element:
    border = _el("border")
    for side in ("left", "right", "top", "bottom"):
        # The template's grey rules: cells sheetkpi writes look like the ones people fill.
        etree.SubElement(etree.SubElement(border, f"{{{MAIN_NS}}}{side}", style="thin"), f"{{{MAIN_NS}}}color",
                         rgb="FF808080")
    etree.SubElement(border, f"{{{MAIN_NS}}}diagonal")
    return border


def _el(name: str, **attrs: str) -> etree._Element:
    return etree.Element(f"{{{MAIN_NS}}}{name}", attrs)


def _argb(color: str) -> str:
    m = _HEX_COLOR.fullmatch(color.strip())
    if not m:
        raise PackageError("style-invalid", f"Màu không hợp lệ: '{color}' (cần dạng RRGGBB).")
    return m.group(1).upper().rjust(8, "F")


def _signature(el: etree._Element) -> tuple:
    """What makes two style entries equal: names, attributes, text and children, not formatting."""
    return (el.tag, tuple(sorted(el.attrib.items())), (el.text or "").strip(),
            tuple(_signature(c) for c in el if isinstance(c.tag, str)))
