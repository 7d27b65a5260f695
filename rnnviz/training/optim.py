"""Adam and AdamW on torch's fused kernel, without torch.optim's first-use cost.

Constructing any torch.optim optimizer imports torch._dynamo: 1.7-2 s on a laptop CPU, more on
a busy one. Under `python -m rnnviz.translate train --seconds 30` that is 8 % of the budget, and
in a page it is a pause before the first step. `FusedAdam` calls the very kernel that
`torch.optim.Adam(fused=True)` calls (`torch._fused_adam_`, or `torch._fused_adamw_`), so the
numbers are identical (a test checks, bit for bit). It keeps `param_groups`, so learning-rate
schedules work unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import Tensor, nn


def fused_kernel_available(parameters: list[nn.Parameter]) -> bool:
    """Whether FusedAdam can serve these parameters (one float dtype and device, CPU or CUDA)."""
    if not parameters or not hasattr(torch, "_fused_adam_"):
        return False
    first = parameters[0]
    return all(p.is_floating_point() and p.device == first.device and p.dtype == first.dtype
               and p.device.type in ("cpu", "cuda") for p in parameters)


class FusedAdam:
    """Adam (or AdamW with `decoupled=True`) on one device and dtype; no amsgrad, no maximize."""

    def __init__(self, parameters: Iterable[nn.Parameter], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, decoupled: bool = False) -> None:
        params = list(parameters)
        if not fused_kernel_available(params):
            raise ValueError("FusedAdam needs floating-point parameters, all on one CPU or CUDA device, one dtype")
        if not lr >= 0 or not eps >= 0 or not weight_decay >= 0 or not all(0 <= b < 1 for b in betas):
            raise ValueError(f"Adam needs lr, eps, weight_decay >= 0 and betas in [0, 1); got lr={lr}, "
                             f"betas={betas}, eps={eps}, weight_decay={weight_decay}")
        self.param_groups = [{"params": params, "lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay}]
        self.decoupled = decoupled
        self.state: dict[nn.Parameter, dict[str, Tensor]] = {}

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients (or zero them in place)."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad.zero_()

    def _state(self, p: nn.Parameter) -> dict[str, Tensor]:
        """Moments and step count of one parameter, created at its first update as torch.optim does."""
        if p not in self.state:
            self.state[p] = {"step": torch.zeros((), dtype=torch.float32, device=p.device),
                             "exp_avg": torch.zeros_like(p, memory_format=torch.preserve_format),
                             "exp_avg_sq": torch.zeros_like(p, memory_format=torch.preserve_format)}
        return self.state[p]

    @torch.no_grad()
    def step(self) -> None:
        """One update of every parameter that has a gradient."""
        kernel = torch._fused_adamw_ if self.decoupled else torch._fused_adam_
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if not params:
                continue
            states = [self._state(p) for p in params]
            steps = [s["step"] for s in states]
            torch._foreach_add_(steps, 1)
            beta1, beta2 = group["betas"]
            kernel(params, [p.grad for p in params], [s["exp_avg"] for s in states],
                   [s["exp_avg_sq"] for s in states], [], steps, amsgrad=False, lr=group["lr"], beta1=beta1,
                   beta2=beta2, weight_decay=group["weight_decay"], eps=group["eps"], maximize=False,
                   grad_scale=None, found_inf=None)
