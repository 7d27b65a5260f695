"""The homework grid: the shipped results file reads back and names its command; round trip; bad files; one row."""

from __future__ import annotations

import importlib.resources
import json
import math
import os
import shlex
import shutil
import subprocess
import sys
import time
import tomllib
import zipfile
from pathlib import Path

import pytest

from rnnviz.compare import homework

ROOT = Path(__file__).resolve().parents[2]
PAIRS = Path(os.environ.get("RNNVIZ_DATA", Path(__file__).resolve().parents[3] / "shared" / "data")) / "eng-fra.txt"


def budget_of(command: str) -> tuple[int | None, float | None, str]:
    """(--steps, --seconds, --clock) of a homework command line, checked to be one."""
    words = shlex.split(command)
    assert words[:4] == ["python", "-m", "rnnviz.compare", "homework"]
    option = lambda name: words[words.index(name) + 1] if name in words else None  # noqa: E731
    steps, seconds = option("--steps"), option("--seconds")
    return (int(steps) if steps else None), (float(seconds) if seconds else None), option("--clock") or "wall"


def test_the_shipped_results_read_back_and_name_their_command():
    results = homework.read_results()
    commands = results.parts or [results.command]  # a grid run in several processes names each, then the merge
    for command in commands:
        steps, seconds, clock = budget_of(command)
        assert (steps, clock) == (results.steps, results.clock)
        assert results.steps or seconds == results.seconds
    if results.parts:
        assert shlex.split(results.command)[:4] == ["python", "-m", "rnnviz.compare", "merge"]
    rows = {(run.cell, run.layers, run.bidirectional) for run in results.runs}
    assert rows == set(homework.grid())  # the whole grid: 3 cells x 3 layers x 2 directions
    assert len(results.runs) == len(rows) * results.seeds
    assert all(0 <= run.test_bleu <= 100 and run.parameters > 0 for run in results.runs)


def test_the_shipped_grid_kept_its_time_budget():
    results = homework.read_results()
    if results.steps:
        assert {run.steps for run in results.runs} == {results.steps}
    elif results.clock == "cpu":  # CPU seconds of training, validations included, within one step or validation
        assert all(abs(run.cpu_seconds - results.seconds) <= 0.1 * results.seconds for run in results.runs)


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
    run, _model = homework.train_row(data, "sru", 2, True, seed=0, seconds=None, steps=3)
    assert run.steps == 3 and run.status == "finished"
    assert math.isfinite(run.test_bleu) and run.parameters == sum(
        p.numel() for p in homework.build_translator(data, "sru", 2, True, 0).parameters()
    )


def test_the_cpu_clock_is_the_trainers_only_inside_the_block():
    before = homework.seq2seq_training.time
    with homework.training_clock("cpu") as clock:
        assert clock is time.process_time
        assert homework.seq2seq_training.time.perf_counter is time.process_time
        assert homework.training_loop.time.perf_counter is time.process_time
    assert homework.seq2seq_training.time is before and homework.training_loop.time is time
    with pytest.raises(ValueError, match="unknown clock"), homework.training_clock("sundial"):
        pass


def part(runs: list[homework.HomeworkRun], clock: str = "cpu") -> homework.HomeworkResults:
    """A small results file of `runs` at 30 s on `clock`."""
    return homework.HomeworkResults("python -m rnnviz.compare homework ...", 30.0, 1, "now", runs=runs, clock=clock)


def test_merging_parts_keeps_every_run_and_refuses_mixed_budgets():
    runs = homework.read_results().runs
    first, second = runs[:3], runs[3:7]
    merged = homework.merge_results([part(first), part(second)], "python -m rnnviz.compare merge a b --out c")
    assert sorted(merged.runs, key=repr) == sorted(first + second, key=repr)
    assert merged.clock == "cpu" and len(merged.parts) == 2
    with pytest.raises(ValueError, match="different budgets, clocks"):
        homework.merge_results([part(first), part(second, clock="wall")], "merge")
    with pytest.raises(ValueError, match="share a row and seed"):
        homework.merge_results([part(first), part(first)], "merge")


def test_an_older_file_without_a_clock_reads_as_wall_clock(tmp_path):
    payload = json.loads(homework.SHIPPED.read_text())
    payload.pop("clock", None), payload.pop("parts", None)
    for run in payload["runs"]:
        run.pop("cpu_seconds", None)
    path = tmp_path / "old.json"
    path.write_text(json.dumps(payload))
    results = homework.read_results(path)
    assert results.clock == "wall" and results.parts == [] and results.runs[0].cpu_seconds is None


def test_the_results_file_is_package_data():
    """importlib.resources finds it, and pyproject ships it in the wheel."""
    assert importlib.resources.files("rnnviz.compare").joinpath("homework_results.json").is_file()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "homework_results.json" in project["tool"]["setuptools"]["package-data"]["rnnviz.compare"]


@pytest.mark.slow
def test_the_built_wheel_holds_the_package_data(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "rnnviz", source / "rnnviz", ignore=shutil.ignore_patterns("__pycache__"))
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", tmp_path / "w", source]
    subprocess.run([str(part) for part in command], check=True, capture_output=True, timeout=600)
    (wheel,) = (tmp_path / "w").glob("rnnviz-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "rnnviz/compare/homework_results.json" in names
    layouts = sorted(path.name for path in (ROOT / "rnnviz" / "embeddings" / "layouts").glob("*.json"))
    assert layouts and all(f"rnnviz/embeddings/layouts/{name}" in names for name in layouts)


def test_the_merge_command_writes_one_file_and_refuses_a_missing_part(tmp_path, capsys):
    from rnnviz.compare import cli

    runs = homework.read_results().runs
    paths = [
        homework.save_results(part(runs[:2]), tmp_path / "a.json"),
        homework.save_results(part(runs[2:5]), tmp_path / "b.json"),
    ]
    assert cli.main(["merge", *map(str, paths), "--out", str(tmp_path / "all.json")]) == 0
    merged = homework.read_results(tmp_path / "all.json")
    assert len(merged.runs) == 5 and merged.command.startswith("python -m rnnviz.compare merge") and len(merged.parts) == 2
    assert cli.main(["merge", str(tmp_path / "missing.json"), "--out", str(tmp_path / "x.json")]) == 2
    assert "missing.json" in capsys.readouterr().err


def test_only_complete_seeds_are_kept_when_asked():
    runs = [run for run in homework.read_results().runs if run.cell == "gru" and run.layers == 1]  # 2 rows x 3 seeds
    unfinished = [run for run in runs if not (run.seed == 2 and run.bidirectional)]  # seed 2 lacks a row
    merged = homework.merge_results([part(unfinished)], "merge", only_complete_seeds=True)
    assert {run.seed for run in merged.runs} == {0, 1} and merged.seeds == 2 and len(merged.runs) == 4
