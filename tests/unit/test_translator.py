"""Translator: hostile typed input, checkpoints with direction checks, scoring; the command line."""

from __future__ import annotations

import io
import sys
import time

import pytest
import torch

from rnnviz.core.randomness import make_generator
from rnnviz.io.checkpoints import CheckpointError
from rnnviz.seq2seq.cli import main
from rnnviz.seq2seq.model import Seq2Seq
from rnnviz.seq2seq.training import TRAINING, Seq2SeqConfig, train_seq2seq
from rnnviz.seq2seq.translator import MAX_INPUT_CHARS, DirectionError, Translator
from tests.unit.seq2seq_helpers import number_data, write_pairs_file


@pytest.fixture(scope="module")
def translator() -> Translator:
    """A small translator trained on the number task (French numbers -> English, reversed)."""
    data = number_data(600)
    model = Seq2Seq(len(data.source_vocab), len(data.target_vocab), hidden_size=64, dropout=0.0,
                    bidirectional=True, generator=make_generator(0))
    train_seq2seq(model, data, Seq2SeqConfig(validate_every=300).replace(steps=300, batch_size=32, learning_rate=5e-3))
    return Translator.from_data(model, data)


def test_a_typed_sentence_gives_translation_attention_top_words_and_beam_candidates(translator):
    result = translator.translate("Trois  UN cinq", beam=1)
    assert result.prepared.tokens == ["trois", "un", "cinq"] and not any(result.prepared.unknown)
    assert result.text == "five one three"
    assert result.attention.shape == (4, 4)  # 3 words + </s> out, 3 words + </s> in
    assert result.attention.sum(axis=1) == pytest.approx([1.0] * 4)
    assert result.attention[:3].argmax(axis=1).tolist() == [2, 1, 0]  # "five" looks at "cinq", ...
    assert len(result.top) == 4 and result.top[0][0][0] == "five" and len(result.top[0]) == 5
    beamed = translator.translate("trois un cinq", beam=5)
    assert beamed.text == "five one three" and len(beamed.candidates) == 5
    assert beamed.candidates[0][1] >= beamed.candidates[-1][1] - 1e-9
    assert beamed.logprob == pytest.approx(beamed.candidates[0][1], abs=1e-4)


@pytest.mark.parametrize("text,note", [
    ("", None),
    ("   ", None),
    ("🙂🙂", None),
    ("trois " * 1500, "first 5,000 characters"),
    ("trois zebra cinq", "<unk>: zebra"),
    ("<script>alert(1)</script> trois", "<unk>"),
    ("the cat sat on the mat", "is this French"),
    ("1 2 3 trois", None),
    ("trois\x00un\u202fcinq", None),
])
def test_hostile_input_gives_a_translation_or_a_clear_note_never_an_exception(translator, text, note):
    result = translator.translate(text, beam=3)
    assert len(result.prepared.original) <= MAX_INPUT_CHARS
    if note is not None:
        assert any(note in line for line in result.prepared.notes), result.prepared.notes
    if result.prepared.empty:
        assert result.text == "" and result.attention is None
    else:
        assert result.attention.shape[1] == len(result.source_tokens)


def test_the_tutorial_preparation_says_what_it_dropped():
    data = number_data(60)
    data.info["preparation"] = "tutorial"
    model = Seq2Seq(len(data.source_vocab), len(data.target_vocab), hidden_size=8, generator=make_generator(0))
    prepared = Translator.from_data(model, data).prepare("J'ai 25 ans 🙂 !")
    assert prepared.normalized == "j ai ans !"
    assert any("dropped" in note and "2" in note and "5" in note for note in prepared.notes)


def test_a_translator_refuses_a_model_switched_to_training_mode():
    data = number_data(60)
    translator = Translator.from_data(Seq2Seq(len(data.source_vocab), len(data.target_vocab), hidden_size=8,
                                              generator=make_generator(0)), data)
    assert translator.translate("un deux").prepared.tokens == ["un", "deux"]  # from_data puts its model in eval
    translator.model.train()
    for use in (lambda: translator.translate("un deux"), lambda: translator.translate("un deux", beam=3),
                lambda: translator.score("un", "one"), lambda: translator.samples("un", count=3),
                lambda: translator.translate_many(["un", "deux"])):
        with pytest.raises(ValueError, match=r"call model\.eval\(\) first"):
            use()
    assert translator.model.training


