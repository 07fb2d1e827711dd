"""Typed span extractors: a small registry of what an answer can look like inside a sentence.

Each extractor takes a sentence and returns (start, end) offsets of the spans of its kind. They
describe the written forms of Vietnamese news (dates as "25/5/2017" or "ngày 4 tháng 7 năm 2024",
counts with their noun or unit, names as capitalised syllables, bodies by their head word, codes
as "17-QĐ/UBND"), not any article's content. Which span answers a question is decided by the
fitted span scorer (qa/answer/short_answer.py), with the question's asked type as one of its features.
"""
from __future__ import annotations

import re
from typing import Callable

from ..text.vocabulary import DOCUMENT_CODE, PLACE_PREPOSITIONS

Span = tuple[int, int]

# Upper-case letters (Latin with Vietnamese diacritics included): re has no \p{Lu}, so spell them out.
_UPPER = "".join(c for c in map(chr, range(0x41, 0x2000)) if c.isupper() and c.isalpha())
_CAP_WORD = rf"(?<![^\W\d_])[{_UPPER}][^\W\d_]*"

_COUNTED_NOT_YEAR = r"tỷ|triệu|nghìn|ngàn|người|đồng|ha\b|km|m\b|tấn|hộ"
_DATE = re.compile(
    r"(?<![\w/.])(?:"
    r"\d{1,2}\s*[/.-]\s*\d{1,2}\s*[/.-]\s*\d{4}"  # 25/5/2017, 04.07.2024
    r"|\d{1,2}\s*/\s*\d{1,2}(?![\d/])"  # 4/11
    r"|\d{1,2}\.\d{1,2}(?=[\s,;)]|$)(?!\.\d)"  # 4.7 (day.month, never followed by more digits)
    r"|(?:ngày\s+)?\d{1,2}\s+tháng\s+\d{1,2}(?:\s*(?:năm|,)\s*\d{3,4})?"  # 4 tháng 7 năm 2024
    r"|tháng\s+\d{1,2}(?:\s*(?:/|năm)\s*\d{4})?"  # tháng 5/2020
    r"|quý\s+[IV]+(?:\s*/\s*\d{4})?"  # quý I/2020
    r"|(?:19|20)\d{2}\s*[-–]\s*(?:19|20)\d{2}(?!\s*(?:" + _COUNTED_NOT_YEAR + r"))"  # năm học 2024–2025, nhiệm kỳ 2020-2025
    r"|(?:năm\s+)?\d{3,4}(?=\s*(?:[,.;)]|$|\s(?!" + _COUNTED_NOT_YEAR + r")))"  # năm 1954
    r"|thế\s+kỷ\s+(?:thứ\s+)?[IVXLC\d]+"  # thế kỷ XIX
    r"|\d{1,2}\s*(?:giờ|h)\s*\d{0,2}(?:\s*phút)?"  # 8 giờ 30, 20h30
    r")(?![\w/])",
    re.IGNORECASE,
)
_NUMBER_WORDS = ("một|hai|ba|bốn|năm|sáu|bảy|tám|chín|mười|mươi|trăm|nghìn|ngàn|triệu|tỷ|tỉ|chục|mấy|vài|nửa|"
                 "hàng trăm|hàng nghìn|hàng chục")
_UNITS = (r"(?:nghìn|ngàn|triệu|tỷ|tỉ)?\s*(?:đồng|usd|đô la|euro|%|phần trăm|km2|km²|km|m2|m²|m3|m|cm|mm|ha|héc-ta|hecta|tấn|"
          r"kg|g|lít|mw|kw|kwh|người|lượt|hộ|lần|năm|tháng|ngày|giờ|phút|tuổi|độ|°c)")
