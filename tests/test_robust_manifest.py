"""Issue 14, row 6: a hand-edited manifest is one line naming the field and the fix, never a traceback.

The manifest is checked against `qa.index.manifest.MANIFEST_SCHEMA` (types and allowed values) on every load.
Before issue 14 (commit 6f449cc) the four edits of the issue were accepted and then failed on every
query with a traceback (`rrf_k: "sixty"`, `dense: "flat"`, `seeds: 42`) or a message contradicting
itself (`counts.chunks: "50"`: "manifest says 50" for an index of 50 chunks).
"""
from __future__ import annotations

import json

import pytest
from conftest import ALPHA_TITLE, INDEX
from test_cli_core import assert_one_line_error, call, edit_manifest

import qa
from qa.errors import IndexProblem

QUESTION = "Cây cầu đi bộ qua hồ Thiền Quang dài bao nhiêu mét?"


def _set(path: str, value):
    def change(manifest):
        *parents, key = path.split(".")
        holder = manifest
        for part in parents:
            holder = holder[part]
        holder[key] = value
    return change


def _drop(path: str):
    def change(manifest):
        *parents, key = path.split(".")
        holder = manifest
        for part in parents:
            holder = holder[part]
        del holder[key]
    return change


# name -> (edit, the field the message must name). The first four are the issue's own.
EDITS = {
    'settings.rrf_k: "sixty"': (_set("settings.rrf_k", "sixty"), "settings.rrf_k"),
    'dense: "flat"': (_set("dense", "flat"), "dense"),
    "seeds: 42": (_set("seeds", 42), "seeds"),
    'counts.chunks: "50"': (_set("counts.chunks", "50"), "counts.chunks"),
    "settings.rrf_k: 0": (_set("settings.rrf_k", 0), "settings.rrf_k"),
    "settings.rrf_k: 60.5": (_set("settings.rrf_k", 60.5), "settings.rrf_k"),
    "settings.rrf_k: true": (_set("settings.rrf_k", True), "settings.rrf_k"),
    "settings.dense_weight: NaN": (_set("settings.dense_weight", float("nan")), "settings.dense_weight"),
    'settings.lexical_weight: "1"': (_set("settings.lexical_weight", "1"), "settings.lexical_weight"),
    "settings.chunk_words: -5": (_set("settings.chunk_words", -5), "settings.chunk_words"),
    'settings.index_kind: "fast"': (_set("settings.index_kind", "fast"), "settings.index_kind"),
    "settings: null": (_set("settings", None), "settings"),
    'dense.kind: "ivf"': (_set("dense.kind", "ivf"), "dense.kind"),
    "dense.kind: null": (_set("dense.kind", None), "dense.kind"),
    "model.dim: 0": (_set("model.dim", 0), "model.dim"),
    'model.dim: "384"': (_set("model.dim", "384"), "model.dim"),
    "model.id: 7": (_set("model.id", 7), "model.id"),
    "model.id missing": (_drop("model.id"), "model.id"),
    "model missing": (_drop("model"), "model"),
    "counts.chunks: -1": (_set("counts.chunks", -1), "counts.chunks"),
    "counts.chunks: 50.0": (_set("counts.chunks", 50.0), "counts.chunks"),
    "counts.chunks missing": (_drop("counts.chunks"), "counts.chunks"),
    'counts.articles: "5"': (_set("counts.articles", "5"), "counts.articles"),
    'format_version: "2"': (_set("format_version", "2"), "format_version"),
    "format_version: 2.0": (_set("format_version", 2.0), "format_version"),
    "seed_files: []": (_set("seed_files", []), "seed_files"),
    "seed_files: {name: 1}": (_set("seed_files", {"alpha.txt": 1}), "seed_files"),
    'files: {name: "abc"}': (_set("files", {"chunks.jsonl": "abc"}), "files"),
    'problems: "none"': (_set("problems", "none"), "problems"),
    'timings_s.total: "fast"': (_set("timings_s", {"total": "fast"}), "timings_s"),
}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_a_hand_edit_is_one_line_naming_the_field_and_the_fix(capsys, tiny_index_copy, edit):
    change, field = EDITS[edit]
    edit_manifest(tiny_index_copy, change)
    for command in ("ask", "search"):
        try:
            rc, out, err = call(capsys, command, QUESTION, "--index", tiny_index_copy)
        except Exception as exc:  # what the user would see as a traceback
            pytest.fail(f"{command}: traceback: {type(exc).__name__}: {exc}")
        line = assert_one_line_error(rc, err, "manifest.json is corrupt", "`qa index ", f"--index {tiny_index_copy}`")
        assert f": {field} " in line, line  # the field, by its dotted name
        assert out == ""
    with pytest.raises(IndexProblem, match=f"corrupt: {field} "):
        qa.load(tiny_index_copy)


