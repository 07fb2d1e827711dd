"""Articles of every accepted shape are indexed whole (issue 12), and the seeds folder is walked safely (issue 14).

The small files in tests/data/shapes/ are our own text: plain text with and without a title line,
Markdown, saved web pages, JSONL and CSV archives, dated and undated pages, bylines and photo credits.
"""
from __future__ import annotations

import builtins
import io
import os
import shutil
from pathlib import Path

import pytest
from conftest import SEED_IDS, SEEDS

import qa
from qa.index import store
from qa.cli import main
from qa.ingest.corpus import read_article, read_corpus
from qa.ingest.page import parse_article, title_from_name
from qa.ingest.seeds import MAX_ARCHIVE_BYTES, MAX_FILE_BYTES
from qa.engine import Engine
from qa.ingest.readers import parse_markdown

SHAPES = Path(__file__).parent / "data" / "shapes"


def paragraphs(article) -> list[str]:
    return article.text.split("\n\n")


def copy_shapes(tmp_path: Path, *names: str) -> Path:
    folder = tmp_path / "seeds"
    folder.mkdir(exist_ok=True)
    for name in names:
        shutil.copy(SHAPES / name, folder / name)
    return folder


# ---- plain text of any shape -----------------------------------------------------------------------

def test_a_one_word_first_line_followed_by_a_blank_line_is_the_title():
    article = read_article(SHAPES / "hue.txt")
    assert article.title == "Huế"
    assert paragraphs(article) == [
        "Huế",
        "Huế là cố đô của Việt Nam dưới triều Nguyễn. Thành phố nằm bên bờ sông Hương, nổi tiếng với quần thể di "
        "tích được UNESCO công nhận năm 1993.",
    ]


def test_a_file_of_one_paragraph_is_an_article_titled_by_its_file_name():
    article = read_article(SHAPES / "2023-11-02_cho-noi-cai-rang.txt")
    assert article.id == "2023-11-02_cho-noi-cai-rang"
    assert article.title == "cho noi cai rang"  # the date prefix dropped, dashes as spaces
    raw = (SHAPES / "2023-11-02_cho-noi-cai-rang.txt").read_text(encoding="utf-8").strip()
    assert paragraphs(article) == ["cho noi cai rang", raw]


def test_a_first_paragraph_running_into_the_text_is_text_not_the_title():
    article = read_article(SHAPES / "014_9c4e1f2a7b3d5e60_den-hung.txt")
    assert article.title == "den hung"  # number and hash prefix dropped
    body = paragraphs(article)[1:]
    assert len(body) == 2
    assert body[0].startswith("Sáng 10/3 âm lịch, hàng vạn người dân đã về Khu di tích lịch sử Đền Hùng")
    assert body[1].endswith("Lực lượng y tế túc trực tại năm điểm dọc đường lên đền.")


def test_lines_without_blank_lines_between_them_are_a_title_and_paragraphs():
    article = parse_article("Mùa lúa chín\nNgười dân Mù Cang Chải vào vụ gặt.\nDu khách kéo về ngắm ruộng bậc thang.",
                            "lua", "lua.txt")
    assert paragraphs(article) == ["Mùa lúa chín", "Người dân Mù Cang Chải vào vụ gặt.",
                                   "Du khách kéo về ngắm ruộng bậc thang."]


def test_a_hard_wrapped_paragraph_is_one_paragraph():
    article = read_article(SHAPES / "mua-nuoc-noi.txt")
    assert paragraphs(article) == [
        "Mùa nước nổi ở An Giang",
        "Mỗi năm vào tháng bảy âm lịch, nước từ thượng nguồn sông Mê Kông đổ về làm ngập những cánh đồng ở An Giang "
        "và Đồng Tháp. Người dân gọi đó là mùa nước nổi.",
        "Đây cũng là mùa cá linh, bông điên điển và những chuyến đò dọc kênh rạch.",
    ]


