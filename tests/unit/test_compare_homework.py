"""The homework grid: the shipped results file reads back and names its command; round trip; bad files; one row."""

from __future__ import annotations

import json
import math
import os
import shlex
from pathlib import Path

import pytest

from rnnviz.compare import homework

PAIRS = Path(os.environ.get("RNNVIZ_DATA", Path(__file__).resolve().parents[3] / "shared" / "data")) / "eng-fra.txt"


def test_the_shipped_results_read_back_and_name_their_command():
    results = homework.read_results()
    words = shlex.split(results.command)
    assert words[:4] == ["python", "-m", "rnnviz.compare", "homework"]
    assert int(words[words.index("--seeds") + 1]) == results.seeds
    if results.steps:
        assert int(words[words.index("--steps") + 1]) == results.steps
    else:
        assert float(words[words.index("--seconds") + 1]) == results.seconds
    rows = {(run.cell, run.layers, run.bidirectional) for run in results.runs}
    assert rows == set(homework.grid())  # the whole grid: 3 cells x 3 layers x 2 directions
    assert len(results.runs) == len(rows) * results.seeds
    assert all(0 <= run.test_bleu <= 100 and run.parameters > 0 for run in results.runs)


def test_each_question_compares_the_rows_it_names():
    questions = homework.questions(homework.read_results())
    labels = {title: {run.label for run in runs} for title, runs in questions.items()}
    assert labels["LSTM and SRU instead of GRU (1 layer, one-way)"] == {"GRU", "LSTM", "SRU"}
    assert labels["More layers (GRU, one-way)"] == {"GRU", "GRU ×2", "GRU ×3"}
    assert labels["Bidirectional encoder (GRU, 1 layer)"] == {"GRU", "GRU bi"}
    text = homework.markdown(homework.read_results())
    assert all(f"## {title}" in text for title in questions) and "Welch" in text


def test_results_round_trip(tmp_path):
    results = homework.read_results()
    copy = homework.save_results(results, tmp_path / "copy.json")
    again = homework.read_results(copy)
    assert again.runs == results.runs and again.command == results.command


@pytest.mark.parametrize("content", ["not json", json.dumps({"format": 99}), json.dumps({"format": 1, "runs": [{}]})])
def test_a_bad_results_file_says_what_is_wrong(tmp_path, content):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ValueError, match=r"bad\.json"):
        homework.read_results(path)


@pytest.mark.skipif(not PAIRS.is_file(), reason=f"the tutorial's pairs {PAIRS} are not there (set RNNVIZ_DATA)")
def test_one_row_trains_through_the_seq2seq_trainer():
    data = homework.load_tutorial_pairs(PAIRS)
    run = homework.train_row(data, "sru", 2, True, seed=0, seconds=None, steps=3)
    assert run.steps == 3 and run.status == "finished"
    assert math.isfinite(run.test_bleu) and run.parameters == sum(
        p.numel() for p in homework.build_translator(data, "sru", 2, True, 0).parameters()
    )
