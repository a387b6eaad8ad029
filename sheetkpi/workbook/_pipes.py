"""Messages between sheetkpi's processes (see :mod:`sheetkpi.workbook.parallel`): each a pickle
after its length, over a child's standard input and output. Kept apart so that a process that
needs little (:mod:`sheetkpi.workbook._segments`) imports little."""

from __future__ import annotations

import os
import pickle
import struct
import sys
from typing import IO, Any


def send(pipe: IO[bytes], value: object) -> None:
    """Send ``value`` as one message."""
    write_frame(pipe, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


def write_frame(pipe: IO[bytes], data: bytes) -> None:
    """One message: its length, then the pickle (written apart: joined, a tab's packed part or a
    chunk of read tabs, megabytes, would be copied once more)."""
    pipe.write(struct.pack("<Q", len(data)))
    pipe.write(data)
    pipe.flush()


def receive(pipe: IO[bytes]) -> Any:
    """The next message (EOFError when the other end has closed)."""
    head = pipe.read(8)
    if len(head) < 8:
        raise EOFError
    (length,) = struct.unpack("<Q", head)
    data = pipe.read(length)
    if len(data) < length:
        raise EOFError
    return pickle.loads(data)  # from the child this module started: trusted


def answers() -> IO[bytes]:
    """The second process's channel back: standard output to itself, anything printed meanwhile
    going to stderr."""
    channel = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    return channel
