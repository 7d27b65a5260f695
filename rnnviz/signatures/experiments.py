"""The paper's experiments on one fold: four Siamese RNNs in three scenarios (Tables 2-3), DTW, the two-stage system.

`run_paper_fold` trains every system and scenario on the fold's training users (the best step on its
validation users), scores its test users, adds the DTW scores of the same trials and the two-stage system
(DTW cut set on the validation users, then the "skilled + random" RNN), and saves the "skilled + random"
models as checkpoints. It returns every score (SCORE_COLUMNS plus a "scenario" column) and each run's
training curve, for the CLI to write as CSV and as the page's summary.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from rnnviz.io import checkpoints
from rnnviz.signatures import protocol
from rnnviz.signatures.data import Dataset
from rnnviz.signatures.evaluation import DTW_NORMALISED, dtw_fold_scores, eer_table
from rnnviz.signatures.features import ALL, DTW_CHOICE, TIME_FUNCTIONS, dataset_time_functions
from rnnviz.signatures.learning import DEFAULT_TRAINING, TrainedSiamese, train_siamese
from rnnviz.signatures.pairs import SCENARIOS
from rnnviz.signatures.scoring import (
    FUSED,
    TWO_STAGE,
    fuse,
    fusion_weight,
    siamese_fold_scores,
    stage_one_threshold,
    two_stage_scores,
)
from rnnviz.signatures.siamese import SYSTEMS
from rnnviz.training.loop import TrainConfig

BUILDERS = {"siamese": "rnnviz.signatures.siamese:SiameseRNN"}
CREDIT = "trained on SVC2004 Task 2 (Yeung et al., SVC2004: First International Signature Verification Competition, ICBA 2004)"
CURVE_POINTS = 200  # loss points kept per training curve


def system_name(system: str, scenario: str) -> str:
    """ "BLSTM, trained skilled + random"."""
    return f"{system}, trained {scenario}"


def checkpoint_name(system: str) -> str:
    """The shipped file of a "skilled + random" model: signature-blstm.safetensors."""
    return f"signature-{system.lower()}.safetensors"


def curve(trained: TrainedSiamese) -> dict:
    """A training run's loss (thinned), validation EERs and best step, as plain data."""
    history = trained.result.history
    stride = max(1, len(history) // CURVE_POINTS)
    return {
        "steps": [info.step for info in history[::stride]],
        "loss": [round(info.loss, 5) for info in history[::stride]],
        "validation": [{"step": v.step, "skilled": v.skilled, "random": v.random} for v in trained.validations],
        "best_step": trained.best.step if trained.best else None,
        "seconds": round(trained.result.seconds, 1),
        "status": trained.result.status,
    }


def save_model(trained: TrainedSiamese, path: Path, test_eers: dict, columns: tuple[int, ...]) -> None:
    """A "skilled + random" model as a checkpoint, its fold and users in the metadata."""
    fold = trained.fold
    extra = {
        "scenario": trained.scenario,
        "fold": fold.index,
        "train_users": list(fold.train),
        "validation_users": list(fold.validation),
        "held_out_users": list(fold.test),
        "time_functions": list(columns),
        "best_step": trained.best.step if trained.best else None,
        "curve": curve(trained),
        "data": CREDIT,
    }
    history = [{"step": s, "loss": loss} for s, loss in zip(extra["curve"]["steps"], extra["curve"]["loss"])]
    checkpoints.save(path, trained.model, history=history, metrics=test_eers, step=extra["best_step"] or 0,
                     extra=extra, builders=BUILDERS)  # fmt: skip


def _log(message: str) -> None:
    """Progress on standard error."""
    print(message, file=sys.stderr, flush=True)


def system_eers(scores: pd.DataFrame, system: str) -> dict:
    """{'1vs1 skilled': %, ...} of one system's scores."""
    table = eer_table(scores[scores["system"] == system])
    kinds = ("skilled", "random")
    return {f"{row.mode} {kind}": round(float(getattr(row, kind)), 3) for row in table.itertuples() for kind in kinds}


def dtw_columns_for(columns: tuple[int, ...]) -> tuple[int, ...]:
    """The DTW stage's time functions: DTW_CHOICE, less those the RNNs were not given (all of theirs if none is left)."""
    return tuple(c for c in DTW_CHOICE if c in columns) or tuple(columns)


def dtw_scores_of(dataset: Dataset, fold: protocol.Fold, columns: tuple[int, ...]) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    """User-normalised DTW scores of the fold's test and validation users, and the stage-one cut from the latter."""
    users = set(fold.test) | set(fold.validation)
    signatures = {k: s for k, s in dataset.signatures.items() if k[0] in users}
    functions = dataset_time_functions(signatures, dtw_columns_for(columns))
    test = dtw_fold_scores(functions, dataset, fold)
    validation = dtw_fold_scores(functions, dataset, protocol.Fold(fold.index, (), (), fold.validation))
    validation = validation[validation["system"] == DTW_NORMALISED]
    genuine = validation[(validation["mode"] == "4vs1") & (validation["label"] == "genuine")]["score"].to_numpy()
    return test[test["system"] == DTW_NORMALISED], validation, stage_one_threshold(genuine)


def stage_frames(
    dtw: tuple[pd.DataFrame, pd.DataFrame, float], model, dataset: Dataset, fold: protocol.Fold, system: str,
    scores: pd.DataFrame, columns: tuple[int, ...],
) -> tuple[list[pd.DataFrame], float]:  # fmt: skip
    """The two-stage systems of one RNN (DTW then the RNN; DTW then DTW + RNN fused) and the fusion weight."""
    test, validation, cut = dtw
    validation_fold = protocol.Fold(fold.index, (), (), fold.validation)
    rnn_validation = siamese_fold_scores(model, dataset, validation_fold, system, columns)
    weight = fusion_weight(validation, rnn_validation)
    fused = fuse(test, scores, weight, (validation, rnn_validation), "fused")
    staged = two_stage_scores(test, scores, cut, TWO_STAGE.format(system=system))
    return [staged, two_stage_scores(test, fused, cut, FUSED.format(system=system))], weight


def run_paper_fold(
    dataset: Dataset,
    fold: protocol.Fold,
    systems: Sequence[str] = tuple(SYSTEMS),
    scenarios: Sequence[str] = SCENARIOS,
    config: TrainConfig = DEFAULT_TRAINING,
    columns: tuple[int, ...] = ALL,
    checkpoint_folder: Path | None = None,
    log: Callable[[str], None] = _log,
) -> tuple[pd.DataFrame, dict]:
    """Every score of the fold's test users (one "scenario" column added) and each run's curve by system name."""
    dtw = dtw_scores_of(dataset, fold, columns)
    frames, curves, weights = [dtw[0].assign(scenario="none")], {}, {}
    for system in systems:
        for scenario in scenarios:
            started = time.perf_counter()
            trained = train_siamese(dataset, fold, system, scenario, config, columns)
            name = system_name(system, scenario)
            scores = siamese_fold_scores(trained.model, dataset, fold, name, columns)
            frames.append(scores.assign(scenario=scenario))
            curves[name] = curve(trained)
            eers = system_eers(scores, name)
            log(f"{name}: best step {curves[name]['best_step']}, {eers}, {time.perf_counter() - started:.0f} s")
            if scenario == "skilled + random":
                staged, weights[system] = stage_frames(dtw, trained.model, dataset, fold, system, scores, columns)
                frames += [frame.assign(scenario=scenario) for frame in staged]
                if checkpoint_folder is not None:
                    save_model(trained, checkpoint_folder / checkpoint_name(system), eers, columns)
    about = {"curves": curves, "stage_one_threshold": dtw[2], "fold": fold.index, "fusion_weights": weights,
             "dtw_time_functions": [TIME_FUNCTIONS[c].number for c in dtw_columns_for(columns)]}  # fmt: skip
    return pd.concat(frames, ignore_index=True), about


def restage(dataset: Dataset, shipped: dict[str, checkpoints.Checkpoint]) -> tuple[pd.DataFrame, dict]:
    """DTW and the two-stage systems of shipped "skilled + random" models on their held-out fold, without training."""
    frames, weights, dtw = [], {}, None
    for system, loaded in shipped.items():
        extra = loaded.extra
        fold = protocol.Fold(extra["fold"], tuple(extra["train_users"]), tuple(extra["validation_users"]),
                             tuple(extra["held_out_users"]))  # fmt: skip
        columns = tuple(extra["time_functions"])
        dtw = dtw or dtw_scores_of(dataset, fold, columns)
        scores = siamese_fold_scores(loaded.model.eval(), dataset, fold, system_name(system, "skilled + random"), columns)
        staged, weights[system] = stage_frames(dtw, loaded.model, dataset, fold, system, scores, columns)
        frames += staged
    if dtw is None:
        raise ValueError("no shipped model to restage")
    about = {"stage_one_threshold": dtw[2], "fusion_weights": weights,
             "dtw_time_functions": [TIME_FUNCTIONS[c].number for c in dtw_columns_for(columns)]}  # fmt: skip
    return pd.concat([dtw[0], *frames], ignore_index=True), about
