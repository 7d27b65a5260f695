"""Write the three notebooks of docs/notebooks/ from the cells below, without outputs.

Run `python docs/notebooks/make_notebooks.py` after editing a cell here; the notebooks are
generated, never edited by hand (tests/unit/test_notebooks.py checks they match this file and
executes them). Each notebook uses only `rnnviz` and draws the figures the app's pages draw.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent
KERNEL = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def md(source: str) -> tuple[str, str]:
    """A Markdown cell."""
    return ("md", source)


def code(source: str) -> tuple[str, str]:
    """A code cell."""
    return ("code", source)


GRADIENTS = [
    md("""# Gradients through time: a tanh RNN against an IRNN

The Gradient lab page in a notebook. Two small recurrent networks learn the adding problem
(remember two marked numbers among T = 50 and output their sum): a **tanh RNN** with the default
initialization, and an **IRNN**, a ReLU RNN whose recurrent matrix W_hh starts as the identity
(Le, Jaitly & Hinton 2015). Every 20 training steps a recorder measures ‖∂L/∂h_t‖ for each
timestep t on a fixed batch, through the explicit unroll with `torch.autograd.grad`.

Both runs are small (32 units, 300 steps of batch 32): about a second each on a laptop CPU."""),
    code("""import rnnviz
from rnnviz import gradlab
from rnnviz.plots import gradients as gradient_plots

tanh_settings = gradlab.RunSettings(
    task="adding", length=50, cell="rnn", hidden_size=32, record_every=20,
    train=rnnviz.TrainConfig(steps=300, learning_rate=3e-3, optimizer="adam", batch_size=32, seed=0),
)
irnn_settings = tanh_settings.replace(cell="rnn-relu", init="identity", clip="norm", clip_threshold=1.0)
runs = {settings.label(): gradlab.train_run(settings) for settings in (tanh_settings, irnn_settings)}
for label, recording in runs.items():
    last = recording.snapshots[-1]
    print(f"{label}: {recording.result.status}, final loss {recording.history[-1].loss:.3f} "
          f"(baseline {recording.baseline_loss:.3f}), ||dL/dh_0|| / ||dL/dh_T|| = {last.profile[0] / last.profile[-1]:.1e}")"""),
    md("""## The gradient reaching each timestep, over training

One row per measurement (training step, bottom to top), one column per timestep t (left = the
start of the sequence), log colour. **Darker on the left is vanishing**: the tanh RNN's rows
fade by many powers of ten towards t = 0, while the IRNN's stay as bright at t = 0 as at t = T,
or brighter. Grey would be exactly 0."""),
    code("""for label, recording in runs.items():
    steps, grid = gradlab.heatmap_data(recording)  # grid (measurements, T)
    gradient_plots.gradient_heatmap(steps, grid, title=label).show()"""),
    md("""## The profile at the last measurement, against the bound

‖∂L/∂h_t‖ against timestep t (log scale) at the last recorded step. For a vanilla RNN the dashed
line is the bound (γ·σ_max(W_hh))^(T−t) times the gradient at t = T (γ bounds the activation's
slope: 1 for tanh and ReLU): the measured gradient can never lie above it."""),
    code("""for label, recording in runs.items():
    last = recording.snapshots[-1]
    gradient_plots.profile_chart(last.profile, step=last.step, bound=gradlab.profile_bound(last),
                                 label=label, title=f"{label}, step {last.step}").show()"""),
    md("""## Loss and score

Top: the loss (running mean, log scale) of both runs; below the dashed baseline (always answering
the mean sum) a run has learned to use its input. Bottom: the share of sequences whose predicted
sum is within 0.04 of the true one. Within 300 steps the IRNN's loss falls well below the baseline
while the tanh RNN's stays on it; the page's preset 4 trains the IRNN longer (T = 100, 1,600 steps)."""),
    code("""series = {}
for label, recording in runs.items():
    arrays = gradlab.history_arrays(recording)
    series[label] = (arrays["loss"], arrays["accuracy"])
baseline = next(iter(runs.values())).baseline_loss
gradient_plots.loss_accuracy_chart(series, baseline=baseline, score_title="within ±0.04")"""),
]

GATES = [
    md("""# The gates of an LSTM reading a sentence

The Inside the cell page in a notebook: the shipped character-level LSTM trained on Tiny
Shakespeare (`checkpoints/charlm-shakespeare-lstm.safetensors`) reads a sentence one character
at a time, and we draw every gate of its cell. Change `text` to read your own."""),
    code("""import numpy as np

import rnnviz
from rnnviz.charlm.trace import trace_text, value_range
from rnnviz.data.text import Vocabulary
from rnnviz.plots.cell_text import colored_text
from rnnviz.plots.gates import state_heatmap

