"""Zip I/O of the package: a part read at its offset, unchanged parts copied as their raw
compressed bytes (:class:`ZipWriter`), changed parts deflated as they are rendered, by a worker
thread while the next ones render (:class:`PackStream`, :class:`Deflater`); a part's middle may be
deflated elsewhere, on its own (:func:`pack_segment`, :meth:`PackStream.insert`); what is packed
waits for the save in a :class:`Spool` (a temporary file past a few MiB)."""

from __future__ import annotations

import datetime as dt
import os
import struct
import tempfile
import threading
import zipfile
import zlib
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ..errors import os_error_message
from .xmlsafe import InvalidPackageError, PackageError, PackageLimitError

CHUNK = 1 << 20  # a part's rendered bytes are deflated in chunks of about this size
JOB = 2 << 20  # bytes handed to the deflating thread at a time
LEVEL = 6  # zlib's default: bench/run.py finds it from what is written (docs/performance.md says why)
IN_FLIGHT = 2  # jobs waiting for it at most: bounds what a fast renderer piles up
SPOOL_MEMORY = 4 << 20  # packed parts kept in memory up to this much, the rest in a temporary file
SPILL = 1 << 20  # packed bytes a part being packed holds at most, the rest gone to the spool's file


@dataclass(frozen=True)
class Packed:
    """A part's new content, compressed as it will be stored."""

    payload: bytes
    crc: int
    size: int  # uncompressed
    method: int

    @classmethod
    def of(cls, data: bytes, compress_type: int) -> Packed:
        """``data`` deflated, or stored when the part it replaces was stored."""
        stream = PackStream(None, compress_type)
        stream.write(data)
        return stream.close().packed()

    @property
    def compressed_size(self) -> int:
        return len(self.payload)

    def content(self) -> bytes:
        """The part's bytes, uncompressed."""
        return _unpacked(self.payload, self.method)

    def write_to(self, fh: BinaryIO) -> None:
        """Write the packed bytes to ``fh``."""
        fh.write(self.payload)


def _unpacked(payload: bytes, method: int) -> bytes:
    return payload if method == zipfile.ZIP_STORED else zlib.decompress(payload, -15)


