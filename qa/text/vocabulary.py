"""Word lists and patterns of Vietnamese (and English) questions and news text that several stages share.

General grammar and writing conventions only, nothing of any article. Where two stages read the same
thing differently (a year, a document code, "is this English?"), both readings are here under two
names, with why they differ: each stage keeps exactly the behaviour it was fitted and tested with.
"""
from __future__ import annotations

import re

from .vntext import has_diacritics

# ---- question words -----------------------------------------------------------------------------------
# Single folded words that ask rather than say (question words, sentence-final particles): the gap the
# answer fills, never content to match in an article (qa/answer/question.py drops them from its terms).
QUESTION_WORDS = frozenset({"ai", "gi", "nao", "dau", "may", "sao", "bao", "nhieu", "gio", "khong", "chua", "nhi",
                            "vay", "the", "a", "u", "ha", "nhe", "hay"})
ENGLISH_QUESTION_WORDS = frozenset({"what", "which", "who", "whom", "whose", "when", "where", "why", "how"})
# The same as whole phrases, as regex alternations, for finding where a question phrase sits in a message
# (qa/answer/conversation.py): "bao nhiêu", "như thế nào" are one phrase there. Folded, and with diacritics
# for messages typed with them ("sao" alone is also "star").
QUESTION_PHRASES = r"(?:bao nhieu|bao gio|khi nao|luc nao|hom nao|o dau|tai dau|den dau|vi sao|tai sao|the nao|" \
                   r"ra sao|lam sao|nhu the nao|ai|gi|nao|dau|may)"
MARKED_QUESTION_PHRASES = ("bao nhiêu", "bao giờ", "khi nào", "lúc nào", "hôm nào", "ở đâu", "tại đâu", "đến đâu", "vì sao",
                           "tại sao", "thế nào", "ra sao", "làm sao", "như thế nào", "ai", "gì", "nào", "đâu", "mấy")
QUESTION_PHRASES_MARKED = "(?:" + "|".join(MARKED_QUESTION_PHRASES) + ")"
# How questions are spelled with their marks: question phrases and the particles a question may end with. Put
# back into questions typed without diacritics (qa/text/diacritics.py), where news text, which rarely asks,
# would spell "bao nhieu" as "báo nhiều".
QUESTION_SPELLINGS = (*MARKED_QUESTION_PHRASES, "bao lâu", "bao xa", "là gì", "là ai",
                      "ngày nào", "năm nào", "tháng nào", "không", "chưa", "vậy", "nhỉ", "à", "ư", "hả", "nhé",
                      "thế", "hay")
ENGLISH_QUESTION_PHRASES = r"(?:who|whom|whose|what|when|where|why|which|how many|how much|how)"

# "Summarise", "the main points": a question that asks for a summary (run on folded text, or on English).
SUMMARY_WORDS = re.compile(r"\b(?:tom tat|tom luoc|noi dung chinh|y chinh|summari[sz]e|summary|main points|key points)\b")

# ---- English or Vietnamese ------------------------------------------------------------------------------
ENGLISH_FUNCTION_WORDS = frozenset({
    "the", "of", "in", "which", "what", "who", "when", "how", "did", "does", "is", "was", "were", "are", "for",
    "with", "and", "to", "by", "many", "much", "whom", "where", "why", "on", "at", "this", "that", "an", "a",
    "from", "about", "has", "have", "do"})


def is_english(question: str) -> bool:
    """A whole question in English: at least two English function words, and at least 15 % of its words.

    Decides how a question is analysed and searched (glossary terms, English question words), so one
    English-looking word in a Vietnamese question typed without diacritics ("Ai la...") is not enough."""
    words = re.findall(r"[A-Za-z']+", question.lower())
    hits = sum(w in ENGLISH_FUNCTION_WORDS for w in words)
    return hits >= 2 and hits >= len(words) * 0.15


def reads_as_english(text: str) -> bool:
    """A chat message in English: no diacritics and one English question word or "about/the/and/of".

    For follow-ups, which are short ("what about 2023?", "who signed it?"): one word must do there, and
    anything with diacritics is Vietnamese. `is_english` would call most of them Vietnamese."""
    return not has_diacritics(text) and bool(
        re.search(rf"\b{ENGLISH_QUESTION_PHRASES}\b|\b(?:about|the|and|of)\b", text.lower()))


