"""Figures from data: tensors and arrays in, Plotly figures out. Never a model.

Shared pieces live in `rnnviz.plots.base`; each topic has its own module
(gradients, gates, attention, ...). Every function validates its input and says what to do.
"""

from rnnviz.plots.base import heatmap, loss_curve, style

__all__ = ["heatmap", "loss_curve", "style"]
