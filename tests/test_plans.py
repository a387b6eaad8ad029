"""`sheetkpi new --from-plan`: a workbook from each of the five seed plans, as text and as Word
(issue #6), and from real plans of other bodies (issue #19, tests/plans). The expected numbers were
counted by reading the plans, not from sheetkpi's output."""

from __future__ import annotations

import datetime as dt
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import docx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from sheetkpi import api
from sheetkpi import layout as L
from sheetkpi.errors import (
    EXIT_NO_UNITS,
    EXIT_UNUSABLE,
    EXIT_USAGE,
    SheetkpiError,
    UsageError,
)
from sheetkpi.plans import NoTasksFound, build_from_plan, read_plan
from sheetkpi.plans.build import UNPLACED_CODE
from sheetkpi.plans.model import equal_weights
from sheetkpi.plans.naming import unit_code
from sheetkpi.plans.reading import unit_key
from sheetkpi.plans.tables import column_field
from sheetkpi.plans.units import COLLECTIVE, REFERENCE, UNIT, is_unit_name, read_lead

from plan_docx import add_list, list_paragraph, text_to_docx
from support import EXAMPLE, SEEDS, SHARED

NGHE_AN = "nghe-an-2026-ke-hoach-giao-kpi"
HA_TINH = "ha-tinh-2023-chuong-trinh-nhiem-vu"
GIA_LAI = "gia-lai-2022-ke-hoach-cchc"
HAI_PHONG = "hai-phong-2023-ke-hoach-nhiem-vu"
NINH_BINH = "ninh-binh-2026-ke-hoach-tang-truong"
FORMS = ("txt", "docx")

needs_seeds = pytest.mark.skipif(not SEEDS.is_dir(), reason="the seed plans (../shared/seeds) are not here")


class Built:
    """A workbook built from a plan, read back with openpyxl: KPI rows by code, settings, units."""

    def __init__(self, reconciliation, path: Path):
        self.reconciliation = reconciliation
        self.path = path
        wb = load_workbook(path)
        self.kpis: dict[str, dict] = {}
        self.sheets: dict[str, list[str]] = {}
        for name in wb.sheetnames:
            ws = wb[name]
            header = [c.value for c in ws[L.UNIT_HEADER_ROW]]
            if name in L.NON_UNIT_SHEETS or L.COLUMNS["weight"] not in header:
                continue
            self.sheets[name] = []
            for row in ws.iter_rows(min_row=L.UNIT_FIRST_KPI_ROW):
                values = dict(zip(header, (c.value for c in row)))
                code = values[L.COLUMNS["code"]]
                if not code or code == L.TOTAL_LABEL:
                    continue
                weight_cell = row[header.index(L.COLUMNS["weight"])]
                values.update(sheet=name, assigned=weight_cell.comment is not None)
                self.kpis[code] = values
                self.sheets[name].append(code)
        config = wb[L.SHEET_CONFIG]
        self.settings = {r[0]: r[1] for r in config.iter_rows(min_row=L.CONFIG_FIRST_ROW, max_col=2, values_only=True) if r[0]}
        self.units = [r[:2] for r in config.iter_rows(min_row=L.CONFIG_UNITS_FIRST_ROW, max_col=3, values_only=True) if r[0]]

    def field(self, code: str, name: str):
        return self.kpis[code][L.COLUMNS[name]]

    def counts(self) -> list[tuple[str, int]]:
        return [(sheet, len(codes)) for sheet, codes in self.sheets.items()]

    def weights(self, sheet: str) -> list[float]:
        return [self.field(code, "weight") for code in self.sheets[sheet]]


_built: dict[tuple[str, str], Built] = {}


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    """build(seed, form) -> Built, each seed built once per form (as text, or converted to .docx)."""
    folder = tmp_path_factory.mktemp("plans")

    def make(seed: str, form: str) -> Built:
        if (seed, form) not in _built:
            source = SEEDS / f"{seed}.txt"
            if form == "docx":
                source = text_to_docx(source, folder / f"{seed}.docx")
            output = folder / f"{seed}-{form}.xlsx"
            _built[seed, form] = Built(build_from_plan(source, output), output)
        return _built[seed, form]

    return make


@needs_seeds
@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("seed", [NGHE_AN, HA_TINH, GIA_LAI, HAI_PHONG, NINH_BINH])
def test_every_seed_builds_a_workbook_that_check_accepts(build, seed, form):
    built = build(seed, form)
    evaluation = api.check(built.path)
    assert evaluation.errors == []
    assert len(evaluation.kpis) == built.reconciliation.kpi_count == len(built.kpis)
    for unit in evaluation.units:
        assert unit.weight_total == 100
    assert built.reconciliation.unplaced == []


@needs_seeds
@pytest.mark.parametrize("seed", [NGHE_AN, HA_TINH, GIA_LAI, HAI_PHONG, NINH_BINH])
def test_text_and_word_versions_of_a_plan_give_the_same_workbook(build, seed):
    as_text, as_word = build(seed, "txt"), build(seed, "docx")
    assert as_text.kpis.keys() == as_word.kpis.keys()
    for code, values in as_text.kpis.items():
        assert values == as_word.kpis[code], code
    assert as_text.settings == as_word.settings
    assert as_text.reconciliation.warnings == as_word.reconciliation.warnings


# Nghệ An 2026: coded KPIs with weights under unit headings, checked against the summary table.

@needs_seeds
@pytest.mark.parametrize("form", FORMS)
def test_nghe_an_units_weights_and_deadlines(build, form):
    built = build(NGHE_AN, form)
    assert built.counts() == [("KHĐT", 7), ("XDMT", 7), ("DNLĐ", 6), ("VP", 6), ("BQLDA", 6)]
    assert built.weights("KHĐT") == [20, 20, 20, 10, 10, 10, 10]
    assert built.weights("VP") == [15, 25, 20, 20, 10, 10]
    assert not any(k["assigned"] for k in built.kpis.values())
    assert built.sheets["DNLĐ"] == ["DNLĐ-01", "DNLD-02", "DNLD-03", "DNLD-04", "DNLĐ-05", "DNLĐ-06"]
    assert built.field("KHĐT-01", "deadline") == "Kỳ họp HĐND tỉnh giữa năm 2026"
    assert built.field("BQLDA-01", "deadline") == "31/01/2027"
    assert built.field("BQLDA-05", "deadline") == "Khởi công dự án trong quý IV/2026"  # from "Đầu ra"
    assert built.field("BQLDA-06", "deadline") == "Hoàn thành trước 30/6/2026"
    assert built.field("BQLDA-02", "title") == "Bàn giao đưa vào sử dụng 05 dự án"
    assert built.field("XDMT-01", "partners") == "Bộ Tài chính, Bộ Tư pháp, UBND tỉnh"
    assert built.field("DNLĐ-01", "output").split("\n")[1] == "+ Tổ chức 02 Ngày hội việc làm;"
    assert built.units[:2] == [("KHĐT", "Phòng Kế hoạch và Đầu tư"), ("XDMT", "Phòng Xây dựng và Môi trường")]


@needs_seeds
def test_nghe_an_warns_about_codes_spelt_dnld_and_matches_its_summary_table(build):
    rec = build(NGHE_AN, "txt").reconciliation
    spelt = [w for w in rec.warnings if "viết khác mã đơn vị 'DNLĐ'" in w]
    assert [w.split("'")[1] for w in spelt] == ["DNLD-02", "DNLD-03", "DNLD-04"]
    assert len(rec.warnings) == 3
    assert any("khớp số KPI và tổng trọng số của 5/5 đơn vị" in n for n in rec.notes)
    text = rec.text()
    assert "5 phòng, đơn vị; 32 KPI" in text and "DNLD-02" in text


