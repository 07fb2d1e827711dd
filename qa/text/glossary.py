"""General vocabulary: Vietnamese institutional abbreviations and an English-Vietnamese glossary.

English questions meet Vietnamese articles: the multilingual embedder bridges the languages, and
this glossary lets the lexical side (BM25, word coverage) see Vietnamese words too. Everything here
is common vocabulary of Vietnamese public life and news: no name, place, outlet or phrase of any
particular article (tests/test_no_corpus_facts.py checks that against the shipped articles).
Acronyms that are not in the table are matched by their initials (qa/answer/candidates.py, `_acronym_found`).
"""
from __future__ import annotations

import re

from .vntext import fold

# Abbreviations of institutions and document types used across Vietnamese news.
ABBREVIATIONS: dict[str, list[str]] = {
    "ubnd": ["ủy ban nhân dân"], "hđnd": ["hội đồng nhân dân"], "mttq": ["mặt trận tổ quốc"],
    "tw": ["trung ương"], "tp": ["thành phố"], "tx": ["thị xã"], "tt": ["thị trấn"],
    "đbqh": ["đại biểu quốc hội"], "bch": ["ban chấp hành"], "btv": ["ban thường vụ"], "bcđ": ["ban chỉ đạo"],
    "cntt": ["công nghệ thông tin"], "thcs": ["trung học cơ sở"], "thpt": ["trung học phổ thông"],
    "csgt": ["cảnh sát giao thông"], "bhxh": ["bảo hiểm xã hội"], "bhyt": ["bảo hiểm y tế"],
    "gd&đt": ["giáo dục và đào tạo"], "gdđt": ["giáo dục và đào tạo"], "kh&cn": ["khoa học và công nghệ"],
    "dntn": ["doanh nghiệp tư nhân"], "lhpn": ["liên hiệp phụ nữ"], "ccb": ["cựu chiến binh"],
}

