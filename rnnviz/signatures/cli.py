"""Command line for signature verification on SVC2004 Task 2: `python -m rnnviz.signatures evaluate ...`.

    python -m rnnviz.signatures evaluate --out scores.csv [--data DIR | --zip FILE] [--folds 5] [--seed 0]
        [--functions dtw|all|8,9,3] [--without-pressure] [--users 1-10] [--parallel] [--summary FILE]
    python -m rnnviz.signatures organisers --out scores.csv [--functions dtw] [--without-pressure] [--summary FILE]
    python -m rnnviz.signatures restage --summary ui/signatures/siamese_svc2004.json [--checkpoints checkpoints]
    python -m rnnviz.signatures summarise scores.csv --out ui/signatures/dtw_svc2004.json

writes every DTW score with its trial's claimed user, references, probe user and sample, and label (genuine,
skilled, random), so anyone can recompute an EER, and prints the EERs as the paper's Table 4 lays them out.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TextIO

import pandas as pd

from rnnviz.io import checkpoints
from rnnviz.signatures import features, protocol
from rnnviz.signatures.data import Dataset, load_svc2004, read_zip
from rnnviz.signatures.evaluation import eer_table, evaluate_dtw, user_eer_table
from rnnviz.signatures.experiments import BUILDERS, checkpoint_name, restage, run_paper_fold
from rnnviz.signatures.learning import DEFAULT_TRAINING
from rnnviz.signatures.organisers import SVC2004_BEST_SKILLED, evaluate_organisers
from rnnviz.signatures.paper import paper_eer
from rnnviz.signatures.scoring import siamese_fold_scores
from rnnviz.signatures.siamese import SYSTEMS
from rnnviz.signatures.summary import load_summary, save_summary, summarise


def parse_users(text: str | None) -> list[int] | None:
    """ "1-10,15" -> [1, ..., 10, 15]; None for all users."""
    if not text:
        return None
    users: list[int] = []
    for part in text.split(","):
        first, _, last = part.strip().partition("-")
        try:
            users += list(range(int(first), int(last or first) + 1))
        except ValueError:
            raise argparse.ArgumentTypeError(f"--users takes numbers and ranges like 1-10,15, got {text!r}") from None
    return users


def parser() -> argparse.ArgumentParser:
    """The `evaluate` command and its options."""
    top = argparse.ArgumentParser(prog="python -m rnnviz.signatures", description=__doc__.splitlines()[0])
    commands = top.add_subparsers(dest="command", required=True)
    evaluate = commands.add_parser("evaluate", help="score every trial of the protocol with DTW, write a CSV")
    evaluate.add_argument("--out", required=True, help="CSV file for every score")
    source = evaluate.add_mutually_exclusive_group()
    source.add_argument("--data", help="SVC2004 Task 2 folder (default: $RNNVIZ_SIGNATURES or ../shared/...)")
    source.add_argument("--zip", help="a zip of U*S*.TXT files in the SVC2004 format")
    evaluate.add_argument("--folds", type=int, default=5, help="user folds (each user is tested once)")
    evaluate.add_argument("--seed", type=int, default=0, help="seed of the user shuffle into folds")
    evaluate.add_argument("--functions", default="dtw", help="dtw (ẋ ẏ z v θ sin cos, the default), all, or Table 1 numbers")
    evaluate.add_argument("--without-pressure", action="store_true", help="drop z and ż from the chosen functions")
    evaluate.add_argument("--users", type=parse_users, default=None, help="only these users, e.g. 1-10,15")
    evaluate.add_argument("--parallel", action="store_true", help="DTW on every core (OpenMP)")
    evaluate.add_argument("--summary", help="also write the page's summary (EERs, DET, histograms) as JSON")
    evaluate.add_argument("--model", action="append", default=[], help="also score a Siamese checkpoint's held-out users")
    paper = commands.add_parser("paper", help="Tables 2-3 on one fold: train 4 RNNs x 3 scenarios, score, two-stage")
    paper.add_argument("--out", required=True, help="CSV file for every score (with a scenario column)")
    paper_source = paper.add_mutually_exclusive_group()
    paper_source.add_argument("--data", help="SVC2004 Task 2 folder")
    paper_source.add_argument("--zip", help="a zip of U*S*.TXT files")
    paper.add_argument("--fold", type=int, default=0, help="the held-out fold (of 5, seed 0)")
    paper.add_argument("--systems", default="LSTM,GRU,BLSTM,BGRU", help="comma-separated")
    paper.add_argument("--scenarios", default="skilled,random,skilled + random", help="comma-separated")
    paper.add_argument("--steps", type=int, default=DEFAULT_TRAINING.steps, help="training steps per run")
    paper.add_argument("--seconds", type=float, default=None, help="time budget per run")
    paper.add_argument("--seed", type=int, default=0, help="weights and batches")
    paper.add_argument("--without-pressure", action="store_true", help="21 time functions: no z, no ż")
    paper.add_argument("--summary", help="the page's JSON summary of the scores and training curves")
    paper.add_argument("--checkpoints", help="folder for the skilled + random models (signature-*.safetensors)")
    organisers = commands.add_parser("organisers", help="the SVC2004 organisers' protocol: 5 random references, 10 trials")
    organisers.add_argument("--out", required=True, help="CSV file for every score (the fold column holds the trial)")
    organisers_source = organisers.add_mutually_exclusive_group()
    organisers_source.add_argument("--data", help="SVC2004 Task 2 folder")
    organisers_source.add_argument("--zip", help="a zip of U*S*.TXT files")
    organisers.add_argument("--seed", type=int, default=0, help="seed of the reference sets and random forgeries")
    organisers.add_argument("--functions", default="dtw", help="dtw (the default), all, or Table 1 numbers")
    organisers.add_argument("--without-pressure", action="store_true", help="drop z and ż from the chosen functions")
    organisers.add_argument("--summary", help="also write the page's summary as JSON")
    restage_command = commands.add_parser("restage", help="recompute DTW and the two-stage rows of a Siamese summary")
    restage_command.add_argument("--summary", required=True, help="the summary to rewrite (its RNN rows are kept)")
    restage_command.add_argument("--checkpoints", default="checkpoints", help="folder of signature-*.safetensors")
    restage_command.add_argument("--data", help="SVC2004 Task 2 folder")
    restage_command.add_argument("--zip", help="a zip of U*S*.TXT files")
    summarise_command = commands.add_parser("summarise", help="the page's JSON summary of a scores CSV")
    summarise_command.add_argument("scores", help="a CSV written by `evaluate`")
    summarise_command.add_argument("--out", required=True, help="JSON file for the summary")
    return top


def load(arguments: argparse.Namespace) -> Dataset:
    """The data set the options name."""
    if arguments.zip:
        with open(arguments.zip, "rb") as handle:
            return read_zip(handle.read(), arguments.zip)
    return load_svc2004(arguments.data)


def print_table(table, stream: TextIO | None = None) -> None:
    """EER per system and mode beside the paper's (BiosecurID) where it has one (standard output by default)."""
    stream = stream or sys.stdout
    print(f"{'system':36s} {'mode':5s} {'skilled EER':>12s} {'random EER':>11s}   paper (BiosecurID)", file=stream)
    for row in table.itertuples(index=False):
        numbers = [paper_eer(row.mode, row.system, kind) for kind in ("skilled", "random")]
        paper = "   ".join("  –  " if n is None else f"{n:5.2f} %" for n in numbers)
        print(f"{row.system:36s} {row.mode:5s} {row.skilled:10.2f} % {row.random:9.2f} %   {paper}", file=stream)


