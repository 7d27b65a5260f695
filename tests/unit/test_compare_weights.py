"""A race's weights: every run's checkpoint holds exactly the model it trained, and the zip names each run."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
import torch

from rnnviz.compare.configs import Budget, Configuration
from rnnviz.compare.runner import run_grid, size_configurations
from rnnviz.compare.tasks import make_comparison_task
from rnnviz.compare.weights import BUILDERS, file_name, weights_zip
from rnnviz.io import checkpoints

BUDGET = Budget(parameters=2000, steps=3, seeds=2, batch_size=8)
PAIRS = Path(__file__).resolve().parents[3] / "shared" / "data" / "eng-fra.txt"


def race_keeping_models(task, configurations, budget=BUDGET) -> tuple[list, list[torch.nn.Module]]:
    """run_grid, with every model the task builds kept aside (the race itself keeps none)."""
    built, build = [], task.build

    def keep(configuration, seed):
        built.append(build(configuration, seed))
        return built[-1]

    task.build = keep
    records = run_grid(task, size_configurations(task, configurations, budget), budget)
    return records, built


def assert_holds_the_trained_model(data: bytes, model: torch.nn.Module, tmp_path: Path) -> checkpoints.Checkpoint:
    """The checkpoint rebuilds a model with exactly `model`'s trained tensors."""
    path = tmp_path / "run.safetensors"
    path.write_bytes(data)
    loaded = checkpoints.load(path, builders=BUILDERS)
    expected = model.state_dict()
    assert set(loaded.model.state_dict()) == set(expected)
    for name, tensor in loaded.model.state_dict().items():
        assert torch.equal(tensor, expected[name]), name
    return loaded


def test_every_run_of_a_race_stores_the_weights_it_trained(tmp_path: Path) -> None:
    task = make_comparison_task("adding", 12)
    records, models = race_keeping_models(task, [Configuration("gru"), Configuration("lstm", bidirectional=True)])
    assert len(records) == len(models) == 4
    for record, model in zip(records, models, strict=True):
        loaded = assert_holds_the_trained_model(record.weights, model, tmp_path)
        assert loaded.extra["seed"] == record.seed and loaded.extra["configuration"] == record.label
        assert loaded.extra["task"] == "adding" and loaded.step == record.steps[-1]
    untrained = task.build(records[0].configuration, records[0].seed)
    assert not torch.equal(next(iter(untrained.state_dict().values())), next(iter(models[0].state_dict().values())))


def test_the_zip_holds_one_named_file_per_run(tmp_path: Path) -> None:
    task = make_comparison_task("adding", 12)
    records, _ = race_keeping_models(task, [Configuration("gru"), Configuration("sru", num_layers=2)])
    archive = zipfile.ZipFile(io.BytesIO(weights_zip(records)))
    names = archive.namelist()
    assert names == [file_name(record) for record in records] and len(set(names)) == 4
    assert all(archive.read(name) == record.weights for name, record in zip(names, records, strict=True))
    assert "sru-x2-h" in names[1] and names[1].endswith("-seed0.safetensors")
    assert weights_zip([]) is None


def test_a_review_classifier_is_rebuilt_from_its_checkpoint(tmp_path: Path) -> None:
    reviews = tmp_path / "reviews.csv"
    words = ["good fine great film", "bad awful dull plot", "nice acting and story", "poor boring slow mess"]
    with reviews.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        for index in range(80):
            writer.writerow([f"{words[index % 4]} {words[(index + 1) % 4]}", index % 2])
    task = make_comparison_task("sentiment", reviews=reviews)
    contenders = [Configuration("gru", bidirectional=True), Configuration("lstm")]
    records, models = race_keeping_models(task, contenders, BUDGET.replace(size="hidden", seeds=1))
    for record, model in zip(records, models, strict=True):
        loaded = assert_holds_the_trained_model(record.weights, model, tmp_path)
        assert loaded.vocab == task.reviews.vocabulary.to_json()
        assert loaded.config["bidirectional"] == record.configuration.bidirectional


@pytest.mark.skipif(not PAIRS.is_file(), reason="needs the tutorial's eng-fra.txt in ../shared/data")
def test_a_translation_run_opens_as_a_translator(tmp_path: Path) -> None:
    from rnnviz.seq2seq.translator import Translator

    task = make_comparison_task("translation", pairs=PAIRS)
    budget = Budget(size="hidden", steps=2, seeds=1, batch_size=8)
    contenders = [Configuration("gru", hidden_size=16), Configuration("lstm", hidden_size=16)]
    records, models = race_keeping_models(task, contenders, budget)
    assert_holds_the_trained_model(records[0].weights, models[0], tmp_path)
    translator = Translator.load(tmp_path / "run.safetensors")
    assert isinstance(translator.translate("je suis grand .").text, str)
