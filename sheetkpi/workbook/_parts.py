"""The parts of the package, and what ties them together: content types and relationships.

:class:`Parts` reads a part from the source file when it is asked for, parses the small parts
that are edited (workbook, styles, relationships, content types, calcChain, drawings) once, and
knows what changed: parts edited as trees, parts given new bytes, parts rendered and packed
(worksheets, see :mod:`._zip`; kept in a spool until the save), parts removed. Nothing is written
before :meth:`Parts.changed` is asked for at save.
"""

from __future__ import annotations

import os
import posixpath
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from ._xml import CT_NS, PKG_REL_NS
from ._zip import CHUNK, Kept, Packed, PackStream, Spool, iter_member, read_member
from .xmlsafe import InvalidPackageError, PackageError, parse_xml

CONTENT_TYPES = "[Content_Types].xml"
CT_RELS = "application/vnd.openxmlformats-package.relationships+xml"


def rels_part(part: str) -> str:
    """"xl/workbook.xml" -> "xl/_rels/workbook.xml.rels"; the package itself ("") -> "_rels/.rels"."""
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def local_name(el: etree._Element) -> str:
    """The tag of ``el`` without its namespace ("" for a comment or processing instruction)."""
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def insert_ordered(parent: etree._Element, el: etree._Element, order: list[str]) -> etree._Element:
    """Insert ``el`` before the first child that the schema (``order``) puts after it."""
    later = set(order[order.index(local_name(el)) + 1:])
    for index, child in enumerate(parent):
        if local_name(child) in later:
            parent.insert(index, el)
            return el
    parent.append(el)
    return el