# ---- years, numbers, document codes ---------------------------------------------------------------------
# A year as a question states it (1000-2099), not glued to a code or a date ("17/2023", "2023-QĐ").
YEAR = re.compile(r"(?<![\w/.-])(?:1[0-9]|20)\d{2}(?![\w/-])")
# A year in an article's sentence: the same, except that a "/" may follow it; the answer scorer's
# year_conflict feature was fitted with this one.
YEAR_IN_TEXT = re.compile(r"(?<![\w/.-])(?:1[0-9]|20)\d{2}(?![\w-])")
# A year a follow-up swaps in or out ("thế còn năm 2024?"): 1800-2099, so that "còn 1500 người?" is a count.
YEAR_FROM_1800 = r"(?<![\w/.-])(?:1[89]|20)\d{2}(?![\w/-])"
# A year the reader's training data moves to make an unanswerable question (1900-2099).
YEAR_FROM_1900 = re.compile(r"(?<![\w/.-])(?:19|20)\d{2}(?![\w/-])")

# A number a question states ("5.000", "4,5"), not part of a code or date.
NUMBER = re.compile(r"(?<![\w/.-])\d+(?:[.,]\d+)*(?![\w/-])")
# The same, not right after a comma either: the reader's training data changes such numbers' digits.
NUMBER_NOT_AFTER_COMMA = re.compile(r"(?<![\w/.,-])\d+(?:[.,]\d+)*(?![\w/-])")

# A document code as a question writes it, any case: "17-QĐ/UBND", "QĐ-17".
CODE = re.compile(r"\b\d+[-/][\w/-]*[^\W\d_][\w/-]*|\b[A-ZĐ]+[-/]\d[\w/-]*")
# A code in a folded, lowercase message ("17-qd/ubnd", "100/2019/nd-cp", "12a-kh"), as a regex string
# that follow-ups compose into larger patterns.
CODE_FOLDED = r"\d+(?:[-/][\w.]+)+|\d+[a-zđ]*-[\w/-]+"
# A code as articles print it: capitals after the number, optionally with its document word
# ("Quyết định số 17-QĐ/UBND", "Nghị định 100/2019/NĐ-CP").
DOCUMENT_CODE = re.compile(
    r"(?:(?:Quyết định|Kế hoạch|Chỉ thị|Nghị quyết|Kết luận|Thông tư|Nghị định|Quy định|Hướng dẫn|Công văn|Thông báo|"
    r"Luật|Pháp lệnh|Tờ trình|Báo cáo)\s+(?:số\s+)?)?\d+(?:/\d{4})?[-/][A-ZĐ][\wĐđ]*(?:[/-][\wĐđ]+)*"
)

# ---- prepositions ------------------------------------------------------------------------------------
# What may open a follow-up's new phrase ("còn ở Long Xuyên?", "what about in 2023?"): it is not part of
# the name that replaces the old one. Marked, folded and English.
PREPOSITIONS = ("ở", "tại", "của", "với", "trong", "vào", "cho", "về", "o", "tai", "cua", "voi", "vao", "ve",
                "in", "at", "of", "for", "on", "from")
# Place cues of an article's sentence that are prepositions: after these the place is the name alone;
# after a unit word ("tỉnh", "huyện") the span is also given with the unit.
PLACE_PREPOSITIONS = {"tại", "ở", "đến", "về", "tới", "từ", "thuộc", "trên địa bàn"}

# ---- the page's metadata ------------------------------------------------------------------------------
# How a metadata field is read as a candidate sentence ("Tác giả: Minh Anh"): the answer model's features
# were fitted on this text.
METADATA_LABELS = {"author": "Tác giả", "outlet": "Nguồn", "published": "Ngày đăng"}
# What a metadata field is called in an answer ("tác giả bài «…»") and in the chat ("Đây là ngày đăng của bài").
METADATA_NAMES = {"author": "tác giả", "outlet": "nguồn đăng", "published": "ngày đăng"}
