"""The LibreOffice button, clicked for real: runs under a Python that can ``import uno`` (see lo_uno).

For each case of a job (JSON, written by tests/test_libreoffice_button.py): open the example in one
headless LibreOffice whose private profile has SheetKPI.oxt installed, make the case's edit (the
workbook variants people have: merged cells, formulas, validations, conditional formats, hidden
columns, protected sheets…), set "Ngày báo cáo" in "Cấu hình" (the date the macro recalculates at),
store that as the case's *baseline*, make the document the current one, run the extension's macro
through the script provider with its published URL, and store the result as the case's *after*. The
macro's message (its return value) goes into the job's answer.

    python tests/lo_button.py JOB.json   # writes JOB.json's "answer" file
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path

import lo_uno
import realedits

SCRIPT = "vnd.sun.star.script:SheetKPI.oxt|sheetkpi_lo.py${}?language=Python&location=user:uno_packages"
REPORT_DATE_CELL = "B9"  # "Ngày báo cáo" in the example's "Cấu hình"


# --- the edits of the example, each a workbook a Board really has -------------------------------------------------

def example(doc) -> None:
    """The example as shipped."""


def formulas(doc) -> None:
    """Formulas in columns sheetkpi does not own: VP's outputs built from the KPI code, a weight typed
    as =10+5, and a note column right of the engine columns adding weight and progress."""
    vp = realedits.sheet(doc, "VP")
    realedits.put(vp, "D5", '="Báo cáo "&B5')
    realedits.put(vp, "E5", "=10+5")
    for row in range(5, 11):
        realedits.put(vp, f"V{row}", f"=E{row}+H{row}")


def validations(doc) -> None:
    """A drop-down list on XDMT's "Đơn vị phối hợp" (G5:G11) and a whole-number rule on its weights."""
    import uno  # type: ignore[import-not-found]

    sh = realedits.sheet(doc, "XDMT")
    for ref, kind, formula in (("G5:G11", "LIST", '"Sở Tài chính";"Sở Xây dựng";"UBND huyện"'),
                               ("E5:E11", "WHOLE", "0")):
        rng = realedits.cell(sh, ref)
        rule = rng.Validation
        rule.Type = uno.Enum("com.sun.star.sheet.ValidationType", kind)
        if kind == "WHOLE":
            rule.setOperator(uno.Enum("com.sun.star.sheet.ConditionOperator", "GREATER_EQUAL"))
        rule.setFormula1(formula)
        rng.Validation = rule


def conditional_formats(doc) -> None:
    """DNLĐ: weights of 20 and more in bold red (a rule of the sheet, not of sheetkpi's columns)."""
    import uno  # type: ignore[import-not-found]

    rng = realedits.cell(realedits.sheet(doc, "DNLĐ"), "E5:E10")
    rules = rng.ConditionalFormat
    rules.addNew(lo_uno.props(Operator=uno.Enum("com.sun.star.sheet.ConditionOperator", "GREATER_EQUAL"),
                              Formula1="20", StyleName="Bad"))
    rng.ConditionalFormat = rules


def no_summary(doc) -> None:
    """"Tổng hợp" and "Lịch sử" deleted: the button adds them at the end, chart and print setup included."""
    doc.Sheets.removeByName("Tổng hợp")
    doc.Sheets.removeByName("Lịch sử")


def protected_unit(doc) -> None:
    """KHĐT, a unit tab, protected: the run must be refused before anything is written."""
    realedits.sheet(doc, "KHĐT").protect("")


EDITS = {
    "example": example,
    "merged_cells": realedits.merged_cells,
    "formulas": formulas,
    "validations": validations,
    "conditional_formats": conditional_formats,
    "hidden_rows_and_column": realedits.autofilter_hidden,
    "protected_other_sheets": realedits.protected_sheets,
    "no_summary": no_summary,
    "protected_unit": protected_unit,
}


def run(job: dict) -> dict:
    answer: dict = {"messages": {}, "seconds": {}}
    report_date = dt.date.fromisoformat(job["report_date"])
    with lo_uno.Office(env=job.get("env")) as office:
        office.install_extension(job["extension"])
        answer["menus"] = installed_menus(office)
        for case in job["cases"]:
            name, folder = case["name"], Path(case["folder"])
            with office.document(job["source"]) as doc:
                EDITS[name](doc)
                realedits.put(realedits.sheet(doc, "Cấu hình"), REPORT_DATE_CELL, report_date)
                # The case's input, stored where the macro's document then lives (the memo goes beside it).
                office.store(doc, folder / "baseline.xlsx")
            with office.document(folder / "baseline.xlsx") as doc:
                office.activate(doc)
                started = time.perf_counter()
                for action in case["actions"]:
                    answer["messages"].setdefault(name, {})[action] = office.run_script(doc, SCRIPT.format(action))
                answer["seconds"][name] = time.perf_counter() - started
                office.store(doc, folder / "after.xlsx")
    return answer


def installed_menus(office) -> dict[str, list[tuple[str, str]]]:
    """The add-on menus and toolbars LibreOffice registered: {node: [(title, URL), …]}."""
    provider = office.create("com.sun.star.configuration.ConfigurationProvider")
    root = provider.createInstanceWithArguments(
        "com.sun.star.configuration.ConfigurationAccess",
        lo_uno.props(nodepath="/org.openoffice.Office.Addons/AddonUI"))
    found: dict[str, list[tuple[str, str]]] = {}
    for kind in ("OfficeMenuBar", "OfficeToolBar"):
        group = root.getByName(kind)
        for name in group.ElementNames:
            node = group.getByName(name)
            items = node.getByName("Submenu") if node.hasByName("Submenu") else node
            found[f"{kind}/{name}"] = [(items.getByName(i).Title, items.getByName(i).URL) for i in items.ElementNames]
    return found


def main(argv: list[str]) -> int:
    job_file = Path(argv[0])
    job = json.loads(job_file.read_text(encoding="utf-8"))
    Path(job["answer"]).write_text(json.dumps(run(job), ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
