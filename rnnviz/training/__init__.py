"""One training loop for every page: config, callbacks, clipping, TBPTT, divergence guard; background jobs."""

from rnnviz.training.loop import (
    CLIP_MODES,
    OPTIMIZERS,
    Callback,
    StepInfo,
    TrainConfig,
    TrainResult,
    clip_gradients,
    fit,
    make_optimizer,
)

__all__ = ["CLIP_MODES", "OPTIMIZERS", "Callback", "StepInfo", "TrainConfig", "TrainResult", "clip_gradients",
           "fit", "make_optimizer"]
