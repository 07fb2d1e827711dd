"""Reading and cleaning the scraped article files into Article records."""
from __future__ import annotations

import hashlib
import unicodedata

import pytest
from conftest import ALPHA, ALPHA_PARAGRAPHS, ALPHA_TITLE, BETA, BETA_TITLE, SEED_IDS, SEEDS, normalise_ws

from qa.ingest.corpus import read_article, read_corpus
from qa.ingest.page import parse_article
from qa.ingest.seeds import MAX_FILE_BYTES
from qa.errors import CorpusError

# ---- what each seed page is, stated by a reader of the raw files -----------------------------------

EXPECTED = {
    "000": dict(
        title="Đoàn công tác Ban chỉ đạo thực hiện quy chế dân chủ cơ sở Thành ủy Hà Nội thăm và làm việc tại "
              "thành phố Hồ Chí Minh",
        published="2019-11-04", outlet="LĐTĐ", author="PV"),
    "001": dict(title="Tăng cường công tác dân vận và thực hiện quy chế dân chủ ở cơ sở",
                published=None,  # "Chủ Nhật, ngày 19 tháng 1 năm 2020" is the site's today widget
                outlet="Thanhuytphcm.vn", author="Bùi Hiệp Thọ"),
    "002": dict(title="Bí thư Thành ủy Hà Nội: Tiếp tục đẩy mạnh phong trào 'dân vận khéo'",
                published=None, outlet="Tin tức TTXVN", author=None),
    "003": dict(title="Tăng cường mối quan hệ mật thiết giữa Đảng, chính quyền với Nhân dân",
                published="2022-05-19", outlet=None, author="Đặng Trang"),
    "004": dict(title="Củng cố mối quan hệ gắn bó mật thiết giữa Đảng, chính quyền với Nhân dân",
                published=None, outlet=None, author=None),
}

# Page chrome in seeds/, line by line (after whitespace normalisation). Everything else up to the
# teaser block of 004 is the article.
CHROME_LINES = {
    # 000 (laodongthudo.vn)
    "M", "20:32 | 04/11/2019", "Nguồn :",
    # 001 (thanhuytphcm.vn)
    "Chủ Nhật, ngày 19 tháng 1 năm 2020", "Ý kiến bạn đọc", "refresh", "Tổng lượt bình luận", "Tin khác", "Thông báo",
    # 002 (baotintuc.vn)
    "Nhập thông tin", "• Lỗi: Email không hợp lệ", "Đóng", "Nguồn: Tin tức TTXVN", "Tin mới",
    # 003
    "Chính trị Chính trị", "Ngày đăng 19/05/2022 | 08:03 | Lượt xem: 134", "Xem với cỡ chữ Đọc bài viết",
    "Description: IMG_8524",
    # 004: photo alt text echoing the headline
    "Củng cố mối quan hệ gắn bó mật thiết giữa Đảng, chính quyền với Nhân dân -0",
}
# 000 prints its URL slug as photo alt text and glues it to the titles of related stories.
SLUG_000 = ("doan cong tac ban chi dao thuc hien quy che dan chu co so thanh uy ha noi tham va lam viec tai "
            "thanh pho ho chi minh")
# 004 ends with a block of unrelated teasers; it starts at the first section label.
TEASERS_FROM = {"004": "Địa phương"}
OUTLET_TAGS = {"000": "(LĐTĐ) ", "001": "(Thanhuytphcm.vn) – "}
BYLINES = {"000": "PV", "001": "Bùi Hiệp Thọ", "003": "Đặng Trang"}

# Text of the chrome that must not be searchable anywhere (case-sensitive snippets).
CHROME_SNIPPETS = [
    "Ý kiến bạn đọc", "Tin khác", "Tin mới", "Nhập thông tin", "Email không hợp lệ", "Xem với cỡ chữ",
    "Đọc bài viết", "Lượt xem", "Description:", "IMG_", "Tổng lượt bình luận", "refresh", "Nguồn",
    "Chủ Nhật, ngày 19 tháng 1", "20:32", "Ngày đăng", "Chính trị Chính trị", "Nhân dân -0",
    "doan cong tac", "thuc hien quy che", "Hệ thống dân vận tiếp tục bám sát địa bàn",
    "Tiếp tục làm tốt công tác Dân vận để góp phần xây dựng",
    # the teaser block at the end of 004
    "Địa phương\n", "Trên đường phát triển", "Hoạt động chính quyền", "Hải Phòng", "FDI", "Bắc Ninh", "Cà Mau",
    "Lào Cai", "406 mô hình", "Kỷ niệm 70 năm Giải phóng Thủ đô", "Bắc Kạn", "dưa lưới", "Pác Nặm",
    "Dành sự quan tâm đặc biệt", "Sẵn sàng đồng hành",
]


