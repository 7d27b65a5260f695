"""Command line: train, use and evaluate an encoder–decoder translator.

    python -m rnnviz.translate train --data FILE --source fra --target eng --seconds N --out CHECKPOINT
        [--tutorial-filter] [--cell gru] [--attention additive] [--hidden 256] ...
    python -m rnnviz.translate translate --checkpoint CHECKPOINT [--beam K]   # stdin -> stdout, a line each
    python -m rnnviz.translate evaluate --checkpoint CHECKPOINT --data FILE   # BLEU (sacrebleu), exact match

`--seconds` bounds the wall time of `train` from the moment `main` starts
(imports of torch and data preparation included) to the saved checkpoint; the weights kept are the
best on the validation split. `--data dates` trains the generated date task instead of a file.
Errors print one line on stderr and exit with status 2: never a traceback.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

from rnnviz.core.kinds import KINDS  # the table of kinds imports nothing heavy

SMALL_BUDGET = 60  # seconds: up to this budget a smaller model without dropout learns fastest
RESERVE_SECONDS = 0.6  # kept back from --seconds for the save (the last validation has its own room)


def _train_options(train: argparse.ArgumentParser) -> None:
    """The options of `train`: data, budget, model sizes, training knobs, device."""
    train.add_argument("--data", required=True, help="pairs file (English<TAB>other, e.g. eng-fra.txt) or 'dates'")
    train.add_argument("--source", default="fra", help="source language code (a column of the file)")
    train.add_argument("--target", default="eng", help="target language code (the other column)")
    train.add_argument("--seconds", type=float, default=60.0, help="wall-time budget, data preparation included")
    train.add_argument("--out", required=True, help="checkpoint to write (.safetensors)")
    train.add_argument("--tutorial-filter", action="store_true",
                       help="the tutorial's preparation: ASCII, < 10 words, 'i am / he is / ...' English prefixes")
    train.add_argument("--min-count", type=int, default=1,
                       help="keep words seen at least this often in the training pairs (others read as <unk>)")
    train.add_argument("--vocabulary-size", type=int, default=None,
                       help="at most this many words a side, most frequent first (default: all that --min-count keeps)")
    train.add_argument("--cell", default="gru", choices=KINDS)
    train.add_argument("--attention", default="additive", choices=("none", "additive", "dot", "general", "tutorial"))
    train.add_argument("--hidden", type=int, default=None,
                       help=f"decoder units (default: 128 for budgets up to {SMALL_BUDGET} s, else 192)")
    train.add_argument("--embedding", type=int, default=None, help="embedding size (default: --hidden)")
    train.add_argument("--encoder-hidden", type=int, default=None,
                       help="units per encoder direction (default: half of --hidden when bidirectional)")
    train.add_argument("--tie-embeddings", action=argparse.BooleanOptionalAction, default=None,
                       help="output layer reuses the target embedding (default: on when --embedding equals --hidden)")
    train.add_argument("--layers", type=int, default=1, help="encoder layers")
    train.add_argument("--decoder-layers", type=int, default=1)
    train.add_argument("--bidirectional", action=argparse.BooleanOptionalAction, default=True,
                       help="bidirectional encoder (default; --no-bidirectional for the tutorial's one-way GRU)")
    train.add_argument("--dropout", type=float, default=None,
                       help=f"dropout (default: 0 for budgets up to {SMALL_BUDGET} s, else 0.1)")
    # The TrainConfig knobs: dest = its field's name; None = the seq2seq trainer's default (torch is not loaded yet).
    train.add_argument("--batch-size", "--batch", dest="batch_size", type=int, default=None,
                       help="pairs per batch (default: the seq2seq trainer's)")
    train.add_argument("--lr", dest="learning_rate", type=float, default=None,
                       help=f"Adam learning rate (default: 1e-2 up to {SMALL_BUDGET} s, else 5e-3)")
    train.add_argument("--teacher-forcing", type=float, default=1.0, help="share of batches fed the true words")
    train.add_argument("--label-smoothing", type=float, default=None,
                       help="share of probability spread over all words (default 0.1: +1 BLEU at 30 s here, but "
                            "the attention then rests on </s>; 0 for a model whose heatmap aligns words)")
    train.add_argument("--clip", dest="clip_threshold", type=float, default=None,
                       help="gradient norm clipping threshold (default: the seq2seq trainer's)")
    train.add_argument("--steps", type=int, default=None, help="at most this many steps (default: the time decides)")
    train.add_argument("--test", type=int, default=1000, help="held-out pairs (never trained on)")
    train.add_argument("--validation", type=int, default=500, help="pairs that pick the best checkpoint")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--half", action="store_true", help="store the weights as float16 (half the size)")
    train.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default, one per core)")
    train.add_argument("--device", default="cpu", help="cpu, cuda, or auto (a GPU when there is one)")
    train.add_argument("--no-test", action="store_true", help="skip the held-out evaluation after saving")


def _parser() -> argparse.ArgumentParser:
    """The three sub-commands and their options."""
    parser = argparse.ArgumentParser(prog="python -m rnnviz.translate", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    train = commands.add_parser("train", help="train a translator within a time budget")
    _train_options(train)
    use = commands.add_parser("translate", help="translate stdin, one sentence a line")
    use.add_argument("--checkpoint", required=True)
    use.add_argument("--beam", type=int, default=1, help="beam width (1 = greedy)")
    use.add_argument("--length-penalty", type=float, default=0.0, help="divide log p by length^alpha")
    use.add_argument("--source", default=None, help="refuse a checkpoint that does not read this language")
    use.add_argument("--target", default=None, help="refuse a checkpoint that does not write this language")
    evaluate = commands.add_parser("evaluate", help="BLEU and exact match on held-out pairs")
    evaluate.add_argument("--checkpoint", required=True)
    evaluate.add_argument("--data", required=True, help="the pairs file (or 'dates')")
    evaluate.add_argument("--split", default="auto", choices=("auto", "test", "validation", "train", "all"),
                          help="auto: the held-out split of the training file, all pairs of another file")
    evaluate.add_argument("--beam", type=int, default=1)
    return parser


def default_recipe(seconds: float, bidirectional: bool = True) -> dict[str, float]:
    """Sizes that learn fastest for a time budget: small and without dropout up to SMALL_BUDGET seconds.

    Both tie the output layer to the target embedding and smooth the labels by 0.1.
    """
    shared = {"label_smoothing": 0.1, "tie_embeddings": True}
    if seconds <= SMALL_BUDGET:
        return {"hidden": 128, "encoder_hidden": 64 if bidirectional else 128, "dropout": 0.0, "learning_rate": 1e-2,
                **shared}
    return {"hidden": 192, "encoder_hidden": 96 if bidirectional else 192, "dropout": 0.1, "learning_rate": 5e-3,
            **shared}


@dataclass(frozen=True)
class Recipe:
    """The sizes and rates a run uses: the options given, the budget's defaults for the rest."""

    hidden: int
    encoder_hidden: int
    dropout: float
    learning_rate: float
    label_smoothing: float
    tie_embeddings: bool


