"""What the Unrolled graph page draws: a small model, one input sequence a person picks, its targets.

    scene = make_scene(SceneSettings(kind="lstm", steps=6, input_mode="text", text="hello"))
    graph = build_graph(scene.model, scene.x, targets=scene.targets)
    node_equations(scene, "h[0,forward][3]", unit=0)    # the lecture's equations with the numbers in

Three inputs: seeded random vectors, numbers typed one per step (x_t is a scalar), or characters
(one-hot x_t; the target of each step is the next character, as in a character language model).
Everything refuses bad input with a ValueError that says what to do.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import torch

from rnnviz.core.kinds import kind_info
from rnnviz.core.randomness import make_generator
from rnnviz.core.validation import require_choice, require_int
from rnnviz.data.tasks import IGNORE_INDEX
from rnnviz.probes.equations import Equation, explain_traced
from rnnviz.training.tasks import SequenceModel
from rnnviz.unrolled.graph import MAX_STEPS

INPUT_MODES = ("random", "numbers", "text")
MAX_HIDDEN = 64  # the drawing lists every unit in its hover text
MAX_LAYERS = 3
MAX_TEXT = 5_000  # typed text longer than this is cut, with a note
RANDOM_INPUT_SIZE = 2
RANDOM_CLASSES = 3


@dataclass(frozen=True)
class SceneSettings:
    """The page's knobs: the cell and its sizes, the sequence length, what the input is."""

    kind: str = "rnn"
    hidden_size: int = 3
    num_layers: int = 1
    bidirectional: bool = False
    steps: int = 6  # T, for random input (typed input sets its own length)
    input_mode: str = "random"
    numbers: str = "0.5, -1, 2, 0, 1, -0.5"
    text: str = "hello"
    seed: int = 0

    def __post_init__(self) -> None:
        """Check every knob."""
        kind_info(self.kind)
        require_int("hidden size", self.hidden_size, minimum=1, maximum=MAX_HIDDEN)
        require_int("layers", self.num_layers, minimum=1, maximum=MAX_LAYERS)
        require_int("steps T", self.steps, minimum=1, maximum=MAX_STEPS)
        require_choice("input", self.input_mode, INPUT_MODES)
        require_int("seed", self.seed, minimum=0)


@dataclass(frozen=True, eq=False)
class Scene:
    """A model and one sequence: x (1, T, I), targets (1, T) class ids (IGNORE_INDEX: no loss)."""

    settings: SceneSettings
    model: SequenceModel
    x: torch.Tensor  # (1, T, I)
    targets: torch.Tensor  # (1, T)
    step_labels: list[str]  # what x_t is, for people ("‘h’", "0.5", "x₀")
    classes: list[str]  # what each output class means
    notes: list[str] = field(default_factory=list)  # what the preparation did (cut, replaced)


def parse_numbers(typed: str) -> tuple[list[float], list[str]]:
    """Numbers separated by commas, spaces or semicolons; a ValueError names the first bad one."""
    notes: list[str] = []
    parts = [part for part in re.split(r"[,;\s]+", str(typed).strip()) if part]
    if not parts:
        raise ValueError("type at least one number, e.g. 0.5, -1, 2")
    if len(parts) > MAX_STEPS:
        notes.append(f"only the first {MAX_STEPS:,} of {len(parts):,} numbers are used")
        parts = parts[:MAX_STEPS]
    values = []
    for position, part in enumerate(parts):
        try:
            value = float(part)
        except ValueError:
            raise ValueError(f"{part[:20]!r} (number {position + 1}) is not a number: "
                             "type numbers like 0.5 or -2") from None
        if not math.isfinite(value):
            raise ValueError(f"number {position + 1} is {part[:20]!r}: every x_t must be a finite number")
        if abs(value) > 1e6:
            raise ValueError(f"number {position + 1} is {value:g}: keep |x_t| under a million")
        values.append(value)
    return values, notes


def _text_input(text: str) -> tuple[list[str], list[str]]:
    """The characters of a typed text (cut to MAX_TEXT), with notes."""
    text, notes = str(text), []
    if not text:
        raise ValueError("type at least one character")
    if len(text) > MAX_TEXT:
        notes.append(f"only the first {MAX_TEXT:,} of {len(text):,} characters are used")
        text = text[:MAX_TEXT]
    return list(text), notes


