"""Follow-ups, several questions at once and titles named in a question (qa/conversation.py).

Every example is invented: places, people, codes and titles that are not in seeds/, so the rules are
tested as the general rules they are meant to be.
"""
from __future__ import annotations

import pytest

from qa.answer.conversation import Previous, is_summary_request, match_title, resolve, slots, split_questions
from qa.answer.question import analyse
from qa.text.vntext import fold

PLACE_Q = "Quận Ba Đình tổ chức bao nhiêu hội nghị tiếp dân năm 2023?"
DOC_Q = "Kế hoạch 15-KH/UBND được ban hành ngày nào?"
PERSON_Q = "Ông Trần Văn Bình giữ chức vụ gì?"


@pytest.mark.parametrize("previous,message,expected", [
    # a place swapped in, with or without its own "quận"/"TP."
    (PLACE_Q, "còn quận Tây Hồ thì sao?", "Quận Tây Hồ tổ chức bao nhiêu hội nghị tiếp dân năm 2023?"),
    (PLACE_Q, "còn Tây Hồ thì sao?", "Quận Tây Hồ tổ chức bao nhiêu hội nghị tiếp dân năm 2023?"),
    (PLACE_Q, "con Tay Ho thi sao", "Quận Tay Ho tổ chức bao nhiêu hội nghị tiếp dân năm 2023?"),
    ("Đoàn công tác của Thành ủy Đà Nẵng làm việc với Quảng Ninh khi nào?", "còn TP.HCM thì sao?",
     "Đoàn công tác của Thành ủy Đà Nẵng làm việc với TP.HCM khi nào?"),
    # a year or a period swapped in; added when the previous question had none
    (PLACE_Q, "thế còn năm 2024?", "Quận Ba Đình tổ chức bao nhiêu hội nghị tiếp dân năm 2024?"),
    (PLACE_Q, "vậy còn 2022 thì sao", "Quận Ba Đình tổ chức bao nhiêu hội nghị tiếp dân năm 2022?"),
    ("Có bao nhiêu hội nghị tiếp dân?", "thế còn năm 2024?", "Có bao nhiêu hội nghị tiếp dân năm 2024?"),
    ("Doanh thu quý II/2023 của tỉnh Kon Tum là bao nhiêu?", "còn quý III thì sao?",
     "Doanh thu quý III của tỉnh Kon Tum là bao nhiêu?"),
    ("How many hearings did Ba Dinh district hold in 2022?", "what about 2023?",
     "How many hearings did Ba Dinh district hold in 2023?"),
    # a document code, a person
    (DOC_Q, "còn Kế hoạch 27-KH/UBND?", "Kế hoạch 27-KH/UBND được ban hành ngày nào?"),
    (PERSON_Q, "còn bà Lê Thị Hoa?", "Bà Lê Thị Hoa giữ chức vụ gì?"),
    # a place with no counterpart in the previous question is added to it
    ("Có bao nhiêu hội nghị tiếp dân?", "còn TP.HCM thì sao?", "Có bao nhiêu hội nghị tiếp dân ở TP.HCM?"),
])
def test_a_follow_up_swaps_in_what_changed(previous, message, expected):
    resolution = resolve(message, Previous(previous))
    assert resolution.question == expected
    assert resolution.changed and resolution.rule in ("swap", "append") and resolution.problem is None


# Whole names: a place with its number ("Quận 7", "phường 12"), a name with its qualifier ("Long Đức 2"),
# a numbered document ("Nghị định 100"), a person, a year. A swap replaces the whole of one of them, never
# part of it: "còn Cẩm Lệ thì sao?" after "... Quận 7" must not give "... Cẩm Lệ 7".
NUMBERED_Q = "Quận 7 có bao nhiêu trường học năm 2023?"