def test_long_input_is_cut_to_the_tutorial_slots():
    data = number_data(60)
    model = Seq2Seq(len(data.source_vocab), len(data.target_vocab), hidden_size=8, attention="tutorial",
                    max_source_length=6, generator=make_generator(0))
    result = Translator.from_data(model, data).translate("un deux trois quatre cinq six sept huit")
    assert len(result.prepared.tokens) == 5 and any("slots" in note for note in result.prepared.notes)
    assert result.attention.shape[1] == 6


def test_scores_samples_and_top_phrases(translator):
    good, per_word, _ = translator.score("trois un", "one three")
    bad, _, _ = translator.score("trois un", "three one")
    assert good > bad and [w for w, _ in per_word] == ["one", "three", "</s>"]
    assert sum(lp for _, lp in per_word) == pytest.approx(good, abs=1e-4)
    assert translator.score("trois un", "one zebra")[1][1][0] == "zebra (<unk>)"
    with pytest.raises(ValueError, match="at least one word"):
        translator.score("", "one")
    phrases = translator.top_phrases("trois un", k=3)
    assert phrases[0][0] == "one three" and len(phrases) == 3
    drawn = translator.samples("trois un", count=20, temperature=1.0)
    assert drawn and sum(n for _, n, _ in drawn) <= 20
    assert translator.samples("", count=5) == [] and translator.top_phrases("  ") == []


def test_checkpoint_round_trip_half_precision_and_direction_checks(translator, tmp_path):
    path = translator.save(tmp_path / "numbers.safetensors", half=True)
    again = Translator.load(path, source="fra", target="eng")
    assert again.translate("trois un cinq").text == "five one three"
    assert again.direction == "French → English" and again.info["stored_dtype"] == "float16"
    assert next(again.model.parameters()).dtype == torch.float32
    with pytest.raises(DirectionError, match="translates French → English, not English → French"):
        Translator.load(path, source="eng", target="fra")
    (tmp_path / "broken.safetensors").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match=r"broken\.safetensors"):
        Translator.load(tmp_path / "broken.safetensors")


def test_translate_many_matches_one_by_one(translator):
    lines = ["trois un cinq", "", "deux huit", "🙂", "six sept un quatre"]
    assert translator.translate_many(lines) == [translator.translate(line).text for line in lines]
    assert translator.translate_many(lines, beam=2)[1] == ""


def test_command_line_train_translate_evaluate(tmp_path, monkeypatch, capsys):
    data_file = tmp_path / "eng-fra.txt"
    write_pairs_file(data_file, 600)
    checkpoint = tmp_path / "numbers.safetensors"
    status = main(["train", "--data", str(data_file), "--source", "fra", "--target", "eng", "--seconds", "900",
                   "--steps", "300", "--out", str(checkpoint), "--hidden", "64", "--encoder-hidden", "64",
                   "--dropout", "0", "--lr", "5e-3",
                   "--batch-size", "32", "--test", "60", "--validation", "60"])
    output = capsys.readouterr()
    assert status == 0 and checkpoint.is_file(), output.err
    assert "held-out BLEU" in output.out
    tied = Translator.load(checkpoint).model  # the command line ties the output layer to the target embedding
    assert tied.config["tie_embeddings"] and tied.out.weight is tied.embedding.weight
    monkeypatch.setattr(sys, "stdin", io.StringIO("trois un cinq\n\ndeux huit\n"))
    assert main(["translate", "--checkpoint", str(checkpoint), "--beam", "3"]) == 0
    lines = capsys.readouterr().out.split("\n")
    assert lines[:3] == ["five one three", "", "eight two"]
    assert main(["evaluate", "--checkpoint", str(checkpoint), "--data", str(data_file)]) == 0
    report = capsys.readouterr().out
    assert report.startswith("BLEU ") and "exact match" in report and "60 held-out pairs" in report
    assert main(["translate", "--checkpoint", str(checkpoint), "--source", "eng"]) == 2
    assert "translates French → English, so it does not read English" in capsys.readouterr().err
    assert main(["evaluate", "--checkpoint", str(tmp_path / "missing.safetensors"), "--data", str(data_file)]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["train", "--data", str(data_file), "--source", "deu", "--target", "eng", "--out",
                 str(tmp_path / "x.safetensors")]) == 2
    assert "columns" in capsys.readouterr().err