@needs_seeds
def test_nghe_an_settings_come_from_the_plan(build):
    built = build(NGHE_AN, "txt")
    labels = L.SETTINGS_LABELS
    assert built.settings[labels["plan_year"]] == 2026
    assert built.settings[labels["agency"]] == "BAN QUẢN LÝ KKT ĐÔNG NAM NGHỆ AN"
    assert built.settings[labels["signer"]] == "Nguyễn Xuân Đức"
    assert built.settings[labels["signer_title"]] == "TRƯỞNG BAN"
    assert built.settings[labels["plan_start"]] == dt.datetime(2026, 1, 1)
    assert built.reconciliation.missing_settings == ["parent_agency", "place"]  # the plan has no header block


@needs_seeds
@pytest.mark.skipif(not EXAMPLE.exists(), reason="the example workbook is not built yet")
@pytest.mark.parametrize("form", FORMS)
def test_nghe_an_matches_the_example_workbook(build, form):
    built = build(NGHE_AN, form)
    example = Built(None, EXAMPLE)
    assert list(built.kpis) == list(example.kpis)
    for code, values in example.kpis.items():
        for name in ("code", "title", "weight", "deadline", "output", "partners"):
            assert built.field(code, name) == values[L.COLUMNS[name]], (code, name)
        assert built.kpis[code]["sheet"] == values["sheet"]
    assert built.units == example.units


# Hà Tĩnh 2023: appendix table with unit rows in capitals, rows broken across pages.

@needs_seeds
@pytest.mark.parametrize("form", FORMS)
def test_ha_tinh_unit_rows(build, form):
    built = build(HA_TINH, form)
    assert built.counts() == [
        ("VP", 5), ("KHTH", 5), ("QLQHXD", 5), ("QLĐT", 4), ("QLDN", 3), ("QLTNMT", 5), ("VPĐD", 3), ("TTXCKKTT", 3),
    ]
    assert built.weights("VP") == [20] * 5
    assert built.weights("QLĐT") == [25] * 4
    assert built.weights("QLDN") == [33.34, 33.33, 33.33]
    assert all(k["assigned"] for k in built.kpis.values())
    assert built.field("VP-01", "deadline") == "Quý II/2023"
    assert built.field("KHTH-02", "deadline") == "Theo YC của Sở KH&ĐT, UBND tỉnh"
    assert built.field("QLDN-01", "deadline") == "Quý I/2023; báo cáo hàng tháng"
    assert built.field("QLĐT-03", "deadline") == "Báo cáo hàng tuần"
    # The row split by a page break keeps the rest of its "Cấp trình" cell.
    assert built.field("QLTNMT-03", "output") == "Cấp trình: UBND tỉnh; Lãnh đạo Ban theo yêu cầu"
    assert built.field("KHTH-04", "title").startswith("Chủ trì, phối hợp với Phòng QL TNMT")  # after a page break
    assert built.field("VP-05", "output") == (
        "Cấp trình: UBND tỉnh\nGhi chú: Nhiệm vụ trong Chương trình khung của UBND tỉnh"
    )
    assert ("KHTH", "Phòng Kế hoạch Tổng hợp") in built.units  # spelt as in the plan's text
    assert ("QLDN", "PHÒNG QUẢN LÝ DOANH NGHIỆP") in built.units
    labels = L.SETTINGS_LABELS
    assert built.settings[labels["place"]] == "Hà Tĩnh"
    assert built.settings[labels["parent_agency"]] == "UBND TỈNH HÀ TĨNH"
    assert built.settings[labels["plan_year"]] == 2023


# Gia Lai 2022: criteria grouped by lead unit, body criteria merged with the appendix.

@needs_seeds
@pytest.mark.parametrize("form", FORMS)
def test_gia_lai_criteria_by_lead_unit(build, form):
    built = build(GIA_LAI, form)
    assert built.counts() == [("VP", 43), ("QLDN", 2), ("CTPTHTKKT", 2), ("QLĐT", 1)]
    assert built.sheets["QLDN"] == ["TCTP 2.1.1", "TCTP 2.1.2"]
    assert built.sheets["CTPTHTKKT"] == ["TCTP 5.1.3", "TCTP 6.3.3"]
    assert built.sheets["QLĐT"] == ["TC 8.2"]
    appendix = [c for c in built.kpis if c.startswith("TC")]
    assert len(appendix) == len(set(appendix)) == 45
    assert built.sheets["VP"][-3:] == ["VP-01", "VP-02", "VP-03"]  # criteria of the body not in the appendix
    assert built.field("VP-01", "title").startswith("Công khai thủ tục hành chính (TTHC)")
    assert built.field("VP-02", "deadline") == "Trong năm 2022 và các năm tiếp theo"
    weights = built.weights("VP")
    assert weights.count(2.33) == 24 and weights.count(2.32) == 19
    assert built.weights("QLĐT") == [100]


@needs_seeds
@pytest.mark.parametrize("form", FORMS)
def test_gia_lai_targets_sections_and_merged_criteria(build, form):
    built = build(GIA_LAI, form)
    assert built.field("TC 1.1", "title") == "Thực hiện kế hoạch CCHC"
    assert built.field("TC 1.1", "output") == (
        "Hoàn thành 100% kế hoạch\nLĩnh vực: I. CÔNG TÁC CHỈ ĐẠO ĐIỀU HÀNH CCHC\n"
        "Nêu tại mục 1.1 của kế hoạch"
    )
    assert (built.field("TC 1.1", "target"), built.field("TC 1.1", "measure_unit")) == ("100", "%")
    assert built.field("TCTP 8.1.1", "target") == "Tăng ít nhất 02% so với năm 2021"
    assert (built.field("TC 1.5", "target"), built.field("TC 1.5", "measure_unit")) == ("≥ 3", "sáng kiến")
    assert built.field("TCTP 7.2.1", "target") == "≥ 50"
    assert built.field("TCTP 6.1.2", "target") is None  # "Không có sai phạm": a typed progress
    assert built.field("TCTP 6.1.2", "output").startswith("Không có sai phạm\nLĩnh vực: VI. CẢI CÁCH TÀI CHÍNH CÔNG")
    assert "mục 1.9" in built.field("TC 8.2", "output")  # "Mức độ thu hút đầu tư của Ban Quản lý"
    assert "mục 1.10" in built.field("TCTP 8.1.4", "output")
    assert "mục 1.5" in built.field("TCTP 6.3.3", "output")
    outputs = [k[L.COLUMNS["output"]] for k in built.kpis.values()]
    body = {n: sum(f"tại mục 1.{n} của" in o for o in outputs) for n in range(1, 12)}
    assert body == {**dict.fromkeys(range(1, 12), 1), 5: 2}  # 1.5 names two criteria
    assert built.field("TC 1.2", "deadline") == "Theo yêu cầu của Sở Nội vụ"
    assert built.field("TCTP 3.2.3", "partners") == "Các phòng chuyên môn"  # "Các phòng" + "chuyên môn" on the next page
    [near] = built.reconciliation.warnings
    assert "mục 1.2" in near and "TCTP 3.2.5" in near


# Hải Phòng 2023: bullets per unit and the appendix indicator table with sub-rows.

@needs_seeds
@pytest.mark.parametrize("form", FORMS)
def test_hai_phong_unit_lists_and_indicators(build, form):
    built = build(HAI_PHONG, form)
    assert built.counts() == [
        ("VPBQL", 10), ("KHTH", 3), ("QLĐT", 8), ("QLQHXD", 6), ("QLDN", 4), ("QLTNMT", 7), ("QLLĐ", 4),
        ("HTGSHĐĐT", 4), ("VPĐDBQL", 4), ("TTXTĐTDVVL", 5), ("TTCKKT", 3), ("CHUNG", 13),
    ]
    assert built.weights("VPBQL") == [10] * 10
    assert built.weights("CHUNG") == [7.7] * 3 + [7.69] * 10
    assert {k["Thời hạn hoàn thành"] for k in built.kpis.values()} == {"Trong năm 2023"}
    assert built.field("QLTNMT-06", "title") == "rà soát các dự án chậm triển khai đưa đất vào sử dụng, đề xuất biện pháp xử lý"
    fdi = [built.field("CHUNG-01", f) for f in ("title", "measure_unit", "target", "baseline")]
    assert fdi == ["Thu hút FDI", "Triệu USD", "2.000", 2500]
    assert built.sheets["CHUNG"][6:9] == ["CHUNG-07", "CHUNG-07.1", "CHUNG-07.2"]
    assert built.field("CHUNG-07.1", "title") == (
        "Nộp ngân sách nhà nước của Ban quản lý và đơn vị trực thuộc: Ban Quản lý Khu kinh tế"
    )
    assert (built.field("CHUNG-07.1", "target"), built.field("CHUNG-07.1", "baseline")) == ("2.709", 1555)
    assert (built.field("CHUNG-09", "target"), built.field("CHUNG-09", "measure_unit")) == ("100", "%")
    assert any("13 nhiệm vụ, chỉ tiêu" in w and "'CHUNG'" in w for w in built.reconciliation.warnings)


