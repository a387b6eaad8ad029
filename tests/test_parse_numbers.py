import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sheetkpi.parsing.numbers import (
    ParsedNumber,
    Target,
    format_vn,
    indicator_progress,
    is_percent_format,
    parse_progress,
    parse_target,
    parse_vn_number,
    parse_vn_range,
    parse_weight,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2.500", 2500),
        ("35.000", 35000),
        ("1,4", 1.4),
        ("2.955", 2955),
        ("508.619", 508619),
        ("3.424.670", 3424670),
        ("1.234,5", 1234.5),
        ("80,5", 80.5),
        (" 12 ", 12),
        ("12.5", 12.5),
        ("12.25", 12.25),
        ("0.125", 0.125),
        ("1234.567", 1234.567),
        ("-5", -5),
        ("\u22125", -5),
        ("+7", 7),
        ("02", 2),
        ("35 000", 35000),
        ("35\u00a0000,5", 35000.5),
        ("1,234,567", 1234567),
        ("1,234.5", 1234.5),
        (80, 80),
        (0.8, 0.8),
    ],
)
def test_parse_vn_number(text, expected):
    assert parse_vn_number(text) == pytest.approx(expected)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "abc", "80%", "1" * 400, "1.2.3", "1.23.456", "1,2.3", "12a", "#REF!", "--5", None, True,
     float("nan"), float("inf")],
)
def test_parse_vn_number_rejects_non_numbers(text):
    assert parse_vn_number(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("35.000 ÷ 40.000", (35000, 40000)),
        ("20 – 25", (20, 25)),
        ("1,4 ÷ 1,6", (1.4, 1.6)),
        ("20-25", (20, 25)),
        ("20 - 25", (20, 25)),
        ("từ 01 đến 02", (1, 2)),
        ("80-90%", (80, 90)),
        ("40 ÷ 35", (35, 40)),
    ],
)
def test_parse_vn_range(text, expected):
    assert parse_vn_range(text) == expected


@pytest.mark.parametrize("text", ["25", "abc", "20 – ", "1.2.3 ÷ 4", ""])
def test_parse_vn_range_rejects(text):
    assert parse_vn_range(text) is None


@pytest.mark.parametrize(
    ("value", "percent_format", "expected"),
    [
        (80, False, ParsedNumber(80.0, None)),
        (80.5, False, ParsedNumber(80.5, None)),
        (0.8, True, ParsedNumber(80.0, None)),
        (0.07, True, ParsedNumber(7.0, None)),
        (1, True, ParsedNumber(100.0, None)),
        (0, False, ParsedNumber(0.0, None)),
        (100, False, ParsedNumber(100.0, None)),
        ("80%", False, ParsedNumber(80.0, None)),
        ("80", False, ParsedNumber(80.0, None)),
        ("80,5", False, ParsedNumber(80.5, None)),
        (" 80 % ", False, ParsedNumber(80.0, None)),
        ("80%", True, ParsedNumber(80.0, None)),
        ("Hoàn thành", False, ParsedNumber(100.0, None)),
        ("HOÀN THÀNH", False, ParsedNumber(100.0, None)),
        ("hoan thanh", False, ParsedNumber(100.0, None)),
        ("Đã hoàn thành", False, ParsedNumber(100.0, None)),
        (None, False, ParsedNumber(0.0, "progress-missing")),
        ("", False, ParsedNumber(0.0, "progress-missing")),
        (" \n\u00a0", False, ParsedNumber(0.0, "progress-missing")),
        (-5, False, ParsedNumber(-5.0, "progress-out-of-range")),
        (120, False, ParsedNumber(120.0, "progress-out-of-range")),
        (1.2, True, ParsedNumber(120.0, "progress-out-of-range")),
        ("150%", False, ParsedNumber(150.0, "progress-out-of-range")),
        ("-10", False, ParsedNumber(-10.0, "progress-out-of-range")),
        ("đang làm", False, ParsedNumber(None, "progress-invalid")),
        ("#REF!", False, ParsedNumber(None, "progress-invalid")),
        ("#DIV/0!", False, ParsedNumber(None, "progress-invalid")),
        ("#N/A", False, ParsedNumber(None, "progress-invalid")),
        (True, False, ParsedNumber(None, "progress-invalid")),
        (float("nan"), False, ParsedNumber(None, "progress-invalid")),
        (float("inf"), False, ParsedNumber(None, "progress-invalid")),
        (10**400, False, ParsedNumber(None, "progress-invalid")),
    ],
)
def test_parse_progress(value, percent_format, expected):
    assert parse_progress(value, percent_format) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (20, ParsedNumber(20.0, None)),
        (12.5, ParsedNumber(12.5, None)),
        ("20", ParsedNumber(20.0, None)),
        ("20 điểm", ParsedNumber(20.0, None)),
        ("20 Điểm", ParsedNumber(20.0, None)),
        ("20,5", ParsedNumber(20.5, None)),
        ("20đ", ParsedNumber(20.0, None)),
        ("20 đ.", ParsedNumber(20.0, None)),
        (0, ParsedNumber(0.0, None)),
        (-5, ParsedNumber(-5.0, "weight-invalid")),
        ("-5", ParsedNumber(-5.0, "weight-invalid")),
        (120, ParsedNumber(120.0, "weight-invalid")),  # no single weight exceeds the unit's 100
        (100, ParsedNumber(100.0, None)),
        (None, ParsedNumber(None, "weight-invalid")),
        ("", ParsedNumber(None, "weight-invalid")),
        ("hai mươi", ParsedNumber(None, "weight-invalid")),
        ("điểm", ParsedNumber(None, "weight-invalid")),
        (True, ParsedNumber(None, "weight-invalid")),
        (float("nan"), ParsedNumber(None, "weight-invalid")),
    ],
)
def test_parse_weight(value, expected):
    assert parse_weight(value) == expected


