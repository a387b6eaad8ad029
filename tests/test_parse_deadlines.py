import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sheetkpi.parsing.deadlines import (
    KINDS,
    Deadline,
    find_deadline,
    format_due,
    parse_deadline,
)

Y = 2026
D = dt.date


def _check(text, due, kind, plan_year=Y):
    result = parse_deadline(text, plan_year)
    assert (result.due, result.kind) == (due, kind), text


# Every example of the SPEC §2.2 table, with plan year 2026.
@pytest.mark.parametrize(
    ("text", "due", "kind"),
    [
        ("30/4/2026", D(2026, 4, 30), "date"),
        ("05/02/2026", D(2026, 2, 5), "date"),
        ("5-2-2026", D(2026, 2, 5), "date"),
        ("15.7.2026", D(2026, 7, 15), "date"),
        ("ngày 20 tháng 10 năm 2026", D(2026, 10, 20), "date"),
        ("Hoàn thành trước 30/6/2026", D(2026, 6, 30), "date"),
        ("chậm nhất ngày 15/11/2026", D(2026, 11, 15), "date"),
        ("Hạn hoàn thành: 31/12/2026.", D(2026, 12, 31), "date"),
        ("30/9", D(2026, 9, 30), "date"),
        ("Tháng 11/2023", D(2023, 11, 30), "month"),
        ("tháng 2 năm 2028", D(2028, 2, 29), "month"),
        ("Quý IV/2026", D(2026, 12, 31), "quarter"),
        ("quý II/2023", D(2023, 6, 30), "quarter"),
        ("Quý 3/2026", D(2026, 9, 30), "quarter"),
        ("quý III năm 2026", D(2026, 9, 30), "quarter"),
        ("Quý II", D(2026, 6, 30), "quarter"),
        ("6 tháng đầu năm 2026", D(2026, 6, 30), "period"),
        ("giữa năm 2026", D(2026, 6, 30), "period"),
        ("Kỳ họp HĐND tỉnh giữa năm 2026", D(2026, 6, 30), "period"),
        ("9 tháng đầu năm 2026", D(2026, 9, 30), "period"),
        ("Trong năm 2022", D(2022, 12, 31), "year"),
        ("cuối năm 2026", D(2026, 12, 31), "year"),
        ("Trong năm đánh giá", D(2026, 12, 31), "year"),
        ("Nhiệm vụ thường xuyên", D(2026, 12, 31), "recurring"),
        ("Thường xuyên trong năm", D(2026, 12, 31), "recurring"),
        ("Báo cáo hàng quý", D(2026, 12, 31), "recurring"),
        ("theo định kỳ hàng tuần, hàng tháng", D(2026, 12, 31), "recurring"),
        ("theo định kỳ hằng tuần, hằng tháng", D(2026, 12, 31), "recurring"),
        ("Báo cáo hằng quý", D(2026, 12, 31), "recurring"),
        ("Sau khi kết thúc đợt kiểm tra", None, "event"),
        ("Khi có quyết định công bố", None, "event"),
        ("Theo yêu cầu của UBND tỉnh", None, "event"),
        ("Theo YC của Sở KH&ĐT, UBND tỉnh", None, "event"),
        ("Theo quy định", None, "event"),
        ("Theo kế hoạch", None, "event"),
        ("Sớm nhất có thể", None, "unknown"),
        ("", None, "missing"),
    ],
)
def test_spec_table(text, due, kind):
    _check(text, due, kind)