class Spool:
    """Where a package's packed parts wait for the save: in memory (as :class:`Packed`) while they
    come to :data:`SPOOL_MEMORY` at most, the others in a temporary file of the system's temporary
    folder (TMPDIR; as :class:`Kept`), so that a run does not hold what it has written at its
    fullest (a 300,000-KPI workbook's parts are 55 MiB packed). When that file cannot be made or
    written (the folder full, missing or read-only), parts stay in memory, as before there was a
    spool: it saves memory, never a run. Parts are kept from the deflating thread and from this one."""

    def __init__(self) -> None:
        self._file: BinaryIO | None = None
        self._held = 0  # bytes of the parts kept in memory
        self._refused = False  # the temporary file could not be made or written
        self._lock = threading.Lock()

    def keep(self, chunks: Sequence[bytes], crc: int, size: int, method: int,
             earlier: tuple[tuple[int, int], ...] = ()) -> Packed | Kept:
        """The packed bytes ``chunks`` (of a part of ``size`` bytes, its CRC ``crc``) kept here, after
        ``earlier``: the part's first packed bytes, in the file already (see :meth:`spill`)."""
        with self._lock:
            if not earlier and (self._refused or self._held + sum(map(len, chunks)) <= SPOOL_MEMORY):
                return self._in_memory(chunks, crc, size, method)
            extent = None if self._refused else self._write(chunks)
            if extent is None:  # (the file refused: the part in memory, its first bytes read back)
                return self._in_memory([*(self._read(*e) for e in earlier), *chunks], crc, size, method)
            return Kept(self, (*earlier, extent), crc, size, method)

    def spill(self, chunks: Sequence[bytes]) -> tuple[int, int] | None:
        """Write ``chunks``, packed bytes of a part still being packed, to the file: their place in
        it (offset, length), given to :meth:`keep` with the part's last bytes; None when the file
        cannot be written (they stay with the part). "Lịch sử" and "Tổng hợp" at 300,000 KPIs are
        10 and 12 MiB packed, which their render held until its end."""
        with self._lock:
            return None if self._refused else self._write(chunks)

    def _write(self, chunks: Sequence[bytes]) -> tuple[int, int] | None:
        """``chunks`` appended to the file (the lock held): where, or None when it cannot be made
        or written (refused from then on)."""
        try:
            if self._file is None:
                # Unbuffered: a write that fails (a full disk) fails here, leaving no bytes
                # behind in a buffer that every later read would try to write again.
                self._file = tempfile.TemporaryFile(prefix="sheetkpi-", buffering=0)
            start = self._file.seek(0, os.SEEK_END)
            for chunk in chunks:
                view = memoryview(chunk)
                while view:
                    view = view[self._file.write(view):]
            return start, self._file.tell() - start
        except OSError:
            self._refused = True  # (the parts kept there before stay readable)
            return None

    def _in_memory(self, chunks: Sequence[bytes], crc: int, size: int, method: int) -> Packed:
        packed = Packed(b"".join(chunks), crc, size, method)
        self._held += len(packed.payload)
        return packed

    def release(self, packed: Packed) -> None:
        """``packed``, kept here in memory, is no longer (taken back by its part)."""
        with self._lock:
            self._held = max(0, self._held - len(packed.payload))

    def read(self, offset: int, length: int) -> bytes:
        """``length`` bytes kept at ``offset`` in the temporary file."""
        with self._lock:
            return self._read(offset, length)

    def _read(self, offset: int, length: int) -> bytes:
        if self._file is None:
            raise ValueError("the spool was closed: its parts were saved")  # (a bug, not the disk)
        try:
            self._file.seek(offset)
            data = self._file.read(length)
        except OSError as exc:
            raise PackageError("save-failed", f"Không đọc lại được tệp tạm của sheetkpi: {os_error_message(exc)} "
                               "Sổ tính chưa được ghi.") from exc
        if len(data) != length:
            raise PackageError("save-failed", "Tệp tạm của sheetkpi bị cắt cụt. Sổ tính chưa được ghi.")
        return data

    def copy(self, offset: int, length: int, fh: BinaryIO) -> None:
        """Write ``length`` bytes kept at ``offset`` to ``fh``, a MiB at a time."""
        end = offset + length
        while offset < end:
            piece = self.read(offset, min(CHUNK, end - offset))
            fh.write(piece)
            offset += len(piece)

    def close(self) -> None:
        """Nothing kept any more (the parts were saved): the temporary file goes."""
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None
            self._held = 0


@dataclass(frozen=True)
class Kept:
    """A part's new content, packed and kept in a :class:`Spool`'s temporary file (as
    :class:`Packed`, whose bytes are in memory): at ``extents``, (offset, length) each, in order."""

    spool: Spool
    extents: tuple[tuple[int, int], ...]
    crc: int
    size: int
    method: int

    @property
    def compressed_size(self) -> int:
        return sum(length for _, length in self.extents)

    def packed(self) -> Packed:
        """The same, its bytes in memory (to send to another process)."""
        return Packed(self._payload(), self.crc, self.size, self.method)

    def content(self) -> bytes:
        """The part's bytes, uncompressed."""
        return _unpacked(self._payload(), self.method)

    def write_to(self, fh: BinaryIO) -> None:
        """Write the packed bytes to ``fh``."""
        for offset, length in self.extents:
            self.spool.copy(offset, length, fh)

    def _payload(self) -> bytes:
        return b"".join(self.spool.read(offset, length) for offset, length in self.extents)


