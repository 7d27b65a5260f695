"""Hidden states too: states equal the model's outputs, depth and quote labels, hover context, bad input, maps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from rnnviz.charlm.model import CharLM, char_vocabulary, encode
from rnnviz.core.randomness import make_generator
from rnnviz.data.text import Vocabulary
from rnnviz.embeddings.hidden import (
    DEFAULT_TEXT,
    MAX_CHARS,
    char_class,
    char_context,
    depth_labels,
    hidden_states,
    prepare_typed,
    quote_labels,
    state_map,
    structure_agreement,
)
from rnnviz.embeddings.projection import EmbeddingError
from rnnviz.io import checkpoints

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "checkpoints" / "charlm-brackets-lstm.safetensors"


def tiny_model(kind: str = "lstm", layers: int = 1) -> tuple[CharLM, Vocabulary]:
    """A random character model over the default text's characters."""
    vocab = char_vocabulary(DEFAULT_TEXT)
    model = CharLM(kind, len(vocab), hidden_size=12, num_layers=layers, embedding_size=6, generator=make_generator(3))
    return model.eval(), vocab


@pytest.mark.parametrize(("kind", "layers"), [("lstm", 1), ("gru", 2), ("rnn", 1)])
def test_hidden_states_equal_the_models_own_outputs(kind: str, layers: int) -> None:
    model, vocab = tiny_model(kind, layers)
    text = 'f(a [b] "c")\nx'
    result = hidden_states(model, vocab, text)
    with torch.inference_mode():
        _, output = model(encode(vocab, text)[0])
    np.testing.assert_allclose(result.vectors, output.output[0].numpy(), rtol=1e-4, atol=1e-5)
    assert result.vectors.shape == (len(text), 12) and len(result.contexts) == len(text)


@pytest.mark.skipif(not SHIPPED.exists(), reason="the shipped bracket LSTM is not in checkpoints/")
def test_a_shipped_lstm_gives_hidden_and_cell_states_that_differ() -> None:
    loaded = checkpoints.load(SHIPPED, expected_model="charlm")
    vocab = Vocabulary.from_json(loaded.vocab)
    hidden = hidden_states(loaded.model, vocab, DEFAULT_TEXT)
    cell = hidden_states(loaded.model, vocab, DEFAULT_TEXT, state="cell")
    assert hidden.vectors.shape == cell.vectors.shape == (len(DEFAULT_TEXT), loaded.config["hidden_size"])
    assert not np.allclose(hidden.vectors, cell.vectors)
    assert np.abs(hidden.vectors).max() <= 1.0  # h = o * tanh(c)


def test_depth_and_quote_labels_on_a_hand_case() -> None:
    model, vocab = tiny_model()
    text = 'f(a "b)" [c])\nz'
    result = hidden_states(model, vocab, text)
    #        f  (  a  ·  "  b  )  "  ·  [  c  ]  )  ⏎  z
    depth = [0, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0]  # brackets count inside quotes too (analyze_brackets)
    quote = [0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]
    assert result.labels["depth"] == [f"depth {d}" for d in depth]
    assert result.labels["quote"] == ["inside a quote" if q else "outside quotes" for q in quote]
    assert result.labels["char"][1] == "opening bracket" and result.labels["char"][6] == "closing bracket"
    assert result.labels["char"][4] == "quote mark" and result.labels["char"][13] == "space or line end"
    assert depth_labels([0, 3, 4, 9]) == ["depth 0", "depth 3", "depth 4+", "depth 4+"]
    assert quote_labels([True, False]) == ["inside a quote", "outside quotes"]
    assert char_class("7") == "digit" and char_class("!") == "other sign"


def test_the_hover_text_shows_the_character_in_its_context() -> None:
    text = "abc\ndef ghijklmnopqrstuvwxyz"
    assert char_context(text, 0, width=3) == "⟦a⟧bc⏎…"
    assert char_context(text, 4, width=3) == "…bc⏎⟦d⟧ef …"
    assert char_context(text, 7, width=3) == "…def⟦␣⟧ghi…"
    assert char_context("xy", 1, width=3) == "x⟦y⟧"


def test_hostile_text_gets_a_message_a_cap_or_an_unknown_note() -> None:
    model, vocab = tiny_model()
    for empty in ("", "   \n ", None):
        with pytest.raises(EmbeddingError, match="the text is empty"):
            hidden_states(model, vocab, empty)
    with pytest.raises(EmbeddingError, match="at least 3 characters"):
        hidden_states(model, vocab, "ab")
    long = hidden_states(model, vocab, "(a) " * 1250)
    assert len(long.vectors) == MAX_CHARS and "5,000 characters" in long.notes[0]
    emoji = hidden_states(model, vocab, 'say "😀" (🙂)')
    assert emoji.states.unknown.sum() == 2 and "read as <unk>" in emoji.notes[-1] and "😀" in emoji.notes[-1]
    assert prepare_typed("a\r\nb c").text == "a\nb c"
    with pytest.raises(EmbeddingError, match="layer"):
        hidden_states(model, vocab, "abc", layer=3)
    with pytest.raises(EmbeddingError, match="choose one of"):
        hidden_states(*tiny_model("gru"), "abcd", state="cell")


def test_agreement_is_high_for_a_planted_grouping_and_near_chance_for_shuffled_labels() -> None:
    rng = np.random.default_rng(0)
    groups = np.arange(300) % 3
    vectors = np.eye(3)[groups] * 5 + rng.normal(size=(300, 3))
    shuffled = rng.permutation(groups)
    scores = structure_agreement(vectors, {"planted": [str(g) for g in groups], "shuffled": [str(g) for g in shuffled]})
    planted, chance = scores["planted"]
    assert planted > 0.9 and chance == pytest.approx(99 / 299)
    assert abs(scores["shuffled"][0] - scores["shuffled"][1]) < 0.06


def test_small_maps_fall_back_to_pca_and_lower_the_perplexity() -> None:
    rng = np.random.default_rng(1)
    three, notes = state_map(rng.normal(size=(3, 4)), "tsne")
    assert three.method == "pca" and three.coordinates.shape == (3, 2) and "uses PCA" in notes[0]
    small, notes = state_map(rng.normal(size=(20, 4)), "tsne")
    assert small.method == "tsne" and small.settings["perplexity"] == 6 and "lowered to 6" in notes[0]
    full, notes = state_map(rng.normal(size=(120, 4)), "tsne")
    assert full.settings["perplexity"] == 30 and not notes
