"""The chart parts: DrawingML for the one chart sheetkpi draws, a native clustered column chart,
its anchor in a sheet's drawing, and its part and relationship.

Charts carry cached values (<c:strCache>/<c:numCache>) so that previews and viewers that do not
recalculate (mail clients, phone apps) show the figures without opening the ranges.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from ..layout import CHART_NAME  # noqa: F401  (cNvPr name of anchors sheetkpi made: how a later run finds them)
from ._parts import Parts
from ._sheetxml import cell_ref
from ._xml import REL_NS, RT, escape_text, xstring

XDR_NS = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
C_NS = "http://schemas.openxmlformats.org/drawingml/2006/chart"
CT_DRAWING = "application/vnd.openxmlformats-officedocument.drawing+xml"
CT_CHART = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"

Box = tuple[int, int, int, int]  # first row, first col, last row, last col (1-based, inclusive)


@dataclass
class ChartSpec:
    """A chart to (re)generate at save: the ranges, and the sheet they are on."""

    sheet: str
    title: str
    categories: Box
    series: list[tuple[str, Box]]
    labels: bool = True  # each bar's value written on it (too crowded past a dozen categories)


def quote_sheet(name: str) -> str:
    """A sheet name as it appears in a reference: always quoted, quotes doubled."""
    return "'" + name.replace("'", "''") + "'"


def _ref(sheet: str, box: Box) -> str:
    r1, c1, r2, c2 = box
    return f"{quote_sheet(sheet)}!{cell_ref(r1, c1, True)}:{cell_ref(r2, c2, True)}"


def box_cells(box: Box) -> list[tuple[int, int]]:
    """The cells of a range in reading order."""
    r1, c1, r2, c2 = box
    return [(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]


def _number(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return str(value) if isinstance(value, int) or not value.is_integer() else str(int(value))


def _label(value: object) -> str:
    return "" if value is None else (_number(value) or str(value))


def _text(value: str) -> str:
    """The text of a <c:v>: an ``ST_Xstring``, which Excel reads with its ``_xHHHH_`` escape."""
    return escape_text(xstring(value))


def bar_chart_xml(spec: ChartSpec, values: dict[tuple[int, int], object], font: str = "Calibri") -> bytes:
    """The chart part for ``spec``; ``values`` are the final cell values the caches show; its texts
    in ``font`` (the workbook's own), 10 pt, the title 12 pt bold."""
    cats = [_label(values.get(cell)) for cell in box_cells(spec.categories)]
    cat_pts = "".join(f'<c:pt idx="{i}"><c:v>{_text(v)}</c:v></c:pt>' for i, v in enumerate(cats))
    series = []
    for idx, (name, box) in enumerate(spec.series):
        nums = [_number(values.get(cell)) for cell in box_cells(box)]
        pts = "".join(f'<c:pt idx="{i}"><c:v>{v}</c:v></c:pt>' for i, v in enumerate(nums) if v is not None)
        series.append(
            f'<c:ser><c:idx val="{idx}"/><c:order val="{idx}"/><c:tx><c:v>{_text(name)}</c:v></c:tx>'
            '<c:invertIfNegative val="0"/>'
            f'<c:cat><c:strRef><c:f>{escape_text(_ref(spec.sheet, spec.categories))}</c:f><c:strCache>'
            f'<c:ptCount val="{len(cats)}"/>{cat_pts}</c:strCache></c:strRef></c:cat>'
            f'<c:val><c:numRef><c:f>{escape_text(_ref(spec.sheet, box))}</c:f><c:numCache>'
            '<c:formatCode>General</c:formatCode>'
            f'<c:ptCount val="{len(nums)}"/>{pts}</c:numCache></c:numRef></c:val></c:ser>'
        )
    title = (
        '<c:title><c:tx><c:rich><a:bodyPr/><a:lstStyle/><a:p><a:pPr><a:defRPr sz="1200" b="1"/></a:pPr>'
        f'<a:r><a:t>{escape_text(spec.title)}</a:t></a:r></a:p></c:rich></c:tx><c:overlay val="0"/></c:title>'
    )
    axis_common = (
        '<c:scaling><c:orientation val="minMax"/></c:scaling><c:delete val="0"/>'
    )
    xml = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<c:chartSpace xmlns:c="{C_NS}" xmlns:a="{A_NS}" xmlns:r="{REL_NS}">'
        '<c:roundedCorners val="0"/><c:chart>'
        f'{title}<c:autoTitleDeleted val="0"/><c:plotArea><c:layout/>'
        '<c:barChart><c:barDir val="col"/><c:grouping val="clustered"/><c:varyColors val="0"/>'
        + "".join(series)
        + f'<c:dLbls><c:showLegendKey val="0"/><c:showVal val="{int(spec.labels)}"/><c:showCatName val="0"/>'
        '<c:showSerName val="0"/><c:showPercent val="0"/><c:showBubbleSize val="0"/></c:dLbls>'
        '<c:gapWidth val="150"/><c:axId val="500000001"/><c:axId val="500000002"/></c:barChart>'
        f'<c:catAx><c:axId val="500000001"/>{axis_common}<c:axPos val="b"/>'
        '<c:numFmt formatCode="General" sourceLinked="0"/><c:majorTickMark val="out"/>'
        '<c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/><c:crossAx val="500000002"/>'
        '<c:crosses val="autoZero"/><c:auto val="1"/><c:lblAlgn val="ctr"/><c:lblOffset val="100"/>'
        '<c:noMultiLvlLbl val="0"/></c:catAx>'
        # Scores start at 0: an axis from 50 would make 55 look twice 52.
        '<c:valAx><c:axId val="500000002"/><c:scaling><c:orientation val="minMax"/><c:min val="0"/></c:scaling>'
        '<c:delete val="0"/><c:axPos val="l"/><c:majorGridlines/>'
        '<c:numFmt formatCode="General" sourceLinked="1"/><c:majorTickMark val="out"/>'
        '<c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/><c:crossAx val="500000001"/>'
        '<c:crosses val="autoZero"/><c:crossBetween val="between"/></c:valAx>'
        '</c:plotArea><c:legend><c:legendPos val="b"/><c:overlay val="0"/></c:legend>'
        '<c:plotVisOnly val="1"/><c:dispBlanksAs val="gap"/></c:chart>'
        '<c:txPr><a:bodyPr/><a:lstStyle/><a:p><a:pPr><a:defRPr sz="1000">'
        f'<a:latin typeface="{escape_text(font)}"/><a:cs typeface="{escape_text(font)}"/></a:defRPr></a:pPr>'
        '<a:endParaRPr lang="vi-VN"/></a:p></c:txPr></c:chartSpace>'
    )
    return xml.encode("utf-8")


