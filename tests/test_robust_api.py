"""Issue 14, row 10: API misuse gets one clear error, the same from `search` and `ask`.

`k` is a whole number from 1 (larger values are capped at 100); a bool, a float (even 5.0), NaN, a
string, None or a list is a QuestionError saying what k must be. `qa.load` takes the path of an
index folder; None, a number, bytes, an empty string, a file or a folder that is not an index is
an IndexProblem saying what to pass. Before issue 14 (commit 6f449cc) `search(k=2.5)`, `k=nan`,
`k="5"`, `k=None` returned all 50 hits or raised a plain TypeError, `ask(k=0)` and `search(k=0)`
disagreed, and `qa.load(None)` raised `TypeError: expected str, bytes or os.PathLike object`.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import INDEX, REPO, SEEDS
from test_cli_core import assert_one_line_error, call

import qa
from qa.errors import IndexProblem, QuestionError

QUESTION = "Quyết định 2200-QĐ/TU được ban hành ngày nào?"

BAD_K = {  # name -> (k, words of the message)
    "0": (0, "at least 1"),
    "-1": (-1, "at least 1"),
    "-10**9": (-10**9, "at least 1"),
    "2.5": (2.5, "whole number"),
    "5.0": (5.0, "whole number"),
    "nan": (math.nan, "whole number"),
    "inf": (math.inf, "whole number"),
    "'5'": ("5", "whole number"),
    "''": ("", "whole number"),
    "None": (None, "whole number"),
    "True": (True, "whole number"),
    "False": (False, "whole number"),
    "[5]": ([5], "whole number"),
    "numpy float": (np.float64(3.0), "whole number"),
}


@pytest.mark.parametrize("method", ["search", "ask"])
@pytest.mark.parametrize("name", sorted(BAD_K))
def test_a_bad_k_is_a_question_error(engine, method, name):
    k, needle = BAD_K[name]
    with pytest.raises(QuestionError) as caught:
        getattr(engine, method)(QUESTION, k=k)
    message = str(caught.value)
    assert needle in message and "k" in message and "\n" not in message


@pytest.mark.parametrize("name", sorted(BAD_K))
def test_search_and_ask_say_the_same_about_k(engine, name):
    k, _ = BAD_K[name]
    with pytest.raises(QuestionError) as from_search:
        engine.search(QUESTION, k=k)
    with pytest.raises(QuestionError) as from_ask:
        engine.ask(QUESTION, k=k)
    assert str(from_search.value) == str(from_ask.value)


def test_k_is_checked_before_the_question(engine):
    """A bad k and an empty question: the k error, whichever method (no work done on the question)."""
    for method in (engine.search, engine.ask):
        with pytest.raises(QuestionError, match="k must"):
            method("   ", k=2.5)


def test_good_k_values(engine):
    assert len(engine.search(QUESTION, k=np.int64(3))) == 3
    assert len(engine.ask(QUESTION, k=np.int32(2)).citations) <= 2
    everything = engine.search(QUESTION, k=100)
    assert [h.chunk_id for h in engine.search(QUESTION, k=10**9)] == [h.chunk_id for h in everything]
    from qa.engine import MAX_K, check_k

    assert check_k(10**9) == MAX_K == 100


@pytest.mark.parametrize("command", ["search", "ask"])
@pytest.mark.parametrize("k", ["0", "-3"])
def test_the_cli_says_the_same_for_search_and_ask(capsys, monkeypatch, command, k):
    monkeypatch.chdir(REPO)
    rc, out, err = call(capsys, command, QUESTION, "--index", INDEX, "-k", k)
    assert_one_line_error(rc, err, f"k must be at least 1 (got {k})")


# ---- qa.load --------------------------------------------------------------------------------------------

BAD_PATHS = {  # name -> (argument, words of the message)
    "None": (None, "the path of its folder"),
    "an int": (123, "the path of its folder"),
    "a float": (4.5, "the path of its folder"),
    "bytes": (b"index", "the path of its folder"),
    "a list": (["index"], "the path of its folder"),
    "an empty string": ("", "the path of its folder"),
    "blanks": ("  ", "the path of its folder"),
    "the manifest file instead of its folder": (str(INDEX / "manifest.json"), "is a file, not an index folder"),
    "a seed file": (str(next(SEEDS.iterdir())), "is a file, not an index folder"),
    "the seeds folder": (str(SEEDS), "is not a hoi-dap index folder"),
    "a folder that does not exist": ("/nonexistent/index", "no index at"),
}


@pytest.mark.parametrize("name", sorted(BAD_PATHS))
def test_load_with_a_bad_argument_is_one_clear_error(name):
    argument, needle = BAD_PATHS[name]
    with pytest.raises(IndexProblem) as caught:
        qa.load(argument)
    message = str(caught.value)
    assert needle in message and "\n" not in message
    with pytest.raises(IndexProblem):
        qa.Engine.load(argument)


@pytest.mark.parametrize("index", [str(INDEX / "manifest.json"), str(SEEDS), ""])
def test_the_cli_with_a_bad_index_path(capsys, monkeypatch, index):
    monkeypatch.chdir(REPO)
    rc, out, err = call(capsys, "search", QUESTION, "--index", index)
    assert_one_line_error(rc, err)
    assert out == ""
