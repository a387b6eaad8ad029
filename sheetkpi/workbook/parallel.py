"""A large workbook file read and written by two processes: unit tabs read by a second process
from the last tab back while this one reads from the first, until they meet
(:class:`TwoProcessReader`); then unit tabs rendered by a second process while this one evaluates
the units and writes the tabs it does not take, and, once they are done, the lower rows of
"Tổng hợp" packed by a lean one while this one writes the upper rows (:class:`SheetRenderer`).

python-calamine holds the GIL while it parses a sheet, so a thread cannot read beside the main one
(measured: docs/performance.md); a second process can. It opens the same file, reads whole tabs
(grid, structure, KPIs: :meth:`sheetkpi.reading.TabJob.read`) and sends back what it found, which
:func:`sheetkpi.reading.read_grids` takes in workbook order as if it had read every tab itself.

The tabs are shared in chunks: the second process asks for the last chunk nobody has taken, this
one takes the first; so neither waits for the other longer than one chunk takes. The second process
is a Python interpreter running :func:`serve`, talking over its standard input and output (not
multiprocessing, whose "spawn" runs the caller's main script again in the child, and whose "fork"
is unsafe beside threads). It costs about 0.1 s to start, so only workbooks whose unit tabs are
large enough are read this way (:func:`worth_it`). If it cannot start, dies (killed, out of
memory) or fails on anything but a damaged tab, the chunks it had taken are read here.
"""

from __future__ import annotations

import datetime as dt
import os
import pickle
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ..errors import SheetkpiError
from ..parsing.text import fold
from ..reading import NON_UNIT_KEYS, TabJob, TabRead, taking_shared
from ._memory import give_back
from ._pipes import answers, receive, send, write_frame

if TYPE_CHECKING:
    from ..structure import Grid
    from ..writes import SheetWrites
    from ._zip import Kept, Packed
    from .package import Package
    from .reader import Grids

# Below this many bytes of unit-tab XML (inflated; about 5,000 KPI rows) one process reads faster
# than two: starting the second costs more than the half it would read.
MIN_SHEET_BYTES = 8 << 20
CHUNKS = 16  # chunks of tabs shared out: finer balances better, each costs a hand-over
# Unit tabs sent to the renderer and not yet back, at most. 100,000 KPIs, measured: 2 tabs ahead,
# the renderer waits (evaluating and writing units 4.1 s); 4, 3.5 s; 6 and 8, 3.2–3.3 s; a tab's
# writes wait pickled, a few hundred kB each.
AHEAD = 6
# A sheet this process renders before the unit tabs ("Lịch sử") is held back until this share of the
# unit tabs is sent, which the second process renders meanwhile. Measured at 100,000 KPIs: about
# 0.3, 3 % faster than none (265–267 MiB together instead of 261–263); 0.45, it no longer runs out
# of tabs before "Lịch sử" is done here, but the units evaluated for it hold 275 MiB (300,000 KPIs:
# 696 instead of 671), for 0.5 % more.
LEAD = 0.3
# The last share of the unit tabs all go to the second process, however many it has in hand: it
# renders them while this one plans "Tổng hợp" (about half a second at 100,000 KPIs, which a tenth
# of the tabs take there). Measured at 100,000 KPIs, alternated: 2.5 % faster than none (first run,
# median of 4: 9.92 s against 10.27). A fifth, tried before, was slower: a tab takes 8 ms there and
# 6 here, and more than this one's plan lasts leaves it waiting.
TAIL = 0.12
# The most "Tổng hợp"'s lower rows are waited for from the moment they are asked for (about a second
# at 100,000 KPIs): past it the process packing them is stuck, and they are packed here (the same bytes).
SEGMENT_WAIT = 120.0
# SHEETKPI_PROCESSES=1: always one process (a machine short of memory); =2: two whenever a Python
# interpreter can be started, whatever the size; unset: as worth_it decides.
ENV = "SHEETKPI_PROCESSES"
# The second process imports what this one imported: it gets this process's sys.path and
# interpreter flags, and ends at once (its tabs then read here) unless the sheetkpi it finds is this
# one. (`python -m` or `-c` alone would put the child's current folder first, where another
# checkout of sheetkpi, or a file named lxml.py, would be imported instead; a path cut by hand
# would lose PYTHONPATH, -I, -P, an embedded Python's ._pth.)
_BOOT = ("import os, sys; sys.path[:] = {path!r}; import sheetkpi\n"
         "if os.path.realpath(sheetkpi.__file__) != {package!r}: sys.exit(3)\n"
         "from sheetkpi.workbook.{module} import {serve}; {serve}()")