@pytest.mark.parametrize("previous,message,expected", [
    ("Tóm tắt bài về Quận 7", "còn Cẩm Lệ thì sao?", "Tóm tắt bài về Cẩm Lệ?"),
    ("Tóm tắt bài về Quận 7", "còn quận Liên Chiểu thì sao?", "Tóm tắt bài về quận Liên Chiểu?"),
    (NUMBERED_Q, "còn Thủ Thiêm thì sao?", "Thủ Thiêm có bao nhiêu trường học năm 2023?"),
    (NUMBERED_Q, "còn quận 12 thì sao?", "Quận 12 có bao nhiêu trường học năm 2023?"),
    (NUMBERED_Q, "thế còn phường 4?", "Phường 4 có bao nhiêu trường học năm 2023?"),
    (NUMBERED_Q, "còn năm 2024?", "Quận 7 có bao nhiêu trường học năm 2024?"),
    ("Phường 14 tổ chức bao nhiêu cuộc đối thoại?", "còn phường Tân Định thì sao?",
     "Phường Tân Định tổ chức bao nhiêu cuộc đối thoại?"),
    ("Có bao nhiêu hộ dân ở phường 5 bị ngập?", "còn phường 9?", "Có bao nhiêu hộ dân ở phường 9 bị ngập?"),
    ("Có bao nhiêu hộ dân ở ấp 3 xã Tân Thuận bị ngập?", "còn xã Hiệp Phước?",
     "Có bao nhiêu hộ dân ở ấp 3 xã Hiệp Phước bị ngập?"),
    ("Khu công nghiệp Long Đức 2 có bao nhiêu doanh nghiệp?", "còn Tam Phước thì sao?",
     "Khu công nghiệp Tam Phước có bao nhiêu doanh nghiệp?"),
    ("Chiều dài cầu Rạch Miễu 2 là bao nhiêu?", "còn cầu Mỹ Thuận thì sao?", "Chiều dài cầu Mỹ Thuận là bao nhiêu?"),
    ("Quyết định số 17 được ký ngày nào?", "còn Quyết định số 25?", "Quyết định số 25 được ký ngày nào?"),
    ("Nghị định 100 có hiệu lực từ khi nào?", "còn Nghị định 168 thì sao?", "Nghị định 168 có hiệu lực từ khi nào?"),
    ("Bà Nguyễn Thị Vân phát biểu gì tại hội nghị ở Quận 3?", "còn ông Đỗ Văn Nam?",
     "Ông Đỗ Văn Nam phát biểu gì tại hội nghị ở Quận 3?"),
    ("Ai là Chủ tịch UBND Quận 3?", "còn Bình Thạnh thì sao?", "Ai là Chủ tịch UBND Bình Thạnh?"),
    ("What did District 7 spend in 2023?", "what about Thu Duc?", "What did Thu Duc spend in 2023?"),
    # a qualifier goes with its name; a bare number changes the number of a numbered name
    ("Tóm tắt bài về Quận 2 cũ", "còn Cẩm Lệ thì sao?", "Tóm tắt bài về Cẩm Lệ?"),
    ("Tóm tắt bài về Quận 2 (cũ)", "còn quận 4?", "Tóm tắt bài về quận 4?"),
    (NUMBERED_Q, "còn 12 thì sao?", "Quận 12 có bao nhiêu trường học năm 2023?"),
    ("Phường 12A có bao nhiêu hộ nghèo?", "còn 12B?", "Phường 12B có bao nhiêu hộ nghèo?"),
    ("Tuyến buýt số 18 chạy qua những phường nào?", "còn tuyến số 150 thì sao?",
     "Tuyến buýt số 150 chạy qua những phường nào?"),
    ("Có bao nhiêu người trên 60 tuổi được miễn vé?", "còn 70 tuổi thì sao?",
     "Có bao nhiêu người trên 70 tuổi được miễn vé?"),
    # a name of words replaces a name of words, not the acronym of a body ("UBND")
    ("Chủ tịch UBND tỉnh Kon Tum là ai?", "còn Gia Lai?", "Chủ tịch UBND tỉnh Gia Lai là ai?"),
])
def test_a_swap_replaces_a_whole_name(previous, message, expected):
    resolution = resolve(message, Previous(previous))
    assert resolution.question == expected
    assert resolution.rule == "swap"