@pytest.mark.parametrize(
    ("x", "decimals", "expected"),
    [
        (87.5, 2, "87,5"),
        (35000, 2, "35.000"),
        (100.0, 2, "100"),
        (12.25, 2, "12,25"),
        (12.245, 2, "12,25"),  # half up, as Excel's ROUND, not banker's rounding
        (2.675, 2, "2,68"),
        (1234567.891, 2, "1.234.567,89"),
        (0, 2, "0"),
        (-0.001, 2, "0"),
        (-1234.5, 2, "-1.234,5"),
        (66.666, 0, "67"),
        (95, 2, "95"),
        (10**20, 2, "100.000.000.000.000.000.000"),
    ],
)
def test_format_vn(x, decimals, expected):
    assert format_vn(x, decimals) == expected


def test_format_vn_rejects_non_finite():
    with pytest.raises(ValueError):
        format_vn(float("nan"))


def _t(kind, low, high, unit, text):
    return Target(kind, low, high, unit, text)


@pytest.mark.parametrize(
    ("text", "kind", "low", "high", "unit"),
    [
        ("Doanh thu từ 508.619 tỷ đồng trở lên", "at_least", 508619, None, "tỷ đồng"),
        ("khoảng 275.000 lao động", "exact", 275000, 275000, "lao động"),
        ("tỷ lệ 100%", "exact", 100, 100, "%"),
        ("20 – 25 dự án", "range", 20, 25, "dự án"),
        ("35.000 ÷ 40.000 lao động", "range", 35000, 40000, "lao động"),
        ("tối thiểu 80%", "at_least", 80, None, "%"),
        ("trên 95%", "at_least", 95, None, "%"),
        ("ít nhất 10 khu công nghiệp mới", "at_least", 10, None, "khu công nghiệp mới"),
        ("không dưới 50 doanh nghiệp", "at_least", 50, None, "doanh nghiệp"),
        ("không quá 5%", "at_most", None, 5, "%"),
        ("dưới 3%", "at_most", None, 3, "%"),
        ("tối đa 12 tháng", "at_most", None, 12, "tháng"),
        ("không hơn 2 vụ", "at_most", None, 2, "vụ"),
        ("10 ngày trở xuống", "at_most", None, 10, "ngày"),
        ("Tăng ít nhất 02% so với năm 2021", "increase_pct", 2, None, "%"),
        ("Tăng ít nhất 10% so với năm 2021", "increase_pct", 10, None, "%"),
        ("Giảm 5% so với năm 2025", "decrease_pct", 5, None, "%"),
        ("vốn đầu tư 500 tỷ đồng", "exact", 500, 500, "tỷ đồng"),  # "đầu tư" is not "từ"
        ("Giải quyết đúng hạn 100%", "exact", 100, 100, "%"),
        ("Từ 50% trở lên", "at_least", 50, None, "%"),
        ("≥ 508.619 tỷ đồng", "at_least", 508619, None, "tỷ đồng"),  # as plan importers write targets
        (">= 20 dự án", "at_least", 20, None, "dự án"),
        ("≤ 5%", "at_most", None, 5, "%"),
        ("< 3 vụ", "at_most", None, 3, "vụ"),
    ],
)
def test_parse_target(text, kind, low, high, unit):
    assert parse_target(text) == Target(kind, low, high, unit, text)


