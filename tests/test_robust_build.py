"""Issue 14, building: nothing deleted that is not ours, every OS error one line, huge files never read.

Rows of the issue's table covered here (docs/robustness.md lists them all):
  1  the index folder is, holds or sits inside the seeds folder (symbolic links resolved), or is a
     folder of other files: refused with one line, exit 2, nothing touched;
  2  a 6 GB file (and a 6 GB archive) in the seeds folder: skipped from `stat`, never read;
  5  a full disk, a read-only file system, a busy folder (mount point), no permission, `--index .`,
     a file in the way: one line naming the folder and what to do, exit 2, the previous index
     byte-identical, no temporary folder left. Real where this machine allows it: a private tmpfs
     (`unshare -m`) of a few KB for the full disk, remounted read-only, or used as the index
     folder (EBUSY); `chattr +i` for permission when running as root (chmod does not stop root).
     The same faults are also injected into the real build (each write step raising ENOSPC/EROFS),
     which runs on any machine;
  7  subfolders, links to folders, dangling links, link loops, hidden files: read or named.
Each test fails on the code before issue 14 (commit 6f449cc) and passes now.
"""
from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import ALPHA, ALPHA_TITLE, BETA, REPO, run_qa
from test_cli_core import assert_one_line_error, call

import qa
from qa.engine import Engine

ALPHA_QUESTION = "Cây cầu đi bộ qua hồ Thiền Quang dài bao nhiêu mét?"


# ---- helpers ---------------------------------------------------------------------------------------

def snapshot(folder: Path) -> dict[str, str]:
    """Every file and link under `folder` (hidden ones included) and its hash or target."""
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = str(path.relative_to(folder))
        if path.is_symlink():
            out[rel] = "-> " + os.readlink(path)
        elif path.is_file():
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            out[rel] = "dir"
    return out


def leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if ".tmp-" in p.name or ".old-" in p.name)


@pytest.fixture
def seeds(make_seeds):
    return make_seeds({"alpha.txt": ALPHA, "beta.txt": BETA})


def _answers(index: Path) -> None:
    hit = qa.load(index).search(ALPHA_TITLE, k=1)[0]
    assert hit.title == ALPHA_TITLE


# ---- row 1: the seeds (and anything that is not an index) are never replaced ------------------------

def _overlaps(tmp_path: Path, seeds: Path, tiny_index: tuple) -> dict[str, tuple[str, str, str]]:
    """name -> (--seeds, --index, what the message says), as paths relative to tmp_path (the cwd)."""
    (tmp_path / "seeds-link").symlink_to(seeds, target_is_directory=True)
    holder = tmp_path / "holder"  # an index folder with the articles inside it
    shutil.copytree(tiny_index[1], holder)
    shutil.copytree(seeds, holder / "articles")
    return {
        "index is the seeds folder": ("seeds", "seeds", "is the seeds folder"),
        "index is the seeds folder, spelled ./seeds/": ("seeds", "./seeds/", "is the seeds folder"),
        "index is a symbolic link to the seeds folder": ("seeds", "seeds-link", "is the seeds folder"),
        "seeds given through a symbolic link, index the real folder": ("seeds-link", "seeds", "is the seeds folder"),
        "index holds the seeds folder": ("holder/articles", "holder", "contains the seeds folder"),
        "index is the seeds folder's parent, spelled seeds/..": ("seeds", "seeds/..", "contains the seeds folder"),
        "index is the current folder, which holds the seeds": ("seeds", ".", "contains the seeds folder"),
        "index inside the seeds folder": ("seeds", "seeds/index", "inside the seeds folder"),
    }


OVERLAPS = ["index is the seeds folder", "index is the seeds folder, spelled ./seeds/",
            "index is a symbolic link to the seeds folder",
            "seeds given through a symbolic link, index the real folder", "index holds the seeds folder", "index is the seeds folder's parent, spelled seeds/..",
            "index is the current folder, which holds the seeds", "index inside the seeds folder"]


