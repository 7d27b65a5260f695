"""The five input/output tasks: batch and output shapes, `run` on typed input, seeds, divergence, bad input."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
import torch
from torch import nn

from rnnviz.core.kinds import KINDS
from rnnviz.data.languages import DATE_FORMATS, analyze_brackets, format_date
from rnnviz.unrolled.io_decode import END_ID, MAX_SOURCE_LENGTH
from rnnviz.unrolled.tasks import (
    IO_TYPES,
    TASK_CLASSES,
    AddingSumTask,
    BracketDepthTask,
    DateTask,
    SentimentTask,
    StepOutputs,
    build_seeded,
    initialize_weights,
    make_io_task,
    spell,
    train,
    train_config,
)

REAL_REVIEWS = Path(__file__).resolve().parents[3] / "shared" / "data" / "imdb_small.csv"
SLIDE_APPLICATIONS = {"one-to-one": "image classification", "one-to-many": "image captioning",
                      "many-to-one": "sentiment classification", "many-to-many-aligned": "video classification",
                      "encoder-decoder": "machine translation"}
PICKED_INPUTS = {"one-to-one": "#../.#./..#", "one-to-many": "42", "many-to-one": "0.3 *0.7 0.1 0.9 *0.2 0.5",
                 "many-to-many-aligned": 'f(a [b c] "say {x}") d', "encoder-decoder": "wednesday 25 nov 2026"}


@pytest.fixture(scope="module")
def tasks():
    """One task of every type, with its defaults (built once: the bracket corpus takes a moment)."""
    return {io_type: make_io_task(io_type) for io_type in IO_TYPES}


def generator(seed: int = 0) -> torch.Generator:
    """A fresh CPU generator."""
    return torch.Generator().manual_seed(seed)


def write_reviews(path: Path, count: int = 40) -> Path:
    """A tiny CSV of made-up reviews: 'great' ones positive, 'awful' ones negative."""
    rows = ["text,label"]
    for index in range(count):
        good = index % 2 == 0
        words = "a great film, i loved it" if good else "an awful film, i hated it"
        rows.append(f'"{words} number {index}<br />the end",{"Positive" if good else "Negative"}')
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def check_step_outputs(outputs: StepOutputs, io_type: str) -> None:
    """Every per-step field has one entry per step; values and hidden have T rows."""
    steps = outputs.num_steps
    assert outputs.io_type == io_type
    for name in ("inputs", "outputs", "truth", "feedback", "unknown"):
        assert len(getattr(outputs, name)) == steps, name
    assert outputs.values.shape == (steps, len(outputs.classes))
    assert outputs.hidden.shape[0] == steps and outputs.hidden.dim() == 2
    assert isinstance(outputs.answer, str)


# ---------------------------------------------------------------- the table of types


def test_every_type_of_the_slide_has_a_task_naming_its_application(tasks):
    assert tuple(TASK_CLASSES) == IO_TYPES
    for io_type, task in tasks.items():
        assert task.io_type == io_type
        assert SLIDE_APPLICATIONS[io_type] in task.application.lower()
        assert 0 < task.target <= 1 and task.shapes and task.metric and task.description


def test_defaults_stay_small_enough_for_a_live_demo(tasks):
    for task in tasks.values():
        assert task.defaults.steps <= 600 and task.defaults.hidden_size <= 64 and task.defaults.kind in KINDS


# ---------------------------------------------------------------- batches and outputs


def test_line_image_batches_hold_one_step_of_nine_pixels(tasks):
    batch = tasks["one-to-one"].sampler(50)(generator())
    assert batch.inputs.shape == (50, 1, 9) and batch.targets.shape == (50, 1) and batch.mask.all()
    assert set(batch.inputs.unique().tolist()) <= {0.0, 1.0} and set(batch.targets.unique().tolist()) <= {0, 1, 2}


def test_adding_batches_score_only_the_last_step(tasks):
    task = tasks["many-to-one"]
    batch = task.sampler(8)(generator())
    assert batch.inputs.shape == (8, task.length, 2)
    assert batch.mask[:, -1].all() and not batch.mask[:, :-1].any()


def test_bracket_windows_start_at_a_line_start_and_carry_the_true_depths(tasks):
    task = tasks["many-to-many-aligned"]
    batch = task.sampler(6)(generator(3))
    assert batch.inputs.shape == (6, task.length, task.unknown_id + 1) and batch.targets.shape == (6, task.length)
    alphabet = list(task.alphabet)
    for row in range(6):
        text = "".join(alphabet[i] for i in batch.inputs[row].argmax(dim=-1).tolist())
        assert batch.targets[row].tolist() == [min(d, task.max_depth) for d in analyze_brackets(text)[0].tolist()]


def test_spelling_batches_pair_digits_with_the_words(tasks):
    task = tasks["one-to-many"]
    batch = task.sampler(20)(generator())
    assert batch.sources.shape == (20, 20) and batch.targets.shape == (20, task.max_target_length + 1)
    for row in range(20):
        number = int(batch.sources[row, :10].argmax()) * 10 + int(batch.sources[row, 10:].argmax())
        assert task.decode_ids(batch.targets[row].tolist()) == spell(number)
        assert END_ID in batch.targets[row].tolist()


def test_date_batches_pair_a_human_date_with_its_iso_form(tasks):
    task = tasks["encoder-decoder"]
    batch = task.sampler(20)(generator())
    assert batch.sources.shape == (20, MAX_SOURCE_LENGTH) and batch.targets.shape == (20, 11)
    characters = {index: char for char, index in task.source_ids.items()}
    for row in range(20):
        iso = task.decode_ids(batch.targets[row].tolist())
        source = "".join(characters.get(i, "") for i in batch.sources[row].tolist())
        assert re.fullmatch(r"\d{4}-\d\d-\d\d", iso)
        assert any(format_date(datetime.date.fromisoformat(iso), f) == source for f in DATE_FORMATS)


def test_spell_writes_english_numbers():
    assert [spell(n) for n in (0, 7, 13, 20, 42, 99)] == ["zero", "seven", "thirteen", "twenty", "forty-two",
                                                           "ninety-nine"]


@pytest.mark.parametrize("io_type", IO_TYPES)
def test_the_loss_is_a_scalar_with_an_accuracy_and_evaluate_a_fraction(tasks, io_type):
    task = tasks[io_type]
    model = task.model(0)
    loss, metrics = task.loss_function(model)(task.sampler(4)(generator()), None)
    assert loss.dim() == 0 and torch.isfinite(loss) and loss.requires_grad
    assert 0.0 <= metrics["accuracy"] <= 1.0 and 0.0 <= task.evaluate(model) <= 1.0


@pytest.mark.parametrize("io_type", IO_TYPES)
def test_run_on_a_picked_input_returns_the_outputs_per_step(tasks, io_type):
    task = tasks[io_type]
    outputs = task.run(task.model(0), PICKED_INPUTS[io_type])
    check_step_outputs(outputs, io_type)
    assert outputs.notes == () or io_type == "many-to-one"


def test_run_puts_each_type_on_the_right_steps(tasks):
    models = {io_type: task.model(0) for io_type, task in tasks.items()}
    one = tasks["one-to-one"].run(models["one-to-one"], "###/.../...")
    assert one.num_steps == 1 and one.answer in ("horizontal", "vertical", "diagonal")
    assert float(one.values.sum()) == pytest.approx(1.0)
    many_to_one = tasks["many-to-one"].run(models["many-to-one"], "0.3 *0.7 0.1 *0.2")
    assert many_to_one.outputs[:-1] == (None,) * 3 and many_to_one.truth[-1] == "0.900"
    text = 'g(x [y]) "z"'
    aligned = tasks["many-to-many-aligned"].run(models["many-to-many-aligned"], text)
    assert aligned.num_steps == len(text) and all(output is not None for output in aligned.outputs)
    assert aligned.truth == tuple(str(d) for d in analyze_brackets(text)[0])
    spelled = tasks["one-to-many"].run(models["one-to-many"], " 42 ")
    assert spelled.initial == "42" and spelled.inputs[0] == "<s>" and spelled.feedback[0] is False
    assert all(spelled.feedback[1:]) and spelled.inputs[1:] == spelled.outputs[:-1]
    date = tasks["encoder-decoder"].run(models["encoder-decoder"], "25 nov 2026")
    decoder_steps = date.num_steps - len("25 nov 2026")
    assert date.outputs[:11] == (None,) * 11 and None not in date.outputs[11:] and decoder_steps >= 1
    assert torch.isnan(date.values[:11]).all() and not torch.isnan(date.values[11:]).any()


# ---------------------------------------------------------------- seeds and generators


@pytest.mark.parametrize("io_type", IO_TYPES)
def test_a_seed_gives_the_same_weights_and_losses_and_the_global_generator_is_never_drawn(tasks, io_type):
    task = tasks[io_type]
    state = torch.random.get_rng_state()
    runs = [train(task, seed=seed, config=train_config(task, seed, steps=3), batch_size=4) for seed in (5, 5, 6)]
    assert torch.equal(state, torch.random.get_rng_state())
    assert runs[0].losses == runs[1].losses != runs[2].losses
    first, again = task.model(5).state_dict(), task.model(5).state_dict()
    assert all(torch.equal(first[name], again[name]) for name in first)
    other = task.model(6).state_dict()
    assert any(not torch.equal(first[name], other[name]) for name in first)


@pytest.mark.parametrize("kind", KINDS)
def test_every_cell_kind_builds_trains_and_runs(tasks, kind):
    for io_type in ("many-to-many-aligned", "encoder-decoder", "one-to-many"):
        task = tasks[io_type]
        model = task.model(0, kind=kind, hidden_size=8)
        assert all(torch.isfinite(p).all() for p in model.parameters())
        trained = train(task, model=model, config=train_config(task, 0, steps=2), batch_size=3)
        assert trained.result.status == "finished"
        check_step_outputs(task.run(model, PICKED_INPUTS[io_type]), io_type)


def test_weights_follow_pytorchs_default_ranges():
    model = build_seeded(lambda: nn.Sequential(nn.Linear(4, 100), nn.Embedding(10, 3, padding_idx=0)), seed=1)
    largest = float(model[0].weight.detach().abs().max())
    assert 0.45 < largest <= 0.5
    assert torch.equal(model[1].weight[0], torch.zeros(3))


def test_initialize_weights_refuses_a_module_it_does_not_know():
    with pytest.raises(ValueError, match="does not know"):
        initialize_weights(nn.Conv1d(2, 2, 3), generator())


# ---------------------------------------------------------------- training outcomes


def test_a_diverging_run_stops_saying_at_which_step(tasks):
    task = tasks["many-to-one"]
    trained = train(task, seed=0, config=train_config(task, 0, learning_rate=1e30, steps=20))
    assert trained.result.status == "diverged" and trained.result.steps_done < 20
    assert re.match(r"diverged at step \d+", trained.result.message)
    assert all(torch.isfinite(p).all() for p in trained.model.parameters())


def test_line_images_reach_the_target_for_three_seeds_in_a_moment(tasks):
    task = tasks["one-to-one"]
    results = [train(task, seed=seed) for seed in (0, 1, 2)]
    assert all(r.metric >= task.target and r.seconds_to_target is not None for r in results)


@pytest.mark.slow
@pytest.mark.parametrize("io_type", ["one-to-many", "many-to-one", "many-to-many-aligned", "encoder-decoder"])
def test_the_defaults_reach_the_target_for_three_seeds(tasks, io_type):
    task = tasks[io_type]
    for seed in (0, 1, 2):
        trained = train(task, seed=seed)
        assert trained.result.status == "finished"
        assert trained.metric >= task.target, (seed, trained.metric)


@pytest.mark.slow
@pytest.mark.skipif(not REAL_REVIEWS.is_file(), reason="the IMDb sample is not in ../shared/data")
def test_real_reviews_reach_the_target_for_three_seeds():
    task = make_io_task("many-to-one", reviews=REAL_REVIEWS)
    assert len(task.held_out.labels) == 600
    metrics = [train(task, seed=seed).metric for seed in (0, 1, 2)]
    assert all(metric >= task.target for metric in metrics), metrics


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("io_type", IO_TYPES)
def test_empty_input_is_refused_with_a_message(tasks, io_type):
    task = tasks[io_type]
    model = task.model(0)
    for text in ("", "   ", None):
        with pytest.raises(ValueError, match=r"empty|must be text"):
            task.run(model, text)


def test_long_text_is_cut_with_a_note(tasks):
    aligned = tasks["many-to-many-aligned"]
    outputs = aligned.run(aligned.model(0), "(a " * 2000)
    assert outputs.num_steps == 2000 and "cut" in outputs.notes[0] and "6,000" in outputs.notes[0]
    adding = tasks["many-to-one"]
    numbers = adding.run(adding.model(0), "*0.5 *0.5 " + "0.1 " * 1500)
    assert numbers.num_steps == 500 and "cut" in numbers.notes[0]
    dates = tasks["encoder-decoder"]
    date = dates.run(dates.model(0), "25 nov 2026 " * 500)
    assert any("cut to its first 32" in note for note in date.notes)


def test_characters_never_seen_are_read_as_unknown_and_flagged(tasks):
    aligned = tasks["many-to-many-aligned"]
    outputs = aligned.run(aligned.model(0), "f(é)🙂<script>")
    assert outputs.unknown[:4] == (False, False, True, False) and outputs.unknown[4]
    assert any("never saw" in note and "'é'" in note for note in outputs.notes)
    dates = tasks["encoder-decoder"]
    date = dates.run(dates.model(0), "25 Nov 2026!")
    assert date.unknown[len("25 nov 2026")] and any("lowercase" in note for note in date.notes)
    longer_in_lowercase = dates.run(dates.model(0), "İ" * 40)
    assert sum(longer_in_lowercase.unknown) == 16 and longer_in_lowercase.outputs[:32] == (None,) * 32  # "i" + a dot
    image = tasks["one-to-one"].run(tasks["one-to-one"].model(0), "#?./.#./..#")
    assert image.unknown == (True,) and "grey" in image.notes[0]


@pytest.mark.parametrize("text, message", [("#../.#.", "9 pixels"), ("#../.#./..#/#", "9 pixels")])
def test_an_image_needs_nine_pixels(tasks, text, message):
    with pytest.raises(ValueError, match=message):
        tasks["one-to-one"].run(tasks["one-to-one"].model(0), text)


@pytest.mark.parametrize("text", ["100", "-1", "4.2", "forty", "4" * 5000])
def test_the_number_to_spell_must_be_0_to_99(tasks, text):
    with pytest.raises(ValueError, match="0 to 99"):
        tasks["one-to-many"].run(tasks["one-to-many"].model(0), text)


@pytest.mark.parametrize("text, message", [("0.1 *0.2 0.3", "exactly two"), ("*0.1 *0.2 *0.3", "exactly two"),
                                           ("*0.1 abc *0.3", "not a number"), ("*0.1 1.5 *0.3", "between 0 and 1"),
                                           ("0.2 " * 1200 + "*0.5 *0.5", "exactly two")])  # cut before the marks
def test_adding_input_must_be_numbers_with_two_marks(tasks, text, message):
    with pytest.raises(ValueError, match=message):
        tasks["many-to-one"].run(tasks["many-to-one"].model(0), text)


@pytest.mark.parametrize("length", [0, 10_000, 2.5, "20"])
def test_a_length_of_0_or_10000_is_refused(length):
    with pytest.raises(ValueError, match="T"):
        AddingSumTask(length)
    with pytest.raises(ValueError, match="T"):
        BracketDepthTask(length)


@pytest.mark.parametrize("hidden_size", [0, -3, 10_000, 1.5])
def test_a_hidden_size_of_0_or_huge_is_refused(tasks, hidden_size):
    with pytest.raises(ValueError, match="hidden_size"):
        tasks["one-to-one"].model(0, hidden_size=hidden_size)


def test_make_io_task_refuses_unknown_types_options_and_misplaced_reviews(tmp_path):
    with pytest.raises(ValueError, match="one-to-one"):
        make_io_task("two-to-two")
    with pytest.raises(ValueError, match="accepted: length"):
        make_io_task("many-to-one", depth=3)
    with pytest.raises(ValueError, match="sentiment"):
        make_io_task("one-to-one", reviews=tmp_path / "x.csv")
    with pytest.raises(ValueError, match="kind"):
        make_io_task("one-to-one").model(0, kind="transformer")
    assert make_io_task("many-to-one", length=7).length == 7
    assert isinstance(make_io_task("encoder-decoder", teacher_forcing=0.5), DateTask)


# ---------------------------------------------------------------- sentiment on a file the caller names


def test_reviews_load_split_and_run(tmp_path):
    task = make_io_task("many-to-one", reviews=write_reviews(tmp_path / "reviews.csv"), max_words=6)
    assert isinstance(task, SentimentTask)
    assert len(task.train_split.labels) == 32 and len(task.held_out.labels) == 8
    assert task.train_split.ids.shape == (32, 6) and "great" in task.vocabulary
    batch = task.sampler(5)(generator())
    assert batch.ids.shape == (5, 6) and batch.labels.shape == (5,)
    model = task.model(0, hidden_size=8)
    outputs = task.run(model, "A GREAT film, qwxz!")
    check_step_outputs(outputs, "many-to-one")
    assert outputs.inputs == ("a", "great", "film", "qwxz", "!") and outputs.unknown == (False,) * 3 + (True, True)
    assert outputs.outputs[:-1] == (None,) * 4 and outputs.answer in ("negative", "positive")
    with pytest.raises(ValueError, match="no words"):
        task.run(model, "... ,,,")


def test_a_missing_or_malformed_review_file_is_named(tmp_path):
    with pytest.raises(ValueError, match=r"no review file at .*nowhere\.csv"):
        make_io_task("many-to-one", reviews=tmp_path / "nowhere.csv")
    (tmp_path / "columns.csv").write_text("review,sentiment\nnice,Positive\n")
    with pytest.raises(ValueError, match="columns text and label"):
        SentimentTask(tmp_path / "columns.csv")
    (tmp_path / "labels.csv").write_text("text,label\n" + "nice,Maybe\n" * 30)
    with pytest.raises(ValueError, match="maybe"):
        SentimentTask(tmp_path / "labels.csv")
    (tmp_path / "few.csv").write_text("text,label\nnice,Positive\nbad,Negative\n")
    with pytest.raises(ValueError, match="at least 20"):
        SentimentTask(tmp_path / "few.csv")
