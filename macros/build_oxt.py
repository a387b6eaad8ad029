"""Build macros/SheetKPI.oxt, the LibreOffice extension, from macros/libreoffice/.

The extension holds the "SheetKPI" menu and toolbar of Calc (``Addons.xcu``), its macro
(``sheetkpi_lo.py``, at the root, so that its script URL is
``vnd.sun.star.script:SheetKPI.oxt|sheetkpi_lo.py$recalculate?language=Python&location=user:uno_packages``),
the manifest and the description. The output is deterministic (sorted entries, fixed timestamps),
so a rebuild can be compared byte for byte with the committed file. Usage::

    python macros/build_oxt.py [-o macros/SheetKPI.oxt]

Install: ``unopkg add SheetKPI.oxt`` (as the user who runs LibreOffice), or Tools → Extension
Manager → Add (macros/README.md).
"""

from __future__ import annotations

import argparse
import io
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "libreoffice"
OUTPUT = HERE / "SheetKPI.oxt"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def build(output: Path = OUTPUT) -> Path:
    """Write the extension to ``output`` and return it."""
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as out:
        for path in sorted(p for p in SOURCE.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            entry = zipfile.ZipInfo(path.relative_to(SOURCE).as_posix(), date_time=FIXED_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            out.writestr(entry, path.read_bytes())
    output.write_bytes(raw.getvalue())
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build SheetKPI.oxt from macros/libreoffice/.")
    parser.add_argument("-o", "--output", type=Path, default=OUTPUT)
    print(build(parser.parse_args(argv).output))
    return 0


if __name__ == "__main__":
    sys.exit(main())
