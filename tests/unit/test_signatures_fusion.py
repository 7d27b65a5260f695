"""DTW + RNN score fusion for the two-stage system: standardised on validation scores, the weight chosen there."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rnnviz.signatures.evaluation import SCORE_COLUMNS
from rnnviz.signatures.scoring import FUSION_WEIGHTS, fuse, fusion_weight


def scores(system: str, values: dict[str, np.ndarray]) -> pd.DataFrame:
    """4vs1 score rows of one claimed user: values by label, probes numbered in turn."""
    rows = []
    for label, numbers in values.items():
        for index, value in enumerate(numbers):
            probe = (1, 11 + index) if label == "genuine" else (1, 21 + index) if label == "skilled" else (2, 11 + index)
            rows.append((system, "4vs1", 0, 1, "1 2 3 4", *probe, label, float(value)))
    return pd.DataFrame(rows, columns=list(SCORE_COLUMNS))


def pair(rnn_informative: bool, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """DTW that half-separates genuine from skilled, and an RNN that separates them well or the wrong way round."""
    rng = np.random.default_rng(seed)
    genuine, skilled = rng.normal(1.0, 1.0, 10), rng.normal(0.0, 1.0, 20)
    dtw = scores("DTW", {"genuine": genuine, "skilled": skilled})
    rnn_values = (
        {"genuine": rng.normal(3.0, 0.3, 10), "skilled": rng.normal(0.0, 0.3, 20)}
        if rnn_informative
        else {"genuine": rng.normal(-3.0, 0.3, 10), "skilled": rng.normal(0.0, 0.3, 20)}
    )
    return dtw, scores("RNN", rnn_values)


def test_weight_zero_gives_the_standardised_dtw_order_and_a_weight_mixes_in_the_rnn() -> None:
    dtw, rnn = pair(True)
    alone = fuse(dtw, rnn, 0.0, (dtw, rnn), "fused")
    assert list(alone.columns) == list(SCORE_COLUMNS) and set(alone["system"]) == {"fused"}
    assert np.corrcoef(alone["score"], dtw["score"])[0, 1] == pytest.approx(1.0)
    mixed = fuse(dtw, rnn, 1.0, (dtw, rnn), "fused")
    expected = (dtw["score"] - dtw["score"].mean()) / dtw["score"].std() + (rnn["score"] - rnn["score"].mean()) / rnn[
        "score"
    ].std()
    assert np.allclose(mixed["score"].to_numpy(), expected.to_numpy())


def test_the_weight_is_zero_for_a_misleading_rnn_and_positive_for_a_good_one() -> None:
    assert fusion_weight(*pair(False)) == FUSION_WEIGHTS[0] == 0.0
    assert fusion_weight(*pair(True)) > 0


def test_trials_that_do_not_match_are_refused() -> None:
    dtw, rnn = pair(True)
    with pytest.raises(ValueError, match="same trials"):
        fuse(dtw.iloc[:5], rnn, 1.0, (dtw, rnn), "fused")