def _sequence(settings: SceneSettings, generator: torch.Generator) -> tuple:
    """x (1, T, I), targets (1, T), step labels, class names, notes for one input mode."""
    if settings.input_mode == "numbers":
        values, notes = parse_numbers(settings.numbers)
        x = torch.tensor(values, dtype=torch.float32).view(1, -1, 1)
        targets = (x[0, :, 0] > 0).long().unsqueeze(0)  # is x_t positive? a rule the model can learn
        return x, targets, [f"{value:g}" for value in values], ["x_t ≤ 0", "x_t > 0"], notes
    if settings.input_mode == "text":
        chars, notes = _text_input(settings.text)
        alphabet = sorted(set(chars))
        ids = torch.tensor([alphabet.index(char) for char in chars])
        x = torch.nn.functional.one_hot(ids, len(alphabet)).float().unsqueeze(0)  # (1, T, V)
        targets = torch.cat([ids[1:], torch.tensor([IGNORE_INDEX])]).unsqueeze(0)  # the next character
        return x, targets, [_shown(char) for char in chars], [_shown(char) for char in alphabet], notes
    x = torch.randn(1, settings.steps, RANDOM_INPUT_SIZE, generator=generator)
    targets = torch.randint(0, RANDOM_CLASSES, (1, settings.steps), generator=generator)
    return x, targets, [f"x{_subscript(t)}" for t in range(settings.steps)], \
        [f"class {c}" for c in range(RANDOM_CLASSES)], []


def _shown(char: str) -> str:
    """A character as people read it on a slide: whitespace named, the rest in quotes."""
    names = {" ": "space", "\n": "new line", "\t": "tab"}
    return names.get(char, f"‘{char}’" if char.isprintable() else "a control character")


def _subscript(number: int) -> str:
    """t as subscript digits: 12 -> ₁₂."""
    return str(number).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def make_scene(settings: SceneSettings) -> Scene:
    """The seeded model (weights from the run's own generator) and the picked sequence."""
    generator = make_generator(settings.seed)
    x, targets, labels, classes, notes = _sequence(settings, generator)
    model = SequenceModel(settings.kind, x.shape[-1], settings.hidden_size, len(classes), settings.num_layers,
                          settings.bidirectional, generator=generator).eval()
    return Scene(settings, model, x, targets, labels, classes, notes)


def node_equations(scene: Scene, node_id: str, unit: int) -> list[Equation]:
    """The equations of one unit of a hidden-state node (h or c) at its step, with the numbers in."""
    match = re.fullmatch(r"[hc]\[(\d+),(forward|backward)\]\[(\d+)\]", node_id)
    if match is None:
        raise ValueError("pick a hidden state node (h or c) of the unrolled graph to see its equations")
    layer, direction, t = int(match[1]), match[2], int(match[3])
    recurrent = scene.model.recurrent
    with torch.no_grad():
        trace = recurrent(scene.x, trace=True).trace  # one explicit unroll gives every layer's inputs and states
    inputs = scene.x[0] if layer == 0 else torch.cat(
        [trace[layer - 1][side].hidden[0] for side in recurrent.directions], dim=-1)  # (T, I_layer)
    chain = trace[layer][direction]
    cells = chain.gates["cell"][0].double().numpy() if "cell" in chain.gates else None  # (T, H)
    return explain_traced(recurrent.cell(layer, direction), inputs.double().numpy(),
                          chain.hidden[0].double().numpy(), cells, t, unit, reverse=direction == "backward")


@dataclass(frozen=True)
class AutogradCheck:
    """How far the per-path sums are from autograd's gradient: largest absolute differences, float64."""

    rows: float  # max over loss steps t of |Σ_k term(t, k) − ∂E_t/∂W| (entrywise)
    total: float  # max |Σ_t Σ_k term(t, k) − ∂E/∂W|
    gradient_norm: float  # ‖∂E/∂W‖, for scale


def check_against_autograd(scene: Scene, terms, weight: str = "W") -> AutogradCheck:
    """Autograd's ∂E_t/∂W and ∂E/∂W on a float64 copy of the model, against the per-path sums."""
    import copy

    model = copy.deepcopy(scene.model).double()
    path = terms.terms[weight]
    cell = model.recurrent.cell(terms.layer, terms.direction)
    parameters = [dict(cell.named_parameters())[name] for name in path.parameters]
    with torch.enable_grad():
        logits = model.head(model.recurrent(scene.x.double(), trace=True).output)[0]  # (T, C)
        losses = [torch.nn.functional.cross_entropy(logits[t], scene.targets[0, t]) for t in terms.loss_steps]
        rows = 0.0
        for row, loss in enumerate(losses):
            grads = torch.autograd.grad(loss, parameters, retain_graph=True)
            rows = max(rows, *(float((path.row_sums[name][row] - grad).abs().max())
                               for name, grad in zip(path.parameters, grads)))
        totals = torch.autograd.grad(torch.stack(losses).sum(), parameters)
    total = max(float((path.total[name] - grad).abs().max()) for name, grad in zip(path.parameters, totals))
    norm = float(torch.sqrt(sum(grad.pow(2).sum() for grad in totals)))
    return AutogradCheck(rows, total, norm)
