"""The five input/output tasks of the unrolled page: seconds to reach each target with the defaults.

Target: every task's defaults reach its held-out target within 20 s of training on 2 laptop cores
(evaluations excluded), for every seed run. Printed per task and seed: the seconds to the target,
the final metric, the whole run's seconds; then "Is it parallelizable?": teacher-forced against
free-running decoding of the same batch by the same model, as a ratio measured in this run.

Measured in one run (2 shared cores of an "Intel(R) Xeon(R) Processor" with AVX-512, torch 2.13 CPU,
1 torch thread as the app uses, load average 1.2-1.5 from other work; seeds 0-4; seconds of training
to the held-out target, evaluations excluded; final = held-out metric after the default steps):

    task                              target   seconds to target, seeds 0-4   final, worst seed   run (20 evals)
    one-to-one    line images         0.98     0.1 0.1 0.1 0.1 0.1             1.000               0.3 s
    one-to-many   spell 0-99          0.95     1.1 1.3 1.6 1.3 1.1             1.000               2.7 s
    many-to-one   adding, T = 20      0.90     2.7 2.5 2.0 2.2 2.4             0.947               4 s
    many-to-one   IMDb reviews        0.70     5.8 6.9 4.8 4.5 3.8             0.743               12-13 s
    aligned       bracket depth       0.97     2.2 2.8 2.7 2.1 2.3             1.000               5 s
    enc-dec       dates to ISO        0.90     5.4 4.4 5.5 8.0 6.2             0.956               8-11 s
    teacher-forced decoder vs free-running (batch 64): 2.0-2.1x forward, 1.8x forward+backward.

Under a load average of 3-6 (other developers training) the same runs took up to twice as long
(dates: 10-15 s to the target).
Run it again on the lecture laptop:

    python bench/unrolled_tasks.py [--reviews ../shared/data/imdb_small.csv] [--seeds 0 1 2] [--threads 1]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from timing import cpu_line  # noqa: E402  (bench/timing.py)

from rnnviz.unrolled.parallel import time_decoding  # noqa: E402
from rnnviz.unrolled.tasks import IO_TYPES, IOTask, make_io_task, train  # noqa: E402

TARGET_SECONDS = 20.0
DEFAULT_REVIEWS = ROOT.parent / "shared" / "data" / "imdb_small.csv"


def measure(task: IOTask, seeds: list[int]) -> list[str]:
    """One line per seed (seconds to the target, final metric, the run's seconds), then the worst of them."""
    lines, reached_all, finals = [], [], []
    for seed in seeds:
        trained = train(task, seed=seed, evaluate_every=max(1, task.defaults.steps // 20))
        reached = trained.seconds_to_target
        reached_all.append(float("inf") if reached is None else reached)
        finals.append(trained.metric)
        verdict = "MISSED" if reached is None else ("ok" if reached <= TARGET_SECONDS else "SLOW")
        shown = "never" if reached is None else f"{reached:5.1f} s"
        lines.append(f"  seed {seed}: target {task.target:g} reached after {shown} [{verdict}]; final "
                     f"{trained.metric:.3f} after {trained.result.steps_done} steps, {trained.result.seconds:.1f} s "
                     f"run (with {len(trained.evaluations)} evaluations)")
    lines.append(f"  worst of {len(seeds)} seeds: {max(reached_all):.1f} s to the target (limit {TARGET_SECONDS:g} s), "
                 f"final {min(finals):.3f} (target {task.target:g})")
    return lines


def main() -> None:
    """Measure every task, then the teacher-forcing speed-up."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reviews", type=Path, default=DEFAULT_REVIEWS, help="CSV of reviews (text,label)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--threads", type=int, default=1, help="torch threads (the app uses 1)")
    args = parser.parse_args()
    torch.set_num_threads(max(1, args.threads))
    print(cpu_line())
    tasks = [(io_type, make_io_task(io_type)) for io_type in IO_TYPES]
    if args.reviews.is_file():
        tasks.insert(3, ("many-to-one (reviews)", make_io_task("many-to-one", reviews=args.reviews)))
    else:
        print(f"(no reviews at {args.reviews}: the sentiment task is skipped)")
    for label, task in tasks:
        defaults = task.defaults
        print(f"\n{label}: {task.name}, {task.metric}; {defaults.kind} H={defaults.hidden_size}, "
              f"{defaults.steps} steps, batch {defaults.batch_size}, lr {defaults.learning_rate}")
        print("\n".join(measure(task, args.seeds)))
    print("\nIs it parallelizable? The decoder on one batch of 64, teacher-forced (one fused call) vs free-running:")
    for io_type in ("one-to-many", "encoder-decoder"):
        task = make_io_task(io_type)
        timing = time_decoding(task, task.model(0), batch_size=64, repeats=20)
        print(f"  {io_type} ({timing.steps} decoder steps): forward {1000 * timing.teacher_forced_forward:.2f} ms "
              f"vs {1000 * timing.free_running_forward:.2f} ms = {timing.forward_ratio:.1f}x; forward+backward "
              f"{1000 * timing.teacher_forced_training:.2f} ms vs {1000 * timing.free_running_training:.2f} ms "
              f"= {timing.training_ratio:.1f}x")


if __name__ == "__main__":
    main()