@pytest.mark.parametrize("case", OVERLAPS)
def test_a_build_that_would_replace_the_seeds_is_refused(capsys, monkeypatch, tmp_path, seeds, tiny_index, case):
    seeds_arg, index_arg, needle = _overlaps(tmp_path, seeds, tiny_index)[case]
    monkeypatch.chdir(tmp_path)
    before = snapshot(tmp_path)
    rc, out, err = call(capsys, "index", "--seeds", seeds_arg, "--index", index_arg, "--quiet")
    line = assert_one_line_error(rc, err, needle, "--index")
    assert out == ""
    assert snapshot(tmp_path) == before, "nothing may be written, moved or deleted (not even a lock file)"
    assert "e.g. --index " in line  # and it says what to pass instead


def test_the_issue_repro_index_equals_seeds_in_a_subprocess(tmp_path, seeds):
    """`qa index --index seeds`: exit 0 and the articles deleted by the swap, before issue 14."""
    before = snapshot(seeds)
    result = run_qa("index", "--seeds", "seeds", "--index", "seeds", "--quiet", cwd=tmp_path)
    assert_one_line_error(result.returncode, result.stderr, "seeds", "would delete the articles")
    assert snapshot(seeds) == before and result.stdout == ""


def test_the_api_refuses_too(tmp_path, seeds):
    from qa.errors import IndexFolderError

    before = snapshot(seeds)
    with pytest.raises(IndexFolderError, match="is the seeds folder"):
        Engine.build(seeds, seeds, progress=False)
    assert snapshot(seeds) == before


NOT_OURS = {  # name -> (make it at the index path, words of the message)
    "a folder of other files": (lambda p: (p.mkdir(), (p / "notes.txt").write_text("ghi chú")), "holds other files"),
    "a folder with someone else's manifest.json": (
        lambda p: (p.mkdir(), (p / "manifest.json").write_text('{"format_version": 2, "header": {"name": "pack"}}'),
                   (p / "pack_icon.png").write_bytes(b"\x89PNG")), "holds other files"),
    "a manifest.json alone (a web app's)": (
        lambda p: (p.mkdir(), (p / "manifest.json").write_text('{"name": "app", "start_url": "/"}')),
        "holds other files"),
    "a file": (lambda p: p.write_text("không phải thư mục"), "is a file"),
    "a symbolic link to a folder of other files": (
        lambda p: ((p.parent / "elsewhere").mkdir(), (p.parent / "elsewhere" / "a.txt").write_text("x"),
                   p.symlink_to(p.parent / "elsewhere", target_is_directory=True)), "holds other files"),
}


@pytest.mark.parametrize("case", sorted(NOT_OURS))
def test_a_folder_that_is_not_an_index_is_refused_not_replaced(capsys, tmp_path, seeds, case):
    make, needle = NOT_OURS[case]
    target = tmp_path / "idx"
    make(target)
    before = snapshot(tmp_path)
    rc, out, err = call(capsys, "index", "--seeds", seeds, "--index", target, "--quiet")
    assert_one_line_error(rc, err, str(target), needle, "--index")
    assert snapshot(tmp_path) == before


def test_an_empty_folder_and_a_damaged_index_are_built_into(capsys, tmp_path, seeds, tiny_index):
    from conftest import HashEmbedder

    empty = tmp_path / "empty"
    empty.mkdir()
    Engine.build(seeds, empty, progress=False, embedder=HashEmbedder())
    assert (empty / "manifest.json").is_file()
    damaged = tmp_path / "damaged"  # an index whose manifest was lost: nothing but our files, so ours
    shutil.copytree(tiny_index[1], damaged)
    (damaged / "manifest.json").unlink()
    rc, out, err = call(capsys, "search", ALPHA_TITLE, "--index", damaged)
    assert_one_line_error(rc, err, "manifest.json is missing", f"qa index --index {damaged}")
    Engine.build(seeds, damaged, progress=False, embedder=HashEmbedder())  # the fix the message names works
    assert (damaged / "manifest.json").is_file()