def resolve_recipe(args: argparse.Namespace) -> Recipe:
    """Fill the options left unset from `default_recipe` (the arguments are not changed)."""
    recipe = default_recipe(args.seconds, args.bidirectional)
    hidden = args.hidden or recipe["hidden"]
    encoder_hidden = args.encoder_hidden or (recipe["encoder_hidden"] if not args.hidden
                                             else hidden // 2 if args.bidirectional else hidden)
    tie = args.tie_embeddings if args.tie_embeddings is not None else (
        recipe["tie_embeddings"] and args.embedding in (None, hidden))
    return Recipe(hidden=hidden, encoder_hidden=encoder_hidden,
                  dropout=args.dropout if args.dropout is not None else recipe["dropout"],
                  learning_rate=args.learning_rate or recipe["learning_rate"],
                  label_smoothing=(args.label_smoothing if args.label_smoothing is not None
                                   else recipe["label_smoothing"]),
                  tie_embeddings=bool(tie))


def _say(message: str) -> None:
    """Progress on stderr (stdout is for results)."""
    print(message, file=sys.stderr, flush=True)


def _load_data(args: argparse.Namespace):
    """The prepared pairs for `train`."""
    from rnnviz.data import pairs

    if args.data == "dates":
        return pairs.date_data(20_000, seed=args.seed, test=args.test, validation=args.validation)
    return pairs.load_pairs(args.data, source_language=args.source, target_language=args.target,
                            tutorial_filter=args.tutorial_filter, test=args.test, validation=args.validation,
                            seed=args.seed, min_count=args.min_count, max_vocabulary=args.vocabulary_size)


def _build_model(args: argparse.Namespace, recipe: Recipe, data, max_source: int):
    """The seeded Seq2Seq of the recipe, on the chosen device."""
    import torch

    from rnnviz.core.randomness import make_generator
    from rnnviz.seq2seq.model import Seq2Seq

    model = Seq2Seq(len(data.source_vocab), len(data.target_vocab), hidden_size=recipe.hidden,
                    embedding_size=args.embedding, cell=args.cell, encoder_layers=args.layers,
                    decoder_layers=args.decoder_layers, bidirectional=args.bidirectional,
                    attention=args.attention, dropout=recipe.dropout, max_source_length=max_source,
                    encoder_hidden_size=recipe.encoder_hidden, tie_embeddings=recipe.tie_embeddings,
                    generator=make_generator(args.seed))
    device = "cuda" if args.device == "auto" and torch.cuda.is_available() else args.device
    return model.to(device) if device != "cpu" else model


class _Progress:
    """Training callback: the loss on stderr every 5 s, timed from the command's start."""

    def __init__(self, started: float) -> None:
        self.started, self.last = started, 0.0

    def on_step_end(self, info) -> None:
        """Say the step and loss when 5 s have passed since the last line."""
        if info.seconds - self.last >= 5:
            self.last = info.seconds
            _say(f"  step {info.step:,}  {time.perf_counter() - self.started:5.1f} s  loss {info.loss:.3f}")


def _train_config(args: argparse.Namespace, recipe: Recipe):
    """The run's TrainConfig: the seq2seq trainer's defaults, the options given, the recipe's learning rate.

    --seconds is not its `seconds`: it bounds the whole command and reaches train_seq2seq as a deadline.
    """
    from rnnviz.seq2seq.training import TRAINING
    from rnnviz.training.flags import train_config_from

    given = train_config_from(args, TRAINING, ("steps", "batch_size", "clip_threshold", "seed"))
    return given.replace(learning_rate=recipe.learning_rate)


def _training_record(args: argparse.Namespace, recipe: Recipe, outcome, wall_seconds: float) -> dict:
    """What the checkpoint records of how it was trained, the command line included."""
    best = outcome.best
    return {"seconds_budget": args.seconds, "steps": outcome.result.steps_done,
            "epochs": round(outcome.epochs, 2), "wall_seconds": round(wall_seconds, 2),
            "batch_size": _train_config(args, recipe).batch_size, "learning_rate": recipe.learning_rate,
            "teacher_forcing": args.teacher_forcing, "label_smoothing": recipe.label_smoothing,
            "best_step": best.step if best else 0,
            "command": "python -m rnnviz.translate " + " ".join(sys.argv[1:]) if sys.argv[1:] else ""}


def _run_training(args: argparse.Namespace, recipe: Recipe, model, data, started: float):
    """Train until the deadline (the budget counted from `started`) and say each validation."""
    from rnnviz.seq2seq.training import Seq2SeqConfig, train_seq2seq

    config = Seq2SeqConfig(teacher_forcing=args.teacher_forcing, label_smoothing=recipe.label_smoothing,
                           train=_train_config(args, recipe))
    return train_seq2seq(model, data, config, callbacks=[_Progress(started)], stop=threading.Event(),
                         deadline=started + args.seconds - RESERVE_SECONDS,
                         validation_callback=lambda v: _say(
                             f"  validation at step {v.step:,}: BLEU {v.bleu:.1f}, exact {v.exact:.1f} %"))


def _test_and_save(args: argparse.Namespace, translator, data, max_source: int, training: dict, saved: float) -> None:
    """Score the held-out pairs, store the figures in the checkpoint, print them."""
    from rnnviz.seq2seq.training import evaluate

    result = evaluate(translator.model, data.test, data.source_vocab, data.target_vocab, data.tokens,
                      max_source if args.attention == "tutorial" else None)
    translator.metrics.update({"test_bleu": result["bleu"], "test_exact": result["exact"],
                               "test_pairs": result["count"]})
    translator.save(args.out, half=args.half, extra={"training": training})
    print(f"held-out BLEU {result['bleu']:.1f}  exact match {result['exact']:.1f} %  "
          f"({result['count']:,} pairs, greedy)  trained and saved in {saved:.1f} s")


def train(args: argparse.Namespace, started: float) -> int:
    """Train within --seconds of `started`, keep the best validated weights, save, then report held-out BLEU."""
    import torch

    from rnnviz.seq2seq.translator import Translator

    if args.threads:
        torch.set_num_threads(args.threads)
    data, recipe = _load_data(args), resolve_recipe(args)
    _say(f"{data.info['pairs']:,} pairs ({data.info['split']}), vocabularies {len(data.source_vocab):,} "
         f"{data.info['source_language']} / {len(data.target_vocab):,} {data.info['target_language']}, "
         f"ready after {time.perf_counter() - started:.1f} s")
    max_source = max(len(s.split(" ")) if data.tokens == "words" else len(s) for s, _ in data.train) + 1
    model = _build_model(args, recipe, data, max_source)
    try:
        outcome = _run_training(args, recipe, model, data, started)
    except KeyboardInterrupt:
        _say("interrupted: nothing saved")
        return 130
    best, training = outcome.best, _training_record(args, recipe, outcome, time.perf_counter() - started)
    metrics = {"validation_bleu": best.bleu if best else None, "validation_exact": best.exact if best else None}
    translator = Translator.from_data(model, data, metrics=metrics, history=[
        [v.step, round(v.seconds, 2), v.bleu, v.exact] for v in outcome.validations])
    path = translator.save(args.out, half=args.half, extra={"training": training})
    saved = time.perf_counter() - started
    chosen = (f"best validation BLEU {best.bleu:.1f} at step {best.step:,}" if best
              else "kept the last weights (no time left to validate them)")
    _say(f"{outcome.result.message}; {outcome.epochs:.1f} epochs; {chosen}")
    _say(f"saved {path} after {saved:.1f} s (budget {args.seconds:g} s)")
    if not args.no_test and data.test:
        _test_and_save(args, translator, data, max_source, training, saved)
    return 0


def translate(args: argparse.Namespace) -> int:
    """stdin -> stdout, one sentence a line (an empty line gives an empty line)."""
    from rnnviz.seq2seq.translator import Translator

    translator = Translator.load(args.checkpoint, source=args.source, target=args.target)
    lines = [line.rstrip("\r\n") for line in sys.stdin]
    for output in translator.translate_many(lines, beam=args.beam, length_penalty=args.length_penalty):
        print(output)
    return 0


def evaluate(args: argparse.Namespace) -> int:
    """Print BLEU and exact match of a checkpoint on pairs of a file."""
    from rnnviz.data import pairs
    from rnnviz.seq2seq.training import evaluate as score
    from rnnviz.seq2seq.translator import Translator

    translator = Translator.load(args.checkpoint)
    info = translator.info
    split = info.get("split", {})
    options = {"test": split.get("test", 1000), "validation": split.get("validation", 500),
               "seed": info.get("seed", 0)}
    if args.data == "dates" or info.get("preparation") == "dates":
        if args.data != "dates":
            raise ValueError("this checkpoint was trained on the date task: use --data dates")
        data, same_file = pairs.date_data(info.get("pairs", 20_000), **options), True
    else:
        data = pairs.load_pairs(args.data, source_language=translator.source_language,
                                target_language=translator.target_language,
                                tutorial_filter=bool(info.get("tutorial_filter")),
                                preparation=info.get("preparation"), **options)
        same_file = data.info.get("sha256") == info.get("sha256")
    chosen = args.split if args.split != "auto" else ("test" if same_file else "all")
    chosen_pairs = {"test": data.test, "validation": data.validation, "train": data.train,
                    "all": data.train + data.validation + data.test}[chosen]
    if args.beam > 1:
        outputs = translator.translate_many([s for s, _ in chosen_pairs], beam=args.beam)
        result = _bleu(outputs, [t for _, t in chosen_pairs])
    else:
        result = score(translator.model, chosen_pairs, translator.source_vocab, translator.target_vocab,
                       translator.tokens, translator.model.max_source_length
                       if translator.model.attention_kind == "tutorial" else None)
    where = "held-out " if chosen == "test" and same_file else ""
    note = "" if same_file or args.data == "dates" else " (not the file it was trained on)"
    print(f"BLEU {result['bleu']:.1f}  exact match {result['exact']:.1f} %  on {result['count']:,} {where}pairs "
          f"({chosen} split{note}, {'beam ' + str(args.beam) if args.beam > 1 else 'greedy'}, "
          f"{translator.direction})")
    return 0


def _bleu(outputs: Sequence[str], references: Sequence[str]) -> dict[str, float]:
    """BLEU and exact match of outputs against references."""
    import sacrebleu

    bleu = sacrebleu.corpus_bleu(list(outputs), [list(references)], force=True)
    exact = sum(o == r for o, r in zip(outputs, references)) / max(1, len(references))
    return {"bleu": float(bleu.score), "exact": 100 * exact, "count": len(references)}


def main(argv: Sequence[str] | None = None) -> int:
    """Run one sub-command; errors become one line on stderr and exit status 2."""
    started = time.perf_counter()  # the --seconds budget of `train` starts here, before torch is imported
    args = _parser().parse_args(argv)
    try:
        if args.command == "train":
            return train(args, started)
        return {"translate": translate, "evaluate": evaluate}[args.command](args)
    except (ValueError, OSError) as error:  # CheckpointError and DirectionError are ValueErrors
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
