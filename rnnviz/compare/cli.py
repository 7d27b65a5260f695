"""Command line of Compare cells.

    python -m rnnviz.compare homework --data ../shared/data/eng-fra.txt --seconds 30 --clock cpu --seeds 3 --out FILE
        [--steps N] [--cells gru lstm sru] [--layers 1 2 3] [--directions one-way bi] [--threads 1] [--first-seed K]
    python -m rnnviz.compare merge PART.json PART.json ... --out FILE   # rows run in several processes, one file

The results file is rewritten after every run, so a grid that is stopped keeps the runs it finished.

Errors print one line on stderr and exit with status 2: never a traceback.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from collections.abc import Sequence

from rnnviz.compare.homework import CELLS, CLOCKS, LAYERS

MAX_SECONDS = 3600.0


def _parser() -> argparse.ArgumentParser:
    """The sub-commands and their options."""
    parser = argparse.ArgumentParser(prog="python -m rnnviz.compare", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    homework = commands.add_parser("homework", help="the homework's grid on the tutorial's fra->eng pairs")
    homework.add_argument("--data", default="../shared/data/eng-fra.txt", help="the tutorial's eng-fra.txt")
    homework.add_argument("--seconds", type=float, default=60.0, help="training seconds per run (validations included)")
    homework.add_argument(
        "--steps",
        type=int,
        default=None,
        help="the same training steps each instead of --seconds (fair on a shared, loaded machine)",
    )
    homework.add_argument("--seeds", type=int, default=3)
    homework.add_argument("--first-seed", type=int, default=0, help="seeds first-seed .. first-seed + seeds - 1")
    homework.add_argument("--out", required=True, help="results file to write (.json)")
    homework.add_argument("--cells", nargs="+", default=list(CELLS), choices=CELLS)
    homework.add_argument("--layers", nargs="+", type=int, default=list(LAYERS), choices=(1, 2, 3, 4))
    homework.add_argument("--directions", nargs="+", default=["one-way", "bi"], choices=("one-way", "bi"))
    homework.add_argument("--threads", type=int, default=1, help="torch threads (1: as the app's server trains)")
    homework.add_argument(
        "--clock",
        default="wall",
        choices=CLOCKS,
        help="what --seconds counts: wall time, or this process's CPU time (fair on a shared machine; use --threads 1)",
    )
    merge = commands.add_parser("merge", help="one results file from grids run in several processes")
    merge.add_argument("parts", nargs="+", help="results files of `homework` at the same budget, clock and seeds")
    merge.add_argument("--out", required=True, help="results file to write (.json)")
    return parser


def _say(message: str) -> None:
    """Progress on stderr."""
    print(message, file=sys.stderr, flush=True)


def homework(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """Run the grid and write its results file."""
    import torch

    from rnnviz.compare import homework as grid

    if not 0 < args.seconds <= MAX_SECONDS or not 1 <= args.seeds <= 10:
        raise ValueError(f"--seconds must be in (0, {MAX_SECONDS:g}] and --seeds in 1..10")
    if args.steps is not None and not 1 <= args.steps <= 100_000:
        raise ValueError("--steps must be in 1..100000")
    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    data = grid.load_tutorial_pairs(args.data)
    rows = grid.grid(args.cells, args.layers, [direction == "bi" for direction in args.directions])
    budget = f"{args.steps} steps" if args.steps else f"{args.seconds:g} s ({args.clock} clock)"
    _say(f"{len(data.train):,} training pairs; {len(rows)} rows x {args.seeds} seeds x {budget}")
    command = "python -m rnnviz.compare " + " ".join(shlex.quote(part) for part in argv)
    seconds = None if args.steps else args.seconds
    results = grid.run_homework(
        data,
        seconds,
        args.seeds,
        command,
        steps=args.steps,
        rows=rows,
        say=_say,
        clock=args.clock,
        save_to=args.out,
        first_seed=args.first_seed,
    )
    results.machine["threads"] = args.threads
    grid.save_results(results, args.out)
    _say(f"wrote {args.out} after {time.perf_counter() - started:.0f} s")
    return 0


def merge(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """Merge the parts into one results file."""
    from rnnviz.compare import homework as grid

    command = "python -m rnnviz.compare " + " ".join(shlex.quote(part) for part in argv)
    merged = grid.merge_results([grid.read_results(path) for path in args.parts], command)
    grid.save_results(merged, args.out)
    _say(f"wrote {args.out}: {len(merged.runs)} runs from {len(args.parts)} files")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Parse and run; a clear one-line error (exit 2) instead of a traceback."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(argv)
    try:
        return (merge if args.command == "merge" else homework)(args, argv)
    except (ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: nothing written", file=sys.stderr)
        return 130