# Ninh Bình 2026: numeric targets and lettered tasks, no unit named.

@needs_seeds
@pytest.mark.parametrize("form", FORMS)
def test_ninh_binh_targets_and_lettered_tasks(build, form):
    built = build(NINH_BINH, form)
    assert built.counts() == [("CHUNG", 26)]
    assert built.weights("CHUNG") == [3.85] * 16 + [3.84] * 10
    indicators = [(built.field(f"CHUNG-0{n}", "target"), built.field(f"CHUNG-0{n}", "measure_unit")) for n in range(1, 7)]
    assert indicators == [
        ("≥ 508.619", "tỷ đồng"), ("≥ 18.000", "triệu USD"), ("≥ 22.000", "tỷ đồng"), ("275.000", "lao động"),
        ("10", "triệu đồng/người/tháng"), ("100", "%"),
    ]
    assert built.field("CHUNG-04", "deadline") == "Đến năm 2030"
    assert built.field("CHUNG-01", "deadline") == "Trong năm 2026"
    assert built.field("CHUNG-07", "title").startswith("Triển khai đồng bộ, hiệu quả các nội dung điều chỉnh")
    assert built.field("CHUNG-09", "title").endswith("đảm bảo mục tiêu thu hút đầu tư trong nhiệm kỳ 2026 - 2030")
    assert built.field("CHUNG-16", "title") == "Tạo đột phá về phát triển kinh tế biển"
    assert built.field("CHUNG-16", "output").startswith("Phát triển và mở rộng Khu kinh tế Ninh Cơ")
    assert built.field("CHUNG-20", "title").startswith("Đảm bảo hiệu quả kinh tế xã hội")
    warnings = built.reconciliation.warnings
    assert any("được ghi hai lần" in w for w in warnings)  # III.2.đ and III.5.a are the same task
    assert any("(Phụ lục nhiệm vụ cụ thể kèm theo)" in w for w in warnings)
    assert built.settings[L.SETTINGS_LABELS["signer_title"]] == "KT. TRƯỞNG BAN\nPHÓ TRƯỞNG BAN"


# Plans written for this test, for what the seeds do not show.

def write(tmp_path: Path, text: str, name: str = "plan.md") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


CODED = """Hà Nam, ngày 05 tháng 01 năm 2027
KẾ HOẠCH
Giao KPI năm 2027
• KTX-01 (50 điểm): Nhiệm vụ chưa có phòng.
I. GIAO NHIỆM VỤ
1. Phòng Tổng hợp
• TH-01 (20 điểm): Báo cáo quý.
- Thời hạn hoàn thành: Quý I/2027.
• TH-02 (30 điểm): Báo cáo năm.
Phòng/đơn vị\tSố KPI\tTổng trọng số
Phòng Tổng hợp\t3\t100
Phòng Khác\t1\t100
"""


def test_what_cannot_be_placed_is_reported_and_weights_that_miss_100_are_warned(tmp_path):
    out = tmp_path / "out.xlsx"
    rec = build_from_plan(write(tmp_path, CODED), out)
    assert [str(u) for u in rec.unplaced] == ["KTX-01: Nhiệm vụ chưa có phòng — không nằm dưới tên phòng, đơn vị nào"]
    assert "Không xếp được vào phòng, đơn vị nào: 1" in rec.text()
    assert "Phòng Tổng hợp: tổng trọng số theo kế hoạch là 50, không phải 100." in rec.warnings
    assert any("bảng tổng hợp ghi 3 KPI, tổng trọng số 100" in w for w in rec.warnings)
    assert any("'Phòng Khác'" in w for w in rec.warnings)
    assert [(u.code, u.kpi_count) for u in rec.units] == [("TH", 2)]
    assert Built(rec, out).field("TH-02", "deadline") == "Trong năm 2027"
    errors = [(i.code, i.sheet) for i in api.check(out).errors]
    assert ("weight-sum-mismatch", "TH") in errors  # as the plan says
    # The unplaced task is kept on its own tab, flagged until the Office places it.
    assert sorted(e for e in errors if e[1] != "TH") == [("weight-invalid", "CHUA-XEP"), ("weight-sum-mismatch", "CHUA-XEP")]


def test_table_rows_without_unit_and_partial_weights(tmp_path):
    plan = write(tmp_path, """KẾ HOẠCH
Nhiệm vụ năm 2025
| TT | Nội dung nhiệm vụ | Trọng số | Thời hạn |
|----|----|----|----|
| 1 | Việc chưa có phòng | | Quý I/2025 |
| VĂN PHÒNG | | | |
| 1 | Việc một | 40 | Quý I/2025 |
| 2 | Việc hai | | Quý II/2025 |
| 3 | Việc ba | | |
""")
    plan_read = read_plan(plan)
    [unit] = plan_read.units
    assert [(i.code, i.weight, i.weight_assigned) for i in unit.items] == [
        ("VP-01", 40, False), ("VP-02", 30, True), ("VP-03", 30, True),
    ]
    assert unit.items[2].deadline == "Trong năm 2025"
    assert [u.text for u in plan_read.unplaced] == ["Việc chưa có phòng"]


def test_a_task_table_whose_tt_column_is_empty(tmp_path):
    plan = write(tmp_path, """| TT | Nội dung công việc | Thời gian hoàn thành |
|----|----|----|
| PHÒNG TỔNG HỢP | | |
| | Việc một | Quý I/2025 |
| | Việc hai | Quý II/2025 |
""")
    [unit] = read_plan(plan, year=2025).units
    assert [(i.code, i.title, i.deadline) for i in unit.items] == [
        ("TH-01", "Việc một", "Quý I/2025"), ("TH-02", "Việc hai", "Quý II/2025"),
    ]


def test_criteria_without_lead_unit_and_body_criteria_without_appendix(tmp_path):
    plan = write(tmp_path, """KẾ HOẠCH
Cải cách hành chính năm 2024
II. NHIỆM VỤ VÀ GIẢI PHÁP
1.1. Tiêu chí “Công khai thủ tục hành chính trên cổng”:
a) Mục tiêu, yêu cầu: 100% thủ tục được công khai.
- Đơn vị phụ trách: Phòng Quản lý Đầu tư.
1.2. Tiêu chí “Việc chưa rõ ai làm”:
- Đơn vị phụ trách: các đơn vị liên quan.
TT\tTiêu chí\tCơ quan phụ trách\tThời gian thực hiện
1\tTC 9.9 - Không ai phụ trách\t\tTrong năm 2024
""")
    plan_read = read_plan(plan)
    [unit] = plan_read.units
    assert (unit.name, unit.code) == ("Phòng Quản lý Đầu tư", "QLĐT")
    [item] = unit.items
    assert (item.title, item.target, item.measure_unit, item.deadline) == (
        "Công khai thủ tục hành chính trên cổng", "100", "%", "Trong năm 2024",
    )
    reasons = sorted(u.reason for u in plan_read.unplaced)
    assert reasons[0] == "bảng không ghi đơn vị chủ trì"
    assert reasons[1].startswith("giao chung cho nhiều cơ quan, đơn vị ('các đơn vị liên quan')")