@pytest.mark.parametrize(
    ("text", "due", "kind"),
    [
        ("Quý I/2023; báo cáo hàng tháng", D(2023, 3, 31), "quarter"),
        ("Hạn hoàn thành: 31/01/2027.", D(2027, 1, 31), "date"),
        ("Khởi công dự án trong quý IV/2026", D(2026, 12, 31), "quarter"),
        ("31/12/2026; Thực hiện công tác thi đua khen thưởng đúng theo quy định", D(2026, 12, 31), "date"),
        ("31/2/2026", None, "unknown"),
        ("32/1/2026", None, "unknown"),
        ("15/13/2026", None, "unknown"),
        ("Tháng 13/2026", None, "unknown"),
        ("31/2/2026; báo cáo hàng tháng", None, "unknown"),  # a typo is shown, not skipped
        ("Tháng 12", D(2026, 12, 31), "month"),
        ("Tháng 12.", D(2026, 12, 31), "month"),
        ("năm 2026", D(2026, 12, 31), "year"),
        ("Báo cáo hàng quý năm 2027", D(2027, 12, 31), "recurring"),
        ("Thường xuyên trong năm 2025", D(2025, 12, 31), "recurring"),
        # day first, always
        ("1/2/2026", D(2026, 2, 1), "date"),
        ("12/01/2026", D(2026, 1, 12), "date"),
        ("30/4/26", D(2026, 4, 30), "date"),
        ("30 / 4 / 2026", D(2026, 4, 30), "date"),
        ("ngày 20 tháng 10", D(2026, 10, 20), "date"),
        ("30/9 năm 2027", D(2027, 9, 30), "date"),
        ("quý IV-2026", D(2026, 12, 31), "quarter"),
        ("Quý I năm 2027", D(2027, 3, 31), "quarter"),
        ("quý 1", D(2026, 3, 31), "quarter"),
        ("tháng 6-2026", D(2026, 6, 30), "month"),
        ("T6/2026", D(2026, 6, 30), "month"),
        ("6/2026", D(2026, 6, 30), "month"),
        ("3 tháng đầu năm", D(2026, 3, 31), "period"),
        ("6 tháng cuối năm 2026", D(2026, 12, 31), "period"),
        ("nửa đầu năm 2026", D(2026, 6, 30), "period"),
        ("Đến năm 2030", D(2030, 12, 31), "year"),
        ("trước năm 2027", D(2026, 12, 31), "year"),
        ("Trong năm", D(2026, 12, 31), "year"),
        ("kết thúc năm đánh giá", D(2026, 12, 31), "year"),
        ("Hàng năm", D(2026, 12, 31), "recurring"),
        ("Liên tục", D(2026, 12, 31), "recurring"),
        ("Thường xuyên trong năm, hoàn thành trước 30/6/2026", D(2026, 6, 30), "date"),
        ("Trong năm 2026; báo cáo hàng tháng", D(2026, 12, 31), "year"),
        ("Nhiệm vụ thường xuyên; hoàn thành Quý II/2026", D(2026, 6, 30), "quarter"),
        # the date of a cited document is not a deadline
        ("Theo Kế hoạch số 30/KH-UBND ngày 29/01/2026", None, "event"),
        ("Theo Quyết định số 16/2007/QĐ-UBND; hoàn thành trước 30/9/2026", D(2026, 9, 30), "date"),
        ("Theo Quyết định số 2771/QĐ-TTg ngày 22/12/2025", None, "event"),
        ("Kết luận số 203-KL/TW ngày 04/11/2025", None, "unknown"),
        ("Tháng 6/2026/Theo kế hoạch", D(2026, 6, 30), "month"),
        ("Sau khi kết thúc quý II/2026", None, "event"),
        ("Trước khi khởi công", None, "event"),
        ("hoàn thành 1/500 quy hoạch", None, "unknown"),
        # mixed case, no diacritics, NFD, line breaks
        ("QUÝ II/2026", D(2026, 6, 30), "quarter"),
        ("quy ii/2026", D(2026, 6, 30), "quarter"),
        ("Tha\u0301ng 11/2026", D(2026, 11, 30), "month"),
        ("Hoàn thành\ntrước 30/6/2026", D(2026, 6, 30), "date"),
        ("   ", None, "missing"),
        (None, None, "missing"),
    ],
)
def test_more_phrasings(text, due, kind):
    _check(text, due, kind)