class PackStream:
    """A part packed as it is rendered, so that a big sheet is never held whole: its pieces are
    gathered into chunks of about a MiB, deflated by a :class:`Deflater` while the caller renders
    the next ones, or at once without one.

    A part is deflated chunk by chunk either way; the chunks depend only on the pieces, so the
    output is deterministic, and the same bytes as deflating the whole part in one call (chunks
    are far larger than deflate's window; tests/test_package_writer.py checks it). A segment packed
    on its own (:func:`pack_segment`) may be put in the middle (:meth:`insert`): the same XML,
    other bytes than one call over it all.
    """

    def __init__(self, deflater: Deflater | None, compress_type: int, *, segment: bool = False,
                 spool: Spool | None = None):
        self._deflater = deflater
        self._segment = segment  # the middle of a part (see pack_segment): it ends, not finishes
        self._spool = spool  # where the packed part goes once finished, if not kept here
        self.method = zipfile.ZIP_STORED if compress_type == zipfile.ZIP_STORED else zipfile.ZIP_DEFLATED
        self._packer = None  # made by the first chunk, in the thread that deflates
        self._pieces: list[bytes] = []
        self._gathered = 0  # bytes in _pieces
        self._done: list[bytes] = []  # packed chunks
        self._held = 0  # bytes in _done
        self._spilled: list[tuple[int, int]] = []  # where the spool's file has the chunks before them
        self._crc = 0
        self._size = 0
        self._result: Packed | Kept | None = None

    def write(self, piece: bytes) -> None:
        if len(piece) >= CHUNK and self._pieces:
            self._send(final=False)  # a large piece goes alone, as it is (a chunk of one is not copied)
        self._pieces.append(piece)
        self._gathered += len(piece)
        if self._gathered >= CHUNK:
            self._send(final=False)

    def insert(self, segment: Packed) -> None:
        """Put ``segment`` (from :func:`pack_segment`) after the pieces written so far: what was
        deflated before it ends at a byte boundary, what comes after it is deflated afresh (neither
        refers to the other's bytes, so the stream reads as their concatenation)."""
        if self.method != zipfile.ZIP_DEFLATED or segment.method != zipfile.ZIP_DEFLATED:
            raise ValueError("a segment goes only into a deflated part")
        if self._pieces:
            self._send(final=False)
        if self._deflater is None:
            self.pack(segment, False)
        else:
            self._deflater.add(self, segment, False)

    def close(self) -> PackStream:
        """No more pieces; the packing may still be going on (see :meth:`packed`)."""
        self._send(final=True)
        return self

    def packed(self) -> Packed | Kept:
        """The packed part, once the deflater is done with it (kept in the spool when given one)."""
        if self._result is None:
            if self._deflater is not None:
                self._deflater.finish()
            if self._result is None:  # (with a spool, the last chunk's packing put it there)
                self._result = Packed(b"".join(self._done), self._crc, self._size, self.method)
                self._done.clear()
        return self._result

    def _send(self, final: bool) -> None:
        chunk = b"".join(self._pieces)
        self._pieces.clear()
        self._gathered = 0
        if self._deflater is None:
            self.pack(chunk, final)
        else:
            self._deflater.add(self, chunk, final)

    def pack(self, chunk: bytes | Packed, final: bool) -> None:
        """Pack the next chunk, or put a segment (in the deflating thread when there is one, in order)."""
        if isinstance(chunk, Packed):
            if self._packer is not None:
                self._add(self._packer.flush(zlib.Z_SYNC_FLUSH))
                self._packer = None  # (the bytes after the segment start a deflate of their own)
            self._add(chunk.payload)
            self._crc = crc32_combine(self._crc, chunk.crc, chunk.size)
            self._size += chunk.size
            return
        self._crc = zlib.crc32(chunk, self._crc)
        self._size += len(chunk)
        if self.method == zipfile.ZIP_STORED:
            self._add(chunk)
        else:
            if self._packer is None:
                self._packer = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
            self._add(self._packer.compress(chunk))
            if final:
                self._add(self._packer.flush(zlib.Z_SYNC_FLUSH if self._segment else zlib.Z_FINISH))
        if final and self._spool is not None:
            self._result = self._spool.keep(self._done, self._crc, self._size, self.method, tuple(self._spilled))
            self._done.clear()

    def _add(self, packed: bytes) -> None:
        """Packed bytes, after those before; a big part's go to the spool's file as they come (see
        :meth:`Spool.spill`), not held until it is finished."""
        self._done.append(packed)
        self._held += len(packed)
        if self._held >= SPILL and self._spool is not None:
            extent = self._spool.spill(self._done)
            if extent is not None:
                self._spilled.append(extent)
                self._done.clear()
                self._held = 0


