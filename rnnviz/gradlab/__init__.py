"""The gradient lab: run settings, presets that each check one claim of the lecture, the gradient recorder."""

from rnnviz.gradlab.recorder import (
    MEASURED_FACTOR,
    GradientRecorder,
    Recording,
    Snapshot,
    factor_per_step,
    heatmap_data,
    history_arrays,
    job_target,
    profile_bound,
    sigma_series,
    train_run,
)
from rnnviz.gradlab.settings import (
    CELL_NAMES,
    MAX_BATCH,
    MAX_CLIP,
    MAX_HIDDEN,
    MAX_LAYERS,
    MAX_LENGTH,
    MAX_STEPS,
    VANILLA,
    RunSettings,
    build_model,
    estimated_seconds,
    set_keep_gate_bias,
)

__all__ = ["CELL_NAMES", "MAX_BATCH", "MAX_CLIP", "MAX_HIDDEN", "MAX_LAYERS", "MAX_LENGTH", "MAX_STEPS",
           "MEASURED_FACTOR", "VANILLA", "GradientRecorder", "Recording", "RunSettings", "Snapshot", "build_model",
           "estimated_seconds", "factor_per_step",
           "heatmap_data", "history_arrays", "job_target", "profile_bound", "set_keep_gate_bias", "sigma_series",
           "train_run"]