_NUMBER = re.compile(
    r"(?<![\w/.,-])(?:(?:hơn|gần|khoảng|trên|dưới|tới|đến|gần như|chừng|ít nhất|tối đa)\s+)?"
    r"(?:\d+(?:[.,]\d+)*(?:\s*[-–]\s*\d+(?:[.,]\d+)*)?|(?:" + _NUMBER_WORDS + r")(?:\s+(?:" + _NUMBER_WORDS + r"))*)"
    r"(?:\s*" + _UNITS + r")?(?![\w])",
    re.IGNORECASE,
)
_ENDS_WITH_UNIT = re.compile(_UNITS + r"$", re.IGNORECASE)
# a lowercase word right after a number (or after the word after it): the noun the number may count
_COUNTED_WORD = re.compile(r"[ \t]+([a-zđà-ỹ]+)")
_LAW = re.compile(rf"(?:Luật|Bộ luật|Pháp lệnh|Hiến pháp|Hiệp định|Hiệp ước|Công ước|Nghị quyết|Chỉ thị|Quyết định|Kế hoạch)"
                  rf"(?:\s+(?:số\s+)?(?:{_CAP_WORD}|[a-zđà-ỹ]+|\d[\w/-]*)){{1,10}}?(?=\s*[,;.()]|\s+(?:và|của|do|được|đã|về|ngày)\b|$)")
_QUOTED = re.compile(r"[\"“«']([^\"”»']{3,160})[\"”»']")
# what opens a photo credit ("Ảnh: Văn Điệp/TTXVN"), as a regex alternation (also used by qa/answer/candidates.py)
CREDIT_PREFIXES = "Ảnh|Ảnh minh họa|Ảnh minh hoạ|Photo|Nguồn ảnh"
_CREDIT = re.compile(r"(?:" + CREDIT_PREFIXES + r")\s*:\s*([^()\n]{2,80}?)\s*(?:\)|$|\.(?:\s|$))", re.IGNORECASE)
_CAPITAL_RUN = re.compile(rf"{_CAP_WORD}(?:[ -]{_CAP_WORD})*(?:/{_CAP_WORD})?")
_ORG_HEAD = re.compile(
    r"(?<!\w)(?:Quốc hội|Chính phủ|Bộ Chính trị|Ban Bí thư|Trung ương|Ban|Ủy ban|Uỷ ban|UBND|HĐND|Sở|Bộ|Hội|Mặt trận|"
    r"Văn phòng|Thành ủy|Thành uỷ|Quận ủy|Quận uỷ|Huyện ủy|Huyện uỷ|Tỉnh ủy|Tỉnh uỷ|Đảng ủy|Đảng uỷ|Đảng bộ|Hội đồng|"
    r"Cục|Tổng cục|Viện|Trung tâm|Đoàn|Công ty|Tập đoàn|Tổng công ty|Ngân hàng|Trường|Bệnh viện|Đại học|Học viện|"
    r"Liên đoàn|Liên hiệp|Tòa án|Viện kiểm sát|Công an|Quân khu|Bộ Tư lệnh|Câu lạc bộ|Đài|Báo|Tạp chí|Hãng|Tổ chức)(?!\w)")
_ORG_TAIL = set("vận ủy uỷ giáo quốc phố dân nước tra chính trị hội nghiệp vụ sự tế tịch viên ban trường thư đạo "
                "huy phòng trận biểu đồng binh niên nữ tộc ninh sát án vệ nghệ học ương hành mại".split())
_ORG_STOP = {"và", "của", "với", "các", "cùng", "tại", "trong", "về", "đã", "là", "có", "được", "cho", "theo", "do", "để"}
_PLACE_CUE = re.compile(
    r"(?:tại|ở|đến|về|tới|từ|thuộc|trên địa bàn|khu vực|tỉnh|thành phố|TP\.?|quận|huyện|thị xã|thị trấn|phường|xã|thôn|"
    r"ấp|bản|làng|vùng|miền|nước|quốc gia|châu|đảo|sông|núi|hồ|đường|phố)\s+$", re.IGNORECASE)