@pytest.mark.parametrize("name, title", [
    ("003_b6d49fa98f0d9187_tang-cuong-dan-van.txt", "tang cuong dan van"),
    ("2024-03-15_ha-noi-mo-tuyen-buyt.txt", "ha noi mo tuyen buyt"),
    ("20240315-hoi-an.txt", "hoi an"),
    ("b6d49fa98f0d9187_phu-quoc.txt", "phu quoc"),
    ("12_Sapa mùa mây.txt", "Sapa mùa mây"),
    ("ghi_chep.md", "ghi chep"),
    ("2024/thang-3/hoi-nghi.txt", "hoi nghi"),
    ("003_b6d49fa98f0d9187.txt", "003 b6d49fa98f0d9187"),  # nothing but a prefix: kept whole, not lost
])
def test_title_from_file_name(name, title):
    assert title_from_name(name) == title


def test_a_markdown_heading_is_the_title_and_markup_is_not_text():
    article = read_article(SHAPES / "lang-gom.md")
    assert article.title == "Làng gốm Bát Tràng vào mùa Tết"
    assert paragraphs(article) == [
        "Làng gốm Bát Tràng vào mùa Tết",
        "Những ngày cuối năm, làng gốm Bát Tràng (Gia Lâm, Hà Nội) tấp nập khách đến mua gốm về trưng Tết. Nhiều lò "
        "nung hoạt động suốt đêm để kịp đơn hàng, theo Hợp tác xã gốm sứ.",
        "Sản phẩm bán chạy",
        "Lọ hoa men lam",
        "Bộ ấm chén vẽ tay",
        "Tượng linh vật của năm",
        "Các nghệ nhân cho biết khách năm nay chuộng đồ gốm men rạn cổ hơn hàng in hoa văn sẵn.",
    ]


def test_markdown_front_matter_states_the_metadata():
    page = ("---\ntitle: Chợ phiên Bắc Hà\ndate: 2024-05-02\nauthor: Lò Văn Sơn\n---\n\n"
            "Chợ phiên Bắc Hà họp vào **sáng Chủ nhật** hằng tuần.\n")
    article = parse_markdown(page, "cho.md", "cho.md")
    assert (article.title, article.published, article.author) == ("Chợ phiên Bắc Hà", "2024-05-02", "Lò Văn Sơn")
    assert paragraphs(article)[1] == "Chợ phiên Bắc Hà họp vào sáng Chủ nhật hằng tuần."


# ---- saved web pages -------------------------------------------------------------------------------

def test_a_saved_page_gives_its_main_text_and_metadata():
    article = read_article(SHAPES / "trang-bao.html")
    assert article.id == article.source == "trang-bao.html"
    assert article.title == "Đà Lạt thí điểm phố đi bộ quanh hồ Xuân Hương"  # not the <title> with the site name
    assert article.published == "2024-04-06"
    assert article.author == "Phạm Ngọc Lan"
    assert article.outlet == "Báo Cao Nguyên Xanh"
    assert article.url == "https://caonguyenxanh.example.vn/da-lat-thi-diem-pho-di-bo-12345.html"
    assert paragraphs(article) == [
        "Đà Lạt thí điểm phố đi bộ quanh hồ Xuân Hương",
        "Từ tối thứ Bảy tuần này, Đà Lạt cấm xe máy và ô tô trên đoạn đường dài 1,2 km ven hồ Xuân Hương từ 18 giờ "
        "đến 23 giờ. Người dân và du khách có thể đi bộ, đạp xe và xem biểu diễn nghệ thuật đường phố.",
        "Ủy ban nhân dân thành phố cho biết thời gian thí điểm kéo dài ba tháng. Sau đó thành phố sẽ lấy ý kiến người "
        "dân trước khi quyết định duy trì phố đi bộ.",
        "Hồ Xuân Hương lúc chiều tối. Ảnh: Trần Minh Đức",  # the photo caption stays searchable
        "Các bãi giữ xe tạm được bố trí tại quảng trường Lâm Viên và chợ Đà Lạt, mỗi lượt gửi xe máy giá 5.000 đồng.",
    ]
    for chrome in ("Trang chủ", "Đăng nhập", "Tin liên quan", "Giá phòng khách sạn", "Đường dây nóng", "©"):
        assert chrome not in article.text


