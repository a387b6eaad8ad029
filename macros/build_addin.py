"""Build macros/SheetKPI.xlam from the sources beside this script.

The add-in is xlwings' own ribbon add-in template (``quickstart_addin_ribbon.xlam`` of the installed
xlwings, the file ``xlwings quickstart NAME --addin --ribbon`` copies) with:

- its ribbon replaced by ``customUI.xml`` (the "SheetKPI" tab and its three buttons);
- its VBA project rebuilt from source with ms-ovba: ``ThisWorkbook.cls`` and ``Sheet2.cls`` (the
  workbook and its one settings sheet), ``xlwings.bas`` (the template's xlwings module, renamed to the
  project "sheetkpi") and ``SheetKPIRibbon.bas`` (the buttons' callbacks). The project carries source
  only, no compiled p-code, so Excel compiles it when it opens the add-in. The template's Mac-only
  Dictionary class is left out: the button targets Excel for Windows. ms-ovba's own compressor
  (ms-ovba-compression 1.0.1) garbles text, so the streams are compressed by :func:`compress` here and
  each is checked by decompressing it with oletools;
- its settings sheet renamed "_sheetkpi.conf" and the template author's local path dropped.

The output is deterministic (fixed zip timestamps, fixed project id and encryption seeds), so a
rebuild can be compared byte for byte with the committed file. Usage::

    python macros/build_addin.py [-o macros/SheetKPI.xlam]
"""

from __future__ import annotations

import argparse
import io
import os
import random
import re
import shutil
import sys
import tempfile
import uuid
import zipfile
from pathlib import Path
from unittest import mock

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "SheetKPI.xlam"
PROJECT_ID = "{5C6B1F0E-2B8A-4E55-9D7B-6A1E0C3F4B21}"
SEED = 20260625
DOCUMENT_MODULES = {  # code name -> class id of the host object it is the code of
    "ThisWorkbook": "00020819-0000-0000-C000-000000000046",
    "Sheet2": "00020820-0000-0000-C000-000000000046",
}
STANDARD_MODULES = ("xlwings", "SheetKPIRibbon")
# Libraries the code names: OLE Automation, and Office for IRibbonControl (as in the template).
REFERENCES = (
    ("stdole", "00020430-0000-0000-C000-000000000046", "2.0", r"C:\Windows\System32\stdole2.tlb", "OLE Automation"),
    ("Office", "2DF8D04C-5BFA-101B-BDE5-00AA0044DE52", "2.0",
     r"C:\Program Files\Common Files\Microsoft Shared\OFFICE16\MSO.DLL", "Microsoft Office 16.0 Object Library"),
)
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
TEMPLATE_CONF_SHEET, CONF_SHEET = "_myaddin.conf", "_sheetkpi.conf"


def xlwings_version_of_module() -> str:
    """The xlwings version the VBA module was taken from: it names that version's DLL."""
    return re.search(r"^'Version: (\S+)", (HERE / "xlwings.bas").read_text(encoding="ascii"), re.M).group(1)


def template_path() -> Path:
    """xlwings' ribbon add-in template, from the installed xlwings of the module's version."""
    import xlwings

    if xlwings.__version__ != xlwings_version_of_module():
        raise SystemExit(
            f"xlwings {xlwings.__version__} is installed but macros/xlwings.bas is from {xlwings_version_of_module()}: "
            "the add-in's VBA must match the xlwings package (it loads that version's DLL). Install that version, "
            "or refresh xlwings.bas from the new template (keeping PROJECT_NAME = \"sheetkpi\")."
        )
    return Path(xlwings.__file__).parent / "quickstart_addin_ribbon.xlam"


def compress(data: bytes) -> bytes:
    """MS-OVBA 2.4.1 compression: a signature byte, then per 4096 bytes a chunk of token sequences
    (a flag byte, then eight literals or copy tokens pointing back into the same chunk)."""
    from oletools.olevba import decompress_stream

    out = bytearray(b"\x01")
    for start in range(0, len(data), 4096):
        chunk = data[start:start + 4096]
        body = _compress_chunk(chunk)
        if len(body) > 4096:
            raise ValueError("a chunk that does not compress is not expected in VBA source")
        out += (0xB000 | (len(body) - 1)).to_bytes(2, "little") + body  # flag 1, signature 0b011, size - 3
    if bytes(decompress_stream(bytearray(out))) != data:
        raise ValueError("compressed stream does not decompress to its source")
    return bytes(out)