def raw_seed(key: str) -> str:
    return (SEEDS / f"{SEED_IDS[key]}.txt").read_text(encoding="utf-8")


def real_paragraphs(key: str) -> list[str]:
    """The headline and paragraphs of a seed page, whitespace-normalised: raw lines minus chrome."""
    lines = [normalise_ws(line) for line in raw_seed(key).splitlines()]
    lines = [line for line in lines if line]
    if key in TEASERS_FROM:
        lines = lines[:lines.index(TEASERS_FROM[key])]
    paragraphs = []
    for line in lines:
        if line in CHROME_LINES or line.startswith(SLUG_000) or line == BYLINES.get(key):
            continue
        tag = OUTLET_TAGS.get(key)
        if tag and line.startswith(tag):
            line = line[len(tag):]
        paragraphs.append(line)
    return paragraphs


def stitched(chunks) -> str:
    """The text the chunks of one article cover, overlaps counted once, whitespace-normalised."""
    out, end = [], None
    for c in sorted(chunks, key=lambda c: (c.start, c.end)):
        if end is not None and c.start < end:
            if c.end > end:
                out.append(c.text[end - c.start:])
        else:
            out.append(" " + c.text)
        end = c.end if end is None else max(end, c.end)
    return normalise_ws("".join(out))


@pytest.fixture(scope="module", params=["fresh", "index"])
def chunks_by_article(request, seed_chunks, engine):
    """The chunks of each seed article: chunked now from seeds/, and as stored in the committed index."""
    if request.param == "fresh":
        return seed_chunks
    by_article: dict[str, list] = {}
    for c in engine.chunks:
        by_article.setdefault(c.article_id, []).append(c)
    return by_article


# ---- records ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("key", sorted(SEED_IDS))
def test_seed_article_metadata(seed_articles, key):
    article = seed_articles[SEED_IDS[key]]
    expected = EXPECTED[key]
    assert article.id == SEED_IDS[key]
    assert article.source == f"{SEED_IDS[key]}.txt"
    assert article.title == expected["title"]
    assert article.published == expected["published"]
    assert article.outlet == expected["outlet"]
    assert article.author == expected["author"]
    assert article.sha256 == hashlib.sha256((SEEDS / article.source).read_bytes()).hexdigest()


def test_articles_come_in_file_name_order(seed_articles):
    assert list(seed_articles) == [SEED_IDS[k] for k in sorted(SEED_IDS)]


@pytest.mark.parametrize("key", sorted(SEED_IDS))
def test_article_text_is_clean_nfc_with_plain_spaces(seed_articles, key):
    text = seed_articles[SEED_IDS[key]].text
    assert unicodedata.is_normalized("NFC", text)
    assert not any(ch in text for ch in "\u00a0\u2009\u202f\u200b\ufeff\t\r")
    assert "  " not in text
    assert text.startswith(EXPECTED[key]["title"] + "\n\n")
    paragraphs = text.split("\n\n")
    assert all(p and p == p.strip() and "\n" not in p for p in paragraphs)


def test_displayed_text_keeps_the_spelling_of_the_page(seed_articles):
    # old-style ("uỷ", "hoá", "khoá") and new-style ("ủy") tone placement both stay as written
    assert "Ban Dân vận Thành uỷ thành phố Hồ Chí Minh" in seed_articles[SEED_IDS["000"]].text
    assert "trưởng Ban dân vận Thành ủy Hà Nội" in seed_articles[SEED_IDS["000"]].text
    assert "Công tác đối thoại của cấp uỷ" in seed_articles[SEED_IDS["001"]].text
    assert "Bộ Chính trị (khoá X)" in seed_articles[SEED_IDS["002"]].text
    assert "cụ thể hóa cơ chế" in seed_articles[SEED_IDS["003"]].text


