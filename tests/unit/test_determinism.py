"""Runs that repeat: every trainer owns its generators, so a seed repeats a run bit for bit, whatever else runs."""

from __future__ import annotations

import functools
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import pytest
import torch

from rnnviz.charlm.model import CharLM
from rnnviz.charlm.train import LMSettings, bracket_corpus, train_charlm
from rnnviz.core.randomness import Dropout, dropout, embedding, linear, make_generator
from rnnviz.data.pairs import PairData, date_data
from rnnviz.gradlab import RunSettings, job_target, train_run
from rnnviz.seq2seq.model import Seq2Seq
from rnnviz.seq2seq.training import TRAINING, Seq2SeqConfig, train_seq2seq
from rnnviz.training.jobs import Job, JobSlots
from rnnviz.training.loop import TrainConfig
from rnnviz.training.tasks import SequenceModel

GRADLAB = RunSettings(task="adding", length=12, hidden_size=8, record_every=10).replace(batch_size=16, steps=20)
CHARLM = LMSettings(kind="lstm", hidden_size=16, embedding_size=8, seq_length=30,
                    train=TrainConfig(steps=30, learning_rate=1e-2, clip="norm", batch_size=8, seed=3))
NOISE_SECONDS = 60  # the thread that draws from torch's global generator stops by then at the latest


@functools.cache
def dates() -> PairData:
    """A small date task (character pairs), built once."""
    return date_data(400, seed=0, test=10, validation=16)


def seq2seq_losses(seed: int = 0, dropout_rate: float = 0.1, teacher_forcing: float = 0.5) -> list[float]:
    """The loss curve of a short date-task run with dropout and teacher-forcing coins."""
    data = dates()
    model = Seq2Seq(len(data.source_vocab), len(data.target_vocab), hidden_size=24, embedding_size=12,
                    bidirectional=True, dropout=dropout_rate, generator=make_generator(seed))
    config = Seq2SeqConfig(teacher_forcing=teacher_forcing, validate_every=1000,
                           train=TRAINING.replace(steps=24, batch_size=16, learning_rate=1e-2, seed=seed))
    return [info.loss for info in train_seq2seq(model, data, config).result.history]


def gradlab_losses() -> list[float]:
    """The loss curve of a small gradient-lab run."""
    return [info.loss for info in train_run(GRADLAB).history]


def charlm_losses() -> list[float]:
    """The loss curve of a small character model."""
    return [info.loss for info in train_charlm(bracket_corpus(5_000, seed=1), CHARLM).result.history]


TRAINERS: dict[str, Callable[[], list[float]]] = {"gradlab": gradlab_losses, "charlm": charlm_losses,
                                                  "seq2seq": seq2seq_losses}


@functools.cache
def reference(name: str) -> tuple[float, ...]:
    """One run of a trainer alone, the curve the others must repeat."""
    return tuple(TRAINERS[name]())


def in_threads(functions: list[Callable[[], object]], timeout: float = 120) -> list[object]:
    """Run functions at the same time, one thread each; their results in order (errors re-raised)."""
    results: list[object] = [None] * len(functions)
    errors: list[BaseException] = []

    def run(index: int, function: Callable[[], object]) -> None:
        try:
            results[index] = function()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i, f), daemon=True) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a run did not end"
    if errors:
        raise errors[0]
    return results


def draw_from_the_global_generator(stop: threading.Event) -> int:
    """Reseed and draw from torch's global generator until `stop` (or NOISE_SECONDS); returns the rounds."""
    rounds, deadline = 0, time.perf_counter() + NOISE_SECONDS
    while not stop.is_set() and time.perf_counter() < deadline:
        torch.manual_seed(rounds)
        torch.rand(256)
        torch.nn.functional.dropout(torch.ones(64), 0.5, True)
        rounds += 1
    return rounds


@pytest.mark.parametrize("name", list(TRAINERS))
def test_a_seed_repeats_each_trainer_and_leaves_the_global_generator_untouched(name):
    before = torch.get_rng_state()
    first = TRAINERS[name]()
    assert torch.equal(torch.get_rng_state(), before), "the run drew from torch's global generator"
    assert len(first) > 10 and first == TRAINERS[name]()
    assert tuple(first) == reference(name)


@pytest.mark.parametrize("name", list(TRAINERS))
def test_two_runs_at_once_repeat_the_run_alone(name):
    curves = in_threads([TRAINERS[name], TRAINERS[name]])
    assert curves[0] == curves[1] == list(reference(name))