def dtw_columns(arguments: argparse.Namespace) -> tuple[int, ...]:
    """The time functions `evaluate` scores with: --functions, less pressure if --without-pressure."""
    named = {"dtw": features.DTW_CHOICE, "all": features.ALL}
    columns = named.get(arguments.functions) or features.parse_functions(arguments.functions)
    chosen = features.without_pressure(columns) if arguments.without_pressure else columns
    if not chosen:
        raise ValueError("no time function is left once pressure is dropped: choose some without z and ż")
    return chosen


def about(arguments: argparse.Namespace) -> dict:
    """What a summary was made from, for the page to say."""
    return {
        "data": "SVC2004 Task 2" if not arguments.zip else arguments.zip,
        "folds": arguments.folds,
        "seed": arguments.seed,
        "time_functions": [features.TIME_FUNCTIONS[c].number for c in dtw_columns(arguments)],
        "credit": "Yeung et al., SVC2004: First International Signature Verification Competition, ICBA 2004",
    }


def summarise_file(arguments: argparse.Namespace) -> int:
    """`summarise`: read a scores CSV, write its summary."""
    try:
        scores = pd.read_csv(arguments.scores)
        save_summary(summarise(scores), arguments.out)
    except (OSError, ValueError, pd.errors.ParserError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"summary of {len(scores):,} scores written to {arguments.out}")
    return 0


