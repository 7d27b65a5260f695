"""The unrolled computational graph of a real model and backpropagation through time in numbers.

    from rnnviz.unrolled import build_graph, rolled_graph, step_view

`graph` builds plain-data graphs (nodes with the explicit unroll's values, edges naming their
shared weight). Nothing here imports Streamlit or draws.
"""

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

__all__ = ["DRAWN_STEPS", "MAX_STEPS", "Edge", "Node", "StepView", "UnrolledGraph", "build_graph", "drawn_steps",
           "rolled_graph", "step_view"]
