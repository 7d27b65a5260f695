"""Character language models: trace = fast path, gates in range, the lecture's equations hold, bad text, training, CLI."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from rnnviz.charlm.cli import main as cli_main
from rnnviz.charlm.model import CharLM, bits_per_char, char_vocabulary, prepare_text, sample_text
from rnnviz.charlm.trace import explain_char, trace_text, value_range
from rnnviz.charlm.train import LMSettings, bracket_corpus, file_corpus, save_charlm, text_corpus, train_charlm
from rnnviz.data.languages import BRACKET_ALPHABET
from rnnviz.data.text import Vocabulary
from rnnviz.io import checkpoints

TEXT = 'f(a [b c] "say {x}") d\nlet (x y)\n'
KINDS = ("rnn", "lstm", "gru", "sru")


def make_model(kind: str, *, layers: int = 1, embedding: int = 6, hidden: int = 7, seed: int = 0,
               vocab: Vocabulary | None = None, **options) -> tuple[CharLM, Vocabulary]:
    """A small random model over the bracket alphabet."""
    vocab = vocab or char_vocabulary(BRACKET_ALPHABET)
    torch.manual_seed(seed)
    return CharLM(kind, len(vocab), hidden, layers, embedding, **options).eval(), vocab


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("layers,embedding", [(1, 6), (2, 0)])
def test_trace_equals_fast_path(kind: str, layers: int, embedding: int) -> None:
    """The explicit traced unroll predicts exactly what the fused fast path predicts."""
    model, vocab = make_model(kind, layers=layers, embedding=embedding)
    trace = trace_text(model, vocab, TEXT)
    with torch.no_grad():
        logits, _ = model(torch.tensor([vocab.encode(TEXT)]))
    np.testing.assert_allclose(trace.probabilities, torch.softmax(logits[0], -1).numpy(), atol=1e-5)
    assert len(trace.layers) == layers
    assert all(values.shape == (len(TEXT), 7) for layer in trace.layers for values in layer.states.values())


@pytest.mark.parametrize("kind", KINDS)
def test_gates_stay_in_their_ranges(kind: str) -> None:
    """Sigmoid gates lie in [0, 1], tanh states in [-1, 1], with weights scaled up to push them to the edges."""
    model, vocab = make_model(kind)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.mul_(6)
    trace = trace_text(model, vocab, TEXT * 3)
    for name, values in trace.layers[0].states.items():
        bounds = value_range(kind, name)
        if bounds is not None:
            assert values.min() >= bounds[0] and values.max() <= bounds[1], name
    if kind == "lstm":
        assert trace.state("forget").min() < 0.1 and trace.state("forget").max() > 0.9  # saturated both ways


def test_lstm_update_equations_hold_on_returned_values() -> None:
    """c_t = f*c_{t-1} + i*C~_t and h_t = o*tanh(c_t), on every step and unit of the trace."""
    model, vocab = make_model("lstm", layers=2)
    for layer in make_trace(model, vocab).layers:
        s = layer.states
        previous = np.vstack([np.zeros((1, 7)), s["cell"][:-1]])
        np.testing.assert_allclose(s["cell"], s["forget"] * previous + s["input"] * s["candidate"], atol=1e-5)
        np.testing.assert_allclose(s["hidden"], s["output"] * np.tanh(s["cell"]), atol=1e-5)


def test_gru_update_equation_holds_on_returned_values() -> None:
    """h_t = z*h_{t-1} + (1-z)*h~_t."""
    model, vocab = make_model("gru")
    s = make_trace(model, vocab).layers[0].states
    previous = np.vstack([np.zeros((1, 7)), s["hidden"][:-1]])
    np.testing.assert_allclose(s["hidden"], s["update"] * previous + (1 - s["update"]) * s["candidate"], atol=1e-5)


def test_sru_update_equations_hold_on_returned_values() -> None:
    """c_t = f*c_{t-1} + (1-f)*(W x_t) and h_t = r*c_t + (1-r)*x_t (embedding size = hidden size)."""
    model, vocab = make_model("sru", embedding=7)
    layer = make_trace(model, vocab).layers[0]
    s, x = layer.states, layer.inputs
    w_x = x @ model.recurrent.cell(0).weight_ih[:7].detach().numpy().T
    previous = np.vstack([np.zeros((1, 7)), s["cell"][:-1]])
    np.testing.assert_allclose(s["cell"], s["forget"] * previous + (1 - s["forget"]) * w_x, atol=1e-5)
    np.testing.assert_allclose(s["hidden"], s["reset"] * s["cell"] + (1 - s["reset"]) * x, atol=1e-5)


def test_rnn_hidden_is_tanh_of_preactivation() -> None:
    """h_t = tanh(a_t)."""
    model, vocab = make_model("rnn")
    s = make_trace(model, vocab).layers[0].states
    np.testing.assert_allclose(s["hidden"], np.tanh(s["preactivation"]), atol=1e-6)


def make_trace(model: CharLM, vocab: Vocabulary):
    """The trace of TEXT."""
    return trace_text(model, vocab, TEXT)


@pytest.mark.parametrize("kind,options", [("lstm", {}), ("gru", {}), ("gru", {"reset_after": False}),
                                          ("sru", {}), ("rnn", {}), ("rnn-relu", {})])
def test_equations_with_numbers_reproduce_the_trace(kind: str, options: dict) -> None:
    """Each equation recomputed from the weights for one (t, unit) gives the traced value of that gate."""
    model, vocab = make_model(kind, layers=2, **options)
    trace = make_trace(model, vocab)
    names = {"forget gate": "forget", "input gate": "input", "output gate": "output", "candidate": "candidate",
             "cell state": "cell", "hidden state": "hidden", "reset gate": "reset", "update gate": "update",
             "current memory content": "candidate", "final memory": "hidden", "state vector": "cell",
             "output vector": "hidden", "pre-activation": "preactivation"}
    for layer, t, unit in [(0, 0, 0), (0, 5, 3), (1, 17, 6), (1, len(TEXT) - 1, 2)]:
        equations = explain_char(model, trace, layer, t, unit)
        assert equations, kind
        for equation in equations:
            expected = trace.state(names[equation.name], layer)[t, unit]
            assert equation.value == pytest.approx(float(expected), abs=1e-5), (kind, equation.name, t, unit)
            shown = f"{0.0 if abs(equation.value) < 0.0005 else equation.value:.3f}"
            assert "_t =" in equation.symbolic and equation.substituted.endswith(f"= {shown}")


def test_explain_step_refuses_positions_outside_the_text() -> None:
    """A click outside the text gets a clear ValueError, not an IndexError."""
    model, vocab = make_model("lstm")
    trace = make_trace(model, vocab)
    with pytest.raises(ValueError, match="at most"):
        explain_char(model, trace, 0, len(TEXT), 0)
    with pytest.raises(ValueError, match="unit"):
        explain_char(model, trace, 0, 0, 7)


def test_unknown_characters_emoji_and_markup_are_traced_and_flagged() -> None:
    """Characters outside the vocabulary read as <unk>: traced, flagged, no surprise claimed for them."""
    model, vocab = make_model("lstm")
    text = prepare_text("Hi 🙂 <script>alert(1)</script>")
    trace = trace_text(model, vocab, text)
    assert len(trace.ids) == len(text) and trace.state("forget").shape == (len(text), 7)
    assert trace.unknown[text.index("H")] and trace.unknown[text.index("🙂")] and trace.unknown[text.index("<")]
    assert not trace.unknown[text.index("i")]
    assert np.isnan(trace.surprise_bits[trace.unknown]).all()
    assert np.isfinite(trace.surprise_bits[1:][~trace.unknown[1:]]).all()


def test_empty_and_oversized_text_are_refused_with_a_message() -> None:
    """Empty text and text beyond the trace cap raise ValueError saying what to do."""
    model, vocab = make_model("gru")
    with pytest.raises(ValueError, match="empty"):
        trace_text(model, vocab, "")
    with pytest.raises(ValueError, match="at most"):
        trace_text(model, vocab, "a" * 20_001)


def test_predictions_are_distributions_and_surprise_matches_them() -> None:
    """Probabilities sum to 1; top-5 is sorted; surprise of char t is -log2 of its probability after t-1."""
    model, vocab = make_model("lstm")
    trace = make_trace(model, vocab)
    np.testing.assert_allclose(trace.probabilities.sum(axis=1), 1.0, atol=1e-5)
    chars, probs = trace.top_k(5)
    assert len(chars) == len(TEXT) and all(len(row) == 5 for row in chars)
    assert (np.diff(probs, axis=1) <= 1e-7).all()
    assert chars[3][0] == trace.tokens[int(np.argmax(trace.probabilities[3]))]
    assert math.isnan(trace.surprise_bits[0])
    t = 9
    assert trace.surprise_bits[t] == pytest.approx(-math.log2(trace.probabilities[t - 1, trace.ids[t]]), rel=1e-5)


def test_bits_per_char_agrees_with_the_traced_surprise() -> None:
    """On a text shorter than one window, bits per character is the trace's mean surprise."""
    model, vocab = make_model("gru")
    assert bits_per_char(model, vocab, TEXT, window=256) == pytest.approx(make_trace(model, vocab).mean_bits(), rel=1e-5)
    longer = TEXT * 20  # several windows, and a short tail
    assert math.isfinite(bits_per_char(model, vocab, longer, window=50, batch_size=3))


