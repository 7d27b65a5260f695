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
from rnnviz.signatures.features import ALL, dataset_time_functions
from rnnviz.signatures.learning import DEFAULT_TRAINING, TrainedSiamese, train_siamese
from rnnviz.signatures.pairs import SCENARIOS
from rnnviz.signatures.scoring import TWO_STAGE, siamese_fold_scores, stage_one_threshold, two_stage_scores
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


def dtw_scores_of(dataset: Dataset, fold: protocol.Fold, columns: tuple[int, ...]) -> tuple[pd.DataFrame, float]:
    """User-normalised DTW scores of the fold's test users, and the stage-one cut from its validation users."""
    users = set(fold.test) | set(fold.validation)
    functions = dataset_time_functions({k: s for k, s in dataset.signatures.items() if k[0] in users}, columns)
    test = dtw_fold_scores(functions, dataset, fold)
    validation = dtw_fold_scores(functions, dataset, protocol.Fold(fold.index, (), (), fold.validation))
    genuine = validation[(validation["system"] == DTW_NORMALISED) & (validation["mode"] == "4vs1")
                         & (validation["label"] == "genuine")]["score"].to_numpy()  # fmt: skip
    return test[test["system"] == DTW_NORMALISED], stage_one_threshold(genuine)


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
    dtw, cut = dtw_scores_of(dataset, fold, columns)
    frames, curves = [dtw.assign(scenario="none")], {}
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
                staged = two_stage_scores(dtw, scores, cut, TWO_STAGE.format(system=system))
                frames.append(staged.assign(scenario=scenario))
                if checkpoint_folder is not None:
                    save_model(trained, checkpoint_folder / checkpoint_name(system), eers, columns)
    return pd.concat(frames, ignore_index=True), {"curves": curves, "stage_one_threshold": cut, "fold": fold.index}