@pytest.mark.parametrize("key", sorted(SEED_IDS))
def test_article_body_is_exactly_the_real_paragraphs(seed_articles, key):
    article = seed_articles[SEED_IDS[key]]
    paragraphs = article.text.split("\n\n")
    if key in BYLINES and paragraphs[-1] == BYLINES[key]:
        paragraphs = paragraphs[:-1]  # the byline may stay at the end of the text
    assert paragraphs == real_paragraphs(key)


@pytest.mark.parametrize("key", sorted(SEED_IDS))
def test_every_real_paragraph_is_in_the_chunks(chunks_by_article, key):
    covered = stitched(chunks_by_article[SEED_IDS[key]])
    missing = [p for p in real_paragraphs(key) if p not in covered]
    assert missing == []
    assert len(real_paragraphs(key)) >= 5


def test_no_chrome_in_any_chunk(chunks_by_article):
    assert len(chunks_by_article) == 5
    for chunks in chunks_by_article.values():
        for chunk in chunks:
            for snippet in CHROME_SNIPPETS:
                assert snippet not in chunk.text, (chunk.article_id, snippet)
            for paragraph in chunk.text.split("\n\n"):
                assert paragraph not in CHROME_LINES, (chunk.article_id, paragraph)


def test_no_chrome_in_any_article_text(seed_articles):
    for article in seed_articles.values():
        for snippet in CHROME_SNIPPETS:
            assert snippet not in article.text, (article.id, snippet)


# ---- the same page saved differently reads the same ---------------------------------------------

@pytest.mark.parametrize("variant", ["nfd", "crlf", "bom", "nbsp"])
def test_encoding_variants_of_a_page_give_the_same_article(tmp_path, seed_articles, variant):
    original = seed_articles[SEED_IDS["003"]]
    raw = raw_seed("003")
    data = {
        "nfd": unicodedata.normalize("NFD", raw).encode(),
        "crlf": raw.replace("\n", "\r\n").encode(),
        "bom": b"\xef\xbb\xbf" + raw.encode(),
        "nbsp": raw.replace(" ", "\u00a0", 40).encode(),
    }[variant]
    path = tmp_path / original.source
    path.write_bytes(data)
    article = read_article(path)
    assert (article.id, article.title, article.text, article.published, article.outlet, article.author) == (
        original.id, original.title, original.text, original.published, original.outlet, original.author)
    assert article.sha256 == hashlib.sha256(data).hexdigest()


# ---- the rules generalise to new pages of the same sites --------------------------------------------

THANHUY = """Thứ Hai, ngày 3 tháng 2 năm 2025

Quận 3 đối thoại với thanh niên về chuyển đổi số

Bí thư Quận đoàn Quận 3 phát biểu tại buổi đối thoại.

(Thanhuytphcm.vn) – Sáng 2/2, tại Nhà văn hóa Thanh niên, Quận ủy Quận 3 tổ chức buổi đối thoại giữa người đứng đầu cấp ủy với đoàn viên, thanh niên về chuyển đổi số. Hơn 300 đoàn viên đã tham dự.

Tại buổi đối thoại, nhiều bạn trẻ đề xuất mở thêm lớp kỹ năng số miễn phí cho người cao tuổi. Lãnh đạo quận ghi nhận các ý kiến và giao Phòng Văn hóa - Thông tin nghiên cứu triển khai trong năm 2025.

Trần Quốc Huy


Ý kiến bạn đọc

refresh
\u00a0

Tổng lượt bình luận

Tin khác

Thông báo"""

