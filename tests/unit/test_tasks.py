"""Tests of the generated tasks and corpora: shapes, determinism, masks, baselines, labels, dates."""

from __future__ import annotations

import datetime
import math
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from rnnviz.data.tasks import (
    BRACKET_ALPHABET,
    DATE_FORMATS,
    DATE_SOURCE_ALPHABET,
    DATE_TARGET_ALPHABET,
    IGNORE_INDEX,
    TASK_NAMES,
    TaskBatch,
    analyze_brackets,
    bracket_text,
    date_pairs,
    format_date,
    make_task,
)

TASK_SETTINGS = [
    ("adding", 20, {}),
    ("adding", 3, {}),
    ("copy", 7, {"num_symbols": 5, "sequence_length": 3}),
    ("copy", 1, {}),
    ("first-symbol", 12, {"num_symbols": 6}),
    ("first-symbol", 9, {"num_symbols": 4, "noise_symbols": 3}),
]
TASK_IDS = [f"{name}-{length}-{'-'.join(map(str, extra.values()))}" for name, length, extra in TASK_SETTINGS]


def generator(seed: int) -> torch.Generator:
    """A CPU generator seeded with `seed`."""
    return torch.Generator().manual_seed(seed)


def oracle(task, batch: TaskBatch) -> torch.Tensor:
    """Predictions that are exactly right at every scored position (and zero elsewhere)."""
    if task.kind == "regression":
        return batch.targets.unsqueeze(-1).clone()  # (B, T, 1)
    classes = batch.targets.clamp(min=0)  # the IGNORE_INDEX positions get class 0; they are not scored
    return 50.0 * F.one_hot(classes, task.output_size).float() * batch.mask.unsqueeze(-1)  # (B, T, C)


@pytest.fixture(params=TASK_SETTINGS, ids=TASK_IDS)
def task(request):
    """Each task in a few settings."""
    name, length, options = request.param
    return make_task(name, length, **options)


# ---------------------------------------------------------------- common interface


def test_task_names_all_build():
    assert set(TASK_NAMES) == {"adding", "copy", "first-symbol"}
    for name in TASK_NAMES:
        task = make_task(name, 10)
        assert task.name == name
        assert task.kind in ("regression", "classification")
        assert isinstance(task.description, str) and task.description.endswith(".")


def test_shapes_and_dtypes(task):
    batch = task.sample(4, generator(0))
    steps = task.num_steps
    assert batch.inputs.shape == (4, steps, task.input_size)
    assert batch.inputs.dtype == torch.float32
    assert batch.mask.shape == (4, steps) and batch.mask.dtype == torch.bool
    assert batch.targets.shape == (4, steps)
    expected_type = torch.float32 if task.kind == "regression" else torch.long
    assert batch.targets.dtype == expected_type
    assert torch.isfinite(batch.inputs).all()
    if task.kind == "regression":
        assert task.output_size == 1
    else:
        scored = batch.targets[batch.mask]
        assert task.output_size >= 2 and (scored >= 0).all() and (scored < task.output_size).all()
    assert batch.mask.any(dim=1).all(), "every sample has at least one scored position"


def test_same_seed_gives_identical_batches_and_other_seeds_differ(task):
    first, again, other = (task.sample(8, generator(seed)) for seed in (3, 3, 4))
    for field in ("inputs", "targets", "mask"):
        assert torch.equal(getattr(first, field), getattr(again, field))
    assert not torch.equal(first.inputs, other.inputs)
    generator_state = generator(3)
    assert not torch.equal(task.sample(8, generator_state).inputs, task.sample(8, generator_state).inputs)


def test_oracle_scores_loss_zero_and_accuracy_one(task):
    batch = task.sample(16, generator(1))
    predictions = oracle(task, batch)
    assert task.loss(predictions, batch).item() == pytest.approx(0.0, abs=1e-6)
    assert task.accuracy(predictions, batch) == 1.0


