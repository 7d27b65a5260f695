"""The translators in checkpoints/: they translate, and their attention points at words.

A model can score well while its attention rests on </s> (the bidirectional encoder's summary
sits there); its heatmap then teaches nothing. Label smoothing does that to these models, so the
shipped ones are trained without it, and this test keeps it that way.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rnnviz.seq2seq.translator import Translator

CHECKPOINTS = Path(__file__).resolve().parents[2] / "checkpoints"
SENTENCES = {
    "fra": ["je suis froid .", "elle est plus grande que moi .", "il est tres intelligent .",
            "nous sommes en retard .", "tu es mon meilleur ami .", "ils sont tous morts .",
            "je suis content de te voir .", "elle a peur des chiens ."],
    "eng": ["i am cold .", "she is taller than me .", "he is very smart .", "we are late .",
            "you are my best friend .", "they are all dead .", "i am glad to see you .", "she is afraid of dogs ."],
}


@pytest.mark.parametrize("name", ["translate-fra-eng", "translate-eng-fra"])
def test_shipped_translator_attends_to_words_not_to_the_end_marker(name):
    translator = Translator.load(CHECKPOINTS / f"{name}.safetensors")
    on_end, peaks = [], []
    for sentence in SENTENCES[translator.source_language]:
        result = translator.translate(sentence)
        assert result.text.strip(), sentence
        rows = result.attention[:-1]  # (output words, source tokens + </s>); the row that writes </s> aside
        np.testing.assert_allclose(rows.sum(axis=1), 1.0, atol=1e-4)
        on_end.append(rows[:, -1].mean())
        peaks.append(rows[:, :-1].max(axis=1).mean())
    assert np.mean(on_end) < 0.4, f"attention rests on </s>: {np.mean(on_end):.2f} of the weight"
    assert np.mean(peaks) > 0.35, f"attention is spread thin: the strongest word gets {np.mean(peaks):.2f}"


def test_end_marker_share_reads_the_last_column_without_the_last_row():
    from rnnviz.seq2seq.attention import end_marker_share

    attention = np.array([[0.1, 0.1, 0.8], [0.6, 0.2, 0.2], [0.0, 0.0, 1.0]])  # the last row writes </s>
    assert end_marker_share(attention) == pytest.approx(0.5)
    assert end_marker_share(attention[:1]) == pytest.approx(0.8)
    with pytest.raises(ValueError, match="output steps, source tokens"):
        end_marker_share(np.zeros(3))
