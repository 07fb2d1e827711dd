r"""The package encodes no fact of the articles we test on: no person, place, outlet, document code or
quoted phrase harvested from seeds/ or from the question sets' articles (eval/*/: text, Markdown, saved
pages and archives) appears in qa/'s modules and data files, comments included, nor written as a regex
(`Tam\s+Nông`) or joined (`TamNông`, `tam_nong`).

Rules and vocabulary must hold for any Vietnamese news article; a name taken from the articles we
test on is tuning to them. The harvest below is deliberately broad; general vocabulary (role titles,
kinds of bodies, units) never matches it because only names, codes, outlets and quotes are harvested.
"""
from __future__ import annotations

import json

import re
from pathlib import Path

import pytest

from qa.ingest.corpus import read_corpus
from qa.text.vntext import clean_spaces, fold

REPO = Path(__file__).resolve().parents[1]
SURNAMES = set("nguyễn trần lê phạm hoàng huỳnh phan vũ võ đặng bùi đỗ hồ ngô dương lý trương vương đinh đào "
               "đoàn lâm mai trịnh hà tô tạ lương lưu cao châu".split())
_UPPER = "".join(c for c in map(chr, range(0x41, 0x2000)) if c.isupper() and c.isalpha())
_CAP = rf"(?<![^\W\d_])[{_UPPER}][^\W\d_]*"
# Names whose folded form is also a common phrase: the district Minh Hóa is "minh họa" (an illustration,
# "Ảnh minh họa") once folded, the town La Gi "là gì" ("what is"), the ward Định Công "đình công" (a
# strike), the commune Tư Đoàn "từ đoạn" ("from the passage"), the person Nguyễn Văn Tư "nguyên văn từ"
# ("verbatim from"), the city Đồng Hới "đồng. Hội" ("… 40 tỷ đồng. Hội nghị …", across a sentence end).
COMMON_WORDS = {"minh hoa", "la gi", "dinh cong", "tu doan", "nguyen van tu", "dong hoi"}


def _seed_text() -> str:
    return "\n".join(clean_spaces(p.read_text(encoding="utf-8")) for p in sorted((REPO / "seeds").glob("*.txt")))


