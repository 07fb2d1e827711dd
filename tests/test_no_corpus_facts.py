"""The package encodes no fact of the shipped articles: no person, place, outlet, document code or
quoted phrase harvested from seeds/ appears in qa/ (its modules and data files) (comments included).

Rules and vocabulary must hold for any Vietnamese news article; a name taken from the articles we
test on is tuning to them. The harvest below is deliberately broad; general vocabulary (role titles,
kinds of bodies, units) never matches it because only names, codes, outlets and quotes are harvested.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from qa.text.vntext import clean_spaces, fold

REPO = Path(__file__).resolve().parents[1]
SURNAMES = set("nguyễn trần lê phạm hoàng huỳnh phan vũ võ đặng bùi đỗ hồ ngô dương lý trương vương đinh đào "
               "đoàn lâm mai trịnh hà tô tạ lương lưu cao châu".split())
_UPPER = "".join(c for c in map(chr, range(0x41, 0x2000)) if c.isupper() and c.isalpha())
_CAP = rf"(?<![^\W\d_])[{_UPPER}][^\W\d_]*"


def _seed_text() -> str:
    return "\n".join(clean_spaces(p.read_text(encoding="utf-8")) for p in sorted((REPO / "seeds").glob("*.txt")))


def harvest(text: str) -> dict[str, set[str]]:
    """Names, places, codes, outlets and quoted phrases of the articles, folded."""
    found: dict[str, set[str]] = {"person": set(), "place": set(), "code": set(), "outlet": set(), "quote": set()}
    for m in re.finditer(rf"{_CAP}(?: {_CAP}){{2,3}}", text):
        words = m.group().split()
        for i in range(len(words) - 2):  # a personal name: family name + 2-3 syllables, anywhere in a run
            if words[i].lower() in SURNAMES and len(words) - i <= 4:
                found["person"].add(fold(" ".join(words[i:])))
                break
    for m in re.finditer(rf"(?i:quận|huyện|phường|xã|tỉnh|thành phố|TP\.?)\s+((?:{_CAP}|\d+)(?: {_CAP})*)", text):
        if len(m.group(1)) > 2 and not m.group(1).isdigit():
            found["place"].add(fold(m.group(1)))
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
    return fold(clean_spaces("\n".join(p.read_text(encoding="utf-8") for p in files)))


def _words(text: str) -> str:
    return " " + " ".join(re.findall(r"\w+", text)) + " "


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


@pytest.mark.parametrize("kind", ["person", "place", "code", "outlet", "quote"])
def test_no_fact_of_the_articles_is_in_the_package(kind):
    harvested = harvest(_seed_text())[kind]
    assert harvested, f"no {kind} harvested from seeds/: the harvest is broken"
    source = _words(package_text())
    leaked = sorted(item for item in harvested if _words(item) in source)
    assert not leaked, f"qa/ mentions {kind}s of the shipped articles: {leaked[:10]}"