class Deflater:
    """A thread that deflates rendered parts while the next ones render (zlib releases the GIL).

    Chunks are handed over in jobs of a few MiB, from one part or several: every job costs hand-
    overs of the GIL between the threads, which a job per 250 KiB unit tab would multiply.
    """

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sheetkpi-deflate")
        self._batch: list[tuple[PackStream, bytes | Packed, bool]] = []
        self._gathered = 0
        self._jobs: deque[Future] = deque()
        self._failed: BaseException | None = None

    def add(self, stream: PackStream, chunk: bytes | Packed, final: bool) -> None:
        self._refuse_if_failed()
        self._batch.append((stream, chunk, final))
        self._gathered += len(chunk) if isinstance(chunk, bytes) else 0
        if self._gathered >= JOB:
            self._submit()

    def finish(self) -> None:
        """Wait until every chunk handed over is packed."""
        self._refuse_if_failed()
        if self._batch:
            self._submit()
        while self._jobs:
            self._wait_oldest()

    def close(self) -> None:
        try:
            self.finish()
        finally:
            self._pool.shutdown()

    def _submit(self) -> None:
        batch, self._batch, self._gathered = self._batch, [], 0
        self._jobs.append(self._pool.submit(pack_all, batch))
        while len(self._jobs) > IN_FLIGHT:
            self._wait_oldest()

    def _wait_oldest(self) -> None:
        job = self._jobs[0]
        try:
            job.result()
        except BaseException:
            # A job that failed lost chunks of its parts: they would be saved short but with
            # consistent sizes. An interrupt of the wait itself leaves the job queued, waited for again.
            if job.done() and not job.cancelled() and job.exception() is not None:
                self._failed = job.exception()
            raise
        self._jobs.popleft()

    def _refuse_if_failed(self) -> None:
        if self._failed is not None:
            raise PackageError(
                "save-failed", f"Không nén được dữ liệu để ghi ({self._failed.__class__.__name__}); "
                "sổ tính chưa được ghi. Hãy chạy lại.",
            ) from self._failed


def pack_segment(pieces: Iterable[bytes], deflater: Deflater | None = None) -> Packed:
    """``pieces`` deflated on their own as the middle of a part (see :meth:`PackStream.insert`),
    in a :class:`PackStream`'s chunks, ending at a byte boundary, not the last block (so it has no
    :meth:`Packed.content` of its own): the same bytes for the same pieces wherever it runs (see
    :mod:`sheetkpi.workbook._segments`), by ``deflater``'s thread while they are made, if given."""
    stream = PackStream(deflater, zipfile.ZIP_DEFLATED, segment=True)
    for piece in pieces:
        stream.write(piece)
    return stream.close().packed()


def crc32_combine(crc1: int, crc2: int, size2: int) -> int:
    """The CRC-32 of two byte strings one after the other, from each one's CRC and the second's
    length (zlib's crc32_combine, which Python does not offer). CRC-32 is affine in its starting
    value: crc(B, c) = crc(B, 0) ^ crc(0s, c) ^ crc(0s, 0), with 0s as many zero bytes as B."""
    from_crc1, from_zero = crc1, 0
    zeros = memoryview(bytes(min(size2, CHUNK)))
    while size2 > 0:
        step = zeros[: min(size2, len(zeros))]
        from_crc1, from_zero = zlib.crc32(step, from_crc1), zlib.crc32(step, from_zero)
        size2 -= len(step)
    return crc2 ^ from_crc1 ^ from_zero


def pack_all(batch: list[tuple[PackStream, bytes | Packed, bool]]) -> None:
    """One job of the deflating thread."""
    for stream, chunk, final in batch:
        stream.pack(chunk, final)


def data_offset(src, info: zipfile.ZipInfo) -> int:
    """Where the data of member ``info`` starts in the open archive ``src`` (its local header checked)."""
    src.seek(info.header_offset)
    header = src.read(30)
    if len(header) != 30 or header[:4] != b"PK\x03\x04":
        raise InvalidPackageError("zip-corrupt", f"Phần '{info.filename}' của tệp bị hỏng (zip).")
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    return info.header_offset + 30 + name_len + extra_len


