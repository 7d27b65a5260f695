"""Probes on a layer or a cell: per-timestep gradients, Jacobians, unit statistics, equations with live numbers."""

from rnnviz.probes.gradients import (
    TimestepGrads,
    gate_saturation,
    gradient_bound,
    recurrent_blocks,
    singular_values,
    timestep_grads,
    timestep_grads_detail,
    timestep_grads_tensor,
)

__all__ = ["TimestepGrads", "gate_saturation", "gradient_bound", "recurrent_blocks", "singular_values",
           "timestep_grads", "timestep_grads_detail", "timestep_grads_tensor"]