def test_wrong_answers_score_accuracy_zero(task):
    batch = task.sample(16, generator(2))
    if task.kind == "regression":
        predictions = batch.targets.unsqueeze(-1) + 0.5  # off by 0.5 everywhere
        assert task.loss(predictions, batch).item() == pytest.approx(0.25, rel=1e-5)
    else:
        shifted = (batch.targets.clamp(min=0) + 1) % task.output_size
        predictions = 50.0 * F.one_hot(shifted, task.output_size).float()
        assert task.loss(predictions, batch).item() > 40.0
    assert task.accuracy(predictions, batch) == 0.0


def test_loss_and_gradient_only_see_masked_positions(task):
    batch = task.sample(8, generator(5))
    predictions = oracle(task, batch)
    noise = torch.randn(predictions.shape, generator=generator(6)) * 10.0
    scrambled = torch.where(batch.mask.unsqueeze(-1), predictions, noise).requires_grad_(True)
    loss = task.loss(scrambled, batch)
    assert loss.item() == pytest.approx(0.0, abs=1e-6)
    assert task.accuracy(scrambled, batch) == 1.0
    noisy = torch.where(batch.mask.unsqueeze(-1), noise, predictions).requires_grad_(True)
    task.loss(noisy, batch).backward()
    assert noisy.grad is not None
    touched = noisy.grad.abs().sum(dim=-1) > 0  # (B, T)
    assert not (touched & ~batch.mask).any(), "the loss reached an unscored position"
    assert touched[batch.mask].float().mean() > 0.9


def test_batch_to_device_keeps_values(task):
    batch = task.sample(2, generator(0))
    moved = batch.to("cpu")
    assert all(torch.equal(getattr(batch, f), getattr(moved, f)) for f in ("inputs", "targets", "mask"))


# ---------------------------------------------------------------- the adding problem


