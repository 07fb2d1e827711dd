"""Domain vocabulary: Vietnamese abbreviations and English terms of government and party news.

English questions meet Vietnamese articles: the embedder bridges the languages for retrieval, and
this table lets BM25 and the answer extractor see Vietnamese words too. Abbreviations are expanded
both ways so "TP.HCM" finds "Thành phố Hồ Chí Minh" and "UBND" finds "Ủy ban nhân dân".
"""
from __future__ import annotations

import re

from .vntext import fold

# Abbreviation -> full forms (folded comparison, so diacritics here are for the reader).
ABBREVIATIONS: dict[str, list[str]] = {
    "tp.hcm": ["thành phố hồ chí minh", "tp hồ chí minh"],
    "tphcm": ["thành phố hồ chí minh"],
    "hcm": ["hồ chí minh"],
    "tp": ["thành phố"],
    "ubnd": ["ủy ban nhân dân"],
    "hđnd": ["hội đồng nhân dân"],
    "mttq": ["mặt trận tổ quốc"],
    "qcdc": ["quy chế dân chủ"],
    "bcđ": ["ban chỉ đạo"],
    "btv": ["ban thường vụ"],
    "bch": ["ban chấp hành"],
    "tw": ["trung ương"],
    "tu": ["thành ủy", "tỉnh ủy"],
    "qu": ["quận ủy"],
    "cb": ["cán bộ"],
    "đbqh": ["đại biểu quốc hội"],
    "cntt": ["công nghệ thông tin"],
    "fdi": ["đầu tư trực tiếp nước ngoài"],
    "ttxvn": ["thông tấn xã việt nam"],
}