def test_bullets_before_the_first_unit_heading_are_unplaced(tmp_path):
    plan = write(tmp_path, """KẾ HOẠCH
Nhiệm vụ năm 2025
III. NHIỆM VỤ CỤ THỂ
- Việc chung không rõ phòng.
1. Phòng Quản lý lao động
- Dự báo nhu cầu lao động.
+ Gồm cả lao động nước ngoài.
- Thời hạn hoàn thành: Tháng 6/2025.
""")
    plan_read = read_plan(plan)
    [item] = plan_read.units[0].items
    assert (item.title, item.output, item.deadline) == (
        "Dự báo nhu cầu lao động", "+ Gồm cả lao động nước ngoài.", "Tháng 6/2025",
    )
    assert [u.text for u in plan_read.unplaced] == ["Việc chung không rõ phòng"]


def test_header_block_in_a_word_table_gives_agency_and_parent(tmp_path):
    document = docx.Document()
    header = document.add_table(rows=1, cols=2)
    header.cell(0, 0).text = "UBND TỈNH QUẢNG TRỊ\nBAN QUẢN LÝ KHU KINH TẾ"
    header.cell(0, 1).text = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nQuảng Trị, ngày 10 tháng 12 năm 2025"
    for text in ("KẾ HOẠCH", "Giao nhiệm vụ năm 2026", "1. Văn phòng"):
        document.add_paragraph(text)
    document.add_paragraph("Tổng hợp báo cáo tháng", style="List Number")
    path = tmp_path / "plan.docx"
    document.save(path)
    plan = read_plan(path)
    assert plan.year == 2026  # signed in December for the next year
    assert plan.settings["parent_agency"] == "UBND TỈNH QUẢNG TRỊ"
    assert plan.settings["agency"] == "BAN QUẢN LÝ KHU KINH TẾ"
    assert plan.settings["place"] == "Quảng Trị"
    assert [(u.code, [i.title for i in u.items]) for u in plan.units] == [("VP", ["Tổng hợp báo cáo tháng"])]


def test_year_given_by_the_caller_wins_and_is_needed_when_the_plan_has_none(tmp_path):
    plan = write(tmp_path, "1. Văn phòng\n- Tổng hợp báo cáo.\n")
    with pytest.raises(UsageError) as caught:
        read_plan(plan)
    assert caught.value.exit_code == EXIT_USAGE and "--year" in caught.value.message
    built = Built(build_from_plan(plan, tmp_path / "out.xlsx", year=2027), tmp_path / "out.xlsx")
    assert built.settings[L.SETTINGS_LABELS["plan_year"]] == 2027
    assert built.field("VP-01", "deadline") == "Trong năm 2027"
    with pytest.raises(UsageError):
        read_plan(plan, year=99)


def test_utf16_text_is_read(tmp_path):
    path = tmp_path / "plan.txt"
    path.write_text("Năm 2025\n1. Văn phòng\n- Tổng hợp báo cáo.\n", encoding="utf-16")
    assert [i.title for i in read_plan(path, year=2025).units[0].items] == ["Tổng hợp báo cáo"]


# Files that are not plans: a clear message, exit 3 or 4, nothing written.

def _random_docx(path: Path) -> Path:
    document = docx.Document()
    document.add_paragraph("Biên bản họp giao ban tuần")
    document.add_paragraph("Thành phần: đại diện các phòng.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Họ tên", "Chức vụ"
    document.save(path)
    return path


def _blank_docx(path: Path) -> Path:
    docx.Document().save(path)
    return path


def _zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("a.txt", "không phải Word")
    return path


def _bytes(data: bytes):
    def make(path: Path) -> Path:
        path.write_bytes(data)
        return path
    return make


NOT_PLANS = {
    "empty.txt": (_bytes(b""), EXIT_NO_UNITS, "trống"),
    "spaces.md": (_bytes(b"  \n\n\t\n"), EXIT_NO_UNITS, "trống"),
    "minutes.docx": (_random_docx, EXIT_NO_UNITS, "Không tìm thấy nhiệm vụ nào được giao"),
    "plan.pdf": (_bytes(b"%PDF-1.4\n%\xe2\xe3\n1 0 obj"), EXIT_UNUSABLE, "là PDF"),
    "renamed-pdf.docx": (_bytes(b"%PDF-1.7\n"), EXIT_UNUSABLE, "là PDF"),
    "old.doc": (_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), EXIT_UNUSABLE, "Word 97-2003"),
    "binary.txt": (_bytes(bytes(range(256)) * 4), EXIT_UNUSABLE, "UTF-8"),
    "nul.txt": (_bytes(b"KE HOACH\x00\x00\x01"), EXIT_UNUSABLE, "nhị phân"),
    "zip.docx": (_zip, EXIT_UNUSABLE, "không phải tệp Word (.docx) hợp lệ"),
    "protected.docx": (_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600)), EXIT_UNUSABLE, "mật khẩu"),
    "blank.docx": (_blank_docx, EXIT_NO_UNITS, "trống"),
    "book.xlsx": (_bytes(b"PK\x03\x04"), EXIT_UNUSABLE, "bảng tính Excel"),
    "legacy.txt": (_bytes("KÕ ho¹ch n¨m 2025\nPhßng Tæng hîp\n".encode()), EXIT_NO_UNITS, "TCVN3"),
}


@pytest.mark.parametrize("name", sorted(NOT_PLANS))
def test_a_file_that_is_not_a_plan_ends_with_a_message_and_no_workbook(tmp_path, name):
    make, exit_code, words = NOT_PLANS[name]
    source = make(tmp_path / name)
    output = tmp_path / "out" / "BangGiaoKPI.xlsx"
    output.parent.mkdir()
    with pytest.raises(SheetkpiError) as caught:
        build_from_plan(source, output)
    assert caught.value.exit_code == exit_code
    assert words in caught.value.message
    assert list(output.parent.iterdir()) == []


def test_missing_plan_and_existing_output(tmp_path):
    with pytest.raises(SheetkpiError) as caught:
        build_from_plan(tmp_path / "none.docx", tmp_path / "out.xlsx")
    assert caught.value.exit_code == EXIT_UNUSABLE and not (tmp_path / "out.xlsx").exists()
    with pytest.raises(SheetkpiError) as caught:
        build_from_plan(tmp_path, tmp_path / "out.xlsx")
    assert caught.value.exit_code == EXIT_UNUSABLE and "thư mục" in caught.value.message
    existing = tmp_path / "existing.xlsx"
    existing.write_bytes(b"keep")
    plan = write(tmp_path, "Năm 2025\n1. Văn phòng\n- Tổng hợp báo cáo.\n")
    with pytest.raises(UsageError):
        build_from_plan(plan, existing)
    assert existing.read_bytes() == b"keep"
    with pytest.raises(UsageError):
        build_from_plan(plan, tmp_path / "out.xls")
    with pytest.raises(UsageError):
        build_from_plan(plan, tmp_path / "no-such-dir" / "out.xlsx")
    assert isinstance(NoTasksFound("x", "y"), SheetkpiError)