def test_a_folder_that_became_foreign_during_the_build_is_not_moved_aside(monkeypatch, tmp_path, seeds,
                                                                          tiny_index_copy):
    """Checked again at the last moment, right before the swap (the build may take minutes)."""
    from qa.index import store
    from qa.errors import IndexFolderError

    real_write = store._write

    def write_then_someone_replaces_the_folder(*args):
        real_write(*args)
        shutil.rmtree(tiny_index_copy)
        tiny_index_copy.mkdir()
        (tiny_index_copy / "thesis.docx").write_bytes(b"PK\x03\x04 five years of work")

    monkeypatch.setattr(store, "_write", write_then_someone_replaces_the_folder)
    with pytest.raises(IndexFolderError, match="holds other files"):
        Engine.build(seeds, tiny_index_copy, progress=False)
    assert (tiny_index_copy / "thesis.docx").read_bytes() == b"PK\x03\x04 five years of work"
    assert leftovers(tiny_index_copy.parent) == []


# ---- row 5: every OS error is one line; the previous index stays; no temporary folder is left --------

@pytest.fixture
def previous(tiny_index_copy):
    """The index being rebuilt, with its bytes now."""
    return tiny_index_copy, snapshot(tiny_index_copy)


def assert_untouched(previous) -> None:
    index, files = previous
    assert snapshot(index) == files
    assert leftovers(index.parent) == []
    _answers(index)


def _raise(exc):
    def fail(*args, **kwargs):
        raise exc
    return fail


def _raise_at(code: int, name: str = ""):
    """A writer that fails with `code` on `name` inside the folder it was given (as the kernel reports it)."""
    def fail(*args, **kwargs):
        folder = next(a for a in args if isinstance(a, Path))
        raise OSError(code, os.strerror(code), str(folder / name if name else folder))
    return fail


def _faiss_full(*args, **kwargs):  # what faiss raises on a full disk (measured on a 300 KB tmpfs)
    raise RuntimeError("Error in void faiss::write_index(const Index*, IOWriter*, int) at index_write.cpp:499: "
                       "Error: 'ret == (size * 4)' failed: write error in x/dense.faiss: 20435 != 153600 "
                       "(No space left on device)")


# name -> (what is replaced, by what, words of the message). Each replaces one write step of the real
# build; the errors are those the kernel (or faiss, or numpy) gives for that condition.
INJECTED = {
    "disk full writing the first file": ("qa.index.store._write", _raise_at(errno.ENOSPC, "articles.jsonl"),
                                         ["disk is full", "free some space"]),
    "disk full in faiss (a RuntimeError)": ("qa.index.dense.DenseIndex.save", _faiss_full, ["disk is full"]),
    "disk full in numpy (a short write, no errno)": (
        "qa.index.sentences.SentenceTable.save", _raise(OSError("6347 requested and 6112 written")), ["disk is full"]),
    "disk full writing BM25": ("qa.index.lexical.LexicalIndex.save", _raise_at(errno.ENOSPC), ["disk is full"]),
    "quota exceeded": ("qa.index.lexical.LexicalIndex.save", _raise_at(errno.EDQUOT), ["disk is full"]),
    "read-only file system": ("qa.index.store._write", _raise_at(errno.EROFS), ["read-only", "writable"]),
    "permission denied": ("qa.index.store._write", _raise_at(errno.EACCES), ["no permission", "permissions"]),
    "I/O error": ("qa.index.store._write", _raise_at(errno.EIO, "chunks.jsonl"), ["Input/output error"]),
}


@pytest.mark.parametrize("case", sorted(INJECTED))
def test_an_os_error_while_writing_is_one_line(capsys, monkeypatch, seeds, previous, case):
    target, replacement, needles = INJECTED[case]
    monkeypatch.setattr(target, replacement)
    rc, out, err = call(capsys, "index", "--seeds", seeds, "--index", previous[0], "--quiet")
    line = assert_one_line_error(rc, err, f"cannot write the index {previous[0]}", *needles)
    assert "the previous index is unchanged" in line and out == ""
    monkeypatch.undo()
    assert_untouched(previous)