# English word or phrase -> Vietnamese equivalents. Longest phrases are matched first.
ENGLISH: dict[str, list[str]] = {
    "hanoi": ["hà nội"], "ha noi": ["hà nội"], "ho chi minh city": ["thành phố hồ chí minh", "tp.hcm"],
    "hcmc": ["thành phố hồ chí minh"], "saigon": ["thành phố hồ chí minh"], "vietnam": ["việt nam"],
    "viet nam": ["việt nam"],
    "party committee": ["thành ủy", "đảng ủy", "cấp ủy"], "city party committee": ["thành ủy"],
    "municipal party committee": ["thành ủy"], "party": ["đảng"], "party organization": ["đảng bộ"],
    "party organisation": ["đảng bộ"], "politburo": ["bộ chính trị"], "central committee": ["trung ương"],
    "secretary": ["bí thư"], "deputy secretary": ["phó bí thư"], "chairman": ["chủ tịch"],
    "chairwoman": ["chủ tịch"], "chair": ["chủ tịch"], "president": ["chủ tịch"], "head": ["trưởng"],
    "deputy head": ["phó trưởng ban"], "deputy": ["phó"], "vice": ["phó"], "director": ["giám đốc"],
    "mass mobilization": ["dân vận"], "mass mobilisation": ["dân vận"],
    "mass mobilization commission": ["ban dân vận"], "mass mobilisation commission": ["ban dân vận"],
    "commission": ["ban"], "committee": ["ủy ban", "ban"], "board": ["ban"], "steering committee": ["ban chỉ đạo"],
    "propaganda": ["tuyên giáo", "tuyên truyền"], "education": ["giáo dục", "tuyên giáo"],
    "fatherland front": ["mặt trận tổ quốc"], "front": ["mặt trận"], "people's committee": ["ủy ban nhân dân"],
    "people's council": ["hội đồng nhân dân"], "national assembly": ["quốc hội"], "government": ["chính phủ", "chính quyền"],
    "authorities": ["chính quyền"], "authority": ["chính quyền"], "state": ["nhà nước"],
    "democracy": ["dân chủ"], "democratic": ["dân chủ"], "grassroots": ["cơ sở"], "regulation": ["quy chế", "quy định"],
    "regulations": ["quy chế", "quy định"], "rules": ["quy chế"], "decision": ["quyết định"], "plan": ["kế hoạch"],
    "directive": ["chỉ thị"], "resolution": ["nghị quyết"], "conclusion": ["kết luận"], "law": ["luật"],
    "decree": ["nghị định"], "circular": ["thông tư"],
    "delegation": ["đoàn", "đoàn công tác"], "working delegation": ["đoàn công tác"], "inspection team": ["đoàn kiểm tra"],
    "visit": ["thăm"], "visited": ["thăm"], "work with": ["làm việc với"], "worked with": ["làm việc với"],
    "meeting": ["buổi làm việc", "hội nghị", "cuộc họp"], "conference": ["hội nghị"], "conferences": ["hội nghị"],
    "congress": ["đại hội"], "dialogue": ["đối thoại"], "dialogues": ["đối thoại"], "dialogue conferences": ["hội nghị đối thoại"],
    "residents": ["người dân", "nhân dân", "cư dân"], "citizens": ["người dân", "công dân"], "people": ["nhân dân", "người dân"],
    "voters": ["cử tri"], "officials": ["cán bộ"], "cadres": ["cán bộ"], "party members": ["đảng viên"],
    "village": ["thôn"], "villages": ["thôn"], "residential groups": ["tổ dân phố"], "district": ["quận", "huyện"],
    "ward": ["phường"], "commune": ["xã"], "province": ["tỉnh"], "city": ["thành phố"], "capital": ["thủ đô"],
    "covid-19": ["covid-19"], "covid": ["covid-19"], "pandemic": ["dịch"], "epidemic": ["dịch"],
    "control": ["kiểm soát", "phòng, chống"], "prevention": ["phòng, chống"],
    "compensation": ["bồi thường"], "resettlement": ["tái định cư"], "project": ["dự án"], "projects": ["dự án"],
    "site clearance": ["giải phóng mặt bằng"], "complaints": ["khiếu nại"], "denunciations": ["tố cáo"],
    "petitions": ["kiến nghị", "đơn thư"], "budget": ["kinh phí", "ngân sách"], "funding": ["kinh phí"],
    "cost": ["kinh phí", "chi phí"], "emulation": ["thi đua"], "skillful mass mobilization": ["dân vận khéo"],
    "religion": ["tôn giáo"], "ethnic": ["dân tộc"], "ethnic minorities": ["đồng bào dân tộc thiểu số"],
    "limitations": ["hạn chế", "tồn tại"], "shortcomings": ["hạn chế", "tồn tại"], "weaknesses": ["hạn chế"],
    "results": ["kết quả"], "achievements": ["kết quả", "thành tích"], "tasks": ["nhiệm vụ"],
    "similarities": ["điểm tương đồng"], "common": ["tương đồng"], "population": ["dân số"],
    "urbanization": ["đô thị hóa"], "urbanisation": ["đô thị hóa"], "traffic": ["giao thông"],
    "environment": ["môi trường"], "hospitals": ["bệnh viện"], "schools": ["trường học"],
    "issued": ["ban hành"], "issue": ["ban hành"], "signed": ["ký"], "date": ["ngày"], "year": ["năm"],
    "month": ["tháng"], "months": ["tháng"], "first six months": ["6 tháng đầu năm"], "first half": ["6 tháng đầu năm"],
    "five years": ["5 năm"], "five-year": ["5 năm"], "ten years": ["10 năm"], "review": ["tổng kết", "sơ kết"],
    "preparing": ["chuẩn bị", "tiến tới"], "prepare": ["chuẩn bị"], "credited": ["đóng góp"], "contributed": ["đóng góp"],
    "led": ["trưởng đoàn", "dẫn đầu"], "leader": ["trưởng đoàn", "lãnh đạo"], "leaders": ["lãnh đạo"],
    "wrote": ["tác giả"], "author": ["tác giả"], "reporter": ["phóng viên"],
    "pointed out": ["nêu rõ", "chỉ ra"], "dialogue with": ["đối thoại với"], "held": ["tổ chức"], "organized": ["tổ chức"],
    "organised": ["tổ chức"], "implementation": ["thực hiện"], "implementing": ["thực hiện"], "implement": ["thực hiện"],
    "cluster": ["cụm"], "emulation cluster": ["cụm thi đua"], "district 9": ["quận 9"], "veterans": ["cựu chiến binh"],
    "youth union": ["đoàn thanh niên"], "women's union": ["hội liên hiệp phụ nữ"], "farmers": ["nông dân"],
    "agriculture": ["nông nghiệp"], "high-tech": ["công nghệ cao"], "investment": ["đầu tư"], "enterprises": ["doanh nghiệp"],
    "digital transformation": ["chuyển đổi số"], "orphans": ["trẻ mồ côi"], "storm": ["bão"], "liberation": ["giải phóng"],
}

