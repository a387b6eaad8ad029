"""XML names and the one escaping helper of every part the writer writes by hand.

Parts edited as lxml trees are escaped by lxml; text written as bytes (rows, charts, sheets
sheetkpi creates) goes through :func:`escape_text` and :func:`escape_attr`. Cell text, and the
other ``ST_Xstring`` values of SpreadsheetML, carry Excel's own escape on top of XML's: ``_xHHHH_``
stands for the character U+HHHH, so a literal ``_x0041_`` must be written in a way that does not
read back as "A" (:func:`xstring`, :func:`xstring_pieces`, as XlsxWriter's ``xmlwriter.py``).
"""

from __future__ import annotations

import re

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
RT = REL_NS + "/"  # relationship types are this followed by a name ("worksheet")

# Characters XML 1.0 cannot carry (control characters, lone surrogates, U+FFFE/U+FFFF).
ILLEGAL_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_NEEDS_TEXT_ESCAPE = re.compile("[&<>\r]")
_ATTR_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\r": "&#13;",
                               "\n": "&#10;", "\t": "&#9;"})
# An "_" that starts an _xHHHH_ sequence (sequences may overlap: "_x005F_x0041_" holds two).
_X_ESCAPE = re.compile("_(?=x[0-9A-Fa-f]{4}_)")


def escape_text(text: str) -> str:
    """Element text as lxml serializes it (a carriage return kept as ``&#13;``, which a parser
    would otherwise turn into a line feed)."""
    return text.translate(_TEXT_ESCAPES) if _NEEDS_TEXT_ESCAPE.search(text) else text


def escape_attr(text: str) -> str:
    """An attribute value between double quotes (whitespace kept as character references, which
    attribute normalization would otherwise turn into spaces)."""
    return text.translate(_ATTR_ESCAPES)


def xstring(text: str) -> str:
    """``text`` as an ``ST_Xstring``: a literal ``_xHHHH_`` written as ``_x005F_xHHHH_`` (Excel's
    escape of its escape), so that Excel reads the text back unchanged instead of decoding it."""
    return _X_ESCAPE.sub("_x005F_", text) if "_x" in text else text


def xstring_pieces(text: str) -> list[str]:
    """``text`` cut, for cell text, where a literal ``_xHHHH_`` would otherwise stand whole in one
    ``<t>``: between its "_" and its "x". Excel, LibreOffice and python-calamine decode ``_xHHHH_``
    in cell text and openpyxl does not (it reads ``_x005F_`` literally); no reader decodes a
    sequence split over two runs of rich text, so every one of them reads the text as given."""
    if "_x" not in text:
        return [text]
    pieces, last = [], 0
    for m in _X_ESCAPE.finditer(text):
        pieces.append(text[last: m.start() + 1])
        last = m.start() + 1
    pieces.append(text[last:])
    return pieces


def inline_string(text: str) -> str:
    """The content of a cell's ``<is>`` holding ``text`` (see :func:`xstring_pieces`); spaces at
    either end are kept with ``xml:space="preserve"``."""
    if "_x" in text and _X_ESCAPE.search(text):  # (the common case first: a cell's text, as it is)
        return "".join(f'<r><t xml:space="preserve">{escape_text(piece)}</t></r>' for piece in xstring_pieces(text))
    if text != text.strip():
        return f'<t xml:space="preserve">{escape_text(text)}</t>'
    return f"<t>{escape_text(text)}</t>"


def unescape_xstring(text: str) -> str:
    """An ``ST_Xstring`` as Excel reads it: ``_xHHHH_`` decoded (``_x005F_`` is the "_")."""
    return _X_DECODE.sub(lambda m: chr(int(m.group(1), 16)), text) if "_x" in text else text


_X_DECODE = re.compile("_x([0-9A-Fa-f]{4})_")