def new_drawing() -> etree._Element:
    """An empty spreadsheet drawing part."""
    return etree.Element(f"{{{XDR_NS}}}wsDr", nsmap={"xdr": XDR_NS, "a": A_NS})


def find_chart_anchor(drawing: etree._Element, name: str) -> tuple[etree._Element, str] | None:
    """The anchor named ``name`` holding a chart, and the chart's relationship id."""
    for anchor in drawing:
        pr = anchor.find(f"{{{XDR_NS}}}graphicFrame/{{{XDR_NS}}}nvGraphicFramePr/{{{XDR_NS}}}cNvPr")
        chart = anchor.find(f".//{{{C_NS}}}chart")
        if pr is not None and pr.get("name") == name and chart is not None:
            return anchor, chart.get(f"{{{REL_NS}}}id")
    return None


def _marker(parent: etree._Element, tag: str, row: int, col: int) -> None:
    marker = etree.SubElement(parent, f"{{{XDR_NS}}}{tag}")
    for child, value in (("col", col), ("colOff", 0), ("row", row), ("rowOff", 0)):
        etree.SubElement(marker, f"{{{XDR_NS}}}{child}").text = str(value)


def place_chart(drawing: etree._Element, name: str, rid: str | None, box: Box) -> None:
    """Anchor the chart ``name`` over the cells of ``box``: move the existing anchor, or add one
    pointing at relationship ``rid``."""
    r1, c1, r2, c2 = box
    found = find_chart_anchor(drawing, name)
    if found:
        anchor = found[0]
        for tag in ("from", "to"):
            anchor.remove(anchor.find(f"{{{XDR_NS}}}{tag}"))
    else:
        anchor = etree.SubElement(drawing, f"{{{XDR_NS}}}twoCellAnchor")
        ids = [int(el.get("id")) for el in drawing.iter(f"{{{XDR_NS}}}cNvPr") if (el.get("id") or "").isdigit()]
        frame = etree.SubElement(anchor, f"{{{XDR_NS}}}graphicFrame", macro="")
        nv = etree.SubElement(frame, f"{{{XDR_NS}}}nvGraphicFramePr")
        etree.SubElement(nv, f"{{{XDR_NS}}}cNvPr", id=str(max(ids, default=1) + 1), name=name)
        etree.SubElement(nv, f"{{{XDR_NS}}}cNvGraphicFramePr")
        xfrm = etree.SubElement(frame, f"{{{XDR_NS}}}xfrm")
        etree.SubElement(xfrm, f"{{{A_NS}}}off", x="0", y="0")
        etree.SubElement(xfrm, f"{{{A_NS}}}ext", cx="0", cy="0")
        graphic = etree.SubElement(etree.SubElement(frame, f"{{{A_NS}}}graphic"), f"{{{A_NS}}}graphicData",
                                   uri="http://schemas.openxmlformats.org/drawingml/2006/chart")
        chart = etree.SubElement(graphic, f"{{{C_NS}}}chart", nsmap={"c": C_NS, "r": REL_NS})
        chart.set(f"{{{REL_NS}}}id", rid)
        etree.SubElement(anchor, f"{{{XDR_NS}}}clientData")
    # The "to" marker is the cell after the last one covered, so the chart spans the box inclusive.
    _marker(anchor, "from", r1 - 1, c1 - 1)
    anchor.insert(0, anchor[-1])
    _marker(anchor, "to", r2, c2)
    anchor.insert(1, anchor[-1])


def place(parts: Parts, drawing_part: str, name: str, box: Box, spec: ChartSpec) -> str:
    """Anchor the chart ``name`` over the cells of ``box`` in ``drawing_part``: the chart an
    earlier run made under that name is moved and its part regenerated, else a chart part is
    added (with empty caches until :func:`bar_chart_xml` fills them). Returns the chart part."""
    drawing = parts.tree(drawing_part)
    found = find_chart_anchor(drawing, name)
    if found:
        chart_part, rid = parts.rel_target(drawing_part, found[1]), None
    else:
        chart_part = parts.free_name("xl/charts/chart%d.xml")
        parts.override(chart_part, CT_CHART)
        rid = parts.add_rel(drawing_part, RT + "chart", chart_part)
    place_chart(drawing, name, rid, box)
    parts.touch(drawing_part)
    parts.put(chart_part, bar_chart_xml(spec, {}))
    return chart_part