# The deadlines written in the real plans of ../shared/seeds, exactly as there; the plan year is
# the plan's own.
@pytest.mark.parametrize(
    ("plan_year", "text", "due", "kind"),
    [
        # Hà Tĩnh 2023, column "Thời gian hoàn thành"
        (2023, "Quý I/2023", D(2023, 3, 31), "quarter"),
        (2023, "Quý II/2023", D(2023, 6, 30), "quarter"),
        (2023, "Quý III/2023", D(2023, 9, 30), "quarter"),
        (2023, "Quý IV/2023", D(2023, 12, 31), "quarter"),
        (2023, "Tháng 6/2023", D(2023, 6, 30), "month"),
        (2023, "Tháng 11/2023", D(2023, 11, 30), "month"),
        (2023, "Tháng 12/2023", D(2023, 12, 31), "month"),
        (2023, "Báo cáo hàng quý", D(2023, 12, 31), "recurring"),
        (2023, "Hàng quý", D(2023, 12, 31), "recurring"),
        (2023, "Báo cáo hàng tuần", D(2023, 12, 31), "recurring"),
        (2023, "Nhiệm vụ thường xuyên", D(2023, 12, 31), "recurring"),
        (2023, "Nhiệm vụ thường xuyên; Báo cáo hàng tuần Nhiệt điện II", D(2023, 12, 31), "recurring"),
        (2023, "Quý I/2023; báo cáo hàng tháng", D(2023, 3, 31), "quarter"),
        (2023, "Theo YC của Sở KH&ĐT, UBND tỉnh", None, "event"),
        (2023, "Báo cáo kết quả thực hiện hàng quý trước ngày 15 của tháng tiếp theo", D(2023, 12, 31), "recurring"),
        # Gia Lai 2022, column "Thời gian thực hiện/hoàn thành"
        (2022, "Trong năm 2022.", D(2022, 12, 31), "year"),
        (2022, "Trong năm 2022 và các năm tiếp theo.", D(2022, 12, 31), "year"),
        (2022, "Trong năm 2022 và những năm tiếp theo", D(2022, 12, 31), "year"),
        (2022, "Trong năm đánh giá", D(2022, 12, 31), "year"),
        (2022, "Thường xuyên trong năm", D(2022, 12, 31), "recurring"),
        (2022, "Thường xuyên trong năm/theo kế hoạch", D(2022, 12, 31), "recurring"),
        (2022, "Thường xuyên trong năm/Sau khi có quyết định công bố TTHC", D(2022, 12, 31), "recurring"),
        (2022, "Thường xuyên rà soát trong năm, nếu có thay đổi kịp thời đề xuất UBND tỉnh công bố",
         D(2022, 12, 31), "recurring"),
        (2022, "Theo kế hoạch/kết thúc năm đánh giá", D(2022, 12, 31), "year"),
        (2022, "Theo kế hoạch", None, "event"),
        (2022, "Theo quy định", None, "event"),
        (2022, "Theo yêu cầu của Sở Nội vụ", None, "event"),
        (2022, "Sau khi kết thúc đợt kiểm tra", None, "event"),
        (2022, "Sau khi hoàn thành kế hoạch kiểm tra", None, "event"),
        (2022, "Sau khi có quyết định", None, "event"),
        (2022, "Sau khi có phản ánh kiến nghị/theo thời gian quy định", None, "event"),
        (2022, "Sau khi có văn bản trả lời/theo thời gian quy định", None, "event"),
        (2022, "Khi để xảy ra trễ hẹn", None, "event"),
        (2022, "Khi có quy định mới của Trung ương về tổ chức bộ máy có hiệu lực thi hành", None, "event"),
        # a table cell cut by the page break: nothing to read in it
        (2022, "công bố TTHC, Văn phòng xây dựng quy trình nội bộ, trình UBND tỉnh.", None, "unknown"),
        # Nghệ An 2026, "Thời hạn hoàn thành" and "Hạn hoàn thành"
        (2026, "Kỳ họp HĐND tỉnh giữa năm 2026.", D(2026, 6, 30), "period"),
        (2026, "theo định kỳ hàng tuần, hàng tháng.", D(2026, 12, 31), "recurring"),
        (2026, "31/12/2026.", D(2026, 12, 31), "date"),
        (2026, "30/4/2026.", D(2026, 4, 30), "date"),
        (2026, "30/3/2026. *Phối hợp: Bộ Tài chính, Bộ Tư pháp, UBND tỉnh.*", D(2026, 3, 30), "date"),
        (2026, "31/8/2026", D(2026, 8, 31), "date"),
        (2026, "31/12/2026; Thực hiện công tác thi đua khen thưởng đúng theo quy định.", D(2026, 12, 31), "date"),
        (2026, "Hạn hoàn thành: 31/01/2027.", D(2027, 1, 31), "date"),
        (2026, "Khởi công dự án trong quý IV/2026.", D(2026, 12, 31), "quarter"),
        (2026, "Hoàn thành trước 30/6/2026.", D(2026, 6, 30), "date"),
        (2026, "Định kỳ trước ngày 25 hằng tháng", D(2026, 12, 31), "recurring"),
        (2026, "Định kỳ hằng quý", D(2026, 12, 31), "recurring"),
        # Hải Phòng 2023, section IV
        (2023, "trước ngày 19/01/2023", D(2023, 1, 19), "date"),
        (2023, "định kỳ tháng, quý, năm báo cáo tiến độ", D(2023, 12, 31), "recurring"),
        # Ninh Bình 2026
        (2026, "Đến năm 2030", D(2030, 12, 31), "year"),
        (2026, "trong năm 2026 và giai đoạn 2026-2030", D(2026, 12, 31), "year"),
    ],
)
def test_real_plan_deadlines(plan_year, text, due, kind):
    _check(text, due, kind, plan_year)