def test_tracing_does_not_change_the_model_and_restores_threads() -> None:
    """A trace leaves weights, grads and the thread count as they were."""
    model, vocab = make_model("lstm")
    before = {name: p.detach().clone() for name, p in model.state_dict().items()}
    threads = torch.get_num_threads()
    make_trace(model, vocab)
    assert torch.get_num_threads() == threads
    assert all(torch.equal(before[name], p) for name, p in model.state_dict().items())
    assert all(p.grad is None for p in model.parameters())


def tiny_settings(**changes) -> LMSettings:
    """Settings that train in about a second."""
    model = {"kind": "lstm", "hidden_size": 16, "embedding_size": 8, "seq_length": 30}
    return LMSettings(**model).replace(**{"batch_size": 8, "steps": 40, "learning_rate": 1e-2, "seed": 3, **changes})


def test_training_lowers_the_loss_and_repeats_with_a_seed() -> None:
    """Forty steps on the bracket language lower the loss for each of three seeds; a seed repeats its run."""
    corpus = bracket_corpus(5_000, seed=1)
    for seed in (3, 4, 5):
        trained = train_charlm(corpus, tiny_settings(seed=seed))
        losses = [info.loss for info in trained.result.history]
        assert trained.result.status == "finished" and len(losses) == 40
        # the mean loss falls by 0.48-0.69 nats over seeds 0-9 (the same on avx512, avx2 and default kernels)
        assert np.mean(losses[-5:]) < np.mean(losses[:5]) - 0.3, seed
        assert 0 < trained.metrics["validation_bpc"] < math.log2(len(trained.vocab))  # 4.06-4.29 < 5 bits
    again = train_charlm(corpus, tiny_settings(seed=5))
    assert losses == [info.loss for info in again.result.history]


