"""Words of the gradient lab: the sentence above each chart and the explanation beside it.

Plain strings (Markdown with LaTeX), no Streamlit, so tests can check them and a translator
can find them in one place.
"""

from __future__ import annotations

INTRO = (
    "Train a small recurrent network and watch the gradient travel back through time. "
    "Vanishing shows up as darkness on the left of the heatmap, exploding as a blow-up. "
    "Pick a preset for a one-click demonstration of the lecture, or set every knob yourself."
)

SENTENCES = {
    "loss": "Loss and accuracy of every kept run while it trains: below the dashed line, the run has "
            "learned something from the input.",
    "heatmap": "How much gradient reaches each timestep (columns) at each measurement during training (rows). "
               "Dark on the left: vanishing. Bright on the left: exploding.",
    "profile": "The gradient reaching each timestep at one training step (move the slider), against the bound "
               "the current weights allow, with the other kept runs for comparison.",
    "norm": "The size of the whole gradient at each training step, before and after clipping.",
    "sigma": "The largest singular values of the recurrent weights and of the one-step Jacobian: "
             "above 1 a step can stretch the gradient, below 1 it shrinks it.",
}

EXPLANATIONS = {
    "loss": r"""
**What is plotted.** The training loss of each kept run (thick: average of 10 steps, thin: every step),
and below it the task accuracy.

**Formula.** The dashed line is the loss of the best answer that ignores the input:
adding problem $\mathrm{Var}(U_1+U_2) = 1/6$; classification $\log K$.

**How to read it.** On the dashed line the run has learned nothing from the input; far below it,
it has solved the task. Adding counts an answer as right when $|\hat y - y| < 0.04$.
""",
    "heatmap": r"""
**What is plotted.** Colour = $\lVert \partial L / \partial h_t \rVert$ on a fixed probe batch,
from the explicit unroll with autograd (never from the training step).

**Formula.** With the loss at the last step,
$\dfrac{\partial L}{\partial h_t} = \dfrac{\partial L}{\partial h_T}\displaystyle\prod_{s=t+1}^{T}\dfrac{\partial h_s}{\partial h_{s-1}}$:
a product of $T-t$ Jacobians.

**How to read it.** Dark on the left: early inputs get no credit (vanishing). Bright on the left: exploding.
Grey: exactly zero (truncated BPTT, or saturated units). Cyan: the number overflowed.
""",
    "profile": r"""
**What is plotted.** One row of the heatmap as a curve (log scale), with the last measurement of the
other kept runs.

**Formula.** For a vanilla RNN $\lVert \partial h_s/\partial h_{s-1} \rVert = \lVert \mathrm{diag}(\varphi'(a_s))\,W_{hh} \rVert
\le \gamma\,\sigma_{\max}(W_{hh})$ with $\gamma = \max|\varphi'| = 1$ (tanh, ReLU), so
$\lVert \partial L/\partial h_t \rVert \le \lVert \partial L/\partial h_T \rVert\,(\gamma\,\sigma_{\max})^{T-t}$ (dashed).

**How to read it.** A straight line here is exponential decay or growth. The real curve stays under the
bound; when the bound falls, vanishing is certain. Gated cells have no such bound: their gradient flows
through $c_t$, multiplied by the forget gate.
""",
    "norm": r"""
**What is plotted.** $\lVert g \rVert$, the norm of the gradient of all weights, at every step:
red before clipping, blue after.

**Formula.** Clipping by norm: if $\lVert g \rVert > \theta$ then $g \leftarrow \theta\, g / \lVert g \rVert$.
By value: each component is clamped to $[-\theta, \theta]$.

**How to read it.** Red spikes are exploding gradients. SGD moves the weights by
learning rate × blue: without clipping one spike throws them to infinity.
""",
    "sigma": r"""
**What is plotted.** Largest singular values of the top layer's recurrent blocks, and (black) of the mean
one-step Jacobian $\partial s_t/\partial s_{t-1}$ over 128 positions of the probe batch
($s = h$; LSTM $s = (h, c)$; SRU $s = c$).

**Formula.** $\sigma_{\max}(W_{hh}) < 1/\gamma$ is enough for the gradient to vanish;
$\sigma_{\max} > 1$ is needed for it to explode (Pascanu, Mikolov & Bengio 2013).

**How to read it.** A Jacobian below 1 shrinks the gradient at every step back in time; above 1 it can grow.
An LSTM with its forget gate open keeps the Jacobian near 1.
""",
}

SETTINGS_HELP = {
    "length": "The dependency length T: how many steps separate the input that matters from the output "
              "that needs it (the copy task adds its symbols before and after this delay).",
    "init": "How W_hh starts. Normal: N(0, scale²/H), spectral radius close to the scale. Orthogonal: all "
            "singular values equal the scale. Identity: scale × I (IRNN). Xavier: Glorot uniform. Gated "
            "cells get it in each gate block.",
    "spectral_radius": "Rescale each W_hh block so that its largest |eigenvalue| is this number.",
    "forget_bias": "Start the gate that keeps the state open: LSTM and SRU forget gate, GRU update gate "
                   "(Gers et al. 2000 suggest 1).",
    "clip": "Rescale (norm) or clamp (value) the gradient before each step when it is above the threshold.",
    "tbptt": "Backpropagate through the last k steps only; the gradient to anything older is exactly zero.",
    "record_every": "Measure the gradient profile every n training steps (each measurement is an explicit "
                    "unroll with autograd, so smaller n costs more time).",
}