def test_a_page_that_states_no_date_gets_none_not_a_date_from_its_text():
    article = read_article(SHAPES / "trang-khong-ngay.html")
    assert article.title == "Làng nghề gốm Phù Lãng giữ lửa"
    assert "ký ngày 25/5/2017" in article.text  # a date in the text is the document's, not the page's
    assert (article.published, article.published_inferred, article.dateline) == (None, None, None)


# ---- archives ----------------------------------------------------------------------------------------

def test_a_jsonl_archive_is_one_article_per_row_and_a_bad_row_is_named(tmp_path):
    articles, problems = read_corpus(copy_shapes(tmp_path, "luu-tru.jsonl"))
    assert [a.id for a in articles] == ["luu-tru.jsonl#1", "luu-tru.jsonl#3"]
    assert {a.source for a in articles} == {"luu-tru.jsonl"}
    first, second = articles
    assert first.title == "Cần Thơ khởi công cầu Trần Hoàng Na"
    assert (first.published, first.author, first.outlet, first.url) == (
        "2023-08-15", "Huỳnh Văn Tài", "Báo Miền Tây Mới", "https://mientaymoi.example.vn/can-tho-khoi-cong-cau")
    assert paragraphs(first)[1:] == [
        "Sáng 15/8, thành phố Cần Thơ khởi công cầu Trần Hoàng Na bắc qua rạch Cái Khế. Cầu dài 400 m, tổng vốn hơn "
        "700 tỷ đồng.", "Công trình dự kiến hoàn thành sau 24 tháng."]
    assert second.title == "Sóc Trăng" and second.published is None
    assert [str(p) for p in problems] == [
        "luu-tru.jsonl: line 2: not valid JSON (Expecting ',' delimiter at column 58); row skipped, the other rows "
        "are read",
        "luu-tru.jsonl: line 4: published '32/13/2023' is not a date (write it as YYYY-MM-DD); row skipped, the "
        "other rows are read",
        "luu-tru.jsonl: line 5: no text; row skipped, the other rows are read",
    ]


def test_a_csv_archive_is_one_article_per_row_and_a_bad_row_is_named(tmp_path):
    articles, problems = read_corpus(copy_shapes(tmp_path, "luu-tru.csv"))
    assert [(a.id, a.source, a.title) for a in articles] == [
        ("luu-tru.csv#1", "luu-tru.csv", "Vĩnh Long"),
        ("luu-tru.csv#2", "luu-tru.csv", "Hội An mở cửa phố cổ ban đêm"),
    ]
    hoi_an = articles[1]
    assert (hoi_an.published, hoi_an.author, hoi_an.outlet) == ("2023-09-03", "Nguyễn Thị Hoa", "Báo Xứ Quảng")
    assert paragraphs(hoi_an)[1:] == ["Tối 2/9, phố cổ Hội An mở thêm các tuyến đi bộ ven sông Hoài.",
                                      "Mỗi đêm có khoảng 5.000 lượt khách tham quan."]
    assert [str(p) for p in problems] == [
        "luu-tru.csv: line 6: 7 fields, the header has 6; row skipped, the other rows are read"]


def test_a_csv_without_a_text_column_is_named(make_seeds):
    folder = make_seeds({"xuat.csv": "tieu_de,noi_dung\nA,B\n", "hue.txt": (SHAPES / "hue.txt").read_text()})
    articles, problems = read_corpus(folder)
    assert [a.source for a in articles] == ["hue.txt"]
    assert [p.source for p in problems] == ["xuat.csv"] and "no 'text' column" in problems[0].message


def test_every_shape_in_one_folder_is_indexed_or_named(tmp_path):
    articles, problems = read_corpus(copy_shapes(tmp_path, *sorted(p.name for p in SHAPES.iterdir())))
    indexed = {a.source for a in articles}
    assert indexed == {p.name for p in SHAPES.iterdir()}  # every file gave at least one article
    assert {p.source for p in problems} == {"luu-tru.jsonl", "luu-tru.csv"}  # only the bad rows, each named
    assert all(p.message.startswith("line ") for p in problems)


# ---- metadata honesty --------------------------------------------------------------------------------