# Indicator lines of the real plans in ../shared/seeds, as written there.
@pytest.mark.parametrize(
    ("text", "kind", "low", "high", "unit"),
    [
        # Ninh Bình 2026, II.2 "Mục tiêu cụ thể"
        ("- Doanh thu từ 508.619 tỷ đồng trở lên (tổng giai đoạn khoảng 3.424.670 tỷ đồng).",
         "at_least", 508619, None, "tỷ đồng"),
        ("- Giá trị xuất khẩu từ 18.000 triệu USD trở lên (tổng giai đoạn khoảng 115.700 triệu USD).",
         "at_least", 18000, None, "triệu USD"),
        ("- Nộp ngân sách từ 22.000 tỷ đồng trở lên (tổng giai đoạn khoảng 117.060 tỷ đồng).",
         "at_least", 22000, None, "tỷ đồng"),
        ("- Dự kiến lao động đến năm 2030: khoảng 275.000 lao động.", "exact", 275000, 275000, "lao động"),
        ("- Thu nhập bình quân 10 triệu đồng/người/tháng.", "exact", 10, 10, "triệu đồng/người/tháng"),
        ("- Phần đầu đạt tỷ lệ 100% khu công nghiệp đang hoạt động trên địa bàn có khu xử lý nước thải "
         "tập trung đạt tiêu chuẩn môi trường.", "exact", 100, 100, "%"),
        ("Đến năm 2030, tỷ lệ thanh toán trực tuyến trong giải quyết thủ tục hành chính và dịch vụ công "
         "từ 85% trở lên.", "at_least", 85, None, "%"),
        ("mục tiêu lấp đầy từ 80-90% diện tích khu công nghiệp mới thành lập", "range", 80, 90, "%"),
        ("hoàn thiện hạ tầng ít nhất 10 khu công nghiệp mới (Thanh Bình 1, Thanh Bình 2, Châu Giang 2)",
         "at_least", 10, None, "khu công nghiệp mới"),
        # Hải Phòng 2023
        ("6. Xây dựng Kế hoạch triển khai từ 01 đến 02 khu công nghiệp mới", "range", 1, 2, "khu công nghiệp mới"),
        ("Thu hút vốn đầu tư FDI đạt ở mức cao nhất và vượt chỉ tiêu kế hoạch năm 2023 là 2 tỷ USD",
         "exact", 2, 2, "tỷ USD"),
        # Gia Lai 2022, appendix "Mục tiêu, yêu cầu"
        ("Tăng ít nhất 02% so với năm 2021", "increase_pct", 2, None, "%"),
        ("Có từ 03 sáng kiến hoặc giải pháp mới trở lên (Hàng năm, cơ quan triển khai tối thiểu 01 sáng "
         "kiến, giải pháp mới trong CCHC)", "at_least", 3, None, "sáng kiến"),
        ("Xử lý văn bản, hồ sơ công việc trên môi trường mạng đạt từ 100%", "at_least", 100, None, "%"),
        ("Hoàn thành 100% kế hoạch", "exact", 100, 100, "%"),
        # Nghệ An 2026
        ("Phần đầu giải ngân tối thiểu 95% kế hoạch vốn năm 2026 đã bố trí đến nay.", "at_least", 95, None, "%"),
    ],
)
def test_parse_target_on_real_plans(text, kind, low, high, unit):
    assert parse_target(text) == Target(kind, low, high, unit, " ".join(text.split()))


def test_parse_target_falls_back_to_parentheses():
    text = "phấn đấu thu hút vốn đầu tư FDI đạt và vượt chỉ tiêu kế hoạch năm 2023 (2 tỷ USD)"
    assert parse_target(text) == Target("exact", 2, 2, "tỷ USD", text)


@pytest.mark.parametrize(
    "text",
    [
        "Giữ vững hoặc nâng cao tỷ lệ hài lòng so với năm 2021",
        "Thực hiện đúng quy trình ISO 9001-2015",
        "Thực hiện theo Nghị quyết số 99/NQ-CP ngày 24/6/2020 của Chính phủ",
        "Không có sai phạm",
        "",
    ],
)
def test_parse_target_without_quantity(text):
    assert parse_target(text) is None