def test_the_issue_edits_say_what_the_value_must_be(capsys, tiny_index_copy):
    edit_manifest(tiny_index_copy, _set("settings.rrf_k", "sixty"))
    rc, out, err = call(capsys, "search", QUESTION, "--index", tiny_index_copy)
    assert_one_line_error(rc, err, 'settings.rrf_k must be a whole number ≥ 1, not "sixty"')
    edit_manifest(tiny_index_copy, _set("settings.rrf_k", 60))
    edit_manifest(tiny_index_copy, _set("dense", "flat"))
    rc, out, err = call(capsys, "search", QUESTION, "--index", tiny_index_copy)
    assert_one_line_error(rc, err, 'dense must be an object, not "flat"')
    edit_manifest(tiny_index_copy, _set("dense", {"kind": "flat", "metric": "inner_product"}))
    edit_manifest(tiny_index_copy, _set("counts.chunks", "50"))
    rc, out, err = call(capsys, "search", QUESTION, "--index", tiny_index_copy)
    line = assert_one_line_error(rc, err, 'counts.chunks must be a whole number ≥ 0, not "50"')
    assert "inconsistent" not in line


def test_setting_the_value_back_makes_the_index_work_again(tiny_index_copy):
    manifest = json.loads((tiny_index_copy / "manifest.json").read_text(encoding="utf-8"))
    edit_manifest(tiny_index_copy, _set("seeds", 42))
    with pytest.raises(IndexProblem, match="seeds must be text"):
        qa.load(tiny_index_copy)
    edit_manifest(tiny_index_copy, _set("seeds", manifest["seeds"]))
    assert qa.load(tiny_index_copy).search(ALPHA_TITLE, k=1)[0].title == ALPHA_TITLE


def test_the_rebuild_the_message_names_repairs_it(capsys, tiny_index, tiny_index_copy):
    """`qa index` over an index with a bad manifest rebuilds it (the folder is still recognised as ours)."""
    edit_manifest(tiny_index_copy, _set("settings.rrf_k", "sixty"))
    rc, out, err = call(capsys, "index", "--seeds", tiny_index[0], "--index", tiny_index_copy, "--quiet")
    assert rc == 0, err
    assert qa.load(tiny_index_copy).settings.rrf_k == 60


def test_unknown_extra_fields_are_accepted(tiny_index_copy):
    """The schema checks the fields hoi-dap reads; a field it does not know is left alone."""
    edit_manifest(tiny_index_copy, _set("note", "built for the March demo"))
    edit_manifest(tiny_index_copy, _set("settings.future_option", [1, 2]))
    assert qa.load(tiny_index_copy).search(ALPHA_TITLE, k=1)[0].title == ALPHA_TITLE


def test_every_manifest_a_build_writes_meets_the_schema(tiny_index):
    from qa.index.manifest import MANIFEST_SCHEMA, manifest_problem

    assert len(MANIFEST_SCHEMA) >= 30
    for index in (tiny_index[1], INDEX):
        assert manifest_problem(json.loads((index / "manifest.json").read_text(encoding="utf-8"))) is None