_ROLE_HEAD = re.compile(
    r"(?<!\w)(?:Ủy viên|Uỷ viên|Phó|Bí thư|Chủ tịch|Trưởng|Tổng Bí thư|Thủ tướng|Bộ trưởng|Thứ trưởng|Giám đốc|Tổng Giám đốc|"
    r"Chánh|Cục trưởng|Vụ trưởng|Viện trưởng|Hiệu trưởng|Đại biểu|Đại tướng|Thượng tướng|Trung tướng|Thiếu tướng|Đại tá|"
    r"Thượng tá|Trung tá|Thiếu tá|Tổng Thư ký|Thư ký|Chủ nhiệm|Người phát ngôn|Đại sứ|Tổng Lãnh sự|Chỉ huy trưởng|"
    r"Chủ nhiệm|Trưởng đoàn|Trưởng ban|Trưởng phòng|Tổng biên tập|Nhà văn|Nhà thơ|Nhà báo|Giáo sư|Phó Giáo sư|Tiến sĩ|"
    r"Bác sĩ|Nghệ sĩ|Kiến trúc sư|Kỹ sư|Luật sư|Doanh nhân|Huấn luyện viên|Vận động viên|Ca sĩ)(?!\w)")
_PUNCT_CUT = re.compile(r"\s*[,;:()–—\[\]]\s*")
_CONJ_CUT = re.compile(r"\s+(?=(?:và|nhưng|song|tuy nhiên|đồng thời|trong đó|theo đó|để|nhằm|vì|do|nên|khi|mà)\s)")
# A clause answer rarely keeps its joining word: "và tổng hợp dữ liệu" answers as "tổng hợp dữ liệu".
_LEADING = re.compile(r"^(?:và|nhưng|song|để|nhằm|vì|do|nên|khi|mà|là|thì|đến|tới|từ|tại|ở|với|cho|của|bởi|trong|theo)\s+",
                      re.IGNORECASE)


def dates(sentence: str) -> list[Span]:
    return [m.span() for m in _DATE.finditer(sentence) if any(c.isdigit() for c in m.group()) or "thế" in m.group().lower()
            or "quý" in m.group().lower()]


def numbers(sentence: str) -> list[Span]:
    """Numbers with their unit ("320 tỷ đồng"); a number without a unit also with the one and the two
    words after it, the noun it may count ("800 tàu cá", "42 bác sĩ"). A number inside a date ("19" of
    "Sáng 19/6", "2024" of "năm 2024", "2024–2025") is part of the date, not a count; a bare number that
    may be a year or a count ("800") is both."""
    in_dates = dates(sentence)
    spans = []
    for m in _NUMBER.finditer(sentence):
        text = m.group().strip()
        if not text or (not any(c.isdigit() for c in text) and len(text.split()) == 1 and text.lower() in ("năm", "ba", "mấy")):
            continue  # "năm" is also "year", "ba" also "father": a lone number word needs a following noun
        a, b = m.span()
        a += len(m.group()) - len(m.group().lstrip())
        b -= len(m.group()) - len(m.group().rstrip())
        if any(da <= a and b <= db and (db - da > b - a or not text.isdigit()) for da, db in in_dates):
            continue
        spans.append((a, b))
        if not _ENDS_WITH_UNIT.search(text):
            end = b
            for _ in range(2):  # the noun it may count: one word or two
                word = _COUNTED_WORD.match(sentence, end)
                if not word or word.group(1) in _ORG_STOP:
                    break
                end = word.end()
                spans.append((a, end))
    return spans


# A title, rank or honorific right before a name: the name is a person's ("Chủ tịch UBND tỉnh, ông ...").
TITLE_BEFORE = re.compile(
    _ROLE_HEAD.pattern.replace("(?<!\\w)(?:", "(?<!\\w)(?:ông|bà|anh|chị|đồng chí|") + r"[^.;:]{0,50}$", re.IGNORECASE)

