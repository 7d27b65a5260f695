"""The Signature page's Siamese models: the committed results summary, the shipped checkpoints, live-training jobs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st
import torch

from rnnviz.io import checkpoints
from rnnviz.signatures import features, protocol
from rnnviz.signatures.data import Dataset
from rnnviz.signatures.experiments import BUILDERS, system_name
from rnnviz.signatures.learning import Validation, train_siamese
from rnnviz.signatures.reproduce import SiameseRun
from rnnviz.signatures.scoring import siamese_fold_scores
from rnnviz.signatures.siamese import SYSTEMS, SiameseRNN
from rnnviz.signatures.summary import load_summary
from rnnviz.training.jobs import Job

HERE = Path(__file__).resolve().parent
SIAMESE_SUMMARY = HERE / "siamese_svc2004.json"
JOB_KEY = "signatures:siamese"


@st.cache_data(show_spinner=False)
def _summary(path: str, modified: float) -> dict | None:
    """A committed summary of the Siamese runs (None if broken)."""
    try:
        return load_summary(path)
    except ValueError:
        return None


def siamese_summary() -> dict | None:
    """The Tables 2-3 summary (ui/signatures/siamese_svc2004.json), or None when it is not there."""
    return _summary(str(SIAMESE_SUMMARY), SIAMESE_SUMMARY.stat().st_mtime) if SIAMESE_SUMMARY.is_file() else None


@st.cache_resource(show_spinner="Opening the shipped signature models …")
def shipped_models(directory: str) -> tuple[dict[str, checkpoints.Checkpoint], list[str]]:
    """The signature-*.safetensors checkpoints by system (read-only, shared), and a sentence per broken file."""
    found, problems = {}, []
    for system in SYSTEMS:
        path = Path(directory) / f"signature-{system.lower()}.safetensors"
        if not path.is_file():
            continue
        try:
            found[system] = checkpoints.load(path, expected_model="siamese", builders=BUILDERS)
        except (checkpoints.CheckpointError, ValueError, KeyError) as error:
            problems.append(f"{path.name}: {error}")
    return found, problems


def models() -> tuple[dict[str, checkpoints.Checkpoint], list[str]]:
    """The shipped models of this server's checkpoint folder."""
    return shipped_models(str(checkpoints.checkpoint_directory()))


def rnn_4vs1(checkpoint: checkpoints.Checkpoint, dataset: Dataset, claimed: int, probe: tuple[int, int]) -> float:
    """The mean logit of a probe against the claimed user's first four references, with the model's time functions."""
    model: SiameseRNN = checkpoint.model
    columns = tuple(checkpoint.extra.get("time_functions", features.ALL))
    references = [s for s in protocol.REFERENCES if (claimed, s) in dataset.signatures][: protocol.ENROLMENT]
    if not references:
        raise ValueError(f"user {claimed} has none of the references S1–S10")

    def prepared(key: tuple[int, int]) -> torch.Tensor:
        return model.inputs(features.time_functions(dataset.get(*key).points, columns))

    first = torch.stack([prepared((claimed, r)) for r in references])  # (R, L, F)
    second = prepared(probe).expand(len(references), -1, -1)  # (R, L, F)
    with torch.no_grad():
        return float(np.mean(model(first, second).numpy()))


def job_target(dataset: Dataset, fold: protocol.Fold, run: SiameseRun):
    """What a live-training job runs: train (streaming loss and validation), then score the fold's test users.

    The run's settings stay in `job.extras["run"]`, for its reproduction script.
    """
    system, scenario, config, columns = run.system, run.scenario, run.config, run.columns

    def target(job: Job):
        job.extras.update(validations=[], best_step=None, name=system_name(system, scenario), run=run)

        def heard(record: Validation, best: Validation) -> None:
            job.extras["validations"].append({"step": record.step, "skilled": record.skilled, "random": record.random})
            job.extras["best_step"] = best.step

        trained = train_siamese(dataset, fold, system, scenario, config, columns, callbacks=[job], stop=job.stop_event,
                                on_validation=heard)  # fmt: skip
        job.extras["scoring"] = True
        if trained.result.steps_done:
            job.extras["scores"] = siamese_fold_scores(trained.model, dataset, fold, job.extras["name"], columns)
        job.extras["trained"] = trained
        return trained.result

    return target
