"""Extract a short, verbatim, cited answer from ranked passages, or abstain when they are silent.

The kind of question decides what the answer must contain: a date for "ngày nào", a number next
to the counted noun for "bao nhiêu", a person (with the asked role) for "ai", a document code of
the asked type for "quyết định nào". A passage qualifies only when the places, years, people and
documents the question names are in its article, and the question's own predicate is in the
sentence. When nothing qualifies, the answer says "Không tìm thấy ..." and lists the nearest passages.
"""
from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field, replace

from .glossary import ENGLISH, english_to_vietnamese, expand_abbreviations, is_english, synonyms
from .records import Answer, Article, Hit
from .vntext import fold, has_diacritics, search_form, sentence_spans

NOT_FOUND = "Không tìm thấy thông tin này trong các bài viết."
MAX_EXCERPT = 260  # characters of article text in an answer; with the short answer and [1] ~300

# ---- question analysis ----------------------------------------------------------------------
# Patterns run on the folded question (works typed with or without diacritics) or on English.
_KIND_PATTERNS: list[tuple[str, re.Pattern]] = [
    ("author", re.compile(r"\b(chap but|tac gia|ai viet|viet boi|nguoi viet|phong vien nao|who wrote|written by|author of|the author)\b")),
    ("date", re.compile(r"\b(ngay nao|ngay may|ngay bao nhieu|khi nao|bao gio|nam nao|thang nao|luc nao|hom nao|thoi gian nao|thoi diem nao|when|what date|which date|what day|what year|which year|which month)\b")),
    ("document", re.compile(r"\b(quyet dinh|ke hoach|chi thi|nghi quyet|ket luan|thong tu|nghi dinh|quy dinh|cong van|van ban|luat)( so)? nao\b|\b(which|what) (decision|plan|directive|resolution|conclusion|circular|decree|document|regulation|law)\b")),
    ("number", re.compile(r"\b(bao nhieu|how many|how much|what number|ordinal|so luong|lan thu may|khoa may)\b")),
    ("person", re.compile(r"(^|\W)(ai|nguoi nao|vi nao|dong chi nao|who|whom)(\W|$)")),
    ("organization", re.compile(r"\b(co quan nao|don vi nao|to chuc nao|ban nao|(which|what) (\w+ ){0,5}(body|bodies|agency|agencies|organization|organisation|organizations|organisations|committee|committees|commission|department|unit|units))\b")),
    ("place", re.compile(r"\b(o dau|tai dau|noi nao|dia diem nao|dia ban nao|quan nao|huyen nao|tinh nao|phuong nao|xa nao|where|which district|which province|which ward)\b")),
    ("list", re.compile(r"\b(nhung|cac) (\w+ ){0,3}nao\b|\bwhich (\w+ )?(projects|documents|places|districts)\b")),
]
_QUESTION_WORDS = set(
    "ai gi nao dau bao nhieu may khi gio the sao vi tai lam chang phai khong hay hoac a u nhi nhe ha "
    "which what who whom when where why how many much did does do is was were are the of in on at for to "
    "by with and or a an from that this these those as into its it their be been has have had".split()
)
_STOPWORDS = set(
    "la co duoc cua va voi o trong tai theo ve cho da se dang thi ma nay do vao ra den tu cac nhung mot "
    "nhu cung con van rat qua bi boi khi len xuong tren duoi sau truoc hon nen vay thuoc ngay nam thang "
    "hien viec cuoc buoi lan so".split()
)
_CLASSIFIERS = {"cuoc", "buoi", "lan", "luot", "con", "cai", "chiec", "nguoi", "so", "tong", "cong"}
# Capitalised words that are institutions or titles, not names ("Ban Dân vận Thành ủy TP.HCM").
_INSTITUTION_WORDS = set(
    "ban dân vận thành ủy uỷ quận huyện tỉnh xã phường thị trấn đoàn cụm đảng bộ chính trị trung ương quốc hội "
    "hđnd ubnd mttq qcdc bcđ chủ tịch phó bí thư trưởng tổ mặt trận nhà nước nhân quyết định kế hoạch chỉ thị "
    "nghị quyết luật kết luận công tác thường vụ tuyên giáo kiểm tra thi đua hội nghị đại biểu lần khóa khoá "
    "ủy ban hội đồng sở văn phòng cấp theo năm ngày tháng trong ngoài bên cạnh các những ai đồng chí ông bà "
    "anh chị thực hiện tại về vào của và với đã được là có bài viết quy chế dân chủ cơ sở người đứng đầu "
    "ha tp thủ đô chương trình phong trào".split()
)
_PERSON_SURNAMES = set(
    "nguyễn trần lê phạm hoàng huỳnh phan vũ võ đặng bùi đỗ hồ ngô dương lý trương vương đinh đào đoàn lâm "
    "mai trịnh hà tô tạ lương lưu cao châu quách kiều thái la khúc hứa mạc triệu tăng từ chu ông nghiêm "
    "phùng kim giang lại diệp thân cù bạch lục âu".split()
)
_NOT_PERSON_BEFORE = re.compile(
    r"(?:dự án|đường|phố|cầu|khu|thành phố|tp\.?|tư tưởng|phong cách|đạo đức|chủ nghĩa|tỉnh|quận|huyện|phường|xã|"
    r"trường|bệnh viện|công viên|quảng trường|sông|hồ|núi|làng|thôn)\s*[:,]?\s*$",
    re.IGNORECASE,
)
# Words that introduce a person in news text: a title, a role or an honorific.
_PERSON_CUE = re.compile(
    r"\b(dong chi|ong|ba|chu tich|bi thu|truong|pho|uy vien|giam doc|tac gia|phong vien|nha bao|thu truong|"
    r"bo truong|thu tuong|dai bieu|tong bi thu|chanh|vu truong|cuc truong|dai ta|thieu tuong|trung tuong|anh|chi)\b[^.;]{0,60}$"
)
_ROLE_WORDS = set(
    "pho chu tich bi thu truong ban uy vien thuong vu thanh quan tinh huyen dang doan hoi dong nhan dan mat tran to "
    "quoc giam doc so bo van tuyen giao kiem tra chi dao cuc tong ky can su tuong ve phong hanh chinh".split()
)
_LAW = re.compile(r"Luật(?: (?:[A-ZĐÀ-Ỹ][\wÀ-ỹ]*|[a-zđà-ỹ][\wà-ỹ]*)){1,9}?(?= *[,;.(]| và|$)")
_CODE_BEFORE_DATE = re.compile(r"(\d+-[\w/-]+)\s*,?\s*(?:ký\s+|ban hành\s+)?ngày\s*$", re.IGNORECASE)
_HORIZON = re.compile(r"(den|toi|tam nhin|giai doan|thoi ky|truoc)\s*(nam|thang)?\s*$")
_DOC_TYPES = {  # folded question word -> code letters
    "quyet dinh": "qđ", "ke hoach": "kh", "chi thi": "ct", "nghi quyet": "nq", "ket luan": "kl",
    "thong tu": "tt", "nghi dinh": "nđ", "quy dinh": "qđi", "cong van": "cv", "huong dan": "hd",
    "decision": "qđ", "plan": "kh", "directive": "ct", "resolution": "nq", "conclusion": "kl",
    "circular": "tt", "decree": "nđ", "regulation": "qđi", "luat": "luật", "law": "luật",
}
_ISSUERS = {  # folded issuer in the question -> code suffix
    "thanh uy": "tu", "tinh uy": "tu", "quan uy": "qu", "huyen uy": "hu", "trung uong": "tw",
    "bo chinh tri": "tw", "ban bi thu": "tw", "city party committee": "tu", "central": "tw", "politburo": "tw",
}
_ISSUANCE = re.compile(r"\b(ban hanh|ky|ra doi|co tu|issued|signed|adopted|dated)\b")