# English word or phrase -> Vietnamese equivalents; the longest phrase wins.
ENGLISH: dict[str, list[str]] = {
    # government, party, administration
    "party committee": ["thành ủy", "tỉnh ủy", "đảng ủy", "cấp ủy"], "city party committee": ["thành ủy"],
    "provincial party committee": ["tỉnh ủy"], "district party committee": ["quận ủy", "huyện ủy"],
    "party": ["đảng"], "politburo": ["bộ chính trị"], "central committee": ["trung ương", "ban chấp hành trung ương"],
    "secretariat": ["ban bí thư"], "secretary": ["bí thư"], "deputy secretary": ["phó bí thư"],
    "general secretary": ["tổng bí thư"], "chairman": ["chủ tịch"], "chairwoman": ["chủ tịch"], "chair": ["chủ tịch"],
    "vice chairman": ["phó chủ tịch"], "president": ["chủ tịch", "chủ tịch nước"], "prime minister": ["thủ tướng"],
    "deputy prime minister": ["phó thủ tướng"], "minister": ["bộ trưởng"], "ministry": ["bộ"], "deputy minister": ["thứ trưởng"],
    "head": ["trưởng", "người đứng đầu"], "deputy head": ["phó trưởng ban", "phó trưởng"], "deputy": ["phó"],
    "vice": ["phó"], "director": ["giám đốc"], "general director": ["tổng giám đốc"], "department": ["sở", "ban", "phòng"],
    "commission": ["ban", "ủy ban"], "committee": ["ủy ban", "ban"], "board": ["ban", "hội đồng"],
    "steering committee": ["ban chỉ đạo"], "people's committee": ["ủy ban nhân dân"], "people's council": ["hội đồng nhân dân"],
    "national assembly": ["quốc hội"], "deputies": ["đại biểu"], "delegate": ["đại biểu"], "delegates": ["đại biểu"],
    "government": ["chính phủ", "chính quyền"], "authorities": ["chính quyền"], "authority": ["chính quyền"],
    "state": ["nhà nước"], "fatherland front": ["mặt trận tổ quốc"], "front": ["mặt trận"], "union": ["hội", "liên đoàn"],
    "youth union": ["đoàn thanh niên"], "women's union": ["hội liên hiệp phụ nữ", "hội phụ nữ"], "veterans": ["cựu chiến binh"],
    "farmers": ["nông dân"], "farmers' association": ["hội nông dân"], "police": ["công an"], "army": ["quân đội"],
    "military": ["quân sự", "quân đội"], "court": ["tòa án"], "procuracy": ["viện kiểm sát"], "inspectorate": ["thanh tra"],
    "propaganda": ["tuyên giáo", "tuyên truyền"], "mass mobilization": ["dân vận"], "mass mobilisation": ["dân vận"],
    "democracy": ["dân chủ"], "democratic": ["dân chủ"], "grassroots": ["cơ sở"], "official": ["cán bộ"],
    "officials": ["cán bộ"], "cadres": ["cán bộ"], "party members": ["đảng viên"], "civil servants": ["công chức"],
    "leader": ["lãnh đạo", "trưởng đoàn"], "leaders": ["lãnh đạo"], "leadership": ["lãnh đạo"],
    # places and units of administration
    "country": ["nước", "quốc gia"], "nation": ["quốc gia", "dân tộc"], "national": ["quốc gia", "toàn quốc"],
    "province": ["tỉnh"], "provinces": ["tỉnh"], "provincial": ["tỉnh"], "city": ["thành phố"], "cities": ["thành phố"],
    "capital": ["thủ đô"], "district": ["quận", "huyện"], "districts": ["quận", "huyện"], "ward": ["phường"],
    "wards": ["phường"], "commune": ["xã"], "communes": ["xã"], "town": ["thị xã", "thị trấn"], "village": ["thôn", "làng"],
    "villages": ["thôn", "làng"], "hamlet": ["ấp", "thôn"], "residential group": ["tổ dân phố"], "region": ["vùng", "khu vực"],
    "area": ["khu vực", "địa bàn", "diện tích"], "border": ["biên giới"], "island": ["đảo"], "islands": ["đảo", "quần đảo"],
    "river": ["sông"], "mountain": ["núi"], "sea": ["biển"], "north": ["bắc", "miền bắc"], "south": ["nam", "miền nam"],
    "central": ["trung ương", "miền trung"], "east": ["đông"], "west": ["tây"], "world": ["thế giới"],
    "vietnam": ["việt nam"], "vietnamese": ["việt nam", "người việt"],
    # documents and procedure
    "decision": ["quyết định"], "plan": ["kế hoạch"], "directive": ["chỉ thị"], "resolution": ["nghị quyết"],
    "conclusion": ["kết luận"], "law": ["luật"], "decree": ["nghị định"], "circular": ["thông tư"],
    "regulation": ["quy chế", "quy định"], "regulations": ["quy chế", "quy định"], "rules": ["quy chế", "quy định"],
    "document": ["văn bản"], "documents": ["văn bản"], "dispatch": ["công văn"], "report": ["báo cáo"],
    "program": ["chương trình"], "programme": ["chương trình"], "project": ["dự án", "đề án"], "projects": ["dự án"],
    "strategy": ["chiến lược"], "policy": ["chính sách"], "policies": ["chính sách"], "treaty": ["hiệp ước", "hiệp định"],
    "agreement": ["hiệp định", "thỏa thuận"], "constitution": ["hiến pháp"], "issued": ["ban hành"], "issue": ["ban hành"],
    "signed": ["ký"], "sign": ["ký"], "approved": ["phê duyệt", "thông qua"], "adopted": ["thông qua"], "passed": ["thông qua"],
    "implementation": ["thực hiện", "triển khai"], "implementing": ["thực hiện"], "implement": ["thực hiện", "triển khai"],
    "implemented": ["thực hiện", "triển khai"], "review": ["tổng kết", "sơ kết"], "inspection": ["kiểm tra"],
    "inspection team": ["đoàn kiểm tra"], "supervision": ["giám sát"], "evaluation": ["đánh giá"],
    # events and actions
    "meeting": ["buổi làm việc", "hội nghị", "cuộc họp"], "conference": ["hội nghị"], "conferences": ["hội nghị"],
    "congress": ["đại hội"], "session": ["kỳ họp", "phiên"], "ceremony": ["lễ"], "festival": ["lễ hội"],
    "dialogue": ["đối thoại"], "dialogues": ["đối thoại"], "delegation": ["đoàn", "đoàn công tác"],
    "working delegation": ["đoàn công tác"], "visit": ["thăm"], "visited": ["thăm", "đến thăm"], "work with": ["làm việc với"],
    "worked with": ["làm việc với"], "held": ["tổ chức", "diễn ra"], "organized": ["tổ chức"], "organised": ["tổ chức"],
    "took place": ["diễn ra"], "attended": ["dự", "tham dự"], "chaired": ["chủ trì"], "presided": ["chủ trì"],
    "led": ["dẫn đầu", "trưởng đoàn"], "spoke": ["phát biểu"], "said": ["cho biết", "nói"], "stressed": ["nhấn mạnh"],
    "emphasized": ["nhấn mạnh"], "emphasised": ["nhấn mạnh"], "requested": ["đề nghị", "yêu cầu"], "asked": ["đề nghị", "yêu cầu"],
    "proposed": ["đề xuất", "kiến nghị"], "suggested": ["đề xuất", "gợi ý"], "praised": ["biểu dương", "đánh giá cao"],
    "announced": ["công bố"], "launched": ["phát động", "khởi động"], "opened": ["khai mạc", "khánh thành"],
    "completed": ["hoàn thành"], "established": ["thành lập"], "founded": ["thành lập"], "built": ["xây dựng"],
    "build": ["xây dựng"], "born": ["sinh"], "died": ["mất", "qua đời"], "elected": ["bầu"], "appointed": ["bổ nhiệm"],
    "awarded": ["trao tặng"], "won": ["giành", "đoạt"], "received": ["nhận", "tiếp nhận"], "pointed out": ["chỉ ra", "nêu rõ"],
    "wrote": ["viết", "tác giả"], "written": ["viết"], "author": ["tác giả"], "reporter": ["phóng viên"],
    "photo": ["ảnh"], "photographer": ["ảnh"], "newspaper": ["báo"], "article": ["bài viết", "bài"], "published": ["đăng"],
    # society and economy
    "people": ["nhân dân", "người dân"], "residents": ["người dân", "cư dân"], "citizens": ["người dân", "công dân"],
    "voters": ["cử tri"], "workers": ["công nhân", "người lao động"], "students": ["học sinh", "sinh viên"],
    "teachers": ["giáo viên"], "children": ["trẻ em"], "households": ["hộ", "hộ gia đình"], "poor households": ["hộ nghèo"],
    "population": ["dân số"], "economy": ["kinh tế"], "economic": ["kinh tế"], "growth": ["tăng trưởng"],
    "investment": ["đầu tư"], "investors": ["nhà đầu tư"], "enterprises": ["doanh nghiệp"], "businesses": ["doanh nghiệp"],
    "company": ["công ty"], "companies": ["công ty", "doanh nghiệp"], "budget": ["ngân sách", "kinh phí"],
    "funding": ["kinh phí"], "cost": ["chi phí", "kinh phí"], "capital investment": ["vốn đầu tư"], "revenue": ["thu", "doanh thu"],
    "export": ["xuất khẩu"], "exports": ["xuất khẩu"], "import": ["nhập khẩu"], "tax": ["thuế"], "price": ["giá"],
    "agriculture": ["nông nghiệp"], "industry": ["công nghiệp"], "tourism": ["du lịch"], "tourists": ["du khách", "khách du lịch"],
    "trade": ["thương mại"], "bank": ["ngân hàng"], "market": ["thị trường", "chợ"], "land": ["đất"], "housing": ["nhà ở"],
    "compensation": ["bồi thường"], "resettlement": ["tái định cư"], "site clearance": ["giải phóng mặt bằng"],
    "complaints": ["khiếu nại"], "denunciations": ["tố cáo"], "petitions": ["kiến nghị", "đơn thư"],
    "education": ["giáo dục"], "school": ["trường", "trường học"], "schools": ["trường học"], "university": ["đại học"],
    "health": ["y tế", "sức khỏe"], "hospital": ["bệnh viện"], "hospitals": ["bệnh viện"], "doctors": ["bác sĩ"],
    "patients": ["bệnh nhân"], "pandemic": ["dịch"], "epidemic": ["dịch"], "disease": ["bệnh", "dịch bệnh"],
    "vaccine": ["vắc xin"], "environment": ["môi trường"], "pollution": ["ô nhiễm"], "waste": ["rác thải", "chất thải"],
    "climate": ["khí hậu"], "flood": ["lũ"], "floods": ["lũ", "lũ lụt"], "storm": ["bão"], "drought": ["hạn hán"],
    "traffic": ["giao thông"], "road": ["đường"], "roads": ["đường"], "bridge": ["cầu"], "expressway": ["cao tốc", "đường cao tốc"],
    "highway": ["quốc lộ", "cao tốc"], "railway": ["đường sắt"], "airport": ["sân bay"], "port": ["cảng"],
    "urbanization": ["đô thị hóa"], "urbanisation": ["đô thị hóa"], "urban": ["đô thị"], "rural": ["nông thôn"],
    "culture": ["văn hóa"], "cultural": ["văn hóa"], "religion": ["tôn giáo"], "ethnic": ["dân tộc"],
    "ethnic minorities": ["đồng bào dân tộc thiểu số", "dân tộc thiểu số"], "history": ["lịch sử"], "war": ["chiến tranh"],
    "science": ["khoa học"], "technology": ["công nghệ"], "digital transformation": ["chuyển đổi số"],
    "high-tech": ["công nghệ cao"], "sport": ["thể thao"], "sports": ["thể thao"], "team": ["đội", "đội tuyển"],
    "match": ["trận đấu"], "champion": ["vô địch"], "security": ["an ninh"], "safety": ["an toàn"], "defence": ["quốc phòng"],
    "defense": ["quốc phòng"], "corruption": ["tham nhũng"], "emulation": ["thi đua"], "movement": ["phong trào"],
    "campaign": ["chiến dịch", "phong trào"], "model": ["mô hình"], "models": ["mô hình"],
    # judgements and results
    "results": ["kết quả"], "result": ["kết quả"], "achievements": ["kết quả", "thành tích"], "tasks": ["nhiệm vụ"],
    "task": ["nhiệm vụ"], "solutions": ["giải pháp"], "measures": ["biện pháp", "giải pháp"], "goals": ["mục tiêu"],
    "target": ["mục tiêu", "chỉ tiêu"], "targets": ["mục tiêu", "chỉ tiêu"], "limitations": ["hạn chế", "tồn tại"],
    "shortcomings": ["hạn chế", "tồn tại"], "weaknesses": ["hạn chế", "yếu kém"], "difficulties": ["khó khăn"],
    "challenges": ["thách thức", "khó khăn"], "causes": ["nguyên nhân"], "reason": ["lý do", "nguyên nhân"],
    "role": ["vai trò"], "position": ["chức vụ", "vị trí"], "theme": ["chủ đề"], "topic": ["chủ đề", "nội dung"],
    "content": ["nội dung"], "main": ["chính"], "important": ["quan trọng"], "key": ["trọng tâm", "chủ chốt"],
    "first": ["đầu tiên", "thứ nhất"], "last": ["cuối"], "new": ["mới"], "total": ["tổng", "tổng cộng"],
    "number": ["số", "số lượng"], "percent": ["%", "phần trăm"], "percentage": ["tỷ lệ", "%"], "rate": ["tỷ lệ"],
    # time
    "date": ["ngày"], "day": ["ngày"], "year": ["năm"], "years": ["năm"], "month": ["tháng"], "months": ["tháng"],
    "quarter": ["quý"], "week": ["tuần"], "morning": ["sáng"], "afternoon": ["chiều"], "evening": ["tối"],
    "first half": ["6 tháng đầu năm"], "first six months": ["6 tháng đầu năm"], "century": ["thế kỷ"],
    "period": ["giai đoạn", "thời kỳ"], "term": ["nhiệm kỳ", "khóa"],
}