def test_an_os_error_outside_the_index_is_not_called_a_write_error(capsys, monkeypatch, seeds, previous):
    """A model file that cannot be read, say: named as it is, not blamed on the index folder."""
    model = "/opt/models/e5/model.safetensors"
    monkeypatch.setattr("qa.index.build.get_embedder",
                        _raise(PermissionError(errno.EACCES, os.strerror(errno.EACCES), model)))
    rc, out, err = call(capsys, "index", "--seeds", seeds, "--index", previous[0], "--quiet")
    monkeypatch.undo()
    assert_one_line_error(rc, err, f"cannot build the index {previous[0]}: Permission denied ({model})",
                          "the previous index is unchanged")
    assert_untouched(previous)


@pytest.mark.parametrize("which, code", [("first", errno.EBUSY), ("first", errno.EACCES),
                                         ("second", errno.ENOSPC), ("second", errno.EXDEV)])
def test_a_failed_swap_puts_the_previous_index_back(capsys, monkeypatch, seeds, previous, which, code):
    """The swap is two renames (index -> parked, new -> index); either may fail."""
    from qa.index import store

    real_rename = os.rename
    calls = []

    def rename(src, dst):
        calls.append(src)
        if (which == "first" and Path(src) == previous[0]) or (which == "second" and ".tmp-" in str(src)):
            raise OSError(code, os.strerror(code), str(src))
        return real_rename(src, dst)

    monkeypatch.setattr(store.os, "rename", rename)
    rc, out, err = call(capsys, "index", "--seeds", seeds, "--index", previous[0], "--quiet")
    monkeypatch.undo()
    assert_one_line_error(rc, err, str(previous[0]), "the previous index is unchanged")
    assert_untouched(previous)


@contextlib.contextmanager
def unwritable(folder: Path):
    """`folder` made unwritable for this process: chmod for a normal user; for root, whom chmod does not
    stop, the immutable attribute (`chattr +i`, which stops root too). Skips where neither works."""
    if os.geteuid() != 0:
        mode = folder.stat().st_mode
        folder.chmod(0o555)
        undo = lambda: folder.chmod(mode)  # noqa: E731
    else:
        if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(folder)],
                                                            capture_output=True).returncode != 0:
            pytest.skip("running as root and chattr +i is not available: cannot make a folder unwritable")
        undo = lambda: subprocess.run(["chattr", "-i", str(folder)], check=True)  # noqa: E731
    try:
        probe = folder / ".probe"
        try:
            probe.write_text("x")
        except OSError:
            pass
        else:
            probe.unlink()
            pytest.skip("this file system lets this user write anyway")
        yield
    finally:
        undo()


def test_no_permission_on_the_parent_folder(capsys, tmp_path, seeds):
    parent = tmp_path / "ro"
    parent.mkdir()
    with unwritable(parent):
        rc, out, err = call(capsys, "index", "--seeds", seeds, "--index", parent / "idx", "--quiet")
    assert_one_line_error(rc, err, f"no permission to write in {parent}", "nothing was written")
    assert list(parent.iterdir()) == []


def test_no_permission_beside_an_existing_index(capsys, tmp_path, seeds, tiny_index):
    """The folder holding the index cannot be written: not even the lock file can be made."""
    parent = tmp_path / "ro"
    parent.mkdir()
    shutil.copytree(tiny_index[1], parent / "idx")
    previous = (parent / "idx", snapshot(parent / "idx"))
    with unwritable(parent):
        rc, out, err = call(capsys, "index", "--seeds", seeds, "--index", parent / "idx", "--quiet")
    assert_one_line_error(rc, err, f"no permission to write in {parent}", "the previous index is unchanged")
    assert sorted(p.name for p in parent.iterdir()) == ["idx"]
    assert_untouched(previous)


