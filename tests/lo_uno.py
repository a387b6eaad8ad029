"""Drive a real LibreOffice through its UNO API: start it, open documents, edit them, store them.

Two halves, one module:

- :class:`Office` (and the small helpers next to it) runs in a Python that can ``import uno``. It
  starts ``soffice --headless --invisible --norestore --accept=socket,...;urp;`` with a private,
  throw-away profile (``-env:UserInstallation``), connects with retries, opens documents hidden,
  stores them (as xlsx by default) and shuts LibreOffice down in a ``finally``.
- :func:`uno_python`, :func:`require_uno` and :func:`run_uno_script` run in the test's own Python
  (pytest): they find a Python with ``uno``, skip cleanly when LibreOffice or ``uno`` is missing, and
  run a script under that Python.

Why a subprocess under Debian's ``/usr/bin/python3`` rather than ``import uno`` inside pytest (after
appending ``/usr/lib/python3/dist-packages`` to ``sys.path``), although both work on this machine:

- ``uno.py`` replaces ``builtins.__import__`` with its own hook (for ``from com.sun.star… import``),
  for the rest of the process: every later import of every test would go through it.
- ``pyuno.so`` is built against the distribution's libpython; inside another interpreter (pyenv's,
  a virtualenv's, a newer minor version in CI) it works only while the two ABIs happen to agree, and
  a mismatch ends in a crash of the whole test session, not a skip.
- Appending ``dist-packages`` to ``sys.path`` makes every Debian module importable in the tests'
  Python, which can hide a missing test dependency.
- A UNO call that hangs (a dialog LibreOffice wants to show, a dead pipe) is ended by the
  subprocess's timeout; in-process it would hang pytest.

So the UNO work runs in ``uno_python()`` (``SHEETKPI_UNO_PYTHON`` if set, else the current Python
when it can import ``uno`` as is, else ``/usr/bin/python3``), as a script; this module imports nothing
but the standard library at import time, so that script can import it too. One :class:`Office`
serves many documents: start it once per test session.

Running a LibreOffice extension's macro (tests/lo_button.py) needs the same: :meth:`Office.install_extension`
adds an extension to the private profile, :meth:`Office.activate` makes a hidden document the current
one (what a menu click acts on) and :meth:`Office.run_script` calls a macro by its script URI.
``Office(env=...)`` starts LibreOffice with extra environment variables (its macros see them).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Self

XLSX_FILTER = "Calc MS Excel 2007 XML"
DEBIAN_PYTHON = "/usr/bin/python3"
CONNECT_TIMEOUT_S = 60
_EPOCH = dt.date(1899, 12, 30)  # a spreadsheet's day 0


# --- the test's side: finding LibreOffice and a Python with uno -------------------------------------------------


def find_soffice() -> str | None:
    """The LibreOffice executable, if installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def _imports_uno(python: str) -> bool:
    try:
        run = subprocess.run([python, "-c", "import uno"], check=False, capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return run.returncode == 0


@functools.cache
def uno_python() -> str | None:
    """A Python interpreter that can ``import uno``, or None."""
    chosen = os.environ.get("SHEETKPI_UNO_PYTHON")
    if chosen:
        return chosen if _imports_uno(chosen) else None
    import importlib.util

    if importlib.util.find_spec("uno") is not None:  # found without touching sys.path
        return sys.executable
    if Path(DEBIAN_PYTHON).exists() and _imports_uno(DEBIAN_PYTHON):
        return DEBIAN_PYTHON
    return None


def require_uno() -> tuple[str, str]:
    """``(soffice, python)``, or skip the test (CI installs python3-uno and LibreOffice)."""
    import pytest

    soffice = find_soffice()
    if not soffice:
        pytest.skip("LibreOffice (soffice) is not installed")
    python = uno_python()
    if not python:
        pytest.skip("no Python can import uno (install python3-uno libreoffice-script-provider-python)")
    return soffice, python


def run_uno_script(script: str | os.PathLike, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run ``script ARGS`` under :func:`uno_python`; raise with its output if it fails."""
    python = uno_python()
    if python is None:
        raise RuntimeError("no Python can import uno")
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    env.pop("PYTHONPATH", None)  # the tests' packages are not the UNO Python's
    # LibreOffice's embedded Python (macros) finds its standard library from the first python3 on
    # PATH: a pyenv or virtualenv one first on PATH makes it load another Python's and crash.
    env["PATH"] = os.pathsep.join([str(Path(python).parent), env.get("PATH", "")])
    run = subprocess.run(
        [python, str(script), *args], check=False, capture_output=True, text=True, timeout=timeout, env=env
    )
    if run.returncode != 0:
        raise RuntimeError(
            f"{python} {script} {' '.join(args)} failed ({run.returncode}):\n{run.stdout}\n{run.stderr}"
        )
    return run


# --- the UNO side: a LibreOffice process and its documents -------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def props(**values) -> tuple:
    """UNO ``PropertyValue``s from keyword arguments (``Hidden=True``)."""
    import uno  # type: ignore[import-not-found]

    out = []
    for name, value in values.items():
        p = uno.createUnoStruct("com.sun.star.beans.PropertyValue")
        p.Name, p.Value = name, value
        out.append(p)
    return tuple(out)


def file_url(path: str | os.PathLike) -> str:
    import uno  # type: ignore[import-not-found]

    return uno.systemPathToFileUrl(str(Path(path).resolve()))


def serial(day: dt.date) -> float:
    """A date as the number a spreadsheet cell holds (with a date format it shows as that date)."""
    return float((day - _EPOCH).days)


class Office:
    """One headless LibreOffice with a private profile, reachable over a loopback socket.

    Use as a context manager; LibreOffice is terminated (killed if it does not stop) and the
    profile removed on exit, whatever happened inside.
    """

    def __init__(self, soffice: str | None = None, *, profile: str | os.PathLike | None = None,
                 timeout: float = CONNECT_TIMEOUT_S, env: dict[str, str] | None = None) -> None:
        self.soffice = soffice or find_soffice()
        if not self.soffice:
            raise RuntimeError("LibreOffice (soffice) is not installed")
        self.workdir = Path(tempfile.mkdtemp(prefix="lo-uno-"))  # soffice's log; the profile unless given
        self.profile = Path(profile) if profile else self.workdir / "profile"
        self.log = self.workdir / "soffice.log"
        self.timeout = timeout
        self.env = {**os.environ, **(env or {})}
        self.port = 0
        self.process: subprocess.Popen | None = None
        self.context = None  # the remote component context
        self.desktop = None

    # lifecycle

    def __enter__(self) -> Self:
        try:
            self.start()
        except BaseException:
            self.shutdown()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()

    def start(self) -> None:
        import uno  # type: ignore[import-not-found]
        from com.sun.star.connection import NoConnectException  # type: ignore[import-not-found]

        self.port = _free_port()
        accept = f"socket,host=127.0.0.1,port={self.port};urp;"
        log = os.open(self.log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        try:
            self.process = subprocess.Popen(
                [self.soffice, "--headless", "--invisible", "--norestore", "--nologo", "--nodefault",
                 "--nolockcheck", f"-env:UserInstallation={self.profile.resolve().as_uri()}", f"--accept={accept}"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=self.env,
                start_new_session=True,  # soffice -> oosplash -> soffice.bin: one group to end if need be
            )
        finally:
            os.close(log)  # soffice holds its own copy
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                self.context = resolver.resolve(f"uno:{accept}StarOffice.ComponentContext")
                break
            except NoConnectException:
                if self.process.poll() is not None:
                    raise RuntimeError(f"soffice exited with {self.process.returncode}: {self._output()}") from None
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"no UNO connection to soffice after {self.timeout} s: {self._output()}"
                    ) from None
                time.sleep(0.25)
        self.desktop = self.create("com.sun.star.frame.Desktop")

    def _output(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def shutdown(self) -> None:
        """Terminate LibreOffice (kill it if it does not stop) and remove the private profile."""
        try:
            if self.desktop is not None:
                with contextlib.suppress(Exception):  # the bridge dies as soffice quits: that is expected
                    self.desktop.terminate()
            if self.process is not None:
                try:
                    self.process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(self.process.pid, signal.SIGKILL)  # the group this Office started
                    self.process.wait(timeout=20)
        finally:
            self.desktop = self.context = None
            self.process = None
            shutil.rmtree(self.workdir, ignore_errors=True)

    # services and documents

    def create(self, service: str, *args):
        """An instance of ``service`` in the office process."""
        smgr = self.context.ServiceManager
        if args:
            return smgr.createInstanceWithArgumentsAndContext(service, args, self.context)
        return smgr.createInstanceWithContext(service, self.context)

    def open(self, path: str | os.PathLike, *, hidden: bool = True, **options):
        """Open a document (hidden by default); ``options`` are extra MediaDescriptor properties."""
        doc = self.desktop.loadComponentFromURL(file_url(path), "_blank", 0, props(Hidden=hidden, **options))
        if doc is None:
            raise RuntimeError(f"LibreOffice could not open {path}")
        return doc

    def new_calc(self, *, hidden: bool = True):
        """A new, empty spreadsheet document."""
        return self.desktop.loadComponentFromURL("private:factory/scalc", "_blank", 0, props(Hidden=hidden))

    def store(self, doc, path: str | os.PathLike, filter_name: str = XLSX_FILTER, **options) -> Path:
        """Store ``doc`` to ``path`` with a filter (xlsx by default), overwriting; the document stays open."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        doc.storeToURL(file_url(path), props(FilterName=filter_name, Overwrite=True, **options))
        return path

    @staticmethod
    def close(doc) -> None:
        """Close a document without saving it."""
        with contextlib.suppress(Exception):
            doc.close(True)

    @contextlib.contextmanager
    def document(self, path: str | os.PathLike, **options):
        """``with office.document(path) as doc:`` — opened hidden, closed whatever happens."""
        doc = self.open(path, **options)
        try:
            yield doc
        finally:
            self.close(doc)

    def install_extension(self, path: str | os.PathLike) -> None:
        """Add an extension (.oxt) to this Office's profile, as ``unopkg add`` does. Through the
        running Office's extension manager rather than ``unopkg``, which refuses to run as root
        (CI's user) without ``--shared``, and --shared would install it for the whole machine."""
        manager = self.context.getValueByName("/singletons/com.sun.star.deployment.ExtensionManager")
        manager.addExtension(file_url(path), (), "user", manager.createAbortChannel(), _command_environment())

    def activate(self, doc) -> None:
        """Make ``doc`` the current document (the one a menu item acts on), also when hidden."""
        frame = doc.CurrentController.Frame
        self.desktop.setActiveFrame(frame)
        frame.activate()

    def run_script(self, doc, uri: str, *args):
        """Call a macro (``vnd.sun.star.script:Lib.Module.Func?language=Basic&location=application``,
        or a Python one) with ``args`` and return its result."""
        script = doc.getScriptProvider().getScript(uri)
        result, _out_index, _out = script.invoke(args, (), ())
        return result


def _command_environment():
    """A command environment that approves what the extension manager asks (no one is there to click)."""
    import uno  # type: ignore[import-not-found]
    import unohelper  # type: ignore[import-not-found]
    from com.sun.star.task import XInteractionHandler  # type: ignore[import-not-found]
    from com.sun.star.ucb import XCommandEnvironment  # type: ignore[import-not-found]

    approve = uno.getTypeByName("com.sun.star.task.XInteractionApprove")

    class Approve(unohelper.Base, XInteractionHandler):
        def handle(self, request):
            for choice in request.getContinuations():
                if choice.queryInterface(approve):
                    choice.select()
                    return

    class Environment(unohelper.Base, XCommandEnvironment):
        def getInteractionHandler(self):  # noqa: N802 (UNO's name)
            return Approve()

        def getProgressHandler(self):  # noqa: N802 (UNO's name)
            return None

    return Environment()