def test_time_budget_ends_training_as_finished() -> None:
    """With `seconds`, training stops at the budget and says so."""
    trained = train_charlm(bracket_corpus(5_000), tiny_settings(steps=100_000, seconds=0.5))
    assert trained.result.status == "finished" and "time budget" in trained.result.message
    assert 0 < trained.result.steps_done < 100_000


def test_checkpoint_round_trip_keeps_model_vocab_and_how_it_was_made(tmp_path: Path) -> None:
    """save_charlm + checkpoints.load: same predictions, vocabulary, command and validation bpc."""
    trained = train_charlm(bracket_corpus(5_000), tiny_settings(kind="gru", steps=5))
    path = save_charlm(tmp_path / "lm.safetensors", trained, command="python -m rnnviz.charlm train --cell gru")
    loaded = checkpoints.load(path, expected_model="charlm")
    vocab = Vocabulary.from_json(loaded.vocab)
    assert vocab.tokens == trained.vocab.tokens
    assert loaded.extra["command"].startswith("python -m rnnviz.charlm train")
    assert loaded.metrics["validation_bpc"] == trained.metrics["validation_bpc"]
    assert loaded.history and loaded.history[-1][0] == 5
    np.testing.assert_allclose(trace_text(loaded.model, vocab, TEXT).probabilities,
                               trace_text(trained.model, trained.vocab, TEXT).probabilities, atol=1e-6)