BAOTINTUC = """Nhập thông tin
  • Lỗi: Email không hợp lệ

Đóng

Đà Nẵng đưa vào vận hành trạm xử lý nước thải Hòa Xuân

Đà Nẵng vừa đưa vào vận hành trạm xử lý nước thải công suất 20.000 m3 mỗi ngày đêm.

Ngày 12/6, UBND thành phố Đà Nẵng tổ chức lễ đưa vào vận hành trạm xử lý nước thải Hòa Xuân.\u00a0Công trình có tổng vốn 450 tỷ đồng, xử lý nước thải cho khoảng 100.000 người dân quận Cẩm Lệ.

Trạm xử lý nước thải Hòa Xuân nhìn từ trên cao. Ảnh: Văn Dũng/TTXVN

Theo Sở Xây dựng, trạm áp dụng công nghệ bùn hoạt tính, nước sau xử lý đạt quy chuẩn loại A trước khi xả ra sông Cẩm Lệ.\u00a0

Nguồn: Báo Tin tức

Tin mới"""

# A page shaped like 004: the article, then teasers of other stories under section labels.
HANOI_ARTICLE = """Tăng cường chuyển đổi số trong cải cách hành chính

Sáng 12.9, UBND TP. Hà Nội tổ chức hội nghị sơ kết công tác cải cách hành chính 9 tháng đầu năm 2024. Theo báo cáo, 95% hồ sơ thủ tục hành chính đã được tiếp nhận trực tuyến.

Nâng cao chất lượng phục vụ người dân

Phó Chủ tịch UBND thành phố yêu cầu các sở, ngành tiếp tục rà soát, cắt giảm thủ tục không cần thiết. Các quận, huyện cần công khai kết quả giải quyết hồ sơ để người dân giám sát.

Người dân làm thủ tục tại bộ phận một cửa của quận Đống Đa. Ảnh: T.L

Dự kiến trong quý IV, thành phố sẽ đưa thêm 120 dịch vụ công trực tuyến toàn trình vào vận hành.
"""
HANOI_PARAGRAPHS = [
    "Tăng cường chuyển đổi số trong cải cách hành chính",
    "Sáng 12.9, UBND TP. Hà Nội tổ chức hội nghị sơ kết công tác cải cách hành chính 9 tháng đầu năm 2024. Theo báo "
    "cáo, 95% hồ sơ thủ tục hành chính đã được tiếp nhận trực tuyến.",
    "Nâng cao chất lượng phục vụ người dân",
    "Phó Chủ tịch UBND thành phố yêu cầu các sở, ngành tiếp tục rà soát, cắt giảm thủ tục không cần thiết. Các quận, "
    "huyện cần công khai kết quả giải quyết hồ sơ để người dân giám sát.",
    "Người dân làm thủ tục tại bộ phận một cửa của quận Đống Đa. Ảnh: T.L",
    "Dự kiến trong quý IV, thành phố sẽ đưa thêm 120 dịch vụ công trực tuyến toàn trình vào vận hành.",
]
TEASERS_AFTER_FIRST = """
Thanh niên tình nguyện hỗ trợ người dân vùng lũ
Xã hội

Thanh niên tình nguyện hỗ trợ người dân vùng lũ

Hàng trăm đoàn viên thanh niên đã có mặt tại các xã ven sông để giúp người dân dọn dẹp nhà cửa sau lũ.

Ra mắt mô hình chợ an toàn thực phẩm
Kinh tế

Ra mắt mô hình chợ an toàn thực phẩm

Chợ Hôm là chợ thứ 5 của quận Hai Bà Trưng được công nhận đạt chuẩn an toàn thực phẩm trong năm nay.

Khánh thành nhà văn hóa thôn Đông
Xã hội

Khánh thành nhà văn hóa thôn Đông

Nhà văn hóa được xây dựng từ nguồn xã hội hóa với tổng kinh phí 2 tỷ đồng."""
FIRST_TEASER = {
    # like 004: the block opens with a section label
    "label_first": "\nKinh tế\n\nXây dựng nông thôn mới gắn với phát triển du lịch\nKinh tế\n\n"
                   "Xây dựng nông thôn mới gắn với phát triển du lịch\n\n"
                   "Nhiều xã của huyện Ba Vì đã khai thác thế mạnh cảnh quan để phát triển du lịch cộng đồng.\n",
    # like every other teaser of 004: headline, label, headline, lead
    "headline_first": "\nXây dựng nông thôn mới gắn với phát triển du lịch\nKinh tế\n\n"
                      "Xây dựng nông thôn mới gắn với phát triển du lịch\n\n"
                      "Nhiều xã của huyện Ba Vì đã khai thác thế mạnh cảnh quan để phát triển du lịch cộng đồng.\n",
    # like the "dưa lưới" teaser of 004: photo caption, label, headline, lead
    "caption_first": "\nMô hình du lịch cộng đồng tại xã Ba Trại (huyện Ba Vì) thu hút nhiều du khách.\nKinh tế\n\n"
                     "Xây dựng nông thôn mới gắn với phát triển du lịch\n\n"
                     "Nhiều xã của huyện Ba Vì đã khai thác thế mạnh cảnh quan để phát triển du lịch cộng đồng.\n",
}


