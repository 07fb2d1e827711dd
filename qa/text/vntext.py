"""Vietnamese text handling: normalisation, diacritic folding, tokens and sentence spans."""
from __future__ import annotations

import functools
import re
import unicodedata

# Unicode spaces that scraped pages use in place of a plain space (no-break, thin, ideographic...).
_ODD_SPACES = re.compile(r"[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\t\f\v]")
_ZERO_WIDTH = re.compile(r"[\u200b-\u200d\u2060\ufeff]")
TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"  # huyền, sắc, ngã, hỏi, nặng
# Open syllables ending in oa / oe / uy are written two ways ("hoà"/"hòa", "uỷ"/"ủy").
# In NFD the tone follows its vowel, so moving one combining mark picks one spelling.
_NEW_STYLE_TONE = re.compile(r"(?<![qQ])([oOuU])([aAeEyY])([" + TONE_MARKS + r"])(?![\w\u0300-\u036f])")


def clean_spaces(text: str) -> str:
    """NFC, drop zero-width characters and turn odd spaces into plain ones (text stays readable)."""
    text = unicodedata.normalize("NFC", text)
    text = _ZERO_WIDTH.sub("", text)
    return _ODD_SPACES.sub(" ", text)


def _canonical_tone(word_nfd: re.Match) -> str:
    return word_nfd.group(1) + word_nfd.group(3) + word_nfd.group(2)


def canonical(text: str) -> str:
    """One spelling for search: NFC with the tone of open oa/oe/uy on the first vowel ("hoà" -> "hòa").

    "quý" keeps its tone on y: after q the u belongs to the consonant.
    """
    nfd = unicodedata.normalize("NFD", text)
    nfd = _NEW_STYLE_TONE.sub(_canonical_tone, nfd)
    return unicodedata.normalize("NFC", nfd)


def _fold_char(ch: str) -> str:
    base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
    return {"đ": "d", "Đ": "D"}.get(ch, base)


# One table lookup per character: folding runs on every sentence a question is matched against.
_FOLD_TABLE = {cp: _fold_char(chr(cp)) for cp in range(0xC0, 0x2000) if _fold_char(chr(cp)) != chr(cp)}
_FOLD_TABLE.update({cp: None for cp in range(0x300, 0x370)})  # combining marks of NFD input


@functools.lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lowercase without diacritics ("Quyết định" -> "quyet dinh"), for questions typed without them."""
    return text.translate(_FOLD_TABLE).lower()


def unaccented(text: str) -> str:
    """Without diacritics, case kept ("Vĩnh Xuân" -> "Vinh Xuan"): one character per character of NFC text."""
    return text.translate(_FOLD_TABLE)


def has_diacritics(text: str) -> bool:
    return fold(text) != text.lower()


@functools.lru_cache(maxsize=65536)
def search_form(text: str) -> str:
    """The form text is compared in: clean spaces, NFC, canonical tone placement, lowercase."""
    return canonical(clean_spaces(text)).lower()


# The shape of a Vietnamese syllable, folded: an initial consonant, one to three vowels, a final consonant
# ("k" of names written in the languages of the Central Highlands). "Nghi", "Quang", "An" have it; "Lake",
# "City", "Zone", "Marathon" do not.
_SYLLABLE_SHAPE = re.compile(
    r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?[aeiouy]{1,3}(?:ch|ng|nh|[cmnptk])?")


def vietnamese_syllable(word: str) -> bool:
    """Whether a word is shaped like one Vietnamese syllable (with or without its marks)."""
    return bool(_SYLLABLE_SHAPE.fullmatch(fold(word).lower()))


# A token is a word, number, date or document code; codes keep their inner -/. ("17-qđ/ubnd", "5.000").
_TOKEN = re.compile(r"\w+(?:[-/.]\w+)*")
_PARTS = re.compile(r"[-/.]")


def words(text: str) -> list[str]:
    """Syllables and codes of `text` in search form, in order (one-letter words such as "ở" kept)."""
    return _TOKEN.findall(search_form(text))


def tokens(text: str, *, exact: bool = True, folded: bool = True) -> list[str]:
    """BM25 terms: syllables, the parts of codes, syllable bigrams; exact and/or folded ("~") forms.

    A query with diacritics uses both fields so that an exact match outranks a folded one;
    a query typed without diacritics uses only the folded field.
    """
    unigrams: list[str] = []
    syllables: list[str] = []
    for word in words(text):
        unigrams.append(word)
        if _PARTS.search(word):
            parts = [p for p in _PARTS.split(word) if p]
            unigrams.extend(parts)
            syllables.append(word)
        else:
            syllables.append(word)
    bigrams = [f"{a}_{b}" for a, b in zip(syllables, syllables[1:])]
    terms = unigrams + bigrams
    out: list[str] = []
    if exact:
        out.extend(terms)
    if folded:
        out.extend("~" + fold(t) for t in terms)
    return out


# Abbreviations after which a period does not end a sentence ("TP. Vĩnh Xuân", "ThS. Lê").
_ABBREVIATIONS = {
    "tp", "tt", "ts", "ths", "pgs", "gs", "bs", "ks", "ls", "nxb", "q", "p", "tx", "st", "mr", "mrs",
    "dr", "no", "vs", "etc", "v.v", "tr", "đ/c",
}
_SENTENCE_END = re.compile(r"([.!?…]+)([\"'”’)\]]*)(\s+)(?=[\"'“‘(\[]?[\w])")


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences in text[start:end]; paragraphs always end a sentence.

    A period ends a sentence only when a capital letter, digit or quote follows a space, and the
    word before it is not an abbreviation or an initial: "TP. Vĩnh Xuân", "4.7", "5.000", "17-QĐ/UBND"
    and "…" inside a sentence stay whole.
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    for para in re.finditer(r"[^\n]+", text[start:end]):
        p_start = start + para.start()
        p_text = para.group()
        cursor = 0
        for m in _SENTENCE_END.finditer(p_text):
            nxt = p_text[m.end():m.end() + 1]
            if not (nxt.isupper() or nxt.isdigit() or nxt in "\"'“‘(["):
                continue
            before = p_text[cursor:m.start()].split()
            last = before[-1].lower().strip("(\"'“") if before else ""
            if m.group(1) == "." and (last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha())):
                continue
            _add_span(spans, p_text, p_start, cursor, m.end(2))
            cursor = m.end()
        _add_span(spans, p_text, p_start, cursor, len(p_text))
    return spans


def _add_span(spans: list[tuple[int, int]], para: str, offset: int, a: int, b: int) -> None:
    piece = para[a:b]
    stripped = piece.strip()
    if stripped:
        lead = len(piece) - len(piece.lstrip())
        spans.append((offset + a + lead, offset + a + lead + len(stripped)))
