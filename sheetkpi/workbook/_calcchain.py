"""The calculation chain (``xl/calcChain.xml``): Excel's list of the cells holding a formula, in
the order it last calculated them. An entry for a cell that no longer holds one makes Excel report
the file as damaged, so the entries of the formulas the writer removed go with them."""

from __future__ import annotations

from ._parts import Parts
from ._sheetxml import cell_ref
from ._xml import RT


def drop_entries(parts: Parts, wb_part: str, removed: dict[int, set[tuple[int, int]]]) -> None:
    """Remove the entries of the cells ``removed`` ({sheetId: {(row, col)}}; None among the cells:
    every entry of that sheet, laid out anew); a chain left empty is dropped with its relationship
    and content-type override."""
    chains = [(rid, part) for rid, rtype, part in parts.rels(wb_part) if rtype == RT + "calcChain"]
    if not chains or not parts.exists(chains[0][1]):
        return
    rid, part = chains[0]
    root = parts.tree(part)
    refs = {sid: {cell_ref(*cell) for cell in cells if cell is not None} for sid, cells in removed.items()}
    whole = {sid for sid, cells in removed.items() if None in cells}
    sheet_id = None
    for el in list(root):
        if el.get("i") is not None:
            sheet_id = int(el.get("i"))
        if sheet_id in whole or el.get("r") in refs.get(sheet_id, ()):
            following = el.getnext()
            # "i" may be omitted when equal to the previous entry's; keep it for the next one.
            if el.get("i") is not None and following is not None and following.get("i") is None:
                following.set("i", el.get("i"))
            root.remove(el)
    parts.touch(part)
    if len(root) == 0:
        parts.remove(part)
        parts.remove_rel(wb_part, rid)
