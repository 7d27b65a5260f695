"""The SVC2004 organisers' protocol: for every user, 10 trials of 5 random references from S1–S10 (Yeung et al. 2004).

Each trial enrols 5 of the user's S1–S10, drawn at random, and scores 10 genuine probes (S11–S20), 20 skilled
forgeries (S21–S40) and 20 random forgeries: one genuine signature (S1–S20) of each of 20 other users, drawn once
per user and kept for its 10 trials. A probe's score is its mean user-normalised DTW score against the 5 references
(the spread is the mean cost between those 5, two by two), as in the paper's 4vs1, and its cohort-normalised score
(the cohort: S1 and S2 of the users that are neither the claimed user nor one of its 20 random forgers). The
organisers ran it on 60 hidden users; here it runs on the 40 public ones. No training, so no folds: in the score
table the "fold" column holds the trial number (0..9) and the mode is "5vs1".
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from rnnviz.signatures import protocol
from rnnviz.signatures.data import GENUINE_SAMPLES, Dataset
from rnnviz.signatures.dtw import cohort_normalised, dtw_costs, scaled_costs
from rnnviz.signatures.evaluation import COHORT_SAMPLES, DTW_COHORT, DTW_NORMALISED, SCORE_COLUMNS, Evaluation
from rnnviz.signatures.features import DTW_CHOICE, dataset_time_functions

TRIALS = 10
REFERENCES_PER_TRIAL = 5
RANDOM_FORGERIES = 20
MODE = "5vs1"
SVC2004_BEST_SKILLED = 2.89  # % EER, the best Task 2 team on the 60 hidden users (Yeung et al. 2004)


def random_forgeries(dataset: Dataset, user: int, users: Sequence[int], rng: np.random.Generator) -> list[tuple[int, int]]:
    """One genuine signature of each of up to 20 other users, drawn at random."""
    others = [u for u in users if u != user]
    chosen = rng.choice(len(others), size=min(RANDOM_FORGERIES, len(others)), replace=False)
    result = []
    for index in sorted(chosen):
        samples = [s for s in GENUINE_SAMPLES if (others[index], s) in dataset.signatures]
        result.append((others[index], int(samples[rng.integers(len(samples))])))
    return result


def reference_sets(dataset: Dataset, user: int, rng: np.random.Generator) -> list[tuple[int, ...]]:
    """TRIALS random sets of REFERENCES_PER_TRIAL of the user's S1–S10 (fewer when fewer are there)."""
    present = [s for s in protocol.REFERENCES if (user, s) in dataset.signatures]
    size = min(REFERENCES_PER_TRIAL, len(present))
    return [tuple(sorted(int(s) for s in rng.choice(present, size=size, replace=False))) for _ in range(TRIALS)]


def user_scores(
    functions: dict[tuple[int, int], np.ndarray], dataset: Dataset, user: int, users: Sequence[int], seed: int
) -> list[tuple]:
    """Every score row (SCORE_COLUMNS) of one user's 10 trials, user- and cohort-normalised."""
    rng = np.random.default_rng([seed, user])
    trials = reference_sets(dataset, user, rng)
    probes = [(user, s) for s in (*protocol.GENUINE_PROBES, *protocol.SKILLED_PROBES) if (user, s) in dataset.signatures]
    forgers = random_forgeries(dataset, user, users, rng)
    probes += forgers
    cohort = [(u, s) for u in users if u != user and u not in {f[0] for f in forgers} for s in COHORT_SAMPLES
              if (u, s) in functions]  # fmt: skip
    references = sorted({s for trial in trials for s in trial})
    row_of = {s: i for i, s in enumerate(references)}
    series = [functions[(user, s)] for s in references]
    costs, first, second = dtw_costs(series, [functions[p] for p in probes])  # (R, P)
    table = -costs / (first[:, None] + second[None, :])
    between_costs, _, _ = dtw_costs(series, series)
    between = -between_costs / (first[:, None] + first[None, :])  # (R, R)
    scaled, scaled_between = scaled_costs(costs, first, second), scaled_costs(between_costs, first, first)
    impostor = scaled_costs(*dtw_costs(series, [functions[c] for c in cohort])).mean(axis=1) if cohort else None
    rows = []
    for number, trial in enumerate(trials):
        index = [row_of[s] for s in trial]
        off = ~np.eye(len(index), dtype=bool)
        spread = max(float(-between[np.ix_(index, index)][off].mean()), 1e-9)
        normalised = table[index].mean(axis=0) / spread  # (P,)
        refs = " ".join(map(str, trial))
        for (probe_user, sample), score in zip(probes, normalised):
            label = protocol.label_of(user, probe_user, sample)
            rows.append((DTW_NORMALISED, MODE, number, user, refs, probe_user, sample, label, float(score)))
        if impostor is not None:
            own = float(scaled_between[np.ix_(index, index)][off].mean())
            cohort_scores = cohort_normalised(scaled[index].mean(axis=0)[None, :], own, impostor[index].mean(keepdims=True))[0]
            for (probe_user, sample), score in zip(probes, cohort_scores):
                label = protocol.label_of(user, probe_user, sample)
                rows.append((DTW_COHORT, MODE, number, user, refs, probe_user, sample, label, float(score)))
    return rows


def evaluate_organisers(
    dataset: Dataset, columns: tuple[int, ...] = DTW_CHOICE, seed: int = 0, users: Sequence[int] | None = None
) -> Evaluation:
    """User-normalised DTW scores of every user's 10 organiser trials (rows in SCORE_COLUMNS)."""
    kept, problems = protocol.usable_users(dataset, users)
    if len(kept) < 2:
        raise ValueError(f"{len(kept)} usable user(s); random forgeries need at least 2")
    short = [u for u in kept if sum((u, s) in dataset.signatures for s in protocol.REFERENCES) < REFERENCES_PER_TRIAL]
    problems += [f"user {u}: fewer than {REFERENCES_PER_TRIAL} of S1–S10, its trials enrol fewer" for u in short]
    functions = dataset_time_functions({k: s for k, s in dataset.signatures.items() if k[0] in kept}, columns)
    rows = [row for user in kept for row in user_scores(functions, dataset, user, kept, seed)]
    return Evaluation(pd.DataFrame(rows, columns=list(SCORE_COLUMNS)), tuple(problems))