def read_member(path: Path, info: zipfile.ZipInfo) -> bytes:
    """The content of one member, reading only its own bytes: opening the archive with zipfile
    reads the whole central directory, a cost per part that adds up to seconds over 500 sheets."""
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        with zipfile.ZipFile(path) as zf:  # not written by Office programs; zipfile knows how
            return zf.read(info)
    with open(path, "rb") as src:
        src.seek(data_offset(src, info))
        raw = src.read(info.compress_size)
    data = raw if info.compress_type == zipfile.ZIP_STORED else inflate(raw, info.file_size)
    if len(data) != info.file_size or zlib.crc32(data) != info.CRC:
        raise InvalidPackageError("zip-corrupt", f"Phần '{info.filename}' của tệp bị hỏng (sai kích thước hoặc CRC).")
    return data


def iter_member(path: Path, info: zipfile.ZipInfo, step: int = CHUNK) -> Iterator[bytes]:
    """The content of a stored or deflated member in pieces of at most ``step`` bytes, never more
    than its size, checked against its size and CRC once the last piece is out (``zip-corrupt``)."""
    inflater = None if info.compress_type == zipfile.ZIP_STORED else zlib.decompressobj(-15)
    size = crc = 0
    with open(path, "rb") as src:
        src.seek(data_offset(src, info))
        left = info.compress_size
        pending = b""
        while size <= info.file_size:
            if not pending and left > 0:
                pending = src.read(min(step, left))
                if not pending:
                    break  # the file ends before the member does
                left -= len(pending)
            if inflater is None:
                piece, pending = pending, b""
            elif inflater.eof:
                break
            else:
                # (Called with no input once it is all given: zlib may still hold output for it.)
                piece = inflater.decompress(pending, max(1, min(step, info.file_size + 1 - size)))
                pending = inflater.unconsumed_tail
            if piece:
                size += len(piece)
                crc = zlib.crc32(piece, crc)
                if size <= info.file_size:
                    yield piece
            elif not pending and left == 0:
                break  # all given, nothing more comes out
    if size != info.file_size or crc != info.CRC:
        raise InvalidPackageError("zip-corrupt", f"Phần '{info.filename}' của tệp bị hỏng (sai kích thước hoặc CRC).")


BIG_PART = 4 << 20  # parts inflated into a buffer of their final size (see inflate)


def inflate(raw: bytes, size: int) -> bytes:
    """Raw deflate data the directory says holds ``size`` bytes; never more than ``size + 1``, so a
    part that lies about its size cannot inflate without limit (the caller finds it broken)."""
    if size <= BIG_PART:
        return zlib.decompressobj(-15).decompress(raw, size + 1)
    # Bounded inflating gathers blocks, then joins them: twice a big part's size at once (a
    # 40 MB "Lịch sử"). Inflated into a buffer of exactly its size it is held once; a first pass
    # that keeps nothing checks the size, at a few hundredths of a second.
    check, pending, total = zlib.decompressobj(-15), raw, 0
    while not check.eof and total <= size:
        chunk = check.decompress(pending, 1 << 20)
        pending = check.unconsumed_tail
        if not chunk and not pending:
            break  # the data ends before the stream does
        total += len(chunk)
    if total != size or not check.eof:
        return b""
    return zlib.decompress(raw, -15, size)