def test_new_laodongthudo_page_cleans_like_000():
    article = parse_article(ALPHA, "alpha", "alpha.txt")
    assert article.title == ALPHA_TITLE
    assert article.published == "2023-03-21"
    assert article.outlet == "LĐTĐ"
    assert article.author == "Minh Anh"
    assert article.text.split("\n\n") == [ALPHA_TITLE, *ALPHA_PARAGRAPHS]
    assert "ha noi khanh thanh" not in article.text
    assert "Quận Hoàn Kiếm mở thêm tuyến phố đi bộ mới" not in article.text  # related story glued to the slug


def test_new_district_site_page_cleans_like_003():
    article = parse_article(BETA, "beta", "beta.txt")
    assert article.title == BETA_TITLE
    assert article.published == "2023-09-07"
    assert article.author == "Thu Hà"
    body = article.text.split("\n\n")
    assert body[0] == BETA_TITLE
    assert "Quang cảnh hội nghị đối thoại" in body  # a photo caption is article text
    for chrome in ("Xã hội", "Ngày đăng", "Lượt xem", "Xem với cỡ chữ", "Description", "IMG_2051"):
        assert chrome not in article.text
    assert len(body) == 7


def test_new_thanhuy_page_cleans_like_001():
    article = parse_article(THANHUY, "thanhuy", "thanhuy.txt")
    assert article.title == "Quận 3 đối thoại với thanh niên về chuyển đổi số"
    assert article.published is None  # the today widget is not a publication date
    assert article.outlet == "Thanhuytphcm.vn"
    assert article.author == "Trần Quốc Huy"
    assert article.text.split("\n\n") == [
        "Quận 3 đối thoại với thanh niên về chuyển đổi số",
        "Bí thư Quận đoàn Quận 3 phát biểu tại buổi đối thoại.",
        "Sáng 2/2, tại Nhà văn hóa Thanh niên, Quận ủy Quận 3 tổ chức buổi đối thoại giữa người đứng đầu cấp ủy với "
        "đoàn viên, thanh niên về chuyển đổi số. Hơn 300 đoàn viên đã tham dự.",
        "Tại buổi đối thoại, nhiều bạn trẻ đề xuất mở thêm lớp kỹ năng số miễn phí cho người cao tuổi. Lãnh đạo quận "
        "ghi nhận các ý kiến và giao Phòng Văn hóa - Thông tin nghiên cứu triển khai trong năm 2025.",
        "Trần Quốc Huy",
    ]


def test_new_baotintuc_page_cleans_like_002():
    article = parse_article(BAOTINTUC, "btt", "btt.txt")
    assert article.title == "Đà Nẵng đưa vào vận hành trạm xử lý nước thải Hòa Xuân"
    assert article.outlet == "Báo Tin tức"
    assert article.published is None
    assert article.text.split("\n\n") == [
        "Đà Nẵng đưa vào vận hành trạm xử lý nước thải Hòa Xuân",
        "Đà Nẵng vừa đưa vào vận hành trạm xử lý nước thải công suất 20.000 m3 mỗi ngày đêm.",
        "Ngày 12/6, UBND thành phố Đà Nẵng tổ chức lễ đưa vào vận hành trạm xử lý nước thải Hòa Xuân. Công trình có "
        "tổng vốn 450 tỷ đồng, xử lý nước thải cho khoảng 100.000 người dân quận Cẩm Lệ.",
        "Trạm xử lý nước thải Hòa Xuân nhìn từ trên cao. Ảnh: Văn Dũng/TTXVN",
        "Theo Sở Xây dựng, trạm áp dụng công nghệ bùn hoạt tính, nước sau xử lý đạt quy chuẩn loại A trước khi xả ra "
        "sông Cẩm Lệ.",
    ]


