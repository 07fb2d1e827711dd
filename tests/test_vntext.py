"""Vietnamese text handling: spaces, NFC, tone placement, folding, search terms and sentence spans."""
from __future__ import annotations

import unicodedata

import pytest

from qa.index.lexical import query_terms
from qa.text.vntext import canonical, clean_spaces, fold, has_diacritics, search_form, sentence_spans, tokens, words


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text)]


# ---- spaces and Unicode forms --------------------------------------------------------------------

def test_clean_spaces_turns_odd_spaces_into_plain_ones_and_drops_zero_width():
    raw = "Quyết\u00a0định\u2009số\u202f2200\u200b-QĐ/TU\ufeff ngày\u3000 25/5/2017"
    cleaned = clean_spaces(raw)
    assert cleaned == "Quyết định số 2200-QĐ/TU ngày  25/5/2017"
    assert not any(ch in cleaned for ch in "\u00a0\u2009\u202f\u200b\ufeff\u3000")


def test_clean_spaces_composes_decomposed_text():
    text = "Thành ủy Hà Nội đã ban hành Quyết định"
    assert clean_spaces(nfd(text)) == text
    assert unicodedata.is_normalized("NFC", clean_spaces(nfd(text)))


# ---- one spelling for search; the text keeps its own ----------------------------------------------

@pytest.mark.parametrize("old_style, new_style", [
    ("hoà", "hòa"), ("uỷ", "ủy"), ("Thành uỷ", "Thành ủy"), ("khoẻ", "khỏe"), ("thuỷ", "thủy"),
    ("HOÀ BÌNH", "HÒA BÌNH"), ("Uỷ ban", "Ủy ban"), ("đô thị hoá", "đô thị hóa"), ("thuý", "thúy"),
    ("hoạ", "họa"), ("loã", "lõa"),
])
def test_both_tone_placements_search_the_same(old_style, new_style):
    assert canonical(old_style) == new_style
    assert canonical(new_style) == new_style
    assert search_form(old_style) == search_form(new_style) == new_style.lower()
    assert search_form(nfd(old_style)) == search_form(new_style)
    assert tokens(old_style) == tokens(new_style)


@pytest.mark.parametrize("word", [
    "quý", "Quý", "quỳ", "hoàn", "hoạch", "Huệ", "thuở", "huỳnh", "thuyền", "hoặc", "quà",
    "Nguyễn", "chuyển", "người",
])
def test_words_that_have_one_spelling_are_left_alone(word):
    assert canonical(word) == unicodedata.normalize("NFC", word)


def test_search_form_is_lowercase_nfc_with_plain_spaces():
    assert search_form("Thành\u00a0Uỷ  HÀ NỘI") == "thành ủy  hà nội"


def test_fold_strips_diacritics_and_d_bar():
    assert fold("Quyết định 2200-QĐ/TU") == "quyet dinh 2200-qd/tu"
    assert fold("Đoàn công tác Thành ủy") == "doan cong tac thanh uy"
    assert fold(nfd("Hồ Chí Minh")) == "ho chi minh"
    assert has_diacritics("Quyết định") and not has_diacritics("quyet dinh 2200")


def test_words_keep_codes_numbers_and_dates_whole():
    assert words("Quyết định số 2200-QĐ/TU ngày 25/5/2017, hơn 5.000 thôn ở TP. Hà Nội") == [
        "quyết", "định", "số", "2200-qđ/tu", "ngày", "25/5/2017", "hơn", "5.000", "thôn", "ở", "tp", "hà", "nội",
    ]


def test_tokens_include_code_parts_bigrams_and_folded_forms():
    terms = tokens("Quyết định 2200-QĐ/TU")
    for term in ["quyết", "định", "2200-qđ/tu", "2200", "qđ", "tu", "quyết_định", "định_2200-qđ/tu",
                 "~quyet", "~dinh", "~2200-qd/tu", "~quyet_dinh"]:
        assert term in terms


def test_a_question_without_diacritics_searches_only_the_folded_terms():
    assert all(t.startswith("~") for t in query_terms("quyet dinh 2200 ban hanh ngay nao"))
    # typed without diacritics, the terms are the folded forms of the properly spelled question's
    assert query_terms("quyet dinh 2200") == ["~quyet", "~dinh", "~2200", "~quyet_dinh", "~dinh_2200"]


