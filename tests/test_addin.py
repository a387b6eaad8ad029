"""The "SheetKPI" ribbon add-in (issues #5, #15): macros/SheetKPI.xlam, unpacked and read back.

No Excel runs here (tests/test_excel_acceptance.py does, on Windows). The add-in is checked as Excel
would load it: its ribbon XML and the relationship that points to it, the VBA modules read back from
its vbaProject.bin with oletools' olevba (an independent reader), every button's callback present as
a Sub, every Python entry point a callback names present in sheetkpi.excel; the VBA project is xlwings'
template's as Excel and xlwings' build wrote it, only the two modules' source changed; a rebuild from
the sources in macros/ gives the same file byte for byte.
"""

from __future__ import annotations

import importlib.util
import io
import re
import zipfile
from pathlib import Path

import olefile
from lxml import etree
from oletools.olevba import VBA_Parser

from support import ROOT

MACROS = ROOT / "macros"
ADDIN = MACROS / "SheetKPI.xlam"
CUSTOM_UI = "{http://schemas.microsoft.com/office/2006/01/customui}"
PATCHED = {"VBA/xlwings", "VBA/RibbonMyAddin"}


def template_vba() -> bytes:
    import xlwings

    with zipfile.ZipFile(Path(xlwings.__file__).parent / "quickstart_addin_ribbon.xlam") as z:
        return z.read("xl/vbaProject.bin")


def streams(vba: bytes) -> dict[str, bytes]:
    ole = olefile.OleFileIO(io.BytesIO(vba))
    return {"/".join(p): ole.openstream("/".join(p)).read() for p in ole.listdir()}


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def modules(path: Path) -> dict[str, str]:
    """VBA module name -> source, read back from the add-in by olevba."""
    parser = VBA_Parser(str(path))
    try:
        return {Path(name).stem: code.replace("\r\n", "\n") for _, _, name, code in parser.extract_macros()}
    finally:
        parser.close()


def subs(code: str) -> set[str]:
    callback = r"^\s*(?:Public\s+)?Sub\s+(\w+)\s*\(\s*(?:Optional\s+)?control\s+As\s+IRibbonControl\s*\)"
    return set(re.findall(callback, code, re.M | re.I))


def ribbon() -> etree._Element:
    return etree.fromstring(parts(ADDIN)["customUI/customUI.xml"])


def test_ribbon_has_the_sheetkpi_tab_with_three_vietnamese_buttons():
    root = ribbon()
    tabs = root.findall(f".//{CUSTOM_UI}tab")
    assert [t.get("label") for t in tabs] == ["SheetKPI"]
    buttons = tabs[0].findall(f".//{CUSTOM_UI}button")
    assert [b.get("label") for b in buttons] == ["Tính lại KPI", "Kiểm tra", "Giúp đỡ"]
    assert all(b.get("onAction") for b in buttons)


def test_the_package_is_a_macro_enabled_addin_with_its_ribbon_and_vba():
    files = parts(ADDIN)
    types = files["[Content_Types].xml"].decode()
    assert "application/vnd.ms-excel.addin.macroEnabled.main+xml" in types
    assert "application/vnd.ms-office.vbaProject" in types
    assert b'Target="customUI/customUI.xml"' in files["_rels/.rels"]
    assert b"vbaProject.bin" in files["xl/_rels/workbook.xml.rels"]
    workbook = files["xl/workbook.xml"].decode()
    assert 'codeName="ThisWorkbook"' in workbook and 'name="_sheetkpi.conf"' in workbook
    assert "felix" not in workbook.lower()


def test_every_button_callback_is_a_sub_of_the_vba_read_back_from_the_addin():
    code = modules(ADDIN)
    assert set(code) == {"ThisWorkbook", "Sheet2", "Dictionary", "xlwings", "RibbonMyAddin"}
    for button in ribbon().iter(f"{CUSTOM_UI}button"):
        module, sub = button.get("onAction").split(".")
        assert sub in subs(code[module]), button.get("onAction")


def test_every_callback_runs_an_entry_point_that_exists_in_sheetkpi_excel():
    import sheetkpi.excel

    code = modules(ADDIN)["RibbonMyAddin"]
    calls = re.findall(r'RunPython "import sheetkpi\.excel; sheetkpi\.excel\.(\w+)\(\)"', code)
    assert calls == ["recalculate", "validate", "help"]
    assert all(callable(getattr(sheetkpi.excel, name)) for name in calls)
    xlwings_module = modules(ADDIN)["xlwings"]
    assert "RunPython" in xlwings_module and 'PROJECT_NAME As String = "sheetkpi"' in xlwings_module


def test_vba_in_the_addin_is_exactly_the_source_in_macros():
    code = modules(ADDIN)
    for name in ("xlwings", "RibbonMyAddin"):
        assert code[name].strip() == (MACROS / f"{name}.bas").read_text().strip(), name


