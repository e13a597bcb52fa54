"""RMS normalisation."""

import math


def rms_norm(x, weight=None, eps=1e-6):
    """x / rms(x) * weight."""
    if not x:
        return []
    scale = 1.0 / math.sqrt(sum(v * v for v in x) / len(x) + eps)
    if weight is None:
        return [v * scale for v in x]
    if len(weight) != len(x):
        raise ValueError(f"rms_norm: weight has {len(weight)} entries, input has {len(x)}")
    return [v * scale * w for v, w in zip(x, weight)]


class RMSNorm:
    """Callable RMS norm with a learned (here: fixed) weight."""

    def __init__(self, hidden_size, eps=1e-6):
        self.weight = [1.0] * hidden_size
        self.eps = eps

    def __call__(self, x):
        return rms_norm(x, self.weight, self.eps)