def test_words_typed_with_diacritics_search_the_exact_field_and_the_others_the_folded_one():
    terms = query_terms("Quyết định 2200 ban hành ngày nào")
    assert {"quyết", "định", "hành", "quyết_định", "~ban_hanh"} <= set(terms)
    assert "~quyet" not in terms  # "quyết" must not also match "quyệt" or an unrelated folded twin
    assert "~ban" in terms and "ban" not in terms  # typed bare: "ban", "bán", "bàn" all match
    # a half-accented question finds what the fully accented one finds, through the folded field
    assert query_terms("Quyet định") == ["~quyet", "định", "~quyet_dinh"]


# ---- sentences -------------------------------------------------------------------------------------

def test_sentence_spans_are_exact_stripped_offsets():
    text = "  Câu một.  Câu hai!\n\n Câu ba?  "
    spans = sentence_spans(text)
    assert [text[a:b] for a, b in spans] == ["Câu một.", "Câu hai!", "Câu ba?"]


@pytest.mark.parametrize("sentence", [
    "Sáng 4.7, Ban Chỉ đạo tổ chức sơ kết công tác 6 tháng đầu năm 2024.",
    "Hội nghị do UBND TP. Hà Nội tổ chức tại Hội trường Thành ủy.",
    "Hiện trên địa bàn TP có hơn 5.000 thôn và tổ dân phố.",
    "Thực hiện nghiêm túc Quyết định 2200-QĐ/TU ngày 25/5/2017 của Thành ủy Hà Nội.",
    "Các buổi tọa đàm, sinh hoạt chi bộ… qua đó nâng cao nhận thức của cán bộ.",
    "Các vấn đề về đô thị hóa như: vệ sinh môi trường, quá tải giao thông, bệnh viện, trường học...",
    "Phát biểu tại hội nghị, ThS. Lê Văn Nam và PGS. TS. Trần Hùng đều nhấn mạnh vai trò của cơ sở.",
    "Ảnh do phóng viên V.A cung cấp.",
    "Hưởng ứng Ngày Chuyển đổi số Quốc gia (10.10) của tỉnh, nhiều tổ công nghệ số đã ra quân.",
])
def test_protected_dots_never_end_a_sentence(sentence):
    text = f"Mở đầu đoạn văn. {sentence} Câu tiếp theo của đoạn."
    assert sentences(text) == ["Mở đầu đoạn văn.", sentence, "Câu tiếp theo của đoạn."]


def test_ellipsis_stays_with_its_sentence_and_can_end_it():
    text = "Các dự án Liên Mạc, Minh Khai, Phúc Diễn… Không chỉ tổ chức đối thoại đúng quy trình."
    assert sentences(text) == ["Các dự án Liên Mạc, Minh Khai, Phúc Diễn…", "Không chỉ tổ chức đối thoại đúng quy trình."]


def test_sentences_end_at_real_boundaries_and_at_paragraph_breaks():
    text = ("Trong 5 năm qua, quận đã tổ chức 76 hội nghị. 5 hội nghị cấp quận được tổ chức? "
            "Có! \"Dân biết, dân bàn\" là phương châm.\nTiêu đề không có dấu chấm\nĐoạn mới, cụm thi đua 3. Tiếp đoàn.")
    assert sentences(text) == [
        "Trong 5 năm qua, quận đã tổ chức 76 hội nghị.",
        "5 hội nghị cấp quận được tổ chức?",
        "Có!",
        "\"Dân biết, dân bàn\" là phương châm.",
        "Tiêu đề không có dấu chấm",
        "Đoạn mới, cụm thi đua 3.",
        "Tiếp đoàn.",
    ]


def test_a_lowercase_word_after_a_period_does_not_start_a_sentence():
    text = "Năm 2019 v.v. và các năm sau đó. Kết thúc."
    assert sentences(text) == ["Năm 2019 v.v. và các năm sau đó.", "Kết thúc."]


def test_sentence_spans_respect_start_and_end():
    text = "Bỏ qua câu này. Câu một. Câu hai."
    start = text.index("Câu một")
    assert [text[a:b] for a, b in sentence_spans(text, start)] == ["Câu một.", "Câu hai."]
    assert [text[a:b] for a, b in sentence_spans(text, start, text.index("Câu hai"))] == ["Câu một."]
