"""The unrolled computational graph of a real model and backpropagation through time in numbers.

    from rnnviz.unrolled import build_graph, rolled_graph, step_view, path_terms, truncated_bptt
    from rnnviz.plots.unrolled import graph_figure, term_heatmap, decay_figure

`graph` builds plain-data graphs (nodes with the explicit unroll's values, edges naming their
shared weight); `bptt` splits ∂E_t/∂W into one term per step, compares with autograd and
with truncated BPTT. Nothing here imports Streamlit or draws.
"""

from rnnviz.unrolled.bptt import (
    BPTTTerms,
    PathTerms,
    ReadoutGradient,
    TermDecay,
    Truncation,
    parameter_names,
    path_terms,
    readout_gradient,
    tbptt_windows,
    term_decay,
    truncated_bptt,
    truncation_cuts,
)
from rnnviz.unrolled.graph import (
    DRAWN_STEPS,
    MAX_STEPS,
    Edge,
    Node,
    StepView,
    UnrolledGraph,
    build_graph,
    drawn_steps,
    rolled_graph,
    step_view,
)

__all__ = ["DRAWN_STEPS", "MAX_STEPS", "BPTTTerms", "Edge", "Node", "PathTerms", "ReadoutGradient", "StepView",
           "TermDecay", "Truncation", "UnrolledGraph", "build_graph", "drawn_steps", "parameter_names", "path_terms",
           "readout_gradient", "rolled_graph", "step_view", "tbptt_windows", "term_decay", "truncated_bptt",
           "truncation_cuts"]