def test_the_date_line_gives_the_publication_date_and_is_kept_as_printed():
    article = read_article(SHAPES / "ngay-dang.txt")
    assert article.published == "2023-06-05"
    assert article.dateline == "Ngày đăng 05/06/2023 | 09:15"  # without the view counter
    # the text alone would suggest 4/6/2022 ("Sáng 4/6", "chương trình công tác năm 2022"): the date line wins
    assert article.published_inferred is None
    assert "Lượt xem" not in article.text and "Xã hội" not in article.text


@pytest.mark.parametrize("name, inferred", [
    ("quy-mot.txt", "2021-04-28"),  # "Ngày 28/4," in the lead, "quý I/2021" the latest period reported
    ("chi-nam.txt", "2022"),  # "6 tháng đầu năm 2022" but no day in the lead: the year only
    ("khong-ngay.txt", None),  # "Ngày 12/5," but no year the article dates itself by: nothing is invented
    ("hue.txt", None),  # an encyclopedia paragraph with a year in it is not dated
])
def test_a_date_is_inferred_from_the_text_only_when_it_carries_enough(name, inferred):
    article = read_article(SHAPES / name)
    assert article.published is None and article.dateline is None
    assert article.published_inferred == inferred


@pytest.mark.parametrize("key, published, inferred", [
    ("000", "2019-11-04", None),
    ("001", None, "2019-07-01"),  # "Chiều 1/7" + "6 tháng đầu năm 2019"; the 19/1/2020 widget is the scrape day
    ("002", None, "2020-04-28"),  # "Ngày 28/4" + "quý I/2020"
    ("003", "2022-05-19", None),
    ("004", None, "2024-07-04"),  # "Sáng 4.7" + "6 tháng đầu năm 2024"
])
def test_seed_dates_stated_or_inferred(seed_articles, key, published, inferred):
    article = seed_articles[SEED_IDS[key]]
    assert (article.published, article.published_inferred) == (published, inferred)


def test_the_inference_agrees_with_a_date_line_it_does_not_see():
    """000 states 04/11/2019; without that line its text ("chương trình công tác năm 2019", "sáng ngày 4/11")
    gives the same day."""
    raw = (SEEDS / f"{SEED_IDS['000']}.txt").read_text(encoding="utf-8").replace("20:32 | 04/11/2019", "")
    article = parse_article(raw, "x", "x.txt")
    assert (article.published, article.published_inferred) == (None, "2019-11-04")


def test_a_byline_is_a_person_and_a_photo_credit_is_not(seed_articles):
    credited = read_article(SHAPES / "khong-ngay.txt")
    assert credited.author == "Lê Minh Khôi"  # "Bài, ảnh: Lê Minh Khôi"
    captioned = read_article(SHAPES / "quy-mot.txt")
    assert captioned.author is None  # "... Ảnh: Hồ Thanh/TTXVN" credits the photo
    assert paragraphs(captioned)[-1] == "Quang cảnh buổi họp báo. Ảnh: Hồ Thanh/TTXVN"  # and stays searchable
    seed = seed_articles[SEED_IDS["002"]]
    assert seed.author is None and "Quang cảnh buổi họp. Ảnh: Văn Điệp/TTXVN" in seed.text
    assert read_article(SHAPES / "ngay-dang.txt").author == "Lan Phương"
    # 004 names no outlet anywhere in the raw file (no "Nguồn:", no "(TAG)", no domain line): none is made up
    assert seed_articles[SEED_IDS["004"]].outlet is None