def _compress_chunk(chunk: bytes) -> bytes:
    body = bytearray()
    seen: dict[bytes, list[int]] = {}  # 3-byte prefix -> earlier positions in the chunk
    pos = 0
    while pos < len(chunk):
        flag_at, flags = len(body), 0
        body.append(0)
        for bit in range(8):
            if pos >= len(chunk):
                break
            bit_count = max((pos - 1).bit_length(), 4)
            longest = min((0xFFFF >> bit_count) + 3, len(chunk) - pos)
            offset, length = 0, 0
            for candidate in reversed(seen.get(chunk[pos:pos + 3], [])[-64:]):
                n = 0
                while n < longest and chunk[candidate + n] == chunk[pos + n]:
                    n += 1
                if n > length:
                    offset, length = pos - candidate, n
            if length >= 3:
                body += (((offset - 1) << (16 - bit_count)) | (length - 3)).to_bytes(2, "little")
                flags |= 1 << bit
            else:
                length = 1
                body.append(chunk[pos])
            for p in range(pos, pos + length):
                seen.setdefault(chunk[p:p + 3], []).append(p)
            pos += length
        body[flag_at] = flags
    return bytes(body)


def vba_project() -> bytes:
    """vbaProject.bin built by ms-ovba from the module sources (it writes into the working folder)."""
    from ms_ovba.Models.Entities.doc_module import DocModule
    from ms_ovba.Models.Entities.reference import Reference
    from ms_ovba.Models.Entities.reference_registered import ReferenceRegistered
    from ms_ovba.Models.Entities.std_module import StdModule
    from ms_ovba.Models.Fields.libid_reference import LibidReference
    from ms_ovba.vbaProject import VbaProject
    from ms_ovba.Views.project_ole_file import ProjectOleFile
    from ms_ovba_compression.ms_ovba import MsOvba

    cwd, state = os.getcwd(), random.getstate()
    with (tempfile.TemporaryDirectory() as work,
          mock.patch.object(MsOvba, "compress", lambda self, data: compress(data))):
        try:
            os.chdir(work)
            project = VbaProject()
            project.project_id = PROJECT_ID
            for name, clsid in DOCUMENT_MODULES.items():
                shutil.copyfile(HERE / f"{name}.cls", f"{name}.cls")
                module = DocModule(name)
                module.add_file(f"{name}.cls")
                module.add_guid(uuid.UUID(clsid))
                module.normalize_file()
                project.add_module(module)
            for name in STANDARD_MODULES:
                shutil.copyfile(HERE / f"{name}.bas", f"{name}.bas")
                module = StdModule(name)
                module.add_file(f"{name}.bas")
                module.normalize_file()
                project.add_module(module)
            for name, guid, version, path, description in REFERENCES:
                libid = LibidReference(uuid.UUID(guid), version, "0", path, description)
                project.add_reference(Reference(ReferenceRegistered(libid), name))
            random.seed(SEED)  # the PROJECT stream's protection fields are encrypted with random seeds
            ProjectOleFile.write_file(project)
            return Path("vbaProject.bin").read_bytes()
        finally:
            random.setstate(state)
            os.chdir(cwd)


def workbook_xml(xml: bytes) -> bytes:
    """The template's workbook part with the settings sheet renamed and the author's path dropped."""
    text = xml.decode("utf-8")
    text = re.sub(r"<mc:AlternateContent\b.*?</mc:AlternateContent>", "", text, flags=re.S)
    return text.replace(f'name="{TEMPLATE_CONF_SHEET}"', f'name="{CONF_SHEET}"').encode("utf-8")


def build(output: Path = OUTPUT) -> Path:
    """Write the add-in to ``output`` and return it."""
    replaced = {
        "customUI/customUI.xml": (HERE / "customUI.xml").read_bytes(),
        "xl/vbaProject.bin": vba_project(),
    }
    raw = io.BytesIO()
    with zipfile.ZipFile(template_path()) as template, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as out:
        for info in template.infolist():
            data = replaced.get(info.filename, template.read(info.filename))
            if info.filename == "xl/workbook.xml":
                data = workbook_xml(data)
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            out.writestr(entry, data)
    output.write_bytes(raw.getvalue())
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build SheetKPI.xlam from macros/ sources.")
    parser.add_argument("-o", "--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    print(build(args.output))
    return 0


if __name__ == "__main__":
    sys.exit(main())