_SERVED_BY = {"serve_segments": "_segments"}  # the module of each child's function, if not this one


def _child_command(serving: str = "serve") -> list[str]:
    import sheetkpi

    path = [os.path.abspath(entry or os.curdir) for entry in sys.path]
    boot = _BOOT.format(path=path, package=os.path.realpath(sheetkpi.__file__), serve=serving,
                        module=_SERVED_BY.get(serving, "parallel"))
    # (A private helper of the standard library, which multiprocessing uses too: if a Python lacks
    # it, the child runs without this one's flags, its identity check still in place.)
    flags = getattr(subprocess, "_args_from_interpreter_flags", list)()
    return [sys.executable, *flags, "-c", boot]




def worth_it(package: Package) -> bool:
    """Whether reading the workbook's unit tabs in two processes is faster than in one: two CPUs
    for this process, a Python interpreter to start (not Excel's or LibreOffice's embedded one)
    and enough unit-tab XML; or as :data:`ENV` says."""
    wanted = os.environ.get(ENV, "").strip()
    if wanted == "1":
        return False
    if not Path(sys.executable or "").name.lower().startswith("python"):
        return False
    if wanted == "2":
        return True
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if cpus < 2:
        return False
    sizes = package.sheet_sizes()
    return sum(size for name, size in sizes.items() if fold(name) not in NON_UNIT_KEYS) >= MIN_SHEET_BYTES