def test_an_index_folder_that_cannot_be_moved(capsys, seeds, previous):
    """The parent is writable, the index folder itself is not: the new index is written, the swap
    fails, and the temporary folder (a whole index) is removed."""
    with unwritable(previous[0]):
        rc, out, err = call(capsys, "index", "--seeds", seeds, "--index", previous[0], "--quiet")
    assert_one_line_error(rc, err, "no permission", "the previous index is unchanged")
    assert_untouched(previous)


def test_index_dot_is_one_line_and_writes_nothing(capsys, monkeypatch, seeds, previous):
    """`qa index --index .` from inside an index folder (the old message for `--index ""` suggested it)."""
    monkeypatch.chdir(previous[0])
    rc, out, err = call(capsys, "index", "--seeds", seeds, "--index", ".", "--quiet")
    assert_one_line_error(rc, err, "is the current folder", f"cd .. && qa index --index {previous[0].name}")
    assert_untouched(previous)
    rc, out, err = call(capsys, "index", "--seeds", seeds, "--index", "", "--quiet")
    assert_one_line_error(rc, err, "--index is empty")
    assert_untouched(previous)


@pytest.mark.slow
def test_index_dot_in_a_subprocess(seeds, previous):
    result = run_qa("index", "--seeds", str(seeds), "--index", ".", "--quiet", cwd=previous[0])
    assert_one_line_error(result.returncode, result.stderr, "is the current folder")
    assert_untouched(previous)


def test_a_file_in_the_way_of_the_index_folder(capsys, tmp_path, seeds):
    (tmp_path / "afile").write_text("x")
    rc, out, err = call(capsys, "index", "--seeds", seeds, "--index", tmp_path / "afile" / "idx", "--quiet")
    assert_one_line_error(rc, err, "a file is in the way", str(tmp_path / "afile"))
    assert (tmp_path / "afile").read_text() == "x"


def test_an_unreadable_seed_file_is_named_and_the_rest_indexed(capsys, monkeypatch, seeds, previous):
    """Permission denied on one article (simulated: root reads anything): skipped with its reason."""
    import builtins
    import io

    (seeds / "secret.txt").write_text(ALPHA.replace("120 m", "130 m"), encoding="utf-8")
    real_open = io.open

    def guarded_open(file, *args, **kwargs):
        if str(file).endswith("secret.txt"):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded_open)
    monkeypatch.setattr(io, "open", guarded_open)
    rc, out, err = call(capsys, "index", "--seeds", seeds, "--index", previous[0], "--quiet")
    monkeypatch.undo()
    assert rc == 0 and out.startswith("indexed 2 articles"), err
    assert err.strip().splitlines() == ["qa: skipped secret.txt: cannot read (Permission denied)"]


# ---- the same faults for real, in a private tmpfs (unshare -m: the mount is seen by this test only) ------

_DRIVER = r"""
import hashlib, json, os, shutil, subprocess, sys
from pathlib import Path

spec = json.loads(sys.argv[1])
mnt = Path(spec["mount"])
subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mnt)], check=True)
index = mnt / spec["name"] if spec["name"] else mnt
if spec["name"]:
    shutil.copytree(spec["index"], index)
else:
    for p in Path(spec["index"]).iterdir():
        (shutil.copytree if p.is_dir() else shutil.copy2)(p, index / p.name)
if spec.get("free") is not None:  # shrink the disk to what it holds now plus `free` bytes
    used = shutil.disk_usage(mnt).used
    subprocess.run(["mount", "-o", f"remount,size={used + spec['free']}", str(mnt)], check=True)
if spec.get("readonly"):
    subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True)

def snap():
    return {str(p.relative_to(index)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(index.rglob("*")) if p.is_file()}

before = snap()
run = subprocess.run([sys.executable, "-m", "qa", "index", "--seeds", spec["seeds"], "--index", str(index),
                      "--quiet"], capture_output=True, text=True, cwd=spec["cwd"])
print(json.dumps({"rc": run.returncode, "out": run.stdout, "err": run.stderr, "same": snap() == before,
                  "mount": sorted(os.listdir(mnt)), "beside": sorted(os.listdir(mnt.parent)),
                  "free": shutil.disk_usage(mnt).free}))
"""


