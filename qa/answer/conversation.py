"""Follow-ups read against the previous turn: "còn X thì sao?", "ai ký?", "thế còn năm 2024?", "what about 2023?".

General rules of Vietnamese (and English) questions, nothing about any article: a follow-up keeps the
previous question's frame and swaps in what changed (a year, a period, a document code, a place or a
name), or asks a new question word about the previous subject. A message holding several questions,
or a follow-up with nothing before it, is reported as a problem for the page to explain.

    previous = Previous("Quận Ba Đình tổ chức bao nhiêu hội nghị năm 2023?")
    resolve("còn quận Tây Hồ thì sao?", previous).question
    # 'Quận Tây Hồ tổ chức bao nhiêu hội nghị năm 2023?'
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from ..text.vntext import fold, has_diacritics
from ..text.vocabulary import (CODE_FOLDED, ENGLISH_QUESTION_PHRASES, PREPOSITIONS, QUESTION_PHRASES,
                              QUESTION_PHRASES_MARKED, SUMMARY_WORDS, YEAR_FROM_1800, reads_as_english)

MAX_FOLLOW_UP_WORDS = 8  # a follow-up fragment is short; a longer message is a question of its own


@dataclass(frozen=True, slots=True)
class Previous:
    """What a follow-up is read against: the previous question as understood, and the article its answer cited."""

    question: str
    article: str | None = None


@dataclass(frozen=True, slots=True)
class Resolution:
    """The question to answer, and how it was read from what the user typed."""

    question: str  # what is answered
    changed: bool = False  # differs from what was typed: the page shows "Hiểu là: …"
    rule: str = ""  # "swap", "append", "new-question-word", "this-article", "" (as typed)
    article: str | None = None  # answer from this article only ("bài này": the previous answer's article)
    problem: str | None = None  # "needs-previous" or "several-questions": nothing is answered
    parts: tuple[str, ...] = ()  # "several-questions": the questions found, each to ask on its own


# ---- words ----------------------------------------------------------------------------------------
_PARTICLES = r"(?:vậy|thế|à|ạ|nhỉ|nhé|nha|hả|hở|đây|thì|vay|the|a|nhi|nhe|ha|ho|day|thi|so|then|again)"
# Grammatical words that open a predicate: the subject of a question ends before them.
_PREDICATE = ("được", "đã", "sẽ", "đang", "bị", "có", "là", "do", "vừa", "mới", "đều", "cũng", "không",
              "duoc", "da", "se", "dang", "bi", "co", "la", "vua", "moi", "deu", "cung", "khong",
              "was", "were", "is", "are", "did", "does", "do", "has", "have", "had", "will")
_ENGLISH_AUX = r"(?:was|were|is|are|did|does|do|has|have|had|will|can|could|should)"

_PLACE_PREFIX = r"(?:thành phố|thanh pho|tp\.?|tỉnh|tinh|quận|quan|huyện|huyen|thị xã|thi xa|thị trấn|thi tran|xã|xa|" \
                r"phường|phuong|thôn|thon|ấp|ap|làng|lang|bản|ban|vùng|vung|miền|mien|nước|nuoc|châu|chau)"
_PERSON_PREFIX = r"(?:ông|bà|anh|chị|đồng chí|đ/c|ong|ba|dong chi|mr\.?|mrs\.?|ms\.?|dr\.?)"
_DOC_WORD = r"(?:quyết định|quyet dinh|kế hoạch|ke hoach|chỉ thị|chi thi|nghị quyết|nghi quyet|nghị định|nghi dinh|" \
            r"thông tư|thong tu|công văn|cong van|kết luận|ket luan|quy định|quy dinh|thông báo|thong bao|luật|luat|" \
            r"decision|plan|directive|resolution|decree|circular|law)(?:\s+(?:số|so|no\.?))?"
# Places named by their number ("Quận 7", "phường 12", "ấp 3", "District 1"): the number is the name.
_NUMBERED_PLACE = r"(?:quan|phuong|ap|thon|xom|khu pho|to dan pho|to|khu|district|ward)"
# What follows a number when it counts something ("5 năm", "3 lần", "20%"): then it is no part of a name
# ("năm 2020" after a number is the year that follows it, not a count).
_UNIT = r"(?:%|nam|thang|ngay|tuan|gio|phut|tuoi|nguoi|ho|lan|luot|ca|km|m|ha|tan|kg|ty|trieu|nghin|ngan|dong|usd|" \
        r"years?|months?|days?|people|times|percent)(?!\w)"
# A number standing for a name, after the name or its place word ("Long Đức 2", "phường 12", "tuyến số 18").
_NAME_NUMBER = rf"(?:(?:so|no\.?)\s+)?\d+[a-z]?(?![\w/-])(?![.,]\d)(?!\s*{_UNIT}(?!\s*\d))"
# Any other number, with what it counts ("60 tuổi", "số 18").
_NUMBER = rf"(?<![\w/.,-])(?:(?:so|no\.?)\s+)?\d+(?:[.,]\d+)*(?:\s*{_UNIT})?(?![\w/-])"
_PERIOD = (r"(?:quý|quy)\s+(?:[ivx]+|\d)(?:\s*/\s*\d{4})?|(?:tháng|thang)\s+\d{1,2}(?:\s*/\s*\d{4})?|"
           r"\d+\s+(?:tháng|thang)\s+(?:đầu|dau|cuối|cuoi)\s+(?:năm|nam)(?:\s+\d{4})?|"
           r"(?:giai đoạn|giai doan|nhiệm kỳ|nhiem ky)\s+\d{4}\s*[-–]\s*\d{4}|q[1-4](?:\s+\d{4})?|"
           r"(?:first|second|third|fourth) quarter(?: of \d{4})?")
# "bài này", "bài viết đó", "this article": the article the previous answer came from.
_THIS_ARTICLE = re.compile(r"\b(?:bai|bai viet|bai bao|tin nay|tin do)(?:\s+(?:nay|do|ay|tren|vua roi|vua xong))\b|"
                           r"\b(?:this|that|the same) (?:article|story|piece|report)\b")
# Words that point back to the previous subject.
_ANAPHOR_MARKED = re.compile(r"(?<!\w)(?:nó|họ|ông ấy|bà ấy|người đó|người này|việc (?:này|đó|ấy)|điều (?:này|đó)|"
                             r"(?:văn bản|quyết định|kế hoạch|chương trình|sự kiện|hội nghị|cuộc họp|đoàn|dự án|đề án)"
                             r"\s+(?:này|đó|ấy|trên|nói trên))(?!\w)", re.IGNORECASE)
_ANAPHOR_ENGLISH = re.compile(r"\b(?:it|this|that|they|them|he|she|him|her)\b", re.IGNORECASE)


def _fold(text: str) -> str:
    """Folded text of the same length as `text`, so that folded offsets are offsets in `text`."""
    folded = fold(text)
    return folded if len(folded) == len(text) else "".join(fold(ch)[:1] or " " for ch in text)


def _strip_end(text: str) -> str:
    return text.strip().rstrip("?？!.…,;: ").strip()


def _question_mark(text: str) -> str:
    text = _strip_end(text)
    return text[:1].upper() + text[1:] + "?" if text else text


def _wh_matches(text: str) -> list[re.Match]:
    """Question words in `text` (offsets into it): marked forms when it has diacritics, folded otherwise."""
    if has_diacritics(text):
        pattern, haystack = rf"(?<!\w){QUESTION_PHRASES_MARKED}(?!\w)", text.lower()
    else:
        pattern, haystack = rf"(?<!\w)(?:{QUESTION_PHRASES}|{ENGLISH_QUESTION_PHRASES})(?!\w)", text.lower()
    if len(haystack) != len(text):
        haystack = _fold(text)
        pattern = rf"(?<!\w)(?:{QUESTION_PHRASES}|{ENGLISH_QUESTION_PHRASES})(?!\w)"
    return list(re.finditer(pattern, haystack))


# ---- what a question names: years, periods, codes, names ------------------------------------------
@dataclass(frozen=True, slots=True)
class Slot:
    """Something a question names that a follow-up may replace: text[start:end], its prefix up to `body`."""

    kind: str  # "year", "period", "code", "place", "person", "name", "number"
    start: int
    end: int
    body: int  # where the name itself starts (after "quận", "ông", "Quyết định số" ...)


def slots(text: str) -> list[Slot]:
    """The years, periods, document codes, names and numbers of a question, in order, not overlapping.
    A name is whole: a place with its number ("Quận 7", "phường 12"), a name with the number that
    qualifies it ("Long Đức 2"), a numbered document ("Nghị định 100") are one slot each."""
    folded = _fold(text)
    found: list[Slot] = []

    def free(a: int, b: int) -> bool:
        return all(b <= s.start or a >= s.end for s in found)

    for m in re.finditer(rf"(?<!\w)(?:{_PERIOD})(?!\w)", folded):
        found.append(Slot("period", m.start(), m.end(), m.start()))
    for m in re.finditer(rf"(?<!\w)(?:({_DOC_WORD})\s+)?({CODE_FOLDED}|\d+)(?!\w)", folded):
        if free(m.start(), m.end()) and re.search(r"[a-z]", m.group(2)):
            found.append(Slot("code", m.start(), m.end(), m.start(2)))
        elif free(m.start(), m.end()) and m.group(1):  # "Quyết định 17": a numbered document
            found.append(Slot("code", m.start(), m.end(), m.start(2)))
    for m in re.finditer(rf"(?<!\w)(?:(?:năm|nam|in)\s+)?({YEAR_FROM_1800})", folded):
        if free(m.start(1), m.end(1)):
            found.append(Slot("year", m.start(), m.end(), m.start(1)))
    for m in re.finditer(rf"(?<!\w){_NUMBERED_PLACE}\s+({_NAME_NUMBER})", folded):
        if free(m.start(), m.end()):
            found.append(Slot("place", m.start(), _qualified(text, m.end()), m.start(1)))
    for start, end in _capitalised_runs(text):
        inside = [s.start for s in found if start < s.start < end]
        if inside:  # "UBND Quận 7": the run stops where a numbered place, code or year begins
            end = start + len(text[start:min(inside)].rstrip())
        if not free(start, end):
            continue
        number = re.match(rf"\s+{_NAME_NUMBER}", folded[end:])
        if number and free(end, end + number.end()):
            end += number.end()  # "Long Đức 2", "District 7": the number belongs to the name
        before = folded[max(0, start - 14):start]
        run = folded[start:end]
        kind, body = "name", start
        place_inside = re.match(rf"{_PLACE_PREFIX}(?:\s+|(?<=\.))(?=\S)", run)
        person_inside = re.match(rf"{_PERSON_PREFIX}\s+(?=\S)", run)
        if place_inside and end - start > place_inside.end():
            kind, body = "place", start + place_inside.end()
        elif person_inside and end - start > person_inside.end():
            kind, body = "person", start + person_inside.end()
        elif m := re.search(rf"(?<!\w){_PLACE_PREFIX}\s+$", before):
            kind, start = "place", start - (len(before) - m.start())
        elif m := re.search(rf"(?<!\w){_PERSON_PREFIX}\s+$", before):
            kind, start = "person", start - (len(before) - m.start())
        end = _qualified(text, end)
        if free(start, end):
            found.append(Slot(kind, start, end, body))
    for m in re.finditer(_NUMBER, folded):
        if free(m.start(), m.end()):
            digits = re.search(r"\d", m.group())
            found.append(Slot("number", m.start(), m.end(), m.start() + digits.start()))
    return sorted(found, key=lambda s: s.start)


def _qualified(text: str, end: int) -> int:
    """The end of a name with the qualifier that follows it: "Quận 9 cũ", "Quận 2 (cũ)", "xã Tân Lập (mới)"."""
    m = re.match(r"\s*\((?:cũ|mới|cu|moi)\)|\s+cũ(?!\w)", text[end:], re.IGNORECASE)
    return end + m.end() if m else end


def _capitalised_runs(text: str) -> list[tuple[int, int]]:
    """Runs of capitalised words ("Ba Đình", "TP.CT", "UBND"). The message's first word is capitalised
    whatever it is, so it opens a run only when the next word is capitalised too. As in `Question`, one
    capitalised syllable before a lowercase one is a capitalised common noun ("Chủ tịch", "Khu công
    nghiệp"), not a name."""
    tokens = list(re.finditer(r"(?<!\w)[^\W\d_][\w]*(?:\.[^\W\d_][\w]*)*\.?", text))
    runs: list[tuple[int, int]] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if not tok.group()[:1].isupper() or re.fullmatch(rf"{ENGLISH_QUESTION_PHRASES}|{_ENGLISH_AUX}", tok.group().lower()):
            i += 1
            continue
        j = i
        while j + 1 < len(tokens) and tokens[j + 1].group()[:1].isupper() and text[tokens[j].end():tokens[j + 1].start()] == " ":
            j += 1
        at_start = text[:tok.start()].strip(" \"'“«(") == ""
        single = j == i and not tok.group().isupper() and "." not in tok.group()
        next_lower = j + 1 < len(tokens) and text[tok.end():tokens[j + 1].start()] == " " \
            and tokens[j + 1].group()[:1].islower() and len(re.findall(r"[aeiouy]+", _fold(tok.group()))) < 2
        if single and (at_start or next_lower):
            i += 1
            continue
        end = tokens[j].end()
        if text[end - 1] == "." and "." not in text[tokens[j].start():end - 1]:
            end -= 1  # a sentence's full stop, not part of the name
        runs.append((tok.start(), end))
        i = j + 1
    return runs


def _kind_of(phrase: str) -> Slot | None:
    """What a follow-up's new phrase is: the one slot that covers most of it."""
    found = slots(phrase)
    if not found and re.fullmatch(_NAME_NUMBER, _fold(phrase)):  # "12B", "số 150": a number of its own
        return Slot("number", 0, len(phrase), re.search(r"\d", phrase).start())
    found = found or [Slot("name", 0, len(phrase), 0)] if phrase else []
    if not found:
        return None
    best = max(found, key=lambda s: s.end - s.start)
    if best.kind == "name" and re.match(rf"{_PLACE_PREFIX}\s+\S", _fold(phrase)):
        return Slot("place", 0, len(phrase), re.match(rf"{_PLACE_PREFIX}\s+", _fold(phrase)).end())
    if best.kind == "name" and re.match(rf"{_PERSON_PREFIX}\s+\S", _fold(phrase)):
        return Slot("person", 0, len(phrase), re.match(rf"{_PERSON_PREFIX}\s+", _fold(phrase)).end())
    return best


# ---- several questions at once --------------------------------------------------------------------
def split_questions(message: str) -> list[str]:
    """The questions a message asks: one for an ordinary question, several for "A? B?" or
    "ai ký … và khi nào …" (two clauses, each with its own question word). `message` is cleaned text."""
    text = message
    pieces = [p.strip(" ;,") for p in re.split(r"[?？;]+", text) if p.strip(" ;,.!")]
    asking = list(dict.fromkeys(_question_mark(p) for p in pieces if len(p.split()) >= 2 and _wh_matches(p)))
    if len(asking) >= 2:
        return asking
    if len(asking) == 1 and len(pieces) > 1 and all(_question_mark(p) == asking[0] for p in pieces):
        return asking  # one question pasted several times: that question
    joined = re.split(r",?\s+(?:và|còn|rồi|va|and|also)\s+", _strip_end(text), flags=re.IGNORECASE)
    if len(joined) >= 2:
        clauses = [c for c in joined if len(c.split()) >= 3 and _wh_matches(c)]
        if len(clauses) == len(joined):
            return [_question_mark(c) for c in clauses]
    return [text]


# ---- the previous question's frame -------------------------------------------------------------------
def _without_question_phrase(question: str) -> tuple[str, str]:
    """(the question without its question phrase and final mark, the phrase) — "Quyết định X được ban
    hành vào ngày nào?" -> ("Quyết định X được ban hành", "vào ngày nào")."""
    text = _strip_end(question)
    if reads_as_english(text):
        m = re.match(rf"\s*({ENGLISH_QUESTION_PHRASES}(?:\s+\w+)??\s+{_ENGLISH_AUX})\s+", text, re.IGNORECASE) or \
            re.match(rf"\s*({ENGLISH_QUESTION_PHRASES})\s+", text, re.IGNORECASE)
        if m:
            return text[m.end():].strip(), m.group(1)
        return text, ""
    matches = _wh_matches(text)
    if not matches:
        return text, ""
    m = matches[-1] if matches[-1].end() >= len(text) - 1 else matches[0]
    start, end = m.start(), m.end()
    folded = _fold(text)
    if folded[start:end] in ("nao", "gi"):  # the noun it asks about belongs to the phrase ("ngày nào")
        before = list(re.finditer(r"\w+", folded[:start]))
        if before:
            start = before[-1].start()
    prep = re.search(r"(?:^|\s)(vao|o|tai|tu|trong|luc|boi)\s+$", folded[:start])
    if prep:
        start = prep.start(1)
    rest = (text[:start] + " " + text[end:]).strip(" ,")
    return " ".join(rest.split()), text[start:end]


def _subject(core: str, english: bool = False) -> str:
    """The subject of a question without its question phrase: up to the first predicate word after a
    name or code ("Quyết định X được ban hành" -> "Quyết định X"); the whole of it when there is none."""
    names = [s for s in slots(core) if s.kind != "number"]
    if not names:
        return core
    first = names[0]
    if english:  # "Decision 15 issued" -> "Decision 15": English subjects end with their name
        return core[:first.end].strip(" ,")
    words = list(re.finditer(r"\S+", core))
    for w in words:
        if w.start() >= first.end and w.group().lower().strip(",") in _PREDICATE:
            return core[:w.start()].strip(" ,")
    return core


# ---- the resolver ----------------------------------------------------------------------------------
_SWAP_PATTERNS = [
    re.compile(r"^(?:(?:the|vay|the thi|vay thi|con)\s+)?con\s+(?P<x>.+?)\s+(?:thi\s+)?(?:sao|the nao|ra sao|nhu the nao)$"),
    re.compile(r"^(?:the|vay)\s+con\s+(?P<x>.+)$"),
    re.compile(r"^con\s+(?P<x>.+)$"),
    re.compile(r"^(?P<x>.+?)\s+thi\s+(?:sao|the nao|ra sao|nhu the nao)$"),
    re.compile(r"^(?:and\s+|so\s+)?(?:what|how)\s+about\s+(?P<x>.+)$"),
    re.compile(r"^and\s+(?P<x>.+)$"),
]


def resolve(message: str, previous: Previous | None = None) -> Resolution:
    """Read `message` against the previous turn; an ordinary question comes back as it was typed.

    `message` and `previous.question` are cleaned text (as `qa.engine.clean_question` leaves it: the chat
    cleans what is typed once, where it comes in); nothing here cleans them again."""
    text = message
    parts = split_questions(text)
    if len(parts) >= 2:
        return Resolution(text, problem="several-questions", parts=tuple(parts))
    if parts[0] != text and parts[0].rstrip("?") in text:
        text = parts[0]  # the same question repeated: asked once
    bare = re.sub(rf"(?:\s+{_PARTICLES})+$", "", _strip_end(text), flags=re.IGNORECASE)
    folded = _fold(bare).lower()

    this_article = _THIS_ARTICLE.search(_fold(text))
    swap = _swap_target(bare, folded)
    fragment = swap is None and _is_fragment(bare)
    if not (swap or fragment or this_article):
        return Resolution(text)
    if previous is None or not previous.question:
        if this_article and not (swap or fragment):
            return Resolution(text)  # "bài này" with nothing before: the question as typed, over all articles
        return Resolution(text, problem="needs-previous")
    before = previous.question

    if this_article and not (swap or fragment):
        if previous.article:
            return Resolution(text, changed=True, rule="this-article", article=previous.article)
        return Resolution(text)
    if swap is not None:
        question, rule = _swapped(before, swap)
        return Resolution(question, changed=True, rule=rule,
                          article=previous.article if this_article else None)
    question = _with_new_question_word(before, bare)
    return Resolution(question, changed=True, rule="new-question-word",
                      article=previous.article if this_article else None)


def _swap_target(bare: str, folded: str) -> str | None:
    """The new phrase of "còn X thì sao?" / "thế còn X?" / "what about X?" (None: not that shape)."""
    for pattern in _SWAP_PATTERNS:
        m = pattern.match(folded)
        if not m:
            continue
        x = bare[m.start("x"):m.end("x")].strip(" ,")
        if not x or len(x.split()) > 6 or _wh_matches(x):
            continue
        if pattern.pattern.startswith(("^con", "^and")) and len(x.split()) > 4:
            continue
        return x
    return None


def _is_fragment(bare: str) -> bool:
    """A short message asking a question word about something it does not name: "ai ký?", "khi nào?",
    "who signed it?" (a message that names a year, a code or a name is a question of its own)."""
    words = bare.split()
    if not words or len(words) > MAX_FOLLOW_UP_WORDS or not _wh_matches(bare):
        return False
    if any(s.kind != "number" for s in slots(bare)):
        return False
    pointing = bool(_ANAPHOR_MARKED.search(bare) or (reads_as_english(bare) and _ANAPHOR_ENGLISH.search(bare)))
    return len(words) <= 3 or pointing


def _swapped(before: str, phrase: str) -> tuple[str, str]:
    """The previous question with `phrase` in place of what it names of the same kind (or added to it)."""
    phrase = phrase.strip()
    head = re.match(rf"(?:{'|'.join(PREPOSITIONS)})\s+(?=\S)", _fold(phrase))
    kernel = phrase[head.end():] if head and not re.match(r"(?:nam|in)\s+\d", _fold(phrase)) else phrase
    new = _kind_of(kernel)
    english = reads_as_english(before)
    target = _target(slots(before), new, kernel, before) if new is not None else None
    if target is not None:
        a, b, replacement = _replacement(before, target, kernel, new)
        return _question_mark(before[:a] + replacement + before[b:]), "swap"
    if new is not None and new.kind == "year":
        digits = re.search(YEAR_FROM_1800, kernel).group()
        return _question_mark(f"{_strip_end(before)} {'in' if english else 'năm'} {digits}"), "append"
    if new is not None and new.kind == "period":
        return _question_mark(f"{_strip_end(before)} {kernel}"), "append"
    if new is not None and new.kind == "place" and not english:
        return _question_mark(f"{_strip_end(before)} ở {kernel}"), "append"
    return _question_mark(f"{_strip_end(before)} ({phrase})"), "append"


def _is_acronym(name: str) -> bool:
    """"UBND", "CDC", "HĐND": written in capitals ("TP.HCM" is a place's abbreviation, not a body's)."""
    return bool(re.fullmatch(r"[^\W\d_]{2,}", name)) and name.isupper()


def _prefix(text: str, slot: Slot) -> str:
    """The place word, title or document word a slot opens with ("phuong" of "phường 12"), folded."""
    return " ".join(_fold(text[slot.start:slot.body]).split()[:1])


def _target(old: list[Slot], new: Slot, kernel: str, before: str) -> Slot | None:
    """What of the previous question the new phrase replaces: the last thing of its kind; a bare name
    replaces a place, person or name, preferably one with the same place word or title ("phường")."""
    same = [s for s in old if s.kind == new.kind]
    if new.kind == "number" and not same:  # "còn 12?" after "Quận 7": the number of a numbered name
        same = [s for s in old if s.kind in ("place", "name") and re.search(r"\d", before[s.start:s.end])]
    if new.kind in ("place", "person", "name"):
        # an acronym ("UBND", "CDC") names a body; a name of words replaces a name of words
        acronym = _is_acronym(kernel[new.start:new.end])
        named = [s for s in old if s.kind in ("place", "person", "name")]
        same = [s for s in same if _is_acronym(before[s.start:s.end]) == acronym] or \
            [s for s in named if _is_acronym(before[s.start:s.end]) == acronym] or same or named
    prefix = _prefix(kernel, new)
    alike = [s for s in same if prefix and _prefix(before, s) == prefix]
    return (alike or same or [None])[-1]


def _replacement(before: str, target: Slot, kernel: str, new: Slot) -> tuple[int, int, str]:
    """(start, end, text): the part of `before` to replace and what replaces it. A whole name goes: a
    numbered place ("Quận 7") is its number, so "Cẩm Lệ" replaces all of it; "Ba Đình" of "Quận Ba Đình"
    is the name, so "Tây Hồ" gives "Quận Tây Hồ"."""
    if new.kind == "year":
        digits = re.search(YEAR_FROM_1800, kernel)
        return target.body, target.end, digits.group() if digits else kernel
    bare_number = re.fullmatch(r"(?:(?:số|so|no\.?)\s+)?(\d+\w*)", kernel.strip(), re.IGNORECASE)
    if new.kind == "number" and bare_number:  # "còn 12?": the number changes, the rest of the name stays
        digits = list(re.finditer(r"\d+(?:[.,]\d+)*[^\W\d_]?", before[target.start:target.end]))[-1]
        return target.start + digits.start(), target.start + digits.end(), bare_number.group(1)
    numbered = re.match(_NAME_NUMBER, _fold(before[target.body:target.end]))
    if new.body > new.start or target.body == target.start or numbered:
        a, text = target.start, kernel
        # "còn cầu Mỹ Thuận?" after "... cầu Rạch Miễu 2": the words the phrase repeats from before the name
        lead = _fold(kernel[:new.start]).split()
        if lead and all(w in _fold(before[:a]).split()[-3:] for w in lead):
            text = kernel[new.start:]
    else:
        a, text = target.body, kernel[new.body:]
    return a, target.end, text


def _with_new_question_word(before: str, fragment: str) -> str:
    """"ai ký?" after "Quyết định X được ban hành ngày nào?" -> "Ai ký Quyết định X?"; "khi nào?" after
    "Quận Y tổ chức bao nhiêu hội nghị?" -> "Quận Y tổ chức hội nghị khi nào?"."""
    core, _ = _without_question_phrase(before)
    wh = _wh_matches(fragment)
    only_wh = not re.sub(rf"(?<!\w)(?:{'|'.join(PREPOSITIONS)}|{_PARTICLES})(?!\w)", " ",
                         (fragment[:wh[0].start()] + fragment[wh[-1].end():]).lower()).strip() if wh else False
    if only_wh:
        if reads_as_english(before) and reads_as_english(fragment):
            m = re.match(rf"\s*{ENGLISH_QUESTION_PHRASES}\b", _strip_end(before), re.IGNORECASE)
            if m:  # "When was X issued?" + "where?" -> "Where was X issued?"
                return _question_mark(_strip_end(fragment) + _strip_end(before)[m.end():])
        return _question_mark(f"{core} {_strip_end(fragment)}")
    subject = _subject(core, reads_as_english(before))
    pointer = _ANAPHOR_MARKED.search(fragment) or (_ANAPHOR_ENGLISH.search(fragment) if reads_as_english(fragment) else None)
    if pointer:
        return _question_mark(fragment[:pointer.start()] + subject + fragment[pointer.end():])
    if wh and wh[0].start() == 0:  # "ai ký" + subject: the subject is what is asked about
        return _question_mark(f"{_strip_end(fragment)} {subject}")
    return _question_mark(f"{subject} {_strip_end(fragment)}")


# ---- articles named by their title --------------------------------------------------------------------
def is_summary_request(message: str) -> bool:
    """Whether a (cleaned) message asks for a summary ("tóm tắt", "nội dung chính", "summarise")."""
    return bool(SUMMARY_WORDS.search(_fold(message)))


def match_title(message: str, titles: Mapping[str, str], *, quoted_only: bool = False) -> str | None:
    """The article whose title the message names: a «quoted» or "quoted" title, or (unless
    `quoted_only`) most of a title's words. None when no title is named clearly. `message` is cleaned text."""
    text = message
    quoted = [q for q in re.findall(r"[«“\"]([^«»“”\"]{4,})[»”\"]", text)]
    best, best_score = None, 0.0
    targets = [_words(q) for q in quoted] if quoted else ([] if quoted_only else [_words(text)])
    for words in targets:
        if not words:
            continue
        for article_id, title in titles.items():
            title_words = _words(title)
            if len(title_words) < 2:
                continue
            inside = sum(1 for w in title_words if w in words) / len(title_words)
            extra = sum(1 for w in words if w not in title_words) / len(words) if quoted else 0.0
            score = inside - 0.5 * extra
            if score > best_score:
                best, best_score = article_id, score
    needed = 0.8 if quoted else 0.7
    return best if best_score >= needed else None


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"\w+", _fold(text)) if len(w) > 1 or w.isdigit()}


__all__ = ["Previous", "Resolution", "resolve", "split_questions", "slots", "match_title", "is_summary_request"]
