"""One training loop for every page: config, callbacks, clipping, TBPTT, divergence guard; background jobs."""

from rnnviz.training.flags import add_train_arguments, train_config_from
from rnnviz.training.loop import (
    CLIP_MODES,
    OPTIMIZERS,
    TRAIN_KNOBS,
    Callback,
    StepInfo,
    TrainConfig,
    TrainResult,
    clip_gradients,
    fit,
    make_optimizer,
    replace_settings,
)

__all__ = ["CLIP_MODES", "OPTIMIZERS", "TRAIN_KNOBS", "Callback", "StepInfo", "TrainConfig", "TrainResult",
           "add_train_arguments", "clip_gradients", "fit", "make_optimizer", "replace_settings", "train_config_from"]