@pytest.fixture(scope="module")
def private_tmpfs() -> None:
    """Skip unless this process may mount a tmpfs in a private mount namespace (root with CAP_SYS_ADMIN)."""
    if shutil.which("unshare") is None:
        pytest.skip("no unshare here: the real-disk cases are covered by the injected ones above")
    probe = tempfile.mkdtemp()
    try:
        ok = subprocess.run(["unshare", "-m", "sh", "-c", f"mount -t tmpfs -o size=64k tmpfs {probe}"],
                            capture_output=True, timeout=30).returncode == 0
    finally:
        shutil.rmtree(probe, ignore_errors=True)
    if not ok:
        pytest.skip("cannot mount a private tmpfs here: the real-disk cases are covered by the injected ones above")


def _in_tmpfs(tmp_path: Path, seeds: Path, index: Path, *, name: str = "index", free: int | None = None,
              readonly: bool = False) -> dict:
    mount = tmp_path / "disk"
    mount.mkdir()
    spec = {"mount": str(mount), "name": name, "index": str(index), "seeds": str(seeds), "free": free,
            "readonly": readonly, "cwd": str(tmp_path)}
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    result = subprocess.run(["unshare", "-m", sys.executable, "-c", _DRIVER, json.dumps(spec)],
                            capture_output=True, text=True, timeout=300, cwd=REPO, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _index_bytes(index: Path) -> int:
    return sum(p.stat().st_size for p in index.rglob("*") if p.is_file())


@pytest.mark.slow
@pytest.mark.parametrize("share", [0.02, 0.3, 0.6, 0.9])
def test_a_really_full_disk(private_tmpfs, tmp_path, seeds, tiny_index, share):
    """A tmpfs holding the index with room for `share` of a second copy: the write stops somewhere
    (articles.jsonl, dense.faiss, BM25, the sentence vectors...) and the previous index stays whole."""
    report = _in_tmpfs(tmp_path, seeds, tiny_index[1], free=int(share * _index_bytes(tiny_index[1])))
    assert_one_line_error(report["rc"], report["err"], "cannot write the index", "the disk is full",
                          "free some space", "the previous index is unchanged")
    assert report["same"] and report["mount"] == [".index.lock", "index"] and report["out"] == ""


@pytest.mark.slow
def test_a_really_read_only_disk(private_tmpfs, tmp_path, seeds, tiny_index):
    report = _in_tmpfs(tmp_path, seeds, tiny_index[1], readonly=True)
    assert_one_line_error(report["rc"], report["err"], "read-only file system", "writable",
                          "the previous index is unchanged")
    assert report["same"] and report["mount"] == ["index"]


@pytest.mark.slow
def test_an_index_folder_that_is_a_mount_point(private_tmpfs, tmp_path, seeds, tiny_index):
    """rename() of a mount point fails with EBUSY."""
    report = _in_tmpfs(tmp_path, seeds, tiny_index[1], name="")
    assert_one_line_error(report["rc"], report["err"], "is in use", "--index", "the previous index is unchanged")
    assert report["same"] and [n for n in report["beside"] if ".tmp-" in n or ".old-" in n] == []


# ---- row 2: a 6 GB file is skipped from its size, never read --------------------------------------------

# Peak memory from VmHWM, not ru_maxrss: on Linux ru_maxrss survives exec, so a child forked from a
# big pytest process would report the parent's size.
_MEASURED_QA = """
import json, re, sys, time
from qa.cli import main
t = time.perf_counter()
rc = main(sys.argv[2:])
hwm = int(re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read()).group(1))
json.dump({"rc": rc, "seconds": time.perf_counter() - t, "max_rss_mb": hwm / 1024}, open(sys.argv[1], "w"))
"""

HUGE = 6 * 10**9


@pytest.mark.slow
def test_a_6gb_file_and_a_6gb_archive_are_skipped_without_reading_them(tmp_path, seeds, tiny_index):
    for name in ("dump.txt", "dump.jsonl"):  # sparse: 6 GB to stat, nothing on disk
        with open(seeds / name, "wb") as handle:
            handle.truncate(HUGE)
    index = tmp_path / "idx"
    shutil.copytree(tiny_index[1], index)
    figures = tmp_path / "figures.json"
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    result = subprocess.run([sys.executable, "-c", _MEASURED_QA, str(figures), "index", "--seeds", str(seeds),
                             "--index", str(index), "--quiet"], capture_output=True, text=True, env=env,
                            timeout=600, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    measured = json.loads(figures.read_text())
    print(f"6 GB file + 6 GB archive: {measured['seconds']:.1f} s, peak RSS {measured['max_rss_mb']:.0f} MB")
    assert measured["max_rss_mb"] < 1000, measured  # reading either file whole would take 6 GB
    assert result.stderr.strip().splitlines() == [
        f"qa: skipped dump.jsonl: too large ({HUGE / 1e6:.1f} MB; the limit is 200 MB per archive file)",
        f"qa: skipped dump.txt: too large ({HUGE / 1e6:.1f} MB; the limit is 5 MB per article file)"]
    manifest = json.loads((index / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["problems"]) == 2 and set(manifest["seed_files"]) >= {"dump.txt", "dump.jsonl"}


def test_a_file_over_the_limit_is_never_opened(monkeypatch, seeds, tiny_index_copy):
    """In process: the build neither reads nor hashes it (staleness uses its size and mtime)."""
    import builtins
    import io

    with open(seeds / "dump.txt", "wb") as handle:
        handle.truncate(HUGE)
    opened = []
    real_open = io.open

    def watching_open(file, *args, **kwargs):
        if str(file).endswith("dump.txt"):
            opened.append(file)
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", watching_open)
    monkeypatch.setattr(io, "open", watching_open)
    report = Engine.build(seeds, tiny_index_copy, progress=False)
    monkeypatch.undo()
    assert opened == [] and report.articles == 2
    assert [p for p in report.problems if p.startswith("dump.txt: too large")]


# ---- row 7: every entry of the seeds folder is read or named ---------------------------------------------

def test_subfolders_links_loops_and_hidden_files_are_read_or_named(capsys, tmp_path, tiny_index_copy):
    seeds = tmp_path / "tree"
    (seeds / "2024" / "03").mkdir(parents=True)
    (seeds / "2024" / "03" / "alpha.txt").write_text(ALPHA, encoding="utf-8")  # a subfolder: read
    (seeds / "beta.txt").write_text(BETA, encoding="utf-8")
    (seeds / "mirror").symlink_to(seeds / "2024", target_is_directory=True)  # the same folder again
    (seeds / "dangling.txt").symlink_to(seeds / "gone.txt")
    (seeds / "loop").symlink_to(seeds, target_is_directory=True)
    (seeds / ".draft.txt").write_text(ALPHA.replace("120 m", "130 m"), encoding="utf-8")
    rc, out, err = call(capsys, "index", "--seeds", seeds, "--index", tiny_index_copy, "--quiet")
    assert rc == 0 and out.startswith("indexed 2 articles"), (out, err)
    skipped = {line.removeprefix("qa: skipped ").split(": ")[0]: line for line in err.strip().splitlines()}
    assert set(skipped) == {".draft.txt", "dangling.txt", "loop", "mirror"}, err
    assert "hidden file" in skipped[".draft.txt"] and "broken symbolic link" in skipped["dangling.txt"]
    assert "loop" in skipped["loop"] and "same folder as 2024" in skipped["mirror"]
    manifest = json.loads((tiny_index_copy / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["problems"]) == 4
    assert qa.load(tiny_index_copy).search(ALPHA_QUESTION, k=1)[0].source == "2024/03/alpha.txt"