def test_corpora_refuse_short_or_non_utf8_text(tmp_path: Path) -> None:
    """Too little text or a binary file gives a message saying what to do."""
    with pytest.raises(ValueError, match="at least"):
        text_corpus("too short")
    binary = tmp_path / "data.txt"
    binary.write_bytes(b"\xff\xfe\x00 not utf-8" * 50)
    with pytest.raises(ValueError, match="UTF-8"):
        file_corpus(binary)
    corpus = text_corpus("to be or not to be\r\n" * 30, name="hamlet.txt")
    assert "\r" not in corpus.train and len(corpus.validation) >= 2 and corpus.source["sha256"]


def test_sampling_writes_known_characters_only() -> None:
    """Sampled text never contains <unk>; the same seed gives the same text."""
    model, vocab = make_model("lstm")
    text = sample_text(model, vocab, "f(", 60, seed=4)
    assert len(text) == 60 and set(text) <= set(BRACKET_ALPHABET)
    assert text == sample_text(model, vocab, "f(", 60, seed=4)


def test_cli_trains_evaluates_samples_and_reports_a_corrupt_checkpoint(tmp_path: Path, capsys) -> None:
    """`python -m rnnviz.charlm train/evaluate/sample`, and one clear line for a broken file."""
    out = tmp_path / "cli.safetensors"
    status = cli_main(["train", "--corpus", "brackets", "--chars", "3000", "--cell", "sru", "--hidden", "8",
                       "--embedding", "8", "--seq-length", "20", "--batch", "4", "--steps", "3", "--out", str(out)])
    assert status == 0 and out.exists()
    assert "--cell sru" in checkpoints.read_metadata(out)["extra"]["command"]
    assert cli_main(["evaluate", str(out), "--chars", "3000"]) == 0
    assert "bits per character" in capsys.readouterr().out
    assert cli_main(["sample", str(out), "--length", "20"]) == 0
    broken = tmp_path / "broken.safetensors"
    broken.write_bytes(b"not a checkpoint at all")
    assert cli_main(["sample", str(broken)]) == 1
    assert "broken.safetensors" in capsys.readouterr().err


COMMITTED = sorted((Path(__file__).resolve().parents[2] / "checkpoints").glob("charlm-*.safetensors"))


@pytest.mark.skipif(not COMMITTED, reason="no charlm checkpoints committed in checkpoints/ yet")
@pytest.mark.parametrize("path", COMMITTED, ids=lambda path: path.stem)
def test_committed_checkpoint_says_how_it_was_made_and_traces_like_its_fast_path(path: Path) -> None:
    """Each shipped model records its command and validation bits/char, and its trace equals its fast path."""
    meta = checkpoints.read_metadata(path)
    assert meta["extra"]["command"].startswith("python -m rnnviz.charlm train ")
    assert f"--cell {meta['config']['kind']}" in meta["extra"]["command"]
    loaded = checkpoints.load(path, expected_model="charlm")
    vocab = Vocabulary.from_json(loaded.vocab)
    assert 0.5 < meta["metrics"]["validation_bpc"] < math.log2(len(vocab))
    text = prepare_text("f(a [b \"c\"]) x\nHAMLET:\nTo be, or not to be 🙂")
    trace = trace_text(loaded.model, vocab, text)
    with torch.no_grad():
        logits, _ = loaded.model(torch.tensor([vocab.encode(text)]))
    np.testing.assert_allclose(trace.probabilities, torch.softmax(logits[0], -1).numpy(), atol=1e-5)


@pytest.mark.parametrize("text,problem", [(" " * 500, "spaces or line breaks"), (" \n\t" * 300, "spaces or line breaks"),
                                          ("a" * 500, "one character ('a') repeated")])
def test_a_text_with_nothing_to_predict_is_refused_before_it_trains_to_zero_bits(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        text_corpus(text, name="blank.txt")
    assert text_corpus("ab " * 200, name="ok.txt").train  # two letters and a space: something to learn