@pytest.mark.parametrize("shape", ["label_first", "headline_first", "caption_first"])
def test_teaser_block_with_other_labels_is_cut(shape):
    page = HANOI_ARTICLE + FIRST_TEASER[shape] + TEASERS_AFTER_FIRST
    article = parse_article(page, "hanoi", "hanoi.txt")
    assert article.text.split("\n\n") == HANOI_PARAGRAPHS
    for teaser in ("nông thôn mới", "Ba Vì", "Thanh niên tình nguyện", "chợ an toàn", "Kinh tế", "Xã hội"):
        assert teaser not in article.text


@pytest.mark.parametrize("line, iso", [
    ("20:32 | 04/11/2019", "2019-11-04"),
    ("08:15 | 21/3/2023", "2023-03-21"),
    ("Ngày đăng 19/05/2022 | 08:03 \u00a0|\u00a0Lượt xem: 134", "2022-05-19"),
    ("Ngày đăng 01/12/2021 | 17:45 | Lượt xem: 9", "2021-12-01"),
    ("Thứ Hai, 04/11/2019 20:32 GMT+7", "2019-11-04"),
    ("Thứ Hai, ngày 3 tháng 2 năm 2025", None),  # today widget
    ("20:32 | 31/02/2019", None),  # no such day: no date rather than a wrong one
])
def test_publication_date_lines(line, iso):
    page = f"{line}\n\nTiêu đề của một bài báo thử nghiệm\n\nNội dung bài viết có một câu. Và thêm một câu nữa."
    article = parse_article(page, "x", "x.txt")
    assert article.published == iso
    assert article.title == "Tiêu đề của một bài báo thử nghiệm"
    assert line.split()[0] not in article.text


# ---- files that cannot be read ------------------------------------------------------------------

def test_bad_files_are_named_with_a_reason_and_the_rest_is_read(make_seeds):
    folder = make_seeds({
        "a_good.txt": ALPHA,
        "empty.txt": "",
        "blank.txt": " \n\n\t \n",
        "latin1.txt": "Tiêu đề bài báo thử nghiệm số một\n\nNội dung".encode("cp1258", errors="replace") + b"\xff",
        "image.jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + bytes(200),
        "chrome.txt": "Nhập thông tin\n\nĐóng\n\nTin mới\n",
        "z_copy.txt": ALPHA,
        ".hidden.txt": "",
    })
    articles, problems = read_corpus(folder)
    assert [a.source for a in articles] == ["a_good.txt"]
    by_file = {p.source: p.message for p in problems}
    assert sorted(by_file) == [".hidden.txt", "blank.txt", "chrome.txt", "empty.txt", "image.jpg", "latin1.txt",
                               "z_copy.txt"]
    assert by_file[".hidden.txt"] == "hidden file; rename it to index it"  # named, not dropped silently
    assert "empty" in by_file["empty.txt"] and "empty" in by_file["blank.txt"]
    assert "UTF-8" in by_file["latin1.txt"]
    assert "binary" in by_file["image.jpg"]
    assert "no article text" in by_file["chrome.txt"]
    assert "same article as a_good.txt" in by_file["z_copy.txt"]
    for problem in problems:
        assert str(problem).startswith(problem.source + ": ")
        assert "\n" not in str(problem)


def test_a_huge_file_is_refused_without_reading_it_as_an_article(make_seeds):
    folder = make_seeds({"dump.txt": ("Một câu văn tiếng Việt khá dài để làm đầy tệp. " * 200_000)[:MAX_FILE_BYTES + 10],
                         "good.txt": BETA})
    articles, problems = read_corpus(folder)
    assert [a.source for a in articles] == ["good.txt"]
    assert [p.source for p in problems] == ["dump.txt"] and "too large" in problems[0].message


def test_missing_and_empty_seed_folders_are_errors(tmp_path):
    with pytest.raises(CorpusError, match="does not exist"):
        read_corpus(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CorpusError, match="no article files"):
        read_corpus(tmp_path / "empty")