_PHRASES = sorted(ENGLISH, key=lambda p: -len(p))
_PHRASE_RE = re.compile(r"(?<![\w'])(" + "|".join(re.escape(p) for p in _PHRASES) + r")(?![\w'])")


def english_to_vietnamese(question: str) -> list[str]:
    """Vietnamese equivalents of the English terms in a question (longest phrases first)."""
    found: list[str] = []
    lowered = question.lower().replace("’", "'")
    for match in _PHRASE_RE.finditer(lowered):
        found.extend(ENGLISH[match.group(1)])
    # "district 7", "ward 12": numbered units keep their number
    for m in re.finditer(r"\b(district|ward|commune|zone|area) (\d+)\b", lowered):
        found.extend(f"{unit} {m.group(2)}" for unit in ENGLISH.get(m.group(1) + "s", ENGLISH.get(m.group(1), [])))
    return found


def expand_abbreviations(text: str) -> list[str]:
    """Full forms of the table's abbreviations in a text ("UBND" -> "ủy ban nhân dân")."""
    text = re.sub(r"\d+[-/][\w/-]+", " ", text)  # the TW of "17-QĐ/TW" is part of a code, not a word
    # Short abbreviations only count in capitals: typed lowercase, "tu" or "tp" are ordinary words.
    capitals = {fold(w) for w in re.findall(r"[\w&]+", text) if w.isupper()}
    lowered = set(re.findall(r"[\w&]+", fold(text)))
    out: list[str] = []
    for abbreviation, forms in ABBREVIATIONS.items():
        key = fold(abbreviation)
        if key in capitals or (len(key) >= 4 and key in lowered):
            out.extend(forms)
    return out