# "Quyết định số 17-QĐ/UBND ngày 3/2/2024": a document cited with its date, the way Vietnamese official
# writing always dates a document (the date it was signed/issued).
DOCUMENT_DATE = re.compile(
    r"(\d+(?:/\d{4})?[-/][A-ZĐ][\wĐđ]*(?:[/-][\wĐđ]+)*)\s*,?\s*(?:ký\s+|ban hành\s+)?ngày\s+"
    r"(\d{1,2}\s*[/.-]\s*\d{1,2}\s*[/.-]\s*\d{4}|\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+\d{4})")

# Common Vietnamese family names (general vocabulary: where a personal name inside a run of capitals starts).
SURNAMES = set(
    "nguyễn trần lê phạm hoàng huỳnh phan vũ võ đặng bùi đỗ hồ ngô dương lý trương vương đinh đào đoàn lâm mai "
    "trịnh hà tô tạ lương lưu cao châu quách kiều thái la khúc hứa mạc triệu tăng từ chu ông nghiêm phùng kim giang "
    "lại diệp thân cù bạch lục âu tôn thạch viên quan lạc doãn hàn đàm đồng khổng ninh phí mạc".split()
)


def persons(sentence: str) -> list[Span]:
    """Personal names: runs of 2-5 capitalised syllables, and inside longer runs ("Tỉnh ủy Yên Lộc Lê
    Minh Đạo") the 2-4 syllables from a family name to the end of the run."""
    spans = []
    for m in _CAPITAL_RUN.finditer(sentence):
        words = list(re.finditer(r"[^\s/-]+", m.group()))
        if len(words) < 2:
            continue
        if len(words) <= 5 and not _ORG_HEAD.match(m.group()) and not _ROLE_HEAD.match(m.group()):
            spans.append(m.span())
        for size in (2, 3, 4):
            if len(words) > size:
                first = words[-size]
                if first.group().lower() in SURNAMES:
                    spans.append((m.start() + first.start(), m.end()))
    return spans


def roles(sentence: str) -> list[Span]:
    """Titles: from a role word to just before the name it introduces, or to the clause end."""
    spans = []
    names = sorted(persons(sentence))
    for head in _ROLE_HEAD.finditer(sentence):
        end = head.end()
        for word in re.finditer(r"\S+", sentence[head.end():]):
            bare = word.group().rstrip(",.;:)")
            if not bare or bare.lower() in _ORG_STOP:
                break
            end = head.end() + word.start() + len(bare)
            if bare != word.group():
                break
        # a personal name inside the title's words ends it: "Bí thư Tỉnh ủy Lê Minh Đạo"
        for a, b in names:
            if head.end() < a < end and sentence[a:].split()[0].lower() in SURNAMES and len(sentence[a:b].split()) <= 4:
                end = a
                break
        text = sentence[head.start():end].rstrip(" ,")
        if text:
            spans.append((head.start(), head.start() + len(text)))
    return spans


def organisations(sentence: str) -> list[Span]:
    spans = []
    for head in _ORG_HEAD.finditer(sentence):
        end = head.end()
        previous_capital = True
        for word in re.finditer(r"\S+", sentence[head.end():]):
            token = word.group()
            bare = token.rstrip(",.;:)")
            if not bare or bare.lower() in _ORG_STOP:
                break
            capital = bare[0].isupper() or bare[0].isdigit()
            if not capital and (not previous_capital or bare.lower() not in _ORG_TAIL):
                break
            end = head.end() + word.start() + len(bare)
            previous_capital = capital
            if bare != token:
                break
        if len(sentence[head.start():end].split()) >= 2:
            spans.append((head.start(), end))
    return spans


def places(sentence: str) -> list[Span]:
    """Capitalised runs after a place word or preposition ("tại Vĩnh Xuân", "tỉnh Yên Lộc"); with a unit
    word, the span is given both with it ("huyện Tân Lạc") and without it."""
    spans = []
    for m in _CAPITAL_RUN.finditer(sentence):
        window = sentence[max(0, m.start() - 30):m.start()]
        cue = _PLACE_CUE.search(window)
        if not cue:
            continue
        spans.append(m.span())
        if window[cue.start():].strip().lower() not in PLACE_PREPOSITIONS:
            spans.append((m.start() - (len(window) - cue.start()), m.end()))
    return spans


