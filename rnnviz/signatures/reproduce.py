"""A Siamese training run of the Signature page written out as a script that redoes it, and the run's weights as bytes.

The script calls what the page's trainer calls (`protocol.usable_users`, `protocol.make_folds`,
`learning.train_siamese` with the run's TrainConfig, then `scoring.siamese_fold_scores`), so the same data,
settings and seed print the same losses, step by step.
"""

from __future__ import annotations

import dataclasses
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rnnviz.io.scripts import keyword_arguments, literal, reproduction_script
from rnnviz.signatures.experiments import save_model
from rnnviz.signatures.learning import TrainedSiamese
from rnnviz.training.loop import TrainConfig

IMPORTS = (
    "import sys",
    "",
    "from rnnviz.signatures import protocol",
    "from rnnviz.signatures.data import load_svc2004, read_directory, read_zip",
    "from rnnviz.signatures.evaluation import eer_table",
    "from rnnviz.signatures.experiments import save_model, system_eers",
    "from rnnviz.signatures.learning import train_siamese",
    "from rnnviz.signatures.scoring import siamese_fold_scores",
    "from rnnviz.training.loop import TrainConfig",
)
BODY = '''
SYSTEM = {system}
SCENARIO = {scenario}
FOLD = {fold}  # of 5 folds of the usable users (fold seed 0), as on the page
TIME_FUNCTIONS = {columns}
DATA = {data}  # None: SVC2004 Task 2 where rnnviz finds it ($RNNVIZ_SIGNATURES); else a folder or a .zip
CONFIG = TrainConfig(
{config}
)


class PrintLoss:
    """Prints every step's loss (exactly, so two runs can be compared)."""

    def on_step_end(self, info):
        print(f"step {{info.step}} loss {{info.loss!r}}", flush=True)


def load(data):
    """The signatures: SVC2004 by default, or a folder, or a zip of U*S*.TXT files."""
    if data is None:
        return load_svc2004()
    return read_zip(data, data) if str(data).lower().endswith(".zip") else read_directory(data)


def main(argv):
    data = argv[0] if argv else DATA
    dataset = load(data)
    users, _problems = protocol.usable_users(dataset)
    fold = protocol.make_folds(users, 5, 0)[FOLD]
    name = f"{{SYSTEM}}, trained {{SCENARIO}}"
    trained = train_siamese(dataset, fold, SYSTEM, SCENARIO, CONFIG, TIME_FUNCTIONS, callbacks=[PrintLoss()])
    print(f"best validation step {{trained.best.step if trained.best else None}}")
    scores = siamese_fold_scores(trained.model, dataset, fold, name, TIME_FUNCTIONS)
    print(eer_table(scores)[["mode", "skilled", "random"]].to_string(index=False))
    save_model(trained, {file_name}, system_eers(scores, name), TIME_FUNCTIONS)
    print("weights written to", {file_name})


if __name__ == "__main__":
    main(sys.argv[1:])
'''


@dataclass(frozen=True)
class SiameseRun:
    """What the page's trainer was given: system, scenario, fold, time functions, training knobs, data."""

    system: str
    scenario: str
    fold: int
    columns: tuple[int, ...]
    config: TrainConfig
    data: str | None = None  # None: SVC2004 on the server; else the uploaded zip's or the folder's name


def script(run: SiameseRun) -> str:
    """A plain-Python script that trains this run again from scratch and prints each step's loss."""
    stem = f"signature-{run.system.lower()}-fold{run.fold}"
    config = {field.name: getattr(run.config, field.name) for field in dataclasses.fields(run.config)}
    body = BODY.format(system=literal(run.system), scenario=literal(run.scenario), fold=literal(run.fold),
                       columns=literal(tuple(run.columns)), data=literal(run.data),
                       config=keyword_arguments(config), file_name=literal(f"{stem}.safetensors"))  # fmt: skip
    return reproduction_script(summary=f"Train a Siamese {run.system} ({run.scenario}) on fold {run.fold}, as the page did.",
                               page="Signature verification", file_name=f"{stem}.py", imports=IMPORTS, body=body)  # fmt: skip


def checkpoint_bytes(trained: TrainedSiamese, test_eers: dict, columns: tuple[int, ...]) -> bytes:
    """The trained model as a .safetensors checkpoint (its fold, users and curve in the metadata), in memory."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.safetensors"
        save_model(trained, path, test_eers, columns)
        return path.read_bytes()
