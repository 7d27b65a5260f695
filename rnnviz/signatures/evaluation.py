"""Score every trial of the protocol with DTW, and read EERs off the scores as the paper's Table 4 lays them out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rnnviz.signatures import protocol
from rnnviz.signatures.data import Dataset
from rnnviz.signatures.dtw import cohort_anchors, cohort_normalised, dtw_costs, reference_spread, scaled_costs
from rnnviz.signatures.features import DTW_CHOICE, dataset_time_functions
from rnnviz.signatures.metrics import equal_error_rate

SCORE_COLUMNS = ("system", "mode", "fold", "claimed_user", "references", "probe_user", "probe_sample", "label", "score")
DTW, DTW_NORMALISED, DTW_COHORT = "DTW", "DTW, user-normalised", "DTW, cohort-normalised"
COHORT_SAMPLES = (1, 2)  # the cohort: S1 and S2 of every user outside the fold's test users
# Tolosana et al. (2018), Table 4: DTW on BiosecurID (400 users), EER in %.
PAPER_DTW = {("1vs1", "skilled"): 10.17, ("4vs1", "skilled"): 7.75, ("1vs1", "random"): 0.94, ("4vs1", "random"): 0.50}


@dataclass(frozen=True)
class Evaluation:
    """Every trial's score (one row each, SCORE_COLUMNS) and the problems met on the way."""

    scores: pd.DataFrame
    problems: tuple[str, ...] = ()


def dtw_fold_scores(
    functions: dict[tuple[int, int], np.ndarray],
    dataset: Dataset,
    fold: protocol.Fold,
    parallel: bool = False,
    cohort: Sequence[tuple[int, int]] = (),
) -> pd.DataFrame:
    """1vs1 and 4vs1 DTW scores of one fold's test users: raw, user-normalised, and cohort-normalised if a cohort is given.

    4vs1 averages the four 1vs1 scores (raw, user-normalised) or the four costs and cohort means (cohort-normalised).
    """
    by_mode = {mode: protocol.trials(dataset, fold.test, mode) for mode in protocol.MODES}
    rows = []
    for claimed in fold.test:
        one_to_one = [t for t in by_mode["1vs1"] if t.claimed_user == claimed]
        references = sorted({t.references[0] for t in one_to_one})
        probes = sorted({(t.probe_user, t.probe_sample) for t in one_to_one})
        series = [functions[(claimed, r)] for r in references]
        costs, first, second = dtw_costs(series, [functions[p] for p in probes], parallel)  # (R, P), (R,), (P,)
        table = -costs / (first[:, None] + second[None, :])
        spread = reference_spread(series[: protocol.ENROLMENT])
        scaled, anchors = scaled_costs(costs, first, second), None
        if cohort:
            anchors = cohort_anchors(series, [functions[key] for key in cohort], parallel)
        row_of = {reference: index for index, reference in enumerate(references)}
        column_of = {probe: index for index, probe in enumerate(probes)}
        for mode, trial_list in by_mode.items():
            for trial in (t for t in trial_list if t.claimed_user == claimed):
                column, used = column_of[(trial.probe_user, trial.probe_sample)], [row_of[r] for r in trial.references]
                score = float(table[used, column].mean())
                rows.append(_row(DTW, mode, fold.index, trial, score))
                rows.append(_row(DTW_NORMALISED, mode, fold.index, trial, score / spread))
                if anchors is not None:
                    value = cohort_normalised(scaled[used, column].mean(keepdims=True)[:, None], anchors[0],
                                              anchors[1][used].mean(keepdims=True))  # fmt: skip
                    rows.append(_row(DTW_COHORT, mode, fold.index, trial, float(value[0, 0])))
    return pd.DataFrame(rows, columns=list(SCORE_COLUMNS))


def _row(system: str, mode: str, fold: int, trial: protocol.Trial, score: float) -> tuple:
    """One score row in SCORE_COLUMNS order."""
    return (
        system,
        mode,
        fold,
        trial.claimed_user,
        " ".join(map(str, trial.references)),
        trial.probe_user,
        trial.probe_sample,
        trial.label,
        float(score),
    )


def evaluate_dtw(
    dataset: Dataset,
    columns: tuple[int, ...] = DTW_CHOICE,
    folds: int = 5,
    seed: int = 0,
    users: Sequence[int] | None = None,
    progress: Callable[[int, int], None] | None = None,
    parallel: bool = False,
) -> Evaluation:
    """DTW scores of every test user of every fold: the whole protocol, for the CLI and the bench."""
    kept, problems = protocol.usable_users(dataset, users)
    if len(kept) < 3:
        raise ValueError(f"{len(kept)} usable user(s); the protocol needs at least 3 (train, validation, test)")
    fold_list = protocol.make_folds(kept, folds=min(folds, len(kept)), seed=seed)
    functions = dataset_time_functions({k: s for k, s in dataset.signatures.items() if k[0] in kept}, columns)
    frames = []
    for number, fold in enumerate(fold_list):
        cohort = [(u, s) for u in kept if u not in fold.test for s in COHORT_SAMPLES if (u, s) in functions]
        frames.append(dtw_fold_scores(functions, dataset, fold, parallel, cohort))
        if progress:
            progress(number + 1, len(fold_list))
    return Evaluation(pd.concat(frames, ignore_index=True), tuple(problems))


def _group_eers(group: pd.DataFrame) -> dict:
    """Skilled and random EER in % of one group of scores (one threshold for all its trials), with trial counts."""
    genuine = group.loc[group["label"] == "genuine", "score"].to_numpy()
    row = {}
    for kind in ("skilled", "random"):
        impostor = group.loc[group["label"] == kind, "score"].to_numpy()
        row[kind] = 100 * equal_error_rate(genuine, impostor).rate if len(genuine) and len(impostor) else np.nan
        row[f"{kind} trials"] = len(impostor)
    row["genuine trials"] = len(genuine)
    return row


def _check(scores: pd.DataFrame) -> None:
    """ValueError naming the SCORE_COLUMNS a score table lacks."""
    missing = set(SCORE_COLUMNS) - set(scores.columns)
    if missing:
        raise ValueError(f"scores lack the column(s) {', '.join(sorted(missing))}")


def eer_table(scores: pd.DataFrame, by: Sequence[str] = ()) -> pd.DataFrame:
    """EER in % per system and mode (and per `by` columns, e.g. "fold"): one global threshold per group."""
    _check(scores)
    keys = ["system", "mode", *by]
    rows = [dict(zip(keys, values)) | _group_eers(group) for values, group in scores.groupby(keys, sort=False)]
    return pd.DataFrame(rows)


def user_eer_table(scores: pd.DataFrame, by: Sequence[str] = ("claimed_user",)) -> pd.DataFrame:
    """Mean over `by` groups (users, or users and trials) of each group's own EER in %: a threshold per user."""
    _check(scores)
    each = eer_table(scores, by)
    return each.groupby(["system", "mode"], sort=False)[["skilled", "random"]].mean().reset_index()


def score_sets(scores: pd.DataFrame, system: str, mode: str, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Genuine and `kind` ("skilled" or "random") impostor scores of one system and mode."""
    group = scores[(scores["system"] == system) & (scores["mode"] == mode)]
    return (group.loc[group["label"] == "genuine", "score"].to_numpy(), group.loc[group["label"] == kind, "score"].to_numpy())
