"""The Compare cells table in a link: rows -> text -> rows, and hostile texts refused with a message."""

from __future__ import annotations

import pytest

from rnnviz.compare.rows import rows_from_text, rows_text

ROWS = [
    {"cell": "LSTM", "layers": 1, "bidirectional": False, "hidden size": 32},
    {"cell": "RNN (ReLU)", "layers": 2, "bidirectional": True, "hidden size": 64},
    {"cell": "SRU", "layers": 3, "bidirectional": False, "hidden size": 7},
]


def test_the_table_goes_to_text_and_back() -> None:
    text = rows_text(ROWS)
    assert text == "lstm.1.32,rnn-relu.2bi.64,sru.3.7"
    assert rows_from_text(text) == ROWS


@pytest.mark.parametrize(
    "text",
    ["", "lstm", "lstm.1", "cnn.1.32", "lstm.0.32", "lstm.1.0", "lstm.1.999999", "lstm.x.32", "<script>.1.2",
     ",".join(["gru.1.8"] * 9), "gru.1.8," * 100, "lstm.1e999.32", "lstm.1.32.4"],
)  # fmt: skip
def test_a_hostile_text_is_refused_with_a_message(text: str) -> None:
    with pytest.raises(ValueError):
        rows_from_text(text)
