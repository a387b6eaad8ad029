import datetime as dt
import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sheetkpi.parsing.text import (
    clean_text,
    first_legacy_vn,
    fold,
    format_date,
    looks_like_legacy_vn,
    nfc,
    strip_marks,
)


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


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("\u200bKHĐT\u200c-01\u2060", "KHĐT-01"),  # invisible characters anywhere
        ("Hoàn thành\ufeff ", "Hoàn thành"),
        (unicodedata.normalize("NFD", "Hoàn thành\u200d"), "Hoàn thành"),  # NFD and invisible
        ("a\u200b\u0301", "\u00e1"),  # the invisible character goes, then the accent composes: "á"
        ("Nghi\u200b\u0323 quyết", "Nghị quyết"),
        ("dòng 1\n\u200bdòng 2", "dòng 1\ndòng 2"),  # a line break is not printable either
        (" plain ASCII\t", "plain ASCII"),
        ("\u00a0Tổng cộng\u3000", "Tổng cộng"),
    ],
)
def test_clean_text_drops_invisibles_and_composes(value, expected):
    assert clean_text(value) == expected


@pytest.mark.parametrize("text", ["KHĐT-01", "Hoàn thành trước 30/6/2026", "Quý IV", "dòng 1\ndòng 2"])
def test_clean_text_returns_clean_text_itself(text):
    # No copy: the model keeps the strings read instead of a second one per cell.
    assert clean_text(text) is text


_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
_TRICKY = st.text(st.sampled_from(list("aAoOđĐ ()\t\n\u00a0:1/-") + [
    "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u0301", "\u0300", "\u0323", "\u0302", "ơ", "ế", "\u3000",
]))


@given(st.one_of(st.text(), _TRICKY, _TRICKY.map(lambda s: unicodedata.normalize("NFD", s))))
def test_clean_text_and_fold_are_their_definitions(s):
    # The definitions, written plainly; clean_text and fold skip the steps that change nothing.
    cleaned = unicodedata.normalize("NFC", s.translate(_INVISIBLE)).strip()
    assert clean_text(s) == cleaned
    assert fold(s) == _definition_fold(cleaned)
    # Cleaned once is clean: the reader caches a text under what was typed and under its clean form.
    assert clean_text(cleaned) == cleaned


def _definition_fold(cleaned: str) -> str:
    plain = "".join(c for c in strip_marks(cleaned) if not unicodedata.category(c).startswith("M"))
    spaced = re.sub(r"\s*\)", ")", re.sub(r"\s*\(\s*", " (", " ".join(plain.split())))
    return spaced.strip().rstrip(": ")


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


def _first_one_by_one(texts):
    return next((i for i, text in enumerate(texts) if looks_like_legacy_vn(text)), None)


@pytest.mark.parametrize("texts", [
    ("KHĐT-01", "Hoàn thành", "", "Đang làm"),
    ("KHĐT-01", "Hoµn thµnh", "", "Hoaøn thaønh"),
    ("Coäng", "Ñoàng yù", "", ""),  # two weak signs, only when taken together
    ("a", "\u0301ù", "õ", "e"),  # a mark or a tone opening a text joins nothing before it
    ("Hoa", "ø", "Ho\u0323", "a\u0300"),
    ("", "", "", ""),
])
def test_the_first_legacy_text_is_found_by_one_search_as_text_by_text(texts):
    assert first_legacy_vn(texts) == _first_one_by_one(texts)


@given(st.lists(st.text(alphabet=st.sampled_from("aeoyAĐđ §¸µÒÕøùõÙÑñ\u0301\u0323\u0300\n-1")), max_size=5))
def test_the_first_legacy_text_of_any_texts_is_the_one_text_by_text_finds(texts):
    assert first_legacy_vn(texts) == _first_one_by_one(texts)
