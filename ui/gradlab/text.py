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

def score_words(task: object) -> tuple[str, str]:
    """(short name, definition) of the task's score: the adding task is regression, so its 'accuracy' is a tolerance."""
    tolerance = getattr(task, "tolerance", None)
    if tolerance is not None:
        return (f"within ±{tolerance:g}", f"share of sequences whose predicted sum is within {tolerance:g} of the true "
                "sum (Hochreiter & Schmidhuber's criterion: the adding task is regression, so this is its accuracy)")
    return "accuracy", "share of the answer symbols the network predicts right (its most likely symbol)"


SENTENCES = {
    "loss": "Loss and accuracy of every kept run while it trains: below the dashed line, the run has "
            "learned something from the input.",
    "heatmap": "How much gradient reaches each timestep (columns) at each measurement during training (rows). "
               "Compare the left of a row with its right: darker on the left is vanishing, brighter is exploding "
               "(a whole row darkens when the loss gets small). Grey is exactly 0, which is not the same as small.",
    "profile": "The gradient reaching each timestep at one training step (move the slider), against the bound "
               "the current weights allow, with the other kept runs for comparison.",
    "norm": "The size of the whole gradient at each training step, before and after clipping.",
    "sigma": "The largest singular values of the recurrent weights and of the one-step Jacobian, and (orange) "
             "what one step back really multiplied the gradient by: σ_max below 1 forces it to shrink, above 1 "
             "only allows it to grow.",
}

EXPLANATIONS = {
    "loss": r"""
**Plotted:** training loss of every kept run (thick: mean of 10 steps) and its score: for adding, the share
of sums within 0.04 of the truth (a regression task has no "right class"); for copy and first symbol, the
share of answer symbols predicted right.

**Formula:** dashed = loss of the best answer that ignores the input
(adding: $\mathrm{Var}(U_1{+}U_2) = 1/6$; classes: $\log K$).

**Read it:** on the dashed line nothing was learned; far below, the task is solved.
""",
    "heatmap": r"""
**Plotted:** colour = $\lVert \partial L/\partial h_t \rVert$ of the top layer on a fixed probe batch,
measured on the explicit unroll with autograd, not taken from the training step.

**Formula:** $\frac{\partial L}{\partial h_t} =
\frac{\partial L}{\partial h_T}\prod_{s=t+1}^{T}\frac{\partial h_s}{\partial h_{s-1}}$,
a product of $T-t$ Jacobians.

**Read it:** within a row, dark left = vanishing, bright left = exploding.
The colours span the 1st to 99th percentile of the values (the colour bar says when some are clipped),
so one spike cannot darken the rest; hover for the exact value.
**Grey = exactly 0**, not small: no path carries any gradient there, either because truncated BPTT
cut it or because every unit on the way is saturated ($\tanh' = 1 - h^2$ rounds to 0 in float32
once $|h|$ rounds to 1). Cyan = overflow.
""",
    "profile": r"""
**Plotted:** one row of the heatmap as a curve, and the last profile of each other kept run.

**Formula:** vanilla RNN: $\lVert \partial h_s/\partial h_{s-1} \rVert \le \gamma\,\sigma_{\max}(W_{hh})$,
$\gamma = \max|\varphi'| = 1$, so
$\lVert \partial L/\partial h_t \rVert \le \lVert \partial L/\partial h_T \rVert (\gamma\sigma_{\max})^{T-t}$ (dashed).

**Read it:** a straight line is exponential decay or growth; the curve stays under the bound.
Gated cells have no such bound: their gradient flows through $c_t$, scaled by the forget gate.
""",
    "norm": r"""
**Plotted:** $\lVert g \rVert$, the gradient of all weights, red before and blue after clipping.

**Formula:** by norm: if $\lVert g \rVert > \theta$, $g \leftarrow \theta g/\lVert g \rVert$;
by value: each entry clamped to $[-\theta, \theta]$.

**Read it:** red spikes are exploding gradients; SGD moves the weights by learning rate × blue.
""",
    "sigma": r"""
**Plotted:** largest singular values of the top layer's recurrent blocks and (black) of the mean
one-step Jacobian $\partial s_t/\partial s_{t-1}$ ($s = h$; LSTM $(h, c)$; SRU $c$).

Orange: the factor per step back that the measured profile shows,
$\left(\lVert \partial L/\partial h_0 \rVert / \lVert \partial L/\partial h_T \rVert\right)^{1/(T-1)}$.

**Formula:** $\sigma_{\max}(W_{hh}) < 1/\gamma$ makes gradients vanish; $\sigma_{\max} > 1$ is needed
for them to explode (Pascanu et al. 2013).

**Read it:** $\sigma_{\max}$ is the most one step can stretch. Below 1 the gradient must shrink at every
step back; above 1 it still may, and usually does: it stretches only along one direction, each step's
Jacobian is a different matrix (the black line is their mean) and $\tanh'$ falls as units saturate.
The orange line is what actually happened: below 1, the gradient vanished.
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