@pytest.mark.parametrize("ending, author, outlet", [
    ("Theo Minh Anh", "Minh Anh", None),
    ("Theo TTXVN", None, "TTXVN"),
    ("Theo baochinhphu.vn", None, "baochinhphu.vn"),
    ("Bài và ảnh: Hoàng Long/TTXVN", "Hoàng Long", None),
    ("Ảnh: Hoàng Long", None, None),
    # several writers
    ("Lê Hà - Minh Hiếu", "Lê Hà - Minh Hiếu", None),
    ("*Hồng Nhung – Minh Tuấn*", "Hồng Nhung – Minh Tuấn", None),
    ("Thu Hà, Minh Anh", "Thu Hà, Minh Anh", None),
    ("Thu Hà và Minh Anh", "Thu Hà và Minh Anh", None),
    # a credit of several writers keeps them all, and not the outlet after them
    ("Bài, ảnh: Lê Hà - Minh Hiếu", "Lê Hà - Minh Hiếu", None),
    ("Tin: Lê Hà, Minh Hiếu/TTXVN", "Lê Hà, Minh Hiếu", None),
    ("Bài và ảnh: Hoàng Long - TTXVN", "Hoàng Long", None),
    # a closing sentence, a place line or a list is no byline
    ("Hội nghị kết thúc lúc 17 giờ - Hà Nội", None, None),
    ("Hà Nội, Huế, Đà Nẵng, Cần Thơ, Hải Phòng", None, None),
])
def test_closing_credit_lines(ending, author, outlet):
    page = f"Lễ hội hoa ban\n\nLễ hội hoa ban diễn ra tại Điện Biên với nhiều hoạt động văn hóa.\n\n{ending}"
    article = parse_article(page, "x", "x.txt")
    assert (article.author, article.outlet) == (author, outlet)
    assert paragraphs(article)[-1].strip("*") == ending.strip("*")  # the credit stays in the text


def test_source_and_domain_lines_name_the_outlet_and_the_url():
    page = ("Quảng Ninh đón khách quốc tế\n\nVịnh Hạ Long đón 50.000 khách quốc tế trong tháng.\n\n"
            "Nguồn: https://www.baoquangninh.example.vn/don-khach-quoc-te.html")
    article = parse_article(page, "x", "x.txt")
    assert article.outlet == "baoquangninh.example.vn"
    assert article.url == "https://www.baoquangninh.example.vn/don-khach-quoc-te.html"
    assert "Nguồn" not in article.text
    article = parse_article("baoquangninh.vn\n\n" + page.rsplit("\n\n", 1)[0], "x", "x.txt")
    assert article.outlet == "baoquangninh.vn" and article.title == "Quảng Ninh đón khách quốc tế"


# ---- walking the seeds folder --------------------------------------------------------------------

def _article(title: str, sentence: str) -> str:
    return f"{title}\n\n{sentence} Bài viết dùng để kiểm tra việc đọc thư mục.\n"


@pytest.fixture
def tree(tmp_path):
    """seeds/ with subfolders, links inside and outside, a loop, a dangling link and hidden entries."""
    seeds = tmp_path / "seeds"
    (seeds / "2024" / "thang-3").mkdir(parents=True)
    (seeds / ".kho").mkdir()
    (tmp_path / "ngoai").mkdir()
    (seeds / "b.txt").write_text(_article("Bến Tre", "Bến Tre nổi tiếng với dừa."), encoding="utf-8")
    (seeds / "2024" / "b.txt").write_text(_article("Bạc Liêu", "Bạc Liêu có cánh đồng điện gió."), encoding="utf-8")
    (seeds / "2024" / "thang-3" / "c.txt").write_text(_article("Cà Mau", "Cà Mau có mũi đất cực nam."),
                                                      encoding="utf-8")
    (seeds / ".kho" / "d.txt").write_text(_article("Đồng Nai", "Đồng Nai có rừng Nam Cát Tiên."), encoding="utf-8")
    (seeds / ".an.txt").write_text(_article("Hà Giang", "Hà Giang có cao nguyên đá."), encoding="utf-8")
    (tmp_path / "ngoai" / "e.txt").write_text(_article("Lạng Sơn", "Lạng Sơn giáp biên giới."), encoding="utf-8")
    (seeds / "lien-ket.txt").symlink_to(seeds / ".kho" / "d.txt")  # inside the seeds folder: followed
    (seeds / "ngoai.txt").symlink_to(tmp_path / "ngoai" / "e.txt")  # outside: not followed
    (seeds / "thu-muc-ngoai").symlink_to(tmp_path / "ngoai", target_is_directory=True)
    (seeds / "2024" / "vong").symlink_to(seeds, target_is_directory=True)  # back to an ancestor
    (seeds / "x1.txt").symlink_to(seeds / "x2.txt")  # a two-link loop
    (seeds / "x2.txt").symlink_to(seeds / "x1.txt")
    (seeds / "mat.txt").symlink_to(seeds / "khong-co.txt")  # dangling
    (seeds / "index").mkdir()  # an index built inside the seeds folder is not read as articles
    (seeds / "index" / "manifest.json").write_text("{}", encoding="utf-8")
    (seeds / "index" / "chunks.jsonl").write_text('{"title": "Đoạn", "text": "Một đoạn đã lưu."}\n', encoding="utf-8")
    return seeds


