"""A copy of a workbook with "Lịch sử" emptied below its header: the first run of a year, or of a
workbook whose history was cleared, adds a row there for every KPI (docs/performance.md, issue #20,
twelfth round).

    python bench/empty_history.py INPUT.xlsx OUTPUT.xlsx

Only that sheet's rows below the header (row 4 in the template) go; every other member is copied as
it is.
"""

from __future__ import annotations

import re
import sys
import zipfile

from sheetkpi import layout

_ROW = re.compile(rb"<row [^>]*?(?:/>|>.*?</row>)", re.S)
_ROW_NUMBER = re.compile(rb' r="(\d+)"')


def main(argv: list[str]) -> int:
    source, target = argv
    with zipfile.ZipFile(source) as zin:
        workbook = zin.read("xl/workbook.xml").decode()
        rels = zin.read("xl/_rels/workbook.xml.rels").decode()
        rid = re.search(rf'<sheet [^>]*name="{layout.SHEET_HISTORY}"[^>]*r:id="([^"]+)"', workbook).group(1)
        target_of = re.search(rf'<Relationship [^>]*Id="{rid}"[^>]*/>', rels).group(0)
        part = "xl/" + re.search(r'Target="/?(?:xl/)?([^"]+)"', target_of).group(1)
        xml = zin.read(part)
        start, end = xml.index(b"<sheetData>") + len(b"<sheetData>"), xml.index(b"</sheetData>")
        kept = [row for row in _ROW.findall(xml, start, end)
                if int(_ROW_NUMBER.search(row).group(1)) <= layout.HISTORY_HEADER_ROW]
        emptied = xml[:start] + b"".join(kept) + xml[end:]
        last = re.findall(rb' r="([A-Z]+)\d+"', kept[-1])[-1] if kept else b"A"
        emptied = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:%s%d"' % (last, layout.HISTORY_HEADER_ROW),
                         emptied, count=1)
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in zin.infolist():
                zout.writestr(info, emptied if info.filename == part else zin.read(info.filename))
    print(f"{target}: '{layout.SHEET_HISTORY}' ({part}) keeps {len(kept)} rows, down to its header")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