class TwoProcessReader:
    """A :data:`sheetkpi.reading.TabReader` sharing the tabs with a second process (see the module).

    The second process starts when this is made, and opens the file while this one reads the
    settings; it reads tabs from the call on, while this one reads "Lịch sử". :meth:`close` (or
    the end of a ``with`` block) ends it, read or not.
    """

    def __init__(self, path: Path, grids: Grids) -> None:
        self._grids = grids  # this process's grids of the same file
        self._serving: threading.Thread | None = None
        self._child = _start("serve", path)

    def __call__(self, names: list[str], job: TabJob, sheets: Mapping[str, Grid],
                 shared: dict[str, str]) -> Iterator[TabRead]:
        # The second process starts on the last chunks now, while this one goes on with what it
        # reads before the tabs ("Lịch sử": 100,000 rows, a second and a half); then this one reads
        # from the first chunk.
        size = max(1, -(-len(names) // CHUNKS))
        chunks = [names[i:i + size] for i in range(0, len(names), size)]
        shares = _Shares(len(chunks))
        if _tell(self._child, (job, chunks)):
            self._serving = threading.Thread(target=shares.serve, args=(self._child.stdout, self._child.stdin),
                                             daemon=True, name="sheetkpi-tabs")
            self._serving.start()
        else:
            shares.serve_none()  # no second process, or it ended at once: every tab read here
        return self._take(chunks, shares, job, sheets, shared)

    def _take(self, chunks: list[list[str]], shares: _Shares, job: TabJob, sheets: Mapping[str, Grid],
              shared: dict[str, str]) -> Iterator[TabRead]:
        try:
            for i, chunk in enumerate(chunks):
                found = shares.take(i)
                if found is None:  # this process's chunk, or one the second process could not finish
                    for name in chunk:
                        yield job.read(name, sheets[name], shared)
                    give_back()
                    continue
                if isinstance(found, BaseException):
                    raise found  # a damaged tab: as if read here, in workbook order
                self._grids.read_elsewhere(chunk)
                for tab in found:
                    yield taking_shared(tab, shared)
        finally:
            self.close()

    def close(self) -> None:
        """End the second process (killed if still reading: what it read is not needed)."""
        child, self._child = self._child, None
        _end(child, self._serving)

    def __enter__(self) -> TwoProcessReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Shares:
    """Who reads which chunk. The serving thread answers the second process; the main thread
    takes chunks from the start and waits for the second process's."""

    def __init__(self, count: int) -> None:
        self._changed = threading.Condition()
        self._low, self._high = 0, count - 1  # the next chunk for this process, for the other one
        self._results: dict[int, Any] = {}
        self._gone = False  # the second process has stopped talking

    def take(self, i: int) -> list[TabRead] | BaseException | None:
        """Chunk ``i``'s tabs as read by the second process, or None when this process reads it."""
        with self._changed:
            if self._low == i and i <= self._high:
                self._low += 1
                return None
            self._changed.wait_for(lambda: i in self._results or self._gone)
            return self._results.pop(i, None)

    def serve(self, answers: IO[bytes], asks: IO[bytes]) -> None:
        """Answer the second process until it stops."""
        try:
            while True:
                message = receive(answers)
                with self._changed:
                    if message[0] == "done":
                        self._results[message[1]] = message[2]
                        self._changed.notify_all()
                        continue
                    grant = self._high if self._low <= self._high else None
                    if grant is not None:
                        self._high -= 1
                send(asks, grant)
        except (EOFError, OSError, ValueError, pickle.UnpicklingError):
            pass  # the second process ended (or was ended): what it did not send is read here
        finally:
            self.serve_none()

    def serve_none(self) -> None:
        """The second process has stopped: what it had not sent back is read here."""
        with self._changed:
            self._gone = True
            self._changed.notify_all()


def _start(serving: str, path: Path | None = None) -> subprocess.Popen | None:
    """A process running ``serving`` (on the file at ``path``, if any); None when none can start."""
    try:
        child = subprocess.Popen(
            _child_command(serving), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0))  # Windows: no console flashes up
    except OSError:  # no process to be had (a limit on processes): everything is done here
        return None
    if path is not None:
        _tell(child, os.path.abspath(path))
    return child


def _tell(child: subprocess.Popen | None, message: object) -> bool:
    """Send ``child`` ``message``; False when there is none to hear it."""
    if child is None:
        return False
    try:
        send(child.stdin, message)
    except OSError:
        return False
    return True


def _end(child: subprocess.Popen | None, listening: threading.Thread | None) -> None:
    """End ``child`` (killed if still at work) and the thread that listened to it."""
    if child is None:
        return
    if child.poll() is None:
        child.kill()
    child.wait()
    if listening is not None:
        listening.join()  # it sees the end of the pipe, and answers no more
    for pipe in (child.stdin, child.stdout):
        try:
            pipe.close()
        except OSError:
            pass  # a message it did not live to read, left in the buffer


def serve() -> None:
    """The second process (see :data:`_BOOT`): read the chunks the first one grants, from the last."""
    from .reader import Grids

    asks, out = sys.stdin.buffer, answers()
    with Grids(Path(receive(asks))) as grids:  # opened while the first process reads the settings
        job, chunks = receive(asks)
        while True:
            send(out, ("want",))
            i = receive(asks)
            if i is None:
                return
            shared: dict[str, str] = {}
            try:
                found: Any = [job.read(name, grids[name], shared) for name in chunks[i]]
            except SheetkpiError as exc:
                found = exc  # a damaged tab: told by the first process, in its place
            except Exception:
                found = None  # anything else (memory, files): the first process reads the chunk itself
            send(out, ("done", i, found))
            del found
            give_back()


def _styled(block) -> bool:
    """Whether every cell of ``block`` has a style given ("Lịch sử"'s rows added): no date there is
    written without one (its rows are not made to know)."""
    return block.styles is not None and all(
        style is not None and not (isinstance(style, list) and None in style) for style in block.styles)


class SheetRenderer:
    """A :class:`sheetkpi.workbook.apply.SheetHelper`: a second process renders unit tabs (applies
    their writes, sizes their rows, renders and deflates them) from the same file, while this one
    evaluates the units and writes the tabs it does not take; it starts while "Lịch sử" is planned
    here, and ends before "Tổng hợp" is written here. "Lịch sử", planned before the units, is held
    back (:meth:`holds_back`) until the first tabs are sent, and written here while they are rendered
    there. Then a tab goes there whenever fewer than :data:`AHEAD` of those sent are still at work
    there: so each process takes as many tabs as it gets through, and this one, which also evaluates
    every unit and plans every tab, takes fewer; the last :data:`TAIL` of them all go there, rendered
    while "Tổng hợp" is planned here. Then a lean process packs the lower rows of a "Tổng hợp"
    long enough to be packed in two (:meth:`segments`).

    The styles a tab uses are added here first, in this process's order, and the styles part goes
    with the tab whenever it has changed: the second process never adds one. A tab it cannot
    render as it was told (a date that needs a format its cell lacks, anything failing) comes back
    as None and is rendered here, as is every tab it has not sent back if it ends. Writes are sent
    by a thread, so that this process goes on while the second one catches up.
    """

    def __init__(self, path: Path, sheets: set[str]) -> None:
        self._sheets = sheets  # the unit tabs it may take
        # Sent, not yet back (rendered here if it fails), as the message sent: a tab's writes
        # pickled take a fifth of their objects' memory while the second process catches up.
        self._sent: dict[str, bytes] = {}
        self._back: dict[str, Any] = {}
        self._keep: Callable[[Packed], Packed | Kept] | None = None  # where a tab back waits (Package.keep_rendered)
        self._styles_count = -1
        self._ended = False  # told that no more tabs come
        self._queue: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._gone = False  # the second process has stopped answering
        self._holding = False  # a sheet is held back (see holds_back)
        self._given = 0  # unit tabs sent since
        self._seen = 0  # unit tabs met (none: the unit tabs have not come yet)
        self._packer: subprocess.Popen | None = None  # packs "Tổng hợp"'s lower rows (see segments)
        self._packer_due = False  # one is to start when they are asked for
        self._packing = False  # it has been asked, not yet answered
        self._child = _start("serve_renders", path)
        self._threads = [threading.Thread(target=target, args=(self._child,), daemon=True, name=f"sheetkpi-{name}")
                         for name, target in (("render-send", self._send_all), ("render-back", self._take_back))]
        if self._child is not None:
            for thread in self._threads:
                thread.start()

    def takes(self, sheet: SheetWrites) -> bool:
        taken = self._takes(sheet)
        if not taken:
            self._holding = False  # a sheet held back is written here now (see apply_plan)
        return taken

    def _takes(self, sheet: SheetWrites) -> bool:
        if sheet.sheet not in self._sheets:
            # After the unit tabs, the second process finishes what it has and ends, its memory
            # given back before "Tổng hợp" is written here ("Lịch sử", held back, is written here
            # while it renders the first ones).
            if self._seen and not self._ended:
                self._wind_up()
            return False
        self._seen += 1
        if self._child is None or self._ended or self._gone or sheet.create or sheet.whole or sheet.chart:
            return False
        return len(self._sent) < AHEAD or self._holding or self._seen > (1 - TAIL) * len(self._sheets)

    def holds_back(self, sheet: SheetWrites) -> bool:
        """Whether ``sheet`` (not a unit tab) waits until this process has sent unit tabs to render
        while it is rendered here: one that comes before the first ("Lịch sử", which the second
        process would otherwise wait for, idle). Not one that writes a date without a style (its
        render may add a date format, which must come before the formats of the tabs after it, as
        when one process writes every sheet)."""
        if self._seen or self._child is None or self._gone or sheet.create or sheet.whole or sheet.chart \
                or any(isinstance(value, dt.date) for value in sheet.cells.values()) \
                or any(isinstance(value, dt.date) for block in sheet.blocks if not _styled(block)
                       for row in block.rows for value in row):
            return False
        self._holding = True  # (nothing has been given before the unit tabs)
        return True

    def busy_for(self) -> bool:
        """Whether the unit tabs sent since a sheet was held back keep the second process busy
        while it is rendered here (see :data:`LEAD`)."""
        if self._given < LEAD * len(self._sheets) and not self._gone:
            return False
        self._holding = False
        return True

    def submit(self, sheet: SheetWrites, styles: dict[str, int], pkg: Package) -> None:
        self._keep = pkg.keep_rendered
        count = pkg.style_count()
        xml = pkg.styles_xml() if count != self._styles_count else None
        self._styles_count = count
        self._sent[sheet.sheet] = message = pickle.dumps((xml, sheet, styles), protocol=pickle.HIGHEST_PROTOCOL)
        self._given += 1
        self._queue.put(message)

    def segments(self, part: str, rows: Mapping, heights: Mapping) -> Callable[[], Packed | None] | None:
        """A :attr:`Package.segments`: the lower rows of a laid-out sheet ("Tổng hợp", after the
        unit tabs) packed by a process started for them now (found due when the tabs were done:
        :meth:`_wind_up`), while this one renders the upper rows; None, or None from the wait, when
        it cannot (then packed there, the same bytes: :meth:`Package._lower_rows`). They are sent a
        slice at a time by a thread (100,000 KPIs: 23,000 rows, 4 MB pickled), so that it renders
        the first slices while the next are sent. It is ended once it has answered, or
        :data:`SEGMENT_WAIT` after the ask (stuck: killed), or by :meth:`close` when this one fails
        between the ask and the wait."""
        from ._segments import chunks  # (not at import: the reading process needs none of it)

        if self._packer_due:
            # Started now, not when the unit tabs were done: laying out the sheet again first passes
            # over the one an earlier run wrote ("Tổng hợp" next month at 300,000 KPIs: 146 MB, 70
            # MiB at its highest), which this process had better not hold beside another.
            self._packer_due = False
            self._packer = _start("serve_segments")
        packer = self._packer
        if packer is None or self._packing:
            return None
        self._packing = True  # (one segment at a time)
        deadline = time.monotonic() + SEGMENT_WAIT
        found: list[Packed | None] = []  # its answer, once it has come

        def exchange() -> None:
            # Every slice and the end sent, then the answer taken (a thread: a packer stuck before or
            # after reading them is given up at the deadline, killed, which ends this thread's wait).
            try:
                if _tell(packer, ("start", part)) and all(
                        _tell(packer, ("rows", *chunk)) for chunk in chunks(rows, heights)) and _tell(packer, ("end",)):
                    found.append(receive(packer.stdout))
            except Exception:
                pass  # (a value that does not pickle, an answer cut short…): packed here

        def stop() -> None:
            # (Waiting for the rest of a segment it will not get, or for the next: killed.)
            _end(packer, None)
            if self._packer is packer:
                self._packer = None
            self._packing = False

        talking = threading.Thread(target=exchange, daemon=True, name="sheetkpi-segment-send")
        try:
            talking.start()
        except RuntimeError:  # no thread to be had: packed there
            stop()
            return None

        def wait() -> Packed | None:
            try:
                talking.join(max(0.0, deadline - time.monotonic()))
            finally:
                stop()
            return found[0] if found else None
        return wait

    def finish(self) -> list[tuple[str, SheetWrites | None, tuple | None]]:
        """Each tab sent: its name, and what the second process made of it, or its writes to
        render here."""
        if not self._ended:
            self._wind_up()
        back, self._back = self._back, {}
        sent, self._sent = self._sent, {}
        return [*((name, None, rendered) for name, rendered in back.items()),
                *((name, pickle.loads(message)[1], None) for name, message in sent.items())]

    def _wind_up(self) -> None:
        """No more tabs: wait until the second process has answered everything and ended (100,000
        KPIs: ~35 MiB it held while this one started on "Tổng hợp"). Unless it failed, a process
        may then pack the lower rows of the sheet after them, started when the render asks for it
        (:meth:`segments`: only a sheet that renders in two does)."""
        self._ended = True
        gone = self._child is None or self._gone  # (it could not start, or failed: no third one either)
        self._queue.put(None)
        if self._child is not None:
            for thread in self._threads:
                thread.join()  # until it has sent back its last tab and closed its end
        self.close()
        # The heap the tabs sent and taken back left free (300,000 KPIs: 35 MiB), given back before
        # "Tổng hợp" is written here.
        give_back()
        self._packer_due = not gone

    def close(self) -> None:
        """End the second process (killed if still at work), and the one packing rows."""
        child, self._child = self._child, None
        if child is not None:
            self._queue.put(None)
            _end(child, None)
            for thread in self._threads:
                thread.join()
        packer, self._packer = self._packer, None
        _end(packer, None)

    def _send_all(self, child: subprocess.Popen) -> None:
        try:
            while (data := self._queue.get()) is not None:
                write_frame(child.stdin, data)
            send(child.stdin, None)
        except (OSError, ValueError):
            self._gone = True  # it ended: no more tabs go to it; what it did not send back is rendered here

    def _kept(self, rendered: tuple) -> tuple:
        """A tab sent back, kept with the package's own packed parts (in its spool: this process
        holds no more than the spool's memory of them) and marked so; as it came if that fails."""
        if rendered and self._keep is not None:
            try:
                return self._keep(rendered[0]), rendered[1], True
            except Exception:
                pass  # (this thread must go on reading, or the second process blocks on a full pipe)
        return rendered

    def _take_back(self, child: subprocess.Popen) -> None:
        try:
            while True:
                name, rendered = receive(child.stdout)
                if rendered is not None:  # its writes are not needed any more
                    self._back[name] = self._kept(rendered)
                    self._sent.pop(name, None)
        except (EOFError, OSError, ValueError, pickle.UnpicklingError):
            pass
        finally:
            self._gone = True


def serve_renders() -> None:
    """The second process of :class:`SheetRenderer`: render the tabs it is sent until told to stop."""
    from .apply import _Styles, apply_sheet
    from .package import Package

    asks, out = sys.stdin.buffer, answers()
    pkg = Package.open(Path(receive(asks)))
    styles_xml = None  # the first process's styles, as last sent
    while (message := receive(asks)) is not None:
        xml, sheet, styles = message
        try:
            if xml is not None:
                styles_xml = xml
                pkg.use_styles(xml)
            count = pkg.style_count()
            apply_sheet(pkg, sheet, _Styles(pkg, given=styles))
            if pkg.style_count() != count:
                rendered = None
            else:  # (empty: left as it is, see apply_sheet)
                rendered = pkg.rendered(sheet.sheet) if pkg.committed(sheet.sheet) else ()
        except Exception:
            rendered = None
        if rendered is None and styles_xml is not None:
            # A format the tab needed that the first process has not (rendered there instead), or a
            # failure midway: the styles are the first process's again before the next tab.
            pkg.use_styles(styles_xml)
        send(out, (sheet.sheet, rendered))