def test_adding_has_two_markers_one_per_half_and_target_is_their_sum():
    length = 31
    batch = make_task("adding", length).sample(256, generator(7))
    values, markers = batch.inputs[..., 0], batch.inputs[..., 1]  # (B, T)
    assert ((values >= 0) & (values < 1)).all()
    assert set(markers.unique().tolist()) <= {0.0, 1.0}
    assert (markers.sum(dim=1) == 2).all()
    assert (markers[:, : length // 2].sum(dim=1) == 1).all()
    assert (markers[:, length // 2 :].sum(dim=1) == 1).all()
    assert batch.mask[:, -1].all() and batch.mask.sum() == 256
    expected = (values * markers).sum(dim=1)  # (B,)
    assert torch.allclose(batch.targets[:, -1], expected, rtol=0.0, atol=1e-6)
    positions = markers.nonzero()[:, 1]
    assert positions.min() < 3 and positions.max() > length - 4, "markers roam the whole sequence"


def test_adding_baseline_is_the_variance_of_the_target():
    task = make_task("adding", 10)
    assert task.baseline_loss == pytest.approx(1 / 6)
    batch = task.sample(20_000, generator(8))
    best_constant = batch.targets[:, -1].mean().item()
    assert best_constant == pytest.approx(1.0, abs=0.01)
    empirical = task.loss(torch.full((20_000, 10, 1), best_constant), batch).item()
    assert empirical == pytest.approx(task.baseline_loss, abs=0.006)
    for other in (0.8, 1.2):
        assert task.loss(torch.full((20_000, 10, 1), other), batch).item() > empirical


@pytest.mark.parametrize(
    "options, errors", [({}, [0.03, -0.035, 0.045, -0.06]), ({"tolerance": 0.1}, [0.09, -0.08, 0.12, -0.15])]
)
def test_adding_accuracy_counts_answers_within_the_tolerance(options, errors):
    task = make_task("adding", 8, **options)  # default tolerance 0.04, Hochreiter & Schmidhuber's
    batch = task.sample(4, generator(0))
    predictions = batch.targets.unsqueeze(-1) + torch.tensor(errors).view(4, 1, 1)
    assert task.accuracy(predictions, batch) == 0.5


# ---------------------------------------------------------------- copy and first symbol


def test_copy_asks_for_the_symbols_in_order_after_the_go_marker():
    delay, count, symbols = 6, 4, 5
    task = make_task("copy", delay, num_symbols=symbols, sequence_length=count)
    batch = task.sample(64, generator(9))
    assert torch.equal(batch.inputs.sum(dim=-1), torch.ones(64, task.num_steps)), "inputs are one-hot"
    ids = batch.inputs.argmax(dim=-1)  # (B, T)
    blank, go = symbols, symbols + 1
    assert (ids[:, :count] < symbols).all()
    assert ((ids == go).sum(dim=1) == 1).all()
    assert (ids[:, count + delay - 1] == go).all()
    others = torch.ones(task.num_steps, dtype=torch.bool)
    others[:count] = False
    others[count + delay - 1] = False
    assert (ids[:, others] == blank).all()
    scored = batch.mask.nonzero()[:, 1].view(64, count)  # (B, n) scored steps
    assert (scored == torch.arange(count) + count + delay).all()
    assert torch.equal(batch.targets[batch.mask].view(64, count), ids[:, :count])
    assert (batch.targets[~batch.mask] == IGNORE_INDEX).all()
    assert (scored - torch.arange(count) == task.dependency_length).all()


def test_first_symbol_target_is_the_first_input():
    task = make_task("first-symbol", 15, num_symbols=5)
    batch = task.sample(128, generator(10))
    ids = batch.inputs.argmax(dim=-1)  # (B, T)
    assert torch.equal(batch.targets[:, -1], ids[:, 0])
    assert batch.mask[:, -1].all() and batch.mask.sum() == 128
    assert len(ids[:, 1:].unique()) == 5, "distractors come from the same symbols by default"
    assert task.dependency_length == 14


def test_first_symbol_noise_symbols_are_separate_channels():
    task = make_task("first-symbol", 15, num_symbols=3, noise_symbols=2)
    ids = task.sample(64, generator(11)).inputs.argmax(dim=-1)  # (B, T)
    assert (ids[:, 0] < 3).all()
    assert ((ids[:, 1:] >= 3) & (ids[:, 1:] < 5)).all()


@pytest.mark.parametrize("name", ["copy", "first-symbol"])
def test_classification_baseline_matches_the_best_input_blind_guess(name):
    task = make_task(name, 5, num_symbols=6)
    assert task.baseline_loss == pytest.approx(math.log(6))
    batch = task.sample(5000, generator(12))
    frequencies = torch.bincount(batch.targets[batch.mask], minlength=6).float()
    frequencies /= frequencies.sum()
    constant = torch.log(frequencies).expand(*batch.targets.shape, 6)  # (B, T, C): the marginal, everywhere
    empirical = task.loss(constant, batch).item()
    assert empirical == pytest.approx(task.baseline_loss, abs=0.01)


# ---------------------------------------------------------------- bad arguments


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: make_task("addition", 10), "must be one of 'adding', 'copy', 'first-symbol'"),
        (lambda: make_task(None, 10), "must be one of"),
        (lambda: make_task("copy", 0), "length must be an integer >= 1, got 0"),
        (lambda: make_task("first-symbol", -3), "length must be an integer >= 1, got -3"),
        (lambda: make_task("adding", 1), "length must be an integer >= 2, got 1"),
        (lambda: make_task("copy", 2.5), "length must be an integer"),
        (lambda: make_task("copy", "10"), "length must be an integer"),
        (lambda: make_task("copy", True), "length must be an integer"),
        (lambda: make_task("adding", 2001), "at most 2,000"),
        (lambda: make_task("copy", 5, num_symbols=1), "num_symbols must be an integer >= 2"),
        (lambda: make_task("copy", 5, sequence_length=0), "sequence_length must be an integer >= 1"),
        (lambda: make_task("copy", 5, colour="red"), "unknown option(s) for task 'copy': colour"),
        (lambda: make_task("adding", 5, num_symbols=3), "accepted: tolerance"),
        (lambda: make_task("adding", 5, tolerance=-0.1), "tolerance must be a number"),
        (lambda: make_task("first-symbol", 5, noise_symbols=-1), "noise_symbols must be an integer >= 0"),
    ],
)
def test_bad_task_arguments_raise_helpful_errors(build, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        build()


def test_length_cap_is_inclusive_and_numpy_integers_work():
    assert make_task("copy", 2000).dependency_length == 2005
    assert make_task("adding", np.int64(12)).num_steps == 12


@pytest.mark.parametrize(
    "batch_size, gen, message",
    [
        (0, torch.Generator(), "batch_size must be an integer >= 1, got 0"),
        (2.0, torch.Generator(), "batch_size must be an integer"),
        (10**7, torch.Generator(), "batch_size must be at most"),
        (4, None, "generator must be a CPU torch.Generator"),
        (4, 0, "generator must be a CPU torch.Generator"),
    ],
)
def test_bad_sample_arguments_raise(batch_size, gen, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        make_task("copy", 5).sample(batch_size, gen)


def test_oversized_batch_is_refused_before_allocating():
    task = make_task("copy", 2000, num_symbols=64, sequence_length=100)
    with pytest.raises(ValueError, match="lower batch_size or length"):
        task.sample(1_000, generator(0))


def test_predictions_of_the_wrong_shape_raise(task):
    batch = task.sample(3, generator(0))
    wrong = torch.zeros(3, task.num_steps, task.output_size + 1)
    for score in (task.loss, task.accuracy):
        with pytest.raises(ValueError, match=r"predictions must have shape \(B, T, output_size\)"):
            score(wrong, batch)
    with pytest.raises(ValueError, match="float tensor"):
        task.loss(torch.zeros(3, task.num_steps, task.output_size, dtype=torch.long), batch)


# ---------------------------------------------------------------- the bracket-and-quote language

PAIRS = {")": "(", "]": "[", "}": "{"}


def check_line(line: str) -> list[int]:
    """Assert one line is balanced (kinds matched, quotes paired at one depth); return its depths."""
    stack: list[str] = []
    depths, quote_depth = [], None
    for char in line:
        if char in "([{":
            stack.append(char)
        elif char in PAIRS:
            assert stack and stack.pop() == PAIRS[char], f"mismatched {char!r} in {line!r}"
            assert quote_depth is None or len(stack) >= quote_depth, f"a bracket leaves its quote in {line!r}"
        elif char == '"':
            assert quote_depth is None or quote_depth == len(stack), f"a quote spans brackets in {line!r}"
            quote_depth = len(stack) if quote_depth is None else None
        depths.append(len(stack))
    assert not stack and quote_depth is None, f"unclosed bracket or quote in {line!r}"
    return depths


@pytest.mark.parametrize("max_depth", [1, 3, 6])
def test_bracket_text_is_balanced_within_depth_and_labels_agree(max_depth):
    corpus = bracket_text(20_000, max_depth=max_depth, seed=max_depth)
    text = corpus.text
    assert len(text) >= 20_000 and text.endswith("\n")
    assert set(text) <= set(BRACKET_ALPHABET)
    depths = []
    for line in text.split("\n")[:-1]:
        assert line and line == line.strip(" ") and "  " not in line
        depths.extend(check_line(line) + [0])
    assert np.array_equal(corpus.depth, np.array(depths))
    assert corpus.depth.min() == 0 and corpus.depth.max() == max_depth, "the dial reaches exactly max_depth"
    depth, in_quote = analyze_brackets(text)
    assert np.array_equal(depth, corpus.depth) and np.array_equal(in_quote, corpus.in_quote)
    assert corpus.depth.dtype == np.int64 and corpus.in_quote.dtype == bool


def test_bracket_text_quote_labels_follow_the_after_reading_convention():
    corpus = bracket_text(5000, seed=1)
    text, in_quote = corpus.text, corpus.in_quote
    quote_positions = [index for index, char in enumerate(text) if char == '"']
    assert quote_positions, "the default corpus has quotes"
    for opening, closing in zip(quote_positions[0::2], quote_positions[1::2]):
        assert in_quote[opening:closing].all() and not in_quote[closing]
        assert "\n" not in text[opening:closing]
    spans = zip(quote_positions[0::2], quote_positions[1::2])
    assert in_quote.sum() == sum(closing - opening for opening, closing in spans)


def test_analyze_brackets_on_a_hand_labelled_example():
    depth, in_quote = analyze_brackets('f(a [b] "say")\n')
    assert depth.tolist() == [0, 1, 1, 1, 2, 2, 1, 1, 1, 1, 1, 1, 1, 0, 0]
    assert "".join("Q" if flag else "." for flag in in_quote) == '........QQQQ...'


def test_analyze_brackets_survives_any_text():
    depth, in_quote = analyze_brackets(')) "open\n(😀 <b>x</b> "')
    assert depth.min() >= 0 and depth[:2].tolist() == [0, 0]
    assert in_quote[3:8].all() and not in_quote[8] and in_quote[-1]
    assert depth[-1] == 1
    empty_depth, empty_quote = analyze_brackets("")
    assert empty_depth.shape == (0,) and empty_quote.shape == (0,)
    with pytest.raises(ValueError, match="text must be a str"):
        analyze_brackets(None)


def test_bracket_text_is_deterministic_and_dials_work():
    assert bracket_text(3000, seed=4).text == bracket_text(3000, seed=4).text
    assert bracket_text(3000, seed=4).text != bracket_text(3000, seed=5).text
    assert '"' not in bracket_text(3000, quote_probability=0.0).text
    assert len(set(BRACKET_ALPHABET)) == len(BRACKET_ALPHABET)
    corpus = bracket_text(10)
    with pytest.raises(ValueError):
        corpus.depth[0] = 5  # labels are read-only


@pytest.mark.parametrize(
    "options, message",
    [
        ({"num_chars": 0}, "num_chars must be an integer >= 1, got 0"),
        ({"num_chars": 10**8}, "num_chars must be at most"),
        ({"num_chars": 100, "max_depth": 0}, "max_depth must be an integer >= 1, got 0"),
        ({"num_chars": 100, "max_depth": 99}, "max_depth must be at most 12"),
        ({"num_chars": 100, "seed": -1}, "seed must be an integer >= 0"),
        ({"num_chars": 100, "quote_probability": 1.5}, "quote_probability must be a number"),
    ],
)
def test_bad_bracket_arguments_raise(options, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        bracket_text(**options)


# ---------------------------------------------------------------- dates

WEEKDAY_NAMES = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
MONTH_NAMES = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
               "october", "november", "december"]  # fmt: skip
STRPTIME = {"weekday": "%A", "wkd": "%a", "day": "%d", "dd": "%d", "ordinal": "%d", "month": "%B",
            "mon": "%b", "m": "%m", "mm": "%m", "year": "%Y", "yy": "%y"}  # fmt: skip
SHAPE = {
    "weekday": f"(?P<weekday>{'|'.join(WEEKDAY_NAMES)})",
    "wkd": f"(?P<wkd>{'|'.join(name[:3] for name in WEEKDAY_NAMES)})",
    "day": "[1-9][0-9]?",
    "dd": "[0-3][0-9]",
    "ordinal": "[1-9][0-9]?(?P<suffix>st|nd|rd|th)",
    "month": f"(?:{'|'.join(MONTH_NAMES)})",
    "mon": f"(?:{'|'.join(name[:3] for name in MONTH_NAMES)})",
    "m": "(?:[1-9]|1[0-2])",
    "mm": "(?:0[1-9]|1[0-2])",
    "year": "[0-9]{4}",
    "yy": "[0-9]{2}",
}


def shape_pattern(template: str) -> str:
    """A regular expression for the strings `template` can produce (zero padding included)."""
    pattern = re.escape(template)
    for field, shape in SHAPE.items():
        pattern = pattern.replace(re.escape("{" + field + "}"), shape)
    return pattern


def has_shape(source: str, template: str) -> bool:
    """Whether `source` could have been written in `template`."""
    return re.fullmatch(shape_pattern(template), source) is not None


def parse_date(source: str, template: str) -> datetime.date:
    """Parse `source` written in `template` with the standard library, independently of rnnviz."""
    match = re.fullmatch(shape_pattern(template), source)
    assert match, f"{source!r} does not have the shape of {template!r}"
    text = re.sub(r"\b([0-9]+)(st|nd|rd|th)\b", r"\1", source)
    layout = re.sub(r"\{(\w+)\}", lambda field: STRPTIME[field.group(1)], template)
    parsed = datetime.datetime.strptime(text, layout).date()
    if "{yy}" in template and parsed.year >= 2050:  # our pivot: 50-99 -> 1950-1999 (strptime's is 69)
        parsed = parsed.replace(year=parsed.year - 100)
    names = match.groupdict()
    if names.get("weekday"):
        assert names["weekday"] == WEEKDAY_NAMES[parsed.weekday()], f"wrong weekday in {source!r}"
    if names.get("wkd"):
        assert names["wkd"] == WEEKDAY_NAMES[parsed.weekday()][:3], f"wrong weekday in {source!r}"
    if names.get("suffix"):
        day = parsed.day
        expected = "th" if 11 <= day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
        assert names["suffix"] == expected, f"wrong ordinal in {source!r}"
    return parsed


@pytest.mark.parametrize("template", DATE_FORMATS)
def test_each_date_format_parses_back_to_its_iso_target(template):
    for source, target in date_pairs(150, seed=13, formats=(template,)):
        assert re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", target)
        assert parse_date(source, template).isoformat() == target


def test_date_pairs_mix_formats_and_cover_the_range():
    pairs = date_pairs(1000, seed=14)
    used = set()
    for source, target in pairs:
        assert source == source.lower() and set(source) <= set(DATE_SOURCE_ALPHABET)
        assert set(target) <= set(DATE_TARGET_ALPHABET)
        readings = {t: parse_date(source, t) for t in DATE_FORMATS if has_shape(source, t)}
        assert readings and all(value.isoformat() == target for value in readings.values()), source
        used.update(readings)
    assert used == set(DATE_FORMATS)
    dates = sorted(datetime.date.fromisoformat(target) for _, target in pairs)
    assert datetime.date(1950, 1, 1) <= dates[0] < datetime.date(1953, 1, 1)
    assert datetime.date(2047, 1, 1) < dates[-1] <= datetime.date(2049, 12, 31)


def test_date_pairs_are_deterministic():
    assert date_pairs(50, seed=1) == date_pairs(50, seed=1)
    assert date_pairs(50, seed=1) != date_pairs(50, seed=2)
    assert date_pairs(50, seed=1, formats=DATE_FORMATS[:2]) != date_pairs(50, seed=1)


def test_format_date_writes_a_known_date():
    leap_day = datetime.date(2024, 2, 29)  # a Thursday
    assert format_date(leap_day, "{weekday}, {month} {day}, {year}") == "thursday, february 29, 2024"
    assert format_date(leap_day, "{dd}/{mm}/{year}") == "29/02/2024"
    with pytest.raises(ValueError, match="template must be one of DATE_FORMATS"):
        format_date(leap_day, "{day.__class__}")


@pytest.mark.parametrize(
    "options, message",
    [
        ({"count": 0}, "count must be an integer >= 1, got 0"),
        ({"count": 5, "seed": "x"}, "seed must be an integer"),
        ({"count": 5, "formats": ()}, "formats must be a non-empty sequence"),
        ({"count": 5, "formats": ("{year}",)}, "formats must be a non-empty sequence"),
        ({"count": 5, "formats": DATE_FORMATS[0]}, "formats must be a non-empty sequence"),
    ],
)
def test_bad_date_arguments_raise(options, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        date_pairs(**options)
