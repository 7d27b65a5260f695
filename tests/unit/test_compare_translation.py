"""Translation in the live race: exact parameter counts, matched sizes, a tiny run through the seq2seq trainer."""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest

from rnnviz.compare.base import display_name
from rnnviz.compare.configs import Budget, Configuration
from rnnviz.compare.runner import run_one, size_configurations
from rnnviz.compare.tasks import make_comparison_task
from rnnviz.compare.translation import TranslationTask

PAIRS = Path(os.environ.get("RNNVIZ_DATA", Path(__file__).resolve().parents[3] / "shared" / "data")) / "eng-fra.txt"
needs_pairs = pytest.mark.skipif(not PAIRS.is_file(), reason=f"the tutorial's pairs {PAIRS} are not there (set RNNVIZ_DATA)")


@pytest.fixture(scope="module")
def task() -> TranslationTask:
    return make_comparison_task("translation", pairs=PAIRS)


@needs_pairs
@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru", "sru"])
@pytest.mark.parametrize(("layers", "bidirectional", "hidden"), [(1, False, 9), (2, True, 13), (3, True, 8)])
def test_the_count_is_the_built_models(task, kind, layers, bidirectional, hidden):
    configuration = Configuration(kind, layers, bidirectional, hidden)
    built = task.build(configuration, seed=0)
    assert task.parameter_count(configuration) == sum(p.numel() for p in built.parameters())


@needs_pairs
def test_matching_sizes_every_contender_within_five_percent(task):
    contenders = [
        Configuration(kind, layers, both) for kind in ("rnn", "lstm", "gru", "sru") for layers, both in ((1, False), (2, True))
    ]
    for configuration in size_configurations(task, contenders, Budget(parameters=200_000)):
        assert abs(task.parameter_count(configuration) - 200_000) <= 0.05 * 200_000


@needs_pairs
def test_a_tiny_race_run_trains_and_is_scored_by_bleu(task):
    record = run_one(task, Configuration("sru", 1, True, 16), seed=0, budget=Budget(steps=3, batch_size=8))
    assert record.status == "finished" and len(record.steps) == 3
    assert 0 <= record.final_metric <= 100 and math.isfinite(record.gradient_ratio) and record.gradient_ratio > 0
    assert all(math.isnan(value) for value in record.metric)  # no per-batch score: the page draws the loss only


def test_translation_without_a_pairs_file_says_what_it_needs():
    with pytest.raises(ValueError, match="pairs file"):
        make_comparison_task("translation")


def test_a_file_that_is_not_pairs_says_so(tmp_path):
    path = tmp_path / "eng-fra.txt"
    path.write_text("no tabs here\njust lines\n", encoding="utf-8")
    with pytest.raises(ValueError):
        make_comparison_task("translation", pairs=path)


def test_an_uploaded_copy_is_shown_under_its_own_name():
    assert display_name("/tmp/rnnviz-6b0f3decdb786004-eng-fra.txt") == "eng-fra.txt"
    assert display_name("/data/rnnviz-notes-eng-fra.txt") == "rnnviz-notes-eng-fra.txt"