_DATE = re.compile(
    r"(?<![\w/.])(?:\d{1,2}\s*[/.-]\s*\d{1,2}(?:\s*[/.-]\s*\d{4})?|\d{1,2}/\d{4}|"
    r"ngày\s+\d{1,2}\s+tháng\s+\d{1,2}(?:\s+năm\s+\d{4})?|(?:quý\s+[IV]+|tháng\s+\d{1,2})/\d{4})(?![\w/]|\.\d)",
    re.IGNORECASE,
)
_YEAR = re.compile(r"(?<![\w/.-])(?:19|20)\d{2}(?![\w/-])")
_NUMBER = re.compile(r"(?<![\w/.,-])(?:(?:hơn|gần|khoảng|trên|dưới|gần\s+như|tới|đến)\s+)?\d+(?:[.,]\d{3})*(?:,\d+)?(?:\s*%)?(?![\w/-]|[.,]\d)", re.IGNORECASE)
_ROMAN = re.compile(r"(?:lần thứ|khóa|khoá)\s+([IVXLC]+)\b")
_CODE = re.compile(
    r"(?:(?:Quyết định|Kế hoạch|Chỉ thị|Nghị quyết|Kết luận|Thông tư|Nghị định|Quy định|Hướng dẫn|Công văn)\s+(?:số\s+)?)?"
    r"\d+[-/][A-ZĐ]+(?:[/-][A-ZĐ0-9]+)*",
)
_CODE_BARE = re.compile(r"\d+-[A-ZĐa-zđ]+(?:/[A-ZĐa-zđ]+)*")
_UNIT = re.compile(r"\s*(?:(?:nghìn|ngàn|triệu|tỷ|tỉ)\s+)?(?:đồng|usd|đô la|euro|%|phần trăm|km2|km|m2|m|ha|héc-ta|tấn|kg|lít|người|lượt|hộ)(?!\w)"
                   r"|\s*(?:nghìn|ngàn|triệu|tỷ|tỉ)(?!\w)", re.IGNORECASE)
_UNIT_ALIASES = {"met": {"m", "met"}, "km": {"km"}, "kilomet": {"km"}, "ha": {"ha", "hec-ta"}, "hecta": {"ha", "hec-ta"},
                 "tan": {"tan"}, "kg": {"kg"}, "dong": {"dong"}, "ty": {"ty", "ti", "dong"}, "trieu": {"trieu", "dong"},
                 "usd": {"usd"}, "lit": {"lit"}, "phan": {"%", "tram"}}
_RESULT_CUE = re.compile(r"\b(góp phần|nhờ đó|qua đó|giúp|tạo (?:sự|ra|được)|nâng cao|đạt được|kết quả)\b", re.IGNORECASE)
_ELABORATION = re.compile(r"^(cụ thể|theo đó|trong đó|đó là|bao gồm|gồm|như sau|chẳng hạn)\b", re.IGNORECASE)


@dataclass
class Question:
    text: str
    kind: str
    english: bool
    terms: dict[str, float] = field(default_factory=dict)  # folded term -> weight
    names: list[list[str]] = field(default_factory=list)  # each name: folded alternatives
    years: list[str] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    counted: list[str] = field(default_factory=list)  # folded noun syllables after "bao nhiêu"
    role: str = ""  # folded role asked by "ai là <role>"
    doc_type: str = ""
    issuer: str = ""
    exclude_issuer: str = ""
    predicate: list[str] = field(default_factory=list)  # folded content terms that are not names
    asks_ordinal: bool = False
    exact: bool = False  # typed with diacritics: "cơ quan" must not match "quận"
    org_qualifier: list[str] = field(default_factory=list)  # "which Ho Chi Minh City body" -> its names
    asks_result: bool = False
    focus: list[str] = field(default_factory=list)  # "ai dẫn đầu ...": the verb and its paraphrases
    memo: dict = field(default_factory=dict, repr=False)  # per-sentence work, shared by rerank and answer

    def form(self, text: str) -> str:
        """The form the question's terms are compared in: exact diacritics when it was typed with them."""
        return search_form(text) if self.exact else fold(text)


