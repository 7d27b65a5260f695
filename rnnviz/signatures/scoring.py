"""Score every trial of a fold's test users with a trained Siamese RNN, in the rows the DTW evaluation writes.

1vs1: each probe against each reference S1–S10 (the score is the model's logit, higher = more alike);
4vs1: the mean of the probe's 1vs1 scores against S1–S4, as the DTW baseline averages its four scores.
The two-stage system (the lecture's slide) rejects first what DTW finds unlike the references (below the
threshold where DTW falsely rejects `stage_one_frr` of the validation users' genuine trials), then lets the
RNN decide the rest, or a fusion of the two: standardised DTW plus a weight times the standardised RNN
score, the weight chosen on the validation users (0 when the RNN does not help there).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rnnviz.signatures import protocol
from rnnviz.signatures.data import Dataset
from rnnviz.signatures.evaluation import SCORE_COLUMNS, eer_table
from rnnviz.signatures.learning import pair_logits
from rnnviz.signatures.pairs import prepare
from rnnviz.signatures.siamese import SiameseRNN

TWO_STAGE = "two-stage (DTW, then {system})"
REJECTED = -1e6  # below any logit: a trial stage one rejected stays rejected at every threshold


def siamese_fold_scores(
    model: SiameseRNN, dataset: Dataset, fold: protocol.Fold, system: str, columns: tuple[int, ...]
) -> pd.DataFrame:
    """1vs1 and 4vs1 scores of every trial of the fold's test users (rows in SCORE_COLUMNS)."""
    data = prepare(dataset, fold.test, columns, model.length, model.duration_input)
    one = protocol.trials(dataset, fold.test, "1vs1")
    pairs = [((t.claimed_user, t.references[0]), (t.probe_user, t.probe_sample)) for t in one]
    logits = pair_logits(model, data, pairs)
    by_pair = {(pair[0], pair[1]): float(value) for pair, value in zip(pairs, logits)}
    rows = [_row(system, "1vs1", fold.index, t, by_pair[pair]) for t, pair in zip(one, pairs)]
    for trial in protocol.trials(dataset, fold.test, "4vs1"):
        probe = (trial.probe_user, trial.probe_sample)
        score = np.mean([by_pair[((trial.claimed_user, r), probe)] for r in trial.references])
        rows.append(_row(system, "4vs1", fold.index, trial, score))
    return pd.DataFrame(rows, columns=list(SCORE_COLUMNS))


def _row(system: str, mode: str, fold: int, trial: protocol.Trial, score: float) -> tuple:
    """One score row in SCORE_COLUMNS order."""
    return (system, mode, fold, trial.claimed_user, " ".join(map(str, trial.references)), trial.probe_user,
            trial.probe_sample, trial.label, float(score))  # fmt: skip


def stage_one_threshold(genuine_scores: np.ndarray, stage_one_frr: float = 0.01) -> float:
    """The DTW score below which only `stage_one_frr` of genuine trials fall (the first stage's cut)."""
    scores = np.asarray(genuine_scores, dtype=np.float64)
    if scores.size == 0:
        raise ValueError("stage one needs genuine DTW scores of validation users to set its threshold")
    return float(np.quantile(scores, stage_one_frr))


def two_stage_scores(dtw_scores: pd.DataFrame, rnn_scores: pd.DataFrame, threshold: float, name: str) -> pd.DataFrame:
    """RNN scores where DTW (same trials) reaches `threshold`, REJECTED elsewhere; rows in SCORE_COLUMNS."""
    keys = ["mode", "fold", "claimed_user", "references", "probe_user", "probe_sample", "label"]
    merged = rnn_scores.merge(dtw_scores[[*keys, "score"]], on=keys, suffixes=("", "_dtw"), validate="one_to_one")
    if len(merged) != len(rnn_scores):
        raise ValueError("the DTW and RNN scores do not cover the same trials")
    merged["score"] = np.where(merged["score_dtw"] >= threshold, merged["score"], REJECTED)
    merged["system"] = name
    return merged[list(SCORE_COLUMNS)]


FUSED = "two-stage (DTW, then DTW + {system})"
FUSION_WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0)
_KEYS = ["mode", "fold", "claimed_user", "references", "probe_user", "probe_sample", "label"]


def _location(scores: pd.DataFrame) -> tuple[float, float]:
    """Mean and spread (at least 1e-12) of a score table's scores."""
    return float(scores["score"].mean()), max(float(scores["score"].std()), 1e-12)


def fuse(
    dtw: pd.DataFrame, rnn: pd.DataFrame, weight: float, validation: tuple[pd.DataFrame, pd.DataFrame], name: str
) -> pd.DataFrame:
    """DTW plus `weight` times the RNN score of the same trials, each standardised on `validation` (DTW, RNN) scores."""
    merged = rnn.merge(dtw[[*_KEYS, "score"]], on=_KEYS, suffixes=("_rnn", "_dtw"), validate="one_to_one")
    if len(merged) != len(rnn):
        raise ValueError("the DTW and RNN scores do not cover the same trials")
    (dtw_mean, dtw_spread), (rnn_mean, rnn_spread) = _location(validation[0]), _location(validation[1])
    merged["score"] = (merged["score_dtw"] - dtw_mean) / dtw_spread + weight * (merged["score_rnn"] - rnn_mean) / rnn_spread
    merged["system"] = name
    return merged[list(SCORE_COLUMNS)]


def fusion_weight(dtw_validation: pd.DataFrame, rnn_validation: pd.DataFrame) -> float:
    """The RNN weight in FUSION_WEIGHTS with the lowest 4vs1 skilled EER on the validation users (ties: the smaller)."""
    pair = (dtw_validation, rnn_validation)
    errors = []
    for weight in FUSION_WEIGHTS:
        fused = fuse(dtw_validation, rnn_validation, weight, pair, "fused")
        table = eer_table(fused[fused["mode"] == "4vs1"])
        errors.append((float(table["skilled"].iloc[0]), weight))
    return min(errors)[1]