def test_subfolders_are_read_and_every_link_or_hidden_entry_is_accounted_for(tree):
    articles, problems = read_corpus(tree)
    assert [(a.id, a.source, a.title) for a in articles] == [
        ("2024/b", "2024/b.txt", "Bạc Liêu"),  # same stem as b.txt, another id
        ("2024/thang-3/c", "2024/thang-3/c.txt", "Cà Mau"),
        ("b", "b.txt", "Bến Tre"),
        ("lien-ket", "lien-ket.txt", "Đồng Nai"),
    ]
    by_name = {p.source: p.message for p in problems}
    assert by_name == {
        ".an.txt": "hidden file; rename it to index it",
        ".kho": "hidden folder; rename it to index it",
        "2024/vong": "symbolic link loop (leads back to .); not followed",
        "index": "a hoi-dap index folder, not articles; not read",
        "mat.txt": f"broken symbolic link (its target {tree / 'khong-co.txt'} does not exist)",
        "ngoai.txt": f"symbolic link to {os.path.realpath(tree.parent / 'ngoai' / 'e.txt')}, outside the seeds "
                     "folder; not followed",
        "thu-muc-ngoai": f"symbolic link to {os.path.realpath(tree.parent / 'ngoai')}, outside the seeds folder; "
                         "not followed",
        "x1.txt": "symbolic link loop; not followed",
        "x2.txt": "symbolic link loop; not followed",
    }
    # staleness detection hashes exactly the files that were read, by the same relative paths
    assert set(store.seed_hashes(tree)) == {a.source for a in articles}


def test_a_changed_file_in_a_subfolder_changes_the_seed_hashes(tree):
    before = store.seed_hashes(tree)
    (tree / "2024" / "thang-3" / "c.txt").write_text(_article("Cà Mau", "Cà Mau có rừng đước."), encoding="utf-8")
    after = store.seed_hashes(tree)
    assert sorted(name for name in before if before[name] != after[name]) == ["2024/thang-3/c.txt"]


class _OpenSpy:
    """Records every file opened through open()/io.open (what Path.read_bytes uses too)."""

    def __init__(self, monkeypatch):
        self.opened: list[str] = []
        real = builtins.open

        def spy(file, *args, **kwargs):
            if isinstance(file, (str, bytes, os.PathLike)):
                self.opened.append(os.fsdecode(file))
            return real(file, *args, **kwargs)

        monkeypatch.setattr(builtins, "open", spy)
        monkeypatch.setattr(io, "open", spy)


@pytest.mark.parametrize("name, size, limit", [
    ("dump.txt", MAX_FILE_BYTES + 1, "5 MB per article file"),
    ("export.jsonl", MAX_ARCHIVE_BYTES + 1, "200 MB per archive file"),
])
def test_a_file_over_the_limit_is_skipped_without_being_opened(make_seeds, monkeypatch, name, size, limit):
    folder = make_seeds({"hue.txt": (SHAPES / "hue.txt").read_text(encoding="utf-8")})
    with open(folder / name, "wb") as handle:
        handle.truncate(size)  # sparse: takes no disk space
    spy = _OpenSpy(monkeypatch)
    articles, problems = read_corpus(folder)
    hashes = store.seed_hashes(folder)
    assert [a.source for a in articles] == ["hue.txt"]
    assert [str(p) for p in problems] == [f"{name}: too large ({size / 1e6:.1f} MB; the limit is {limit})"]
    assert not [path for path in spy.opened if path.endswith(name)], "the over-limit file was opened"
    assert set(hashes) == {"hue.txt", name}  # still watched for changes, by size and time