def analyse(question: str, df=None) -> Question:
    """Classify a question and pull out what an answer must match."""
    folded = fold(question)
    english = is_english(question)
    kind = "fact"
    for name, pattern in _KIND_PATTERNS:
        if pattern.search(folded):
            kind = name
            break
    if kind == "fact" and re.search(r"\bmấy\b", search_form(question)):
        kind = "number"
    if kind in ("fact", "list") and re.search(r"\b(nhung gi|ket qua gi|the nao|nhu the nao|why|how)\b", folded):
        kind = "summary"
    q = Question(text=question, kind=kind, english=english, exact=has_diacritics(question) and not english)
    qualifier = re.search(r"\b(?:which|what) ((?:\w+ ){1,5})(?:body|bodies|agency|agencies|organi[sz]ations?|committees?|commission|department|units?)\b", question.lower())
    if qualifier:
        q.org_qualifier = [fold(v) for v in english_to_vietnamese(qualifier.group(1))]
    q.asks_result = bool(re.search(r"\b(ket qua (gi|nao)|mang lai (gi|nhung)|dat duoc (gi|nhung)|tac dung|hieu qua (gi|nao)|what results|what did .* (achieve|bring))", folded))
    q.asks_ordinal = bool(re.search(r"\b(ordinal|lan thu may|khoa may|lan thu bao nhieu)\b", folded))

    # Terms: folded syllables (and bigrams) of the question, or the Vietnamese of an English one.
    if english:
        sources = english_to_vietnamese(question) + _vietnamese_fragments(question)
    else:
        sources = [question]
    sources += expand_abbreviations(question)
    paraphrases = synonyms(" ".join(sources))
    sources += paraphrases
    # "Theo <source>, ..." frames the question; the words after it say what is asked.
    frame = re.match(r"^\s*(?:theo|according to|in|at|during|tai|trong)\b[^,?]{3,120},", fold(sources[0])) if sources else None
    frame_words = set(re.findall(r"\w+", frame.group())) if frame else set()
    syllable_lists = [re.findall(r"\w+(?:[-/.]\w+)*", q.form(s)) for s in sources]
    for n, syllables in enumerate(syllable_lists):
        for w in syllables:
            if fold(w) not in _QUESTION_WORDS and fold(w) not in _STOPWORDS:
                weight = _idf(df, w) * (0.1 if n == 0 and fold(w) in frame_words else 1.0)
                q.terms[w] = max(q.terms.get(w, 0.0), weight)
        for a, b in zip(syllables, syllables[1:]):
            if fold(a) in _QUESTION_WORDS or fold(b) in _QUESTION_WORDS:
                continue
            if fold(a) in _STOPWORDS and fold(b) in _STOPWORDS:
                continue
            weight = 0.5 * (_idf(df, a) + _idf(df, b)) * (0.1 if n == 0 and fold(a) in frame_words else 1.0)
            q.terms[f"{a} {b}"] = max(q.terms.get(f"{a} {b}", 0.0), weight)

    q.years = _YEAR.findall(question)
    q.codes = [m.group() for m in _CODE_BARE.finditer(question)]
    # "quyết định 2200", "quyet dinh so 2200": a document named by its number alone
    doc_words = "|".join(sorted({k for k in _DOC_TYPES if " " in k or k.isalpha()}, key=len, reverse=True))
    q.codes += [m.group(2) for m in re.finditer(rf"\b({doc_words})(?: so)? (\d+)\b(?![-/])", folded)]
    q.names = _names(question, english)
    name_words = {w for alternatives in q.names for alt in alternatives for w in alt.split()}
    code_words = {w for c in q.codes for w in [fold(c), *re.split(r"[-/]", fold(c))]}
    if q.codes:  # "Quyết định 2200-QĐ/TU": the document type names the entity, it is not the predicate
        code_words |= {w for doc_type in _DOC_TYPES for w in doc_type.split()}
    # the noun before "nào" names the kind of answer ("cơ quan nào", "dự án nào"), not what happened
    asked_nouns = {w for m in re.finditer(r"(\w+ \w+) nao\b", folded) for w in m.group(1).split()}
    q.predicate = _predicate_phrases(q.form(question), name_words | code_words | set(q.years) | asked_nouns) if not english else []
    if q.predicate:
        q.predicate += [q.form(p) for p in paraphrases]

    if kind == "number":
        q.counted = _counted_noun(question, folded, english)
    if kind == "person" and not english:
        folded_words, form_words = re.findall(r"\w+", folded), re.findall(r"\w+", q.form(question))
        if "ai" in folded_words and len(folded_words) == len(form_words):
            j = folded_words.index("ai") + 1
            while j < len(folded_words) and folded_words[j] in {"la", "nguoi", "da", "se", "dang"}:
                j += 1
            phrase = " ".join(form_words[j:j + 2])
            if phrase and not " ".join(folded_words[j:j + 2]).startswith(("pho", "chu tich", "bi thu", "truong", "uy vien", "giam doc")):
                q.focus = [phrase, *(q.form(x) for x in synonyms(phrase))]
        m = re.search(r"\bai (?:la|giu chuc|dang la|lam) ([a-z ]+?)(?= (?:quan|huyen|tinh|thanh pho|tp|phuong|xa|vao|nam|tai|o|cua|trong)\b|\s*\?|$)", folded)
        if m and not m.group(1).startswith(("nguoi", "nhung nguoi")):  # "ai là người nêu ra ..." asks who did it
            role_words = []
            for w in _expand_role(m.group(1)).split():
                if w not in _ROLE_WORDS:
                    break  # "phó bí thư thành ủy | hà nội phát biểu ...": the place and the verb are not the role
                role_words.append(w)
            q.role = " ".join(role_words)
    if kind == "document" or (kind in ("fact", "list") and any(k in folded for k in _DOC_TYPES)):
        for word, code in _DOC_TYPES.items():
            if re.search(rf"\b{word}\b( so)? (nao|gi)\b|\b(which|what) {word}\b", folded):
                q.doc_type = code
                break
        before_which = folded.split(" nao")[0] if " nao" in folded else folded
        for word, suffix in _ISSUERS.items():
            if re.search(rf"\b(cua|by|of|from) (the )?{word}\b", folded):
                q.issuer = suffix
                break
        if re.search(r"\b(ben canh|ngoai|besides|apart from|other than)\b.{0,40}\btrung uong\b", before_which):
            q.exclude_issuer = "tw"
    return q