def documents(sentence: str) -> list[Span]:
    spans = [m.span() for m in DOCUMENT_CODE.finditer(sentence)]
    spans += [m.span() for m in _LAW.finditer(sentence)]
    spans += [m.span(1) for m in _QUOTED.finditer(sentence)]
    return spans


def credits(sentence: str) -> list[Span]:
    """Photo credits: "Ảnh: Văn Điệp/TTXVN" gives "Văn Điệp/TTXVN"."""
    return [m.span(1) for m in _CREDIT.finditer(sentence)]


def capitals(sentence: str) -> list[Span]:
    """Runs of capitalised words or acronyms: names of people, places, works, foreign terms. A single
    capitalised word counts only inside the sentence (the first word of a sentence is capitalised anyway)."""
    return [m.span() for m in _CAPITAL_RUN.finditer(sentence)
            if len(m.group().split()) > 1 or m.group().isupper() and len(m.group()) > 1
            or m.start() > 0 and sentence[:m.start()].rstrip()[-1:] not in ".:!?\"“"]


def quoted(sentence: str) -> list[Span]:
    return [m.span(1) for m in _QUOTED.finditer(sentence)]


def _cut(text: str, offset: int, pattern: re.Pattern) -> list[Span]:
    spans, cursor = [], 0
    for m in pattern.finditer(text):
        if m.start() > cursor:
            spans.append((offset + cursor, offset + m.start()))
        cursor = m.end()
    if cursor < len(text):
        spans.append((offset + cursor, offset + len(text.rstrip(" .!?…"))))
    return spans


def clauses(sentence: str) -> list[Span]:
    """The pieces a clause answer is made of: the sentence cut at punctuation, those pieces cut again
    at conjunctions, and each piece without its joining word ("và", "để", "tại", ...)."""
    pieces = _cut(sentence, 0, _PUNCT_CUT)
    pieces += [sub for a, b in pieces for sub in _cut(sentence[a:b], a, _CONJ_CUT)]
    out = []
    for a, b in pieces:
        out.append((a, b))
        lead = _LEADING.match(sentence[a:b])
        if lead and a + lead.end() < b:
            out.append((a + lead.end(), b))
    return [(a, b) for a, b in dict.fromkeys(out) if b - a >= 2]


EXTRACTORS: dict[str, Callable[[str], list[Span]]] = {
    "date": dates, "number": numbers, "person": persons, "role": roles, "organization": organisations,
    "place": places, "document": documents, "credit": credits, "capital": capitals, "quote": quoted, "clause": clauses,
}
# Which span kinds answer which asked type (the scorer sees this match as a feature, not a rule).
ANSWERS: dict[str, set[str]] = {
    "date": {"date"}, "published": {"date"}, "number": {"number"}, "person": {"person", "capital"},
    "author": {"person", "capital"}, "photo": {"credit", "person"}, "role": {"role"},
    "organization": {"organization", "capital"}, "outlet": {"organization", "capital"},
    "place": {"place", "capital"}, "document": {"document", "quote", "capital"},
    "list": {"clause"}, "reason": {"clause"}, "manner": {"clause"}, "summary": {"clause"}, "fact": set(),
}


def all_spans(sentence: str) -> list[tuple[str, Span]]:
    """Every typed span of a sentence, with its kind; the same text may come under several kinds."""
    out: list[tuple[str, Span]] = []
    seen: set[tuple[str, Span]] = set()
    for kind, extract in EXTRACTORS.items():
        for span in extract(sentence):
            a, b = span
            while a < b and sentence[a] in " ,;:(\"“": a += 1
            while b > a and sentence[b - 1] in " ,;:)\"”.": b -= 1
            if b > a and (kind, (a, b)) not in seen:
                seen.add((kind, (a, b)))
                out.append((kind, (a, b)))
    return out