def _eval_text() -> str:
    """The articles of every question set's folder: text and Markdown files as they are (their date and
    source lines included), and every article as the reader reads it (saved pages, archive rows), with
    its outlet and author on "Nguồn:" / "Tác giả:" lines so that the harvest finds them."""
    texts = []
    for folder in sorted(p for p in (REPO / "eval").iterdir() if p.is_dir()):
        texts += [p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*")) if p.suffix in (".txt", ".md")]
        articles, _ = read_corpus(folder)
        for a in articles:
            texts.append("\n".join([a.title, a.text, *(f"Nguồn: {a.outlet}" for _ in [0] if a.outlet),
                                    *(f"Tác giả: {a.author}" for _ in [0] if a.author)]))
    return clean_spaces("\n".join(texts))


SOURCES = {"seeds": _seed_text, "eval": _eval_text}


def harvest(text: str) -> dict[str, set[str]]:
    """Names, places, codes, outlets and quoted phrases of the articles, folded."""
    found: dict[str, set[str]] = {"person": set(), "place": set(), "code": set(), "outlet": set(), "quote": set()}
    for m in re.finditer(rf"{_CAP}(?: {_CAP}){{2,3}}", text):
        words = m.group().split()
        for i in range(len(words) - 2):  # a personal name: family name + 2-3 syllables, anywhere in a run
            if words[i].lower() in SURNAMES and len(words) - i <= 4:
                name = fold(" ".join(words[i:]))
                if name not in COMMON_WORDS:
                    found["person"].add(name)
                break
    for m in re.finditer(rf"(?i:quận|huyện|phường|xã|tỉnh|thành phố|TP\.?)\s+((?:{_CAP}|\d+)(?: {_CAP})*)", text):
        # one syllable ("xã Đông", "phường III") folds to a common word ("đông", the numeral): only names of two
        # syllables or more are checked
        if len(m.group(1).split()) >= 2 and fold(m.group(1)) not in COMMON_WORDS:
            found["place"].add(fold(m.group(1)))
    for m in re.finditer(r"^Tác giả\s*:\s*(\S+(?: \S+)+)$", text, re.MULTILINE):  # a byline of two words or more
        found["person"].add(fold(m.group(1)))
    for m in re.finditer(r"\b\d+-[A-ZĐ]+(?:/[A-ZĐ]+)*", text):
        found["code"].add(fold(m.group()))
    for m in re.finditer(r"^(?:Nguồn|Theo)\s*:\s*(.+)$", text, re.MULTILINE):
        if m.group(1).strip():
            found["outlet"].add(fold(m.group(1).strip(" .")))
    for m in re.finditer(r"^\(([^()\d]{2,40})\)", text, re.MULTILINE):
        found["outlet"].add(fold(m.group(1)))
    for m in re.finditer(r"\b[\w-]+\.(?:vn|com|net|org)\b", text, re.IGNORECASE):
        found["outlet"].add(fold(m.group()))
    for m in re.finditer(r"[\"“'‘]([^\"”'’\n]{12,200})[\"”'’]", text):
        if len(m.group(1).split()) >= 3:
            found["quote"].add(fold(m.group(1)))
    return found


def package_text() -> str:
    files = sorted((REPO / "qa").rglob("*.py")) + sorted((REPO / "qa").rglob("*.json"))
    return as_words(fold(clean_spaces("\n".join(_package_file_text(p) for p in files))))


def _package_file_text(path) -> str:
    """A file's text; a reader model file without its tokenizer's pieces, which are XLM-R's vocabulary pruned
    by script and shape (qa/train/reader_train.py), not written from any article, and among whose 47,000
    word pieces short place names joined into one word ("hanoi", "babe") occur as English pieces."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        data = json.loads(text)
        if isinstance(data, dict) and "tokenizer" in data:
            data = {key: value for key, value in data.items() if key != "tokenizer"}
            return json.dumps(data, ensure_ascii=False)
    return text


def as_words(text: str) -> str:
    """Folded text as the words a name would be found among: a regex's escapes (\\s, \\w, \\b, ...) and
    underscores read as spaces, so that `Tam\\s+Nông` and `tam_nong` are the words "tam nong"."""
    return _words(re.sub(r"\\[a-z]", " ", text).replace("_", " "))


def _words(text: str) -> str:
    return " " + " ".join(re.findall(r"\w+", text)) + " "


def leaked(harvested: set[str], words: str) -> list[str]:
    """The harvested items found in `words` (from `as_words`): as words, or joined into one ("tamnong")."""
    joined = set(words.split())
    return sorted(item for item in harvested
                  if _words(item) in words or _words(item).strip().replace(" ", "") in joined)


def test_the_harvest_finds_what_it_should():
    """The check is only as good as its harvest: it must find the shapes it looks for."""
    sample = ("Ngày 3/2, ông Lê Minh Khôi, Chủ tịch UBND huyện Tam Nông, ký Quyết định 17-QĐ/UBND "
              "về chương trình \"nông thôn mới kiểu mẫu\".\nNguồn: Báo Đồng Tháp\n(ĐTO) Sáng nay")
    found = harvest(sample)
    assert "le minh khoi" in found["person"]
    assert "tam nong" in found["place"]
    assert "17-qd/ubnd" in found["code"]
    assert {"bao dong thap", "dto"} <= found["outlet"]
    assert "nong thon moi kieu mau" in found["quote"]


def test_a_name_is_found_however_the_code_writes_it():
    """Plainly, inside a regex, joined into one word or with underscores: all the same name."""
    for code in ['"huyện Tam Nông"', r're.compile(r"Tam\s+Nông")', r'r"(?:tam\s*nong)"', "TAM_NONG = 1", '"TamNông"']:
        assert leaked({"tam nong"}, as_words(fold(code))) == ["tam nong"], code
    assert leaked({"tam nong"}, as_words(fold('"Tam Bình", "Nông thôn"'))) == []


@pytest.mark.parametrize("kind", ["person", "place", "code", "outlet", "quote"])
@pytest.mark.parametrize("source", sorted(SOURCES))
def test_no_fact_of_the_articles_is_in_the_package(source, kind):
    harvested = harvest(SOURCES[source]())[kind]
    assert harvested, f"no {kind} harvested from the {source} articles: the harvest is broken"
    found = leaked(harvested, package_text())
    assert not found, f"qa/ mentions {kind}s of the {source} articles: {found[:10]}"