def _predicate_phrases(folded: str, entity_words: set[str]) -> list[str]:
    """Runs of content words that are not names, codes or years: what the question says happened.

    A run of two or more syllables is kept as its bigrams ("hieu luc"), so that "hiệu lực" is not
    satisfied by the "hiệu" of "hiệu quả".
    """
    phrases: list[str] = []
    run: list[str] = []
    for w in re.findall(r"\w+(?:[-/.]\w+)*", folded) + [""]:
        f = fold(w)
        if w and f not in _QUESTION_WORDS and f not in _STOPWORDS and f not in entity_words and not w.isdigit():
            run.append(w)
            continue
        if len(run) == 1:
            phrases.append(run[0])
        else:
            phrases.extend(f"{a} {b}" for a, b in zip(run, run[1:]))
        run = []
    return phrases


def _idf(df, term: str) -> float:
    if df is None:
        return 1.0
    n, count = df(fold(term))
    if not n or not count:
        return 1.0  # a word no article uses cannot tell passages apart
    return math.log(1 + (n - count + 0.5) / (count + 0.5))


def _vietnamese_fragments(question: str) -> list[str]:
    """Vietnamese words kept inside an English question ("Bắc Từ Liêm's dialogue conferences")."""
    return [m.group() for m in re.finditer(r"[^\W\d_]*[À-ỹĐđ][^\W\d_]*(?:\s+[^\W\d_]+)*", question)
            if has_diacritics(m.group())]


def _names(question: str, english: bool) -> list[list[str]]:
    """Proper names the answer's article must contain, each as folded alternatives."""
    names: list[list[str]] = []
    text = question.replace("’s", "").replace("'s", "")
    for m in re.finditer(r"\b(?:quan|huyen|phuong|xa|district)\s+(\d+)\b", fold(text)):
        names.append([f"quan {m.group(1)}", f"huyen {m.group(1)}", f"phuong {m.group(1)}", f"xa {m.group(1)}"])
    tokens = re.findall(r"[\w.]+(?:-\w+)?|[,;:!?()\"“”]", text)
    run: list[str] = []
    runs: list[list[str]] = []
    for tok in tokens:
        word = tok.strip(".")
        capital = word[:1].isupper() and not word.isdigit()
        if capital and not (english and not has_diacritics(word) and word.lower() not in {"hanoi"} and not word.isupper()):
            run.append(word)
        else:
            if run:
                runs.append(run)
            run = []
    if run:
        runs.append(run)
    for run in runs:
        # split where institution words interrupted the run: "Thành ủy Hà Nội" -> "Hà Nội"
        parts: list[list[str]] = []
        current: list[str] = []
        for w in run:
            if w.lower() in _INSTITUTION_WORDS:
                if current:
                    parts.append(current)
                current = []
            else:
                current.append(w)
        if current:
            parts.append(current)
        for part in parts:
            if fold(" ".join(part)) in {"viet nam", "vietnam"}:
                continue  # the country: true of every article here, it narrows nothing
            if len(part) >= 2 or (len(part) == 1 and part[0].isupper() and len(part[0]) >= 3):
                phrase = " ".join(part)
                alternatives = [fold(phrase)] + [fold(x) for x in expand_abbreviations(phrase)]
                names.append(alternatives)
    if english:
        for english_name in ("hanoi", "ha noi", "ho chi minh city", "hcmc", "saigon"):
            if re.search(rf"\b{english_name}\b", question.lower()):
                names.append([fold(v) for v in ENGLISH[english_name]])
    return names


def _counted_noun(question: str, folded: str, english: bool) -> list[str]:
    if english:
        m = re.search(r"how (?:many|much) ([a-z' -]+?)(?: did| do| does| were| was| are| is| took| have| has| in| of|\?|$)", question.lower())
        if not m:
            return []
        vietnamese = english_to_vietnamese(m.group(1))
        return [fold(v) for v in vietnamese] or ["?"]
    m = re.search(r"bao nhieu ((?:\w+ ){0,4}\w+)", folded)
    if m:
        words = [w for w in m.group(1).split() if w not in _CLASSIFIERS]
        stop = next((i for i, w in enumerate(words) if w in {"voi", "cua", "trong", "tai", "o", "va", "vao", "nam", "de", "cho"}), len(words))
        words = words[:stop][:3]
        return [" ".join(words)] if words else []
    # "Tổng vốn đầu tư ... là bao nhiêu?": a measured amount, answered by a number with its unit
    m = re.search(r"^(?:theo [^,]+, )?((?:\w+ ){0,1}\w+) .*\b(?:la|het|mat|dat) bao nhieu", folded)
    return ["=" + m.group(1)] if m else []