# ---- indexing: every article searchable, per-file counts -------------------------------------------

ONE_WORD_TITLES = """Paris Roma Berlin Madrid Lisboa Praha Warszawa Budapest Athena Oslo Stockholm Helsinki Copenhagen
Dublin Amsterdam Bruxelles Geneva Zürich Milano Napoli Venezia Moskva Kyiv Istanbul Cairo Nairobi Lagos Dakar Tunis
Casablanca Dubai Doha Tehran Karachi Delhi Mumbai Kathmandu Dhaka Colombo Yangon Bangkok Manila Jakarta Singapore
Seoul Tokyo Osaka Kyoto Sydney Melbourne Auckland Toronto Montreal Vancouver Chicago Boston Havana Lima Bogotá
Quito""".split()
FACTS = [
    "{t} là một thành phố lớn với nhiều bảo tàng và công viên. Du khách thường đến {t} vào mùa xuân.",
    "Người dân {t} đi làm bằng tàu điện và xe buýt. Chính quyền {t} đang mở rộng làn đường xe đạp.",
    "{t} có một khu phố cổ được giữ gìn cẩn thận. Mỗi năm {t} tổ chức một lễ hội âm nhạc ngoài trời.",
]


@pytest.mark.slow
def test_sixty_articles_with_one_word_titles_are_all_indexed_and_found_by_title(tmp_path):
    assert len(ONE_WORD_TITLES) == 60 == len(set(ONE_WORD_TITLES))
    seeds = tmp_path / "seeds"
    for i, title in enumerate(ONE_WORD_TITLES):
        folder = seeds / f"nhom-{i % 3}"  # in subfolders, as an archive of many articles is kept
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{i:03d}.txt").write_text(f"{title}\n\n{FACTS[i % 3].format(t=title)}\n", encoding="utf-8")
    report = Engine.build(seeds, tmp_path / "index", progress=False)
    assert (report.articles, report.problems) == (60, [])
    assert report.per_file == {f"nhom-{i % 3}/{i:03d}.txt": (1, 1) for i in range(60)}
    engine = qa.load(tmp_path / "index")
    assert sorted(a.title for a in engine.articles.values()) == sorted(ONE_WORD_TITLES)
    missed = []
    for i, title in enumerate(ONE_WORD_TITLES):
        if f"nhom-{i % 3}/{i:03d}" not in [hit.article_id for hit in engine.search(title, k=3)]:
            missed.append(title)
    assert missed == []
    assert engine.stale_files(seeds) == []
    (seeds / "nhom-1" / "001.txt").write_text("Roma\n\nRoma là thủ đô của Ý.\n", encoding="utf-8")
    assert engine.stale_files(seeds) == ["nhom-1/001.txt"]


@pytest.mark.slow
def test_index_verbose_prints_one_line_per_file(capsys, tmp_path):
    seeds = copy_shapes(tmp_path, "hue.txt", "luu-tru.jsonl", "trang-bao.html")
    (seeds / ".nhap.txt").write_text("bản nháp", encoding="utf-8")
    rc = main(["index", "--seeds", str(seeds), "--index", str(tmp_path / "index"), "--quiet", "--verbose"])
    out, err = capsys.readouterr()
    assert rc == 0
    lines = out.strip().splitlines()
    assert lines[:-1] == [
        "skipped .nhap.txt: hidden file; rename it to index it",
        "indexed hue.txt: 1 article, 1 chunk",
        "indexed luu-tru.jsonl: 2 articles, 2 chunks",
        "skipped luu-tru.jsonl: line 2: not valid JSON (Expecting ',' delimiter at column 58); row skipped, the "
        "other rows are read",
        "skipped luu-tru.jsonl: line 4: published '32/13/2023' is not a date (write it as YYYY-MM-DD); row "
        "skipped, the other rows are read",
        "skipped luu-tru.jsonl: line 5: no text; row skipped, the other rows are read",
        "indexed trang-bao.html: 1 article, 1 chunk",
    ]
    assert lines[-1].startswith("indexed 4 articles as 4 chunks")
    assert err.strip() == "qa: 4 skipped (files or rows, listed above)"