# Wordings of plans of other bodies (issue #19): "Theo …" refers to another document (an event, and
# the date of a cited document is never a due date); years relative to the plan year; recurring
# days relative to the month or quarter; ranges end where they end; "trở đi" goes on.
@pytest.mark.parametrize(
    ("plan_year", "text", "due", "kind"),
    [
        (2026, "Theo Hướng dẫn của Sở Nội vụ", None, "event"),
        (2026, "Theo Kế hoạch số 12/KH-UBND ngày 15/3/2026 của UBND tỉnh", None, "event"),
        (2026, "Theo Quyết định ngày 15/3/2026", None, "event"),
        (2026, "Theo tiến độ tại Kế hoạch của UBND tỉnh", None, "event"),
        (2026, "Theo từng mốc thời hạn dưới đây", None, "event"),
        (2026, "Ngày 05/01/2026 của UBND tỉnh", None, "unknown"),
        (2026, "năm liền kề", D(2027, 12, 31), "year"),
        (2026, "Trong năm liền kề", D(2027, 12, 31), "year"),
        (2026, "năm trước liền kề", D(2025, 12, 31), "year"),
        (2022, "Cao hơn so với năm trước liền kề", D(2021, 12, 31), "year"),
        (2026, "Trước ngày 05 của tháng liền kề", D(2026, 12, 31), "recurring"),
        (2026, "Báo cáo trước ngày 15 của tháng tiếp theo", D(2026, 12, 31), "recurring"),
        (2014, "trước ngày 20 tháng cuối quý", D(2014, 12, 31), "recurring"),
        (2026, "Tháng 6-8/2026", D(2026, 8, 31), "month"),
        (2026, "Từ tháng 3 đến tháng 6 năm 2026", D(2026, 6, 30), "month"),
        (2026, "Tháng 3 - tháng 6/2026", D(2026, 6, 30), "month"),
        (2026, "Quý II - III/2026", D(2026, 9, 30), "quarter"),
        (2026, "Quý I-II", D(2026, 6, 30), "quarter"),
        (2026, "giai đoạn 2026-2030", D(2030, 12, 31), "year"),
        (2026, "Giai đoạn 2026 - 2030", D(2030, 12, 31), "year"),
        (2013, "Từ năm 2013 đến năm 2020 và tiếp theo", D(2020, 12, 31), "year"),
        (2013, "Từ tháng 11/2013 trở đi", D(2013, 12, 31), "recurring"),
        (2026, "Từ ngày ban hành Kế hoạch trở đi", D(2026, 12, 31), "recurring"),
        (2014, "trước ngày 30 tháng 9 năm 2014", D(2014, 9, 30), "date"),
        # A span counted from an event the sheet cannot date.
        (2026, "100 ngày kể từ ngày ban hành Kế hoạch", None, "unknown"),
    ],
)
def test_wordings_of_plans_of_other_bodies(plan_year, text, due, kind):
    _check(text, due, kind, plan_year)