@pytest.mark.parametrize(
    ("target", "actual", "baseline", "expected"),
    [
        (_t("at_least", 508619, None, "tỷ đồng", ""), 254309.5, None, 50),
        (_t("at_least", 80, None, "%", ""), 96, None, 120),
        (_t("exact", 275000, 275000, "lao động", ""), 220000, None, 80),
        (_t("exact", 100, 100, "%", ""), 100, None, 100),
        (_t("range", 20, 25, "dự án", ""), 10, None, 50),
        (_t("range", 20, 25, "dự án", ""), 22, None, 110),
        (_t("at_most", None, 5, "%", ""), 4, None, 100),
        (_t("at_most", None, 5, "%", ""), 5, None, 100),
        (_t("at_most", None, 5, "%", ""), 10, None, 50),
        (_t("at_most", None, 0, "vụ", ""), 0, None, 100),
        (_t("at_most", None, 0, "vụ", ""), 2, None, 0),
        (_t("increase_pct", 2, None, "%", ""), 101, 100, 50),
        (_t("increase_pct", 2, None, "%", ""), 103, 100, 150),
        (_t("increase_pct", 2, None, "%", ""), 95, 100, 0),  # went backwards: no progress
        (_t("decrease_pct", 5, None, "%", ""), 95, 100, 100),
        (_t("at_least", 10, None, "", ""), -3, None, 0),
    ],
)
def test_indicator_progress(target, actual, baseline, expected):
    assert indicator_progress(target, actual, baseline) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("target", "actual", "baseline"),
    [
        (_t("at_least", 0, None, "", ""), 5, None),
        (_t("exact", None, None, "", ""), 5, None),
        (_t("increase_pct", 2, None, "%", ""), 101, None),
        (_t("increase_pct", 2, None, "%", ""), 101, 0),
        (_t("increase_pct", 0, None, "%", ""), 101, 100),
        (_t("at_most", None, -1, "", ""), 5, None),
        (_t("at_least", 10, None, "", ""), float("nan"), None),
    ],
)
def test_indicator_progress_not_computable(target, actual, baseline):
    assert indicator_progress(target, actual, baseline) is None


def test_target_pipeline_from_plan_text():
    target = parse_target("Doanh thu từ 508.619 tỷ đồng trở lên")
    assert indicator_progress(target, parse_vn_number("254.309,5")) == pytest.approx(50)


cell_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),
    st.text(alphabet="0123456789.,%-+ ÷–đđiểm\u00a0"),
)


@given(cell_values, st.booleans())
def test_parse_progress_never_raises(value, percent_format):
    result = parse_progress(value, percent_format)
    assert result.problem in (None, "progress-missing", "progress-out-of-range", "progress-invalid")
    assert (result.value is None) == (result.problem == "progress-invalid")


@given(st.floats(min_value=0, max_value=100))
def test_parse_progress_keeps_numbers_in_range(x):
    assert parse_progress(x) == ParsedNumber(x, None)


@given(st.integers(min_value=0, max_value=100))
def test_parse_progress_reads_typed_percentages(n):
    assert parse_progress(f"{n}%") == ParsedNumber(float(n), None)
    assert parse_progress(n / 100, percent_format=True) == ParsedNumber(float(n), None)


@given(cell_values)
def test_parse_weight_never_raises(value):
    result = parse_weight(value)
    assert result.problem in (None, "weight-invalid")
    assert result.problem is not None or (result.value is not None and result.value >= 0)


@given(cell_values)
def test_parse_vn_number_never_raises(value):
    result = parse_vn_number(value)
    assert result is None or math.isfinite(result)


@given(st.text())
def test_parse_target_and_range_never_raise(text):
    target = parse_target(text)
    assert target is None or target.kind in ("at_least", "at_most", "range", "exact", "increase_pct", "decrease_pct")
    parse_vn_range(text)


@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False))
def test_format_vn_round_trips(x):
    # Two decimals, rounded: never more than half a hundredth away.
    assert abs(parse_vn_number(format_vn(x)) - x) <= 0.005 + 4 * math.ulp(x)


@pytest.mark.parametrize(("code", "percent"), [
    ("0%", True), ("0.0%", True), ("[Red]0.00%", True),
    ('0"%"', False), ("0\\%", False), ("General", False), ("#,##0.00", False), (None, False), ("", False),
])
def test_is_percent_format_ignores_literal_percent_signs(code, percent):
    """``0"%"`` shows 90 as "90%": the stored number is already the percentage."""
    assert is_percent_format(code) is percent
