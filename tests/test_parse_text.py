import datetime as dt
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sheetkpi.parsing.text import clean_text, fold, format_date, looks_like_legacy_vn, nfc, strip_marks


def test_nfc_composes_decomposed_vietnamese():
    decomposed = unicodedata.normalize("NFD", "Trọng số")
    assert decomposed != "Trọng số"
    assert nfc(decomposed) == "Trọng số"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Trọng số\n(điểm)", "trong so (diem)"),
        ("TRỌNG SỐ (ĐIỂM)", "Trọng số(điểm)"),
        ("Trọng số ( điểm )", "trong so (diem)"),
        ("% tiến độ", "%  TIẾN\u00a0ĐỘ"),
        ("Thời hạn hoàn thành:", "thoi han hoan thanh"),
        ("Nhiệm vụ / KPI", "nhiem vu / kpi"),
        (unicodedata.normalize("NFD", "Đơn vị phối hợp"), "don vi phoi hop"),
        ("Khó khăn, vướng mắc,\r\n đề xuất", "kho khan, vuong mac, de xuat"),
    ],
)
def test_fold_matches_headers_however_typed(a, b):
    assert fold(a) == fold(b)


def test_fold_exact_key():
    assert fold("Trọng số\n(điểm)") == "trong so (diem)"
    assert fold("  Đơn vị tính : ") == "don vi tinh"
    assert fold("Ngày hoàn thành\u200b") == "ngay hoan thanh"
    assert fold(None) == ""
    assert fold(2026) == "2026"


def test_fold_keeps_words_apart():
    assert fold("Trạng thái") != fold("Trọng số")
    assert fold("Điểm quy đổi") == "diem quy doi"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        ("  Hoàn thành \n", "Hoàn thành"),
        (12.0, "12"),
        (12.5, "12.5"),
        (7, "7"),
        (True, "TRUE"),
        (unicodedata.normalize("NFD", "Quý IV"), "Quý IV"),
        ("\ufeffKHĐT-01\u200b", "KHĐT-01"),
        (dt.date(2026, 2, 5), "05/02/2026"),
        (dt.datetime(2026, 6, 30), "30/06/2026"),
        (dt.datetime(2026, 6, 30, 8, 5), "30/06/2026 08:05"),
        ("dòng 1\ndòng 2", "dòng 1\ndòng 2"),
    ],
)
def test_clean_text(value, expected):
    assert clean_text(value) == expected


def test_format_date_pads_day_and_month():
    assert format_date(dt.date(2026, 6, 30)) == "30/06/2026"
    assert format_date(dt.date(2026, 2, 5)) == "05/02/2026"


def test_strip_marks_keeps_positions():
    s = "Doanh thu từ 508.619 tỷ đồng"
    folded = strip_marks(s)
    assert folded == "doanh thu tu 508.619 ty dong"
    assert len(folded) == len(s)
    start = folded.index("ty dong")
    assert s[start:start + 7] == "tỷ đồng"


@pytest.mark.parametrize(
    "legacy",
    [
        "Hoµn thµnh",  # TCVN3 "Hoàn thành"
        "B¸o c¸o kÕt qu¶",  # TCVN3 "Báo cáo kết quả"
        "§iÒu chØnh quy ho¹ch",  # TCVN3 "Điều chỉnh quy hoạch"
        "Ban Qu¶n lý",  # TCVN3, a single sign is enough
        "Hoaøn thaønh",  # VNI "Hoàn thành"
        "Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam",  # VNI
        "Ñoàng yù",  # VNI "Đồng ý"
    ],
)
def test_legacy_encodings_are_detected(legacy):
    assert looks_like_legacy_vn(legacy)


@pytest.mark.parametrize(
    "unicode_text",
    [
        "Hoàn thành",
        "Cộng hòa xã hội chủ nghĩa Việt Nam",
        "Điều chỉnh quy hoạch",
        "«Hoàn thành» đúng hạn",
        "Điểm = Trọng số × % tiến độ / 100",
        "Công ty TNHH Müller Việt Nam",  # one foreign letter in a name
        "Nhiệt độ 25 °C",
        "",
        "KHĐT-01",
    ],
)
def test_unicode_vietnamese_is_not_flagged(unicode_text):
    assert not looks_like_legacy_vn(unicode_text)


@given(st.text())
def test_fold_is_idempotent(s):
    assert fold(fold(s)) == fold(s)


@given(st.text())
def test_fold_has_no_uppercase_marks_or_runs_of_space(s):
    key = fold(s)
    assert "  " not in key
    assert key == key.strip()
    assert not any(unicodedata.combining(c) for c in key)


@given(st.text())
def test_strip_marks_preserves_length(s):
    assert len(strip_marks(s)) == len(s)


@given(st.text())
def test_legacy_detection_never_raises(s):
    assert looks_like_legacy_vn(s) in (True, False)