@pytest.mark.parametrize("previous,message,old", [
    ("Tóm tắt bài về Quận 7", "còn Cẩm Lệ thì sao?", "Quận 7"),
    ("Quận 10 tổ chức bao nhiêu hội nghị?", "còn Nhơn Trạch thì sao?", "Quận 10"),
    ("Khu công nghiệp Long Đức 2 có bao nhiêu doanh nghiệp?", "còn Hòa Khánh thì sao?", "Long Đức 2"),
    ("Tóm tắt bài về phường 12 quận Vĩnh Yên", "còn phường Tân Định thì sao?", "phường 12"),
    ("Nghị định 100 có hiệu lực từ khi nào?", "còn Nghị định 168 thì sao?", "Nghị định 100"),
])
def test_a_swap_leaves_nothing_of_the_old_name(previous, message, old):
    """What `Question` reads in the rewritten question (names, years, numbers) comes from the follow-up or
    from the part of the previous question that was kept: no number or word of the old name survives."""
    result = resolve(message, Previous(previous)).question
    asked, old_q, new_q = analyse(result), analyse(old), analyse(message)
    assert fold(old) not in fold(result)
    for number in old_q.numbers:
        assert number not in asked.numbers or number in new_q.numbers, (result, number)
    for name in new_q.names:
        assert name in asked.names or name in fold(result), (result, name)


@pytest.mark.parametrize("previous,message,expected", [
    (DOC_Q, "ai ký?", "Ai ký Kế hoạch 15-KH/UBND?"),
    (DOC_Q, "Ai ký văn bản đó?", "Ai ký Kế hoạch 15-KH/UBND?"),
    (DOC_Q, "khi nào?", "Kế hoạch 15-KH/UBND được ban hành khi nào?"),
    (DOC_Q, "ở đâu?", "Kế hoạch 15-KH/UBND được ban hành ở đâu?"),
    ("Quận Ba Đình tổ chức bao nhiêu hội nghị?", "khi nào?", "Quận Ba Đình tổ chức hội nghị khi nào?"),
    ("When was Decision 15-QD/UB issued?", "who signed it?", "Who signed Decision 15-QD/UB?"),
    ("When was Decision 15-QD/UB issued?", "where?", "Where was Decision 15-QD/UB issued?"),
])
def test_a_new_question_word_keeps_the_previous_subject(previous, message, expected):
    resolution = resolve(message, Previous(previous))
    assert resolution.question == expected
    assert resolution.rule == "new-question-word" and resolution.changed


@pytest.mark.parametrize("message", [
    "Ai là Bí thư Thành ủy Huế?",  # names what it asks about
    "Tóm tắt bài viết về chợ nổi Cái Răng",
    "Quyết định 47-QĐ/UBND được ký ngày nào?",
    "Làng gốm Bát Tràng có bao nhiêu hộ làm gốm năm 2021?",
    "When did the Hue festival start?",
    "Còn bao nhiêu hộ dân ở xã Tân Lập chưa được cấp nước sạch vào năm 2022?",  # "còn" opening a full question
])
def test_a_question_of_its_own_is_left_as_typed(message):
    resolution = resolve(message, Previous(PLACE_Q, "a1"))
    assert resolution.question == message and not resolution.changed and resolution.problem is None


@pytest.mark.parametrize("message", ["còn TP.HCM thì sao?", "ai ký?", "thế còn năm 2024?", "what about 2023?", "khi nào?"])
def test_a_follow_up_with_nothing_before_it_is_a_problem(message):
    resolution = resolve(message, None)
    assert resolution.problem == "needs-previous" and resolution.question == message


def test_this_article_means_the_previous_answers_article():
    resolution = resolve("ai viết bài này?", Previous("Hội chợ hoa xuân mở cửa ngày nào?", "bai-7"))
    assert resolution.article == "bai-7" and resolution.rule == "this-article" and resolution.problem is None
    assert resolve("ai viết bài này?", None).article is None  # nothing before: over all articles
    assert resolve("Who wrote this article?", Previous("When did the fair open?", "x")).article == "x"


