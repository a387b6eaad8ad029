"""SheetKPI's menu in LibreOffice Calc: "Tính lại KPI", "Kiểm tra", "Tạo báo cáo" on the current document.

This file is the whole macro of the extension SheetKPI.oxt (built by macros/build_oxt.py). It runs in
LibreOffice's own Python (bundled with LibreOffice on Windows, the system's python3 on Linux) and only
finds sheetkpi and hands it the document: everything else is sheetkpi.workbook.uno_adapter, which runs
the Excel button's own code over the document.

Where sheetkpi is found, first match wins:
1. the folder that holds the ``sheetkpi`` package, from the environment variable SHEETKPI_PATH or the
   line ``"SHEETKPI_PATH","…"`` of ~/.sheetkpi/sheetkpi.conf (the Excel add-in's settings file);
   only that package is loaded from there, never the other packages beside it (they may be built
   for another Python);
2. sheetkpi installed into LibreOffice's Python itself.
Recalculating needs nothing but the standard library. The memo ("Tạo báo cáo") is made by a normal
Python where sheetkpi[memo] is installed: SHEETKPI_PYTHON, else INTERPRETER_WIN (Windows) or
INTERPRETER from the same file, else python on PATH.

Every outcome ends in a Vietnamese message box, never a traceback; each entry point also returns the
message (the tests read it through the script provider).
"""

import csv
import importlib.util
import locale
import os
import sys
from pathlib import Path

TITLE = "SheetKPI"
CONF = Path.home() / ".sheetkpi" / "sheetkpi.conf"
MIN_PYTHON = (3, 10)


def recalculate(*args):
    """"Tính lại KPI": score, status and warnings of every unit tab, "Tổng hợp" and "Lịch sử"."""
    return _run("recalculate")


def validate(*args):
    """"Kiểm tra": read only; list the data problems to fix."""
    return _run("validate")


def write_memo(*args):
    """"Tạo báo cáo": the memo (Word, HTML, text) beside the workbook."""
    return _run("write_memo")


g_exportedScripts = (recalculate, validate, write_memo)


def _run(action):
    doc = XSCRIPTCONTEXT.getDocument()  # noqa: F821 (given by LibreOffice's script provider)
    try:
        if doc is None or not hasattr(doc, "Sheets"):
            return _alert(doc, "Hãy mở Bảng giao KPI trong LibreOffice Calc rồi chọn lại.", error=True)
        if sys.version_info < MIN_PYTHON:
            return _alert(doc, (
                f"LibreOffice này dùng Python {sys.version_info[0]}.{sys.version_info[1]}, sheetkpi cần Python "
                f"{MIN_PYTHON[0]}.{MIN_PYTHON[1]} trở lên. Hãy cập nhật LibreOffice lên bản mới."), error=True)
        settings = _settings()
        root = settings.get("SHEETKPI_PATH")
        try:
            _load_sheetkpi(root)
            from sheetkpi.workbook import uno_adapter
        except ImportError as exc:
            return _alert(doc, (
                f"Không tìm thấy sheetkpi ({exc}). Hãy cài sheetkpi và ghi thư mục chứa nó vào dòng "
                f"\"SHEETKPI_PATH\" của tệp {CONF} (xem hướng dẫn trong macros/README.md)."), error=True)
        if action == "recalculate":
            return uno_adapter.recalculate(doc)
        if action == "validate":
            return uno_adapter.validate(doc)
        interpreter = "INTERPRETER_WIN" if os.name == "nt" else "INTERPRETER"
        python = settings.get("SHEETKPI_PYTHON") or settings.get(interpreter)
        return uno_adapter.write_memo(doc, python=python, sheetkpi_root=root)
    except Exception as exc:  # a click must end in a message, never in a traceback
        return _alert(doc, (
            f"SheetKPI gặp lỗi không lường trước ({exc.__class__.__name__}: {exc}). Sổ tính có thể đã thay đổi một "
            "phần: chọn Sửa → Hoàn tác (Ctrl+Z) để bỏ, rồi thử lại."), error=True)


def _settings():
    """SHEETKPI_PATH, SHEETKPI_PYTHON and the interpreters, from the environment or the settings file
    (xlwings' format: "KEY","VALUE" per line; the Excel installer writes it in the ANSI code page)."""
    found = {}
    try:
        raw = CONF.read_bytes()
    except OSError:
        raw = b""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode(locale.getpreferredencoding(False), errors="replace")
    for row in csv.reader(text.splitlines()):
        if len(row) >= 2:
            found[row[0].strip().upper()] = row[1].strip()
    for key in ("SHEETKPI_PATH", "SHEETKPI_PYTHON"):
        if os.environ.get(key):
            found[key] = os.environ[key]
    return {k: v for k, v in found.items() if v}


def _load_sheetkpi(root):
    """Import sheetkpi from ``root`` alone (the packages beside it stay invisible), else as installed."""
    if "sheetkpi" in sys.modules or not root:
        import sheetkpi  # noqa: F401
        return
    init = Path(root) / "sheetkpi" / "__init__.py"
    if not init.is_file():
        raise ImportError(f"không có {init}")
    spec = importlib.util.spec_from_file_location("sheetkpi", init, submodule_search_locations=[str(init.parent)])
    module = importlib.util.module_from_spec(spec)
    sys.modules["sheetkpi"] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules["sheetkpi"]
        raise


def _alert(doc, message, error=False):
    """A message box over the document (none when LibreOffice runs headless); returns the message."""
    import uno

    ctx = uno.getComponentContext()
    toolkit = ctx.ServiceManager.createInstanceWithContext("com.sun.star.awt.Toolkit", ctx)
    parent = doc.CurrentController.Frame.ContainerWindow if doc is not None else None
    kind = uno.Enum("com.sun.star.awt.MessageBoxType", "ERRORBOX" if error else "INFOBOX")
    box = toolkit.createMessageBox(parent, kind, 1, TITLE, message)  # 1: BUTTONS_OK
    box.execute()
    box.dispose()
    return message