def paper_command(arguments: argparse.Namespace) -> int:
    """`paper`: Tables 2-3 on one fold, written as CSV (and summary, checkpoints)."""
    try:
        dataset = load(arguments)
        columns = features.WITHOUT_PRESSURE if arguments.without_pressure else features.ALL
        users, _problems = protocol.usable_users(dataset)
        fold = protocol.make_folds(users, 5, 0)[arguments.fold]
        config = DEFAULT_TRAINING.replace(steps=arguments.steps, seconds=arguments.seconds, seed=arguments.seed)
        folder = Path(arguments.checkpoints) if arguments.checkpoints else None
        systems = [s.strip() for s in arguments.systems.split(",")]
        scenarios = [s.strip() for s in arguments.scenarios.split(",")]
        scores, runs = run_paper_fold(dataset, fold, systems, scenarios, config, columns, folder)
    except (OSError, ValueError, IndexError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    scores.to_csv(arguments.out, index=False)
    print(f"{len(scores):,} scores written to {arguments.out}")
    print_table(eer_table(scores))
    if arguments.summary:
        about = {"data": "SVC2004 Task 2", "fold": fold.index, "test_users": list(fold.test),
                 "steps": arguments.steps, "time_functions": len(columns), **runs}  # fmt: skip
        save_summary(summarise(scores, about), arguments.summary)
        print(f"summary written to {arguments.summary}")
    return 0


def organisers_command(arguments: argparse.Namespace) -> int:
    """`organisers`: the SVC2004 protocol's scores as CSV, EERs pooled and per user and trial."""
    try:
        dataset = load(arguments)
        columns = dtw_columns(arguments)
        result = evaluate_organisers(dataset, columns, arguments.seed)
    except (OSError, ValueError, KeyError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for problem in [*dataset.problems, *result.problems]:
        print(f"skipped: {problem}", file=sys.stderr)
    result.scores.to_csv(arguments.out, index=False)
    pooled = eer_table(result.scores).set_index("system")
    each = user_eer_table(result.scores, ["claimed_user", "fold"]).set_index("system")
    print(f"{len(result.scores):,} scores written to {arguments.out}")
    for system in pooled.index:
        print(f"SVC2004 protocol, {system}: one threshold for all: skilled {pooled.loc[system, 'skilled']:.2f} %, random "
              f"{pooled.loc[system, 'random']:.2f} %; a threshold per user and trial, averaged: skilled "
              f"{each.loc[system, 'skilled']:.2f} %, random {each.loc[system, 'random']:.2f} %")  # fmt: skip
    print(f"(SVC2004's best Task 2 team: {SVC2004_BEST_SKILLED} % skilled, on its 60 hidden users)")
    if arguments.summary:
        numbers = [features.TIME_FUNCTIONS[c].number for c in columns]
        per_user = {system: {"skilled": float(row.skilled), "random": float(row.random)} for system, row in each.iterrows()}
        about = {"data": "SVC2004 Task 2", "protocol": "SVC2004 organisers", "seed": arguments.seed,
                 "time_functions": numbers, "per_user_trial": per_user}  # fmt: skip
        save_summary(summarise(result.scores, about), arguments.summary)
        print(f"summary written to {arguments.summary}")
    return 0


def restage_command(arguments: argparse.Namespace) -> int:
    """`restage`: DTW (our choice of functions) and both two-stage systems from the shipped models, into a summary."""
    try:
        dataset = load(arguments)
        folder = Path(arguments.checkpoints)
        shipped = {system: checkpoints.load(folder / checkpoint_name(system), builders=BUILDERS)
                   for system in SYSTEMS if (folder / checkpoint_name(system)).is_file()}  # fmt: skip
        scores, updates = restage(dataset, shipped)
        summary = load_summary(arguments.summary)
    except (OSError, ValueError, KeyError, checkpoints.CheckpointError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    fresh = summarise(scores)["systems"]
    replaced = {entry["system"] for entry in fresh}
    kept = [entry for entry in summary["systems"] if entry["system"] not in replaced]
    dtw_rows = [entry for entry in fresh if not entry["system"].startswith("two-stage")]
    summary["systems"] = dtw_rows + kept + [entry for entry in fresh if entry["system"].startswith("two-stage")]
    summary["about"].update(updates)
    save_summary(summary, arguments.summary)
    print_table(eer_table(scores))
    print(f"fusion weights chosen on the validation users: {updates['fusion_weights']}; {arguments.summary} rewritten")
    return 0


def model_scores(paths: list[str], dataset: Dataset, columns: tuple[int, ...]) -> list[pd.DataFrame]:
    """Scores of each Siamese checkpoint on the users its metadata says it never saw."""
    frames = []
    for path in paths:
        loaded = checkpoints.load(path, builders=BUILDERS)
        extra = loaded.extra
        fold = protocol.Fold(extra["fold"], tuple(extra["train_users"]), tuple(extra["validation_users"]),
                             tuple(extra["held_out_users"]))  # fmt: skip
        name = f"{loaded.config['system']}, trained {extra['scenario']}"
        frames.append(siamese_fold_scores(loaded.model, dataset, fold, name, tuple(extra["time_functions"])))
    return frames


def main(argv: list[str] | None = None) -> int:
    """Run the command; 2 with a message for bad input, never a traceback."""
    arguments = parser().parse_args(argv)
    if arguments.command == "summarise":
        return summarise_file(arguments)
    if arguments.command == "paper":
        return paper_command(arguments)
    if arguments.command == "organisers":
        return organisers_command(arguments)
    if arguments.command == "restage":
        return restage_command(arguments)
    try:
        dataset = load(arguments)
        columns = dtw_columns(arguments)
        started = time.perf_counter()
        result = evaluate_dtw(
            dataset,
            columns,
            arguments.folds,
            arguments.seed,
            arguments.users,
            progress=lambda done, total: print(f"fold {done}/{total} scored", file=sys.stderr),
            parallel=arguments.parallel,
        )
        extra = model_scores(arguments.model, dataset, columns)
    except (OSError, ValueError, KeyError, checkpoints.CheckpointError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for problem in [*dataset.problems, *result.problems]:
        print(f"skipped: {problem}", file=sys.stderr)
    scores = pd.concat([result.scores, *extra], ignore_index=True)
    scores.to_csv(arguments.out, index=False)
    print(f"{len(scores):,} scores in {time.perf_counter() - started:.1f} s written to {arguments.out}")
    print_table(eer_table(scores))
    if arguments.summary:
        save_summary(summarise(scores, about(arguments)), arguments.summary)
        print(f"summary written to {arguments.summary}")
    return 0