# Vietnamese paraphrases: questions say "dẫn đầu", articles say "làm trưởng đoàn".
SYNONYMS: dict[str, list[str]] = {
    "dẫn đầu": ["trưởng đoàn", "làm trưởng đoàn"], "dẫn đoàn": ["trưởng đoàn"], "đứng đầu": ["trưởng", "người đứng đầu"],
    "chấp bút": ["tác giả"], "viết bài": ["tác giả"], "chỉ ra": ["nêu rõ", "chỉ rõ"], "nêu ra": ["nêu rõ", "chỉ rõ"],
    "hạn chế": ["tồn tại", "yếu kém"], "tồn tại": ["hạn chế"], "đến làm việc": ["thăm và làm việc", "làm việc với"],
    "gặp gỡ": ["làm việc với", "tiếp"], "diễn ra": ["tổ chức"], "tổ chức": ["diễn ra"], "phát biểu": ["cho biết", "nhấn mạnh"],
    "điểm chung": ["điểm tương đồng"], "giống nhau": ["tương đồng"], "mang lại": ["góp phần", "tạo"],
    "kết quả": ["góp phần", "đạt được"], "thành lập": ["thành lập"], "ngân sách": ["kinh phí"], "kinh phí": ["ngân sách"],
    "người dân": ["nhân dân"], "nhân dân": ["người dân"], "đột xuất": ["đột xuất"], "định kỳ": ["định kỳ"],
    "lãnh đạo": ["chỉ đạo"], "cuộc họp": ["buổi làm việc", "hội nghị"], "buổi làm việc": ["cuộc họp", "hội nghị"],
    "hội nghị": ["buổi làm việc"], "kiểm soát dịch": ["phòng, chống dịch"], "ghi nhận": ["đánh giá cao", "biểu dương"],
}
_SYNONYM_KEYS = {fold(k): v for k, v in SYNONYMS.items()}


def synonyms(question: str) -> list[str]:
    """Vietnamese paraphrases of the question's words, matched with or without diacritics."""
    folded = " " + " ".join(re.findall(r"\w+", fold(question))) + " "
    return [alt for key, alternatives in _SYNONYM_KEYS.items() if f" {key} " in folded for alt in alternatives]


_PHRASES = sorted(ENGLISH, key=lambda p: -len(p))
_PHRASE_RE = re.compile(r"(?<![\w'])(" + "|".join(re.escape(p) for p in _PHRASES) + r")(?![\w'])")


def english_to_vietnamese(question: str) -> list[str]:
    """Vietnamese equivalents of the English domain terms in a question (longest phrases first)."""
    found: list[str] = []
    lowered = question.lower().replace("’", "'")
    for match in _PHRASE_RE.finditer(lowered):
        found.extend(ENGLISH[match.group(1)])
    return found


def expand_abbreviations(text: str) -> list[str]:
    """Full forms of the abbreviations in a text ("UBND" -> "ủy ban nhân dân")."""
    text = re.sub(r"\d+-[\w/-]+", " ", text)  # the TW of "290-QĐ/TW" is part of a code, not a word
    # Short abbreviations only count in capitals: typed lowercase, "tu" or "tp" are ordinary words.
    capitals = {fold(w) for w in re.findall(r"[\w.]+", text) if w.isupper()}
    lowered = set(re.findall(r"[\w.]+", fold(text)))
    out: list[str] = []
    for abbreviation, forms in ABBREVIATIONS.items():
        key = fold(abbreviation)
        if key in capitals or (len(key) >= 4 and key in lowered):
            out.extend(forms)
    return out


def is_english(question: str) -> bool:
    """Mostly English words: many ASCII function words and no Vietnamese-only letters."""
    words = re.findall(r"[A-Za-z']+", question.lower())
    english_function = {"the", "of", "in", "which", "what", "who", "when", "how", "did", "does", "is", "was", "were",
                        "are", "for", "with", "and", "to", "by", "many", "much", "whom", "where", "why", "on", "at"}
    hits = sum(w in english_function for w in words)
    return hits >= 2 and hits >= len(words) * 0.15