def _expand_role(role: str) -> str:
    return " ".join(role.replace("ubnd", "uy ban nhan dan").replace("hdnd", "hoi dong nhan dan").split())


# ---- the answerer ---------------------------------------------------------------------------
@dataclass
class _Candidate:
    score: float
    rank: int
    hit: Hit
    sentence: tuple[int, int]
    span: tuple[int, int] | None
    coverage: float


class Answerer:
    """Turns ranked hits into an Answer; holds the articles and corpus statistics it needs."""

    def __init__(self, articles: dict[str, Article], df=None):
        self.articles = articles
        self.df = df
        self._folded_articles: dict[str, str] = {}

    def folded_article(self, article_id: str) -> str:
        if article_id not in self._folded_articles:
            article = self.articles[article_id]
            extra = f" {article.published or ''} {article.outlet or ''}"
            self._folded_articles[article_id] = " ".join(fold(article.text + extra).split())
        return self._folded_articles[article_id]

    def answer(self, question: str, ranked: list[tuple[Hit, float]], k: int = 5, q: Question | None = None) -> Answer:
        q = q or analyse(question, self.df)
        hits = [hit for hit, _ in ranked]
        best = self._best_candidate(q, ranked)
        if best is None:
            return Answer(question=question, text=NOT_FOUND, abstained=True, citations=hits[:k], kind=q.kind)
        return self._compose(q, best, hits, k)

    def support(self, q: Question, hit: Hit, rank: int, cosine: float) -> float:
        """How well a passage answers the question: its best sentence's score, 0 when none qualifies."""
        article = self.articles.get(hit.article_id)
        if article is None or not self._constraints_hold(q, hit.article_id):
            return 0.0
        if q.kind == "author":
            return 1.0 if article.author and article.author in hit.text else 0.0
        best = 0.0
        for s, e in sentence_spans(article.text, hit.start, hit.end):
            candidate = self._sentence_candidate(q, article, hit, rank, cosine, s, e)
            if candidate:
                best = max(best, candidate.score)
        return best

    # -- candidates --
    def _best_candidate(self, q: Question, ranked: list[tuple[Hit, float]]) -> _Candidate | None:
        candidates: list[_Candidate] = []
        for rank, (hit, cosine) in enumerate(ranked[:8]):
            article = self.articles.get(hit.article_id)
            if article is None or not self._constraints_hold(q, hit.article_id):
                continue
            if q.kind == "author":
                candidate = self._author_candidate(q, article, hit, rank, cosine)
                if candidate:
                    candidates.append(candidate)
                continue
            for s, e in sentence_spans(article.text, hit.start, hit.end):
                candidate = self._sentence_candidate(q, article, hit, rank, cosine, s, e)
                if candidate:
                    candidates.append(candidate)
        if not candidates:
            return None
        best = max(candidates, key=lambda c: c.score)
        threshold = 0.2 if q.english else 0.3
        if best.coverage < threshold:
            return None
        return best

    def _constraints_hold(self, q: Question, article_id: str) -> bool:
        key = ("constraints", article_id)
        if key not in q.memo:
            q.memo[key] = self._check_constraints(q, article_id)
        return q.memo[key]

    def _check_constraints(self, q: Question, article_id: str) -> bool:
        text = self.folded_article(article_id)
        for year in q.years:
            if year not in text:
                return False
        for code in q.codes:
            number = re.match(r"\d+", code).group()
            if not re.search(rf"(?<!\d){number}(?!\d)", text):
                return False
        outlet = re.sub(r"\W", "", fold(self.articles[article_id].outlet or ""))
        for alternatives in q.names:
            if any(re.search(rf"(?<!\w){re.escape(alt)}(?!\w)", text) for alt in alternatives if alt):
                continue
            # a locality named only by the outlet: "Thanhuytphcm.vn" publishes about TP.HCM
            if outlet and any(len(c) >= 4 and c in outlet for c in (re.sub(r"\W", "", alt) for alt in alternatives)):
                continue
            return False
        return True

    def _coverage(self, q: Question, folded_text: str) -> tuple[float, set[str]]:
        words, padded = _word_index(folded_text)
        matched = {t for t in q.terms if (t in words if " " not in t else f" {t} " in padded)}
        # A year is checked against the whole article (constraints); a sentence that repeats it
        # earns the credit, one that does not is not marked down for it.
        total = sum(w for t, w in q.terms.items() if t in matched or not any(y in t for y in q.years)) or 1.0
        return sum(q.terms[t] for t in matched) / total, matched

    def _sentence_candidate(self, q: Question, article: Article, hit: Hit, rank: int, cosine: float,
                            s: int, e: int) -> _Candidate | None:
        key = (article.id, s, e)
        if key not in q.memo:
            q.memo[key] = self._judge_sentence(q, article, s, e)
        judged = q.memo[key]
        if judged is None:
            return None
        coverage, span, bonus = judged
        prior = 0.15 / (1 + rank) + 0.2 * max(0.0, cosine - 0.75)
        return _Candidate(coverage + prior + bonus, rank, hit, (s, e), span, coverage)

    def _judge_sentence(self, q: Question, article: Article, s: int, e: int):
        """(coverage, answer span, bonus) of one sentence for a question, or None when it cannot answer."""
        sentence = article.text[s:e]
        coverage, matched = self._coverage(q, q.form(sentence))
        # context: the headline and the neighbouring text help a short sentence ("Cụ thể, ...")
        context_cov, _ = self._coverage(q, q.form(article.text[max(0, s - 300):min(len(article.text), e + 150)] + " " + article.title))
        coverage = 0.75 * coverage + 0.25 * context_cov
        if q.predicate and q.kind not in ("summary",):
            near = q.form(article.text[max(0, s - 200):min(len(article.text), e + 200)])
            if not _any_phrase(q.predicate, near) and not self._predicate_by_form(q, sentence):
                return None
        span = None
        bonus = 0.0
        if q.kind in ("date", "number", "person", "document", "organization"):
            typed = self._typed_span(q, article.text, s, e, matched)
            if typed is None:
                return None
            span, preference = typed
            bonus = 0.1 + preference
        elif q.kind == "list":
            span = self._list_span(q, article.text, s, e)
            bonus = 0.05 if span else 0.0
        if q.asks_result and _RESULT_CUE.search(sentence):
            bonus += 0.2
        if q.focus and _any_phrase(q.focus, q.form(sentence)):
            bonus += 0.2
        return coverage, span, bonus

    def _predicate_by_form(self, q: Question, sentence: str) -> bool:
        """"Quyết định X ngày D" states when X was issued, without the word "ban hành"."""
        if q.kind == "date" and q.codes and _ISSUANCE.search(fold(q.text)):
            for code in q.codes:
                number = re.match(r"\d+", code).group()
                # the code as asked, or its number with whatever letters the article gives it
                if re.search(rf"(?<!\d){number}(?:-[^\s,]+)?\s*,?\s*(?:ngày|ký ngày)\s+\d", sentence, re.IGNORECASE):
                    return True
        return False

    def _author_candidate(self, q: Question, article: Article, hit: Hit, rank: int, cosine: float) -> _Candidate | None:
        if not article.author:
            return None
        start = article.text.rfind(article.author)
        coverage, _ = self._coverage(q, q.form(article.title + " " + hit.text))
        span = (start, start + len(article.author))
        return _Candidate(coverage + 0.15 / (1 + rank), rank, hit, span, span, max(coverage, 0.3))

    # -- typed spans --
    def _typed_span(self, q: Question, text: str, s: int, e: int,
                    matched: set[str]) -> tuple[tuple[int, int], float] | None:
        """The best span of the asked kind in text[s:e] and its preference, or None."""
        sentence = text[s:e]
        options: list[tuple[float, int, int]] = []  # (preference, start, end) in sentence coordinates
        anchors = self._anchor_positions(q, sentence, matched)
        question_form = search_form(q.text)
        if q.kind == "date":
            pattern = _YEAR if re.search(r"\b(nam nao|what year|which year)\b", fold(q.text)) else _DATE
            until = re.search(r"\b(den nam nao|toi nam nao|until|by when)\b", fold(q.text))
            for m in pattern.finditer(sentence):
                value = m.group()
                if search_form(value) in question_form:
                    continue
                if not until and _HORIZON.search(fold(sentence[max(0, m.start() - 25):m.start()])):
                    continue  # "tầm nhìn đến năm 2045" is a plan's horizon, not when something happened
                owner = _CODE_BEFORE_DATE.search(sentence[max(0, m.start() - 50):m.start()])
                if owner and not any(fold(c).split("-")[0] == fold(owner.group(1)).split("-")[0] for c in q.codes):
                    continue  # "Chỉ thị số 05-CT/TW ngày 15/5/2016" dates that document, not the event asked about
                options.append((0.0, m.start(), m.end()))
        elif q.kind == "number":
            if q.asks_ordinal:
                for m in _ROMAN.finditer(sentence):
                    options.append((0.0, m.start(1), m.end(1)))
            else:
                for m in _NUMBER.finditer(sentence):
                    options.extend(self._number_option(q, sentence, m, question_form))
        elif q.kind == "person":
            for start, end in _person_spans(sentence):
                name = fold(sentence[start:end])
                if name in fold(q.text):
                    continue
                if q.role and not self._has_role(sentence, start, end, q.role):
                    continue
                after = fold(sentence[end:end + 40])
                if not _PERSON_CUE.search(fold(sentence[max(0, start - 90):start])) and not re.match(
                        r"\s*,\s*(pho |uy vien|chu tich|bi thu|truong|giam doc)", after):
                    continue  # a capitalised name with no title near it is a street or a project
                options.append((0.0, start, end))
        elif q.kind == "organization":
            asked = q.org_qualifier or [alt for alternatives in q.names for alt in alternatives]
            for start, end in _organisation_spans(sentence):
                name = fold(sentence[start:end])
                if name in fold(q.text) or any(name == fold(t) for t in english_to_vietnamese(q.text)):
                    continue
                preference = 0.3 if any(alt and alt in name for alt in asked) else 0.0
                if re.search(r"\bcua (co quan|don vi|to chuc|ai|ban) nao\b", fold(q.text)) and sentence[:start].endswith("của "):
                    preference += 0.1  # "X của cơ quan nào?" is answered by "X của <body>"
                options.append((preference, start, end))
        elif q.kind == "document" and q.doc_type == "luật":
            for m in _LAW.finditer(sentence):
                if fold(m.group()) not in fold(q.text):
                    options.append((0.0, m.start(), m.end()))
        elif q.kind == "document":
            for m in _CODE.finditer(sentence):
                code = m.group()
                bare = _CODE_BARE.search(code)
                letters = fold(bare.group()).split("-", 1)[1] if bare and "-" in bare.group() else ""
                parts = letters.split("/")
                if q.doc_type and fold(parts[0]) != fold(q.doc_type):
                    continue
                suffix = fold(parts[-1]) if len(parts) > 1 else ""
                if q.exclude_issuer and suffix == q.exclude_issuer:
                    continue
                preference = 0.2 if q.issuer and suffix == q.issuer else 0.0
                if any(fold(c) in fold(code) for c in q.codes):
                    continue
                options.append((preference, m.start(), m.end()))
        if not options:
            return None

        def distance(option):
            pref, a, b = option
            if not anchors:
                return -pref
            gap = min(max(0, x - b, a - y) for x, y in anchors)  # characters between span and a question word
            return gap / 100.0 - pref

        pref, a, b = min(options, key=distance)
        return (s + a, s + b), pref

    def _number_option(self, q: Question, sentence: str, m: re.Match, question_form: str) -> list[tuple[float, int, int]]:
        value = m.group()
        digits = re.search(r"\d[\d.,]*", value).group()
        if re.search(rf"(?<![\d.,]){re.escape(digits)}(?![\d.,])", question_form):
            return []
        after = fold(sentence[m.end():m.end() + 60])
        if re.match(r"\s*(thang|nam|ngay|quy|gio)\b", after) and not any(c.startswith(("thang", "nam", "ngay")) for c in q.counted):
            return []  # "6 tháng đầu năm": a period, not a count
        if _YEAR.fullmatch(digits) and not any(c.startswith("nam") for c in q.counted):
            return []
        if not q.counted:
            return [(0.0, m.start(), m.end())]
        words = after.split()[:6]
        for noun in q.counted:
            if noun == "?":
                continue
            unit = _UNIT.match(sentence[m.end():])
            if noun.startswith("="):  # "X là bao nhiêu": a number with a unit, close after X
                if unit:
                    measured = fold(sentence[max(0, m.start() - 60):m.start()])
                    near = 0.3 if noun[1:] in measured else 0.0
                    return [(0.1 + near, m.start(), m.end() + unit.end())]
                continue
            asked_unit = _UNIT_ALIASES.get(noun.split()[0])
            if asked_unit:  # "dài bao nhiêu mét" is answered by "120 m"
                if unit and fold(unit.group()).split()[-1] in asked_unit:
                    return [(0.1, m.start(), m.end() + unit.end())]
                continue
            head = noun.split()
            for offset in range(0, 3):
                if words[offset:offset + len(head[:2])] == head[:2]:
                    extra = sum(w in words for w in head[2:])
                    return [(0.1 * extra - 0.05 * offset, m.start(), m.end())]
        return []

    @staticmethod
    def _has_role(sentence: str, start: int, end: int, role: str) -> bool:
        window = _expand_role(fold(sentence[max(0, start - 80):min(len(sentence), end + 80)]))
        before = _expand_role(fold(sentence[max(0, start - 80):start]))
        after = _expand_role(fold(sentence[end:end + 80]))
        # the role must be attached to the name: right before it, or in its apposition after a comma
        segment_before = re.split(r"[;:]|, (?=[a-z]+ [a-z]+ [A-Z])", before)[-1]
        segment_after = re.split(r"[;:]", after)[0]
        return role in segment_before or role in segment_after if window else False

    def _anchor_positions(self, q: Question, sentence: str, matched: set[str]) -> list[int]:
        folded = q.form(sentence)
        return [(p, p + len(term)) for term in matched for p in _positions(term, folded)]

    def _list_span(self, q: Question, text: str, s: int, e: int) -> tuple[int, int] | None:
        sentence = text[s:e]
        m = re.search(r"(?:nhung|cac) ((?:\w+ ){0,2}?\w+) nao", fold(q.text))
        if not m:
            return None
        noun = m.group(1)
        folded = fold(sentence)
        i = folded.find(noun + ":")
        if i < 0:
            i = folded.find(noun + " nhu")
        if i < 0:
            return None
        return s + i, e

    # -- composing --
    def _compose(self, q: Question, best: _Candidate, hits: list[Hit], k: int) -> Answer:
        article = self.articles[best.hit.article_id]
        text = article.text
        s, e = best.sentence
        if q.kind in ("summary", "fact", "list", "place") or (q.kind != "author" and best.span is None):
            s, e = self._extend_elaboration(text, s, e)
        a, b = self._window(q, text, s, e, best.span)
        excerpt = text[a:b]
        shown = ("…" if a > s else "") + excerpt + ("…" if b < e else "")
        span_text = text[best.span[0]:best.span[1]] if best.span else excerpt
        if best.span and q.kind != "list" and span_text.strip() != excerpt.strip():
            answer_text = f"{span_text} — {shown} [1]"
        else:
            answer_text = f"{shown} [1]"
        cited = replace(best.hit, highlight=best.span or (a, b))
        others = [h for h in hits if h.chunk_id != best.hit.chunk_id][: max(0, k - 1)]
        return Answer(question=q.text, text=answer_text, abstained=False, citations=[cited, *others],
                      span=span_text, start=a, end=b, kind=q.kind)

    @staticmethod
    def _extend_elaboration(text: str, s: int, e: int) -> tuple[int, int]:
        """A lead-in sentence ("... nêu rõ những hạn chế.") is followed by what it announces."""
        following = sentence_spans(text, e, min(len(text), e + 600))
        if following and (_ELABORATION.match(text[following[0][0]:following[0][1]]) or text[s:e].endswith(":")):
            ns, ne = following[0]
            if ne - s <= MAX_EXCERPT:
                return s, ne
            return ns, ne
        return s, e

    def _window(self, q: Question, text: str, s: int, e: int, span: tuple[int, int] | None) -> tuple[int, int]:
        """Trim a long sentence to the clauses around the answer, cutting only at , ; : boundaries."""
        if e - s <= MAX_EXCERPT:
            return s, e
        cuts = [s] + [s + m.end() for m in re.finditer(r"[,;:]\s+", text[s:e])] + [e]
        best, best_score = (s, min(e, s + MAX_EXCERPT)), -1.0
        # Without a typed span, the answer is what the sentence says after the question's words:
        # keep the text that follows the strongest of them.
        focus = None
        if span is None:
            _, matched = self._coverage(q, q.form(text[s:e]))
            anchors = [(q.terms[t], p) for t in matched for p in _positions(t, q.form(text[s:e]))]
            if anchors:
                focus = s + max(anchors)[1]
        for i in range(len(cuts) - 1):
            for j in range(i + 1, len(cuts)):
                a, b = cuts[i], cuts[j]
                if b - a > MAX_EXCERPT:
                    break
                if span and not (a <= span[0] and span[1] <= b):
                    continue
                coverage, _ = self._coverage(q, q.form(text[a:b]))
                score = coverage + (b - a) / (10 * MAX_EXCERPT)
                if focus is not None and a <= focus < b:
                    score += 0.3 * min(1.0, (b - focus) / 120)
                if score > best_score:
                    best, best_score = (a, b), score
        a, b = best
        while b > a and text[b - 1] in ", ;:":
            b -= 1
        return a, b