@pytest.mark.parametrize("name", list(TRAINERS))
def test_runs_repeat_while_others_train_with_dropout_and_reseed_the_global_generator(name):
    stop = threading.Event()
    torch.manual_seed(12345)  # whatever state the others leave it in, nothing of ours reads it

    def noisy() -> int:
        return draw_from_the_global_generator(stop)

    def twins() -> list[object]:
        try:
            return in_threads([TRAINERS[name], TRAINERS[name],
                               functools.partial(seq2seq_losses, seed=5, dropout_rate=0.3)])
        finally:
            stop.set()

    (first, second, other), rounds = in_threads([twins, noisy])
    assert rounds > 0 and len(other) > 10
    assert first == second == list(reference(name))


def test_dropout_and_the_coins_are_really_drawn():
    with_dropout = list(reference("seq2seq"))
    assert with_dropout != seq2seq_losses(dropout_rate=0.0)  # the masks change the run...
    assert with_dropout != seq2seq_losses(seed=1)  # ... and another seed changes it again


def test_jobs_of_the_same_settings_repeat_each_other():
    slots = JobSlots(2)
    jobs = [Job(job_target(GRADLAB), slots, GRADLAB.train.steps).start() for _ in range(2)]
    assert all(job.wait(60) for job in jobs)
    curves = [[info.loss for info in job.history] for job in jobs]
    assert curves[0] == curves[1] == list(reference("gradlab"))


def default_and_explicit(build: Callable[..., torch.nn.Module], seed: int = 11):
    """(state after torch.manual_seed(seed) and default init, state from make_generator(seed))."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        default = build()
    return default.state_dict(), build(generator=make_generator(seed)).state_dict()


BUILDERS = {
    "sequence-lstm": functools.partial(SequenceModel, "lstm", 3, 8, 2, num_layers=2),
    "sequence-sru": functools.partial(SequenceModel, "sru", 3, 8, 2, bidirectional=True),
    "sequence-gru-cho": functools.partial(SequenceModel, "gru", 3, 8, 2, reset_after=False),
    "charlm-rnn": functools.partial(CharLM, "rnn", 20, 8, 1, 6),
    "charlm-one-hot": functools.partial(CharLM, "gru", 20, 8, 1, 0),
    "seq2seq-additive": functools.partial(Seq2Seq, 9, 11, hidden_size=8, bidirectional=True, dropout=0.1),
    "seq2seq-general-tied": functools.partial(Seq2Seq, 9, 11, hidden_size=8, attention="general",
                                              tie_embeddings=True, cell="lstm", decoder_layers=2),
    "seq2seq-tutorial": functools.partial(Seq2Seq, 9, 11, hidden_size=8, attention="tutorial", max_source_length=5),
    "linear": functools.partial(linear, 5, 3),
    "embedding": functools.partial(embedding, 7, 4, padding_idx=0),
}


@pytest.mark.parametrize("name", list(BUILDERS))
def test_an_explicit_generator_gives_the_weights_the_seeded_default_init_gave(name):
    default, explicit = default_and_explicit(BUILDERS[name])
    assert default.keys() == explicit.keys()
    assert all(torch.equal(default[key], explicit[key]) for key in default)  # old seeds give the same runs


def test_dropout_from_a_generator_is_torch_dropout_from_the_same_state():
    x = torch.randn(40, 9, generator=make_generator(0))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(4)
        expected = torch.nn.functional.dropout(x, 0.3, True)
    assert torch.equal(dropout(x, 0.3, True, make_generator(4)), expected)
    layer = Dropout(0.3).eval()
    assert layer(x, make_generator(4)) is x and dropout(x, 0.0, True, make_generator(4)) is x
    with pytest.raises(ValueError, match="dropout"):
        Dropout(1.5)


def test_building_from_a_generator_stays_quick_and_never_imports_torch_dynamo():
    script = (
        "import sys\n"
        "from rnnviz.core.randomness import make_generator\n"
        "from rnnviz.seq2seq.model import Seq2Seq\n"
        "from rnnviz.charlm.model import CharLM\n"
        "Seq2Seq(9, 11, hidden_size=8, bidirectional=True, tie_embeddings=True, generator=make_generator(0))\n"
        "CharLM('lstm', 20, 8, generator=make_generator(0))\n"
        "print('torch._dynamo' in sys.modules)\n"
    )  # meta-device normal_ and Module.to_empty import it: seconds before the first step
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