class ZipWriter:
    """Writes a zip archive whose unchanged members are copied as raw compressed bytes.

    zipfile cannot emit a member without recompressing it, and recompressing would be slower and
    would not keep the stored bytes; this writer copies the member's data untouched and writes a
    fresh local header (sizes and CRC taken from the source's central directory).
    """

    _LOCAL = struct.Struct("<4sHHHHHLLLHH")
    _CENTRAL = struct.Struct("<4sBBBBHHHHLLLHHHHHLL")
    _END = struct.Struct("<4sHHHHLLH")

    def __init__(self, fh):
        self.fh = fh
        self.central: list[bytes] = []

    def copy_raw(self, info: zipfile.ZipInfo, src) -> None:
        """Copy member ``info`` of the open source archive ``src`` without inflating it."""
        src.seek(data_offset(src, info))
        # Bit 3 (sizes in a trailing data descriptor) is cleared: the new local header has them.
        self._header(info, info.compress_type, info.flag_bits & ~0x8, info.CRC, info.compress_size, info.file_size)
        left = info.compress_size
        while left:
            chunk = src.read(min(left, 1 << 20))
            if not chunk:
                raise InvalidPackageError("zip-corrupt", f"Phần '{info.filename}' của tệp bị cắt cụt.")
            self.fh.write(chunk)
            left -= len(chunk)

    def write(self, info: zipfile.ZipInfo, data: bytes | Packed | Kept) -> None:
        """Write member ``info`` with new content ``data`` (stored stays stored, else deflated)."""
        packed = data if isinstance(data, (Packed, Kept)) else Packed.of(data, info.compress_type)
        self._header(info, packed.method, 0, packed.crc, packed.compressed_size, packed.size)
        packed.write_to(self.fh)

    def _header(self, info: zipfile.ZipInfo, method: int, flags: int, crc: int, csize: int, usize: int) -> None:
        offset = self.fh.tell()
        if max(offset, csize, usize) >= 0xFFFFFFFF or len(self.central) >= 0xFFFF:
            raise PackageLimitError("zip-too-large", "Tệp kết quả vượt giới hạn của định dạng zip (4 GiB).")
        try:
            name = info.filename.encode("ascii")
            flags &= ~0x800
        except UnicodeEncodeError:
            name = info.filename.encode("utf-8")
            flags |= 0x800
        flags &= 0x80E  # keep deflate options and UTF-8; nothing else applies to what we write
        year, month, day, hour, minute, second = info.date_time
        dos_date = (max(year, 1980) - 1980) << 9 | month << 5 | day
        dos_time = hour << 11 | minute << 5 | second // 2
        version = 20 if method in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) else info.extract_version
        self.fh.write(self._LOCAL.pack(b"PK\x03\x04", version, flags, method, dos_time, dos_date, crc, csize,
                                       usize, len(name), 0) + name)
        comment = info.comment or b""
        self.central.append(self._CENTRAL.pack(
            b"PK\x01\x02", info.create_version, info.create_system, version, 0, flags, method, dos_time,
            dos_date, crc, csize, usize, len(name), 0, len(comment), 0, info.internal_attr,
            info.external_attr & 0xFFFFFFFF, offset) + name + comment)

    def close(self, comment: bytes) -> None:
        """Write the central directory and the end record."""
        start = self.fh.tell()
        for record in self.central:
            self.fh.write(record)
        size = self.fh.tell() - start
        if start >= 0xFFFFFFFF:
            raise PackageLimitError("zip-too-large", "Tệp kết quả vượt giới hạn của định dạng zip (4 GiB).")
        self.fh.write(self._END.pack(b"PK\x05\x06", 0, 0, len(self.central), len(self.central), size, start,
                                     len(comment)) + comment)


def _new_info(name: str) -> zipfile.ZipInfo:
    """Zip metadata of a part new to the package."""
    info = zipfile.ZipInfo(name, date_time=dt.datetime.now().timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 0  # as Excel writes it; no Unix permission bits for a document part
    info.create_version = 20
    return info


def write_zip(fh: BinaryIO, source: Path, infos: list[zipfile.ZipInfo],
              parts: dict[str, bytes | Packed | Kept | None], comment: bytes) -> None:
    """Write the package to ``fh``: the members of ``source`` (``infos``, in their order) copied raw
    unless ``parts`` gives them new content (None: removed), then the new parts."""
    writer = ZipWriter(fh)
    with open(source, "rb") as src:
        for info in infos:
            if info.filename not in parts:
                writer.copy_raw(info, src)
            elif parts[info.filename] is not None:
                writer.write(info, parts[info.filename])
    known = {info.filename for info in infos}
    for name, data in parts.items():
        if name not in known and data is not None:
            writer.write(_new_info(name), data)
    writer.close(comment)