@pytest.mark.parametrize(
    ("plan_year", "text", "found"),
    [
        (2026, "Rà soát danh mục dự án, báo cáo UBND tỉnh trước ngày 15/5/2026.", "Trước ngày 15/5/2026"),
        (2018, "Xây dựng Đề án, trình Thủ tướng Chính phủ trong quý 1/2019.", "Trong quý 1/2019"),
        (2026, "Tổng hợp báo cáo UBND tỉnh trước ngày 05 của tháng liền kề.", "Trước ngày 05 của tháng liền kề"),
        (2026, "Triển khai theo Kế hoạch số 30/KH-UBND ngày 29/01/2026 của UBND tỉnh.", ""),  # signed, not due
        (2026, "Thực hiện trong năm 2026.", ""),  # the plan's own span
        (2026, "Hoàn thành trong năm liền kề.", ""),
    ],
)
def test_a_deadline_in_a_sentence(plan_year, text, found):
    assert find_deadline(text, plan_year) == found


def test_date_cells_are_taken_as_is():
    assert parse_deadline(D(2026, 6, 30), Y) == Deadline(D(2026, 6, 30), "date", "30/06/2026")
    assert parse_deadline(dt.datetime(2026, 6, 30, 0, 0), Y) == Deadline(D(2026, 6, 30), "date", "30/06/2026")
    # a real date cell wins over the plan year
    assert parse_deadline(D(2027, 1, 31), 2026).due == D(2027, 1, 31)


@pytest.mark.parametrize(
    ("value", "due", "kind"),
    [
        (2026, D(2026, 12, 31), "year"),
        (2027.0, D(2027, 12, 31), "year"),
        (46203, D(2026, 6, 30), "date"),  # Excel serial of 30/06/2026 in a cell without date format
        (46203.75, D(2026, 6, 30), "date"),
        (12.5, None, "unknown"),
        (-1, None, "unknown"),
        (float("nan"), None, "unknown"),
        (True, None, "unknown"),
    ],
)
def test_number_cells(value, due, kind):
    _check(value, due, kind)


def test_text_keeps_what_people_wrote():
    assert parse_deadline("  Quý II/2026 \n", Y).text == "Quý II/2026"
    assert parse_deadline("Hoàn thành\ntrước 30/6/2026", Y).text == "Hoàn thành trước 30/6/2026"
    assert parse_deadline("Khó nói", Y) == Deadline(None, "unknown", "Khó nói")
    assert parse_deadline(None, Y) == Deadline(None, "missing", "")


def test_plan_year_fills_missing_years_only():
    assert parse_deadline("Quý II", 2030).due == D(2030, 6, 30)
    assert parse_deadline("Quý II/2026", 2030).due == D(2026, 6, 30)
    assert parse_deadline("Nhiệm vụ thường xuyên", 2023).due == D(2023, 12, 31)


def test_format_due():
    assert format_due(D(2026, 6, 30)) == "30/06/2026"
    assert format_due(D(2026, 2, 5)) == "05/02/2026"


deadline_words = st.sampled_from(
    ["quý", "Quý", "IV", "II", "tháng", "năm", "ngày", "đầu", "giữa", "cuối", "trong", "thường xuyên",
     "hàng", "hằng", "tuần", "sau khi", "khi", "theo", "kế hoạch", "/", "-", ".", ";", " ", "2026", "31",
     "2", "13", "0", "99", "9999", "0000", "số 12/KH-UBND"]
)
deadline_texts = st.one_of(st.text(), st.lists(deadline_words, max_size=12).map("".join))
cell_values = st.one_of(
    st.none(), deadline_texts, st.integers(), st.floats(), st.booleans(), st.dates(), st.datetimes()
)


@given(cell_values, st.integers(min_value=1900, max_value=2100))
def test_parse_deadline_never_raises_and_is_consistent(value, plan_year):
    result = parse_deadline(value, plan_year)
    assert result.kind in KINDS
    assert (result.due is None) == (result.kind in ("event", "unknown", "missing"))
    assert isinstance(result.text, str)


@given(st.dates(min_value=D(1900, 1, 1), max_value=D(2100, 12, 31)))
def test_written_dates_read_back(day):
    assert parse_deadline(format_due(day), 2026) == Deadline(day, "date", format_due(day))
    assert parse_deadline(f"{day.day}-{day.month}-{day.year}", 2026).due == day
    assert parse_deadline(f"ngày {day.day} tháng {day.month} năm {day.year}", 2026).due == day