checkpoint = rnnviz.load(rnnviz.checkpoints.checkpoint_directory() / "charlm-shakespeare-lstm.safetensors",
                         expected_model="charlm")
model, vocab = checkpoint.model, Vocabulary.from_json(checkpoint.vocab)
text = "To be, or not to be: that is the question."
trace = trace_text(model, vocab, text)  # every gate and state, (T, H) per layer
print(f"{model.config['kind']} with {model.config['hidden_size']} units, "
      f"{checkpoint.metrics['validation_bpc']:.2f} bits/char on held-out text; "
      f"{trace.mean_bits():.2f} bits/char on this sentence")"""),
    md("""## Each gate, units × characters

One row per unit (the 24 that vary most on this sentence, as the page shows for a big layer), one
column per character, left to right as the model reads. Gates run from 0 (closed, dark) to 1
(open, bright). The forget gate keeps the cell's memory where it is near 1 and wipes it near 0;
the cell state (signed, blue below 0 and red above) is the memory itself."""),
    code("""units = sorted(np.argsort(-trace.state("cell").std(axis=0))[:24].tolist())
for name in ("input", "forget", "output", "cell"):
    state_heatmap(trace.state(name), trace.chars, name=name, value_range=value_range("lstm", name), units=units,
                  unknown=trace.unknown, clickable=False, title=f"LSTM {name} on {text!r}").show()"""),
    md("""## One unit along the text

The sentence coloured by the cell state of the unit that varies most (Karpathy, Johnson & Fei-Fei
2015): blue is negative, red positive, white near 0. Units that track something (a quote, the
position in a line, the end of a word) light up in a visible pattern."""),
    code("""unit = int(np.argmax(trace.state("cell").std(axis=0)))
colored_text(trace.chars, trace.state("cell")[:, unit], name=f"cell {unit}", value_range=value_range("lstm", "cell"),
             unknown=trace.unknown, title=f"Cell state of unit {unit}")"""),
]

ATTENTION = [
    md("""# Where the translator looks: attention on a sentence

The Translate and attend page in a notebook: the shipped French → English encoder–decoder with
additive attention (Bahdanau et al. 2015), `checkpoints/translate-fra-eng.safetensors`, translates a
sentence; we draw its attention weights. Change `sentence` to try your own: unknown words are
read as `<unk>` and flagged with ⚠ on the chart."""),
    code("""import rnnviz
from rnnviz.plots.attention import attention_heatmap

translator = rnnviz.Translator.load(rnnviz.checkpoints.checkpoint_directory() / "translate-fra-eng.safetensors")
sentence = "je suis trop froid ."
result = translator.translate(sentence, beam=5)
print(f"{translator.direction}, {translator.model.attention_kind} attention")
print(f"{sentence!r} -> {result.text!r}, log p = {result.logprob:.2f} nats")
for text, logprob, _score in result.candidates:
    print(f"  beam candidate {text!r}: log p = {logprob:.2f}")"""),
    md("""## The attention heatmap

Each row is a word the decoder wrote (top to bottom, ending with the end marker `</s>`), each
column a word of the input. Each row sums to 1: dark cells hold most of the weight, i.e. where the
decoder looked when it wrote that word. Hover a cell for its weight."""),
    code("""attention_heatmap(result.attention, result.source_tokens, [*result.output_tokens, "</s>"],
                  unknown=[*result.prepared.unknown, False], title=f"Attention: {sentence}")"""),
]

NOTEBOOKS = {
    "gradients_tanh_vs_irnn.ipynb": GRADIENTS,
    "lstm_gates.ipynb": GATES,
    "translator_attention.ipynb": ATTENTION,
}


def build(cells: list[tuple[str, str]]) -> nbformat.NotebookNode:
    """A notebook of these (kind, source) cells for the python3 kernel, without outputs."""
    notebook = new_notebook(metadata={"kernelspec": KERNEL, "language_info": {"name": "python"}})
    for index, (kind, source) in enumerate(cells):
        cell = new_markdown_cell(source) if kind == "md" else new_code_cell(source)
        cell["id"] = f"cell-{index}"  # stable ids: regenerating changes nothing
        notebook.cells.append(cell)
    nbformat.validate(notebook)
    return notebook


def write_all(directory: Path = HERE) -> list[Path]:
    """Write every notebook into `directory`; return their paths."""
    paths = []
    for name, cells in NOTEBOOKS.items():
        path = directory / name
        nbformat.write(build(cells), path)
        paths.append(path)
    return paths


if __name__ == "__main__":
    for written in write_all(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE):
        print(written)