def test_follow_ups_chain_on_the_understood_question():
    first = resolve("còn quận Tây Hồ thì sao?", Previous(PLACE_Q))
    second = resolve("thế còn năm 2021?", Previous(first.question))
    assert second.question == "Quận Tây Hồ tổ chức bao nhiêu hội nghị tiếp dân năm 2021?"


@pytest.mark.parametrize("message,parts", [
    ("Quyết định 47 được ban hành ngày nào? Ai ký quyết định đó?",
     ["Quyết định 47 được ban hành ngày nào?", "Ai ký quyết định đó?"]),
    ("Ai ký kế hoạch này và kế hoạch được ban hành khi nào?",
     ["Ai ký kế hoạch này?", "Kế hoạch được ban hành khi nào?"]),
    ("Hội chợ mở cửa khi nào; giá vé bao nhiêu?", ["Hội chợ mở cửa khi nào?", "Giá vé bao nhiêu?"]),
])
def test_several_questions_at_once_are_split(message, parts):
    assert split_questions(message) == parts
    resolution = resolve(message, None)
    assert resolution.problem == "several-questions" and list(resolution.parts) == parts


@pytest.mark.parametrize("message", [
    "Ai và cơ quan nào tham dự hội nghị?",  # one question with two question words
    "Quyết định nào được ban hành ngày nào?",
    "Tại sao giá vé tăng?",
    "Chợ nổi Cái Răng và làng gốm Bát Tràng ở đâu?",
])
def test_one_question_is_not_split(message):
    assert split_questions(message) == [message]


def test_slots_find_years_periods_codes_and_names():
    sentence = "Đoàn công tác của Thành ủy Đà Nẵng làm việc tại quận Hải Châu năm 2019 theo Kế hoạch 15-KH/UBND"
    found = {(s.kind, sentence[s.start:s.end]) for s in slots(sentence)}
    assert ("name", "Đà Nẵng") in found
    assert ("place", "quận Hải Châu") in found
    assert ("year", "năm 2019") in found
    assert ("code", "Kế hoạch 15-KH/UBND") in found


def test_slots_keep_a_name_whole():
    sentence = "Chủ tịch UBND Quận 7 cũ gặp Khu công nghiệp Long Đức 2 theo Nghị định 100 về người trên 60 tuổi"
    found = {(s.kind, sentence[s.start:s.end]) for s in slots(sentence)}
    assert found == {("name", "UBND"), ("place", "Quận 7 cũ"), ("name", "Long Đức 2"), ("code", "Nghị định 100"),
                     ("number", "60 tuổi")}
    assert ("name", "Hà Nội") in {(s.kind, "Hà Nội 5 năm qua"[s.start:s.end]) for s in slots("Hà Nội 5 năm qua")}


def test_a_title_named_in_a_question():
    titles = {"a": "Làng gốm Bát Tràng vào mùa Tết", "b": "Chợ nổi Cái Răng đón khách quốc tế", "c": "Huế"}
    assert match_title("Tóm tắt bài «Làng gốm Bát Tràng vào mùa Tết»", titles) == "a"
    assert match_title("Ai viết bài “Chợ nổi Cái Răng đón khách quốc tế”?", titles) == "b"
    assert match_title("tom tat bai cho noi cai rang don khach quoc te", titles) == "b"  # no quotes, no diacritics
    assert match_title("Chợ nổi ở đâu?", titles) is None  # two words of a title are not the title
    assert match_title("tom tat bai cho noi cai rang don khach quoc te", titles, quoted_only=True) is None
    assert match_title("Tóm tắt bài «Hội An về đêm»", titles) is None


def test_summary_requests():
    assert is_summary_request("Tóm tắt bài viết về lễ hội")
    assert is_summary_request("noi dung chinh cua bai nay la gi")
    assert is_summary_request("Summarize the article about the fair")
    assert not is_summary_request("Ai ký quyết định?")


def test_one_question_pasted_several_times_is_one_question():
    repeated = "Hội chợ mở cửa khi nào? " * 4
    assert split_questions(repeated) == ["Hội chợ mở cửa khi nào?"]
    resolution = resolve(repeated, None)
    assert resolution.problem is None and resolution.question == "Hội chợ mở cửa khi nào?"