def test_the_vocabulary_options_cap_each_side_and_drop_rare_words(tmp_path):
    """--vocabulary-size keeps the most frequent words a side; --min-count drops rarer ones (they read <unk>)."""
    from rnnviz.seq2seq import cli

    data_file = tmp_path / "eng-fra.txt"
    data_file.write_text("".join(f"w{i % 7} common x{i}\tm{i % 5} commun y{i}\n" for i in range(80)), encoding="utf-8")
    arguments = ["train", "--data", str(data_file), "--source", "eng", "--target", "fra", "--out", "x",
                 "--test", "10", "--validation", "5"]
    full = cli._load_data(cli._parser().parse_args(arguments))
    capped = cli._load_data(cli._parser().parse_args([*arguments, "--vocabulary-size", "9"]))
    frequent = cli._load_data(cli._parser().parse_args([*arguments, "--min-count", "2"]))
    assert len(full.source_vocab) > 60 and len(capped.source_vocab) == len(capped.target_vocab) == 9
    assert "common" in capped.source_vocab and "commun" in capped.target_vocab
    assert "x3" in full.source_vocab and "x3" not in frequent.source_vocab and "w3" in frequent.source_vocab


def test_the_time_budget_starts_when_main_starts_not_at_import(monkeypatch: pytest.MonkeyPatch) -> None:
    """`--seconds` counts from the call of main (no clock started when the module is imported)."""
    from rnnviz.seq2seq import cli

    seen: dict[str, float] = {}

    def fake_train(args, started: float) -> int:
        seen["started"] = started
        return 0

    monkeypatch.setattr(cli, "train", fake_train)
    before = time.perf_counter()
    assert cli.main(["train", "--data", "dates", "--out", "unused.safetensors"]) == 0
    assert before <= seen["started"] <= time.perf_counter()


def test_the_recipe_fills_only_what_was_not_given() -> None:
    """Options given win; the budget's defaults fill the rest; the parsed arguments stay as they were."""
    from rnnviz.seq2seq import cli

    args = cli._parser().parse_args(["train", "--data", "dates", "--out", "x", "--seconds", "30", "--lr", "0.02"])
    recipe = cli.resolve_recipe(args)
    assert (recipe.learning_rate, recipe.hidden, recipe.dropout, recipe.label_smoothing) == (0.02, 128, 0.0, 0.1)
    assert args.learning_rate == 0.02 and args.label_smoothing is None and args.hidden is None
    assert cli._train_config(args, recipe) == TRAINING.replace(learning_rate=0.02)  # the trainer's defaults
    given = cli._parser().parse_args(["train", "--data", "dates", "--out", "x", "--batch-size", "8", "--clip", "0.5"])
    assert cli._train_config(given, cli.resolve_recipe(given)).replace(learning_rate=1.0) == TRAINING.replace(
        batch_size=8, clip_threshold=0.5, learning_rate=1.0)
    long = cli.resolve_recipe(cli._parser().parse_args(["train", "--data", "dates", "--out", "x", "--seconds", "120"]))
    assert (long.hidden, long.dropout, long.learning_rate) == (192, 0.1, 5e-3)


def test_the_tutorial_note_says_which_letters_it_keeps_and_names_dropped_hebrew_and_arabic():
    data = number_data(60)
    data.info["preparation"] = "tutorial"
    model = Seq2Seq(len(data.source_vocab), len(data.target_vocab), hidden_size=8, generator=make_generator(0))
    prepared = Translator.from_data(model, data).prepare("trois שלום سلام")
    assert prepared.normalized.strip() == "trois"
    note = next(note for note in prepared.notes if "dropped" in note)
    assert "a–z" in note and "ש" in note and "س" in note
    assert "keeps only letters" not in note  # Hebrew and Arabic are letters too


def test_a_character_model_calls_unknown_input_characters_not_words():
    from rnnviz.data.pairs import date_data

    data = date_data(200, seed=0, test=20, validation=20)
    model = Seq2Seq(len(data.source_vocab), len(data.target_vocab), hidden_size=8, generator=make_generator(0))
    prepared = Translator.from_data(model, data).prepare("monday 3 jan 2022 Ωж")
    unknown_notes = [note for note in prepared.notes if "<unk>" in note]
    assert unknown_notes and all("Unknown characters" in note for note in unknown_notes), prepared.notes
    assert not any("word" in note for note in unknown_notes)