def test_a_failed_write_leaves_nothing_behind(tmp_path, monkeypatch):
    import sheetkpi.plans.build as build_module

    def disk_full(path, **_):
        Path(path).write_bytes(b"half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(build_module, "build_workbook", disk_full)
    plan = write(tmp_path, "Năm 2025\n1. Văn phòng\n- Tổng hợp báo cáo.\n", name="plan.txt")
    with pytest.raises(SheetkpiError) as caught:
        build_from_plan(plan, tmp_path / "out.xlsx", year=2025)
    assert caught.value.exit_code == EXIT_UNUSABLE and "No space left on device" in caught.value.message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.txt"]


# Building blocks.

@given(st.integers(min_value=1, max_value=500))
def test_equal_weights_sum_to_exactly_100(count):
    weights = equal_weights(100, count)
    assert round(sum(weights), 2) == 100
    assert max(weights) - min(weights) <= 0.0100001
    assert weights == sorted(weights, reverse=True)


@pytest.mark.parametrize("name, code", [
    ("Phòng Kế hoạch và Đầu tư", "KHĐT"),
    ("Văn phòng", "VP"),
    ("PHÒNG QUẢN LÝ TÀI NGUYÊN MÔI TRƯỜNG", "QLTNMT"),  # "TÀI" is not "tại"
    ("VĂN PHÒNG ĐẠI DIỆN TẠI KKT CKQT CẦU TREO", "VPĐD"),
    ("Công ty PTHT Khu kinh tế", "CTPTHTKKT"),
    ("TRUNG TÂM XTĐT VÀ CƯDV KHU KINH TẾ TỈNH", "TTXCKKTT"),  # too long with the abbreviations whole
])
def test_unit_codes_are_initials(name, code):
    assert unit_code(name) == code


@pytest.mark.parametrize("text, expected", [
    ("Phòng Quản lý đầu tư", True), ("Văn phòng", True), ("Trường Trung cấp Khu kinh tế", True),
    ("Ban hành kế hoạch", False), ("Tổ chức thực hiện", False), ("Phòng chống tham nhũng", False),
    ("Văn phòng Ban có trách nhiệm theo dõi.", False),
])
def test_unit_names(text, expected):
    assert is_unit_name(text) is expected


def test_unplaced_tasks_reach_a_tab_of_their_own_and_the_data_problems(tmp_path):
    """A task under no unit is listed in the reconciliation and kept on a "CHUA-XEP" tab without a
    weight, so that `check` flags it and "Tổng hợp" lists it until the Office places it."""
    from sheetkpi.api import check, recalc

    plan = tmp_path / "plan.txt"
    plan.write_text(
        "KẾ HOẠCH\nGiao KPI, nhiệm vụ trọng tâm năm 2026\n\n"
        "• **XX-01 (20 điểm): Nhiệm vụ chưa rõ phòng nào phụ trách.**\n- Thời hạn hoàn thành: 30/6/2026.\n\n"
        "#### 1. Phòng Kế hoạch và Đầu tư\n\n"
        "• **KHĐT-01 (60 điểm): Nhiệm vụ A.**\n- Thời hạn hoàn thành: 31/12/2026.\n\n"
        "• **KHĐT-02 (40 điểm): Nhiệm vụ B.**\n- Thời hạn hoàn thành: 30/9/2026.\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.xlsx"
    reconciliation = build_from_plan(plan, out)
    assert [u.text for u in reconciliation.unplaced] == ["XX-01: Nhiệm vụ chưa rõ phòng nào phụ trách"]
    evaluation = check(out, as_of="2026-06-25")
    assert {(i.code, i.sheet) for i in evaluation.errors} == {("weight-invalid", "CHUA-XEP"), ("weight-sum-mismatch", "CHUA-XEP")}
    kept = next(u for u in evaluation.units if u.unit.code == "CHUA-XEP")
    assert [k.kpi.title for k in kept.kpis] == ["XX-01: Nhiệm vụ chưa rõ phòng nào phụ trách"]
    recalc(out, as_of="2026-06-25")
    summary = load_workbook(out)[L.SHEET_SUMMARY]
    problems = [r for r in summary.iter_rows(values_only=True) if r[1] == "CHUA-XEP"]
    assert any(r[0] == "Lỗi — Trọng số không hợp lệ" for r in problems)


# Ways of writing who does what by when (issue #19): each as plans of other bodies write it.

def _units(plan) -> list[tuple[str, list[tuple[str, str, str]]]]:
    return [(u.name, [(i.title, i.partners, i.deadline) for i in u.items]) for u in plan.units]


@pytest.mark.parametrize("text", [
    "Sở Nội vụ", "Thanh tra tỉnh", "Thuế tỉnh", "Công an tỉnh", "Bộ Chỉ huy quân sự tỉnh",
    "Báo và Phát thanh, Truyền hình tỉnh", "Văn phòng UBND tỉnh", "Phòng Quản lý tài nguyên và môi trường",
    "Sở Lao động - Thương binh và Xã hội", "Trung tâm Xúc tiến Đầu tư, Thương mại và Du lịch tỉnh",
    "Ban Quản lý các Khu công nghệ cao và Khu công nghiệp thành phố Hà Nội",
])
def test_bodies_of_the_state_are_unit_names(text):
    assert is_unit_name(text)


@pytest.mark.parametrize("cell, lead", [
    ("Sở Công Thương; Sở Xây dựng", ("Sở Công Thương", UNIT, "Sở Xây dựng")),
    ("Sở Tài chính, Ban Quản lý các Khu công nghệ cao", ("Sở Tài chính", UNIT, "Ban Quản lý các Khu công nghệ cao")),
    ("Sở Xây dựng/các công ty quản lý lĩnh vực liên quan", ("Sở Xây dựng", UNIT, "các công ty quản lý lĩnh vực liên quan")),
    ("Các sở, ban, ngành; UBND các xã", ("Các sở, ban, ngành", COLLECTIVE, "UBND các xã")),
    ("Ủy ban nhân dân các xã, phường", ("Ủy ban nhân dân các xã, phường", COLLECTIVE, "")),
    ("UBND xã/phường", ("UBND xã/phường", COLLECTIVE, "")),
    ("Giám đốc Công an tỉnh", ("Công an tỉnh", UNIT, "")),
    ("Theo phân công tại Quyết định số 12/QĐ-UBND", ("Theo phân công tại Quyết định số 12/QĐ-UBND", REFERENCE, "")),
])
def test_lead_cells_name_one_unit_many_bodies_or_another_document(cell, lead):
    found = read_lead(cell)
    assert (found.name, found.kind, found.partners) == lead


@pytest.mark.parametrize("header, name", [
    ("Đơn vị chủ trì", "lead"), ("Cơ quan phụ trách", "lead"), ("Đơn vị thực hiện", "lead"),
    ("Cơ quan chủ trì, phối hợp", "lead"), ("Đơn vị phối hợp", "partners"), ("Thời gian thực hiện", "deadline"),
    ("Stt", "seq"), ("Chi tiết", "detail"), ("Sản phẩm", "output"), ("Tên nhiệm vụ", "title"),
])
def test_table_columns_by_their_header(header, name):
    assert column_field(header, 2026) == name


def test_lead_lines_and_the_opening_words_of_items(tmp_path):
    plan = read_plan(write(tmp_path, """UBND TỈNH LÂM ĐỒNG
Lâm Đồng, ngày 20 tháng 4 năm 2026
THÔNG BÁO
Kết luận của Chủ tịch UBND tỉnh
1. Về xúc tiến đầu tư
Giao Sở Tài chính chủ trì, phối hợp với Sở Xây dựng và các đơn vị liên quan:
a) Rà soát danh mục dự án thu hút đầu tư, báo cáo UBND tỉnh trước ngày 15/5/2026.
b) Hướng dẫn nhà đầu tư hoàn thiện hồ sơ.
2. Về chuyển đổi số
- Sở Y tế tham mưu triển khai bệnh án điện tử trong quý III/2026.
- Công an tỉnh chủ trì, phối hợp với các sở, ngành làm sạch dữ liệu dân cư.
UBND tỉnh trân trọng thông báo để các cơ quan, đơn vị biết, thực hiện./.
"""))
    partners = "Sở Xây dựng và các đơn vị liên quan"
    assert _units(plan) == [
        ("Sở Tài chính", [
            ("Rà soát danh mục dự án thu hút đầu tư, báo cáo UBND tỉnh trước ngày 15/5/2026", partners,
             "Trước ngày 15/5/2026"),
            ("Hướng dẫn nhà đầu tư hoàn thiện hồ sơ", partners, "Trong năm 2026"),
        ]),
        ("Sở Y tế", [("Tham mưu triển khai bệnh án điện tử trong quý III/2026", "", "Trong quý III/2026")]),
        ("Công an tỉnh", [("Chủ trì, phối hợp với các sở, ngành làm sạch dữ liệu dân cư", "", "Trong năm 2026")]),
    ]
    assert plan.unplaced == []


def test_labelled_leads_under_numbered_tasks_and_a_lead_closing_a_group(tmp_path):
    plan = read_plan(write(tmp_path, """KẾ HOẠCH
Triển khai nhiệm vụ năm 2026
II. NHIỆM VỤ CỤ THỂ
1. Nhiệm vụ về dữ liệu
(1) Xây dựng cơ sở dữ liệu đất đai.
- Đơn vị chủ trì thực hiện: Sở Nông nghiệp và Môi trường.
- Đơn vị phối hợp: UBND các xã, phường.
- Thời gian hoàn thành: Tháng 9/2026.
(2) Số hóa hồ sơ thủ tục hành chính.
- Đơn vị chủ trì thực hiện: Trung tâm Phục vụ hành chính công.
- Thời gian hoàn thành: Quý IV/2026.
2. Cải thiện chỉ số PCI
a) Rà soát thủ tục đầu tư.
b) Tổ chức đối thoại doanh nghiệp.
Đơn vị chủ trì: Phòng Quản lý Đầu tư; Đơn vị phối hợp: Văn phòng.
"""))
    assert _units(plan) == [
        ("Sở Nông nghiệp và Môi trường", [("Xây dựng cơ sở dữ liệu đất đai", "UBND các xã, phường", "Tháng 9/2026")]),
        ("Trung tâm Phục vụ hành chính công", [("Số hóa hồ sơ thủ tục hành chính", "", "Quý IV/2026")]),
        ("Phòng Quản lý Đầu tư", [
            ("Rà soát thủ tục đầu tư", "Văn phòng", "Trong năm 2026"),
            ("Tổ chức đối thoại doanh nghiệp", "Văn phòng", "Trong năm 2026"),
        ]),
    ]


def test_tasks_given_to_units_under_to_chuc_thuc_hien(tmp_path):
    plan = read_plan(write(tmp_path, """KẾ HOẠCH
Bảo vệ bí mật nhà nước năm 2026
I. MỤC ĐÍCH, YÊU CẦU
1. Nâng cao nhận thức của cán bộ, công chức.
II. TỔ CHỨC THỰC HIỆN
1. Các sở, ban, ngành căn cứ Kế hoạch này triển khai thực hiện.
2. Trách nhiệm của các cơ quan
2.1. Công an tỉnh
- Hướng dẫn, kiểm tra công tác bảo vệ bí mật nhà nước.
- Tổng hợp báo cáo UBND tỉnh trước ngày 05 của tháng liền kề.
2.2. Thanh tra tỉnh: Thanh tra việc chấp hành pháp luật về bảo vệ bí mật nhà nước.
2.3. Báo và Phát thanh, Truyền hình tỉnh
- Tuyên truyền trên sóng phát thanh.
"""))
    assert _units(plan) == [
        ("Công an tỉnh", [
            ("Hướng dẫn, kiểm tra công tác bảo vệ bí mật nhà nước", "", "Trong năm 2026"),
            ("Tổng hợp báo cáo UBND tỉnh trước ngày 05 của tháng liền kề", "", "Trước ngày 05 của tháng liền kề"),
        ]),
        ("Thanh tra tỉnh", [("Thanh tra việc chấp hành pháp luật về bảo vệ bí mật nhà nước", "", "Trong năm 2026")]),
        ("Báo và Phát thanh, Truyền hình tỉnh", [("Tuyên truyền trên sóng phát thanh", "", "Trong năm 2026")]),
    ]
    assert plan.unplaced == []  # the closing "1." and the purposes are not tasks


def test_lead_columns_and_rows_that_are_not_tasks(tmp_path):
    plan = read_plan(write(tmp_path, """KẾ HOẠCH
Cải thiện môi trường đầu tư năm 2026
Phụ lục I
NHIỆM VỤ CỤ THỂ
| TT | Nhiệm vụ | Đơn vị chủ trì | Đơn vị phối hợp | Thời gian hoàn thành |
|---|---|---|---|---|
| (1) | (2) | (3) | (4) | (5) |
| I | CẢI CÁCH THỦ TỤC | | | |
| 1 | Rút ngắn thời gian cấp phép | Sở Công Thương; Sở Xây dựng | Sở Tư pháp | Quý II/2026 |
| 2 | Công khai thủ tục | Các sở, ban, ngành; UBND các xã | | Năm 2026 |
| 3 | Kiểm tra doanh nghiệp | Theo phân công tại Quyết định số 12/QĐ-UBND ngày 05/01/2026 | | Theo Kế hoạch kiểm tra |
| 4 | Báo cáo kết quả | Sở Tài chính | | Tháng 3 - tháng 6/2026 |
| 5 | Tổng kết | Sở Công Thương | | Giai đoạn 2026-2030 |

Phụ lục II
ĐỀ CƯƠNG BÁO CÁO
(Kèm theo Kế hoạch số 10/KH-UBND)
| TT | Nội dung | Ghi chú |
|---|---|---|
| 1 | Kết quả thực hiện | |
| 2 | Khó khăn, vướng mắc | |
I. KIẾN NGHỊ, ĐỀ XUẤT
1. Đề xuất giải pháp.
"""))
    assert _units(plan) == [
        ("Sở Công Thương", [
            ("Rút ngắn thời gian cấp phép", "Sở Xây dựng; Sở Tư pháp", "Quý II/2026"),
            ("Tổng kết", "", "Giai đoạn 2026-2030"),
        ]),
        ("Sở Tài chính", [("Báo cáo kết quả", "", "Tháng 3 - tháng 6/2026")]),
    ]
    assert [(u.text, u.reason.split(" (")[0]) for u in plan.unplaced] == [
        ("Công khai thủ tục", "giao chung cho nhiều cơ quan, đơn vị"),
        ("Kiểm tra doanh nghiệp", "đơn vị chủ trì ghi theo văn bản khác"),
    ]
    assert plan.warnings == []


@pytest.mark.parametrize("title, date_line, year", [
    ("Phát triển khu kinh tế giai đoạn 2026-2030, tầm nhìn đến năm 2045", "", 2026),
    ("Chuyển đổi số đến năm 2030", "Nghệ An, ngày 05 tháng 01 năm 2026", 2026),
    ("Giao nhiệm vụ năm 2027, định hướng đến năm 2030", "Nghệ An, ngày 25 tháng 12 năm 2026", 2027),
])
def test_the_plan_year_is_the_documents_not_a_horizon(tmp_path, title, date_line, year):
    plan = read_plan(write(tmp_path, f"{date_line}\nKẾ HOẠCH\n{title}\n1. Phòng Quản lý Đầu tư\n- Thu hút dự án mới.\n"))
    assert plan.year == year


def test_word_automatic_numbering_is_read_as_typed(tmp_path):
    """Items numbered by Word ("1.", "a)") and bullets chosen with a symbol read as when typed."""
    document = docx.Document()
    for text in ("KẾ HOẠCH", "Nhiệm vụ năm 2026", "III. TỔ CHỨC THỰC HIỆN"):
        document.add_paragraph(text)
    numbers = add_list(document, [("decimal", "%1."), ("lowerLetter", "%2)")])
    plus = add_list(document, [("bullet", "+")])
    for text, num_id, ilvl in (
        ("Sở Tài chính", numbers, 0), ("Thẩm định dự toán.", numbers, 1), ("Gồm cả dự toán bổ sung.", plus, 0),
        ("Bố trí kinh phí.", numbers, 1), ("Sở Nội vụ", numbers, 0), ("Tổng hợp thi đua.", numbers, 1),
    ):
        list_paragraph(document, num_id, ilvl).add_run(text)
    path = tmp_path / "plan.docx"
    document.save(path)
    plan = read_plan(path)
    assert [(u.name, [(i.title, i.output) for i in u.items]) for u in plan.units] == [
        ("Sở Tài chính", [("Thẩm định dự toán", "+ Gồm cả dự toán bổ sung."), ("Bố trí kinh phí", "")]),
        ("Sở Nội vụ", [("Tổng hợp thi đua", "")]),
    ]


@needs_seeds
def test_nghe_an_with_sub_items_as_word_list_bullets(tmp_path):
    """Saved from Word with "-" and "+" as bullets of lists of their own, both at the first level of
    their list: the "+" glyph still makes them lines of the KPI above (DNLĐ 6 rows, not 16)."""
    source = SEEDS / f"{NGHE_AN}.txt"
    as_lists = read_plan(text_to_docx(source, tmp_path / "lists.docx", list_bullets=True))
    as_text = read_plan(source)
    assert [(u.code, len(u.items)) for u in as_lists.units] == [("KHĐT", 7), ("XDMT", 7), ("DNLĐ", 6), ("VP", 6), ("BQLDA", 6)]
    assert [[(i.code, i.title, i.output, i.deadline, i.weight) for i in u.items] for u in as_lists.units] == [
        [(i.code, i.title, i.output, i.deadline, i.weight) for i in u.items] for u in as_text.units
    ]
    assert as_lists.units[2].items[0].output.startswith("+ Ban hành và tổ chức thực hiện Kế hoạch kết nối")


# Real plans and letters of other bodies (issue #19, tests/plans/SOURCES.md). The units and the
# number of tasks of each are what a careful reader of the document gives, written by hand; a range
# where two readings are fair (a mandate paragraph before the bullets, a task the body repeats from
# a heading, a body that issues the plan and also leads tasks in it). Any unit not listed fails.

PLANS = Path(__file__).parent / "plans"
SHARED_PLANS = Path(os.environ.get("SHEETKPI_PLANS") or SHARED / "plans")


@dataclass(frozen=True)
class Expect:
    units: dict[str, tuple[int, int]]  # unit as the plan names it → (fewest, most) tasks
    unplaced: tuple[int, int]  # tasks given to many bodies at once, or to no one among assigned ones
    year: int  # the year of the document
    given_year: bool = False  # the stored text has no date: the Office gives --year
    deadlines: dict[str, str] = field(default_factory=dict)  # unit → a deadline one of its rows has


REAL_PLANS: dict[str, Expect] = {
    # UBND tỉnh Sơn La: "III. PHÂN CÔNG NHIỆM VỤ" with "1. Công an tỉnh" (a mandate paragraph, then
    # "Trong đó giao Giám đốc Công an tỉnh chỉ đạo thực hiện:" and three bullets), "2. Văn phòng UBND
    # tỉnh: Phối hợp …" and so on; section II gives items 6 and 8 to Công an tỉnh in brackets, items 1
    # and 7 to the sở, ban, ngành and UBND huyện at once, items 2–5 to no one.
    "son-la-2023-bao-ve-bi-mat-nha-nuoc.md": Expect({
        "Công an tỉnh": (3, 6), "Văn phòng UBND tỉnh": (1, 1), "Sở Nội vụ": (2, 2), "Sở Tư pháp": (1, 2),
        "Sở Thông tin và Truyền thông": (1, 1), "Sở Tài chính": (1, 2),
    }, unplaced=(2, 6), year=2023),
    # UBND TP Hồ Chí Minh: "III. TỔ CHỨC THỰC HIỆN" with "1.1. Ủy ban nhân dân Thành phố:" (its own
    # duties), "1.2. … quận, huyện:" and "1.3. … xã, phường, thị trấn:" (many bodies), "2.1. Sở Lao
    # động - Thương binh và Xã hội:" … "2.4. Sở Kế hoạch và Đầu tư:"; section II's steps name Sở Xây
    # dựng (2.4, 4.1.a) and Sở Tài chính (2.5, 2.6) again, the commune steering boards (2.2) and the
    # UBND levels; "3. Đối với các tổ chức khác" asks the Mặt trận and mass organisations.
    "tp-hcm-2014-ho-tro-nha-o-nguoi-co-cong.md": Expect({
        "Ủy ban nhân dân Thành phố": (7, 7), "Sở Lao động - Thương binh và Xã hội": (2, 2), "Sở Xây dựng": (3, 5),
        "Sở Tài chính": (2, 4), "Sở Kế hoạch và Đầu tư": (1, 1), "Ban Chỉ đạo": (0, 1),
        "Ủy ban Mặt trận Tổ quốc Việt Nam Thành phố": (0, 1),
    }, unplaced=(10, 20), year=2014, deadlines={"Sở Xây dựng": "Trước ngày 30 tháng 9 năm 2014"}),
    # Ban Chỉ đạo quốc gia 1237 (a steering committee): sections I–IX of part B each list "Nội dung,
    # biện pháp" a), b), … then "Cơ quan chủ trì" (its first member leads, the rest are partners) and
    # "Thời gian thực hiện"; part D gives tasks to itself, Bộ Quốc phòng and its own office, and to
    # ministries, military regions and provinces at once. Plan year 2013, not the horizon 2020.
    "bcd-quoc-gia-1237-2013-ke-hoach-quy-tap-hai-cot.md": Expect({
        "Ban Chỉ đạo quốc gia": (35, 36), "Bộ Quốc phòng": (5, 9), "Văn phòng Ban Chỉ đạo quốc gia 1237": (3, 3),
    }, unplaced=(5, 12), year=2013, deadlines={"Bộ Quốc phòng": "Từ năm 2013 đến năm 2020 và tiếp theo"}),
    # Thủ tướng Chính phủ: "III. TỔ CHỨC THỰC HIỆN" with one numbered heading per ministry and its
    # bullets; "12. Đài Truyền hình Việt Nam, Đài Tiếng nói Việt Nam, Thông tấn xã Việt Nam: Chủ trì …"
    # (the first leads); 13, 14 and 16 are many bodies at once; 15 asks the Mặt trận.
    "thu-tuong-2018-ke-hoach-chi-thi-14.md": Expect({
        "Bộ Lao động - Thương binh và Xã hội": (18, 18), "Bộ Quốc phòng": (6, 6), "Bộ Công an": (3, 3),
        "Bộ Tài chính": (2, 2), "Bộ Kế hoạch và Đầu tư": (1, 1), "Bộ Xây dựng": (1, 1), "Bộ Y tế": (3, 3),
        "Bộ Giáo dục và Đào tạo": (1, 1), "Bộ Thông tin và Truyền thông": (2, 2),
        "Bộ Văn hóa, Thể thao và Du lịch": (1, 1), "Bộ Ngoại giao": (1, 1), "Đài Truyền hình Việt Nam": (1, 1),
        "Ủy ban trung ương Mặt trận Tổ quốc Việt Nam": (0, 1),
    }, unplaced=(3, 5), year=2018),
    # Thủ tướng Chính phủ, a decision: "Điều 8. Tổ chức thực hiện" — "a) Bộ Xây dựng:" … "d) Bộ Lao động
    # - Thương binh và Xã hội:"; Điều 4.2 gives Bộ Xây dựng one more; the UBND of provinces, districts
    # and communes (Điều 4, 6, 7, 8.2) are many bodies.
    "thu-tuong-2013-quyet-dinh-22-ho-tro-nha-o.md": Expect({
        "Bộ Xây dựng": (2, 3), "Bộ Kế hoạch và Đầu tư": (1, 1), "Bộ Tài chính": (1, 1),
        "Bộ Lao động - Thương binh và Xã hội": (1, 1),
    }, unplaced=(10, 17), year=2013),
    # A directive to "Chủ tịch Ủy ban nhân dân các tỉnh, thành phố trực thuộc Trung ương": five tasks,
    # none for a single unit. The stored text lost its date line.
    "thu-tuong-2012-chi-thi-31-dao-tao-nghe.md": Expect({}, unplaced=(5, 6), year=2012, given_year=True),
    # Letters: "Yêu cầu Bộ … khẩn trương …", "Ủy ban nhân dân tỉnh Nghệ An chủ động …".
    "vpcp-2014-cong-van-8424-tro-cap.md": Expect({
        "Bộ Lao động - Thương binh và Xã hội": (1, 1), "Ủy ban nhân dân tỉnh Nghệ An": (1, 1),
    }, unplaced=(0, 0), year=2014, deadlines={"Bộ Lao động - Thương binh và Xã hội": "Trước ngày 31 tháng 12 năm 2014"}),
    "thu-tuong-2009-cong-van-2403-tro-cap.md": Expect({"Bộ Quốc phòng": (1, 1)}, unplaced=(0, 0), year=2009),
    # "… đã giao Bộ … trước ngày 30 tháng 11 năm 2012" is what was assigned before; the task is the request.
    "vpcp-2013-cong-van-3354-thong-tu.md": Expect({
        "Bộ Lao động - Thương binh và Xã hội": (1, 1),
    }, unplaced=(0, 0), year=2013, deadlines={"Bộ Lao động - Thương binh và Xã hội": "Trước ngày 30 tháng 5 năm 2013"}),
    # "Văn phòng Chính phủ đề nghị quý Bộ …": the Bộ the letter is sent to ("Kính gửi: …").
    "vpcp-2013-cong-van-8794-bao-cao.md": Expect({"Bộ Lao động - Thương binh và Xã hội": (1, 1)}, unplaced=(0, 1), year=2013),
}

# Real documents kept outside the repository (tests/plans/SOURCES.md): read when present.
SHARED_REAL_PLANS: dict[str, Expect] = {
    # UBND TP Hà Nội: an annex table "Stt (TT, Chi tiết) | Tên nhiệm vụ | Đơn vị chủ trì | Đơn vị phối hợp |
    # Sản phẩm | Thời hạn" with group rows, joint leads ("Sở Xây dựng/các công ty …", "Sở Tài chính, Ban
    # Quản lý các Khu công nghệ cao …"), collective leads (UBND các xã, phường), and "IV. TỔ CHỨC THỰC
    # HIỆN" with "1. Sở Khoa học và Công nghệ", "2. Sở Nội vụ", "3. Sở Tài chính", many bodies in 4 and 5,
    # "6. Đề nghị Ủy ban Mặt trận …", "7. Đề nghị Văn phòng Thành ủy, …". Not for one unit: nine rows
    # led by "UBND các xã, phường", "Các cơ quan, đơn vị giải quyết TTHC" or "Các Sở, ban, ngành; UBND
    # các xã, phường" (rows 16, 17, 20, 22, 25, 26, 30, 32, 33), the reports "các cơ quan, đơn vị" send
    # (II.3), the two bullets of IV.4 and of IV.5, and the closing "UBND Thành phố yêu cầu các cơ quan,
    # đơn vị …": 15; the two rules of II.3 on what a report holds may be listed with them.
    "ha-noi-2026-cao-diem-100-ngay-chuyen-doi-so.md": Expect({
        "Sở Tài chính": (3, 3), "Sở Quy hoạch - Kiến trúc": (1, 1), "Sở Nông nghiệp và Môi trường": (3, 3),
        "Sở Xây dựng": (1, 1), "Trung tâm Phục vụ hành chính công": (3, 3), "Văn phòng UBND Thành phố": (1, 1),
        "Sở Y tế": (1, 1), "Sở Giáo dục và Đào tạo": (1, 2), "Sở Khoa học và Công nghệ": (8, 10),
        "Sở Công Thương": (3, 3), "Thuế Hà Nội": (1, 1), "Sở Văn hóa và Thể thao": (1, 1), "Sở Du lịch": (1, 1),
        "Sở Nội vụ": (1, 1), "Ủy ban Mặt trận Tổ quốc Việt Nam thành phố Hà Nội": (0, 3),
        "Văn phòng Thành ủy": (0, 1),
    }, unplaced=(15, 17), year=2026, deadlines={"Sở Công Thương": "31/7/2026"}),
    # UBND tỉnh Lâm Đồng, conclusions of a meeting: "Giao Trung tâm Xúc đầu tư, Thương mại và Du lịch:"
    # (sic) over two bullets, "a) Giao Trung tâm Xúc tiến Đầu tư, Thương mại và Du lịch tỉnh" over two,
    # "b) Giao Sở Tài chính", "3. Về …, giao Trung tâm …:" over five.
    "lam-dong-2026-thong-bao-ket-luan-pci.docx": Expect({
        "Trung tâm Xúc tiến Đầu tư, Thương mại và Du lịch tỉnh": (7, 9),
        "Trung tâm Xúc đầu tư, Thương mại và Du lịch": (0, 2), "Sở Tài chính": (1, 1),
    }, unplaced=(0, 0), year=2026),
    # "Giao Sở Khoa học và Công nghệ chủ trì …" at the end of 1.d, in 2.b, 3.b; "Yêu cầu Sở …" (2.a);
    # "Sở Khoa học và Công nghệ chủ trì, phối hợp …" opening 4 and 5; "c) Giao Sở Tài chính chủ trì …";
    # "a) Các sở, ngành chủ động …" and "6. Các sở, ban, ngành, …; UBND các xã, phường, đặc khu".
    "lam-dong-2026-thong-bao-ket-luan-khcn.docx": Expect({
        "Sở Khoa học và Công nghệ": (6, 7), "Sở Tài chính": (1, 1),
    }, unplaced=(2, 7), year=2026, deadlines={"Sở Khoa học và Công nghệ": "Trước ngày 10/5/2026"}),
    "lam-dong-2025-cong-van-giao-cong-an.docx": Expect({"Công an tỉnh": (1, 1)}, unplaced=(0, 0), year=2025),
}


def _check_real_plan(source: Path, expect: Expect, tmp_path: Path) -> None:
    year = expect.year if expect.given_year else None
    if expect.given_year:
        with pytest.raises(UsageError):
            read_plan(source)
    plan = read_plan(source, year=year)
    assert plan.year == expect.year
    got = {unit_key(u.name): u for u in plan.units}
    wanted = {unit_key(name): counts for name, counts in expect.units.items()}
    assert set(got) <= set(wanted), f"units the plan does not assign to: {sorted(set(got) - set(wanted))}"
    for key, (fewest, most) in wanted.items():
        count = len(got[key].items) if key in got else 0
        assert fewest <= count <= most, (key, count, [i.title[:60] for i in got[key].items] if key in got else [])
    assert expect.unplaced[0] <= len(plan.unplaced) <= expect.unplaced[1], [str(u) for u in plan.unplaced]
    for name, deadline in expect.deadlines.items():
        # Deadlines are kept as written ("trước ngày …" after a label, "Trước ngày …" in a cell).
        assert deadline.casefold() in [i.deadline.casefold() for i in got[unit_key(name)].items], name
    # The workbook is built and accepted by check: every placed unit's weights sum to 100.
    output = tmp_path / "out.xlsx"
    build_from_plan(source, output, year=year)
    evaluation = api.check(output)
    assert [u.weight_total for u in evaluation.units if u.unit.code != UNPLACED_CODE] == [100] * len(plan.units)


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("name", sorted(REAL_PLANS))
def test_real_plans_of_other_bodies(tmp_path, name, form):
    source = PLANS / name
    if form == "docx":
        source = text_to_docx(source, tmp_path / f"{source.stem}.docx")
    _check_real_plan(source, REAL_PLANS[name], tmp_path)


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("name", sorted(SHARED_REAL_PLANS))
def test_real_plans_kept_outside_the_repository(tmp_path, name, form):
    source = SHARED_PLANS / name
    if not source.exists():
        pytest.skip(f"{source} is not here (tests/plans/SOURCES.md)")
    if form == "docx" and source.suffix != ".docx":
        source = text_to_docx(source, tmp_path / f"{source.stem}.docx")
    elif form == "txt" and source.suffix == ".docx":
        pytest.skip("a Word original: read as Word only")
    _check_real_plan(source, SHARED_REAL_PLANS[name], tmp_path)