@functools.lru_cache(maxsize=65536)
def _positions(term: str, form_text: str) -> tuple[int, ...]:
    """Where a whole word or phrase occurs in a text."""
    return tuple(m.start() for m in re.finditer(rf"(?<!\w){re.escape(term)}(?!\w)", form_text))


@functools.lru_cache(maxsize=65536)
def _word_index(form_text: str) -> tuple[frozenset[str], str]:
    """Words of a text (with the parts of codes: "2200-qd/tu" gives "2200") and its space-padded form."""
    compounds = re.findall(r"\w+(?:[-/.]\w+)*", form_text)
    words = frozenset(compounds) | {part for c in compounds for part in re.split(r"[-/.]", c)}
    padded = " " + " ".join(re.findall(r"[\w/.-]+", form_text)) + " "
    return words, padded


def _any_phrase(phrases: list[str], folded_text: str) -> bool:
    padded = _word_index(folded_text)[1]
    return any(f" {p} " in padded for p in phrases)


def _person_spans(sentence: str) -> list[tuple[int, int]]:
    """Vietnamese personal names: the last 2-4 capitalised syllables of a run, from a common surname.

    "Thành ủy Hà Nội Phạm Hải Hoa" gives "Phạm Hải Hoa": in a run of capitals the name is at the
    end, and "Hà" of "Hà Nội" is a surname only when no place name follows it.
    """
    spans = []
    words = list(re.finditer(r"[^\W\d_]+", sentence))
    runs: list[list[re.Match]] = []
    for word in words:
        text = word.group()
        capital = text[0].isupper() and not (text.isupper() and len(text) > 1)
        joined = runs and sentence[runs[-1][-1].end():word.start()] == " "
        if capital and joined and runs[-1][-1].group()[0].isupper():
            runs[-1].append(word)
        elif capital:
            runs.append([word])
        else:
            runs.append([word])  # a lowercase word ends any run
    for run in runs:
        if len(run) < 2 or not run[0].group()[0].isupper():
            continue
        for i, first in enumerate(run):
            rest = len(run) - i
            if rest < 2:
                break
            if rest > 4 or first.group().lower() not in _PERSON_SURNAMES:
                continue
            start, end = first.start(), run[-1].end()
            name = fold(sentence[start:end])
            if name.startswith(("ha noi", "ho chi minh", "viet nam")) or _NOT_PERSON_BEFORE.search(sentence[:start]):
                break
            spans.append((start, end))
            break
    return spans