class Parts:
    """The parts of an open package, as they will be saved."""

    def __init__(self, path: Path, infos: list[zipfile.ZipInfo], comment: bytes):
        self.adopt(path, infos, comment)
        self._trees: dict[str, etree._Element] = {}
        self._dirty: dict[str, None] = {}  # trees to serialize, in the order first changed (new parts are written so)
        self._bytes: dict[str, bytes] = {}  # parts given new content this session
        self._packed: dict[str, PackStream | Packed | Kept] = {}  # parts rendered and packed (worksheets)
        self.spool = Spool()  # where they wait for the save
        self._removed: set[str] = set()

    def adopt(self, path: Path, infos: list[zipfile.ZipInfo], comment: bytes) -> None:
        """Take ``path`` (holding ``infos``) as the source of every part not changed."""
        self.path = path
        self.infos = infos
        self.comment = comment
        self._names = {info.filename.lower(): info.filename for info in infos}
        self._info = {info.filename: info for info in infos}
        st = os.stat(path)
        self._stamp = (st.st_size, st.st_mtime_ns)

    def check_source(self) -> None:
        """Unchanged parts are copied from the source at save: refuse to mix in a changed file.
        (What was read from it before is checked by the same test at save.)"""
        try:
            st = os.stat(self.path)
            changed = (st.st_size, st.st_mtime_ns) != self._stamp
        except FileNotFoundError:
            changed = True
        if changed:
            raise PackageError("file-changed", f"Tệp '{self.path.name}' đã bị thay đổi sau khi mở; hãy chạy lại.")

    # -- content ----------------------------------------------------------------------------

    def exists(self, part: str) -> bool:
        return part in self._bytes or part in self._trees or part in self._packed or (
            part.lower() in self._names and part not in self._removed)

    def read(self, part: str) -> bytes:
        """Current bytes of ``part``: rendered or new content first, else the file's. The source is
        opened for each read and closed again, so that it can be replaced at save (Windows refuses
        to replace an open file)."""
        if part in self._packed:
            return self.packed(part).content()
        if part in self._bytes:
            return self._bytes[part]
        name = self._names.get(part.lower())
        if name is None or part in self._removed:
            raise InvalidPackageError("part-missing", f"Tệp thiếu phần '{part}'.")
        try:
            return read_member(self.path, self._info[name])
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, InvalidPackageError) as exc:
            self.check_source()  # a file replaced since it was opened is not a broken one
            if isinstance(exc, InvalidPackageError):
                raise
            raise InvalidPackageError("zip-corrupt", f"Không đọc được phần '{part}' của tệp: {exc}") from exc

    def read_head(self, part: str, element: bytes, *, exact: bool = False, step: int = 1 << 16) -> bytes:
        """The bytes of ``part`` before the start tag of the first ``element`` (whatever its prefix;
        all of it when absent), inflating no more of an unchanged part than that (``step`` bytes at
        a time): the head of a sheet, without its rows. ``exact``: before the first ``element``
        itself (from its "<"). Checked against the CRC only when read to its end."""
        data = bytearray()
        for piece in self.pieces(part, step):
            seen = max(0, len(data) - len(element))  # a name may straddle two pieces
            data += piece
            at = data.find(element, seen)
            if at >= 0:
                return bytes(data[:at if exact else max(data.rfind(b"<", 0, at), 0)])
        return bytes(data)

    def pieces(self, part: str, step: int = CHUNK) -> Iterator[bytes]:
        """The current bytes of ``part`` (see :meth:`read`) in pieces of about ``step`` bytes, an
        unchanged part of the file inflated as they are asked for: a pass over a large sheet that
        keeps little of it never holds it whole (checked as :meth:`read` checks it, after the last
        piece)."""
        name = self._names.get(part.lower())
        info = self._info.get(name) if name else None
        if part in self._packed or part in self._bytes or info is None or part in self._removed \
                or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            yield self.read(part)
            return
        try:
            yield from iter_member(self.path, info, step)
        except (zlib.error, OSError, InvalidPackageError) as exc:
            self.check_source()  # a file replaced since it was opened is not a broken one
            if isinstance(exc, InvalidPackageError):
                raise
            raise InvalidPackageError("zip-corrupt", f"Không đọc được phần '{part}' của tệp: {exc}") from exc

    def info(self, part: str) -> zipfile.ZipInfo | None:
        """The zip metadata of a part the source holds."""
        return self._info.get(self._names.get(part.lower(), ""))

    def tree(self, part: str) -> etree._Element:
        """The parsed XML of a small part that may change (cached; :meth:`touch` it after edits)."""
        if part not in self._trees:
            self._trees[part] = parse_xml(self.read(part), part)
        return self._trees[part]

    def touch(self, part: str) -> None:
        """Mark a tree as changed: it is serialized at save."""
        self._dirty.setdefault(part)

    def put(self, part: str, data: bytes) -> None:
        """Give ``part`` new content."""
        self._bytes[part] = data

    def keep(self, packed: Packed) -> Packed | Kept:
        """``packed`` kept in :attr:`spool` until the save."""
        return self.spool.keep((packed.payload,), packed.crc, packed.size, packed.method)

    def pack(self, part: str, stream: PackStream | Packed | Kept, *, kept: bool = False) -> None:
        """Give ``part`` the content ``stream`` packs (it may still be packing: given :attr:`spool`,
        it keeps it there), or packed already: kept there now, unless ``kept`` (by :meth:`keep`
        already, as a :class:`Kept` always is)."""
        self._packed[part] = self.keep(stream) if isinstance(stream, Packed) and not kept else stream

    def is_packed(self, part: str) -> bool:
        """Whether ``part`` has new content packed (see :meth:`pack`)."""
        return part in self._packed

    def packed(self, part: str) -> Packed | Kept:
        """The packed content of a rendered part (once its packing is done)."""
        found = self._packed[part]
        return found.packed() if isinstance(found, PackStream) else found

    def take(self, part: str) -> Packed:
        """The packed content of a rendered part, in memory, the part as the file has it again."""
        found = self.packed(part)
        del self._packed[part]
        if isinstance(found, Kept):
            return found.packed()
        self.spool.release(found)  # (a process that sends each tab back keeps none: its spool stays in memory)
        return found

    def replace_tree(self, part: str, xml: bytes) -> None:
        """Give a small part new content, parsed when next asked for (not marked changed)."""
        self._trees.pop(part, None)
        self._bytes[part] = xml

    def create(self, part: str, root: etree._Element, content_type: str | None) -> None:
        """A new part holding the tree ``root``."""
        self._trees[part] = root
        self.touch(part)
        if content_type:
            self.override(part, content_type)

    def remove(self, part: str) -> None:
        """Remove a part and its content-type override."""
        self._removed.add(part)
        self.override(part, None)

    def free_name(self, pattern: str) -> str:
        """The first part name ``pattern % n`` not taken, n = 1, 2, ..."""
        n = 1
        while self.exists(pattern % n):
            n += 1
        return pattern % n

    def changed(self) -> dict[str, bytes | Packed | Kept | None]:
        """New content of every changed part (None: the part is removed), in the order new parts
        are written: given bytes (charts), rendered parts (sheets), then trees."""
        out: dict[str, bytes | Packed | Kept | None] = {part: data for part, data in self._bytes.items()
                                                 if part not in self._packed}
        out.update((part, self.packed(part)) for part in self._packed)
        for part in self._removed:
            out[part] = None
        for part in self._dirty:
            if part not in self._removed:
                tree = self._trees[part].getroottree()
                standalone = tree.docinfo.standalone
                out[part] = etree.tostring(tree, xml_declaration=True, encoding="UTF-8",
                                           standalone=True if standalone is None else standalone)
        return out

    def saved(self, path: Path, infos: list[zipfile.ZipInfo], comment: bytes) -> None:
        """The saved file ``path`` becomes the source: every change is in it now."""
        self.adopt(path, infos, comment)
        for part in self._removed:
            self._trees.pop(part, None)
        self._bytes.clear()
        self._packed.clear()
        self.spool.close()
        self._removed.clear()
        self._dirty.clear()

    # -- content types ----------------------------------------------------------------------

    def override(self, part: str, content_type: str | None) -> None:
        """Set (or, with None, remove) the content-type override of ``part``."""
        types = self.tree(CONTENT_TYPES)
        for el in types.iterfind(f"{{{CT_NS}}}Override"):
            if el.get("PartName", "").lower() == "/" + part.lower():
                types.remove(el)
        if content_type:
            etree.SubElement(types, f"{{{CT_NS}}}Override", PartName="/" + part, ContentType=content_type)
        self.touch(CONTENT_TYPES)

    def _default(self, extension: str, content_type: str) -> None:
        """Give files ending in ``extension`` the content type ``content_type``, unless they have one."""
        types = self.tree(CONTENT_TYPES)
        defaults = types.findall(f"{{{CT_NS}}}Default")
        if any(el.get("Extension", "").lower() == extension for el in defaults):
            return
        el = etree.Element(f"{{{CT_NS}}}Default", Extension=extension, ContentType=content_type)
        types.insert(types.index(defaults[-1]) + 1 if defaults else 0, el)
        self.touch(CONTENT_TYPES)

    # -- relationships ----------------------------------------------------------------------

    def _rels_tree(self, source: str, create: bool = False) -> etree._Element | None:
        part = rels_part(source)
        if self.exists(part):
            return self.tree(part)
        if not create:
            return None
        self.create(part, etree.Element(f"{{{PKG_REL_NS}}}Relationships", nsmap={None: PKG_REL_NS}), None)
        self._default("rels", CT_RELS)
        return self._trees[part]

    def rels(self, source: str) -> list[tuple[str, str, str]]:
        """(rId, type, target part) of the internal relationships of ``source``."""
        tree = self._rels_tree(source)
        if tree is None:
            return []
        base = posixpath.dirname(source)
        out = []
        for el in tree.iterfind(f"{{{PKG_REL_NS}}}Relationship"):
            if el.get("TargetMode") == "External":
                continue
            target = el.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(base, target))
            out.append((el.get("Id", ""), el.get("Type", ""), self._names.get(path.lower(), path)))
        return out

    def add_rel(self, source: str, rtype: str, target: str) -> str:
        """Relate ``source`` to the part ``target`` with the type ``rtype``; returns the new rId."""
        tree = self._rels_tree(source, create=True)
        taken = {el.get("Id") for el in tree}
        n = len(taken) + 1
        while f"rId{n}" in taken:
            n += 1
        rel_target = posixpath.relpath(target, posixpath.dirname(source) or ".")
        etree.SubElement(tree, f"{{{PKG_REL_NS}}}Relationship", Id=f"rId{n}", Type=rtype, Target=rel_target)
        self.touch(rels_part(source))
        return f"rId{n}"

    def remove_rel(self, source: str, rid: str) -> None:
        """Remove the relationship ``rid`` of ``source``."""
        tree = self._rels_tree(source)
        for el in tree.iterfind(f"{{{PKG_REL_NS}}}Relationship"):
            if el.get("Id") == rid:
                tree.remove(el)
        self.touch(rels_part(source))

    def rel_target(self, source: str, rid: str) -> str:
        """The part the relationship ``rid`` of ``source`` points at."""
        for r, _, part in self.rels(source):
            if r == rid:
                return part
        raise InvalidPackageError("part-missing", f"Thiếu quan hệ '{rid}' của phần '{source}'.")