def test_the_addin_vba_matches_the_installed_xlwings():
    """The xlwings module loads the DLL of its own version, shipped with the same xlwings package."""
    import xlwings

    version = re.search(r"^'Version: (\S+)", (MACROS / "xlwings.bas").read_text(), re.M).group(1)
    assert version == xlwings.__version__, "rebuild the add-in for this xlwings (see macros/README.md)"
    assert f'"xlwings64-{version}.dll"' in modules(ADDIN)["xlwings"]


def test_the_vba_project_is_the_templates_with_two_modules_patched():
    """Least risk (docs/excel.md): what Excel and xlwings' build wrote stays byte for byte — PROJECT,
    PROJECTwm, dir, _VBA_PROJECT, the document and class modules — and the compound file keeps the
    template's directory entries; only the source of the xlwings and ribbon modules is new."""
    ours, theirs = streams(parts(ADDIN)["xl/vbaProject.bin"]), streams(template_vba())
    assert set(ours) == set(theirs)
    assert {name for name in ours if ours[name] != theirs[name]} == PATCHED
    entries = [(e.name, e.entry_type, e.sid_left, e.sid_right, e.sid_child, e.color, e.clsid, e.createTime,
                e.modifyTime) for e in olefile.OleFileIO(io.BytesIO(parts(ADDIN)["xl/vbaProject.bin"])).direntries if e]
    assert entries == [(e.name, e.entry_type, e.sid_left, e.sid_right, e.sid_child, e.color, e.clsid, e.createTime,
                        e.modifyTime) for e in olefile.OleFileIO(io.BytesIO(template_vba())).direntries if e]


def test_the_project_carries_what_excel_writes():
    """PROJECTwm names every module, uncompressed (a compressed one made Office 1708 refuse EPPlus'
    projects: EPPlus issue 5); _VBA_PROJECT is version 0xFFFF (Excel compiles from source)."""
    vba = streams(parts(ADDIN)["xl/vbaProject.bin"])
    assert sorted(projectwm_names(vba["PROJECTwm"])) == sorted(modules(ADDIN))
    assert vba["VBA/_VBA_PROJECT"][:4] == b"\xcc\x61\xff\xff"


def projectwm_names(data: bytes) -> list[str]:
    """MS-OVBA 2.3.3: per module its name in the code page, NUL, in UTF-16, NUL NUL; then NUL NUL."""
    names, pos = [], 0
    while data[pos:pos + 2] != b"\x00\x00":
        end = data.index(b"\x00", pos)
        name = data[pos:end].decode("cp1252")
        wide_end = end + 1 + 2 * len(name)
        assert data[end + 1:wide_end].decode("utf-16-le") == name and data[wide_end:wide_end + 2] == b"\x00\x00"
        names.append(name)
        pos = wide_end + 2
    assert pos + 2 == len(data)
    return names


def test_the_ribbon_relationship_matches_its_namespace():
    """customUI 2006 is loaded through the 2006 relationship type, as xlwings.xlam pairs them."""
    rels = etree.fromstring(parts(ADDIN)["_rels/.rels"])
    ribbon_rel = [r.get("Type") for r in rels if r.get("Target") == "customUI/customUI.xml"]
    assert ribbon_rel == ["http://schemas.microsoft.com/office/2006/relationships/ui/extensibility"]
    assert ribbon().tag == f"{CUSTOM_UI}customUI"


def test_rebuilding_from_source_reproduces_the_addin(tmp_path):
    spec = importlib.util.spec_from_file_location("build_addin", MACROS / "build_addin.py")
    build_addin = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_addin)
    rebuilt = build_addin.build(tmp_path / "SheetKPI.xlam")
    assert parts(rebuilt) == parts(ADDIN)
    assert rebuilt.read_bytes() == ADDIN.read_bytes()


def test_no_xlwings_pro_licence_anywhere():
    """Only free xlwings features: no licence key configured, no xlwings.pro import (the template's
    xlwings module reads a key only for code embedded in sheets, which sheetkpi does not use)."""
    files = parts(ADDIN)
    assert b"LICENSE" not in files["xl/sharedStrings.xml"].upper()
    kinds = (".bas", ".cls", ".xml", ".ps1", ".md", ".py")
    ours = [p for p in MACROS.iterdir() if p.suffix in kinds and p.name != "xlwings.bas"]
    ours += [ROOT / "sheetkpi" / "excel.py", ROOT / "sheetkpi" / "workbook" / "xlwings_adapter.py"]
    for path in ours:
        text = path.read_text(encoding="utf-8")
        assert "LICENSE_KEY" not in text and "xlwings.pro" not in text and "xlwings import pro" not in text, path