_ORG_HEAD = re.compile(r"(?<!\w)(?:Quốc hội|Chính phủ|Bộ Chính trị|Ban Bí thư|Trung ương|Ban|Ủy ban|Uỷ ban|UBND|HĐND|Sở|Bộ|Hội|Mặt trận|Văn phòng|Thành ủy|Thành uỷ|Quận ủy|Quận uỷ|"
                       r"Tỉnh ủy|Tỉnh uỷ|Đảng ủy|Đảng uỷ|Hội đồng|Cục|Tổng cục|Viện|Trung tâm|Đoàn)(?!\w)")
# second syllables that complete a capitalised word inside a body's name ("Dân vận", "Thành ủy")
_ORG_TAIL = set("vận ủy uỷ giáo quốc phố dân nước tra chính trị hội nghiệp vụ sự tế tịch viên ban trường thư đạo "
                "huy phòng trận biểu đồng binh niên nữ tộc ninh sát án vệ nghệ học ương".split())
_ORG_STOP = {"và", "của", "với", "các", "cùng", "tại", "trong", "về", "đã", "là", "có", "được", "cho", "theo", "do"}


def _organisation_spans(sentence: str) -> list[tuple[int, int]]:
    """Names of bodies: "Ban Dân vận Thành ủy Thành phố Hồ Chí Minh", "Ủy ban Mặt trận Tổ quốc"."""
    spans = []
    for head in _ORG_HEAD.finditer(sentence):
        end = head.end()
        previous_capital = True
        for word in re.finditer(r"\S+", sentence[head.end():]):
            token = word.group()
            bare = token.rstrip(",.;:)")
            if bare.lower() in _ORG_STOP or not bare:
                break
            capital = bare[0].isupper()
            if not capital and (not previous_capital or bare.lower() not in _ORG_TAIL):
                break
            end = head.end() + word.start() + len(bare)
            previous_capital = capital
            if bare != token:
                break
        # a trailing lowercase word belongs to the name only when it completes a capitalised one
        text = sentence[head.start():end]
        if len(text.split()) >= 2:
            spans.append((head.start(), end))
    return spans
